// Unit tests of the pure modules (no browser): reading coordinates as people type them,
// certificate corner tables, KML-free GeoJSON handling, spherical measures, URL state,
// and that every UI string exists in both languages.
//   node tests/unit.mjs
import assert from 'node:assert/strict';
import { parseNumber, parseCoordinateQuery, parseCornerTable, ringArea, lineLength, polygonsFromGeoJSON, closeRing } from '../src/geo.js';
import { allKeys } from '../src/i18n.js';
import { reportCsv } from '../src/report.js';

let n = 0;
const test = (name, fn) => {
  fn();
  n += 1;
  console.log(`ok   ${name}`);
};

test('numbers with decimal commas and thousands dots', () => {
  assert.equal(parseNumber('1100165.11'), 1100165.11);
  assert.equal(parseNumber('1100165,11'), 1100165.11);
  assert.equal(parseNumber('1.100.165,11'), 1100165.11);
  assert.equal(parseNumber('566.140,91'), 566140.91);
  assert.equal(parseNumber('9.948'), 9.948, 'one dot group is a decimal point');
  assert.equal(parseNumber('abc'), null);
});

test('search text as coordinates: VN-2000 X Y (X = northing) and lon/lat', () => {
  assert.deepEqual(parseCoordinateQuery('1100165.11 566140.91'), { kind: 'vn2000', northing: 1100165.11, easting: 566140.91 });
  assert.deepEqual(parseCoordinateQuery('566140.91 1100165.11'), { kind: 'vn2000', northing: 1100165.11, easting: 566140.91 }, 'swapped pair recognised by range');
  assert.deepEqual(parseCoordinateQuery('X=1100165,11 Y=566140,91'), { kind: 'vn2000', northing: 1100165.11, easting: 566140.91 });
  assert.deepEqual(parseCoordinateQuery('9.948, 105.105'), { kind: 'lonlat', lon: 105.105, lat: 9.948 });
  assert.deepEqual(parseCoordinateQuery('105.105,9.948'), { kind: 'lonlat', lon: 105.105, lat: 9.948 });
  assert.equal(parseCoordinateQuery('12/345'), null);
  assert.equal(parseCoordinateQuery('vinh thanh 12 345'), null);
  assert.equal(parseCoordinateQuery('12 345'), null, 'sheet and parcel numbers are not coordinates');
});

test('certificate corner table: headers skipped, closing point dropped, bad rows reported', () => {
  const t = parseCornerTable('Số hiệu điểm\tX (m)\tY (m)\tCạnh (m)\n1\t1100165,11\t566140,91\t12,00\n2 | 1100165.11 | 566152.91\n3  1100155.11  566152.91\n4  1100155.11  566140.91\n1  1100165.11  566140.91\n');
  assert.equal(t.points.length, 4);
  assert.deepEqual(t.bad, []);
  const bad = parseCornerTable('1 1100165.11 566140.91\n2 12345678 99\n');
  assert.equal(bad.bad[0].line, 2);
});

test('spherical measures: a 0.001° square at the equator ≈ 111.3 m a side', () => {
  const sq = [[0, 0], [0.001, 0], [0.001, 0.001], [0, 0.001]];
  assert.ok(Math.abs(lineLength([[0, 0], [0.001, 0]]) - 111.32) < 0.1);
  assert.ok(Math.abs(ringArea(sq) - 12392) < 20);
  assert.deepEqual(closeRing(sq).at(-1), [0, 0]);
});

test('GeoJSON polygons from features, multipolygons and collections', () => {
  const poly = { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] };
  const fc = { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: poly }, { type: 'Feature', geometry: { type: 'MultiPolygon', coordinates: [poly.coordinates, poly.coordinates] } }, { type: 'Feature', geometry: { type: 'Point', coordinates: [0, 0] } }] };
  assert.equal(polygonsFromGeoJSON(fc).length, 3);
});

test('every UI string exists in Vietnamese and English', () => {
  const { vi, en } = allKeys();
  assert.deepEqual(vi.filter((k) => !en.includes(k)), []);
  assert.deepEqual(en.filter((k) => !vi.includes(k)), []);
});

test('CSV export: one row per zone and red line, quoted text, UTF-8 BOM', () => {
  const report = {
    site: { kind: 'parcel', commune_code: '31150', sheet: 3, parcel: 20, area_m2: 117.29 },
    data_date: '2026-01-01',
    plans: [{ plan: { id: 'p', name: 'Quy hoạch, "A"', level: 'zoning_2000', status: 'in_force', decision: { number: '1/QĐ', date: '2023-01-01', authority: 'UBND' } }, zones: [{ zone_id: 'Z1', landuse: 'ODT', overlap_m2: 117.29, overlap_pct: 100, same_as_current: true }], redlines: [{ road_name: 'Lê Lợi', width_m: 16, crosses_site: false, distance_m: 15.1, area_in_road_m2: 0, area_in_road_pct: 0, method: 'dgt_zones' }] }],
  };
  const csv = reportCsv(report);
  assert.ok(csv.startsWith('\ufeff'));
  const lines = csv.trim().split('\r\n');
  assert.equal(lines.length, 3);
  assert.match(lines[1], /"Quy hoạch, ""A"""/);
  assert.match(lines[2], /redline/);
});

console.log(`${n} unit tests passed`);
