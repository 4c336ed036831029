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
import os from 'node:os';
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
const PLAY = (process.env.E2E_LEARN_LESSONS || 'find-parcel,affected,coordinates').split(',');
for (const id of PLAY) {
  assert.ok(byId[id], `the server has the lesson ${id}`);
  assert.notEqual(byId[id].available, false, `${id} is available on the demo store (${byId[id].reason || ''})`);
}
const kinds = new Set(PLAY.flatMap((id) => byId[id].steps.map((s) => s.kind)));
console.log(`playing ${PLAY.join(', ')}: ${PLAY.map((id) => byId[id].steps.length).join('+')} steps, kinds ${[...kinds].join(', ')}`);

// ---------------------------------------------------------------- answers worked out here
const codes = (await json('/api/v1/landuse-codes')).codes;
const plans = (await json('/api/v1/plans')).plans;
const BINDING = ['in_force', 'adjusted'];
const fold = (s) => String(s).normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/gi, 'd').toLowerCase();
const parcelFeatures = async (tg) => (await json(`/api/v1/parcels/${tg.commune}/${tg.sheet}/${tg.parcel}`)).features.sort((a, b) => a.id - b.id);
async function parcelReport(tg) {
  const fs2 = await parcelFeatures(tg);
  const f = fs2[(tg.n || 1) - 1];
  return (await api('/api/v1/report', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ layer: f.layer || 'parcels', id: f.id }) })).body;
}
const mainZone = (pr) => [...pr.zones].sort((a, b) => b.overlap_pct - a.overlap_pct)[0];

/**
 * The answer to an answer step, from what the step shows (its text, target and options) and
 * the public API: what a careful trainee would work out with the map and the report.
 */
async function solve(lesson, s, previous) {
  const text = fold(s.html.replace(/<[^>]+>/g, ' '));
  const tg = s.target || previous?.target;
  const opt = (pred) => {
    const o = (s.options || []).find((x) => pred(fold(x.label), x));
    assert.ok(o, `${lesson.id}/${s.id}: an option for “${s.title}” among ${JSON.stringify(s.options)}`);
    return { option: o.id };
  };
  if (s.kind === 'choose') {
    if (/bac|north/.test(text) && /\bx\b/.test(text) && (s.options || []).some((o) => /^x\b|\bx\b/i.test(o.label))) return opt((l) => /\bx\b/.test(l));
    if (tg?.kind === 'parcel') {
      const r = await parcelReport(tg);
      const binding = r.plans.filter((p) => p.binding ?? BINDING.includes(p.plan.status));
      if (/anh huong|affected/.test(text)) return opt((l) => (r.affected ? /^(co|yes)\b/.test(l) : /^(khong|no)\b/.test(l)));
      const names = binding.map((p) => fold(p.plan.name));
      if ((s.options || []).some((o) => names.includes(fold(o.label)))) {
        const code = fold(text).match(/\b([a-z]{3})\b/g) || [];
        const hit = binding.find((p) => p.zones.some((z) => code.includes(fold(z.landuse))));
        return opt((l) => l === fold((hit || binding[0]).plan.name));
      }
      const main = mainZone(binding[0]);
      return opt((l) => l.includes(fold(main.landuse)));
    }
    if (tg?.kind === 'plan') {
      const p = plans.find((x) => x.id === tg.id);
      return opt((l) => l.includes(fold(p.status === 'draft' ? 'du thao' : p.status)) || l.includes(p.status));
    }
  }
  if (s.kind === 'text' && tg?.kind === 'parcel') {
    const r = await parcelReport(tg);
    const binding = r.plans.filter((p) => p.binding ?? BINDING.includes(p.plan.status));
    return { text: mainZone(binding[0]).landuse };
  }
  if (s.kind === 'number' && tg?.kind === 'parcel') {
    const r = await parcelReport(tg);
    const road = r.plans.reduce((a, p) => a + (p.redlines || []).reduce((b, x) => b + (x.road_area_m2 ?? x.area_m2 ?? 0), 0), 0);
    return { value: Math.round(road * 10) / 10 };
  }
  if (s.kind === 'number' && tg?.kind === 'coordinates') return { value: tg.meridian };
  if (s.kind === 'text' && tg?.kind === 'zone') {
    const z = await json(`/ogc/collections/${tg.layer}/items/${tg.fid}`);
    return { text: z.properties.landuse };
  }
  throw new Error(`${lesson.id}/${s.id}: no way to work out “${s.title}” (${s.kind}, target ${JSON.stringify(tg)})`);
}

