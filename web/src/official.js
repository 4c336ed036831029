// The officials' side (#/official, docs/two-way.md#on-the-map): sign in, the inbox (filters
// by commune, plan, kind, state and text; counts per state; one item with what the citizen
// saw, the attachments and the contact details marked "not for publication"; answer,
// publish, hide, merge, mark fixed — each with the item's `version` and the session's CSRF
// token, a 409 showing what someone else saved first), and the consultations (open one,
// change its dates, the summary as a printable page and as CSV), and notices (announce a plan
// over a commune: every output of one notice — slides, post, picture, poster, leaflet, audio,
// the words spoken, the website fragment — linked, copied or played; withdraw). Sign out.
import './twoway.css';
import { t, getLang, onLangChange } from './i18n.js';
import { esc } from './report.js';
import { call, errorText, when, dayOf, lastDay, BODY_MAX } from './feedback.js';

const STATES = ['new', 'answered', 'published', 'hidden', 'merged', 'fixed'];
const KINDS = ['question', 'error', 'comment'];
const PAGE = 50;
/** Vietnam's offset: a consultation opens at 00:00 and closes at 24:00 there. */
const VN_OFFSET_S = 7 * 3600;
const enc = encodeURIComponent;

/** "2025-07-01" → Unix seconds of 00:00 that day in Vietnam (+ days). */
function dayStart(iso, plusDays = 0) {
  const ms = Date.parse(`${iso}T00:00:00Z`);
  return Number.isFinite(ms) ? ms / 1000 - VN_OFFSET_S + plusDays * 86400 : null;
}
/** Unix seconds → "YYYY-MM-DD" in Vietnam; `minusOne`: the last day of a window closing at midnight. */
function isoDay(v, minusOne = false) {
  const s = typeof v === 'number' ? v : Date.parse(v) / 1000;
  if (!Number.isFinite(s)) return '';
  return new Date((s + VN_OFFSET_S - (minusOne ? 1 : 0)) * 1000).toISOString().slice(0, 10);
}

