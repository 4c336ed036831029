// End-to-end test of a workshop (issue 12, "Done when"): the real server on a 3,000-parcel
// demo, a trainer on a desktop and three trainees on phones (390×844, touch), each in their
// own browser context, in Debian's Chromium. The trainer starts a workshop at #/workshop
// (code, QR, join address) and opens the board; the trainees open the join address, give a
// display name and play lesson steps in the real lesson runner (#/learn: reading steps,
// "show me", a wrong choice and its hint, a right one). The board shows each trainee's step
// live, the wrong answer as such. Then the server is killed (SIGKILL) and started again on
// the same store and database: the board shows the same progress, the trainees' keys still
// work, a reload keeps a trainee in the workshop. Finally the trainer pushes everyone to a
// step and every trainee's runner opens it; the board pauses while its tab is hidden and
// speaks English; a trainee leaves, the trainer ends the workshop and the phones notice. axe
// on the start page, the board, the join form, the badge and the runner after a push.
// Screenshots: target/e2e-screenshots/workshop-*.
//
//   cd web && npm run build && node tests/e2e-workshop.mjs
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startRestartableSite, REPO, steps, CHROMIUM, CHROMIUM_ARGS } from './harness.mjs';

const SHOTS = path.join(REPO, 'target/e2e-screenshots');
fs.mkdirSync(SHOTS, { recursive: true });
const T = 20_000;
const AXE = fs.readFileSync(path.join(REPO, 'web/node_modules/axe-core/axe.min.js'), 'utf8');
const OPTIONAL = ['/styles/planning.json', '/tiles/planning.json', '/config.json'];
const t0 = Date.now();

const site = await startRestartableSite({ parcels: Number(process.env.E2E_PARCELS || 3000), postgis: true });
console.log(`site ${site.url}, store ${site.store}`);
const { step, finish } = steps();
const consoleErrors = [];

const api = async (p, opts = {}) => {
  const r = await fetch(site.api + p, { ...opts, headers: { 'content-type': 'application/json', ...(opts.headers || {}) } });
  return { status: r.status, body: await r.json().catch(() => null) };
};
const doc = (await api('/api/v1/lessons?lang=vi')).body;
const byId = Object.fromEntries(doc.lessons.map((l) => [l.id, l]));
/** The right option of a choose step, from the server's "show me". */
async function rightOption(lesson, stepId) {
  const r = await api(`/api/v1/lessons/${lesson}/steps/${stepId}/show?lang=vi`, { method: 'POST', body: '{}' });
  assert.equal(r.status, 200, `show ${lesson}/${stepId}`);
  return r.body.answer.option;
}
// The steps played: read-map (a reading step, a layer step shown, a choose step) and
// coordinates (a reading step, two choose steps); the push goes to coordinates' last step.
const READ = byId['read-map'];
const COORD = byId.coordinates;
assert.deepEqual(READ.steps.slice(0, 3).map((s) => s.kind), ['read', 'toggle_layer', 'choose'], 'read-map starts read, toggle_layer, choose');
assert.deepEqual(COORD.steps.slice(0, 3).map((s) => s.kind), ['read', 'choose', 'choose'], 'coordinates starts read, choose, choose');
const PUSH_TO = { lesson: 'coordinates', step: COORD.steps[COORD.steps.length - 1].id };

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
function watch(page, who) {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location()?.url || '';
    if (m.text().startsWith('Failed to load resource') && OPTIONAL.some((o) => url.endsWith(o))) return;
    // While the server is down for its restart, polls fail by design.
    if (restarting && /Failed to load resource|ERR_CONNECTION_REFUSED|Failed to fetch/.test(m.text())) return;
    if (/status of 4(04|09|10)/.test(m.text()) && /workshops/.test(url)) return;
    consoleErrors.push(`${who}: ${m.text()} ${url}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${who}: page error: ${e.message}`));
}
let restarting = false;

