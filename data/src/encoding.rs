//! Legacy Vietnamese text encodings (TCVN3, VNI) to Unicode.
//!
//! Planning data made before Unicode took hold stores attribute text in the byte layout of a
//! font rather than a real character set: TCVN3 ("ABC", TCVN 5712:1993 VN3) uses one byte
//! per letter, VNI-Windows writes a base letter followed by a mark byte, and Windows-1258
//! mixes precomposed letters with combining tone marks. Readers such as GDAL and most DBF
//! tools hand such bytes over as Latin-1 or Windows-1252, giving mojibake like `Th¸i B×nh`
//! (TCVN3) or `Thaùi Bình` (VNI) for "Thái Bình".
//!
//! [`decode`] turns raw bytes into Unicode in NFC, [`repair`] fixes a string that already went
//! through a Latin-1 decoder, [`detect`] guesses the encoding of a layer from its values and
//! [`fold`] strips accents for accent-insensitive search. [`encode_tcvn3`] and [`encode_vni`]
//! write legacy bytes, for demo data and tests.

use std::fmt;
use std::str::FromStr;

use unicode_normalization::UnicodeNormalization;

/// Errors of this module.
#[derive(Debug, thiserror::Error)]
pub enum EncodingError {
    /// The name of a text encoding was not recognised (in configuration or on the command line).
    #[error(
        "unknown text encoding {0:?}; accepted: utf8 (utf-8), tcvn3 (abc), vni, \
         cp1258 (windows-1258), latin1 (iso-8859-1, cp1252)"
    )]
    UnknownName(String),
    /// A character has no byte sequence in the target encoding (for TCVN3 this includes every
    /// uppercase letter with a tone mark, such as 'Ấ').
    #[error("character {ch:?} (U+{code:04X}) cannot be written in {encoding}", code = u32::from(*.ch))]
    Unrepresentable {
        /// The character that could not be written.
        ch: char,
        /// The encoding that lacks it.
        encoding: TextEncoding,
    },
}

/// Result of this module.
pub type Result<T> = std::result::Result<T, EncodingError>;

/// Encoding of attribute text in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextEncoding {
    /// UTF-8 (pure ASCII counts as UTF-8).
    Utf8,
    /// TCVN 5712:1993 "ABC" (VN3), one byte per letter; the unused high bytes are read as in
    /// the full VN1 table.
    Tcvn3,
    /// VNI-Windows: base letter followed by a mark byte.
    Vni,
    /// Windows-1258: precomposed letters plus combining tone marks.
    Cp1258,
    /// ISO-8859-1 read as Windows-1252 (its superset for 0x80..=0x9F), i.e. not Vietnamese.
    Latin1,
}

impl TextEncoding {
    /// The canonical name, as used in configuration and in serde.
    pub fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "utf8",
            Self::Tcvn3 => "tcvn3",
            Self::Vni => "vni",
            Self::Cp1258 => "cp1258",
            Self::Latin1 => "latin1",
        }
    }
}

impl fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TextEncoding {
    type Err = EncodingError;

    /// Case-insensitive; accepts the canonical names and common aliases.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf8" | "utf-8" => Ok(Self::Utf8),
            "tcvn3" | "abc" | "tcvn" | "tcvn5712" => Ok(Self::Tcvn3),
            "vni" | "vni-windows" => Ok(Self::Vni),
            "cp1258" | "windows-1258" => Ok(Self::Cp1258),
            "latin1" | "latin-1" | "iso-8859-1" | "cp1252" | "windows-1252" => Ok(Self::Latin1),
            _ => Err(EncodingError::UnknownName(s.to_owned())),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shared pieces: tones, Windows-1252.

/// The five Vietnamese tone marks (the sixth tone, ngang, has no mark).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tone {
    /// Sắc.
    Acute,
    /// Huyền.
    Grave,
    /// Hỏi.
    Hook,
    /// Ngã.
    Tilde,
    /// Nặng.
    Dot,
}

impl Tone {
    /// In the order of the VNI byte tables below.
    const ALL: [Tone; 5] = [Tone::Acute, Tone::Grave, Tone::Hook, Tone::Tilde, Tone::Dot];

    fn combining(self) -> char {
        match self {
            Tone::Acute => '\u{0301}',
            Tone::Grave => '\u{0300}',
            Tone::Hook => '\u{0309}',
            Tone::Tilde => '\u{0303}',
            Tone::Dot => '\u{0323}',
        }
    }

    fn from_combining(c: char) -> Option<Tone> {
        Tone::ALL.into_iter().find(|t| t.combining() == c)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The vowel shapes written as marks: circumflex (â ê ô), breve (ă) and horn (ơ ư).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Circumflex,
    Breve,
    Horn,
}

impl Shape {
    fn combining(self) -> char {
        match self {
            Shape::Circumflex => '\u{0302}',
            Shape::Breve => '\u{0306}',
            Shape::Horn => '\u{031B}',
        }
    }

