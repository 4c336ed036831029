// Sharing a lookup: the stable link (hash with the parcel and map view), a QR code for
// phones, and the system share sheet (Zalo, Facebook, …) where the browser has one.
import { t } from './i18n.js';
import { esc } from './report.js';
import { qrSvg } from './qr.js';

export function openShare(url, title) {
  const dlg = document.getElementById('dialog');
  dlg.innerHTML = `<div class="dlg">
    <h2 id="dialog-title">${esc(t('share.title'))}: ${esc(title)}</h2>
    <label for="share-url" class="small">${esc(t('share.link'))}</label>
    <div class="share-url"><input id="share-url" readonly value="${esc(url)}" /><button type="button" class="btn" id="share-copy">${esc(t('share.copy'))}</button></div>
    <div class="qr" id="share-qr">${qrSvg(url, { label: t('share.qr') })}</div>
    <p class="small">${esc(t('share.qr'))}</p>
    <div class="actions-row">
      ${navigator.share ? `<button type="button" class="btn" id="share-native">${esc(t('share.native'))}</button>` : ''}
      <button type="button" class="btn primary" id="share-close">${esc(t('share.close'))}</button>
    </div></div>`;
  dlg.querySelector('#share-copy').addEventListener('click', async () => {
    const input = dlg.querySelector('#share-url');
    try {
      await navigator.clipboard.writeText(url);
    } catch {
      input.select();
      document.execCommand?.('copy');
    }
    dlg.querySelector('#share-copy').textContent = t('share.copied');
  });
  dlg.querySelector('#share-native')?.addEventListener('click', () => navigator.share({ title, url }).catch(() => {}));
  dlg.querySelector('#share-close').addEventListener('click', () => dlg.close());
  dlg.showModal();
  dlg.querySelector('#share-url').select();
}
