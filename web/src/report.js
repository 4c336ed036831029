// The planning report as a citizen reads it: the answer to "is my land affected?" first,
// then current vs planned use, what the indicators allow, red lines, and which plan and
// decision say so. Also the report's plain-text (read aloud) and CSV forms.
import { t, getLang, fmtArea, fmtNum, fmtPct, fmtDate } from './i18n.js';

export const esc = (s) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const en = () => getLang() === 'en';
const luName = (o) => (en() ? o.landuse_name_en || o.name_en : o.landuse_name_vi || o.name_vi) || '';
const swatch = (color) => `<span class="swatch" style="background:${esc(color || '#ddd')}" aria-hidden="true"></span>`;

export function statusBadge(status) {
  return `<span class="badge ${esc(status)}">${esc(t(`status.${status}`))}</span>`;
}

export function decisionText(plan) {
  const d = plan.decision || {};
  return t('report.decision', { number: d.number || '—', date: fmtDate(d.date), authority: d.authority || '—' });
}

export function siteTitle(report, ctx = {}) {
  const s = report.site || {};
  if (ctx.multi) return t('report.multi', { n: ctx.multi });
  if (s.kind === 'parcel') return t('report.parcel', { parcel: s.parcel, sheet: s.sheet });
  return t('report.drawn');
}

function indicators(z) {
  const items = [];
  if (z.density_pct != null) items.push(t('report.density', { v: fmtNum(z.density_pct, 1) }));
  if (z.floors_min != null || z.floors_max != null) {
    const v = z.floors_min != null && z.floors_max != null && z.floors_min !== z.floors_max ? `${z.floors_min}–${z.floors_max}` : `${z.floors_max ?? z.floors_min}`;
    items.push(t('report.floors', { v }));
  }
  if (z.far != null) items.push(t('report.far', { v: fmtNum(z.far, 2) }));
  if (z.height_m != null) items.push(t('report.height', { v: fmtNum(z.height_m, 1) }));
  if (z.max_footprint_m2 != null) items.push(t('report.footprint', { v: fmtArea(z.max_footprint_m2) }));
  if (z.max_floor_area_m2 != null) items.push(t('report.floorarea', { v: fmtArea(z.max_floor_area_m2) }));
  return items;
}

function redlineText(r) {
  const road = r.road_name || t('report.road.unnamed');
  const w = r.width_m != null ? fmtNum(r.width_m, 1) : '—';
  if (r.crosses_site) return t('report.redline.cross', { road, w, a: fmtArea(r.area_in_road_m2), pct: fmtPct(r.area_in_road_pct) });
  return t('report.redline.near', { road, w, d: fmtNum(r.distance_m, 1) });
}