async function axe(page, where, selector) {
  await page.evaluate(AXE);
  const v = await page.evaluate(
    async (sel) => (await window.axe.run(sel, { resultTypes: ['violations'] })).violations.map((x) => `${x.id} (${x.impact}, ${x.nodes.length}×: ${x.nodes[0].target.join(' ')})`),
    selector,
  );
  assert.deepEqual(v, [], `axe on ${where}`);
}
const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, `workshop-${name}.png`) });

// ---------------------------------------------------------------- the trainer
const trainerCtx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'vi-VN' });
await trainerCtx.addInitScript(() => localStorage.setItem('qh.tour.seen', '1'));
const trainer = await trainerCtx.newPage();
watch(trainer, 'trainer');
let code = '';
let joinUrl = '';

await step('trainer: #/workshop starts one — a big code, a QR code of the join address, the address in words; axe clean', async () => {
  await trainer.goto(`${site.url}/#/workshop`);
  await trainer.locator('#ws-start').waitFor({ timeout: 60_000 });
  await axe(trainer, 'the start page', '#workshop');
  await trainer.locator('#ws-title').fill('Tập huấn GIS – phường 1');
  await trainer.locator('#ws-start button[type=submit]').click();
  await trainer.locator('#ws-code').waitFor({ timeout: T });
  code = (await trainer.locator('#ws-code').innerText()).trim();
  assert.match(code, /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$/);
  joinUrl = await trainer.locator('#ws-join-url').getAttribute('href');
  assert.equal(joinUrl, `${site.url}/#/join/${code}`);
  assert.equal((await trainer.locator('#ws-join-url').innerText()).trim(), joinUrl, 'the address in words');
  assert.ok(await trainer.locator('#ws-qr svg path').count(), 'a QR code');
  assert.equal(await trainer.locator('#ws-qr svg').getAttribute('aria-label'), `Mã QR để vào lớp ${code}`);
  assert.match(await trainer.locator('#ws-code-spelled').innerText(), new RegExp(code.split('').join(' ')));
  // Opened at 127.0.0.1: the page warns that phones cannot reach it.
  assert.match(await trainer.locator('#workshop').innerText(), /localhost/);
  await shot(trainer, 'start');
  await axe(trainer, 'the started workshop', '#workshop');
  await trainer.locator('#ws-open-board').click();
  await trainer.waitForURL(new RegExp(`#/trainer/${code}$`));
  await trainer.locator('.ws-empty').waitFor({ timeout: T });
  await trainer.waitForFunction(() => document.querySelectorAll('#ws-push-lesson option').length > 5, null, { timeout: T });
});

// ---------------------------------------------------------------- three trainees on phones
const NAMES = ['Lan', 'Nguyễn Văn Minh', 'Hoa'];
const trainees = [];
for (const name of NAMES) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'vi-VN' });
  await ctx.addInitScript(() => localStorage.setItem('qh.tour.seen', '1'));
  const page = await ctx.newPage();
  watch(page, name);
  trainees.push({ name, ctx, page, id: 0 });
}
const [lan, minh, hoa] = trainees;

await step('trainees: the join address asks for a display name only (phone), then the lessons open with the workshop badge; axe clean', async () => {
  await Promise.all(trainees.map((tr) => tr.page.goto(joinUrl)));
  for (const [k, tr] of trainees.entries()) {
    const { page } = tr;
    await page.locator('#ws-name').waitFor({ timeout: 60_000 });
    assert.match(await page.locator('#workshop-heading').innerText(), new RegExp(code));
    assert.equal(await page.locator('#workshop input').count(), 1, 'one field: the name');
    if (k === 0) {
      // An empty name is refused in words.
      await page.locator('#ws-join-button').tap();
      assert.ok((await page.locator('#ws-join-error').innerText()).length > 3);
      await axe(page, 'the join form (phone)', '#workshop');
      await shot(page, 'join-phone');
    }
    await page.locator('#ws-name').fill(tr.name);
    await page.locator('#ws-join-button').tap();
    await page.waitForURL(/#\/learn$/, { timeout: T });
    await page.locator('#learn-list a[data-lesson]').first().waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('#workshop-badge .ws-badge-text').innerText(), `Đang ở lớp ${code} với tên ${tr.name}`);
    tr.id = (await page.evaluate(() => JSON.parse(localStorage.getItem('qh.workshop')))).id;
    assert.ok(tr.id > 0);
  }
  // A name taken is refused, from another phone.
  const r = await api(`/api/v1/workshops/${code}/participants`, { method: 'POST', body: JSON.stringify({ name: 'lan' }) });
  assert.equal(r.status, 409);
});

