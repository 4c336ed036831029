// The app's controller: the page shell, search, selection, reports and the URL state.
// The map (MapLibre) arrives later as its own chunk; everything here works before it.
import { t, setLang, initialLang, onLangChange, getLang, mapLocale } from './i18n.js';
import { api, optionalJson, dataVersion } from './api.js';
import { parseHash, buildLink, absoluteUrl } from './hash.js';
import { initSearch } from './search.js';
import { reportHtml, reportCsv, reportSpeech, download, esc, siteTitle } from './report.js';
import { bboxOf, multiPolygon } from './geo.js';
import { renderLayersPanel } from './layers.js';
import { renderToolsPanel, Tools, skippedNotice } from './tools.js';
import { speech, onVoices, spokenText } from './speech.js';
import { maybeStartTour, startTour, endTour } from './tour.js';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { showHelp, hideHelp, rerenderHelp } from './help.js';
import { initSheet } from './sheet.js';

const DEFAULT_PROVINCE = 'kien-giang';

export const app = {
  meta: { codes: [], plans: [], plansById: {}, layers: [], config: {} },
  mapView: null,
  /** Selected parcels (GeoJSON features from the API). */
  selection: [],
  /** A drawn or uploaded site: a GeoJSON MultiPolygon. */
  site: null,
  report: null,
  reportCtx: {},
  panelView: null,
  multiMode: false,
  view: 'planned',
  hiddenGroups: new Set(),
};

// ---------------------------------------------------------------- small UI helpers
let toastTimer = 0;
export function toast(msg, isError = false) {
  const el = document.getElementById('toast');
  el.textContent = msg;
  el.classList.toggle('err', isError);
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 5000);
}

const panel = document.getElementById('panel');
const panelTitle = document.getElementById('panel-title');
const panelBody = document.getElementById('panel-body');

export function openPanel(view, { focus = true } = {}) {
  document.getElementById('preview-answer')?.remove(); // the server's one-line answer: the panel says more
  app.panelView = view;
  panel.hidden = false;
  panel.dataset.view = view;
  document.querySelectorAll('.actions [data-view]').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.view === view)));
  renderPanel();
  app.sheet?.changed();
  if (focus) panelTitle.focus({ preventScroll: true });
}

export function closePanel() {
  if (app.panelView === 'report') document.title = t('app.title');
  panel.hidden = true;
  app.panelView = null;
  document.querySelectorAll('.actions [data-view]').forEach((b) => b.setAttribute('aria-pressed', 'false'));
  app.tools?.stop();
  app.sheet?.changed();
}

function renderPanel() {
  const v = app.panelView;
  if (!v) return;
  renderPanelNote();
  if (v === 'layers') {
    panelTitle.textContent = t('layers.title');
    renderLayersPanel(panelBody, app);
  } else if (v === 'tools') {
    panelTitle.textContent = t('tools.title');
    renderToolsPanel(panelBody, app);
  } else if (v === 'report') {
    panelTitle.textContent = t('report.title');
    renderReportPanel();
  } else if (v === 'message') {
    panelTitle.textContent = t('report.title');
    panelBody.innerHTML = `<p>${esc(app.message)}</p><p class="muted">${esc(t('click.hint'))}</p>`;
  }
}

/**
 * The note above a report (features an upload left out). It lives in #panel-note, a status
 * region that stays in the page while the panel's body is redrawn, so screen readers hear
 * it once, and it is cleared when the panel shows anything else.
 */
function renderPanelNote() {
  const el = document.getElementById('panel-note');
  if (!el) return;
  const note = app.panelView === 'report' ? app.reportCtx?.note : null;
  const text = note?.skipped ? skippedNotice(note.skipped) : '';
  if (el.textContent !== text) el.textContent = text;
}

function showMessage(msg) {
  app.message = msg;
  openPanel('message', { focus: false });
}

