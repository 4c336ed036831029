// Read aloud with the browser's speech synthesis, in a voice of the page's language: a
// Vietnamese voice (vi-VN) for Vietnamese text, an English one for English. A report read by
// a voice of another language is worse than none: without a voice of the page's language the
// button is shown disabled, with a sentence saying how to install one.
//
// `speakable` turns report text into whole words a voice says right: land-use codes by name,
// document numbers as "quyết định số 2341 của Ủy ban nhân dân", scales, dates, units, and
// decimal commas ("60,5%" → "sáu mươi phẩy năm phần trăm", never "60 . 5").
import { getLang, onLangChange } from './i18n.js';

// ---------------------------------------------------------------- numbers as Vietnamese words
const DIGITS = ['không', 'một', 'hai', 'ba', 'bốn', 'năm', 'sáu', 'bảy', 'tám', 'chín'];

/** 0–999 as words; `full` reads the hundreds even when zero ("không trăm linh năm"), as inside a larger number. */
function tripleVi(n, full) {
  const h = Math.floor(n / 100);
  const c = Math.floor((n % 100) / 10);
  const u = n % 10;
  const w = [];
  if (full || h > 0) w.push(DIGITS[h], 'trăm');
  if (c === 0) {
    if (u > 0 && w.length) w.push('linh');
  } else if (c === 1) w.push('mười');
  else w.push(DIGITS[c], 'mươi');
  if (u > 0 || (c === 0 && !w.length)) {
    if (u === 1 && c > 1) w.push('mốt');
    else if (u === 5 && c > 0) w.push('lăm');
    else w.push(DIGITS[u]);
  }
  return w.join(' ');
}

/** A whole number (0 … 999 999 999 999) in Vietnamese words: 2000 → "hai nghìn", 105 → "một trăm linh năm". */
export function numberVi(n) {
  n = Math.floor(Math.abs(n));
  if (!Number.isFinite(n) || n >= 1e12) return String(n);
  if (n === 0) return 'không';
  const groups = [];
  for (let x = n; x > 0; x = Math.floor(x / 1000)) groups.push(x % 1000);
  const names = ['', 'nghìn', 'triệu', 'tỷ'];
  const out = [];
  for (let i = groups.length - 1; i >= 0; i -= 1) {
    const g = groups[i];
    if (g === 0) continue;
    // Groups after the leading one read their hundreds: "hai nghìn không trăm hai mươi mốt".
    out.push(tripleVi(g, i < groups.length - 1), names[i]);
  }
  return out.filter(Boolean).join(' ');
}

/** "60,5" → "sáu mươi phẩy năm"; the decimal part is read as a number, its leading zeros one by one. */
function decimalVi(intPart, frac) {
  const zeros = frac.match(/^0*/)[0].length;
  const rest = frac.slice(zeros);
  const fracWords = [...Array(zeros).fill('không'), ...(rest ? [numberVi(Number(rest))] : [])];
  return `${numberVi(Number(intPart))} phẩy ${fracWords.join(' ')}`;
}

// ---------------------------------------------------------------- documents, authorities
const DOC_VI = { 'QĐ': 'quyết định', QD: 'quyết định', NQ: 'nghị quyết', TTR: 'tờ trình', TB: 'thông báo', CV: 'công văn' };
const DOC_EN = { 'QĐ': 'Decision', QD: 'Decision', NQ: 'Resolution', TTR: 'Submission', TB: 'Notice', CV: 'Official letter' };
const ISSUER_VI = { UBND: 'Ủy ban nhân dân', 'HĐND': 'Hội đồng nhân dân', TTG: 'Thủ tướng Chính phủ', CP: 'Chính phủ', BXD: 'Bộ Xây dựng', SXD: 'Sở Xây dựng', BTNMT: 'Bộ Tài nguyên và Môi trường', STNMT: 'Sở Tài nguyên và Môi trường', SNNMT: 'Sở Nông nghiệp và Môi trường' };
const ISSUER_EN = { UBND: "the People's Committee", 'HĐND': "the People's Council", TTG: 'the Prime Minister', CP: 'the Government', BXD: 'the Ministry of Construction', SXD: 'the Department of Construction' };
/** Words that may stand before a document number and are replaced with it ("Quyết định 2341/QĐ-UBND"). */
const DOC_WORDS = '(?:Quyết định|Nghị quyết|Tờ trình|Thông báo|Công văn|Văn bản|Decision|Resolution|Submission|Notice|Official letter|Document)';
const L = '\\p{L}';
const NOT_WORD_BEFORE = '(?<![\\p{L}\\p{N}])';
const NOT_WORD_AFTER = '(?![\\p{L}\\p{N}])';

