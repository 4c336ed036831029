//! The term dictionary of the search index: every distinct folded token, sorted, with the
//! entries that carry it. A query token is looked up exactly (binary search), as a prefix
//! (the range of terms starting with it, for type-ahead) or within a small edit distance
//! (a bounded pass over the terms of nearly the same length).
//!
//! Vietnamese place names are built from a few thousand syllables, so the dictionary of a
//! whole province stays small (thousands of terms) even with a million parcels: a linear
//! fuzzy pass over it takes tens of microseconds.

use std::collections::BTreeMap;

/// How well a query token matched a term. Ordered: `Exact` is best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Grade {
    /// Within the allowed edit distance.
    Fuzzy = 1,
    /// The term starts with the query token.
    Prefix = 2,
    /// The same token.
    Exact = 3,
}

/// Edits allowed for a query token of `len` characters: none below 4, one from 4, two from
/// 8 (shorter words have too many neighbours: "ap" would find "an", "au", "xa"…).
pub(crate) fn max_edits(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Sorted terms and, per term, the sorted ids of the entries holding it.
#[derive(Debug, Default)]
pub(crate) struct Terms {
    words: Vec<Box<str>>,
    postings: Vec<Box<[u32]>>,
}

/// Collects (term, entry) pairs; [`TermsBuilder::finish`] sorts them.
#[derive(Debug, Default)]
pub(crate) struct TermsBuilder {
    map: BTreeMap<String, Vec<u32>>,
}

impl TermsBuilder {
    pub(crate) fn add(&mut self, term: &str, entry: u32) {
        let list = self.map.entry(term.to_string()).or_default();
        if list.last() != Some(&entry) {
            list.push(entry);
        }
    }

    /// The dictionary, and for each term text its id (to store entries' tokens as ids).
    pub(crate) fn finish(self) -> Terms {
        let mut words = Vec::with_capacity(self.map.len());
        let mut postings = Vec::with_capacity(self.map.len());
        for (w, mut list) in self.map {
            list.sort_unstable();
            list.dedup();
            words.push(w.into_boxed_str());
            postings.push(list.into_boxed_slice());
        }
        Terms { words, postings }
    }
}

impl Terms {
    pub(crate) fn len(&self) -> usize {
        self.words.len()
    }

    /// Id of a term present in the dictionary.
    pub(crate) fn id(&self, term: &str) -> Option<u32> {
        self.words
            .binary_search_by(|w| (**w).cmp(term))
            .ok()
            .map(|i| i as u32)
    }

    pub(crate) fn postings(&self, term: u32) -> &[u32] {
        &self.postings[term as usize]
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.words.iter().map(|w| w.len() + 16).sum::<usize>()
            + self
                .postings
                .iter()
                .map(|p| p.len() * 4 + 16)
                .sum::<usize>()
    }

    /// Terms matching a query token, sorted by term id, each with its best grade. Prefixes
    /// count only when `prefix` is set (the token being typed); digits never match fuzzily
    /// (a house or sheet number one digit off is another one).
    pub(crate) fn lookup(&self, token: &str, prefix: bool) -> Vec<(u32, Grade)> {
        let mut out = Vec::new();
        let start = self.words.partition_point(|w| **w < *token);
        if prefix {
            for (i, w) in self.words[start..].iter().enumerate() {
                if !w.starts_with(token) {
                    break;
                }
                let g = if **w == *token {
                    Grade::Exact
                } else {
                    Grade::Prefix
                };
                out.push(((start + i) as u32, g));
            }
        } else if self.words.get(start).is_some_and(|w| **w == *token) {
            out.push((start as u32, Grade::Exact));
        }
        let n = token.chars().count();
        let d = max_edits(n);
        if d > 0 && !token.bytes().any(|b| b.is_ascii_digit()) {
            let q: Vec<char> = token.chars().collect();
            let mut fuzzy = Vec::new();
            let mut buf = Vec::new();
            for (i, w) in self.words.iter().enumerate() {
                // Byte length bounds char length; folded terms are nearly all ASCII.
                if w.len() + d < n || w.len() > n + 2 * d + 8 {
                    continue;
                }
                buf.clear();
                buf.extend(w.chars());
                if buf.len().abs_diff(n) > d {
                    continue;
                }
                if osa_within(&q, &buf, d) {
                    fuzzy.push(i as u32);
                }
            }
            for i in fuzzy {
                match out.binary_search_by_key(&i, |&(t, _)| t) {
                    Ok(_) => {}
                    Err(pos) => out.insert(pos, (i, Grade::Fuzzy)),
                }
            }
        }
        out
    }
}

/// Whether the optimal-string-alignment distance (Levenshtein plus swaps of two neighbours:
/// "tahnh" → "thanh" is one edit) between `a` and `b` is at most `max`. Rows stop early
/// once every cell exceeds `max`.
pub(crate) fn osa_within(a: &[char], b: &[char], max: usize) -> bool {
    if a.len().abs_diff(b.len()) > max {
        return false;
    }
    let w = b.len() + 1;
    let mut prev2 = vec![0usize; w];
    let mut prev: Vec<usize> = (0..w).collect();
    let mut cur = vec![0usize; w];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return false;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()] <= max
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert!(osa_within(&chars("tahnh"), &chars("thanh"), 1));
        assert!(osa_within(&chars("thanh"), &chars("thanh"), 0));
        assert!(!osa_within(&chars("thanh"), &chars("tahnh"), 0));
        assert!(osa_within(&chars("vinh"), &chars("vinhh"), 1));
        assert!(!osa_within(&chars("vinh"), &chars("vanh"), 0));
        assert!(!osa_within(&chars("quang"), &chars("hoang"), 1));
        assert!(osa_within(&chars("quang"), &chars("hoang"), 2));
        assert!(!osa_within(&chars("lac"), &chars("lacxyz"), 2));
    }

    #[test]
    fn lookup_grades_exact_prefix_fuzzy() {
        let mut b = TermsBuilder::default();
        for (i, w) in ["thanh", "thanhs", "than", "tahnh", "vinh", "12", "123"]
            .iter()
            .enumerate()
        {
            b.add(w, i as u32);
        }
        let t = b.finish();
        let word = |id: u32| t.words[id as usize].to_string();
        let got: Vec<(String, Grade)> = t
            .lookup("thanh", false)
            .into_iter()
            .map(|(i, g)| (word(i), g))
            .collect();
        assert!(got.contains(&("thanh".into(), Grade::Exact)));
        assert!(got.contains(&("tahnh".into(), Grade::Fuzzy)));
        assert!(got.contains(&("than".into(), Grade::Fuzzy)));
        assert!(!got.iter().any(|(w, _)| w == "vinh"));
        let pre: Vec<(String, Grade)> = t
            .lookup("tha", true)
            .into_iter()
            .map(|(i, g)| (word(i), g))
            .collect();
        assert_eq!(pre.len(), 3, "{pre:?}");
        assert!(pre.iter().all(|(_, g)| *g == Grade::Prefix));
        // Numbers: exact or prefix only.
        let num: Vec<String> = t
            .lookup("12", false)
            .into_iter()
            .map(|(i, _)| word(i))
            .collect();
        assert_eq!(num, vec!["12".to_string()]);
        let num: Vec<String> = t
            .lookup("124", false)
            .into_iter()
            .map(|(i, _)| word(i))
            .collect();
        assert!(num.is_empty());
        assert_eq!(max_edits(3), 0);
        assert_eq!(max_edits(4), 1);
        assert_eq!(max_edits(8), 2);
    }
}
