// Screenshots of the trainer's guide (docs/trainer-guide.md) from a running server:
//   node tests/doc-images-learn.mjs http://127.0.0.1:8080
// Writes docs/img/learn-*.png: the lesson list and a step on a phone, a trainer's board with
// three trainees, and the leaflet.
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, REPO } from './harness.mjs';

const base = process.argv[2] || 'http://127.0.0.1:8080';
const OUT = path.join(REPO, 'docs/img');
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
const phone = { viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1, locale: 'vi-VN' };
const skipTour = () => localStorage.setItem('qh.tour.seen', '1');

// The lesson list and a step of find-parcel on a phone.
{
  const ctx = await browser.newContext(phone);
  await ctx.addInitScript(skipTour);
  const page = await ctx.newPage();
  await page.goto(`${base}/#/learn`);
  await page.locator('#learn-list').waitFor();
  await page.waitForTimeout(800);
  await page.screenshot({ path: path.join(OUT, 'learn-01-list-phone.png') });
  await page.locator('a[data-lesson="find-parcel"]').first().click();
  await page.locator('#learn-step-title').waitFor();
  await page.locator('#learn-next').click().catch(() => {});
  await page.waitForTimeout(1200);
  await page.screenshot({ path: path.join(OUT, 'learn-02-step-phone.png') });
  await ctx.close();
}

// A workshop: the trainer starts it, three trainees join and work, the board.
{
  const res = await fetch(`${base}/api/v1/workshops`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Tập huấn xã Vĩnh Thanh' }) });
  const ws = await res.json();
  const lessons = (await (await fetch(`${base}/api/v1/lessons`)).json()).lessons;
  const fp = lessons.find((l) => l.id === 'find-parcel');
  const names = ['Lan', 'Minh', 'Hùng'];
  for (const [i, name] of names.entries()) {
    const p = await (await fetch(`${base}/api/v1/workshops/${ws.code}/participants`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) })).json();
    const put = (step, event) => fetch(`${base}/api/v1/workshops/${ws.code}/participants/${p.id}/progress`, { method: 'PUT', headers: { 'content-type': 'application/json', 'x-participant-key': p.key }, body: JSON.stringify({ lesson: 'find-parcel', step, event }) });
    for (const s of fp.steps.slice(0, i + 1)) {
      await put(s.id, 'enter');
      if (s !== fp.steps[i]) await put(s.id, 'done');
    }
    if (i === 2) for (let k = 0; k < 3; k++) await put(fp.steps[i].id, 'wrong');
  }
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 700 }, locale: 'vi-VN' });
  await ctx.addInitScript((w) => {
    localStorage.setItem('qh.tour.seen', '1');
    localStorage.setItem('qh.workshop.trainer', JSON.stringify({ [w.code]: { key: w.trainer_key, expires_at: w.expires_at, title: 'Tập huấn xã Vĩnh Thanh', join_url: w.join_url } }));
  }, ws);
  const page = await ctx.newPage();
  await page.goto(`${base}/#/trainer/${ws.code}`);
  await page.waitForTimeout(3000);
  await page.screenshot({ path: path.join(OUT, 'learn-03-trainer-board.png') });
  await ctx.close();
}

// The leaflet.
{
  const ctx = await browser.newContext({ viewport: { width: 800, height: 1130 }, locale: 'vi-VN' });
  const page = await ctx.newPage();
  await page.goto(`${base}/learn/leaflet.html`);
  await page.screenshot({ path: path.join(OUT, 'learn-04-leaflet.png') });
  await ctx.close();
}
await browser.close();
console.log('docs/img/learn-0{1,2,3,4}*.png');
