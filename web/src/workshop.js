// Workshops (docs/api.md#workshops): a trainer starts one at #/workshop (a big code, a QR
// code of the join address, the address in words), follows the class on the board at
// #/trainer/CODE (each trainee's lesson step, time on it, wrong answers, a "stuck" mark in
// words and an icon, not colour alone; polled every 2 s while the tab is visible) and can send
// everyone to a step. Trainees join at #/join/CODE with a display name only, then learn in
// the lesson runner (#/learn, learn.js): while joined, every `qh:lesson-progress` the runner
// announces is sent to the server, and a trainer's push (in the answers, and polled) becomes
// a `qh:lesson-goto`. A small badge says "in workshop CODE as NAME · leave".
//
// Keys stay in this browser's localStorage (qh.workshop for the trainee, qh.workshop.trainer
// for the trainer's workshops), so a reload or a server restart loses nothing.
import './workshop.css';
import { t, getLang, onLangChange, locale } from './i18n.js';
import { esc } from './report.js';
import { qrSvg } from './qr.js';

const JOINED_KEY = 'qh.workshop';
const TRAINER_KEY = 'qh.workshop.trainer';
const CODE_RE = /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$/;
const BOARD_POLL_MS = 2000;
const PUSH_POLL_MS = 4000;
const RETRY_MS = 3000;
/** Progress reports kept while the server cannot be reached (the oldest go first). */
const MAX_QUEUE = 100;

function load(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || 'null');
  } catch {
    return null;
  }
}
function save(key, value) {
  try {
    if (value == null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* private mode: the workshop still works until the page is closed */
  }
}

/** A request to the workshop API: `{ status, body }`; status 0 when the server cannot be reached. */
async function call(method, path, { body, headers = {} } = {}) {
  try {
    const r = await fetch(path, {
      method,
      headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
      cache: 'no-store',
    });
    const out = r.status === 204 ? null : await r.json().catch(() => null);
    return { status: r.status, body: out };
  } catch {
    return { status: 0, body: null };
  }
}

/** What went wrong, in the page's language. */
function errorText(r, code) {
  if (r.status === 0) return t('workshop.err.network');
  if (r.status === 410) return t('workshop.err.gone', { code });
  if (r.status === 404 && /turned off/.test(r.body?.detail || '')) return t('workshop.err.off');
  if (r.status === 404) return t('workshop.err.notFound', { code });
  return t('workshop.err.generic', { msg: r.body?.detail || `HTTP ${r.status}` });
}

export const normalCode = (s) => String(s || '').trim().toUpperCase();

function duration(s) {
  s = Math.max(0, Math.round(s));
  return s < 60 ? t('workshop.seconds', { s }) : t('workshop.minutes', { m: Math.floor(s / 60), s: s % 60 });
}
function clock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString(locale(), { hour: '2-digit', minute: '2-digit', day: 'numeric', month: 'numeric' });
}
const spelled = (code) => code.split('').join(' ');

