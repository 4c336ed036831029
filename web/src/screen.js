// Public-screen mode for the LED/LCD boards at commune offices: #screen?commune=31150
// (optional &interval=seconds, &lang=en). Full screen, no interaction needed: it cycles
// through the commune's published notices first (GET /api/v1/notices?commune=), then each
// plan covering the commune and the plan's largest zones, in large text, with a QR code
// that opens the lookup (or the consultation) on a phone.
//
// The card is a column on the left; the map is fitted to the rest of the screen (fitBounds
// padding measured from the card), so the zone being presented is never under it. Road
// corridors (DGT) are drawn but never get a slide of their own. The legend lists every
// land-use code of the plan's zones in the map's view once the map has moved there.
import { t, fmtArea, fmtNum, fmtDate, getLang } from './i18n.js';
import { api } from './api.js';
import { esc, statusBadge, decisionText } from './report.js';
import { qrSvg } from './qr.js';
import { bboxOf, ringArea } from './geo.js';

/** Zone slides per plan: the largest zones; the others are on the map and in the lookup. */
const ZONES_PER_PLAN = 5;
/** Road corridors: drawn on the map, never presented on a slide of their own. */
const ROAD = 'DGT';
/** A zone under this share of its plan's zones in the commune gets no slide (slivers). */
const MIN_ZONE_SHARE = 0.01;
/** Up to this many codes the legend names each one; beyond, the codes alone. */
const LEGEND_NAMES_MAX = 3;
/** Notices shown, newest first (the API's order). */
const MAX_NOTICES = 5;
/** The notices are fetched again at the end of a round once this old (a screen is left on). */
const REFRESH_MS = 10 * 60 * 1000;
/** Most zone features read per plan layer for the commune. */
const MAX_ZONES = 5000;

const reducedMotion = () => !!window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
const polys = (g) => (g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : []);
const featArea = (f) => polys(f.geometry).reduce((a, p) => a + ringArea(p[0]), 0);
const boxOf = (f) => (f._bbox ||= bboxOf(f.geometry.coordinates));
const union = (a, b) => (a ? [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])] : b);
const grow = (b, k) => {
  const dx = (b[2] - b[0]) * k;
  const dy = (b[3] - b[1]) * k;
  return [b[0] - dx, b[1] - dy, b[2] + dx, b[3] + dy];
};
const hits = (a, b) => a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];

/** The commune's published notices; none while the notices API is missing (404) or down. */
async function fetchNotices(code) {
  try {
    const r = await fetch(`/api/v1/notices?commune=${encodeURIComponent(code)}&limit=${MAX_NOTICES}`, { cache: 'no-store' });
    if (!r.ok) return [];
    const j = await r.json();
    return Array.isArray(j?.notices) ? j.notices.slice(0, MAX_NOTICES) : [];
  } catch {
    return [];
  }
}