function documentWords(num, year, type, issuers, vi) {
  const T = type.toUpperCase();
  const issuer = (issuers || '').split('-').filter(Boolean)[0]?.toUpperCase();
  if (vi) {
    const kind = DOC_VI[T] || (ISSUER_VI[T] ? 'công văn' : 'văn bản');
    const by = ISSUER_VI[T] || (issuer && ISSUER_VI[issuer]);
    return `${kind} số ${num}${year ? ` năm ${year}` : ''}${by ? ` của ${by}` : ''}`;
  }
  const kind = DOC_EN[T] || (ISSUER_EN[T] ? 'Official letter' : 'Document');
  const by = ISSUER_EN[T] || (issuer && ISSUER_EN[issuer]);
  return `${kind} number ${num}${year ? ` of ${year}` : ''}${by ? ` of ${by}` : ''}`;
}

const MONTHS_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const dateWords = (d, m, y, vi) => (vi ? `ngày ${Number(d)} tháng ${Number(m)} năm ${y}` : `${Number(d)} ${MONTHS_EN[Number(m) - 1]} ${y}`);
const validDate = (d, m) => Number(m) >= 1 && Number(m) <= 12 && Number(d) >= 1 && Number(d) <= 31;

const escRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Report text as a voice should say it, in `lang` ('vi' or 'en'). `codes` maps land-use codes
 * to their names in that language ({ DGT: 'Đất công trình giao thông' }): a code after its
 * own name is dropped, a code alone is said by its name.
 */
export function speakable(text, lang = 'vi', codes = {}) {
  const vi = lang !== 'en';
  let s = String(text || '');
  // Dates: ISO and day/month/year, before anything else reads their slashes.
  s = s.replace(/(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)/g, (m, y, mo, d) => (validDate(d, mo) ? dateWords(d, mo, y, vi) : m));
  s = s.replace(/(?<![\d/])(\d{1,2})\/(\d{1,2})\/(\d{4})(?![\d/])/g, (m, d, mo, y) => (validDate(d, mo) ? dateWords(d, mo, y, vi) : m));
  s = vi ? s.replace(/ngày\s+ngày/gu, 'ngày') : s.replace(/\bof (\d{1,2} [A-Z][a-z]+ \d{4})/g, 'dated $1');
  // Document numbers: "Quyết định 2341/QĐ-UBND", "(1195/QĐ-UBND)", "12/2023/NQ-HĐND", "85/TTr-UBND", "123/UBND-KT".
  const docRe = new RegExp(`(?:${DOC_WORDS}\\s+)?(?:(?:số|No\\.?)\\s+)?(?<![\\d/])(\\d+)\\/(?:(\\d{4})\\/)?(QĐ|QD|NQ|TTr|TTR|TB|CV|UBND|HĐND|TTg|BXD|SXD|STNMT|SNNMT)((?:-[${L}\\d]+)*)${NOT_WORD_AFTER}`, 'giu');
  // The issuer is left out when the authority is named right after ("… ngày … của UBND tỉnh …").
  const authorityAfter = vi ? /^[^.;()]*?\scủa\s/u : /^[^.;()]*?(Committee|Council|Minister|Ministry|Department|Government)/u;
  s = s.replace(docRe, (m, num, year, type, issuers, offset, whole) =>
    documentWords(num, year, type, authorityAfter.test(whole.slice(offset + m.length)) ? '' : issuers, vi),
  );
  // Authorities' abbreviations.
  if (vi) {
    s = s.replace(new RegExp(`${NOT_WORD_BEFORE}UBND${NOT_WORD_AFTER}`, 'gu'), 'Ủy ban nhân dân');
    s = s.replace(new RegExp(`${NOT_WORD_BEFORE}HĐND${NOT_WORD_AFTER}`, 'gu'), 'Hội đồng nhân dân');
    s = s.replace(new RegExp(`${NOT_WORD_BEFORE}TP\\.\\s*`, 'gu'), 'thành phố ');
  }
  // Land-use codes: dropped after their own name, else said by name.
  for (const [code, name] of Object.entries(codes)) {
    if (!/^[A-Z]{2,4}$/.test(code) || !name) continue;
    const spoken = vi ? name.charAt(0).toLocaleLowerCase('vi') + name.slice(1) : name.toLocaleLowerCase('en');
    s = s.replace(new RegExp(`(${escRe(name)})\\s*\\(${code}\\)`, 'giu'), '$1');
    s = s.replace(new RegExp(`\\(${code}\\)`, 'gu'), `(${spoken})`);
    s = s.replace(new RegExp(`${NOT_WORD_BEFORE}${code}${NOT_WORD_AFTER}`, 'gu'), spoken);
  }
  // Scales: "1/2000" → "tỷ lệ một phần hai nghìn"; "1:2000" → "scale 1 to 2000".
  s = s.replace(/(tỷ lệ\s+|scale\s+)?(?<![\d/.,])1\s?[/:]\s?(\d{3,6})(?![\d/])/giu, (m, pre, den) =>
    vi ? `tỷ lệ một phần ${numberVi(Number(den))}` : `scale 1 to ${den}`,
  );
  // Year ranges: "2021–2030".
  s = s.replace(/(\d{4})\s?[–-]\s?(\d{4})/g, vi ? '$1 đến $2' : '$1 to $2');
  // Numbers: thousands separators out, decimal commas as words (Vietnamese).
  if (vi) {
    s = s.replace(/(?<![\d.,])(\d{1,3}(?:\.\d{3})+)(?![\d.]|,\d)/g, (m) => m.replace(/\./g, ''));
    s = s.replace(/(?<![\d.,])(\d{1,3}(?:\.\d{3})+),(\d+)/g, (m, i, f) => `${i.replace(/\./g, '')},${f}`);
    s = s.replace(/(?<![\d.,])(\d+),(\d+)(?![\d,])/g, (m, i, f) => decimalVi(i, f));
  } else {
    s = s.replace(/(?<![\d.,])(\d{1,3}(?:,\d{3})+)(?![\d,])/g, (m) => m.replace(/,/g, ''));
  }
  // Units and signs as words: voices spell out "m²", and read "m" and "ha" as syllables.
  const [m2, m1, ha, km, pct] = vi ? ['mét vuông', 'mét', 'héc-ta', 'ki-lô-mét', 'phần trăm'] : ['square metres', 'metres', 'hectares', 'kilometres', 'per cent'];
  s = s
    .replace(/\s?m²/g, ` ${m2}`)
    .replace(/([\p{N}\p{L}])\s?%/gu, `$1 ${pct}`)
    .replace(/(\d|\p{L}) ha(?!\p{L})/gu, `$1 ${ha}`)
    .replace(/(\d|\p{L}) km(?!\p{L})/gu, `$1 ${km}`)
    .replace(/(\d|\p{L}) m(?![\p{L}²])/gu, `$1 ${m1}`)
    .replace(/\s·\s/g, ', ');
  return s.replace(/[ \t]{2,}/g, ' ').trim();
}

