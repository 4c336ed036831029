// First-load measurement: bytes transferred and the time until the page shell and then
// the planning layers are drawn, on a cold cache, under Chromium's "Slow 3G" throttling
// (DevTools preset: 400 ms × 5 latency, 500 kbit/s × 0.8 each way) and unthrottled, in a
// fresh browser profile (cold cache).
// Prints figures; timings are for reports (docs/benchmarks.md), never pass/fail.
//
//   cd web && npm run build && node tests/first-load.mjs   (QUYHOACH_E2E_URL to reuse a server)
import http from 'node:http';
import path from 'node:path';
import { startSite, launch, REPO } from './harness.mjs';

const PROFILES = {
  'slow-3g': { offline: false, latency: 2000, downloadThroughput: (500 * 1000) / 8 * 0.8, uploadThroughput: (500 * 1000) / 8 * 0.8 },
  ...(process.env.ONLY_SLOW ? {} : { unthrottled: null }),
};

/** Bytes on the wire for a GET with gzip accepted, headers excluded. */
function compressedSize(url) {
  return new Promise((resolve) => {
    http
      .get(url, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        let bytes = 0;
        res.on('data', (d) => (bytes += d.length));
        res.on('end', () => resolve({ bytes, mime: res.headers['content-type'] }));
      })
      .on('error', () => resolve({ bytes: 0, mime: '' }));
  });
}

function kindOf(url, mime) {
  const p = new URL(url).pathname;
  if (p.startsWith('/tiles/') && !p.endsWith('.json')) return 'tiles';
  if (p.startsWith('/fonts/')) return 'glyphs';
  if (p.startsWith('/api/') || p.startsWith('/ogc') || p.endsWith('.json')) return 'data (json)';
  if (/\.m?js$/.test(p)) return 'javascript';
  if (p.endsWith('.css')) return 'css';
  if (mime?.includes('html')) return 'html';
  return 'other';
}