// ---------------------------------------------------------------- reports
function renderReportPanel() {
  if (app.reportLoading) {
    panelBody.innerHTML = `<p role="status"><span class="spinner" style="display:inline-block;vertical-align:middle"></span> ${esc(t('report.loading'))}</p>`;
    return;
  }
  if (app.reportError) {
    panelBody.innerHTML = `<p class="error" role="alert">${esc(t('report.error', { msg: app.reportError }))}</p>`;
    return;
  }
  const r = app.report;
  if (!r) return;
  // Bookmarks, tabs and share sheets name the parcel, as the server's page title does.
  document.title = `${siteTitle(r, app.reportCtx)} — ${t('app.title')}`;
  const s = r.site || {};
  const single = s.kind === 'parcel' && !app.reportCtx.multi;
  const actions = `
    <div class="actions-row" role="group" aria-label="${esc(t('report.actions'))}">
      <button type="button" class="btn" id="act-print">${esc(t('report.print'))}</button>
      <button type="button" class="btn" id="act-share">${esc(t('report.share.btn'))}</button>
      ${readButton()}
      ${single ? `<a class="btn" id="act-audio" href="${esc(reportAudioUrl(s))}" download>${esc(getLang() === 'en' ? 'Download as audio (MP3)' : 'Tải bản đọc (MP3)')}</a>` : ''}
      ${single ? `<a class="btn" id="act-text" href="${esc(api.reportHtmlUrl(s.commune_code, s.sheet, s.parcel) + (app.reportCtx.dupN ? `?n=${app.reportCtx.dupN}` : ''))}">${esc(t('report.textonly'))}</a>` : ''}
    </div>${speech.available() ? '' : `<p class="small muted" id="read-novoice">${esc(noVoiceText())}</p>`}`;
  const exports = `
    <div class="actions-row">
      <button type="button" class="btn" id="act-json">${esc(t('report.export.json'))}</button>
      <button type="button" class="btn" id="act-csv">${esc(t('report.export.csv'))}</button>
      <button type="button" class="btn" id="act-geojson">${esc(t('report.export.geojson'))}</button>
    </div>`;
  const dup = single && app.reportCtx.dupN ? `<p class="small dup-note" id="dup-note">${esc(t('report.duplicate', { n: app.reportCtx.dupN, count: app.reportCtx.dupCount || '≥ 2', parcel: s.parcel, sheet: s.sheet }))}</p>` : '';
  const multi = app.selection.length > 0 ? `<p class="muted small">${esc(t('report.multi.hint'))}${app.selection.length > 1 ? ` <button type="button" class="btn" id="act-clear">${esc(t('report.multi.clear'))}</button>` : ''}</p>` : '';
  // Ask, report an error, follow (the dialogs load with feedback.js on the first press);
  // the report's Q&A, consultations and per-plan buttons come with twoway-report.js.
  const twoway = `
    <div class="actions-row tw-actions" role="group" aria-label="${esc(t('tw.group'))}">
      <button type="button" class="btn" id="act-ask">${esc(t(single ? 'tw.ask.parcel' : 'tw.ask.site'))}</button>
      <button type="button" class="btn" id="act-error">${esc(t('tw.error'))}</button>
      ${single ? `<button type="button" class="btn" id="act-follow">${esc(t('tw.follow.parcel'))}</button>` : ''}
    </div>
    <div id="report-twoway"></div>`;
  panelBody.innerHTML = dup + reportHtml(r, app.reportCtx) + twoway + actions + exports + multi;
  const on = (id, fn) => document.getElementById(id)?.addEventListener('click', fn);
  on('act-print', () => import('./print.js').then((m) => m.printReport(app)));
  on('act-share', () => import('./share.js').then((m) => m.openShare(currentUrl(), siteTitle(r, app.reportCtx))));
  on('act-read', async () => {
    if (speech.speaking()) {
      speech.stop();
      renderPanel();
      return;
    }
    // The words come from the server's normaliser (the text as written when offline); a
    // second press while they come is ignored.
    if (app.readPending) return;
    app.readPending = true;
    const words = await spokenText(reportSpeech(r, app.reportCtx), getLang());
    app.readPending = false;
    if (app.report !== r) return;
    speech.toggle(words, () => renderPanel());
    renderPanel();
  });
  on('act-json', () => download(`${fileBase()}.json`, JSON.stringify(r, null, 2), 'application/json'));
  on('act-csv', () => download(`${fileBase()}.csv`, reportCsv(r), 'text/csv;charset=utf-8'));
  on('act-geojson', () => download(`${fileBase()}-site.geojson`, JSON.stringify(siteFeature(), null, 2), 'application/geo+json'));
  on('act-clear', () => clearSelection());
  on('act-ask', () => feedback().then((f) => f.openSubmit('question', reportSubject())));
  on('act-error', () => feedback().then((f) => f.openSubmit('error', reportSubject())));
  on('act-follow', () => feedback().then((f) => f.openFollow(reportSubject())));
  const holder = document.getElementById('report-twoway');
  import('./twoway-report.js').then((m) => m.decorateReport(app, holder, reportSubject())).catch(() => {});
}

/**
 * What the report is about, as a submission names it: `{ kind: 'parcel', parcel: 'c/s/p[/n]',
 * commune }` for one parcel, else `{ kind: 'site', geometry }` (the drawn site or the union of
 * the selected parcels); `label`, `area_m2` and the report's data version go with it.
 */
