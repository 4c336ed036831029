// The printable pages in Debian's Chromium: every lesson's handout and the leaflet, in
// Vietnamese and English, each printed to PDF is exactly one A4 page (poppler's pdfinfo),
// axe-core finds nothing, no script is sent, the QR code is an inline SVG and the address it
// encodes (the lesson in the portal, or the portal itself) is printed on the page. The map's
// layers panel links "Mở trong QGIS" to the project of the current view.
//
//   cargo build --release --bin quyhoach && cd web && npm run build && node tests/e2e-handouts.mjs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startSite, launch, REPO, steps } from './harness.mjs';

const AXE = path.join(REPO, 'web/node_modules/axe-core/axe.min.js');
const OUT = fs.mkdtempSync(path.join(os.tmpdir(), 'quyhoach-handouts-'));
const BUDGET = 24 * 1024;

const site = await startSite({ parcels: Number(process.env.E2E_PARCELS || 3000) });
const { context, close } = await launch({ viewport: { width: 900, height: 1200 } });
const { step, finish } = steps();
const page = await context.newPage();

async function check(urlPath, qrUrl, name) {
  const url = site.api + urlPath;
  const r = await fetch(url);
  const text = await r.text();
  assert.equal(r.status, 200, `${urlPath}: ${r.status}`);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  assert.ok(text.length <= BUDGET, `${urlPath} is ${text.length} bytes (budget ${BUDGET})`);
  assert.ok(!/<script/i.test(text), `${urlPath} sends a script`);
  assert.ok(!/<img|url\(/i.test(text), `${urlPath} refers to an external image`);
  await page.goto(url);
  assert.equal(await page.locator('svg.qr').count(), 1, `${urlPath}: one QR code`);
  const label = await page.locator('svg.qr').getAttribute('aria-label');
  assert.ok(label.includes(qrUrl), `${urlPath}: the QR is labelled ${label}`);
  const body = await page.locator('body').innerText();
  assert.ok(body.includes(qrUrl), `${urlPath}: the QR's address ${qrUrl} is not printed on the page`);
  await page.addScriptTag({ path: AXE });
  const v = await page.evaluate(async () =>
    (await window.axe.run(document, { resultTypes: ['violations'] })).violations.map((x) => `${x.id} (${x.impact}, ${x.nodes.length}×: ${x.nodes[0].target.join(' ')})`),
  );
  assert.deepEqual(v, [], `axe on ${urlPath}`);
  const pdf = path.join(OUT, `${name}.pdf`);
  await page.emulateMedia({ media: 'print' });
  await page.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
  await page.emulateMedia({ media: 'screen' });
  const info = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' });
  const pages = Number(/Pages:\s+(\d+)/.exec(info)[1]);
  const size = /Page size:\s+([\d.]+) x ([\d.]+) pts/.exec(info);
  assert.equal(pages, 1, `${urlPath} prints on ${pages} pages`);
  // A4 is 595 × 842 pt.
  assert.ok(Math.abs(Number(size[1]) - 595) < 2 && Math.abs(Number(size[2]) - 842) < 2, `${urlPath}: page size ${size[0]}`);
  return text;
}

for (const lang of ['vi', 'en']) {
  const doc = await fetch(`${site.api}/api/v1/lessons?lang=${lang}`).then((r) => r.json());
  await step(`${lang}: the lessons are listed`, async () => {
    assert.ok(doc.lessons.length >= 8, `${doc.lessons.length} lessons`);
  });
  for (const l of doc.lessons) {
    await step(`${lang}: handout of ${l.id} — one A4 page, axe clean, QR of the lesson`, async () => {
      assert.equal(l.handout, `/learn/${l.id}/handout.html`);
      const text = await check(`${l.handout}?lang=${lang}`, `${site.api}/#/learn/${l.id}`, `${l.id}-${lang}`);
      assert.ok(text.includes(l.title.replace(/&/g, '&amp;').replace(/</g, '&lt;')), 'the title');
      for (const s of l.steps) {
        if (s.target?.label) assert.ok(text.includes(s.target.label.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;')), `target ${s.target.label}`);
      }
    });
  }
  await step(`${lang}: the leaflet — one A4 page, axe clean, QR of the portal, the text-only address`, async () => {
    const text = await check(`/learn/leaflet.html?lang=${lang}`, `${site.api}/`, `leaflet-${lang}`);
    assert.ok(text.includes(`${site.api}/text`), 'the text-only address');
    assert.equal((text.match(/class="card"/g) || []).length, 4, 'four steps');
    assert.ok((text.match(/<svg/g) || []).length >= 5, 'pictograms and the QR as inline SVG');
  });
}

await step('the layers panel links "Mở trong QGIS" to a project of the current view', async () => {
  const map = await context.newPage();
  await map.goto(site.url);
  // The view the link should carry is the map's: wait until there is one (the layers panel
  // can open before MapLibre has arrived).
  await map.waitForFunction(() => window.quyhoach?.mapView?.map?.loaded(), null, { timeout: 60_000 });
  await map.locator('#btn-layers').click();
  const a = map.locator('#btn-qgis');
  await a.waitFor({ timeout: 20_000 });
  assert.equal(await a.getAttribute('download'), 'quyhoach.qgs');
  assert.ok((await map.locator('#qgis-hint').innerText()).includes('QGIS'));
  const b = await map.evaluate(() => window.quyhoach.mapView.map.getBounds().toArray().flat());
  await a.focus(); // as a keyboard or pointer user reaches it: the link takes the view then
  const href = await a.evaluate((el) => el.href);
  const m = /\/qgis\/project\.qgs\?bbox=([-\d.]+),([-\d.]+),([-\d.]+),([-\d.]+)&lang=vi$/.exec(href);
  assert.ok(m, `the link carries the view ${b}: ${href}`);
  const [w, s, e, n] = m.slice(1).map(Number);
  for (const [got, want] of [[w, b[0]], [s, b[1]], [e, b[2]], [n, b[3]]]) assert.ok(Math.abs(got - want) < 1e-5, `${href} vs ${b}`);
  const r = await fetch(site.api + new URL(href).pathname + new URL(href).search);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/x-qgis-project');
  assert.ok((await r.text()).startsWith('<!DOCTYPE qgis'));
  await map.close();
});

await step('an unknown lesson is a 404 page', async () => {
  const r = await fetch(`${site.api}/learn/no-such-lesson/handout.html?lang=en`);
  assert.equal(r.status, 404);
  assert.match(await r.text(), /No such lesson/);
});

await close();
site.close();
fs.rmSync(OUT, { recursive: true, force: true });
finish();
