//! The bounding boxes of a layer's features, in a static packed Hilbert R-tree (flatbush's
//! layout, from the `static_aabb2d_index` crate) of `f32` boxes.
//!
//! A million parcels in an `rstar` tree of `f64` rectangles cost 69 MB (every leaf is a
//! 64-byte enum); here a box costs 16 bytes and its position 8, about 26 MB in all with the
//! upper levels. The boxes are stored relative to the layer's south-west corner and rounded
//! outward, so every stored box holds its feature's exact `f64` box with a margin of a few
//! centimetres: a query (also rounded outward) returns every feature whose exact box meets
//! it, and perhaps a neighbour a few centimetres short of it. Callers test geometry exactly
//! where it matters (as they did with the `rstar` tree's exact boxes), so answers do not
//! change.

use static_aabb2d_index::{StaticAABB2DIndex, StaticAABB2DIndexBuilder};

use super::geom::FlatGeoms;
use super::FeatureId;

/// The box index of one layer.
pub(crate) struct BoxIndex {
    /// None when the layer has no feature with a geometry.
    tree: Option<StaticAABB2DIndex<f32>>,
    /// Origin subtracted from every coordinate before rounding to `f32`.
    origin: [f64; 2],
    /// Feature of each box when some features have no geometry (else box `i` is feature `i`).
    ids: Option<Box<[FeatureId]>>,
}

/// `x` rounded to `f32` and moved one step down, so it is below `x` whatever the rounding.
fn below(x: f64) -> f32 {
    (x as f32).next_down()
}

/// `x` rounded to `f32` and moved one step up.
fn above(x: f64) -> f32 {
    (x as f32).next_up()
}

impl BoxIndex {
    /// Indexes the box of every feature with a geometry.
    pub fn build(geoms: &FlatGeoms) -> Self {
        let boxes = || {
            (0..geoms.len()).filter_map(|i| {
                let b = geoms.bbox(i);
                (!b[0].is_nan()).then_some((i as FeatureId, b))
            })
        };
        Self::from_boxes(geoms.len(), boxes)
    }

    /// Indexes the boxes (feature id, `[w, s, e, n]`) of a layer of `features` features,
    /// which `boxes` yields anew on each call: twice, so that a million boxes are never held
    /// in a list beside the tree.
    fn from_boxes<I>(features: usize, boxes: impl Fn() -> I) -> Self
    where
        I: Iterator<Item = (FeatureId, [f64; 4])>,
    {
        let (count, origin) = boxes().fold((0usize, [f64::INFINITY; 2]), |(n, o), (_, b)| {
            (n + 1, [o[0].min(b[0]), o[1].min(b[1])])
        });
        let empty = BoxIndex {
            tree: None,
            origin: [0.0; 2],
            ids: None,
        };
        if count == 0 {
            return empty;
        }
        let mut builder = StaticAABB2DIndexBuilder::<f32>::new(count);
        let mut ids = Vec::new();
        for (id, b) in boxes() {
            builder.add(
                below(b[0] - origin[0]),
                below(b[1] - origin[1]),
                above(b[2] - origin[0]),
                above(b[3] - origin[1]),
            );
            if count != features {
                ids.push(id);
            }
        }
        let Ok(tree) = builder.build() else {
            // Only when the count differs from the boxes added, which it cannot here.
            return empty;
        };
        BoxIndex {
            tree: Some(tree),
            origin,
            ids: (count != features).then(|| ids.into_boxed_slice()),
        }
    }

    /// Features whose box meets `[w, s, e, n]` (and perhaps one a few centimetres short of
    /// it), in ascending id order. Empty for a box with NaN or inverted corners.
    pub fn query(&self, b: [f64; 4]) -> Vec<FeatureId> {
        let Some(tree) = &self.tree else {
            return Vec::new();
        };
        if b.iter().any(|v| v.is_nan()) || b[0] > b[2] || b[1] > b[3] {
            return Vec::new();
        }
        let [ox, oy] = self.origin;
        let mut out = Vec::new();
        tree.visit_query(
            below(b[0] - ox),
            below(b[1] - oy),
            above(b[2] - ox),
            above(b[3] - oy),
            &mut |i: usize| {
                out.push(match &self.ids {
                    Some(ids) => ids[i],
                    None => i as FeatureId,
                });
            },
        );
        out.sort_unstable();
        out
    }

    /// Heap bytes: every node's box and position, and the id map if any.
    pub fn heap_bytes(&self) -> usize {
        let nodes = self.tree.as_ref().map_or(0, |t| t.all_boxes().len());
        nodes * (std::mem::size_of::<static_aabb2d_index::AABB<f32>>() + 8)
            + self.ids.as_ref().map_or(0, |ids| ids.len() * 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Boxes of parcels a few metres wide around Vĩnh Thạnh (106.6°E, 10.2°N), some
    /// features without geometry, queried with boxes of every size: the index returns
    /// exactly the features whose `f64` box meets the query, plus at most neighbours within
    /// a few centimetres of it, in ascending id order.
    #[test]
    fn queries_hold_every_exact_hit_and_little_more() {
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        let n = 20_000;
        let mut boxes = Vec::new();
        for id in 0..n {
            if id % 97 == 0 {
                continue; // no geometry
            }
            let (x, y) = (106.5 + 0.2 * next(), 10.1 + 0.2 * next());
            let (w, h) = (0.0005 * next(), 0.0005 * next());
            boxes.push((id as FeatureId, [x, y, x + w, y + h]));
        }
        let index = BoxIndex::from_boxes(n, || boxes.iter().copied());
        let meets = |a: &[f64; 4], b: &[f64; 4]| {
            a[0] <= b[2] && a[2] >= b[0] && a[1] <= b[3] && a[3] >= b[1]
        };
        // 5 cm in degrees, generously.
        let near = 5e-7;
        for q in 0..2_000 {
            let (x, y) = (106.5 + 0.2 * next(), 10.1 + 0.2 * next());
            let size = [0.0, 1e-9, 1e-5, 1e-3, 0.05][q % 5];
            let b = [x, y, x + size, y + size];
            let got = index.query(b);
            assert!(got.windows(2).all(|w| w[0] < w[1]), "ascending ids");
            let exact: Vec<FeatureId> = boxes
                .iter()
                .filter(|(_, f)| meets(f, &b))
                .map(|(id, _)| *id)
                .collect();
            for id in &exact {
                assert!(got.contains(id), "query {b:?} lost feature {id}");
            }
            let grown = [b[0] - near, b[1] - near, b[2] + near, b[3] + near];
            for id in &got {
                let f = &boxes.iter().find(|(i, _)| i == id).expect("a known id").1;
                assert!(meets(f, &grown), "query {b:?} returned far feature {id}");
            }
            // A box that touches one exactly at its corner is found.
            if let Some((id, f)) = boxes.get(q) {
                assert!(index.query([f[2], f[3], f[2], f[3]]).contains(id));
            }
        }
        assert!(index.query([f64::NAN, 10.2, 106.6, 10.3]).is_empty());
        assert!(index.query([106.7, 10.2, 106.6, 10.3]).is_empty());
        assert!(BoxIndex::from_boxes(3, std::iter::empty)
            .query([-180.0, -90.0, 180.0, 90.0])
            .is_empty());
    }
}