const row = (tr) => trainer.locator(`#ws-board tr[data-participant="${tr.id}"]`);
async function boardShows(tr, { lesson, stepId, wrong = null, stuck = null }, ms = T) {
  await trainer.waitForFunction(
    ([id, lesson, stepId, wrong, stuck]) => {
      const r = document.querySelector(`#ws-board tr[data-participant="${id}"]`);
      return r && r.dataset.lesson === lesson && r.dataset.step === stepId && (wrong === null || r.dataset.wrong === String(wrong)) && (stuck === null || r.dataset.stuck === String(stuck));
    },
    [tr.id, lesson, stepId, wrong, stuck],
    { timeout: ms },
  );
}
async function atStep(page, lesson, i) {
  const s = lesson.steps[i];
  await page.waitForFunction(([title, n]) => document.querySelector('#learn-step-title')?.textContent === title && document.querySelector('#learn-progress')?.textContent.includes(n), [s.title, `${i + 1}/${lesson.steps.length}`], { timeout: T });
}
async function openLesson(page, lesson) {
  await page.locator(`#learn-list a[data-lesson="${lesson.id}"]`).tap();
  await atStep(page, lesson, 0);
}
async function next(page) {
  await page.locator('#learn-next').tap();
}
async function choose(page, option) {
  await page.locator(`input[name="learn-option"][value="${option}"]`).check();
  await page.locator('#learn-check').tap();
}

await step('trainees work through steps with the real runner; the board shows each one\'s step live', async () => {
  // Everyone opens a lesson; the board follows without a reload.
  await openLesson(lan.page, READ);
  await openLesson(minh.page, COORD);
  await openLesson(hoa.page, READ);
  await boardShows(lan, { lesson: 'read-map', stepId: READ.steps[0].id });
  await boardShows(minh, { lesson: 'coordinates', stepId: COORD.steps[0].id });
  await boardShows(hoa, { lesson: 'read-map', stepId: READ.steps[0].id });
  // Lan: reads, then "show me" on the layer step, then on to the choose step.
  await next(lan.page);
  await atStep(lan.page, READ, 1);
  await boardShows(lan, { lesson: 'read-map', stepId: READ.steps[1].id });
  await lan.page.locator('#learn-show').tap();
  await lan.page.locator('#learn-done').waitFor({ state: 'visible', timeout: T });
  await trainer.waitForFunction((id) => /Đã xem cách làm/.test(document.querySelector(`#ws-board tr[data-participant="${id}"]`)?.textContent || ''), lan.id, { timeout: T });
  await next(lan.page);
  await atStep(lan.page, READ, 2);
  // Minh: reads, answers the first question right.
  await next(minh.page);
  await atStep(minh.page, COORD, 1);
  await choose(minh.page, await rightOption('coordinates', COORD.steps[1].id));
  await minh.page.locator('#learn-done').waitFor({ state: 'visible', timeout: T });
  await next(minh.page);
  await atStep(minh.page, COORD, 2);
  // Hoa: reads and stays on the layer step.
  await next(hoa.page);
  await atStep(hoa.page, READ, 1);
  await boardShows(lan, { lesson: 'read-map', stepId: READ.steps[2].id, wrong: 0 });
  await boardShows(minh, { lesson: 'coordinates', stepId: COORD.steps[2].id });
  await boardShows(hoa, { lesson: 'read-map', stepId: READ.steps[1].id });
  const text = await row(minh).innerText();
  assert.ok(text.includes('Nguyễn Văn Minh') && text.includes(COORD.title) && text.includes(`Bước 3/${COORD.steps.length}`), text);
  assert.equal(await row(minh).locator('td').nth(4).innerText(), '2', 'Minh has finished two steps alone (the reading step and his answer)');
});

