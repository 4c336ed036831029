// The layer panel: current vs planned use (with a swipe comparison), the plans with their
// status and approving decision, other layers, the base map, opacity, and the land-use legend.
import { t, getLang } from './i18n.js';
import { esc, statusBadge, decisionText } from './report.js';

import { qgisLink, wireQgisLink } from './strings/qgis.js';

const GROUP_NAMES = { parcels: 'layers.parcels', current: 'layers.current', communes: 'layers.communes', roads: 'layers.roads' };

export function renderLayersPanel(body, app) {
  const mv = app.mapView;
  const { plans, layers, codes, config } = app.meta;
  app.opacity = app.opacity || {};
  const groups = mv ? mv.groups() : new Map();
  const has = (g) => groups.has(g);
  const visible = (g) => (mv ? !app.hiddenGroups.has(g) && (g === 'current' ? mv.isGroupVisible(g) : true) : true);
  const slider = (g, name) => `<label class="sr-only" for="op-${esc(g)}">${esc(t('layers.opacity', { name }))}</label>
      <input type="range" id="op-${esc(g)}" data-op="${esc(g)}" min="0" max="100" value="${Math.round((app.opacity[g] ?? 1) * 100)}" />`;

  const planRows = plans
    .map((p) => {
      const zoneGroups = (p.layers || []).filter((id) => layers.find((l) => l.id === id)?.kind === 'zones' && has(id));
      if (!zoneGroups.length) return '';
      const on = zoneGroups.some((g) => mv?.isGroupVisible(g) || (app.view === 'current' && !app.hiddenGroups.has(g)));
      const id = `plan-${p.id}`;
      return `<div class="layer-row">
        <input type="checkbox" id="${esc(id)}" data-plan="${esc(p.id)}" data-groups="${esc(zoneGroups.join(','))}" ${on ? 'checked' : ''} />
        <label for="${esc(id)}"><strong>${esc(p.name)}</strong> ${statusBadge(p.status)}</label>
        <div class="meta">${esc(t(`level.${p.level}`))} · ${esc(decisionText(p))}</div>
        ${slider(zoneGroups[0], p.name)}
      </div>`;
    })
    .join('');

  const redGroups = layers.filter((l) => l.kind === 'redlines' && has(l.id)).map((l) => l.id);
  const other = [];
  if (redGroups.length) other.push({ g: redGroups.join(','), name: t('layers.redlines') });
  for (const g of ['current', 'parcels', 'roads', 'communes']) {
    const ids = g === 'parcels' || g === 'roads' || g === 'communes' ? layers.filter((l) => (g === 'parcels' ? l.kind === 'parcels' : g === 'roads' ? l.kind === 'roads' : l.kind === 'boundaries')).map((l) => l.id).filter(has) : has(g) ? [g] : [];
    if (ids.length) other.push({ g: ids.join(','), name: t(GROUP_NAMES[g]) });
  }
  const otherRows = other
    .map(({ g, name }) => {
      const first = g.split(',')[0];
      // What is drawn, in every view: red lines too are hidden with the plans in "current"
      // view (MapView.setView), and ticking them there draws them over the current use.
      const on = mv ? g.split(',').some((x) => mv.isGroupVisible(x)) : true;
      const id = `lyr-${first}`;
      return `<div class="layer-row">
        <input type="checkbox" id="${esc(id)}" data-groups="${esc(g)}" ${on ? 'checked' : ''} ${first === 'current' && app.view !== 'planned' ? 'disabled' : ''} />
        <label for="${esc(id)}">${esc(name)}</label>
        ${slider(g, name)}
      </div>`;
    })
    .join('');

  const en = getLang() === 'en';
  const groupsOrder = ['NNP', 'PNN', 'CSD'];
  const legend = codes
    .slice()
    .sort((a, b) => groupsOrder.indexOf(a.group) - groupsOrder.indexOf(b.group))
    .map((c) => `<li data-code="${esc(c.code)}"><span class="swatch" style="background:${esc(c.color)}"></span><code>${esc(c.code)}</code>${esc(en ? c.name_en : c.name_vi)}</li>`)
    .join('');

  const seg = ['current', 'planned', 'compare']
    .map((v) => `<button type="button" data-viewmode="${v}" aria-pressed="${app.view === v}">${esc(t(`layers.view.${v}`))}</button>`)
    .join('');

  body.innerHTML = `
    <h3 id="view-label">${esc(t('layers.view'))}</h3>
    <div class="seg" role="group" aria-labelledby="view-label">${seg}</div>
    ${app.view === 'compare' ? `<p class="muted small">${esc(t('layers.compare.hint'))}</p>` : ''}
    <h3>${esc(t('layers.plans'))}</h3>
    ${planRows || '<p class="muted">—</p>'}
    <h3>${esc(t('layers.other'))}</h3>
    ${otherRows}
    ${has('base') ? baseChoice(mv.isGroupVisible('base'), config.raster_base?.attribution, slider) : ''}
    <details id="legend" open>
      <summary>${esc(t('layers.legend'))}</summary>
      <label class="small"><input type="checkbox" id="legend-inview" ${app.legendInView ? 'checked' : ''}/> ${esc(t('layers.legend.inview'))}</label>
      <ul class="legend">${legend}</ul>
    </details>
    ${qgisLink()}`;
  wireQgisLink(body, app);

  const filterLegend = () => {
    if (!mv) return;
    const inView = app.legendInView ? mv.landuseInView() : null;
    body.querySelectorAll('.legend li').forEach((li) => (li.hidden = !!inView && !inView.has(li.dataset.code)));
  };
  filterLegend();
  body.querySelector('#legend-inview').addEventListener('change', (e) => {
    app.legendInView = e.target.checked;
    filterLegend();
  });

  body.querySelectorAll('[data-viewmode]').forEach((b) =>
    b.addEventListener('click', async () => {
      app.view = b.dataset.viewmode;
      await mv?.setView(app.view, app.planGroups());
      app.writeHash();
      renderLayersPanel(body, app);
    }),
  );
  const planGroups = new Set(app.planGroups());
  /** Shows or hides a group on both sides of the swipe; the current-use side never shows plans. */
  const setVisible = (g, on) => {
    mv.setGroupVisible(g, on);
    if (mv.compare && !planGroups.has(g)) mv.setGroupVisible(g, on, mv.compare.map);
  };
  body.querySelectorAll('input[type=checkbox][data-groups]').forEach((cb) =>
    cb.addEventListener('change', () => {
      for (const g of cb.dataset.groups.split(',')) {
        if (cb.checked) app.hiddenGroups.delete(g);
        else app.hiddenGroups.add(g);
        // In "current" view plans stay hidden; the choice applies when plans are shown again.
        const isPlan = !!cb.dataset.plan;
        if (mv && !(isPlan && app.view === 'current')) setVisible(g, cb.checked);
      }
      if (mv) mv.hidden = app.hiddenGroups;
    }),
  );
  body.querySelectorAll('input[type=radio][name=base]').forEach((r) => r.addEventListener('change', () => setVisible('base', r.value === 'raster')));
  body.querySelectorAll('input[type=range][data-op]').forEach((r) =>
    r.addEventListener('input', () => {
      const v = Number(r.value) / 100;
      const row = r.closest('.layer-row').querySelector('[data-groups]');
      for (const g of row ? row.dataset.groups.split(',') : [r.dataset.op]) {
        app.opacity[g] = v;
        mv?.setGroupOpacity(g, v);
      }
      app.opacity[r.dataset.op] = v;
    }),
  );
}

/**
 * The operator's raster base map (config.json `raster_base`) or our plain background,
 * where the planning data's own roads and boundaries are the only base.
 */
function baseChoice(rasterOn, attribution, slider) {
  const name = t('layers.base.raster');
  // Attributions may hold links (MapLibre shows them as HTML); here they are plain text.
  const source = attribution ? `<div class="meta">${esc(attribution.replace(/<[^>]*>/g, ''))}</div>` : '';
  return `<h3 id="base-label">${esc(t('layers.base'))}</h3>
    <div role="radiogroup" aria-labelledby="base-label">
      <div class="layer-row">
        <input type="radio" name="base" id="base-own" value="own" ${rasterOn ? '' : 'checked'} />
        <label for="base-own">${esc(t('layers.base.own'))}</label>
      </div>
      <div class="layer-row">
        <input type="radio" name="base" id="base-raster" value="raster" ${rasterOn ? 'checked' : ''} />
        <label for="base-raster">${esc(name)}</label>
        ${source}
        ${slider('base', name)}
      </div>
    </div>`;
}
