// Shared by the end-to-end test and the first-load measurement: start the real server
// on a demo store, make sure web/dist is served (by the server itself, or by a tiny static
// server in front of it while the server has no route for it), launch Debian's Chromium.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startStatic } from './serve.mjs';

export const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = path.resolve(WEB, '..');

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitFor(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.ok) return true;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

/**
 * A new database on the PostgreSQL server QUYHOACH_E2E_PG names (an admin URL, as
 * scripts/setup-postgres.sh prints): the demo is built into it and served from it. Its URL.
 */
function newDatabase(admin) {
  const name = `qh_e2e_${process.pid}_${Date.now() % 1e9}`;
  const r = spawnSync('psql', [admin, '-q', '-c', `CREATE DATABASE ${name}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`creating the test database: ${r.stderr}`);
  return `${admin.slice(0, admin.lastIndexOf('/'))}/${name}`;
}

/**
 * The site under test. QUYHOACH_E2E_URL uses a server already running; otherwise the
 * release binary builds a demo store of `parcels` parcels in a temporary directory, or with
 * QUYHOACH_E2E_PG in a new PostGIS database (the same pages and answers from the other store).
 */
export async function startSite({ parcels = 3000 } = {}) {
  const cleanups = [];
  let api = process.env.QUYHOACH_E2E_URL;
  if (!api) {
    const bin = process.env.QUYHOACH_BIN || path.join(REPO, 'target/release/quyhoach');
    if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run cargo build --release --bin quyhoach first`);
    if (!fs.existsSync(path.join(WEB, 'dist/index.html'))) throw new Error('web/dist is missing: run npm run build in web/ first');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quyhoach-e2e-'));
    const store = process.env.QUYHOACH_E2E_PG ? newDatabase(process.env.QUYHOACH_E2E_PG) : dir;
    const port = await freePort();
    const child = spawn(bin, ['demo', '--store', store, '--parcels', String(parcels), '--listen', `127.0.0.1:${port}`, '-q'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, QUYHOACH_WEB_DIR: path.join(WEB, 'dist') },
    });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    cleanups.push(() => {
      child.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    });
    api = `http://127.0.0.1:${port}`;
    if (!(await waitFor(`${api}/api/v1/health`, 180_000))) {
      cleanups.forEach((f) => f());
      throw new Error(`the server did not start:\n${log}`);
    }
  }
  // Does the server serve the web app at / ? If not, put a static server in front.
  let url = api;
  const home = await fetch(`${api}/`).then((r) => (r.ok ? r.text() : '')).catch(() => '');
  let servedBy = 'server';
  if (!home.includes('id="search-input"')) {
    const s = await startStatic({ api });
    cleanups.push(() => s.server.close());
    url = s.url;
    servedBy = 'tests/serve.mjs (the server does not serve web/dist yet)';
  }
  return { url, api, servedBy, close: () => cleanups.reverse().forEach((f) => f()) };
}

export async function launch({ viewport = { width: 1280, height: 800 } } = {}) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quyhoach-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    locale: 'vi-VN',
  });
  const close = async () => {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close };
}

/**
 * The steps of a test file: `step(name, fn)` runs one and prints ok/FAIL; `finish(extraFailures)`
 * prints the closing `N passed, N failed` line and exits non-zero if anything failed.
 */
export function steps() {
  const results = [];
  async function step(name, fn) {
    const t0 = Date.now();
    try {
      await fn();
      results.push({ name, ok: true });
      console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      results.push({ name, ok: false });
      console.log(`FAIL ${name}: ${e.message}`);
    }
  }
  function finish(extraFailures = 0) {
    const failed = results.filter((r) => !r.ok).length + extraFailures;
    console.log(`\n${results.length - failed + extraFailures} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  }
  return { step, finish, results };
}

/**
 * The real server on a demo store that a test can restart (same store, same portal
 * database `db`, same port) as an operator would: `restart()` kills the
 * process (SIGKILL by default: nothing is flushed on the way out) and starts it again.
 * The server serves web/dist itself.
 */
export async function startRestartableSite({ parcels = 3000, args = [], postgis = false } = {}) {
  const bin = process.env.QUYHOACH_BIN || path.join(REPO, 'target/release/quyhoach');
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run cargo build --release --bin quyhoach first`);
  if (!fs.existsSync(path.join(WEB, 'dist/index.html'))) throw new Error('web/dist is missing: run npm run build in web/ first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quyhoach-e2e-'));
  // `postgis`: a test that needs no directory's files runs, with QUYHOACH_E2E_PG, on a new
  // PostGIS database; the portal's workshops then live in a file of their own (--db).
  const onPg = postgis && process.env.QUYHOACH_E2E_PG;
  const store = onPg ? newDatabase(process.env.QUYHOACH_E2E_PG) : dir;
  const db = path.join(dir, 'portal.sqlite');
  if (onPg) args = [...args, '--db', db];
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child = null;
  let log = '';
  const spawnServer = async (ms) => {
    child = spawn(bin, ['demo', '--store', store, '--parcels', String(parcels), '--listen', `127.0.0.1:${port}`, '-q', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, QUYHOACH_WEB_DIR: path.join(WEB, 'dist') },
    });
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    if (!(await waitFor(`${url}/api/v1/health`, ms))) {
      child.kill('SIGKILL');
      throw new Error(`the server did not start:\n${log}`);
    }
  };
  const stop = (signal = 'SIGKILL') =>
    new Promise((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  // A test that dies half-way leaves no server behind.
  process.on('exit', () => child?.kill('SIGKILL'));
  await spawnServer(180_000);
  return {
    url,
    api: url,
    store,
    db,
    log: () => log,
    async restart({ signal = 'SIGKILL' } = {}) {
      await stop(signal);
      await spawnServer(60_000);
    },
    async close() {
      await stop('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
