// End-to-end test of the answer as a citizen reads it, in Debian's Chromium on a phone
// (390×844) and a desktop, against the real server on the 3000-parcel demo: the second of two
// parcels sharing a number opens its own report (search, tap, share link, text-only link);
// a parcel under two plans that disagree shows both verdicts with their documents; drafts
// are a separate group; a drawn site's red-line rows add up to its total; read aloud says
// whole words; English names authorities and levels in English; axe-core finds nothing.
// Targets are found through the API at run time. Screenshots: target/e2e-screenshots/.
//
//   cd web && npm run build && node tests/e2e-answers.mjs
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { startSite, launch, REPO, steps } from './harness.mjs';

const SHOTS = path.join(REPO, 'target/e2e-screenshots');
fs.mkdirSync(SHOTS, { recursive: true });
const T = 30_000;
const OPTIONAL = ['/styles/planning.json', '/tiles/planning.json', '/config.json'];

const site = await startSite({ parcels: Number(process.env.E2E_PARCELS || 3000) });
console.log(`site ${site.url} (web app served by ${site.servedBy})`);
const { context, close } = await launch();
await context.addInitScript(() => localStorage.setItem('qh.tour.seen', '1'));
const consoleErrors = [];
const { step, finish } = steps();

function watch(page, name) {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location()?.url || '';
    if (m.text().startsWith('Failed to load resource') && OPTIONAL.some((o) => url.endsWith(o))) return;
    // A duplicate number answers 409 by design; the app then asks by feature id.
    if (m.text().includes('409')) return;
    if (url.endsWith('/favicon.ico')) return; // the text-only report page has none
    consoleErrors.push(`[${name}] ${m.text()} ${url}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`[${name}] page error: ${e.message}`));
  return page;
}


const api = async (p, opts) => {
  const r = await fetch(site.api + p, opts);
  return { status: r.status, body: await r.json().catch(() => null) };
};
const json = async (p) => (await api(p)).body;
const shot = (page, file) => page.screenshot({ path: path.join(SHOTS, file), fullPage: false });
const viNum = (v, d = 1) => new Intl.NumberFormat('vi-VN', { maximumFractionDigits: d }).format(v);
/** "1.776,5 m²" / "36,3 m²" / "1,04 ha (10.390 m²)" → square metres (Vietnamese number formatting). */
const parseVi = (s) => {
  const all = [...String(s).matchAll(/(\d[\d.]*(?:,\d+)?)\s?m²/g)];
  assert.ok(all.length, `no area in “${s}”`);
  return Number(all.at(-1)[1].replace(/\./g, '').replace(',', '.'));
};

// ---------------------------------------------------------------- targets, through the API
async function allParcels() {
  const out = [];
  let url = '/ogc/collections/parcels/items?limit=1000';
  while (url) {
    const page = await json(url);
    out.push(...page.features);
    const next = (page.links || []).find((l) => l.rel === 'next');
    url = next ? next.href.replace(/^https?:\/\/[^/]+/, '') : null;
  }
  return out;
}
const parcels = await allParcels();

// A duplicate number: parcels sharing commune/sheet/number, ordered by feature id (the API's n).
const groups = new Map();
for (const f of parcels) {
  const p = f.properties;
  const k = `${p.commune_code}/${p.sheet}/${p.parcel}`;
  groups.set(k, [...(groups.get(k) || []), f]);
}
// Inside the 1/2000 zoning plan (the demo's Vĩnh Thanh), where the plans overlap.
const zb = (await json('/api/v1/layers')).layers.find((l) => l.id === 'zones-qhpk-2000').bounds;
const inZoning = (f) => {
  const c = (f.geometry.type === 'MultiPolygon' ? f.geometry.coordinates[0][0] : f.geometry.coordinates[0])[0];
  return c[0] > zb[0] && c[0] < zb[2] && c[1] > zb[1] && c[1] < zb[3];
};
const dupKeys = [...groups.keys()].filter((k) => groups.get(k).length === 2 && groups.get(k).every((f) => f.properties.address));
const dupKey = dupKeys.find((k) => groups.get(k).every(inZoning)) || dupKeys[0];
assert.ok(dupKey, 'the demo has a duplicate parcel number');
const [dupFirst, dupSecond] = groups.get(dupKey).sort((a, b) => a.id - b.id);
const [, dupSheet, dupParcel] = dupKey.split('/');
const conflict = await api(`/api/v1/parcels/${dupKey}/report`);
assert.equal(conflict.status, 409, 'a duplicate number answers 409');
assert.deepEqual(conflict.body.matches.map((m) => [m.n, m.id]), [[1, dupFirst.id], [2, dupSecond.id]], 'n is the rank by feature id');
assert.notEqual(dupFirst.properties.address, dupSecond.properties.address);
console.log(`duplicate ${dupKey}: #1 ${dupFirst.id} “${dupFirst.properties.address}”, #2 ${dupSecond.id} “${dupSecond.properties.address}”`);

/** The main (largest) zone's land use of each binding plan of a report. */
const BINDING = ['in_force', 'adjusted'];
const mainUses = (r) =>
  r.plans
    .filter((pr) => pr.binding ?? BINDING.includes(pr.plan.status))
    .map((pr) => [pr.plan.id, [...pr.zones].sort((a, b) => b.overlap_pct - a.overlap_pct)[0]?.landuse]);

// A parcel under the zoning plan and the district land-use plan whose main uses differ, and
// (if the demo has one) one under the draft too.
let disagree = null;
let withDraft = null;
for (const f of parcels.filter(inZoning).slice(0, 600)) {
  const p = f.properties;
  if (groups.get(`${p.commune_code}/${p.sheet}/${p.parcel}`).length > 1) continue;
  const r = (await api(`/api/v1/parcels/${p.commune_code}/${p.sheet}/${p.parcel}/report`)).body;
  const uses = mainUses(r);
  const ids = uses.map((u) => u[0]);
  const differ = ids.includes('qhpk-2000') && ids.includes('qhsdd-2030') && new Set(uses.map((u) => u[1])).size > 1;
  const draft = r.plans.some((pr) => pr.plan.status === 'draft');
  if (differ && !disagree) disagree = { f, r };
  if (differ && draft && !withDraft) withDraft = { f, r };
  if (disagree && withDraft) break;
}
assert.ok(disagree, 'a parcel under two plans whose main uses differ');
const target = withDraft || disagree;
const tp = target.f.properties;
const targetKey = `${tp.commune_code}/${tp.sheet}/${tp.parcel}`;
console.log(`plans disagree at ${targetKey} (${mainUses(target.r).map((u) => u.join(' → ')).join(', ')}); draft there: ${!!withDraft}`);
const draftParcel = withDraft ? target : null;
if (!draftParcel) {
  // The draft may cover other parcels than those where the plans disagree.
  for (const f of parcels.filter(inZoning).slice(0, 1500)) {
    const p = f.properties;
    if (groups.get(`${p.commune_code}/${p.sheet}/${p.parcel}`).length > 1) continue;
    const r = (await api(`/api/v1/parcels/${p.commune_code}/${p.sheet}/${p.parcel}/report`)).body;
    if (r.plans.some((pr) => pr.plan.status === 'draft') && r.plans.some((pr) => BINDING.includes(pr.plan.status))) {
      target.draftKey = `${p.commune_code}/${p.sheet}/${p.parcel}`;
      break;
    }
  }
}
const draftKey = withDraft ? targetKey : target.draftKey;
assert.ok(draftKey, 'a parcel under a binding plan and a draft');

// A drawn site across a red line: a square around a vertex of a red line of the zoning plan.
let siteRing = null;
{
  const rl = await json('/ogc/collections/redlines-qhpk-2000/items?limit=40');
  for (const f of rl.features) {
    const line = f.geometry.type === 'MultiLineString' ? f.geometry.coordinates[0] : f.geometry.coordinates;
    const [x, y] = line[Math.floor(line.length / 2)];
    const d = 0.00025;
    const ring = [[x - d, y - d], [x + d * 1.3, y - d], [x + d * 1.3, y + d], [x - d, y + d]];
    const r = (await api('/api/v1/report', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'Polygon', coordinates: [[...ring, ring[0]]] }) })).body;
    if (r?.plans?.some((pr) => pr.redlines.some((x2) => x2.crosses_site))) {
      siteRing = ring;
      break;
    }
  }
}
assert.ok(siteRing, 'a drawn site crossing a red line');

