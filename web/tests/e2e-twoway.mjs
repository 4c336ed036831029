// End-to-end test of the two-way portal (issue 13, "Done when"), in Debian's Chromium on the
// real server and a 3,000-parcel demo. A citizen on a phone (390×844, touch) opens a parcel
// under the draft plan, asks about it with contact details and gets the private link, which
// says "chưa có trả lời". An official made with the real CLI (`quyhoach users add
// --password-stdin`) signs in at #/official on a desktop, finds the question, answers and
// publishes it; the asker's link shows the answer; a fresh visitor sees it in the report's
// Q&A and in #/qa (searched without diacritics). A consultation opened with the CLI
// (`quyhoach consultations open`) takes a comment ("Góp ý dự thảo"); the official answers it;
// the consultation is closed (`consultations close`) and a second comment, written while it
// was open, is refused with the server's plain message; the summary CSV (fetched with the
// official's cookie) lists the first comment with its response. No contact detail appears on
// any public page or answer. axe on the dialog, the private page, #/qa and #/official; English
// once. Screenshots: target/e2e-screenshots/twoway-*; with --doc-images also docs/img/twoway-*.
//
//   cd web && npm run build && node tests/e2e-twoway.mjs [--doc-images]
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
const AXE = fs.readFileSync(path.join(REPO, 'web/node_modules/axe-core/axe.min.js'), 'utf8');
const OPTIONAL = ['/styles/planning.json', '/tiles/planning.json', '/config.json'];
const BIN = process.env.QUYHOACH_BIN || path.join(REPO, 'target/release/quyhoach');

// E2E_DB_URL (set by e2e-twoway-postgres.mjs): the two-way state in PostgreSQL, for the
// server and the CLI alike; otherwise the store's portal.sqlite.
const DB_URL = process.env.E2E_DB_URL || '';
const DB_ARGS = DB_URL ? ['--db-url', DB_URL] : [];
const site = await startRestartableSite({ parcels: Number(process.env.E2E_PARCELS || 3000), args: DB_ARGS });
console.log(`site ${site.url}, store ${site.store}, state ${DB_URL ? 'PostgreSQL' : 'SQLite'}`);
const { step, finish } = steps();
const consoleErrors = [];

