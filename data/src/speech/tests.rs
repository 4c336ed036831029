//! The normaliser's rules, one example each (the JavaScript tests it replaces, and more).

use super::*;

const CODES_VI: [(&str, &str); 3] = [
    ("DGT", "Đất công trình giao thông"),
    ("ODT", "Đất ở tại đô thị"),
    ("TMD", "Đất thương mại dịch vụ"),
];
const CODES_EN: [(&str, &str); 2] = [("DGT", "Transport"), ("ODT", "Urban residential")];

fn vi(s: &str) -> String {
    speakable(s, "vi", &CODES_VI)
}
fn en(s: &str) -> String {
    speakable(s, "en", &CODES_EN)
}

/// Every token of `s` is a word a Vietnamese voice says: no digit, no slash, no
/// abbreviation; each word a Vietnamese syllable (or one of `extra`).
fn assert_sayable(s: &str, extra: &[&str]) {
    for tok in s.split(|c: char| !c.is_alphanumeric()) {
        if tok.is_empty() {
            continue;
        }
        assert!(
            !tok.bytes().any(|b| b.is_ascii_digit()),
            "digit in {tok:?}: {s}"
        );
        assert!(
            is_vietnamese_syllable(tok) || extra.contains(&tok),
            "not a syllable: {tok:?} in {s}"
        );
    }
    assert!(!s.contains('/'), "slash: {s}");
}

#[test]
fn vietnamese_number_words() {
    for (n, w) in [
        (0, "không"),
        (5, "năm"),
        (10, "mười"),
        (11, "mười một"),
        (15, "mười lăm"),
        (21, "hai mươi mốt"),
        (24, "hai mươi bốn"),
        (25, "hai mươi lăm"),
        (60, "sáu mươi"),
        (101, "một trăm linh một"),
        (105, "một trăm linh năm"),
        (110, "một trăm mười"),
        (115, "một trăm mười lăm"),
        (500, "năm trăm"),
        (2000, "hai nghìn"),
        (2021, "hai nghìn không trăm hai mươi mốt"),
        (2026, "hai nghìn không trăm hai mươi sáu"),
        (7243, "bảy nghìn hai trăm bốn mươi ba"),
        (10000, "mười nghìn"),
        (1776, "một nghìn bảy trăm bảy mươi sáu"),
        (1_000_005, "một triệu không trăm linh năm"),
        (1_000_000_000, "một tỷ"),
        (2_005_000_100, "hai tỷ không trăm linh năm triệu một trăm"),
    ] {
        assert_eq!(number_vi(n), w, "{n}");
    }
    assert_eq!(
        number_vi(1_000_000_000_000),
        "một không không không không không không không không không không không không"
    );
    assert_eq!(digit_run_vi("03"), "không ba");
    assert_eq!(decimal_vi("60", "5"), "sáu mươi phẩy năm");
    assert_eq!(decimal_vi("0", "05"), "không phẩy không năm");
}

#[test]
fn documents_are_said_as_kind_number_and_issuer() {
    assert_eq!(
        vi("theo 2341/QĐ-UBND"),
        "theo quyết định số hai nghìn ba trăm bốn mươi mốt của Ủy ban nhân dân"
    );
    assert_eq!(
        vi("(1195/QĐ-UBND)"),
        "(quyết định số một nghìn một trăm chín mươi lăm của Ủy ban nhân dân)"
    );
    assert_eq!(
        vi("Tờ trình 85/TTr-UBND"),
        "Tờ trình số tám mươi lăm của Ủy ban nhân dân"
    );
    assert_eq!(
        vi("12/2023/NQ-HĐND"),
        "nghị quyết số mười hai năm hai nghìn không trăm hai mươi ba của Hội đồng nhân dân"
    );
    assert_eq!(
        vi("Công văn 123/UBND-KT"),
        "Công văn số một trăm hai mươi ba của Ủy ban nhân dân"
    );
    assert_eq!(
        vi("theo Quyết định số 2341/QĐ-UBND"),
        "theo Quyết định số hai nghìn ba trăm bốn mươi mốt của Ủy ban nhân dân"
    );
    // A document followed by its authority does not name the issuer twice.
    assert_eq!(
        vi("Quyết định 2341/QĐ-UBND ngày 12/10/2023 của UBND tỉnh Kiên Giang"),
        "Quyết định số hai nghìn ba trăm bốn mươi mốt ngày mười hai tháng mười năm hai nghìn \
         không trăm hai mươi ba của Ủy ban nhân dân tỉnh Kiên Giang"
    );
    assert_eq!(
        en("(2341/QĐ-UBND)"),
        "(Decision number 2341 of the People's Committee)"
    );
    assert_eq!(
        en("Submission 85/TTr-UBND"),
        "Submission number 85 of the People's Committee"
    );
    assert_eq!(
        en("Resolution 12/2023/NQ-HĐND"),
        "Resolution number 12 of 2023 of the People's Council"
    );
    assert_eq!(
        en("Decision 2341/QĐ-UBND of 2023-10-12, Kiên Giang Provincial People's Committee"),
        "Decision number 2341 dated 12 October 2023, Kiên Giang Provincial People's Committee"
    );
    for out in [vi("2341/QĐ-UBND, 85/TTr-UBND"), en("2341/QĐ-UBND")] {
        assert!(
            !out.contains("QĐ")
                && !out.contains("UBND")
                && !out.contains("TTr")
                && !out.contains('/'),
            "{out}"
        );
    }
}

