//! GeoJSON (RFC 7946) in and out: geometries of served features, and the polygonal sites
//! users send for a planning report, checked before any query work.

use geo::BoundingRect;
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Polygon};
use quyhoach_data::index::FeatureOut;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{AppError, Result};

/// Most vertices accepted in a drawn or uploaded site. A cadastral parcel has tens of
/// vertices, a surveyed project boundary hundreds, a digitised district boundary a few
/// thousand. 20,000 vertices of GeoJSON is about 0.8 MB, under the body limit; validity is
/// checked by GEOS in O(n log n) (`quyhoach_data::validity`), so the cap bounds report work.
pub const MAX_SITE_VERTICES: usize = 20_000;

/// Largest accepted extent of a site, in degrees of longitude or latitude (about 22 km):
/// a report is about a site, not a district; larger areas are better served by the layers
/// themselves (OGC API - Features, tiles).
pub const MAX_SITE_SPAN_DEG: f64 = 0.2;

/// Most polygons in a site's MultiPolygon or FeatureCollection.
pub const MAX_SITE_POLYGONS: usize = 500;

/// Coordinates are written with 7 decimals (about 1 cm), enough for cadastral boundaries.
fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

/// A position `[longitude, latitude]`, WGS 84 degrees with 7 decimals.
pub type Position = [f64; 2];

fn coord(c: &Coord<f64>) -> Position {
    [round7(c.x), round7(c.y)]
}

fn line(l: &LineString<f64>) -> Vec<Position> {
    l.0.iter().map(coord).collect()
}

fn polygon(p: &Polygon<f64>) -> Vec<Vec<Position>> {
    let mut rings = vec![line(p.exterior())];
    rings.extend(p.interiors().iter().map(line));
    rings
}

/// A GeoJSON geometry object (RFC 7946 §3.1), WGS 84 (CRS84).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(tag = "type")]
pub enum GeoJsonGeometry {
    /// A point.
    Point {
        /// `[lon, lat]`.
        coordinates: Position,
    },
    /// Points.
    MultiPoint {
        /// The points.
        coordinates: Vec<Position>,
    },
    /// A line.
    LineString {
        /// Its vertices.
        coordinates: Vec<Position>,
    },
    /// Lines.
    MultiLineString {
        /// Each line's vertices.
        coordinates: Vec<Vec<Position>>,
    },
    /// A polygon.
    Polygon {
        /// Its rings, the exterior first, each closed.
        coordinates: Vec<Vec<Position>>,
    },
    /// Polygons.
    MultiPolygon {
        /// Each polygon's rings.
        coordinates: Vec<Vec<Vec<Position>>>,
    },
    /// Several geometries.
    GeometryCollection {
        /// The geometries.
        geometries: Vec<GeoJsonGeometry>,
    },
}

impl From<&Geometry<f64>> for GeoJsonGeometry {
    fn from(g: &Geometry<f64>) -> Self {
        use GeoJsonGeometry as G;
        match g {
            Geometry::Point(p) => G::Point {
                coordinates: coord(&p.0),
            },
            Geometry::MultiPoint(m) => G::MultiPoint {
                coordinates: m.0.iter().map(|p| coord(&p.0)).collect(),
            },
            Geometry::Line(l) => G::LineString {
                coordinates: vec![coord(&l.start), coord(&l.end)],
            },
            Geometry::LineString(l) => G::LineString {
                coordinates: line(l),
            },
            Geometry::MultiLineString(m) => G::MultiLineString {
                coordinates: m.0.iter().map(line).collect(),
            },
            Geometry::Polygon(p) => G::Polygon {
                coordinates: polygon(p),
            },
            Geometry::MultiPolygon(m) => G::MultiPolygon {
                coordinates: m.0.iter().map(polygon).collect(),
            },
            Geometry::Rect(r) => G::Polygon {
                coordinates: polygon(&r.to_polygon()),
            },
            Geometry::Triangle(t) => G::Polygon {
                coordinates: polygon(&t.to_polygon()),
            },
            Geometry::GeometryCollection(c) => G::GeometryCollection {
                geometries: c.0.iter().map(G::from).collect(),
            },
        }
    }
}

/// A geometry as a GeoJSON geometry object.
pub fn geometry_to_json(g: &Geometry<f64>) -> Value {
    serde_json::to_value(GeoJsonGeometry::from(g)).unwrap_or(Value::Null)
}

/// A web link (RFC 8288) as OGC API - Features writes it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Link {
    /// The target, absolute or relative to the server.
    pub href: String,
    /// How the target relates to this document: `self`, `alternate`, `item`, `items`,
    /// `collection`, `report`, `next`, `prev`, …
    pub rel: &'static str,
    /// The target's media type.
    #[serde(rename = "type")]
    pub media_type: &'static str,
    /// A title for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<&'static str>,
}

impl Link {
    /// A link without a title.
    pub fn new(href: impl Into<String>, rel: &'static str, media_type: &'static str) -> Self {
        Link {
            href: href.into(),
            rel,
            media_type,
            title: None,
        }
    }

