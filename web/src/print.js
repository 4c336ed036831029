// The printed planning sheet: one A4 portrait page a citizen can take to the office. The map
// of the site with its neighbours (drawn for print by a second map, north up), a scale bar
// true to the printed map, a north arrow, the corners numbered as in a certificate's table
// with their VN-2000 (the province's 3° zone) and WGS 84 coordinates, the one-line answer,
// the plans in short, the legend, a QR code back to the lookup, the disclaimer and the date.
// The sheet is laid out off screen at its printed width first and made smaller (font, map,
// rows) until it fits one page. The print CSS (app.css) hides everything else.
import { t, getLang, fmtArea, fmtPct, fmtNum, fmtDate } from './i18n.js';
import { esc, siteTitle, statusBadge, decisionText, isSliver } from './report.js';
import { qrSvg } from './qr.js';
import { PROVINCES } from './provinces.js';

/** The printable area of A4 portrait inside the 10 mm margins of `@page` (app.css). */
const PAGE_W_MM = 190;
const PAGE_H_MM = 277;
/** Room kept free at the page's foot, so rounding in the print engine never spills a line. */
const SAFETY_MM = 4;
/** The map picture: its printed width (the page's) and its height before any shrinking. */
const MAP_H_MM = 100;
/** CSS pixels per millimetre: the offscreen map draws at 96 CSS px per inch, as printed. */
const PX_PER_MM = 96 / 25.4;
/** Lengths the scale bar may show: round numbers of metres. */
const SCALE_STEPS_M = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000];
/** The longest a scale bar may be on paper. */
const SCALE_MAX_MM = 35;
/** Equatorial circumference of Web Mercator's sphere (EPSG:3857), in metres. */
const EARTH_CIRCUMFERENCE_M = 40_075_016.686;
/** MapLibre's tile size: at zoom z the world is 512·2^z CSS pixels wide. */
const WORLD_TILE_PX = 512;
/** More numbered corners than this on the map would hide it: then every k-th is marked; the table keeps them all. */
const MAX_MAP_LABELS = 24;

/**
 * Metres on the ground per printed millimetre for a Web Mercator picture drawn at `zoom`
 * around `lat`, `imagePx` CSS pixels wide and printed `printedMm` wide.
 */
export function metresPerMm(zoom, lat, imagePx, printedMm) {
  const mPerPx = (EARTH_CIRCUMFERENCE_M * Math.cos((lat * Math.PI) / 180)) / (WORLD_TILE_PX * 2 ** zoom);
  return (mPerPx * imagePx) / printedMm;
}

/** The scale bar: the longest round length that stays under SCALE_MAX_MM on paper. */
export function scaleBar(mPerMm) {
  let m = SCALE_STEPS_M[0];
  for (const s of SCALE_STEPS_M) if (s / mPerMm <= SCALE_MAX_MM) m = s;
  return { metres: m, mm: m / mPerMm };
}

/** The corners of a (Multi)Polygon, ring by ring, without each ring's closing point. */
export function corners(geometry) {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  const out = [];
  for (const poly of polys)
    for (const ring of poly) {
      const n = ring.length > 1 && ring[0][0] === ring[ring.length - 1][0] && ring[0][1] === ring[ring.length - 1][1] ? ring.length - 1 : ring.length;
      for (let i = 0; i < n; i++) out.push([ring[i][0], ring[i][1]]);
    }
  return out;
}

/**
 * The VN-2000 system of a report: its own TM-3 zone when the server measured in one
 * (`metric_crs`, the province's zone), else the province chosen for search.
 */
export function vn2000Of(site, fallbackProvince) {
  const def = site?.metric_crs || '';
  const lon0 = /\+lon_0=(-?[\d.]+)/.exec(def)?.[1];
  if (/\+proj=tmerc/.test(def) && /\+k=0\.9999\b/.test(def) && /\+x_0=500000\b/.test(def) && lon0) return { srs: `vn2000:tm3:${lon0}`, meridian: lon0 };
  // A drawn or uploaded site is measured in a local zone: the province's own zone then.
  const p = PROVINCES.find((x) => x[0] === fallbackProvince);
  return { srs: `vn2000:${fallbackProvince}`, meridian: p ? String(p[2]) : null };
}

/** The server's pinned VN-2000 transformation of [lon, lat] points (docs/api.md, POST /api/v1/convert). */
async function toVn2000(srs, points) {
  const resp = await fetch('/api/v1/convert', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ to: srs, points }),
  });
  const body = await resp.json().catch(() => null);
  if (!resp.ok || !Array.isArray(body?.points) || body.points.length !== points.length) throw new Error(body?.detail || `HTTP ${resp.status}`);
  return body.points;
}

