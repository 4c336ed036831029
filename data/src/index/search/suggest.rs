//! VN-2000 coordinates read with the wrong province.
//!
//! Each province has its own TM-3 central meridian (Circular 973/2001): the same X/Y read on
//! a neighbour's meridian lands tens of kilometres away, often on an empty map. When a point
//! finds no parcel, [`Index::vn2000_suggestions`] reads it on every other provincial meridian
//! and keeps those that land on a parcel (or inside the data's bounds).

use serde::Serialize;

use crate::planning::convert;
use crate::srs::{provinces, SrsSpec};

/// Another reading of a VN-2000 point.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Suggestion {
    /// The reference system to use instead, e.g. `vn2000:an-giang`.
    pub srs: String,
    /// The province (Vietnamese name) whose meridian this is; the first of several.
    pub province: String,
    /// Every province using this meridian.
    pub provinces: Vec<String>,
    /// Central meridian, decimal degrees.
    pub meridian: f64,
    /// Where the point lands, WGS 84.
    pub lon: f64,
    /// Where the point lands, WGS 84.
    pub lat: f64,
    /// The parcel it lands on (`commune/sheet/parcel`), if any.
    pub parcel: Option<String>,
}

impl dyn crate::lookup::Store + '_ {
    /// Readings of the VN-2000 point (`easting`, `northing`) on the provincial meridians other
    /// than `srs`'s that land on a parcel of the store, or else inside its data bounds; the
    /// ones on a parcel first, then nearest to the original meridian. Empty when `srs` is not
    /// a VN-2000 TM-3 system.
    pub fn vn2000_suggestions(&self, easting: f64, northing: f64, srs: &str) -> Vec<Suggestion> {
        let Ok(SrsSpec::Vn2000Tm3 { meridian, .. }) = srs.parse::<SrsSpec>() else {
            return Vec::new();
        };
        let bounds = self
            .catalog()
            .layers
            .values()
            .filter(|l| l.count > 0 && l.bounds.iter().all(|v| v.is_finite()))
            .fold(None, |acc, l| Some(super::super::union_bbox(acc, l.bounds)));
        let Some(b) = bounds else {
            return Vec::new();
        };
        let mut meridians: Vec<f64> = provinces().iter().map(|p| p.meridian).collect();
        meridians.sort_by(f64::total_cmp);
        meridians.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
        let mut out = Vec::new();
        for m in meridians {
            if (m - meridian).abs() < 1e-9 {
                continue;
            }
            let Ok(pts) = convert(&[(easting, northing)], &format!("vn2000:tm3:{m}"), true) else {
                continue;
            };
            let Some(&(lon, lat)) = pts.first() else {
                continue;
            };
            if !(lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3]) {
                continue;
            }
            let parcel = self.parcels_at(lon, lat).ok().and_then(|found| {
                found.first().map(|f| {
                    let g = |k: &str| {
                        f.properties
                            .get(k)
                            .map(|v| v.to_string().trim_matches('"').to_string())
                            .unwrap_or_default()
                    };
                    format!("{}/{}/{}", g("commune_code"), g("sheet"), g("parcel"))
                })
            });
            let using: Vec<_> = provinces()
                .iter()
                .filter(|p| (p.meridian - m).abs() < 1e-9)
                .collect();
            // The province whose box holds the point names the suggestion.
            let Some(first) = using
                .iter()
                .find(|p| {
                    p.bounds.is_some_and(|pb| {
                        lon >= pb[0] && lon <= pb[2] && lat >= pb[1] && lat <= pb[3]
                    })
                })
                .or(using.first())
            else {
                continue;
            };
            out.push(Suggestion {
                srs: format!("vn2000:{}", first.slug),
                province: first.name_vi.clone(),
                provinces: using.iter().map(|p| p.name_vi.clone()).collect(),
                meridian: m,
                lon,
                lat,
                parcel,
            });
        }
        out.sort_by(|a, b| {
            b.parcel.is_some().cmp(&a.parcel.is_some()).then(
                (a.meridian - meridian)
                    .abs()
                    .total_cmp(&(b.meridian - meridian).abs()),
            )
        });
        out
    }
}
