// End-to-end test of the lessons (#/learn, learn.js) as a trainee plays them, in Debian's
// Chromium on a phone (390×844, touch) against the real server on a 3,000-parcel demo: the
// "Học" button, the list, then three whole lessons step by step the way a person does it —
// typing in the real search box and tapping a result, ticking a layer in the layer panel,
// typing a certificate's VN-2000 corner, drawing a site on the map, choosing options and
// typing codes and numbers. What to do is read from the step (its target in
// GET /api/v1/lessons, what the public API says about it), never from the answer; each
// answer is worked out here from the public API. On the way: a wrong action and a wrong
// answer get the hint, one "Cho tôi xem" performs the answer in the app, a reload in the
// middle resumes the same step, the qh:lesson-progress events are what a workshop needs,
// the language switch re-renders the runner, and axe finds nothing on the list or the runner.
// Then one desktop pass of the list and a step. Screenshots: target/e2e-screenshots/learn-*.
//
//   cd web && npm run build && node tests/e2e-learn.mjs
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startSite, REPO, steps, CHROMIUM, CHROMIUM_ARGS } from './harness.mjs';
import { PROVINCES } from '../src/provinces.js';

const SHOTS = path.join(REPO, 'target/e2e-screenshots');
fs.mkdirSync(SHOTS, { recursive: true });
const T = 20_000;
const AXE = fs.readFileSync(path.join(REPO, 'web/node_modules/axe-core/axe.min.js'), 'utf8');
const OPTIONAL = ['/styles/planning.json', '/tiles/planning.json', '/config.json'];
const t0 = Date.now();

const site = await startSite({ parcels: Number(process.env.E2E_PARCELS || 3000) });
console.log(`site ${site.url} (web app served by ${site.servedBy})`);
const { step, finish } = steps();
const consoleErrors = [];

const api = async (p, opts) => {
  const r = await fetch(site.api + p, opts);
  return { status: r.status, body: await r.json().catch(() => null) };
};
const json = async (p) => {
  const r = await api(p);
  assert.equal(r.status, 200, `GET ${p}`);
  return r.body;
};
const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, `learn-${name}.png`) });

// ---------------------------------------------------------------- the lessons, through the API
const doc = await json('/api/v1/lessons?lang=vi');
const byId = Object.fromEntries(doc.lessons.map((l) => [l.id, l]));
const PLAY = (process.env.E2E_LEARN_LESSONS || 'find-parcel,read-map,coordinates,zoning-site').split(',');
for (const id of PLAY) {
  assert.ok(byId[id], `the server has the lesson ${id}`);
  assert.notEqual(byId[id].available, false, `${id} is available on the demo store (${byId[id].reason || ''})`);
}
const kinds = new Set(PLAY.flatMap((id) => byId[id].steps.map((s) => s.kind)));
console.log(`playing ${PLAY.join(', ')}: ${PLAY.map((id) => byId[id].steps.length).join('+')} steps, kinds ${[...kinds].join(', ')}`);

// ---------------------------------------------------------------- answers worked out here
// Each answer step of the built-in lessons, worked out from its target and the public API the
// way a trainee reads it off the map, the layer panel or the report — never from the lesson's
// own answer (POST …/show is used once, as the trainee's "Cho tôi xem").
const plans = (await json('/api/v1/plans')).plans;
const layers = (await json('/api/v1/layers')).layers;
const fold = (s) => String(s).normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/gi, 'd').toLowerCase().trim();
const code3 = (s) => String(s || '').trim().slice(0, 3).toUpperCase();
const parcelFeatures = async (tg) => (await json(`/api/v1/parcels/${tg.commune}/${tg.sheet}/${tg.parcel}`)).features.sort((a, b) => a.id - b.id);
const nth = async (tg) => (await parcelFeatures(tg))[(tg.n || 1) - 1];
async function parcelReport(tg) {
  const f = await nth(tg);
  const r = await api('/api/v1/report', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ layer: f.layer || 'parcels', id: f.id }) });
  assert.equal(r.status, 200, 'the parcel report');
  return r.body;
}
const zoneOf = async (tg) => (await json(`/ogc/collections/${tg.layer}/items/${tg.fid}`)).properties;
const planOfLayer = (layer) => plans.find((p) => p.id === layers.find((l) => l.id === layer)?.plan);
/** The plans' names in the app's own words (the layer panel shows these). */
const STATUS_VI = { in_force: 'Còn hiệu lực', adjusted: 'Đã điều chỉnh', expired: 'Hết hiệu lực', draft: 'Dự thảo' };
const LEVEL_VI = { general_urban: 'chung', zoning_2000: 'phân khu', detailed_500: 'chi tiết', district_land_use: 'sử dụng đất' };
const num = (label) => Number(String(label).replace(/[^\d,.-]/g, '').replace(',', '.'));

