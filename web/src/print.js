// The A4 planning sheet: a map snapshot (the map keeps its drawing buffer for this), the
// legend of the land uses in the report, the report, plan references, the date and a QR
// code back to the online lookup. The print CSS hides everything else.
import { t, getLang } from './i18n.js';
import { esc, reportHtml, siteTitle } from './report.js';
import { qrSvg } from './qr.js';

export async function printReport(app) {
  const r = app.report;
  if (!r) return;
  const mv = app.mapView;
  if (mv) {
    // Frame the site, wait for the tiles, then take the picture.
    const b = r.site?.bbox;
    if (b) mv.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 60, maxZoom: 19, duration: 0 });
    await new Promise((res) => {
      const timer = setTimeout(res, 4000);
      mv.map.once('idle', () => {
        clearTimeout(timer);
        res();
      });
      mv.map.triggerRepaint();
    });
  }
  const img = mv?.snapshot();
  const url = app.currentUrl ? app.currentUrl() : location.href;
  const en = getLang() === 'en';
  const uses = new Map();
  for (const c of r.site?.current_landuse || []) uses.set(c.code, { color: c.color, name: en ? c.name_en : c.name_vi });
  for (const pr of r.plans) for (const z of pr.zones) uses.set(z.landuse, { color: z.color, name: en ? z.landuse_name_en : z.landuse_name_vi });
  const legend = [...uses]
    .map(([code, u]) => `<li><span class="swatch" style="background:${esc(u.color)}"></span><code>${esc(code)}</code> ${esc(u.name || '')}</li>`)
    .join('');
  const sheet = document.getElementById('print-sheet');
  sheet.innerHTML = `
    <h1>${esc(t('print.title'))}</h1>
    <p style="text-align:center">${esc(siteTitle(r, app.reportCtx))}${r.site?.commune_name ? ` — ${esc(r.site.commune_name)}` : ''}</p>
    <div class="ps-grid">
      <div>${img ? `<img class="ps-map" src="${img}" alt="${esc(t('print.map'))}" />` : ''}</div>
      <div class="ps-qr">${qrSvg(url, { label: t('print.qr') })}<p class="small">${esc(t('print.qr'))}</p>
        <h3>${esc(t('print.legend'))}</h3>
        <ul class="legend">${legend}
          <li><span class="swatch" style="background:#ffd400;border:2px solid #111"></span>${esc(t('print.site'))}</li>
          <li><span class="swatch" style="background:#e00000"></span>${esc(t('print.redline'))}</li></ul>
      </div>
    </div>
    <div class="ps-report">${reportHtml(r, app.reportCtx)}</div>
    <p class="small">${esc(t('print.date', { date: new Date().toLocaleString(en ? 'en-GB' : 'vi-VN') }))} · ${esc(url)}</p>`;
  window.print();
}
