// Decodes one vector tile with Mapbox's reader (@mapbox/vector-tile + pbf) and prints its
// layers as JSON: per feature the id, type, properties, raw rings/lines in tile coordinates
// (loadGeometry) and each ring's signed area by the spec's formula (y down), plus the
// GeoJSON that Mapbox's ring classification makes of it. Usage: node decode.mjs TILE z x y
import { readFileSync } from "node:fs";
import { PbfReader } from "pbf";
import { VectorTile } from "@mapbox/vector-tile";

const [file, z, x, y] = process.argv.slice(2);
const tile = new VectorTile(new PbfReader(readFileSync(file)));
const area = (ring) => {
  let s = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    s += ring[j].x * ring[i].y - ring[i].x * ring[j].y;
  }
  return s / 2;
};
const out = {};
for (const name of Object.keys(tile.layers)) {
  const layer = tile.layers[name];
  const features = [];
  for (let i = 0; i < layer.length; i++) {
    const f = layer.feature(i);
    const geom = f.loadGeometry();
    features.push({
      id: f.id,
      type: ["Unknown", "Point", "LineString", "Polygon"][f.type],
      properties: f.properties,
      paths: geom.map((r) => r.map((p) => [p.x, p.y])),
      areas: f.type === 3 ? geom.map(area) : [],
      geojson: f.toGeoJSON(Number(x), Number(y), Number(z)).geometry,
    });
  }
  out[name] = { version: layer.version, extent: layer.extent, features };
}
process.stdout.write(JSON.stringify(out));