function option(s, pred, what) {
  const o = (s.options || []).find((x) => pred(fold(x.label), x.label));
  assert.ok(o, `${s.id}: an option for ${what} among ${JSON.stringify((s.options || []).map((x) => x.label))}`);
  return { option: o.id };
}
const SOLVE = {
  'find-parcel/current': async (s) => ({ text: code3((await nth(s.target)).properties.landuse) }),
  'read-map/status': async (s) => {
    const p = plans.find((x) => x.id === s.target.id);
    return option(s, (l) => l.startsWith(fold(STATUS_VI[p.status])), `the status ${p.status}`);
  },
  'read-map/zone-code': async (s) => ({ text: code3((await zoneOf(s.target)).landuse) }),
  'read-map/level': async (s) => {
    const p = planOfLayer(s.target.layer);
    return option(s, (l) => l.includes(fold(LEVEL_VI[p.level] || p.level)), `the level ${p.level}`);
  },
  'coordinates/northing': async (s) => option(s, (l) => /^x\b/.test(l), 'X'),
  'coordinates/meridian': async (s) => {
    // The step names the store's province in its text; its meridian is in the app's table.
    const text = s.html.replace(/<[^>]+>/g, ' ');
    const m = PROVINCES.find(([slug, name]) => name === s.target?.province || text.includes(name))?.[2];
    assert.ok(m, `a province named in “${text}”`);
    return option(s, (_, raw) => Math.abs(num(raw) - m) < 1e-6, `${m}°`);
  },
  'affected/affected': async (s) => {
    const r = await parcelReport(s.target);
    return option(s, (l) => (r.affected ? /^(co|yes)\b/.test(l) : /^(khong|not)\b/.test(l)), `affected = ${r.affected}`);
  },
  'affected/road': async (s) => {
    const r = await parcelReport(s.target);
    const perPlan = r.plans.filter((p) => p.binding).map((p) => p.redlines.reduce((a, x) => a + x.area_in_road_m2, 0));
    return { value: Math.round(Math.max(0, ...perPlan) * 10) / 10 };
  },
  'affected/planned': async (s) => {
    const r = await parcelReport(s.target);
    const p = r.plans.find((x) => x.binding);
    const by = new Map();
    for (const z of p.zones.filter((z) => !z.sliver)) by.set(code3(z.landuse), (by.get(code3(z.landuse)) || 0) + z.overlap_pct);
    return { text: [...by].sort((a, b) => b[1] - a[1])[0][0] };
  },
  'zoning-site/floors': async (s) => ({ value: Number((await zoneOf(s.target)).floors_max) }),
  'zoning-site/far': async (s) => ({ value: Number((await zoneOf(s.target)).far) }),
};
async function solve(lesson, s) {
  const f = SOLVE[`${lesson.id}/${s.id}`];
  if (!f) throw new Error(`${lesson.id}/${s.id}: this test does not know how to work out “${s.title}” (${s.kind})`);
  return f(s);
}