/** A point inside a parcel, checked with the API (the vertex average of the demo's quadrilaterals, else a diagonal's middle). */
async function insidePoint(f) {
  const ring = (f.geometry.type === 'MultiPolygon' ? f.geometry.coordinates[0][0] : f.geometry.coordinates[0]).slice(0, -1);
  const tries = [ring.reduce((a, c) => [a[0] + c[0] / ring.length, a[1] + c[1] / ring.length], [0, 0])];
  for (let i = 0; i < ring.length; i += 1) tries.push([(ring[i][0] + ring[(i + 2) % ring.length][0]) / 2, (ring[i][1] + ring[(i + 2) % ring.length][1]) / 2]);
  for (const [lon, lat] of tries) {
    const at = await json(`/api/v1/parcels/at?lon=${lon}&lat=${lat}`);
    if (at.features?.[0]?.id === f.id) return [lon, lat];
  }
  throw new Error(`no inside point for feature ${f.id}`);
}
const secondInside = await insidePoint(dupSecond);

// ---------------------------------------------------------------- page helpers
async function mapReady(page) {
  await page.waitForFunction(() => document.body.dataset.mapReady, null, { timeout: 60_000 });
  assert.notEqual(await page.evaluate(() => document.body.dataset.mapReady), 'failed', 'the map failed to load');
}
async function reportOpen(page) {
  await page.waitForSelector('#panel:not([hidden]) #report-answer', { timeout: T });
  await page.waitForFunction(() => !document.querySelector('#panel-body .spinner'), null, { timeout: T });
}
const text = (page, sel) => page.$eval(sel, (e) => e.textContent.replace(/\s+/g, ' ').trim());
/** The address and area a person reads in the panel. */
async function readSite(page) {
  return { address: await text(page, '#panel-body .r-address'), area: await text(page, '#panel-body .r-area') };
}
function assertSecond(seen, where) {
  assert.equal(seen.address, dupSecond.properties.address, `${where}: the second parcel's address`);
  assert.ok(seen.area.startsWith(`${viNum(dupSecond.properties.area_m2)} m²`), `${where}: the second parcel's area (${seen.area})`);
  assert.notEqual(seen.address, dupFirst.properties.address, `${where}: not the first parcel`);
}