function reportSubject() {
  const r = app.report;
  const s = r?.site || {};
  const base = { area_m2: s.area_m2 ?? null, commune: s.commune_code ? String(s.commune_code) : null, commune_name: s.commune_name || null, data_version: dataVersion() };
  if (s.kind === 'parcel' && !app.reportCtx.multi) {
    const parcel = `${s.commune_code}/${s.sheet}/${s.parcel}${app.reportCtx.dupN ? `/${app.reportCtx.dupN}` : ''}`;
    return { ...base, kind: 'parcel', parcel, sheet: s.sheet, number: s.parcel, link: `?p=${encodeURIComponent(String(s.commune_code))}/${s.sheet}/${s.parcel}${app.reportCtx.dupN ? `/${app.reportCtx.dupN}` : ''}` };
  }
  return { ...base, kind: 'site', geometry: siteGeometry(), multi: app.reportCtx.multi || 0, link: currentUrl() };
}

// The two-way pages and dialogs (feedback.js; official.js for the officials' inbox) load on first use.
let feedbackModule = null;
const feedback = () => (feedbackModule ||= import('./feedback.js').then((m) => m.initTwoway(app)));
let officialModule = null;
const official = () => (officialModule ||= import('./official.js').then((m) => m.initOfficial(app)));
const TWOWAY_PAGES = ['q', 'follow', 'qa', 'mine', 'consultations'];
app.feedback = feedback;

/**
 * The read-aloud button: enabled with a voice of the page's language; without one, shown
 * disabled and explained (#read-novoice says how to install a voice), never just hidden.
 */
function readButton() {
  if (speech.available()) return `<button type="button" class="btn" id="act-read">${esc(t(speech.speaking() ? 'report.read.stop' : 'report.read'))}</button>`;
  return `<button type="button" class="btn" id="act-read-off" disabled aria-describedby="read-novoice">${esc(t('report.read.none'))}</button>`;
}

/** The parcel's report read aloud by the server (MP3, espeak-ng's voice), in the page's language: for devices without a voice. */
function reportAudioUrl(s) {
  const q = new URLSearchParams();
  if (app.reportCtx.dupN) q.set('n', String(app.reportCtx.dupN));
  if (getLang() === 'en') q.set('lang', 'en');
  const qs = q.toString();
  const enc = encodeURIComponent;
  return `/api/v1/parcels/${enc(s.commune_code)}/${enc(s.sheet)}/${enc(s.parcel)}/report.mp3${qs ? `?${qs}` : ''}`;
}

function noVoiceText() {
  if (!speech.supported()) return t('speech.unsupported');
  return t(getLang() === 'vi' ? 'speech.novoice.vi' : 'speech.novoice.en');
}

function fileBase() {
  const s = app.report?.site || {};
  if (s.kind === 'parcel' && !app.reportCtx.multi) return `quyhoach-${s.commune_code}-${s.sheet}-${s.parcel}`;
  return `quyhoach-site-${new Date().toISOString().slice(0, 10)}`;
}

function siteGeometry() {
  if (app.site) return app.site;
  const polys = [];
  for (const f of app.selection) polys.push(...(f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates));
  return polys.length ? multiPolygon(polys) : null;
}

function siteFeature() {
  const r = app.report;
  return {
    type: 'Feature',
    geometry: siteGeometry(),
    properties: {
      label: r ? siteTitle(r, app.reportCtx) : null,
      parcels: app.selection.map((f) => `${f.properties.commune_code}/${f.properties.sheet}/${f.properties.parcel}`),
      area_m2: r?.site?.area_m2 ?? null,
      affected: r?.affected ?? null,
      summary_vi: r?.summary_vi ?? null,
    },
  };
}

async function runReport(fetcher, ctx = {}) {
  app.report = null;
  app.reportError = null;
  app.reportLoading = true;
  app.reportCtx = ctx;
  speech.stop();
  openPanel('report', { focus: false });
  try {
    const r = await fetcher();
    app.report = r;
  } catch (e) {
    app.reportError = e.status === 0 ? t('error.network') : e.message;
  } finally {
    app.reportLoading = false;
    renderPanel();
    panelTitle.focus({ preventScroll: true });
    writeHash();
  }
  if (app.report) announceReport();
}

/** Tells listeners (the lesson runner, learn.js) what report is now shown: a parcel or a site. */
function announceReport() {
  if (app.site) {
    window.dispatchEvent(new CustomEvent('qh:site-reported', { detail: { geometry: app.site } }));
  } else if (app.selection.length === 1) {
    const f = app.selection[0];
    const p = f.properties;
    const detail = { commune: String(p.commune_code), sheet: String(p.sheet), parcel: String(p.parcel), ...(f.dupN ? { n: f.dupN } : {}) };
    window.dispatchEvent(new CustomEvent('qh:parcel-opened', { detail }));
  }
}

/** The layer groups drawn on the map now (after a layer checkbox changed: `qh:layers-changed`). */
function visibleGroups() {
  const mv = app.mapView;
  return mv ? [...mv.groups().keys()].filter((g) => mv.isGroupVisible(g)) : [];
}

