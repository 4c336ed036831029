// The citizen's side of the two-way portal (docs/two-way.md#on-the-map): one dialog to ask
// about a parcel, a site or a plan, report a data error or comment on a draft plan open for
// consultation; the private page of a question (#/q/<token>); follows (#/follow/<token>,
// Atom feeds); the public Q&A (#/qa); the questions and follows kept in this browser
// (#/mine); consultations and their published comments (#/consultations[/<id>]).
//
// Nothing here shows a server's raw error: statuses become plain sentences (errorText), a
// 429 says when to try again. Private links and follows are saved in localStorage only.
import './twoway.css';
import { t, getLang, onLangChange, fmtArea } from './i18n.js';
import { esc } from './report.js';
import { dayOf, lastDay } from './twoway-report.js';

const QUESTIONS_KEY = 'qh.questions';
const FOLLOWS_KEY = 'qh.follows';
/** The server's limits (docs/two-way.md), checked here first so nobody waits to be refused. */
export const BODY_MAX = 4000;
const FILE_MAX = 5 * 1024 * 1024;
const FILE_TYPES = ['image/jpeg', 'image/png', 'application/pdf'];
const CONTACT_MAX = 200;
/** The contact retention the server uses by default (`--contact-retention-days`). */
const RETENTION_DAYS = 365;
/** Saved links kept per list (the oldest go first). */
const KEEP = 50;
const QA_PAGE = 20;
const enc = encodeURIComponent;

// ------------------------------------------------------------ requests
/**
 * A request to the API: `{ status, body, retryAfter }`; status 0 when the server cannot be
 * reached. `body` (an object) is sent as JSON, `form` (FormData) as multipart.
 */
export async function call(method, path, { body, form, headers = {} } = {}) {
  try {
    const r = await fetch(path, {
      method,
      headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: form || (body ? JSON.stringify(body) : undefined),
      cache: 'no-store',
      credentials: 'same-origin',
    });
    const ct = r.headers.get('content-type') || '';
    const out = r.status === 204 ? null : ct.includes('json') ? await r.json().catch(() => null) : await r.text().catch(() => null);
    return { status: r.status, body: out, retryAfter: Number(r.headers.get('retry-after')) || 0 };
  } catch {
    return { status: 0, body: null, retryAfter: 0 };
  }
}

function waitText(s) {
  const n = Math.max(1, Math.round(s || 60));
  return n < 120 ? t('tw.wait.s', { n }) : t('tw.wait.m', { n: Math.ceil(n / 60) });
}

/** What went wrong, in plain words: by status; a refusal (400/409/410/422) says the server's reason. */
export function errorText(r) {
  if (r.status === 0) return t('tw.err.network');
  if (r.status === 429) return t('tw.err.429', { wait: waitText(r.retryAfter) });
  if ([401, 403, 404, 413, 415, 503].includes(r.status)) return t(`tw.err.${r.status}`);
  if (r.status >= 500) return t('tw.err.500');
  let detail = r.body && typeof r.body === 'object' ? r.body.detail || r.body.title : '';
  // Refusals people meet (a closed consultation) come in both languages, "vi / en": show one.
  const halves = typeof detail === 'string' ? detail.split(' / ') : [];
  if (halves.length === 2) detail = getLang() === 'vi' ? halves[0] : halves[1];
  return t('tw.err.refused', { msg: detail || `HTTP ${r.status}` });
}

