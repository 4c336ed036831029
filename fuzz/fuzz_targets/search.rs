//! Type-ahead search over the demo index with arbitrary UTF-8 queries: parcel-number parsing
//! ("vinh thanh 12 345", "12/345"), accent folding and ranking. Hits are capped, ranked and
//! finite.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quyhoach_data::index::{MAX_SEARCH_LIMIT, MAX_QUERY_CHARS};

fuzz_target!(|data: &[u8]| {
    let Some((&limit, q)) = data.split_first() else {
        return;
    };
    let Ok(q) = std::str::from_utf8(q) else {
        return;
    };
    let ix = quyhoach_fuzz::index();
    let limit = usize::from(limit);
    match ix.search(q, limit) {
        Ok(hits) => {
            let cap = match limit {
                0 => 10,
                n => n.min(MAX_SEARCH_LIMIT),
            };
            assert!(hits.len() <= cap, "{} hits for limit {limit}", hits.len());
            assert!(q.chars().count() <= MAX_QUERY_CHARS);
            for w in hits.windows(2) {
                assert!(w[0].score >= w[1].score, "not ranked: {hits:?}");
            }
            for h in &hits {
                assert!(h.score.is_finite());
                if let Some(b) = h.bbox {
                    assert!(b.iter().all(|v| v.is_finite()) && b[0] <= b[2] && b[1] <= b[3]);
                }
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
