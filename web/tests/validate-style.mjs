// MapLibre's own style validator as the judge of our fallback style (and of the server's
// /styles/planning.json when it serves one): builds the fallback from the live catalog.
//   node tests/validate-style.mjs            (starts a demo server)
//   QUYHOACH_E2E_URL=http://127.0.0.1:8080 node tests/validate-style.mjs
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';
import { buildStyle } from '../src/style.js';
import { startSite } from './harness.mjs';

const site = await startSite({ parcels: 1000 });
let failures = 0;
try {
  const get = (p) => fetch(site.api + p).then((r) => (r.ok ? r.json() : null));
  const [codes, plans, layers] = await Promise.all([get('/api/v1/landuse-codes'), get('/api/v1/plans'), get('/api/v1/layers')]);
  const plansById = Object.fromEntries(plans.plans.map((p) => [p.id, p]));
  const ctx = { codes: codes.codes, layers: layers.layers, plansById, raster: { tiles: ['https://example.invalid/{z}/{x}/{y}.png'], attribution: 'x' } };
  const styles = {
    'fallback (vector tiles)': buildStyle({ ...ctx, mode: 'vector', tilejson: `${site.api}/tiles/planning.json` }),
    'fallback (GeoJSON)': buildStyle({ ...ctx, mode: 'geojson' }),
  };
  const server = await get('/styles/planning.json');
  if (server) styles['server /styles/planning.json'] = server;
  else console.log('note: the server serves no /styles/planning.json yet');
  for (const [name, style] of Object.entries(styles)) {
    const errors = validateStyleMin(style);
    if (errors.length) {
      failures += 1;
      console.log(`FAIL ${name}:`);
      for (const e of errors) console.log(`  ${e.message}`);
    } else console.log(`ok   ${name}: ${style.layers.length} layers`);
  }
} finally {
  site.close();
}
process.exit(failures ? 1 : 0);