/** A selected feature: parcels sharing a number (duplicates in the cadastral map) differ by feature id. */
const parcelKey = (f) => `${f.layer}:${f.id ?? `${f.properties.commune_code}/${f.properties.sheet}/${f.properties.parcel}`}`;
/** A parcel as its link says it: `c/s/p`, or `c/s/p/n` for the n-th of parcels sharing the number. */
const linkKey = (p) => `${p.commune}/${p.sheet}/${p.parcel}${p.n ? `/${p.n}` : ''}`;

/**
 * Numbers a feature among the parcels that share its number: features sorted by id, n 1-based
 * (the API's 409 `matches` and `?n=`). Sets `f.dupN`/`f.dupCount` when there are several.
 */
function rankAmong(f, features) {
  const ids = features.map((x) => x.id).filter((x) => x != null).sort((a, b) => a - b);
  if (ids.length > 1 && ids.includes(f.id)) {
    f.dupN = ids.indexOf(f.id) + 1;
    f.dupCount = ids.length;
  } else {
    delete f.dupN;
    delete f.dupCount;
  }
  return f;
}

function parcelReport() {
  const sel = app.selection;
  if (sel.length === 1) {
    const f = sel[0];
    const p = f.properties;
    const ctx = {};
    const byId = () => api.report({ layer: f.layer, id: f.id });
    const dupCtx = () => Object.assign(ctx, f.dupN ? { dupN: f.dupN, dupCount: f.dupCount } : {});
    // A parcel known to share its number is asked for by feature id: the number alone names
    // several parcels (the API answers 409).
    if (f.dupN && f.layer && f.id != null) return runReport(() => byId(), dupCtx());
    return runReport(
      () =>
        api.parcelReport(p.commune_code, p.sheet, p.parcel).catch(async (e) => {
          if (e.status !== 409 || !f.layer || f.id == null) throw e;
          const fc = await api.parcel(p.commune_code, p.sheet, p.parcel).catch(() => ({ features: [] }));
          rankAmong(f, fc.features || []);
          dupCtx();
          return byId();
        }),
      ctx,
    );
  }
  return runReport(async () => {
    const { default: pc } = await import('polygon-clipping');
    const polys = sel.map((f) => (f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates));
    const union = pc.union(...polys);
    return api.report({ type: 'MultiPolygon', coordinates: union });
  }, { multi: sel.length, current: currentOfSelection() });
}

/** The current land uses of the selected parcels (the server reports a drawn union without them). */
function currentOfSelection() {
  const codes = [...new Set(app.selection.map((f) => f.properties.landuse).filter(Boolean))];
  return codes.map((code) => app.meta.codes.find((c) => c.code === code) || { code, color: '#ddd', name_vi: code, name_en: code });
}

function showSelection() {
  const fc = { type: 'FeatureCollection', features: app.selection.map((f) => ({ type: 'Feature', geometry: f.geometry, properties: {} })) };
  app.mapView?.setData('qh-selection', fc);
  app.mapView?.setData('qh-site', app.site ? { type: 'Feature', geometry: app.site, properties: {} } : null);
}

/** Selects a parcel (adds or removes it with `add`, e.g. shift-click) and reports on the selection. */
export function selectParcel(feature, { add = false, fit = false } = {}) {
  app.site = null;
  const key = parcelKey(feature);
  if (add) {
    const i = app.selection.findIndex((f) => parcelKey(f) === key);
    if (i >= 0) app.selection.splice(i, 1);
    else app.selection.push(feature);
  } else {
    app.selection = [feature];
  }
  showSelection();
  if (!app.selection.length) {
    clearSelection();
    return;
  }
  parcelReport(); // opens the panel at once, so the fit below leaves room for it
  if (fit && app.mapView) app.mapView.fitBbox(bboxOf(feature.geometry.coordinates), 19);
}

export function clearSelection() {
  app.selection = [];
  app.site = null;
  app.report = null;
  showSelection();
  writeHash();
  closePanel();
}

/**
 * Reports on a drawn or uploaded site (a GeoJSON MultiPolygon, WGS 84). `note.skipped`: the
 * features of an uploaded file that were not used, said above the report.
 */
export function reportSite(geometry, { fit = true, note = null } = {}) {
  app.selection = [];
  app.site = geometry;
  showSelection();
  const done = runReport(() => api.report(geometry), note ? { note } : {});
  if (fit && app.mapView) app.mapView.fitBbox(bboxOf(geometry.coordinates), 19);
  return done;
}

/**
 * Opens a parcel by its number; `id` (a search hit's feature id) or `n` (a link's rank)
 * picks one of parcels sharing the number, else the first.
 */
async function openParcel(commune, sheet, parcel, { fit = true, add = false, id = null, n = null } = {}) {
  try {
    const fc = await api.parcel(commune, sheet, parcel);
    const f = pickParcel(fc.features || [], { id, n });
    if (!f) throw Object.assign(new Error('not found'), { status: 404 });
    selectParcel(f, { fit, add });
  } catch (e) {
    toast(e.status === 404 ? t('search.none', { q: `${commune} ${sheet}/${parcel}` }) : t('error.generic', { msg: e.message }), true);
  }
}

