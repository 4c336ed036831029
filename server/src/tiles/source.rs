//! A store as a tile source: which store layers go into which tile set, and what each kind
//! of layer shows at each zoom (see `docs/tiles.md`). The store is the embedded index (what
//! the server serves) or a PostGIS store (`quyhoach tiles --store postgresql://…`): both
//! lend the same features with the same values, so their tiles are the same bytes.

use std::borrow::Cow;
use std::sync::Arc;

use geo::InteriorPoint;
use quyhoach_data::index::{union_bbox, ValueRef};
use quyhoach_data::lookup::{FeatureValues, Store};
use quyhoach_data::schema::Kind;
use quyhoach_data::store::Catalog;
use quyhoach_tiles::{
    AttrType, Attribute, GeomKind, LayerSpec, PropValue, Properties, SourceFeature, TileSource,
};

/// Deepest zoom of the tile sets served from the store: at z18 a tile pixel (1/4096 of a
/// tile) is 4 cm on the ground in Viet Nam, finer than any cadastral survey; MapLibre
/// overzooms beyond the TileJSON `maxzoom`.
pub const DEFAULT_MAXZOOM: u8 = 18;

/// First zoom of road centre lines: below it a district's streets are a grey smear.
pub const ROADS_MINZOOM: u8 = 10;
/// First zoom of red lines (chỉ giới đường đỏ): they are drawn on 1:2000 and 1:500 plans,
/// legible from about z13 (1 px ≈ 17 m).
pub const REDLINES_MINZOOM: u8 = 13;
/// First zoom of cadastral parcels: at z15 a typical 100–300 m² house lot is a few screen
/// pixels wide; earlier a tile over a town would hold tens of thousands of specks.
pub const PARCELS_MINZOOM: u8 = 15;
/// First zoom of parcel numbers (commune, sheet, parcel): the style labels them from z17.
pub const PARCEL_NUMBERS_MINZOOM: u8 = 16;
/// First zoom of the zones' indicators (density, floors, FAR, height).
pub const ZONE_DETAILS_MINZOOM: u8 = 14;

/// Name of the tile set that holds every store layer.
pub const COMBINED_TILESET: &str = "planning";

/// Suffix of a parcel layer's label points (`parcels` → `parcels-labels`): one point per
/// parcel inside it, carrying its numbers, in the one tile that contains the point. Labels
/// placed on the polygons would repeat on every tile a parcel crosses.
pub const LABELS_SUFFIX: &str = "-labels";

/// What tiles show of a parcel layer's label points.
pub fn label_spec(parcels_id: &str) -> LayerSpec {
    let mut spec = LayerSpec::new(&format!("{parcels_id}{LABELS_SUFFIX}"), GeomKind::Point);
    spec.description = format!("Label points of {parcels_id}: one per parcel, with its numbers");
    spec.minzoom = PARCEL_NUMBERS_MINZOOM;
    spec.maxzoom = DEFAULT_MAXZOOM;
    spec.attributes = parcel_numbers();
    spec
}

/// A parcel's numbers (commune, sheet, parcel), carried from [`PARCEL_NUMBERS_MINZOOM`].
fn parcel_numbers() -> Vec<Attribute> {
    use AttrType::{Number, String as Str};
    let attr = Attribute::new;
    vec![
        attr("commune_code", Str, PARCEL_NUMBERS_MINZOOM),
        attr("sheet", Number, PARCEL_NUMBERS_MINZOOM).essential(),
        attr("parcel", Number, PARCEL_NUMBERS_MINZOOM).essential(),
    ]
}

/// What tiles show of one layer of a kind.
pub fn layer_spec(id: &str, kind: Kind) -> LayerSpec {
    use AttrType::{Number, String as Str};
    let attr = Attribute::new;
    let mut spec = LayerSpec::new(
        id,
        if kind.is_polygonal() {
            GeomKind::Polygon
        } else {
            GeomKind::Line
        },
    );
    spec.maxzoom = DEFAULT_MAXZOOM;
    match kind {
        Kind::Parcels => {
            spec.description = "Cadastral parcels (thửa đất) with their current land use".into();
            spec.minzoom = PARCELS_MINZOOM;
            // One tile pixel² at z15 is about 1.4 m²: only slivers are dropped.
            spec.min_area_px2 = 1.0;
            spec.attributes = vec![attr("landuse", Str, PARCELS_MINZOOM).essential()];
            spec.attributes.extend(parcel_numbers());
            spec.attributes.push(attr("area_m2", Number, 17));
        }
        Kind::Zones => {
            spec.description =
                "Planned land-use zones (khu, ô quy hoạch) with their indicators".into();
            // Half a screen pixel of a 512-px tile: zones smaller than that would be
            // invisible specks at small scales.
            spec.min_area_px2 = 32.0;
            spec.attributes = vec![
                attr("plan_id", Str, 0).essential(),
                attr("landuse", Str, 0).essential(),
                attr("zone_id", Str, 0),
                attr("density_pct", Number, ZONE_DETAILS_MINZOOM),
                attr("floors_min", Number, ZONE_DETAILS_MINZOOM),
                attr("floors_max", Number, ZONE_DETAILS_MINZOOM),
                attr("far", Number, ZONE_DETAILS_MINZOOM),
                attr("height_m", Number, ZONE_DETAILS_MINZOOM),
            ];
        }
        Kind::Redlines => {
            spec.description = "Red lines (chỉ giới đường đỏ) of the plans".into();
            spec.minzoom = REDLINES_MINZOOM;
            spec.min_length_px = 4.0;
            spec.attributes = vec![
                attr("plan_id", Str, REDLINES_MINZOOM).essential(),
                attr("road_name", Str, REDLINES_MINZOOM),
                attr("width_m", Number, REDLINES_MINZOOM),
            ];
        }
        Kind::Boundaries => {
            spec.description = "Administrative boundaries (communes, wards)".into();
            spec.min_area_px2 = 32.0;
            spec.attributes = vec![
                attr("code", Str, 0).essential(),
                attr("name", Str, 0),
                attr("level", Str, 0),
            ];
        }
        Kind::Roads => {
            spec.description = "Road centre lines with their names".into();
            spec.minzoom = ROADS_MINZOOM;
            spec.min_length_px = 8.0;
            spec.attributes = vec![
                attr("class", Str, ROADS_MINZOOM).essential(),
                attr("name", Str, ROADS_MINZOOM),
            ];
        }
    }
    spec
}

