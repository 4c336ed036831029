//! The attachment checker of questions and comments (`portal::feedback::attach`) on
//! arbitrary bytes, and on the same bytes as a PDF: it never panics or runs away; what it
//! accepts is a JPEG, PNG or PDF by content, photos come back re-encoded (decodable, within
//! the size cap, no EXIF) and PDFs unchanged and free of active-content names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quyhoach_server::portal::feedback::attach::{self, Kind};

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = attach::check(data, Some("../x/ảnh.jpg")) {
        assert_eq!(attach::sniff(data), Some(c.kind));
        assert!(c.filename.ends_with(c.kind.extension()) && !c.filename.contains('/'));
        match c.kind {
            Kind::Pdf => {
                assert_eq!(c.bytes, data);
                assert!(attach::check_pdf(&c.bytes).is_ok());
            }
            Kind::Jpeg | Kind::Png => {
                assert_eq!(attach::sniff(&c.bytes), Some(c.kind));
                assert!(!contains(&c.bytes, b"Exif\0\0"));
                // What was written decodes again, as the same kind.
                let again = attach::check(&c.bytes, None).expect("a re-encoded image decodes");
                assert_eq!(again.kind, c.kind);
            }
        }
    }
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend_from_slice(data);
    if attach::check_pdf(&pdf).is_ok() {
        for n in attach::pdf_names(&pdf) {
            assert!(!attach::ACTIVE_PDF_NAMES
                .iter()
                .any(|a| a.as_bytes() == n.as_slice()));
        }
    }
});