// ---------------------------------------------------------------- the phone
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1, locale: 'vi-VN' });
await phone.addInitScript(() => {
  localStorage.setItem('qh.tour.seen', '1');
  // Every qh:lesson-progress event, kept across reloads.
  window.addEventListener('qh:lesson-progress', (e) => {
    const all = JSON.parse(sessionStorage.getItem('learn-events') || '[]');
    all.push(e.detail);
    sessionStorage.setItem('learn-events', JSON.stringify(all));
  });
});
const page = await phone.newPage();
page.on('console', (m) => {
  if (m.type() !== 'error') return;
  const url = m.location()?.url || '';
  if (m.text().startsWith('Failed to load resource') && OPTIONAL.some((o) => url.endsWith(o))) return;
  if (m.text().includes('409')) return; // a duplicate number answers 409 by design
  consoleErrors.push(`${m.text()} ${url}`);
});
page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
const events = () => page.evaluate(() => JSON.parse(sessionStorage.getItem('learn-events') || '[]'));

async function axe(where, selector = '#learn') {
  await page.evaluate(AXE);
  const v = await page.evaluate(async (sel) => (await window.axe.run(sel, { resultTypes: ['violations'] })).violations.map((x) => `${x.id} (${x.impact}, ${x.nodes.length}×: ${x.nodes[0].target.join(' ')})`), selector);
  assert.deepEqual(v, [], `axe on ${where}`);
}
const stepTitle = () => page.locator('#learn-step-title').innerText();
async function atStep(lesson, s) {
  await page.waitForFunction(([title, i, n]) => document.querySelector('#learn-step-title')?.textContent === title && document.querySelector('#learn-progress')?.textContent.includes(`${i}/${n}`), [s.title, lesson.steps.indexOf(s) + 1, lesson.steps.length], { timeout: T });
}
async function expectDone(s) {
  await page.locator('#learn-done').waitFor({ state: 'visible', timeout: T });
  assert.match(await page.locator('#learn-done').innerText(), /✓|👁/, `${s.id}: finished`);
}
async function expectHint(s, answerText) {
  await page.waitForFunction(() => document.querySelector('#learn-hint.wrong')?.textContent.trim().length > 3, null, { timeout: T });
  const hint = await page.locator('#learn-hint').innerText();
  assert.equal(await page.locator('#learn-hint').getAttribute('aria-live'), 'polite');
  assert.ok(await page.locator('#learn-done').isHidden(), `${s.id}: not finished by a wrong answer`);
  if (answerText) assert.ok(!fold(hint).includes(fold(answerText)), `${s.id}: the hint “${hint}” does not give the answer ${answerText}`);
  return hint;
}
async function next(lesson, s) {
  await page.locator('#learn-next').tap();
  const i = lesson.steps.indexOf(s);
  if (i + 1 < lesson.steps.length) await atStep(lesson, lesson.steps[i + 1]);
}