export async function startScreen(app, params, createMapView, fallbackBounds) {
  const el = document.getElementById('screen');
  el.hidden = false;
  const code = params.get('commune') || '';
  const interval = Math.min(600, Math.max(4, Number(params.get('interval')) || 10)) * 1000;
  const en = getLang() === 'en';
  const boundaryLayers = app.meta.layers.filter((l) => l.kind === 'boundaries');
  let commune = null;
  for (const l of boundaryLayers) {
    const fc = await api.collection(l.id, null, 5000).catch(() => ({ features: [] }));
    commune = fc.features.find((f) => String(f.properties.code) === code) || commune;
  }
  if (!commune) {
    el.innerHTML = `<div class="screen-card screen-calm" data-card><h1>${esc(t('screen.title'))}</h1><p class="big">${esc(t('screen.nocommune', { c: code }))}</p></div>`;
    return;
  }
  const cb = bboxOf(commune.geometry.coordinates);
  const communeName = commune.properties.name || code;
  const mv = await createMapView(
    'map',
    { codes: app.meta.codes, layers: app.meta.layers, plansById: app.meta.plansById, raster: app.meta.config.raster_base || null, attribution: '' },
    { bounds: [[cb[0], cb[1]], [cb[2], cb[3]]] },
  );
  app.mapView = mv;
  document.body.dataset.mapReady = mv.source;
  const map = mv.map;
  // Seen from across a room: a thick dark outline on a white casing around what is presented.
  if (!map.getLayer('qh-screen-casing')) {
    map.addLayer({ id: 'qh-screen-casing', type: 'line', source: 'qh-highlight', paint: { 'line-color': '#ffffff', 'line-width': 12 } }, 'qh-highlight-line');
  }
  map.setPaintProperty('qh-highlight-line', 'line-width', 6);
  map.setPaintProperty('qh-highlight-line', 'line-color', '#0b3d91');
  map.setPaintProperty('qh-highlight-line', 'line-dasharray', undefined);

  const codeOf = (c) => app.meta.codes.find((k) => k.code === c);
  const codeName = (c) => {
    const x = codeOf(c);
    return x ? (en ? x.name_en : x.name_vi) : c;
  };
  const mapLink = (b, zoom) => `${location.origin}${location.pathname}#map=${zoom}/${((b[1] + b[3]) / 2).toFixed(5)}/${((b[0] + b[2]) / 2).toFixed(5)}`;
  const planGroups = app.meta.layers.filter((l) => l.kind === 'zones' || l.kind === 'redlines').map((l) => l.id);
  const zoneLayersOf = (plan) => (plan?.layers || []).filter((id) => app.meta.layers.find((l) => l.id === id)?.kind === 'zones');

  // The zones of a plan around a box, read once per plan and box.
  const zoneCache = new Map();
  const zonesIn = async (plan, box) => {
    const key = `${plan.id} ${box.join(',')}`;
    if (!zoneCache.has(key)) {
      const out = [];
      for (const id of zoneLayersOf(plan)) {
        const fc = await api.collection(id, box, MAX_ZONES).catch(() => ({ features: [] }));
        out.push(...fc.features.filter((f) => f.geometry && polys(f.geometry).length));
      }
      for (const f of out) f._area = featArea(f);
      zoneCache.set(key, out);
    }
    return zoneCache.get(key);
  };

  // A little more than the commune, so zones at its edge are in the legend too.
  const around = grow(cb, 0.25);

  async function planSlides() {
    const slides = [];
    for (const plan of app.meta.plans) {
      if (!zoneLayersOf(plan).length) continue;
      const all = await zonesIn(plan, around);
      const inCommune = all.filter((f) => hits(boxOf(f), cb));
      if (!inCommune.length) continue;
      slides.push({ type: 'plan', plan, zones: all, highlight: commune, bounds: cb });
      const total = inCommune.reduce((a, f) => a + f._area, 0);
      inCommune
        .filter((f) => f.properties.landuse !== ROAD && f._area >= total * MIN_ZONE_SHARE)
        .sort((x, y) => y._area - x._area)
        .slice(0, ZONES_PER_PLAN)
        .forEach((f) => slides.push({ type: 'zone', plan, zone: f, zones: all, highlight: f, bounds: boxOf(f) }));
    }
    return slides;
  }

  async function noticeSlides() {
    const slides = [];
    for (const n of await fetchNotices(code)) {
      const plan = app.meta.plansById?.[n.plan?.id] || app.meta.plans.find((p) => p.id === n.plan?.id);
      const areaBox = Array.isArray(n.area?.bbox) && n.area.bbox.length === 4 && n.area.bbox.every(Number.isFinite) ? n.area.bbox : cb;
      const zones = plan ? await zonesIn(plan, grow(areaBox, 0.25)) : [];
      // The notice's zones (not the road corridors), their geometries from the plan's layer.
      const ids = new Set((n.zones || []).filter((z) => !z.road && z.landuse !== ROAD && z.zone_id).map((z) => String(z.zone_id)));
      const marked = zones.filter((f) => ids.has(String(f.properties.zone_id)) && f.properties.landuse !== ROAD);
      let bounds = areaBox;
      for (const f of marked) bounds = union(bounds, boxOf(f));
      const highlight = { type: 'FeatureCollection', features: marked.length ? marked : [] };
      slides.push({ type: 'notice', notice: n, plan, zones, highlight, bounds, marked });
      slides.push({ type: 'notice-howto', notice: n, plan, zones, highlight, bounds, marked });
    }
    return slides;
  }

  let slides = [];
  let builtAt = 0;
  async function build() {
    const next = [...(await noticeSlides()), ...(await planSlides())];
    if (!next.length) next.push({ type: 'empty', highlight: commune, bounds: cb, zones: [] });
    slides = next;
    builtAt = Date.now();
  }
  await build();

  const legendHtml = (codes) => {
    if (!codes.length) return '';
    const names = codes.length <= LEGEND_NAMES_MAX;
    const items = codes
      .map((c) => `<li data-code="${esc(c)}"><span class="screen-sw" style="background:${esc(codeOf(c)?.color || '#ddd')}"></span><span class="screen-lt">${esc(c)}${names ? ` – ${esc(codeName(c))}` : ''}</span></li>`)
      .join('');
    return `<h2 class="vh">${esc(t('screen.legend'))}</h2><ul class="${names ? 'screen-names' : 'screen-chips'}">${items}</ul>`;
  };
  // Land-use codes of the slide's zones inside the map's view, the largest there first.
  const codesInView = (zones) => {
    const b = map.getBounds();
    const view = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
    const area = new Map();
    for (const f of zones) {
      const c = f.properties.landuse;
      if (!c || !hits(boxOf(f), view)) continue;
      area.set(c, (area.get(c) || 0) + f._area);
    }
    return [...area.entries()].sort((a, b2) => b2[1] - a[1]).map(([c]) => c);
  };

  const noticeText = (n, vi, enKey) => (en ? n[enKey] || n[vi] : n[vi]) || '';
  const docLine = (p) =>
    t('screen.doc', {
      kind: en ? p.document_kind_en : p.document_kind_vi,
      number: p.document_number,
      date: fmtDate(p.document_date),
      authority: en ? p.authority_en : p.authority_vi,
    });
  const officeLine = (o) => [noticeText(o, 'name_vi', 'name_en'), o.address, o.phone ? t('screen.phone', { v: o.phone }) : null].filter(Boolean).join(', ');

  function cardOf(s, k) {
    const counter = `<span class="screen-count">${k + 1} / ${slides.length}</span>`;
    const kicker = (text) => `<p class="screen-kicker"><span>${esc(text)}</span>${counter}</p>`;
    const qr = (url, caption) => `<div class="screen-qr" data-qr>${qrSvg(url, { label: `${t('screen.qr')}: ${url}` })}<p>${esc(caption)}</p></div>`;
    if (s.type === 'empty') {
      return `${kicker(`${communeName} — ${t('screen.title')}`)}
        <div class="screen-body"><h1>${esc(t('screen.empty'))}</h1><p class="big">${esc(t('screen.scan'))}</p></div>
        ${qr(`${location.origin}${location.pathname}`, t('screen.scan'))}`;
    }
    if (s.type === 'notice' || s.type === 'notice-howto') {
      const n = s.notice;
      const p = n.plan || {};
      const draft = n.kind === 'consultation' || p.binding === false;
      const tag = `<p class="big screen-tag${draft ? ' screen-draft' : ''}">${esc(noticeText(n, 'title_vi', 'title_en'))}</p>`;
      const area = noticeText(n.area || {}, 'name_vi', 'name_en');
      const comment = n.kind === 'consultation' && n.links?.comment;
      const qrUrl = comment || n.links?.map || mapLink(s.bounds, 15);
      const qrBox = qr(qrUrl, comment ? t('screen.scan.comment') : t('screen.scan.map'));
      const window_ = n.consultation ? t('screen.notice.window', { opens: fmtDate(n.consultation.opens), closes: fmtDate(n.consultation.closes) }) : null;
      if (s.type === 'notice') {
        const codes = [...new Set(s.marked.map((f) => f.properties.landuse))];
        const marked = s.marked.length
          ? `<p class="big">${esc(t('screen.notice.marked', { n: s.marked.length, codes: codes.map((c) => `${c} – ${codeName(c)}`).join('; ') }))}</p>`
          : '';
        return `${kicker(`${area} — ${t('screen.notice.kicker')}`)}
          <div class="screen-body">${tag}<h1>${esc(p.name || '')}</h1>
          <p class="big">${esc(docLine(p))}</p>
          ${draft ? `<p class="big screen-draft"><strong>${esc(t('report.draft'))}</strong></p>` : `<p class="big"><strong>${esc(noticeText(p, 'status_vi', 'status_en'))}</strong></p>`}
          ${marked}
          <p class="big">${esc(window_ || t('screen.notice.date', { d: fmtDate(n.date) }))}</p></div>
          <div class="screen-legend" data-legend></div>
          ${qrBox}`;
      }
      const head = window_ || t('screen.notice.documents');
      const online = comment ? t('screen.howto.online', { url: comment.replace(/^https?:\/\//, '') }) : null;
      const office = n.office ? officeLine(n.office) : '';
      return `${kicker(`${area} — ${t('screen.notice.kicker')}`)}
        <div class="screen-body">${tag}<h1>${esc(head)}</h1>
        ${online ? `<p class="big">${esc(online)}</p>` : ''}
        ${office ? `<p class="big">${esc(t(comment ? 'screen.howto.office' : 'screen.howto.see', { office }))}</p>` : ''}
        <p class="big">${esc(t('screen.howto.lookup', { url: (n.links?.portal || location.origin).replace(/^https?:\/\//, '') }))}</p></div>
        <div class="screen-legend" data-legend></div>
        ${qrBox}`;
    }
    const plan = s.plan;
    const head = `${kicker(`${communeName} — ${t('screen.title')}`)}`;
    const status = `<p class="big">${statusBadge(plan.status)} ${esc(decisionText(plan))}</p>${plan.status === 'draft' ? `<p class="big screen-draft"><strong>${esc(t('report.draft'))}</strong></p>` : ''}`;
    if (s.type === 'zone') {
      const p = s.zone.properties;
      const ind = [];
      if (p.density_pct != null) ind.push(t('report.density', { v: fmtNum(p.density_pct) }));
      if (p.floors_max != null) ind.push(t('report.floors', { v: p.floors_min != null && p.floors_min !== p.floors_max ? `${p.floors_min}–${p.floors_max}` : p.floors_max }));
      if (p.far != null) ind.push(t('report.far', { v: fmtNum(p.far, 2) }));
      if (p.height_m != null) ind.push(t('report.height', { v: fmtNum(p.height_m) }));
      return `${head}<div class="screen-body"><p class="big screen-plan">${esc(plan.name)}</p>
        <h1>${esc(p.name ? t('screen.zone.named', { name: p.name, landuse: `${p.landuse} – ${codeName(p.landuse)}` }) : t('screen.zone', { zone: p.zone_id || '', landuse: `${p.landuse} – ${codeName(p.landuse)}` }))}</h1>
        ${plan.status === 'draft' ? `<p class="big screen-draft"><strong>${esc(t('report.draft'))}</strong></p>` : ''}
        <p class="big">${esc(t('report.area'))}: ${esc(fmtArea(s.zone._area))}</p>${ind.map((x) => `<p class="big">${esc(x)}</p>`).join('')}</div>
        <div class="screen-legend" data-legend></div>
        ${qr(mapLink(boxOf(s.zone), 17), t('screen.scan'))}`;
    }
    return `${head}<div class="screen-body"><h1>${esc(plan.name)}</h1>${status}
      <p class="big">${esc(t(`level.${plan.level}`))}</p></div>
      <div class="screen-legend" data-legend></div>
      ${qr(mapLink(cb, 15), t('screen.scan'))}`;
  }

  let i = 0;
  let seq = 0;
  const show = () => {
    const k = i % slides.length;
    const s = slides[k];
    const token = ++seq;
    const planId = s.plan?.id;
    for (const g of planGroups) mv.setGroupVisible(g, !!s.plan && (s.plan.layers || []).includes(g));
    mv.setData('qh-highlight', s.highlight);
    el.dataset.slide = s.type;
    el.dataset.index = String(k);
    el.dataset.plan = planId || '';
    el.dataset.landuse = s.zone?.properties.landuse || '';
    delete el.dataset.settled;
    el.innerHTML = `
      <div class="screen-card${s.type === 'empty' ? ' screen-calm' : ''}" data-card aria-live="polite">${cardOf(s, k)}</div>
      <div class="screen-progress" aria-hidden="true"><span style="width:${(((k + 1) / slides.length) * 100).toFixed(2)}%"></span></div>
      <button type="button" class="btn screen-exit" id="screen-exit">${esc(t('screen.exit'))}</button>`;
    el.querySelector('#screen-exit').addEventListener('click', () => {
      location.hash = '';
      location.reload();
    });
    // The map fits the part of the screen the card leaves free.
    const card = el.querySelector('[data-card]').getBoundingClientRect();
    const vw = window.innerWidth;
    const vh = window.innerHeight;
    const padding = {
      left: Math.min(card.right + vw * 0.03, vw * 0.7),
      top: Math.max(vh * 0.08, 60),
      right: Math.max(vw * 0.03, 40),
      bottom: Math.max(vh * 0.06, 40),
    };
    const settle = () => {
      if (token !== seq) return;
      const box = el.querySelector('[data-legend]');
      if (box) box.innerHTML = legendHtml(codesInView(s.zones || []));
      el.dataset.settled = String(k);
    };
    const b = s.bounds;
    const duration = reducedMotion() ? 0 : 1200;
    map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding, maxZoom: 18, duration });
    if (duration === 0) settle();
    else {
      map.once('moveend', settle);
      // A move to where the map already is may end without a moveend on some versions.
      setTimeout(settle, duration + 800);
    }
  };
  const tick = async () => {
    i += 1;
    if (i % slides.length === 0 && Date.now() - builtAt > REFRESH_MS) {
      await build().catch(() => {});
      i = 0;
    }
    show();
  };
  show();
  app.screenTimer = setInterval(tick, interval);
  window.quyhoachScreen = {
    slides: () => slides.map((s) => ({ type: s.type, plan: s.plan?.id || s.notice?.plan?.id || null, landuse: s.zone?.properties.landuse || null, bounds: s.bounds })),
    index: () => i % slides.length,
    next: () => tick(),
    highlightBounds: () => {
      const h = slides[i % slides.length]?.highlight;
      const fs = h?.type === 'FeatureCollection' ? h.features : h ? [h] : [];
      return fs.reduce((a, f) => union(a, boxOf(f)), null);
    },
  };
}
