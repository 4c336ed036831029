// The qgis strings, Vietnamese and English (merged into i18n.js's table; keys prefixed 'qgis.'),
// and the layers panel's "Open in QGIS" link: a QGIS project of the current view
// (GET /qgis/project.qgs?bbox=w,s,e,n&lang=…), downloaded as quyhoach.qgs.
import { t, getLang } from '../i18n.js';

export default {
  vi: {
    'qgis.title': 'Dùng trong QGIS',
    'qgis.open': 'Mở trong QGIS',
    'qgis.hint': 'Tải dự án QGIS của khung nhìn này (.qgs): thửa đất, khu quy hoạch tô màu theo mã đất, chỉ giới đường đỏ — đọc trực tiếp từ trang qua OGC API. Mở bằng QGIS 3.22 trở lên.',
  },
  en: {
    'qgis.title': 'Use in QGIS',
    'qgis.open': 'Open in QGIS',
    'qgis.hint': 'Download a QGIS project of this view (.qgs): parcels, zones coloured by land-use code, red lines — read live from this site over OGC API. Open it with QGIS 3.22 or later.',
  },
};

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/** The project URL of the map's current view (the data's bounds when there is no map or the view is huge). */
export function qgisHref(mv) {
  const lang = getLang() === 'en' ? 'en' : 'vi';
  const b = mv?.map?.getBounds?.();
  if (!b) return `/qgis/project.qgs?lang=${lang}`;
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const w = clamp(b.getWest(), -180, 180);
  const e = clamp(b.getEast(), -180, 180);
  const s = clamp(b.getSouth(), -85, 85);
  const n = clamp(b.getNorth(), -85, 85);
  if (!(w < e && s < n) || e - w > 20 || n - s > 20) return `/qgis/project.qgs?lang=${lang}`;
  const f = (v) => v.toFixed(6);
  return `/qgis/project.qgs?bbox=${f(w)},${f(s)},${f(e)},${f(n)}&lang=${lang}`;
}

/** The panel's section: a download link and one line saying what it is. */
export function qgisLink() {
  return `<h3>${esc(t('qgis.title'))}</h3>
    <p><a id="btn-qgis" class="btn" href="/qgis/project.qgs" download="quyhoach.qgs" aria-describedby="qgis-hint">${esc(t('qgis.open'))}</a></p>
    <p id="qgis-hint" class="muted small">${esc(t('qgis.hint'))}</p>`;
}

/** Keeps the link on the current view: set now, and again just before it is followed. */
export function wireQgisLink(body, app) {
  const a = body.querySelector('#btn-qgis');
  if (!a) return;
  const update = () => (a.href = qgisHref(app.mapView));
  update();
  for (const ev of ['pointerdown', 'focus', 'keydown', 'click']) a.addEventListener(ev, update);
}
