//! The type-ahead search of a PostGIS store: the embedded store's search index
//! ([`SearchIndex`]), built from the database's rows instead of the index's columns, so the
//! same data gives the same answers. Its terms (communes, hamlets, streets, roads, plans,
//! about 13 MB per million parcels) are held by the server; the parcels a hit names are read
//! from the database (by number through the (commune_code, sheet, parcel) index, by id).
//!
//! The index is built on the first search, not when the store is opened (the CLI's `tiles`
//! and `info` never search); `serve` builds it before it listens.

use std::collections::HashMap;

use geo::{Contains, CoordsIter};
use geo_types::{Coord, MultiPolygon, Point};

use super::planning::{geometry, internal, multipolygon, PgData, Select};
use super::PgLayer;
use crate::index::{
    name_column, AddressVisit, CommuneTerm, LineVisit, ParcelFacts, SearchFeed, SearchHit,
    SearchIndex,
};
use crate::planning::{FeatureId, QueryError};
use crate::schema::Kind;
use crate::store::Catalog;

/// A commune of the search, in symbol order.
struct Commune {
    code: String,
    name: Option<String>,
    level: Option<String>,
    parent: Option<String>,
    /// Boundary: layer position, id, box, geometry.
    boundary: Option<(u16, FeatureId, [f64; 4], MultiPolygon<f64>)>,
}

/// The search of one version of a PostGIS store.
pub(super) struct PgSearch {
    communes: Vec<Commune>,
    by_code: HashMap<String, u32>,
    index: SearchIndex,
}

/// A box of a geometry's coordinates (NaN when it has none), as the index computes it.
pub(super) fn coords_bbox(coords: impl Iterator<Item = Coord<f64>>) -> [f64; 4] {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut any = false;
    for c in coords {
        any = true;
        b[0] = b[0].min(c.x);
        b[1] = b[1].min(c.y);
        b[2] = b[2].max(c.x);
        b[3] = b[3].max(c.y);
    }
    if any {
        b
    } else {
        [f64::NAN; 4]
    }
}

/// Position of a layer as a `u16` (the search index's layer numbers).
fn pos16(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

fn fid(row: &postgres::Row) -> Result<FeatureId, QueryError> {
    FeatureId::try_from(row.get::<_, i32>(0)).map_err(internal)
}

/// Whether a parcel layer has the three columns of a parcel's number.
fn has_numbers(l: &PgLayer) -> bool {
    ["commune_code", "sheet", "parcel"]
        .iter()
        .all(|n| l.entry.columns.iter().any(|c| c.name == *n))
}

/// The store's data read for the search: what [`SearchFeed`] gives, with the database to
/// ask for parcels.
struct Feed<'a> {
    data: &'a PgData,
    communes: &'a [Commune],
    by_code: &'a HashMap<String, u32>,
}

impl PgData {
    /// Reads the communes in the embedded index's symbol order: boundaries (layers in order,
    /// features by id, the first of each code, or of the name when there is no code), then
    /// the codes of numbered parcels that no boundary has (layers in order, first by id).
    fn search_communes(&self) -> Result<(Vec<Commune>, HashMap<String, u32>), QueryError> {
        let mut communes: Vec<Commune> = Vec::new();
        let mut by_code: HashMap<String, u32> = HashMap::new();
        for (li, (_, l)) in self.layers.iter().enumerate() {
            if l.entry.kind != Kind::Boundaries {
                continue;
            }
            let select = Select::new(l, &["name", "code", "level", "parent"]);
            for row in self.query(&format!("{} ORDER BY fid", select.sql), &[])? {
                let cells = select.cells(&row);
                let name = cells[0].str().map(str::to_string);
                let Some(code) = cells[1].str().map(str::to_string).or_else(|| name.clone()) else {
                    continue;
                };
                if by_code.contains_key(&code) {
                    continue;
                }
                let mp = multipolygon(geometry(&row)?);
                let bbox = coords_bbox(mp.coords_iter());
                by_code.insert(code.clone(), communes.len() as u32);
                communes.push(Commune {
                    code,
                    name,
                    level: cells[2].str().map(str::to_string),
                    parent: cells[3].str().map(str::to_string),
                    boundary: Some((pos16(li), fid(&row)?, bbox, mp)),
                });
            }
        }
        for (_, l) in &self.layers {
            if l.entry.kind != Kind::Parcels || !has_numbers(l) {
                continue;
            }
            let sql = format!(
                "SELECT commune_code FROM {} WHERE commune_code IS NOT NULL AND sheet IS NOT NULL \
                 AND parcel IS NOT NULL GROUP BY commune_code ORDER BY min(fid)",
                super::ident(&l.table)
            );
            for row in self.query(&sql, &[])? {
                let code: String = row.get(0);
                if !by_code.contains_key(&code) {
                    by_code.insert(code.clone(), communes.len() as u32);
                    communes.push(Commune {
                        code,
                        name: None,
                        level: None,
                        parent: None,
                        boundary: None,
                    });
                }
            }
        }
        Ok((communes, by_code))
    }

