//! Words a Vietnamese voice says: numbers, letters, syllables.

use unicode_normalization::UnicodeNormalization;

const DIGITS: [&str; 10] = [
    "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
];

/// Largest number said as a whole ("chín trăm chín mươi chín tỷ …"); longer digit runs are
/// said digit by digit, as people read account and reference numbers.
pub const MAX_WHOLE: u64 = 999_999_999_999;

/// 0–999; `full` says the hundreds even when zero ("không trăm linh năm"), as inside a
/// larger number.
fn triple(n: u64, full: bool, w: &mut Vec<&'static str>) {
    let h = (n / 100) as usize;
    let c = ((n % 100) / 10) as usize;
    let u = (n % 10) as usize;
    let start = w.len();
    if full || h > 0 {
        w.push(DIGITS[h]);
        w.push("trăm");
    }
    match c {
        0 => {
            if u > 0 && w.len() > start {
                w.push("linh");
            }
        }
        1 => w.push("mười"),
        _ => {
            w.push(DIGITS[c]);
            w.push("mươi");
        }
    }
    if u > 0 || (c == 0 && w.len() == start) {
        w.push(match (u, c) {
            (1, c) if c > 1 => "mốt",
            (5, c) if c > 0 => "lăm",
            _ => DIGITS[u],
        });
    }
}

/// A whole number in Vietnamese words: 2000 → "hai nghìn", 105 → "một trăm linh năm",
/// 2026 → "hai nghìn không trăm hai mươi sáu". Above [`MAX_WHOLE`], digit by digit.
pub fn number_vi(n: u64) -> String {
    if n > MAX_WHOLE {
        return digits_vi(&n.to_string());
    }
    if n == 0 {
        return "không".into();
    }
    let mut groups = Vec::new();
    let mut x = n;
    while x > 0 {
        groups.push(x % 1000);
        x /= 1000;
    }
    const NAMES: [&str; 4] = ["", "nghìn", "triệu", "tỷ"];
    let mut w: Vec<&'static str> = Vec::new();
    let top = groups.len() - 1;
    for (i, &g) in groups.iter().enumerate().rev() {
        if g == 0 {
            continue;
        }
        // Groups after the leading one say their hundreds: "hai nghìn không trăm hai mươi mốt".
        triple(g, i < top, &mut w);
        if !NAMES[i].is_empty() {
            w.push(NAMES[i]);
        }
    }
    w.join(" ")
}

/// Digits one by one: "0297" → "không hai chín bảy". Non-digits are skipped.
pub fn digits_vi(s: &str) -> String {
    s.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| DIGITS[usize::from(b - b'0')])
        .collect::<Vec<_>>()
        .join(" ")
}

/// A run of ASCII digits as a person says it: a whole number, or digit by digit when it
/// starts with 0 ("03", a code) or is too long to say as one number.
pub fn digit_run_vi(s: &str) -> String {
    if s.len() > 1 && s.starts_with('0') || s.len() > 12 {
        return digits_vi(s);
    }
    match s.parse::<u64>() {
        Ok(n) => number_vi(n),
        Err(_) => digits_vi(s),
    }
}

/// "60" and "5" → "sáu mươi phẩy năm"; the decimal part is said as a number after its
/// leading zeros one by one ("0,05" → "không phẩy không năm"), or digit by digit when long.
pub fn decimal_vi(int: &str, frac: &str) -> String {
    let zeros = frac.bytes().take_while(|b| *b == b'0').count();
    let rest = &frac[zeros..];
    let int = int.trim_start_matches('0');
    let mut w = vec![if int.is_empty() {
        "không".to_string()
    } else {
        digit_run_vi(int)
    }];
    w.push("phẩy".into());
    for _ in 0..zeros {
        w.push("không".into());
    }
    if !rest.is_empty() {
        w.push(if rest.len() <= 3 {
            digit_run_vi(rest)
        } else {
            digits_vi(rest)
        });
    }
    w.join(" ")
}

/// The month as said in dates: "tháng tư" for April, as announcers say it.
pub fn month_vi(m: u32) -> String {
    if m == 4 {
        "tư".into()
    } else {
        number_vi(u64::from(m))
    }
}

