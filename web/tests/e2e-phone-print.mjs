// End-to-end: the phone's bottom sheet (tap a parcel, the parcel seen above the sheet, drag
// and keyboard snaps, the camera padding following), a tap on the whole district zooming
// in, the desktop side panel unchanged, and the one-page A4 print (scale bar, north arrow,
// corner table checked against the server's /api/v1/convert, the scale against pyproj's
// geodesic distances, one page by pdfinfo). Screenshots and the PDF go to
// target/e2e-screenshots/ — look at them.
//
//   cd web && npm run build && node tests/e2e-phone-print.mjs
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { startSite, launch, REPO, CHROMIUM, CHROMIUM_ARGS, steps } from './harness.mjs';

const SHOTS = path.join(REPO, 'target/e2e-screenshots');
fs.mkdirSync(SHOTS, { recursive: true });
const T = 20_000;
const PYTHON = process.env.QUYHOACH_PYTHON || path.join(REPO, 'target/judges-venv/bin/python');

const site = await startSite({ parcels: Number(process.env.E2E_PARCELS || 3000) });
console.log(`site ${site.url} (web app served by ${site.servedBy})`);
const { step, finish } = steps();
const errors = [];


function watch(page, name) {
  page.on('pageerror', (e) => errors.push(`[${name}] page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location()?.url || '';
    if (m.text().startsWith('Failed to load resource') && /\/(config\.json|styles\/planning\.json|tiles\/planning\.json)$/.test(url)) return;
    errors.push(`[${name}] ${m.text()} ${url}`);
  });
  return page;
}

const shot = (page, file) => page.screenshot({ path: path.join(SHOTS, file) });
const api = (p) => fetch(site.api + p).then((r) => r.json());

// ---------------------------------------------------------------- a parcel of the demo
const zones = (await api('/api/v1/layers')).layers.find((l) => l.id === 'zones-qhpk-2000');
const [zw, zs, ze, zn] = zones.bounds;
const candidates = (await api(`/ogc/collections/parcels/items?limit=300&bbox=${zw},${zs},${ze},${zn}`)).features.filter((f) => f.properties.commune_code === '31150');
let target = null;
let inside = null;
for (const f of candidates) {
  const ring = (f.geometry.type === 'Polygon' ? f.geometry.coordinates : f.geometry.coordinates[0])[0];
  const a = ring[0];
  const b = ring[Math.floor((ring.length - 1) / 2)];
  const p = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
  const at = await api(`/api/v1/parcels/at?lon=${p[0]}&lat=${p[1]}`);
  if (at.features?.[0]?.properties.parcel === f.properties.parcel && at.features[0].properties.sheet === f.properties.sheet) {
    target = f.properties;
    inside = p;
    break;
  }
}
assert.ok(target, 'a demo parcel of Vĩnh Thanh with a point surely inside it');
const targetFc = await api(`/api/v1/parcels/${target.commune_code}/${target.sheet}/${target.parcel}`);
const geom = targetFc.features[0].geometry;
/** The parcel's corners as the API gives them, without each ring's closing point. */
const corners = [];
for (const poly of geom.type === 'Polygon' ? [geom.coordinates] : geom.coordinates) for (const ring of poly) corners.push(...ring.slice(0, -1));
console.log(`target parcel ${target.commune_code}/${target.sheet}/${target.parcel}, ${corners.length} corners`);
const link = `${site.url}/?p=${target.commune_code}/${target.sheet}/${target.parcel}`;

async function mapReady(page) {
  await page.waitForFunction(() => document.body.dataset.mapReady, null, { timeout: 60_000 });
  assert.notEqual(await page.evaluate(() => document.body.dataset.mapReady), 'failed', 'the map failed to load');
}

/** Waits until the camera has stopped and the tiles are drawn. */
async function settle(page) {
  await page.waitForFunction(() => !window.quyhoach.mapView.map.isMoving(), null, { timeout: T });
  await page.evaluate(
    () =>
      new Promise((r) => {
        const m = window.quyhoach.mapView.map;
        const t = setTimeout(r, 5000);
        m.once('idle', () => {
          clearTimeout(t);
          r();
        });
        m.triggerRepaint();
      }),
  );
  await page.waitForTimeout(150);
}

/** The map, the sheet and the parcel as the page sees them (CSS pixels, map container origin). */
function geometryState(page) {
  return page.evaluate((pts) => {
    const m = window.quyhoach.mapView.map;
    const c = m.getContainer().getBoundingClientRect();
    const p = document.getElementById('panel');
    const pr = p.hidden ? null : p.getBoundingClientRect();
    return {
      zoom: m.getZoom(),
      padding: m.getPadding(),
      map: { top: c.top, bottom: c.bottom, width: c.width, height: c.height },
      sheetTop: pr ? pr.top - c.top : null,
      sheetHeight: pr ? pr.height : 0,
      snap: p.dataset.snap,
      mainHeight: document.getElementById('main').clientHeight,
      projected: pts.map((ll) => {
        const q = m.project(ll);
        return [q.x, q.y];
      }),
    };
  }, corners);
}

/** Pixels of the selection's colour (read from the style) above `maxY` CSS px, and in all. */
function selectionPixels(page, maxY) {
  return page.evaluate(async (limit) => {
    const m = window.quyhoach.mapView.map;
    const colour = m.getPaintProperty('qh-selection-line2', 'line-color');
    const probe = document.createElement('canvas').getContext('2d');
    probe.fillStyle = typeof colour === 'string' ? colour : '#000';
    probe.fillRect(0, 0, 1, 1);
    const [r0, g0, b0] = probe.getImageData(0, 0, 1, 1).data;
    const cv = m.getCanvas();
    const img = new Image();
    img.src = cv.toDataURL('image/png');
    await img.decode();
    const k = document.createElement('canvas');
    k.width = img.width;
    k.height = img.height;
    const g = k.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, k.width, k.height).data;
    const ratio = k.height / cv.clientHeight;
    const yMax = limit * ratio;
    let above = 0;
    let all = 0;
    for (let y = 0; y < k.height; y++)
      for (let x = 0; x < k.width; x++) {
        const i = (y * k.width + x) * 4;
        if (Math.abs(d[i] - r0) <= 10 && Math.abs(d[i + 1] - g0) <= 10 && Math.abs(d[i + 2] - b0) <= 10) {
          all += 1;
          if (y < yMax) above += 1;
        }
      }
    return { colour, rgb: [r0, g0, b0], above, all };
  }, maxY);
}

/** A touch drag through CDP (pointer events of type touch, as a finger makes them). */
async function touchDrag(page, from, to, { steps = 8, hold } = {}) {
  const cdp = await page.context().newCDPSession(page);
  const pt = (x, y) => [{ x, y, id: 1, radiusX: 4, radiusY: 4, force: 1 }];
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: pt(from.x, from.y) });
  for (let i = 1; i <= steps; i++) {
    const x = from.x + ((to.x - from.x) * i) / steps;
    const y = from.y + ((to.y - from.y) * i) / steps;
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: pt(x, y) });
    await page.waitForTimeout(16);
  }
  if (hold) await hold();
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

async function handleCentre(page) {
  const b = await page.locator('#sheet-handle').boundingBox();
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

/** The sheet settled at `snap`: its height that share of #main, the camera padded by it. */
async function expectSnap(page, snap, share) {
  await page.waitForFunction((s) => document.getElementById('panel').dataset.snap === s, snap, { timeout: T });
  await page.waitForTimeout(450); // the height transition
  await settle(page);
  const st = await geometryState(page);
  assert.ok(Math.abs(st.sheetHeight - st.mainHeight * share) <= 3, `${snap}: sheet ${st.sheetHeight.toFixed(1)} px, want ${(st.mainHeight * share).toFixed(1)}`);
  assert.ok(Math.abs(st.padding.bottom - st.sheetHeight) <= 2, `${snap}: camera padding ${st.padding.bottom} follows the sheet (${st.sheetHeight.toFixed(1)})`);
  return st;
}

// ---------------------------------------------------------------- phone
const phoneDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quyhoach-phone-'));
const phone = await chromium.launchPersistentContext(phoneDir, {
  executablePath: CHROMIUM,
  headless: true,
  args: CHROMIUM_ARGS,
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  locale: 'vi-VN',
});
const m = watch(await phone.newPage(), 'phone');
await m.addInitScript(() => localStorage.setItem('qh.tour.seen', '1'));

await step('phone: tap a parcel → report in the half sheet, the parcel and its highlight above the sheet', async () => {
  await m.goto(`${site.url}/#map=18.3/${inside[1]}/${inside[0]}`);
  await mapReady(m);
  await settle(m);
  const before = await selectionPixels(m, 10_000);
  assert.equal(before.all, 0, `no selection colour before the tap (${before.all} px of ${before.colour})`);
  const p = await m.evaluate((ll) => {
    const map = window.quyhoach.mapView.map;
    const q = map.project(ll);
    const r = map.getContainer().getBoundingClientRect();
    return { x: r.left + q.x, y: r.top + q.y };
  }, inside);
  await m.touchscreen.tap(p.x, p.y);
  await m.waitForSelector('#panel:not([hidden]) #report-answer', { timeout: T });
  assert.equal(await m.evaluate(() => window.quyhoach.report.site.parcel), target.parcel);
  const st = await expectSnap(m, 'half', 0.55);
  for (const [x, y] of st.projected) {
    assert.ok(y > 0 && y < st.sheetTop, `corner at y ${y.toFixed(1)} lies above the sheet's top ${st.sheetTop.toFixed(1)}`);
    assert.ok(x > 0 && x < st.map.width, `corner at x ${x.toFixed(1)} lies on screen`);
  }
  const px = await selectionPixels(m, st.sheetTop);
  assert.ok(px.above > 30, `selection colour ${px.colour} found above the sheet (${px.above} px)`);
  assert.equal(await m.getAttribute('#sheet-handle', 'aria-label'), 'Chiều cao bảng thông tin: nửa màn hình. Kéo, nhấn, hoặc dùng phím mũi tên lên/xuống để đổi');
  await shot(m, 'phone-sheet-1-half.png');
});

await step('phone: drag the handle half → peek (touch) and → full (mouse); the padding follows', async () => {
  const h = await handleCentre(m);
  const st0 = await geometryState(m);
  let mid = null;
  await touchDrag(m, h, { x: h.x, y: h.y + st0.mainHeight * 0.2 }, {
    hold: async () => {
      await m.waitForTimeout(60);
      mid = await geometryState(m);
    },
  });
  assert.ok(mid.sheetHeight < st0.sheetHeight - 50, `the sheet follows the finger (${st0.sheetHeight} → ${mid.sheetHeight})`);
  assert.ok(Math.abs(mid.padding.bottom - mid.sheetHeight) <= 2, `mid-drag padding ${mid.padding.bottom} vs sheet ${mid.sheetHeight}`);
  const peek = await expectSnap(m, 'peek', 0.25);
  for (const [, y] of peek.projected) assert.ok(y < peek.sheetTop, 'the parcel stays above the peeking sheet');
  await shot(m, 'phone-sheet-2-peek.png');
  const h2 = await handleCentre(m);
  await m.mouse.move(h2.x, h2.y);
  await m.mouse.down();
  for (let i = 1; i <= 10; i++) await m.mouse.move(h2.x, h2.y - (peek.mainHeight * 0.7 * i) / 10);
  await m.mouse.up();
  const full = await expectSnap(m, 'full', 0.92);
  assert.ok(full.sheetHeight > peek.sheetHeight + 300, 'the full sheet is taller');
  await shot(m, 'phone-sheet-3-full.png');
});

await step('phone: keyboard and taps on the handle change the snap, and the last snap is remembered', async () => {
  await m.focus('#sheet-handle');
  await m.keyboard.press('ArrowDown');
  await expectSnap(m, 'half', 0.55);
  await m.keyboard.press('Home');
  await expectSnap(m, 'peek', 0.25);
  assert.match(await m.getAttribute('#sheet-handle', 'aria-label'), /thu nhỏ/);
  await m.keyboard.press('Enter'); // a press: up to the next snap
  await expectSnap(m, 'half', 0.55);
  await m.keyboard.press('ArrowUp');
  await expectSnap(m, 'full', 0.92);
  await m.keyboard.press('ArrowDown');
  await expectSnap(m, 'half', 0.55);
  await m.keyboard.press('ArrowDown');
  await expectSnap(m, 'peek', 0.25);
  // The handle's name follows the language; the sheet does not animate for reduced motion.
  await m.click('#btn-lang');
  assert.equal(await m.getAttribute('#sheet-handle', 'aria-label'), 'Panel height: small. Drag, tap, or use the up/down arrow keys to change it');
  await m.click('#btn-lang');
  assert.match(await m.getAttribute('#sheet-handle', 'aria-label'), /^Chiều cao bảng thông tin: thu nhỏ/);
  assert.notEqual(await m.evaluate(() => getComputedStyle(document.getElementById('panel')).transitionDuration), '0s', 'the sheet animates by default');
  await m.emulateMedia({ reducedMotion: 'reduce' });
  assert.equal(await m.evaluate(() => getComputedStyle(document.getElementById('panel')).transitionDuration), '0s', 'no animation for reduced motion');
  await m.emulateMedia({ reducedMotion: 'no-preference' });
  const again = watch(await phone.newPage(), 'phone-2');
  await again.goto(link);
  await mapReady(again);
  await again.waitForSelector('#panel:not([hidden]) #report-answer', { timeout: T });
  await expectSnap(again, 'peek', 0.25);
  const st = await geometryState(again);
  for (const [, y] of st.projected) assert.ok(y < st.sheetTop, 'the linked parcel is framed above the sheet');
  await shot(again, 'phone-sheet-4-link-peek.png');
  await again.close();
});

await step('phone: the sheet moving leaves the map where it is when the parcel stays seen, and does not bring back a parcel panned away from', async () => {
  // The sheet is at peek (last step), the report open, the parcel above it.
  const before = await geometryState(m);
  // The full sheet of the last step did not leave the map zoomed out to fit a sliver.
  assert.ok(before.zoom > 16, `after the full sheet and back, the parcel's zoom is kept (${before.zoom.toFixed(2)})`);
  await m.focus('#sheet-handle');
  await m.keyboard.press('ArrowUp');
  const half = await expectSnap(m, 'half', 0.55);
  const moved = Math.max(...half.projected.map(([x, y], i) => Math.hypot(x - before.projected[i][0], y - before.projected[i][1])));
  console.log(`     the parcel ${half.projected.every(([, y]) => y < half.sheetTop) ? 'stayed seen' : 'was covered'} at half; moved ${moved.toFixed(1)} px`);
  if (half.projected.every(([, y]) => y < half.sheetTop)) assert.ok(moved < 2, `the parcel, seen whole above both sheets, stayed where it was (moved ${moved.toFixed(1)} px)`);
  else for (const [, y] of half.projected) assert.ok(y < half.sheetTop, 'a parcel the sheet covered is brought above it');
  // The person pans far away (1 km east) and moves the sheet: the map stays where they are.
  const away = await m.evaluate(() => {
    const map = window.quyhoach.mapView.map;
    const c = map.getCenter();
    map.jumpTo({ center: [c.lng + 0.01, c.lat] });
    return map.unproject([195, 100]).toArray();
  });
  await m.keyboard.press('ArrowDown');
  await expectSnap(m, 'peek', 0.25);
  const st = await geometryState(m);
  assert.ok(st.projected.every(([x]) => x < 0), `the parcel panned away from is not brought back (${st.projected.map(([x]) => x.toFixed(0))}, zoom ${st.zoom}, snap ${st.snap})`);
  const still = await m.evaluate((ll) => {
    const q = window.quyhoach.mapView.map.project(ll);
    return [q.x, q.y];
  }, away);
  assert.ok(Math.hypot(still[0] - 195, still[1] - 100) < 2, `the map did not slide under the sheet's change (${still.map((v) => v.toFixed(1))})`);
});

await step('phone: a tap on the whole district zooms in around the tap and opens no report', async () => {
  await m.click('#panel-close');
  await m.evaluate((c) => {
    window.quyhoach.report = null;
    window.quyhoach.mapView.map.jumpTo({ center: c, zoom: 12.5 });
  }, inside);
  await settle(m);
  const pick = await m.evaluate(() => window.quyhoach.mapView.pickZoom());
  assert.ok(pick > 12.5, `parcels are drawn from zoom ${pick}`);
  const p = await m.evaluate((ll) => {
    const map = window.quyhoach.mapView.map;
    const q = map.project(ll);
    const r = map.getContainer().getBoundingClientRect();
    return { x: r.left + q.x, y: r.top + q.y };
  }, [inside[0] + 0.004, inside[1] + 0.003]);
  await m.touchscreen.tap(p.x, p.y);
  await m.waitForFunction(() => document.getElementById('toast').textContent === 'Phóng to để chọn thửa', null, { timeout: T });
  await settle(m);
  await m.waitForTimeout(800);
  const st = await m.evaluate(() => ({ zoom: window.quyhoach.mapView.map.getZoom(), report: window.quyhoach.report, panel: document.getElementById('panel').hidden, c: window.quyhoach.mapView.map.getCenter().toArray() }));
  assert.ok(st.zoom >= pick, `zoomed in to ${st.zoom}`);
  assert.equal(st.report, null, 'no report');
  assert.equal(st.panel, true, 'no panel');
  const dx = Math.abs(st.c[0] - (inside[0] + 0.004)) * 111_320;
  const dy = Math.abs(st.c[1] - (inside[1] + 0.003)) * 110_574;
  assert.ok(dx < 60 && dy < 60, `centred on the tap (${dx.toFixed(1)} m, ${dy.toFixed(1)} m off)`);
  await shot(m, 'phone-sheet-5-zoomed-in.png');
});
await phone.close();
fs.rmSync(phoneDir, { recursive: true, force: true });

// ---------------------------------------------------------------- desktop and print
const { context, close } = await launch({ viewport: { width: 1280, height: 800 } });
const d = watch(await context.newPage(), 'desktop');
await d.addInitScript(() => localStorage.setItem('qh.tour.seen', '1'));

await step('desktop: the side panel is unchanged (no handle, no camera padding); a far-out click zooms in', async () => {
  await d.goto(link);
  await mapReady(d);
  await d.waitForSelector('#panel:not([hidden]) #report-answer', { timeout: T });
  await settle(d);
  const st = await d.evaluate(() => {
    const p = document.getElementById('panel').getBoundingClientRect();
    return { left: p.left, width: p.width, handle: getComputedStyle(document.getElementById('sheet-handle')).display, pad: window.quyhoach.mapView.map.getPadding() };
  });
  assert.equal(st.handle, 'none');
  assert.ok(Math.abs(st.width - 400) < 1 && st.left < 20, `side panel ${st.width} px at ${st.left}`);
  assert.deepEqual(st.pad, { top: 0, bottom: 0, left: 0, right: 0 });
  await shot(d, 'desktop-side-panel.png');
  // A click on the district view zooms in (the report stays as it was).
  const before = await d.evaluate(() => window.quyhoach.report.site.parcel);
  await d.evaluate((c) => window.quyhoach.mapView.map.jumpTo({ center: c, zoom: 12 }), inside);
  await settle(d);
  const box = await d.locator('#map canvas').boundingBox();
  await d.mouse.click(box.x + box.width * 0.7, box.y + box.height * 0.5);
  await d.waitForFunction(() => window.quyhoach.mapView.map.getZoom() > 14.9, null, { timeout: T });
  assert.equal(await d.evaluate(() => window.quyhoach.report.site.parcel), before);
});

/** Prints the current report: a stubbed print(), then the print media, a PDF and checks. */
async function printAndCheck(page, name) {
  await page.evaluate(() => {
    window.__printed = false;
    window.print = () => (window.__printed = true);
  });
  await page.click('#act-print');
  await page.waitForFunction(() => window.__printed, null, { timeout: 30_000 });
  await page.emulateMedia({ media: 'print' });
  try {
    // The DOM first: printing (page.pdf) fires afterprint, which retires the sheet.
    const dom = await page.evaluate(() => {
      const s = document.getElementById('print-sheet');
      const mm = (px) => (px * 25.4) / 96;
      const box = s.querySelector('.ps-mapbox')?.getBoundingClientRect();
      const scale = s.querySelector('.ps-scale');
      const north = s.querySelector('.ps-north');
      return {
        visible: getComputedStyle(s).display !== 'none',
        label: s.querySelector('.ps-scale-m')?.textContent.trim(),
        barMm: mm(s.querySelector('.ps-scale-bar')?.getBoundingClientRect().width || 0),
        mPerMm: Number(s.querySelector('.ps-mapbox')?.dataset.mPerMm),
        north: north ? { w: north.getBoundingClientRect().width, label: north.getAttribute('aria-label') } : null,
        scaleInMap: scale && box ? scale.getBoundingClientRect().bottom <= box.bottom + 0.5 : false,
        rows: [...s.querySelectorAll('table.ps-coords tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent.trim())),
        cut: s.querySelector('#ps-coords-cut')?.textContent || null,
        vertices: [...s.querySelectorAll('.ps-vertex[data-n]')].map((v) => {
          const r = v.getBoundingClientRect();
          return { n: Number(v.dataset.n), x: mm(r.left + r.width / 2), y: mm(r.top + r.height / 2), label: v.textContent.trim() };
        }),
        answer: s.querySelector('#ps-answer')?.textContent.trim(),
        qr: !!s.querySelector('.ps-qr svg'),
        text: s.textContent,
      };
    });
    const pdfPath = path.join(SHOTS, `${name}.pdf`);
    await page.pdf({ path: pdfPath, format: 'A4', printBackground: true, preferCSSPageSize: true });
    const info = execFileSync('pdfinfo', [pdfPath]).toString();
    const pages = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1]);
    assert.equal(pages, 1, `${name}: one A4 page (${pages})`);
    assert.match(info, /Page size:\s+59[45]\.\d+ x 841\.\d+ pts \(A4\)/, 'A4 portrait');
    execFileSync('pdftoppm', ['-r', '110', '-png', '-singlefile', pdfPath, path.join(SHOTS, name)]);
    return dom;
  } finally {
    await page.emulateMedia({ media: 'screen' });
  }
}

/** Geodesic distance (m) on the WGS 84 ellipsoid by pyproj, the judge of the printed scale. */
function geodesic(a, b) {
  if (!fs.existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run scripts/setup-judges.sh`);
  const out = execFileSync(PYTHON, ['-c', 'import sys,json; from pyproj import Geod; a,b=json.loads(sys.argv[1]); print(Geod(ellps="WGS84").inv(a[0],a[1],b[0],b[1])[2])', JSON.stringify([a, b])]);
  return Number(out.toString().trim());
}
const num = (s) => Number(String(s).replace(',', '.'));

await step('print: one A4 page with scale bar, north arrow, corner table true to /api/v1/convert, plans, QR, disclaimer', async () => {
  await d.goto(link);
  await mapReady(d);
  await d.waitForSelector('#panel:not([hidden]) #report-answer', { timeout: T });
  await settle(d);
  const p = await printAndCheck(d, 'print-parcel-a4');
  assert.ok(p.visible, 'the sheet is shown in print');
  assert.match(p.label, /^(5|10|20|50|100|200) m$/, `scale bar label ${p.label}`);
  assert.ok(p.north && p.north.w > 10 && p.north.label === 'Hướng Bắc', 'north arrow');
  assert.ok(p.scaleInMap, 'the scale bar sits on the map');
  assert.ok(p.answer && p.answer.length > 20, 'the one-line answer');
  assert.ok(p.qr, 'the QR code');
  assert.match(p.text, /Ngày in/);
  assert.match(p.text, /Quyết định|QĐ|quyết định/i);
  // The table: one row per corner of the API's geometry, numbered like the map.
  assert.equal(p.rows.length, corners.length, `${p.rows.length} rows for ${corners.length} corners`);
  assert.equal(p.cut, null);
  for (let i = 0; i < corners.length; i++) {
    const [lon, lat] = corners[i];
    const [n, x, y, la, lo] = p.rows[i];
    assert.equal(Number(n), i + 1);
    const c = await api(`/api/v1/convert?lon=${lon}&lat=${lat}&to=vn2000:kien-giang`);
    assert.ok(Math.abs(num(x) - c.northing) <= 0.01, `corner ${i + 1}: X ${x} vs ${c.northing}`);
    assert.ok(Math.abs(num(y) - c.easting) <= 0.01, `corner ${i + 1}: Y ${y} vs ${c.easting}`);
    assert.ok(Math.abs(num(la) - lat) < 1e-6 && Math.abs(num(lo) - lon) < 1e-6, `corner ${i + 1}: WGS 84 ${la}, ${lo}`);
    assert.match(x, /^\d+,\d{3}$/, 'three decimals with the Vietnamese decimal comma');
  }
  // The numbered corners on the map, and the scale against the ground: two corners far apart.
  assert.equal(p.vertices.length, corners.length, 'every corner is marked on the map');
  assert.deepEqual(p.vertices.map((v) => v.label), corners.map((_, i) => String(i + 1)));
  let best = [0, 1, 0];
  for (let i = 0; i < corners.length; i++)
    for (let j = i + 1; j < corners.length; j++) {
      const dd = Math.hypot(p.vertices[i].x - p.vertices[j].x, p.vertices[i].y - p.vertices[j].y);
      if (dd > best[2]) best = [i, j, dd];
    }
  const ground = geodesic(corners[best[0]], corners[best[1]]);
  const measured = ground / best[2];
  assert.ok(Math.abs(measured / p.mPerMm - 1) < 0.02, `printed scale ${p.mPerMm.toFixed(4)} m/mm vs ground ${measured.toFixed(4)} m/mm (pyproj)`);
  const barMetres = p.barMm * measured;
  assert.ok(Math.abs(barMetres / parseFloat(p.label) - 1) < 0.02, `the ${p.label} bar is ${barMetres.toFixed(2)} m on the ground`);
  console.log(`     scale 1 mm = ${p.mPerMm.toFixed(3)} m (pyproj ${measured.toFixed(3)}), bar ${p.label} = ${p.barMm.toFixed(1)} mm; PNG target/e2e-screenshots/print-parcel-a4.png`);
});

await step('print: a site of 240 corners still fits one page (smaller print, or cut with a note)', async () => {
  const n = 240;
  const [lon0, lat0] = inside;
  const ring = [];
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * i) / n;
    const r = 45 + 8 * Math.sin(a * 7);
    ring.push([+(lon0 + (r * Math.cos(a)) / 109_700).toFixed(7), +(lat0 + (r * Math.sin(a)) / 110_574).toFixed(7)]);
  }
  ring.push(ring[0]);
  await d.evaluate((g) => window.quyhoach.reportSite({ type: 'MultiPolygon', coordinates: [[g]] }), ring);
  await d.waitForFunction(() => window.quyhoach.report?.site?.kind && window.quyhoach.report.site.kind !== 'parcel', null, { timeout: T });
  await d.waitForSelector('#act-print', { timeout: T });
  await settle(d);
  const p = await printAndCheck(d, 'print-site-240-a4');
  if (p.rows.length < n) assert.match(p.cut || '', new RegExp(`${p.rows.length}/${n}`), `a cut table says so (${p.cut})`);
  assert.ok(p.rows.length >= 40, `${p.rows.length} rows printed`);
  assert.match(p.label, /^(5|10|20|50|100|200) m$/);
  console.log(`     ${p.rows.length}/${n} corners printed${p.cut ? ` — ${p.cut}` : ''}`);
});

await step('no page errors', async () => {
  assert.deepEqual(errors, []);
});

await close();
site.close();
finish();
