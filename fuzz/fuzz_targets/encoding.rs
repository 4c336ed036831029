//! TCVN3/VNI/CP1258 detection and decoding, repair of Latin-1 mojibake, accent folding and
//! the legacy encoders, on arbitrary bytes (attribute text of agency files is untrusted).
//!
//! Invariants: decoded text is NFC; encoding then decoding gives the NFC input back whenever
//! encoding succeeds; folded text has no 'đ' and no combining marks left from Vietnamese tones.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quyhoach_data::encoding::{
    decode, detect, encode_tcvn3, encode_vni, fold, legacy_bytes, repair, TextEncoding,
};
use unicode_normalization::{is_nfc, UnicodeNormalization};

const ALL: [TextEncoding; 5] = [
    TextEncoding::Utf8,
    TextEncoding::Tcvn3,
    TextEncoding::Vni,
    TextEncoding::Cp1258,
    TextEncoding::Latin1,
];

fuzz_target!(|data: &[u8]| {
    // A layer's values: one sample per line.
    let samples: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    let detected = detect(&samples);
    assert!(ALL.contains(&detected));
    for enc in ALL {
        let text = decode(data, enc);
        assert!(is_nfc(&text), "{enc}: decoded text is not NFC: {text:?}");
        if enc != TextEncoding::Utf8 {
            // Single-byte tables never lose a byte.
            assert!(!text.contains('\u{FFFD}') || enc == TextEncoding::Cp1258, "{enc}: {text:?}");
        }
        let folded = fold(&text);
        assert!(!folded.contains(['đ', 'Đ']), "{folded:?}");
        assert!(
            !folded.contains(['\u{0300}', '\u{0301}', '\u{0303}', '\u{0309}', '\u{0323}']),
            "tone marks survive folding: {folded:?}"
        );
        // The mojibake a Latin-1 reader makes of these bytes, repaired.
        let latin1 = decode(data, TextEncoding::Latin1);
        let repaired = repair(&latin1, enc);
        assert!(enc == TextEncoding::Utf8 || is_nfc(&repaired));
        if enc != TextEncoding::Utf8 {
            assert_eq!(legacy_bytes(&latin1).as_deref(), Some(data));
            assert_eq!(repaired, text, "{enc}: repair differs from decode");
        }
        // Round trips of the legacy encoders.
        if let Ok(b) = encode_tcvn3(&text) {
            assert_eq!(decode(&b, TextEncoding::Tcvn3), text, "TCVN3 round trip of {text:?}");
        }
        if let Ok(b) = encode_vni(&text) {
            assert_eq!(decode(&b, TextEncoding::Vni), text, "VNI round trip of {text:?}");
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = s.parse::<TextEncoding>();
        let nfc: String = s.nfc().collect();
        assert_eq!(decode(data, TextEncoding::Utf8), nfc);
        for enc in ALL {
            let _ = repair(s, enc);
        }
        let _ = fold(s);
        if let Ok(b) = encode_tcvn3(s) {
            assert_eq!(decode(&b, TextEncoding::Tcvn3), nfc, "TCVN3 round trip of {s:?}");
        }
        if let Ok(b) = encode_vni(s) {
            assert_eq!(decode(&b, TextEncoding::Vni), nfc, "VNI round trip of {s:?}");
        }
    }
});
