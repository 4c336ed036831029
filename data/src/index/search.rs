//! Type-ahead search over communes, hamlets, roads, plans, house addresses and parcel
//! numbers, the way people write them.
//!
//! Built once per store load ([`SearchIndex::build`]): every name is folded (accents, case,
//! `đ`) and split into tokens; a sorted term dictionary ([`terms`]) maps each token to the
//! entries carrying it. A query token matches a term exactly, as a prefix (the token being
//! typed) or within a small edit distance ([`terms::max_edits`]); every query token that is
//! not a level word ("xã", "huyện", "UBND"…) must match. Ranking: parcels by (commune, sheet,
//! number) first, then house addresses, then places by their weakest token's grade (exact >
//! prefix > fuzzy), the share of the name matched, and shorter labels first.
//!
//! House addresses ("223 30 Tháng 4, Vĩnh Thanh") are indexed by street: the street is an
//! entry of the dictionary, and the houses a sorted table of (street, number, parcel) — 16
//! bytes a parcel, so a province of a million parcels costs 16 MB. Old commune names from
//! before the 2025 reorganisation ([`renames`]) find the commune they became. Owner names are
//! never indexed (they are not even loaded: `private_*` columns stay on disk).

mod parse;
mod renames;
mod suggest;
mod terms;

use std::collections::HashMap;

use geo::{Contains, Point};

pub use renames::{renames, Rename};
pub use suggest::Suggestion;

use super::{union_bbox, FeatureId, Index, QueryError, SearchHit};
use crate::schema::Kind;
use crate::store::LayerEntry;
use parse::{admin_text, optional_mask, parse_parcel_tokens, tokens};
use terms::{Grade, Terms, TermsBuilder};

/// Most hits one search returns (a type-ahead list longer than this is not read).
pub const MAX_SEARCH_LIMIT: usize = 50;

/// Longest query accepted, in characters: an address or a commune with sheet and parcel is
/// far shorter; longer text is not a search.
pub const MAX_QUERY_CHARS: usize = 200;

/// Most tokens of a query that are matched (a long pasted address has fewer than this).
const MAX_QUERY_TOKENS: usize = 24;

/// Hits returned when the caller asks for 0.
const DEFAULT_LIMIT: usize = 10;

/// How many communes a road's detail names.
const ROAD_COMMUNES_SHOWN: usize = 3;

/// Streets tried for a house number ("223 30 Tháng 4" → every street matching "30 Tháng 4").
const MAX_STREETS_PER_HOUSE: usize = 20;

/// Old communes are offered only when the commune they became lies within this many degrees
/// (about 55 km) of the store's data: a province's store does not list the whole country.
const RENAME_REACH_DEG: f64 = 0.5;

/// Letters a query needs before old commune names are offered.
const RENAME_MIN_CHARS: usize = 4;

/// Words that start a hamlet or quarter segment of an address ("Ấp 5", "Khu phố 3", "Tổ 7").
const HAMLET_WORDS: &[&str] = &[
    "ap", "khu", "kp", "thon", "xom", "khom", "buon", "to", "ban", "lang", "khuvuc", "kv",
];

/// What an entry of the dictionary is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A commune (boundary feature or commune code of the parcels).
    Commune,
    /// A road centre line or red line name.
    Road,
    /// A plan (name, id, decision number).
    Plan,
    /// A hamlet or quarter named in parcel addresses ("Ấp 5, Vĩnh Thanh Vân").
    Hamlet,
    /// A street of parcel addresses, for house numbers; not shown itself.
    Street,
    /// An old (pre-2025) commune name.
    Renamed,
}

impl EntryKind {
    fn name(self) -> &'static str {
        match self {
            EntryKind::Commune => "commune",
            EntryKind::Road => "road",
            EntryKind::Plan => "plan",
            EntryKind::Hamlet => "hamlet",
            EntryKind::Street => "street",
            EntryKind::Renamed => "commune",
        }
    }

    /// Tie-break between kinds at equal grade and coverage.
    fn bonus(self) -> f64 {
        match self {
            EntryKind::Commune => 0.004,
            EntryKind::Plan => 0.003,
            EntryKind::Hamlet => 0.002,
            EntryKind::Road => 0.001,
            EntryKind::Street => 0.0,
            // After every current name of the same grade.
            EntryKind::Renamed => -0.45,
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    kind: EntryKind,
    label: String,
    detail: Option<String>,
    note: Option<String>,
    /// Term ids: the name's tokens first, then the others (levels, parent, code).
    tokens: Box<[u32]>,
    n_name: u8,
    layer: Option<u16>,
    id: Option<FeatureId>,
    bbox: Option<[f64; 4]>,
    /// Commune symbol (communes, streets, hamlets; the new commune of a renamed one).
    commune: Option<u32>,
}

/// One house of a street: parcel `id` of layer `layer` has number `number` on `street`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct House {
    street: u32,
    number: u32,
    layer: u16,
    id: FeatureId,
}

/// The search index of one store.
#[derive(Debug, Default)]
pub struct SearchIndex {
    terms: Terms,
    entries: Vec<Entry>,
    houses: Vec<House>,
    /// Commune symbol by code.
    codes: HashMap<String, u32>,
    n_communes: u32,
}

/// A match of [`SearchIndex::find`], before it becomes a [`SearchHit`].
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// A dictionary entry (commune, road, plan, hamlet, old commune).
    Entry {
        /// Entry number.
        entry: u32,
        /// Higher is better.
        score: f64,
    },
    /// Parcels by number: one of `communes` (all when `None`), sheet and parcel.
    Number {
        /// Commune symbols; `None` means any commune.
        communes: Option<Vec<u32>>,
        /// Map sheet.
        sheet: i64,
        /// Parcel number.
        parcel: i64,
        /// Higher is better.
        score: f64,
    },
    /// A parcel by its house address.
    House {
        /// The street entry.
        street: u32,
        /// Parcel layer (index among the store's layers).
        layer: u16,
        /// Parcel id.
        id: FeatureId,
        /// Higher is better.
        score: f64,
    },
}

impl Found {
    /// The rank of the match (higher first).
    pub fn score(&self) -> f64 {
        match self {
            Found::Entry { score, .. }
            | Found::Number { score, .. }
            | Found::House { score, .. } => *score,
        }
    }
}