/** Speech synthesis with a Vietnamese voice (headless Chromium has none), as in e2e.mjs. */
function stubSpeech() {
  const voices = [{ lang: 'vi-VN', name: 'Test vi', voiceURI: 'test-vi', localService: true, default: true }];
  const synth = new EventTarget();
  const state = { spoken: [] };
  window.__speech = state;
  synth.getVoices = () => voices.slice();
  synth.speak = (u) => {
    state.spoken.push(u.text);
    setTimeout(() => u.onend?.({ type: 'end' }), 300);
  };
  synth.cancel = () => {};
  Object.defineProperty(window, 'speechSynthesis', { value: synth, configurable: true });
  window.SpeechSynthesisUtterance = class {
    constructor(t) {
      Object.assign(this, { text: t, lang: '', voice: null, rate: 1, onend: null, onerror: null });
    }
  };
  setTimeout(() => synth.dispatchEvent(new Event('voiceschanged')));
}

const AXE = path.join(REPO, 'web/node_modules/axe-core/axe.min.js');
async function axePanel(page, where) {
  await page.addScriptTag({ path: AXE });
  const v = await page.evaluate(async () =>
    (await window.axe.run('#panel', { resultTypes: ['violations'] })).violations.map((x) => `${x.id} (${x.impact}, ${x.nodes.length}×: ${x.nodes[0].target.join(' ')})`),
  );
  assert.deepEqual(v, [], `axe on the report panel (${where})`);
}

