// The map, loaded as its own chunk (MapLibre is most of the app's bytes): the page shell,
// search and reports work before it arrives, and without WebGL.
import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { buildStyle, groupOf, rasterBase } from './style.js';
import { optionalJson, api } from './api.js';

maplibregl.setWorkerUrl(new URL(workerUrl, location.href).href);

/** Relative URLs in styles and TileJSON are made absolute: workers resolve against their own URL. */
const transformRequest = (url) => (url.startsWith('/') ? { url: location.origin + url } : { url });

const EMPTY = { type: 'FeatureCollection', features: [] };

/** Where parcels are drawn when the style does not say (the server's style draws them from 15). */
const DEFAULT_PICK_ZOOM = 15;

/** Our own overlay layers, above every planning layer. */
function addOverlays(map) {
  const add = (id) => !map.getSource(id) && map.addSource(id, { type: 'geojson', data: EMPTY });
  ['qh-selection', 'qh-site', 'qh-draw', 'qh-marker', 'qh-highlight'].forEach(add);
  const layers = [
    { id: 'qh-highlight-line', type: 'line', source: 'qh-highlight', paint: { 'line-color': '#0b5394', 'line-width': 3, 'line-dasharray': [2, 1] } },
    { id: 'qh-selection-fill', type: 'fill', source: 'qh-selection', paint: { 'fill-color': '#ffd400', 'fill-opacity': 0.35 } },
    { id: 'qh-selection-line', type: 'line', source: 'qh-selection', paint: { 'line-color': '#111', 'line-width': 4 } },
    { id: 'qh-selection-line2', type: 'line', source: 'qh-selection', paint: { 'line-color': '#ffd400', 'line-width': 2 } },
    { id: 'qh-site-fill', type: 'fill', source: 'qh-site', paint: { 'fill-color': '#1565c0', 'fill-opacity': 0.18 } },
    { id: 'qh-site-line', type: 'line', source: 'qh-site', paint: { 'line-color': '#0d47a1', 'line-width': 3 } },
    { id: 'qh-draw-fill', type: 'fill', source: 'qh-draw', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#ff6f00', 'fill-opacity': 0.15 } },
    { id: 'qh-draw-line', type: 'line', source: 'qh-draw', filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': '#ff6f00', 'line-width': 2.5, 'line-dasharray': [3, 1.5] } },
    { id: 'qh-draw-point', type: 'circle', source: 'qh-draw', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 5, 'circle-color': '#fff', 'circle-stroke-color': '#ff6f00', 'circle-stroke-width': 2.5 } },
    { id: 'qh-marker', type: 'circle', source: 'qh-marker', paint: { 'circle-radius': 8, 'circle-color': '#c00000', 'circle-stroke-color': '#fff', 'circle-stroke-width': 3 } },
  ];
  for (const l of layers) if (!map.getLayer(l.id)) map.addLayer(l);
}

/**
 * Loads the style: the server's /styles/planning.json when it exists; else our fallback
 * over the server's vector tiles (/tiles/planning.json); else our fallback over GeoJSON
 * read from the OGC API (no tile server at all).
 */
async function loadStyle(ctx) {
  const serverStyle = await (ctx.stylePromise || optionalJson('/styles/planning.json'));
  if (serverStyle && serverStyle.version === 8) {
    if (ctx.raster?.tiles) {
      const base = rasterBase(ctx.raster);
      serverStyle.sources.base = base.source;
      const at = serverStyle.layers.findIndex((l) => l.type !== 'background');
      serverStyle.layers.splice(at < 0 ? 0 : at, 0, base.layer);
    }
    return { style: serverStyle, source: 'server-style' };
  }
  const tj = await optionalJson('/tiles/planning.json');
  const mode = tj ? 'vector' : 'geojson';
  return { style: buildStyle({ ...ctx, mode }), source: mode === 'vector' ? 'fallback-tiles' : 'fallback-geojson' };
}

/** How long the map waits for the first view's tiles once its style is loaded. */
const LOAD_GRACE_MS = 20_000;

export async function createMapView(container, ctx, opts) {
  if (!hasWebGL()) throw Object.assign(new Error('no WebGL'), { code: 'nowebgl' });
  const { style, source } = await loadStyle(ctx);
  await readArchives(style);
  const map = new maplibregl.Map({
    container,
    style,
    bounds: opts.center ? undefined : opts.bounds,
    fitBoundsOptions: { padding: 20 },
    center: opts.center,
    zoom: opts.zoom,
    maxZoom: 21,
    hash: false,
    attributionControl: { compact: true, customAttribution: ctx.attribution },
    canvasContextAttributes: { preserveDrawingBuffer: true, antialias: true },
    transformRequest,
    locale: ctx.mapLocale,
    cooperativeGestures: false,
  });
  map.addControl(new maplibregl.NavigationControl({ visualizePitch: false }), 'top-right');
  map.addControl(new maplibregl.GeolocateControl({ positionOptions: { enableHighAccuracy: true } }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 120 }), 'bottom-right');
  map.keyboard.enable();
  // Shift-click selects several parcels; MapLibre's shift-drag box zoom would swallow it.
  map.boxZoom.disable();

  // 'load' waits for every tile of the first view; an operator's raster service that is
  // down or has no tiles here must not keep the map from working, so once the style is in,
  // the map is used after LOAD_GRACE_MS whatever its tiles do.
  await new Promise((resolve, reject) => {
    let grace = null;
    const done = () => {
      clearTimeout(grace);
      resolve();
    };
    map.once('load', done);
    map.once('style.load', () => (grace = setTimeout(done, LOAD_GRACE_MS)));
    map.once('error', (e) => (map.isStyleLoaded() ? null : reject(e.error || e)));
  });
  addOverlays(map);
  if (source === 'fallback-geojson') fillGeojsonSources(map, ctx.layers);
  return new MapView(map, source, ctx);
}

