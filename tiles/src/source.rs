//! Where tiles get their features from: the [`TileSource`] trait (the server implements it on
//! its in-memory index; [`MemorySource`] is a plain implementation for tests and small data),
//! and the per-layer rules of what a tile shows at each zoom ([`LayerSpec`]).

use std::borrow::Cow;

use geo::BoundingRect;
use geo_types::Geometry;
use serde::Serialize;

/// The geometry kind of a layer, as encoded in tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GeomKind {
    /// Polygons and multipolygons (parcels, zones, boundaries).
    Polygon,
    /// Line strings and multi-line strings (red lines, roads).
    Line,
    /// Points (label anchors). Each point goes into the one tile that contains it, never
    /// into neighbours' buffers: a label is placed once, not once per tile it is near.
    Point,
}

/// The type of an attribute, as TileJSON's `vector_layers` fields name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AttrType {
    /// Text.
    String,
    /// Integer or real number.
    Number,
    /// true/false.
    Boolean,
}

impl AttrType {
    /// The TileJSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "String",
            AttrType::Number => "Number",
            AttrType::Boolean => "Boolean",
        }
    }
}

/// One attribute a layer's tiles carry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribute {
    /// Property name, as the source's [`Properties::get`] knows it.
    pub name: String,
    /// Its type (for TileJSON).
    pub ty: AttrType,
    /// First zoom at which tiles carry it: labels and details cost bytes that small-scale
    /// tiles cannot afford.
    pub minzoom: u8,
    /// Kept even when an over-size tile is trimmed to its essential attributes (ids and
    /// land-use codes that styles colour by).
    pub essential: bool,
}

impl Attribute {
    /// An attribute carried from `minzoom` on, not essential.
    pub fn new(name: &str, ty: AttrType, minzoom: u8) -> Attribute {
        Attribute {
            name: name.to_owned(),
            ty,
            minzoom,
            essential: false,
        }
    }

    /// The same attribute, marked essential.
    pub fn essential(mut self) -> Attribute {
        self.essential = true;
        self
    }
}

/// What a layer's tiles show at each zoom.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerSpec {
    /// Layer name in tiles and TileJSON (`parcels`, `zones`…).
    pub name: String,
    /// One-line description for TileJSON.
    pub description: String,
    /// Geometry kind; features of the other kind are skipped.
    pub kind: GeomKind,
    /// First zoom at which the layer appears (parcels only where they are visible).
    pub minzoom: u8,
    /// Last zoom at which the layer appears (clients overzoom beyond an archive's maxzoom).
    pub maxzoom: u8,
    /// Attributes carried, each from its own zoom on.
    pub attributes: Vec<Attribute>,
    /// Polygons whose whole area (before clipping) is below this many square tile pixels
    /// (of [`EXTENT`](crate::EXTENT)) at a zoom are left out of that zoom's tiles. One
    /// screen pixel of a 512-px tile is 8 × 8 = 64 tile pixels².
    pub min_area_px2: f64,
    /// Lines whose whole length (before clipping) is below this many tile pixels are left out.
    pub min_length_px: f64,
}

impl LayerSpec {
    /// A layer with no attributes, shown at every zoom, dropping nothing.
    pub fn new(name: &str, kind: GeomKind) -> LayerSpec {
        LayerSpec {
            name: name.to_owned(),
            description: String::new(),
            kind,
            minzoom: 0,
            maxzoom: crate::MAX_ZOOM,
            attributes: Vec::new(),
            min_area_px2: 0.0,
            min_length_px: 0.0,
        }
    }

    /// Whether tiles at zoom `z` carry this layer.
    pub fn visible_at(&self, z: u8) -> bool {
        (self.minzoom..=self.maxzoom).contains(&z)
    }

    /// The attributes carried at zoom `z`; only the essential ones when `essential_only`.
    pub fn attributes_at(&self, z: u8, essential_only: bool) -> impl Iterator<Item = &Attribute> {
        self.attributes
            .iter()
            .filter(move |a| a.minzoom <= z && (a.essential || !essential_only))
    }

    /// The TileJSON 3.0 `vector_layers` entry, with zooms clamped to `[minzoom, maxzoom]` of
    /// the tile set.
    pub fn vector_layer(&self, minzoom: u8, maxzoom: u8) -> serde_json::Value {
        let fields: serde_json::Map<String, serde_json::Value> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.as_str().into()))
            .collect();
        let mut v = serde_json::json!({
            "id": self.name,
            "fields": fields,
            "minzoom": self.minzoom.clamp(minzoom, maxzoom),
            "maxzoom": self.maxzoom.clamp(minzoom, maxzoom),
        });
        if !self.description.is_empty() {
            v["description"] = self.description.clone().into();
        }
        v
    }
}

/// A property value, borrowed from the source where it can be.
#[derive(Debug, Clone, PartialEq)]
pub enum PropValue<'a> {
    /// Text.
    Str(Cow<'a, str>),
    /// Whole number.
    Int(i64),
    /// Real number (NaN and infinities are left out of tiles).
    Double(f64),
    /// true/false.
    Bool(bool),
}