/// Builds a [`SearchIndex`] from names and parcels (the store's, or synthetic ones).
#[derive(Debug, Default)]
pub struct SearchBuilder {
    entries: Vec<Entry>,
    entry_tokens: Vec<Vec<String>>,
    houses: Vec<(u32, u32, u16, FeatureId)>,
    streets: HashMap<(String, u32), u32>,
    hamlets: HashMap<(String, u32), u32>,
    codes: HashMap<String, u32>,
    commune_names: HashMap<u32, (String, Vec<String>)>,
    n_communes: u32,
}

/// A house number's value: its leading digits ("12A" → 12, "12/3" → 12).
fn house_number(token: &str) -> Option<u32> {
    let digits: String = token.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    digits.parse().ok()
}

impl SearchBuilder {
    fn push(
        &mut self,
        kind: EntryKind,
        label: String,
        name_tokens: Vec<String>,
        extra_tokens: Vec<String>,
    ) -> u32 {
        let n_name = name_tokens.len().min(255) as u8;
        let mut toks = name_tokens;
        toks.extend(extra_tokens);
        toks.retain(|t| t != "/");
        self.entries.push(Entry {
            kind,
            label,
            detail: None,
            note: None,
            tokens: Box::new([]),
            n_name,
            layer: None,
            id: None,
            bbox: None,
            commune: None,
        });
        self.entry_tokens.push(toks);
        (self.entries.len() - 1) as u32
    }

    /// A commune: its symbol (as the caller numbers communes), code, name, level word
    /// ("Xã", "Thị trấn"), parent and boundary.
    #[allow(clippy::too_many_arguments)]
    pub fn add_commune(
        &mut self,
        sym: u32,
        code: &str,
        name: &str,
        level: Option<&str>,
        parent: Option<&str>,
        feature: Option<(u16, FeatureId)>,
        bbox: Option<[f64; 4]>,
    ) {
        self.codes.insert(code.to_string(), sym);
        self.n_communes = self.n_communes.max(sym + 1);
        let name_toks = tokens(name);
        self.commune_names
            .insert(sym, (name.to_string(), name_toks.clone()));
        let label = match level {
            Some(l) if !l.is_empty() => format!("{l} {name}"),
            _ => name.to_string(),
        };
        let mut extra = level.map(tokens).unwrap_or_default();
        extra.extend(parent.map(tokens).unwrap_or_default());
        extra.push(code.to_lowercase());
        let detail = match parent {
            Some(p) => format!("{p} · mã {code}"),
            None => format!("mã {code}"),
        };
        let e = self.push(EntryKind::Commune, label, name_toks, extra);
        let entry = &mut self.entries[e as usize];
        entry.detail = Some(detail);
        entry.layer = feature.map(|f| f.0);
        entry.id = feature.map(|f| f.1);
        entry.bbox = bbox;
        entry.commune = Some(sym);
    }

    /// A commune known only by code (parcels without a boundary layer).
    pub fn add_commune_code(&mut self, sym: u32, code: &str) {
        self.codes.insert(code.to_string(), sym);
        self.n_communes = self.n_communes.max(sym + 1);
    }

    /// A named feature: a road (detail: the communes it crosses) or a plan.
    pub fn add_feature(
        &mut self,
        kind: EntryKind,
        label: &str,
        other_names: &[&str],
        detail: Option<String>,
        feature: Option<(u16, FeatureId)>,
        bbox: Option<[f64; 4]>,
    ) {
        let extra: Vec<String> = other_names.iter().flat_map(|n| tokens(n)).collect();
        let e = self.push(kind, label.to_string(), tokens(label), extra);
        let entry = &mut self.entries[e as usize];
        entry.detail = detail;
        entry.layer = feature.map(|f| f.0);
        entry.id = feature.map(|f| f.1);
        entry.bbox = bbox;
    }

    /// A parcel's address: its house number and street, and its hamlet, are indexed.
    pub fn add_address(
        &mut self,
        commune: u32,
        address: &str,
        layer: u16,
        id: FeatureId,
        bbox: [f64; 4],
    ) {
        let commune_toks = self
            .commune_names
            .get(&commune)
            .map(|(_, t)| t.clone())
            .unwrap_or_default();
        let commune_name = self
            .commune_names
            .get(&commune)
            .map(|(n, _)| n.clone())
            .unwrap_or_default();
        for (k, seg) in address.split(',').enumerate() {
            let seg = seg.trim();
            let toks = tokens(seg);
            let Some(first) = toks.first() else { continue };
            if HAMLET_WORDS.contains(&first.as_str()) && toks.len() >= 2 {
                let key = (toks.join(" "), commune);
                let e = match self.hamlets.get(&key) {
                    Some(&e) => e,
                    None => {
                        // "ấp 5" inside a street address, "Ấp 5" alone: one label.
                        let mut chars = seg.chars();
                        let seg: String = chars
                            .next()
                            .map(|c| c.to_uppercase().chain(chars).collect())
                            .unwrap_or_default();
                        let label = if commune_name.is_empty() {
                            seg
                        } else {
                            format!("{seg}, {commune_name}")
                        };
                        let mut name = toks.clone();
                        name.extend(commune_toks.iter().cloned());
                        let e = self.push(EntryKind::Hamlet, label, name, Vec::new());
                        self.entries[e as usize].commune = Some(commune);
                        self.hamlets.insert(key, e);
                        e
                    }
                };
                let entry = &mut self.entries[e as usize];
                entry.bbox = Some(union_bbox(entry.bbox, bbox));
            } else if k == 0 && toks.len() >= 2 {
                let Some(number) = house_number(first) else {
                    continue;
                };
                let Some((_, street)) = seg.split_once(char::is_whitespace) else {
                    continue;
                };
                let street = street.trim();
                let street_toks = tokens(street);
                let key = (street_toks.join(" "), commune);
                let e = match self.streets.get(&key) {
                    Some(&e) => e,
                    None => {
                        let label = if commune_name.is_empty() {
                            street.to_string()
                        } else {
                            format!("{street}, {commune_name}")
                        };
                        let e =
                            self.push(EntryKind::Street, label, street_toks, commune_toks.clone());
                        self.entries[e as usize].commune = Some(commune);
                        self.streets.insert(key, e);
                        e
                    }
                };
                self.houses.push((e, number, layer, id));
            }
        }
    }