// ---------------------------------------------------------------- the steps, on each screen
const VIEWPORTS = [
  ['phone', { width: 390, height: 844 }],
  ['desktop', { width: 1280, height: 800 }],
];
for (const [dev, viewport] of VIEWPORTS) {
  const page = watch(await context.newPage(), dev);
  await page.setViewportSize(viewport);
  let shareUrl = null;

  await step(`${dev}: the second “Thửa ${dupParcel}, tờ ${dupSheet}” from the search opens its own report`, async () => {
    await page.goto(site.url);
    await mapReady(page);
    await page.fill('#search-input', `${dupSheet}/${dupParcel}`);
    await page.waitForFunction((addr) => [...document.querySelectorAll('#search-list li[data-i]')].some((li) => li.textContent.includes(addr)), dupSecond.properties.address, { timeout: T });
    const i = await page.$$eval('#search-list li[data-i]', (lis, addr) => lis.find((li) => li.textContent.includes(addr)).dataset.i, dupSecond.properties.address);
    await page.click(`#search-list li[data-i="${i}"]`);
    await reportOpen(page);
    await page.waitForFunction(() => /\/\d+$/.test(new URLSearchParams(location.search).get('p') || ''), null, { timeout: T });
    assertSecond(await readSite(page), 'search');
    assert.match(await text(page, '#dup-note'), /thửa thứ 2/, 'the panel says it is the 2nd of parcels sharing the number');
    assert.equal(new URLSearchParams(await page.evaluate(() => location.search)).get('p'), `${dupKey}/2`);
    await shot(page, `answers-${dev}-01-duplicate-search.png`);
  });

  await step(`${dev}: its share link (from the share dialog) and QR open the second parcel in a fresh page`, async () => {
    await page.click('#act-share');
    await page.waitForSelector('dialog[open] #share-qr svg', { timeout: T });
    shareUrl = await page.inputValue('#share-url');
    await page.click('#share-close');
    assert.match(shareUrl, new RegExp(`\\?p=${dupKey}/2(#|$)`));
    const fresh = watch(await context.newPage(), `${dev}-share`);
    await fresh.setViewportSize(viewport);
    await fresh.goto(shareUrl);
    await reportOpen(fresh);
    await fresh.waitForFunction((id) => window.quyhoach.report?.site?.id === id, dupSecond.id, { timeout: T });
    assertSecond(await readSite(fresh), 'share link');
    await shot(fresh, `answers-${dev}-02-duplicate-share-link.png`);
    // A link to the first one opens the first.
    await fresh.goto(shareUrl.replace(`${dupKey}/2`, `${dupKey}/1`));
    await fresh.waitForFunction((id) => window.quyhoach.report?.site?.id === id, dupFirst.id, { timeout: T });
    assert.equal(await text(fresh, '#panel-body .r-address'), dupFirst.properties.address);
    await fresh.close();
  });

  await step(`${dev}: its text-only link carries ?n=2 and opens its text report`, async () => {
    const href = await page.getAttribute('#act-text', 'href');
    assert.match(href, new RegExp(`/api/v1/parcels/${dupKey}/report\\.html\\?n=2$`));
    const tp2 = watch(await context.newPage(), `${dev}-text`);
    await tp2.goto(new URL(href, site.url).href);
    const body = await tp2.textContent('body');
    assert.ok(body.includes(dupSecond.properties.address), 'the text report names the second parcel');
    assert.ok(!body.includes(dupFirst.properties.address), 'and not the first');
    await tp2.close();
  });

  await step(`${dev}: a tap on the second parcel opens its own report and link`, async () => {
    await page.goto(site.url);
    await mapReady(page);
    await page.evaluate((c) => window.quyhoach.mapView.map.jumpTo({ center: c, zoom: 19 }), secondInside);
    await page.waitForTimeout(500);
    const pt = await page.evaluate((ll) => {
      const m = window.quyhoach.mapView.map;
      const p = m.project(ll);
      const r = m.getContainer().getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    }, secondInside);
    await page.mouse.click(pt.x, pt.y);
    await reportOpen(page);
    await page.waitForFunction((id) => window.quyhoach.report?.site?.id === id, dupSecond.id, { timeout: T });
    await page.waitForFunction((k) => new URLSearchParams(location.search).get('p') === k, `${dupKey}/2`, { timeout: T });
    assertSecond(await readSite(page), 'tap');
    await shot(page, `answers-${dev}-03-duplicate-tap.png`);
  });

  await step(`${dev}: a parcel under two plans that disagree shows both verdicts and both documents in the answer`, async () => {
    await page.goto(`${site.url}/?p=${targetKey}`);
    await reportOpen(page);
    await page.waitForFunction((k) => window.quyhoach.report?.site && `${window.quyhoach.report.site.commune_code}/${window.quyhoach.report.site.sheet}/${window.quyhoach.report.site.parcel}` === k, targetKey, { timeout: T });
    assert.equal(await page.getAttribute('#report-answer', 'data-kind'), 'plans_disagree');
    const answer = await text(page, '#report-answer');
    assert.match(answer, /Các quy hoạch không thống nhất/);
    for (const id of ['qhpk-2000', 'qhsdd-2030']) {
      const pr = target.r.plans.find((x) => x.plan.id === id);
      assert.ok(answer.includes(pr.plan.name), `the answer names ${pr.plan.name}`);
      assert.ok(answer.includes(pr.plan.decision.number), `the answer cites ${pr.plan.decision.number}`);
    }
    assert.equal(await page.$$eval('#report-answer .verdicts li', (l) => l.length), target.r.plans.filter((pr) => pr.binding ?? BINDING.includes(pr.plan.status)).length, 'one verdict per binding plan');
    // One section per plan, each with its level, legal role, document and verdict.
    const sections = await page.$$eval('#panel-body section.plan', (ss) => ss.map((s) => ({ id: s.dataset.plan, level: s.querySelector('.p-level')?.textContent, role: s.querySelector('.p-role')?.textContent, doc: s.querySelector('.p-doc')?.textContent, verdict: s.querySelector('.p-verdict')?.textContent })));
    assert.deepEqual(sections.map((s) => s.id), target.r.plans.map((pr) => pr.plan.id));
    for (const s of sections) for (const k of ['level', 'role', 'doc', 'verdict']) assert.ok(s[k] && s[k].trim().length > 3, `${s.id}: ${k} shown`);
    assert.match(sections.find((s) => s.id === 'qhpk-2000').level, /Quy hoạch phân khu tỷ lệ 1\/2000/);
    assert.match(sections.find((s) => s.id === 'qhpk-2000').doc, /^Quyết định 2341\/QĐ-UBND ngày \d\d\/\d\d\/\d{4} của UBND tỉnh/);
    await shot(page, `answers-${dev}-04-plans-disagree.png`);
    await axePanel(page, `${dev}, plans disagree`);
  });

  await step(`${dev}: drafts are a separate group after the binding plans; a Tờ trình is never called a Quyết định`, async () => {
    await page.goto(`${site.url}/?p=${draftKey}`);
    await reportOpen(page);
    await page.waitForSelector('#panel-body .plan-group.drafts', { timeout: T });
    assert.equal(await text(page, '.plan-group.drafts .group-head'), 'Dự thảo lấy ý kiến — chưa có giá trị pháp lý');
    const order = await page.$$eval('#panel-body .plans > .plan-group', (gs) => gs.map((g) => [g.classList.contains('drafts') ? 'drafts' : g.classList.contains('binding') ? 'binding' : 'other', [...g.querySelectorAll('section.plan')].map((s) => s.dataset.binding)]));
    assert.equal(order[0][0], 'binding', 'binding plans come first');
    assert.ok(order[0][1].every((b) => b === 'true'));
    const drafts = order.find((g) => g[0] === 'drafts');
    assert.ok(drafts[1].length >= 1 && drafts[1].every((b) => b === 'false'), 'the draft group holds only non-binding plans');
    assert.equal(await page.$$eval('.plan-group.binding section.plan.draft', (s) => s.length), 0, 'no draft among the binding plans');
    const doc = await text(page, '.plan-group.drafts .p-doc');
    assert.match(doc, /^Tờ trình 85\/TTr-UBND/);
    assert.doesNotMatch(await text(page, '#panel-body'), /Quyết định \d+\/TTr/);
    await page.$eval('.plan-group.drafts', (e) => e.scrollIntoView());
    await shot(page, `answers-${dev}-05-draft-group.png`);
  });

  await step(`${dev}: a drawn site across a red line — each plan's red-line rows add up to its total`, async () => {
    const ring = siteRing.map(([x, y]) => `${x.toFixed(7)},${y.toFixed(7)}`).join(';');
    await page.goto(`${site.url}/#site=${ring}`);
    await reportOpen(page);
    await page.waitForFunction(() => window.quyhoach.report?.site && window.quyhoach.report.site.kind !== 'parcel', null, { timeout: T });
    assert.equal(await page.getAttribute('#report-answer', 'data-kind'), 'site');
    const tables = await page.$$eval('#panel-body table.redlines', (ts) => ts.map((t) => ({ rows: [...t.querySelectorAll('tbody td.rl-area')].map((td) => td.textContent), total: t.querySelector('tfoot td.rl-total').textContent })));
    assert.ok(tables.length >= 1, 'a red-line table');
    let crossing = 0;
    for (const tb of tables) {
      const rows = tb.rows.map(parseVi);
      const total = parseVi(tb.total);
      const sum = rows.reduce((a, b) => a + b, 0);
      // Each row is rounded to 0.1 m² for display.
      assert.ok(Math.abs(sum - total) <= 0.05 * rows.length + 0.05, `red-line rows ${rows.join(' + ')} = ${sum} add up to the total ${total}`);
      if (total > 0) crossing += 1;
    }
    assert.ok(crossing >= 1, 'the site has area inside a red line');
    // Vietnamese numbers: decimal comma, no decimal point.
    assert.doesNotMatch(tables.map((x) => x.total).join(' '), /\d\.\d{1,2}\s?m²/);
    await page.$eval('#panel-body table.redlines', (e) => e.scrollIntoView());
    await shot(page, `answers-${dev}-06-site-redlines.png`);
  });

  await step(`${dev}: without a Vietnamese voice the read-aloud button says why (no silent hiding)`, async () => {
    await page.goto(`${site.url}/?p=${targetKey}`);
    await reportOpen(page);
    assert.equal(await page.$('#act-read'), null);
    assert.equal(await page.getAttribute('#act-read-off', 'disabled'), '');
    assert.match(await text(page, '#read-novoice'), /Máy của bạn chưa có giọng đọc tiếng Việt/);
  });

  await step(`${dev}: English shows English level and authority names; Vietnamese names are marked`, async () => {
    try {
      await english(page, dev);
    } finally {
      // The language is remembered for the next pages: back to Vietnamese.
      if ((await page.getAttribute('html', 'lang')) === 'en') await page.click('#btn-lang');
    }
  });

  await page.close();
}