function siteGeometry(app) {
  if (app.site) return app.site;
  const polys = [];
  for (const f of app.selection) polys.push(...(f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates));
  return polys.length ? { type: 'MultiPolygon', coordinates: polys } : null;
}

function bboxOfPoints(pts) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of pts) {
    b[0] = Math.min(b[0], x);
    b[1] = Math.min(b[1], y);
    b[2] = Math.max(b[2], x);
    b[3] = Math.max(b[3], y);
  }
  return b;
}

/** A fixed-decimals number with the language's decimal mark (certificates use a comma). */
const fixed = (v, d) => {
  const s = Number(v).toFixed(d);
  return getLang() === 'vi' ? s.replace('.', ',') : s;
};

/**
 * The compact plans, one section each as on screen: binding plans first, then the drafts
 * under their own heading; name, status, document, the plan's verdict, zones (slivers left
 * out), red lines.
 */
function plansHtml(r, maxPlans) {
  const en = getLang() === 'en';
  const isBinding = (pr) => pr.binding ?? ['in_force', 'adjusted'].includes(pr.plan.status);
  const ordered = [...r.plans.filter(isBinding), ...r.plans.filter((pr) => !isBinding(pr))];
  const shown = ordered.slice(0, maxPlans);
  let groupShown = false;
  const items = shown.map((pr) => {
    const p = pr.plan;
    const zones = pr.zones
      .filter((z) => !isSliver(z))
      .map((z) => `<span class="ps-zone"><span class="swatch" style="background:${esc(z.color || '#ddd')}"></span><b>${esc(z.landuse)}</b> ${esc(en ? z.landuse_name_en : z.landuse_name_vi)} ${esc(fmtPct(z.overlap_pct))} (${esc(fmtArea(z.overlap_m2))})</span>`)
      .join('; ');
    const red = pr.redlines
      .map((x) => {
        const road = x.road_name || t('report.road.unnamed');
        const w = x.width_m != null ? fmtNum(x.width_m, 1) : '—';
        const a = fmtArea(x.area_in_road_m2);
        const pct = fmtPct(x.area_in_road_pct);
        const d = fmtNum(x.distance_m, 1);
        if (x.crosses_site) return t('report.redline.cross', { road, w, a, pct });
        if (x.area_in_road_m2 > 0) return t('report.redline.corridor.text', { road, w, d, a, pct });
        return t('report.redline.near', { road, w, d });
      })
      .map((s) => `<div class="ps-red">${esc(s)}</div>`)
      .join('');
    const verdict = pr.verdict ? (en ? pr.verdict.en : pr.verdict.vi) : '';
    const head = !isBinding(pr) && !groupShown ? `<div class="ps-group"><b>${esc(t('report.group.drafts'))}</b></div>` : '';
    if (!isBinding(pr)) groupShown = true;
    return `${head}<div class="ps-plan${p.status === 'draft' ? ' draft' : ''}"><div><b>${esc(p.name)}</b> ${statusBadge(p.status)} <span class="ps-muted">${esc(t(`level.${p.level}`))} · ${esc(decisionText(p))}</span></div>
      ${verdict ? `<div>${esc(verdict)}</div>` : ''}
      ${zones ? `<div>${zones}</div>` : ''}${red}</div>`;
  });
  const more = r.plans.length - shown.length;
  if (more > 0) items.push(`<p class="ps-note">${esc(t('print.plans.more', { n: more }))}</p>`);
  return items.join('') || `<p>${esc(t('report.noplans'))}</p>`;
}

/** The corner tables: one to three side by side, `shown` rows of `rows`. */
function coordsHtml(rows, shown, conv) {
  const list = rows.slice(0, shown);
  const groups = list.length > 24 ? 2 : 1;
  const per = Math.ceil(list.length / groups) || 1;
  const head = `<thead><tr><th>${esc(t('print.coords.no'))}</th><th>X (m)</th><th>Y (m)</th><th>${esc(t('print.coords.lat'))}</th><th>${esc(t('print.coords.lon'))}</th></tr></thead>`;
  const tables = [];
  for (let g = 0; g < groups; g++) {
    const body = list
      .slice(g * per, (g + 1) * per)
      .map(
        (c) =>
          `<tr><td>${c.n}</td><td class="num">${c.x != null ? fixed(c.x, 3) : '—'}</td><td class="num">${c.y != null ? fixed(c.y, 3) : '—'}</td><td class="num">${fixed(c.lat, 7)}</td><td class="num">${fixed(c.lon, 7)}</td></tr>`,
      )
      .join('');
    tables.push(`<table class="ps-coords">${head}<tbody>${body}</tbody></table>`);
  }
  const cut = shown < rows.length ? `<p class="ps-note" id="ps-coords-cut">${esc(t('print.coords.cut', { shown, n: rows.length }))}</p>` : '';
  const err = conv.error ? `<p class="ps-note">${esc(t('print.coords.none', { msg: conv.error }))}</p>` : '';
  return `<div class="ps-coords-wrap">${tables.join('')}</div>${cut}${err}`;
}

