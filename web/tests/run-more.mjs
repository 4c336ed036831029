// Runs every further end-to-end file (tests/e2e-*.mjs), one after another, each with its own
// server and browser; fails if any fails. `npm test` calls it after tests/e2e.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const files = fs.readdirSync(dir).filter((f) => /^e2e-.+\.mjs$/.test(f)).sort();
let failed = 0;
for (const f of files) {
  console.log(`\n== ${f}`);
  const r = spawnSync(process.execPath, [path.join(dir, f)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed += 1;
    console.log(`FAIL ${f} (exit ${r.status ?? r.signal})`);
  }
}
console.log(`\n${files.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