// What a person does in the app for each kind of action step.
async function typeSearch(q) {
  const input = page.locator('#search-input');
  await input.tap();
  await input.fill('');
  await input.pressSequentially(q, { delay: 15 });
}
async function openParcelBySearch(tg, n) {
  // The certificate gives sheet and number, the commune, the address and the area (which
  // tell parcels sharing a number apart): the search box, then the matching suggestion —
  // each of such parcels has a suggestion of its own that reads differently.
  const feats = await parcelFeatures(tg);
  const f = feats[(n || 1) - 1];
  const hits = (await json(`/api/v1/search?q=${encodeURIComponent(`${tg.sheet}/${tg.parcel}`)}&limit=8`)).hits;
  const twins = hits.filter((h) => h.kind === 'parcel' && h.parcel?.[0] === tg.commune);
  assert.equal(new Set(twins.map((h) => `${h.label}|${h.detail}`)).size, twins.length, `suggestions that read the same: ${JSON.stringify(twins)}`);
  const hit = twins.find((h) => feats.length < 2 || h.id === f.id);
  assert.ok(hit, `a suggestion for ${tg.sheet}/${tg.parcel} in ${tg.commune}`);
  await typeSearch(`${tg.sheet}/${tg.parcel}`);
  const li = page.locator('#search-list li[data-i]').filter({ hasText: hit.label }).filter({ hasText: hit.detail || hit.label });
  await li.first().waitFor({ timeout: T });
  await li.first().tap();
}
async function openParcelByCorner(tg) {
  const slug = PROVINCES.find(([s, name]) => s === tg.province || name === tg.province || s === tg.province_slug)?.[0];
  assert.ok(slug, `a province for ${tg.province}`);
  const x = Number(tg.x_northing).toFixed(2);
  const y = Number(tg.y_easting).toFixed(2);
  await typeSearch(`${x} ${y}`);
  await page.locator('#province-select').waitFor({ state: 'visible', timeout: T });
  await page.locator('#province-select').selectOption(slug);
  const li = page.locator('#search-list li[data-i="0"]');
  await li.waitFor({ timeout: T });
  await li.tap();
}
async function toggleLayer(tg) {
  if (!(await page.locator('#panel[data-view="layers"]').isVisible())) await page.locator('#btn-layers').tap();
  const ids = await page.$$eval('#panel-body input[type=checkbox][data-groups]', (els, layer) => els.filter((e) => e.dataset.groups.split(',').includes(layer)).map((e) => e.id), tg.layer);
  assert.ok(ids.length, `a checkbox for the layer ${tg.layer}`);
  // The runner points at it (outline and a "Here" label).
  await page.waitForFunction((id) => document.getElementById(id)?.classList.contains('learn-target'), ids[0], { timeout: T });
  await page.locator(`label[for="${ids[0]}"]`).tap();
  // Already ticked when the step began (the map shows it by default): the tap took it off,
  // the runner says so; ticking it again is what the step asks.
  await page.waitForFunction(() => !document.querySelector('#learn-done').hidden || document.querySelector('#learn-hint.wrong'), null, { timeout: T });
  if (await page.locator('#learn-done').isHidden()) await page.locator(`label[for="${ids[0]}"]`).tap();
}
async function drawSite(tg) {
  await page.locator('#btn-tools').tap();
  await page.locator('#tool-draw').tap();
  // Drawing folds the runner to its title; the map left free is between it and the sheet.
  await page.waitForFunction(() => document.getElementById('learn').classList.contains('collapsed'), null, { timeout: T });
  const free = await page.evaluate(() => ({ top: document.querySelector('#learn .learn-card').getBoundingClientRect().bottom, bottom: document.getElementById('panel').getBoundingClientRect().top }));
  assert.ok(free.bottom - free.top > 120, `room to draw on the map (${JSON.stringify(free)})`);
  const c = { x: 195, y: Math.round((free.top + free.bottom) / 2) };
  // The trainee drags the zone the runner outlined into that room (here: one camera move).
  await page.evaluate(({ lon, lat, x, y }) => {
    const map = window.quyhoach.mapView.map;
    map.jumpTo({ center: [lon, lat], zoom: 18 });
    const r = map.getCanvas().getBoundingClientRect();
    const p = map.project([lon, lat]);
    map.panBy([p.x + r.left - x, p.y + r.top - y], { duration: 0 });
  }, { lon: tg.lon, lat: tg.lat, ...c });
  const d = 25; // ~50 px at zoom 18: a site of about 30 × 30 m
  for (const [dx, dy] of [[-d, -d], [d, -d], [d, d], [-d, d]]) {
    await page.touchscreen.tap(c.x + dx, c.y + dy);
    await page.waitForTimeout(150);
  }
  await page.locator('#tool-finish').tap();
}

let reloadDone = false;
let showDone = false;
let wrongAnswerDone = false;
let wrongActionDone = false;