/** The feature with `id`, or the n-th by feature id, or the first; ranked among its namesakes. */
function pickParcel(features, { id = null, n = null } = {}) {
  const sorted = [...features].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  let f;
  if (id != null) f = sorted.find((x) => x.id === id);
  else if (n != null) f = sorted[n - 1];
  else f = sorted[0];
  return f ? rankAmong(f, sorted) : null;
}

// ---------------------------------------------------------------- search results and clicks
function onHit(h) {
  if (h.kind === 'parcel' && h.parcel) {
    const [c, s, p] = h.parcel;
    openParcel(c, s, p, { id: h.layer && h.id != null ? h.id : null });
  } else if (h.bbox && app.mapView) {
    app.mapView.fitBbox(h.bbox, h.kind === 'commune' ? 16 : 18);
    app.mapView.setData('qh-highlight', null);
    highlightFeature(h);
  }
}

async function highlightFeature(h) {
  if (!h.layer || h.id == null || !app.mapView) return;
  try {
    const r = await fetch(`/ogc/collections/${encodeURIComponent(h.layer)}/items/${h.id}`);
    if (r.ok) app.mapView.setData('qh-highlight', await r.json());
  } catch {
    /* the highlight is a nicety */
  }
}

async function atPoint(lon, lat, { add = false } = {}) {
  app.mapView?.setData('qh-marker', null);
  try {
    const fc = await api.parcelsAt(lon, lat);
    const f = fc.features?.[0];
    if (f) selectParcel(f, { add });
    else {
      app.mapView?.setData('qh-marker', { type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties: {} });
      if (!add) showMessage(t('click.none'));
    }
  } catch (e) {
    toast(e.status === 0 ? t('error.network') : t('error.generic', { msg: e.message }), true);
  }
}

async function onCoordinate(c) {
  try {
    let lon = c.lon;
    let lat = c.lat;
    if (c.kind === 'vn2000') {
      const res = await api.toWgs84(c.srs, [{ easting: c.easting, northing: c.northing }]);
      ({ lon, lat } = res.points[0]);
    }
    app.mapView?.flyTo([lon, lat], 18);
    await atPoint(lon, lat);
    app.mapView?.setData('qh-marker', { type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties: {} });
  } catch (e) {
    toast(t('error.generic', { msg: e.message }), true);
  }
}

// ---------------------------------------------------------------- URL state
let writtenHash = null;
/** The link of the current state: `{ search, hash }` (parcels in the query, the rest in the hash). */
function currentLink() {
  const mv = app.mapView?.map;
  const map = mv ? { zoom: mv.getZoom(), center: mv.getCenter().toArray() } : app.initialView;
  const ring = app.site ? app.site.coordinates[0]?.[0] : null;
  return buildLink({
    parcels: app.selection.map((f) => ({ commune: f.properties.commune_code, sheet: f.properties.sheet, parcel: f.properties.parcel, n: f.dupN })),
    site: app.site && app.site.coordinates.length === 1 ? ring.slice(0, -1) : null,
    map,
    lang: getLang(),
    view: app.view,
  });
}
export function currentHash() {
  return currentLink().hash;
}
export function currentUrl() {
  return absoluteUrl(currentLink());
}
function writeHash() {
  if (app.page) return;
  const { search, hash } = currentLink();
  writtenHash = hash;
  history.replaceState(null, '', `${location.pathname}${search}${hash}`);
}

function applyPage(state) {
  app.page = state.page;
  // A lesson, a workshop page or a join link takes over from the first-visit tour.
  if (state.page && state.page !== 'help') endTour();
  if (state.page === 'help') showHelp(app, () => {
    location.hash = app.lastMapHash || '';
  });
  else hideHelp();
  if (state.page === 'learn') learn().then((l) => l.show(state));
  else learnModule?.then((l) => l.hide());
  if (WORKSHOP_PAGES.includes(state.page)) workshop().then((w) => w.show(state));
  else workshopModule?.then((w) => w.hide());
  if (TWOWAY_PAGES.includes(state.page)) feedback().then((f) => f.show(state));
  else feedbackModule?.then((f) => f.hide());
  if (state.page === 'official') official().then((o) => o.show(state));
  else officialModule?.then((o) => o.hide());
}

// Workshops (#/workshop, #/join/CODE, #/trainer/CODE, workshop.js) load when used, or at
// once in a browser that has joined one (it reports the lessons' progress and follows pushes).
const WORKSHOP_PAGES = ['workshop', 'join', 'trainer'];
let workshopModule = null;
const workshop = () => (workshopModule ||= import('./workshop.js').then((m) => m.initWorkshop(app)));
try {
  if (localStorage.getItem('qh.workshop')) workshop();
} catch {
  /* no storage: not in a workshop */
}

