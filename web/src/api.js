// The server's JSON API (/api/v1), same origin. Errors are RFC 7807 problem documents:
// `ApiError.message` carries the server's plain explanation (`detail`).

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function request(path, opts = {}) {
  let resp;
  try {
    resp = await fetch(path, opts);
  } catch (e) {
    throw new ApiError(0, e?.message || 'network');
  }
  noteVersion(resp);
  const ct = resp.headers.get('content-type') || '';
  const body = ct.includes('json') ? await resp.json().catch(() => null) : await resp.text();
  if (!resp.ok) {
    const detail = (body && typeof body === 'object' && (body.detail || body.title)) || `HTTP ${resp.status}`;
    throw new ApiError(resp.status, detail);
  }
  return body;
}

let lastVersion = null;
/** The data version (the ETag of the data answers, as `/api/v1/health` names it) last seen. */
function noteVersion(resp) {
  const tag = resp.headers.get('etag');
  if (tag) lastVersion = tag.replace(/^W\//, '').replace(/"/g, '');
}
/** The data version of the last report or lookup answer (what a question says the person saw). */
export function dataVersion() {
  return lastVersion;
}

const get = (path, signal) => request(path, { signal });
const post = (path, data, signal) =>
  request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data), signal });

const enc = encodeURIComponent;

export const api = {
  search: (q, limit = 8, signal) => get(`/api/v1/search?q=${enc(q)}&limit=${limit}`, signal),
  parcelsAt: (lon, lat) => get(`/api/v1/parcels/at?lon=${lon}&lat=${lat}`),
  parcelsAtXY: (x, y, srs) => get(`/api/v1/parcels/at?x=${x}&y=${y}&srs=${enc(srs)}`),
  parcel: (c, s, p) => get(`/api/v1/parcels/${enc(c)}/${enc(s)}/${enc(p)}`),
  parcelReport: (c, s, p) => get(`/api/v1/parcels/${enc(c)}/${enc(s)}/${enc(p)}/report`),
  reportHtmlUrl: (c, s, p) => `/api/v1/parcels/${enc(c)}/${enc(s)}/${enc(p)}/report.html`,
  report: (body) => post('/api/v1/report', body),
  /** A boundary file (zipped Shapefile, GeoPackage…) read by the server's GDAL → GeoJSON Feature. */
  parseSiteFile: (file, srs) =>
    request(`/api/v1/sites/parse?srs=${enc(srs)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: file,
    }),
  /** VN-2000 (easting, northing) → WGS 84; points as [{easting, northing}]. */
  toWgs84: (srs, points) => post('/api/v1/convert', { from: srs, points }),
  fromWgs84: (srs, lon, lat, signal) => get(`/api/v1/convert?lon=${lon}&lat=${lat}&to=${enc(srs)}`, signal),
  layers: () => get('/api/v1/layers'),
  plans: () => get('/api/v1/plans'),
  landuseCodes: () => get('/api/v1/landuse-codes'),
  /** Every feature of an OGC API collection inside bbox, following `next` links. */
  async collection(id, bbox, max = 50000) {
    let url = `/ogc/collections/${enc(id)}/items?limit=1000${bbox ? `&bbox=${bbox.join(',')}` : ''}`;
    const features = [];
    while (url && features.length < max) {
      const page = await get(url);
      features.push(...page.features);
      const next = (page.links || []).find((l) => l.rel === 'next');
      url = next ? next.href : null;
    }
    return { type: 'FeatureCollection', features };
  },
};

/** GET a JSON document that may not exist (optional config, server style): null when absent. */
export async function optionalJson(path) {
  try {
    const resp = await fetch(path);
    if (!resp.ok) return null;
    const ct = resp.headers.get('content-type') || '';
    if (!ct.includes('json')) return null;
    return await resp.json();
  } catch {
    return null;
  }
}
