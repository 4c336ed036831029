//! Compact in-memory geometry of one layer: every coordinate of the layer in one array, with
//! offsets for rings, parts (polygons or line strings) and features.
//!
//! A million parcels as `geo_types::MultiPolygon`s would cost four heap allocations each;
//! here a parcel costs its coordinates plus three `u32` offsets, and its geometry is rebuilt
//! on demand (a few hundred nanoseconds) for the few features a query touches.

use geo_types::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Polygon};
use geozero::error::Result as GzResult;
use geozero::GeomProcessor;

/// Geometries of one layer, polygonal or linear.
#[derive(Debug, Default)]
pub(crate) struct FlatGeoms {
    /// Whether parts are polygons (else line strings).
    pub polygonal: bool,
    coords: Vec<Coord<f64>>,
    /// Start of each ring in `coords`, plus a final sentinel.
    rings: Vec<u32>,
    /// Start of each part in `rings`, plus a final sentinel.
    parts: Vec<u32>,
    /// Start of each feature in `parts`, plus a final sentinel.
    features: Vec<u32>,
}

impl FlatGeoms {
    pub fn new(polygonal: bool) -> Self {
        FlatGeoms {
            polygonal,
            coords: Vec::new(),
            rings: vec![0],
            parts: vec![0],
            features: vec![0],
        }
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.features.len() - 1
    }

    /// Bytes held (for the memory report).
    pub fn heap_bytes(&self) -> usize {
        self.coords.capacity() * std::mem::size_of::<Coord<f64>>()
            + (self.rings.capacity() + self.parts.capacity() + self.features.capacity()) * 4
    }

    /// Bytes held by the coordinates alone.
    pub fn coords_bytes(&self) -> usize {
        self.coords.capacity() * std::mem::size_of::<Coord<f64>>()
    }

    pub fn shrink(&mut self) {
        self.coords.shrink_to_fit();
        self.rings.shrink_to_fit();
        self.parts.shrink_to_fit();
        self.features.shrink_to_fit();
    }

    fn ring(&self, r: usize) -> &[Coord<f64>] {
        &self.coords[self.rings[r] as usize..self.rings[r + 1] as usize]
    }

    fn part_rings(&self, p: usize) -> std::ops::Range<usize> {
        self.parts[p] as usize..self.parts[p + 1] as usize
    }

    fn feature_parts(&self, id: usize) -> std::ops::Range<usize> {
        self.features[id] as usize..self.features[id + 1] as usize
    }

    /// All coordinates of a feature (rings in order).
    pub fn feature_coords(&self, id: usize) -> &[Coord<f64>] {
        let parts = self.feature_parts(id);
        let first_ring = self.parts[parts.start] as usize;
        let last_ring = self.parts[parts.end] as usize;
        &self.coords[self.rings[first_ring] as usize..self.rings[last_ring] as usize]
    }

    /// Bounding box `[w, s, e, n]` of a feature (NaN when empty).
    pub fn bbox(&self, id: usize) -> [f64; 4] {
        let mut b = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for c in self.feature_coords(id) {
            b[0] = b[0].min(c.x);
            b[1] = b[1].min(c.y);
            b[2] = b[2].max(c.x);
            b[3] = b[3].max(c.y);
        }
        if b[0] > b[2] {
            return [f64::NAN; 4];
        }
        b
    }

    /// A polygonal feature as a multipolygon (empty for linear layers).
    pub fn multipolygon(&self, id: usize) -> MultiPolygon<f64> {
        let mut mp = MultiPolygon::new(vec![]);
        if self.polygonal {
            self.fill_multipolygon(id, &mut mp, &mut Vec::new());
        }
        mp
    }

    /// Makes `mp` the polygonal feature `id`, its rings in buffers taken from `pool` (and
    /// `mp`'s old rings given back to it first).
    fn fill_multipolygon(
        &self,
        id: usize,
        mp: &mut MultiPolygon<f64>,
        pool: &mut Vec<Vec<Coord<f64>>>,
    ) {
        for p in mp.0.drain(..) {
            let (exterior, interiors) = p.into_inner();
            pool.push(exterior.0);
            pool.extend(interiors.into_iter().map(|r| r.0));
        }
        for p in self.feature_parts(id) {
            let mut rings = self.part_rings(p).map(|r| {
                let mut v = pool.pop().unwrap_or_default();
                v.clear();
                v.extend_from_slice(self.ring(r));
                LineString::new(v)
            });
            let exterior = rings.next().unwrap_or_else(|| LineString::new(vec![]));
            mp.0.push(Polygon::new(exterior, rings.collect()));
        }
    }