// The lessons (#/learn…, learn.js) load on first use; a trainer's push opens one.
let learnModule = null;
const learn = () => (learnModule ||= import('./learn.js').then((m) => m.initLearn(app)));
window.addEventListener('qh:lesson-goto', (e) => learn().then((l) => l.goto(e.detail)));

window.addEventListener('hashchange', () => {
  const st = parseHash();
  const wasScreen = app.page === 'screen';
  applyPage(st);
  if (st.page === 'screen' || wasScreen) {
    location.reload();
    return;
  }
  if (!st.page && location.hash !== writtenHash) applyState(st);
});

function applyState(st) {
  if (st.lang && st.lang !== getLang()) setLang(st.lang);
  if (st.map && app.mapView) app.mapView.map.jumpTo({ center: st.map.center, zoom: st.map.zoom });
  if (st.parcels?.length) {
    const fit = !st.map || window.innerWidth < 760;
    const keyNow = app.selection.map((f) => linkKey({ commune: f.properties.commune_code, sheet: f.properties.sheet, parcel: f.properties.parcel, n: f.dupN })).join(',');
    const keyNew = st.parcels.map(linkKey).join(',');
    if (keyNow !== keyNew) loadParcels(st.parcels, fit);
  } else if (st.site) {
    reportSite(multiPolygon([[[...st.site, st.site[0]]]]), { fit: !st.map });
  }
}

async function loadParcels(list, fit) {
  app.selection = [];
  const feats = [];
  for (const p of list) {
    try {
      const fc = await api.parcel(p.commune, p.sheet, p.parcel);
      const f = pickParcel(fc.features || [], { n: p.n ?? null });
      if (f) feats.push(f);
      else toast(t('search.none', { q: linkKey(p) }), true);
    } catch {
      toast(t('search.none', { q: linkKey(p) }), true);
    }
  }
  if (!feats.length) return;
  app.selection = feats;
  showSelection();
  const done = parcelReport();
  if (fit && app.mapView) app.mapView.fitBbox(bboxOf(feats.map((f) => f.geometry.coordinates)), 19);
  await done;
}

// ---------------------------------------------------------------- boot
async function loadMeta() {
  const [codes, plans, layers, config] = await Promise.all([
    api.landuseCodes().catch(() => ({ codes: [] })),
    api.plans().catch(() => ({ plans: [] })),
    api.layers().catch(() => ({ layers: [] })),
    optionalJson('/config.json'),
  ]);
  app.meta.codes = codes.codes || [];
  app.meta.plans = plans.plans || [];
  app.meta.plansById = Object.fromEntries(app.meta.plans.map((p) => [p.id, p]));
  app.meta.layers = (layers.layers || []).map((l) => ({ id: l.id, kind: l.kind, plan: l.plan, bounds: l.bounds, count: l.count, imported_at: l.imported_at }));
  app.meta.config = config || {};
}

function dataBounds() {
  const ls = app.meta.layers.filter((l) => l.bounds);
  const pick = ls.filter((l) => l.kind === 'boundaries').length ? ls.filter((l) => l.kind === 'boundaries') : ls;
  if (!pick.length) return [[102.1, 8.4], [109.5, 23.4]]; // Vietnam
  const b = bboxOf(pick.map((l) => [[l.bounds[0], l.bounds[1]], [l.bounds[2], l.bounds[3]]]));
  return [[b[0], b[1]], [b[2], b[3]]];
}

/**
 * The server draws the first view into the page (#preview, an SVG of the same data) so a
 * slow phone sees planning before MapLibre arrives. The map starts on the picture's
 * bounds, so it replaces it in place.
 */
function previewBounds() {
  const b = document.getElementById('preview')?.dataset.bounds?.split(',').map(Number);
  return b?.length === 4 && b.every(Number.isFinite) ? [[b[0], b[1]], [b[2], b[3]]] : null;
}

/** Fades the server's picture out once MapLibre has drawn its tiles. */
function retirePreview(map) {
  const el = document.getElementById('preview');
  if (!el) return;
  el.classList.add('taken'); // taps go to the map from now on
  const done = () => {
    el.classList.add('gone');
    document.body.classList.remove('has-preview');
    setTimeout(() => el.remove(), 400);
  };
  if (map.loaded() && map.areTilesLoaded()) done();
  else map.once('idle', done);
}

