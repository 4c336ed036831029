//! The map style: `/styles/planning.json`, a MapLibre style (version 8) over the combined
//! tile set, with absolute URLs on the host the client used.
//!
//! Layer ids follow the store: each plan's zones are filled by a layer whose id is the
//! store layer id (`zones-qhsdd-2030`), so the web page toggles a plan by that id; outlines
//! and labels of a layer are `{id}-outline` and `{id}-label`. Zones are coloured by their
//! planned land use, parcels' current land use is an alternative fill (`parcels-landuse`,
//! hidden by default). A value with several codes ("ONT+CLN") takes the colour of its first
//! code: every code of Circular 08/2024 and of the legacy 27/2018 table is three letters,
//! so the style matches on `slice(landuse, 0, 3)` — no extra attribute in the tiles. Zones
//! and red lines of draft plans are drawn dashed and paler.

use quyhoach_data::index::union_bbox;
use quyhoach_data::landuse::{codes, lookup, LEGACY_CODES};
use quyhoach_data::lookup::Store;
use quyhoach_data::plans::PlanStatus;
use quyhoach_data::schema::Kind;
use serde_json::{json, Value};

use crate::glyphs::{FONT_BOLD, FONT_REGULAR};
use crate::tiles::source::{
    store_layer_specs, LABELS_SUFFIX, PARCELS_MINZOOM, REDLINES_MINZOOM, ROADS_MINZOOM,
};
use crate::tiles::COMBINED_TILESET;

/// A zoom function: MapLibre's `["interpolate", ["exponential", base], ["zoom"], z, v, …]`
/// (`base` 1 is linear).
#[derive(Debug, Clone, Copy)]
pub struct ZoomStops {
    /// Exponential base.
    pub base: f64,
    /// (zoom, value), zooms ascending.
    pub stops: &'static [(f64, f64)],
}

impl ZoomStops {
    /// The style expression.
    pub fn json(&self) -> Value {
        let kind = if (self.base - 1.0).abs() < 1e-9 {
            json!(["linear"])
        } else {
            json!(["exponential", self.base])
        };
        let mut e = vec![json!("interpolate"), kind, json!(["zoom"])];
        for &(z, v) in self.stops {
            e.push(json!(z));
            e.push(json!(v));
        }
        Value::Array(e)
    }

    /// The value at `zoom`, as MapLibre evaluates the expression.
    pub fn at(&self, zoom: f64) -> f64 {
        let Some(&(z0, v0)) = self.stops.first() else {
            return 0.0;
        };
        if zoom <= z0 {
            return v0;
        }
        for w in self.stops.windows(2) {
            let ((za, va), (zb, vb)) = (w[0], w[1]);
            if zoom <= zb {
                let t = if (self.base - 1.0).abs() < 1e-9 {
                    (zoom - za) / (zb - za)
                } else {
                    (self.base.powf(zoom - za) - 1.0) / (self.base.powf(zb - za) - 1.0)
                };
                return va + t * (vb - va);
            }
        }
        self.stops.last().map_or(0.0, |s| s.1)
    }
}

/// How the style draws a kind of line. The server's picture of the map (`preview.rs`)
/// draws with the same values, so the two look alike.
#[derive(Debug, Clone, Copy)]
pub struct LinePaint {
    /// `line-color`.
    pub color: &'static str,
    /// `line-width`, CSS pixels by zoom.
    pub width: ZoomStops,
    /// `line-dasharray`, in line widths (none: solid).
    pub dash: Option<[f64; 2]>,
}

impl LinePaint {
    /// The paint properties.
    fn json(&self) -> Value {
        let mut p = json!({"line-color": self.color, "line-width": self.width.json()});
        if let Some(d) = self.dash {
            p["line-dasharray"] = json!(d);
        }
        p
    }
}