/**
 * A style whose tiles come from a PMTiles archive on a static host (`pmtiles://…`, the
 * server's --map-pmtiles) needs the archive reader: loaded then, in its own chunk, so maps
 * served by our server do not download it.
 */
async function readArchives(style) {
  const archived = Object.values(style.sources || {}).some((s) => typeof s.url === 'string' && s.url.startsWith('pmtiles://'));
  if (!archived || readArchives.added) return;
  const { Protocol } = await import('pmtiles');
  maplibregl.addProtocol('pmtiles', new Protocol().tile);
  readArchives.added = true;
}

function hasWebGL() {
  try {
    const c = document.createElement('canvas');
    return !!(c.getContext('webgl2') || c.getContext('webgl'));
  } catch {
    return false;
  }
}

function fillGeojsonSources(map, layers) {
  return Promise.all(
    layers.map(async (l) => {
      try {
        const fc = await api.collection(l.id, null);
        map.getSource(`qh-${l.id}`)?.setData(fc);
      } catch (e) {
        console.warn(`layer ${l.id}: ${e.message}`);
      }
    }),
  );
}

export class MapView {
  constructor(map, source, ctx) {
    this.map = map;
    this.source = source;
    this.ctx = ctx;
    this.view = 'planned';
    this.hidden = new Set();
    this.compare = null;
  }

  /** Layer groups of the loaded style, in drawing order, with their style layer ids. */
  groups() {
    const g = new Map();
    for (const l of this.map.getStyle().layers) {
      if (l.id.startsWith('qh-')) continue;
      const k = groupOf(l);
      if (!k) continue;
      if (!g.has(k)) g.set(k, []);
      g.get(k).push(l.id);
    }
    return g;
  }

  isGroupVisible(group, map = this.map) {
    const ids = this.groups().get(group) || [];
    return ids.some((id) => map.getLayoutProperty(id, 'visibility') !== 'none');
  }

  setGroupVisible(group, on, map = this.map) {
    for (const id of this.groups().get(group) || []) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  }