    /// Old communes whose new commune lies near `bounds` (the store's data): each becomes an
    /// entry that finds the new commune (in the store when its name is there, else its
    /// centre). Old names that a commune of the store still carries are left out (the store
    /// answers them itself).
    pub fn add_renames(&mut self, bounds: Option<[f64; 4]>) {
        let Some(b) = bounds else { return };
        let near = |(lon, lat): (f64, f64)| {
            lon >= b[0] - RENAME_REACH_DEG
                && lon <= b[2] + RENAME_REACH_DEG
                && lat >= b[1] - RENAME_REACH_DEG
                && lat <= b[3] + RENAME_REACH_DEG
        };
        let store_names: HashMap<String, u32> = self
            .commune_names
            .iter()
            .map(|(&sym, (_, t))| (t.join(" "), sym))
            .collect();
        let commune_entry: HashMap<u32, u32> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == EntryKind::Commune)
            .filter_map(|(i, e)| Some((e.commune?, i as u32)))
            .collect();
        // New communes near the data that the store does not hold, with the old communes
        // they were made of: searched by their new name, they say what they were.
        let mut made_of: Vec<(&renames::Rename, Vec<String>)> = Vec::new();
        for r in renames() {
            if !near(r.new_center) {
                continue;
            }
            let old = tokens(renames::bare_name(&r.old_ward));
            let new_bare = tokens(renames::bare_name(&r.new_ward)).join(" ");
            if !store_names.contains_key(&new_bare) {
                match made_of
                    .iter_mut()
                    .find(|(n, _)| n.new_ward == r.new_ward && n.new_province == r.new_province)
                {
                    Some((_, olds)) => olds.push(renames::bare_name(&r.old_ward).to_string()),
                    None => made_of.push((r, vec![renames::bare_name(&r.old_ward).to_string()])),
                }
            }
            if let Some(&sym) = store_names.get(&old.join(" ")) {
                // A commune of the store still under its old name: say what it is now.
                if let Some(&ce) = commune_entry.get(&sym) {
                    let note = r.note_now();
                    let e = &mut self.entries[ce as usize];
                    if e.note.is_none() {
                        e.note = Some(note);
                    }
                }
                continue;
            }
        }
        for (r, olds) in made_of {
            let name = tokens(renames::bare_name(&r.new_ward));
            let mut extra = tokens(&r.new_province);
            extra.extend(tokens(&renames::level_word(&r.new_ward)));
            let label = format!("{}, {}", r.new_ward, renames::bare_name(&r.new_province));
            let e = self.push(EntryKind::Renamed, label, name, extra);
            let (lon, lat) = r.new_center;
            let lower = |s: &str| {
                let mut c = s.chars();
                c.next()
                    .map(|f| f.to_lowercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            };
            let note = format!(
                "từ 1/7/2025, gồm {} (trước đây thuộc {}, {})",
                olds.join(", "),
                lower(&r.old_district),
                lower(&r.old_province)
            );
            let entry = &mut self.entries[e as usize];
            entry.detail = Some(note.clone());
            entry.note = Some(note);
            entry.bbox = Some([lon - 0.02, lat - 0.02, lon + 0.02, lat + 0.02]);
        }
        for r in renames() {
            if !near(r.new_center) {
                continue;
            }
            let old = tokens(renames::bare_name(&r.old_ward));
            if store_names.contains_key(&old.join(" ")) {
                continue;
            }
            let new = tokens(renames::bare_name(&r.new_ward)).join(" ");
            let target = store_names.get(&new).copied();
            let mut extra = tokens(&r.old_district);
            extra.extend(tokens(&r.old_province));
            extra.extend(tokens(&renames::level_word(&r.old_ward)));
            let label = match target.and_then(|s| commune_entry.get(&s)) {
                Some(&ce) => self.entries[ce as usize].label.clone(),
                None => format!("{}, {}", r.new_ward, renames::bare_name(&r.new_province)),
            };
            let e = self.push(EntryKind::Renamed, label, old, extra);
            let (lon, lat) = r.new_center;
            let (layer, id, bbox) = match target.and_then(|s| commune_entry.get(&s)) {
                Some(&ce) => {
                    let c = &self.entries[ce as usize];
                    (c.layer, c.id, c.bbox)
                }
                None => (
                    None,
                    None,
                    Some([lon - 0.02, lat - 0.02, lon + 0.02, lat + 0.02]),
                ),
            };
            let entry = &mut self.entries[e as usize];
            entry.note = Some(r.note());
            entry.detail = Some(format!(
                "{} · {}, {}",
                r.note(),
                r.old_district,
                r.old_province
            ));
            entry.commune = target;
            entry.layer = layer;
            entry.id = id;
            entry.bbox = bbox;
        }
    }

    /// The index.
    pub fn finish(self) -> SearchIndex {
        let mut tb = TermsBuilder::default();
        for (i, toks) in self.entry_tokens.iter().enumerate() {
            for t in toks {
                tb.add(t, i as u32);
            }
        }
        let terms = tb.finish();
        let mut entries = self.entries;
        for (e, toks) in entries.iter_mut().zip(&self.entry_tokens) {
            e.tokens = toks
                .iter()
                .filter_map(|t| terms.id(t))
                .collect::<Vec<_>>()
                .into_boxed_slice();
        }
        let mut houses: Vec<House> = self
            .houses
            .into_iter()
            .map(|(street, number, layer, id)| House {
                street,
                number,
                layer,
                id,
            })
            .collect();
        houses.sort_unstable();
        houses.shrink_to_fit();
        entries.shrink_to_fit();
        SearchIndex {
            terms,
            entries,
            houses,
            codes: self.codes,
            n_communes: self.n_communes,
        }
    }
}

/// An entry matched by the query tokens.
#[derive(Debug, Clone, Copy)]
struct Matched {
    entry: u32,
    /// The weakest grade among the required tokens.
    tier: Grade,
    /// Share of the entry's name tokens matched.
    coverage: f64,
    score: f64,
}

impl SearchIndex {
    /// Number of distinct terms, entries and houses (for reports and benchmarks).
    pub fn stats(&self) -> (usize, usize, usize) {
        (self.terms.len(), self.entries.len(), self.houses.len())
    }

    /// Approximate heap bytes.
    pub fn heap_bytes(&self) -> usize {
        self.terms.heap_bytes()
            + self
                .entries
                .iter()
                .map(|e| {
                    std::mem::size_of::<Entry>()
                        + e.label.len()
                        + e.detail.as_ref().map_or(0, String::len)
                        + e.tokens.len() * 4
                })
                .sum::<usize>()
            + self.houses.capacity() * std::mem::size_of::<House>()
    }

