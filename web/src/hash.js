// The shareable state lives in the URL, so a link (or its QR code) opens the same parcel
// and view. Parcels go in the query, where the server sees them: it puts the parcel's
// answer into the page's Open Graph tags (Zalo, Facebook previews) and draws its map
// before any script runs. The rest is in the hash. Documented deep links, kept stable:
//   ?p=31150/12/345                 a parcel: commune code / sheet / parcel number
//   ?p=31150/1/312/2                the 2nd of parcels sharing a number (a duplicate in the
//                                   cadastral map; 1-based, ordered by feature id, as the
//                                   API's 409 `matches` and its `?n=`)
//   ?p=31150/12/345,31150/12/346    several parcels (a combined report)
//   #p=…                            the same in the hash (older links; wins over ?p=)
//   #site=lon,lat;lon,lat;…         a drawn site (WGS 84, 7 decimals)
//   &map=zoom/lat/lon               the map view (as on openstreetmap.org)
//   &lang=en                        the language
//   &view=current|planned|compare   current vs planned land use
//   #help                           help and FAQ
//   #screen?commune=31150           public-screen mode for a commune office
//   #/learn                         the lessons (learn.js); #/learn/{lesson}[/{step}] one
//                                   lesson, at a step (a reload resumes there)
//   #/workshop, #/join/K7M2QX,      workshops (workshop.js): start one, join one, the
//   #/trainer/K7M2QX                trainer's board
//   #/q/<token>                     the asker's private page (feedback.js): the question,
//                                   its state, the answer
//   #/follow/<token>                a follow's page: its news, unsubscribe (also a mail's
//                                   unsubscribe code u<id>-<32 hex>)
//   #/qa[?commune=&plan=&q=]        the public Q&A; #/mine the questions and follows saved
//                                   in this browser
//   #/consultations[/<id>]          consultations on draft plans, one with its comments
//   #/official                      the officials' sign-in and inbox (official.js)

export function parseHash(hash = location.hash, search = location.search) {
  let h = hash.replace(/^#/, '');
  let page = null;
  const m = h.match(/^(help|screen)(?:[?&]|$)/);
  if (m) {
    page = m[1];
    h = h.slice(m[0].length);
  }
  // Lesson and step ids: short slugs; anything else is the lesson list.
  const learn = page ? null : h.match(/^\/learn(?:\/([A-Za-z0-9_-]{1,64}))?(?:\/([A-Za-z0-9_-]{1,64}))?\/?(?=[?&]|$)/);
  if (learn) {
    page = 'learn';
    h = h.slice(learn[0].length);
  }
  const workshop = page ? null : h.match(/^\/(workshop|join|trainer)(?:\/([A-Za-z0-9]{1,12}))?\/?(?=[?&]|$)/);
  if (workshop) {
    page = workshop[1];
    h = h.slice(workshop[0].length);
  }
  // Private links carry a 64-hex-digit token; consultations a number.
  const twoway = page ? null : h.match(/^\/(?:(q)\/([0-9a-fA-F]{64})|(follow)\/([0-9a-fA-F]{64}|u[1-9]\d{0,18}-[0-9a-f]{32})|(qa|mine|official)|(consultations)(?:\/([1-9]\d{0,11}))?)\/?(?=[?&]|$)/);
  if (twoway) {
    page = twoway[1] || twoway[3] || twoway[5] || twoway[6];
    h = h.slice(twoway[0].length);
  }
  const q = new URLSearchParams(h.replace(/^\?/, ''));
  const state = { page, params: q };
  if (learn) Object.assign(state, { lesson: learn[1] || null, step: learn[1] ? learn[2] || null : null });
  if (workshop) state.code = workshop[2] || null;
  if (twoway) {
    const token = twoway[2] || twoway[4];
    Object.assign(state, { token: token ? token.toLowerCase() : null, id: twoway[7] ? Number(twoway[7]) : null });
  }
  const query = new URLSearchParams(search);
  const p = q.get('p') || (page ? null : query.get('p'));
  if (p) {
    state.parcels = p
      .split(',')
      .map((s) => s.split('/'))
      .filter((a) => (a.length === 3 || a.length === 4) && a.every((x) => x.length > 0))
      .map(([commune, sheet, parcel, n]) => {
        const x = { commune, sheet: Number(sheet), parcel: Number(parcel) };
        if (n !== undefined) x.n = /^[1-9]\d{0,5}$/.test(n) ? Number(n) : NaN;
        return x;
      })
      .filter((x) => Number.isFinite(x.sheet) && Number.isFinite(x.parcel) && (x.n === undefined || Number.isFinite(x.n)));
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
  state.lang = q.get('lang') || query.get('lang');
  state.view = q.get('view');
  return state;
}

/**
 * Builds the link of the app's state as `{ search, hash }` (each '' or with its `?`/`#`);
 * `site` as a ring of [lon, lat]; a parcel's `n` (its rank among parcels sharing its number)
 * as a 4th segment.
 */
export function buildLink({ parcels, site, map, lang, view }) {
  const parts = [];
  let search = '';
  if (parcels && parcels.length) search = `?p=${parcels.map((x) => `${encodeURIComponent(x.commune)}/${x.sheet}/${x.parcel}${x.n ? `/${x.n}` : ''}`).join(',')}`;
  else if (site && site.length <= 200) parts.push(`site=${site.map(([x, y]) => `${x.toFixed(7)},${y.toFixed(7)}`).join(';')}`);
  if (map) parts.push(`map=${map.zoom.toFixed(2)}/${map.center[1].toFixed(6)}/${map.center[0].toFixed(6)}`);
  if (view && view !== 'planned') parts.push(`view=${view}`);
  if (lang && lang !== 'vi') parts.push(`lang=${lang}`);
  return { search, hash: parts.length ? `#${parts.join('&')}` : '' };
}

export function absoluteUrl({ search, hash }) {
  return `${location.origin}${location.pathname}${search}${hash}`;
}