// ---------------------------------------------------------------- the phone
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'vi-VN' });
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
  // The certificate gives sheet and number, the commune and the address (which tells
  // parcels sharing a number apart): the search box, then the matching suggestion.
  const feats = await parcelFeatures(tg);
  const f = feats[(n || 1) - 1];
  const hits = (await json(`/api/v1/search?q=${encodeURIComponent(`${tg.sheet}/${tg.parcel}`)}&limit=8`)).hits;
  const hit = hits.find((h) => h.kind === 'parcel' && h.parcel?.[0] === tg.commune && (feats.length < 2 || h.detail === f.properties.address));
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
  const cb = page.locator(`#panel-body input[type=checkbox][data-groups]`).filter({ has: page.locator('xpath=.') });
  const ids = await page.$$eval('#panel-body input[type=checkbox][data-groups]', (els, layer) => els.filter((e) => e.dataset.groups.split(',').includes(layer)).map((e) => e.id), tg.layer);
  assert.ok(ids.length, `a checkbox for the layer ${tg.layer}`);
  void cb;
  // The runner points at it (outline and a "Here" label).
  await page.waitForFunction((id) => document.getElementById(id)?.classList.contains('learn-target'), ids[0], { timeout: T });
  await page.locator(`label[for="${ids[0]}"]`).tap();
}
async function drawSite(tg) {
  await page.evaluate(({ lon, lat }) => window.quyhoach.mapView.map.jumpTo({ center: [lon, lat], zoom: 19 }), tg);
  await page.locator('#btn-tools').tap();
  await page.locator('#tool-draw').tap();
  const c = await page.evaluate(({ lon, lat }) => {
    const p = window.quyhoach.mapView.map.project([lon, lat]);
    const r = window.quyhoach.mapView.map.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, tg);
  const d = 22;
  for (const [dx, dy] of [[-d, -d], [d, -d], [d, d], [-d, d]]) {
    await page.touchscreen.tap(c.x + dx, c.y + dy);
    await page.waitForTimeout(120);
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
      const answer = await solve(lesson, s, lesson.steps[i - 1]);
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

await step(`phone: ${PLAY[0]} — whole lesson, a wrong parcel first (hint), then the right one`, async () => {
  await page.locator(`a[data-lesson="${PLAY[0]}"]`).tap();
  await atStep(byId[PLAY[0]], byId[PLAY[0]].steps[0]);
  await axe(`the runner, ${PLAY[0]} step 1`);
  await play(byId[PLAY[0]]);
});

await step(`phone: ${PLAY[1]} — whole lesson, with a reload in the middle that resumes the step`, async () => {
  await page.locator('#learn-to-list').tap();
  await page.locator(`a[data-lesson="${PLAY[1]}"]`).tap();
  const l = byId[PLAY[1]];
  await play(l, { reloadAt: Math.min(2, l.steps.length - 1) });
});

await step(`phone: ${PLAY[2]} — whole lesson, with one "Cho tôi xem"`, async () => {
  await page.locator('#learn-to-list').tap();
  await page.locator(`a[data-lesson="${PLAY[2]}"]`).tap();
  const l = byId[PLAY[2]];
  const showAt = l.steps.findIndex((s) => s.kind === 'choose');
  await play(l, { showAt: showAt >= 0 ? showAt : l.steps.findIndex((s) => s.kind !== 'read') });
});

await step('phone: wrong answers, hints, show me and a reload all happened; the list shows the three lessons done', async () => {
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

await step('phone: qh:lesson-goto opens a lesson at a step; English re-renders the runner; exit returns to the map', async () => {
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
void os;
finish();