    /// Entries matched by all required tokens, filtered by kind.
    fn match_entries(
        &self,
        toks: &[String],
        optional: &[bool],
        prefix_last: bool,
        keep: &dyn Fn(EntryKind) -> bool,
    ) -> Vec<Matched> {
        if toks.is_empty() {
            return Vec::new();
        }
        let last = toks.len() - 1;
        let lookups: Vec<Vec<(u32, Grade)>> = toks
            .iter()
            .enumerate()
            .map(|(i, t)| self.terms.lookup(t, prefix_last && i == last))
            .collect();
        let mut required: Vec<usize> = (0..toks.len()).filter(|&i| !optional[i]).collect();
        if required.is_empty() {
            required = (0..toks.len()).collect();
        }
        if required.iter().any(|&i| lookups[i].is_empty()) {
            return Vec::new();
        }
        let Some(&driver) = required.iter().min_by_key(|&&i| {
            lookups[i]
                .iter()
                .map(|&(t, _)| self.terms.postings(t).len())
                .sum::<usize>()
        }) else {
            return Vec::new();
        };
        let mut cands: Vec<u32> = lookups[driver]
            .iter()
            .flat_map(|&(t, _)| self.terms.postings(t).iter().copied())
            .collect();
        cands.sort_unstable();
        cands.dedup();
        let grade_of = |i: usize, e: &Entry| -> (Option<Grade>, u32) {
            let mut best = None;
            let mut name_hits = 0u32;
            for (k, &t) in e.tokens.iter().enumerate() {
                if let Ok(p) = lookups[i].binary_search_by_key(&t, |&(t, _)| t) {
                    let g = lookups[i][p].1;
                    best = best.max(Some(g));
                    if k < e.n_name as usize {
                        name_hits |= 1 << k.min(31);
                    }
                }
            }
            (best, name_hits)
        };
        let mut out = Vec::new();
        'entries: for c in cands {
            let e = &self.entries[c as usize];
            if !keep(e.kind) {
                continue;
            }
            let mut tier = Grade::Exact;
            let mut name_mask = 0u32;
            let mut optional_hits = 0usize;
            for i in 0..toks.len() {
                let (g, mask) = grade_of(i, e);
                match g {
                    Some(g) => {
                        name_mask |= mask;
                        if required.contains(&i) {
                            tier = tier.min(g);
                        } else {
                            optional_hits += 1;
                        }
                    }
                    None if required.contains(&i) => continue 'entries,
                    None => {}
                }
            }
            let n_name = usize::from(e.n_name).clamp(1, 32);
            let coverage = f64::from(name_mask.count_ones()) / n_name as f64;
            let len = e.label.chars().count() as f64;
            let score = f64::from(tier as u8)
                + 0.6 * coverage.min(1.0)
                + 0.5 / (1.0 + len)
                + 0.01 * optional_hits as f64
                + e.kind.bonus();
            out.push(Matched {
                entry: c,
                tier,
                coverage,
                score,
            });
        }
        out
    }

    /// Communes named by words ("xã Vĩnh Thanh", "vinh thanh", "31150", an old name): the
    /// best-matched ones; `None` when no words are given (any commune).
    fn communes_named(&self, words: &[String]) -> Option<(Vec<u32>, Grade)> {
        if words.is_empty() {
            return None;
        }
        if words.len() == 1 {
            if let Some(&sym) = self.codes.get(&words[0]) {
                return Some((vec![sym], Grade::Exact));
            }
        }
        let a = admin_text(words);
        if a.commune.is_empty() {
            return None;
        }
        let optional = vec![false; a.commune.len()];
        let mut m = self.match_entries(&a.commune, &optional, true, &|k| {
            matches!(k, EntryKind::Commune | EntryKind::Renamed)
        });
        m.retain(|m| self.entries[m.entry as usize].commune.is_some());
        let best = m
            .iter()
            .map(|m| (m.tier, (m.coverage * 1000.0) as u32, m.score < 3.0))
            .max_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let Some((tier, cov, _)) = best else {
            return Some((Vec::new(), Grade::Fuzzy));
        };
        let mut syms: Vec<u32> = m
            .iter()
            .filter(|m| m.tier == tier && (m.coverage * 1000.0) as u32 == cov)
            .filter_map(|m| self.entries[m.entry as usize].commune)
            .collect();
        syms.sort_unstable();
        syms.dedup();
        Some((syms, tier))
    }

    /// Everything a query finds, best first, at most `limit` places (parcels by number are
    /// resolved by the caller, who holds the parcel keys).
    pub fn find(&self, q: &str, limit: usize) -> Vec<Found> {
        let mut toks = tokens(q);
        toks.truncate(MAX_QUERY_TOKENS);
        let mut found = Vec::new();
        // Parcel numbers.
        if let Some(form) = parse_parcel_tokens(&toks) {
            let named = self.communes_named(&form.words);
            // A commune written in full ranks the parcel first; one still being typed ("224
            // 30 th") may as well be a street, so the house number goes first then.
            let base = match &named {
                None => 4.6,
                Some((_, Grade::Exact)) => 5.0,
                Some(_) => 3.8,
            };
            let communes = named.map(|(c, _)| c);
            if communes.as_ref().is_none_or(|c| !c.is_empty()) {
                for (k, &(sheet, parcel)) in form.readings.iter().enumerate() {
                    found.push(Found::Number {
                        communes: communes.clone(),
                        sheet,
                        parcel,
                        score: base - 0.1 * k as f64,
                    });
                }
            }
        }
        let words: Vec<String> = toks.into_iter().filter(|t| t != "/").collect();
        if words.is_empty() {
            return found;
        }
        let optional = optional_mask(&words);
        // House addresses: a number, then a street (and perhaps the commune).
        if words.len() >= 2 && !optional[0] {
            if let Some(number) = house_number(&words[0]) {
                let rest = &words[1..];
                let mut streets =
                    self.match_entries(rest, &optional[1..], true, &|k| k == EntryKind::Street);
                streets.sort_by(|a, b| b.score.total_cmp(&a.score));
                if let Some(best) = streets.first().map(|m| m.tier) {
                    for m in streets
                        .iter()
                        .filter(|m| m.tier == best)
                        .take(MAX_STREETS_PER_HOUSE)
                    {
                        let lo = self
                            .houses
                            .partition_point(|h| (h.street, h.number) < (m.entry, number));
                        for h in self.houses[lo..]
                            .iter()
                            .take_while(|h| (h.street, h.number) == (m.entry, number))
                            .take(limit)
                        {
                            found.push(Found::House {
                                street: m.entry,
                                layer: h.layer,
                                id: h.id,
                                score: 3.9 + 0.1 * (m.score - 3.0).clamp(-2.0, 1.0),
                            });
                        }
                    }
                }
            }
        }
        // Places.
        let mut places = self.match_entries(&words, &optional, true, &|k| k != EntryKind::Street);
        places.sort_by(|a, b| {
            b.score.total_cmp(&a.score).then_with(|| {
                self.entries[a.entry as usize]
                    .label
                    .cmp(&self.entries[b.entry as usize].label)
            })
        });
        // One hit per target: an old name leading to a commune already listed adds nothing.
        let mut seen = std::collections::HashSet::new();
        let typed: usize = words
            .iter()
            .zip(&optional)
            .filter(|(_, o)| !**o)
            .map(|(w, _)| w.chars().count())
            .sum();
        for m in places {
            let e = &self.entries[m.entry as usize];
            // Old names only when most of one is written, without typos: the whole country's
            // old names would otherwise crowd the list ("Phường V" for "v").
            if e.kind == EntryKind::Renamed
                && (m.tier == Grade::Fuzzy || m.coverage < 0.5 || typed < RENAME_MIN_CHARS)
            {
                continue;
            }
            if e.kind == EntryKind::Renamed {
                if let Some(c) = e.commune {
                    if !seen.insert(("c", c, 0)) {
                        continue;
                    }
                } else if !seen.insert(("r", m.entry, 0)) {
                    continue;
                }
            } else if let Some(c) = e.commune.filter(|_| e.kind == EntryKind::Commune) {
                seen.insert(("c", c, 0));
            }
            found.push(Found::Entry {
                entry: m.entry,
                score: m.score,
            });
            if found.len() >= limit + 8 {
                break;
            }
        }
        found.sort_by(|a, b| b.score().total_cmp(&a.score()));
        found
    }

    /// The label, detail, note, feature and box of an entry.
    #[allow(clippy::type_complexity)]
    pub fn entry(
        &self,
        entry: u32,
    ) -> Option<(
        &'static str,
        &str,
        Option<&str>,
        Option<&str>,
        Option<(u16, FeatureId)>,
        Option<[f64; 4]>,
    )> {
        let e = self.entries.get(entry as usize)?;
        Some((
            e.kind.name(),
            &e.label,
            e.detail.as_deref(),
            e.note.as_deref(),
            e.layer.zip(e.id),
            e.bbox,
        ))
    }

    /// Number of communes known (symbols are `0..n`).
    pub fn communes(&self) -> u32 {
        self.n_communes
    }

    pub(crate) fn build(feed: &dyn SearchFeed) -> Result<SearchIndex, QueryError> {
        let mut b = SearchBuilder::default();
        // Communes, in the store's symbol order.
        feed.communes(&mut |c| match (c.name, c.boundary) {
            (Some(name), Some((layer, id, bbox))) => b.add_commune(
                c.sym,
                c.code,
                name,
                c.level,
                c.parent,
                Some((layer, id)),
                Some(bbox),
            ),
            _ => b.add_commune_code(c.sym, c.code),
        });
        // Roads: road centre lines and red lines, one entry per name.
        struct Road {
            label: String,
            layer: u16,
            id: FeatureId,
            bbox: [f64; 4],
            communes: Vec<String>,
        }
        let mut roads: Vec<Road> = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut lines = Vec::new();
        feed.named_lines(&mut |layer, id, name, bbox, middle| {
            lines.push((layer, id, name.to_string(), bbox, middle));
        })?;
        for (layer, id, name, bbox, middle) in lines {
            let name = name.as_str();
            let i = *by_name.entry(tokens(name).join(" ")).or_insert_with(|| {
                roads.push(Road {
                    label: name.trim().to_string(),
                    layer,
                    id,
                    bbox,
                    communes: Vec::new(),
                });
                roads.len() - 1
            });
            let road = &mut roads[i];
            road.bbox = union_bbox(Some(road.bbox), bbox);
            if road.communes.len() < ROAD_COMMUNES_SHOWN {
                if let Some(name) = middle.and_then(|c| feed.commune_at(c.x, c.y)) {
                    if !road.communes.contains(&name) {
                        road.communes.push(name);
                    }
                }
            }
        }
        for r in roads {
            let detail = (!r.communes.is_empty()).then(|| r.communes.join(", "));
            b.add_feature(
                EntryKind::Road,
                &r.label,
                &[],
                detail,
                Some((r.layer, r.id)),
                Some(r.bbox),
            );
        }
        // Plans.
        let catalog = feed.catalog();
        let entries: Vec<&LayerEntry> = catalog.layers.values().collect();
        for plan in catalog.plans.values() {
            let mut bbox = None;
            let mut layer = None;
            for (li, l) in entries.iter().enumerate() {
                if l.plan.as_deref() == Some(plan.id.as_str()) || l.plans.contains(&plan.id) {
                    bbox = Some(union_bbox(bbox, l.bounds));
                    layer.get_or_insert(li as u16);
                }
            }
            let detail = format!(
                "{} ngày {}, {} — {}",
                plan.decision.number,
                plan.decision.date,
                plan.decision.authority,
                plan.status.name_vi()
            );
            b.add_feature(
                EntryKind::Plan,
                &plan.name,
                &[&plan.decision.number, &plan.id],
                Some(detail),
                None,
                bbox,
            );
            if let (Some(e), Some(li)) = (b.entries.last_mut(), layer) {
                e.layer = Some(li);
            }
        }
        // Addresses of parcels.
        feed.addresses(&mut |sym, addr, layer, id, bbox| {
            b.add_address(sym, addr, layer, id, bbox)
        })?;
        // Old commune names near the data.
        let bounds = entries
            .iter()
            .filter(|l| l.count > 0 && l.bounds.iter().all(|v| v.is_finite()))
            .fold(None, |acc, l| Some(union_bbox(acc, l.bounds)));
        b.add_renames(bounds);
        Ok(b.finish())
    }
}