    /// The same with a title.
    pub fn titled(mut self, title: &'static str) -> Self {
        self.title = Some(title);
        self
    }
}

/// Public properties only: `private_*` columns never leave the server, whatever the index
/// hands over (defence in depth; the index should already leave them out).
pub fn public_properties(props: &Map<String, Value>) -> Map<String, Value> {
    props
        .iter()
        .filter(|(k, _)| !k.starts_with("private_"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The one value of a GeoJSON Feature's `type`.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub enum FeatureType {
    /// A GeoJSON Feature.
    Feature,
}

/// The one value of a GeoJSON FeatureCollection's `type`.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub enum FeatureCollectionType {
    /// A GeoJSON FeatureCollection.
    FeatureCollection,
}

/// A served feature: a GeoJSON Feature (RFC 7946 §3.2).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Feature {
    /// `Feature`.
    #[serde(rename = "type")]
    pub kind: FeatureType,
    /// The feature's id within its layer (its OGC `featureId`).
    pub id: quyhoach_data::planning::FeatureId,
    /// The geometry, WGS 84.
    pub geometry: GeoJsonGeometry,
    /// The layer's public columns (see `/api/v1/layers`); personal data is never served.
    pub properties: Map<String, Value>,
    /// Related resources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

impl Feature {
    /// A served feature with the given links.
    pub fn new(f: &FeatureOut, links: Vec<Link>) -> Self {
        Feature {
            kind: FeatureType::Feature,
            id: f.id,
            geometry: GeoJsonGeometry::from(&f.geometry),
            properties: public_properties(&f.properties),
            links,
        }
    }
}

fn num(v: &Value) -> Result<f64> {
    v.as_f64()
        .filter(|x| x.is_finite())
        .ok_or_else(|| AppError::bad(format!("a coordinate must be a number, got {v}")))
}

fn position(v: &Value) -> Result<Coord<f64>> {
    let arr = v.as_array().ok_or_else(|| {
        AppError::bad("a position must be an array [longitude, latitude] in WGS 84 degrees")
    })?;
    if arr.len() < 2 || arr.len() > 3 {
        return Err(AppError::bad(format!(
            "a position has 2 (or 3) numbers [longitude, latitude], got {} numbers",
            arr.len()
        )));
    }
    let (x, y) = (num(&arr[0])?, num(&arr[1])?);
    if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
        return Err(AppError::bad(format!(
            "position [{x}, {y}] is not WGS 84 longitude/latitude; GeoJSON is always in degrees \
             (convert VN-2000 metres with /api/v1/convert first)"
        )));
    }
    Ok(Coord { x, y })
}

/// Counts vertices while parsing so a huge body fails fast.
struct Budget(usize);

impl Budget {
    fn take(&mut self, n: usize) -> Result<()> {
        self.0 += n;
        if self.0 > MAX_SITE_VERTICES {
            return Err(AppError::TooLarge(format!(
                "the site has more than {MAX_SITE_VERTICES} vertices; simplify it (e.g. in QGIS) first"
            )));
        }
        Ok(())
    }
}

fn ring(v: &Value, budget: &mut Budget) -> Result<LineString<f64>> {
    let arr = v
        .as_array()
        .ok_or_else(|| AppError::bad("a polygon ring must be an array of positions"))?;
    budget.take(arr.len())?;
    let coords = arr.iter().map(position).collect::<Result<Vec<_>>>()?;
    if coords.len() < 4 {
        return Err(AppError::bad(format!(
            "a polygon ring needs at least 4 positions (a closed triangle), got {}",
            coords.len()
        )));
    }
    if coords.first() != coords.last() {
        return Err(AppError::bad(
            "a polygon ring must be closed: its last position must repeat the first (RFC 7946 §3.1.6)",
        ));
    }
    Ok(LineString(coords))
}

fn polygon_from(v: &Value, budget: &mut Budget) -> Result<Polygon<f64>> {
    let rings = v
        .as_array()
        .ok_or_else(|| AppError::bad("Polygon coordinates must be an array of rings"))?;
    let mut rings = rings.iter().map(|r| ring(r, budget));
    let exterior = rings
        .next()
        .ok_or_else(|| AppError::bad("a Polygon needs at least its exterior ring"))??;
    let interiors = rings.collect::<Result<Vec<_>>>()?;
    Ok(Polygon::new(exterior, interiors))
}

