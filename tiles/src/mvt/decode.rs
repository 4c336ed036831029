//! A small MVT decoder: for tests, debugging and reading archives back, and for checking our
//! encoder against the spec's fixtures. It rejects what the spec calls invalid (bad command
//! ids or counts, dangling tag indexes, values without a type) rather than guessing.

use std::borrow::Cow;
use std::collections::BTreeMap;

use prost::Message;

use super::proto;
use super::unzigzag;
use crate::source::PropValue;

/// An invalid vector tile.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The bytes are not a protobuf `Tile`.
    #[error("not a vector tile: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// A geometry command stream breaks §4.3.
    #[error("invalid geometry: {0}")]
    Geometry(String),
    /// A feature's tags break §4.4.
    #[error("invalid tags: {0}")]
    Tags(String),
}

/// Geometry type of a decoded feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum GeomType {
    /// UNKNOWN (0) or absent.
    Unknown,
    /// POINT.
    Point,
    /// LINESTRING.
    LineString,
    /// POLYGON.
    Polygon,
}

/// A decoded feature.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedFeature {
    /// Feature id.
    pub id: Option<u64>,
    /// Geometry type.
    pub geom_type: GeomType,
    /// Paths in tile coordinates: rings (not repeating their first vertex) for polygons, line
    /// parts for lines, single points for points.
    pub paths: Vec<Vec<[i32; 2]>>,
    /// Number of integers in the command stream.
    pub command_len: usize,
    /// Properties.
    pub properties: BTreeMap<String, PropValue<'static>>,
}

impl DecodedFeature {
    /// Rings grouped into polygons by winding (§4.3.4.4: a ring of positive area starts a new
    /// polygon, negative ones are its holes). Returns None if the first ring is not an
    /// exterior ring or a ring has zero area.
    pub fn polygons(&self) -> Option<Vec<Vec<Vec<[i32; 2]>>>> {
        let mut out: Vec<Vec<Vec<[i32; 2]>>> = Vec::new();
        for r in &self.paths {
            let a = ring_area2(r);
            if a > 0 {
                out.push(vec![r.clone()]);
            } else if a < 0 {
                out.last_mut()?.push(r.clone());
            } else {
                return None;
            }
        }
        Some(out)
    }
}

/// A decoded layer.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedLayer {
    /// Layer name.
    pub name: String,
    /// Spec version (2).
    pub version: u32,
    /// Extent (4096 if absent).
    pub extent: u32,
    /// Features.
    pub features: Vec<DecodedFeature>,
}

/// Twice the signed area of a ring by the spec's surveyor's formula, in tile coordinates
/// (y down): positive for exterior rings. Summed in `i128` and saturated to `i64`: a decoded
/// tile's coordinates can be anywhere in `i32`, where twice an area reaches 2^65, and only
/// the sign matters beyond the tile's own extent.
pub fn ring_area2(ring: &[[i32; 2]]) -> i64 {
    let n = ring.len();
    let sum: i128 = (0..n)
        .map(|i| {
            let a = ring[i];
            let b = ring[(i + 1) % n];
            i128::from(a[0]) * i128::from(b[1]) - i128::from(b[0]) * i128::from(a[1])
        })
        .sum();
    i64::try_from(sum).unwrap_or(if sum < 0 { i64::MIN } else { i64::MAX })
}

