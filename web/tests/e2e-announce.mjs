// End-to-end test of "Announce" (issue 14): one web action produces every output. In Debian's
// Chromium on the real server and a 3,000-parcel demo (which opens a consultation on its draft
// qhpk-2000-dc at start), a commune officer of 31150 made with the real CLI signs in at
// #/official, opens "Thông báo", announces the draft over thị trấn Vĩnh Thanh and sees every
// output linked (slides, poster, leaflet, picture, post, audio, the words spoken, the website
// fragment, the public page); each link answers 200 with its type and is what it says
// (%PDF, a 1200×630 PNG, OggS, MP3); the post is copied with the button; the panel and the
// public page /thong-bao/31150 (which lists the notice) are axe clean, on a desktop and on a
// phone (412×915); the notice's page carries og:image = its post.png; withdrawing it takes it
// off the public page. Screenshots: target/e2e-screenshots/announce-*; with --doc-images also
// docs/img/announce-*.
//
//   cd web && npm run build && node tests/e2e-announce.mjs [--doc-images]
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { startRestartableSite, REPO, steps, CHROMIUM, CHROMIUM_ARGS } from './harness.mjs';

const SHOTS = path.join(REPO, 'target/e2e-screenshots');
const DOCS = path.join(REPO, 'docs/img');
const DOC_IMAGES = process.argv.includes('--doc-images');
fs.mkdirSync(SHOTS, { recursive: true });
const T = 20_000;
const RENDER_T = 120_000;
const AXE = fs.readFileSync(path.join(REPO, 'web/node_modules/axe-core/axe.min.js'), 'utf8');
const OPTIONAL = ['/styles/planning.json', '/tiles/planning.json', '/config.json'];
const BIN = process.env.QUYHOACH_BIN || path.join(REPO, 'target/release/quyhoach');
const DRAFT = 'qhpk-2000-dc';
const COMMUNE = '31150';
const PASSWORD = 'mật-khẩu-rất-dài-2026';
const TYPES = {
  'slides.html': 'text/html',
  'poster-a3.pdf': 'application/pdf',
  'leaflet-a4.pdf': 'application/pdf',
  'post.png': 'image/png',
  'post.txt': 'text/plain',
  'notice.mp3': 'audio/mpeg',
  'notice.ogg': 'audio/ogg',
  'notice.txt': 'text/plain',
  'page.html': 'text/html',
};

const site = await startRestartableSite({ parcels: Number(process.env.E2E_PARCELS || 3000) });
console.log(`site ${site.url}, store ${site.store}`);
const { step, finish } = steps();
const consoleErrors = [];

