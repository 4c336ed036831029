// The offline workshop kit (the issue's "Done when": "the offline kit runs a workshop in a
// network namespace with no network but the loopback (`unshare -n`), lessons included").
//
// Outside: a 3,000-parcel demo store, `quyhoach workshop pack` of the commune that most
// layers reach. Then this file runs itself again inside `unshare -rn` (a user and network
// namespace: no interface but `lo`, brought up here) and there, from `/` as the current
// directory, runs the kit's own `start.sh --listen 127.0.0.1:PORT` and checks: no route to
// anywhere else; /api/v1/health; /api/v1/lessons with every target in the kit's area; a
// parcel report of the commune; tiles, glyphs from the kit's fonts and a style naming only
// this server; a workshop started, joined and on the trainer's board through the workshop
// API (contracts §3); then Debian's Chromium, inside the namespace too, opens the page,
// the lessons (#/learn) and a trainee's #/join/CODE, and every request it makes is recorded:
// none may go to a host other than the laptop. The whole run must take under 2 minutes.
//
//   cd web && npm run build && node tests/e2e-offline.mjs
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { REPO, WEB, CHROMIUM, CHROMIUM_ARGS, steps, freePort } from './harness.mjs';

const SELF = fileURLToPath(import.meta.url);
const BIN = process.env.QUYHOACH_BIN || path.join(REPO, 'target/release/quyhoach');
const LIMIT_MS = 120_000;

if (process.argv[2] === '--inside') {
  await inside(process.argv[3], process.argv[4]);
} else {
  await outside();
}