// ------------------------------------------------------------ dates and storage
/** A moment from the API (Unix seconds or RFC 3339) as a date and time in Vietnam. */
export function when(v) {
  if (v == null || v === '') return '—';
  const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  return new Intl.DateTimeFormat(getLang() === 'vi' ? 'vi-VN' : 'en-GB', { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Ho_Chi_Minh' }).format(d);
}
export { dayOf, lastDay };

function load(key) {
  try {
    const v = JSON.parse(localStorage.getItem(key) || '[]');
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}
function save(key, list) {
  try {
    localStorage.setItem(key, JSON.stringify(list.slice(0, KEEP)));
  } catch {
    /* private mode: the link is still shown */
  }
}
function remember(key, entry) {
  save(key, [entry, ...load(key).filter((x) => x.token !== entry.token)]);
}
function forget(key, token) {
  save(key, load(key).filter((x) => x.token !== token));
}

const absolute = (hash) => `${location.origin}${location.pathname}${hash}`;

// ------------------------------------------------------------ subjects
/** "Thửa 2, tờ 4, Vĩnh Thanh Vân", "Khu đất đã vẽ (1.200 m²)", "Quy hoạch: …". */
export function subjectLabel(s) {
  if (s.kind === 'plan') return t('tw.subject.plan', { plan: s.plan_name || s.plan_id });
  if (s.kind === 'zone') return t('tw.subject.zone', { zone: s.zone_id, plan: s.plan_name || s.plan_id });
  if (s.kind === 'parcel') return t('tw.subject.parcel', { parcel: s.number, sheet: s.sheet, commune: s.commune_name || s.commune });
  const area = s.area_m2 != null ? fmtArea(s.area_m2) : '—';
  return s.multi ? t('tw.subject.multi', { n: s.multi, area }) : t('tw.subject.site', { area });
}

/** The subject as the API takes it. A comment is about the parcel or site, on the draft plan. */
function apiSubject(s, kind) {
  const where = () => {
    if (s.kind === 'parcel') return { kind: 'parcel', parcel: s.parcel };
    const g = s.geometry;
    const geometry = g?.type === 'MultiPolygon' && g.coordinates.length === 1 ? { type: 'Polygon', coordinates: g.coordinates[0] } : g;
    return { kind: 'site', geometry };
  };
  if (kind === 'comment') return { ...where(), plan_id: s.plan_id };
  if (s.kind === 'plan') return { kind: 'plan', plan_id: s.plan_id };
  if (s.kind === 'zone') return { kind: 'zone', plan_id: s.plan_id, zone_id: s.zone_id };
  return where();
}

// ------------------------------------------------------------ the dialog
let opener = null;
function openDialog(html, onClose) {
  const dlg = document.getElementById('dialog');
  opener = document.activeElement;
  dlg.innerHTML = html;
  dlg.classList.add('tw-dlg');
  dlg.addEventListener(
    'close',
    () => {
      dlg.classList.remove('tw-dlg');
      onClose?.();
      if (opener?.isConnected) opener.focus();
    },
    { once: true },
  );
  if (!dlg.open) dlg.showModal();
  return dlg;
}

/** `kind`: question | error | comment. `subject`: the report's (main.js reportSubject), a plan's, a zone's. */
export function openSubmit(kind, subject) {
  const label = subjectLabel(subject);
  const comment = kind === 'comment';
  const c = subject.consultation;
  const html = `<form class="dlg tw-form" id="tw-form" novalidate>
    <h2 id="dialog-title">${esc(t(`tw.dlg.${kind}`))}</h2>
    <p class="tw-about" id="tw-about">${esc(t('tw.subject.about', { label }))}${comment ? `<br><span class="small">${esc(subject.plan_name || subject.plan_id)}</span>` : ''}</p>
    ${comment && c ? `<p class="small">${esc(t('tw.dlg.comment.window', { date: lastDay(c.closes_at) }))}</p>` : ''}
    ${
      comment
        ? `<fieldset class="tw-position" id="tw-position"><legend>${esc(t('tw.position'))}</legend>
      ${['support', 'object', 'other'].map((p) => `<label class="tw-radio"><input type="radio" name="position" value="${p}" /> ${esc(t(`tw.position.${p}`))}</label>`).join('')}
    </fieldset>`
        : ''
    }
    <label for="tw-body">${esc(t(`tw.body.${kind}`))}</label>
    <textarea id="tw-body" name="body" rows="5" maxlength="${BODY_MAX}" required aria-describedby="tw-count"></textarea>
    <p class="small muted tw-count" id="tw-count" aria-live="polite">${esc(t('tw.body.count', { n: 0, max: BODY_MAX.toLocaleString(getLang() === 'vi' ? 'vi-VN' : 'en-GB') }))}</p>
    ${
      comment || kind === 'error'
        ? `<label for="tw-file">${esc(t('tw.attach'))}</label>
    <input type="file" id="tw-file" name="attachment" accept="image/jpeg,image/png,application/pdf" />`
        : ''
    }
    <fieldset class="tw-contact"><legend>${esc(t('tw.contact'))}</legend>
      <p class="small" id="tw-promise">${esc(t('tw.contact.promise', { days: RETENTION_DAYS }))}</p>
      <label for="tw-name">${esc(t('tw.contact.name'))}</label>
      <input id="tw-name" name="name" autocomplete="name" maxlength="${CONTACT_MAX}" aria-describedby="tw-promise" />
      <label for="tw-phone">${esc(t('tw.contact.phone'))}</label>
      <input id="tw-phone" name="phone" type="tel" autocomplete="tel" maxlength="40" aria-describedby="tw-promise" />
      <label for="tw-email">${esc(t('tw.contact.email'))}</label>
      <input id="tw-email" name="email" type="email" autocomplete="email" maxlength="${CONTACT_MAX}" aria-describedby="tw-promise" />
    </fieldset>
    <div class="tw-hp" aria-hidden="true"><label for="tw-website">${esc(t('tw.honeypot'))}</label><input id="tw-website" name="website" tabindex="-1" autocomplete="off" /></div>
    <p class="tw-error" id="tw-error" role="alert"></p>
    <p class="tw-status small" id="tw-status" role="status"></p>
    <div class="actions-row">
      <button type="submit" class="btn primary" id="tw-send">${esc(t('tw.send'))}</button>
      <button type="button" class="btn" id="tw-cancel">${esc(t('tw.cancel'))}</button>
    </div></form>`;
  const dlg = openDialog(html);
  const $ = (s) => dlg.querySelector(s);
  const err = (msg, field) => {
    $('#tw-error').textContent = msg;
    if (field) {
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    }
  };
  $('#tw-cancel').addEventListener('click', () => dlg.close());
  const body = $('#tw-body');
  body.addEventListener('input', () => {
    $('#tw-count').textContent = t('tw.body.count', { n: body.value.length.toLocaleString(getLang() === 'vi' ? 'vi-VN' : 'en-GB'), max: BODY_MAX.toLocaleString(getLang() === 'vi' ? 'vi-VN' : 'en-GB') });
    body.removeAttribute('aria-invalid');
  });
  // The anti-spam form token: fetched as the dialog opens, sent no sooner than min_seconds later.
  let form = null;
  const formReady = call('GET', '/api/v1/feedback/form').then((r) => {
    if (r.status === 200 && r.body?.token) form = { token: r.body.token, min: Number(r.body.min_seconds) || 0, at: Date.now() };
    return r;
  });
  (comment ? $('#tw-position input') : body).focus();

  $('#tw-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('#tw-error').textContent = '';
    dlg.querySelectorAll('[aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid'));
    const text = body.value.trim();
    const position = dlg.querySelector('input[name=position]:checked')?.value;
    if (comment && !position) return err(t('tw.position.empty'), $('#tw-position input'));
    if (!text || text.length > BODY_MAX) return err(t('tw.body.empty'), body);
    const email = $('#tw-email').value.trim();
    if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return err(t('tw.email.bad'), $('#tw-email'));
    const file = $('#tw-file')?.files?.[0] || null;
    if (file && file.size > FILE_MAX) return err(t('tw.attach.big', { size: `${(file.size / 1048576).toFixed(1)} MB` }), $('#tw-file'));
    if (file && !FILE_TYPES.includes(file.type)) return err(t('tw.attach.type'), $('#tw-file'));
    const send = $('#tw-send');
    send.disabled = true;
    $('#tw-status').innerHTML = `<span class="spinner tw-spin" aria-hidden="true"></span> ${esc(t('tw.sending'))}`;
    try {
      const fr = await formReady;
      if (!form) return err(errorText(fr));
      const early = form.min * 1000 + 300 - (Date.now() - form.at);
      if (early > 0) await new Promise((res) => setTimeout(res, early));
      const contact = { name: $('#tw-name').value.trim(), phone: $('#tw-phone').value.trim(), email };
      const data = {
        kind,
        ...(comment ? { position } : {}),
        body: text,
        subject: apiSubject(subject, kind),
        data_version: subject.data_version || null,
        ...(contact.name || contact.phone || contact.email ? { contact } : {}),
        lang: getLang(),
        form_token: form.token,
        website: $('#tw-website').value,
      };
      let r;
      if (file) {
        const fd = new FormData();
        fd.append('data', new Blob([JSON.stringify(data)], { type: 'application/json' }));
        fd.append('attachment', file, file.name);
        r = await call('POST', '/api/v1/feedback', { form: fd });
      } else {
        r = await call('POST', '/api/v1/feedback', { body: data });
      }
      if (r.status !== 201 && r.status !== 200) return err(errorText(r));
      const token = r.body.token;
      remember(QUESTIONS_KEY, { token, kind, label: r.body.subject_label || subjectLabel(subject), at: Date.now() });
      showDone(dlg, kind, token);
    } finally {
      send.disabled = false;
      if ($('#tw-status')) $('#tw-status').textContent = '';
    }
  });
}

/** After sending: the private link, copy and share, and the advice to keep it. */
function showDone(dlg, kind, token) {
  const url = absolute(`#/q/${token}`);
  dlg.innerHTML = `<div class="dlg tw-done">
    <h2 id="dialog-title" tabindex="-1">${esc(t('tw.done.title'))}</h2>
    <p role="status">${esc(t(`tw.done.${kind}`))}</p>
    <label for="tw-link">${esc(t('tw.done.link'))}</label>
    <div class="share-url"><input id="tw-link" readonly value="${esc(url)}" /><button type="button" class="btn" id="tw-copy">${esc(t('tw.copy'))}</button></div>
    <p class="small">${esc(t('tw.done.keep'))}</p>
    <div class="actions-row">
      <a class="btn primary" id="tw-open" href="#/q/${esc(token)}">${esc(t('tw.done.open'))}</a>
      ${navigator.share ? `<button type="button" class="btn" id="tw-share">${esc(t('tw.share'))}</button>` : ''}
      <button type="button" class="btn" id="tw-close">${esc(t('tw.dismiss'))}</button>
    </div></div>`;
  dlg.querySelector('#tw-copy').addEventListener('click', () => copy(url, dlg.querySelector('#tw-link'), dlg.querySelector('#tw-copy')));
  dlg.querySelector('#tw-share')?.addEventListener('click', () => navigator.share({ title: t('tw.done.link'), url }).catch(() => {}));
  dlg.querySelector('#tw-open').addEventListener('click', () => dlg.close());
  dlg.querySelector('#tw-close').addEventListener('click', () => dlg.close());
  dlg.querySelector('#dialog-title').focus();
}

async function copy(text, input, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    input.select();
    document.execCommand?.('copy');
  }
  button.textContent = t('tw.copied');
}