function cli(args, input) {
  const r = spawnSync(BIN, [...args, '--store', site.store], { input, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `quyhoach ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
function watch(page, who) {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location()?.url || '';
    if (m.text().startsWith('Failed to load resource') && OPTIONAL.some((o) => url.endsWith(o))) return;
    if (/status of 401/.test(m.text()) && /\/api\/v1\/auth\/me/.test(url)) return;
    consoleErrors.push(`${who}: ${m.text()} ${url}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${who}: page error: ${e.message}`));
}
async function axe(page, where, selector = 'body') {
  await page.evaluate(AXE);
  const v = await page.evaluate(
    async (sel) => (await window.axe.run(sel, { resultTypes: ['violations'] })).violations.map((x) => `${x.id} (${x.impact}, ${x.nodes.length}×: ${x.nodes[0].target.join(' ')})`),
    selector,
  );
  assert.deepEqual(v, [], `axe on ${where}`);
}
async function shot(page, name, doc = null, opts = {}) {
  await page.screenshot({ path: path.join(SHOTS, `announce-${name}.png`), ...opts });
  if (DOC_IMAGES && doc) await page.screenshot({ path: path.join(DOCS, `announce-${doc}.png`), ...opts });
}
const skipTour = () => localStorage.setItem('qh.tour.seen', '1');
const pngSize = (b) => [b.readUInt32BE(16), b.readUInt32BE(20)];

await step('CLI: quyhoach users add makes a commune officer of 31150', async () => {
  cli(['users', 'add', '--username', 'canbo.vt', '--name', 'UBND thị trấn Vĩnh Thanh', '--role', 'commune', '--commune', COMMUNE, '--password-stdin'], `${PASSWORD}\n`);
});

const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN', permissions: ['clipboard-read', 'clipboard-write'] });
await ctx.addInitScript(skipTour);
const page = await ctx.newPage();
watch(page, 'official');
let notice = null; // { id, url, links: {file: href} }

await step('desktop: the officer signs in, opens "Thông báo", announces the draft over 31150 (progress shown) and sees every output linked; axe clean', async () => {
  await page.goto(`${site.url}/#/official`);
  await page.locator('#tw-login').waitFor({ timeout: 60_000 });
  await page.locator('#tw-user').fill('canbo.vt');
  await page.locator('#tw-pass').fill(PASSWORD);
  await page.locator('#tw-login-btn').click();
  await page.locator('#tw-tab-announce').click();
  await page.locator('#tw-an-form').waitFor({ timeout: T });
  assert.equal(await page.locator('#tw-an-plan').inputValue(), DRAFT, 'the draft comes first');
  assert.equal(await page.locator('#tw-an-commune').inputValue(), COMMUNE);
  await page.locator('#tw-an-msg').fill('Mời bà con xem dự thảo và góp ý trước ngày kết thúc.');
  await page.locator('#tw-an-addr').fill('Trụ sở UBND thị trấn, khu phố 2');
  await page.locator('#tw-an-phone').fill('0297 3 123 456');
  await axe(page, 'the announce form', '#official');
  await page.locator('#tw-an-go').click();
  await page.waitForFunction(() => document.querySelector('#tw-an-status progress') || document.querySelector('.tw-an-notice'), null, { timeout: T });
  await page.locator('.tw-an-notice').waitFor({ timeout: RENDER_T });
  const err = await page.locator('#tw-an-err').innerText();
  assert.equal(err, '', `no error: ${err}`);
  await page.waitForFunction(() => document.querySelector('#tw-an-post')?.value.length > 0, null, { timeout: T });
  const id = await page.locator('.tw-an-notice').getAttribute('data-id');
  const links = {};
  for (const a of await page.locator('.tw-an-files a[data-file]').all()) links[await a.getAttribute('data-file')] = await a.getAttribute('href');
  assert.deepEqual(Object.keys(links).sort(), Object.keys(TYPES).sort(), 'every output is linked');
  const url = await page.locator('#tw-an-page').getAttribute('href');
  assert.match(url, new RegExp(`/thong-bao/${COMMUNE}/${id}$`));
  assert.equal(await page.locator('.tw-an-notice audio').count(), 1, 'the audio plays in place');
  notice = { id, url, links };
  const post = await page.locator('#tw-an-post').inputValue();
  assert.match(post.split('\n')[0], /^📢 Lấy ý kiến dự thảo.*Vĩnh Thanh$/);
  assert.ok(post.length <= 2000);
  assert.match(await page.locator('#tw-an-frag').inputValue(), /^<article/);
  await axe(page, 'the notice outputs', '#official');
  await shot(page, 'official', 'official', { fullPage: true });
});

await step('each output answers 200 with its type and is what it says', async () => {
  assert.ok(notice, 'a notice was made');
  for (const [file, href] of Object.entries(notice.links)) {
    const r = await fetch(new URL(href, site.url));
    assert.equal(r.status, 200, `${file}: ${r.status}`);
    const ct = r.headers.get('content-type') || '';
    assert.ok(ct.startsWith(TYPES[file]), `${file}: ${ct}`);
    const b = Buffer.from(await r.arrayBuffer());
    assert.ok(b.length > 0, `${file} is empty`);
    if (file.endsWith('.pdf')) assert.equal(b.subarray(0, 5).toString(), '%PDF-', file);
    if (file === 'post.png') assert.deepEqual(pngSize(b), [1200, 630], 'post.png is 1200×630');
    if (file === 'notice.ogg') assert.equal(b.subarray(0, 4).toString(), 'OggS');
    if (file === 'notice.mp3') assert.ok(b.subarray(0, 3).toString() === 'ID3' || (b[0] === 0xff && (b[1] & 0xe0) === 0xe0), 'MP3');
    if (file === 'page.html') assert.ok(!/<script/i.test(b.toString()), 'no script in the fragment');
  }
});

await step('the copy button puts the post on the clipboard', async () => {
  await page.locator('#tw-an-copy-post').click();
  await page.waitForFunction(() => document.querySelector('#tw-an-copy-post').textContent === 'Đã sao chép', null, { timeout: T });
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(clip, await page.locator('#tw-an-post').inputValue());
});

await step('the public page /thong-bao/31150 lists the notice with its picture, audio and files; axe clean; no script', async () => {
  const pub = await ctx.newPage();
  watch(pub, 'public');
  await pub.goto(`${site.url}/thong-bao/${COMMUNE}`);
  assert.match(await pub.locator('h1').innerText(), /^Thông báo quy hoạch — /);
  const art = pub.locator(`article[id="${notice.id}"]`);
  assert.equal(await art.count(), 1, 'the notice is listed');
  assert.equal(await pub.locator('script').count(), 0);
  assert.ok(await art.locator('audio[controls]').count(), 'an audio player');
  const hrefs = await art.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  for (const href of Object.values(notice.links)) assert.ok(hrefs.includes(href), `the page links ${href}`);
  const img = art.locator('img.pic');
  await img.scrollIntoViewIfNeeded();
  assert.equal(await img.evaluate((i) => (i.complete ? i.naturalWidth : new Promise((ok) => (i.onload = () => ok(i.naturalWidth))))), 1200, 'the picture loads');
  await axe(pub, '/thong-bao/31150');
  await shot(pub, 'public', 'public', { fullPage: true });
  await pub.goto(`${site.url}/thong-bao/${COMMUNE}?lang=en`);
  assert.match(await pub.locator('h1').innerText(), /^Planning notices — /);
  await axe(pub, '/thong-bao/31150?lang=en');
  // The notice's own page: the link whose preview shows the post's picture.
  await pub.goto(notice.url);
  const og = await pub.locator('meta[property="og:image"]').getAttribute('content');
  assert.equal(og, new URL(notice.links['post.png'], site.url).href);
  assert.equal(await pub.locator('meta[property="og:image:width"]').getAttribute('content'), '1200');
  assert.equal(await pub.locator('meta[property="og:image:height"]').getAttribute('content'), '630');
  await axe(pub, 'the notice page');
  await pub.close();
});

await step('phone (412×915): the public page and the panel fit the screen and are axe clean', async () => {
  const phone = await browser.newContext({ viewport: { width: 412, height: 915 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'vi-VN' });
  await phone.addInitScript(skipTour);
  const p = await phone.newPage();
  watch(p, 'phone');
  await p.goto(`${site.url}/thong-bao/${COMMUNE}`);
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
  await axe(p, '/thong-bao/31150 on a phone');
  await shot(p, 'public-phone', 'public-phone');
  await p.goto(`${site.url}/#/official`);
  await p.locator('#tw-login').waitFor({ timeout: 60_000 });
  await p.locator('#tw-user').fill('canbo.vt');
  await p.locator('#tw-pass').fill(PASSWORD);
  await p.locator('#tw-login-btn').click();
  await p.locator('#tw-tab-announce').click();
  await p.locator(`#tw-an-items li[data-id="${notice.id}"]`).waitFor({ timeout: T });
  await p.locator(`[data-show="${notice.id}"]`).click();
  await p.locator('.tw-an-notice').waitFor({ timeout: T });
  const wide = await p.evaluate(() => document.querySelector('#official .tw-card').scrollWidth - document.querySelector('#official .tw-card').clientWidth);
  assert.ok(wide <= 0, `the panel is wider than the phone by ${wide} px`);
  await axe(p, 'the panel on a phone', '#official');
  await shot(p, 'official-phone', 'official-phone');
  await phone.close();
});

await step('withdrawing the notice takes it off the public page and the list', async () => {
  page.once('dialog', (d) => d.accept());
  await page.locator('#tw-an-withdraw').click();
  await page.locator('.tw-an-notice strong', { hasText: 'Đã thu hồi' }).waitFor({ timeout: T });
  const list = await (await fetch(`${site.url}/api/v1/notices?commune=${COMMUNE}`)).json();
  assert.ok(!list.notices.some((n) => n.id === notice.id), 'not listed');
  const html = await (await fetch(`${site.url}/thong-bao/${COMMUNE}`)).text();
  assert.ok(!html.includes(notice.id), 'not on the public page');
  assert.equal((await fetch(new URL(notice.links['post.png'], site.url))).status, 410);
});

await browser.close();
await site.close();
if (consoleErrors.length) console.log(`console errors:\n${consoleErrors.join('\n')}`);
finish(consoleErrors.length ? 1 : 0);
