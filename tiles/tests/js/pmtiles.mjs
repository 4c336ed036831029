// Reads a PMTiles archive with Protomaps' reference reader (npm "pmtiles") and prints its
// header, metadata and the gzip-decompressed size and SHA-256 of each requested tile.
// Usage: node pmtiles.mjs ARCHIVE z/x/y [z/x/y ...]
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { PMTiles } from "pmtiles";

const [file, ...tiles] = process.argv.slice(2);
const buf = readFileSync(file);
const source = {
  getKey: () => file,
  getBytes: async (offset, length) => ({
    data: buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + offset + length),
  }),
};
const p = new PMTiles(source);
const header = await p.getHeader();
const metadata = await p.getMetadata();
const out = { header, metadata, tiles: {} };
for (const t of tiles) {
  const [z, x, y] = t.split("/").map(Number);
  const r = await p.getZxy(z, x, y);
  out.tiles[t] = r
    ? { bytes: r.data.byteLength, sha256: createHash("sha256").update(Buffer.from(r.data)).digest("hex") }
    : null;
}
process.stdout.write(JSON.stringify(out));