// ------------------------------------------------------------------------- outside the namespace
async function outside() {
  const t0 = Date.now();
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run cargo build --release --bin quyhoach first`);
  if (!fs.existsSync(path.join(WEB, 'dist/index.html'))) throw new Error('web/dist is missing: run npm run build in web/ first');
  const probe = spawnSync('unshare', ['-rn', 'true']);
  if (probe.status !== 0) {
    throw new Error(`unshare -rn does not work here (${probe.stderr}); the offline test needs user and network namespaces`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quyhoach-offline-'));
  let status = 1;
  try {
    const store = path.join(tmp, 'store');
    const demo = spawnSync(BIN, ['demo', '--store', store, '--parcels', '3000', '--no-serve', '-q'], { encoding: 'utf8' });
    assert.equal(demo.status, 0, `demo: ${demo.stderr}`);
    const commune = busiestCommune(store);
    const kit = path.join(tmp, 'kit');
    const tp = Date.now();
    const pack = spawnSync(BIN, ['workshop', 'pack', '--store', store, '--commune', commune, '--out', kit, '--margin-m', '200'], {
      encoding: 'utf8',
    });
    process.stdout.write(pack.stdout);
    assert.equal(pack.status, 0, `pack: ${pack.stderr}`);
    console.log(`packed commune ${commune} in ${Date.now() - tp} ms`);
    // Everything the kit needs, nothing from the source tree: the source store is moved away.
    fs.renameSync(store, path.join(tmp, 'store-moved-away'));
    const r = spawnSync('unshare', ['-rn', process.execPath, SELF, '--inside', kit, commune], {
      stdio: 'inherit',
      cwd: '/',
      env: { ...process.env, QUYHOACH_E2E_T0: String(t0) },
    });
    status = r.status ?? 1;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const ms = Date.now() - t0;
  console.log(`offline kit test: ${ms} ms in all (limit ${LIMIT_MS} ms)`);
  if (ms > LIMIT_MS) {
    console.log(`FAIL the whole run took ${ms} ms, over ${LIMIT_MS}`);
    status = 1;
  }
  process.exit(status);
}

/** The commune whose boundary box meets the most layers (the richest lessons), by GDAL. */
function busiestCommune(store) {
  const info = JSON.parse(spawnSync(BIN, ['info', '--store', store, '--json'], { encoding: 'utf8' }).stdout);
  const [, boundaries] = Object.entries(info.layers).find(([, l]) => l.kind === 'boundaries');
  const gj = JSON.parse(
    spawnSync('ogr2ogr', ['-f', 'GeoJSON', '/vsistdout/', path.join(store, boundaries.file)], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    }).stdout,
  );
  const box = (coords) => {
    const flat = coords.flat(Infinity);
    const xs = flat.filter((_, i) => i % 2 === 0);
    const ys = flat.filter((_, i) => i % 2 === 1);
    return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  };
  const meets = (a, b) => a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
  let best = null;
  for (const f of gj.features) {
    const b = box(f.geometry.coordinates);
    const n = Object.values(info.layers).filter((l) => meets(b, l.bounds)).length;
    if (!best || n > best.n || (n === best.n && f.properties.code < best.code)) best = { code: f.properties.code, n };
  }
  return best.code;
}

// ------------------------------------------------------------------------- inside the namespace
async function inside(kit, commune) {
  const { step, finish } = steps();
  const t0 = Number(process.env.QUYHOACH_E2E_T0 || Date.now());
  const up = spawnSync('ip', ['link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  assert.equal(up.status, 0, `ip link set lo up: ${up.stderr}`);
  const manifest = JSON.parse(fs.readFileSync(path.join(kit, 'kit.json'), 'utf8'));
  const [W, S, E, N] = manifest.bbox;
  const inBox = (lon, lat) => lon >= W && lon <= E && lat >= S && lat <= N;
  const children = [];
  let browser = null;
  const cleanup = async () => {
    if (browser) await browser.close().catch(() => {});
    for (const c of children) c.kill('SIGTERM');
  };

  await step('the namespace has no network but the loopback', async () => {
    const addrs = spawnSync('ip', ['-o', 'addr'], { encoding: 'utf8' }).stdout.trim().split('\n');
    assert.ok(addrs.length >= 1 && addrs.every((l) => /^\d+: lo\s/.test(l)), addrs.join('\n'));
    for (const host of ['1.1.1.1', '10.0.0.1', '192.168.1.1']) {
      const err = await new Promise((resolve) => {
        const s = net.connect({ host, port: 80, timeout: 3000 });
        s.on('connect', () => { s.destroy(); resolve(null); });
        s.on('timeout', () => { s.destroy(); resolve('timeout'); });
        s.on('error', (e) => resolve(e.code));
      });
      assert.ok(err, `${host} is reachable from inside the namespace`);
    }
  });

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let log = '';
  await step('start.sh serves the kit (run from /, on 127.0.0.1)', async () => {
    const child = spawn(path.join(kit, 'start.sh'), ['--listen', `127.0.0.1:${port}`], {
      cwd: '/',
      stdio: ['ignore', 'pipe', 'pipe'],
      // Settings of another installation must not leak in: start.sh drops them.
      env: { ...process.env, QUYHOACH_STORE: '/nonexistent', QUYHOACH_NO_WORKSHOPS: '1', QUYHOACH_WEB_DIR: '/nonexistent' },
    });
    children.push(child);
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const end = Date.now() + 30_000;
    let ok = false;
    while (Date.now() < end && !ok) {
      ok = await fetch(`${base}/api/v1/health`).then((r) => r.ok).catch(() => false);
      if (!ok) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(ok, `the kit did not start:\n${log}`);
    assert.match(log, new RegExp(`http://127\\.0\\.0\\.1:${port}/#/learn`), log);
    assert.match(log, /#\/workshop/);
  });

  const get = async (p, headers = {}) => {
    const r = await fetch(base + p, { headers });
    const body = (r.headers.get('content-type') || '').includes('json') ? await r.json() : Buffer.from(await r.arrayBuffer());
    return { status: r.status, body, headers: r.headers };
  };
  const send = async (method, p, body, headers = {}) => {
    const r = await fetch(base + p, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: r.status, body: await r.json().catch(() => null) };
  };

  await step('/api/v1/health: the cropped store', async () => {
    const h = await get('/api/v1/health');
    assert.equal(h.status, 200);
    const expected = manifest.layers.filter((l) => l.kept).reduce((a, l) => a + l.count, 0);
    assert.equal(h.body.features, expected, JSON.stringify(h.body));
    assert.equal(h.body.plans, manifest.plans);
  });

  await step('/api/v1/lessons: the lessons, with their targets in the kit\'s area', async () => {
    const d = await get('/api/v1/lessons?lang=vi');
    assert.equal(d.status, 200, JSON.stringify(d.body));
    const ids = d.body.lessons.map((l) => l.id);
    for (const id of ['read-map', 'find-parcel', 'coordinates', 'affected', 'plans-disagree', 'zoning-site', 'qgis-gdal', 'prepare-data']) {
      assert.ok(ids.includes(id), `lesson ${id} listed (${ids})`);
    }
    const available = d.body.lessons.filter((l) => l.available !== false);
    assert.ok(available.some((l) => l.id === 'find-parcel'), 'find-parcel is available in the kit');
    let parcels = 0;
    let places = 0;
    for (const l of available) {
      for (const s of l.steps) {
        const t = s.target;
        if (!t) continue;
        if (t.kind === 'parcel') {
          const r = await get(`/api/v1/parcels/${encodeURIComponent(t.commune)}/${encodeURIComponent(t.sheet)}/${encodeURIComponent(t.parcel)}`);
          assert.equal(r.status, 200, `${l.id}/${s.id}: parcel ${t.label} is in the kit`);
          parcels += 1;
        }
        if (typeof t.lon === 'number') {
          assert.ok(inBox(t.lon, t.lat), `${l.id}/${s.id}: ${t.lon},${t.lat} outside the kit's box`);
          places += 1;
        }
      }
    }
    assert.ok(parcels > 0, 'some step targets a parcel');
    console.log(`     ${available.length}/${ids.length} lessons available; ${parcels} parcel and ${places} place targets, all in the kit`);
  });

  await step(`a parcel report of commune ${commune}`, async () => {
    const b = manifest.commune_bbox.join(',');
    const items = await get(`/ogc/collections/parcels/items?bbox=${b}&limit=500`);
    assert.equal(items.status, 200);
    const f = items.body.features.find((x) => x.properties.commune_code === commune);
    assert.ok(f, `a parcel of ${commune} in the kit`);
    const p = f.properties;
    const r = await get(`/api/v1/parcels/${commune}/${p.sheet}/${p.parcel}/report`);
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
    assert.ok(JSON.stringify(r.body).includes(commune));
  });

  await step('tiles, glyphs and a style that names only this server', async () => {
    const lon = (manifest.commune_bbox[0] + manifest.commune_bbox[2]) / 2;
    const lat = (manifest.commune_bbox[1] + manifest.commune_bbox[3]) / 2;
    const z = 16;
    const x = Math.floor(((lon + 180) / 360) * 2 ** z);
    const y = Math.floor(((1 - Math.log(Math.tan((lat * Math.PI) / 180) + 1 / Math.cos((lat * Math.PI) / 180)) / Math.PI) / 2) * 2 ** z);
    const t = await get(`/tiles/planning/${z}/${x}/${y}.mvt`);
    assert.equal(t.status, 200);
    assert.ok(t.body.length > 100, `tile ${z}/${x}/${y}: ${t.body.length} bytes`);
    const g = await get('/fonts/DejaVu%20Sans%20Book/0-255.pbf');
    assert.equal(g.status, 200);
    assert.ok(g.body.length > 1000, 'glyphs from the kit\'s fonts');
    const style = await get('/styles/planning.json');
    const urls = JSON.stringify(style.body).match(/[a-z]+:\/\/[^"'\s]+/g) || [];
    for (const u of urls) assert.equal(new URL(u.replace(/[{}]/g, '')).hostname, '127.0.0.1', u);
  });

  let workshop = null;
  await step('a workshop through the workshop API: start, join, progress, board', async () => {
    const w = await send('POST', '/api/v1/workshops', { title: 'Hội thảo ngoại tuyến' });
    assert.equal(w.status, 201, JSON.stringify(w.body));
    assert.match(w.body.code, /^[A-Z0-9]{6}$/);
    assert.ok(w.body.join_url.startsWith(`${base}/`), w.body.join_url);
    workshop = w.body;
    const p = await send('POST', `/api/v1/workshops/${w.body.code}/participants`, { name: 'Lan' });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    const lessons = (await get('/api/v1/lessons?lang=vi')).body.lessons;
    const first = lessons.find((l) => l.id === 'find-parcel');
    const pr = await send('PUT', `/api/v1/workshops/${w.body.code}/participants/${p.body.id}/progress`,
      { lesson: 'find-parcel', step: first.steps[0].id, event: 'enter' }, { 'x-participant-key': p.body.key });
    assert.equal(pr.status, 200, JSON.stringify(pr.body));
    const board = await get(`/api/v1/workshops/${w.body.code}/board`, { 'x-trainer-key': w.body.trainer_key });
    assert.equal(board.status, 200, JSON.stringify(board.body));
    const lan = board.body.participants.find((x) => x.name === 'Lan');
    assert.ok(lan && lan.lesson === 'find-parcel' && lan.step === first.steps[0].id, JSON.stringify(board.body));
  });

  const requests = [];
  await step('Chromium in the namespace: the map, #/learn and a trainee joining, all from the laptop', async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'vi-VN' });
    context.on('request', (r) => requests.push(r.url()));
    const page = await context.newPage();
    // The first-visit tour comes up over the page; a trainee skips it.
    const skipTour = async () => {
      if (await page.isVisible('#tour-skip')) await page.click('#tour-skip');
    };
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await page.waitForSelector('#search-input', { timeout: 20_000 });
    // The map draws: the style, tiles and glyphs are asked for.
    const end = Date.now() + 20_000;
    while (Date.now() < end && !(requests.some((u) => u.includes('/tiles/planning/')) && requests.some((u) => u.includes('/fonts/')))) {
      await page.waitForTimeout(250);
    }
    assert.ok(requests.some((u) => u.includes('/tiles/planning/')), 'the map asked for tiles');
    assert.ok(requests.some((u) => u.includes('/fonts/')), 'the map asked for glyphs');
    await page.goto(`${base}/#/learn`);
    await page.waitForSelector('#learn-list a[data-lesson="find-parcel"]', { timeout: 20_000 });
    const listed = await page.$$eval('#learn-list a[data-lesson]', (as) => as.map((a) => a.dataset.lesson));
    assert.ok(listed.length >= 8, `lessons in the runner: ${listed}`);
    await skipTour();
    await page.click('#learn-list a[data-lesson="find-parcel"]');
    await page.waitForSelector('#learn-step-title', { timeout: 10_000 });
    // A trainee joins the workshop from a phone.
    await page.goto(`${base}/#/join/${workshop.code}`);
    await page.waitForSelector('#ws-name', { timeout: 10_000 });
    await skipTour();
    await page.fill('#ws-name', 'Minh');
    await page.click('#ws-join-button');
    const end2 = Date.now() + 10_000;
    let minh = null;
    while (Date.now() < end2 && !minh) {
      const board = await get(`/api/v1/workshops/${workshop.code}/board`, { 'x-trainer-key': workshop.trainer_key });
      minh = board.body.participants.find((x) => x.name === 'Minh');
      if (!minh) await page.waitForTimeout(250);
    }
    assert.ok(minh, 'the trainee who joined in the browser is on the trainer\'s board');
    await page.waitForTimeout(500);
    await context.close();
    const outside = requests.filter((u) => {
      const url = new URL(u);
      if (url.protocol === 'data:' || url.protocol === 'blob:') return false;
      return !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    });
    console.log(`     ${requests.length} requests, ${new Set(requests.map((u) => new URL(u).host)).size} host(s): ${[...new Set(requests.map((u) => new URL(u).host))].join(', ')}`);
    assert.deepEqual(outside, [], 'requests beyond the laptop');
  });

  await step('the kit keeps its own state beside start.sh', async () => {
    assert.ok(fs.existsSync(path.join(kit, 'workshop.sqlite')), 'workshop.sqlite');
    assert.ok(!fs.existsSync(path.join(kit, 'store', 'portal.sqlite')), 'no database inside the store');
  });

  await step('on the room\'s Wi-Fi: --listen 0.0.0.0 prints the laptop\'s Wi-Fi address, and join links use it', async () => {
    // The first kit server stops; the namespace gets a container bridge and a "Wi-Fi" card
    // (veth pairs; still no route anywhere), in that order, so the Wi-Fi must be picked.
    for (const c of children.splice(0)) c.kill('SIGTERM');
    const ip = (...args) => {
      const r = spawnSync('ip', args, { encoding: 'utf8' });
      assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
    };
    ip('link', 'add', 'docker0', 'type', 'veth', 'peer', 'name', 'dk-peer');
    ip('addr', 'add', '172.17.0.1/16', 'dev', 'docker0');
    ip('link', 'add', 'wlp2s0', 'type', 'veth', 'peer', 'name', 'wl-peer');
    ip('addr', 'add', '192.168.77.5/24', 'dev', 'wlp2s0');
    for (const dev of ['docker0', 'dk-peer', 'wlp2s0', 'wl-peer']) ip('link', 'set', dev, 'up');
    const port2 = await freePort();
    let log2 = '';
    const child = spawn(path.join(kit, 'start.sh'), ['--listen', `0.0.0.0:${port2}`], { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    child.stdout.on('data', (d) => (log2 += d));
    child.stderr.on('data', (d) => (log2 += d));
    const lan = `http://192.168.77.5:${port2}`;
    const end = Date.now() + 30_000;
    let ok = false;
    while (Date.now() < end && !ok) {
      ok = await fetch(`${lan}/api/v1/health`).then((r) => r.ok).catch(() => false);
      if (!ok) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(ok, `the kit is not served on the Wi-Fi address:\n${log2}`);
    assert.ok(log2.includes(`${lan}/#/learn`), log2);
    assert.ok(log2.includes(`${lan}/#/workshop`), log2);
    assert.ok(!log2.includes('172.17.0.1'), `the container bridge is not offered to trainees:\n${log2}`);
    // The trainer opens the kit on the laptop itself; the QR's link still reaches the phones.
    const r = await fetch(`http://127.0.0.1:${port2}/api/v1/workshops`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Wi-Fi' }),
    });
    assert.equal(r.status, 201);
    const w = await r.json();
    assert.equal(w.join_url, `${lan}/#/join/${w.code}`);
  });

  await cleanup();
  console.log(`     inside the namespace: ${Date.now() - t0} ms since the test began`);
  finish();
}
