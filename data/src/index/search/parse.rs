//! How people write a parcel or a place: tokens, admin-level words and parcel numbers.
//!
//! Parcel forms accepted (Vietnamese with or without accents, English):
//! "thửa đất số 345, tờ bản đồ số 12, xã Vĩnh Thanh", "Vĩnh Thanh tờ 12 thửa 345",
//! "vinh thanh 12 345" (sheet then parcel), "345/12" (parcel/sheet, as on certificates) and
//! "12/345" (sheet/parcel: both readings are tried, the certificate's first),
//! "Vinh Thanh sheet 12 parcel 345", "parcel 345 sheet 12", "lot 345 map sheet 12",
//! "31150 12 345" (a commune code first).

use crate::encoding::fold;

/// Folded tokens of a text: accents and case folded (`đ` → `d`), split at anything that is
/// not a letter or digit. `/` is kept as a token of its own (parcel/sheet).
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let folded = fold(text);
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in folded.chars() {
        if c.is_alphanumeric() {
            cur.push(c);
        } else {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            if c == '/' {
                out.push("/".into());
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

pub(crate) fn is_number(t: &str) -> bool {
    !t.is_empty() && t.len() <= 9 && t.bytes().all(|b| b.is_ascii_digit())
}

/// Which administrative level a level word names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// xã, phường, thị trấn: the commune itself.
    Commune,
    /// huyện, quận, thị xã, thành phố (a district-level city).
    District,
    /// tỉnh (and "thành phố" when it follows a district).
    Province,
    /// UBND, ủy ban nhân dân: the people's committee, i.e. the commune office.
    Office,
}

/// Level words and phrases (folded), longest first.
const LEVEL_WORDS: &[(&[&str], Level)] = &[
    (&["uy", "ban", "nhan", "dan"], Level::Office),
    (&["thi", "tran"], Level::Commune),
    (&["thi", "xa"], Level::District),
    (&["thanh", "pho"], Level::District),
    (&["ubnd"], Level::Office),
    (&["xa"], Level::Commune),
    (&["phuong"], Level::Commune),
    (&["tt"], Level::Commune),
    (&["huyen"], Level::District),
    (&["quan"], Level::District),
    (&["tp"], Level::District),
    (&["tinh"], Level::Province),
    (&["ward"], Level::Commune),
    (&["commune"], Level::Commune),
    (&["district"], Level::District),
    (&["province"], Level::Province),
];

/// The length of the level phrase starting at `tokens[i]`, and its level.
pub(crate) fn level_at(tokens: &[String], i: usize) -> Option<(usize, Level)> {
    LEVEL_WORDS.iter().find_map(|(words, level)| {
        let end = i + words.len();
        (end <= tokens.len() && tokens[i..end].iter().zip(words.iter()).all(|(a, b)| a == b))
            .then_some((words.len(), *level))
    })
}

/// Marks the tokens that are level words ("xã", "huyện", "UBND"…): a query may carry them
/// or not, so they need not match.
pub(crate) fn optional_mask(tokens: &[String]) -> Vec<bool> {
    let mut mask = vec![false; tokens.len()];
    let mut i = 0;
    while i < tokens.len() {
        if let Some((n, _)) = level_at(tokens, i) {
            // "Thanh" and "phố" alone are names; the phrase only is a level.
            for m in &mut mask[i..i + n] {
                *m = true;
            }
            i += n;
        } else {
            i += 1;
        }
    }
    mask
}

/// A place written with its levels: "xã Vĩnh Hòa Phú, huyện Châu Thành, tỉnh Kiên Giang".
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct AdminText {
    /// The commune's words (all words when no level word is given).
    pub commune: Vec<String>,
    pub district: Vec<String>,
    pub province: Vec<String>,
    /// "UBND" or "ủy ban nhân dân" was written.
    pub office: bool,
}

/// Splits words at level words: what follows "huyện" is the district, "tỉnh" the province.
/// "thành phố" after a district is the province (Cần Thơ), otherwise a district-level city.
pub(crate) fn admin_text(words: &[String]) -> AdminText {
    let mut a = AdminText::default();
    let mut target = Level::Commune;
    let mut i = 0;
    while i < words.len() {
        if let Some((n, level)) = level_at(words, i) {
            match level {
                Level::Office => a.office = true,
                Level::District if n == 2 && words[i] == "thanh" && !a.district.is_empty() => {
                    target = Level::Province
                }
                l => target = l,
            }
            i += n;
            continue;
        }
        let w = words[i].clone();
        match target {
            Level::Commune | Level::Office => a.commune.push(w),
            Level::District => a.district.push(w),
            Level::Province => a.province.push(w),
        }
        i += 1;
    }
    a
}

/// A parcel written by its numbers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParcelForm {
    /// The other words (commune name or code, levels), in order.
    pub words: Vec<String>,
    /// (sheet, parcel) readings, the likeliest first.
    pub readings: Vec<(i64, i64)>,
}

#[derive(Clone, Copy, PartialEq)]
enum Label {
    Sheet,
    Parcel,
}

/// Words that announce a sheet number ("tờ bản đồ số 12", "sheet 12", "map sheet 12").
fn sheet_label(t: &str) -> bool {
    matches!(t, "to" | "tbd" | "sheet" | "tobando")
}

/// Words that announce a parcel number ("thửa đất số 345", "parcel 345", "lot", "plot").
fn parcel_label(t: &str) -> bool {
    matches!(t, "thua" | "th" | "parcel" | "lot" | "plot" | "thuadat")
}

/// Words that may sit between a label and its number ("thửa đất số", "tờ bản đồ số",
/// "parcel no.", "map sheet number").
fn filler(t: &str) -> bool {
    matches!(
        t,
        "so" | "dat" | "ban" | "do" | "no" | "number" | "nr" | "map" | "of"
    )
}

/// Finds a parcel form in a query; None when the numbers do not make one.
#[cfg(test)]
pub(crate) fn parse_parcel(q: &str) -> Option<ParcelForm> {
    let toks = tokens(q);
    parse_parcel_tokens(&toks)
}

pub(crate) fn parse_parcel_tokens(toks: &[String]) -> Option<ParcelForm> {
    let next_number = |from: usize| -> Option<usize> {
        toks[from..]
            .iter()
            .position(|n| !filler(n))
            .map(|p| from + p)
            .filter(|&p| is_number(&toks[p]))
    };
    let mut pending: Option<Label> = None;
    let (mut sheet, mut parcel) = (None, None);
    let mut unlabeled: Vec<i64> = Vec::new();
    let mut slash: Option<(i64, i64)> = None;
    let mut words: Vec<String> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].as_str();
        if (sheet_label(t) || parcel_label(t)) && next_number(i + 1).is_some() {
            pending = Some(if sheet_label(t) {
                Label::Sheet
            } else {
                Label::Parcel
            });
            i += 1;
            // Skip the fillers up to the number.
            while i < toks.len() && filler(&toks[i]) {
                i += 1;
            }
            continue;
        }
        if "map" == t && toks.get(i + 1).is_some_and(|n| sheet_label(n)) {
            i += 1;
            continue;
        }
        if is_number(t) {
            let v: i64 = t.parse().ok()?;
            if pending.is_none()
                && toks.get(i + 1).is_some_and(|s| s == "/")
                && toks.get(i + 2).is_some_and(|n| is_number(n))
                && slash.is_none()
            {
                let w: i64 = toks[i + 2].parse().ok()?;
                slash = Some((v, w));
                i += 3;
                continue;
            }
            match pending.take() {
                Some(Label::Sheet) if sheet.is_none() => sheet = Some(v),
                Some(Label::Parcel) if parcel.is_none() => parcel = Some(v),
                Some(_) => return None,
                None => unlabeled.push(v),
            }
            i += 1;
            continue;
        }
        if t == "/" {
            i += 1;
            continue;
        }
        // "số" before a lone number ("số 345") is a filler too.
        if t == "so" && next_number(i + 1).is_some() {
            i += 1;
            continue;
        }
        words.push(t.to_string());
        i += 1;
    }
    let labelled = sheet.is_some() || parcel.is_some();
    let mut readings = Vec::new();
    if let Some((a, b)) = slash {
        if labelled || !unlabeled.is_empty() {
            return None;
        }
        // "345/12" on a certificate is parcel/sheet; "12/345" is the map's sheet/parcel.
        readings.push((b, a));
        if a != b {
            readings.push((a, b));
        }
        return Some(ParcelForm { words, readings });
    }
    if !labelled && unlabeled.len() == 3 && words.is_empty() {
        words.push(unlabeled.remove(0).to_string());
    }
    let mut rest = unlabeled.into_iter();
    if sheet.is_none() {
        sheet = rest.next();
    }
    if parcel.is_none() {
        parcel = rest.next();
    }
    if let Some(code) = rest.next() {
        if !words.is_empty() {
            return None;
        }
        words.push(code.to_string());
    }
    if rest.next().is_some() {
        return None;
    }
    readings.push((sheet?, parcel?));
    Some(ParcelForm { words, readings })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(q: &str) -> Option<(String, Vec<(i64, i64)>)> {
        parse_parcel(q).map(|f| (f.words.join(" "), f.readings))
    }

    #[test]
    fn folds_and_splits() {
        assert_eq!(
            tokens("Thửa đất số 345, tờ bản đồ số 12; ĐƯỜNG 30/4"),
            vec![
                "thua", "dat", "so", "345", "to", "ban", "do", "so", "12", "duong", "30", "/", "4"
            ]
        );
        assert_eq!(
            tokens("Ấp 5, Vĩnh Thanh Vân"),
            vec!["ap", "5", "vinh", "thanh", "van"]
        );
        assert_eq!(tokens("Phường Ngũ Hiệp"), vec!["phuong", "ngu", "hiep"]);
    }

    #[test]
    fn parses_the_certificate_wording() {
        assert_eq!(
            p("thửa đất số 345, tờ bản đồ số 12"),
            Some((String::new(), vec![(12, 345)]))
        );
        assert_eq!(
            p("thửa đất số 345, tờ bản đồ số 12, xã Vĩnh Thanh"),
            Some(("xa vinh thanh".into(), vec![(12, 345)]))
        );
        assert_eq!(
            p("thua dat so 345 to ban do so 12"),
            Some((String::new(), vec![(12, 345)]))
        );
        assert_eq!(
            p("Vĩnh Thanh tờ 12 thửa 345"),
            Some(("vinh thanh".into(), vec![(12, 345)]))
        );
        assert_eq!(
            p("thửa 345 tờ bản đồ số 12 Vĩnh Thanh"),
            Some(("vinh thanh".into(), vec![(12, 345)]))
        );
    }

    #[test]
    fn parses_slashes_both_ways_certificate_first() {
        assert_eq!(
            p("345/12"),
            Some((String::new(), vec![(12, 345), (345, 12)]))
        );
        assert_eq!(
            p("12/345"),
            Some((String::new(), vec![(345, 12), (12, 345)]))
        );
        assert_eq!(p("7/7"), Some((String::new(), vec![(7, 7)])));
        assert_eq!(
            p("vinh thanh 345 / 12"),
            Some(("vinh thanh".into(), vec![(12, 345), (345, 12)]))
        );
    }

    #[test]
    fn parses_english() {
        assert_eq!(
            p("Vinh Thanh sheet 12 parcel 345"),
            Some(("vinh thanh".into(), vec![(12, 345)]))
        );
        assert_eq!(
            p("parcel 345 sheet 12"),
            Some((String::new(), vec![(12, 345)]))
        );
        assert_eq!(
            p("lot no. 345, map sheet 12"),
            Some((String::new(), vec![(12, 345)]))
        );
        assert_eq!(
            p("plot 345 sheet no 12 Vinh Thanh"),
            Some(("vinh thanh".into(), vec![(12, 345)]))
        );
    }

    #[test]
    fn keeps_the_old_forms_and_refuses_non_parcels() {
        assert_eq!(
            p("vinh thanh 12 345"),
            Some(("vinh thanh".into(), vec![(12, 345)]))
        );
        assert_eq!(p("31150 12 345"), Some(("31150".into(), vec![(12, 345)])));
        assert_eq!(p("Tô Châu 3 4"), Some(("to chau".into(), vec![(3, 4)])));
        assert_eq!(p("vinh thanh"), None);
        assert_eq!(p("2341"), None);
        assert_eq!(p("1 2 3 4"), None);
        assert_eq!(p("223 30 thang 4"), None);
        assert_eq!(p("ap 5 vinh thanh van"), None);
        assert_eq!(p("thửa 345 thửa 346 tờ 12"), None);
    }

    #[test]
    fn splits_levels() {
        let a = admin_text(&tokens(
            "xã Vĩnh Hòa Phú, huyện Châu Thành, tỉnh Kiên Giang",
        ));
        assert_eq!(a.commune, vec!["vinh", "hoa", "phu"]);
        assert_eq!(a.district, vec!["chau", "thanh"]);
        assert_eq!(a.province, vec!["kien", "giang"]);
        let a = admin_text(&tokens("UBND xã Vĩnh Lạc"));
        assert!(a.office);
        assert_eq!(a.commune, vec!["vinh", "lac"]);
        let a = admin_text(&tokens("phường Vĩnh Thanh, thành phố Rạch Giá"));
        assert_eq!(a.commune, vec!["vinh", "thanh"]);
        assert_eq!(a.district, vec!["rach", "gia"]);
        let a = admin_text(&tokens("Vĩnh Thanh"));
        assert_eq!(a.commune, vec!["vinh", "thanh"]);
        let m = optional_mask(&tokens("ubnd xa vinh thanh"));
        assert_eq!(m, vec![true, true, false, false]);
        let m = optional_mask(&tokens("tran phu"));
        assert_eq!(m, vec![false, false]);
    }
}