/// A visitor of named lines: layer position, id, name, box, middle coordinate.
pub(crate) type LineVisit<'v> =
    dyn FnMut(u16, FeatureId, &str, [f64; 4], Option<geo_types::Coord<f64>>) + 'v;

/// A visitor of addresses: commune symbol, address, layer position, id, box.
pub(crate) type AddressVisit<'v> = dyn FnMut(u32, &str, u16, FeatureId, [f64; 4]) + 'v;

/// A commune as the search index takes it.
pub(crate) struct CommuneTerm<'a> {
    /// Its symbol: communes of boundaries first (layers in order, features by id, the first
    /// of each code), then codes of numbered parcels that no boundary has.
    pub sym: u32,
    pub code: &'a str,
    pub name: Option<&'a str>,
    pub level: Option<&'a str>,
    pub parent: Option<&'a str>,
    /// Its boundary: layer position, feature id, box.
    pub boundary: Option<(u16, FeatureId, [f64; 4])>,
}

/// What the search index is built from and its hits are made of, asked of a store (the
/// embedded index, or PostGIS): the same feed gives the same index, so the same answers.
pub(crate) trait SearchFeed {
    /// The catalog (layers in position order, plans).
    fn catalog(&self) -> &crate::store::Catalog;
    /// Every commune, in symbol order.
    fn communes(&self, visit: &mut dyn FnMut(CommuneTerm<'_>));
    /// Road centre lines (`name`) and red lines (`road_name`) with a name and a geometry,
    /// layers in order, features by id: layer position, id, name, box, the middle
    /// coordinate of the feature's coordinate list.
    fn named_lines(&self, visit: &mut LineVisit<'_>) -> Result<(), QueryError>;
    /// The name of the first boundary (layers in order, features by id) that contains the
    /// point and has a name.
    fn commune_at(&self, lon: f64, lat: f64) -> Option<String>;
    /// Parcels with an address and a known commune code, layers in order, features by id:
    /// commune symbol, address, layer position, id, box.
    fn addresses(&self, visit: &mut AddressVisit<'_>) -> Result<(), QueryError>;
    /// Numbered parcels `sheet`/`parcel` of the communes `syms` (all when `None`), by
    /// (commune symbol, layer position, id).
    fn numbered(
        &self,
        syms: Option<&[u32]>,
        sheet: i64,
        parcel: i64,
    ) -> Result<Vec<(u16, FeatureId)>, QueryError>;
    /// A parcel's commune code, sheet, parcel number, address and box.
    fn parcel_facts(&self, layer: u16, id: FeatureId) -> Result<ParcelFacts, QueryError>;
    /// A commune's level word and name by code.
    fn commune_label(&self, code: &str) -> Option<(Option<&str>, Option<&str>)>;
}

/// What a parcel hit shows.
pub(crate) struct ParcelFacts {
    pub code: String,
    pub sheet: i64,
    pub parcel: i64,
    pub address: Option<String>,
    /// The certificate's area when the source has it, else the measured one (m²).
    pub area_m2: Option<f64>,
    pub bbox: [f64; 4],
}

/// Type-ahead search over a store's search index: see [`Index::search`].
pub(crate) fn search(
    feed: &dyn SearchFeed,
    index: &SearchIndex,
    q: &str,
    limit: usize,
) -> Result<Vec<SearchHit>, QueryError> {
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::TooLarge(format!(
            "the query is longer than {MAX_QUERY_CHARS} characters"
        )));
    }
    if tokens(q).is_empty() {
        return Err(QueryError::BadRequest(
            "empty query: type a commune, hamlet, address, road, plan, decision number or a parcel (e.g. thửa 345 tờ 12 Vĩnh Thanh, 345/12)".into(),
        ));
    }
    let limit = match limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_SEARCH_LIMIT),
    };
    let layer_ids: Vec<&String> = feed.catalog().layers.keys().collect();
    let mut hits: Vec<SearchHit> = Vec::new();
    let mut areas: Vec<Option<f64>> = Vec::new();
    let mut parcels_seen = std::collections::HashSet::new();
    for f in index.find(q, limit) {
        match f {
            Found::Number {
                communes,
                sheet,
                parcel,
                score,
            } => {
                for (layer, id) in feed.numbered(communes.as_deref(), sheet, parcel)? {
                    if hits.len() < limit && parcels_seen.insert((layer, id)) {
                        let (hit, area) = parcel_hit(feed, &layer_ids, layer, id, score, false)?;
                        hits.push(hit);
                        areas.push(area);
                    }
                }
            }
            Found::House {
                layer, id, score, ..
            } => {
                if parcels_seen.insert((layer, id)) {
                    let (hit, area) = parcel_hit(feed, &layer_ids, layer, id, score, true)?;
                    hits.push(hit);
                    areas.push(area);
                }
            }
            Found::Entry { entry, score } => {
                let Some((kind, label, detail, note, feature, bbox)) = index.entry(entry) else {
                    continue;
                };
                areas.push(None);
                hits.push(SearchHit {
                    kind: if kind == "commune" && feature.is_none() && note.is_some() {
                        "place".into()
                    } else {
                        kind.into()
                    },
                    label: label.to_string(),
                    detail: detail.map(str::to_string),
                    layer: feature
                        .and_then(|(l, _)| layer_ids.get(l as usize).map(|s| s.to_string())),
                    id: feature.map(|(_, id)| id),
                    bbox,
                    score,
                    parcel: None,
                    note: note.map(str::to_string),
                });
            }
        }
    }
    tell_duplicates_apart(&mut hits, &areas);
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    // One hit per place outside the store: its new name's entry, or the best of the old
    // names that lead to it.
    let mut places = std::collections::HashSet::new();
    hits.retain(|h| h.kind != "place" || places.insert(h.label.clone()));
    hits.truncate(limit);
    Ok(hits)
}

