//! TileJSON 3.0.0 (<https://github.com/mapbox/tilejson-spec/tree/master/3.0.0>).

use serde_json::{json, Value};

use crate::source::LayerSpec;

/// The `vector_layers` array of TileJSON and of PMTiles metadata, with each layer's zooms
/// clamped to the tile set's.
pub fn vector_layers(layers: &[LayerSpec], minzoom: u8, maxzoom: u8) -> Value {
    Value::Array(
        layers
            .iter()
            .map(|l| l.vector_layer(minzoom, maxzoom))
            .collect(),
    )
}

/// A TileJSON 3.0.0 document for a vector tile set.
///
/// `tiles_url` is the template (`https://…/tiles/{z}/{x}/{y}.pbf`), `bounds` is `[west,
/// south, east, north]` in degrees and `center` is `[lon, lat, zoom]`.
pub fn tilejson(
    name: &str,
    tiles_url: &str,
    minzoom: u8,
    maxzoom: u8,
    bounds: [f64; 4],
    center: [f64; 3],
    vector_layers: &[LayerSpec],
) -> Value {
    json!({
        "tilejson": "3.0.0",
        "name": name,
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": bounds,
        "center": center,
        "vector_layers": self::vector_layers(vector_layers, minzoom, maxzoom),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{AttrType, Attribute, GeomKind};

    #[test]
    fn tilejson_has_required_fields() {
        let mut parcels = LayerSpec::new("parcels", GeomKind::Polygon);
        parcels.minzoom = 15;
        parcels.attributes = vec![Attribute::new("landuse", AttrType::String, 15).essential()];
        let tj = tilejson(
            "quyhoach",
            "https://example.invalid/tiles/{z}/{x}/{y}.pbf",
            0,
            14,
            [105.0, 9.0, 106.0, 10.5],
            [105.5, 10.0, 12.0],
            &[parcels],
        );
        assert_eq!(tj["tilejson"], "3.0.0");
        assert_eq!(
            tj["tiles"][0],
            "https://example.invalid/tiles/{z}/{x}/{y}.pbf"
        );
        assert_eq!(tj["vector_layers"][0]["id"], "parcels");
        assert_eq!(tj["vector_layers"][0]["minzoom"], 14);
        assert_eq!(tj["vector_layers"][0]["fields"]["landuse"], "String");
        assert_eq!(tj["center"][2], 12.0);
    }
}
