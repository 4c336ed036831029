// The planning report as a citizen reads it: the answer to "is my land affected?" first,
// then current vs planned use, what the indicators allow, red lines, and which plan and
// decision say so. Also the report's plain-text (read aloud) and CSV forms.
import { t, getLang, fmtArea, fmtNum, fmtPct, fmtDate } from './i18n.js';

export const esc = (s) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const en = () => getLang() === 'en';
const luName = (o) => (en() ? o.landuse_name_en || o.name_en : o.landuse_name_vi || o.name_vi) || '';
const swatch = (color) => `<span class="swatch" style="background:${esc(color || '#ddd')}" aria-hidden="true"></span>`;

/** Statuses whose plan binds: the others (drafts, expired plans) are shown apart. */
const BINDING = new Set(['in_force', 'adjusted']);
/** The documented sliver tolerance (the server's): overlaps below 2 m² or 0.5 % of the site are edge mismatches. */
const SLIVER_M2 = 2;
const SLIVER_PCT = 0.5;

export function statusBadge(status) {
  return `<span class="badge ${esc(status)}">${esc(t(`status.${status}`))}</span>`;
}

// ---------------------------------------------------------------- names in English
const UNIT_EN = { 'tỉnh': 'Provincial', 'thành phố': 'City', 'tp.': 'City', 'tp': 'City', 'huyện': 'District', 'quận': 'District', 'thị xã': 'Town', 'xã': 'Commune', 'phường': 'Ward', 'thị trấn': 'Township', 'đặc khu': 'Special Zone' };
const UNIT_RE = '(tỉnh|thành phố|TP\\.?|huyện|quận|thị xã|xã|phường|thị trấn|đặc khu)';

/**
 * An approving authority in English, or null when it has no English form we know:
 * "UBND tỉnh Kiên Giang" → "Kiên Giang Provincial People's Committee".
 */
