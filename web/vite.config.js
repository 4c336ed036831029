// Builds web/ into web/dist: static files only, no CDN. MapLibre goes into its own chunk
// (loaded after the page shell) and its worker is emitted as a file.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { defineConfig } from 'vite';

// `npm run dev` proxies the API to a running server (quyhoach demo listens on :8080).
const api = process.env.QUYHOACH_API || 'http://127.0.0.1:8080';

/**
 * The shell's stylesheet is inlined into index.html: on a 2 s-latency link each extra
 * round trip before the first paint costs seconds, and the sheet is a few KiB.
 */
function inlineShellCss() {
  return {
    name: 'inline-shell-css',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        return html.replace(/<link rel="stylesheet"[^>]*href="\/(assets\/[^"]+\.css)"[^>]*>/g, (tag, file) => {
          const asset = ctx.bundle?.[file];
          if (!asset || asset.type !== 'asset') return tag;
          return `<style>${String(asset.source)}</style>`;
        });
      },
    },
  };
}

/**
 * Everything the first view needs is announced in the page's head, so the browser asks for
 * it all as soon as the HTML arrives instead of one round trip after another (script →
 * map chunk → its worker; script → catalog → style). On a 2 s-latency link each link of
 * that chain costs seconds.
 */
function preloadCriticalPath() {
  return {
    name: 'preload-critical-path',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const files = Object.values(ctx.bundle || {});
        const map = files.find((f) => f.type === 'chunk' && f.name === 'map');
        const worker = files.find((f) => /maplibre-gl-worker.*\.mjs$/.test(f.fileName));
        const mapCss = map?.viteMetadata?.importedCss ? [...map.viteMetadata.importedCss] : [];
        const links = [
          ...(map ? [`<link rel="modulepreload" href="/${map.fileName}">`] : []),
          ...mapCss.map((f) => `<link rel="preload" href="/${f}" as="style" crossorigin>`), // vite loads it with crossorigin
          ...(worker ? [`<link rel="preload" href="/${worker.fileName}" as="fetch" crossorigin>`] : []),
          ...['/api/v1/landuse-codes', '/api/v1/plans', '/api/v1/layers', '/styles/planning.json'].map((u) => `<link rel="preload" href="${u}" as="fetch" crossorigin>`),
        ];
        return html.replace('</head>', `    ${links.join('\n    ')}\n  </head>`);
      },
    },
  };
}

/**
 * Brotli (quality 11) and gzip (level 9) copies of every asset, written once at build time;
 * the server sends the smallest the browser accepts (MapLibre: 295 KiB gzip, 241 KiB brotli).
 */
function precompress() {
  let outDir = 'dist';
  return {
    name: 'precompress',
    apply: 'build',
    configResolved(c) {
      outDir = path.resolve(c.root, c.build.outDir);
    },
    closeBundle() {
      const dir = path.join(outDir, 'assets');
      if (!fs.existsSync(dir)) return;
      for (const f of fs.readdirSync(dir)) {
        if (!/\.(m?js|css|svg|json)$/.test(f)) continue;
        const data = fs.readFileSync(path.join(dir, f));
        if (data.length < 1024) continue;
        const br = zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } });
        fs.writeFileSync(path.join(dir, `${f}.br`), br);
        fs.writeFileSync(path.join(dir, `${f}.gz`), zlib.gzipSync(data, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  base: '/',
  plugins: [inlineShellCss(), preloadCriticalPath(), precompress()],
  build: {
    outDir: 'dist',
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: true,
  },
  server: {
    proxy: Object.fromEntries(['/api', '/ogc', '/tiles', '/styles', '/fonts'].map((p) => [p, api])),
  },
});