export function initOfficial(app) {
  const main = document.getElementById('main');
  const root = document.createElement('section');
  root.id = 'official';
  root.className = 'tw-page';
  root.hidden = true;
  root.setAttribute('aria-labelledby', 'tw-o-heading');
  main.appendChild(root);

  let me = null; // { official, csrf }
  let tab = 'inbox';
  let filters = { commune: '', plan: '', kind: '', state: 'new', q: '' };
  let selected = null;
  let shown = false;

  const send = (method, path, body) => call(method, path, { body, headers: { 'x-csrf-token': me?.csrf || '' } });

  function frame(inner, wide = true) {
    root.innerHTML = `<div class="tw-card${wide ? ' tw-wide' : ''}"><div class="tw-head"><h2 id="tw-o-heading" tabindex="-1"></h2>
      <button type="button" class="icon-btn" id="tw-o-x" aria-label="${esc(t('tw.close'))}" title="${esc(t('tw.close'))}">✕</button></div>${inner}</div>`;
    root.querySelector('#tw-o-x').addEventListener('click', () => {
      location.hash = app.lastMapHash || '';
    });
  }
  function heading(text, focus = true) {
    const h = root.querySelector('#tw-o-heading');
    h.textContent = text;
    document.title = `${text} · ${t('app.short')}`;
    if (focus) h.focus({ preventScroll: true });
  }

  async function show() {
    shown = true;
    root.hidden = false;
    document.body.classList.add('tw-paging');
    if (!me) {
      frame(`<p role="status">${esc(t('tw.loading'))}</p>`, false);
      const r = await call('GET', '/api/v1/auth/me');
      if (r.status === 200 && r.body?.official) me = r.body;
    }
    if (!shown) return;
    if (!me) return renderSignIn();
    render();
  }
  function hide() {
    shown = false;
    root.hidden = true;
    root.innerHTML = '';
    document.body.classList.remove('tw-paging');
  }
  onLangChange(() => {
    if (shown) (me ? render() : renderSignIn());
  });

  /** A 401 ends the session here too: back to the sign-in form with the reason. */
  function lost(r) {
    if (r.status !== 401) return false;
    me = null;
    renderSignIn(t('tw.err.401'));
    return true;
  }

  // ---------------------------------------------------------- sign in
  function renderSignIn(message = '') {
    frame(
      `<form class="tw-o-form" id="tw-login" novalidate>
        <label for="tw-user">${esc(t('tw.o.username'))}</label>
        <input id="tw-user" name="username" autocomplete="username" maxlength="64" required autocapitalize="none" spellcheck="false" />
        <label for="tw-pass">${esc(t('tw.o.password'))}</label>
        <input id="tw-pass" name="password" type="password" autocomplete="current-password" maxlength="256" required />
        <p class="tw-error" id="tw-login-err" role="alert">${esc(message)}</p>
        <div class="actions-row"><button type="submit" class="btn primary" id="tw-login-btn">${esc(t('tw.o.signin'))}</button></div>
      </form>`,
      false,
    );
    heading(t('tw.o.title'), false);
    root.querySelector('#tw-user').focus();
    root.querySelector('#tw-login').addEventListener('submit', async (e) => {
      e.preventDefault();
      const username = root.querySelector('#tw-user').value.trim();
      const password = root.querySelector('#tw-pass').value;
      const errEl = root.querySelector('#tw-login-err');
      if (!username || !password) {
        errEl.textContent = t('tw.o.bad');
        return;
      }
      const btn = root.querySelector('#tw-login-btn');
      btn.disabled = true;
      btn.textContent = t('tw.sending');
      const r = await call('POST', '/api/v1/auth/login', { body: { username, password } });
      btn.disabled = false;
      btn.textContent = t('tw.o.signin');
      if (r.status === 200 && r.body?.official) {
        me = r.body;
        render();
        return;
      }
      errEl.textContent = r.status === 401 ? t('tw.o.bad') : errorText(r);
      root.querySelector('#tw-pass').value = '';
      root.querySelector('#tw-pass').focus();
    });
  }

  // ---------------------------------------------------------- the shell
  function render() {
    const o = me.official;
    frame(`<p class="small">${esc(t('tw.o.who', { name: o.display_name || o.username, role: t(`tw.o.role.${o.role}`) }))}
        <button type="button" class="btn" id="tw-o-out">${esc(t('tw.o.signout'))}</button></p>
      <div class="tw-tabs" role="group">
        <button type="button" class="btn" id="tw-tab-inbox" aria-pressed="${tab === 'inbox'}">${esc(t('tw.o.tab.inbox'))}</button>
        <button type="button" class="btn" id="tw-tab-consult" aria-pressed="${tab === 'consult'}">${esc(t('tw.o.tab.consult'))}</button>
        <button type="button" class="btn" id="tw-tab-announce" aria-pressed="${tab === 'announce'}">${esc(t('tw.o.tab.announce'))}</button>
      </div>
      <div id="tw-o-body"></div>`);
    heading(t('tw.o.title'));
    root.querySelector('#tw-o-out').addEventListener('click', async () => {
      await send('POST', '/api/v1/auth/logout');
      me = null;
      selected = null;
      renderSignIn();
    });
    root.querySelector('#tw-tab-inbox').addEventListener('click', () => {
      tab = 'inbox';
      render();
    });
    root.querySelector('#tw-tab-consult').addEventListener('click', () => {
      tab = 'consult';
      render();
    });
    root.querySelector('#tw-tab-announce').addEventListener('click', () => {
      tab = 'announce';
      render();
    });
    if (tab === 'inbox') renderInbox();
    else if (tab === 'consult') renderConsultations();
    else renderAnnounce();
  }

  // ---------------------------------------------------------- the inbox
  const option = (v, label, cur) => `<option value="${esc(v)}"${v === cur ? ' selected' : ''}>${esc(label)}</option>`;
  async function renderInbox() {
    const body = root.querySelector('#tw-o-body');
    const plans = app.meta.plans || [];
    body.innerHTML = `<div class="tw-inbox"><div>
      <form class="tw-filters" id="tw-o-filters" role="search" aria-label="${esc(t('tw.o.filters'))}">
        <div class="tw-field"><label for="tw-f-commune">${esc(t('tw.qa.commune'))}</label><input id="tw-f-commune" maxlength="32" value="${esc(filters.commune)}" /></div>
        <div class="tw-field"><label for="tw-f-plan">${esc(t('tw.qa.plan'))}</label><select id="tw-f-plan">${option('', t('tw.o.all'), filters.plan)}${plans.map((p) => option(p.id, p.name, filters.plan)).join('')}</select></div>
        <div class="tw-field"><label for="tw-f-kind">${esc(t('tw.o.kind'))}</label><select id="tw-f-kind">${option('', t('tw.o.all'), filters.kind)}${KINDS.map((k) => option(k, t(`tw.kind.${k}`), filters.kind)).join('')}</select></div>
        <div class="tw-field"><label for="tw-f-state">${esc(t('tw.o.state'))}</label><select id="tw-f-state">${option('', t('tw.o.all'), filters.state)}${STATES.map((s) => option(s, t(`tw.state.${s}`), filters.state)).join('')}</select></div>
        <div class="tw-field tw-grow"><label for="tw-f-q">${esc(t('tw.o.search'))}</label><input id="tw-f-q" type="search" maxlength="200" value="${esc(filters.q)}" /></div>
        <button type="submit" class="btn primary">${esc(t('tw.qa.go'))}</button>
      </form>
      <ul class="tw-counts" id="tw-o-counts" aria-label="${esc(t('tw.o.state'))}"></ul>
      <p id="tw-o-count" role="status" aria-live="polite">${esc(t('tw.loading'))}</p>
      <ul class="tw-items" id="tw-o-items"></ul></div>
      <div id="tw-o-detail"></div></div>`;
    root.querySelector('#tw-o-filters').addEventListener('submit', (e) => {
      e.preventDefault();
      const v = (id) => root.querySelector(id).value.trim();
      filters = { commune: v('#tw-f-commune'), plan: v('#tw-f-plan'), kind: v('#tw-f-kind'), state: v('#tw-f-state'), q: v('#tw-f-q') };
      loadInbox();
    });
    await loadInbox();
    if (selected) openItem(selected, false);
  }

  async function loadInbox() {
    const p = new URLSearchParams({ limit: String(PAGE), offset: '0' });
    for (const [k, v] of Object.entries(filters)) if (v) p.set(k, v);
    const r = await call('GET', `/api/v1/official/inbox?${p}`);
    if (!root.querySelector('#tw-o-items')) return;
    if (lost(r)) return;
    const countEl = root.querySelector('#tw-o-count');
    if (r.status !== 200 || !r.body) {
      countEl.textContent = errorText(r);
      return;
    }
    const { items = [], total = 0, counts = {} } = r.body;
    countEl.textContent = items.length ? t('tw.o.count', { n: total }) : t('tw.o.empty');
    const cl = root.querySelector('#tw-o-counts');
    cl.innerHTML = STATES.map((s) => `<li><button type="button" data-state="${s}" aria-pressed="${filters.state === s}">${esc(t(`tw.state.${s}`))}: <strong>${esc(counts[s] ?? 0)}</strong></button></li>`).join('');
    cl.querySelectorAll('button').forEach((b) =>
      b.addEventListener('click', () => {
        filters.state = filters.state === b.dataset.state ? '' : b.dataset.state;
        root.querySelector('#tw-f-state').value = filters.state;
        loadInbox();
      }),
    );
    const list = root.querySelector('#tw-o-items');
    list.innerHTML = items
      .map(
        (it) => `<li><button type="button" data-id="${esc(it.id)}" aria-current="${selected === it.id}">
        <span class="tw-item-line"><strong>#${esc(it.id)}</strong> · ${esc(t(`tw.kind.${it.kind}`))} · ${esc(t(`tw.state.${it.state}`))} · <span class="small">${esc(when(it.created_at))}</span></span>
        <span class="tw-item-line small">${esc(it.subject?.label || '')}</span>
        <span class="tw-item-line">${esc(it.body)}</span></button></li>`,
      )
      .join('');
    list.querySelectorAll('button').forEach((b) => b.addEventListener('click', () => openItem(Number(b.dataset.id))));
  }

  async function openItem(id, focus = true) {
    selected = id;
    const el = root.querySelector('#tw-o-detail');
    if (!el) return;
    el.innerHTML = `<p role="status">${esc(t('tw.loading'))}</p>`;
    const r = await call('GET', `/api/v1/official/submissions/${id}`);
    if (lost(r)) return;
    if (r.status !== 200 || !r.body) {
      el.innerHTML = `<p class="tw-error" role="alert">${esc(errorText(r))}</p>`;
      return;
    }
    renderItem(r.body, { focus });
  }

  function renderItem(it, { focus = true, notice = '', conflict = false } = {}) {
    const el = root.querySelector('#tw-o-detail');
    if (!el) return;
    const s = it.subject || {};
    const ctx = it.context || {};
    const en = getLang() === 'en';
    const headline = typeof ctx === 'object' ? (en ? ctx.headline_en : ctx.headline_vi) || ctx.headline || ctx.summary_vi || '' : String(ctx);
    // The report's plans and their zones at the time (the context the server recorded).
    const ctxPlans = Array.isArray(ctx?.plans) ? ctx.plans : [];
    const zonesLine = (p) => (Array.isArray(p.zones) ? p.zones.map((z) => `${z.name || z.zone_id} (${z.landuse}${z.pct != null ? `, ${z.pct}%` : ''})`).join('; ') : '');
    const mapLink = s.parcel ? `/?p=${s.parcel.split('/').map(enc).join('/')}` : s.geometry?.coordinates ? `/#site=${(s.geometry.type === 'Polygon' ? s.geometry.coordinates[0] : s.geometry.coordinates[0][0]).slice(0, -1).map(([x, y]) => `${x.toFixed(7)},${y.toFixed(7)}`).join(';')}` : null;
    const c = it.contact;
    const att = Array.isArray(it.attachments) ? it.attachments : [];
    const audit = Array.isArray(it.audit) ? it.audit : [];
    const planName = (id) => app.meta.plansById?.[id]?.name || id;
    el.innerHTML = `<article class="tw-item" data-id="${esc(it.id)}" data-version="${esc(it.version)}">
      <h3 id="tw-o-item-h" tabindex="-1">${esc(t('tw.o.item', { id: it.id }))} · ${esc(t(`tw.kind.${it.kind}`))}${it.position ? ` · ${esc(t(`tw.position.${it.position}`))}` : ''}</h3>
      ${conflict ? `<p class="tw-conflict" role="alert" id="tw-o-conflict">${esc(t('tw.o.conflict'))}${it.answer ? `<br>${esc(t('tw.o.conflictAnswer', { answer: it.answer }))}` : ''}</p>` : ''}
      ${notice ? `<p class="tw-ok" role="status">${esc(notice)}</p>` : ''}
      <p><strong>${esc(t(`tw.state.${it.state}`))}</strong> · <span class="small">${esc(when(it.created_at))}</span></p>
      <blockquote class="tw-question" id="tw-o-body">${esc(it.body)}</blockquote>
      <h4>${esc(t('tw.o.saw'))}</h4>
      <dl class="kv tw-kv">
        <dt>${esc(t('tw.q.about'))}</dt><dd>${esc(s.label || s.parcel || '—')}${mapLink ? ` · <a href="${esc(mapLink)}" target="_blank" rel="noopener">${esc(t('tw.q.openMap'))}</a>` : ''}</dd>
        ${s.plan_id ? `<dt>${esc(t('tw.qa.plan'))}</dt><dd>${esc(planName(s.plan_id))}</dd>` : ''}
        ${s.zone_id ? `<dt>${esc(t('tw.o.zone'))}</dt><dd>${esc(s.zone_id)}</dd>` : ''}
        <dt>${esc(t('tw.o.dataVersion'))}</dt><dd>${esc(it.data_version || '—')}</dd>
        ${headline ? `<dt>${esc(t('tw.o.headline'))}</dt><dd>${esc(headline)}</dd>` : ''}
        ${ctxPlans.map((p) => `<dt>${esc(p.name || p.id)}</dt><dd>${esc([p.verdict_vi, zonesLine(p)].filter(Boolean).join(' — '))}</dd>`).join('')}
        ${it.hidden_reason ? `<dt>${esc(t('tw.state.hidden'))}</dt><dd>${esc(t('tw.o.hiddenReason', { reason: it.hidden_reason }))}</dd>` : ''}
        ${it.merged_into ? `<dt>${esc(t('tw.state.merged'))}</dt><dd>${esc(t('tw.o.mergedInto', { id: it.merged_into }))}</dd>` : ''}
        ${it.fixed_version ? `<dt>${esc(t('tw.state.fixed'))}</dt><dd>${esc(t('tw.o.fixedIn', { v: it.fixed_version }))}</dd>` : ''}
      </dl>
      ${att.length ? `<h4>${esc(t('tw.o.attachments'))}</h4><ul>${att.map((a) => `<li><a href="/api/v1/official/submissions/${esc(it.id)}/attachments/${esc(a.id)}" download>${esc(a.filename || a.media_type)}</a> <span class="small muted">${esc(a.media_type)}, ${esc(Math.ceil((a.size || 0) / 1024))} KB</span></li>`).join('')}</ul>` : ''}
      <div class="tw-private" id="tw-o-contact"><strong>${esc(t('tw.o.contact'))}</strong>
        ${c && (c.name || c.phone || c.email) ? `<dl class="kv"><dt>${esc(t('tw.contact.name'))}</dt><dd>${esc(c.name || '—')}</dd><dt>${esc(t('tw.contact.phone'))}</dt><dd>${esc(c.phone || '—')}</dd><dt>${esc(t('tw.contact.email'))}</dt><dd>${esc(c.email || '—')}</dd></dl>` : `<p class="small">${esc(t('tw.o.noContact'))}</p>`}
      </div>
      <form class="tw-o-form" id="tw-o-answer" novalidate>
        <label for="tw-o-answer-text">${esc(t('tw.o.answer'))}</label>
        <textarea id="tw-o-answer-text" maxlength="${BODY_MAX}" rows="5">${esc(it.answer || '')}</textarea>
        ${it.answered_by ? `<p class="small muted">${esc(t('tw.o.answeredBy', { who: it.answered_by }))}</p>` : ''}
        <div class="actions-row">
          <button type="submit" class="btn primary" id="tw-o-answer-btn">${esc(t('tw.o.answerBtn'))}</button>
          <button type="button" class="btn" id="tw-o-publish" ${it.answer ? '' : 'disabled'}>${esc(t('tw.o.publish'))}</button>
        </div>
      </form>
      <form class="tw-o-form" id="tw-o-hide" novalidate>
        <label for="tw-o-hide-reason">${esc(t('tw.o.hideReason'))}</label>
        <input id="tw-o-hide-reason" maxlength="500" />
        <div class="actions-row"><button type="submit" class="btn danger">${esc(t('tw.o.hide'))}</button></div>
      </form>
      <form class="tw-o-form" id="tw-o-merge" novalidate>
        <label for="tw-o-merge-into">${esc(t('tw.o.merge'))}</label>
        <input id="tw-o-merge-into" inputmode="numeric" maxlength="12" />
        <div class="actions-row"><button type="submit" class="btn">${esc(t('tw.o.mergeBtn'))}</button></div>
      </form>
      ${
        it.kind === 'error'
          ? `<form class="tw-o-form" id="tw-o-fixed" novalidate>
        <label for="tw-o-fixed-note">${esc(t('tw.o.fixedNote'))}</label>
        <input id="tw-o-fixed-note" maxlength="500" />
        <div class="actions-row"><button type="submit" class="btn">${esc(t('tw.o.fixed'))}</button></div>
      </form>`
          : ''
      }
      <p class="tw-error" id="tw-o-err" role="alert"></p>
      ${audit.length ? `<details class="tw-audit"><summary>${esc(t('tw.o.audit'))}</summary><ul>${audit.map((a) => `<li>${esc(when(a.at ?? a.created_at))} · ${esc(a.who || a.official || a.username || '')} · ${esc(a.action)}${a.detail ? ` · ${esc(typeof a.detail === 'string' ? a.detail : JSON.stringify(a.detail))}` : ''}</li>`).join('')}</ul></details>` : ''}
    </article>`;
    if (focus) el.querySelector('#tw-o-item-h').focus({ preventScroll: false });
    const act = async (action, payload, btn) => {
      el.querySelector('#tw-o-err').textContent = '';
      if (btn) btn.disabled = true;
      const r = await send('POST', `/api/v1/official/submissions/${it.id}/${action}`, { ...payload, version: it.version });
      if (btn) btn.disabled = false;
      if (lost(r)) return;
      if (r.status === 200 && r.body) {
        renderItem(r.body, { notice: t('tw.o.done') });
        loadInbox();
        return;
      }
      if (r.status === 409 && r.body?.current) {
        renderItem(r.body.current, { conflict: true });
        loadInbox();
        return;
      }
      el.querySelector('#tw-o-err').textContent = errorText(r);
    };
    el.querySelector('#tw-o-answer').addEventListener('submit', (e) => {
      e.preventDefault();
      const answer = el.querySelector('#tw-o-answer-text').value.trim();
      if (!answer) {
        el.querySelector('#tw-o-answer-text').setAttribute('aria-invalid', 'true');
        el.querySelector('#tw-o-answer-text').focus();
        return;
      }
      act('answer', { answer }, el.querySelector('#tw-o-answer-btn'));
    });
    el.querySelector('#tw-o-publish').addEventListener('click', (e) => act('publish', {}, e.currentTarget));
    el.querySelector('#tw-o-hide').addEventListener('submit', (e) => {
      e.preventDefault();
      const reason = el.querySelector('#tw-o-hide-reason').value.trim();
      if (!reason) return el.querySelector('#tw-o-hide-reason').focus();
      act('hide', { reason });
    });
    el.querySelector('#tw-o-merge').addEventListener('submit', (e) => {
      e.preventDefault();
      const into = Number(el.querySelector('#tw-o-merge-into').value.trim());
      if (!Number.isInteger(into) || into <= 0) return el.querySelector('#tw-o-merge-into').focus();
      act('merge', { into });
    });
    el.querySelector('#tw-o-fixed')?.addEventListener('submit', (e) => {
      e.preventDefault();
      act('fixed', { note: el.querySelector('#tw-o-fixed-note').value.trim() });
    });
  }

  // ---------------------------------------------------------- consultations
  async function renderConsultations() {
    const body = root.querySelector('#tw-o-body');
    const plans = app.meta.plans || [];
    const drafts = plans.filter((p) => p.status === 'draft');
    const today = isoDay(Date.now() / 1000);
    body.innerHTML = `<div id="tw-oc-list"><p role="status">${esc(t('tw.loading'))}</p></div>
      <form class="tw-o-form" id="tw-oc-new" novalidate><h3>${esc(t('tw.o.c.new'))}</h3>
        <label for="tw-oc-plan">${esc(t('tw.qa.plan'))}</label>
        <select id="tw-oc-plan">${(drafts.length ? drafts : plans).map((p) => option(p.id, p.name, '')).join('')}</select>
        <label for="tw-oc-title">${esc(t('tw.o.c.titleField'))}</label><input id="tw-oc-title" maxlength="200" required />
        <label for="tw-oc-desc">${esc(t('tw.o.c.desc'))}</label><textarea id="tw-oc-desc" maxlength="4000" rows="3"></textarea>
        <label for="tw-oc-communes">${esc(t('tw.o.c.communes'))}</label><input id="tw-oc-communes" maxlength="500" />
        <label for="tw-oc-opens">${esc(t('tw.o.c.opens'))}</label><input id="tw-oc-opens" type="date" value="${today}" required />
        <label for="tw-oc-closes">${esc(t('tw.o.c.closes'))}</label><input id="tw-oc-closes" type="date" required />
        <p class="tw-error" id="tw-oc-err" role="alert"></p>
        <div class="actions-row"><button type="submit" class="btn primary">${esc(t('tw.o.c.create'))}</button></div>
      </form>`;
    body.querySelector('#tw-oc-new').addEventListener('submit', async (e) => {
      e.preventDefault();
      const v = (id) => body.querySelector(id).value.trim();
      const errEl = body.querySelector('#tw-oc-err');
      const opens = dayStart(v('#tw-oc-opens'));
      const closes = dayStart(v('#tw-oc-closes'), 1);
      if (!v('#tw-oc-title')) return body.querySelector('#tw-oc-title').focus();
      if (opens == null || closes == null || closes <= opens) return body.querySelector('#tw-oc-closes').focus();
      const communes = v('#tw-oc-communes').split(/[\s,]+/).filter(Boolean);
      const r = await send('POST', '/api/v1/official/consultations', { plan_id: v('#tw-oc-plan'), title: v('#tw-oc-title'), description: v('#tw-oc-desc'), communes, opens_at: opens, closes_at: closes });
      if (lost(r)) return;
      if (r.status === 200 || r.status === 201) {
        errEl.textContent = '';
        body.querySelector('#tw-oc-new').reset();
        await loadConsultations(t('tw.o.c.created'));
      } else errEl.textContent = errorText(r);
    });
    await loadConsultations();
  }

  async function loadConsultations(notice = '') {
    const el = root.querySelector('#tw-oc-list');
    if (!el) return;
    const r = await call('GET', '/api/v1/consultations');
    if (r.status !== 200) {
      el.innerHTML = `<p class="tw-error" role="alert">${esc(errorText(r))}</p>`;
      return;
    }
    const list = Array.isArray(r.body) ? r.body : r.body?.items || r.body?.consultations || [];
    el.innerHTML = `${notice ? `<p class="tw-ok" role="status">${esc(notice)}</p>` : ''}${
      list.length
        ? `<ul class="tw-clist">${list
            .map(
              (c) => `<li data-id="${esc(c.id)}"><strong>${esc(c.title)}</strong> <span class="tw-badge ${esc(c.status)}">${esc(t(`tw.c.${c.status || 'closed'}`))}</span>
          <div class="small">${esc(c.plan_name || c.plan_id)} · ${esc(t('tw.c.dates', { from: dayOf(c.opens_at), to: lastDay(c.closes_at) }))} · ${esc(t('tw.c.count', { n: c.comment_count ?? 0, p: c.published_count ?? 0 }))}</div>
          <div class="actions-row"><a class="btn" href="/api/v1/official/consultations/${esc(c.id)}/summary.html" target="_blank" rel="noopener">${esc(t('tw.o.c.summary'))}</a>
            <a class="btn" href="/api/v1/official/consultations/${esc(c.id)}/summary.csv" download>${esc(t('tw.o.c.csv'))}</a></div>
          <form class="tw-o-form tw-oc-dates" data-id="${esc(c.id)}" novalidate>
            <label for="tw-oc-o-${esc(c.id)}">${esc(t('tw.o.c.opens'))}</label><input id="tw-oc-o-${esc(c.id)}" type="date" value="${esc(isoDay(c.opens_at))}" />
            <label for="tw-oc-c-${esc(c.id)}">${esc(t('tw.o.c.closes'))}</label><input id="tw-oc-c-${esc(c.id)}" type="date" value="${esc(isoDay(c.closes_at, true))}" />
            <p class="tw-error" role="alert"></p>
            <div class="actions-row"><button type="submit" class="btn">${esc(t('tw.o.c.save'))}</button></div></form></li>`,
            )
            .join('')}</ul>`
        : `<p>${esc(t('tw.c.none'))}</p>`
    }`;
    el.querySelectorAll('.tw-oc-dates').forEach((f) =>
      f.addEventListener('submit', async (e) => {
        e.preventDefault();
        const id = f.dataset.id;
        const opens = dayStart(f.querySelector(`#tw-oc-o-${id}`).value);
        const closes = dayStart(f.querySelector(`#tw-oc-c-${id}`).value, 1);
        if (opens == null || closes == null) return;
        const r = await send('POST', `/api/v1/official/consultations/${enc(id)}`, { opens_at: opens, closes_at: closes });
        if (lost(r)) return;
        if (r.status === 200 || r.status === 204) loadConsultations(t('tw.o.c.saved'));
        else f.querySelector('.tw-error').textContent = errorText(r);
      }),
    );
  }


  // ---------------------------------------------------------- notices (announce a plan)
  /** The outputs of a notice, as the panel offers them: [file, label key, how]. */
  const OUTPUTS = [
    ['slides.html', 'tw.o.n.slides', 'open'],
    ['poster-a3.pdf', 'tw.o.n.poster', 'download'],
    ['leaflet-a4.pdf', 'tw.o.n.leaflet', 'download'],
    ['post.png', 'tw.o.n.picture', 'download'],
    ['post.txt', 'tw.o.n.post', 'open'],
    ['notice.mp3', 'tw.o.n.mp3', 'download'],
    ['notice.ogg', 'tw.o.n.ogg', 'download'],
    ['notice.txt', 'tw.o.n.spoken', 'open'],
    ['page.html', 'tw.o.n.fragment', 'open'],
  ];
  let lastNotice = null;

  async function renderAnnounce() {
    const body = root.querySelector('#tw-o-body');
    const o = me.official;
    const plans = app.meta.plans || [];
    const wide = o.role !== 'commune';
    const communes = o.communes || [];
    const communeField = wide
      ? `<label for="tw-an-commune">${esc(t('tw.o.n.communeCode'))}</label>
         <input id="tw-an-commune" maxlength="16" inputmode="numeric" autocomplete="off" aria-describedby="tw-an-commune-help" />
         <p class="small" id="tw-an-commune-help">${esc(t('tw.o.n.wholeHelp'))}</p>`
      : `<label for="tw-an-commune">${esc(t('tw.o.n.commune'))}</label>
         <select id="tw-an-commune">${communes.map((c) => option(c, c, communes[0])).join('')}</select>`;
    const drafts = plans.filter((p) => p.status === 'draft');
    const ordered = [...drafts, ...plans.filter((p) => p.status !== 'draft')];
    body.innerHTML = `<form class="tw-o-form" id="tw-an-form" novalidate><h3 id="tw-an-h">${esc(t('tw.o.n.title'))}</h3>
        <p class="small">${esc(t('tw.o.n.intro'))}</p>
        <label for="tw-an-plan">${esc(t('tw.qa.plan'))}</label>
        <select id="tw-an-plan">${ordered.map((p) => option(p.id, `${p.name}${p.status === 'draft' ? ` (${t('tw.o.n.draft')})` : ''}`, ordered[0]?.id)).join('')}</select>
        ${communeField}
        <label for="tw-an-kind">${esc(t('tw.o.n.kind'))}</label>
        <select id="tw-an-kind">${option('', t('tw.o.n.kind.auto'), '')}${['consultation', 'approved', 'adjusted'].map((k) => option(k, t(`tw.o.n.kind.${k}`), '')).join('')}</select>
        <label for="tw-an-msg">${esc(t('tw.o.n.message'))}</label>
        <textarea id="tw-an-msg" maxlength="1000" rows="3"></textarea>
        <label for="tw-an-msg-en">${esc(t('tw.o.n.messageEn'))}</label>
        <textarea id="tw-an-msg-en" maxlength="1000" rows="2" lang="en"></textarea>
        <label for="tw-an-addr">${esc(t('tw.o.n.address'))}</label>
        <input id="tw-an-addr" maxlength="200" autocomplete="street-address" />
        <label for="tw-an-phone">${esc(t('tw.o.n.phone'))}</label>
        <input id="tw-an-phone" type="tel" maxlength="40" autocomplete="tel" />
        <p class="tw-error" id="tw-an-err" role="alert"></p>
        <p class="tw-status" id="tw-an-status" role="status" aria-live="polite"></p>
        <div class="actions-row"><button type="submit" class="btn primary" id="tw-an-go">${esc(t('tw.o.n.create'))}</button></div>
      </form>
      <div id="tw-an-result"></div>
      <section aria-labelledby="tw-an-recent-h"><h3 id="tw-an-recent-h">${esc(t('tw.o.n.recent'))}</h3><div id="tw-an-list"><p role="status">${esc(t('tw.loading'))}</p></div></section>`;
    const form = body.querySelector('#tw-an-form');
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const v = (id) => body.querySelector(id).value.trim();
      const errEl = body.querySelector('#tw-an-err');
      const statusEl = body.querySelector('#tw-an-status');
      const btn = body.querySelector('#tw-an-go');
      errEl.textContent = '';
      const payload = { plan: v('#tw-an-plan') };
      if (v('#tw-an-commune')) payload.commune = v('#tw-an-commune');
      if (v('#tw-an-kind')) payload.kind = v('#tw-an-kind');
      if (v('#tw-an-msg')) payload.message_vi = v('#tw-an-msg');
      if (v('#tw-an-msg-en')) payload.message_en = v('#tw-an-msg-en');
      if (v('#tw-an-addr')) payload.office_address = v('#tw-an-addr');
      if (v('#tw-an-phone')) payload.office_phone = v('#tw-an-phone');
      btn.disabled = true;
      form.setAttribute('aria-busy', 'true');
      statusEl.innerHTML = `<progress aria-label="${esc(t('tw.o.n.working'))}"></progress> ${esc(t('tw.o.n.working'))}`;
      const r = await send('POST', '/api/v1/notices', payload);
      btn.disabled = false;
      form.removeAttribute('aria-busy');
      statusEl.textContent = '';
      if (lost(r)) return;
      if (r.status === 201 && r.body?.id) {
        lastNotice = r.body;
        statusEl.textContent = t('tw.o.n.done');
        await showNotice(r.body, true);
        loadNotices();
        return;
      }
      // The server's reason matters here (a tool to install, no consultation window, no zones).
      const detail = r.body && typeof r.body === 'object' ? r.body.detail : '';
      errEl.textContent = [errorText(r), [404, 422, 503].includes(r.status) ? detail : ''].filter(Boolean).join(' — ');
    });
    if (lastNotice) showNotice(lastNotice, false);
    loadNotices();
  }

  async function copy(text, btn) {
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      const ta = btn.closest('.tw-an-copy')?.querySelector('textarea');
      if (ta) {
        ta.select();
        ok = document.execCommand && document.execCommand('copy');
      }
    }
    btn.textContent = ok ? t('tw.copied') : t('tw.copy');
  }

  /** A notice's outputs: each linked, the post and the fragment to copy, the audio to play. */
  async function showNotice(n, focus) {
    const el = root.querySelector('#tw-an-result');
    if (!el) return;
    const f = n.files || {};
    const title = `${getLang() === 'en' ? n.title_en : n.title_vi} — ${getLang() === 'en' ? n.area?.name_en : n.area?.name_vi}`;
    const withdrawn = !!n.withdrawn_at;
    el.innerHTML = `<article class="tw-an-notice" data-id="${esc(n.id)}"><h3 id="tw-an-res-h" tabindex="-1">${esc(title)}</h3>
      <p class="small">${esc(n.plan?.name || '')} · ${esc(when(n.created_at))}${withdrawn ? ` · <strong>${esc(t('tw.o.n.withdrawn'))}</strong>` : ''}</p>
      ${
        withdrawn
          ? ''
          : `<p><a class="btn primary" id="tw-an-page" href="${esc(n.url)}" target="_blank" rel="noopener">${esc(t('tw.o.n.page'))}</a></p>
      <img class="tw-an-pic" src="${esc(f['post.png'])}" width="1200" height="630" alt="${esc(t('tw.o.n.pictureAlt', { title }))}" />
      <ul class="tw-an-files">${OUTPUTS.map(([file, key, how]) => `<li><a data-file="${esc(file)}" href="${esc(f[file])}" ${how === 'download' ? `download="${esc(`${n.id}-${file}`)}"` : 'target="_blank" rel="noopener"'}>${esc(t(key))}</a></li>`).join('')}</ul>
      <p><strong id="tw-an-audio-l">${esc(t('tw.o.n.listen'))}</strong></p>
      <audio controls preload="none" src="${esc(f['notice.mp3'])}" aria-labelledby="tw-an-audio-l"></audio>
      <div class="tw-an-copy"><label for="tw-an-post">${esc(t('tw.o.n.postText'))}</label>
        <textarea id="tw-an-post" readonly rows="8"></textarea>
        <button type="button" class="btn" id="tw-an-copy-post">${esc(t('tw.o.n.copyPost'))}</button></div>
      <div class="tw-an-copy"><label for="tw-an-frag">${esc(t('tw.o.n.fragmentText'))}</label>
        <textarea id="tw-an-frag" readonly rows="6" spellcheck="false"></textarea>
        <button type="button" class="btn" id="tw-an-copy-frag">${esc(t('tw.o.n.copyFragment'))}</button></div>
      <p class="tw-error" id="tw-an-w-err" role="alert"></p>
      <div class="actions-row"><button type="button" class="btn danger" id="tw-an-withdraw">${esc(t('tw.o.n.withdraw'))}</button></div>`
      }
    </article>`;
    if (focus) el.querySelector('#tw-an-res-h').focus({ preventScroll: false });
    if (withdrawn) return;
    const fill = async (file, id) => {
      try {
        const r = await fetch(f[file], { credentials: 'same-origin' });
        const ta = el.querySelector(id);
        if (ta && r.ok) ta.value = await r.text();
      } catch {
        /* the link above still works */
      }
    };
    await Promise.all([fill('post.txt', '#tw-an-post'), fill('page.html', '#tw-an-frag')]);
    el.querySelector('#tw-an-copy-post').addEventListener('click', (e) => copy(el.querySelector('#tw-an-post').value, e.currentTarget));
    el.querySelector('#tw-an-copy-frag').addEventListener('click', (e) => copy(el.querySelector('#tw-an-frag').value, e.currentTarget));
    el.querySelector('#tw-an-withdraw').addEventListener('click', (e) => withdrawNotice(n, e.currentTarget));
  }

  async function withdrawNotice(n, btn) {
    if (!window.confirm(t('tw.o.n.confirm'))) return;
    if (btn) btn.disabled = true;
    const r = await send('POST', `/api/v1/notices/${enc(n.id)}/withdraw`);
    if (btn) btn.disabled = false;
    if (lost(r)) return;
    if (r.status === 200 && r.body) {
      if (lastNotice?.id === n.id) {
        lastNotice = r.body;
        showNotice(r.body, false);
      }
      loadNotices(t('tw.o.n.withdrawnOk'));
      return;
    }
    const err = root.querySelector('#tw-an-w-err') || root.querySelector('#tw-an-err');
    if (err) err.textContent = errorText(r);
  }

  async function loadNotices(notice = '') {
    const el = root.querySelector('#tw-an-list');
    if (!el) return;
    const r = await call('GET', '/api/v1/official/notices');
    if (lost(r)) return;
    if (r.status !== 200 || !r.body) {
      el.innerHTML = `<p class="tw-error" role="alert">${esc(errorText(r))}</p>`;
      return;
    }
    const list = r.body.notices || [];
    const en = getLang() === 'en';
    el.innerHTML = `${notice ? `<p class="tw-ok" role="status">${esc(notice)}</p>` : ''}${
      list.length
        ? `<ul class="tw-clist" id="tw-an-items">${list
            .map(
              (n) => `<li data-id="${esc(n.id)}"><strong>${esc(en ? n.title_en : n.title_vi)} — ${esc(en ? n.area?.name_en : n.area?.name_vi)}</strong>
          ${n.withdrawn_at ? `<span class="tw-badge closed">${esc(t('tw.o.n.withdrawn'))}</span>` : ''}
          <div class="small">${esc(n.plan?.name || n.plan?.id || '')} · ${esc(when(n.created_at))}</div>
          ${n.withdrawn_at ? '' : `<div class="actions-row"><button type="button" class="btn" data-show="${esc(n.id)}">${esc(t('tw.o.n.outputs'))}</button><a class="btn" href="${esc(n.url)}" target="_blank" rel="noopener">${esc(t('tw.o.n.page'))}</a><button type="button" class="btn danger" data-withdraw="${esc(n.id)}">${esc(t('tw.o.n.withdraw'))}</button></div>`}</li>`,
            )
            .join('')}</ul>`
        : `<p>${esc(t('tw.o.n.none'))}</p>`
    }`;
    const byId = Object.fromEntries(list.map((n) => [n.id, n]));
    el.querySelectorAll('[data-show]').forEach((b) =>
      b.addEventListener('click', () => {
        lastNotice = byId[b.dataset.show];
        showNotice(lastNotice, true);
      }),
    );
    el.querySelectorAll('[data-withdraw]').forEach((b) => b.addEventListener('click', () => withdrawNotice(byId[b.dataset.withdraw], b)));
  }

  return { show, hide };
}