  /** Scales each layer's own opacity (the style's value, e.g. paler drafts) by v in 0..1. */
  setGroupOpacity(group, v, map = this.map) {
    const props = { fill: 'fill-opacity', line: 'line-opacity', symbol: 'text-opacity', raster: 'raster-opacity', circle: 'circle-opacity' };
    this.baseOpacity = this.baseOpacity || new Map();
    for (const id of this.groups().get(group) || []) {
      const prop = props[map.getLayer(id)?.type];
      if (!prop) continue;
      if (!this.baseOpacity.has(id)) {
        const cur = map.getPaintProperty(id, prop);
        this.baseOpacity.set(id, typeof cur === 'number' ? cur : 1);
      }
      map.setPaintProperty(id, prop, this.baseOpacity.get(id) * v);
    }
    if (this.compare && map === this.map) this.setGroupOpacity(group, v, this.compare.map);
  }

  setData(source, geojson) {
    this.map.getSource(source)?.setData(geojson || EMPTY);
  }

  /**
   * Room the open panel takes over the map, as fitBounds padding: a side panel on wide
   * screens. On phones the bottom sheet is the map's own padding (`setSheetInset`), so a fit
   * adds only margins to it.
   */
  panelPadding() {
    const pad = { top: 40, bottom: 40, left: 40, right: 50 };
    const panel = document.getElementById('panel');
    const inset = this.sheetInset?.();
    if (inset != null) {
      if (inset > 0 || this.map.getPadding().bottom > 0) this.map.jumpTo(this.cameraKeepingView({ top: 0, left: 0, right: 0, bottom: inset }));
      return { top: 30, bottom: 20, left: 20, right: 20 };
    }
    if (!panel || panel.hidden) return pad;
    const m = this.map.getContainer().getBoundingClientRect();
    const p = panel.getBoundingClientRect();
    if (p.width < m.width * 0.8) pad.left = Math.min(m.width * 0.6, p.right - m.left + 30);
    else pad.bottom = Math.min(m.height * 0.7, m.bottom - p.top + 30);
    return pad;
  }

  fitBbox(bbox, maxZoom = 18) {
    const [w, s, e, n] = bbox;
    this.map.fitBounds([[w, s], [e, n]], { padding: this.panelPadding(), maxZoom, duration: 600 });
  }

  /**
   * `panelPadding()` for flyTo/easeTo: unlike fitBounds's, their padding replaces the
   * camera's, so the phone's sheet is added to it.
   */
  flyPadding() {
    const padding = this.panelPadding();
    padding.bottom += Math.max(0, this.sheetInset?.() || 0);
    return padding;
  }

  flyTo(lonlat, zoom = 18) {
    this.map.flyTo({ center: lonlat, zoom, padding: this.flyPadding(), duration: 600 });
  }

  /**
   * The camera for new `padding` that leaves the map where it is on screen: its centre is
   * the point now at the middle of the new padded area (changing the padding alone would
   * slide the map by half the change).
   */
  cameraKeepingView(padding) {
    const c = this.map.getContainer();
    const x = (padding.left + c.clientWidth - padding.right) / 2;
    const y = (padding.top + c.clientHeight - padding.bottom) / 2;
    return { center: this.map.unproject([x, y]), padding };
  }

