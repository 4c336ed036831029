// Unit tests of the pure modules (no browser): reading coordinates as people type them,
// certificate corner tables, KML-free GeoJSON handling, spherical measures, URL state,
// and that every UI string exists in both languages.
//   node tests/unit.mjs
import assert from 'node:assert/strict';
import { parseNumber, parseCoordinateQuery, parseCornerTable, ringArea, lineLength, polygonsFromGeoJSON, closeRing } from '../src/geo.js';
import { allKeys } from '../src/i18n.js';
import { parseHash, buildLink } from '../src/hash.js';
import { reportCsv, reportSpeech } from '../src/report.js';
import { skippedNotice, reasonText, uploadErrorText } from '../src/tools.js';

let n = 0;
const test = (name, fn) => {
  fn();
  n += 1;
  console.log(`ok   ${name}`);
};

test('two-way links: private question, follow token or a mail\'s unsubscribe code, Q&A, consultations', () => {
  const tok = 'a'.repeat(64);
  assert.deepEqual([parseHash(`#/q/${tok}`, '').page, parseHash(`#/q/${tok}`, '').token], ['q', tok]);
  assert.deepEqual([parseHash(`#/follow/${tok.toUpperCase()}`, '').page, parseHash(`#/follow/${tok}`, '').token], ['follow', tok]);
  const code = `u42-${'0f'.repeat(16)}`;
  assert.deepEqual([parseHash(`#/follow/${code}`, '').page, parseHash(`#/follow/${code}`, '').token], ['follow', code]);
  assert.equal(parseHash(`#/q/${code}`, '').page, null, 'a code is not a question token');
  assert.equal(parseHash('#/follow/u0-00', '').page, null);
  assert.deepEqual([parseHash('#/consultations/7', '').page, parseHash('#/consultations/7', '').id], ['consultations', 7]);
  assert.equal(parseHash('#/qa?plan=qhpk-2000', '').params.get('plan'), 'qhpk-2000');
  assert.equal(parseHash('#/official', '').page, 'official');
});

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

test('GeoJSON features that are not polygons are reported with the server\'s reasons', () => {
  const poly = { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] };
  const fc = { type: 'FeatureCollection', features: [
    { type: 'Feature', geometry: poly },
    { type: 'Feature', geometry: { type: 'Point', coordinates: [0, 0] } },
    { type: 'Feature', geometry: null },
    { type: 'Feature', geometry: { type: 'LineString', coordinates: [[0, 0], [1, 1]] } },
  ] };
  const skipped = [];
  assert.equal(polygonsFromGeoJSON(fc, skipped).length, 1);
  assert.deepEqual(skipped.map((s) => [s.feature, s.reason]), [[2, 'it is a point, not a polygon'], [3, 'it has no geometry'], [4, 'it is a line, not a polygon']]);
});

