// The lessons (#/learn): a list of the server's lessons (GET /api/v1/lessons, generated from
// the data it holds) and a runner that plays one on the real, live map. Each step points at
// the real control (outline, pulse and a "Here" label) and is finished by the trainee's own
// action, which the app reports (qh:parcel-opened, qh:layers-changed, qh:site-reported — see
// main.js) and the server checks (POST …/check); answer steps have a small form. A wrong
// answer gets the server's hint; "Show me" asks the server for the answer and performs it
// with the app's own functions. Progress stays in localStorage (qh.learn.progress), so a
// reload resumes the same step; every step entered, answered wrongly, finished or shown is
// announced as `qh:lesson-progress` (a workshop reports it to the trainer), and
// `qh:lesson-goto` (main.js forwards it to goto) opens a lesson at a step.
import './learn.css';
import { t, getLang, onLangChange, fmtNum } from './i18n.js';
import { esc } from './report.js';
import { PROVINCES } from './provinces.js';

const STORE_KEY = 'qh.learn.progress';
const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
/** Steps finished by an action in the app, and the app event that reports it. */
const ACTION_EVENTS = { open_parcel: 'qh:parcel-opened', toggle_layer: 'qh:layers-changed', site: 'qh:site-reported' };
const ANSWER_KINDS = new Set(['choose', 'text', 'number', 'practice_import']);
const PRACTICE_MAX_BYTES = 2 * 1024 * 1024;
/** Where a control lives that is not on screen yet: the button that opens its panel. */
const OPENERS = [
  [/data-groups|data-plan|data-viewmode|#plan-|#lyr-|#legend|#base-|#op-|#btn-qgis|name="?base/, '#btn-layers'],
  [/#tool-|#cert-|#upload-|#measure/, '#btn-tools'],
];
const KIND_OPENERS = { toggle_layer: '#btn-layers', site: '#btn-tools', open_parcel: '#search-input' };

// ---------------------------------------------------------------- progress (localStorage)
function loadProgress() {
  try {
    const p = JSON.parse(localStorage.getItem(STORE_KEY) || 'null');
    if (p && typeof p === 'object' && p.lessons && typeof p.lessons === 'object') return p;
  } catch {
    /* unreadable: start afresh */
  }
  return { v: 1, at: null, lessons: {} };
}
function saveProgress(p) {
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(p));
  } catch {
    /* private mode or full: progress lasts for this page only */
  }
}

/** A number as typed in Vietnamese or English: "36,2", "1.234,5", "36.2", "1 234". */
export function parseNumber(s) {
  let v = String(s ?? '').trim().replace(/[\s\u00a0\u202f]/g, '');
  if (!v) return NaN;
  if (v.includes(',') && v.includes('.')) v = v.lastIndexOf(',') > v.lastIndexOf('.') ? v.replace(/\./g, '').replace(',', '.') : v.replace(/,/g, '');
  else if (v.includes(',')) v = /^-?\d{1,3}(,\d{3})+$/.test(v) && getLang() === 'en' ? v.replace(/,/g, '') : v.replace(',', '.');
  return /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
}

/**
 * A step's text (the server renders Markdown and escapes raw HTML; this is a second fence):
 * no scripts, styles, forms, ids or event attributes; links only to http(s), the site or a
 * fragment, and other sites' links open in a new tab.
 */