/// The map's background.
pub const BACKGROUND: &str = "#F4F1EA";
/// Outlines of zones of plans in force.
pub const ZONE_OUTLINE: LinePaint = LinePaint {
    color: "#5A5A5A",
    width: ZoomStops {
        base: 1.0,
        stops: &[(10.0, 0.3), (16.0, 1.2)],
    },
    dash: None,
};
/// Outlines of zones of draft plans: violet, dashed.
pub const DRAFT_ZONE_OUTLINE: LinePaint = LinePaint {
    color: "#7A4FBF",
    dash: Some([3.0, 2.0]),
    ..ZONE_OUTLINE
};
/// Parcel outlines (drawn at 0.8 opacity).
pub const PARCEL_LINE: LinePaint = LinePaint {
    color: "#6B4F2A",
    width: ZoomStops {
        base: 1.0,
        stops: &[(15.0, 0.3), (18.0, 1.0)],
    },
    dash: None,
};
/// Road centre lines.
pub const ROAD: LinePaint = LinePaint {
    color: "#FFFFFF",
    width: ZoomStops {
        base: 1.5,
        stops: &[(10.0, 0.8), (14.0, 3.0), (18.0, 14.0)],
    },
    dash: None,
};
/// Red lines of plans in force.
pub const REDLINE: LinePaint = LinePaint {
    color: "#E00000",
    width: ZoomStops {
        base: 1.0,
        stops: &[(13.0, 1.5), (18.0, 4.0)],
    },
    dash: None,
};
/// Commune boundaries.
pub const BOUNDARY: LinePaint = LinePaint {
    color: "#8E3B8E",
    width: ZoomStops {
        base: 1.0,
        stops: &[(8.0, 0.8), (16.0, 2.5)],
    },
    dash: Some([4.0, 2.0]),
};

/// Colour of land-use codes missing from the table.
const UNKNOWN_COLOR: &str = "#CCCCCC";

/// Zoom from which zones show their land-use code.
pub const ZONE_LABELS_MINZOOM: u8 = 15;
/// Zoom from which parcels show their numbers.
pub const PARCEL_LABELS_MINZOOM: u8 = 17;

/// `["match", first code of landuse, code, colour, …, default]`.
pub fn landuse_color() -> Value {
    let mut m = vec![
        json!("match"),
        json!(["slice", ["coalesce", ["get", "landuse"], ""], 0, 3]),
    ];
    for c in codes() {
        m.push(json!(c.code));
        m.push(json!(c.color));
    }
    for (old, new) in LEGACY_CODES {
        if let Some(c) = lookup(new) {
            m.push(json!(old));
            m.push(json!(c.color));
        }
    }
    m.push(json!(UNKNOWN_COLOR));
    Value::Array(m)
}

/// The colour `landuse_color()` gives a land-use value: its first code's (a legacy code
/// takes its successor's), grey when unknown.
pub fn landuse_colour_of(value: Option<&str>) -> &'static str {
    let code: String = value.unwrap_or("").chars().take(3).collect();
    let code = LEGACY_CODES
        .iter()
        .find(|(old, _)| *old == code)
        .map_or(code.as_str(), |(_, new)| new);
    lookup(code).map_or(UNKNOWN_COLOR, |c| c.color.as_str())
}

pub(crate) fn is_draft(index: &dyn Store, layer: &str) -> bool {
    let cat = index.catalog();
    let Some(e) = cat.layers.get(layer) else {
        return false;
    };
    let plans: Vec<&String> = e.plan.iter().chain(e.plans.iter()).collect();
    !plans.is_empty()
        && plans.iter().all(|p| {
            cat.plans
                .get(*p)
                .is_some_and(|p| p.status == PlanStatus::Draft)
        })
}

/// Puts the tile set's TileJSON (tile URLs, zooms, bounds) into the style's source in place
/// of its `url`: MapLibre then asks for tiles at once instead of fetching the TileJSON first,
/// a round trip that costs 2 s on a slow 3G link.
pub fn inline_tileset(style: &mut Value, tilejson: &Value) {
    let Some(src) = style["sources"][COMBINED_TILESET].as_object_mut() else {
        return;
    };
    for k in ["tiles", "minzoom", "maxzoom", "bounds"] {
        if let Some(v) = tilejson.get(k) {
            src.insert(k.into(), v.clone());
        }
    }
    if src.contains_key("tiles") {
        src.remove("url");
    }
}

/// Points the style's planning source at a PMTiles archive on a static host (`url`, as
/// [`crate::tiles::map_archive_url`] accepted it; a path is completed with `base`): the web
/// map reads the archive's directory and tiles with range requests (the `pmtiles` protocol).
pub fn archive_tileset(style: &mut Value, base: &str, url: &str) {
    let Some(src) = style["sources"][COMBINED_TILESET].as_object_mut() else {
        return;
    };
    let full = if url.starts_with('/') {
        format!("{base}{url}")
    } else {
        url.to_string()
    };
    src.insert("url".into(), Value::String(format!("pmtiles://{full}")));
}

