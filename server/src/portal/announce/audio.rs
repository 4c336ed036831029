//! The notice spoken: the words (normalised by [`quyhoach_data::speech`], the same
//! normaliser the web's read-aloud uses) and the audio for commune loudspeakers, from
//! Debian's espeak-ng, encoded by opusenc (Ogg/Opus) and lame (MP3); no network.

use super::{Notice, RenderError};

/// Audio container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Ogg/Opus.
    Ogg,
    /// MP3.
    Mp3,
}

/// The words spoken for `notice` in `lang` (`notice.txt`): sentences, then normalised so
/// that no digit, code or abbreviation is left for the voice to spell.
pub fn spoken_text(notice: &Notice, lang: &str) -> String {
    let _ = (notice, lang);
    String::new()
}

/// `text` (already spoken words) as audio in `format`.
pub fn synthesize(text: &str, lang: &str, format: Format) -> Result<Vec<u8>, RenderError> {
    let _ = (text, lang, format);
    Err(RenderError::Failed("audio is not written yet".into()))
}
