// Read aloud with the browser's speech synthesis, in a voice of the page's language: a
// Vietnamese voice (vi-VN) for Vietnamese text, an English one for English. The button is
// only shown when such a voice exists: a report read by a voice of another language is
// worse than none.
import { getLang, onLangChange } from './i18n.js';
import { reportSpeech } from './report.js';

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
  available: () => !!synth && !!voiceFor(getLang()),
  speaking: () => !!current,
  stop() {
    if (!current) return;
    // Cleared first: cancel() ends the utterance later, and that late end must not be
    // taken for the end of an utterance started in the meantime.
    current = null;
    synth.cancel();
  },
  toggle(report, ctx, onEnd) {
    if (current) {
      this.stop();
      return;
    }
    const u = new SpeechSynthesisUtterance(reportSpeech(report, ctx));
    const v = voiceFor(getLang());
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
onLangChange(() => speech.stop());
