// Docs screenshots: the end-to-end run's screenshots scaled to 800 px wide (by Chromium,
// no image library) into docs/img/web-*.png. Run `pngquant` on them afterwards if present.
//   node tests/doc-images.mjs 02-map 03-search-parcel-report …
import fs from 'node:fs';
import path from 'node:path';
import { launch, REPO } from './harness.mjs';

const SHOTS = path.join(REPO, 'target/e2e-screenshots');
const OUT = path.join(REPO, 'docs/img');
fs.mkdirSync(OUT, { recursive: true });
const { context, close } = await launch({ viewport: { width: 900, height: 900 } });
const page = await context.newPage();
for (const name of process.argv.slice(2)) {
  const src = fs.readFileSync(path.join(SHOTS, `${name}.png`)).toString('base64');
  await page.setContent(`<body style="margin:0"><img id="i" style="display:block;width:${name.includes('phone') ? 390 : 800}px" src="data:image/png;base64,${src}"></body>`);
  await page.waitForFunction(() => document.getElementById('i').complete);
  await page.locator('#i').screenshot({ path: path.join(OUT, `web-${name}.png`) });
  console.log(`docs/img/web-${name}.png`);
}
await close();
