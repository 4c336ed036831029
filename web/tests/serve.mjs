// A tiny static server for web/dist that passes /api, /ogc, /tiles and /styles to a
// running quyhoach server: what the tests use while the server does not serve web/dist
// itself. Nothing is mocked.
//   node tests/serve.mjs --api http://127.0.0.1:8080 --listen 127.0.0.1:5173
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png' };
const PROXIED = ['/api/', '/ogc', '/tiles/', '/styles/', '/fonts/'];

export function startStatic({ api, port = 0, host = '127.0.0.1', root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist') }) {
  const target = new URL(api);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (PROXIED.some((p) => url.pathname.startsWith(p))) {
      const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      up.on('error', (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      req.pipe(up);
      return;
    }
    let file = path.normalize(path.join(root, decodeURIComponent(url.pathname)));
    if (!file.startsWith(root)) {
      res.writeHead(403);
      res.end();
      return;
    }
    if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(root, 'index.html');
    const type = TYPES[path.extname(file)] || 'application/octet-stream';
    const headers = { 'content-type': type, 'cache-control': file.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache', vary: 'Accept-Encoding' };
    // Compressed like the real server's responses, so byte counts are comparable.
    if (/text|javascript|json|svg/.test(type) && /gzip/.test(req.headers['accept-encoding'] || '')) {
      res.writeHead(200, { ...headers, 'content-encoding': 'gzip' });
      fs.createReadStream(file).pipe(zlib.createGzip({ level: 9 })).pipe(res);
    } else {
      res.writeHead(200, headers);
      fs.createReadStream(file).pipe(res);
    }
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve({ server, url: `http://${host}:${server.address().port}` })));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (k, d) => {
    const i = process.argv.indexOf(k);
    return i > 0 ? process.argv[i + 1] : d;
  };
  const [host, port] = arg('--listen', '127.0.0.1:5173').split(':');
  const { url } = await startStatic({ api: arg('--api', 'http://127.0.0.1:8080'), host, port: Number(port) });
  console.log(`serving web/dist on ${url}`);
}