/// Parcels sharing a number whose hits would read the same (same label and detail: one
/// address for both, or none) get their area in the detail — what the certificate shows —
/// so a person can tell which one is theirs before choosing.
fn tell_duplicates_apart(hits: &mut [SearchHit], areas: &[Option<f64>]) {
    let mut same: HashMap<(&str, Option<&str>), usize> = HashMap::new();
    for h in hits.iter().filter(|h| h.kind == "parcel") {
        *same.entry((&h.label, h.detail.as_deref())).or_default() += 1;
    }
    let twins: std::collections::HashSet<(String, Option<String>)> = same
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|((l, d), _)| (l.to_string(), d.map(str::to_string)))
        .collect();
    for (h, area) in hits.iter_mut().zip(areas) {
        let (Some(a), true) = (area, h.kind == "parcel") else {
            continue;
        };
        if twins.contains(&(h.label.clone(), h.detail.clone())) {
            let area = crate::planning::report::m2_text(*a, true);
            h.detail = Some(match h.detail.take() {
                Some(d) => format!("{d} · {area}"),
                None => area,
            });
        }
    }
}

/// A parcel as a hit: "Thửa 345, tờ 12, thị trấn Vĩnh Thanh", the address as detail (or
/// the address as label when it was found by its address); and its area.
fn parcel_hit(
    feed: &dyn SearchFeed,
    layer_ids: &[&String],
    layer: u16,
    id: FeatureId,
    score: f64,
    by_address: bool,
) -> Result<(SearchHit, Option<f64>), QueryError> {
    let ParcelFacts {
        code,
        sheet,
        parcel,
        address,
        area_m2,
        bbox,
    } = feed.parcel_facts(layer, id)?;
    let place = match feed.commune_label(&code) {
        Some((Some(lv), Some(n))) => format!("{} {n}", lv.to_lowercase()),
        Some((None, Some(n))) => n.to_string(),
        Some((_, None)) => format!("xã mã {code}"),
        None => format!("xã mã {code}"),
    };
    let number = format!("Thửa {parcel}, tờ {sheet}, {place}");
    let (label, detail) = match (by_address, address) {
        (true, Some(a)) => (a, Some(number)),
        (_, a) => (number, a),
    };
    let hit = SearchHit {
        kind: "parcel".into(),
        label,
        detail,
        layer: layer_ids.get(layer as usize).map(|s| s.to_string()),
        id: Some(id),
        bbox: Some(bbox),
        score,
        parcel: Some((code, sheet, parcel)),
        note: None,
    };
    Ok((hit, area_m2))
}

