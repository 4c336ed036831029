// Read aloud with the browser's speech synthesis, in a voice of the page's language: a
// Vietnamese voice (vi-VN) for Vietnamese text, an English one for English. A report read by
// a voice of another language is worse than none: without a voice of the page's language the
// button is shown disabled, with a sentence saying how to install one.
//
// What the voice reads is first put in words by the server's normaliser (`POST
// /api/v1/speech`, the same one the loudspeaker audio uses: numbers, dates, document numbers,
// land-use codes, scales and units in words). Offline, the text is read as written.
import { getLang, onLangChange } from './i18n.js';

/** Largest body the speech endpoint takes (its MAX_SPEECH_BODY_BYTES); longer text goes in pieces. */
const MAX_BODY_BYTES = 16 * 1024;
const bytes = (s) => new TextEncoder().encode(s).length;

/** Sentences of `text` grouped into pieces whose JSON body fits the endpoint. */
function pieces(text) {
  const out = [];
  let cur = '';
  for (const sentence of text.split(/(?<=[.!?;])\s+/)) {
    const next = cur ? `${cur} ${sentence}` : sentence;
    if (bytes(JSON.stringify({ text: next, lang: 'vi' })) > MAX_BODY_BYTES - 64 && cur) {
      out.push(cur);
      cur = sentence;
    } else cur = next;
  }
  if (cur) out.push(cur);
  // A single sentence too long for one body is cut by characters.
  return out.flatMap((p) => {
    const parts = [];
    for (let i = 0; i < p.length; i += 3000) parts.push(p.slice(i, i + 3000));
    return bytes(p) > MAX_BODY_BYTES - 64 ? parts : [p];
  });
}

/**
 * `text` as a voice should say it, in `lang`, from the server's normaliser; the text as
 * written when the server cannot be asked (offline, an error): reading it is still better
 * than nothing.
 */
export async function spokenText(text, lang = getLang()) {
  const ask = async (piece) => {
    const r = await fetch('/api/v1/speech', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: piece, lang: lang === 'en' ? 'en' : 'vi' }),
    });
    if (!r.ok) throw new Error(`speech ${r.status}`);
    const j = await r.json();
    if (typeof j.text !== 'string') throw new Error('speech: no text');
    return j.text;
  };
  try {
    return (await Promise.all(pieces(String(text || '')).map(ask))).join(' ');
  } catch {
    return String(text || '');
  }
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
  /** Reads `text` (already in spoken words, see spokenText), or stops the reading under way. */
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
