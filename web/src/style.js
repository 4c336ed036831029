// The fallback MapLibre style, used only when the server has no /styles/planning.json.
// Same rules as the server's style: zones coloured by land use from the code table,
// parcel outlines and numbers at high zoom, red lines, commune boundaries, roads and
// Vietnamese labels. Text uses the reader's local fonts (no `glyphs` URL), so nothing is
// fetched from outside.
//
// Every layer carries `metadata["qh:group"]`: the layer panel switches groups, not layers.
// Groups are store layer ids ("zones-qhpk-2000", "parcels", …) plus "current" (parcels
// filled by their current land use) and "base" (an optional raster base map).

export const FONT = ['Noto Sans Regular', 'Noto Sans', 'DejaVu Sans', 'Arial', 'sans-serif'];

export function landuseColorExpr(codes, fallback = '#d9d9d9') {
  const expr = ['match', ['get', 'landuse']];
  for (const c of codes) expr.push(c.code, c.color);
  expr.push(fallback);
  return codes.length ? expr : fallback;
}

/** Visible by default: plans in force (drafts and expired plans are opt-in). */
export function defaultVisible(layer, plansById) {
  if (layer.kind !== 'zones' && layer.kind !== 'redlines') return true;
  const plan = plansById[layer.plan];
  return !plan || plan.status === 'in_force' || plan.status === 'adjusted';
}

/**
 * The operator's raster base map (config.json `raster_base`): its source, and the layer
 * drawing it, to go under every planning layer. `maxzoom` stops requests for zooms the
 * operator has no tiles for (MapLibre enlarges the last level instead).
 */
export function rasterBase(raster) {
  return {
    source: {
      type: 'raster',
      tiles: raster.tiles,
      tileSize: raster.tileSize || 256,
      maxzoom: raster.maxzoom || 19,
      // Where the operator has tiles: MapLibre asks for none elsewhere (no 404s).
      ...(Number.isFinite(raster.minzoom) ? { minzoom: raster.minzoom } : {}),
      ...(Array.isArray(raster.bounds) && raster.bounds.length === 4 ? { bounds: raster.bounds } : {}),
      attribution: raster.attribution || '',
    },
    layer: { id: 'base-raster', type: 'raster', source: 'base', metadata: { 'qh:group': 'base' } },
  };
}

/**
 * @param {object} o
 * @param {Array} o.codes land-use codes ({code, color, …})
 * @param {Array} o.layers store layers from /api/v1/layers ({id, kind, plan})
 * @param {object} o.plansById plans by id
 * @param {'vector'|'geojson'} o.mode vector tiles from /tiles/planning.json, or GeoJSON sources filled later
 * @param {object|null} o.raster optional operator raster base {tiles, attribution, tileSize, maxzoom}
 */