    fn from_combining(c: char) -> Option<Shape> {
        [Shape::Circumflex, Shape::Breve, Shape::Horn]
            .into_iter()
            .find(|s| s.combining() == c)
    }
}

/// Windows-1252 characters at 0x80..=0x9F; the five unassigned bytes (81 8D 8F 90 9D) read
/// as the C1 control of the same number, as in the WHATWG Encoding Standard.
const CP1252_HIGH: [(u8, char); 27] = [
    (0x80, '€'),
    (0x82, '‚'),
    (0x83, 'ƒ'),
    (0x84, '„'),
    (0x85, '…'),
    (0x86, '†'),
    (0x87, '‡'),
    (0x88, 'ˆ'),
    (0x89, '‰'),
    (0x8A, 'Š'),
    (0x8B, '‹'),
    (0x8C, 'Œ'),
    (0x8E, 'Ž'),
    (0x91, '‘'),
    (0x92, '’'),
    (0x93, '“'),
    (0x94, '”'),
    (0x95, '•'),
    (0x96, '–'),
    (0x97, '—'),
    (0x98, '˜'),
    (0x99, '™'),
    (0x9A, 'š'),
    (0x9B, '›'),
    (0x9C, 'œ'),
    (0x9E, 'ž'),
    (0x9F, 'Ÿ'),
];

/// The character a Windows-1252 reader makes of byte `b`.
fn cp1252_char(b: u8) -> char {
    CP1252_HIGH
        .iter()
        .find(|&&(byte, _)| byte == b)
        .map_or(char::from(b), |&(_, c)| c)
}

/// The byte a Latin-1 or Windows-1252 reader made into `c`, if any.
fn cp1252_byte(c: char) -> Option<u8> {
    u8::try_from(u32::from(c)).ok().or_else(|| {
        CP1252_HIGH
            .iter()
            .find(|&&(_, ch)| ch == c)
            .map(|&(b, _)| b)
    })
}

// ---------------------------------------------------------------------------------------------
// TCVN3.

/// TCVN 5712:1993 bytes 0x80..=0xFF. The "ABC" (VN3) fonts in real data use only the
/// lowercase letters and A1..=A7 (Ă Â Ê Ô Ơ Ư Đ); the other positions hold VN1's uppercase
/// toned letters, B0..=B4 the combining tone marks and A0 a no-break space, as in glibc's
/// `TCVN5712-1` converter, so that no byte is lost or turned into U+FFFD.
#[rustfmt::skip]
const TCVN3_HIGH: [char; 128] = [
    // 0x80
    'À', 'Ả', 'Ã', 'Á', 'Ạ', 'Ặ', 'Ậ', 'È', 'Ẻ', 'Ẽ', 'É', 'Ẹ', 'Ệ', 'Ì', 'Ỉ', 'Ĩ',
    // 0x90
    'Í', 'Ị', 'Ò', 'Ỏ', 'Õ', 'Ó', 'Ọ', 'Ộ', 'Ờ', 'Ở', 'Ỡ', 'Ớ', 'Ợ', 'Ù', 'Ủ', 'Ũ',
    // 0xA0
    '\u{00A0}', 'Ă', 'Â', 'Ê', 'Ô', 'Ơ', 'Ư', 'Đ', 'ă', 'â', 'ê', 'ô', 'ơ', 'ư', 'đ', 'Ằ',
    // 0xB0
    '\u{0300}', '\u{0309}', '\u{0303}', '\u{0301}', '\u{0323}',
    'à', 'ả', 'ã', 'á', 'ạ', 'Ẳ', 'ằ', 'ẳ', 'ẵ', 'ắ', 'Ẵ',
    // 0xC0
    'Ắ', 'Ầ', 'Ẩ', 'Ẫ', 'Ấ', 'Ề', 'ặ', 'ầ', 'ẩ', 'ẫ', 'ấ', 'ậ', 'è', 'Ể', 'ẻ', 'ẽ',
    // 0xD0
    'é', 'ẹ', 'ề', 'ể', 'ễ', 'ế', 'ệ', 'ì', 'ỉ', 'Ễ', 'Ế', 'Ồ', 'ĩ', 'í', 'ị', 'ò',
    // 0xE0
    'Ổ', 'ỏ', 'õ', 'ó', 'ọ', 'ồ', 'ổ', 'ỗ', 'ố', 'ộ', 'ờ', 'ở', 'ỡ', 'ớ', 'ợ', 'ù',
    // 0xF0
    'Ỗ', 'ủ', 'ũ', 'ú', 'ụ', 'ừ', 'ử', 'ữ', 'ứ', 'ự', 'ỳ', 'ỷ', 'ỹ', 'ý', 'ỵ', 'Ố',
];

fn tcvn3_char(b: u8) -> char {
    match b.checked_sub(0x80) {
        Some(i) => TCVN3_HIGH[usize::from(i)],
        None => char::from(b),
    }
}

/// Whether high byte `b` is part of the ABC (VN3) repertoire that TCVN3 fonts display.
fn tcvn3_abc_byte(b: u8) -> bool {
    (0xA1..=0xA7).contains(&b) || tcvn3_char(b).is_lowercase()
}

/// Unicode to TCVN3 ("ABC") bytes.
///
/// The input is normalised to NFC first. ASCII is copied; every lowercase Vietnamese letter
/// and the uppercase Ă Â Ê Ô Ơ Ư Đ have one byte each. Uppercase letters carrying a tone mark
/// ('Á', 'Ấ', 'Ự', ...) do not exist in the ABC repertoire and give
/// [`EncodingError::Unrepresentable`]: real data writes them with the lowercase byte and an
/// uppercase font, which [`decode`] cannot tell from lowercase, so mapping them silently would
/// break `decode(encode_tcvn3(s)) == s`, which holds for every `Ok`.
pub fn encode_tcvn3(s: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    for ch in s.nfc() {
        if ch.is_ascii() {
            out.push(ch as u8);
            continue;
        }
        let byte = (0x80..=0xFF_u8).find(|&b| tcvn3_abc_byte(b) && tcvn3_char(b) == ch);
        out.push(byte.ok_or(EncodingError::Unrepresentable {
            ch,
            encoding: TextEncoding::Tcvn3,
        })?);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// VNI-Windows.
//
// Lowercase bytes only: each uppercase byte is the lowercase one minus 0x20 (the Latin-1 case
// pair, 'ù' F9 / 'Ù' D9), and is used after an uppercase letter.

/// Tone mark after any vowel, in [`Tone::ALL`] order: ù ø û õ ï.
const VNI_TONE: [u8; 5] = [0xF9, 0xF8, 0xFB, 0xF5, 0xEF];
/// Circumflex after a, e, o: without tone (â), then with each tone: á à å ã ä.
const VNI_CIRCUMFLEX: [u8; 6] = [0xE2, 0xE1, 0xE0, 0xE5, 0xE3, 0xE4];
/// Breve after a: without tone (ê), then with each tone: é è ú ü ë.
const VNI_BREVE: [u8; 6] = [0xEA, 0xE9, 0xE8, 0xFA, 0xFC, 0xEB];
/// The letter i with each tone is a single byte: í ì æ ó ò.
const VNI_I: [u8; 5] = [0xED, 0xEC, 0xE6, 0xF3, 0xF2];
/// ơ is 'ô' alone (not o + mark).
const VNI_O_HORN: u8 = 0xF4;
/// ư is 'ö' alone.
const VNI_U_HORN: u8 = 0xF6;
/// ỵ is 'î' alone.
const VNI_Y_DOT: u8 = 0xEE;
/// đ is 'ñ'.
const VNI_D_STROKE: u8 = 0xF1;

/// Lowercase form of a VNI high byte (0xC0..=0xDF to 0xE0..=0xFF), and whether it was uppercase.
fn vni_fold_case(b: u8) -> (u8, bool) {
    if (0xC0..=0xDF).contains(&b) {
        (b + 0x20, true)
    } else {
        (b, false)
    }
}

/// A mark byte: the shape it adds (circumflex, breve or none) and its tone.
fn vni_mark(b: u8) -> Option<(Option<Shape>, Option<Tone>)> {
    let (b, _) = vni_fold_case(b);
    let with_tone = |i: usize| i.checked_sub(1).map(|t| Tone::ALL[t]);
    if let Some(i) = VNI_TONE.iter().position(|&x| x == b) {
        return Some((None, Some(Tone::ALL[i])));
    }
    if let Some(i) = VNI_CIRCUMFLEX.iter().position(|&x| x == b) {
        return Some((Some(Shape::Circumflex), with_tone(i)));
    }
    VNI_BREVE
        .iter()
        .position(|&x| x == b)
        .map(|i| (Some(Shape::Breve), with_tone(i)))
}

/// A VNI byte that stands for a whole letter, as (lowercase letter, uppercase?).
fn vni_letter(b: u8) -> Option<(char, bool)> {
    let (b, upper) = vni_fold_case(b);
    let c = match b {
        VNI_O_HORN => 'ơ',
        VNI_U_HORN => 'ư',
        VNI_Y_DOT => 'ỵ',
        VNI_D_STROKE => 'đ',
        _ => {
            let i = VNI_I.iter().position(|&x| x == b)?;
            ['í', 'ì', 'ỉ', 'ĩ', 'ị'][i]
        }
    };
    Some((c, upper))
}

/// The vowel just written while decoding VNI, which a following mark byte may modify.
#[derive(Debug, Clone, Copy)]
struct OpenVowel {
    /// Lowercase base: one of a e i o u y, or 'ơ' 'ư'.
    base: char,
    shaped: bool,
    toned: bool,
}

fn decode_vni(bytes: &[u8]) -> String {
    // Marks are written as combining characters; NFC at the end composes them.
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    let mut open: Option<OpenVowel> = None;
    for &b in bytes {
        if let (Some(v), Some((shape, tone))) = (open.as_mut(), vni_mark(b)) {
            let fits = !v.toned
                && match shape {
                    None => tone.is_some(),
                    Some(Shape::Circumflex) => !v.shaped && matches!(v.base, 'a' | 'e' | 'o'),
                    Some(Shape::Breve) => !v.shaped && v.base == 'a',
                    Some(Shape::Horn) => false,
                };
            if fits {
                if let Some(shape) = shape {
                    out.push(shape.combining());
                    v.shaped = true;
                }
                if let Some(tone) = tone {
                    out.push(tone.combining());
                    v.toned = true;
                }
                continue;
            }
        }
        open = None;
        if let Some((c, upper)) = vni_letter(b) {
            out.extend(if upper {
                c.to_uppercase().next()
            } else {
                Some(c)
            });
            if matches!(c, 'ơ' | 'ư') {
                open = Some(OpenVowel {
                    base: c,
                    shaped: true,
                    toned: false,
                });
            }
        } else {
            let c = cp1252_char(b);
            out.push(c);
            let lower = c.to_ascii_lowercase();
            if matches!(lower, 'a' | 'e' | 'i' | 'o' | 'u' | 'y') {
                open = Some(OpenVowel {
                    base: lower,
                    shaped: false,
                    toned: false,
                });
            }
        }
    }
    out.nfc().collect()
}

/// A Vietnamese vowel letter split into lowercase ASCII base, shape and tone.
fn split_vowel(c: char) -> Option<(char, Option<Shape>, Option<Tone>)> {
    let mut parts = c.nfd();
    let base = parts.next()?.to_ascii_lowercase();
    if !matches!(base, 'a' | 'e' | 'i' | 'o' | 'u' | 'y') {
        return None;
    }
    let (mut shape, mut tone) = (None, None);
    for m in parts {
        if let Some(t) = Tone::from_combining(m) {
            if tone.replace(t).is_some() {
                return None;
            }
        } else if let Some(s) = Shape::from_combining(m) {
            if shape.replace(s).is_some() {
                return None;
            }
        } else {
            return None;
        }
    }
    Some((base, shape, tone))
}

/// Unicode to VNI-Windows bytes.
///
/// The input is normalised to NFC first. ASCII is copied; every Vietnamese letter, upper and
/// lower case, is written as VNI fonts expect it (e.g. "Trường" is `Tröôøng`). Other
/// characters give [`EncodingError::Unrepresentable`].
pub fn encode_vni(s: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() + s.len() / 2);
    for ch in s.nfc() {
        if ch.is_ascii() {
            out.push(ch as u8);
            continue;
        }
        let unrepresentable = EncodingError::Unrepresentable {
            ch,
            encoding: TextEncoding::Vni,
        };
        let upper = ch.is_uppercase();
        // Lowercase byte to the case of `ch`.
        let cased = |b: u8| if upper && b >= 0xE0 { b - 0x20 } else { b };
        let cased_ascii = |c: char| {
            let b = c as u8;
            if upper {
                b.to_ascii_uppercase()
            } else {
                b
            }
        };
        if matches!(ch, 'đ' | 'Đ') {
            out.push(cased(VNI_D_STROKE));
            continue;
        }
        let Some((base, shape, tone)) = split_vowel(ch) else {
            return Err(unrepresentable);
        };
        let tone_byte = tone.map(|t| cased(VNI_TONE[t.index()]));
        let tone_slot = tone.map_or(0, |t| t.index() + 1);
        match (base, shape) {
            ('i', None) => match tone {
                Some(t) => out.push(cased(VNI_I[t.index()])),
                None => out.push(cased_ascii('i')),
            },
            ('y', None) if tone == Some(Tone::Dot) => out.push(cased(VNI_Y_DOT)),
            (_, None) => {
                out.push(cased_ascii(base));
                out.extend(tone_byte);
            }
            ('o', Some(Shape::Horn)) | ('u', Some(Shape::Horn)) => {
                out.push(cased(if base == 'o' { VNI_O_HORN } else { VNI_U_HORN }));
                out.extend(tone_byte);
            }
            ('a' | 'e' | 'o', Some(Shape::Circumflex)) => {
                out.push(cased_ascii(base));
                out.push(cased(VNI_CIRCUMFLEX[tone_slot]));
            }
            ('a', Some(Shape::Breve)) => {
                out.push(cased_ascii(base));
                out.push(cased(VNI_BREVE[tone_slot]));
            }
            _ => return Err(unrepresentable),
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Decoding and repair.

/// Decode `bytes` in encoding `enc`; the result is always in NFC.
///
/// Never fails: invalid UTF-8 becomes U+FFFD, and legacy bytes that are not part of a
/// Vietnamese letter keep their Windows-1252 meaning.
pub fn decode(bytes: &[u8], enc: TextEncoding) -> String {
    let raw: String = match enc {
        TextEncoding::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        TextEncoding::Tcvn3 => bytes.iter().map(|&b| tcvn3_char(b)).collect(),
        TextEncoding::Vni => return decode_vni(bytes),
        TextEncoding::Cp1258 => encoding_rs::WINDOWS_1258
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
        TextEncoding::Latin1 => bytes.iter().map(|&b| cp1252_char(b)).collect(),
    };
    raw.nfc().collect()
}

/// Bytes a legacy-encoded string had before a reader decoded them as Latin-1 or Windows-1252
/// (each char <= U+00FF -> that byte; the Windows-1252 specials such as '€' '‚' 'ƒ' '„' ... ->
/// their 0x80..0x9F byte). None if any char is outside both.
pub fn legacy_bytes(s: &str) -> Option<Vec<u8>> {
    s.chars().map(cp1252_byte).collect()
}

/// Repair a string that was read through a Latin-1/Windows-1252 decoder although its bytes
/// were TCVN3/VNI/CP1258 (mojibake like "Th¸i B×nh"): [`legacy_bytes`] then [`decode`] with
/// `enc`. Strings that contain real Unicode beyond U+00FF are returned unchanged (already
/// Unicode). With [`TextEncoding::Utf8`], bytes that are not valid UTF-8 leave the string
/// unchanged too.
pub fn repair(s: &str, enc: TextEncoding) -> String {
    let Some(bytes) = legacy_bytes(s) else {
        return s.to_owned();
    };
    match enc {
        TextEncoding::Utf8 => match String::from_utf8(bytes) {
            Ok(text) => text.nfc().collect(),
            Err(_) => s.to_owned(),
        },
        _ => decode(&bytes, enc),
    }
}

/// Strip Vietnamese accents and lowercase, for accent-insensitive search: "Rạch Giá" ->
/// "rach gia", "Đường" -> "duong".
pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|&c| !unicode_normalization::char::is_combining_mark(c))
        .map(|c| if matches!(c, 'đ' | 'Đ') { 'd' } else { c })
        .flat_map(char::to_lowercase)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Detection.

/// At most this many non-ASCII samples are scored by [`detect`]: a layer can hold millions of
/// values, and a few thousand words already separate the encodings clearly.
pub const DETECT_MAX_SAMPLES: usize = 5_000;

/// Encodings scored by [`detect`]; Latin-1 last, as the fallback.
const CANDIDATES: [TextEncoding; 4] = [
    TextEncoding::Tcvn3,
    TextEncoding::Vni,
    TextEncoding::Cp1258,
    TextEncoding::Latin1,
];

/// Guess the encoding of a sample of raw attribute byte strings (all the text values of a
/// layer, or a sample of them).
///
/// Pure ASCII and valid UTF-8 give [`TextEncoding::Utf8`]. Otherwise each of TCVN3, VNI,
/// CP1258 and Latin-1 decodes the samples and scores one point for every word with non-ASCII
/// letters that is a plausible Vietnamese syllable (letters of the Vietnamese alphabet in
/// onset, vowel nucleus and final-consonant order, at most one tone mark, tone on a vowel) and
/// loses one for every other such word. The best score wins if it is positive and better than
/// every other; ties and hopeless input give [`TextEncoding::Latin1`].
pub fn detect(samples: &[&[u8]]) -> TextEncoding {
    if samples.iter().all(|s| std::str::from_utf8(s).is_ok()) {
        return TextEncoding::Utf8;
    }
    let legacy: Vec<&[u8]> = samples
        .iter()
        .copied()
        .filter(|s| !s.is_ascii())
        .take(DETECT_MAX_SAMPLES)
        .collect();
    let scores = CANDIDATES.map(|enc| {
        legacy
            .iter()
            .map(|s| score_text(&decode(s, enc)))
            .sum::<i64>()
    });
    let best = scores.iter().copied().max().unwrap_or(0);
    let winners: Vec<TextEncoding> = CANDIDATES
        .iter()
        .zip(scores)
        .filter(|&(_, score)| score == best)
        .map(|(&enc, _)| enc)
        .collect();
    match winners.as_slice() {
        [only] if best > 0 => *only,
        _ => TextEncoding::Latin1,
    }
}

/// +1 per plausible Vietnamese word with non-ASCII characters, -1 per implausible one.
fn score_text(text: &str) -> i64 {
    text.split(|c: char| c.is_whitespace() || (c.is_ascii() && !c.is_ascii_alphabetic()))
        .filter(|w| !w.is_ascii())
        .map(|w| if is_vietnamese_syllable(w) { 1 } else { -1 })
        .sum()
}

/// Initial consonants, longest first so that "ngh" is not read as "ng" + vowel "h".
const ONSETS: [&str; 28] = [
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr", "b", "c", "d", "đ", "g",
    "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
];

/// Vowel nuclei, with glides (toneless).
#[rustfmt::skip]
const NUCLEI: [&str; 51] = [
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", //
    "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iê", "iu", "oa", "oă", "oe", "oi",
    "oo", "ôi", "ơi", "ua", "uâ", "uê", "ui", "uô", "uơ", "uy", "ưa", "ưi", "ươ", "ưu", "yê",
    "iêu", "yêu", "oai", "oay", "oeo", "uây", "uôi", "uya", "uyê",
];

/// Final consonants.
const CODAS: [&str; 9] = ["", "c", "ch", "m", "n", "ng", "nh", "p", "t"];

/// Whether `word` (any case, NFC) reads as one Vietnamese syllable.
fn is_vietnamese_syllable(word: &str) -> bool {
    let mut toneless = String::with_capacity(word.len());
    let mut tones = 0;
    for c in word.chars().flat_map(char::to_lowercase) {
        let mut base = String::new();
        let mut toned = false;
        for part in c.nfd() {
            if Tone::from_combining(part).is_some() {
                toned = true;
            } else {
                base.push(part);
            }
        }
        let mut composed = base.nfc();
        let (Some(letter), None) = (composed.next(), composed.next()) else {
            return false;
        };
        if !"aăâbcdđeêghiklmnoôơpqrstuưvxy".contains(letter) {
            return false;
        }
        if toned {
            if !"aăâeêioôơuưy".contains(letter) {
                return false;
            }
            tones += 1;
        }
        toneless.push(letter);
    }
    tones <= 1
        && ONSETS.iter().any(|onset| {
            toneless.strip_prefix(onset).is_some_and(|rest| {
                CODAS.iter().any(|coda| {
                    rest.strip_suffix(coda)
                        .is_some_and(|nucleus| NUCLEI.contains(&nucleus))
                })
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every Vietnamese vowel letter with each tone (none, huyền, hỏi, ngã, sắc, nặng), and đ.
    const LOWER: &str = "aàảãáạ ăằẳẵắặ âầẩẫấậ eèẻẽéẹ êềểễếệ iìỉĩíị oòỏõóọ ôồổỗốộ ơờởỡớợ \
                         uùủũúụ ưừửữứự yỳỷỹýỵ đ";
    const UPPER: &str = "AÀẢÃÁẠ ĂẰẲẴẮẶ ÂẦẨẪẤẬ EÈẺẼÉẸ ÊỀỂỄẾỆ IÌỈĨÍỊ OÒỎÕÓỌ ÔỒỔỖỐỘ ƠỜỞỠỚỢ \
                         UÙỦŨÚỤ ƯỪỬỮỨỰ YỲỶỸÝỴ Đ";

    const PLACES: [&str; 8] = [
        "Vĩnh Thanh",
        "Rạch Giá",
        "Đường Nguyễn Trung Trực",
        "Phường Vĩnh Lạc",
        "xã Phi Thông",
        "Thành phố Rạch Giá, tỉnh Kiên Giang",
        "Đất ở tại đô thị",
        "Quy hoạch sử dụng đất",
    ];

    /// The TCVN3 letters as published, byte by byte.
    #[rustfmt::skip]
    const TCVN3_PUBLISHED: [(u8, char); 74] = [
        (0xB8, 'á'), (0xB5, 'à'), (0xB6, 'ả'), (0xB7, 'ã'), (0xB9, 'ạ'),
        (0xA8, 'ă'), (0xBE, 'ắ'), (0xBB, 'ằ'), (0xBC, 'ẳ'), (0xBD, 'ẵ'), (0xC6, 'ặ'),
        (0xA9, 'â'), (0xCA, 'ấ'), (0xC7, 'ầ'), (0xC8, 'ẩ'), (0xC9, 'ẫ'), (0xCB, 'ậ'),
        (0xAE, 'đ'),
        (0xD0, 'é'), (0xCC, 'è'), (0xCE, 'ẻ'), (0xCF, 'ẽ'), (0xD1, 'ẹ'),
        (0xAA, 'ê'), (0xD5, 'ế'), (0xD2, 'ề'), (0xD3, 'ể'), (0xD4, 'ễ'), (0xD6, 'ệ'),
        (0xDD, 'í'), (0xD7, 'ì'), (0xD8, 'ỉ'), (0xDC, 'ĩ'), (0xDE, 'ị'),
        (0xE3, 'ó'), (0xDF, 'ò'), (0xE1, 'ỏ'), (0xE2, 'õ'), (0xE4, 'ọ'),
        (0xAB, 'ô'), (0xE8, 'ố'), (0xE5, 'ồ'), (0xE6, 'ổ'), (0xE7, 'ỗ'), (0xE9, 'ộ'),
        (0xAC, 'ơ'), (0xED, 'ớ'), (0xEA, 'ờ'), (0xEB, 'ở'), (0xEC, 'ỡ'), (0xEE, 'ợ'),
        (0xF3, 'ú'), (0xEF, 'ù'), (0xF1, 'ủ'), (0xF2, 'ũ'), (0xF4, 'ụ'),
        (0xAD, 'ư'), (0xF8, 'ứ'), (0xF5, 'ừ'), (0xF6, 'ử'), (0xF7, 'ữ'), (0xF9, 'ự'),
        (0xFD, 'ý'), (0xFA, 'ỳ'), (0xFB, 'ỷ'), (0xFC, 'ỹ'), (0xFE, 'ỵ'),
        (0xA1, 'Ă'), (0xA2, 'Â'), (0xA7, 'Đ'), (0xA3, 'Ê'), (0xA4, 'Ô'), (0xA5, 'Ơ'),
        (0xA6, 'Ư'),
    ];

    fn latin1_string(bytes: &[u8]) -> String {
        bytes.iter().map(|&b| char::from(b)).collect()
    }

    #[test]
    fn names_and_aliases() {
        for enc in CANDIDATES.into_iter().chain([TextEncoding::Utf8]) {
            assert_eq!(enc.name().parse::<TextEncoding>().ok(), Some(enc));
            assert_eq!(enc.to_string(), enc.name());
            let json = serde_json::to_string(&enc).ok();
            assert_eq!(json, Some(format!("\"{}\"", enc.name())));
        }
        let aliases = [
            ("UTF-8", TextEncoding::Utf8),
            ("abc", TextEncoding::Tcvn3),
            ("VNI", TextEncoding::Vni),
            ("windows-1258", TextEncoding::Cp1258),
            ("iso-8859-1", TextEncoding::Latin1),
            ("cp1252", TextEncoding::Latin1),
        ];
        for (name, enc) in aliases {
            assert_eq!(name.parse::<TextEncoding>().ok(), Some(enc), "{name}");
        }
        let err = "koi8-r".parse::<TextEncoding>().expect_err("must fail");
        assert!(matches!(&err, EncodingError::UnknownName(n) if n == "koi8-r"));
        assert!(err.to_string().contains("tcvn3"), "{err}");
    }

    #[test]
    fn tcvn3_table_matches_the_published_letters() {
        for (b, c) in TCVN3_PUBLISHED {
            assert_eq!(
                decode(&[b], TextEncoding::Tcvn3),
                c.to_string(),
                "byte {b:#04X}"
            );
            assert_eq!(encode_tcvn3(&c.to_string()).ok(), Some(vec![b]), "{c}");
        }
        // The ABC repertoire is exactly those 74 bytes.
        assert_eq!((0x80..=0xFF_u8).filter(|&b| tcvn3_abc_byte(b)).count(), 74);
    }

    #[test]
    fn tcvn3_known_strings() {
        let thai_binh = [0x54, 0x68, 0xB8, 0x69, 0x20, 0x42, 0xD7, 0x6E, 0x68];
        assert_eq!(decode(&thai_binh, TextEncoding::Tcvn3), "Thái Bình");
        assert_eq!(latin1_string(&thai_binh), "Th¸i B×nh");
        let da_nang = legacy_bytes("§µ N½ng").unwrap_or_default();
        assert_eq!(decode(&da_nang, TextEncoding::Tcvn3), "Đà Nẵng");
        let truong = legacy_bytes("Tr\u{AD}êng").unwrap_or_default();
        assert_eq!(decode(&truong, TextEncoding::Tcvn3), "Trường");
        // VN1 combining tone marks compose with the letter before them.
        assert_eq!(decode(b"Ha\xB3", TextEncoding::Tcvn3), "Há");
    }

    #[test]
    fn tcvn3_round_trips_every_representable_letter() {
        let upper_plain = "ĂÂÊÔƠƯĐ";
        for text in [LOWER, upper_plain] {
            let bytes = encode_tcvn3(text).unwrap_or_default();
            assert_eq!(bytes.len(), text.chars().count(), "one byte per letter");
            assert_eq!(decode(&bytes, TextEncoding::Tcvn3), text);
        }
        for place in PLACES {
            let bytes = encode_tcvn3(place).unwrap_or_default();
            assert_eq!(decode(&bytes, TextEncoding::Tcvn3), place);
        }
        assert_eq!(
            encode_tcvn3("Đường Nguyễn Trung Trực").ok(),
            Some(b"\xA7\xAD\xEAng Nguy\xD4n Trung Tr\xF9c".to_vec())
        );
        // Decomposed input is normalised first.
        assert_eq!(encode_tcvn3("Gia\u{0301}").ok(), Some(b"Gi\xB8".to_vec()));
    }

    #[test]
    fn tcvn3_rejects_uppercase_toned_letters() {
        for ch in UPPER
            .chars()
            .filter(|c| !c.is_ascii() && !"ĂÂÊÔƠƯĐ ".contains(*c))
        {
            let err = encode_tcvn3(&format!("x{ch}")).expect_err("must fail");
            assert!(
                matches!(err, EncodingError::Unrepresentable { ch: c, encoding: TextEncoding::Tcvn3 } if c == ch),
                "{ch}: {err}"
            );
        }
        let err = encode_tcvn3("ẤP").expect_err("must fail");
        assert_eq!(
            err.to_string(),
            "character 'Ấ' (U+1EA4) cannot be written in tcvn3"
        );
        assert!(encode_tcvn3("€").is_err());
        assert!(encode_tcvn3("ç").is_err());
    }

    #[test]
    fn vni_known_strings() {
        let cases = [
            ("Tröôøng", "Trường"),
            ("Thaùi Bình", "Thái Bình"),
            ("Vieät Nam", "Việt Nam"),
            ("Nguyeãn Trung Tröïc", "Nguyễn Trung Trực"),
            ("Raïch Giaù", "Rạch Giá"),
            ("Ñaø Naüng", "Đà Nẵng"),
            ("Vónh Thanh", "Vĩnh Thanh"),
            ("Quy hoaïch söû duïng ñaát", "Quy hoạch sử dụng đất"),
            ("TRÖÔØNG ÑAÏI HOÏC", "TRƯỜNG ĐẠI HỌC"),
            ("Hoà Chí Minh", "Hồ Chí Minh"),
            (
                "Kyø Ñoàng, Myõ Tho, Lyù Thöôøng Kieät, î",
                "Kỳ Đồng, Mỹ Tho, Lý Thường Kiệt, ỵ",
            ),
        ];
        for (mojibake, text) in cases {
            let bytes = legacy_bytes(mojibake).unwrap_or_default();
            assert_eq!(decode(&bytes, TextEncoding::Vni), text, "{mojibake}");
        }
        // A mark byte with no vowel before it keeps its Windows-1252 meaning.
        assert_eq!(decode(b"n\xF9 \xF9", TextEncoding::Vni), "nù ù");
        // A second tone mark is not applied.
        assert_eq!(decode(b"a\xF9\xF8", TextEncoding::Vni), "áø");
    }

    #[test]
    fn vni_round_trips_every_letter() {
        for text in [LOWER, UPPER] {
            let bytes = encode_vni(text).unwrap_or_default();
            assert_eq!(decode(&bytes, TextEncoding::Vni), text);
        }
        for place in PLACES {
            let bytes = encode_vni(place).unwrap_or_default();
            assert_eq!(decode(&bytes, TextEncoding::Vni), place);
        }
        let bytes = encode_vni("Trường ĐẠI HỌC Kỳ Ỵ").unwrap_or_default();
        assert_eq!(latin1_string(&bytes), "Tröôøng ÑAÏI HOÏC Kyø Î");
        let bytes = encode_vni("ặ Ặ ấ Ầ ỉ Ĩ đ ă").unwrap_or_default();
        assert_eq!(latin1_string(&bytes), "aë AË aá AÀ æ Ó ñ aê");
        let err = encode_vni("Ça").expect_err("must fail");
        assert!(matches!(
            err,
            EncodingError::Unrepresentable {
                ch: 'Ç',
                encoding: TextEncoding::Vni
            }
        ));
        assert!(encode_vni("ë").is_err());
        assert!(encode_vni("ñ").is_err());
    }

    #[test]
    fn cp1258_and_latin1_and_utf8() {
        // Windows-1258 writes ệ as ê + combining dot below, ờ as ơ + combining grave.
        assert_eq!(decode(b"Vi\xEA\xF2t Nam", TextEncoding::Cp1258), "Việt Nam");
        assert_eq!(decode(b"Ph\xFD\xF5\xCCng", TextEncoding::Cp1258), "Phường");
        assert_eq!(
            decode(b"\xD0\xE0 N\xE3\xDEng", TextEncoding::Cp1258),
            "Đà Nẵng"
        );
        assert_eq!(decode(b"caf\xE9 \x80", TextEncoding::Latin1), "café €");
        assert_eq!(
            decode("Rạch Giá".as_bytes(), TextEncoding::Utf8),
            "Rạch Giá"
        );
        assert_eq!(decode(b"a\xFFb", TextEncoding::Utf8), "a\u{FFFD}b");
    }

    #[test]
    fn output_is_nfc() {
        let decomposed = "Ra\u{0323}ch Gia\u{0301}";
        assert_eq!(
            decode(decomposed.as_bytes(), TextEncoding::Utf8),
            "Rạch Giá"
        );
        assert_eq!(
            decode(decomposed.as_bytes(), TextEncoding::Utf8)
                .chars()
                .count(),
            8
        );
        let vni = decode(b"Vie\xE4t", TextEncoding::Vni);
        assert_eq!(vni.chars().collect::<Vec<_>>(), ['V', 'i', '\u{1EC7}', 't']);
        let cp = decode(b"Vi\xEA\xF2t", TextEncoding::Cp1258);
        assert_eq!(cp.chars().collect::<Vec<_>>(), ['V', 'i', '\u{1EC7}', 't']);
    }

    #[test]
    fn cp1252_table_agrees_with_encoding_rs() {
        for b in 0..=255_u8 {
            let byte = [b];
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
            let expected: Vec<char> = text.chars().collect();
            assert_eq!(vec![cp1252_char(b)], expected, "byte {b:#04X}");
            assert_eq!(cp1252_byte(cp1252_char(b)), Some(b));
        }
    }

    #[test]
    fn legacy_bytes_of_latin1_and_cp1252() {
        assert_eq!(legacy_bytes("Th¸i"), Some(vec![0x54, 0x68, 0xB8, 0x69]));
        assert_eq!(
            legacy_bytes("€‚ƒ„Ÿ\u{81}"),
            Some(vec![0x80, 0x82, 0x83, 0x84, 0x9F, 0x81])
        );
        assert_eq!(legacy_bytes("Thái"), Some(vec![0x54, 0x68, 0xE1, 0x69]));
        assert_eq!(legacy_bytes("Rạch"), None);
        assert_eq!(legacy_bytes(""), Some(vec![]));
    }

    #[test]
    fn repair_latin1_and_cp1252_mojibake() {
        assert_eq!(repair("Th¸i B×nh", TextEncoding::Tcvn3), "Thái Bình");
        assert_eq!(
            repair("Ph\u{AD}êng VÜnh L¹c", TextEncoding::Tcvn3),
            "Phường Vĩnh Lạc"
        );
        // TCVN3 0x93 (VN1 'Ỏ') read by Windows-1252 is '“', by Latin-1 U+0093.
        assert_eq!(repair("\u{201C}c", TextEncoding::Tcvn3), "Ỏc");
        assert_eq!(repair("\u{93}c", TextEncoding::Tcvn3), "Ỏc");
        assert_eq!(repair("Tröôøng", TextEncoding::Vni), "Trường");
        assert_eq!(
            repair("Ph\u{FD}\u{F5}\u{CC}ng", TextEncoding::Cp1258),
            "Phường"
        );
        // UTF-8 read as Windows-1252: "Đường" is C4 90 C6 B0 E1 BB 9D 6E 67.
        assert_eq!(repair("Ä\u{90}Æ°á»\u{9D}ng", TextEncoding::Utf8), "Đường");
        assert_eq!(repair("Ä‘", TextEncoding::Utf8), "đ");
        assert_eq!(repair("Thái", TextEncoding::Utf8), "Thái");
        // Real Unicode beyond U+00FF is left alone.
        assert_eq!(repair("Rạch Giá", TextEncoding::Tcvn3), "Rạch Giá");
        assert_eq!(repair("Đà Nẵng", TextEncoding::Vni), "Đà Nẵng");
        for place in PLACES {
            let mojibake = latin1_string(&encode_tcvn3(place).unwrap_or_default());
            assert_eq!(repair(&mojibake, TextEncoding::Tcvn3), place);
            let mojibake: String = encode_vni(place)
                .unwrap_or_default()
                .into_iter()
                .map(cp1252_char)
                .collect();
            assert_eq!(repair(&mojibake, TextEncoding::Vni), place);
        }
    }

    #[test]
    fn fold_strips_accents() {
        assert_eq!(fold("Rạch Giá"), "rach gia");
        assert_eq!(fold("Đường"), "duong");
        assert_eq!(fold("ĐƯỜNG NGUYỄN TRUNG TRỰC"), "duong nguyen trung truc");
        assert_eq!(fold("Phường Vĩnh Lạc"), "phuong vinh lac");
        assert_eq!(fold("Ra\u{0323}ch"), "rach");
        assert_eq!(
            fold(LOWER),
            "aaaaaa aaaaaa aaaaaa eeeeee eeeeee iiiiii oooooo oooooo \
                                 oooooo uuuuuu uuuuuu yyyyyy d"
        );
        assert_eq!(fold(&UPPER.to_lowercase()), fold(LOWER));
    }

    #[test]
    fn syllables() {
        for w in [
            "Thái",
            "Bình",
            "Nguyễn",
            "Trường",
            "khuya",
            "Ngh",
            "giá",
            "quốc",
            "ĐẤT",
            "ở",
        ] {
            let ok = is_vietnamese_syllable(w);
            assert_eq!(ok, w != "Ngh", "{w}");
        }
        for w in [
            "Th¸i",
            "café",
            "crème",
            "Thaựi",
            "Phửụứng",
            "Biình",
            "ń",
            "Ấá",
        ] {
            assert!(!is_vietnamese_syllable(w), "{w}");
        }
    }

    #[test]
    fn detect_picks_the_encoding() {
        let tcvn3: Vec<Vec<u8>> = PLACES
            .iter()
            .map(|p| encode_tcvn3(p).unwrap_or_default())
            .collect();
        let vni: Vec<Vec<u8>> = PLACES
            .iter()
            .map(|p| encode_vni(p).unwrap_or_default())
            .collect();
        let utf8: Vec<Vec<u8>> = PLACES.iter().map(|p| p.as_bytes().to_vec()).collect();
        let cp1258: Vec<Vec<u8>> = vec![
            b"Vi\xEA\xF2t Nam".to_vec(),
            b"Ph\xFD\xF5\xCCng Vi\xECnh La\xF2c".to_vec(),
            b"\xD0\xFD\xF5\xCCng Nguy\xEA\xDEn Trung Tr\xFD\xF2c".to_vec(),
        ];
        let french: Vec<Vec<u8>> = vec![
            b"Caf\xE9 cr\xE8me \xE0 la fran\xE7aise".to_vec(),
            b"na\xEFve r\xE9sum\xE9, \xE9t\xE9 \xE0 Orl\xE9ans".to_vec(),
            b"Stra\xDFe M\xFCnchen".to_vec(),
        ];
        let ascii: Vec<Vec<u8>> = vec![b"Rach Gia".to_vec(), b"123".to_vec()];
        fn refs(v: &[Vec<u8>]) -> Vec<&[u8]> {
            v.iter().map(Vec::as_slice).collect()
        }
        assert_eq!(detect(&refs(&tcvn3)), TextEncoding::Tcvn3);
        assert_eq!(detect(&refs(&vni)), TextEncoding::Vni);
        assert_eq!(detect(&refs(&utf8)), TextEncoding::Utf8);
        assert_eq!(detect(&refs(&cp1258)), TextEncoding::Cp1258);
        assert_eq!(detect(&refs(&french)), TextEncoding::Latin1);
        assert_eq!(detect(&refs(&ascii)), TextEncoding::Utf8);
        assert_eq!(detect(&[]), TextEncoding::Utf8);
        // A single short value is enough.
        assert_eq!(detect(&[&b"Th\xB8i B\xD7nh"[..]]), TextEncoding::Tcvn3);
        assert_eq!(detect(&[&b"Tr\xF6\xF4\xF8ng"[..]]), TextEncoding::Vni);
        // Hopeless bytes fall back to Latin-1.
        assert_eq!(detect(&[&b"\x80\x81\x82\xFF"[..]]), TextEncoding::Latin1);
    }
}