export function authorityEn(a) {
  const s = String(a || '').trim();
  const body = (kind, rest) => {
    if (!rest) return `the ${kind}`;
    const m = rest.match(new RegExp(`^${UNIT_RE}\\s+(.+)$`, 'iu'));
    if (!m) return null;
    return `${m[2]} ${UNIT_EN[m[1].toLowerCase()]} ${kind}`;
  };
  let m = s.match(/^(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s*(.*)$/iu);
  if (m) return body("People's Committee", m[1]);
  m = s.match(/^(?:HĐND|Hội đồng nhân dân)\s*(.*)$/iu);
  if (m) return body("People's Council", m[1]);
  if (/^Thủ tướng Chính phủ$/iu.test(s)) return 'the Prime Minister';
  if (/^Chính phủ$/iu.test(s)) return 'the Government';
  if (/^(?:Bộ Xây dựng|BXD)$/iu.test(s)) return 'the Ministry of Construction';
  if (/^Bộ Nông nghiệp và Môi trường$/iu.test(s)) return 'the Ministry of Agriculture and Environment';
  m = s.match(/^Sở Xây dựng(?:\s+(?:tỉnh|thành phố)\s+(.+))?$/iu);
  if (m) return m[1] ? `${m[1]} Department of Construction` : 'the Department of Construction';
  m = s.match(/^Sở Nông nghiệp và Môi trường(?:\s+(?:tỉnh|thành phố)\s+(.+))?$/iu);
  if (m) return m[1] ? `${m[1]} Department of Agriculture and Environment` : 'the Department of Agriculture and Environment';
  return null;
}

/** Planning zone and road names that follow a pattern have an English form; others are Vietnamese names. */
export function placeNameEn(name) {
  const s = String(name || '').trim();
  const tail = (rest) => rest.replace(/\(lộ giới ([\d.,]+) m\)/u, '(right of way $1 m)');
  let m = s.match(/^Ô phố\s+(.+)$/u);
  if (m) return `Block ${m[1]}`;
  m = s.match(/^Ô đất\s+(.+)$/u);
  if (m) return `Plot ${m[1]}`;
  m = s.match(/^Đường số\s+(\d+)(.*)$/u);
  if (m) return `Road No. ${m[1]}${tail(m[2])}`;
  m = s.match(/^Đất giao thông số\s+(\d+)$/u);
  if (m) return `Transport land No. ${m[1]}`;
  m = s.match(/^Quốc lộ\s+(\S+)(.*)$/u);
  if (m) return `National Highway ${m[1]}${tail(m[2])}`;
  m = s.match(/^Tỉnh lộ\s+(\S+)(.*)$/u);
  if (m) return `Provincial Road ${m[1]}${tail(m[2])}`;
  return null;
}

/**
 * A name as shown: in Vietnamese as it is; in English its English form when there is one,
 * else the Vietnamese name marked as such (lang="vi", for voices and readers).
 */
function nameHtml(vi, enName) {
  if (!en()) return esc(vi);
  if (enName) return esc(enName);
  if (!vi) return '';
  return `<span lang="vi">${esc(vi)}</span> <span class="muted small vn-name">${esc(t('report.vnname'))}</span>`;
}
function nameText(vi, enName) {
  return en() ? enName || vi : vi;
}

const planNameEn = (p) => p.name_en || null;
const levelName = (pr) => (en() ? pr.level_name_en || pr.plan.level_name_en : pr.level_name_vi || pr.plan.level_name_vi) || (pr.plan.level ? t(`level.${pr.plan.level}`) : '');
const LAND_USE_LEVELS = new Set(['district_land_use', 'provincial_land_use', 'national_land_use', 'land_use']);
const roleText = (pr) => (en() ? pr.role_en : pr.role_vi) || t(LAND_USE_LEVELS.has(pr.plan.level) ? 'role.landuse' : 'role.construction');
const isBinding = (pr) => pr.binding ?? BINDING.has(pr.plan.status);

// ---------------------------------------------------------------- documents
/** The real type of a document, from its number ("85/TTr-UBND" is a submission, not a decision). */
export function documentKind(number) {
  const n = String(number || '').trim();
  if (!n) return 'decision';
  const m = n.match(/\/(?:\d{4}\/)?([\p{L}]+)/u);
  const code = m ? m[1].toUpperCase() : '';
  const kinds = { 'QĐ': 'decision', QD: 'decision', NQ: 'resolution', TTR: 'submission', TB: 'notice', CV: 'letter' };
  if (kinds[code]) return kinds[code];
  // "123/UBND-KT": an issuer's code straight after the number is how official letters are numbered.
  if (/^(UBND|HĐND|SXD|STNMT|SNNMT|BXD|VP)$/u.test(code)) return 'letter';
  return 'other';
}

function documentOf(pr) {
  const d = pr.plan.decision || {};
  const kind = pr.document?.kind || documentKind(d.number);
  const name = (en() ? pr.document?.name_en : pr.document?.name_vi) || t(`doc.${kind}`);
  return { kind, name, number: d.number, date: d.date, authority: d.authority };
}

const authorityText = (a) => (en() ? authorityEn(a) || a : a);

/** "Tờ trình 85/TTr-UBND ngày 10/03/2025 của UBND huyện Châu Thành" — never "Quyết định" for a Tờ trình. */
export function documentText(pr) {
  const d = documentOf(pr);
  if (!d.number) return t('doc.none');
  return t('doc.line', { kind: d.name, number: d.number, date: fmtDate(d.date), authority: authorityText(d.authority) || '—' });
}

/** Kept for other modules: the approving document of a plan (bare plan object). */
export function decisionText(plan) {
  return documentText({ plan });
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

/** A road as written: "Đường số 13" stays whole (no "Đường Đường số 13"); "Lê Lợi" becomes "đường Lê Lợi". */
function roadLabel(r) {
  const name = r.road_name ? String(r.road_name).trim() : '';
  if (!name) return t('report.road.unnamed');
  if (en()) return placeNameEn(name) || t('report.road.named', { name });
  return /^(đường|quốc lộ|tỉnh lộ|hương lộ|đại lộ|phố|hẻm|ngõ)(?=\s|$)/iu.test(name) ? name : t('report.road.named', { name });
}

function redlineText(r) {
  const road = roadLabel(r);
  const w = r.width_m != null ? fmtNum(r.width_m, 1) : '—';
  if (r.crosses_site) return t('report.redline.cross', { road, w, a: fmtArea(r.area_in_road_m2), pct: fmtPct(r.area_in_road_pct) });
  if (r.area_in_road_m2 > 0) return t('report.redline.corridor.text', { road, w, d: fmtNum(r.distance_m, 1), a: fmtArea(r.area_in_road_m2), pct: fmtPct(r.area_in_road_pct) });
  return t('report.redline.near', { road, w, d: fmtNum(r.distance_m, 1) });
}

export const isSliver = (z) => z.sliver ?? (z.overlap_m2 < SLIVER_M2 || z.overlap_pct < SLIVER_PCT);

/** The site area inside a plan's red lines: the server's figure, else the sum of its rows. */
export function planRoadArea(pr) {
  if (pr.road_area_m2 != null) return { m2: pr.road_area_m2, pct: pr.road_area_pct };
  const m2 = pr.redlines.reduce((a, r) => a + (r.area_in_road_m2 || 0), 0);
  const pct = pr.redlines.reduce((a, r) => a + (r.area_in_road_pct || 0), 0);
  return { m2, pct };
}

// ---------------------------------------------------------------- verdicts
/** The plan's main planned use at the site: its largest zone that is not a sliver. */
function mainZone(pr) {
  return pr.zones.filter((z) => !isSliver(z)).reduce((best, z) => (!best || z.overlap_pct > best.overlap_pct ? z : best), null);
}

/**
 * A plan's own one-line verdict: the server's `verdict`, or (older servers) the same reading
 * made here from the plan's zones and the site's current uses.
 */
export function planVerdict(pr, report) {
  if (pr.verdict) return { kind: pr.verdict.kind, landuse: pr.verdict.main_landuse, text: (en() ? pr.verdict.en : pr.verdict.vi) || '' };
  const main = mainZone(pr);
  const current = new Set((report.site?.current_landuse || []).map((c) => c.code));
  const road = planRoadArea(pr);
  let kind;
  if (!main) kind = 'partial';
  else if (!current.size) kind = 'site';
  else if (pr.coverage_pct < 99.5) kind = 'partial';
  else kind = current.has(main.landuse) ? 'keeps' : 'changes';
  const use = main ? `${lowerFirst(luName(main))} (${main.landuse})` : '';
  let text = main ? t(`verdict.${kind}`, { use, pct: fmtPct(main.overlap_pct), cover: fmtPct(Math.min(100, pr.coverage_pct)) }) : t('verdict.none');
  if (road.m2 >= SLIVER_M2) text += t('verdict.road', { a: fmtArea(road.m2) });
  return { kind, landuse: main?.landuse ?? null, text };
}

/** The answer's kind: the server's `answer_kind`, or the same reading made here. */
export function answerKind(report) {
  if (report.answer_kind) return report.answer_kind;
  if (!report.plans?.length) return 'not_covered';
  const s = report.site || {};
  if (s.kind !== 'parcel' && !(s.current_landuse || []).length) return 'site';
  const binding = report.plans.filter(isBinding);
  const uses = new Set(binding.map((pr) => planVerdict(pr, report).landuse).filter(Boolean));
  if (uses.size > 1) return 'plans_disagree';
  return report.affected ? 'affected' : 'not_affected';
}

const ANSWER_CLASS = { not_covered: 'no', not_affected: 'no', affected: 'yes', plans_disagree: 'yes disagree', site: 'site' };

function answerHtml(report, ctx) {
  const kind = answerKind(report);
  const summary = en() ? report.summary_en : report.summary_vi;
  let list = '';
  if (kind === 'plans_disagree') {
    const items = report.plans
      .filter(isBinding)
      .map((pr) => `<li><strong>${nameHtml(pr.plan.name, planNameEn(pr.plan))}</strong> (${esc(levelName(pr))}): ${esc(planVerdict(pr, report).text)} — <span class="doc">${esc(documentText(pr))}</span></li>`)
      .join('');
    list = `<ul class="verdicts">${items}</ul><p class="small disagree-note">${esc(t('answer.disagree.note'))}</p>`;
  }
  return `<div class="answer ${ANSWER_CLASS[kind] || (report.affected ? 'yes' : 'no')}" id="report-answer" data-kind="${esc(kind)}">
      <span class="sr-only">${esc(t('report.question'))}</span>
      <span class="verdict">${esc(t(`answer.${kind}`))}</span>
      ${kind === 'plans_disagree' ? list : `<span class="summary">${esc(summary)}</span>`}
    </div>`;
}

// ---------------------------------------------------------------- one section per plan
function zoneRow(z, same, hasCurrent) {
  const ind = indicators(z);
  const zname = z.name || z.zone_id;
  return `<tr data-zone="${esc(z.zone_id || '')}">
        <td>${swatch(z.color)}<strong>${esc(z.landuse)}</strong> ${esc(luName(z))}
          ${zname ? `<div class="muted small">${esc(t('report.zone'))} ${nameHtml(zname, z.name ? placeNameEn(z.name) : zname)}</div>` : ''}
          ${hasCurrent ? `<div class="small ${same ? 'same' : 'changed'}">${esc(t(same ? 'report.same' : 'report.changed'))}</div>` : ''}
          ${ind.length ? `<ul class="indicators">${ind.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>` : ''}
        </td>
        <td class="num">${esc(fmtPct(z.overlap_pct))}<div class="bar" aria-hidden="true"><span style="width:${Math.min(100, z.overlap_pct).toFixed(1)}%"></span></div></td>
        <td class="num">${esc(fmtArea(z.overlap_m2))}</td>
      </tr>`;
}

function redlinesHtml(pr) {
  if (!pr.redlines.length) return '';
  const road = planRoadArea(pr);
  const rows = pr.redlines
    .map((r) => {
      const crossing = r.crosses_site || r.area_in_road_m2 > 0;
      // A corridor piece is counted once, on one row: a line that crosses with nothing left to
      // count says so; a line outside the site whose road corridor (a junction, a cross street
      // it ends at) reaches into the site says that, not that it crosses.
      const note = r.crosses_site
        ? t(r.area_in_road_m2 > 0 ? 'report.redline.crosses' : 'report.redline.crosses.counted')
        : r.area_in_road_m2 > 0
          ? t('report.redline.corridor', { d: fmtNum(r.distance_m, 1) })
          : t('report.redline.distance', { d: fmtNum(r.distance_m, 1) });
      return `<tr class="${crossing ? 'crosses' : 'near'}">
        <td>${esc(roadLabel(r))}<div class="muted small">${esc(note)}</div></td>
        <td class="num">${esc(r.width_m != null ? t('units.m', { v: fmtNum(r.width_m, 1) }) : '—')}</td>
        <td class="num rl-area" data-m2="${esc(r.area_in_road_m2 ?? 0)}">${esc(fmtArea(r.area_in_road_m2 || 0))}</td>
      </tr>`;
    })
    .join('');
  const method = [...new Set(pr.redlines.map((r) => r.method).filter(Boolean))].map((m) => t(`report.redline.method.${m}`)).join('; ');
  return `<h5>${esc(t('report.redlines'))}</h5>
    <table class="redlines"><thead><tr><th>${esc(t('report.redline.road'))}</th><th class="num">${esc(t('report.redline.width'))}</th><th class="num">${esc(t('report.redline.inroad'))}</th></tr></thead>
    <tbody>${rows}</tbody>
    <tfoot><tr><th scope="row" colspan="2">${esc(t('report.redline.total'))}</th><td class="num rl-total" data-m2="${esc(road.m2)}">${esc(fmtArea(road.m2))}${road.pct != null ? ` (${esc(fmtPct(road.pct))})` : ''}</td></tr></tfoot></table>
    ${method ? `<p class="muted small">${esc(method)}</p>` : ''}`;
}

/** `current`: the site's current land-use codes when the server knows them for the whole site, or those of the selected parcels. */
function planHtml(pr, report, current, serverKnows) {
  const hasCurrent = current.size > 0;
  const same = (z) => (serverKnows ? z.same_as_current : current.has(z.landuse));
  const p = pr.plan;
  const binding = isBinding(pr);
  const zones = pr.zones.filter((z) => !isSliver(z));
  const slivers = pr.zones.filter(isSliver);
  const rows = zones.map((z) => zoneRow(z, same(z), hasCurrent)).join('');
  const sliverHtml = slivers.length
    ? `<p class="small sliver">${esc(t('report.sliver'))}: ${slivers.map((z) => `${esc(z.landuse)} ${esc(fmtArea(z.overlap_m2))} (${esc(fmtPct(z.overlap_pct))})`).join(', ')}</p>`
    : '';
  const d = documentOf(pr);
  const v = planVerdict(pr, report);
  const cover = Math.min(100, pr.coverage_pct ?? 100);
  return `<section class="plan ${binding ? 'binding' : 'not-binding'} ${esc(p.status)}" data-plan="${esc(p.id)}" data-binding="${binding}" aria-label="${esc(nameText(p.name, planNameEn(p)))}">
    <h4>${nameHtml(p.name, planNameEn(p))} ${statusBadge(p.status)}</h4>
    ${p.status === 'draft' && pr.status_note && !/giá trị pháp lý|legally binding|legal force/i.test(pr.status_note) ? `<p class="small">${esc(pr.status_note)}</p>` : ''}
    <dl class="kv plan-kv">
      <dt>${esc(t('report.level'))}</dt><dd class="p-level">${esc(levelName(pr))}</dd>
      <dt>${esc(t('report.role'))}</dt><dd class="p-role">${esc(roleText(pr))}</dd>
      <dt>${esc(t('report.status'))}</dt><dd>${esc(t(`status.${p.status}`))}</dd>
      <dt>${esc(t('report.document'))}</dt><dd class="p-doc" data-kind="${esc(d.kind)}">${esc(documentText(pr))}${d.kind === 'submission' ? `<div class="small muted">${esc(t('doc.submission.note'))}</div>` : ''}</dd>
      <dt>${esc(t('report.plan.share'))}</dt><dd>${esc(fmtPct(cover))}</dd>
      <dt>${esc(t('report.plan.verdict'))}</dt><dd class="p-verdict" data-kind="${esc(v.kind)}">${esc(v.text)}</dd>
    </dl>
    ${rows ? `<table class="zones"><thead><tr><th>${esc(t('report.landuse'))}</th><th class="num">${esc(t('report.share'))}</th><th class="num">${esc(t('report.overlap'))}</th></tr></thead><tbody>${rows}</tbody></table>` : ''}
    ${sliverHtml}
    ${redlinesHtml(pr)}
  </section>`;
}

/** The plans in groups: binding plans first, then drafts (not legally binding), then expired plans. */
export function planGroupsOf(report) {
  const binding = report.plans.filter(isBinding);
  const drafts = report.plans.filter((pr) => !isBinding(pr) && pr.plan.status === 'draft');
  const other = report.plans.filter((pr) => !isBinding(pr) && pr.plan.status !== 'draft');
  return { binding, drafts, other };
}

/** The report as HTML (panel and print sheet). */
export function reportHtml(report, ctx = {}) {
  const s = report.site || {};
  const serverKnows = (s.current_landuse || []).length > 0;
  const currentUses = serverKnows ? s.current_landuse : ctx.current || [];
  const currentCodes = new Set(currentUses.map((c) => c.code));
  const current = currentUses.map((c) => `<li>${swatch(c.color)}<strong>${esc(c.code)}</strong> ${esc(luName(c))}</li>`).join('');
  const area = s.area_m2 != null ? fmtArea(s.area_m2) : '—';
  const declared = s.declared_area_m2 != null && Math.abs(s.declared_area_m2 - s.area_m2) > 0.05 ? ` <span class="muted small">(${esc(t('report.area.declared', { a: fmtArea(s.declared_area_m2) }))})</span>` : '';
  const g = planGroupsOf(report);
  const sections = (list) => list.map((pr) => planHtml(pr, report, currentCodes, serverKnows)).join('');
  const plans = report.plans.length
    ? `${g.binding.length ? `<div class="plan-group binding">${sections(g.binding)}</div>` : ''}
       ${g.drafts.length ? `<div class="plan-group drafts" role="group" aria-labelledby="group-drafts"><h3 id="group-drafts" class="group-head">${esc(t('report.group.drafts'))}</h3>${sections(g.drafts)}</div>` : ''}
       ${g.other.length ? `<div class="plan-group expired" role="group" aria-labelledby="group-expired"><h3 id="group-expired" class="group-head">${esc(t('report.group.expired'))}</h3>${sections(g.other)}</div>` : ''}`
    : `<p>${esc(t('report.noplans'))}</p>`;
  return `
    ${answerHtml(report, ctx)}
    <div class="r-site">
    <h3>${esc(siteTitle(report, ctx))}</h3>
    <dl class="kv">
      ${s.commune_name ? `<dt>${esc(t('report.commune'))}</dt><dd>${esc(s.commune_name)} (${esc(s.commune_code)})</dd>` : ''}
      ${s.address ? `<dt>${esc(t('report.address'))}</dt><dd class="r-address">${esc(s.address)}</dd>` : ''}
      <dt>${esc(t('report.area'))}</dt><dd class="r-area">${esc(area)}${declared}</dd>
    </dl></div>
    <div class="r-current">
    <h3>${esc(t('report.current'))}</h3>
    ${current ? `<ul class="legend">${current}</ul>` : `<p class="muted">${esc(t('report.none.current'))}</p>`}
    </div>
    <h3 class="r-planned">${esc(t('report.planned'))}</h3>
    <div class="plans">${plans}</div>
    <div class="disclaimer">
      <p>${esc(t('report.datadate', { date: fmtDate(report.data_date) }))} · ${esc(t('report.generated', { date: new Date().toLocaleString(en() ? 'en-GB' : 'vi-VN') }))}</p>
      <p>${esc(en() ? report.disclaimer_en : report.disclaimer_vi)}</p>
    </div>`;
}

/**
 * What the read-aloud button says: the answer, the site, then each plan in full sentences
 * (binding plans, then drafts said to have no legal force), as written: the server's
 * normaliser (speech.js spokenText) then puts numbers, documents and codes in words.
 */
export function reportSpeech(report, ctx = {}) {
  const s = report.site || {};
  const site = [siteTitle(report, ctx), s.commune_name, s.area_m2 != null ? `${lowerFirst(t('report.area'))} ${fmtArea(s.area_m2)}` : null];
  const parts = [en() ? report.summary_en : report.summary_vi, `${site.filter(Boolean).join(', ')}.`];
  const g = planGroupsOf(report);
  for (const pr of [...g.binding, ...g.drafts, ...g.other]) {
    parts.push(planSpeech(pr, report));
    for (const z of pr.zones.filter((x) => !isSliver(x))) parts.push(t('speech.zone', { name: luName(z), pct: fmtPct(z.overlap_pct) }));
    for (const r of pr.redlines.filter((x) => x.crosses_site || x.area_in_road_m2 > 0)) parts.push(redlineText(r));
    if (pr.redlines.length) {
      const road = planRoadArea(pr);
      if (road.m2 > 0) parts.push(t('speech.roadtotal', { a: fmtArea(road.m2) }));
    }
  }
  parts.push(en() ? report.disclaimer_en : report.disclaimer_vi);
  return parts.filter(Boolean).join(' ');
}

const lowerFirst = (s) => (s ? s.charAt(0).toLocaleLowerCase(getLang()) + s.slice(1) : s);

/** A plan, its level, status, role and document; a draft is said to have no legal force. */
function planSpeech(pr, report) {
  const p = pr.plan;
  const status = lowerFirst(t(`status.${p.status}`));
  const head = `${[nameText(p.name, planNameEn(p)), lowerFirst(levelName(pr)), status].filter(Boolean).join(', ')}.`;
  const doc = p.decision?.number ? `${t('speech.document', { doc: documentText(pr) })}` : '';
  const verdict = t('speech.verdict', { v: planVerdict(pr, report).text });
  if (!isBinding(pr) && p.status === 'draft') return [head, t('speech.draft'), doc, verdict].filter(Boolean).join(' ');
  const role = roleText(pr);
  return [head, /[.!?]$/.test(role) ? role : `${role}.`, doc, verdict].filter(Boolean).join(' ');
}

/** One CSV row per plan zone and per red line: a spreadsheet a business can file. */
export function reportCsv(report) {
  const head = ['site', 'area_m2', 'plan_id', 'plan_name', 'plan_level', 'plan_status', 'decision_number', 'decision_date', 'decision_authority', 'row_kind', 'zone_id', 'zone_name', 'landuse', 'landuse_name_vi', 'landuse_name_en', 'same_as_current', 'overlap_m2', 'overlap_pct', 'density_pct', 'floors_min', 'floors_max', 'far', 'height_m', 'max_footprint_m2', 'max_floor_area_m2', 'road_name', 'width_m', 'crosses_site', 'distance_m', 'area_in_road_m2', 'area_in_road_pct', 'method', 'data_date', 'binding', 'document_kind', 'verdict_kind', 'verdict', 'sliver', 'plan_road_area_m2', 'answer_kind'];
  const s = report.site || {};
  const site = s.kind === 'parcel' ? `${s.commune_code}/${s.sheet}/${s.parcel}` : 'site';
  const rows = [];
  const answer = answerKind(report);
  for (const pr of report.plans) {
    const p = pr.plan;
    const base = [site, s.area_m2, p.id, p.name, p.level, p.status, p.decision?.number, p.decision?.date, p.decision?.authority];
    const v = planVerdict(pr, report);
    const tail = (sliver) => [isBinding(pr), documentOf(pr).kind, v.kind, v.text, sliver, planRoadArea(pr).m2, answer];
    for (const z of pr.zones) rows.push([...base, 'zone', z.zone_id, z.name, z.landuse, z.landuse_name_vi, z.landuse_name_en, z.same_as_current, z.overlap_m2, z.overlap_pct, z.density_pct, z.floors_min, z.floors_max, z.far, z.height_m, z.max_footprint_m2, z.max_floor_area_m2, '', '', '', '', '', '', '', report.data_date, ...tail(isSliver(z))]);
    for (const r of pr.redlines) rows.push([...base, 'redline', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', r.road_name, r.width_m, r.crosses_site, r.distance_m, r.area_in_road_m2, r.area_in_road_pct, r.method, report.data_date, ...tail('')]);
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