export async function printReport(app) {
  const r = app.report;
  if (!r) return;
  const mv = app.mapView;
  const en = getLang() === 'en';
  const geom = siteGeometry(app);
  const pts = geom ? corners(geom) : [];
  const bbox = r.site?.bbox || (pts.length ? bboxOfPoints(pts) : null);
  const vn = vn2000Of(r.site, app.search?.province?.() || 'kien-giang');

  const widthPx = Math.round(PAGE_W_MM * PX_PER_MM);
  const heightPx = Math.round(MAP_H_MM * PX_PER_MM);
  const [pic, conv] = await Promise.all([
    mv && bbox ? mv.printImage({ width: widthPx, height: heightPx, bbox, points: pts }).catch((e) => (console.warn('print map:', e), null)) : null,
    pts.length
      ? toVn2000(vn.srs, pts)
          .then((points) => ({ points }))
          .catch((e) => ({ points: null, error: e.message }))
      : { points: [] },
  ]);
  const rows = pts.map(([lon, lat], i) => ({ n: i + 1, lon, lat, x: conv.points?.[i]?.northing ?? null, y: conv.points?.[i]?.easting ?? null }));

  const url = app.currentUrl ? app.currentUrl() : location.href;
  const uses = new Map();
  for (const c of r.site?.current_landuse || []) uses.set(c.code, { color: c.color, name: en ? c.name_en : c.name_vi });
  for (const pr of r.plans) for (const z of pr.zones) uses.set(z.landuse, { color: z.color, name: en ? z.landuse_name_en : z.landuse_name_vi });
  const legend = [...uses]
    .map(([code, u]) => `<li><span class="swatch" style="background:${esc(u.color)}"></span><code>${esc(code)}</code> ${esc(u.name || '')}</li>`)
    .join('');

  // The map, its scale and the numbered corners.
  let mapHtml = '';
  if (pic) {
    const lat = pic.center[1];
    const mpm = metresPerMm(pic.zoom, lat, pic.width, PAGE_W_MM);
    const bar = scaleBar(mpm);
    const ratio = Math.round((mpm * 1000) / 10) * 10;
    const mmX = PAGE_W_MM / pic.width;
    const mmY = MAP_H_MM / pic.height;
    const every = pts.length > MAX_MAP_LABELS ? Math.ceil(pts.length / MAX_MAP_LABELS) : 1;
    const marks = pic.projected
      .map(([x, y], i) => {
        if (x < 0 || y < 0 || x > pic.width || y > pic.height || i % every !== 0) return '';
        const label = `<span>${i + 1}</span>`;
        return `<i class="ps-vertex" data-n="${i + 1}" style="left:${(x * mmX).toFixed(2)}mm;top:calc(${(y * mmY).toFixed(2)}mm - var(--ps-crop, 0mm))">${label}</i>`;
      })
      .join('');
    mapHtml = `<div class="ps-mapbox" data-zoom="${pic.zoom.toFixed(4)}" data-lat="${lat.toFixed(6)}" data-m-per-mm="${mpm.toFixed(5)}">
      <img class="ps-map" src="${pic.url}" alt="${esc(t('print.map'))}" />
      ${marks}
      <svg class="ps-north" viewBox="0 0 24 34" role="img" aria-label="${esc(t('print.north'))}"><title>${esc(t('print.north'))}</title><path d="M12 1 L21 25 L12 20 L3 25 Z" fill="#000"/><path d="M12 1 L12 20 L3 25 Z" fill="#fff" stroke="#000" stroke-width="1"/><text x="12" y="33" text-anchor="middle" font-size="9" font-weight="700" font-family="sans-serif">N</text></svg>
      <div class="ps-scale" data-metres="${bar.metres}" data-mm="${bar.mm.toFixed(3)}">
        <div class="ps-scale-bar" style="width:${bar.mm.toFixed(3)}mm"><span></span><span></span></div>
        <div class="ps-scale-label"><b class="ps-scale-m">${bar.metres} m</b> · ${esc(t('print.scale', { n: fmtNum(ratio, 0), m: fmtNum(mpm * 10, 1) }))}</div>
      </div>
    </div>`;
  }

  const summary = en ? r.summary_en : r.summary_vi;
  // The verdict as the panel words it (it may say more than yes or no, e.g. that plans disagree).
  const verdict = document.querySelector('#report-answer .verdict')?.textContent.trim() || t(r.affected ? 'report.affected.yes' : 'report.affected.no');
  const title = siteTitle(r, app.reportCtx);
  const where = [r.site?.commune_name, r.site?.address].filter(Boolean).join(' — ');
  const area = r.site?.area_m2 != null ? `${t('report.area')}: ${fmtArea(r.site.area_m2)}` : '';
  const crs = vn.meridian ? t('print.coords.crs', { meridian: vn.meridian }) : `${vn.srs}; WGS 84`;
  const coordsTitle = r.site?.kind === 'parcel' && !app.reportCtx?.multi ? t('print.coords') : t('print.coords.site');
  const printed = new Date().toLocaleString(en ? 'en-GB' : 'vi-VN');

  const build = (opts) => `
    <header class="ps-head">
      <div class="ps-head-text">
        <h1>${esc(t('print.title'))}</h1>
        <p class="ps-site"><b>${esc(title)}</b>${where ? ` — ${esc(where)}` : ''}${area ? ` · ${esc(area)}` : ''}</p>
        <p class="answer ${r.affected ? 'yes' : 'no'}" id="ps-answer"><b>${esc(verdict.replace(/[.:]$/, ''))}.</b> ${esc(summary)}</p>
      </div>
      <div class="ps-qr">${qrSvg(url, { label: t('print.qr') })}<div>${esc(t('print.qr'))}</div></div>
    </header>
    ${mapHtml}
    <section class="ps-lower">
      <div class="ps-coords-block">
        <h3>${esc(coordsTitle)}</h3>
        <p class="ps-muted">${esc(crs)}</p>
        ${coordsHtml(rows, opts.rows, conv)}
      </div>
      <div class="ps-legend-block">
        <h3>${esc(t('print.legend'))}</h3>
        <ul class="legend">${legend}
          <li><span class="swatch" style="background:#ffd400;border:2px solid #111"></span>${esc(t('print.site'))}</li>
          <li><span class="swatch" style="background:#e00000"></span>${esc(t('print.redline'))}</li>
          <li><i class="ps-vertex ps-vertex-key"></i>${esc(t('print.coords.no'))}</li></ul>
      </div>
    </section>
    <section class="ps-plans"><h3>${esc(t('print.plans'))}</h3>${plansHtml(r, opts.plans)}</section>
    <footer class="disclaimer">
      <p>${esc(t('report.datadate', { date: fmtDate(r.data_date) }))} · ${esc(t('print.date', { date: printed }))}</p>
      <p>${esc(en ? r.disclaimer_en : r.disclaimer_vi)}</p>
      <p class="ps-link">${esc(t('print.link'))}: ${esc(url)}</p>
    </footer>`;

  const sheet = document.getElementById('print-sheet');
  fitOnePage(sheet, build, { rows: rows.length, plans: r.plans.length });
  // Only this print shows the sheet: a later Ctrl+P prints the page, not a stale sheet.
  document.body.classList.add('has-print-sheet');
  window.addEventListener('afterprint', () => document.body.classList.remove('has-print-sheet'), { once: true });
  window.print();
}