test('upload notices: skipped features in Vietnamese, unknown reasons kept in English, server errors explained', () => {
  assert.equal(reasonText('it is a point, not a polygon'), 'là điểm, không phải vùng (polygon)');
  assert.equal(reasonText('it has a coordinate that is not a finite number (NaN or infinity)'), 'có tọa độ không phải số hữu hạn (NaN hoặc vô cực)');
  assert.equal(reasonText('expected a polygon, got LineString'), 'là đường, không phải vùng (polygon)');
  assert.equal(reasonText('something new'), 'something new');
  const one = skippedNotice({ count: 1, list: [{ layer: 'site', feature: 2, reason: 'it is a point, not a polygon' }], layer: 'site' });
  assert.equal(one, 'Đã bỏ qua 1 đối tượng của tệp, không dùng làm ranh khu đất: đối tượng 2 — là điểm, không phải vùng (polygon). Báo cáo tính theo các vùng còn lại của tệp.');
  const list = [2, 3, 5, 8, 9].map((n) => ({ layer: n === 2 ? 'diem' : 'ranh', feature: n, reason: 'it has no geometry' }));
  const many = skippedNotice({ count: 7, list, layer: 'ranh' });
  assert.match(many, /^Đã bỏ qua 7 đối tượng .*: lớp “diem”, đối tượng 2 — không có hình học \(geometry\); đối tượng 3 — .*; đối tượng 5 — .*; và 4 đối tượng khác\./);
  assert.equal(skippedNotice({ count: 0, list: [] }), '');
  assert.match(uploadErrorText({ status: 422, message: 'not a readable zip file (x)' }), /^Tệp bị hỏng hoặc không đầy đủ .*Máy chủ cho biết: not a readable zip file \(x\)$/);
  assert.match(uploadErrorText({ status: 422, message: 'the file has no polygon (lines and points are not sites): feature 1 it is a point, not a polygon' }), /^Tệp không có vùng \(polygon\) nào .*feature 1 it is a point/);
  assert.match(uploadErrorText({ status: 422, message: 'the source has no coordinate reference system (.prj missing): pass srs=vn2000:<province>' }), /^Không rõ hệ tọa độ/);
  assert.match(uploadErrorText({ status: 422, message: 'unrecognised file: send a zipped Shapefile' }), /^Không nhận ra loại tệp/);
  assert.match(uploadErrorText({ status: 422, message: 'the file took longer than 20 s to read' }), /^Không dùng được tệp này: .*took longer/);
  assert.match(uploadErrorText({ status: 413, message: 'more than 500 features' }), /^Tệp quá lớn .*more than 500 features$/);
  assert.match(uploadErrorText({ status: 503, message: 'busy' }), /^Máy chủ đang bận .*busy$/);
  assert.match(uploadErrorText({ status: 400, message: 'empty body' }), /empty body$/);
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

test('read-aloud text: whole Vietnamese sentences, drafts said to have no legal force', () => {
  const decision = { number: '1/QĐ-UBND', date: '2023-01-01', authority: 'UBND tỉnh Kiên Giang' };
  const report = {
    site: { kind: 'parcel', sheet: 3, parcel: 20, commune_name: 'Xã Vĩnh Thanh', area_m2: 117.29 },
    summary_vi: 'Thửa đất bị ảnh hưởng bởi quy hoạch: 17 m² nằm trong chỉ giới đường đỏ.',
    disclaimer_vi: 'Thông tin chỉ mang tính tham khảo.',
    plans: [
      { plan: { name: 'Quy hoạch phân khu A', status: 'in_force', decision }, zones: [{ landuse: 'ODT', landuse_name_vi: 'Đất ở tại đô thị', overlap_pct: 100 }], redlines: [{ road_name: 'Lê Lợi', width_m: 16, crosses_site: false, distance_m: 15.1 }] },
      { plan: { name: 'Điều chỉnh quy hoạch A', status: 'draft', decision: {} }, zones: [], redlines: [] },
    ],
  };
  assert.equal(
    reportSpeech(report),
    // Whole sentences as written: the server's normaliser (POST /api/v1/speech, tested in
    // data/src/speech) then says the numbers, units, documents and codes as words. A red line
    // that does not cross is not read.
    'Thửa đất bị ảnh hưởng bởi quy hoạch: 17 m² nằm trong chỉ giới đường đỏ. ' +
      'Thửa 20, tờ bản đồ 3, Xã Vĩnh Thanh, diện tích 117,3 m². ' +
      'Quy hoạch phân khu A, còn hiệu lực. Quy hoạch xây dựng, quy hoạch đô thị: xác định được xây dựng gì (loại đất, mật độ, tầng cao, chỉ giới). ' +
      'Văn bản: Quyết định 1/QĐ-UBND ngày 01/01/2023 của UBND tỉnh Kiên Giang. Kết luận: đất ở tại đô thị (ODT) 100%. ' +
      'Đất ở tại đô thị chiếm 100% diện tích. ' +
      'Điều chỉnh quy hoạch A, dự thảo lấy ý kiến. Dự thảo chưa có giá trị pháp lý. Kết luận: không quy định loại đất cho khu đất. ' +
      'Thông tin chỉ mang tính tham khảo.',
  );
});

test('links: parcels in the query (the server sees them), the view in the hash', () => {
  const link = buildLink({ parcels: [{ commune: '31150', sheet: 12, parcel: 345 }], map: { zoom: 17, center: [105.1, 9.95] }, lang: 'en', view: 'planned' });
  assert.deepEqual(link, { search: '?p=31150/12/345', hash: '#map=17.00/9.950000/105.100000&lang=en' });
  const st = parseHash(link.hash, link.search);
  assert.deepEqual(st.parcels, [{ commune: '31150', sheet: 12, parcel: 345 }]);
  assert.deepEqual(st.map, { zoom: 17, center: [105.1, 9.95] });
  assert.equal(st.lang, 'en');
  // Older links with the parcel in the hash still open it, and win over the query.
  assert.deepEqual(parseHash('#p=31150/1/2', '?p=31150/12/345').parcels, [{ commune: '31150', sheet: 1, parcel: 2 }]);
  assert.deepEqual(parseHash('', '?p=31150/12/345,31150/12/346&fbclid=x').parcels.length, 2);
  assert.equal(parseHash('#help', '?p=31150/12/345').parcels, undefined, 'the help page is not a parcel');
  assert.deepEqual(buildLink({ site: [[105, 9], [105.1, 9], [105.1, 9.1]], map: null }), { search: '', hash: '#site=105.0000000,9.0000000;105.1000000,9.0000000;105.1000000,9.1000000' });
  assert.deepEqual(buildLink({}), { search: '', hash: '' });
});

console.log(`${n} unit tests passed`);