/// The style document.
pub fn planning_style(index: &dyn Store, base: &str) -> Value {
    let src = COMBINED_TILESET;
    let specs = store_layer_specs(index.catalog());
    let kind_of = |id: &str| index.layer_entry(id).map(|e| e.kind);
    let mut layers = vec![json!({
        "id": "background",
        "type": "background",
        "paint": {"background-color": BACKGROUND},
    })];
    let mut meta_layers = serde_json::Map::new();
    let ids_of = |k: Kind| -> Vec<String> {
        specs
            .iter()
            .filter(|s| kind_of(&s.name) == Some(k))
            .map(|s| s.name.clone())
            .collect()
    };
    // Plans: fills, then outlines, at the bottom.
    for id in ids_of(Kind::Zones) {
        let draft = is_draft(index, &id);
        meta_layers.insert(
            id.clone(),
            json!({"kind": "zones", "draft": draft, "plan": index.layer_entry(&id).and_then(|e| e.plan.clone()),
                   "style_layers": [&id, format!("{id}-outline"), format!("{id}-label")]}),
        );
        layers.push(json!({
            "id": id, "type": "fill", "source": src, "source-layer": id,
            "paint": {
                "fill-color": landuse_color(),
                "fill-opacity": if draft { 0.35 } else { 0.65 },
            },
        }));
        let line_paint = if draft {
            DRAFT_ZONE_OUTLINE
        } else {
            ZONE_OUTLINE
        }
        .json();
        layers.push(json!({
            "id": format!("{id}-outline"), "type": "line", "source": src, "source-layer": id,
            "minzoom": 10, "paint": line_paint,
        }));
    }
    // Current land use of parcels (hidden), then parcel outlines.
    for id in ids_of(Kind::Parcels) {
        meta_layers.insert(
            id.clone(),
            json!({"kind": "parcels", "style_layers": [&id, format!("{id}-landuse"), format!("{id}-label")]}),
        );
        layers.push(json!({
            "id": format!("{id}-landuse"), "type": "fill", "source": src, "source-layer": id,
            "minzoom": PARCELS_MINZOOM, "layout": {"visibility": "none"},
            "paint": {"fill-color": landuse_color(), "fill-opacity": 0.7},
        }));
        let mut paint = PARCEL_LINE.json();
        paint["line-opacity"] = json!(0.8);
        layers.push(json!({
            "id": id, "type": "line", "source": src, "source-layer": id,
            "minzoom": PARCELS_MINZOOM, "paint": paint,
        }));
    }
    for id in ids_of(Kind::Roads) {
        meta_layers.insert(
            id.clone(),
            json!({"kind": "roads", "style_layers": [&id, format!("{id}-label")]}),
        );
        layers.push(json!({
            "id": id, "type": "line", "source": src, "source-layer": id,
            "minzoom": ROADS_MINZOOM,
            "layout": {"line-cap": "round", "line-join": "round"},
            "paint": ROAD.json(),
        }));
    }
    for id in ids_of(Kind::Redlines) {
        let draft = is_draft(index, &id);
        meta_layers.insert(
            id.clone(),
            json!({"kind": "redlines", "draft": draft, "plan": index.layer_entry(&id).and_then(|e| e.plan.clone()),
                   "style_layers": [&id]}),
        );
        let mut paint = REDLINE.json();
        if draft {
            paint["line-dasharray"] = json!([2, 1.5]);
            paint["line-opacity"] = json!(0.7);
        }
        layers.push(json!({
            "id": id, "type": "line", "source": src, "source-layer": id,
            "minzoom": REDLINES_MINZOOM, "paint": paint,
        }));
    }
    for id in ids_of(Kind::Boundaries) {
        meta_layers.insert(
            id.clone(),
            json!({"kind": "boundaries", "style_layers": [&id, format!("{id}-label")]}),
        );
        layers.push(json!({
            "id": id, "type": "line", "source": src, "source-layer": id,
            "paint": BOUNDARY.json(),
        }));
    }
    // Labels last, so that nothing is drawn over them.
    let halo =
        json!({"text-color": "#222222", "text-halo-color": "#FFFFFF", "text-halo-width": 1.5});
    for id in ids_of(Kind::Zones) {
        layers.push(json!({
            "id": format!("{id}-label"), "type": "symbol", "source": src, "source-layer": id,
            "minzoom": ZONE_LABELS_MINZOOM,
            "layout": {
                "text-field": ["coalesce", ["get", "landuse"], ""],
                "text-font": [FONT_BOLD], "text-size": 12,
            },
            "paint": halo,
        }));
    }
    for id in ids_of(Kind::Parcels) {
        // On the label points (one per parcel), not the polygons (one piece per tile).
        layers.push(json!({
            "id": format!("{id}-label"), "type": "symbol", "source": src,
            "source-layer": format!("{id}{LABELS_SUFFIX}"),
            "metadata": {"qh:group": id},
            "minzoom": PARCEL_LABELS_MINZOOM,
            "filter": ["has", "parcel"],
            "layout": {
                "text-field": ["case",
                    ["has", "sheet"],
                    ["concat", ["to-string", ["get", "sheet"]], "/", ["to-string", ["get", "parcel"]]],
                    ["to-string", ["get", "parcel"]]],
                "text-font": [FONT_REGULAR], "text-size": 11,
            },
            "paint": {"text-color": "#5A3D1A", "text-halo-color": "#FFFFFF", "text-halo-width": 1},
        }));
    }
    for id in ids_of(Kind::Roads) {
        layers.push(json!({
            "id": format!("{id}-label"), "type": "symbol", "source": src, "source-layer": id,
            "minzoom": 13, "filter": ["has", "name"],
            "layout": {
                "symbol-placement": "line", "text-field": ["get", "name"],
                "text-font": [FONT_REGULAR], "text-size": 12,
            },
            "paint": halo,
        }));
    }
    for id in ids_of(Kind::Boundaries) {
        layers.push(json!({
            "id": format!("{id}-label"), "type": "symbol", "source": src, "source-layer": id,
            "filter": ["has", "name"],
            "layout": {
                "text-field": ["get", "name"], "text-font": [FONT_BOLD],
                "text-size": ["interpolate", ["linear"], ["zoom"], 10, 11, 16, 16],
            },
            "paint": {"text-color": "#6A1B6A", "text-halo-color": "#FFFFFF", "text-halo-width": 2},
        }));
    }
    let bounds = index
        .catalog()
        .layers
        .values()
        .map(|e| e.bounds)
        .filter(|b| b.iter().all(|v| v.is_finite()))
        .reduce(|a, b| union_bbox(Some(a), b))
        .unwrap_or([102.0, 8.0, 110.0, 23.5]);
    json!({
        "version": 8,
        "name": "quyhoach — bản đồ quy hoạch",
        "metadata": {"quyhoach:layers": meta_layers},
        "sources": {
            src: {
                "type": "vector",
                "url": format!("{base}/tiles/{src}.json"),
                "attribution": "quyhoach",
            },
        },
        "center": [(bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0],
        "zoom": 13,
        "glyphs": format!("{base}/fonts/{{fontstack}}/{{range}}.pbf"),
        "layers": layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_maplibre_interpolation() {
        let road = ROAD.width;
        assert_eq!(road.at(9.0), 0.8);
        assert_eq!(road.at(20.0), 14.0);
        let linear = ZoomStops {
            base: 1.0,
            stops: &[(10.0, 0.0), (20.0, 10.0)],
        };
        assert!((linear.at(15.0) - 5.0).abs() < 1e-9);
        // Exponential: less than halfway at the middle zoom.
        assert!(road.at(12.0) < 1.9);
        assert_eq!(
            road.json(),
            json!([
                "interpolate",
                ["exponential", 1.5],
                ["zoom"],
                10.0,
                0.8,
                14.0,
                3.0,
                18.0,
                14.0
            ])
        );
    }

    #[test]
    fn colours_follow_the_first_code() {
        assert_eq!(
            landuse_colour_of(Some("ONT+CLN")),
            lookup("ONT").unwrap().color
        );
        assert_eq!(landuse_colour_of(None), UNKNOWN_COLOR);
    }
}
