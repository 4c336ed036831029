//! Type-ahead search over communes, roads, plans and parcel numbers.
//!
//! Every label is folded once at load (accents, case, `đ`); a query is folded the same way
//! and compared with each entry (a district has tens of communes, hundreds of road names and
//! a few plans, so a scan takes microseconds). Parcel numbers are parsed from the text
//! ("vinh thanh 12 345", "Vĩnh Thanh tờ 12 thửa 345", "12/345") and looked up in the sorted
//! parcel keys.

use std::collections::HashMap;

use geo::{Contains, Point};

use super::{commune_key, normalize, union_bbox, FeatureId, Index, QueryError, SearchHit};
use crate::schema::Kind;

/// Most hits one search returns (a type-ahead list longer than this is not read).
pub const MAX_SEARCH_LIMIT: usize = 50;

/// Longest query accepted, in characters: an address or a commune with sheet and parcel is
/// far shorter; longer text is not a search.
pub const MAX_QUERY_CHARS: usize = 200;

/// Hits returned when the caller asks for 0.
const DEFAULT_LIMIT: usize = 10;

/// How many communes a road's detail names.
const ROAD_COMMUNES_SHOWN: usize = 3;

#[derive(Debug, Clone)]
struct Entry {
    kind: &'static str,
    /// Tie-break between kinds at equal rank and length: communes, plans, roads.
    kind_bonus: f64,
    label: String,
    /// Folded texts matched against the query; the first is the main name.
    keys: Vec<String>,
    detail: Option<String>,
    layer: Option<String>,
    id: Option<FeatureId>,
    bbox: Option<[f64; 4]>,
}

/// The folded labels, built at load.
#[derive(Debug, Default)]
pub(crate) struct SearchIndex {
    entries: Vec<Entry>,
}

/// How a folded text matches a folded query: 3 prefix, 2 word prefix, 1 substring.
fn rank(hay: &str, needle: &str) -> Option<u8> {
    if hay.starts_with(needle) {
        return Some(3);
    }
    let mut best = None;
    for (i, _) in hay.match_indices(needle) {
        let before = hay[..i].chars().next_back();
        if before.is_some_and(|c| !c.is_alphanumeric()) {
            return Some(2);
        }
        best = Some(1);
    }
    best
}

impl SearchIndex {
    pub(crate) fn build(index: &Index) -> SearchIndex {
        let mut entries = Vec::new();
        // Communes.
        for c in &index.communes {
            let (Some(name), Some((li, id))) = (&c.name, c.boundary) else {
                continue;
            };
            let layer = &index.layers[li];
            let label = match &c.level {
                Some(level) if !level.is_empty() => format!("{level} {name}"),
                _ => name.clone(),
            };
            let parent = layer.str("parent", id);
            let detail = match parent {
                Some(p) => format!("{p} · mã {}", c.code),
                None => format!("mã {}", c.code),
            };
            entries.push(Entry {
                kind: "commune",
                kind_bonus: 0.003,
                keys: vec![commune_key(name), normalize(&label), c.code.to_lowercase()],
                label,
                detail: Some(detail),
                layer: Some(layer.id.clone()),
                id: Some(id),
                bbox: Some(layer.geoms.bbox(id as usize)),
            });
        }
        // Roads: road centre lines and red lines, one entry per name.
        struct Road {
            label: String,
            layer: String,
            id: FeatureId,
            bbox: [f64; 4],
            communes: Vec<String>,
        }
        let mut roads: Vec<Road> = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for layer in &index.layers {
            let column = match layer.entry.kind {
                Kind::Roads => "name",
                Kind::Redlines => "road_name",
                _ => continue,
            };
            for id in 0..layer.len() as FeatureId {
                let Some(name) = layer.str(column, id).filter(|n| !n.trim().is_empty()) else {
                    continue;
                };
                let bbox = layer.geoms.bbox(id as usize);
                if bbox[0].is_nan() {
                    continue;
                }
                let key = normalize(name);
                let i = *by_name.entry(key).or_insert_with(|| {
                    roads.push(Road {
                        label: name.trim().to_string(),
                        layer: layer.id.clone(),
                        id,
                        bbox,
                        communes: Vec::new(),
                    });
                    roads.len() - 1
                });
                let road = &mut roads[i];
                road.bbox = union_bbox(Some(road.bbox), bbox);
                if road.communes.len() < ROAD_COMMUNES_SHOWN {
                    let coords = layer.geoms.feature_coords(id as usize);
                    if let Some(c) = coords.get(coords.len() / 2) {
                        if let Some(name) = commune_at(index, c.x, c.y) {
                            if !road.communes.contains(&name) {
                                road.communes.push(name);
                            }
                        }
                    }
                }
            }
        }
        for r in roads {
            entries.push(Entry {
                kind: "road",
                kind_bonus: 0.001,
                keys: vec![normalize(&r.label)],
                detail: (!r.communes.is_empty()).then(|| r.communes.join(", ")),
                label: r.label,
                layer: Some(r.layer),
                id: Some(r.id),
                bbox: Some(r.bbox),
            });
        }
        // Plans.
        for plan in index.catalog.plans.values() {
            let mut bbox = None;
            let mut layer = None;
            for l in &index.layers {
                if l.entry.plan.as_deref() == Some(plan.id.as_str())
                    || l.entry.plans.contains(&plan.id)
                {
                    bbox = Some(union_bbox(bbox, l.entry.bounds));
                    layer.get_or_insert_with(|| l.id.clone());
                }
            }
            entries.push(Entry {
                kind: "plan",
                kind_bonus: 0.002,
                keys: vec![
                    normalize(&plan.name),
                    normalize(&plan.decision.number),
                    plan.id.to_lowercase(),
                ],
                label: plan.name.clone(),
                detail: Some(format!(
                    "{} ngày {}, {} — {}",
                    plan.decision.number,
                    plan.decision.date,
                    plan.decision.authority,
                    plan.status.name_vi()
                )),
                layer,
                id: None,
                bbox,
            });
        }
        SearchIndex { entries }
    }
}

