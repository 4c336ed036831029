//! Vietnamese (and English) text as a voice should say it: the one normaliser of the
//! portal, used by the loudspeaker audio of notices and reports and, through
//! `POST /api/v1/speech`, by the web's read-aloud.
//!
//! A Vietnamese loudspeaker voice must never be handed a digit, a code or an abbreviation:
//! "Quyết định 2341/QĐ-UBND ngày 12/10/2023" becomes "Quyết định số hai nghìn ba trăm bốn
//! mươi mốt ngày mười hai tháng mười năm hai nghìn không trăm hai mươi ba". English text
//! keeps its digits (English voices read them) but gets the same documents, dates, codes and
//! units in words. The rules, with examples, are in `docs/speech.md`.
//!
//! The text is cut into runs (letters, ASCII digits, white space, single other characters)
//! and read once from left to right; each rule looks at most a few runs ahead (a document's
//! authority: [`AUTHORITY_LOOKAHEAD`] runs), so the time is linear in the text whatever it
//! holds. No regular expressions.

mod words;

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

pub use words::{
    decimal_vi, digit_run_vi, digits_vi, is_vietnamese_syllable, letter_vi, month_vi, number_vi,
    roman, spell_vi, MAX_WHOLE,
};

/// How far after a document number the normaliser looks for its authority ("… ngày … của
/// UBND tỉnh …", where the issuer is then not said twice): runs, up to the sentence's end.
pub const AUTHORITY_LOOKAHEAD: usize = 64;

/// `text` in words a voice says right, in `lang` (`vi` or `en`); `codes` maps land-use
/// codes to their names in that language: a code after its own name is dropped, a code alone
/// is said by its name (Vietnamese: first letter lower-cased; English: lower case).
pub fn speakable(text: &str, lang: &str, codes: &[(&str, &str)]) -> String {
    let vi = !lang.eq_ignore_ascii_case("en");
    // NFKC: full-width digits become digits (and so words), decomposed Vietnamese letters
    // compare equal to the code table's names.
    let text: String = text.nfkc().collect();
    let mut n = Normaliser {
        t: tokenize(&text),
        out: String::with_capacity(text.len() * 2),
        vi,
        codes: codes
            .iter()
            .filter(|(c, name)| {
                (2..=4).contains(&c.len())
                    && c.bytes().all(|b| b.is_ascii_uppercase())
                    && !name.trim().is_empty()
            })
            .map(|&(c, name)| (c, (name.trim(), spoken_name(name.trim(), vi))))
            .collect(),
        after_unit: false,
    };
    n.run();
    tidy(&n.out)
}

/// The way a code's name is said in running text.
fn spoken_name(name: &str, vi: bool) -> String {
    if vi {
        let mut c = name.chars();
        match c.next() {
            Some(f) => f.to_lowercase().chain(c).collect(),
            None => String::new(),
        }
    } else {
        name.to_lowercase()
    }
}

/// Runs of spaces and tabs as one space, no space before a comma or full stop, trimmed.
fn tidy(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if c == ' ' || c == '\t' {
            if !o.ends_with(' ') && !o.ends_with('\n') && !o.is_empty() {
                o.push(' ');
            }
        } else {
            if matches!(c, ',' | '.' | ';' | ')') && o.ends_with(' ') {
                o.pop();
            }
            if c == '\n' && o.ends_with(' ') {
                o.pop();
            }
            o.push(c);
        }
    }
    o.trim().to_string()
}

// ------------------------------------------------------------------------------- runs

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok<'a> {
    /// Letters (and combining marks).
    Word(&'a str),
    /// ASCII digits.
    Num(&'a str),
    /// White space.
    Space(&'a str),
    /// Any other character.
    P(char),
}

fn class(c: char) -> u8 {
    if c.is_ascii_digit() {
        1
    } else if c.is_alphabetic() || unicode_normalization::char::is_combining_mark(c) {
        0
    } else if c.is_whitespace() {
        2
    } else {
        3
    }
}

fn tokenize(s: &str) -> Vec<Tok<'_>> {
    let mut start = 0;
    let mut cur: Option<u8> = None;
    let mut out: Vec<Tok<'_>> = Vec::new();
    for (i, c) in s.char_indices() {
        let k = class(c);
        if k == 3 {
            if let Some(p) = cur.take() {
                out.push(run_tok(p, &s[start..i]));
            }
            out.push(Tok::P(c));
            start = i + c.len_utf8();
            continue;
        }
        match cur {
            Some(p) if p == k => {}
            Some(p) => {
                out.push(run_tok(p, &s[start..i]));
                start = i;
                cur = Some(k);
            }
            None => {
                start = i;
                cur = Some(k);
            }
        }
    }
    if let Some(p) = cur {
        out.push(run_tok(p, &s[start..]));
    }
    out
}

fn run_tok(k: u8, s: &str) -> Tok<'_> {
    match k {
        0 => Tok::Word(s),
        1 => Tok::Num(s),
        _ => Tok::Space(s),
    }
}