    /// Builds the search of this version (see the module's docs).
    pub(super) fn build_search(&self) -> Result<PgSearch, QueryError> {
        let (communes, by_code) = self.search_communes()?;
        let feed = Feed {
            data: self,
            communes: &communes,
            by_code: &by_code,
        };
        let index = SearchIndex::build(&feed)?;
        Ok(PgSearch {
            communes,
            by_code,
            index,
        })
    }

    /// Type-ahead search, as the embedded store's.
    pub(super) fn search_terms(&self, q: &str, limit: usize) -> Result<Vec<SearchHit>, QueryError> {
        let s = self.search_index()?;
        let feed = Feed {
            data: self,
            communes: &s.communes,
            by_code: &s.by_code,
        };
        crate::index::search_with(&feed, &s.index, q, limit)
    }
}

impl SearchFeed for Feed<'_> {
    fn named_lines(&self, visit: &mut LineVisit<'_>) -> Result<(), QueryError> {
        for (li, (_, l)) in self.data.layers.iter().enumerate() {
            let Some(column) = name_column(l.entry.kind) else {
                continue;
            };
            let select = Select::new(l, &[column]);
            for row in self
                .data
                .query(&format!("{} ORDER BY fid", select.sql), &[])?
            {
                let cells = select.cells(&row);
                let Some(name) = cells[0].str().filter(|n| !n.trim().is_empty()) else {
                    continue;
                };
                let g = geometry(&row)?;
                let coords: Vec<Coord<f64>> = g.coords_iter().collect();
                let bbox = coords_bbox(coords.iter().copied());
                if bbox[0].is_nan() {
                    continue;
                }
                visit(
                    pos16(li),
                    fid(&row)?,
                    name,
                    bbox,
                    coords.get(coords.len() / 2).copied(),
                );
            }
        }
        Ok(())
    }

    fn addresses(&self, visit: &mut AddressVisit<'_>) -> Result<(), QueryError> {
        for (li, (_, l)) in self.data.layers.iter().enumerate() {
            if l.entry.kind != Kind::Parcels
                || !["commune_code", "address"]
                    .iter()
                    .all(|n| l.entry.columns.iter().any(|c| c.name == *n))
            {
                continue;
            }
            let select = Select::new(l, &["commune_code", "address"]);
            let sql = format!(
                "{} WHERE commune_code IS NOT NULL AND address IS NOT NULL ORDER BY fid",
                select.sql
            );
            for row in self.data.query(&sql, &[])? {
                let cells = select.cells(&row);
                let (Some(code), Some(addr)) = (cells[0].str(), cells[1].str()) else {
                    continue;
                };
                let Some(&sym) = self.by_code.get(code) else {
                    continue;
                };
                let bbox = coords_bbox(geometry(&row)?.coords_iter());
                if bbox[0].is_nan() {
                    continue;
                }
                visit(sym, addr, pos16(li), fid(&row)?, bbox);
            }
        }
        Ok(())
    }

    fn catalog(&self) -> &Catalog {
        self.data.catalog()
    }

    fn communes(&self, visit: &mut dyn FnMut(CommuneTerm<'_>)) {
        for (sym, c) in self.communes.iter().enumerate() {
            visit(CommuneTerm {
                sym: sym as u32,
                code: &c.code,
                name: c.name.as_deref(),
                level: c.level.as_deref(),
                parent: c.parent.as_deref(),
                boundary: c.boundary.as_ref().map(|(l, id, bbox, _)| (*l, *id, *bbox)),
            });
        }
    }

    fn commune_at(&self, lon: f64, lat: f64) -> Option<String> {
        // Boundaries in layer order, features by id, as the index's R-tree gives them.
        let p = Point::new(lon, lat);
        let mut found: Vec<(u16, FeatureId, &str)> = self
            .communes
            .iter()
            .filter_map(|c| {
                let (l, id, b, mp) = c.boundary.as_ref()?;
                let inside = lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3];
                (inside && mp.contains(&p)).then_some((*l, *id, c.name.as_deref()?))
            })
            .collect();
        found.sort_unstable();
        found.first().map(|f| f.2.to_string())
    }

    fn numbered(
        &self,
        syms: Option<&[u32]>,
        sheet: i64,
        parcel: i64,
    ) -> Result<Vec<(u16, FeatureId)>, QueryError> {
        // Order: the communes' order as asked (all: by symbol), then layer, then id.
        let rank: HashMap<u32, usize> = match syms {
            Some(s) => s.iter().enumerate().map(|(i, &sym)| (sym, i)).collect(),
            None => (0..self.communes.len()).map(|i| (i as u32, i)).collect(),
        };
        // The communes' codes, so the (commune_code, sheet, parcel) index answers: one probe
        // per commune, not a scan of the index.
        let codes: Vec<&str> = rank
            .keys()
            .filter_map(|&sym| self.communes.get(sym as usize))
            .map(|c| c.code.as_str())
            .collect();
        let mut out: Vec<(usize, u16, FeatureId)> = Vec::new();
        for (li, (_, l)) in self.data.layers.iter().enumerate() {
            if l.entry.kind != Kind::Parcels || !has_numbers(l) {
                continue;
            }
            let sql = format!(
                "SELECT fid, commune_code FROM {} \
                 WHERE commune_code = ANY($3) AND sheet = $1 AND parcel = $2",
                super::ident(&l.table)
            );
            for row in self.data.query(&sql, &[&sheet, &parcel, &codes])? {
                let code: Option<String> = row.get(1);
                let Some(&r) = code
                    .and_then(|c| self.by_code.get(&c))
                    .and_then(|sym| rank.get(sym))
                else {
                    continue;
                };
                out.push((r, pos16(li), fid(&row)?));
            }
        }
        out.sort_unstable();
        Ok(out.into_iter().map(|(_, l, id)| (l, id)).collect())
    }

    fn parcel_facts(&self, layer: u16, id: FeatureId) -> Result<ParcelFacts, QueryError> {
        let (_, l) = self
            .data
            .layers
            .get(layer as usize)
            .ok_or_else(|| internal("a search hit of an unknown layer"))?;
        let select = Select::new(
            l,
            &[
                "commune_code",
                "sheet",
                "parcel",
                "address",
                "area_declared_m2",
                "area_m2",
            ],
        );
        let fid = i32::try_from(id).map_err(internal)?;
        let rows = self
            .data
            .query(&format!("{} WHERE fid = $1", select.sql), &[&fid])?;
        let row = rows
            .first()
            .ok_or_else(|| internal("a search hit's parcel is gone (a newer import?)"))?;
        let cells = select.cells(row);
        Ok(ParcelFacts {
            code: cells[0].str().unwrap_or_default().to_string(),
            sheet: cells[1].int().unwrap_or_default(),
            parcel: cells[2].int().unwrap_or_default(),
            address: cells[3].str().map(str::to_string),
            area_m2: cells[4].double().or_else(|| cells[5].double()),
            bbox: coords_bbox(geometry(row)?.coords_iter()),
        })
    }

    fn commune_label(&self, code: &str) -> Option<(Option<&str>, Option<&str>)> {
        let c = &self.communes[*self.by_code.get(code)? as usize];
        Some((c.level.as_deref(), c.name.as_deref()))
    }
}
