// Chromium: the web map reading its planning tiles from a PMTiles archive on a static host
// (another origin, as a CDN is), not from our server. `quyhoach tiles` builds the archive
// from the served store; `serve --map-pmtiles URL` points the style's source at it; the
// host is a plain file server answering range requests with CORS (what nginx or a bucket
// does). The map draws the parcels from the archive, a tap opens the parcel's report (the
// API, from our server), and no tile is asked of our server.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startRestartableSite, launch, freePort, REPO, steps } from './harness.mjs';

const T = 30_000;
const bin = process.env.QUYHOACH_BIN || path.join(REPO, 'target/release/quyhoach');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'quyhoach-static-'));
const archive = path.join(work, 'cantho.pmtiles');

// The static host: GET and HEAD with one byte range, CORS for any origin; nothing else.
const ranges = [];
const host = http.createServer((req, res) => {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Headers', 'Range, If-Match');
  res.setHeader('Access-Control-Expose-Headers', 'ETag, Content-Range, Content-Length');
  if (req.method === 'OPTIONS') return res.writeHead(204).end();
  if (req.url.split('?')[0] !== '/tiles/cantho.pmtiles' || !fs.existsSync(archive)) return res.writeHead(404).end();
  const body = fs.readFileSync(archive);
  const etag = `"${body.length}-${fs.statSync(archive).mtimeMs}"`;
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || '');
  if (!m) return res.writeHead(200, { 'Content-Length': body.length, ETag: etag }).end(req.method === 'HEAD' ? undefined : body);
  const start = Number(m[1]);
  const end = Math.min(m[2] ? Number(m[2]) : body.length - 1, body.length - 1);
  if (start >= body.length) return res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
  ranges.push([start, end]);
  res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${body.length}`, 'Content-Length': end - start + 1, ETag: etag });
  res.end(req.method === 'HEAD' ? undefined : body.subarray(start, end + 1));
});
const hostPort = await freePort();
await new Promise((r) => host.listen(hostPort, '127.0.0.1', r));
const archiveUrl = `http://127.0.0.1:${hostPort}/tiles/cantho.pmtiles`;

const site = await startRestartableSite({ parcels: 1500, args: ['--map-pmtiles', archiveUrl], postgis: true });
console.log(`site ${site.url}, archive ${archiveUrl}`);
const { step, finish } = steps();
const api = (p) => fetch(site.api + p).then((r) => r.json());

await step('quyhoach tiles builds the archive of the served store', async () => {
  const r = spawnSync(bin, ['tiles', '--store', site.store, '--out', archive, '--maxzoom', '16', '-q'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.statSync(archive).size > 10_000, 'the archive is nearly empty');
});

await step('the style points its planning source at the archive', async () => {
  const style = await api('/styles/planning.json');
  assert.equal(style.sources.planning.url, `pmtiles://${archiveUrl}`);
  assert.equal(style.sources.planning.tiles, undefined, 'tile URLs of our server are still in the style');
});

const { context, close } = await launch({ viewport: { width: 390, height: 844 } });
await context.addInitScript(() => localStorage.setItem('qh.tour.seen', '1'));
const page = await context.newPage();
const ownTiles = [];
const errors = [];
page.on('request', (r) => {
  if (r.url().startsWith(site.url) && /\/tiles\//.test(r.url())) ownTiles.push(r.url());
});
page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
page.on('pageerror', (e) => errors.push(String(e)));

await step('phone: the map draws the parcels from the archive, with no tile asked of our server', async () => {
  await page.goto(site.url, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.body.dataset.mapReady, null, { timeout: 90_000 });
  assert.notEqual(await page.evaluate(() => document.body.dataset.mapReady), 'failed', 'the map failed to load');
  const parcels = (await api('/ogc/collections/parcels/items?limit=1')).features[0];
  const c = parcels.geometry.coordinates[0][0].slice(0, -1);
  const centre = c.reduce((a, p) => [a[0] + p[0] / c.length, a[1] + p[1] / c.length], [0, 0]);
  await page.evaluate((ll) => new Promise((r) => {
    const m = window.quyhoach.mapView.map;
    m.jumpTo({ center: ll, zoom: 17 });
    m.once('idle', r);
  }), centre);
  const drawn = await page.evaluate(() => {
    const m = window.quyhoach.mapView.map;
    const layers = m.getStyle().layers.filter((l) => l.source === 'planning' && /parcel/.test(l['source-layer'] || ''));
    return m.queryRenderedFeatures({ layers: layers.map((l) => l.id) }).length;
  });
  assert.ok(drawn > 5, `${drawn} parcels drawn`);
  assert.ok(ranges.length >= 3, `${ranges.length} range requests reached the static host`);
  assert.deepEqual(ownTiles, [], 'tiles were asked of our server');
  page.centre = centre;
  page.want = `Thửa ${parcels.properties.parcel}, tờ bản đồ ${parcels.properties.sheet}`;
});

await step('phone: a tap on a parcel drawn from the archive opens its report', async () => {
  const p = await page.evaluate((ll) => {
    const m = window.quyhoach.mapView.map;
    const pt = m.project(ll);
    const r = m.getContainer().getBoundingClientRect();
    return { x: r.left + pt.x, y: r.top + pt.y };
  }, page.centre);
  await page.mouse.click(p.x, p.y);
  await page.waitForSelector('#panel:not([hidden]) #report-answer', { timeout: T });
  const title = await page.evaluate(() => document.querySelector('#panel-body h3')?.textContent || '');
  assert.ok(title.includes(page.want), `"${title}" is not the report of ${page.want}`);
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
});

await close();
await site.close();
host.close();
fs.rmSync(work, { recursive: true, force: true });
finish();
