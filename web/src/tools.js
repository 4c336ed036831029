// Tools for businesses and anyone checking a site: draw a site polygon, paste a land-use
// certificate's VN-2000 corner table, upload a boundary file, select several parcels,
// and measure distances and areas. Drawing is a small click-to-add-vertices tool of our
// own: a site has tens of corners, not enough to earn a drawing library.
import { t, fmtArea, fmtLength, getLang } from './i18n.js';
import { api } from './api.js';
import { esc } from './report.js';
import { PROVINCES } from './provinces.js';
import { lineLength, ringArea, closeRing, parseCornerTable, polygonsFromGeoJSON, polygonsFromKML, multiPolygon } from './geo.js';

/** Largest boundary file read in the browser; the server caps vertices anyway. */
const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;

export class Tools {
  constructor(app, { reportSite, toast }) {
    this.app = app;
    this.reportSite = reportSite;
    this.toast = toast;
    this.mode = null;
    this.points = [];
    this.result = '';
    const map = app.mapView.map;
    map.on('click', (e) => {
      if (!this.mode) return;
      this.points.push([e.lngLat.lng, e.lngLat.lat]);
      this.update();
    });
    map.on('dblclick', (e) => {
      if (!this.mode) return;
      e.preventDefault();
      this.finish();
    });
    document.addEventListener('keydown', (e) => {
      if (!this.mode || e.target.closest('input, textarea, select')) return;
      if (e.key === 'Enter') {
        e.preventDefault();
        this.finish();
      } else if (e.key === 'Backspace') {
        e.preventDefault();
        this.points.pop();
        this.update();
      } else if (e.key === 'Escape') {
        e.preventDefault();
        this.stop();
      }
    });
  }

  active() {
    return !!this.mode;
  }

  start(mode) {
    this.mode = mode;
    this.points = [];
    this.result = '';
    this.app.mapView.map.doubleClickZoom.disable();
    this.app.mapView.map.getCanvas().style.cursor = 'crosshair';
    this.update();
  }

  stop() {
    this.mode = null;
    this.points = [];
    this.app.mapView?.map.doubleClickZoom.enable();
    if (this.app.mapView) this.app.mapView.map.getCanvas().style.cursor = '';
    this.app.mapView?.setData('qh-draw', null);
    this.rerender();
  }

  rerender() {
    if (this.app.panelView === 'tools') renderToolsPanel(document.getElementById('panel-body'), this.app);
  }

  measureText() {
    const pts = this.points;
    if (this.mode === 'measure-line') return t('tools.measure.result.line', { v: fmtLength(lineLength(pts)) });
    if (this.mode === 'measure-area' || this.mode === 'draw') {
      if (pts.length < 3) return this.mode === 'draw' ? '' : t('tools.measure.result.line', { v: fmtLength(lineLength(pts)) });
      return t('tools.measure.result.area', { v: fmtArea(ringArea(pts)), p: fmtLength(lineLength(closeRing(pts))) });
    }
    return '';
  }

  update() {
    const pts = this.points;
    const feats = pts.map((c) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: c }, properties: {} }));
    if (pts.length >= 2) {
      const polygonal = this.mode !== 'measure-line' && pts.length >= 3;
      feats.push({
        type: 'Feature',
        geometry: polygonal ? { type: 'Polygon', coordinates: [closeRing(pts)] } : { type: 'LineString', coordinates: pts },
        properties: {},
      });
    }
    this.app.mapView.setData('qh-draw', { type: 'FeatureCollection', features: feats });
    this.result = this.measureText();
    const out = document.getElementById('tool-live');
    if (out) out.textContent = this.result;
    else this.rerender();
  }

  finish() {
    const mode = this.mode;
    if (mode === 'draw') {
      if (this.points.length < 3) {
        this.toast(t('tools.draw.need3'), true);
        return;
      }
      const ring = closeRing(this.points);
      this.stop();
      this.reportSite(multiPolygon([[ring]]));
      return;
    }
    // A measurement stays on the map with its result until the next tool starts.
    const result = this.measureText();
    this.mode = null;
    this.app.mapView.map.doubleClickZoom.enable();
    this.app.mapView.map.getCanvas().style.cursor = '';
    this.result = result;
    this.lastResult = result;
    this.rerender();
  }
}

async function siteFromVn2000(points, srs) {
  const res = await api.toWgs84(srs, points.map((p) => ({ easting: p.easting, northing: p.northing })));
  const ring = res.points.map((p) => [p.lon, p.lat]);
  return multiPolygon([[closeRing(ring)]]);
}