/** The real CLI on the server's store (its portal.sqlite), as an operator runs it. */
function cli(args, input) {
  const r = spawnSync(BIN, [...args, '--store', site.store, ...DB_ARGS], { input, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `quyhoach ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const getJson = async (p) => {
  const r = await fetch(site.api + p);
  return { status: r.status, body: await r.json().catch(() => null) };
};

// A parcel under the draft plan (qhpk-2000-dc): the parcel at the middle of its first zone.
const DRAFT = 'qhpk-2000-dc';
const zones = (await getJson(`/ogc/collections/zones-${DRAFT}/items?limit=1`)).body;
const ring = zones.features[0].geometry.type === 'Polygon' ? zones.features[0].geometry.coordinates[0] : zones.features[0].geometry.coordinates[0][0];
const mid = (i) => (Math.min(...ring.map((c) => c[i])) + Math.max(...ring.map((c) => c[i]))) / 2;
const at = (await getJson(`/api/v1/parcels/at?lon=${mid(0)}&lat=${mid(1)}`)).body.features[0].properties;
const PARCEL = `${at.commune_code}/${at.sheet}/${at.parcel}`;
console.log(`parcel ${PARCEL} under ${DRAFT}`);

// What the citizen writes; none of the contact details may appear on a public page.
const CONTACT = { name: 'Trần Thị Bảo Ngọc', phone: '0912 345 678', email: 'ngoc.tran@example.vn' };
const QUESTION = `Thửa của tôi có bị mở rộng đường không? Hỏi lúc ${Date.now()}.`;
const ANSWER = 'Theo quy hoạch phân khu, thửa đất không nằm trong chỉ giới đường đỏ.';
const COMMENT = 'Tôi không đồng ý chuyển ô phố này sang đất công cộng vì nhà dân đã ở lâu năm.';
const RESPONSE = 'Ban quản lý ghi nhận, sẽ xem xét khi hoàn chỉnh dự thảo.';
const COMMENT_LATE = 'Góp ý gửi sau khi đã hết hạn lấy ý kiến.';
const PASSWORD = 'mật-khẩu-rất-dài-2025';

// The demo opens a consultation on its draft by itself; the test closes it and opens its own
// from now for 30 days, as an operator does with the CLI.
const listOpen = async () => {
  const b = (await getJson(`/api/v1/consultations?plan=${DRAFT}&status=open`)).body;
  return Array.isArray(b) ? b : b.items;
};
for (const c of await listOpen()) cli(['consultations', 'close', '--id', String(c.id)]);
assert.equal((await listOpen()).length, 0, 'the demo consultation is closed');
const closes = new Date(Date.now() + 30 * 86400_000).toISOString().slice(0, 10);
cli(['consultations', 'open', '--plan', DRAFT, '--title', 'Lấy ý kiến điều chỉnh ô phố A8–A12', '--opens', 'now', '--closes', closes]);
const opened = await listOpen();
assert.equal(opened.length, 1, 'one consultation open: the test\'s');
const CID = opened[0].id;

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
function watch(page, who) {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location()?.url || '';
    if (m.text().startsWith('Failed to load resource') && OPTIONAL.some((o) => url.endsWith(o))) return;
    // Refusals the test provokes
    // (a comment after closing, "who am I" before signing in, a wrong password, a stale version).
    if (/status of (401|409|422)/.test(m.text()) && /\/api\/v1\/(feedback|auth\/me|auth\/login|official\/submissions)/.test(url)) return;
    consoleErrors.push(`${who}: ${m.text()} ${url}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${who}: page error: ${e.message}`));
}
async function axe(page, where, selector) {
  await page.evaluate(AXE);
  const v = await page.evaluate(
    async (sel) => (await window.axe.run(sel, { resultTypes: ['violations'] })).violations.map((x) => `${x.id} (${x.impact}, ${x.nodes.length}×: ${x.nodes[0].target.join(' ')})`),
    selector,
  );
  assert.deepEqual(v, [], `axe on ${where}`);
}
async function shot(page, name, doc = null) {
  await page.screenshot({ path: path.join(SHOTS, `twoway-${name}.png`) });
  if (DOC_IMAGES && doc) await page.screenshot({ path: path.join(DOCS, `twoway-${doc}.png`) });
}
/** No name, phone or email the citizen gave, in the page's text or markup. */
async function noContact(page, where) {
  const html = await page.content();
  for (const v of Object.values(CONTACT)) assert.ok(!html.includes(v), `${where} shows "${v}"`);
}
const phoneCtx = () => browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'vi-VN' });
const desktopCtx = () => browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
const skipTour = () => localStorage.setItem('qh.tour.seen', '1');

async function openReport(page, extra = '') {
  await page.goto(`${site.url}/?p=${PARCEL}${extra}`);
  await page.locator('#act-ask').waitFor({ timeout: 60_000 });
}

// ---------------------------------------------------------------- the citizen, on a phone
const citizenCtx = await phoneCtx();
await citizenCtx.addInitScript(skipTour);
const citizen = await citizenCtx.newPage();
watch(citizen, 'citizen');
let privateUrl = '';

await step('phone: a report offers ask / report an error / follow, and "Góp ý dự thảo" on the draft plan while it is open', async () => {
  await openReport(citizen);
  assert.equal((await citizen.locator('#act-ask').innerText()).trim(), 'Hỏi về thửa này');
  assert.equal((await citizen.locator('#act-error').innerText()).trim(), 'Báo sai dữ liệu');
  assert.equal((await citizen.locator('#act-follow').innerText()).trim(), 'Theo dõi thửa này');
  const draft = citizen.locator(`section.plan[data-plan="${DRAFT}"]`);
  await draft.locator('[data-tw=comment]').waitFor({ timeout: T });
  assert.equal((await draft.locator('[data-tw=comment]').innerText()).trim(), 'Góp ý dự thảo');
  assert.match(await draft.locator('.tw-consult-note').innerText(), /Đang lấy ý kiến.*\d\d\/\d\d\/\d{4}/);
  assert.equal(await citizen.locator(`section.plan[data-plan="qhpk-2000"] [data-tw=comment]`).count(), 0, 'no comment button on a plan in force');
});

await step('phone: each zone of a plan section has "Hỏi về ô …", whose dialog names the zone and its plan; axe clean', async () => {
  const zoneBtn = citizen.locator(`section.plan[data-plan="${DRAFT}"] [data-tw=ask-zone]`).first();
  await zoneBtn.waitFor({ timeout: T });
  const label = (await zoneBtn.innerText()).trim();
  assert.match(label, /^Hỏi về ô \S+/);
  const zone = label.replace(/^Hỏi về ô /, '');
  await zoneBtn.click();
  const dlg = citizen.locator('dialog#dialog[open]');
  await dlg.locator('#tw-body').waitFor({ timeout: T });
  const about = (await dlg.locator('#tw-about').innerText()).normalize('NFC');
  try {
    assert.ok(about.includes(zone), `the zone ${JSON.stringify(zone)} (from ${JSON.stringify(label)}) is named: ${about}`);
    assert.ok(about.includes('dự thảo'.normalize('NFC')), `the draft plan is named: ${about}`);
    await axe(citizen, 'the zone ask dialog', '#dialog');
  } finally {
    await dlg.locator('#tw-cancel').click();
  }
});

await step('phone: the citizen asks about the parcel with contact details — the dialog names the parcel, counts characters, keeps its promise; axe clean', async () => {
  await citizen.locator('#act-ask').click();
  const dlg = citizen.locator('dialog#dialog[open]');
  await dlg.locator('#tw-body').waitFor({ timeout: T });
  assert.match(await dlg.locator('#tw-about').innerText(), new RegExp(`Thửa ${at.parcel}, tờ ${at.sheet}, `));
  assert.match(await dlg.locator('#tw-promise').innerText(), /không công bố, tự xoá sau \d+ ngày/);
  assert.ok(await dlg.locator('#tw-body').evaluate((el) => el === document.activeElement), 'the question field has the focus');
  await dlg.locator('#tw-body').fill(QUESTION);
  assert.match(await dlg.locator('#tw-count').innerText(), new RegExp(`^${QUESTION.length}/4\\.000`));
  await dlg.locator('#tw-name').fill(CONTACT.name);
  await dlg.locator('#tw-phone').fill(CONTACT.phone);
  await dlg.locator('#tw-email').fill(CONTACT.email);
  // The honeypot is out of sight and out of the accessibility tree.
  assert.equal(await dlg.locator('.tw-hp').getAttribute('aria-hidden'), 'true');
  assert.equal(await dlg.locator('#tw-website').getAttribute('tabindex'), '-1');
  await axe(citizen, 'the ask dialog', '#dialog');
  await shot(citizen, 'phone-dialog', 'phone-dialog');
  await dlg.locator('#tw-send').click();
  await dlg.locator('#tw-link').waitFor({ timeout: T });
  privateUrl = await dlg.locator('#tw-link').inputValue();
  assert.match(privateUrl, new RegExp(`^${site.url}/#/q/[0-9a-f]{64}$`));
  assert.match(await dlg.innerText(), /Hãy giữ đường dẫn này/);
  const saved = await citizen.evaluate(() => JSON.parse(localStorage.getItem('qh.questions') || '[]'));
  assert.equal(saved.length, 1);
  assert.ok(privateUrl.endsWith(saved[0].token), 'the link is saved in this browser');
  await shot(citizen, 'phone-sent');
});

await step('phone: the private link says "chưa có trả lời"; "Câu hỏi của tôi" lists it; axe clean', async () => {
  await citizen.locator('#tw-open').click();
  await citizen.locator('#tw-q-state').waitFor({ timeout: T });
  assert.equal(await citizen.locator('#tw-q-state').getAttribute('data-state'), 'new');
  assert.match((await citizen.locator('#tw-q-state').innerText()).toLowerCase(), /chưa có trả lời/);
  assert.equal((await citizen.locator('#tw-q-body').innerText()).trim(), QUESTION);
  assert.match(await citizen.locator('#tw-q-subject').innerText(), new RegExp(`Thửa ${at.parcel}, tờ ${at.sheet}`));
  assert.ok(await citizen.locator('#tw-q-del').isVisible(), 'the asker can delete their contact details');
  await axe(citizen, 'the private page', '#twoway');
  await citizen.goto(`${site.url}/#/mine`);
  await citizen.locator(`#twoway a[href="#/q/${privateUrl.split('/').pop()}"]`).waitFor({ timeout: T });
});

// ---------------------------------------------------------------- the official, on a desktop
await step('CLI: quyhoach users add --password-stdin makes a planning-office official', async () => {
  cli(['users', 'add', '--username', 'canbo.qh', '--name', 'Lê Văn Quy Hoạch', '--role', 'planning_office', '--password-stdin'], `${PASSWORD}\n`);
});

const officialCtx = await desktopCtx();
await officialCtx.addInitScript(skipTour);
const official = await officialCtx.newPage();
watch(official, 'official');

async function openInboxItem(text, { kind = '', state = 'new' } = {}) {
  if (kind) await official.locator('#tw-f-kind').selectOption(kind);
  await official.locator('#tw-f-state').selectOption(state);
  await official.locator('#tw-o-filters button[type=submit]').click();
  const item = official.locator('#tw-o-items button', { hasText: text.slice(0, 30) });
  await item.first().waitFor({ timeout: T });
  await item.first().click();
  await official.locator('#tw-o-item-h').waitFor({ timeout: T });
}
async function act(button) {
  const before = await official.locator('#tw-o-detail .tw-item').getAttribute('data-version');
  await button.click();
  await official.waitForFunction((v) => document.querySelector('#tw-o-detail .tw-item')?.dataset.version !== v, before, { timeout: T });
}

await step('desktop: the official signs in at #/official (a wrong password is refused plainly), finds the question with its contact marked "không công bố", answers and publishes; axe clean', async () => {
  await official.goto(`${site.url}/#/official`);
  await official.locator('#tw-login').waitFor({ timeout: 60_000 });
  await axe(official, 'the sign-in form', '#official');
  await official.locator('#tw-user').fill('canbo.qh');
  await official.locator('#tw-pass').fill('sai-mật-khẩu-hoàn-toàn');
  await official.locator('#tw-login-btn').click();
  await official.waitForFunction(() => document.querySelector('#tw-login-err')?.textContent.length > 0, null, { timeout: T });
  assert.equal(await official.locator('#tw-login-err').innerText(), 'Sai tên đăng nhập hoặc mật khẩu.');
  await official.locator('#tw-pass').fill(PASSWORD);
  await official.locator('#tw-login-btn').click();
  await official.locator('#tw-o-items').waitFor({ state: 'attached', timeout: T });
  await openInboxItem(QUESTION, { kind: 'question' });
  const detail = official.locator('#tw-o-detail');
  assert.equal((await detail.locator('#tw-o-body').innerText()).trim(), QUESTION);
  const contact = await detail.locator('#tw-o-contact').innerText();
  assert.match(contact, /không công bố/);
  for (const v of Object.values(CONTACT)) assert.ok(contact.includes(v), `the official sees ${v}`);
  assert.match(await detail.innerText(), new RegExp(`Thửa ${at.parcel}, tờ ${at.sheet}`));
  await axe(official, 'the inbox with an item', '#official');
  await shot(official, 'official-inbox', 'official-inbox');
  await detail.locator('#tw-o-answer-text').fill(ANSWER);
  await act(detail.locator('#tw-o-answer-btn'));
  assert.match(await detail.innerText(), /Đã lưu/);
  await act(detail.locator('#tw-o-publish'));
  assert.match(await detail.locator('.tw-item p strong').first().innerText(), /công bố/);
});

await step('desktop: a stale version gets 409 and the UI shows "someone else … first" with the current answer', async () => {
  // Another tab answered since: the page still holds the old version.
  const detail = official.locator('#tw-o-detail');
  const id = await detail.locator('.tw-item').getAttribute('data-id');
  const stale = Number(await detail.locator('.tw-item').getAttribute('data-version'));
  await official.evaluate(
    async ({ id, stale }) => {
      const me = await (await fetch('/api/v1/auth/me')).json();
      await fetch(`/api/v1/official/submissions/${id}/answer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrf }, body: JSON.stringify({ answer: document.querySelector('#tw-o-answer-text').value + ' (bổ sung)', version: stale }) });
    },
    { id, stale },
  );
  await detail.locator('#tw-o-answer-text').fill(`${ANSWER} Sửa lần hai.`);
  await detail.locator('#tw-o-answer-btn').click();
  await detail.locator('#tw-o-conflict').waitFor({ timeout: T });
  assert.match(await detail.locator('#tw-o-conflict').innerText(), /Người khác đã sửa mục này trước bạn[\s\S]*\(bổ sung\)/);
});

// ---------------------------------------------------------------- the answer reaches people
await step('phone: the asker\'s private link shows the answer and who gave it', async () => {
  await citizen.goto(privateUrl);
  await citizen.locator('#tw-q-state').waitFor({ timeout: T });
  assert.equal(await citizen.locator('#tw-q-state').getAttribute('data-state'), 'published');
  assert.match(await citizen.locator('#tw-q-answer').innerText(), /không nằm trong chỉ giới đường đỏ/);
  assert.match(await citizen.locator('#twoway').innerText(), /Lê Văn Quy Hoạch/);
  await axe(citizen, 'the private page with its answer', '#twoway');
  await shot(citizen, 'private-answer', 'private-answer');
});

const visitorCtx = await desktopCtx();
await visitorCtx.addInitScript(skipTour);
const visitor = await visitorCtx.newPage();
watch(visitor, 'visitor');

await step('a fresh visitor opens the parcel and reads the Q&A on its report — without any contact detail', async () => {
  await openReport(visitor);
  await visitor.locator('#tw-faq-title').waitFor({ timeout: T });
  assert.equal(await visitor.locator('#tw-faq-title').innerText(), 'Câu hỏi thường gặp về quy hoạch này');
  const faq = await visitor.locator('.tw-faq').innerText();
  assert.ok(faq.includes(QUESTION), 'the question is on the report');
  assert.match(faq, /không nằm trong chỉ giới đường đỏ/);
  await visitor.locator('.tw-faq').scrollIntoViewIfNeeded();
  await shot(visitor, 'report-qa', 'report-qa');
  await noContact(visitor, 'the report');
});

await step('#/qa: the public Q&A finds the question searched without diacritics, filters by plan; axe clean; no contact', async () => {
  await visitor.goto(`${site.url}/#/qa?q=${encodeURIComponent('mo rong duong')}`);
  await visitor.locator('#tw-qa-list .tw-qa-item').first().waitFor({ timeout: T });
  assert.ok((await visitor.locator('#tw-qa-list').innerText()).includes(QUESTION));
  await axe(visitor, '#/qa', '#twoway');
  await noContact(visitor, '#/qa');
  await visitor.locator('#tw-qa-q').fill('khong co cau hoi nao nhu the nay zzz');
  await visitor.locator('#tw-qa-form button[type=submit]').click();
  await visitor.waitForFunction(() => /Chưa có câu hỏi/.test(document.querySelector('#tw-qa-count')?.textContent || ''), null, { timeout: T });
  const api = await getJson(`/api/v1/qa?parcel=${PARCEL}`);
  const text = JSON.stringify(api.body);
  assert.ok(text.includes(QUESTION));
  for (const v of Object.values(CONTACT)) assert.ok(!text.includes(v), `/api/v1/qa shows ${v}`);
});

// ---------------------------------------------------------------- comments on the draft
let lateDialog = null;
await step('phone: a comment on the draft plan inside the window is accepted (position, text, no photo)', async () => {
  await openReport(citizen);
  const btn = citizen.locator(`section.plan[data-plan="${DRAFT}"] [data-tw=comment]`);
  await btn.waitFor({ timeout: T });
  await btn.click();
  const dlg = citizen.locator('dialog#dialog[open]');
  await dlg.locator('#tw-position').waitFor({ timeout: T });
  await axe(citizen, 'the comment dialog', '#dialog');
  await dlg.locator('#tw-send').click();
  assert.match(await dlg.locator('#tw-error').innerText(), /đồng ý, không đồng ý hoặc ý kiến khác/);
  await dlg.locator('input[name=position][value=object]').check();
  await dlg.locator('#tw-body').fill(COMMENT);
  await dlg.locator('#tw-send').click();
  await dlg.locator('#tw-link').waitFor({ timeout: T });
  assert.match(await dlg.innerText(), /Góp ý của bạn đã được ghi nhận/);
  await dlg.locator('#tw-close').click();
  // A second comment, written while the window is open, sent after it closed.
  await btn.click();
  await dlg.locator('#tw-position').waitFor({ timeout: T });
  await dlg.locator('input[name=position][value=support]').check();
  await dlg.locator('#tw-body').fill(COMMENT_LATE);
  lateDialog = dlg;
});

await step('desktop: the official answers and publishes the comment', async () => {
  await official.locator('#tw-tab-inbox').click();
  await official.locator('#tw-o-items').waitFor({ state: 'attached', timeout: T });
  await openInboxItem(COMMENT, { kind: 'comment' });
  const detail = official.locator('#tw-o-detail');
  await detail.locator('#tw-o-answer-text').fill(RESPONSE);
  await act(detail.locator('#tw-o-answer-btn'));
  await act(detail.locator('#tw-o-publish'));
});

await step('CLI: consultations close; the comment sent now is refused with a plain message, and the button is gone', async () => {
  cli(['consultations', 'close', '--id', String(CID)]);
  await lateDialog.locator('#tw-send').click();
  await citizen.waitForFunction(() => (document.querySelector('#tw-error')?.textContent || '').length > 0, null, { timeout: T });
  const msg = await lateDialog.locator('#tw-error').innerText();
  assert.match(msg, /^Không gửi được: /);
  assert.doesNotMatch(msg, /HTTP \d|urn:|\{/, 'no raw error');
  console.log(`     refused: ${msg}`);
  await lateDialog.locator('#tw-cancel').click();
  await openReport(citizen);
  await citizen.locator(`section.plan[data-plan="${DRAFT}"] [data-tw=ask-plan]`).waitFor({ timeout: T });
  await citizen.waitForTimeout(1000);
  assert.equal(await citizen.locator('[data-tw=comment]').count(), 0);
});

await step('the consultation summary (CSV, with the official\'s cookie) lists the comment with its response and no contact; the public page shows it', async () => {
  await official.locator('#tw-tab-consult').click();
  await official.locator(`#tw-oc-list li[data-id="${CID}"]`).waitFor({ timeout: T });
  const csvHref = await official.locator(`#tw-oc-list li[data-id="${CID}"] a[href$="summary.csv"]`).getAttribute('href');
  const csv = await official.evaluate(async (u) => (await fetch(u)).text(), csvHref);
  assert.ok(csv.includes(COMMENT), 'the comment is in the summary');
  assert.ok(csv.includes(RESPONSE), 'with its response');
  for (const v of Object.values(CONTACT)) assert.ok(!csv.includes(v));
  const anon = await fetch(`${site.api}${csvHref}`);
  assert.equal(anon.status, 401, 'the summary needs an official');
  await visitor.goto(`${site.url}/#/consultations/${CID}`);
  await visitor.locator('.tw-comment').first().waitFor({ timeout: T });
  const page = await visitor.locator('#twoway').innerText();
  assert.ok(page.includes(COMMENT) && page.includes(RESPONSE));
  assert.match(page, /Đã kết thúc/);
  await noContact(visitor, 'the consultation page');
  await visitor.goto(`${site.url}/#/consultations`);
  await visitor.locator('.tw-clist li').first().waitFor({ timeout: T });
  assert.match(await visitor.locator('.tw-clist').innerText(), /\d\d\/\d\d\/\d{4}/);
});

await step('follow: the parcel is followed from its report; the Atom link and the manage page work', async () => {
  await openReport(visitor);
  await visitor.locator('#act-follow').click();
  const dlg = visitor.locator('dialog#dialog[open]');
  await dlg.locator('#tw-fsend').click();
  await dlg.locator('#tw-feed').waitFor({ timeout: T });
  const feed = await dlg.locator('#tw-feed').inputValue();
  assert.match(feed, /\/feeds\/follow\/[0-9a-f]{64}\.atom$/);
  const atom = await fetch(feed);
  assert.equal(atom.status, 200);
  assert.match(atom.headers.get('content-type'), /atom\+xml/);
  await dlg.locator('#tw-manage').click();
  await visitor.locator('#tw-unsub').waitFor({ timeout: T });
});

await step('English once: the report\'s buttons and Q&A, and #/qa', async () => {
  const ctx = await desktopCtx();
  await ctx.addInitScript(skipTour);
  const page = await ctx.newPage();
  watch(page, 'english');
  await openReport(page, '&lang=en');
  assert.equal((await page.locator('#act-ask').innerText()).trim(), 'Ask about this parcel');
  assert.equal((await page.locator('#act-error').innerText()).trim(), 'Report a data error');
  await page.locator('#tw-faq-title').waitFor({ timeout: T });
  assert.equal(await page.locator('#tw-faq-title').innerText(), 'Frequently asked questions about this plan');
  await page.goto(`${site.url}/#/qa?lang=en`);
  await page.locator('#tw-qa-list .tw-qa-item').first().waitFor({ timeout: T });
  assert.equal(await page.locator('#tw-heading').innerText(), 'Questions and answers about plans');
  await ctx.close();
});

await step('phone: the asker deletes their contact details from the private page', async () => {
  await citizen.goto(privateUrl);
  await citizen.locator('#tw-q-del').waitFor({ timeout: T });
  citizen.once('dialog', (d) => d.accept());
  await citizen.locator('#tw-q-del').click();
  await citizen.waitForFunction(() => /Đã xoá/.test(document.querySelector('#tw-q-msg')?.textContent || ''), null, { timeout: T });
  await citizen.reload();
  await citizen.locator('#tw-q-contact').waitFor({ timeout: T });
  assert.equal(await citizen.locator('#tw-q-del').count(), 0);
});

await step('official: sign out ends the session', async () => {
  await official.locator('#tw-o-out').click();
  await official.locator('#tw-login').waitFor({ timeout: T });
  const me = await official.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
  assert.equal(me, 401);
});

await step('no console errors', async () => {
  assert.deepEqual(consoleErrors, []);
});

await browser.close();
await site.close();
finish();