async function english(page, dev) {
    await page.click('#btn-lang');
    await page.waitForFunction(() => document.documentElement.lang === 'en' && document.querySelector('#report-answer .verdict')?.textContent === 'The plans disagree', null, { timeout: T });
    const levels = await page.$$eval('#panel-body .p-level', (l) => l.map((x) => x.textContent));
    assert.ok(levels.some((l) => /^Zoning plan.* 1:2000$/.test(l)), levels.join(' | '));
    assert.ok(levels.some((l) => /land-use plan/i.test(l)), levels.join(' | '));
    const docs = await page.$$eval('#panel-body .p-doc', (l) => l.map((x) => x.textContent));
    assert.ok(docs.some((d) => d.includes("Kiên Giang Provincial People's Committee")), docs.join(' | '));
    assert.ok(docs.every((d) => !/UBND (tỉnh|huyện)/.test(d)), 'no Vietnamese authority left in English');
    const marked = await page.$$eval('#panel-body section.plan h4 [lang="vi"]', (l) => l.length);
    assert.ok(marked >= 2, 'plan names without an English form are marked lang="vi"');
    assert.match(await text(page, '#panel-body section.plan h4'), /\(Vietnamese name\)/);
    assert.match(await text(page, '#read-novoice'), /no English voice/);
    await shot(page, `answers-${dev}-07-english.png`);
    await axePanel(page, `${dev}, English`);
}

