// Builds web/ into web/dist: static files only, no CDN. MapLibre goes into its own chunk
// (loaded after the page shell) and its worker is emitted as a file.
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

export default defineConfig({
  base: '/',
  plugins: [inlineShellCss()],
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
