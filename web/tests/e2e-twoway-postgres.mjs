// The two-way walk-through (e2e-twoway.mjs) again with the state in PostgreSQL: the server
// and the CLI get `--db-url` of a new database on the test server that scripts/test.sh
// starts (QUYHOACH_TEST_PG). Without it: skipped, except under CI, where it fails.
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const admin = process.env.QUYHOACH_TEST_PG;
if (!admin) {
  if (process.env.CI) {
    console.error('QUYHOACH_TEST_PG is not set: the two-way walk-through must run on PostgreSQL too (scripts/test.sh starts one)');
    process.exit(1);
  }
  console.log('skipped: QUYHOACH_TEST_PG is not set');
  process.exit(0);
}
const name = `qh_e2e_${process.pid}_${Date.now()}`;
const made = spawnSync('psql', [admin, '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${name}`], { encoding: 'utf8' });
if (made.status !== 0) {
  console.error(`creating the test database: ${made.stderr}`);
  process.exit(1);
}
const url = `${admin.slice(0, admin.lastIndexOf('/'))}/${name}`;
const dir = path.dirname(fileURLToPath(import.meta.url));
const r = spawnSync(process.execPath, [path.join(dir, 'e2e-twoway.mjs')], {
  stdio: 'inherit',
  env: { ...process.env, E2E_DB_URL: url },
});
process.exit(r.status ?? 1);
