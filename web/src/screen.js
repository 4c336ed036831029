// Public-screen mode for the LED/LCD boards at commune offices: #screen?commune=31150
// (optional &interval=seconds, &lang=en). Full screen, no interaction needed: it cycles
// through each plan covering the commune and the plan's largest zones, in large text,
// with a QR code that opens the lookup on a phone.
import { t, fmtArea, fmtNum, getLang } from './i18n.js';
import { api } from './api.js';
import { esc, statusBadge, decisionText } from './report.js';
import { qrSvg } from './qr.js';
import { bboxOf, ringArea } from './geo.js';

const ZONES_PER_PLAN = 6;

export async function startScreen(app, params, createMapView, fallbackBounds) {
  const el = document.getElementById('screen');
  el.hidden = false;
  const code = params.get('commune') || '';
  const interval = Math.max(4, Number(params.get('interval')) || 10) * 1000;
  const boundaryLayers = app.meta.layers.filter((l) => l.kind === 'boundaries');
  let commune = null;
  for (const l of boundaryLayers) {
    const fc = await api.collection(l.id, null, 5000).catch(() => ({ features: [] }));
    commune = fc.features.find((f) => String(f.properties.code) === code) || commune;
  }
  if (!commune) {
    el.innerHTML = `<div class="screen-card"><h1>${esc(t('screen.title'))}</h1><p class="big">${esc(t('screen.nocommune', { c: code }))}</p></div>`;
    return;
  }
  const cb = bboxOf(commune.geometry.coordinates);
  const mv = await createMapView(
    'map',
    { codes: app.meta.codes, layers: app.meta.layers, plansById: app.meta.plansById, raster: app.meta.config.raster_base || null, attribution: '' },
    { bounds: [[cb[0], cb[1]], [cb[2], cb[3]]] },
  );
  app.mapView = mv;
  document.body.dataset.mapReady = mv.source;
  mv.setData('qh-highlight', commune);
  // Seen from across a room: a thick outline around the zone being presented.
  mv.map.setPaintProperty('qh-highlight-line', 'line-width', 6);
  mv.map.setPaintProperty('qh-highlight-line', 'line-color', '#0b3d91');

  const url = `${location.origin}${location.pathname}#map=15/${((cb[1] + cb[3]) / 2).toFixed(5)}/${((cb[0] + cb[2]) / 2).toFixed(5)}`;
  const en = getLang() === 'en';
  const codeName = (c) => {
    const x = app.meta.codes.find((k) => k.code === c);
    return x ? (en ? x.name_en : x.name_vi) : c;
  };
  const slides = [];
  for (const plan of app.meta.plans) {
    const zoneLayers = (plan.layers || []).filter((id) => app.meta.layers.find((l) => l.id === id)?.kind === 'zones');
    if (!zoneLayers.length) continue;
    const zones = [];
    for (const id of zoneLayers) {
      const fc = await api.collection(id, cb, 5000).catch(() => ({ features: [] }));
      zones.push(...fc.features);
    }
    if (!zones.length) continue;
    slides.push({ plan, zones: null });
    const area = (f) => (f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates).reduce((a, p) => a + ringArea(p[0]), 0);
    zones
      .map((f) => ({ f, a: area(f) }))
      .sort((x, y) => y.a - x.a)
      .slice(0, ZONES_PER_PLAN)
      .forEach(({ f, a }) => slides.push({ plan, zone: f, area: a }));
  }
  const planGroups = app.meta.layers.filter((l) => l.kind === 'zones' || l.kind === 'redlines').map((l) => l.id);
  let i = 0;
  const show = () => {
    const s = slides[i % slides.length];
    if (!s) return;
    for (const g of planGroups) mv.setGroupVisible(g, (s.plan.layers || []).includes(g));
    const legendCodes = new Set();
    let body;
    if (s.zone) {
      const p = s.zone.properties;
      mv.setData('qh-highlight', s.zone);
      mv.map.fitBounds(
        (([w, so, e, n]) => [[w, so], [e, n]])(bboxOf(s.zone.geometry.coordinates)),
        { padding: { top: 80, bottom: 80, left: window.innerWidth * 0.45, right: window.innerWidth * 0.25 }, maxZoom: 18, duration: 1500 },
      );
      legendCodes.add(p.landuse);
      const ind = [];
      if (p.density_pct != null) ind.push(t('report.density', { v: fmtNum(p.density_pct) }));
      if (p.floors_max != null) ind.push(t('report.floors', { v: p.floors_min != null && p.floors_min !== p.floors_max ? `${p.floors_min}–${p.floors_max}` : p.floors_max }));
      if (p.far != null) ind.push(t('report.far', { v: fmtNum(p.far, 2) }));
      if (p.height_m != null) ind.push(t('report.height', { v: fmtNum(p.height_m) }));
      body = `<p class="big"><strong>${esc(t('screen.zone', { zone: p.name || p.zone_id || '', landuse: `${p.landuse} – ${codeName(p.landuse)}` }))}</strong></p>
        <p class="big">${esc(t('report.area'))}: ${esc(fmtArea(s.area))}</p>${ind.map((x) => `<p class="big">${esc(x)}</p>`).join('')}`;
    } else {
      mv.setData('qh-highlight', commune);
      mv.map.fitBounds([[cb[0], cb[1]], [cb[2], cb[3]]], { padding: 60, duration: 1500 });
      body = `<p class="big">${esc(t(`level.${s.plan.level}`))}</p>`;
      for (const sl of slides) if (sl.plan === s.plan && sl.zone) legendCodes.add(sl.zone.properties.landuse);
    }
    const legend = [...legendCodes]
      .map((c) => `<div><span class="swatch" style="background:${esc(app.meta.codes.find((k) => k.code === c)?.color || '#ddd')};width:1.2em;height:1.2em"></span>${esc(c)} – ${esc(codeName(c))}</div>`)
      .join('');
    el.innerHTML = `
      <div class="screen-card" aria-live="polite">
        <p class="big" style="margin:0">${esc(t('screen.title'))} — ${esc(commune.properties.name || code)}</p>
        <h1>${esc(s.plan.name)}</h1>
        <p class="big">${statusBadge(s.plan.status)} ${esc(decisionText(s.plan))}</p>
        ${s.plan.status === 'draft' ? `<p class="big"><strong>${esc(t('report.draft'))}</strong></p>` : ''}
        ${body}
      </div>
      <div class="screen-legend">${legend}</div>
      <div class="screen-qr">${qrSvg(url, { label: t('screen.scan') })}<div>${esc(t('screen.scan'))}</div></div>
      <button type="button" class="btn screen-exit" id="screen-exit">${esc(t('screen.exit'))}</button>`;
    el.querySelector('#screen-exit').addEventListener('click', () => {
      location.hash = '';
      location.reload();
    });
    i += 1;
  };
  show();
  app.screenTimer = setInterval(show, interval);
}