async function play(lesson, { reloadAt = -1, showAt = -1 } = {}) {
  for (const [i, s] of lesson.steps.entries()) {
    await atStep(lesson, s);
    const ts = Date.now();
    if (i > 0 && process.env.E2E_VERBOSE) console.log(`     ${lesson.steps[i - 1].id} took until ${ts - t0} ms`);
    const kind = s.kind;
    const shownControl = s.control && (await page.locator('.learn-target').count()) > 0;
    if (i === reloadAt) {
      await page.reload();
      await page.waitForSelector('body[data-map-ready]', { timeout: 60_000 });
      await atStep(lesson, s);
      assert.match(page.url(), new RegExp(`#/learn/${lesson.id}/${s.id}$`), 'the link names the step');
      reloadDone = true;
    }
    if (i === showAt && kind !== 'read') {
      await page.locator('#learn-show').tap();
      await expectDone(s);
      assert.match(await page.locator('#learn-done').innerText(), /Đây là cách làm/);
      if (kind === 'choose') assert.equal(await page.locator('input[name="learn-option"]:checked').count(), 1, 'show me chose the option');
      if (kind === 'number') assert.notEqual(await page.locator('#learn-number').inputValue(), '', 'show me typed the number');
      if (kind === 'text') assert.notEqual(await page.locator('#learn-text').inputValue(), '', 'show me typed the code');
      if (kind === 'open_parcel') await page.waitForFunction(() => window.quyhoach.report && window.quyhoach.selection.length === 1, null, { timeout: T });
      if (kind === 'site') await page.waitForFunction(() => window.quyhoach.report && window.quyhoach.site, null, { timeout: T });
      showDone = true;
      await next(lesson, s);
      continue;
    }
    if (kind === 'read') {
      await next(lesson, s);
      continue;
    }
    if (['open_parcel', 'toggle_layer', 'site'].includes(kind)) assert.ok(shownControl || !s.control, `${s.id}: the control ${s.control} is outlined`);
    const tg = s.target;
    if (tg?.kind === 'zone' && kind !== 'site') {
      // "The map points at a zone": it is on screen, not under the card or the sheet.
      await page.waitForFunction(() => !window.quyhoach.mapView.map.isMoving(), null, { timeout: T });
      await page.waitForTimeout(350);
      const seen = await page.evaluate(({ lon, lat }) => {
        const map = window.quyhoach.mapView.map;
        const r = map.getCanvas().getBoundingClientRect();
        const p = map.project([lon, lat]);
        const y = r.top + p.y;
        const card = document.querySelector('#learn .learn-card').getBoundingClientRect();
        const panel = document.getElementById('panel');
        const bottom = panel.hidden ? r.bottom : panel.getBoundingClientRect().top;
        return { y, top: card.bottom, bottom, x: r.left + p.x };
      }, tg);
      assert.ok(seen.y > seen.top && seen.y < seen.bottom && seen.x > 0 && seen.x < 390, `${s.id}: the zone is in the free part of the map (${JSON.stringify(seen)})`);
    }
    if (kind === 'open_parcel' && tg?.kind === 'parcel') {
      if (tg.n && !wrongActionDone) {
        // The other parcel of that number first: the wrong one.
        await openParcelBySearch(tg, tg.n === 1 ? 2 : 1);
        await expectHint(s);
        wrongActionDone = true;
      }
      await openParcelBySearch(tg, tg.n);
    } else if (kind === 'open_parcel' && tg?.kind === 'coordinates') await openParcelByCorner(tg);
    else if (kind === 'toggle_layer') await toggleLayer(tg);
    else if (kind === 'site') await drawSite(tg);
    else if (['choose', 'text', 'number'].includes(kind)) {
      const answer = await solve(lesson, s);
      if (!wrongAnswerDone && kind !== 'choose') {
        const wrong = kind === 'number' ? '987654' : 'XYZ';
        await page.locator(kind === 'number' ? '#learn-number' : '#learn-text').fill(wrong);
        await page.locator('#learn-check').tap();
        await expectHint(s, kind === 'number' ? null : answer.text);
        wrongAnswerDone = true;
      }
      if (kind === 'choose') await page.locator(`input[name="learn-option"][value="${answer.option}"]`).check();
      else if (kind === 'text') await page.locator('#learn-text').fill(answer.text);
      else await page.locator('#learn-number').fill(new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 3 }).format(answer.value));
      await page.locator('#learn-check').tap();
    } else throw new Error(`${lesson.id}/${s.id}: this test does not play a ${kind} step with target ${JSON.stringify(tg)}`);
    await expectDone(s);
    if (i === 1) await shot(page, `${lesson.id}-${s.id}`);
    // Nothing scrolled the page itself: the top bar is where it was.
    assert.equal(await page.evaluate(() => document.querySelector('.topbar').getBoundingClientRect().top), 0, `${s.id}: the top bar is in place`);
    await next(lesson, s);
  }
  // The last "Tiếp" finished the lesson.
  await page.waitForFunction(() => /học xong/.test(document.querySelector('#learn')?.textContent || ''), null, { timeout: T });
  assert.ok((await page.locator('#learn').innerText()).includes(lesson.title));
}