export function renderToolsPanel(body, app) {
  const tools = app.tools;
  const mode = tools?.mode;
  const province = app.search?.province() || 'kien-giang';
  const opts = PROVINCES.map(([slug, name]) => `<option value="${slug}" ${slug === province ? 'selected' : ''}>${esc(name)}</option>`).join('');
  const drawing = mode
    ? `<div class="tool-live" role="status">
        <p class="small">${esc(t(mode === 'draw' ? 'tools.draw.hint' : 'tools.measure.hint'))}</p>
        <p class="measure-out" id="tool-live">${esc(tools.result || '')}</p>
        <div class="actions-row">
          <button type="button" class="btn primary" id="tool-finish">${esc(t('tools.draw.finish'))}</button>
          <button type="button" class="btn" id="tool-undo">${esc(t('tools.draw.undo'))}</button>
          <button type="button" class="btn" id="tool-cancel">${esc(t('tools.draw.cancel'))}</button>
        </div></div>`
    : '';
  body.innerHTML = `
    <div class="tool-block">
      <h3>${esc(t('tools.site'))}</h3>
      <div class="actions-row">
        <button type="button" class="btn" id="tool-draw" aria-pressed="${mode === 'draw'}">${esc(t('tools.draw'))}</button>
      </div>
      ${mode === 'draw' ? drawing : ''}
      <details id="cert-block">
        <summary>${esc(t('tools.certificate'))}</summary>
        <p class="small">${esc(t('tools.certificate.hint'))} ${esc(t('tools.xy.note'))}</p>
        <label for="cert-province" class="small">${esc(t('tools.province'))}</label>
        <select id="cert-province">${opts}</select>
        <label for="cert-text" class="small" style="display:block;margin-top:6px">${esc(t('tools.certificate.label'))}</label>
        <textarea id="cert-text" spellcheck="false" placeholder="1  1100165.11  566140.91&#10;2  1100165.11  566152.91&#10;3  1100155.11  566152.91&#10;4  1100155.11  566140.91"></textarea>
        <p id="cert-msg" class="small" role="status"></p>
        <button type="button" class="btn primary" id="cert-go">${esc(t('tools.certificate.go'))}</button>
      </details>
      <details id="upload-block">
        <summary>${esc(t('tools.upload'))}</summary>
        <p class="small">${esc(t('tools.upload.hint'))}</p>
        <label for="upload-file" class="small">${esc(t('tools.upload.label'))}</label>
        <input type="file" id="upload-file" accept=".geojson,.json,.kml,.txt,.csv,.zip,.gpkg,application/geo+json,application/vnd.google-earth.kml+xml" />
        <p id="upload-msg" class="small" role="status"></p>
      </details>
    </div>
    <div class="tool-block">
      <h3>${esc(t('tools.select'))}</h3>
      <p class="small">${esc(t('tools.select.hint'))}</p>
      <label><input type="checkbox" id="tool-multi" ${app.multiMode ? 'checked' : ''}/> ${esc(t('tools.select.toggle'))}</label>
    </div>
    <div class="tool-block">
      <h3>${esc(t('tools.measure'))}</h3>
      <div class="actions-row">
        <button type="button" class="btn" id="tool-mline" aria-pressed="${mode === 'measure-line'}">${esc(t('tools.measure.line'))}</button>
        <button type="button" class="btn" id="tool-marea" aria-pressed="${mode === 'measure-area'}">${esc(t('tools.measure.area'))}</button>
      </div>
      ${mode && mode !== 'draw' ? drawing : tools?.lastResult ? `<p class="measure-out" id="measure-result">${esc(tools.lastResult)}</p>` : ''}
    </div>`;

  const on = (id, ev, fn) => body.querySelector(`#${id}`)?.addEventListener(ev, fn);
  const needMap = () => {
    if (!tools) app.toast(t('map.loading'));
    return !!tools;
  };
  on('tool-draw', 'click', () => needMap() && (mode === 'draw' ? tools.stop() : (tools.lastResult = '', tools.start('draw'))));
  on('tool-mline', 'click', () => needMap() && (mode === 'measure-line' ? tools.stop() : (tools.lastResult = '', tools.start('measure-line'))));
  on('tool-marea', 'click', () => needMap() && (mode === 'measure-area' ? tools.stop() : (tools.lastResult = '', tools.start('measure-area'))));
  on('tool-finish', 'click', () => tools.finish());
  on('tool-undo', 'click', () => {
    tools.points.pop();
    tools.update();
  });
  on('tool-cancel', 'click', () => tools.stop());
  on('tool-multi', 'change', (e) => {
    app.multiMode = e.target.checked;
  });

  on('cert-go', 'click', async () => {
    const msg = body.querySelector('#cert-msg');
    const { points, bad } = parseCornerTable(body.querySelector('#cert-text').value);
    msg.classList.remove('error');
    if (bad.length) {
      msg.textContent = t('tools.certificate.bad', bad[0]);
      msg.classList.add('error');
      return;
    }
    if (points.length < 3) {
      msg.textContent = t('tools.certificate.few', { n: points.length });
      msg.classList.add('error');
      return;
    }
    msg.textContent = t('tools.certificate.read', { n: points.length });
    try {
      const site = await siteFromVn2000(points, `vn2000:${body.querySelector('#cert-province').value}`);
      app.reportSite(site);
    } catch (e) {
      msg.textContent = t('error.generic', { msg: e.message });
      msg.classList.add('error');
    }
  });

  on('upload-file', 'change', async (e) => {
    const file = e.target.files?.[0];
    const msg = body.querySelector('#upload-msg');
    msg.classList.remove('error');
    if (!file) return;
    msg.textContent = t('tools.upload.reading', { name: file.name });
    try {
      const { site, skipped } = await readBoundaryFile(file, `vn2000:${body.querySelector('#cert-province').value}`);
      msg.textContent = '';
      // Features of the file that are not part of the site are said next to the report,
      // where it stays readable (the tools panel gives way to the report).
      app.reportSite(site, { note: skipped && skipped.count > 0 ? { skipped } : null });
    } catch (err) {
      msg.textContent = uploadErrorText(err);
      msg.classList.add('error');
    }
  });
}

