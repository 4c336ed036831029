// Runs every further end-to-end file (tests/e2e-*.mjs), one after another, each with its own
// server and browser; fails if any fails. `npm test` calls it after tests/e2e.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
let files = fs.readdirSync(dir).filter((f) => /^e2e-.+\.mjs$/.test(f)).sort();
// With QUYHOACH_E2E_PG (the PostGIS pass of scripts/test.sh): the files whose site the
// harness builds on a new PostGIS database (startSite, or startRestartableSite with
// `postgis: true`). The others keep a directory store of their own (announcements, workshop
// kits and the two-way CLI work on a directory's files) and ran in the embedded pass.
if (process.env.QUYHOACH_E2E_PG) {
  const all = files;
  files = all.filter((f) => /\bstartSite\(|startRestartableSite\([^)]*postgis: true/.test(fs.readFileSync(path.join(dir, f), 'utf8')));
  console.log(`on PostGIS: ${files.join(', ')}; on their own directory store (not run here): ${all.filter((f) => !files.includes(f)).join(', ')}`);
}
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