impl Index {
    /// Type-ahead search over communes (boundaries), hamlets and house addresses of the
    /// parcels, roads (road names and red lines' road names), plans (name, id, decision
    /// number), old (pre-2025) commune names and parcel numbers in every usual wording
    /// ("thửa đất số 345, tờ bản đồ số 12, xã Vĩnh Thanh", "345/12", "Vinh Thanh sheet 12
    /// parcel 345"), accent- and case-insensitive, typo-tolerant. See the module docs for the
    /// ranking. `limit` is capped at [`MAX_SEARCH_LIMIT`] (0 means 10).
    pub fn search(&self, q: &str, limit: usize) -> Result<Vec<SearchHit>, QueryError> {
        search(self, &self.search, q, limit)
    }
}

impl SearchFeed for Index {
    fn catalog(&self) -> &crate::store::Catalog {
        Index::catalog(self)
    }

    fn communes(&self, visit: &mut dyn FnMut(CommuneTerm<'_>)) {
        for (sym, c) in self.communes.iter().enumerate() {
            let boundary = c.boundary.map(|(li, id)| {
                let layer = &self.layers[li];
                (
                    li as u16,
                    id,
                    layer.geoms.bbox(id as usize),
                    layer.str("parent", id),
                )
            });
            visit(CommuneTerm {
                sym: sym as u32,
                code: &c.code,
                name: c.name.as_deref(),
                level: c.level.as_deref(),
                parent: boundary.and_then(|b| b.3),
                boundary: boundary.map(|(l, id, bbox, _)| (l, id, bbox)),
            });
        }
    }

    fn named_lines(&self, visit: &mut LineVisit<'_>) -> Result<(), QueryError> {
        for (li, layer) in self.layers.iter().enumerate() {
            let Some(column) = name_column(layer.entry.kind) else {
                continue;
            };
            for id in 0..layer.len() as FeatureId {
                let Some(name) = layer.str(column, id).filter(|n| !n.trim().is_empty()) else {
                    continue;
                };
                let bbox = layer.geoms.bbox(id as usize);
                if bbox[0].is_nan() {
                    continue;
                }
                let coords = layer.geoms.feature_coords(id as usize);
                visit(
                    li as u16,
                    id,
                    name,
                    bbox,
                    coords.get(coords.len() / 2).copied(),
                );
            }
        }
        Ok(())
    }

    fn commune_at(&self, lon: f64, lat: f64) -> Option<String> {
        let p = Point::new(lon, lat);
        for layer in self
            .layers
            .iter()
            .filter(|l| l.entry.kind == Kind::Boundaries)
        {
            for id in layer.candidates([lon, lat, lon, lat]) {
                if layer.geoms.multipolygon(id as usize).contains(&p) {
                    if let Some(n) = layer.str("name", id) {
                        return Some(n.to_string());
                    }
                }
            }
        }
        None
    }

    fn addresses(&self, visit: &mut AddressVisit<'_>) -> Result<(), QueryError> {
        for (li, layer) in self.layers.iter().enumerate() {
            if layer.entry.kind != Kind::Parcels {
                continue;
            }
            let (Some(cc), Some(ac)) = (
                layer.columns.get("commune_code"),
                layer.columns.get("address"),
            ) else {
                continue;
            };
            for id in 0..layer.len() {
                let (Some(code), Some(addr)) = (cc.str(id), ac.str(id)) else {
                    continue;
                };
                let Some(&sym) = self.commune_by_code.get(code) else {
                    continue;
                };
                let bbox = layer.geoms.bbox(id);
                if bbox[0].is_nan() {
                    continue;
                }
                visit(sym, addr, li as u16, id as FeatureId, bbox);
            }
        }
        Ok(())
    }

    fn numbered(
        &self,
        syms: Option<&[u32]>,
        sheet: i64,
        parcel: i64,
    ) -> Result<Vec<(u16, FeatureId)>, QueryError> {
        let all: Vec<u32>;
        let syms = match syms {
            Some(s) => s,
            None => {
                all = (0..self.communes.len() as u32).collect();
                &all
            }
        };
        Ok(syms
            .iter()
            .flat_map(|&sym| self.keys_for(sym, sheet, parcel))
            .map(|k| (k.layer, k.id))
            .collect())
    }

    fn parcel_facts(&self, layer: u16, id: FeatureId) -> Result<ParcelFacts, QueryError> {
        let l = &self.layers[layer as usize];
        Ok(ParcelFacts {
            code: l.str("commune_code", id).unwrap_or_default().to_string(),
            sheet: l.int("sheet", id).unwrap_or_default(),
            parcel: l.int("parcel", id).unwrap_or_default(),
            address: l.str("address", id).map(str::to_string),
            area_m2: l
                .double("area_declared_m2", id)
                .or_else(|| l.double("area_m2", id)),
            bbox: l.geoms.bbox(id as usize),
        })
    }

    fn commune_label(&self, code: &str) -> Option<(Option<&str>, Option<&str>)> {
        let c = &self.communes[*self.commune_by_code.get(code)? as usize];
        Some((c.level.as_deref(), c.name.as_deref()))
    }
}

/// The column naming a line feature for the search: roads' `name`, red lines' `road_name`.
pub(crate) fn name_column(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Roads => Some("name"),
        Kind::Redlines => Some("road_name"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small index: two communes, addresses with streets and hamlets, the old names near.
    fn small() -> SearchIndex {
        let mut b = SearchBuilder::default();
        let bbox = [105.10, 9.94, 105.16, 10.0];
        b.add_commune(
            0,
            "31150",
            "Vĩnh Thanh",
            Some("Thị trấn"),
            None,
            None,
            Some(bbox),
        );
        b.add_commune(
            1,
            "31153",
            "Vĩnh Thanh Vân",
            Some("Xã"),
            None,
            None,
            Some(bbox),
        );
        b.add_commune(2, "30898", "Bình An", Some("Xã"), None, None, Some(bbox));
        b.add_address(0, "223 30 Tháng 4, Vĩnh Thanh", 0, 7, bbox);
        b.add_address(0, "224 30 Tháng 4, Vĩnh Thanh", 0, 8, bbox);
        b.add_address(1, "65 Đường huyện ĐH.03, ấp 5, Vĩnh Thanh Vân", 0, 9, bbox);
        b.add_address(1, "Ấp 5, Vĩnh Thanh Vân", 0, 10, bbox);
        b.add_feature(EntryKind::Road, "Trần Phú", &[], None, None, Some(bbox));
        b.add_renames(Some(bbox));
        b.finish()
    }

    fn labels(ix: &SearchIndex, q: &str) -> Vec<String> {
        ix.find(q, 10)
            .into_iter()
            .map(|f| match f {
                Found::Entry { entry, .. } => {
                    ix.entry(entry).map(|e| e.1.to_string()).unwrap_or_default()
                }
                Found::House { id, .. } => format!("house {id}"),
                Found::Number {
                    communes,
                    sheet,
                    parcel,
                    ..
                } => {
                    format!("number {communes:?} {sheet} {parcel}")
                }
            })
            .collect()
    }

    #[test]
    fn exact_beats_prefix_beats_fuzzy() {
        let ix = small();
        assert_eq!(
            labels(&ix, "vinh thanh")[..2],
            ["Thị trấn Vĩnh Thanh", "Xã Vĩnh Thanh Vân"]
        );
        assert_eq!(labels(&ix, "vinh thanh v")[0], "Xã Vĩnh Thanh Vân");
        assert_eq!(labels(&ix, "VĨNH THANH VÂN")[0], "Xã Vĩnh Thanh Vân");
        // One swap: typo tolerance; three letters: none.
        assert_eq!(labels(&ix, "vinh tahnh")[0], "Thị trấn Vĩnh Thanh");
        assert!(labels(&ix, "vinh xyz").is_empty());
        let scores: Vec<f64> = ["vinh thanh", "vinh than", "vinh tahnh"]
            .iter()
            .map(|q| ix.find(q, 10)[0].score())
            .collect();
        assert!(scores[0] > scores[1] && scores[1] > scores[2], "{scores:?}");
    }

    #[test]
    fn houses_hamlets_offices_and_numbers() {
        let ix = small();
        assert_eq!(labels(&ix, "223 30 thang 4"), ["house 7"]);
        assert_eq!(labels(&ix, "223 30 Tháng 4, Vĩnh Thanh"), ["house 7"]);
        assert_eq!(labels(&ix, "224 30 th")[0], "house 8");
        assert!(labels(&ix, "225 30 thang 4").is_empty());
        assert_eq!(
            labels(&ix, "ap 5 vinh thanh van")[0],
            "Ấp 5, Vĩnh Thanh Vân"
        );
        assert_eq!(
            labels(&ix, "ubnd xa vinh thanh van")[0],
            "Xã Vĩnh Thanh Vân"
        );
        assert_eq!(
            labels(&ix, "UBND thị trấn Vĩnh Thanh")[0],
            "Thị trấn Vĩnh Thanh"
        );
        assert_eq!(
            labels(&ix, "thửa đất số 345, tờ bản đồ số 12, xã Vĩnh Thanh")[0],
            "number Some([0]) 12 345"
        );
        assert_eq!(
            labels(&ix, "345/12")[..2],
            ["number None 12 345", "number None 345 12"]
        );
        assert_eq!(labels(&ix, "31153 4 2")[0], "number Some([1]) 4 2");
        // A commune that is not there: no parcel.
        assert!(!labels(&ix, "thua 1 to 2 xa khong co")
            .iter()
            .any(|l| l.starts_with("number")));
    }

    #[test]
    fn old_names_find_the_new_commune() {
        let ix = small();
        for q in [
            "vinh hoa phu",
            "xã Vĩnh Hòa Phú, huyện Châu Thành, tỉnh Kiên Giang",
        ] {
            let found = ix.find(q, 10);
            let Some(Found::Entry { entry, .. }) = found.first() else {
                panic!("{q}: {found:?}");
            };
            let (_, label, _, note, _, _) = ix.entry(*entry).expect("entry");
            assert_eq!(label, "Xã Bình An", "{q}");
            assert_eq!(
                note,
                Some("Vĩnh Hòa Phú (trước 1/7/2025) → nay là xã Bình An, tỉnh An Giang")
            );
        }
        // The store still calls Vĩnh Thanh by its old name: no rename hit for it.
        assert!(!labels(&ix, "vinh thanh")
            .iter()
            .any(|l| l.contains("Rạch Giá")));
        // One letter is not an old name ("Phường V").
        assert!(labels(&ix, "v").iter().all(|l| !l.contains("Vị Tân")));
    }
}