await step('a wrong answer gets the hint on the phone and shows on the board; three make a trainee "stuck", in words', async () => {
  const s = READ.steps[2];
  const right = await rightOption('read-map', s.id);
  const wrongOptions = s.options.map((o) => o.id).filter((o) => o !== right);
  await choose(lan.page, wrongOptions[0]);
  await lan.page.waitForFunction(() => document.querySelector('#learn-hint.wrong')?.textContent.trim().length > 3, null, { timeout: T });
  await boardShows(lan, { lesson: 'read-map', stepId: s.id, wrong: 1, stuck: false });
  assert.equal((await row(lan).locator('td.ws-wrong').innerText()).trim(), '1');
  for (let k = 1; k < 3; k++) {
    await choose(lan.page, wrongOptions[k % wrongOptions.length]);
    await boardShows(lan, { lesson: 'read-map', stepId: s.id, wrong: k + 1 });
  }
  await boardShows(lan, { lesson: 'read-map', stepId: s.id, wrong: 3, stuck: true });
  assert.match(await row(lan).innerText(), /Đang vướng/);
  assert.match(await trainer.locator('#ws-summary').innerText(), /3 học viên · 1 đang vướng/);
  await shot(trainer, 'board');
  await axe(trainer, 'the board', '#workshop');
});

await step('the server is killed and started again on the same store and database: no progress lost, keys still work', async () => {
  const before = await api(`/api/v1/workshops/${code}/board`, { headers: { 'x-trainer-key': await trainer.evaluate((c) => JSON.parse(localStorage.getItem('qh.workshop.trainer'))[c].key, code) } });
  assert.equal(before.status, 200);
  restarting = true;
  await site.restart({ signal: 'SIGKILL' });
  restarting = false;
  const key = await trainer.evaluate((c) => JSON.parse(localStorage.getItem('qh.workshop.trainer'))[c].key, code);
  const after = await api(`/api/v1/workshops/${code}/board`, { headers: { 'x-trainer-key': key } });
  assert.equal(after.status, 200, JSON.stringify(after.body));
  const strip = (b) => b.participants.map(({ seconds_on_step, last_seen, ...p }) => p);
  assert.deepEqual(strip(after.body), strip(before.body), 'the board after the restart');
  // The open board resumes by itself.
  await trainer.waitForFunction(() => /Cập nhật lúc/.test(document.querySelector('#ws-updated')?.textContent || ''), null, { timeout: T });
  await boardShows(lan, { lesson: 'read-map', stepId: READ.steps[2].id, wrong: 3, stuck: true });
  // Lan answers right now, with the key she got before the restart: no longer stuck.
  await choose(lan.page, await rightOption('read-map', READ.steps[2].id));
  await lan.page.locator('#learn-done').waitFor({ state: 'visible', timeout: T });
  await boardShows(lan, { lesson: 'read-map', stepId: READ.steps[2].id, stuck: false });
  await trainer.waitForFunction((id) => /Xong bước/.test(document.querySelector(`#ws-board tr[data-participant="${id}"]`)?.textContent || ''), lan.id, { timeout: T });
  // Hoa reloads her phone: still in the workshop, on the same step.
  await hoa.page.reload();
  await atStep(hoa.page, READ, 1);
  await hoa.page.locator('#workshop-badge').waitFor({ timeout: T });
  await boardShows(hoa, { lesson: 'read-map', stepId: READ.steps[1].id });
});