async function measure(site, name, conditions, link = '/') {
  const { context, close } = await launch({ viewport: { width: 412, height: 823 } }); // a mid-range phone
  const page = await context.newPage();
  await page.addInitScript(() => localStorage.setItem('qh.tour.seen', '1'));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  // A fresh profile is a cold cache; the HTTP cache still works within the page load.
  if (conditions) await cdp.send('Network.emulateNetworkConditions', conditions);
  const reqs = new Map();
  cdp.on('Network.responseReceived', (e) => reqs.set(e.requestId, { url: e.response.url, mime: e.response.mimeType, bytes: 0 }));
  cdp.on('Network.loadingFinished', (e) => {
    const r = reqs.get(e.requestId);
    if (r) r.bytes = e.encodedDataLength;
  });
  // Requests of the MapLibre worker (its script, vector tiles) are not in the page's CDP
  // session: Playwright sees them; their compressed size is fetched again afterwards.
  const seen = [];
  const timeline = [];
  const started = new Map();
  page.on('request', (r) => started.set(r, Date.now() - t0));
  page.on('requestfinished', (r) => {
    seen.push(r.url());
    timeline.push([started.get(r), Date.now() - t0, r.url()]);
  });
  const t0 = Date.now();
  await page.goto(new URL(link, site.url).href, { waitUntil: 'commit' });
  let shell = null;
  let preview = null;
  let mapReady = null;
  let planning = null;
  const deadline = t0 + 300_000;
  while (Date.now() < deadline && planning === null) {
    const s = await page
      .evaluate(() => {
        const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null;
        const mv = window.quyhoach?.mapView;
        let drawn = false;
        if (mv && mv.map.loaded()) {
          const zoneFills = mv.map.getStyle().layers.filter((l) => l.type === 'fill' && /zones/.test(l['source-layer'] || l.source || l.id)).map((l) => l.id);
          drawn = zoneFills.length > 0 && mv.map.queryRenderedFeatures({ layers: zoneFills }).length > 0 && mv.map.areTilesLoaded();
        }
        // The server's picture of the planning map is in the page's HTML: if it is there at
        // the first contentful paint, planning showed with that paint.
        const pic = document.querySelector('#preview svg');
        const shown = !!pic && pic.querySelectorAll('path').length > 0 && pic.getBoundingClientRect().width > 100;
        return { fcp, ready: document.body.dataset.mapReady || null, drawn, shown };
      })
      .catch(() => ({}));
    if (s.fcp != null && shell === null) {
      shell = s.fcp;
      if (s.shown) preview = s.fcp;
    }
    if (s.ready && mapReady === null) mapReady = Date.now() - t0;
    if (s.drawn) planning = Date.now() - t0;
    else await new Promise((r) => setTimeout(r, 200));
  }
  const style = await page.evaluate(() => document.body.dataset.mapReady).catch(() => '?');
  // TIMELINE=1: when each request started and ended (ms after navigation), to see the chain.
  if (process.env.TIMELINE) for (const [a, b, u] of timeline.sort((x, y) => x[0] - y[0])) console.log(`${String(a).padStart(6)} → ${String(b).padStart(6)}  ${u.replace(site.url.replace(/\/$/, ''), '')}`);
  await page.screenshot({ path: path.join(REPO, `target/first-load-${name}${link === '/' ? '' : '-parcel'}.png`) }).catch(() => {});
  await close();
  const cdpUrls = new Set([...reqs.values()].map((r) => r.url));
  for (const url of seen) {
    if (cdpUrls.has(url) || !url.startsWith('http')) continue;
    const { bytes, mime } = await compressedSize(url);
    reqs.set(`pw-${url}`, { url, mime, bytes, refetched: true });
  }
  const byKind = {};
  let total = 0;
  for (const r of reqs.values()) {
    if (process.env.VERBOSE) console.log(r.bytes, r.mime, r.url);
    const k = kindOf(r.url, r.mime);
    byKind[k] = byKind[k] || { requests: 0, bytes: 0 };
    byKind[k].requests += 1;
    byKind[k].bytes += r.bytes;
    total += r.bytes;
  }
  return { name, link, style, shell_ms: shell && Math.round(shell), preview_ms: preview && Math.round(preview), map_ready_ms: mapReady, planning_drawn_ms: planning, requests: reqs.size, bytes: total, byKind };
}

const site = await startSite({ parcels: Number(process.env.E2E_PARCELS || 20000) });
console.log(`site ${site.url} (web app served by ${site.servedBy})`);
const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;
// A shared parcel link, as citizens arrive from Zalo: a parcel near the data's centre.
const layers = await fetch(`${site.api}/api/v1/layers`).then((r) => r.json());
const b = layers.layers.find((l) => l.kind === 'parcels').bounds;
const at = await fetch(`${site.api}/api/v1/parcels/at?lon=${(b[0] + b[2]) / 2}&lat=${(b[1] + b[3]) / 2}`).then((r) => r.json());
const pp = at.features[0]?.properties;
const links = ['/', ...(pp ? [`/?p=${pp.commune_code}/${pp.sheet}/${pp.parcel}`] : [])];
try {
  for (const [name, cond] of Object.entries(PROFILES)) {
    for (const link of links) {
      const r = await measure(site, name, cond, link);
      console.log(`\n== ${name} ${link} (${r.style}) ==`);
      console.log(`page shell painted (first contentful paint): ${r.shell_ms ?? '—'} ms`);
      console.log(`planning shown (server's picture, in that paint): ${r.preview_ms ?? 'no picture at first paint'} ms`);
      console.log(`map ready:                                   ${r.map_ready_ms ?? '—'} ms`);
      console.log(`planning tiles drawn by MapLibre:            ${r.planning_drawn_ms ?? 'not within 300 s'} ms`);
      console.log(`transferred: ${kb(r.bytes)} in ${r.requests} requests`);
      for (const [k, v] of Object.entries(r.byKind).sort((a, b) => b[1].bytes - a[1].bytes)) console.log(`  ${k.padEnd(12)} ${kb(v.bytes).padStart(12)}  ${v.requests} requests`);
    }
  }
} finally {
  site.close();
}
