// QR codes as inline SVG, drawn locally (no QR web service).
import qrcode from 'qrcode-generator';

export function qrSvg(text, { margin = 2, label = '' } = {}) {
  const qr = qrcode(0, 'M');
  qr.addData(unescape(encodeURIComponent(text))); // UTF-8 bytes
  qr.make();
  const n = qr.getModuleCount();
  const size = n + margin * 2;
  let path = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) if (qr.isDark(r, c)) path += `M${c + margin} ${r + margin}h1v1h-1z`;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" role="img" aria-label="${label.replace(/"/g, '&quot;')}" shape-rendering="crispEdges"><rect width="${size}" height="${size}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`;
}