/// The Vietnamese name of a letter, as said when spelling an abbreviation ("UBND" is
/// "u bê en đê"); `None` for a character that is not a Latin letter.
pub fn letter_vi(c: char) -> Option<&'static str> {
    let lower: String = c.to_lowercase().collect();
    Some(match lower.as_str() {
        "a" => "a",
        "ă" => "á",
        "â" => "ớ",
        "b" => "bê",
        "c" => "xê",
        "d" => "dê",
        "đ" => "đê",
        "e" => "e",
        "ê" => "ê",
        "f" => "ép",
        "g" => "giê",
        "h" => "hát",
        "i" => "i",
        "j" => "gi",
        "k" => "ca",
        "l" => "lờ",
        "m" => "em",
        "n" => "en",
        "o" => "o",
        "ô" => "ô",
        "ơ" => "ơ",
        "p" => "pê",
        "q" => "quy",
        "r" => "rờ",
        "s" => "ét",
        "t" => "tê",
        "u" => "u",
        "ư" => "ư",
        "v" => "vê",
        "w" => "vê kép",
        "x" => "ích",
        "y" => "i dài",
        "z" => "dét",
        _ => return None,
    })
}

/// A word spelled letter by letter with Vietnamese letter names ("DC" → "đê xê"); letters
/// without a name are kept.
pub fn spell_vi(word: &str) -> String {
    let mut w: Vec<String> = Vec::new();
    for c in word.nfd().filter(|c| !is_tone_mark(*c)).nfc() {
        match letter_vi(c) {
            Some(name) => w.push(name.into()),
            None if c.is_alphabetic() => w.push(c.to_string()),
            None => {}
        }
    }
    w.join(" ")
}

/// The five tone marks (huyền, sắc, ngã, hỏi, nặng) as combining characters; the marks of
/// the letters ă â ê ô ơ ư are not tones.
fn is_tone_mark(c: char) -> bool {
    matches!(c, '\u{300}' | '\u{301}' | '\u{303}' | '\u{309}' | '\u{323}')
}

const INITIALS: [&str; 28] = [
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr", "b", "c", "d", "đ", "g",
    "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
];
const FINALS: [&str; 9] = ["", "c", "ch", "m", "n", "ng", "nh", "p", "t"];

pub(super) fn is_vowel(c: char) -> bool {
    matches!(
        c,
        'a' | 'ă' | 'â' | 'e' | 'ê' | 'i' | 'o' | 'ô' | 'ơ' | 'u' | 'ư' | 'y'
    )
}

/// Whether `word` has the shape of one Vietnamese syllable (an initial consonant, one to
/// three vowels, a final consonant; tone marks or not): what a Vietnamese voice says as a
/// word rather than letter by letter. "Thành", "quy", "giờ", "hoach" are; "DGT", "PK",
/// "gov", "https" are not.
pub fn is_vietnamese_syllable(word: &str) -> bool {
    let base: String = word
        .to_lowercase()
        .nfd()
        .filter(|c| !is_tone_mark(*c))
        .nfc()
        .collect();
    if base.is_empty() || base.chars().count() > 8 {
        return false;
    }
    INITIALS.iter().any(|ini| {
        let Some(rest) = base.strip_prefix(ini) else {
            return false;
        };
        if *ini == "gi" && rest.is_empty() {
            return true; // "gì"
        }
        let vowels = rest.chars().take_while(|c| is_vowel(*c)).count();
        if !(1..=3).contains(&vowels) {
            return false;
        }
        let tail: String = rest.chars().skip(vowels).collect();
        FINALS.contains(&tail.as_str())
    })
}

/// Value of a Roman numeral from 1 to 39 (I … XXXIX); `None` otherwise.
pub fn roman(word: &str) -> Option<u64> {
    if word.is_empty() || word.len() > 6 {
        return None;
    }
    let value = |c| match c {
        'I' => Some(1),
        'V' => Some(5),
        'X' => Some(10),
        _ => None,
    };
    let vals: Vec<i64> = word.chars().map(value).collect::<Option<_>>()?;
    let mut total = 0i64;
    for (i, v) in vals.iter().enumerate() {
        match vals.get(i + 1) {
            Some(next) if next > v => total -= v,
            _ => total += v,
        }
    }
    let total = u64::try_from(total).ok()?;
    // Only the canonical spelling counts ("IIII" and "VX" are not numerals).
    ((1..=39).contains(&total) && to_roman(total) == word).then_some(total)
}

fn to_roman(mut n: u64) -> String {
    let mut s = String::new();
    for (v, r) in [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")] {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    s
}
