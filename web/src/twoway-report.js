// What the two-way features add to a report, kept small (it loads with every report; the
// dialogs and pages are in feedback.js, loaded on the first press): per plan section "ask
// about this plan" and "follow this plan"; on a draft plan open for consultation "comment on
// the draft" with its closing date; and the published Q&A about the parcel, its commune and
// the report's plans ("câu hỏi thường gặp về quy hoạch này").
import './twoway-report.css';
import { t, getLang, fmtDate } from './i18n.js';
import { esc } from './report.js';

/** Published questions shown under a report. */
const FAQ_MAX = 5;
const enc = encodeURIComponent;

async function getJson(path) {
  try {
    const r = await fetch(path, { headers: { accept: 'application/json' } });
    return r.ok ? await r.json() : null;
  } catch {
    return null;
  }
}

/** A consultation's moment (Unix seconds or an RFC 3339 string) as a date in Vietnam. */
export function dayOf(v) {
  if (v == null || v === '') return '—';
  const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  return new Intl.DateTimeFormat(getLang() === 'vi' ? 'vi-VN' : 'en-GB', { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'Asia/Ho_Chi_Minh' }).format(d);
}

/** The last day comments are taken (a window closing at midnight ends the day before). */
export function lastDay(closes) {
  const s = typeof closes === 'number' ? closes : Date.parse(closes) / 1000;
  return Number.isFinite(s) ? dayOf(s - 1) : dayOf(closes);
}

const listOf = (b) => (Array.isArray(b) ? b : Array.isArray(b?.items) ? b.items : Array.isArray(b?.consultations) ? b.consultations : []);

/** The open consultation on `planId` covering `commune` (or the whole area), or null. */
export async function openConsultation(planId, commune) {
  const list = listOf(await getJson(`/api/v1/consultations?plan=${enc(planId)}&status=open`));
  return (
    list.find((c) => {
      const cs = Array.isArray(c.communes) ? c.communes : String(c.communes || '').split(',').filter(Boolean);
      return (!c.status || c.status === 'open') && (!cs.length || (commune && cs.includes(commune)));
    }) || null
  );
}

export async function decorateReport(app, holder, subject) {
  if (!holder) return;
  const report = app.report;
  const body = holder.closest('#panel-body') || document;
  const plans = report?.plans || [];
  const lang = getLang();

  // Per plan section: ask, follow, and comment while a consultation is open.
  for (const pr of plans) {
    const sec = [...body.querySelectorAll('section.plan')].find((x) => x.dataset.plan === pr.plan.id);
    if (!sec || sec.querySelector('.tw-plan-actions')) continue;
    const row = document.createElement('div');
    row.className = 'actions-row tw-plan-actions';
    row.setAttribute('role', 'group');
    row.setAttribute('aria-label', t('tw.group'));
    row.innerHTML = `<button type="button" class="btn" data-tw="ask-plan">${esc(t('tw.ask.plan'))}</button>
      <button type="button" class="btn" data-tw="follow-plan">${esc(t('tw.follow.plan'))}</button>`;
    sec.appendChild(row);
    const planSubject = { ...subject, plan_id: pr.plan.id, plan_name: pr.plan.name };
    row.querySelector('[data-tw=ask-plan]').addEventListener('click', () => app.feedback().then((f) => f.openSubmit('question', { ...planSubject, kind: 'plan' })));
    row.querySelector('[data-tw=follow-plan]').addEventListener('click', () => app.feedback().then((f) => f.openFollow({ ...planSubject, kind: 'plan' })));
    // Each zone row: ask about that zone of the plan (its code and indicators are what a
    // business asks about).
    for (const tr of sec.querySelectorAll('table.zones tbody tr[data-zone]')) {
      const zoneId = tr.dataset.zone;
      if (!zoneId || tr.querySelector('[data-tw=ask-zone]')) continue;
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'btn tw-ask-zone';
      b.dataset.tw = 'ask-zone';
      b.textContent = t('tw.ask.zoneRow', { zone: zoneId });
      b.addEventListener('click', () => app.feedback().then((f) => f.openSubmit('question', { ...planSubject, kind: 'zone', zone_id: zoneId })));
      tr.querySelector('td')?.appendChild(b);
    }
    if (pr.plan.status === 'draft') {
      openConsultation(pr.plan.id, subject.commune).then((c) => {
        if (!c || !row.isConnected) return;
        const note = document.createElement('p');
        note.className = 'tw-consult-note small';
        note.innerHTML = `${esc(t('tw.consult.open', { date: lastDay(c.closes_at) }))} <a href="#/consultations/${esc(c.id)}">${esc(t('tw.consult.link'))}</a>`;
        const btn = document.createElement('button');
        btn.type = 'button';
        btn.className = 'btn primary';
        btn.dataset.tw = 'comment';
        btn.textContent = t('tw.comment');
        btn.addEventListener('click', () => app.feedback().then((f) => f.openSubmit('comment', { ...planSubject, consultation: c })));
        row.prepend(btn);
        row.before(note);
      });
    }
  }

  // The published Q&A about this parcel, its commune and its plans.
  const queries = [];
  if (subject.kind === 'parcel') queries.push(`parcel=${enc(subject.parcel)}`);
  for (const pr of plans) queries.push(`plan=${enc(pr.plan.id)}`);
  if (subject.commune) queries.push(`commune=${enc(subject.commune)}`);
  if (!queries.length) return;
  const answers = await Promise.all(queries.map((q) => getJson(`/api/v1/qa?${q}&limit=${FAQ_MAX}&lang=${lang}`)));
  if (!holder.isConnected || app.report !== report) return;
  const seen = new Set();
  const items = [];
  for (const a of answers) for (const it of a?.items || []) if (!seen.has(it.id) && items.length < FAQ_MAX) (seen.add(it.id), items.push(it));
  if (!items.length) return;
  const more = plans.length ? `#/qa?plan=${enc(plans[0].plan.id)}` : `#/qa?commune=${enc(subject.commune || '')}`;
  holder.innerHTML = `<section class="tw-faq" aria-labelledby="tw-faq-title">
    <h3 id="tw-faq-title">${esc(t('tw.faq.title'))}</h3>
    ${items
      .map(
        (it, i) => `<details class="tw-faq-item"${i === 0 ? ' open' : ''} data-id="${esc(it.id)}"><summary>${esc(it.question)}</summary>
        <p class="small muted">${esc(it.subject?.label || '')}</p>
        <p><strong>${esc(t('tw.faq.answer'))}:</strong> ${esc(it.answer)}</p>
        <p class="small muted">${esc(t('tw.faq.by', { who: it.answered_by || '—', date: fmtDate(typeof it.answered_at === 'number' ? new Date(it.answered_at * 1000).toISOString() : it.answered_at) }))}</p></details>`,
      )
      .join('')}
    <p><a href="${esc(more)}" id="tw-faq-all">${esc(t('tw.faq.all'))}</a></p></section>`;
}