    /// [`FlatGeoms::geometry`] into `out`, reusing its buffers: a scan over thousands of
    /// features (a tile) then allocates only when a feature has more rings or coordinates
    /// than any before it. `out` is left as the feature's geometry, equal to `geometry(id)`.
    pub fn geometry_into(
        &self,
        id: usize,
        out: &mut Geometry<f64>,
        pool: &mut Vec<Vec<Coord<f64>>>,
    ) {
        match out {
            Geometry::MultiPolygon(mp) if self.polygonal => self.fill_multipolygon(id, mp, pool),
            _ => *out = self.geometry(id),
        }
    }

    /// A linear feature as a multilinestring (empty for polygonal layers).
    pub fn multilinestring(&self, id: usize) -> MultiLineString<f64> {
        if self.polygonal {
            return MultiLineString::new(vec![]);
        }
        MultiLineString::new(
            self.feature_parts(id)
                .flat_map(|p| self.part_rings(p))
                .map(|r| LineString::new(self.ring(r).to_vec()))
                .collect(),
        )
    }

    /// A feature as a geometry.
    pub fn geometry(&self, id: usize) -> Geometry<f64> {
        if self.polygonal {
            Geometry::MultiPolygon(self.multipolygon(id))
        } else {
            Geometry::MultiLineString(self.multilinestring(id))
        }
    }
}

/// Receives one feature's geometry from geozero straight into a [`FlatGeoms`].
pub(crate) struct FlatWriter<'a> {
    pub geoms: &'a mut FlatGeoms,
    in_polygon: bool,
}

impl<'a> FlatWriter<'a> {
    pub fn new(geoms: &'a mut FlatGeoms) -> Self {
        FlatWriter {
            geoms,
            in_polygon: false,
        }
    }

    /// Closes the current feature (call after each feature, even one without geometry).
    pub fn finish_feature(&mut self) {
        let g = &mut *self.geoms;
        g.features.push((g.parts.len() - 1) as u32);
    }
}

impl GeomProcessor for FlatWriter<'_> {
    fn xy(&mut self, x: f64, y: f64, _idx: usize) -> GzResult<()> {
        self.geoms.coords.push(Coord { x, y });
        Ok(())
    }

    fn linestring_begin(&mut self, _tagged: bool, size: usize, _idx: usize) -> GzResult<()> {
        self.geoms.coords.reserve(size);
        Ok(())
    }

    fn linestring_end(&mut self, _tagged: bool, _idx: usize) -> GzResult<()> {
        let g = &mut *self.geoms;
        g.rings.push(g.coords.len() as u32);
        if !self.in_polygon {
            g.parts.push((g.rings.len() - 1) as u32);
        }
        Ok(())
    }

    fn polygon_begin(&mut self, _tagged: bool, _size: usize, _idx: usize) -> GzResult<()> {
        self.in_polygon = true;
        Ok(())
    }

    fn polygon_end(&mut self, _tagged: bool, _idx: usize) -> GzResult<()> {
        self.in_polygon = false;
        let g = &mut *self.geoms;
        g.parts.push((g.rings.len() - 1) as u32);
        Ok(())
    }
}

/// GeoJSON geometry object (RFC 7946 §3.1) of a geometry, as JSON.
pub fn geojson(g: &Geometry<f64>) -> serde_json::Value {
    use serde_json::{json, Value};
    fn pos(c: &Coord<f64>) -> Value {
        json!([c.x, c.y])
    }
    fn line(l: &LineString<f64>) -> Value {
        Value::Array(l.0.iter().map(pos).collect())
    }
    fn poly(p: &Polygon<f64>) -> Value {
        Value::Array(
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(line)
                .collect(),
        )
    }
    match g {
        Geometry::Point(p) => json!({"type": "Point", "coordinates": pos(&p.0)}),
        Geometry::Line(l) => {
            json!({"type": "LineString", "coordinates": [pos(&l.start), pos(&l.end)]})
        }
        Geometry::LineString(l) => json!({"type": "LineString", "coordinates": line(l)}),
        Geometry::Polygon(p) => json!({"type": "Polygon", "coordinates": poly(p)}),
        Geometry::MultiPoint(m) => json!({"type": "MultiPoint",
            "coordinates": m.0.iter().map(|p| pos(&p.0)).collect::<Vec<_>>()}),
        Geometry::MultiLineString(m) => json!({"type": "MultiLineString",
            "coordinates": m.0.iter().map(line).collect::<Vec<_>>()}),
        Geometry::MultiPolygon(m) => json!({"type": "MultiPolygon",
            "coordinates": m.0.iter().map(poly).collect::<Vec<_>>()}),
        Geometry::GeometryCollection(c) => json!({"type": "GeometryCollection",
            "geometries": c.0.iter().map(geojson).collect::<Vec<_>>()}),
        Geometry::Rect(r) => geojson(&Geometry::Polygon(r.to_polygon())),
        Geometry::Triangle(t) => geojson(&Geometry::Polygon(t.to_polygon())),
    }
}