async function startMap(mapModule, st) {
  const loading = document.getElementById('loading');
  try {
    const { createMapView } = await mapModule;
    const cfg = app.meta.config;
    app.mapView = await createMapView(
      'map',
      {
        codes: app.meta.codes,
        layers: app.meta.layers,
        plansById: app.meta.plansById,
        raster: cfg.raster_base || null,
        attribution: cfg.attribution || '© quyhoach',
        mapLocale: mapLocale(),
        stylePromise: app.stylePromise,
      },
      { bounds: previewBounds() || dataBounds(), center: st.map?.center, zoom: st.map?.zoom },
    );
    retirePreview(app.mapView.map);
    if (app.mapView.source === 'fallback-geojson') toast(t('map.fallback'));
    bindMap();
    document.body.dataset.mapReady = app.mapView.source;
  } catch (e) {
    console.warn('map:', e);
    const msg = e?.code === 'nowebgl' ? t('map.nowebgl') : t('map.failed', { msg: e?.message || e });
    toast(msg, true);
    document.getElementById('map').innerHTML = `<p class="muted" style="padding:16px">${esc(msg)}</p>`;
    document.body.dataset.mapReady = 'failed';
  } finally {
    loading.hidden = true;
  }
}

// ---------------------------------------------------------------- phone sheet and taps
/**
 * A tap on a view too far out to see parcels (the whole district) zooms in around the tap
 * instead of picking a parcel nobody can see. Returns whether it did.
 */
function zoomToPick(lngLat) {
  const mv = app.mapView;
  const map = mv.map;
  const pick = mv.pickZoom();
  if (map.getZoom() >= pick) return false;
  const zoom = Math.min(18, Math.max(map.getZoom() + 2, pick + 2.5));
  const reduce = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  map.easeTo({ center: lngLat, zoom, duration: reduce ? 0 : 500 });
  toast(t('click.zoomin'));
  return true;
}

/**
 * The camera on a phone: padded by the bottom sheet, with the selected parcels or site seen
 * whole above it. `final` false: the sheet is being dragged, the padding follows the finger.
 */
function frameSelection({ final = true } = {}) {
  const mv = app.mapView;
  if (!mv || app.page === 'screen') return;
  if (!app.sheet?.active()) {
    if (mv.map.getPadding().bottom > 0) mv.map.setPadding({ top: 0, left: 0, right: 0, bottom: 0 });
    return;
  }
  const geom = !panel.hidden && app.panelView === 'report' ? siteGeometry() : null;
  const selected = Boolean(app.site || app.selection.length);
  const inset = selected ? app.sheet.inset() : 0;
  if (!final) {
    // The map stays put under the finger; only the padding follows.
    mv.map.jumpTo(mv.cameraKeepingView({ top: 0, left: 0, right: 0, bottom: inset }));
    return;
  }
  mv.setSheetInset(inset, geom ? bboxOf(geom.coordinates) : null);
}

function bindMap() {
  const map = app.mapView.map;
  // On phones the bottom sheet is the camera's padding (null: a side panel, see map.js).
  app.mapView.sheetInset = () => (app.sheet?.active() ? app.sheet.inset() : null);
  // What covers the map's top on a phone (a lesson's card, learn.js): a selection is framed below it.
  app.mapView.topInset = () => (app.sheet?.active() ? app.mapTopCover?.() || 0 : 0);
  app.tools = new Tools(app, { reportSite, toast });
  map.on('click', (e) => {
    if (app.tools.active()) return;
    if (zoomToPick(e.lngLat)) return;
    const add = e.originalEvent.shiftKey || app.multiMode;
    atPoint(e.lngLat.lng, e.lngLat.lat, { add });
  });
  map.on('moveend', () => writeHash());
  // Keyboard users: arrows and +/- move the map (MapLibre), Enter reports on the parcel at
  // the centre, Shift+Enter adds it to the selection.
  map.getContainer().addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || (e.target !== map.getCanvas() && e.target !== map.getContainer()) || app.tools.active()) return;
    const c = map.getCenter();
    if (zoomToPick(c)) return;
    atPoint(c.lng, c.lat, { add: e.shiftKey });
  });
  const coords = document.getElementById('coords');
  let pending = null;
  let last = 0;
  let vn = '';
  let ctrl = null;
  const showCoords = (ll) => {
    coords.hidden = false;
    coords.textContent = `${t('coords.wgs84')}: ${ll.lat.toFixed(6)}, ${ll.lng.toFixed(6)}${vn ? `  |  ${vn}` : ''}`;
  };
  // VN-2000 under the cursor from the server's pinned transformation, at most every 400 ms.
  const convert = async (ll) => {
    last = Date.now();
    ctrl?.abort();
    ctrl = new AbortController();
    try {
      const r = await api.fromWgs84(`vn2000:${app.search.province()}`, ll.lng.toFixed(7), ll.lat.toFixed(7), ctrl.signal);
      vn = `${t('coords.vn2000', { province: app.search.provinceName() })}: X ${r.northing.toFixed(2)}  Y ${r.easting.toFixed(2)}`;
      showCoords(ll);
    } catch {
      /* aborted or outside the zone */
    }
  };
  map.on('mousemove', (e) => {
    showCoords(e.lngLat);
    clearTimeout(pending);
    const wait = Math.max(0, 400 - (Date.now() - last));
    pending = setTimeout(() => convert(e.lngLat), wait);
  });
  map.on('mouseout', () => {
    clearTimeout(pending);
  });
  map.on('mousemove', (e) => {
    const ids = app.mapView.groups().get('parcels') || [];
    const fillish = ids.filter((id) => map.getLayer(id));
    map.getCanvas().style.cursor = app.tools.active() ? 'crosshair' : fillish.length && map.queryRenderedFeatures(e.point, { layers: fillish }).length ? 'pointer' : '';
  });
  if (app.view !== 'planned') app.mapView.setView(app.view, planGroups());
}

