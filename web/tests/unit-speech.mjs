// Unit tests of what the read-aloud voice is given (no browser): the normaliser `speakable`
// (codes, document numbers, scales, dates, units, decimal commas, in Vietnamese and English),
// Vietnamese number words, and the per-plan report read in full sentences.
//   node tests/unit-speech.mjs
import assert from 'node:assert/strict';
import { speakable, numberVi } from '../src/speech.js';
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

const CODES_VI = { DGT: 'Đất công trình giao thông', ODT: 'Đất ở tại đô thị' };
const CODES_EN = { DGT: 'Transport', ODT: 'Urban residential' };

test('Vietnamese number words', () => {
  assert.equal(numberVi(0), 'không');
  assert.equal(numberVi(5), 'năm');
  assert.equal(numberVi(15), 'mười lăm');
  assert.equal(numberVi(21), 'hai mươi mốt');
  assert.equal(numberVi(60), 'sáu mươi');
  assert.equal(numberVi(105), 'một trăm linh năm');
  assert.equal(numberVi(500), 'năm trăm');
  assert.equal(numberVi(2000), 'hai nghìn');
  assert.equal(numberVi(2021), 'hai nghìn không trăm hai mươi mốt');
  assert.equal(numberVi(10000), 'mười nghìn');
  assert.equal(numberVi(1776), 'một nghìn bảy trăm bảy mươi sáu');
  assert.equal(numberVi(1000005), 'một triệu không trăm linh năm');
});

test('document numbers are said as their kind, number and issuer, never as letters', () => {
  assert.equal(speakable('theo 2341/QĐ-UBND', 'vi'), 'theo quyết định số 2341 của Ủy ban nhân dân');
  assert.equal(speakable('(1195/QĐ-UBND)', 'vi'), '(quyết định số 1195 của Ủy ban nhân dân)');
  assert.equal(speakable('Tờ trình 85/TTr-UBND', 'vi'), 'tờ trình số 85 của Ủy ban nhân dân');
  assert.equal(speakable('12/2023/NQ-HĐND', 'vi'), 'nghị quyết số 12 năm 2023 của Hội đồng nhân dân');
  assert.equal(speakable('Công văn 123/UBND-KT', 'vi'), 'công văn số 123 của Ủy ban nhân dân');
  // A document followed by its authority does not name the issuer twice.
  assert.equal(
    speakable('Quyết định 2341/QĐ-UBND ngày 12/10/2023 của UBND tỉnh Kiên Giang', 'vi'),
    'quyết định số 2341 ngày 12 tháng 10 năm 2023 của Ủy ban nhân dân tỉnh Kiên Giang',
  );
  assert.equal(speakable('(2341/QĐ-UBND)', 'en'), "(Decision number 2341 of the People's Committee)");
  assert.equal(speakable('Submission 85/TTr-UBND', 'en'), "Submission number 85 of the People's Committee");
  assert.equal(speakable('Resolution 12/2023/NQ-HĐND', 'en'), "Resolution number 12 of 2023 of the People's Council");
  for (const out of [speakable('2341/QĐ-UBND, 85/TTr-UBND', 'vi'), speakable('2341/QĐ-UBND', 'en')]) assert.doesNotMatch(out, /QĐ|UBND|TTr|\//);
});

test('land-use codes by name: dropped after their own name, said by name alone', () => {
  assert.equal(speakable('100% chuyển sang đất công trình giao thông (DGT)', 'vi', CODES_VI), '100 phần trăm chuyển sang đất công trình giao thông');
  assert.equal(speakable('giữ ODT 60,5%', 'vi', CODES_VI), 'giữ đất ở tại đô thị sáu mươi phẩy năm phần trăm');
  assert.equal(speakable('DGT', 'vi', CODES_VI), 'đất công trình giao thông');
  assert.equal(speakable('100% becomes transport (DGT)', 'en', CODES_EN), '100 per cent becomes transport');
  assert.equal(speakable('keeps ODT', 'en', CODES_EN), 'keeps urban residential');
  // A code inside a word or an unknown code is left alone.
  assert.equal(speakable('Ô phố B82, CODT', 'vi', CODES_VI), 'Ô phố B82, CODT');
});

test('scales, dates, year ranges', () => {
  assert.equal(speakable('Quy hoạch phân khu tỷ lệ 1/2000', 'vi'), 'Quy hoạch phân khu tỷ lệ một phần hai nghìn');
  assert.equal(speakable('bản đồ 1/500', 'vi'), 'bản đồ tỷ lệ một phần năm trăm');
  assert.equal(speakable('Zoning plan 1:2000', 'en'), 'Zoning plan scale 1 to 2000');
  assert.equal(speakable('ngày 2023-10-12', 'vi'), 'ngày 12 tháng 10 năm 2023');
  assert.equal(speakable('ngày 05/03/2025', 'vi'), 'ngày 5 tháng 3 năm 2025');
  assert.equal(speakable('2023-10-12', 'en'), '12 October 2023');
  assert.equal(speakable('thời kỳ 2021–2030', 'vi'), 'thời kỳ 2021 đến 2030');
  assert.equal(speakable('period 2021–2030', 'en'), 'period 2021 to 2030');
});

test('numbers and units: decimal commas as words, thousands dots out, m² and m as words', () => {
  assert.equal(speakable('60,5%', 'vi'), 'sáu mươi phẩy năm phần trăm');
  assert.equal(speakable('0,05 ha', 'vi'), 'không phẩy không năm héc-ta');
  assert.equal(speakable('1.776 m²', 'vi'), '1776 mét vuông');
  assert.equal(speakable('1.776,25 m²', 'vi'), 'một nghìn bảy trăm bảy mươi sáu phẩy hai mươi lăm mét vuông');
  assert.equal(speakable('lộ giới 20 m', 'vi'), 'lộ giới 20 mét');
  assert.equal(speakable('1,776 m² (60.5%)', 'en'), '1776 square metres (60.5 per cent)');
  for (const s of ['60,5%', '36,3 m²', '1.776 m²']) assert.doesNotMatch(speakable(s, 'vi'), /\d\s?[.,]\s?\d|m²|%/);
});

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

test('a report under two plans that disagree, read in Vietnamese: whole words, each plan, the draft last', () => {
  setLangForTests('vi');
  const text = reportSpeech(twoPlans());
  assert.match(text, /quyết định số 2341/);
  assert.match(text, /quyết định số 1195/);
  assert.match(text, /tờ trình số 85/);
  assert.match(text, /đất công trình giao thông/);
  assert.match(text, /tỷ lệ một phần hai nghìn/);
  assert.match(text, /ngày 12 tháng 10 năm 2023/);
  assert.match(text, /sáu mươi phẩy năm phần trăm/);
  assert.doesNotMatch(text, /QĐ|UBND|TTr|\bDGT\b|\bODT\b|m²|%|\d[.,]\d|undefined|null|NaN/);
  assert.ok(text.indexOf('Dự thảo chưa có giá trị pháp lý') > text.indexOf('quyết định số 1195'), 'the draft is read after the binding plans');
  assert.doesNotMatch(text, /Quyết định số 85|quyết định số 85/, 'a submission is never called a decision');
});

test('the same report read in English', () => {
  setLangForTests('en');
  const text = reportSpeech(twoPlans());
  assert.match(text, /Decision number 2341/);
  assert.match(text, /Submission number 85/);
  assert.match(text, /transport/);
  assert.match(text, /Kiên Giang Provincial People's Committee/);
  assert.doesNotMatch(text, /QĐ|UBND|TTr|\bDGT\b|m²|%|undefined|null|NaN/);
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

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