/// `serialize_with` for a geometry field: writes GeoJSON.
pub fn serialize_geojson<S: serde::Serializer>(g: &Geometry<f64>, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&geojson(g), s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geozero::GeozeroGeometry;

    #[test]
    fn geometry_into_refills_to_what_geometry_gives() {
        // Features of every shape in turn: each refill has more or fewer parts, rings and
        // coordinates than the one before.
        let shapes: Vec<Geometry<f64>> = vec![
            geo::wkt! { MULTIPOLYGON(((0. 0.,4. 0.,4. 4.,0. 4.,0. 0.),(1. 1.,2. 1.,2. 2.,1. 1.),(3. 3.,3.5 3.,3.5 3.5,3. 3.)),((5. 5.,6. 5.,6. 6.,5. 5.))) }.into(),
            geo::wkt! { POLYGON((0. 0.,1. 0.,1. 1.,0. 0.)) }.into(),
            geo::wkt! { MULTIPOLYGON(((9. 9.,10. 9.,10. 10.,9. 10.,9. 9.)),((0. 0.,1. 0.,0. 1.,0. 0.)),((2. 2.,3. 2.,2. 3.,2. 2.))) }.into(),
            geo::wkt! { POLYGON((0. 0.,8. 0.,8. 8.,0. 8.,0. 0.),(1. 1.,2. 1.,2. 2.,1. 1.)) }.into(),
        ];
        let mut g = FlatGeoms::new(true);
        for s in &shapes {
            let mut w = FlatWriter::new(&mut g);
            s.process_geom(&mut w).unwrap();
            w.finish_feature();
        }
        FlatWriter::new(&mut g).finish_feature(); // one without geometry
        let n = g.len();
        let order: Vec<usize> = (0..n)
            .chain((0..n).rev())
            .chain([2, 0, 4, 3, 1, 3])
            .collect();
        let (mut out, mut pool) = (Geometry::Point(geo_types::Point::new(0.0, 0.0)), Vec::new());
        for id in order {
            g.geometry_into(id, &mut out, &mut pool);
            assert_eq!(out, g.geometry(id), "feature {id}");
        }
        let mut l = FlatGeoms::new(false);
        let mut w = FlatWriter::new(&mut l);
        Geometry::MultiLineString(geo::wkt! { MULTILINESTRING((0. 0.,1. 1.),(2. 2.,3. 3.)) })
            .process_geom(&mut w)
            .unwrap();
        w.finish_feature();
        l.geometry_into(0, &mut out, &mut pool);
        assert_eq!(out, l.geometry(0));
    }

    #[test]
    fn round_trips_multipolygons_and_lines() {
        let mp: MultiPolygon<f64> = geo::wkt! {
            MULTIPOLYGON(((0. 0.,4. 0.,4. 4.,0. 4.,0. 0.),(1. 1.,2. 1.,2. 2.,1. 1.)),((5. 5.,6. 5.,6. 6.,5. 5.)))
        };
        let mut g = FlatGeoms::new(true);
        for _ in 0..2 {
            let mut w = FlatWriter::new(&mut g);
            Geometry::MultiPolygon(mp.clone())
                .process_geom(&mut w)
                .unwrap();
            w.finish_feature();
        }
        assert_eq!(g.len(), 2);
        assert_eq!(g.multipolygon(1), mp);
        assert_eq!(g.bbox(0), [0.0, 0.0, 6.0, 6.0]);
        let ml: MultiLineString<f64> =
            geo::wkt! { MULTILINESTRING((0. 0.,1. 1.),(2. 2.,3. 3.,4. 4.)) };
        let mut l = FlatGeoms::new(false);
        let mut w = FlatWriter::new(&mut l);
        Geometry::MultiLineString(ml.clone())
            .process_geom(&mut w)
            .unwrap();
        w.finish_feature();
        assert_eq!(l.multilinestring(0), ml);
    }
}
