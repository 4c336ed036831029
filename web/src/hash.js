// The shareable state lives in the URL hash, so a link (or its QR code) opens the same
// parcel and view. Documented deep links, kept stable:
//   #p=31150/12/345                 a parcel: commune code / sheet / parcel number
//   #p=31150/12/345,31150/12/346    several parcels (a combined report)
//   #site=lon,lat;lon,lat;…         a drawn site (WGS 84, 7 decimals)
//   &map=zoom/lat/lon               the map view (as on openstreetmap.org)
//   &lang=en                        the language
//   &view=current|planned|compare   current vs planned land use
//   #help                           help and FAQ
//   #screen?commune=31150           public-screen mode for a commune office

export function parseHash(hash = location.hash) {
  let h = hash.replace(/^#/, '');
  let page = null;
  const m = h.match(/^(help|screen)(?:[?&]|$)/);
  if (m) {
    page = m[1];
    h = h.slice(m[0].length);
  }
  const q = new URLSearchParams(h.replace(/^\?/, ''));
  const state = { page, params: q };
  const p = q.get('p');
  if (p) {
    state.parcels = p
      .split(',')
      .map((s) => s.split('/'))
      .filter((a) => a.length === 3 && a.every((x) => x.length > 0))
      .map(([commune, sheet, parcel]) => ({ commune, sheet: Number(sheet), parcel: Number(parcel) }))
      .filter((x) => Number.isFinite(x.sheet) && Number.isFinite(x.parcel));
  }
  const site = q.get('site');
  if (site) {
    const ring = site
      .split(';')
      .map((pair) => pair.split(',').map(Number))
      .filter((c) => c.length === 2 && c.every(Number.isFinite));
    if (ring.length >= 3) state.site = ring;
  }
  const map = q.get('map');
  if (map) {
    const [z, lat, lon] = map.split('/').map(Number);
    if ([z, lat, lon].every(Number.isFinite)) state.map = { zoom: z, center: [lon, lat] };
  }
  state.lang = q.get('lang');
  state.view = q.get('view');
  return state;
}

/** Builds a hash from the app's state; `site` as a ring of [lon, lat]. */
export function buildHash({ parcels, site, map, lang, view }) {
  const parts = [];
  if (parcels && parcels.length) parts.push(`p=${parcels.map((x) => `${x.commune}/${x.sheet}/${x.parcel}`).join(',')}`);
  else if (site && site.length <= 200) parts.push(`site=${site.map(([x, y]) => `${x.toFixed(7)},${y.toFixed(7)}`).join(';')}`);
  if (map) parts.push(`map=${map.zoom.toFixed(2)}/${map.center[1].toFixed(6)}/${map.center[0].toFixed(6)}`);
  if (view && view !== 'planned') parts.push(`view=${view}`);
  if (lang && lang !== 'vi') parts.push(`lang=${lang}`);
  return parts.length ? `#${parts.join('&')}` : '';
}

export function absoluteUrl(hash) {
  return `${location.origin}${location.pathname}${hash}`;
}