  /**
   * The phone's bottom sheet covers `inset` pixels of the map's bottom: the camera is padded
   * by it, so the map's centre is the centre of the part still seen, and what is on screen
   * stays where it is. With `bbox` (the selected parcel or site) on screen but partly under
   * the sheet (or under whatever `topInset()` says covers the map's top, a lesson's card),
   * the camera moves so that it is seen whole, zooming out only when it would not fit at the
   * current zoom. A selection the person has moved away from is not brought back.
   */
  setSheetInset(inset, bbox = null, { animate = true } = {}) {
    const padding = { top: 0, left: 0, right: 0, bottom: Math.max(0, Math.round(inset)) };
    const duration = animate && !window.matchMedia('(prefers-reduced-motion: reduce)').matches ? 300 : 0;
    const keep = () => {
      const p = this.map.getPadding();
      if (p.top !== 0 || p.left !== 0 || p.right !== 0 || p.bottom !== padding.bottom) this.map.easeTo({ ...this.cameraKeepingView(padding), duration });
    };
    if (!bbox) return keep();
    const c = this.map.getContainer();
    const W = c.clientWidth;
    const H = c.clientHeight;
    const top = Math.max(0, Math.min(H / 2, Number(this.topInset?.()) || 0));
    const [w, s, e, n] = bbox;
    const pts = [[w, s], [e, s], [e, n], [w, n]].map((q) => this.map.project(q));
    const xs = pts.map((q) => q.x);
    const ys = pts.map((q) => q.y);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const onScreen = x1 > 0 && x0 < W && y1 > 0 && y0 < H;
    const seenWhole = x0 >= 0 && x1 <= W && y0 >= top && y1 <= H - padding.bottom;
    // A sheet pulled up over nearly all the map: framing in the sliver left would zoom out to
    // the whole province and stay there; the selection is framed when the sheet comes down.
    if (!onScreen || seenWhole || H - padding.bottom - top < 100) return keep();
    const margin = 24;
    const cam = this.map.cameraForBounds([[w, s], [e, n]], {
      padding: { top: top + margin + 10, left: margin, right: margin, bottom: padding.bottom + margin },
      absolutePadding: true,
      maxZoom: this.map.getMaxZoom(),
    });
    if (!cam) return keep();
    // The fit's centre is the middle of the area between the covers; the camera's padding is
    // the sheet's alone, whose middle is (top + 10) / 2 pixels higher (north up, no pitch).
    const zoom = Math.min(this.map.getZoom(), cam.zoom);
    const m = maplibregl.MercatorCoordinate.fromLngLat(cam.center);
    const dy = (top + 10) / 2 / (512 * 2 ** zoom);
    const center = new maplibregl.MercatorCoordinate(m.x, m.y - dy).toLngLat();
    this.map.easeTo({ center, zoom, bearing: 0, pitch: 0, padding, duration });
  }

  /**
   * The lowest zoom at which parcels are drawn (the style's parcel layers' minzoom): below
   * it a tap would pick a parcel nobody can see.
   */
  pickZoom() {
    const ids = this.groups().get('parcels') || [];
    const zooms = ids.map((id) => this.map.getLayer(id)?.minzoom).filter((z) => Number.isFinite(z) && z > 0);
    return zooms.length ? Math.min(...zooms) : DEFAULT_PICK_ZOOM;
  }