// ------------------------------------------------------------ follows
/** Follow a parcel (subject.kind parcel), a plan (plan) or a commune (commune). */
export function openFollow(subject) {
  const kind = subject.kind === 'plan' ? 'plan' : subject.kind === 'commune' ? 'commune' : 'parcel';
  const id = kind === 'plan' ? subject.plan_id : kind === 'commune' ? subject.commune : subject.parcel;
  const label = kind === 'commune' ? subject.commune_name || subject.commune : subjectLabel(subject);
  const dlg = openDialog(`<form class="dlg tw-form" id="tw-follow" novalidate>
    <h2 id="dialog-title">${esc(t(`tw.follow.${kind}`))}</h2>
    <p class="tw-about">${esc(label)}</p>
    <p class="small">${esc(t('tw.f.intro'))}</p>
    <label for="tw-femail">${esc(t('tw.f.email'))}</label>
    <input id="tw-femail" type="email" autocomplete="email" maxlength="${CONTACT_MAX}" aria-describedby="tw-fnote" />
    <p class="small muted" id="tw-fnote">${esc(t('tw.f.emailNote'))}</p>
    <p class="tw-error" id="tw-error" role="alert"></p>
    <div class="actions-row">
      <button type="submit" class="btn primary" id="tw-fsend">${esc(t('tw.f.create'))}</button>
      <button type="button" class="btn" id="tw-cancel">${esc(t('tw.cancel'))}</button>
    </div></form>`);
  const $ = (s) => dlg.querySelector(s);
  $('#tw-cancel').addEventListener('click', () => dlg.close());
  $('#tw-femail').focus();
  $('#tw-follow').addEventListener('submit', async (e) => {
    e.preventDefault();
    const email = $('#tw-femail').value.trim();
    if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      $('#tw-error').textContent = t('tw.email.bad');
      return $('#tw-femail').focus();
    }
    $('#tw-fsend').disabled = true;
    $('#tw-fsend').textContent = t('tw.sending');
    const r = await call('POST', '/api/v1/follows', { body: { subject: { kind, id }, ...(email ? { email } : {}), lang: getLang() } });
    $('#tw-fsend').disabled = false;
    $('#tw-fsend').textContent = t('tw.f.create');
    if (r.status !== 201 && r.status !== 200) {
      $('#tw-error').textContent = errorText(r);
      return;
    }
    const { token, feed_url: feed } = r.body;
    remember(FOLLOWS_KEY, { token, kind, label, feed, at: Date.now() });
    const feedUrl = absolute('').replace(/\/[^/]*$/, '') + feed;
    dlg.innerHTML = `<div class="dlg tw-done">
      <h2 id="dialog-title" tabindex="-1">${esc(t('tw.f.done', { label }))}</h2>
      <label for="tw-feed">${esc(t('tw.f.feed'))}</label>
      <div class="share-url"><input id="tw-feed" readonly value="${esc(feedUrl)}" /><button type="button" class="btn" id="tw-copy">${esc(t('tw.copy'))}</button></div>
      <p class="small">${esc(t('tw.f.feedHow'))}</p>
      <div class="actions-row">
        <a class="btn primary" id="tw-manage" href="#/follow/${esc(token)}">${esc(t('tw.f.manage'))}</a>
        <button type="button" class="btn" id="tw-close">${esc(t('tw.dismiss'))}</button>
      </div></div>`;
    dlg.querySelector('#tw-copy').addEventListener('click', () => copy(feedUrl, dlg.querySelector('#tw-feed'), dlg.querySelector('#tw-copy')));
    dlg.querySelector('#tw-manage').addEventListener('click', () => dlg.close());
    dlg.querySelector('#tw-close').addEventListener('click', () => dlg.close());
    dlg.querySelector('#dialog-title').focus();
  });
}