await page.goto(`${site.url}/`);
await page.waitForSelector('body[data-map-ready]', { timeout: 60_000 });

await step('phone: the Học button opens the list: titles, minutes, progress, handouts, the workshop link; axe clean', async () => {
  await page.locator('#btn-learn').tap();
  await page.locator('#learn-list a[data-lesson]').first().waitFor({ timeout: T });
  assert.equal(await page.locator('#learn-list a[data-lesson]').count(), doc.lessons.length);
  const text = await page.locator('#learn').innerText();
  for (const l of doc.lessons) assert.ok(text.includes(l.title), `the list names ${l.title}`);
  assert.ok(text.includes(`${byId['find-parcel'].minutes} phút`));
  assert.ok(text.includes(`${byId['find-parcel'].steps.length} bước`));
  assert.equal(await page.locator('#learn a[href^="#/workshop"]').innerText(), 'Tổ chức buổi học cho lớp');
  const handout = await page.locator('#learn-list a[href*="handout"]').first().getAttribute('href');
  assert.match(handout, /\/learn\/[\w-]+\/handout\.html/);
  await shot(page, 'phone-list');
  await axe('the lesson list (phone)');
});

// Lesson 1: a wrong parcel (the other of a shared number) and a wrong code first; lesson 2:
// a reload in the middle; lesson 3: one "Cho tôi xem"; the rest played straight.
for (const [k, id] of PLAY.entries()) {
  const l = byId[id];
  const what = ['a wrong parcel and a wrong code first, each with its hint', 'a reload in the middle resumes the step', 'one “Cho tôi xem”', 'straight through'][Math.min(k, 3)];
  await step(`phone: ${id} — the whole lesson (${l.steps.map((s) => s.kind).join(', ')}); ${what}`, async () => {
    if (k > 0) await page.locator('#learn-to-list').tap();
    await page.locator(`a[data-lesson="${id}"]`).tap();
    await atStep(l, l.steps[0]);
    if (k === 0) await axe(`the runner, ${id} step 1`);
    const showAt = l.steps.findIndex((s) => s.kind === 'choose');
    await play(l, {
      reloadAt: k === 1 ? Math.min(2, l.steps.length - 1) : -1,
      showAt: k === 2 ? (showAt >= 0 ? showAt : l.steps.findIndex((s) => s.kind !== 'read')) : -1,
    });
  });
}

await step('phone: wrong answers, hints, show me and a reload all happened; the list shows the lessons done', async () => {
  assert.ok(wrongActionDone, 'a wrong action got its hint');
  assert.ok(wrongAnswerDone, 'a wrong typed answer got its hint');
  assert.ok(showDone, 'show me was used');
  assert.ok(reloadDone, 'a reload resumed');
  await page.locator('#learn-to-list').tap();
  for (const id of PLAY) {
    const item = page.locator('#learn-list li').filter({ has: page.locator(`a[data-lesson="${id}"]`) });
    assert.match(await item.innerText(), /Đã học xong/, `${id} shows as done`);
  }
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('qh.learn.progress')));
  for (const id of PLAY) assert.equal(Object.keys(stored.lessons[id].steps).length, byId[id].steps.length, `${id}: every step stored`);
});

await step('phone: qh:lesson-progress events — enter, wrong, done and shown, for every step', async () => {
  const ev = await events();
  for (const id of PLAY) {
    for (const s of byId[id].steps) {
      const mine = ev.filter((e) => e.lesson === id && e.step === s.id);
      assert.ok(mine.some((e) => e.event === 'enter'), `${id}/${s.id} entered`);
      assert.ok(mine.some((e) => e.event === 'done' || e.event === 'shown'), `${id}/${s.id} done or shown`);
    }
  }
  assert.ok(ev.some((e) => e.event === 'wrong'));
  assert.ok(ev.some((e) => e.event === 'shown'));
  assert.ok(ev.every((e) => ['enter', 'wrong', 'done', 'shown'].includes(e.event)));
});