// ------------------------------------------------------------------------------- tables

/// Document type codes: Vietnamese and English names.
const DOC_KINDS: [(&str, &str, &str); 6] = [
    ("QĐ", "quyết định", "Decision"),
    ("QD", "quyết định", "Decision"),
    ("NQ", "nghị quyết", "Resolution"),
    ("TTR", "tờ trình", "Submission"),
    ("TB", "thông báo", "Notice"),
    ("CV", "công văn", "Official letter"),
];

/// Issuers of documents: Vietnamese and English names.
const ISSUERS: [(&str, &str, &str); 9] = [
    ("UBND", "Ủy ban nhân dân", "the People's Committee"),
    ("HĐND", "Hội đồng nhân dân", "the People's Council"),
    ("TTG", "Thủ tướng Chính phủ", "the Prime Minister"),
    ("CP", "Chính phủ", "the Government"),
    ("BXD", "Bộ Xây dựng", "the Ministry of Construction"),
    ("SXD", "Sở Xây dựng", "the Department of Construction"),
    (
        "BTNMT",
        "Bộ Tài nguyên và Môi trường",
        "the Ministry of Natural Resources and Environment",
    ),
    (
        "STNMT",
        "Sở Tài nguyên và Môi trường",
        "the Department of Natural Resources and Environment",
    ),
    (
        "SNNMT",
        "Sở Nông nghiệp và Môi trường",
        "the Department of Agriculture and Environment",
    ),
];

/// Type codes that may follow a document number's slash ("2341/QĐ-UBND", "123/UBND-KT").
const DOC_TYPES: [&str; 13] = [
    "QĐ", "QD", "NQ", "TTR", "TB", "CV", "UBND", "HĐND", "TTG", "BXD", "SXD", "STNMT", "SNNMT",
];

/// Words that may stand before a document number and are said with it.
const DOC_WORDS: [&str; 12] = [
    "Quyết định",
    "Nghị quyết",
    "Tờ trình",
    "Thông báo",
    "Công văn",
    "Văn bản",
    "Decision",
    "Resolution",
    "Submission",
    "Notice",
    "Official letter",
    "Document",
];

/// Abbreviations a Vietnamese announcer says in full (whole words, exact case).
const ABBREVIATIONS_VI: [(&str, &str); 9] = [
    ("UBND", "Ủy ban nhân dân"),
    ("HĐND", "Hội đồng nhân dân"),
    ("KCN", "khu công nghiệp"),
    ("CCN", "cụm công nghiệp"),
    ("KDC", "khu dân cư"),
    ("KĐT", "khu đô thị"),
    ("BQL", "Ban quản lý"),
    ("QĐ", "quyết định"),
    ("TTr", "tờ trình"),
];

/// English month names (dates said and written in English).
pub const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Top-level domains after which a dotted name is taken for a web address.
const TLDS: [&str; 9] = ["vn", "com", "net", "org", "gov", "edu", "info", "io", "int"];

/// Host labels said as a listener types them (the letters of "gov" and "vn").
const HOST_WORDS_VI: [(&str, &str); 5] = [
    ("www", "vê kép vê kép vê kép"),
    ("gov", "gờ o vê"),
    ("vn", "vê en"),
    ("org", "o rờ gờ"),
    ("edu", "e đu"),
];

// ------------------------------------------------------------------------------- the reader

struct Normaliser<'a> {
    t: Vec<Tok<'a>>,
    out: String,
    vi: bool,
    /// Code → (its name as written, its name as said).
    codes: HashMap<&'a str, (&'a str, String)>,
    /// The last thing said was a unit ("héc-ta"): a slash after it is "trên" (per).
    after_unit: bool,
}

/// Case-insensitive equality of two characters.
fn eq_ci(a: char, b: char) -> bool {
    a == b || a.to_lowercase().eq(b.to_lowercase())
}