/// Drawing order of the kinds in the combined tile set (first drawn first): plans under
/// parcels, lines over areas, boundaries on top.
fn kind_rank(kind: Kind) -> u8 {
    match kind {
        Kind::Zones => 0,
        Kind::Parcels => 1,
        Kind::Roads => 2,
        Kind::Redlines => 3,
        Kind::Boundaries => 4,
    }
}

/// Store layers as tile layers, in drawing order: by kind, and within a kind the layer
/// covering the largest box first (a district's land-use plan under the zoning plans of
/// one of its towns, and those under their local adjustments), then by id.
pub fn store_layer_specs(catalog: &Catalog) -> Vec<LayerSpec> {
    let mut layers: Vec<(u8, f64, &String, Kind)> = catalog
        .layers
        .iter()
        .map(|(id, e)| {
            let [w, s, e2, n] = e.bounds;
            let area = ((e2 - w) * (n - s)).abs();
            (
                kind_rank(e.kind),
                if area.is_finite() { area } else { 0.0 },
                id,
                e.kind,
            )
        })
        .collect();
    layers.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(b.2)));
    let labels: Vec<LayerSpec> = layers
        .iter()
        .filter(|l| l.3 == Kind::Parcels)
        .map(|l| label_spec(l.2))
        .collect();
    layers
        .into_iter()
        .map(|(_, _, id, k)| layer_spec(id, k))
        .chain(labels)
        .collect()
}

/// The tile source of a store (the embedded index or PostGIS), which the server serves.
pub type IndexSource = StoreSource;

/// A tile set over a store: some of its layers, each with its [`LayerSpec`].
pub struct StoreSource {
    store: Arc<dyn Store>,
    layers: Vec<LayerSpec>,
}

impl StoreSource {
    /// A source of the given layers (their names are store layer ids).
    pub fn new(store: Arc<dyn Store>, layers: Vec<LayerSpec>) -> StoreSource {
        StoreSource { store, layers }
    }

    /// The combined tile set (every store layer) or one store layer; None for an unknown
    /// name.
    pub fn for_tileset(store: &Arc<dyn Store>, name: &str) -> Option<StoreSource> {
        let all = store_layer_specs(store.catalog());
        let layers: Vec<LayerSpec> = if name == COMBINED_TILESET {
            all
        } else {
            all.into_iter().filter(|l| l.name == name).collect()
        };
        (!layers.is_empty()).then(|| StoreSource::new(store.clone(), layers))
    }

    /// The store's bounds `[w, s, e, n]` over this source's layers.
    pub fn bounds(&self) -> Option<[f64; 4]> {
        let cat = self.store.catalog();
        self.layers
            .iter()
            .filter_map(|l| cat.layers.get(&l.name))
            .map(|e| e.bounds)
            .filter(|b| b.iter().all(|v| v.is_finite()) && b[0] <= b[2] && b[1] <= b[3])
            .reduce(|a, b| union_bbox(Some(a), b))
    }

    /// Lowest zoom at which any layer appears.
    pub fn minzoom(&self) -> u8 {
        self.layers.iter().map(|l| l.minzoom).min().unwrap_or(0)
    }

    /// Highest zoom at which any layer appears.
    pub fn maxzoom(&self) -> u8 {
        self.layers
            .iter()
            .map(|l| l.maxzoom)
            .max()
            .unwrap_or(DEFAULT_MAXZOOM)
    }
}

/// A feature's attributes as the encoder asks for them.
struct Props<F>(F);

impl<F: FeatureValues> Properties for Props<F> {
    fn get(&self, name: &str) -> Option<PropValue<'_>> {
        Some(match self.0.value(name)? {
            ValueRef::Str(s) => PropValue::Str(Cow::Borrowed(s)),
            ValueRef::Int(i) => PropValue::Int(i),
            ValueRef::Double(d) => PropValue::Double(d),
        })
    }
}

impl TileSource for StoreSource {
    fn layers(&self) -> Vec<LayerSpec> {
        self.layers.clone()
    }

    fn query(&self, layer: &str, bbox: [f64; 4], visit: &mut dyn FnMut(&SourceFeature<'_>)) {
        // Label points: each parcel's interior point (inside it even when it is concave).
        if let Some(parcels) = layer.strip_suffix(LABELS_SUFFIX) {
            let kind = self.store.catalog().layers.get(parcels).map(|e| e.kind);
            if kind == Some(Kind::Parcels) {
                let _ = self.store.visit(parcels, bbox, &mut |f, g| {
                    if let Some(p) = g.interior_point() {
                        visit(&SourceFeature {
                            id: Some(u64::from(f.id())),
                            geometry: &geo_types::Geometry::Point(p),
                            properties: &Props(f),
                        })
                    }
                });
                return;
            }
        }
        // Layers come from the catalog of this very index: NotFound cannot happen.
        let _ = self.store.visit(layer, bbox, &mut |f, g| {
            visit(&SourceFeature {
                id: Some(u64::from(f.id())),
                geometry: g,
                properties: &Props(f),
            })
        });
    }
}