export function planGroups() {
  return app.meta.layers.filter((l) => l.kind === 'zones' || l.kind === 'redlines').map((l) => l.id);
}

async function boot() {
  const st = parseHash();
  setLang(initialLang(st.lang));
  if (st.view && ['current', 'planned', 'compare'].includes(st.view)) app.view = st.view;
  app.initialView = st.map;
  app.lastMapHash = st.page ? '' : location.hash;

  // The map chunk starts downloading now, alongside the catalog requests; so do the files
  // it will ask for one after the other (the style, MapLibre's worker): on a 2-second
  // round trip, each request not chained to another saves seconds.
  const mapModule = st.page === 'screen' ? null : import('./map.js');
  app.stylePromise = optionalJson('/styles/planning.json');
  fetch(workerUrl).catch(() => {});
  await loadMeta();
  const cfg = app.meta.config;
  app.search = initSearch({ onHit, onCoordinate, toast, defaultProvince: cfg.vn2000_province || DEFAULT_PROVINCE });

  document.getElementById('btn-lang').addEventListener('click', () => setLang(getLang() === 'vi' ? 'en' : 'vi'));
  document.getElementById('panel-close').addEventListener('click', closePanel);
  app.sheet = initSheet({
    panel,
    handle: document.getElementById('sheet-handle'),
    main: document.getElementById('main'),
    onChange: (_inset, { final }) => frameSelection({ final }),
  });
  document.querySelectorAll('.actions [data-view]').forEach((b) =>
    b.addEventListener('click', () => (app.panelView === b.dataset.view ? closePanel() : openPanel(b.dataset.view))),
  );
  document.getElementById('btn-help').addEventListener('click', () => {
    if (!app.page) app.lastMapHash = currentHash();
  });
  document.getElementById('btn-learn').addEventListener('click', () => {
    if (!app.page) app.lastMapHash = currentHash();
  });
  document.getElementById('btn-qa').addEventListener('click', () => {
    if (!app.page) app.lastMapHash = currentHash();
  });
  // After the layer panel's own handlers: what the map draws now.
  panelBody.addEventListener('change', (e) => {
    if (e.target.matches?.('input[data-groups], input[name="base"]')) window.dispatchEvent(new CustomEvent('qh:layers-changed', { detail: { visible: visibleGroups() } }));
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !panel.hidden && !app.tools?.active() && !document.querySelector('dialog[open]')) closePanel();
  });
  // A report opened before the voices arrived gains its read-aloud button.
  onVoices(() => {
    if (app.panelView === 'report' && !speech.speaking()) renderPanel();
  });
  onLangChange(() => {
    app.mapView?.map.getCanvas().setAttribute('aria-label', t('map.label'));
    app.sheet?.relabel();
    renderPanel();
    rerenderHelp();
    writeHash();
  });

  if (st.page === 'screen') {
    document.body.classList.add('screen-mode');
    const { startScreen } = await import('./screen.js');
    const { createMapView } = await import('./map.js');
    await startScreen(app, st.params, createMapView, dataBounds());
    document.getElementById('loading').hidden = true;
    return;
  }
  applyPage(st);
  await startMap(mapModule, st);
  applyState(st);
  if (!st.parcels && !st.site && !st.page) maybeStartTour();
}

/**
 * A tap on the server's picture of parcels once the app runs but before its map has loaded
 * (the picture's own script hands it over): the parcel at the point, as a tap on the map.
 */
app.tapPicture = (lon, lat) => atPoint(lon, lat);
app.startTour = startTour;
app.openPanel = openPanel;
app.closePanel = closePanel;
app.selectParcel = selectParcel;
app.reportSite = reportSite;
app.writeHash = writeHash;
app.currentUrl = currentUrl;
app.planGroups = planGroups;
app.openParcel = openParcel;
app.visibleGroups = visibleGroups;
app.toast = toast;
window.quyhoach = app; // for the end-to-end tests and curious developers

boot().catch((e) => {
  console.error(e);
  toast(t('error.generic', { msg: e.message }), true);
});