/// Where `word` starts if `s` ends with it as a whole word (case-insensitive).
fn ends_with_word_ci(s: &str, word: &str) -> Option<usize> {
    let mut it = s.char_indices().rev();
    let mut start = s.len();
    for wc in word.chars().rev() {
        let (i, c) = it.next()?;
        if !eq_ci(c, wc) {
            return None;
        }
        start = i;
    }
    match s[..start].chars().next_back() {
        Some(c) if c.is_alphanumeric() => None,
        _ => Some(start),
    }
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn valid_date(d: u32, m: u32) -> bool {
    (1..=12).contains(&m) && (1..=31).contains(&d)
}

impl<'a> Normaliser<'a> {
    fn tok(&self, i: usize) -> Option<Tok<'a>> {
        self.t.get(i).copied()
    }
    fn num(&self, i: usize) -> Option<&'a str> {
        match self.tok(i) {
            Some(Tok::Num(n)) => Some(n),
            _ => None,
        }
    }
    fn word(&self, i: usize) -> Option<&'a str> {
        match self.tok(i) {
            Some(Tok::Word(w)) => Some(w),
            _ => None,
        }
    }
    fn is(&self, i: usize, c: char) -> bool {
        self.tok(i) == Some(Tok::P(c))
    }
    fn prev_is(&self, i: usize, cs: &[char]) -> bool {
        i > 0 && matches!(self.tok(i - 1), Some(Tok::P(c)) if cs.contains(&c))
    }
    /// `i`, or past a white-space run of one line at `i`.
    fn skip_space(&self, i: usize) -> usize {
        match self.tok(i) {
            Some(Tok::Space(s)) if !s.contains('\n') => i + 1,
            _ => i,
        }
    }

    /// Appends words, with a space first when they would touch a letter or digit.
    fn say(&mut self, s: &str) {
        let touches = self
            .out
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
            && s.chars().next().is_some_and(char::is_alphanumeric);
        if touches {
            self.out.push(' ');
        }
        self.out.push_str(s);
        self.after_unit = false;
    }

    /// Appends the text as written (English keeps "B82" together; Vietnamese spaces words
    /// from the numbers said before them).
    fn raw(&mut self, s: &str) {
        if self.vi {
            self.say(s);
        } else {
            self.out.push_str(s);
            self.after_unit = false;
        }
    }

    fn run(&mut self) {
        let mut i = 0;
        while i < self.t.len() {
            let next = match self.t[i] {
                Tok::Num(_) => self.number(i),
                Tok::Word(w) => self.word_at(i, w),
                Tok::Space(s) => {
                    self.out.push_str(s);
                    i + 1
                }
                Tok::P(c) => self.punct(i, c),
            };
            i = next.max(i + 1);
        }
    }

    // ---------------------------------------------------------------- numbers

    fn number(&mut self, i: usize) -> usize {
        if let Some(end) = self.date(i) {
            return end;
        }
        if let Some(end) = self.document(i) {
            return end;
        }
        if let Some(end) = self.scale(i) {
            return end;
        }
        if self.vi {
            if let Some(end) = self.phone(i, false) {
                return end;
            }
            if let Some(end) = self.time(i) {
                return end;
            }
        }
        if let Some(end) = self.range(i) {
            return end;
        }
        let end = match self.grouped(i) {
            Some(end) => end,
            None => {
                if let Some(end) = self.vi.then(|| self.house_number(i)).flatten() {
                    return end;
                }
                let n = self.num(i).unwrap_or_default();
                let s = if self.vi {
                    digit_run_vi(n)
                } else {
                    n.to_string()
                };
                self.raw_or_say(&s);
                i + 1
            }
        };
        self.unit(end)
    }

    fn raw_or_say(&mut self, s: &str) {
        if self.vi {
            self.say(s)
        } else {
            self.raw(s)
        }
    }

    /// "2023-10-12", "12/10/2023" → "ngày mười hai tháng mười năm hai nghìn không trăm hai
    /// mươi ba" (the word "ngày" not said twice); English "12 October 2023".
    fn date(&mut self, i: usize) -> Option<usize> {
        let a = self.num(i)?;
        let (d, m, y, end) = if a.len() == 4
            && self.is(i + 1, '-')
            && self.num(i + 2).is_some_and(|s| s.len() == 2)
            && self.is(i + 3, '-')
            && self.num(i + 4).is_some_and(|s| s.len() == 2)
        {
            (self.num(i + 4)?, self.num(i + 2)?, a, i + 5)
        } else if a.len() <= 2
            && !self.prev_is(i, &['/'])
            && self.is(i + 1, '/')
            && self.num(i + 2).is_some_and(|s| s.len() <= 2)
            && self.is(i + 3, '/')
            && self.num(i + 4).is_some_and(|s| s.len() == 4)
            && !self.is(i + 5, '/')
        {
            (a, self.num(i + 2)?, self.num(i + 4)?, i + 5)
        } else {
            return None;
        };
        let (d, m): (u32, u32) = (d.parse().ok()?, m.parse().ok()?);
        if !valid_date(d, m) {
            return None;
        }
        let spoken = if self.vi {
            let y = digit_run_vi(y);
            let dm = format!("{} tháng {} năm {y}", number_vi(u64::from(d)), month_vi(m));
            let trimmed = self.out.trim_end().len();
            if ends_with_word_ci(&self.out[..trimmed], "ngày").is_some() {
                dm
            } else {
                format!("ngày {dm}")
            }
        } else {
            let trimmed = self.out.trim_end().len();
            if let Some(at) = ends_with_word_ci(&self.out[..trimmed], "of") {
                if self.out[at..].starts_with("of") {
                    self.out.truncate(at);
                    self.out.push_str("dated ");
                }
            }
            format!("{d} {} {y}", MONTHS_EN[(m - 1) as usize])
        };
        self.say(&spoken);
        Some(end)
    }

    /// "2341/QĐ-UBND", "12/2023/NQ-HĐND", "85/TTr-UBND", "123/UBND-KT", with the words
    /// before them ("Quyết định số"), as "quyết định số … năm … của Ủy ban nhân dân".
    fn document(&mut self, i: usize) -> Option<usize> {
        let num = self.num(i)?;
        if self.prev_is(i, &['/']) || !self.is(i + 1, '/') {
            return None;
        }
        let is_type = |w: &str| {
            let u = w.to_uppercase();
            DOC_TYPES.contains(&u.as_str()).then_some(u)
        };
        let (year, ty, mut k) = match (self.num(i + 2), self.word(i + 2)) {
            (Some(y), _) if y.len() == 4 && self.is(i + 3, '/') => {
                (Some(y), is_type(self.word(i + 4)?)?, i + 4)
            }
            (_, Some(w)) => (None, is_type(w)?, i + 2),
            _ => return None,
        };
        if self.num(k + 1).is_some() {
            return None;
        }
        // Issuers and departments after dashes: "-UBND", "-KT", "-BTNMT".
        let mut issuers: Vec<String> = Vec::new();
        while self.is(k + 1, '-') && matches!(self.tok(k + 2), Some(Tok::Word(_) | Tok::Num(_))) {
            let mut seg = String::new();
            let mut j = k + 2;
            while let Some(Tok::Word(s) | Tok::Num(s)) = self.tok(j) {
                seg.push_str(s);
                j += 1;
            }
            issuers.push(seg.to_uppercase());
            k = j - 1;
        }
        let end = k + 1;
        let named_after = self.authority_after(end);
        let issuer = if named_after {
            None
        } else {
            issuers.first().map(String::as_str)
        };
        let lookup = |code: &str| ISSUERS.iter().find(|(c, _, _)| *c == code);
        let by = lookup(&ty).or_else(|| issuer.and_then(lookup));
        let kind = DOC_KINDS.iter().find(|(c, _, _)| *c == ty);
        let cap = self.strip_document_words();
        let spoken = if self.vi {
            let kind = kind.map_or(
                if lookup(&ty).is_some() {
                    "công văn"
                } else {
                    "văn bản"
                },
                |k| k.1,
            );
            let kind = if cap == Some(true) {
                upper_first(kind)
            } else {
                kind.to_string()
            };
            let mut s = format!("{kind} số {}", digit_run_vi(num));
            if let Some(y) = year {
                s.push_str(&format!(" năm {}", digit_run_vi(y)));
            }
            if let Some(b) = by {
                s.push_str(&format!(" của {}", b.1));
            }
            s
        } else {
            let kind = kind.map_or(
                if lookup(&ty).is_some() {
                    "Official letter"
                } else {
                    "Document"
                },
                |k| k.2,
            );
            let mut s = format!("{kind} number {num}");
            if let Some(y) = year {
                s.push_str(&format!(" of {y}"));
            }
            if let Some(b) = by {
                s.push_str(&format!(" of {}", b.2));
            }
            s
        };
        self.say(&spoken);
        Some(end)
    }

    /// Whether the authority is named after a document number, before the sentence ends
    /// ("… ngày … của UBND tỉnh …"; English "… Committee").
    fn authority_after(&self, from: usize) -> bool {
        for j in from..(from + AUTHORITY_LOOKAHEAD).min(self.t.len()) {
            match self.t[j] {
                Tok::P('.' | ';' | '(' | ')') => return false,
                Tok::Word("của") if self.vi => {
                    return matches!(self.tok(j.wrapping_sub(1)), Some(Tok::Space(_)))
                        && matches!(self.tok(j + 1), Some(Tok::Space(_)));
                }
                Tok::Word(
                    "Committee" | "Council" | "Minister" | "Ministry" | "Department" | "Government",
                ) if !self.vi => return true,
                _ => {}
            }
        }
        false
    }

    /// Takes "Quyết định số " (or "số ", "No. ") off the end of what was said, as the
    /// document is said with its kind; whether the word taken off was capitalised.
    fn strip_document_words(&mut self) -> Option<bool> {
        let trimmed = self.out.trim_end().len();
        if trimmed == self.out.len() {
            return None;
        }
        let mut cut = None;
        let base = &self.out[..trimmed];
        for w in ["số", "No.", "No"] {
            if let Some(at) = ends_with_word_ci(base, w) {
                cut = Some(at);
                break;
            }
        }
        let before = &self.out[..cut.unwrap_or(trimmed)];
        let before_trim = before.trim_end();
        if cut.is_none() || before_trim.len() < before.len() {
            for w in DOC_WORDS {
                if let Some(at) = ends_with_word_ci(before_trim, w) {
                    cut = Some(at);
                    break;
                }
            }
        }
        let at = cut?;
        let cap = self.out[at..]
            .chars()
            .next()
            .is_some_and(char::is_uppercase);
        self.out.truncate(at);
        Some(cap)
    }

    /// "1/2000", "1:500" → "tỷ lệ một phần hai nghìn" ("tỷ lệ" before it said once);
    /// English "scale 1 to 2000".
    fn scale(&mut self, i: usize) -> Option<usize> {
        if self.num(i)? != "1" || self.prev_is(i, &['/', '.', ',']) {
            return None;
        }
        let j = self.skip_space(i + 1);
        if !(self.is(j, '/') || self.is(j, ':')) {
            return None;
        }
        let mut k = self.skip_space(j + 1);
        let mut den = self.num(k)?.to_string();
        // "1:10.000" (Vietnamese thousands) and "1:10,000" (English).
        let sep = if self.vi { '.' } else { ',' };
        while den.len() <= 3 && self.is(k + 1, sep) && self.num(k + 2).is_some_and(|g| g.len() == 3)
        {
            den.push_str(self.num(k + 2)?);
            k += 2;
            if den.len() > 6 {
                break;
            }
        }
        if !(3..=6).contains(&den.len()) || self.is(k + 1, '/') {
            return None;
        }
        let den = den.as_str();
        let trimmed = self.out.trim_end().len();
        let mut cap = false;
        for w in ["tỷ lệ", "tỉ lệ", "scale"] {
            if let Some(at) = ends_with_word_ci(&self.out[..trimmed], w) {
                cap = self.out[at..]
                    .chars()
                    .next()
                    .is_some_and(char::is_uppercase);
                self.out.truncate(at);
                break;
            }
        }
        let s = if self.vi {
            let s = format!("tỷ lệ một phần {}", digit_run_vi(den));
            if cap {
                upper_first(&s)
            } else {
                s
            }
        } else {
            format!("{} 1 to {den}", if cap { "Scale" } else { "scale" })
        };
        self.say(&s);
        Some(k + 1)
    }

    /// Telephone numbers digit by digit: "0297 3862 123", "0297.3862.123", "+84 297 …",
    /// hotlines "1900 1234".
    fn phone(&mut self, i: usize, plus: bool) -> Option<usize> {
        let first = self.num(i)?;
        let mut digits = first.to_string();
        let mut k = i;
        loop {
            let sep = matches!(self.tok(k + 1), Some(Tok::Space(" ") | Tok::P('.' | '-')));
            match self.num(k + 2) {
                Some(n) if sep && digits.len() + n.len() <= if plus { 13 } else { 11 } => {
                    digits.push_str(n);
                    k += 2;
                }
                _ => break,
            }
        }
        let ok = if plus {
            (9..=13).contains(&digits.len())
        } else if first.starts_with('0') {
            (9..=11).contains(&digits.len()) && first.len() >= 2
        } else {
            (first == "1900" || first == "1800") && matches!(digits.len(), 8 | 10)
        };
        if !ok {
            return None;
        }
        self.say(&digits_vi(&digits));
        Some(k + 1)
    }

    /// "7h30", "7:30" → "bảy giờ ba mươi"; "7h" → "bảy giờ".
    fn time(&mut self, i: usize) -> Option<usize> {
        let h = self.num(i).filter(|h| h.len() <= 2)?;
        let hv: u64 = h.parse().ok()?;
        if hv > 24 {
            return None;
        }
        let minutes = |m: Option<&str>| {
            m.filter(|m| m.len() == 2)
                .and_then(|m| m.parse::<u64>().ok())
                .filter(|m| *m < 60)
        };
        let (m, end) = if self.word(i + 1) == Some("h") {
            match minutes(self.num(i + 2)) {
                Some(m) => (Some(m), i + 3),
                None if self.num(i + 2).is_none() => (None, i + 2),
                None => return None,
            }
        } else if self.is(i + 1, ':') && !self.prev_is(i, &[':']) && !self.is(i + 3, ':') {
            (Some(minutes(self.num(i + 2))?), i + 3)
        } else {
            return None;
        };
        let mut s = format!("{} giờ", number_vi(hv));
        if let Some(m) = m.filter(|m| *m > 0) {
            s.push(' ');
            s.push_str(&number_vi(m));
        }
        self.say(&s);
        Some(end)
    }

    /// "2021–2030" → "hai nghìn không trăm hai mươi mốt đến …" (English "2021 to 2030");
    /// in Vietnamese also small ranges ("3–5 tầng" → "ba đến năm tầng").
    fn range(&mut self, i: usize) -> Option<usize> {
        let a = self.num(i)?;
        if self.prev_is(i, &['-', '/', '–', '.', ',']) {
            return None;
        }
        let j = self.skip_space(i + 1);
        if !(self.is(j, '-') || self.is(j, '–') || self.is(j, '—')) {
            return None;
        }
        let k = self.skip_space(j + 1);
        let b = self.num(k)?;
        if matches!(self.tok(k + 1), Some(Tok::P('-' | '/' | '–' | '.' | ','))) {
            return None;
        }
        let years = a.len() == 4 && b.len() == 4;
        let small = a.len() <= 4
            && b.len() <= 4
            && !(a.len() > 1 && a.starts_with('0'))
            && !(b.len() > 1 && b.starts_with('0'));
        if !(years || (self.vi && small)) {
            return None;
        }
        let s = if self.vi {
            format!("{} đến {}", digit_run_vi(a), digit_run_vi(b))
        } else {
            format!("{a} to {b}")
        };
        self.raw_or_say(&s);
        Some(self.unit(k + 1))
    }

    /// Thousands separators and decimal marks: Vietnamese "1.776,25" → "một nghìn bảy trăm
    /// bảy mươi sáu phẩy hai mươi lăm", "60,5" → "sáu mươi phẩy năm"; English "1,776" →
    /// "1776". Where the number ends, or `None` when it is not grouped nor decimal.
    fn grouped(&mut self, i: usize) -> Option<usize> {
        let a = self.num(i)?;
        if self.prev_is(i, &['.', ',']) {
            return None;
        }
        let (thousands, point) = if self.vi { ('.', ',') } else { (',', '.') };
        // Thousands groups.
        let mut int = a.to_string();
        let mut k = i;
        if a.len() <= 3 {
            while self.is(k + 1, thousands) && self.num(k + 2).is_some_and(|g| g.len() == 3) {
                int.push_str(self.num(k + 2)?);
                k += 2;
            }
        }
        let grouped = k > i;
        if grouped && self.is(k + 1, thousands) && self.num(k + 2).is_some() {
            return None; // "1.234.5": not a number we can read
        }
        // A decimal part.
        let frac = if self.is(k + 1, point) && !self.is(k + 3, point) {
            self.num(k + 2)
        } else {
            None
        };
        // Vietnamese text sometimes carries an English decimal point ("36.31").
        let frac = frac.or_else(|| {
            (self.vi
                && !grouped
                && self.is(k + 1, '.')
                && !self.is(k + 3, '.')
                && !self.is(k + 3, ','))
            .then(|| self.num(k + 2).filter(|f| f.len() != 3))
            .flatten()
        });
        match (grouped, frac) {
            (_, Some(f)) => {
                let s = if self.vi {
                    decimal_vi(&int, f)
                } else {
                    format!("{int}.{f}")
                };
                self.raw_or_say(&s);
                Some(k + 3)
            }
            (true, None) => {
                let s = if self.vi { digit_run_vi(&int) } else { int };
                self.raw_or_say(&s);
                Some(k + 1)
            }
            (false, None) => None,
        }
    }

    /// "345/12" (a house number) → "ba trăm bốn mươi lăm trên mười hai".
    fn house_number(&mut self, i: usize) -> Option<usize> {
        let a = self.num(i)?;
        if self.prev_is(i, &['/']) || !self.is(i + 1, '/') {
            return None;
        }
        let b = self.num(i + 2)?;
        if self.is(i + 3, '/') {
            return None;
        }
        self.say(&format!("{} trên {}", digit_run_vi(a), digit_run_vi(b)));
        Some(i + 3)
    }

    /// A unit after a number, said as words: %, m², m³, m, km, km², cm, ha.
    fn unit(&mut self, i: usize) -> usize {
        let k = self.skip_space(i);
        let vi = self.vi;
        let w = |vi_w: &'static str, en_w: &'static str| if vi { vi_w } else { en_w };
        let (s, end) = if self.is(k, '%') {
            (w("phần trăm", "per cent"), k + 1)
        } else if let Some(u) = self.word(k) {
            let squared = self.is(k + 1, '²') || self.num(k + 1) == Some("2");
            let cubed = self.is(k + 1, '³') || self.num(k + 1) == Some("3");
            match u {
                "m" if squared => (w("mét vuông", "square metres"), k + 2),
                "m" if cubed => (w("mét khối", "cubic metres"), k + 2),
                "km" if squared => (w("ki-lô-mét vuông", "square kilometres"), k + 2),
                "m" => (w("mét", "metres"), k + 1),
                "km" => (w("ki-lô-mét", "kilometres"), k + 1),
                "cm" => (w("xăng-ti-mét", "centimetres"), k + 1),
                "ha" => (w("héc-ta", "hectares"), k + 1),
                _ => return i,
            }
        } else {
            return i;
        };
        self.out.push(' ');
        self.say(s);
        self.after_unit = true;
        end
    }

    // ---------------------------------------------------------------- words

    fn word_at(&mut self, i: usize, w: &'a str) -> usize {
        if let Some(end) = self.address(i) {
            return end;
        }
        // m² and km² without a number before them.
        // (NFKC has made "m²" "m2".)
        if matches!(w, "m" | "km") && matches!(self.num(i + 1), Some("2" | "3")) {
            let sq = self.num(i + 1) == Some("2");
            let s = match (w, sq, self.vi) {
                ("m", true, true) => "mét vuông",
                ("m", false, true) => "mét khối",
                ("km", _, true) => "ki-lô-mét vuông",
                ("m", true, false) => "square metres",
                ("m", false, false) => "cubic metres",
                _ => "square kilometres",
            };
            self.say(s);
            self.after_unit = true;
            return i + 2;
        }
        let next_num = self.num(i + 1).is_some();
        let prev_num = i > 0 && self.num(i - 1).is_some();
        if let Some((_, spoken)) = self.codes.get(w).filter(|_| !next_num && !prev_num) {
            let s = spoken.clone();
            self.say(&s);
            return i + 1;
        }
        if self.vi {
            if let Some((_, full)) = ABBREVIATIONS_VI.iter().find(|(a, _)| *a == w) {
                if !(next_num || prev_num) {
                    self.say(full);
                    return i + 1;
                }
            }
            // "TP. Rạch Giá", "TX. Hà Tiên".
            if self.is(i + 1, '.') && matches!(w, "TP" | "Tp" | "TX") {
                self.say(if w == "TX" {
                    "thị xã"
                } else {
                    "thành phố"
                });
                return i + 2;
            }
            if matches!(w, "QL" | "ĐT") && self.num(self.skip_space(i + 1)).is_some() {
                self.say(if w == "QL" {
                    "quốc lộ"
                } else {
                    "đường tỉnh"
                });
                return i + 1;
            }
            if let Some(n) = roman(w).filter(|_| w.len() >= 2 || self.after_ordinal_word()) {
                self.say(&number_vi(n));
                return i + 1;
            }
            // An abbreviation or a zone's letters ("PK2000DC-001", "B82"): spelled.
            let caps = w.chars().all(|c| !c.is_lowercase()) && w.chars().any(char::is_uppercase);
            if caps
                && (!is_vietnamese_syllable(w) || next_num || prev_num)
                && w.chars().count() <= 6
            {
                let s = spell_vi(w);
                self.say(&s);
                return i + 1;
            }
        }
        self.raw(w);
        i + 1
    }

    /// The last word said calls for a number ("giai đoạn II", "quý IV").
    fn after_ordinal_word(&self) -> bool {
        let t = self.out.trim_end();
        [
            "giai đoạn",
            "đợt",
            "quý",
            "phần",
            "chương",
            "khu",
            "phân khu",
        ]
        .iter()
        .any(|w| ends_with_word_ci(t, w).is_some())
    }

    /// A web address: its host said readably, the scheme, port, path and query left out
    /// ("https://quyhoach.kiengiang.gov.vn/thong-bao" → "quy hoach chấm kien giang chấm gờ
    /// o vê chấm vê en").
    fn address(&mut self, i: usize) -> Option<usize> {
        let w = self.word(i)?;
        let host_start = if matches!(w, "http" | "https")
            && self.is(i + 1, ':')
            && self.is(i + 2, '/')
            && self.is(i + 3, '/')
        {
            i + 4
        } else if matches!(
            self.tok(i.wrapping_sub(1)),
            Some(Tok::Word(_) | Tok::Num(_))
        ) || self.prev_is(i, &['.', '@', '-'])
        {
            return None;
        } else {
            i
        };
        // Host: labels separated by dots.
        let mut labels: Vec<String> = Vec::new();
        let mut cur = String::new();
        let mut j = host_start;
        loop {
            match self.tok(j) {
                Some(Tok::Word(s) | Tok::Num(s)) => cur.push_str(s),
                Some(Tok::P('-')) if !cur.is_empty() => cur.push('-'),
                Some(Tok::P('.'))
                    if !cur.is_empty()
                        && matches!(self.tok(j + 1), Some(Tok::Word(_) | Tok::Num(_))) =>
                {
                    labels.push(std::mem::take(&mut cur));
                }
                _ => break,
            }
            j += 1;
        }
        if !cur.is_empty() {
            labels.push(cur);
        }
        let schemed = host_start > i;
        let tld = labels.last().map(|l| l.to_lowercase());
        let looks_like_host = labels.len() >= 2
            && tld
                .as_deref()
                .is_some_and(|t| TLDS.contains(&t) || t.bytes().all(|b| b.is_ascii_digit()));
        if !(schemed
            || looks_like_host && (w == "www" || tld.as_deref().is_some_and(|t| TLDS.contains(&t))))
        {
            return None;
        }
        // The rest of the address (port, path, query) up to white space.
        while let Some(t) = self.tok(j) {
            if matches!(t, Tok::Space(_)) {
                break;
            }
            // A full stop or comma ending the sentence is not part of the address.
            if matches!(t, Tok::P('.' | ',' | ';' | ')' | '!' | '?'))
                && !matches!(
                    self.tok(j + 1),
                    Some(Tok::Word(_) | Tok::Num(_) | Tok::P('/'))
                )
            {
                break;
            }
            j += 1;
        }
        let spoken = self.host_words(&labels);
        if !spoken.is_empty() {
            self.say(&spoken);
        }
        Some(j)
    }

    fn host_words(&self, labels: &[String]) -> String {
        let dot = if self.vi { " chấm " } else { " dot " };
        labels
            .iter()
            .map(|l| {
                let lower = l.to_lowercase();
                if !self.vi {
                    return lower;
                }
                if let Some((_, s)) = HOST_WORDS_VI.iter().find(|(h, _)| *h == lower) {
                    return (*s).to_string();
                }
                lower
                    .split('-')
                    .map(|part| {
                        if part.bytes().all(|b| b.is_ascii_digit()) {
                            digit_run_vi(part)
                        } else {
                            syllables_or_letters(part)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" gạch ngang ")
            })
            .collect::<Vec<_>>()
            .join(dot)
    }

    // ---------------------------------------------------------------- signs

    fn punct(&mut self, i: usize, c: char) -> usize {
        match c {
            '(' => {
                if let (Some(code), true) = (self.word(i + 1), self.is(i + 2, ')')) {
                    if let Some((name, spoken)) = self.codes.get(code).cloned() {
                        let trimmed = self.out.trim_end().len();
                        if ends_with_word_ci(&self.out[..trimmed], name).is_some() {
                            self.out.truncate(trimmed);
                        } else {
                            self.out.push('(');
                            self.out.push_str(&spoken);
                            self.out.push(')');
                        }
                        return i + 3;
                    }
                }
                self.out.push('(');
            }
            '%' => {
                let s = if self.vi { "phần trăm" } else { "per cent" };
                self.out.push(' ');
                self.say(s);
            }
            '+' if self.vi && self.num(self.skip_space(i + 1)).is_some() => {
                let j = self.skip_space(i + 1);
                let mark = self.out.len();
                self.say("cộng");
                if let Some(end) = self.phone(j, true) {
                    return end;
                }
                self.out.truncate(mark);
                self.out.push('+');
            }
            '#' if self.num(i + 1).is_some() => self.say(if self.vi { "số" } else { "number" }),
            '·' => self.out.push(','),
            '&' => {
                self.out.push(' ');
                self.say(if self.vi { "và" } else { "and" });
                self.out.push(' ');
            }
            '~' | '≈' => self.say(if self.vi { "khoảng" } else { "about" }),
            '@' => {
                self.out.push(' ');
                self.say(if self.vi { "a còng" } else { "at" });
                self.out.push(' ');
            }
            '/' if self.vi => {
                if self.after_unit {
                    self.out.push(' ');
                    self.say("trên");
                    self.out.push(' ');
                } else {
                    self.out.push_str(", ");
                }
            }
            '-' if self.vi && (self.num(i + 1).is_some() || i > 0 && self.num(i - 1).is_some()) => {
                self.out.push(' ');
            }
            '²' | '³' if self.vi => {}
            _ => self.out.push(c),
        }
        i + 1
    }
}

/// A host label said as Vietnamese syllables when it is made of them ("quyhoach" → "quy
/// hoach", "kiengiang" → "kien giang"), else letter by letter.
fn syllables_or_letters(label: &str) -> String {
    let chars: Vec<char> = label.chars().collect();
    // Longest-first split into syllables (labels are short: at most 63 characters).
    let n = chars.len();
    if n == 0 || n > 63 {
        return spell_vi(label);
    }
    // best[i]: the cheapest split of chars[i..]: fewest syllables, then fewest starting
    // with a vowel ("kien giang", not "kieng iang").
    let mut best: Vec<Option<(usize, Vec<usize>)>> = vec![None; n + 1];
    best[n] = Some((0, Vec::new()));
    for i in (0..n).rev() {
        let mut choice: Option<(usize, Vec<usize>)> = None;
        for j in (i + 1..=n.min(i + 8)).rev() {
            let piece: String = chars[i..j].iter().collect();
            if let (true, Some((rest_cost, rest))) = (is_vietnamese_syllable(&piece), &best[j]) {
                let cost = rest_cost + 2 + usize::from(words::is_vowel(chars[i]));
                if choice.as_ref().is_none_or(|(c, _)| cost < *c) {
                    let mut v = vec![j];
                    v.extend(rest);
                    choice = Some((cost, v));
                }
            }
        }
        best[i] = choice;
    }
    match &best[0] {
        Some((_, cuts)) => {
            let mut start = 0;
            let mut parts = Vec::new();
            for &c in cuts {
                parts.push(chars[start..c].iter().collect::<String>());
                start = c;
            }
            parts.join(" ")
        }
        None => spell_vi(label),
    }
}

#[cfg(test)]
mod tests;