#[test]
fn land_use_codes_by_name() {
    assert_eq!(
        vi("100% chuyển sang đất công trình giao thông (DGT)"),
        "một trăm phần trăm chuyển sang đất công trình giao thông"
    );
    assert_eq!(
        vi("giữ ODT 60,5%"),
        "giữ đất ở tại đô thị sáu mươi phẩy năm phần trăm"
    );
    assert_eq!(vi("DGT"), "đất công trình giao thông");
    assert_eq!(
        vi("ODT, DGT và TMD"),
        "đất ở tại đô thị, đất công trình giao thông và đất thương mại dịch vụ"
    );
    assert_eq!(vi("giữ (ODT)"), "giữ (đất ở tại đô thị)");
    assert_eq!(
        en("100% becomes transport (DGT)"),
        "100 per cent becomes transport"
    );
    assert_eq!(en("keeps ODT"), "keeps urban residential");
    // A code inside a word is not a code; an unknown one is spelled in Vietnamese.
    assert_eq!(en("Block B82, CODT"), "Block B82, CODT");
    assert_eq!(vi("Ô phố B82, CODT"), "Ô phố bê tám mươi hai, xê o dê tê");
    assert_eq!(vi("ODT1"), "o dê tê một");
}

#[test]
fn scales_dates_and_ranges() {
    assert_eq!(
        vi("Quy hoạch phân khu tỷ lệ 1/2000"),
        "Quy hoạch phân khu tỷ lệ một phần hai nghìn"
    );
    assert_eq!(vi("bản đồ 1/500"), "bản đồ tỷ lệ một phần năm trăm");
    assert_eq!(vi("tỉ lệ 1 : 10.000"), "tỷ lệ một phần mười nghìn");
    assert_eq!(en("Zoning plan 1:2000"), "Zoning plan scale 1 to 2000");
    assert_eq!(
        en("Zoning plan, scale 1:2000"),
        "Zoning plan, scale 1 to 2000"
    );
    assert_eq!(
        vi("ngày 2023-10-12"),
        "ngày mười hai tháng mười năm hai nghìn không trăm hai mươi ba"
    );
    assert_eq!(
        vi("ngày 05/03/2025"),
        "ngày năm tháng ba năm hai nghìn không trăm hai mươi lăm"
    );
    assert_eq!(
        vi("hạn 30/4/2026"),
        "hạn ngày ba mươi tháng tư năm hai nghìn không trăm hai mươi sáu"
    );
    assert_eq!(
        vi("2023-13-40"),
        "hai nghìn không trăm hai mươi ba mười ba bốn mươi"
    );
    assert_eq!(en("2023-10-12"), "12 October 2023");
    assert_eq!(
        vi("thời kỳ 2021–2030"),
        "thời kỳ hai nghìn không trăm hai mươi mốt đến hai nghìn không trăm ba mươi"
    );
    assert_eq!(vi("cao 3-5 tầng"), "cao ba đến năm tầng");
    assert_eq!(en("period 2021–2030"), "period 2021 to 2030");
}

#[test]
fn numbers_and_units() {
    assert_eq!(vi("60,5%"), "sáu mươi phẩy năm phần trăm");
    assert_eq!(vi("0,05 ha"), "không phẩy không năm héc-ta");
    assert_eq!(vi("1.776 m²"), "một nghìn bảy trăm bảy mươi sáu mét vuông");
    assert_eq!(
        vi("1.776,25 m²"),
        "một nghìn bảy trăm bảy mươi sáu phẩy hai mươi lăm mét vuông"
    );
    assert_eq!(vi("lộ giới 20 m"), "lộ giới hai mươi mét");
    assert_eq!(vi("lộ giới 20m"), "lộ giới hai mươi mét");
    assert_eq!(vi("36.31 m2"), "ba mươi sáu phẩy ba mươi mốt mét vuông");
    assert_eq!(vi("1,1 ha"), "một phẩy một héc-ta");
    assert_eq!(vi("12 km"), "mười hai ki-lô-mét");
    assert_eq!(vi("25 m²/người"), "hai mươi lăm mét vuông trên người");
    assert_eq!(vi("diện tích (m²)"), "diện tích (mét vuông)");
    assert_eq!(en("1,776 m² (60.5%)"), "1776 square metres (60.5 per cent)");
    assert_eq!(vi("3 tầng"), "ba tầng");
    assert_eq!(vi("thửa 312, tờ 1"), "thửa ba trăm mười hai, tờ một");
    for s in [
        "60,5%",
        "36,3 m²",
        "1.776 m²",
        "0,5",
        "1.000.000 đồng",
        "năm 2026",
    ] {
        assert_sayable(&vi(s), &[]);
    }
}