/**
 * Lays the sheet out off screen at its printed width and shrinks it until it fits one page:
 * a smaller font, then a shorter map, then fewer corner rows (with a note), then fewer plans.
 */
function fitOnePage(sheet, build, full) {
  const limitPx = (PAGE_H_MM - SAFETY_MM) * PX_PER_MM;
  const tries = [
    { size: 'ps-size-1', mapMm: MAP_H_MM },
    { size: 'ps-size-2', mapMm: 90 },
    { size: 'ps-size-3', mapMm: 75 },
  ];
  sheet.classList.add('ps-measure');
  const render = (tr, opts) => {
    sheet.className = `ps-measure ${tr.size}`;
    sheet.style.setProperty('--ps-map-h', `${tr.mapMm}mm`);
    sheet.style.setProperty('--ps-crop', `${((MAP_H_MM - tr.mapMm) / 2).toFixed(2)}mm`);
    sheet.innerHTML = build(opts);
    return sheet.getBoundingClientRect().height <= limitPx;
  };
  let done = false;
  for (const tr of tries) {
    if (render(tr, full)) {
      done = true;
      break;
    }
  }
  const last = tries[tries.length - 1];
  if (!done) {
    // Fewest plans kept first: the corners are what the office asks for.
    let plans = full.plans;
    while (plans > 1 && !render(last, { rows: full.rows, plans })) plans -= 1;
    if (!render(last, { rows: full.rows, plans })) {
      let lo = 1;
      let hi = full.rows;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (render(last, { rows: mid, plans })) lo = mid;
        else hi = mid - 1;
      }
      render(last, { rows: lo, plans });
    }
  }
  sheet.classList.remove('ps-measure');
}