fn polygons_of_geometry(g: &Value, budget: &mut Budget, out: &mut Vec<Polygon<f64>>) -> Result<()> {
    let ty = g.get("type").and_then(Value::as_str).unwrap_or("");
    let coords = g.get("coordinates");
    match (ty, coords) {
        ("Polygon", Some(c)) => out.push(polygon_from(c, budget)?),
        ("MultiPolygon", Some(Value::Array(polys))) => {
            for p in polys {
                out.push(polygon_from(p, budget)?);
            }
        }
        ("Polygon" | "MultiPolygon", _) => {
            return Err(AppError::bad(format!(
                "the {ty} has no valid 'coordinates' array"
            )))
        }
        ("", _) => {
            return Err(AppError::bad(
                "the body is not GeoJSON: it has no 'type'. Send a Polygon, MultiPolygon, Feature \
                 or FeatureCollection, or {\"parcel\": {\"commune\", \"sheet\", \"parcel\"}} or \
                 {\"layer\", \"id\"}",
            ))
        }
        (other, _) => {
            return Err(AppError::bad(format!(
                "a site must be a Polygon or MultiPolygon, got a {}",
                crate::params::clip(other)
            )))
        }
    }
    if out.len() > MAX_SITE_POLYGONS {
        return Err(AppError::TooLarge(format!(
            "the site has more than {MAX_SITE_POLYGONS} polygons"
        )));
    }
    Ok(())
}

/// Reads a site from a GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection (all of
/// whose features are polygonal), and checks it: vertex cap, closed rings, WGS 84 range,
/// extent cap and OGC validity (no self-intersections).
pub fn parse_site(v: &Value) -> Result<MultiPolygon<f64>> {
    let mut budget = Budget(0);
    let mut polys = Vec::new();
    match v.get("type").and_then(Value::as_str) {
        Some("Feature") => {
            let g = v
                .get("geometry")
                .filter(|g| !g.is_null())
                .ok_or_else(|| AppError::bad("the Feature has no geometry"))?;
            polygons_of_geometry(g, &mut budget, &mut polys)?;
        }
        Some("FeatureCollection") => {
            let feats = v
                .get("features")
                .and_then(Value::as_array)
                .ok_or_else(|| AppError::bad("the FeatureCollection has no 'features' array"))?;
            for f in feats {
                let g = f
                    .get("geometry")
                    .filter(|g| !g.is_null())
                    .ok_or_else(|| AppError::bad("a feature of the collection has no geometry"))?;
                polygons_of_geometry(g, &mut budget, &mut polys)?;
            }
        }
        _ => polygons_of_geometry(v, &mut budget, &mut polys)?,
    }
    if polys.is_empty() {
        return Err(AppError::bad("the site has no polygon"));
    }
    let mp = MultiPolygon(polys);
    if let Some(r) = mp.bounding_rect() {
        if r.width() > MAX_SITE_SPAN_DEG || r.height() > MAX_SITE_SPAN_DEG {
            return Err(AppError::TooLarge(format!(
                "the site spans {:.3}° × {:.3}°; a report covers at most {MAX_SITE_SPAN_DEG}° (about 22 km) \
                 each way. Use /ogc/collections/{{layer}}/items?bbox=… for larger areas",
                r.width(),
                r.height()
            )));
        }
    }
    if let Some(err) = quyhoach_data::validity::invalidity(&mp) {
        return Err(AppError::bad(format!(
            "the site is not a valid polygon (OGC Simple Features): {err}. Fix it (e.g. QGIS \
             'Fix geometries') and send it again"
        )));
    }
    Ok(mp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn square(n: f64) -> Value {
        json!({"type": "Polygon", "coordinates": [[[105.0, 10.0], [105.0 + n, 10.0], [105.0 + n, 10.0 + n], [105.0, 10.0 + n], [105.0, 10.0]]]})
    }

    #[test]
    fn accepts_polygon_feature_and_collection() {
        assert_eq!(parse_site(&square(0.001)).unwrap().0.len(), 1);
        let f = json!({"type": "Feature", "properties": {}, "geometry": square(0.001)});
        assert_eq!(parse_site(&f).unwrap().0.len(), 1);
        let mut g = square(0.001);
        g["coordinates"][0]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .for_each(|p| p[0] = json!(p[0].as_f64().unwrap() + 0.01));
        let f2 = json!({"type": "Feature", "properties": {}, "geometry": g});
        let fc = json!({"type": "FeatureCollection", "features": [f, f2]});
        assert_eq!(parse_site(&fc).unwrap().0.len(), 2);
    }

    #[test]
    fn rejects_bad_sites() {
        assert!(parse_site(&json!({"type": "Point", "coordinates": [105, 10]})).is_err());
        assert!(parse_site(&square(1.0)).is_err());
        let open = json!({"type": "Polygon", "coordinates": [[[105.0, 10.0], [105.1, 10.0], [105.1, 10.1], [105.0, 10.1]]]});
        assert!(parse_site(&open).is_err());
        let bowtie = json!({"type": "Polygon", "coordinates": [[[105.0, 10.0], [105.01, 10.01], [105.01, 10.0], [105.0, 10.01], [105.0, 10.0]]]});
        let e = parse_site(&bowtie).unwrap_err();
        assert!(e.to_string().contains("not a valid polygon"), "{e}");
        let degrees_as_metres = json!({"type": "Polygon", "coordinates": [[[580000.0, 1100000.0], [580010.0, 1100000.0], [580010.0, 1100010.0], [580000.0, 1100000.0]]]});
        assert!(parse_site(&degrees_as_metres).is_err());
    }
}