function safeFragment(html) {
  const tpl = document.createElement('template');
  tpl.innerHTML = String(html || '');
  tpl.content.querySelectorAll('script,style,iframe,object,embed,form,input,button,textarea,select,link,meta,base,frame,frameset,svg,math').forEach((n) => n.remove());
  tpl.content.querySelectorAll('*').forEach((el) => {
    for (const a of [...el.attributes]) {
      const n = a.name.toLowerCase();
      const url = ['href', 'src', 'action', 'formaction', 'xlink:href', 'srcset'].includes(n);
      if (n.startsWith('on') || n === 'style' || n === 'id' || n === 'name' || (url && !/^(https?:|\/(?!\/)|#(?!\/)|mailto:)/i.test(a.value.trim()))) el.removeAttribute(a.name);
    }
    if (el.tagName === 'A' && el.hasAttribute('href') && !el.getAttribute('href').startsWith('#')) {
      el.target = '_blank';
      el.rel = 'noopener';
    }
  });
  return tpl.content;
}

function safeQuery(sel) {
  if (!sel || typeof sel !== 'string' || sel.length > 300) return null;
  try {
    return document.querySelector(sel);
  } catch {
    return null; // a selector the browser cannot read (a lesson file's typo)
  }
}
const shown = (el) => !!el && el.isConnected && el.getClientRects().length > 0 && !el.closest('[hidden]');
const progressEvent = (lesson, step, event) => window.dispatchEvent(new CustomEvent('qh:lesson-progress', { detail: { lesson, step, event } }));

export function initLearn(app) {
  const main = document.getElementById('main');
  const root = document.createElement('section');
  root.id = 'learn';
  root.className = 'learn';
  root.hidden = true;
  root.setAttribute('aria-labelledby', 'learn-heading');
  main.appendChild(root);
  const pointer = document.createElement('div');
  pointer.className = 'learn-pointer';
  pointer.setAttribute('aria-hidden', 'true');
  pointer.hidden = true;
  document.body.appendChild(pointer);

  const docs = new Map(); // lang → Promise of the lessons document
  let progress = loadProgress();
  let view = null; // { mode: 'list' } | { mode: 'step', lesson, i } | { mode: 'done', lesson }
  let run = null; // the step being played: { lesson, step, i, status, checking, token }
  let token = 0;
  let userExpanded = false;
  let collapsed = false;

  // ---------------------------------------------------------------- data
  function fetchDoc(lang = getLang()) {
    if (!docs.has(lang)) {
      const p = fetch(`/api/v1/lessons?lang=${lang}`, { headers: { accept: 'application/json' } }).then(async (r) => {
        const body = await r.json().catch(() => null);
        if (!r.ok || !body || !Array.isArray(body.lessons)) throw new Error((body && (body.detail || body.title)) || `HTTP ${r.status}`);
        return body;
      });
      p.catch(() => docs.delete(lang)); // a failure is retried next time
      docs.set(lang, p);
    }
    return docs.get(lang);
  }
  async function post(lesson, step, what, body) {
    const r = await fetch(`/api/v1/lessons/${encodeURIComponent(lesson)}/steps/${encodeURIComponent(step)}/${what}?lang=${getLang()}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
    const out = await r.json().catch(() => null);
    if (!r.ok || !out) throw new Error((out && (out.detail || out.title)) || `HTTP ${r.status}`);
    return out;
  }
  const lessonState = (id) => (progress.lessons[id] ||= { steps: {} });
  const stepState = (lesson, step) => lessonState(lesson).steps[step] || null;
  const finishedCount = (l) => l.steps.filter((s) => stepState(l.id, s.id)?.s).length;
  const available = (l) => l.available !== false;

  // ---------------------------------------------------------------- routing
  function setHash(h) {
    if (location.hash !== h) history.replaceState(null, '', `${location.pathname}${location.search}${h}`);
    app.lastMapHash = h; // the help page's "back" returns to the lesson
  }
  async function show(state) {
    root.hidden = false;
    document.body.classList.add('learning');
    if (state.lesson) await openLesson(state.lesson, state.step);
    else await renderList();
  }
  function hide() {
    stopStep();
    view = null;
    root.hidden = true;
    root.innerHTML = '';
    document.body.classList.remove('learning');
    app.writeHash?.();
  }
  function goto(detail) {
    const lesson = detail?.lesson;
    const step = detail?.step;
    if (typeof lesson !== 'string' || !ID_RE.test(lesson) || (step != null && (typeof step !== 'string' || !ID_RE.test(step)))) return;
    const h = `#/learn/${lesson}${step ? `/${step}` : ''}`;
    if (location.hash === h && app.page === 'learn') openLesson(lesson, step);
    else location.hash = h; // main.js routes it (applyPage → show)
  }
  function exit() {
    location.hash = ''; // main.js: applyPage → hide
  }

  // ---------------------------------------------------------------- the list
  function loadingHtml() {
    return `<p class="learn-loading" role="status"><span class="spinner" aria-hidden="true"></span> ${esc(t('learn.loading'))}</p>`;
  }
  function errorHtml(e) {
    return `<p class="error" role="alert">${esc(t('learn.error', { msg: e.message || e }))}</p><p><button type="button" class="btn" id="learn-retry">${esc(t('learn.retry'))}</button></p>`;
  }
  function frame(inner, { list = true } = {}) {
    root.dataset.mode = list ? 'list' : 'step';
    root.innerHTML = `<div class="learn-card ${list ? 'learn-list-card' : 'learn-run'}">${inner}</div>`;
    // The region is named by the heading it shows: the list's or the step's.
    root.setAttribute('aria-labelledby', root.querySelector('#learn-step-title') ? 'learn-step-title' : 'learn-heading');
    root.querySelector('#learn-exit')?.addEventListener('click', exit);
    root.querySelector('#learn-retry')?.addEventListener('click', () => show({ lesson: view?.lesson?.id || view?.lessonId || null, step: run?.step?.id || null }));
  }
  function listHead() {
    return `<div class="learn-head"><h2 id="learn-heading" tabindex="-1">${esc(t('learn.title'))}</h2>
      <button type="button" class="icon-btn" id="learn-exit" aria-label="${esc(t('learn.exit'))}" title="${esc(t('learn.exit'))}">✕</button></div>`;
  }
  async function renderList(note = '') {
    stopStep();
    view = { mode: 'list' };
    setHash('#/learn');
    frame(`${listHead()}${loadingHtml()}`);
    let doc;
    try {
      doc = await fetchDoc();
    } catch (e) {
      if (view?.mode !== 'list') return;
      frame(`${listHead()}${errorHtml(e)}`);
      return;
    }
    if (view?.mode !== 'list') return;
    const at = progress.at && doc.lessons.find((l) => l.id === progress.at.lesson && available(l));
    const items = doc.lessons
      .map((l) => {
        const n = l.steps.length;
        const done = finishedCount(l);
        const pct = n ? Math.round((100 * done) / n) : 0;
        const state = done && done === n ? `✓ ${t('learn.progress.complete')}` : done ? t('learn.progress.count', { done, n }) : t('learn.progress.none', { n });
        const off = !available(l);
        return `<li class="learn-item${off ? ' off' : ''}${done === n && n ? ' complete' : ''}">
          <a data-lesson="${esc(l.id)}" href="#/learn/${esc(l.id)}" class="learn-link">${esc(l.title)}</a>
          <p class="learn-meta small">${esc(t('learn.minutes', { n: l.minutes ?? '—' }))} · <span class="learn-count">${esc(state)}</span></p>
          <div class="bar" aria-hidden="true"><span style="width:${pct}%"></span></div>
          <p class="small">${esc(l.summary || '')}</p>
          ${off ? `<p class="small learn-off">⚠ ${esc(t('learn.unavailable', { reason: l.reason || '—' }))}</p>` : ''}
          ${l.handout ? `<p class="small"><a href="${esc(l.handout)}${l.handout.includes('?') ? '&' : '?'}lang=${getLang()}" target="_blank" rel="noopener" aria-label="${esc(t('learn.handout.label', { title: l.title }))}">${esc(t('learn.handout'))}</a></p>` : ''}
        </li>`;
      })
      .join('');
    frame(`${listHead()}
      ${note ? `<p class="learn-note" role="status">${esc(note)}</p>` : ''}
      <p class="small">${esc(t('learn.intro'))}</p>
      ${at ? `<p><a class="btn primary" id="learn-continue" href="#/learn/${esc(at.id)}${progress.at.step ? `/${esc(progress.at.step)}` : ''}">${esc(t('learn.continue', { title: at.title }))}</a></p>` : ''}
      <ol id="learn-list" class="learn-list">${items}</ol>
      <div class="learn-trainer"><p class="small"><a href="#/workshop" id="learn-workshop">${esc(t('learn.workshop'))}</a> — ${esc(t('learn.workshop.hint'))}</p></div>`);
    root.querySelector('#learn-heading').focus({ preventScroll: true });
  }

  // ---------------------------------------------------------------- a lesson
  async function openLesson(id, stepId) {
    stopStep();
    view = { mode: 'loading', lessonId: id };
    frame(`${listHead()}${loadingHtml()}`, { list: false });
    let doc;
    try {
      doc = await fetchDoc();
    } catch (e) {
      frame(`${listHead()}${errorHtml(e)}`);
      return;
    }
    if (view?.lessonId !== id) return;
    const lesson = doc.lessons.find((l) => l.id === id);
    if (!lesson || !lesson.steps?.length) return renderList(t('learn.notfound', { id }));
    if (!available(lesson)) return renderList(`${lesson.title}: ${t('learn.unavailable', { reason: lesson.reason || '—' })}`);
    let i = stepId ? lesson.steps.findIndex((s) => s.id === stepId) : -1;
    let note = '';
    if (stepId && i < 0) note = t('learn.step.notfound', { id: stepId });
    if (i < 0 && progress.at?.lesson === id) i = lesson.steps.findIndex((s) => s.id === progress.at.step);
    if (i < 0) i = Math.max(0, lesson.steps.findIndex((s) => !stepState(id, s.id)?.s));
    enterStep(lesson, i, { note });
  }

  function enterStep(lesson, i, { note = '', announce = true } = {}) {
    stopStep();
    const step = lesson.steps[i];
    const saved = stepState(lesson.id, step.id);
    run = { lesson, step, i, status: saved?.s || 'active', checking: false, token: ++token, pending: null };
    view = { mode: 'step', lesson, i };
    userExpanded = false;
    collapsed = false;
    progress.at = { lesson: lesson.id, step: step.id };
    saveProgress(progress);
    setHash(`#/learn/${lesson.id}/${step.id}`);
    renderStep(note);
    if (announce) progressEvent(lesson.id, step.id, 'enter');
    if (run.status === 'active') {
      armAction();
      if (announce) flyToTarget(step);
    }
    root.querySelector('#learn-step-title')?.focus({ preventScroll: true });
  }

  function renderStep(note = '') {
    const { lesson, step, i } = run;
    const n = lesson.steps.length;
    const kind = step.kind;
    const finished = run.status !== 'active';
    const last = i === n - 1;
    let form = '';
    if (kind === 'choose') {
      form = `<fieldset class="learn-options"><legend>${esc(t('learn.answer.option'))}</legend>
        ${(step.options || []).map((o, k) => `<label class="learn-option"><input type="radio" name="learn-option" value="${esc(o.id)}" id="learn-opt-${k}" /> <span>${esc(o.label)}</span></label>`).join('')}</fieldset>`;
    } else if (kind === 'text' || kind === 'practice_import') {
      form = `${kind === 'practice_import' ? practiceHtml() : ''}<label for="learn-text" class="learn-label">${esc(t('learn.answer.text'))}</label>
        <input id="learn-text" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" />`;
    } else if (kind === 'number') {
      form = `<label for="learn-number" class="learn-label">${esc(step.unit ? t('learn.answer.number.unit', { unit: step.unit }) : t('learn.answer.number'))}</label>
        <input id="learn-number" type="text" inputmode="decimal" autocomplete="off" />`;
    }
    const answer = ANSWER_KINDS.has(kind);
    const action = !!ACTION_EVENTS[kind];
    const saved = stepState(lesson.id, step.id);
    const expl = saved?.x?.[getLang()] ?? '';
    frame(`<div class="learn-head">
        <p class="learn-where small"><a href="#/learn" id="learn-to-list">${esc(t('learn.list'))}</a> · <span class="learn-lesson-title">${esc(lesson.title)}</span></p>
        <button type="button" class="icon-btn" id="learn-min" aria-expanded="true" aria-controls="learn-body" aria-label="${esc(t('learn.collapse'))}" title="${esc(t('learn.collapse'))}">▾</button>
        <button type="button" class="icon-btn" id="learn-exit" aria-label="${esc(t('learn.exit'))}" title="${esc(t('learn.exit'))}">✕</button>
      </div>
      <p id="learn-progress" class="learn-progress">${esc(t('learn.step', { i: i + 1, n }))}</p>
      <h2 id="learn-step-title" tabindex="-1">${esc(step.title)}</h2>
      <div id="learn-body" class="learn-body">
        ${note ? `<p class="learn-note" role="status">${esc(note)}</p>` : ''}
        <div class="learn-text"></div>
        ${action ? `<p class="learn-wait small" id="learn-wait"${finished ? ' hidden' : ''}><span class="learn-dot" aria-hidden="true"></span>${esc(t(`learn.action.${kind}`))} ${esc(t('learn.action.wait'))}</p>` : ''}
        ${answer ? `<form id="learn-form" class="learn-form" novalidate>${form}
          <div class="learn-buttons"><button type="submit" class="btn primary" id="learn-check"${finished ? ' disabled' : ''}>${esc(t('learn.check'))}</button></div></form>` : ''}
        <p id="learn-hint" class="learn-hint" aria-live="polite"></p>
        <div id="learn-done" class="learn-done" role="status"${finished ? '' : ' hidden'}>${finished ? doneHtml(run.status, expl) : ''}</div>
        <div class="learn-buttons learn-nav">
          ${i > 0 ? `<button type="button" class="btn" id="learn-prev">← ${esc(t('learn.prev'))}</button>` : ''}
          ${kind !== 'read' ? `<button type="button" class="btn" id="learn-show"${finished ? ' hidden' : ''}>${esc(t('learn.show'))}</button>` : ''}
          <button type="button" class="btn primary" id="learn-next"${finished || kind === 'read' ? '' : ' hidden'}>${esc(t(last ? 'learn.finish' : 'learn.next'))}${last ? '' : ' →'}</button>
        </div>
      </div>`, { list: false });
    root.dataset.kind = kind;
    const text = root.querySelector('.learn-text');
    text.appendChild(safeFragment(step.html));
    addCopyButtons(text);
    const on = (id, ev, fn) => root.querySelector(`#${id}`)?.addEventListener(ev, fn);
    on('learn-min', 'click', () => {
      userExpanded = collapsed;
      setCollapsed(!collapsed);
    });
    on('learn-prev', 'click', () => enterStep(run.lesson, run.i - 1));
    on('learn-next', 'click', next);
    on('learn-show', 'click', showMe);
    on('learn-form', 'submit', (e) => {
      e.preventDefault();
      checkAnswer();
    });
    if (kind === 'practice_import') wirePractice();
    if (finished && saved?.a !== undefined) fillAnswer(kind, saved.a);
    if (finished) disableForm();
    if (finished && !expl && kind !== 'read') fetchExplanation();
    highlight();
  }

  function doneHtml(status, explanation) {
    const head = status === 'shown' ? t('learn.shown') : run.step.kind === 'read' ? t('learn.read.done') : t('learn.right');
    return `<p><strong>${status === 'shown' ? '👁' : '✓'} ${esc(head)}</strong>${explanation ? ` ${esc(explanation)}` : ''}</p>`;
  }

  /** The explanation of a step finished earlier, in the language shown now. */
  async function fetchExplanation() {
    const my = run;
    try {
      const r = await post(my.lesson.id, my.step.id, 'show', {});
      if (run !== my || !r.explanation) return;
      const st = stepState(my.lesson.id, my.step.id);
      if (st) {
        st.x = { ...(st.x || {}), [getLang()]: r.explanation };
        saveProgress(progress);
      }
      const d = root.querySelector('#learn-done');
      if (d) d.innerHTML = doneHtml(my.status, r.explanation);
    } catch {
      /* the step stays finished without its explanation */
    }
  }

  function addCopyButtons(el) {
    if (!navigator.clipboard) return;
    el.querySelectorAll('pre').forEach((pre) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'btn learn-copy';
      b.textContent = t('learn.copy');
      b.addEventListener('click', async () => {
        try {
          await navigator.clipboard.writeText(pre.textContent.trim());
          b.textContent = `✓ ${t('learn.copied')}`;
          setTimeout(() => (b.textContent = t('learn.copy')), 2000);
        } catch {
          /* no clipboard permission: the command can still be selected */
        }
      });
      pre.after(b);
    });
  }

  function setCollapsed(on) {
    collapsed = on;
    const b = root.querySelector('#learn-min');
    const body = root.querySelector('#learn-body');
    if (!b || !body) return;
    body.hidden = on;
    root.classList.toggle('collapsed', on);
    b.setAttribute('aria-expanded', String(!on));
    b.textContent = on ? '▸' : '▾';
    const label = t(on ? 'learn.expand' : 'learn.collapse');
    b.setAttribute('aria-label', label);
    b.title = label;
  }

  // ---------------------------------------------------------------- finishing a step
  function finish(status, explanation, answer) {
    const { lesson, step } = run;
    run.status = status;
    const st = lessonState(lesson.id);
    const rec = { s: status, x: explanation ? { [getLang()]: explanation } : {} };
    // The accepted answer (small ones: a geometry is not worth the storage) refills the form on a reload.
    if (answer !== undefined && JSON.stringify(answer).length < 400) rec.a = answer;
    st.steps[step.id] = rec;
    saveProgress(progress);
    disarmAction();
    clearHighlight();
    root.querySelector('#learn-wait')?.setAttribute('hidden', '');
    root.querySelector('#learn-show')?.setAttribute('hidden', '');
    const hint = root.querySelector('#learn-hint');
    if (hint) {
      hint.textContent = '';
      hint.classList.remove('wrong');
    }
    disableForm();
    const d = root.querySelector('#learn-done');
    d.innerHTML = doneHtml(status, explanation);
    d.hidden = false;
    const nextBtn = root.querySelector('#learn-next');
    nextBtn.hidden = false;
    setCollapsed(false);
    progressEvent(lesson.id, step.id, status === 'shown' ? 'shown' : 'done');
    nextBtn.focus({ preventScroll: true });
    place();
  }
  function disableForm() {
    root.querySelectorAll('#learn-form input, #learn-form select, #learn-check, #learn-upload').forEach((el) => (el.disabled = true));
  }

  function next() {
    const { lesson, step, i } = run;
    if (step.kind === 'read' && run.status === 'active') {
      lessonState(lesson.id).steps[step.id] = { s: 'done', x: {} };
      saveProgress(progress);
      progressEvent(lesson.id, step.id, 'done');
    }
    if (i + 1 < lesson.steps.length) enterStep(lesson, i + 1);
    else lessonDone(lesson);
  }

  async function lessonDone(lesson) {
    stopStep();
    progress.at = null;
    saveProgress(progress);
    view = { mode: 'done', lesson };
    setHash(`#/learn/${lesson.id}`);
    const doc = await fetchDoc().catch(() => null);
    const k = doc ? doc.lessons.findIndex((l) => l.id === lesson.id) : -1;
    const nextLesson = k >= 0 ? doc.lessons.slice(k + 1).find(available) : null;
    frame(`${listHead()}
      <p class="learn-done" role="status"><strong>✓ ${esc(t('learn.lesson.done', { title: lesson.title }))}</strong></p>
      <p class="learn-buttons">
        ${nextLesson ? `<a class="btn primary" id="learn-next-lesson" href="#/learn/${esc(nextLesson.id)}">${esc(t('learn.lesson.next', { title: nextLesson.title }))}</a>` : ''}
        <a class="btn" href="#/learn" id="learn-to-list">${esc(t('learn.list'))}</a></p>`);
    root.querySelector('#learn-heading').focus({ preventScroll: true });
  }

  // ---------------------------------------------------------------- answers
  function readAnswer() {
    const kind = run.step.kind;
    if (kind === 'choose') {
      const v = root.querySelector('input[name="learn-option"]:checked')?.value;
      return v ? { option: v } : { empty: true };
    }
    if (kind === 'text') {
      const v = root.querySelector('#learn-text').value.trim();
      return v ? { text: v.slice(0, 200) } : { empty: true };
    }
    if (kind === 'number') {
      const raw = root.querySelector('#learn-number').value;
      if (!raw.trim()) return { empty: true };
      const v = parseNumber(raw);
      return Number.isFinite(v) ? { value: v } : { bad: t('learn.answer.badnumber') };
    }
    if (kind === 'practice_import') {
      const raw = root.querySelector('#learn-text').value.trim();
      if (!raw) return { empty: true };
      const v = parseNumber(raw);
      return { value: Number.isFinite(v) ? v : raw.slice(0, 200) };
    }
    return {};
  }

  function fillAnswer(kind, a) {
    if (!a || typeof a !== 'object') return;
    if (kind === 'choose') {
      const r = [...root.querySelectorAll('input[name="learn-option"]')].find((x) => x.value === String(a.option));
      if (r) r.checked = true;
    } else if (kind === 'text') {
      const el = root.querySelector('#learn-text');
      if (el) el.value = a.text ?? '';
    } else if (kind === 'number') {
      const el = root.querySelector('#learn-number');
      if (el) el.value = typeof a.value === 'number' ? fmtNum(a.value, 6) : String(a.value ?? '');
    } else if (kind === 'practice_import') {
      const el = root.querySelector('#learn-text');
      if (el) el.value = typeof a.value === 'number' ? fmtNum(a.value, 6) : String(a.value ?? '');
    }
  }

  function setHint(text, wrong) {
    const hint = root.querySelector('#learn-hint');
    if (!hint) return;
    hint.classList.toggle('wrong', !!wrong);
    hint.textContent = text;
    if (text) setCollapsed(false);
    place();
  }

  async function checkAnswer() {
    if (run.status !== 'active' || run.checking) return;
    const answer = readAnswer();
    if (answer.empty) return setHint(t('learn.answer.empty'), false);
    if (answer.bad) return setHint(answer.bad, false);
    await submit(answer);
  }

  /** POSTs an answer (typed, or what the app saw) to the server's check. */
  async function submit(answer) {
    const my = run;
    if (my.checking) {
      my.pending = answer; // the latest action is checked when this one returns
      return;
    }
    my.checking = true;
    const btn = root.querySelector('#learn-check');
    if (btn) {
      btn.disabled = true;
      btn.textContent = t('learn.checking');
    }
    root.querySelector('#learn-body')?.setAttribute('aria-busy', 'true');
    try {
      const r = await post(my.lesson.id, my.step.id, 'check', { answer });
      if (run !== my || my.status !== 'active') return;
      if (r.correct) finish('done', r.explanation || '', answer);
      else {
        setHint(`✗ ${t('learn.wrong')} ${r.hint || ''}`.trim(), true);
        progressEvent(my.lesson.id, my.step.id, 'wrong');
      }
    } catch (e) {
      if (run === my) setHint(t('error.generic', { msg: e.message }), false);
    } finally {
      my.checking = false;
      root.querySelector('#learn-body')?.removeAttribute('aria-busy');
      if (run === my && btn) {
        btn.disabled = my.status !== 'active';
        btn.textContent = t('learn.check');
      }
      if (run === my && my.pending && my.status === 'active') {
        const a = my.pending;
        my.pending = null;
        submit(a);
      }
    }
  }

  // ---------------------------------------------------------------- action steps
  let actionOff = null;
  function armAction() {
    const ev = ACTION_EVENTS[run.step.kind];
    if (!ev) return;
    const my = run;
    const handler = (e) => {
      if (run !== my || my.status !== 'active') return;
      const d = e.detail || {};
      if (ev === 'qh:parcel-opened') submit({ commune: d.commune, sheet: d.sheet, parcel: d.parcel, ...(d.n ? { n: d.n } : {}) });
      else if (ev === 'qh:layers-changed') submit({ visible: d.visible || [] });
      else submit({ geometry: d.geometry });
    };
    window.addEventListener(ev, handler);
    actionOff = () => window.removeEventListener(ev, handler);
  }
  function disarmAction() {
    actionOff?.();
    actionOff = null;
  }
  function stopStep() {
    disarmAction();
    clearHighlight();
    clearZone();
    run = null;
  }

  /**
   * Places and zones are where the task happens, not its answer: the map goes there, into
   * the part of the map that the card and the panel leave free, and a zone is outlined
   * ("the map points at a zone…"; the trainee still has to read it).
   */
  let zoneShown = false;
  let lastFlown = null;
  // The card over the map's top on a phone, in pixels from the map's top: the camera frames a
  // selection below it when the sheet moves (map.js, setSheetInset).
  app.mapTopCover = () => {
    const card = root.querySelector('.learn-card');
    if (root.hidden || !card || root.classList.contains('at-bottom')) return 0;
    const c = card.getBoundingClientRect();
    const m = main.getBoundingClientRect();
    return c.width > m.width * 0.7 ? Math.max(0, Math.round(c.bottom - m.top)) : 0;
  };
  function flyToTarget(step) {
    const tg = step.target;
    const mv = app.mapView;
    if (!tg || !mv) return;
    const ok = (v) => typeof v === 'number' && Number.isFinite(v);
    if (!(tg.kind === 'place' || tg.kind === 'zone') || !ok(tg.lon) || !ok(tg.lat)) return;
    // The next step about the same zone: the map is there already (unless the trainee moved it far).
    const inView = mv.map.getBounds().contains([tg.lon, tg.lat]) && Math.abs(mv.map.getZoom() - (ok(tg.zoom) ? tg.zoom : 17)) < 1.5;
    if (lastFlown === `${tg.lon},${tg.lat}` && inView) return showZone(tg);
    lastFlown = `${tg.lon},${tg.lat}`;
    const zoom = ok(tg.zoom) ? Math.max(3, Math.min(20, tg.zoom)) : 17;
    const pad = mv.flyPadding();
    const card = root.querySelector('.learn-card')?.getBoundingClientRect();
    const m = main.getBoundingClientRect();
    const cover = app.mapTopCover();
    if (cover) pad.top = Math.max(pad.top, cover + 10);
    else if (card && card.width && !root.classList.contains('at-bottom')) pad.right = Math.max(pad.right, Math.round(m.right - card.left + 10));
    const reduce = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    mv.map.flyTo({ center: [tg.lon, tg.lat], zoom, padding: pad, duration: reduce ? 0 : 600 });
    showZone(tg);
  }
  function showZone(tg) {
    if (tg.kind === 'zone' && typeof tg.layer === 'string' && tg.fid != null && /^[\w.-]{1,80}$/.test(tg.layer) && /^\d{1,12}$/.test(String(tg.fid))) {
      const my = run;
      fetch(`/ogc/collections/${encodeURIComponent(tg.layer)}/items/${tg.fid}`)
        .then((r) => (r.ok ? r.json() : null))
        .then((f) => {
          if (f && run === my && app.mapView) {
            app.mapView.setData('qh-highlight', f);
            zoneShown = true;
          }
        })
        .catch(() => {});
    }
  }
  function clearZone() {
    if (zoneShown) app.mapView?.setData('qh-highlight', null);
    zoneShown = false;
  }

  // ---------------------------------------------------------------- show me
  async function showMe() {
    const my = run;
    if (my.status !== 'active') return;
    const btn = root.querySelector('#learn-show');
    btn.disabled = true;
    btn.textContent = t('learn.showing');
    let r;
    try {
      r = await post(my.lesson.id, my.step.id, 'show', {});
    } catch (e) {
      if (run === my) {
        btn.disabled = false;
        btn.textContent = t('learn.show');
        setHint(t('error.generic', { msg: e.message }), false);
      }
      return;
    }
    if (run !== my || my.status !== 'active') return;
    // Finished first, so the app's own report of the action below is not checked again.
    const answer = r.answer || {};
    const kind = my.step.kind;
    fillAnswer(kind, answer);
    finish('shown', r.explanation || '', kind === 'site' ? undefined : answer);
    try {
      await perform(kind, answer, my.step);
    } catch (e) {
      app.toast?.(t('error.generic', { msg: e.message }), true);
    }
  }

  /** Does the answer in the app, with the app's own functions (as the trainee would). */
  async function perform(kind, a, step) {
    if (kind === 'open_parcel' && a.commune) {
      await app.openParcel(String(a.commune), Number(a.sheet), Number(a.parcel), a.n ? { n: Number(a.n) } : {});
    } else if (kind === 'toggle_layer' && Array.isArray(a.visible)) {
      const want = new Set(a.visible);
      const layer = step.target?.layer;
      app.openPanel('layers', { focus: false });
      const boxes = [...document.querySelectorAll('#panel-body input[type=checkbox][data-groups]')];
      for (const cb of boxes) {
        const groups = cb.dataset.groups.split(',');
        if (layer && !groups.includes(layer)) continue;
        const on = groups.some((g) => want.has(g));
        if (cb.checked !== on && !cb.disabled) {
          cb.checked = on;
          cb.dispatchEvent(new Event('change', { bubbles: true }));
        }
      }
      if (layer && !boxes.some((cb) => cb.dataset.groups.split(',').includes(layer)) && app.mapView) {
        app.mapView.setGroupVisible(layer, want.has(layer));
      }
      const target = boxes.find((cb) => !layer || cb.dataset.groups.split(',').includes(layer));
      if (target) scrollWithin(target);
    } else if (kind === 'site' && a.geometry) {
      const g = a.geometry;
      const geom = g.type === 'Polygon' ? { type: 'MultiPolygon', coordinates: [g.coordinates] } : g;
      await app.reportSite(geom);
    }
  }

  // ---------------------------------------------------------------- the practice import
  function practiceHtml() {
    const srs = [`<option value="prj">${esc(t('learn.practice.srs.prj'))}</option>`, `<option value="EPSG:4326">${esc(t('learn.practice.srs.wgs84'))}</option>`]
      .concat(PROVINCES.map(([slug, name]) => `<option value="vn2000:${esc(slug)}">${esc(t('learn.practice.srs.vn2000', { province: name }))}</option>`))
      .join('');
    return `<details class="learn-practice" id="learn-practice" open><summary>${esc(t('learn.practice'))}</summary>
      <label for="learn-file" class="learn-label">${esc(t('learn.practice.file'))}</label>
      <input type="file" id="learn-file" accept=".zip,.geojson,.json,.gpkg" />
      <label for="learn-srs" class="learn-label">${esc(t('learn.practice.srs'))}</label>
      <select id="learn-srs">${srs}</select>
      <label for="learn-encoding" class="learn-label">${esc(t('learn.practice.encoding'))}</label>
      <select id="learn-encoding"><option value="auto">${esc(t('learn.practice.encoding.auto'))}</option><option value="tcvn3">TCVN3 (ABC)</option><option value="vni">VNI</option><option value="utf-8">UTF-8 (Unicode)</option><option value="cp1258">Windows-1258</option></select>
      <label for="learn-map" class="learn-label">${esc(t('learn.practice.map'))}</label>
      <input type="text" id="learn-map" autocomplete="off" spellcheck="false" />
      <div class="learn-buttons"><button type="button" class="btn" id="learn-upload">${esc(t('learn.practice.go'))}</button></div>
      <div id="learn-report" class="learn-report" role="status"></div></details>`;
  }
  function wirePractice() {
    root.querySelector('#learn-upload')?.addEventListener('click', async () => {
      const out = root.querySelector('#learn-report');
      const file = root.querySelector('#learn-file').files?.[0];
      if (!file) return (out.textContent = t('learn.practice.nofile'));
      if (file.size > PRACTICE_MAX_BYTES) return (out.textContent = t('learn.practice.toobig'));
      const q = new URLSearchParams({ kind: 'parcels', srs: root.querySelector('#learn-srs').value, encoding: root.querySelector('#learn-encoding').value });
      for (const pair of root.querySelector('#learn-map').value.split(/[\s,;]+/).filter(Boolean).slice(0, 20)) if (/^[\w.-]{1,40}=[^=]{1,60}$/.test(pair)) q.append('map', pair);
      const btn = root.querySelector('#learn-upload');
      btn.disabled = true;
      out.innerHTML = `<span class="spinner" aria-hidden="true"></span> ${esc(t('learn.practice.running'))}`;
      try {
        const r = await fetch(`/api/v1/practice/import?${q}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: file });
        const body = await r.json().catch(() => null);
        if (!r.ok) throw new Error((body && (body.detail || body.title)) || `HTTP ${r.status}`);
        const summary = body?.[`summary_${getLang()}`] || body?.summary?.[getLang()] || (typeof body?.summary === 'string' ? body.summary : '');
        const json = JSON.stringify(body, null, 2);
        out.innerHTML = `<p>${esc(summary || t('learn.practice.done'))}</p>
          <details><summary>${esc(t('learn.practice.report'))}</summary><pre class="learn-json">${esc(json.length > 40000 ? `${json.slice(0, 40000)}\n…` : json)}</pre></details>`;
      } catch (e) {
        out.innerHTML = `<p class="error">${esc(t('learn.practice.failed', { msg: e.message }))}</p>`;
      } finally {
        btn.disabled = run?.status !== 'active';
      }
    });
  }

  // ---------------------------------------------------------------- pointing at the control
  /**
   * Brings a control of the panel into the middle of the panel's own scroll box. Not
   * scrollIntoView: that also scrolls the page's overflow-hidden boxes, and the top bar goes.
   */
  function scrollWithin(el) {
    const box = el.closest('#panel-body');
    if (!box || el === box) return;
    const r = el.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    box.scrollTop += r.top + r.height / 2 - (b.top + b.height / 2);
  }
  let hl = null; // { el, timer, scrolled }
  function highlight() {
    clearHighlight();
    if (!run || run.status !== 'active' || !run.step.control) return;
    // The map is what the step is about: on a phone the sheet steps down to its peek.
    if (run.step.control.trim() === '#map' && app.sheet?.active() && !document.getElementById('panel').hidden) app.sheet.set('peek', { remember: false });
    hl = { el: null, via: false, scrolled: false, timer: setInterval(place, 300) };
    place();
  }
  function clearHighlight() {
    if (hl) {
      clearInterval(hl.timer);
      hl.el?.classList.remove('learn-target');
      hl = null;
    }
    pointer.hidden = true;
    root.classList.remove('at-bottom');
  }
  /** The control, or what opens it (a closed panel's button, a closed <details>'s summary). */
  function resolveControl() {
    const sel = run.step.control;
    let el = safeQuery(sel);
    if (el && !shown(el)) {
      const summary = el.closest('details:not([open])')?.querySelector('summary');
      if (shown(summary)) return { el: summary, via: true };
    }
    if (shown(el)) return { el, via: false };
    const opener = OPENERS.find(([re]) => re.test(sel))?.[1] || KIND_OPENERS[run.step.kind];
    const o = safeQuery(opener);
    return shown(o) ? { el: o, via: true } : { el: null, via: false };
  }
  /**
   * Keeps the outline on the control and the card out of its way: the card sits at the top
   * of the map (phones) or its right side (wide screens), moves to the bottom when the
   * control is under it, and folds to its title when neither end is free.
   */
  function place() {
    if (root.hidden) return;
    // Drawing a site needs the map: the card folds to its title (the trainee can open it).
    if (app.tools?.active() && !collapsed && !userExpanded && run) setCollapsed(true);
    if (!hl || !run) {
      root.classList.remove('at-bottom');
      return;
    }
    const { el, via } = resolveControl();
    if (el !== hl.el) {
      hl.el?.classList.remove('learn-target');
      hl.el = el;
      hl.scrolled = false;
      el?.classList.add('learn-target');
    }
    if (!el) {
      pointer.hidden = true;
      return;
    }
    if (!hl.scrolled) {
      hl.scrolled = true;
      scrollWithin(el);
    }
    const r = el.getBoundingClientRect();
    const m = main.getBoundingClientRect();
    const isMap = el.id === 'map';
    // The card: top, else bottom, else folded.
    const card = root.querySelector('.learn-card');
    if (card && !isMap) {
      root.classList.remove('at-bottom');
      const overlaps = () => {
        const c = card.getBoundingClientRect();
        return c.left < r.right && c.right > r.left && c.top < r.bottom && c.bottom > r.top;
      };
      if (overlaps()) {
        root.classList.add('at-bottom');
        if (overlaps()) {
          root.classList.remove('at-bottom');
          if (!collapsed && !userExpanded) setCollapsed(true);
        }
      }
    }
    if (isMap) {
      pointer.hidden = true;
      return;
    }
    pointer.textContent = `▲ ${t(via ? 'learn.here.first' : 'learn.here')}`;
    pointer.hidden = false;
    const pw = pointer.offsetWidth;
    const ph = pointer.offsetHeight;
    const below = r.bottom + ph + 6 < Math.max(m.bottom, window.innerHeight);
    pointer.classList.toggle('up', !below);
    if (!below) pointer.textContent = `▼ ${t(via ? 'learn.here.first' : 'learn.here')}`;
    const left = Math.max(4, Math.min(window.innerWidth - pw - 4, r.left + r.width / 2 - pw / 2));
    pointer.style.left = `${Math.round(left)}px`;
    pointer.style.top = `${Math.round(below ? r.bottom + 4 : r.top - ph - 4)}px`;
  }
  window.addEventListener('resize', () => place());

  // ---------------------------------------------------------------- language
  onLangChange(() => {
    if (root.hidden || !view) return;
    if (view.mode === 'list') renderList();
    else if (view.mode === 'step' && run) {
      const { lesson, step } = run;
      openLessonAt(lesson.id, step.id);
    } else if (view.mode === 'done') lessonDone(view.lesson);
  });
  /** The same step again, in the language just chosen (no new 'enter' event). */
  async function openLessonAt(id, stepId) {
    const status = run?.status;
    let doc;
    try {
      doc = await fetchDoc();
    } catch (e) {
      frame(`${listHead()}${errorHtml(e)}`);
      return;
    }
    const lesson = doc.lessons.find((l) => l.id === id);
    const i = lesson ? lesson.steps.findIndex((s) => s.id === stepId) : -1;
    if (i < 0) return openLesson(id, stepId);
    enterStep(lesson, i, { announce: false });
    if (status && run) run.status = stepState(id, stepId)?.s || status;
  }

  return { show, hide, goto };
}
