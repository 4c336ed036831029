// Geometry helpers that need no map: measuring on the ellipsoid-free sphere (good to
// ~0.5% — the reports' areas come from the server, computed in a metric projection), and
// reading coordinates the way people write them.

const R = 6378137; // WGS 84 semi-major axis, as turf and OpenLayers use for spherical measures

const rad = (d) => (d * Math.PI) / 180;

export function distance([lon1, lat1], [lon2, lat2]) {
  const dLat = rad(lat2 - lat1);
  const dLon = rad(lon2 - lon1);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
}

export function lineLength(coords) {
  let d = 0;
  for (let i = 1; i < coords.length; i++) d += distance(coords[i - 1], coords[i]);
  return d;
}

/** Area of a ring of [lon, lat] on the sphere (Chamberlain & Duquette 2007), m². */
export function ringArea(ring) {
  const n = ring.length;
  if (n < 3) return 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const [lon1, lat1] = ring[i];
    const [lon2, lat2] = ring[(i + 1) % n];
    total += rad(lon2 - lon1) * (2 + Math.sin(rad(lat1)) + Math.sin(rad(lat2)));
  }
  return Math.abs((total * R * R) / 2);
}

export function closeRing(ring) {
  if (ring.length === 0) return ring;
  const [a, b] = [ring[0], ring[ring.length - 1]];
  return a[0] === b[0] && a[1] === b[1] ? ring : [...ring, a];
}

export function bboxOf(coords) {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]);
    } else c.forEach(walk);
  };
  walk(coords);
  return [w, s, e, n];
}

/**
 * A number as people type it: "1100165.11", "1100165,11" (decimal comma), "1.100.165,11"
 * (dots as thousands separators; a single dot group like "9.948" is a decimal point). Null when it is not a number.
 */
export function parseNumber(tok) {
  let s = tok.trim();
  if (/^-?\d{1,3}((\.\d{3}){2,}(,\d+)?|\.\d{3},\d+)$/.test(s)) s = s.replace(/\./g, '').replace(',', '.');
  else if (/^-?\d+,\d+$/.test(s)) s = s.replace(',', '.');
  if (!/^-?\d+(\.\d+)?$/.test(s)) return null;
  return Number(s);
}

/** VN-2000 TM-3 northing (X) and easting (Y) ranges within Vietnam, in metres. */
const NORTHING = [900_000, 2_700_000];
const EASTING = [100_000, 900_000];
const inRange = (v, [a, b]) => v >= a && v <= b;

/**
 * Reads a VN-2000 point from a line of a certificate's corner table, e.g.
 * "1  1100165.11  566140.91  12.50" or "X=1100165,11; Y=566140,91". Vietnamese usage puts
 * X (northing) before Y (easting); the ranges of the two do not overlap inside Vietnam,
 * so a swapped pair is recognised too. Returns {northing, easting} or null.
 */
export function parseVn2000Line(line) {
  const toks = line
    .replace(/[|;\t]/g, ' ')
    .split(/\s+|(?<=\d),\s+/)
    .map((t) => t.replace(/^[XYxy]\s*[=:]\s*/, ''))
    .map(parseNumber)
    .filter((v) => v !== null);
  for (let i = 0; i + 1 < toks.length; i++) {
    const [a, b] = [toks[i], toks[i + 1]];
    if (inRange(a, NORTHING) && inRange(b, EASTING)) return { northing: a, easting: b };
    if (inRange(a, EASTING) && inRange(b, NORTHING)) return { northing: b, easting: a };
  }
  return null;
}

/** Parses a whole corner table: points and the lines that could not be read. */
export function parseCornerTable(text) {
  const points = [];
  const bad = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const p = parseVn2000Line(line);
    if (p) points.push(p);
    else if (/\d{5,}/.test(line)) bad.push({ line: i + 1, text: line });
    // Lines without long numbers are headers ("Số hiệu điểm | X (m) | Y (m)"): skipped.
  });
  // A table often repeats the first point at the end to close the ring.
  if (points.length > 3) {
    const [a, b] = [points[0], points[points.length - 1]];
    if (Math.abs(a.northing - b.northing) < 0.001 && Math.abs(a.easting - b.easting) < 0.001) points.pop();
  }
  return { points, bad };
}

