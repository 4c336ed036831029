// Unit tests of what the read-aloud voice is given (no browser): the per-plan report read in
// full sentences, and spokenText, which asks the server's normaliser (POST /api/v1/speech)
// and falls back to the text as written. The normaliser's own rules are tested in Rust
// (data/src/speech/tests.rs, server/tests/speech.rs).
//   node tests/unit-speech.mjs
import assert from 'node:assert/strict';
import { spokenText } from '../src/speech.js';
import { reportSpeech, reportCsv, documentKind, authorityEn, placeNameEn, answerKind, planVerdict } from '../src/report.js';
import { setLang } from '../src/i18n.js';
import { parseHash, buildLink } from '../src/hash.js';

// setLang writes the page's lang and title: a bare document is enough outside a browser.
globalThis.document ??= { documentElement: {}, title: '', querySelectorAll: () => [] };
const setLangForTests = (l) => setLang(l);

let passed = 0;
let failed = 0;
const test = (name, fn) => {
  try {
    fn();
    passed += 1;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${name}\n${e.message}`);
  }
};

/** A report as the server answers for a parcel under two plans that disagree, and a draft. */
function twoPlans() {
  const zone = (landuse, name_vi, name_en, pct, m2, extra = {}) => ({ landuse, landuse_name_vi: name_vi, landuse_name_en: name_en, overlap_pct: pct, overlap_m2: m2, same_as_current: landuse === 'ODT', ...extra });
  return {
    answer_kind: 'plans_disagree',
    affected: true,
    site: { kind: 'parcel', sheet: 1, parcel: 312, commune_name: 'Vĩnh Thanh', area_m2: 91.89, current_landuse: [{ code: 'ODT', name_vi: 'Đất ở tại đô thị', name_en: 'Urban residential' }] },
    summary_vi: 'Các quy hoạch không thống nhất: 1/2000 giữ đất ở tại đô thị (ODT) 60,5% (2341/QĐ-UBND); quy hoạch sử dụng đất chuyển 100% sang đất công trình giao thông (DGT) (1195/QĐ-UBND).',
    summary_en: 'The plans disagree: the 1:2000 zoning plan keeps urban residential (ODT) 60.5% (2341/QĐ-UBND); the land-use plan turns 100% into transport (DGT) (1195/QĐ-UBND).',
    disclaimer_vi: 'Thông tin chỉ mang tính tham khảo.',
    disclaimer_en: 'For reference only.',
    plans: [
      {
        binding: true,
        plan: { id: 'qhpk-2000', name: 'Quy hoạch phân khu tỷ lệ 1/2000 khu đô thị mới Vĩnh Thanh', level: 'zoning_2000', status: 'in_force', decision: { number: '2341/QĐ-UBND', date: '2023-10-12', authority: 'UBND tỉnh Kiên Giang' } },
        level_name_vi: 'Quy hoạch phân khu tỷ lệ 1/2000',
        level_name_en: 'Zoning plan 1:2000',
        document: { kind: 'decision', name_vi: 'Quyết định', name_en: 'Decision' },
        verdict: { kind: 'keeps', main_landuse: 'ODT', main_pct: 60.5, vi: 'giữ đất ở tại đô thị (ODT) 60,5%; 36 m² trong chỉ giới đường đỏ', en: 'keeps urban residential (ODT) 60.5%; 36 m² inside the red lines' },
        coverage_pct: 100,
        road_area_m2: 36.31,
        road_area_pct: 39.5,
        zones: [zone('ODT', 'Đất ở tại đô thị', 'Urban residential', 60.5, 55.58), zone('DGT', 'Đất công trình giao thông', 'Transport', 39.5, 36.31)],
        redlines: [{ road_name: 'Đường số 13', width_m: 20, crosses_site: true, area_in_road_m2: 36.31, area_in_road_pct: 39.5 }],
      },
      {
        binding: true,
        plan: { id: 'qhsdd-2030', name: 'Quy hoạch sử dụng đất thời kỳ 2021–2030 huyện Châu Thành', level: 'district_land_use', status: 'in_force', decision: { number: '1195/QĐ-UBND', date: '2022-05-20', authority: 'UBND tỉnh Kiên Giang' } },
        verdict: { kind: 'changes', main_landuse: 'DGT', main_pct: 100, vi: 'chuyển sang đất công trình giao thông (DGT) 100%', en: 'becomes transport (DGT) 100%' },
        coverage_pct: 100,
        zones: [zone('DGT', 'Đất công trình giao thông', 'Transport', 100, 91.89)],
        redlines: [],
      },
      {
        binding: false,
        plan: { id: 'dc', name: 'Điều chỉnh cục bộ (dự thảo)', level: 'zoning_2000', status: 'draft', decision: { number: '85/TTr-UBND', date: '2025-03-10', authority: 'UBND huyện Châu Thành' } },
        document: { kind: 'submission', name_vi: 'Tờ trình', name_en: 'Submission' },
        coverage_pct: 100,
        zones: [zone('ODT', 'Đất ở tại đô thị', 'Urban residential', 99.8, 91.7), zone('DGT', 'Đất công trình giao thông', 'Transport', 0.2, 0.19, { sliver: true })],
        redlines: [],
      },
    ],
  };
}

test('a report under two plans that disagree, read in Vietnamese: each plan in sentences, the draft last', () => {
  setLangForTests('vi');
  const text = reportSpeech(twoPlans());
  assert.match(text, /Quyết định 2341\/QĐ-UBND/);
  assert.match(text, /1195\/QĐ-UBND/);
  assert.match(text, /Tờ trình 85\/TTr-UBND/);
  assert.match(text, /Đất công trình giao thông/i);
  assert.match(text, /Dự thảo chưa có giá trị pháp lý/);
  assert.doesNotMatch(text, /undefined|null|NaN/);
  assert.ok(text.indexOf('Dự thảo chưa có giá trị pháp lý') > text.indexOf('1195/QĐ-UBND'), 'the draft is read after the binding plans');
  assert.doesNotMatch(text, /Quyết định 85|quyết định số 85/, 'a submission is never called a decision');
});

test('the same report read in English', () => {
  setLangForTests('en');
  const text = reportSpeech(twoPlans());
  assert.match(text, /Decision 2341\/QĐ-UBND/);
  assert.match(text, /Submission 85\/TTr-UBND/);
  assert.match(text, /transport/i);
  assert.match(text, /Kiên Giang Provincial People's Committee/);
  assert.doesNotMatch(text, /undefined|null|NaN/);
  setLangForTests('vi');
});

test('answers, verdicts and documents read from the report (server fields, and older servers without them)', () => {
  setLangForTests('vi');
  const r = twoPlans();
  assert.equal(answerKind(r), 'plans_disagree');
  delete r.answer_kind;
  for (const pr of r.plans) delete pr.verdict;
  assert.equal(answerKind(r), 'plans_disagree', 'worked out from the zones when the server does not say');
  assert.equal(planVerdict(r.plans[0], r).kind, 'keeps');
  assert.equal(planVerdict(r.plans[1], r).kind, 'changes');
  r.plans[1].zones[0].landuse = 'ODT';
  assert.equal(answerKind(r), 'affected');
  assert.equal(documentKind('2341/QĐ-UBND'), 'decision');
  assert.equal(documentKind('85/TTr-UBND'), 'submission');
  assert.equal(documentKind('12/2023/NQ-HĐND'), 'resolution');
  assert.equal(documentKind('45/TB-UBND'), 'notice');
  assert.equal(documentKind('123/UBND-KT'), 'letter');
  assert.equal(authorityEn('UBND tỉnh Kiên Giang'), "Kiên Giang Provincial People's Committee");
  assert.equal(authorityEn('UBND huyện Châu Thành'), "Châu Thành District People's Committee");
  assert.equal(authorityEn('HĐND thành phố Rạch Giá'), "Rạch Giá City People's Council");
  assert.equal(authorityEn('Ban quản lý dự án'), null);
  assert.equal(placeNameEn('Ô phố B82'), 'Block B82');
  assert.equal(placeNameEn('Đường số 13 (lộ giới 20 m)'), 'Road No. 13 (right of way 20 m)');
  assert.equal(placeNameEn('Khu dân cư Vĩnh Hòa'), null);
});

test('CSV: binding, document type and verdict columns per row', () => {
  setLangForTests('vi');
  const lines = reportCsv(twoPlans()).replace(/^\ufeff/, '').trim().split('\r\n');
  const head = lines[0].split(',');
  for (const c of ['binding', 'document_kind', 'verdict_kind', 'verdict', 'sliver', 'plan_road_area_m2', 'answer_kind']) assert.ok(head.includes(c), c);
  const col = (line, name) => line.match(/("[^"]*"|[^,]*)(,|$)/g).map((x) => x.replace(/,$/, ''))[head.indexOf(name)];
  const draftRows = lines.slice(1).filter((l) => l.includes(',dc,'));
  assert.equal(draftRows.length, 2);
  assert.deepEqual(draftRows.map((l) => [col(l, 'binding'), col(l, 'document_kind'), col(l, 'sliver')]), [['false', 'submission', 'false'], ['false', 'submission', 'true']]);
  const first = lines.find((l) => l.includes(',qhpk-2000,'));
  assert.equal(col(first, 'binding'), 'true');
  assert.equal(col(first, 'verdict_kind'), 'keeps');
  assert.equal(col(first, 'answer_kind'), 'plans_disagree');
});

test('links to the n-th of parcels sharing a number: a 4th segment, read back; bad ranks refused', () => {
  const link = buildLink({ parcels: [{ commune: '31150', sheet: 1, parcel: 312, n: 2 }], lang: 'en' });
  assert.deepEqual(link, { search: '?p=31150/1/312/2', hash: '#lang=en' });
  assert.deepEqual(parseHash(link.hash, link.search).parcels, [{ commune: '31150', sheet: 1, parcel: 312, n: 2 }]);
  assert.deepEqual(parseHash('', '?p=31150/1/312').parcels, [{ commune: '31150', sheet: 1, parcel: 312 }]);
  assert.deepEqual(buildLink({ parcels: [{ commune: '31150', sheet: 1, parcel: 312 }] }).search, '?p=31150/1/312');
  for (const bad of ['31150/1/312/0', '31150/1/312/x', '31150/1/312/-1', '31150/1/312/2.5', '31150/1/312/2/9']) assert.deepEqual(parseHash('', `?p=${bad}`).parcels, [], bad);
});

/** Runs `fn` with `fetch` answering as `answer(url, init)` does. */
async function withFetch(answer, fn) {
  const saved = globalThis.fetch;
  globalThis.fetch = async (url, init) => answer(url, init);
  try {
    return await fn();
  } finally {
    globalThis.fetch = saved;
  }
}

const asyncTests = [];
const testAsync = (name, fn) => asyncTests.push([name, fn]);

testAsync('spokenText asks the server, in the page language, and falls back to the text as written', async () => {
  const seen = [];
  const said = await withFetch(
    (url, init) => {
      seen.push([url, init.method, init.headers['Content-Type'], JSON.parse(init.body)]);
      return { ok: true, json: async () => ({ text: 'quyết định số hai nghìn ba trăm bốn mươi mốt' }) };
    },
    () => spokenText('2341/QĐ-UBND', 'vi'),
  );
  assert.equal(said, 'quyết định số hai nghìn ba trăm bốn mươi mốt');
  assert.deepEqual(seen, [['/api/v1/speech', 'POST', 'application/json', { text: '2341/QĐ-UBND', lang: 'vi' }]]);
  // Offline, or the server refuses: the text as written, no error.
  assert.equal(await withFetch(() => { throw new TypeError('Failed to fetch'); }, () => spokenText('60,5%', 'vi')), '60,5%');
  assert.equal(await withFetch(() => ({ ok: false, status: 503, json: async () => ({}) }), () => spokenText('ODT', 'en')), 'ODT');
  assert.equal(await withFetch(() => ({ ok: true, json: async () => ({ nope: 1 }) }), () => spokenText('x', 'vi')), 'x');
});

testAsync('spokenText sends a long report in pieces that each fit the 16 KB body', async () => {
  const long = Array.from({ length: 400 }, (_, i) => `Câu số ${i} về quy hoạch phân khu tỷ lệ 1/2000 của thị trấn.`).join(' ');
  const bodies = [];
  const said = await withFetch(
    (url, init) => {
      bodies.push(init.body);
      const { text } = JSON.parse(init.body);
      return { ok: true, json: async () => ({ text: text.toUpperCase() }) };
    },
    () => spokenText(long, 'vi'),
  );
  assert.ok(bodies.length >= 2, `${bodies.length} pieces`);
  for (const b of bodies) assert.ok(new TextEncoder().encode(b).length <= 16 * 1024, `${b.length}`);
  assert.equal(said, long.toUpperCase());
});

for (const [name, fn] of asyncTests) {
  try {
    await fn();
    passed += 1;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${name}\n${e.message}`);
  }
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