await step('the trainer pushes everyone to a step: every trainee\'s runner opens it, the board follows', async () => {
  await trainer.locator('#ws-push-lesson').selectOption(PUSH_TO.lesson);
  await trainer.locator('#ws-push-step').selectOption(PUSH_TO.step);
  await trainer.locator('#ws-push-button').click();
  await trainer.waitForFunction(() => /Đã gửi/.test(document.querySelector('#ws-push-status')?.textContent || ''), null, { timeout: T });
  const i = COORD.steps.findIndex((s) => s.id === PUSH_TO.step);
  await Promise.all(trainees.map((tr) => atStep(tr.page, COORD, i)));
  for (const tr of trainees) {
    assert.match(tr.page.url(), new RegExp(`#/learn/coordinates/${PUSH_TO.step}$`));
    await boardShows(tr, { lesson: 'coordinates', stepId: PUSH_TO.step });
  }
  await shot(hoa.page, 'pushed-phone');
  await axe(hoa.page, 'the workshop badge (phone)', '#workshop-badge');
  await axe(hoa.page, 'the runner after a push (phone)', '#learn');
  // The same push is not followed twice: going back to the list stays there.
  await minh.page.locator('#learn-exit').tap();
  await minh.page.waitForTimeout(5000);
  assert.ok(!/#\/learn\/coordinates/.test(minh.page.url()), minh.page.url());
});

await step('the board pauses while its tab is hidden and catches up when shown; it speaks English too', async () => {
  let polls = 0;
  const count = (req) => {
    if (req.url().endsWith(`/api/v1/workshops/${code}/board`)) polls += 1;
  };
  trainer.on('request', count);
  const setHidden = (hidden) =>
    trainer.evaluate((h) => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
  await setHidden(true);
  await trainer.waitForTimeout(2500); // a poll already on its way may still land
  polls = 0;
  await trainer.waitForTimeout(5000);
  assert.equal(polls, 0, 'no board polls while hidden');
  await setHidden(false);
  await trainer.waitForTimeout(800);
  assert.ok(polls >= 1, 'a poll at once when shown again');
  trainer.off('request', count);
  await trainer.locator('#btn-lang').click();
  await trainer.waitForFunction((c) => document.querySelector('#workshop-heading')?.textContent === `Workshop ${c} board`, code, { timeout: T });
  await trainer.waitForFunction(() => /3 trainees · 0 stuck/.test(document.querySelector('#ws-summary')?.textContent || ''), null, { timeout: T });
  assert.match(await trainer.locator('#ws-board thead').innerText(), /Trainee[\s\S]*Wrong answers/);
  await trainer.locator('#btn-lang').click();
  await trainer.waitForFunction((c) => document.querySelector('#workshop-heading')?.textContent === `Bảng theo dõi lớp ${c}`, code, { timeout: T });
});

await step('a trainee leaves and the trainer removes one (their names go); the trainer ends the workshop and a late join is told it has ended', async () => {
  await hoa.page.locator('#ws-leave').tap();
  await hoa.page.waitForFunction(() => !document.getElementById('workshop-badge') && !localStorage.getItem('qh.workshop'), null, { timeout: T });
  // Leaving deletes her name: the board drops her row.
  await trainer.waitForFunction((id) => !document.querySelector(`#ws-board tr[data-participant="${id}"]`), hoa.id, { timeout: T });
  // The trainer removes Minh from the board; his phone notices and leaves.
  trainer.once('dialog', (d) => d.accept());
  await trainer.locator(`#ws-board button[data-remove="${minh.id}"]`).click();
  await trainer.waitForFunction((id) => !document.querySelector(`#ws-board tr[data-participant="${id}"]`), minh.id, { timeout: T });
  await minh.page.waitForFunction(() => !localStorage.getItem('qh.workshop'), null, { timeout: T });
  assert.equal(await trainer.locator('#ws-board tbody tr').count(), 1);
  trainer.once('dialog', (d) => d.accept());
  await trainer.locator('#ws-end').click();
  await trainer.waitForFunction(() => /đã kết thúc/.test(document.querySelector('#workshop')?.textContent || ''), null, { timeout: T });
  // Lan's phone notices at its next poll and leaves the workshop by itself.
  await lan.page.waitForFunction(() => !localStorage.getItem('qh.workshop'), null, { timeout: T });
  await hoa.page.goto(joinUrl);
  await hoa.page.waitForFunction(() => /Không có lớp nào|đã kết thúc/.test(document.querySelector('#workshop .ws-error')?.textContent || ''), null, { timeout: T });
});

await step('no console errors', async () => {
  assert.deepEqual(consoleErrors, []);
});

await browser.close();
await site.close();
console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
finish();
