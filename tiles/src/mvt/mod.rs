//! Mapbox Vector Tile 2.1 encoding and decoding
//! (<https://github.com/mapbox/vector-tile-spec/tree/master/2.1>).
//!
//! The command streams are written here rather than by geozero's MVT writer: the encoder
//! must guarantee the spec's winding (§4.3.4.4: an exterior ring has positive area by the
//! surveyor's formula in tile coordinates, y down, i.e. it is clockwise on screen; interior
//! rings negative) on rings that it has clipped and snapped itself, and geozero's writer
//! neither clips nor orients.

mod decode;
pub mod proto;
pub(crate) mod write;

#[cfg(test)]
use std::collections::HashMap;

pub use decode::{decode, ring_area2, DecodeError, DecodedFeature, DecodedLayer, GeomType};

#[cfg(test)]
use crate::source::PropValue;

/// `MoveTo` command id (§4.3.3.1).
const MOVE_TO: u32 = 1;
/// `LineTo` command id (§4.3.3.2).
const LINE_TO: u32 = 2;
/// `ClosePath` command id (§4.3.3.3).
const CLOSE_PATH: u32 = 7;

/// A command integer: id in the low 3 bits, count above (§4.3.1).
pub fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}

/// ZigZag encoding of a parameter integer (§4.3.2).
pub fn zigzag(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

/// Inverse of [`zigzag`].
pub fn unzigzag(n: u32) -> i32 {
    ((n >> 1) as i32) ^ -((n & 1) as i32)
}

struct Cursor {
    at: [i32; 2],
    out: Vec<u32>,
}

impl Cursor {
    fn push(&mut self, p: [i32; 2]) {
        self.out.push(zigzag(p[0].wrapping_sub(self.at[0])));
        self.out.push(zigzag(p[1].wrapping_sub(self.at[1])));
        self.at = p;
    }

    /// One path: MoveTo the first point, LineTo the rest, ClosePath for rings.
    fn path(&mut self, pts: impl ExactSizeIterator<Item = [i32; 2]>, close: bool) {
        let n = pts.len() as u32;
        let mut pts = pts;
        let Some(first) = pts.next() else { return };
        self.out.push(command(MOVE_TO, 1));
        self.push(first);
        if n > 1 {
            self.out.push(command(LINE_TO, n - 1));
            for p in pts {
                self.push(p);
            }
        }
        if close {
            self.out.push(command(CLOSE_PATH, 1));
        }
    }
}

/// The command stream of polygons (each: exterior ring, then holes; rings not closed, at
/// least 3 vertices). Rings are reversed where needed so that exteriors have positive and
/// holes negative area by the spec's formula (§4.3.4.4).
pub fn polygon_commands(polygons: &[Vec<Vec<[i32; 2]>>]) -> Vec<u32> {
    let mut c = Cursor {
        at: [0, 0],
        out: Vec::new(),
    };
    for poly in polygons {
        for (i, ring) in poly.iter().enumerate() {
            let a = ring_area2(ring);
            let want_positive = i == 0;
            if (a > 0) == want_positive {
                c.path(ring.iter().copied(), true);
            } else {
                c.path(ring.iter().rev().copied(), true);
            }
        }
    }
    c.out
}

/// The command stream of line strings (each at least 2 vertices).
pub fn line_commands(parts: &[Vec<[i32; 2]>]) -> Vec<u32> {
    let mut c = Cursor {
        at: [0, 0],
        out: Vec::new(),
    };
    for part in parts {
        c.path(part.iter().copied(), false);
    }
    c.out
}

/// The command stream of a point or multipoint: one MoveTo with every point (§4.3.4.2).
pub fn point_commands(points: &[[i32; 2]]) -> Vec<u32> {
    let mut c = Cursor {
        at: [0, 0],
        out: Vec::with_capacity(1 + 2 * points.len()),
    };
    if points.is_empty() {
        return c.out;
    }
    c.out.push(command(MOVE_TO, points.len() as u32));
    for &p in points {
        c.push(p);
    }
    c.out
}

/// A value as a hashable key for deduplication.
#[cfg(test)]
#[derive(PartialEq, Eq, Hash)]
enum ValueKey {
    Str(String),
    Int(i64),
    Double(u64),
    Bool(bool),
}

/// Builds one layer, deduplicating keys and values (§4.4: a value is stored once and referred
/// to by index from every feature that has it). The encoder writes bytes straight with
/// [`write::LayerWriter`]; this builder of prost messages is kept as the tests' reference.
#[cfg(test)]
pub(crate) struct LayerBuilder {
    layer: proto::Layer,
    keys: HashMap<String, u32>,
    values: HashMap<ValueKey, u32>,
}

#[cfg(test)]
impl LayerBuilder {
    pub fn new(name: &str) -> LayerBuilder {
        LayerBuilder {
            layer: proto::Layer {
                name: name.to_owned(),
                features: Vec::new(),
                keys: Vec::new(),
                values: Vec::new(),
                extent: Some(crate::EXTENT),
                version: 2,
            },
            keys: HashMap::new(),
            values: HashMap::new(),
        }
    }

    fn key(&mut self, k: &str) -> u32 {
        if let Some(&i) = self.keys.get(k) {
            return i;
        }
        let i = self.layer.keys.len() as u32;
        self.layer.keys.push(k.to_owned());
        self.keys.insert(k.to_owned(), i);
        i
    }

    fn value(&mut self, v: &PropValue<'_>) -> Option<u32> {
        let (key, value) = match v {
            PropValue::Str(s) => (
                ValueKey::Str(s.to_string()),
                proto::Value {
                    string_value: Some(s.to_string()),
                    ..Default::default()
                },
            ),
            PropValue::Int(i) => (
                ValueKey::Int(*i),
                if *i < 0 {
                    proto::Value {
                        sint_value: Some(*i),
                        ..Default::default()
                    }
                } else {
                    proto::Value {
                        int_value: Some(*i),
                        ..Default::default()
                    }
                },
            ),
            PropValue::Double(d) if d.is_finite() => (
                ValueKey::Double(d.to_bits()),
                proto::Value {
                    double_value: Some(*d),
                    ..Default::default()
                },
            ),
            PropValue::Double(_) => return None,
            PropValue::Bool(b) => (
                ValueKey::Bool(*b),
                proto::Value {
                    bool_value: Some(*b),
                    ..Default::default()
                },
            ),
        };
        if let Some(&i) = self.values.get(&key) {
            return Some(i);
        }
        let i = self.layer.values.len() as u32;
        self.layer.values.push(value);
        self.values.insert(key, i);
        Some(i)
    }

    /// Adds a feature with its command stream and geometry type.
    pub fn add(
        &mut self,
        id: Option<u64>,
        geom_type: i32,
        geometry: Vec<u32>,
        props: &[(String, PropValue<'static>)],
    ) {
        let mut tags = Vec::with_capacity(props.len() * 2);
        for (k, v) in props {
            if let Some(vi) = self.value(v) {
                tags.push(self.key(k));
                tags.push(vi);
            }
        }
        self.layer.features.push(proto::Feature {
            id,
            tags,
            r#type: Some(geom_type),
            geometry,
        });
    }

    pub fn finish(self) -> proto::Layer {
        self.layer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_matches_spec_examples() {
        for (n, z) in [(0, 0), (-1, 1), (1, 2), (-2, 3), (2, 4), (2047, 4094)] {
            assert_eq!(zigzag(n), z);
            assert_eq!(unzigzag(z), n);
        }
        assert_eq!(command(MOVE_TO, 1), 9);
        assert_eq!(command(LINE_TO, 3), 26);
        assert_eq!(command(CLOSE_PATH, 1), 15);
    }

    #[test]
    fn spec_polygon_example() {
        // §4.3.5.3: POLYGON ((3 6, 8 12, 20 34, 3 6)) encodes as [9 6 12 18 10 12 24 44 15].
        let cmds = polygon_commands(&[vec![vec![[3, 6], [8, 12], [20, 34]]]]);
        assert_eq!(cmds, vec![9, 6, 12, 18, 10, 12, 24, 44, 15]);
        // The same ring given the other way round is turned back.
        let cmds = polygon_commands(&[vec![vec![[20, 34], [8, 12], [3, 6]]]]);
        let decoded = decode::decode_geometry(&cmds).unwrap();
        assert!(ring_area2(&decoded[0]) > 0);
        // §4.3.5.2: LINESTRING (2 2, 2 10, 10 10) and (1 1, 3 5).
        let l = line_commands(&[vec![[2, 2], [2, 10], [10, 10]], vec![[1, 1], [3, 5]]]);
        assert_eq!(l, vec![9, 4, 4, 18, 0, 16, 16, 0, 9, 17, 17, 10, 4, 8]);
    }

    #[test]
    fn values_are_deduplicated() {
        let mut b = LayerBuilder::new("t");
        let props = vec![
            ("a".to_owned(), PropValue::from("x")),
            ("b".to_owned(), PropValue::Int(-3)),
            ("c".to_owned(), PropValue::Double(f64::NAN)),
        ];
        b.add(Some(1), 3, vec![], &props);
        b.add(Some(2), 3, vec![], &props);
        let l = b.finish();
        assert_eq!(l.keys, vec!["a", "b"]);
        assert_eq!(l.values.len(), 2);
        assert_eq!(l.features[1].tags, vec![0, 0, 1, 1]);
        assert_eq!(l.values[1].sint_value, Some(-3));
    }
}