/**
 * What a search text looks like when it is a coordinate pair: VN-2000 metres
 * ({kind: 'vn2000', northing, easting}) or WGS 84 degrees ({kind: 'lonlat', lon, lat}).
 */
export function parseCoordinateQuery(q) {
  const s = q.trim().replace(/^[XYxy]\s*[=:]\s*/, '').replace(/\s+[XYxy]\s*[=:]\s*/g, ' ');
  // "9.948, 105.105" and "105.105,9.948" separate by a comma; "1100165,11 566140,91" use
  // decimal commas and separate by a space.
  const toks = /[\s;]/.test(s) ? s.split(/[\s;]+/).map((t) => t.replace(/,$/, '')) : s.split(',');
  const nums = toks.filter(Boolean).map(parseNumber);
  if (nums.length !== 2 || nums.some((v) => v === null)) return null;
  const [a, b] = nums;
  const p = parseVn2000Line(`${a} ${b}`);
  if (p) return { kind: 'vn2000', ...p };
  // Degrees: Vietnam spans lon 102–118 (with the islands), lat 6–24.
  if (a >= 100 && a <= 120 && b >= 5 && b <= 25) return { kind: 'lonlat', lon: a, lat: b };
  if (b >= 100 && b <= 120 && a >= 5 && a <= 25) return { kind: 'lonlat', lon: b, lat: a };
  if (Math.abs(a) <= 180 && Math.abs(b) <= 90 && !(Number.isInteger(a) && Number.isInteger(b))) return { kind: 'lonlat', lon: a, lat: b };
  return null;
}

/**
 * Polygons (arrays of rings) from any GeoJSON object. Features that are not polygons are
 * pushed to `skipped` as `{layer, feature (from 1), reason}`, as the server reports them.
 */
export function polygonsFromGeoJSON(gj, skipped = null) {
  const out = [];
  const finite = (c) => (Array.isArray(c) ? c.every(finite) : Number.isFinite(c));
  // The polygons of one geometry; otherwise why it is not a site (the server's words).
  const geom = (g) => {
    if (!g) return 'it has no geometry';
    if (g.type === 'Polygon' || g.type === 'MultiPolygon') {
      if (!finite(g.coordinates)) return 'it has a coordinate that is not a finite number (NaN or infinity)';
      if (g.type === 'Polygon') out.push(g.coordinates);
      else out.push(...g.coordinates);
      return null;
    }
    if (g.type === 'GeometryCollection') {
      const before = out.length;
      const why = (g.geometries || []).map(geom).find(Boolean);
      return out.length > before ? null : why || 'it has no geometry';
    }
    if (g.type === 'Point' || g.type === 'MultiPoint') return 'it is a point, not a polygon';
    if (g.type === 'LineString' || g.type === 'MultiLineString') return 'it is a line, not a polygon';
    return 'it is not a polygon';
  };
  if (gj?.type === 'FeatureCollection') {
    (gj.features || []).forEach((f, i) => {
      const why = geom(f?.geometry);
      if (why && skipped) skipped.push({ layer: '', feature: i + 1, reason: why });
    });
  } else if (gj?.type === 'Feature') {
    const why = geom(gj.geometry);
    if (why && skipped) skipped.push({ layer: '', feature: 1, reason: why });
  } else geom(gj);
  return out;
}

/** Polygons from a KML document (outer and inner boundaries), read with DOMParser. */
export function polygonsFromKML(text) {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  if (doc.querySelector('parsererror')) throw new Error('KML is not well-formed XML');
  const ring = (el) =>
    (el?.getElementsByTagName('coordinates')[0]?.textContent || '')
      .trim()
      .split(/\s+/)
      .map((t) => t.split(',').slice(0, 2).map(Number))
      .filter((c) => c.length === 2 && c.every(Number.isFinite));
  const out = [];
  for (const poly of Array.from(doc.getElementsByTagName('Polygon'))) {
    const outer = ring(poly.getElementsByTagName('outerBoundaryIs')[0]);
    if (outer.length < 3) continue;
    const inner = Array.from(poly.getElementsByTagName('innerBoundaryIs')).map(ring).filter((r) => r.length >= 3);
    out.push([closeRing(outer), ...inner.map(closeRing)]);
  }
  return out;
}

export function multiPolygon(polys) {
  return { type: 'MultiPolygon', coordinates: polys.map((rings) => rings.map(closeRing)) };
}