export function initWorkshop(app) {
  const main = document.getElementById('main');
  const root = document.createElement('section');
  root.id = 'workshop';
  root.className = 'workshop';
  root.hidden = true;
  root.setAttribute('aria-labelledby', 'workshop-heading');
  main.appendChild(root);

  let page = null; // the page state shown: { page, code }
  let boardTimer = 0;
  let boardToken = 0;
  let boardTick = null; // the board's next poll, run at once when the tab shows again
  const lessonDocs = new Map(); // lang → Promise of GET /api/v1/lessons

  function lessons() {
    const lang = getLang();
    if (!lessonDocs.has(lang)) {
      const p = call('GET', `/api/v1/lessons?lang=${lang}`).then((r) => (r.status === 200 && Array.isArray(r.body?.lessons) ? r.body.lessons : []));
      p.then((l) => l.length || lessonDocs.delete(lang));
      lessonDocs.set(lang, p);
    }
    return lessonDocs.get(lang);
  }

  // ------------------------------------------------------------ pages
  function frame(inner, { wide = false } = {}) {
    root.innerHTML = `<div class="ws-card${wide ? ' ws-wide' : ''}"><div class="ws-head"><h2 id="workshop-heading" tabindex="-1"></h2>
      <button type="button" class="icon-btn" id="ws-close" aria-label="${esc(t('workshop.close'))}" title="${esc(t('workshop.close'))}">✕</button></div>${inner}</div>`;
    root.querySelector('#ws-close').addEventListener('click', () => {
      location.hash = '';
    });
  }
  function heading(text, focus = true) {
    const h = root.querySelector('#workshop-heading');
    h.textContent = text;
    document.title = `${text} · ${t('app.short')}`;
    if (focus) h.focus({ preventScroll: true });
  }

  function show(state) {
    stopBoard();
    page = { page: state.page, code: state.code ? normalCode(state.code) : null };
    root.hidden = false;
    document.body.classList.add('workshopping');
    if (page.page === 'join') renderJoin(page.code);
    else if (page.page === 'trainer') renderBoard(page.code);
    else renderStart();
  }
  function hide() {
    stopBoard();
    page = null;
    root.hidden = true;
    root.innerHTML = '';
    document.body.classList.remove('workshopping');
  }
  onLangChange(() => {
    if (page) show(page);
    renderBadge();
  });

  // ------------------------------------------------------------ #/workshop: start one
  function trainerWorkshops() {
    const all = load(TRAINER_KEY) || {};
    const now = Date.now();
    for (const [code, w] of Object.entries(all)) if (!w || new Date(w.expires_at).getTime() <= now) delete all[code];
    save(TRAINER_KEY, all);
    return all;
  }

  function renderStart(started = null) {
    const mine = Object.entries(trainerWorkshops());
    frame(
      `${started ? startedHtml(started) : `<p>${esc(t('workshop.start.intro'))}</p>
      <form id="ws-start" class="ws-form">
        <label for="ws-title">${esc(t('workshop.start.titleLabel'))}</label>
        <input id="ws-title" type="text" maxlength="80" autocomplete="off" placeholder="${esc(t('workshop.start.titlePlaceholder'))}" />
        <button type="submit" class="btn primary ws-big">${esc(t('workshop.start.button'))}</button>
        <p class="ws-error" id="ws-start-error" role="alert"></p>
      </form>`}
      ${!started && mine.length ? `<h3>${esc(t('workshop.start.mine'))}</h3><ul class="ws-mine">${mine
        .map(([code, w]) => `<li><a href="#/trainer/${esc(code)}">${esc(code)}${w.title ? ` · ${esc(w.title)}` : ''}</a> <span class="ws-muted">${esc(t('workshop.expires', { time: clock(w.expires_at) }))}</span></li>`)
        .join('')}</ul>` : ''}
      ${started ? '' : `<form id="ws-join-code" class="ws-form ws-join-code">
        <h3>${esc(t('workshop.start.joinHeading'))}</h3>
        <label for="ws-code-input">${esc(t('workshop.start.codeLabel'))}</label>
        <div class="ws-row"><input id="ws-code-input" type="text" inputmode="text" autocapitalize="characters" autocomplete="off" spellcheck="false" maxlength="6" pattern="[A-Za-z2-9]{6}" />
        <button type="submit" class="btn">${esc(t('workshop.start.joinButton'))}</button></div>
      </form>`}`,
      { wide: !!started },
    );
    heading(started ? t('workshop.title') : t('workshop.start.heading'));
    root.querySelector('#ws-join-code')?.addEventListener('submit', (e) => {
      e.preventDefault();
      location.hash = `#/join/${normalCode(root.querySelector('#ws-code-input').value)}`;
    });
    const form = root.querySelector('#ws-start');
    form?.addEventListener('submit', async (e) => {
      e.preventDefault();
      const button = form.querySelector('button');
      button.disabled = true;
      const title = root.querySelector('#ws-title').value;
      const r = await call('POST', '/api/v1/workshops', { body: title.trim() ? { title } : {} });
      button.disabled = false;
      if (r.status !== 201) {
        root.querySelector('#ws-start-error').textContent = errorText(r, '');
        return;
      }
      const all = trainerWorkshops();
      all[r.body.code] = { key: r.body.trainer_key, expires_at: r.body.expires_at, title: title.trim(), join_url: r.body.join_url };
      save(TRAINER_KEY, all);
      renderStart({ ...r.body, title: title.trim() });
    });
    root.querySelector('#ws-copy-key')?.addEventListener('click', copyKey);
  }

  function joinPanel(code, joinUrl, { big = true } = {}) {
    const local = /^(localhost|127\.|\[?::1\]?)/.test(location.hostname);
    return `<div class="ws-join${big ? ' ws-join-big' : ''}">
      <div class="ws-code-box"><span class="ws-label">${esc(t('workshop.code'))}</span>
        <strong id="ws-code" class="ws-code" aria-describedby="ws-code-spelled">${esc(code)}</strong>
        <span id="ws-code-spelled" class="ws-muted">${esc(t('workshop.codeSpelled', { spelled: spelled(code) }))}</span></div>
      <div id="ws-qr" class="ws-qr">${qrSvg(joinUrl, { label: t('workshop.qr', { code }) })}</div>
      <p class="ws-how">${esc(t('workshop.howToJoin'))} <a id="ws-join-url" class="ws-url" href="${esc(joinUrl)}">${esc(joinUrl)}</a></p>
      ${local ? `<p class="ws-warn" role="note"><span aria-hidden="true">⚠ </span>${esc(t('workshop.localhostNote'))}</p>` : ''}
    </div>`;
  }

  function startedHtml(w) {
    return `${w.title ? `<p class="ws-title-line">${esc(w.title)}</p>` : ''}
      ${joinPanel(w.code, w.join_url)}
      <p class="ws-muted">${esc(t('workshop.expires', { time: clock(w.expires_at) }))}</p>
      <p><a class="btn primary ws-big" id="ws-open-board" href="#/trainer/${esc(w.code)}">${esc(t('workshop.openBoard'))}</a></p>
      <details class="ws-key"><summary>${esc(t('workshop.keyLabel'))}</summary>
        <p>${esc(t('workshop.keyNote'))}</p>
        <label for="ws-key-out" class="sr-only">${esc(t('workshop.keyLabel'))}</label>
        <div class="ws-row"><input id="ws-key-out" type="text" readonly value="${esc(w.trainer_key)}" />
        <button type="button" class="btn" id="ws-copy-key">${esc(t('workshop.copy'))}</button></div>
      </details>`;
  }
  async function copyKey(e) {
    const input = root.querySelector('#ws-key-out');
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      e.target.textContent = t('workshop.copied');
    } catch {
      /* selected: the trainer copies by hand */
    }
  }

  // ------------------------------------------------------------ #/join/CODE: a trainee joins
  async function renderJoin(code) {
    frame(`<p class="ws-loading" role="status">${esc(t('workshop.loading'))}</p>`);
    heading(t('workshop.join.heading', { code: code || '' }), false);
    if (!CODE_RE.test(code || '')) return joinError({ status: 404, body: null }, code || '');
    const r = await call('GET', `/api/v1/workshops/${code}`);
    if (page?.page !== 'join' || page.code !== code) return;
    if (r.status !== 200) return joinError(r, code);
    const w = r.body;
    const me = joined;
    if (me && me.code === code) {
      frame(`${w.title ? `<p class="ws-title-line">${esc(w.title)}</p>` : ''}
        <p>${esc(t('workshop.join.already', { code, name: me.name }))}</p>
        <p><a class="btn primary ws-big" id="ws-continue" href="#/learn">${esc(t('workshop.join.continue'))}</a></p>
        <p><button type="button" class="btn" id="ws-leave-here">${esc(t('workshop.badge.leave'))}</button></p>`);
      heading(t('workshop.join.heading', { code }));
      root.querySelector('#ws-leave-here').addEventListener('click', () => {
        leave('left');
        renderJoin(code);
      });
      return;
    }
    frame(`${w.title ? `<p class="ws-title-line">${esc(w.title)}</p>` : ''}
      <p>${esc(t('workshop.join.intro'))}</p>
      ${me ? `<p class="ws-warn">${esc(t('workshop.join.other', { other: me.code, code }))}</p>` : ''}
      <form id="ws-join" class="ws-form" novalidate>
        <label for="ws-name">${esc(t('workshop.join.nameLabel'))}</label>
        <input id="ws-name" type="text" maxlength="40" required autocomplete="nickname" enterkeyhint="go" aria-describedby="ws-name-hint ws-join-error" />
        <span id="ws-name-hint" class="ws-muted">${esc(t('workshop.join.nameHint'))}</span>
        <button type="submit" class="btn primary ws-big" id="ws-join-button">${esc(t('workshop.join.button'))}</button>
        <p class="ws-error" id="ws-join-error" role="alert"></p>
      </form>`);
    heading(t('workshop.join.heading', { code }));
    const form = root.querySelector('#ws-join');
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const input = root.querySelector('#ws-name');
      const error = root.querySelector('#ws-join-error');
      const name = input.value.trim();
      if (!name) {
        error.textContent = t('workshop.join.nameEmpty');
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      const button = root.querySelector('#ws-join-button');
      button.disabled = true;
      const j = await call('POST', `/api/v1/workshops/${code}/participants`, { body: { name } });
      button.disabled = false;
      if (j.status !== 201) {
        error.textContent = errorText(j, code);
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      if (joined) leave(null);
      joined = { code, id: j.body.id, key: j.body.key, name: j.body.name, seq: 0 };
      save(JOINED_KEY, joined);
      startTrainee();
      // A late joiner goes where the class is; everyone else to the lessons.
      if (!takePush(j.body.push)) location.hash = '#/learn';
    });
  }
  function joinError(r, code) {
    frame(`<p class="ws-error" role="alert">${esc(errorText(r, code))}</p>
      <form id="ws-join-code" class="ws-form ws-join-code">
        <label for="ws-code-input">${esc(t('workshop.start.codeLabel'))}</label>
        <div class="ws-row"><input id="ws-code-input" type="text" autocapitalize="characters" autocomplete="off" spellcheck="false" maxlength="6" value="${esc(code)}" />
        <button type="submit" class="btn">${esc(t('workshop.start.joinButton'))}</button></div>
      </form>`);
    heading(t('workshop.join.heading', { code }));
    root.querySelector('#ws-join-code').addEventListener('submit', (e) => {
      e.preventDefault();
      location.hash = `#/join/${normalCode(root.querySelector('#ws-code-input').value)}`;
    });
  }

  // ------------------------------------------------------------ #/trainer/CODE: the board
  function stopBoard() {
    clearTimeout(boardTimer);
    boardToken++;
    boardTick = null;
  }

  function renderBoard(code) {
    const w = trainerWorkshops()[code];
    if (!CODE_RE.test(code || '')) {
      frame(`<p class="ws-error" role="alert">${esc(errorText({ status: 404 }, code || ''))}</p>`);
      heading(t('workshop.board.heading', { code: code || '' }));
      return;
    }
    if (!w) return renderKeyForm(code);
    const joinUrl = w.join_url || `${location.origin}${location.pathname}#/join/${code}`;
    frame(
      `${w.title ? `<p class="ws-title-line">${esc(w.title)}</p>` : ''}
      <p id="ws-summary" class="ws-summary" role="status" aria-live="polite"></p>
      <div class="ws-table-wrap" id="ws-board"><p class="ws-loading">${esc(t('workshop.loading'))}</p></div>
      <p class="ws-muted" id="ws-rule"></p>
      <p class="ws-muted"><span id="ws-updated"></span> · ${esc(t('workshop.board.paused'))}</p>
      <div class="ws-board-top">
        <details class="ws-join-details" open><summary>${esc(t('workshop.board.showJoin'))}: <strong>${esc(code)}</strong></summary>${joinPanel(code, joinUrl, { big: false })}</details>
        <form id="ws-push" class="ws-form ws-push">
          <fieldset><legend>${esc(t('workshop.push.heading'))}</legend>
          <label for="ws-push-lesson">${esc(t('workshop.push.lesson'))}</label>
          <select id="ws-push-lesson"></select>
          <label for="ws-push-step">${esc(t('workshop.push.step'))}</label>
          <select id="ws-push-step"></select>
          <button type="submit" class="btn primary" id="ws-push-button">${esc(t('workshop.push.button'))}</button>
          <p class="ws-muted" id="ws-push-status" role="status"></p></fieldset>
        </form>
      </div>
      <p><button type="button" class="btn danger" id="ws-end">${esc(t('workshop.end'))}</button></p>`,
      { wide: true },
    );
    heading(t('workshop.board.heading', { code }));
    root.querySelector('#ws-end').addEventListener('click', async () => {
      if (!confirm(t('workshop.end.confirm', { code }))) return;
      const r = await call('DELETE', `/api/v1/workshops/${code}`, { headers: { 'x-trainer-key': w.key } });
      if (r.status === 204 || r.status === 404 || r.status === 410) {
        const all = trainerWorkshops();
        delete all[code];
        save(TRAINER_KEY, all);
        stopBoard();
        frame(`<p role="status">${esc(t('workshop.ended', { code }))}</p><p><a class="btn" href="#/workshop">${esc(t('workshop.start.heading'))}</a></p>`);
        heading(t('workshop.board.heading', { code }));
      } else root.querySelector('#ws-updated').textContent = errorText(r, code);
    });
    fillPushForm(code, w);
    root.querySelector('#ws-board').addEventListener('click', async (e) => {
      const b = e.target.closest('button[data-remove]');
      if (!b) return;
      const name = b.closest('tr')?.querySelector('th')?.textContent || '';
      if (!confirm(t('workshop.board.removeConfirm', { name }))) return;
      const r = await call('DELETE', `/api/v1/workshops/${code}/participants/${b.dataset.remove}`, { headers: { 'x-trainer-key': w.key } });
      if (r.status !== 204 && r.status !== 404) root.querySelector('#ws-updated').textContent = errorText(r, code);
      else {
        b.closest('tr')?.remove();
        boardTick?.();
      }
    });
    const token = ++boardToken;
    let lastSummary = '';
    let busy = false;
    const tick = (boardTick = async () => {
      if (token !== boardToken || busy) return;
      if (document.hidden) {
        boardTimer = setTimeout(tick, BOARD_POLL_MS);
        return;
      }
      busy = true;
      const r = await call('GET', `/api/v1/workshops/${code}/board`, { headers: { 'x-trainer-key': w.key } });
      busy = false;
      if (token !== boardToken) return;
      if (r.status === 200) {
        const ls = await lessons();
        if (token !== boardToken) return;
        drawBoard(r.body, ls);
        const stuck = r.body.participants.filter((p) => p.stuck).length;
        const summary = t('workshop.board.summary', { n: r.body.participants.length, stuck });
        if (summary !== lastSummary) root.querySelector('#ws-summary').textContent = lastSummary = summary;
        root.querySelector('#ws-updated').textContent = t('workshop.board.updated', { time: new Date().toLocaleTimeString(locale()) });
        const rule = r.body.stuck_rule;
        if (rule) root.querySelector('#ws-rule').textContent = t('workshop.board.stuckRule', { wrong: rule.wrong_answers, minutes: Math.round(rule.seconds / 60) });
      } else if (r.status === 401 || r.status === 403) {
        const all = trainerWorkshops();
        delete all[code];
        save(TRAINER_KEY, all);
        return renderKeyForm(code, errorText(r, code));
      } else if (r.status === 404 || r.status === 410) {
        frame(`<p class="ws-error" role="alert">${esc(errorText(r, code))}</p><p><a class="btn" href="#/workshop">${esc(t('workshop.start.heading'))}</a></p>`);
        heading(t('workshop.board.heading', { code }));
        return;
      } else {
        root.querySelector('#ws-updated').textContent = t('workshop.board.offline', { msg: errorText(r, code) });
      }
      boardTimer = setTimeout(tick, BOARD_POLL_MS);
    });
    tick();
  }
  document.addEventListener('visibilitychange', () => {
    // Back on the tab: the board at once, not at the next tick.
    if (!document.hidden && page?.page === 'trainer' && boardTick) {
      clearTimeout(boardTimer);
      boardTick();
    }
  });

  function stepLabel(ls, lesson, step) {
    const l = ls.find((x) => x.id === lesson);
    if (!l) return { lesson: lesson || '', step: step || '' };
    const i = l.steps.findIndex((s) => s.id === step);
    return {
      lesson: l.title,
      step: i < 0 ? step || '' : t('workshop.board.stepOf', { n: i + 1, total: l.steps.length, title: l.steps[i].title }),
    };
  }

  function drawBoard(b, ls) {
    const box = root.querySelector('#ws-board');
    if (!box) return;
    if (!b.participants.length) {
      box.innerHTML = `<p class="ws-empty">${esc(t('workshop.board.empty'))}</p>`;
      return;
    }
    const rows = b.participants
      .map((p) => {
        const where = p.lesson ? stepLabel(ls, p.lesson, p.step) : null;
        const status = !p.lesson
          ? `<span class="ws-status">${esc(t('workshop.board.notStarted'))}</span>`
          : p.stuck
            ? `<span class="ws-status ws-stuck-mark"><span aria-hidden="true">⚠ </span>${esc(t('workshop.board.stuck'))}</span>`
            : p.step_done && p.shown_on_step
              ? `<span class="ws-status"><span aria-hidden="true">◎ </span>${esc(t('workshop.board.shownDone'))}</span>`
              : p.step_done
                ? `<span class="ws-status ws-done-mark"><span aria-hidden="true">✓ </span>${esc(t('workshop.board.stepDone'))}</span>`
              : `<span class="ws-status">${esc(t('workshop.board.working'))}</span>`;
        return `<tr data-participant="${esc(p.id)}" data-lesson="${esc(p.lesson || '')}" data-step="${esc(p.step || '')}" data-wrong="${esc(p.wrong_on_step)}" data-stuck="${p.stuck ? 'true' : 'false'}" class="${p.stuck ? 'ws-stuck' : ''}">
          <th scope="row">${esc(p.name)}</th>
          <td>${where ? `<span class="ws-lesson">${esc(where.lesson)}</span><span class="ws-step">${esc(where.step)}</span>` : '—'}</td>
          <td class="num">${p.lesson ? esc(duration(p.seconds_on_step)) : '—'}</td>
          <td class="num ws-wrong">${esc(p.wrong_on_step)}</td>
          <td class="num">${esc(p.shown_on_step)}</td>
          <td class="num">${esc(p.done_steps)}</td>
          <td>${status}</td>
          <td><button type="button" class="ws-remove" data-remove="${esc(p.id)}" aria-label="${esc(t('workshop.board.remove', { name: p.name }))}" title="${esc(t('workshop.board.remove', { name: p.name }))}">✕</button></td></tr>`;
      })
      .join('');
    box.innerHTML = `<table class="ws-table"><caption class="sr-only">${esc(t('workshop.board.caption'))}</caption>
      <thead><tr><th scope="col">${esc(t('workshop.board.name'))}</th><th scope="col">${esc(t('workshop.board.where'))}</th>
      <th scope="col">${esc(t('workshop.board.time'))}</th><th scope="col">${esc(t('workshop.board.wrong'))}</th>
      <th scope="col">${esc(t('workshop.board.shown'))}</th><th scope="col">${esc(t('workshop.board.done'))}</th>
      <th scope="col">${esc(t('workshop.board.status'))}</th><th scope="col"><span class="sr-only">${esc(t('workshop.board.removeCol'))}</span></th></tr></thead><tbody>${rows}</tbody></table>`;
  }

  async function fillPushForm(code, w) {
    const form = root.querySelector('#ws-push');
    const lessonSel = root.querySelector('#ws-push-lesson');
    const stepSel = root.querySelector('#ws-push-step');
    const ls = await lessons();
    if (!form.isConnected) return;
    lessonSel.innerHTML = ls.map((l) => `<option value="${esc(l.id)}">${esc(l.title)}</option>`).join('');
    const fillSteps = () => {
      const l = ls.find((x) => x.id === lessonSel.value);
      stepSel.innerHTML = (l?.steps || []).map((s, i) => `<option value="${esc(s.id)}">${i + 1}. ${esc(s.title)}</option>`).join('');
    };
    lessonSel.addEventListener('change', fillSteps);
    fillSteps();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const status = root.querySelector('#ws-push-status');
      const r = await call('POST', `/api/v1/workshops/${code}/push`, {
        headers: { 'x-trainer-key': w.key },
        body: { lesson: lessonSel.value, step: stepSel.value },
      });
      status.textContent =
        r.status === 200 ? t('workshop.push.done', { title: stepSel.selectedOptions[0]?.textContent || stepSel.value }) : errorText(r, code);
    });
  }

  function renderKeyForm(code, note = '') {
    frame(`${note ? `<p class="ws-error" role="alert">${esc(note)}</p>` : ''}
      <p>${esc(t('workshop.key.intro', { code }))}</p>
      <form id="ws-key-form" class="ws-form">
        <label for="ws-key-in">${esc(t('workshop.keyLabel'))}</label>
        <input id="ws-key-in" type="text" autocomplete="off" spellcheck="false" required />
        <button type="submit" class="btn primary">${esc(t('workshop.key.button'))}</button>
      </form>`);
    heading(t('workshop.key.heading'));
    root.querySelector('#ws-key-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const key = root.querySelector('#ws-key-in').value.trim();
      const r = await call('GET', `/api/v1/workshops/${code}/board`, { headers: { 'x-trainer-key': key } });
      if (r.status !== 200) return renderKeyForm(code, errorText(r, code));
      const all = trainerWorkshops();
      all[code] = { key, expires_at: r.body.expires_at, title: r.body.title };
      save(TRAINER_KEY, all);
      renderBoard(code);
    });
  }

  // ------------------------------------------------------------ a joined trainee
  let joined = load(JOINED_KEY);
  if (joined && !(CODE_RE.test(joined.code) && Number.isInteger(joined.id) && typeof joined.key === 'string')) joined = null;
  let queue = [];
  let sending = false;
  let pollTimer = 0;
  let badge = null;
  let badgeNote = '';

  function renderBadge() {
    if (!joined) {
      badge?.remove();
      badge = null;
      return;
    }
    if (!badge) {
      badge = document.createElement('div');
      badge.id = 'workshop-badge';
      badge.className = 'ws-badge';
      badge.setAttribute('role', 'group');
      (document.querySelector('.topbar') || document.body).appendChild(badge);
    }
    badge.setAttribute('aria-label', t('workshop.title'));
    badge.innerHTML = `<svg class="ws-badge-icon" aria-hidden="true" viewBox="0 0 24 24" width="16" height="16"><circle cx="9" cy="8" r="3.2" fill="none" stroke="currentColor" stroke-width="2"/><path d="M3 19c0-3.3 2.7-5.5 6-5.5s6 2.2 6 5.5M16 5.2a3 3 0 010 5.6M18 13.8c1.8.6 3 2.4 3 5.2" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg><span class="ws-badge-text">${esc(t('workshop.badge', { code: joined.code, name: joined.name }))}</span>
      <button type="button" class="ws-badge-leave" id="ws-leave">${esc(t('workshop.badge.leave'))}</button>
      <span class="sr-only" role="status" id="ws-badge-note">${esc(badgeNote)}</span>`;
    badge.querySelector('#ws-leave').addEventListener('click', () => leave('left'));
  }
  function note(text) {
    badgeNote = text;
    const el = document.getElementById('ws-badge-note');
    if (el) el.textContent = text;
    app.toast?.(text);
  }

  /** Leaves the workshop on this device; `why` says so ('left', 'ended') or nothing. */
  function leave(why) {
    if (!joined) return;
    const code = joined.code;
    // Leaving by choice deletes the name on the server at once (best effort: it goes
    // anyway when the workshop expires).
    if (why === 'left') call('DELETE', `/api/v1/workshops/${code}/participants/${joined.id}`, { headers: { 'x-participant-key': joined.key } });
    joined = null;
    queue = [];
    clearTimeout(pollTimer);
    save(JOINED_KEY, null);
    renderBadge();
    if (why === 'left') app.toast?.(t('workshop.badge.left', { code }));
    if (why === 'ended') app.toast?.(t('workshop.badge.ended', { code }));
  }

  /** A trainer's push newer than the last one followed: open it. True if it did. */
  function takePush(push) {
    if (!joined || !push || !Number.isInteger(push.seq) || push.seq <= (joined.seq || 0)) return false;
    joined.seq = push.seq;
    save(JOINED_KEY, joined);
    note(t('workshop.badge.pushed'));
    window.dispatchEvent(new CustomEvent('qh:lesson-goto', { detail: { lesson: push.lesson, step: push.step } }));
    return true;
  }

  /** After an answer that says the workshop or the trainee is no more. */
  function gone(r) {
    if ([401, 403, 404, 410].includes(r.status)) {
      leave(r.status === 410 || r.status === 404 ? 'ended' : null);
      return true;
    }
    return false;
  }

  async function flush() {
    if (sending) return;
    sending = true;
    try {
      while (joined && queue.length) {
        const me = joined;
        const ev = queue[0];
        const r = await call('PUT', `/api/v1/workshops/${me.code}/participants/${me.id}/progress`, {
          headers: { 'x-participant-key': me.key },
          body: ev,
        });
        if (joined !== me) return;
        if (r.status === 200) {
          queue.shift();
          takePush(r.body?.push);
        } else if (r.status === 400) {
          queue.shift(); // not something the server takes (an odd id): never will
        } else if (gone(r)) {
          return;
        } else {
          // Offline, rate-limited or the server restarting: try again in a moment.
          setTimeout(flush, RETRY_MS);
          return;
        }
      }
    } finally {
      sending = false;
    }
  }

  window.addEventListener('qh:lesson-progress', (e) => {
    const d = e.detail || {};
    if (!joined || typeof d.lesson !== 'string' || typeof d.step !== 'string' || !['enter', 'wrong', 'done', 'shown'].includes(d.event)) return;
    queue.push({ lesson: d.lesson, step: d.step, event: d.event });
    if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE);
    flush();
  });

  async function poll() {
    clearTimeout(pollTimer);
    if (!joined) return;
    const me = joined;
    if (!document.hidden) {
      const r = await call('GET', `/api/v1/workshops/${me.code}/participants/${me.id}`, { headers: { 'x-participant-key': me.key } });
      if (joined !== me) return;
      if (r.status === 200) takePush(r.body.push);
      else if (gone(r)) return;
    }
    pollTimer = setTimeout(poll, PUSH_POLL_MS);
  }
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && joined) poll();
  });

  function startTrainee() {
    renderBadge();
    poll();
  }
  if (joined) startTrainee();

  return { show, hide };
}