#[test]
fn telephone_and_house_numbers_times() {
    assert_eq!(
        vi("gọi 0297 3862 123"),
        "gọi không hai chín bảy ba tám sáu hai một hai ba"
    );
    assert_eq!(
        vi("0913.456.789"),
        "không chín một ba bốn năm sáu bảy tám chín"
    );
    assert_eq!(
        vi("+84 297 3862 123"),
        "cộng tám bốn hai chín bảy ba tám sáu hai một hai ba"
    );
    assert_eq!(
        vi("đường dây nóng 1900 1234"),
        "đường dây nóng một chín không không một hai ba bốn"
    );
    assert_eq!(
        vi("số 345/12 đường Nguyễn Trung Trực"),
        "số ba trăm bốn mươi lăm trên mười hai đường Nguyễn Trung Trực"
    );
    assert_eq!(vi("từ 7h30 đến 17h"), "từ bảy giờ ba mươi đến mười bảy giờ");
    assert_eq!(vi("lúc 14:00"), "lúc mười bốn giờ");
}

#[test]
fn zone_ids_abbreviations_and_numerals() {
    assert_eq!(
        vi("ô PK2000DC-001"),
        "ô pê ca hai nghìn dê xê không không một"
    );
    assert_eq!(vi("Ô phố A8"), "Ô phố a tám");
    assert_eq!(vi("UBND và HĐND"), "Ủy ban nhân dân và Hội đồng nhân dân");
    assert_eq!(vi("TP. Rạch Giá"), "thành phố Rạch Giá");
    assert_eq!(vi("QL80"), "quốc lộ tám mươi");
    assert_eq!(vi("Quốc lộ 61"), "Quốc lộ sáu mươi mốt");
    assert_eq!(vi("giai đoạn II"), "giai đoạn hai");
    assert_eq!(vi("quý IV"), "quý bốn");
    assert_eq!(vi("KCN Thạnh Lộc"), "khu công nghiệp Thạnh Lộc");
    assert_eq!(vi("THÔNG BÁO"), "THÔNG BÁO");
}

#[test]
fn web_addresses_are_said_by_their_host() {
    assert_eq!(
        vi("Xem tại https://quyhoach.kiengiang.gov.vn/thong-bao/31150."),
        "Xem tại quy hoach chấm kien giang chấm gờ o vê chấm vê en."
    );
    assert_eq!(
        vi("quyhoach.kiengiang.gov.vn"),
        "quy hoach chấm kien giang chấm gờ o vê chấm vê en"
    );
    assert_eq!(
        en("See https://quyhoach.kiengiang.gov.vn/text"),
        "See quyhoach dot kiengiang dot gov dot vn"
    );
    assert_sayable(&vi("www.example.com, http://127.0.0.1:8080/x"), &[]);
}

#[test]
fn english_keeps_digits() {
    assert_eq!(
        en("Parcel 312, sheet 1, 91.9 m²"),
        "Parcel 312, sheet 1, 91.9 square metres"
    );
    assert_eq!(en("20 m"), "20 metres");
}

#[test]
fn syllables() {
    for w in [
        "Thành", "quy", "giờ", "hoach", "nghiêng", "khuya", "gì", "Ủy", "ĐẤT", "bê", "lờ", "ích",
    ] {
        assert!(is_vietnamese_syllable(w), "{w}");
    }
    for w in ["DGT", "PK", "gov", "https", "vn", "CODT", "www", "2000", ""] {
        assert!(!is_vietnamese_syllable(w), "{w}");
    }
    for c in 'A'..='Z' {
        for w in letter_vi(c).unwrap_or_default().split(' ') {
            assert!(is_vietnamese_syllable(w), "{c}: {w}");
        }
    }
    assert_eq!(roman("XIV"), Some(14));
    assert_eq!(roman("IIII"), None);
    assert_eq!(roman("VX"), None);
}

#[test]
fn hostile_input_is_read_in_linear_time_and_never_panics() {
    let started = std::time::Instant::now();
    let inputs = [
        "1".repeat(16 * 1024),
        "1/".repeat(8 * 1024),
        "1.".repeat(8 * 1024),
        "1,".repeat(8 * 1024),
        "1-".repeat(8 * 1024),
        "2341/QĐ-UBND ".repeat(1000),
        "Quyết định số ".repeat(1000) + "1/QĐ",
        "(DGT".repeat(4000),
        "https://".repeat(2000),
        "a.".repeat(8000) + "vn",
        "\u{301}".repeat(8000),
        "%".repeat(16000),
        "+0 ".repeat(5000),
        "𝟙𝟚𝟛 ".repeat(3000),
        "ﷺ".repeat(3000),
        "\u{0}\u{1}\u{7f}\u{feff}".repeat(3000),
    ];
    for s in &inputs {
        let out = vi(s);
        let out_en = en(s);
        assert!(out.len() < 40 * s.len() + 64 && out_en.len() < 40 * s.len() + 64);
        assert!(
            !out.bytes().any(|b| b.is_ascii_digit()),
            "{}",
            &out[..out.len().min(200)]
        );
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