// ------------------------------------------------------------ pages
export function initTwoway(app) {
  const main = document.getElementById('main');
  const root = document.createElement('section');
  root.id = 'twoway';
  root.className = 'tw-page';
  root.hidden = true;
  root.setAttribute('aria-labelledby', 'tw-heading');
  main.appendChild(root);
  let page = null;
  let seq = 0;

  function frame(inner) {
    root.innerHTML = `<div class="tw-card"><div class="tw-head"><h2 id="tw-heading" tabindex="-1"></h2>
      <button type="button" class="icon-btn" id="tw-x" aria-label="${esc(t('tw.close'))}" title="${esc(t('tw.close'))}">✕</button></div>
      <div id="tw-main">${inner}</div></div>`;
    root.querySelector('#tw-x').addEventListener('click', () => {
      location.hash = app.lastMapHash || '';
    });
  }
  function heading(text) {
    const h = root.querySelector('#tw-heading');
    h.textContent = text;
    document.title = `${text} · ${t('app.short')}`;
    h.focus({ preventScroll: true });
  }
  const loading = () => `<p role="status"><span class="spinner tw-spin" aria-hidden="true"></span> ${esc(t('tw.loading'))}</p>`;

  function show(state) {
    page = state;
    root.hidden = false;
    document.body.classList.add('tw-paging');
    const my = ++seq;
    const alive = () => my === seq && page === state;
    if (state.page === 'q') return renderQuestion(state.token, alive);
    if (state.page === 'follow') return renderFollow(state.token, alive);
    if (state.page === 'mine') return renderMine();
    if (state.page === 'consultations') return state.id ? renderConsultation(state.id, alive) : renderConsultations(alive);
    return renderQa(state.params || new URLSearchParams(), alive);
  }
  function hide() {
    seq += 1;
    page = null;
    root.hidden = true;
    root.innerHTML = '';
    document.body.classList.remove('tw-paging');
  }
  onLangChange(() => {
    if (page) show(page);
  });

  // ---------------------------------------------------------- #/q/<token>
  async function renderQuestion(token, alive) {
    frame(loading());
    heading(t('tw.q.title'));
    const r = await call('GET', `/api/v1/feedback/${enc(token)}`);
    if (!alive()) return;
    const el = root.querySelector('#tw-main');
    if (r.status !== 200 || !r.body) {
      el.innerHTML = `<p class="tw-error" role="alert">${esc(errorText(r))}</p>`;
      return;
    }
    const q = r.body;
    const s = q.subject || {};
    const answered = q.answer && ['answered', 'published', 'merged', 'fixed'].includes(q.state);
    const mapLink = s.parcel ? `/?p=${s.parcel.split('/').map(enc).join('/')}` : null;
    el.innerHTML = `
      <p class="tw-kind">${esc(t(`tw.kind.${q.kind}`))}${q.position ? ` · ${esc(t(`tw.position.${q.position}`))}` : ''} · <span class="muted">${esc(t('tw.q.asked', { date: when(q.created_at) }))}</span></p>
      <dl class="kv tw-kv">
        <dt>${esc(t('tw.q.about'))}</dt><dd id="tw-q-subject">${esc(s.label || '—')}${mapLink ? ` · <a href="${esc(mapLink)}">${esc(t('tw.q.openMap'))}</a>` : ''}</dd>
        <dt>${esc(t('tw.q.state'))}</dt><dd id="tw-q-state" data-state="${esc(q.state)}"><strong>${esc(t(`tw.state.${q.state}`))}</strong></dd>
      </dl>
      <blockquote class="tw-question" id="tw-q-body">${esc(q.body)}</blockquote>
      <section class="tw-answer" aria-labelledby="tw-answer-h">
        <h3 id="tw-answer-h">${esc(t('tw.q.answer'))}</h3>
        ${answered ? `<p id="tw-q-answer" class="tw-answer-text">${esc(q.answer)}</p><p class="small muted">${esc(t('tw.q.answeredBy', { who: q.answered_by || '—', date: when(q.answered_at) }))}</p>` : `<p id="tw-q-answer" class="muted">${esc(t('tw.q.noAnswer'))}</p>`}
      </section>
      <section class="tw-contact-box">
        <p id="tw-q-contact">${esc(t(q.contact_given ? 'tw.q.contact' : 'tw.q.contactNone'))}</p>
        ${q.contact_given ? `<button type="button" class="btn danger" id="tw-q-del">${esc(t('tw.q.deleteContact'))}</button>` : ''}
        <p role="status" id="tw-q-msg" class="small"></p>
      </section>
      <p><a href="#/mine">${esc(t('tw.mine'))}</a> · <a href="#/qa">${esc(t('tw.qa.title'))}</a></p>`;
    if (!load(QUESTIONS_KEY).some((x) => x.token === token)) remember(QUESTIONS_KEY, { token, kind: q.kind, label: s.label || '', at: Date.now() });
    root.querySelector('#tw-q-del')?.addEventListener('click', async () => {
      if (!window.confirm(t('tw.q.deleteConfirm'))) return;
      const d = await call('DELETE', `/api/v1/feedback/${enc(token)}/contact`);
      const msg = root.querySelector('#tw-q-msg');
      if (d.status === 204 || d.status === 200) {
        root.querySelector('#tw-q-del').remove();
        root.querySelector('#tw-q-contact').textContent = t('tw.q.contactNone');
        msg.textContent = t('tw.q.deleted');
      } else msg.textContent = errorText(d);
    });
  }

  // ---------------------------------------------------------- #/follow/<token>
  async function renderFollow(token, alive) {
    frame(loading());
    heading(t('tw.f.title'));
    const r = await call('GET', `/api/v1/follows/${enc(token)}`);
    if (!alive()) return;
    const el = root.querySelector('#tw-main');
    if (r.status !== 200 || !r.body) {
      el.innerHTML = `<p class="tw-error" role="alert">${esc(errorText(r))}</p>`;
      return;
    }
    const f = r.body;
    heading(`${t('tw.f.title')}: ${f.label || f.subject?.id || ''}`);
    // A mail's unsubscribe code opens this page too; its answer has no feed (the feed needs
    // the follow's own token, which only the follower's browser holds).
    const feed = f.feed_url ? absolute('').replace(/\/[^/]*$/, '') + f.feed_url : null;
    const events = Array.isArray(f.events) ? f.events : [];
    el.innerHTML = `
      <p>${esc(t('tw.f.intro'))}</p>
      ${f.email_given ? `<p class="small">${esc(t('tw.f.emailGiven'))}</p>` : ''}
      ${feed ? `<label for="tw-feed">${esc(t('tw.f.feed'))}</label>
      <div class="share-url"><input id="tw-feed" readonly value="${esc(feed)}" /><button type="button" class="btn" id="tw-copy">${esc(t('tw.copy'))}</button></div>
      <p class="small">${esc(t('tw.f.feedHow'))}</p>` : ''}
      <h3>${esc(t('tw.f.events'))}</h3>
      ${events.length ? `<ul class="tw-events">${events.map((ev) => `<li><strong>${esc(ev.title || ev.summary || ev.kind)}</strong>${ev.summary && ev.title ? `<br>${esc(ev.summary)}` : ''} <span class="small muted">${esc(when(ev.created_at ?? ev.at ?? ev.updated))}</span></li>`).join('')}</ul>` : `<p class="muted">${esc(t('tw.f.noEvents'))}</p>`}
      <button type="button" class="btn danger" id="tw-unsub">${esc(t('tw.f.unsub'))}</button>
      <p role="status" id="tw-f-msg"></p>`;
    if (feed) root.querySelector('#tw-copy').addEventListener('click', () => copy(feed, root.querySelector('#tw-feed'), root.querySelector('#tw-copy')));
    root.querySelector('#tw-unsub').addEventListener('click', async () => {
      if (!window.confirm(t('tw.f.unsubConfirm'))) return;
      const d = await call('DELETE', `/api/v1/follows/${enc(token)}`);
      if (d.status === 204 || d.status === 200 || d.status === 404) {
        forget(FOLLOWS_KEY, token);
        root.querySelector('#tw-unsub').remove();
        root.querySelector('#tw-f-msg').textContent = t('tw.f.unsubbed');
      } else root.querySelector('#tw-f-msg').textContent = errorText(d);
    });
  }

  // ---------------------------------------------------------- #/mine
  function renderMine() {
    const qs = load(QUESTIONS_KEY);
    const fs = load(FOLLOWS_KEY);
    frame(`
      <h3>${esc(t('tw.mine'))}</h3>
      ${qs.length ? `<ul class="tw-mine">${qs.map((q) => `<li><a href="#/q/${esc(q.token)}">${esc(q.label || t(`tw.kind.${q.kind}`))}</a> <span class="small muted">${esc(t(`tw.kind.${q.kind}`))} · ${esc(when(Math.round((q.at || 0) / 1000)))}</span></li>`).join('')}</ul>` : `<p class="muted">${esc(t('tw.mine.none'))}</p>`}
      ${fs.length ? `<h3>${esc(t('tw.follows'))}</h3><ul class="tw-mine">${fs.map((f) => `<li><a href="#/follow/${esc(f.token)}">${esc(f.label)}</a></li>`).join('')}</ul>` : ''}
      <p><a href="#/qa">${esc(t('tw.qa.title'))}</a> · <a href="#/consultations">${esc(t('tw.qa.consultations'))}</a></p>`);
    heading(t('tw.mine'));
  }

  // ---------------------------------------------------------- #/qa
  async function renderQa(params, alive) {
    const q = (params.get('q') || '').slice(0, 200);
    const commune = (params.get('commune') || '').slice(0, 32);
    const plan = (params.get('plan') || '').slice(0, 64);
    const plans = app.meta.plans || [];
    const mine = load(QUESTIONS_KEY).length;
    frame(`
      <p>${esc(t('tw.qa.intro'))}</p>
      <p><a href="#/mine" id="tw-mine-link">${esc(t('tw.mine'))}${mine ? ` (${mine})` : ''}</a> · <a href="#/consultations">${esc(t('tw.qa.consultations'))}</a></p>
      <form class="tw-filters" id="tw-qa-form" role="search">
        <div class="tw-field tw-grow"><label for="tw-qa-q">${esc(t('tw.qa.search'))}</label><input id="tw-qa-q" type="search" maxlength="200" value="${esc(q)}" /></div>
        <div class="tw-field"><label for="tw-qa-commune">${esc(t('tw.qa.commune'))}</label><input id="tw-qa-commune" maxlength="32" inputmode="numeric" value="${esc(commune)}" /></div>
        <div class="tw-field"><label for="tw-qa-plan">${esc(t('tw.qa.plan'))}</label><select id="tw-qa-plan"><option value="">${esc(t('tw.qa.any'))}</option>${plans.map((p) => `<option value="${esc(p.id)}"${p.id === plan ? ' selected' : ''}>${esc(p.name)}</option>`).join('')}</select></div>
        <button type="submit" class="btn primary">${esc(t('tw.qa.go'))}</button>
      </form>
      <p id="tw-qa-count" role="status" aria-live="polite"></p>
      <div id="tw-qa-list"></div>`);
    heading(t('tw.qa.title'));
    root.querySelector('#tw-qa-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const p = new URLSearchParams();
      const v = (id) => root.querySelector(id).value.trim();
      if (v('#tw-qa-q')) p.set('q', v('#tw-qa-q'));
      if (v('#tw-qa-commune')) p.set('commune', v('#tw-qa-commune'));
      if (v('#tw-qa-plan')) p.set('plan', v('#tw-qa-plan'));
      if (getLang() !== 'vi') p.set('lang', getLang());
      const s = p.toString();
      location.hash = `#/qa${s ? `?${s}` : ''}`;
    });
    let offset = 0;
    const list = root.querySelector('#tw-qa-list');
    const more = async () => {
      const p = new URLSearchParams({ limit: String(QA_PAGE), offset: String(offset), lang: getLang() });
      if (q) p.set('q', q);
      if (commune) p.set('commune', commune);
      if (plan) p.set('plan', plan);
      const r = await call('GET', `/api/v1/qa?${p}`);
      if (!alive()) return;
      root.querySelector('#tw-qa-more')?.remove();
      if (r.status !== 200 || !r.body) {
        root.querySelector('#tw-qa-count').textContent = errorText(r);
        return;
      }
      const items = r.body.items || [];
      const total = r.body.total ?? items.length;
      root.querySelector('#tw-qa-count').textContent = total ? t('tw.qa.count', { n: total }) : t('tw.qa.none');
      list.insertAdjacentHTML('beforeend', items.map(qaItem).join(''));
      offset += items.length;
      if (offset < total && items.length) {
        list.insertAdjacentHTML('afterend', `<button type="button" class="btn" id="tw-qa-more">${esc(t('tw.qa.more'))}</button>`);
        root.querySelector('#tw-qa-more').addEventListener('click', more);
      }
    };
    await more();
  }
  function qaItem(it) {
    const s = it.subject || {};
    const link = s.parcel ? `/?p=${s.parcel.split('/').map(enc).join('/')}` : null;
    return `<article class="tw-qa-item" data-id="${esc(it.id)}">
      <h3 class="tw-qa-q">${esc(it.question)}</h3>
      <p class="small muted">${esc(t(`tw.kind.${it.kind}`))} · ${link ? `<a href="${esc(link)}">${esc(s.label || s.parcel)}</a>` : esc(s.label || '')}</p>
      <p class="tw-qa-a"><strong>${esc(t('tw.faq.answer'))}:</strong> ${esc(it.answer)}</p>
      <p class="small muted">${esc(t('tw.faq.by', { who: it.answered_by || '—', date: when(it.published_at ?? it.answered_at) }))}</p></article>`;
  }

  // ---------------------------------------------------------- #/consultations
  const statusWord = (c) => t(`tw.c.${c.status || 'closed'}`);
  const planName = (id, name) => name || app.meta.plansById?.[id]?.name || id;
  async function renderConsultations(alive) {
    frame(loading());
    heading(t('tw.c.title'));
    const r = await call('GET', '/api/v1/consultations');
    if (!alive()) return;
    const el = root.querySelector('#tw-main');
    if (r.status !== 200) {
      el.innerHTML = `<p class="tw-error" role="alert">${esc(errorText(r))}</p>`;
      return;
    }
    const list = Array.isArray(r.body) ? r.body : r.body?.items || r.body?.consultations || [];
    const order = { open: 0, upcoming: 1, closed: 2 };
    list.sort((a, b) => (order[a.status] ?? 3) - (order[b.status] ?? 3));
    el.innerHTML = `<p class="small">${esc(t('tw.c.how'))}</p>${
      list.length
        ? `<ul class="tw-clist">${list
            .map(
              (c) => `<li class="tw-c ${esc(c.status)}"><a href="#/consultations/${esc(c.id)}"><strong>${esc(c.title)}</strong></a>
              <span class="tw-badge ${esc(c.status)}">${esc(statusWord(c))}</span>
              <div class="small">${esc(planName(c.plan_id, c.plan_name))}</div>
              <div class="small">${esc(t('tw.c.dates', { from: dayOf(c.opens_at), to: lastDay(c.closes_at) }))}</div>
              <div class="small muted">${esc(t('tw.c.count', { n: c.comment_count ?? 0, p: c.published_count ?? 0 }))}</div></li>`,
            )
            .join('')}</ul>`
        : `<p>${esc(t('tw.c.none'))}</p>`
    }`;
  }
  async function renderConsultation(id, alive) {
    frame(loading());
    heading(t('tw.c.title'));
    const [r, cm] = await Promise.all([call('GET', `/api/v1/consultations/${id}`), call('GET', `/api/v1/consultations/${id}/comments`)]);
    if (!alive()) return;
    const el = root.querySelector('#tw-main');
    if (r.status !== 200 || !r.body) {
      el.innerHTML = `<p class="tw-error" role="alert">${esc(errorText(r))}</p><p><a href="#/consultations">${esc(t('tw.c.all'))}</a></p>`;
      return;
    }
    const c = r.body;
    heading(c.title || t('tw.c.title'));
    const comments = Array.isArray(cm.body) ? cm.body : cm.body?.items || cm.body?.comments || [];
    const communes = Array.isArray(c.communes) ? c.communes.join(', ') : c.communes;
    el.innerHTML = `
      <p><span class="tw-badge ${esc(c.status)}">${esc(statusWord(c))}</span> ${esc(t('tw.c.dates', { from: dayOf(c.opens_at), to: lastDay(c.closes_at) }))}</p>
      <dl class="kv tw-kv"><dt>${esc(t('tw.c.plan'))}</dt><dd>${esc(planName(c.plan_id, c.plan_name))}</dd>
      <dt>${esc(t('tw.c.area'))}</dt><dd>${esc(communes || t('tw.c.wholeArea'))}</dd></dl>
      ${c.description ? `<p>${esc(c.description)}</p>` : ''}
      <p class="small">${esc(t('tw.c.how'))}</p>
      <p class="small muted">${esc(t('tw.c.count', { n: c.comment_count ?? 0, p: c.published_count ?? comments.length }))}</p>
      <h3>${esc(t('tw.c.comments'))}</h3>
      ${
        comments.length
          ? comments
              .map(
                (x) => `<article class="tw-comment ${esc(x.position)}"><p><span class="tw-badge ${esc(x.position)}">${esc(t(`tw.position.${x.position}`))}</span> <span class="small">${esc(x.subject_label || x.subject?.label || '')}${x.zone_id || x.zone ? ` · ${esc(t('tw.c.zone', { zone: x.zone_id || x.zone }))}` : ''}</span></p>
              <p>${esc(x.body)}</p>${x.response || x.answer ? `<p class="tw-qa-a"><strong>${esc(t('tw.c.response'))}:</strong> ${esc(x.response || x.answer)}</p>` : ''}<p class="small muted">${esc(when(x.published_at))}</p></article>`,
              )
              .join('')
          : `<p class="muted">${esc(t('tw.c.noComments'))}</p>`
      }
      <p><a href="#/consultations">${esc(t('tw.c.all'))}</a></p>`;
  }

  return { show, hide, openSubmit, openFollow };
}