/** `current`: the site's current land-use codes when the server knows them for the whole site, or those of the selected parcels. */
function planHtml(pr, current, serverKnows) {
  const hasCurrent = current.size > 0;
  const same = (z) => (serverKnows ? z.same_as_current : current.has(z.landuse));
  const p = pr.plan;
  const draft = p.status === 'draft';
  const rows = pr.zones
    .map((z) => {
      const ind = indicators(z);
      return `<tr>
        <td>${swatch(z.color)}<strong>${esc(z.landuse)}</strong> ${esc(luName(z))}
          ${z.name || z.zone_id ? `<div class="muted small">${esc(t('report.zone'))} ${esc(z.name || z.zone_id)}</div>` : ''}
          ${hasCurrent ? `<div class="small ${same(z) ? 'same' : 'changed'}">${esc(t(same(z) ? 'report.same' : 'report.changed'))}</div>` : ''}
          ${ind.length ? `<ul class="indicators">${ind.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>` : ''}
        </td>
        <td class="num">${esc(fmtPct(z.overlap_pct))}<div class="bar" aria-hidden="true"><span style="width:${Math.min(100, z.overlap_pct).toFixed(1)}%"></span></div></td>
        <td class="num">${esc(fmtArea(z.overlap_m2))}</td>
      </tr>`;
    })
    .join('');
  const red = pr.redlines
    .map((r) => `<p class="redline small">${esc(redlineText(r))} <span class="muted">(${esc(t(`report.redline.method.${r.method}`))})</span></p>`)
    .join('');
  return `<section class="plan ${draft ? 'draft' : ''}" data-plan="${esc(p.id)}">
    <h4>${esc(p.name)} ${statusBadge(p.status)}</h4>
    ${draft ? `<p class="small"><strong>${esc(t('report.draft'))}</strong>${pr.status_note ? ` — ${esc(pr.status_note)}` : ''}</p>` : ''}
    <p class="muted small">${esc(t(`level.${p.level}`))} · ${esc(decisionText(p))}</p>
    ${pr.coverage_pct < 99.95 ? `<p class="small">${esc(t('report.coverage', { pct: fmtPct(pr.coverage_pct) }))}</p>` : ''}
    ${rows ? `<table class="zones"><thead><tr><th>${esc(t('report.landuse'))}</th><th class="num">${esc(t('report.share'))}</th><th class="num">${esc(t('report.overlap'))}</th></tr></thead><tbody>${rows}</tbody></table>` : ''}
    ${red ? `<h4>${esc(t('report.redlines'))}</h4>${red}` : ''}
  </section>`;
}

/** The report as HTML (panel and print sheet). */
export function reportHtml(report, ctx = {}) {
  const s = report.site || {};
  const summary = en() ? report.summary_en : report.summary_vi;
  const serverKnows = (s.current_landuse || []).length > 0;
  const currentUses = serverKnows ? s.current_landuse : ctx.current || [];
  const currentCodes = new Set(currentUses.map((c) => c.code));
  const current = currentUses.map((c) => `<li>${swatch(c.color)}<strong>${esc(c.code)}</strong> ${esc(luName(c))}</li>`).join('');
  const area = s.area_m2 != null ? fmtArea(s.area_m2) : '—';
  const declared = s.declared_area_m2 != null && Math.abs(s.declared_area_m2 - s.area_m2) > 0.05 ? ` <span class="muted small">(${esc(t('report.area.declared', { a: fmtArea(s.declared_area_m2) }))})</span>` : '';
  return `
    <div class="answer ${report.affected ? 'yes' : 'no'}" id="report-answer">
      <span class="sr-only">${esc(t('report.question'))}</span>
      <span class="verdict">${esc(t(report.affected ? 'report.affected.yes' : 'report.affected.no'))}</span>
      <span>${esc(summary)}</span>
    </div>
    <div class="r-site">
    <h3>${esc(siteTitle(report, ctx))}</h3>
    <dl class="kv">
      ${s.commune_name ? `<dt>${esc(t('report.commune'))}</dt><dd>${esc(s.commune_name)} (${esc(s.commune_code)})</dd>` : ''}
      ${s.address ? `<dt>${esc(t('report.address'))}</dt><dd>${esc(s.address)}</dd>` : ''}
      <dt>${esc(t('report.area'))}</dt><dd>${esc(area)}${declared}</dd>
    </dl></div>
    <div class="r-current">
    <h3>${esc(t('report.current'))}</h3>
    ${current ? `<ul class="legend">${current}</ul>` : `<p class="muted">${esc(t('report.none.current'))}</p>`}
    </div>
    <h3 class="r-planned">${esc(t('report.planned'))}</h3>
    <div class="plans">${report.plans.length ? report.plans.map((pr) => planHtml(pr, currentCodes, serverKnows)).join('') : `<p>${esc(t('report.noplans'))}</p>`}</div>
    <div class="disclaimer">
      <p>${esc(t('report.datadate', { date: fmtDate(report.data_date) }))} · ${esc(t('report.generated', { date: new Date().toLocaleString(en() ? 'en-GB' : 'vi-VN') }))}</p>
      <p>${esc(en() ? report.disclaimer_en : report.disclaimer_vi)}</p>
    </div>`;
}

/** What the read-aloud button says: the answer, the site, then each plan in full sentences. */
export function reportSpeech(report, ctx = {}) {
  const s = report.site || {};
  const site = [siteTitle(report, ctx), s.commune_name, s.area_m2 != null ? `${lowerFirst(t('report.area'))} ${fmtArea(s.area_m2)}` : null];
  const parts = [en() ? report.summary_en : report.summary_vi, `${site.filter(Boolean).join(', ')}.`];
  for (const pr of report.plans) {
    parts.push(planSpeech(pr.plan));
    for (const z of pr.zones) parts.push(t('speech.zone', { name: luName(z), pct: fmtPct(z.overlap_pct) }));
    for (const r of pr.redlines) parts.push(redlineText(r));
  }
  parts.push(en() ? report.disclaimer_en : report.disclaimer_vi);
  return spokenUnits(parts.join(' '));
}

const lowerFirst = (s) => s.charAt(0).toLocaleLowerCase(getLang()) + s.slice(1);

/** A plan, its status and the decision approving it; a draft has none, and is said to have no legal force. */
function planSpeech(p) {
  const status = lowerFirst(t(`status.${p.status}`));
  if (p.status === 'draft') return `${p.name}, ${status}. ${t('speech.draft')}`;
  if (!p.decision?.number) return `${p.name}, ${status}.`;
  return t('speech.plan', { name: p.name, status, decision: decisionText(p) });
}

/** Units as words: voices spell out "m²", and read "m" and "ha" as syllables. */
function spokenUnits(text) {
  const [m2, m, ha] = en() ? ['square metres', 'metres', 'hectares'] : ['mét vuông', 'mét', 'héc-ta'];
  return text
    .replace(/\s?m²/g, ` ${m2}`)
    .replace(/(\d) ha(?!\p{L})/gu, `$1 ${ha}`)
    .replace(/(\d) m(?!\p{L})/gu, `$1 ${m}`);
}

/** One CSV row per plan zone and per red line: a spreadsheet a business can file. */
export function reportCsv(report) {
  const head = ['site', 'area_m2', 'plan_id', 'plan_name', 'plan_level', 'plan_status', 'decision_number', 'decision_date', 'decision_authority', 'row_kind', 'zone_id', 'zone_name', 'landuse', 'landuse_name_vi', 'landuse_name_en', 'same_as_current', 'overlap_m2', 'overlap_pct', 'density_pct', 'floors_min', 'floors_max', 'far', 'height_m', 'max_footprint_m2', 'max_floor_area_m2', 'road_name', 'width_m', 'crosses_site', 'distance_m', 'area_in_road_m2', 'area_in_road_pct', 'method', 'data_date'];
  const s = report.site || {};
  const site = s.kind === 'parcel' ? `${s.commune_code}/${s.sheet}/${s.parcel}` : 'site';
  const rows = [];
  for (const pr of report.plans) {
    const p = pr.plan;
    const base = [site, s.area_m2, p.id, p.name, p.level, p.status, p.decision?.number, p.decision?.date, p.decision?.authority];
    for (const z of pr.zones) rows.push([...base, 'zone', z.zone_id, z.name, z.landuse, z.landuse_name_vi, z.landuse_name_en, z.same_as_current, z.overlap_m2, z.overlap_pct, z.density_pct, z.floors_min, z.floors_max, z.far, z.height_m, z.max_footprint_m2, z.max_floor_area_m2, '', '', '', '', '', '', '', report.data_date]);
    for (const r of pr.redlines) rows.push([...base, 'redline', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', r.road_name, r.width_m, r.crosses_site, r.distance_m, r.area_in_road_m2, r.area_in_road_pct, r.method, report.data_date]);
  }
  const cell = (v) => {
    if (v === null || v === undefined) return '';
    const str = typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : String(v);
    return /[",\n]/.test(str) ? `"${str.replace(/"/g, '""')}"` : str;
  };
  // A BOM so spreadsheet programs read the Vietnamese text as UTF-8.
  return '\ufeff' + [head, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

export function download(filename, text, type) {
  const blob = new Blob([text], { type });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(a.href);
    a.remove();
  }, 1000);
}