/// Decodes a (not gzipped) vector tile.
pub fn decode(bytes: &[u8]) -> Result<Vec<DecodedLayer>, DecodeError> {
    let tile = proto::Tile::decode(bytes)?;
    let mut layers = Vec::with_capacity(tile.layers.len());
    for l in tile.layers {
        let mut features = Vec::with_capacity(l.features.len());
        for f in &l.features {
            if f.tags.len() % 2 != 0 {
                return Err(DecodeError::Tags("odd number of tags".into()));
            }
            let mut properties = BTreeMap::new();
            for kv in f.tags.chunks(2) {
                let k = l
                    .keys
                    .get(kv[0] as usize)
                    .ok_or_else(|| DecodeError::Tags(format!("key {} out of range", kv[0])))?;
                let v = l
                    .values
                    .get(kv[1] as usize)
                    .ok_or_else(|| DecodeError::Tags(format!("value {} out of range", kv[1])))?;
                properties.insert(k.clone(), value(v)?);
            }
            let geom_type = match f.r#type.unwrap_or(proto::GEOM_UNKNOWN) {
                proto::GEOM_POINT => GeomType::Point,
                proto::GEOM_LINESTRING => GeomType::LineString,
                proto::GEOM_POLYGON => GeomType::Polygon,
                _ => GeomType::Unknown,
            };
            features.push(DecodedFeature {
                id: f.id,
                geom_type,
                paths: decode_geometry(&f.geometry)?,
                command_len: f.geometry.len(),
                properties,
            });
        }
        layers.push(DecodedLayer {
            name: l.name,
            version: l.version,
            extent: l.extent.unwrap_or(4096),
            features,
        });
    }
    Ok(layers)
}

fn value(v: &proto::Value) -> Result<PropValue<'static>, DecodeError> {
    Ok(if let Some(s) = &v.string_value {
        PropValue::Str(Cow::Owned(s.clone()))
    } else if let Some(f) = v.float_value {
        PropValue::Double(f64::from(f))
    } else if let Some(d) = v.double_value {
        PropValue::Double(d)
    } else if let Some(i) = v.int_value.or(v.sint_value) {
        PropValue::Int(i)
    } else if let Some(u) = v.uint_value {
        i64::try_from(u).map_or(PropValue::Double(u as f64), PropValue::Int)
    } else if let Some(b) = v.bool_value {
        PropValue::Bool(b)
    } else {
        return Err(DecodeError::Tags("a value has no type".into()));
    })
}

/// Decodes a command stream into paths (§4.3). ClosePath ends a ring without repeating its
/// first vertex.
pub(crate) fn decode_geometry(cmds: &[u32]) -> Result<Vec<Vec<[i32; 2]>>, DecodeError> {
    let bad = |m: &str| DecodeError::Geometry(m.to_owned());
    let mut paths: Vec<Vec<[i32; 2]>> = Vec::new();
    let mut at = [0i32, 0i32];
    let mut i = 0;
    while i < cmds.len() {
        let (id, count) = (cmds[i] & 7, (cmds[i] >> 3) as usize);
        i += 1;
        match id {
            1 | 2 => {
                // Each point takes two integers: refuse counts the stream cannot hold before
                // allocating anything.
                if count == 0 || count > (cmds.len() - i) / 2 {
                    return Err(bad("command count exceeds the stream"));
                }
                if id == 2 && paths.last().is_none() {
                    return Err(bad("LineTo before MoveTo"));
                }
                for _ in 0..count {
                    at[0] = at[0].wrapping_add(unzigzag(cmds[i]));
                    at[1] = at[1].wrapping_add(unzigzag(cmds[i + 1]));
                    i += 2;
                    if id == 1 {
                        paths.push(vec![at]);
                    } else if let Some(p) = paths.last_mut() {
                        p.push(at);
                    }
                }
            }
            7 => {
                if count != 1 {
                    return Err(bad("ClosePath count must be 1"));
                }
                if paths.last().is_none() {
                    return Err(bad("ClosePath before MoveTo"));
                }
            }
            _ => return Err(bad(&format!("unknown command id {id}"))),
        }
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_area_of_extreme_coordinates_saturates() {
        // Twice the area of this triangle is (2^32 - 1)^2, past i64: found while writing
        // fuzz/mvt_decode (decoded coordinates wrap anywhere in i32).
        let (lo, hi) = (i32::MIN, i32::MAX);
        assert_eq!(ring_area2(&[[lo, lo], [lo, hi], [hi, hi]]), i64::MIN);
        assert_eq!(ring_area2(&[[lo, lo], [hi, hi], [lo, hi]]), i64::MAX);
        assert_eq!(ring_area2(&[[0, 0], [0, 10], [10, 10], [10, 0]]), -200);
    }
}