impl PropValue<'_> {
    /// The same value, owning its text.
    pub fn into_owned(self) -> PropValue<'static> {
        match self {
            PropValue::Str(s) => PropValue::Str(Cow::Owned(s.into_owned())),
            PropValue::Int(i) => PropValue::Int(i),
            PropValue::Double(d) => PropValue::Double(d),
            PropValue::Bool(b) => PropValue::Bool(b),
        }
    }
}

impl From<&str> for PropValue<'static> {
    fn from(s: &str) -> Self {
        PropValue::Str(Cow::Owned(s.to_owned()))
    }
}
impl From<i64> for PropValue<'static> {
    fn from(i: i64) -> Self {
        PropValue::Int(i)
    }
}
impl From<f64> for PropValue<'static> {
    fn from(d: f64) -> Self {
        PropValue::Double(d)
    }
}
impl From<bool> for PropValue<'static> {
    fn from(b: bool) -> Self {
        PropValue::Bool(b)
    }
}

/// A feature's properties, looked up by name (only the names a [`LayerSpec`] asks for at a
/// zoom are looked up, so a source need not build a map per feature).
pub trait Properties {
    /// The value of property `name`, None when absent or null.
    fn get(&self, name: &str) -> Option<PropValue<'_>>;
}

impl Properties for Vec<(String, PropValue<'static>)> {
    fn get(&self, name: &str) -> Option<PropValue<'_>> {
        self.iter().find(|(k, _)| k == name).map(|(_, v)| match v {
            PropValue::Str(s) => PropValue::Str(Cow::Borrowed(s.as_ref())),
            other => other.clone(),
        })
    }
}

/// A feature handed to the encoder: its geometry and properties are borrowed from the source
/// for the duration of one call of the visitor, so an index can lend what it holds.
pub struct SourceFeature<'a> {
    /// Feature id written to the tile (MVT `id`), None for none. Features are written in id
    /// order, so a source that gives ids need not sort what it visits.
    pub id: Option<u64>,
    /// Geometry in longitude/latitude (EPSG:4326 axis order x = lon, y = lat).
    pub geometry: &'a Geometry<f64>,
    /// Properties.
    pub properties: &'a dyn Properties,
}

/// A source of features for tiles.
///
/// `query` must visit every feature of `layer` whose geometry may intersect `bbox_lonlat`
/// (`[west, south, east, north]`); it may visit more (the encoder clips), and must visit the
/// same features in the same order for the same arguments (tiles are built in parallel and
/// must come out the same every time).
pub trait TileSource: Send + Sync {
    /// The layers, in drawing order (first drawn first).
    fn layers(&self) -> Vec<LayerSpec>;

    /// Calls `visit` once for each feature of `layer` that may intersect `bbox_lonlat`.
    fn query(&self, layer: &str, bbox_lonlat: [f64; 4], visit: &mut dyn FnMut(&SourceFeature<'_>));
}

/// One feature of a [`MemorySource`].
#[derive(Debug, Clone)]
pub struct MemoryFeature {
    /// Feature id.
    pub id: Option<u64>,
    /// Geometry in longitude/latitude.
    pub geometry: Geometry<f64>,
    /// Properties.
    pub properties: Vec<(String, PropValue<'static>)>,
    bbox: [f64; 4],
}

impl MemoryFeature {
    /// A feature.
    pub fn new(
        id: Option<u64>,
        geometry: Geometry<f64>,
        properties: Vec<(String, PropValue<'static>)>,
    ) -> MemoryFeature {
        let bbox = geometry
            .bounding_rect()
            .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
            .unwrap_or([f64::NAN; 4]);
        MemoryFeature {
            id,
            geometry,
            properties,
            bbox,
        }
    }
}

/// Features held in memory, found by a linear scan of bounding boxes: for tests, examples and
/// small layers (the server uses its R-tree index instead).
#[derive(Debug, Clone, Default)]
pub struct MemorySource {
    layers: Vec<(LayerSpec, Vec<MemoryFeature>)>,
}

impl MemorySource {
    /// An empty source.
    pub fn new() -> MemorySource {
        MemorySource::default()
    }

    /// Adds a layer (drawn after the layers added before it).
    pub fn add_layer(&mut self, spec: LayerSpec, features: Vec<MemoryFeature>) -> &mut Self {
        self.layers.push((spec, features));
        self
    }
}

impl TileSource for MemorySource {
    fn layers(&self) -> Vec<LayerSpec> {
        self.layers.iter().map(|(s, _)| s.clone()).collect()
    }

    fn query(&self, layer: &str, b: [f64; 4], visit: &mut dyn FnMut(&SourceFeature<'_>)) {
        let Some((_, features)) = self.layers.iter().find(|(s, _)| s.name == layer) else {
            return;
        };
        for f in features {
            let fb = f.bbox;
            if fb[0] <= b[2] && fb[2] >= b[0] && fb[1] <= b[3] && fb[3] >= b[1] {
                visit(&SourceFeature {
                    id: f.id,
                    geometry: &f.geometry,
                    properties: &f.properties,
                });
            }
        }
    }
}
