//! The speech normaliser (`quyhoach_data::speech::speakable`) on arbitrary text: the web's
//! read-aloud sends any text of the page to `POST /api/v1/speech`, and notices carry agencies'
//! names and officials' messages.
//!
//! Invariants: no panic; Vietnamese output leaves no ASCII digit for the voice to spell; the
//! output grows at most a bounded factor (every digit becomes at most a few words).
#![no_main]

use libfuzzer_sys::fuzz_target;
use quyhoach_data::speech::speakable;

const CODES: [(&str, &str); 4] = [
    ("ODT", "đất ở tại đô thị"),
    ("DGT", "đất công trình giao thông"),
    ("TMD", "đất thương mại dịch vụ"),
    ("DGD", "đất xây dựng cơ sở giáo dục và đào tạo"),
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let vi = speakable(text, "vi", &CODES);
    assert!(
        !vi.chars().any(|c| c.is_ascii_digit()),
        "a digit left in {vi:?} (from {text:?})"
    );
    assert!(vi.len() <= 64 * text.len() + 64, "{} bytes from {}", vi.len(), text.len());
    let en = speakable(text, "en", &CODES);
    assert!(en.len() <= 64 * text.len() + 64);
});