await step('read aloud: whole words — land-use names, “quyết định số”, no “QĐ-UBND”, no “60 . 5”', async () => {
  const sp = watch(await context.newPage(), 'speech');
  await sp.addInitScript(stubSpeech);
  await sp.goto(`${site.url}/?p=${targetKey}`);
  await reportOpen(sp);
  await sp.waitForSelector('#act-read', { timeout: T });
  await sp.click('#act-read');
  await sp.waitForFunction(() => window.__speech.spoken.length > 0, null, { timeout: T });
  const said = await sp.evaluate(() => window.__speech.spoken[0]);
  console.log(`     read aloud: ${said.slice(0, 400)}…`);
  // DGT's name in the code table is "Đất công trình giao thông".
  assert.match(said, /đất (công trình )?giao thông/);
  assert.match(said, /quyết định số (một|hai|ba|bốn|năm|sáu|bảy|tám|chín)/i);
  assert.doesNotMatch(said, /QĐ-UBND|\bDGT\b|\bODT\b|m²|%|\d|undefined|null|NaN/);
  assert.match(said, /tỷ lệ một phần hai nghìn/);
  assert.match(said, /ngày [^,.]+ tháng [^,.]+ năm hai nghìn/);
  await sp.close();
});

await step('no console errors', async () => {
  assert.deepEqual(consoleErrors, []);
});

await close();
site.close();
finish();