/// Name of the commune whose boundary contains a point.
fn commune_at(index: &Index, lon: f64, lat: f64) -> Option<String> {
    let p = Point::new(lon, lat);
    for layer in index
        .layers
        .iter()
        .filter(|l| l.entry.kind == Kind::Boundaries)
    {
        for g in layer.tree.locate_all_at_point(&[lon, lat]) {
            if layer.geoms.multipolygon(g.data as usize).contains(&p) {
                if let Some(n) = layer.str("name", g.data) {
                    return Some(n.to_string());
                }
            }
        }
    }
    None
}

/// A parcel number found in a query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParcelQuery {
    /// Commune text or code, empty when not given.
    pub commune: String,
    pub sheet: i64,
    pub parcel: i64,
}

/// Parses "vinh thanh 12 345", "Vĩnh Thanh tờ 12 thửa 345", "thửa 345 tờ 12", "12/345",
/// "31150 12 345" (a commune code first).
pub(crate) fn parse_parcel_query(q: &str) -> Option<ParcelQuery> {
    #[derive(Clone, Copy, PartialEq)]
    enum Label {
        None,
        Sheet,
        Parcel,
    }
    let cleaned: String = normalize(q)
        .chars()
        .map(|c| {
            if matches!(c, '/' | ',' | ';' | ':' | '#' | '-' | '.' | '(' | ')') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let tokens: Vec<&str> = cleaned.split_whitespace().collect();
    let is_num = |t: &str| !t.is_empty() && t.len() <= 9 && t.bytes().all(|b| b.is_ascii_digit());
    let mut pending = Label::None;
    let (mut sheet, mut parcel) = (None, None);
    let mut unlabeled: Vec<i64> = Vec::new();
    let mut words: Vec<&str> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let next_is_number = tokens[i + 1..]
            .iter()
            .find(|n| !matches!(**n, "so" | "ban" | "do"))
            .is_some_and(|n| is_num(n));
        match *t {
            "to" | "tbd" if next_is_number => pending = Label::Sheet,
            "thua" | "th" if next_is_number => pending = Label::Parcel,
            "so" | "ban" | "do" if next_is_number => {}
            n if is_num(n) => {
                let v: i64 = n.parse().ok()?;
                match pending {
                    Label::Sheet => sheet = Some(v),
                    Label::Parcel => parcel = Some(v),
                    Label::None => unlabeled.push(v),
                }
                pending = Label::None;
            }
            w => words.push(w),
        }
    }
    let mut commune = words.join(" ");
    let labelled = sheet.is_some() || parcel.is_some();
    if !labelled && unlabeled.len() == 3 && commune.is_empty() {
        commune = unlabeled.remove(0).to_string();
    }
    let mut rest = unlabeled.into_iter();
    if sheet.is_none() {
        sheet = rest.next();
    }
    if parcel.is_none() {
        parcel = rest.next();
    }
    if let Some(code) = rest.next() {
        if !commune.is_empty() {
            return None;
        }
        commune = code.to_string();
    }
    if rest.next().is_some() {
        return None;
    }
    Some(ParcelQuery {
        commune,
        sheet: sheet?,
        parcel: parcel?,
    })
}

impl Index {
    /// Type-ahead search over communes (boundaries), roads (road names and red lines' road
    /// names), plans (name, id, decision number) and parcel numbers ("vinh thanh 12 345",
    /// "12/345"), accent- and case-insensitive. Ranked: parcel numbers, then prefix, word
    /// prefix, substring; shorter labels first. `limit` is capped at [`MAX_SEARCH_LIMIT`]
    /// (0 means 10).
    pub fn search(&self, q: &str, limit: usize) -> Result<Vec<SearchHit>, QueryError> {
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError::TooLarge(format!(
                "the query is longer than {MAX_QUERY_CHARS} characters"
            )));
        }
        let needle = normalize(q);
        if needle.is_empty() {
            return Err(QueryError::BadRequest(
                "empty query: type a commune, road, plan, decision number or 'commune sheet parcel' (e.g. Vĩnh Thanh 12 345)".into(),
            ));
        }
        let limit = match limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_SEARCH_LIMIT),
        };
        let mut hits = Vec::new();
        if let Some(pq) = parse_parcel_query(q) {
            self.parcel_hits(&pq, limit, &mut hits);
        }
        for e in &self.search.entries {
            let Some(r) = e.keys.iter().filter_map(|k| rank(k, &needle)).max() else {
                continue;
            };
            let len = e.label.chars().count() as f64;
            // An exact name beats a longer name with the same prefix ("Vĩnh Thanh" before
            // "Vĩnh Thanh Vân", whatever their level words).
            let exact = if e.keys.contains(&needle) { 0.6 } else { 0.0 };
            hits.push(SearchHit {
                kind: e.kind.to_string(),
                label: e.label.clone(),
                detail: e.detail.clone(),
                layer: e.layer.clone(),
                id: e.id,
                bbox: e.bbox,
                score: f64::from(r) + exact + 0.5 / (1.0 + len) + e.kind_bonus,
                parcel: None,
            });
        }
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.label.cmp(&b.label))
        });
        hits.truncate(limit);
        Ok(hits)
    }

    fn parcel_hits(&self, pq: &ParcelQuery, limit: usize, hits: &mut Vec<SearchHit>) {
        let syms: Vec<u32> = if pq.commune.is_empty() {
            (0..self.communes.len() as u32).collect()
        } else {
            self.resolve_communes(&pq.commune, true)
        };
        let named = !pq.commune.is_empty();
        let mut found = Vec::new();
        for sym in syms {
            for k in self.keys_for(sym, pq.sheet, pq.parcel) {
                found.push(*k);
            }
        }
        for k in found.into_iter().take(limit) {
            let layer = &self.layers[k.layer as usize];
            let commune = &self.communes[k.commune as usize];
            let place = match (&commune.level, &commune.name) {
                (Some(l), Some(n)) => format!("{} {n}", l.to_lowercase()),
                (None, Some(n)) => n.clone(),
                _ => format!("xã mã {}", commune.code),
            };
            hits.push(SearchHit {
                kind: "parcel".into(),
                label: format!("Thửa {}, tờ {}, {place}", k.parcel, k.sheet),
                detail: layer.str("address", k.id).map(str::to_string),
                layer: Some(layer.id.clone()),
                id: Some(k.id),
                bbox: Some(layer.geoms.bbox(k.id as usize)),
                score: if named { 4.5 } else { 4.0 },
                parcel: Some((commune.code.clone(), k.sheet, k.parcel)),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_parcel_queries() {
        let p = |q: &str| parse_parcel_query(q).map(|p| (p.commune, p.sheet, p.parcel));
        assert_eq!(p("vinh thanh 12 345"), Some(("vinh thanh".into(), 12, 345)));
        assert_eq!(
            p("Vĩnh Thanh tờ 12 thửa 345"),
            Some(("vinh thanh".into(), 12, 345))
        );
        assert_eq!(
            p("thửa 345 tờ bản đồ số 12 Vĩnh Thanh"),
            Some(("vinh thanh".into(), 12, 345))
        );
        assert_eq!(p("12/345"), Some((String::new(), 12, 345)));
        assert_eq!(p("31150 12 345"), Some(("31150".into(), 12, 345)));
        assert_eq!(p("Tô Châu 3 4"), Some(("to chau".into(), 3, 4)));
        assert_eq!(p("vinh thanh"), None);
        assert_eq!(p("2341"), None);
        assert_eq!(p("1 2 3 4"), None);
    }

    #[test]
    fn ranks_prefix_word_prefix_substring() {
        assert_eq!(rank("vinh thanh", "vinh"), Some(3));
        assert_eq!(rank("xa vinh thanh", "vinh"), Some(2));
        assert_eq!(rank("xavinh", "vinh"), Some(1));
        assert_eq!(rank("rach gia", "vinh"), None);
    }
}