export function buildStyle({ codes, layers, plansById, mode, raster, tilejson = '/tiles/planning.json' }) {
  const sources = {};
  const src = (id) => (mode === 'vector' ? { source: 'planning', 'source-layer': id } : { source: `qh-${id}` });
  if (mode === 'vector') sources.planning = { type: 'vector', url: tilejson };
  else for (const l of layers) sources[`qh-${l.id}`] = { type: 'geojson', data: { type: 'FeatureCollection', features: [] } };

  const color = landuseColorExpr(codes);
  const out = [{ id: 'background', type: 'background', paint: { 'background-color': '#f2efe6' } }];
  const vis = (l) => ({ visibility: defaultVisible(l, plansById) ? 'visible' : 'none' });
  const meta = (group) => ({ 'qh:group': group });

  if (raster && raster.tiles) {
    const base = rasterBase(raster);
    sources.base = base.source;
    out.push(base.layer);
  }
  const byKind = (k) => layers.filter((l) => l.kind === k);
  // District land-use plans below zoning plans, drafts on top so they are seen when shown.
  const rank = (l) => {
    const p = plansById[l.plan] || {};
    return (p.level === 'district_land_use' ? 0 : 1) + (p.status === 'draft' ? 2 : 0);
  };
  const zones = byKind('zones').sort((a, b) => rank(a) - rank(b));

  for (const l of byKind('boundaries')) {
    out.push({ id: `${l.id}-fill`, type: 'fill', ...src(l.id), metadata: meta(l.id), paint: { 'fill-color': '#ffffff', 'fill-opacity': 0.35 } });
  }
  for (const l of zones) {
    out.push({ id: `${l.id}-fill`, type: 'fill', ...src(l.id), metadata: meta(l.id), layout: vis(l), paint: { 'fill-color': color, 'fill-opacity': 0.78 } });
  }
  for (const l of byKind('parcels')) {
    out.push({ id: `${l.id}-current-fill`, type: 'fill', ...src(l.id), metadata: meta('current'), layout: { visibility: 'none' }, paint: { 'fill-color': color, 'fill-opacity': 0.85 } });
  }
  for (const l of zones) {
    out.push({ id: `${l.id}-line`, type: 'line', ...src(l.id), metadata: meta(l.id), layout: vis(l), paint: { 'line-color': '#6b5b4b', 'line-width': ['interpolate', ['linear'], ['zoom'], 13, 0.4, 18, 1.2], 'line-opacity': 0.8 } });
  }
  for (const l of byKind('parcels')) {
    out.push({ id: `${l.id}-line`, type: 'line', ...src(l.id), minzoom: 15, metadata: meta(l.id), paint: { 'line-color': '#4d4d4d', 'line-width': ['interpolate', ['linear'], ['zoom'], 15, 0.3, 19, 1.2], 'line-opacity': 0.9 } });
  }
  for (const l of byKind('roads')) {
    out.push({ id: `${l.id}-casing`, type: 'line', ...src(l.id), metadata: meta(l.id), layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': '#9e9e9e', 'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 12, 2, 18, 18] } });
    out.push({ id: `${l.id}-line`, type: 'line', ...src(l.id), metadata: meta(l.id), layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': '#ffffff', 'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 12, 1, 18, 15] } });
  }
  for (const l of byKind('boundaries')) {
    out.push({ id: `${l.id}-line`, type: 'line', ...src(l.id), metadata: meta(l.id), paint: { 'line-color': '#5a3d7a', 'line-width': 2, 'line-dasharray': [4, 2] } });
  }
  for (const l of byKind('redlines')) {
    out.push({ id: `${l.id}-line`, type: 'line', ...src(l.id), metadata: meta(l.id), layout: vis(l), paint: { 'line-color': '#e00000', 'line-width': ['interpolate', ['linear'], ['zoom'], 13, 1.2, 18, 3] } });
  }
  const text = (extra) => ({ 'text-font': FONT, 'text-size': 12, ...extra });
  const halo = { 'text-color': '#222', 'text-halo-color': '#fff', 'text-halo-width': 1.4 };
  for (const l of zones) {
    out.push({ id: `${l.id}-label`, type: 'symbol', ...src(l.id), minzoom: 16, metadata: meta(l.id), layout: { ...vis(l), ...text({ 'text-field': ['get', 'landuse'], 'text-size': 12 }) }, paint: halo });
  }
  for (const l of byKind('parcels')) {
    out.push({ id: `${l.id}-label`, type: 'symbol', ...src(l.id), minzoom: 17.5, metadata: meta(l.id), layout: text({ 'text-field': ['to-string', ['get', 'parcel']], 'text-size': 11 }), paint: { 'text-color': '#333', 'text-halo-color': '#fff', 'text-halo-width': 1 } });
  }
  for (const l of byKind('roads')) {
    out.push({ id: `${l.id}-label`, type: 'symbol', ...src(l.id), minzoom: 14, metadata: meta(l.id), layout: text({ 'text-field': ['get', 'name'], 'symbol-placement': 'line', 'text-size': 12 }), paint: halo });
  }
  for (const l of byKind('boundaries')) {
    out.push({ id: `${l.id}-label`, type: 'symbol', ...src(l.id), maxzoom: 16, metadata: meta(l.id), layout: text({ 'text-field': ['get', 'name'], 'text-size': 15 }), paint: { 'text-color': '#3b2463', 'text-halo-color': '#fff', 'text-halo-width': 2 } });
  }
  return {
    version: 8,
    name: 'quyhoach fallback',
    metadata: { 'qh:fallback': true },
    sources,
    layers: out,
  };
}

/**
 * The group of a layer of any style (ours or the server's): our metadata, else the
 * source layer (MVT layers are named after the store layers); parcels filled with a
 * colour by land use are the "current land use" group.
 */
export function groupOf(layer) {
  const g = layer.metadata && layer.metadata['qh:group'];
  if (g) return g;
  const sl = layer['source-layer'];
  if (!sl) return layer.type === 'raster' ? 'base' : null;
  if (sl === 'parcels' && layer.type === 'fill') {
    const c = JSON.stringify(layer.paint?.['fill-color'] ?? '');
    if (c.includes('landuse')) return 'current';
  }
  return sl;
}