// ---------------------------------------------------------------- the voice
const synth = typeof window !== 'undefined' ? window.speechSynthesis : null;
let voices = [];
/** The utterance being read. Holding it also keeps Chrome from collecting it mid-speech (its end event would never come). */
let current = null;

const voiceListeners = [];
function loadVoices() {
  voices = synth ? synth.getVoices() : [];
  for (const fn of voiceListeners) fn();
}

/** Calls `fn` when the browser's voices change: Chrome fills the list after the page loads. */
export function onVoices(fn) {
  voiceListeners.push(fn);
}
if (synth) {
  loadVoices();
  synth.addEventListener?.('voiceschanged', loadVoices);
}

function voiceFor(lang) {
  const want = lang === 'vi' ? 'vi' : 'en';
  return voices.find((v) => v.lang?.toLowerCase().replace('_', '-').startsWith(want));
}

export const speech = {
  /** A voice of the page's language exists. */
  available: () => !!synth && !!voiceFor(getLang()),
  /** The browser can speak at all (else the reason is the browser, not a missing voice). */
  supported: () => !!synth,
  speaking: () => !!current,
  stop() {
    if (!current) return;
    // Cleared first: cancel() ends the utterance later, and that late end must not be
    // taken for the end of an utterance started in the meantime.
    current = null;
    synth.cancel();
  },
  /** Reads `text` (already `speakable`), or stops the reading under way. */
  toggle(text, onEnd) {
    if (current) {
      this.stop();
      return;
    }
    const v = voiceFor(getLang());
    if (!synth || !v) return;
    const u = new SpeechSynthesisUtterance(text);
    u.voice = v;
    u.lang = v.lang;
    u.rate = 0.95;
    u.onend = u.onerror = () => {
      if (current !== u) return;
      current = null;
      onEnd?.();
    };
    current = u;
    synth.speak(u);
  },
};

// The text being read is in the old language, and the new one may have no voice (and so no
// stop button): a language switch ends the reading.
if (synth) onLangChange(() => speech.stop());