await step('phone: qh:lesson-goto opens a lesson at a step; English re-renders the runner; show me opens a step\'s parcel; exit returns to the map', async () => {
  const l = byId[PLAY[1]];
  const s = l.steps[1];
  await page.evaluate(([lesson, st]) => window.dispatchEvent(new CustomEvent('qh:lesson-goto', { detail: { lesson, step: st } })), [l.id, s.id]);
  await atStep(l, s);
  await page.locator('#btn-lang').tap();
  const en = (await json('/api/v1/lessons?lang=en')).lessons.find((x) => x.id === l.id);
  await page.waitForFunction((title) => document.querySelector('#learn-step-title')?.textContent === title, en.steps[1].title, { timeout: T });
  assert.match(await page.locator('#learn-progress').innerText(), /^Step 2\//);
  await axe('the runner in English');
  await page.locator('#btn-lang').tap();
  // "Cho tôi xem" on an action step does it in the app: the step's parcel opens.
  const act = doc.lessons.filter((x) => !PLAY.includes(x.id) && x.available !== false).flatMap((x) => x.steps.map((st) => [x, st])).find(([, st]) => st.kind === 'open_parcel' && st.target?.kind === 'parcel');
  if (act) {
    const [al, as] = act;
    await page.evaluate(([lesson, st]) => window.dispatchEvent(new CustomEvent('qh:lesson-goto', { detail: { lesson, step: st } })), [al.id, as.id]);
    await atStep(al, as);
    await page.locator('#learn-show').tap();
    await expectDone(as);
    await page.waitForFunction((tg) => {
      const f = window.quyhoach.selection[0]?.properties;
      return window.quyhoach.report && f && f.commune_code === tg.commune && String(f.sheet) === tg.sheet && String(f.parcel) === tg.parcel;
    }, as.target, { timeout: T });
  }
  await page.locator('#learn-exit').tap();
  await page.waitForFunction(() => !document.getElementById('learn') || document.getElementById('learn').hidden, null, { timeout: T });
  assert.ok(!/#\/learn/.test(page.url()), 'the link is the map again');
});

await step('desktop (1280×800): the list and a step — the runner beside the panel, the control outlined', async () => {
  const desk = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'vi-VN' });
  await desk.addInitScript(() => localStorage.setItem('qh.tour.seen', '1'));
  const p = await desk.newPage();
  p.on('pageerror', (e) => consoleErrors.push(`desktop page error: ${e.message}`));
  await p.goto(`${site.url}/#/learn`);
  await p.locator('#learn-list a[data-lesson]').first().waitFor({ timeout: T });
  await p.locator(`a[data-lesson="${PLAY[0]}"]`).click();
  const l = byId[PLAY[0]];
  await p.waitForFunction((title) => document.querySelector('#learn-step-title')?.textContent === title, l.steps[0].title, { timeout: T });
  const first = l.steps.find((s) => s.control && s.kind !== 'read') || l.steps[0];
  if (first !== l.steps[0]) {
    await p.evaluate(([lesson, st]) => window.dispatchEvent(new CustomEvent('qh:lesson-goto', { detail: { lesson, step: st } })), [l.id, first.id]);
    await p.waitForFunction((title) => document.querySelector('#learn-step-title')?.textContent === title, first.title, { timeout: T });
  }
  await p.waitForTimeout(400);
  const card = await p.locator('#learn .learn-card').boundingBox();
  assert.ok(card.x > 400, `the runner stays clear of the side panel (x ${card.x})`);
  if (first.control) assert.ok((await p.locator('.learn-target').count()) === 1, 'one control outlined');
  await p.screenshot({ path: path.join(SHOTS, 'learn-desktop-step.png') });
  await p.evaluate(AXE);
  const v = await p.evaluate(async () => (await window.axe.run('#learn', { resultTypes: ['violations'] })).violations.map((x) => x.id));
  assert.deepEqual(v, [], 'axe on the desktop runner');
  await desk.close();
});

await step('no console errors', async () => {
  assert.deepEqual(consoleErrors, []);
});

await browser.close();
site.close();
console.log(`(${((Date.now() - t0) / 1000).toFixed(1)} s)`);
finish();
