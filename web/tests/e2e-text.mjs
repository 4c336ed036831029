// The text-only site as a person on a feature phone uses it, in Debian's Chromium with
// JavaScript off (phone 360×640): in at /text with no URL to remember, search the way the
// certificate writes the parcel, open the report, go on to the plans, a plan, the help, the
// other language, the full map, and the choice page of a duplicated number; every page that
// loads is under 5 KB, has no script, and links back to the search.
//
//   cd web && npm run build && node tests/e2e-text.mjs
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { startSite, launch, REPO, steps } from './harness.mjs';

const SHOTS = path.join(REPO, 'target/e2e-screenshots');
fs.mkdirSync(SHOTS, { recursive: true });
const T = 20_000;
const BUDGET = 5 * 1024;

const site = await startSite({ parcels: Number(process.env.E2E_PARCELS || 3000) });
const { context, close } = await launch({ viewport: { width: 360, height: 640 } });
const { step, finish } = steps();
const json = (p) => fetch(site.api + p).then((r) => r.json());

// A page with scripts off, so only what the server sends counts.
const page = await context.newPage();
await page.route('**/*', (route) => (route.request().resourceType() === 'script' ? route.abort() : route.continue()));
/** Every page checked: its URL, status and size in bytes (fetched again as the browser got it). */
const documents = [];
const last = () => documents[documents.length - 1];
async function checkPage(what) {
  const url = page.url();
  const r = await fetch(url, { redirect: 'manual' });
  const body = Buffer.from(await r.arrayBuffer());
  const d = { url, status: r.status, bytes: body.length, text: body.toString('utf8') };
  documents.push(d);
  assert.ok(d.bytes > 0, `${what}: ${url} is empty`);
  assert.ok(d.bytes <= BUDGET, `${what}: ${url} is ${d.bytes} bytes (budget ${BUDGET})`);
  assert.ok(!/<script/i.test(d.text), `${what}: ${url} has a script`);
  assert.ok(/href="\/text(\?lang=en)?"/.test(d.text), `${what}: ${url} has no link to the search`);
}

// Targets through the API: a parcel of the first commune, and a duplicated number.
const some = (await json(`/ogc/collections/parcels/items?limit=400`)).features;
const target = some.find((f) => f.properties.sheet && f.properties.parcel && f.properties.sheet > 1).properties;
const commune = { name: (await json(`/api/v1/parcels/${target.commune_code}/${target.sheet}/${target.parcel}/report`)).site.commune_name };
const seen = new Map();
let dup = null;
for (let offset = 0; offset < 3000 && !dup; offset += 500) {
  for (const f of (await json(`/ogc/collections/parcels/items?limit=500&offset=${offset}`)).features) {
    const p = f.properties;
    const k = `${p.commune_code}/${p.sheet}/${p.parcel}`;
    if (seen.has(k)) {
      dup = { key: k, ids: [seen.get(k), f.id] };
      break;
    }
    seen.set(k, f.id);
  }
}
console.log(`target ${target.commune_code}/${target.sheet}/${target.parcel}; duplicate ${dup?.key}`);

await step('in at /text, search the certificate wording, open the report', async () => {
  await page.goto(`${site.api}/text`);
  await checkPage('search page');
  await page.fill('input[name=q]', `thửa đất số ${target.parcel}, tờ bản đồ số ${target.sheet}, ${commune.name}`);
  await Promise.all([page.waitForNavigation(), page.click('input[type=submit]')]);
  await checkPage('results');
  const link = page.locator(`a[href*="/${target.sheet}/${target.parcel}/report.html"]`).first();
  await link.waitFor({ timeout: T });
  await Promise.all([page.waitForNavigation(), link.click()]);
  await checkPage('report');
  const body = await page.textContent('body');
  assert.match(body, new RegExp(`Thửa (đất số )?${target.parcel}`));
  const report = await json(`/api/v1/parcels/${target.commune_code}/${target.sheet}/${target.parcel}/report`);
  for (const p of report.plans.filter((x) => x.binding)) assert.ok(body.includes(p.plan.decision.number), `the report names ${p.plan.decision.number}`);
  assert.ok(!/\d{4}-\d{2}-\d{2}/.test(body), 'dates are Vietnamese, not ISO');
  await page.screenshot({ path: path.join(SHOTS, 'text-1-report.png'), fullPage: true });
});

await step('report → plans → a plan → help, each linked from the last', async () => {
  for (const [sel, what] of [
    ['a[href="/text/plans"]', 'plans'],
    ['a[href^="/text/plans/"]', 'a plan'],
    ['a[href="/text/help"]', 'help'],
  ]) {
    const link = page.locator(sel).first();
    await link.waitFor({ timeout: T });
    await Promise.all([page.waitForNavigation(), link.click()]);
    await checkPage(what);
  }
  const help = await page.textContent('body');
  const report = await json(`/api/v1/parcels/${target.commune_code}/${target.sheet}/${target.parcel}/report`);
  assert.ok(help.includes('Phòng Kinh tế, Hạ tầng và Đô thị'), 'help names the office the disclaimer names');
  assert.ok(report.disclaimer_vi.includes('Phòng Kinh tế, Hạ tầng và Đô thị'));
});

await step('English from any page, and back to the map', async () => {
  const en = page.locator('a[href$="lang=en"]').first();
  await Promise.all([page.waitForNavigation(), en.click()]);
  await checkPage('English help');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.match(await page.textContent('body'), /People's Committee/);
  const map = page.locator('a[href="/"], a[href^="/?"]').first();
  assert.ok(await map.count(), 'a link to the full map');
});

await step('a duplicated number: a page of choices, the second opens its own report', async () => {
  assert.ok(dup, 'the demo has a duplicated parcel number');
  const [c, s, p] = dup.key.split('/');
  await page.goto(`${site.api}/api/v1/parcels/${c}/${s}/${p}/report.html`);
  await checkPage('choices');
  assert.equal(last().status, 300);
  const second = page.locator('a[href*="n=2"]').first();
  await Promise.all([page.waitForNavigation(), second.click()]);
  await checkPage('the second parcel');
  const want = await fetch(`${site.api}/api/v1/report`, { method: 'POST', body: JSON.stringify({ layer: 'parcels', id: dup.ids[1] }), headers: { 'Content-Type': 'application/json' } }).then((r) => r.json());
  const body = await page.textContent('body');
  assert.ok(want.site.address && body.includes(want.site.address), `the second parcel's address (${want.site.address})`);
  await page.screenshot({ path: path.join(SHOTS, 'text-2-duplicate.png'), fullPage: true });
});

await step('an unknown parcel: a page in Vietnamese with the search form', async () => {
  await page.goto(`${site.api}/api/v1/parcels/${target.commune_code}/999/99999/report.html`);
  await checkPage('error');
  assert.equal(last().status, 404);
  assert.equal(await page.getAttribute('html', 'lang'), 'vi');
  assert.ok(await page.locator('form input[name=q]').count(), 'the search form');
});

console.log(`every document: ${documents.map((d) => d.bytes).join(', ')} bytes`);
await close();
site.close();
finish();
