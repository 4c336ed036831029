// Read aloud with the browser's speech synthesis, in a Vietnamese voice (vi-VN) for
// Vietnamese text. The button is only shown when such a voice exists: a report read by
// an English voice is worse than none.
import { getLang } from './i18n.js';
import { reportSpeech } from './report.js';

const synth = typeof window !== 'undefined' ? window.speechSynthesis : null;
let voices = [];
let speaking = false;

function loadVoices() {
  voices = synth ? synth.getVoices() : [];
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
  speaking: () => speaking,
  stop() {
    if (synth && speaking) synth.cancel();
    speaking = false;
  },
  toggle(report, ctx, onEnd) {
    if (speaking) {
      this.stop();
      return;
    }
    const u = new SpeechSynthesisUtterance(reportSpeech(report, ctx));
    const v = voiceFor(getLang());
    u.voice = v;
    u.lang = v.lang;
    u.rate = 0.95;
    u.onend = u.onerror = () => {
      speaking = false;
      onEnd?.();
    };
    speaking = true;
    synth.speak(u);
  },
};