  /**
   * A picture of the map for the printed sheet, drawn by a second map of `width` × `height`
   * CSS pixels (96 per inch, so a style's 12 px label prints at 9 pt when the picture is
   * printed at that size) with the current style and overlays, north up, framing `bbox`
   * with `minSpanM` metres at least around it. Returns the PNG data URL, the zoom and
   * centre it was drawn at, and `points` ([lon, lat]) projected to picture pixels.
   */
  async printImage({ width, height, bbox, points = [], minSpanM = 60, pixelRatio = 2, timeoutMs = 8000 }) {
    const el = document.createElement('div');
    el.setAttribute('aria-hidden', 'true');
    el.style.cssText = `position:fixed;left:-${width + 100}px;top:0;width:${width}px;height:${height}px;pointer-events:none`;
    document.body.appendChild(el);
    const style = this.map.getStyle();
    const [w, s, e, n] = bbox;
    const lat = (s + n) / 2;
    // Widen the frame so the neighbours and the roads around the site are seen too.
    const mPerDegLon = 111_320 * Math.cos((lat * Math.PI) / 180);
    const spanX = Math.max((e - w) * 2.6, minSpanM / mPerDegLon);
    const spanY = Math.max((n - s) * 2.6, minSpanM / 110_574);
    const cx = (w + e) / 2;
    const cy = (s + n) / 2;
    const other = new maplibregl.Map({
      container: el,
      style,
      bounds: [[cx - spanX / 2, cy - spanY / 2], [cx + spanX / 2, cy + spanY / 2]],
      maxZoom: 20,
      bearing: 0,
      pitch: 0,
      interactive: false,
      attributionControl: false,
      fadeDuration: 0,
      pixelRatio,
      transformRequest,
      canvasContextAttributes: { preserveDrawingBuffer: true, antialias: true },
    });
    try {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        other.once('idle', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      const url = other.getCanvas().toDataURL('image/png');
      const zoom = other.getZoom();
      const center = other.getCenter().toArray();
      const projected = points.map((ll) => {
        const p = other.project(ll);
        return [p.x, p.y];
      });
      return { url, zoom, center, width, height, projected };
    } finally {
      other.remove();
      el.remove();
    }
  }
  snapshot() {
    try {
      return this.map.getCanvas().toDataURL('image/png');
    } catch {
      return null;
    }
  }

  /** Land-use codes drawn in the current view, from the visible planning layers. */
  landuseInView() {
    const ids = this.map.getStyle().layers.filter((l) => l.type === 'fill' && !l.id.startsWith('qh-') && this.map.getLayoutProperty(l.id, 'visibility') !== 'none').map((l) => l.id);
    const codes = new Set();
    for (const f of this.map.queryRenderedFeatures({ layers: ids })) if (f.properties.landuse) codes.add(f.properties.landuse);
    return codes;
  }

  /**
   * Current vs planned land use. "current": parcels filled by their current use, plans
   * hidden. "planned": the plans chosen in the layer panel. "compare": a second map over
   * the first, clipped at a swipe line, shows current use on the left.
   */
  async setView(view, planGroups) {
    this.view = view;
    const current = view === 'current';
    this.setGroupVisible('current', current);
    for (const g of planGroups) this.setGroupVisible(g, !current && !this.hidden.has(g));
    if (view === 'compare') await this.openCompare(planGroups);
    else this.closeCompare();
  }

  async openCompare(planGroups) {
    if (this.compare) return;
    const el = document.createElement('div');
    el.id = 'map-compare';
    el.setAttribute('aria-hidden', 'true');
    this.map.getContainer().parentElement.insertBefore(el, this.map.getContainer().nextSibling);
    const style = this.map.getStyle();
    const other = new maplibregl.Map({
      container: el,
      style,
      center: this.map.getCenter(),
      zoom: this.map.getZoom(),
      interactive: false,
      attributionControl: false,
      transformRequest,
      canvasContextAttributes: { preserveDrawingBuffer: true },
    });
    await new Promise((r) => other.once('load', r));
    this.setGroupVisible('current', true, other);
    for (const g of planGroups) this.setGroupVisible(g, false, other);
    const line = document.createElement('div');
    line.className = 'compare-line';
    el.parentElement.appendChild(line);
    const sync = () => other.jumpTo({ center: this.map.getCenter(), zoom: this.map.getZoom(), bearing: this.map.getBearing(), pitch: this.map.getPitch() });
    this.map.on('move', sync);
    const range = document.getElementById('compare-range');
    const clip = () => {
      const w = el.clientWidth;
      const x = (w * Number(range.value)) / 100;
      el.style.clipPath = `inset(0 ${w - x}px 0 0)`;
      line.style.left = `${x - 1}px`;
      // The tags ride on either side of the line, so a side panel never hides them.
      const left = document.querySelector('#compare-ui .compare-tag.left');
      const right = document.querySelector('#compare-ui .compare-tag.right');
      if (left) left.style.cssText = `left:auto;right:${w - x + 8}px`;
      if (right) right.style.cssText = `right:auto;left:${x + 8}px`;
    };
    range.addEventListener('input', clip);
    window.addEventListener('resize', clip);
    document.getElementById('compare-ui').hidden = false;
    clip();
    this.compare = { map: other, el, line, sync, clip, range };
  }

  closeCompare() {
    if (!this.compare) return;
    const c = this.compare;
    this.map.off('move', c.sync);
    c.range.removeEventListener('input', c.clip);
    window.removeEventListener('resize', c.clip);
    c.map.remove();
    c.el.remove();
    c.line.remove();
    document.getElementById('compare-ui').hidden = true;
    this.compare = null;
  }
}