// ---------------------------------------------------------------- what the user is told

/** The server's English reasons for a feature it did not use (data/src/site.rs, import.rs). */
const REASONS = [
  [/^it is a point, not a polygon/, 'reason.point'],
  [/^expected a polygon, got (Multi)?LineString/i, 'reason.line'],
  [/^it is a line, not a polygon/, 'reason.line'],
  [/^(it is not a polygon|expected a polygon)/, 'reason.notpolygon'],
  [/^it has no geometry/, 'reason.nogeometry'],
  [/not a finite number|^non-finite/, 'reason.nonfinite'],
  [/^its geometry cannot be read/, 'reason.unreadable'],
  [/^empty geometry/, 'reason.empty'],
  [/^zero area/, 'reason.zeroarea'],
  [/^invalid .*could not repair/, 'reason.invalid'],
  [/^unsupported geometry type/, 'reason.unsupported'],
  [/on no map of the Earth/, 'reason.offearth'],
  [/outside the CRS's valid area/, 'reason.outside'],
  [/^cannot transform to WGS 84/, 'reason.transform'],
];

/** A skip reason in the page's language: Vietnamese when known, else the server's English. */
export function reasonText(reason) {
  const r = String(reason || '');
  if (getLang() === 'en') return r;
  const hit = REASONS.find(([re]) => re.test(r));
  return hit ? t(hit[1]) : r;
}

/** How many skipped features are named one by one (the rest are counted). */
const SKIPPED_SHOWN = 3;

/**
 * The notice for features of an uploaded file that were not used: "Đã bỏ qua 2 đối tượng
 * …: đối tượng 2 — là điểm, không phải vùng (polygon); …". `skipped` is
 * `{count, list: [{layer, feature, reason}], layer}` (the layer the site came from).
 */
export function skippedNotice(skipped) {
  if (!skipped || !(skipped.count > 0)) return '';
  const list = (skipped.list || []).slice(0, SKIPPED_SHOWN).map((s) => {
    const which = s.layer && skipped.layer && s.layer !== skipped.layer
      ? t('tools.upload.skipped.layer', { layer: s.layer, n: s.feature })
      : t('tools.upload.skipped.item', { n: s.feature });
    return `${which} — ${reasonText(s.reason)}`;
  });
  const named = list.length;
  if (skipped.count > named) list.push(t('tools.upload.skipped.more', { n: skipped.count - named }));
  return `${t('tools.upload.skipped', { n: skipped.count, list: list.join('; ') })} ${t('tools.upload.skipped.rest')}`;
}

/** What went wrong with an upload, in the page's language, with the server's own words. */
export function uploadErrorText(err) {
  if (err.userMessage) return err.userMessage;
  const msg = err.message || '';
  if (err.status === 0) return t('error.network');
  if (err.status === 413) return t('tools.upload.e413', { msg });
  if (err.status === 422) {
    // The server's detail says which of its reasons it is (data/src/site.rs).
    const which = /no polygon/i.test(msg)
      ? 'nopoly'
      : /coordinate reference system|\.prj|srs=|not a 2D horizontal|unknown province/i.test(msg)
        ? 'srs'
        : /^unrecognised file/i.test(msg)
          ? 'type'
          : /damaged|incomplete|not a readable|cannot be (read|unpacked)|that can be read|reader stopped/i.test(msg)
            ? 'damaged'
            : '';
    return t(which ? `tools.upload.e422.${which}` : 'tools.upload.e422', { msg });
  }
  if (err.status === 503) return t('tools.upload.e503', { msg });
  if (err.status >= 400 && err.status < 500) return t('tools.upload.e400', { msg });
  return t('tools.upload.bad', { msg });
}

/** The server's answer (a GeoJSON Feature) as a site and the features it left out. */
function fromServer(feature) {
  const p = feature.properties || {};
  return {
    site: feature.geometry,
    skipped: { count: Number(p.skipped_count) || 0, list: Array.isArray(p.skipped) ? p.skipped : [], layer: p.layer || '' },
  };
}

/** The first [x, y] of a GeoJSON document, to tell WGS 84 from VN-2000 metres. */
function firstPosition(gj) {
  let c = gj?.type === 'FeatureCollection' ? gj.features?.find((f) => f?.geometry)?.geometry : gj?.type === 'Feature' ? gj.geometry : gj;
  if (c?.type === 'GeometryCollection') c = c.geometries?.[0];
  c = c?.coordinates;
  while (Array.isArray(c) && Array.isArray(c[0])) c = c[0];
  return Array.isArray(c) && c.length >= 2 ? c : null;
}

/** The server could not take the file at all (busy, uploads off, older server, offline). */
const serverUnavailable = (e) => e.status === 0 || e.status === 503 || e.status === 404 || e.status === 405;

/**
 * A site from an uploaded file: `{site, skipped}`. Shapefiles (zipped) and GeoPackages,
 * and GeoJSON and KML when the server can take them, are read by the server's GDAL, which
 * reports the features it did not use; VN-2000 coordinate lists, and GeoJSON and KML when
 * the server cannot take uploads, are read here.
 */
export async function readBoundaryFile(file, srs) {
  const fail = (userMessage) => Object.assign(new Error(userMessage), { userMessage });
  const name = file.name.toLowerCase();
  if (name.endsWith('.shp')) throw fail(t('tools.upload.shp'));
  if (file.size > MAX_UPLOAD_BYTES) throw fail(t('tools.upload.bad', { msg: `> ${MAX_UPLOAD_BYTES / 1024 / 1024} MB` }));
  if (name.endsWith('.zip') || name.endsWith('.gpkg')) {
    // Binary GIS files are read by the server's GDAL: the file's own .prj first, else the
    // province chosen in the certificate box.
    let feature;
    try {
      feature = await api.parseSiteFile(file, 'prj');
    } catch (e) {
      if (!(e.status === 422 && /\.prj|coordinate reference system/i.test(e.message))) throw e;
      feature = await api.parseSiteFile(file, srs);
    }
    return fromServer(feature);
  }
  const text = await file.text();
  const isKml = name.endsWith('.kml') || /^\s*(\ufeff)?\s*(<\?xml|<kml)/i.test(text.slice(0, 200));
  const isJson = !isKml && /^\s*(\ufeff)?\s*[{[]/.test(text);
  if (!isKml && !isJson) {
    const { points, bad } = parseCornerTable(text);
    if (bad.length) throw fail(t('tools.certificate.bad', bad[0]));
    if (points.length < 3) throw fail(t('tools.certificate.few', { n: points.length }));
    return { site: await siteFromVn2000(points, srs), skipped: null };
  }
  let gj = null;
  if (isJson) {
    try {
      gj = JSON.parse(text.replace(/^\ufeff/, ''));
    } catch {
      /* the server says what is wrong with it */
    }
  }
  // GeoJSON should be WGS 84, but files exported from VN-2000 projects carry metres
  // (easting, northing): those are read in the chosen province's zone.
  const first = gj && firstPosition(gj);
  const metres = !!first && (Math.abs(first[0]) > 180 || Math.abs(first[1]) > 90);
  try {
    return fromServer(await api.parseSiteFile(file, metres ? srs : 'prj'));
  } catch (e) {
    if (!serverUnavailable(e) || (isJson && !gj)) throw e;
  }
  // Read here: same polygons, and the same words for the features left out.
  const skippedList = [];
  const polys = isKml ? polygonsFromKML(text) : polygonsFromGeoJSON(gj, skippedList);
  if (!polys.length) throw fail(t('tools.upload.nopoly'));
  const skipped = { count: skippedList.length, list: skippedList, layer: '' };
  if (metres) {
    const flat = polys.flat(2);
    const res = await api.toWgs84(srs, flat.map(([x, y]) => ({ easting: x, northing: y })));
    let i = 0;
    const conv = polys.map((rings) => rings.map((ring) => ring.map(() => [res.points[i].lon, res.points[i++].lat])));
    return { site: multiPolygon(conv), skipped };
  }
  return { site: multiPolygon(polys), skipped };
}
