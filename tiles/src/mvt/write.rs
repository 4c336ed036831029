//! A tile written straight into bytes: the same protobuf bytes as encoding the
//! [`proto`](super::proto) messages with prost (fields in tag order, `required` fields always,
//! `optional` ones when set, packed repeated fields when not empty), without building the
//! messages first. Command streams are written from tile-pixel coordinates into one reused
//! buffer; keys and values are deduplicated by first use, as [`LayerBuilder`](super::LayerBuilder)
//! does.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::{command, zigzag, CLOSE_PATH, LINE_TO, MOVE_TO};
use crate::source::PropValue;

/// Wire type of varints.
const VARINT: u32 = 0;
/// Wire type of 64-bit values.
const I64: u32 = 1;
/// Wire type of length-delimited values.
const LEN: u32 = 2;

/// Appends a base-128 varint.
pub(crate) fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Bytes of a varint.
fn varint_len(v: u64) -> usize {
    // 1 byte per 7 bits, at least one.
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

fn put_key(buf: &mut Vec<u8>, tag: u32, wire: u32) {
    put_varint(buf, u64::from((tag << 3) | wire));
}

/// A length-delimited field holding `bytes`.
pub(crate) fn put_bytes(buf: &mut Vec<u8>, tag: u32, bytes: &[u8]) {
    put_key(buf, tag, LEN);
    put_varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// A packed repeated `uint32` field (nothing when empty, as prost).
fn put_packed(buf: &mut Vec<u8>, tag: u32, values: &[u32]) {
    if values.is_empty() {
        return;
    }
    put_key(buf, tag, LEN);
    let len: usize = values.iter().map(|&v| varint_len(u64::from(v))).sum();
    put_varint(buf, len as u64);
    for &v in values {
        put_varint(buf, u64::from(v));
    }
}

/// A point in tile pixels (within the buffered tile, so within `i32`).
type Pt = [i64; 2];

/// Command streams written into one buffer (cleared per feature by the caller).
pub(crate) struct Commands {
    at: [i32; 2],
    /// The stream.
    pub out: Vec<u32>,
}

impl Commands {
    pub fn new() -> Commands {
        Commands {
            at: [0, 0],
            out: Vec::new(),
        }
    }

    /// Starts a new feature's stream (the cursor goes back to the origin).
    pub fn clear(&mut self) {
        self.at = [0, 0];
        self.out.clear();
    }

    fn push(&mut self, p: Pt) {
        // Clipped coordinates lie within the buffered tile, far inside i32.
        let p = [p[0] as i32, p[1] as i32];
        self.out.push(zigzag(p[0].wrapping_sub(self.at[0])));
        self.out.push(zigzag(p[1].wrapping_sub(self.at[1])));
        self.at = p;
    }

    fn path<'p>(&mut self, mut pts: impl ExactSizeIterator<Item = &'p Pt>, close: bool) {
        let n = pts.len() as u32;
        let Some(&first) = pts.next() else { return };
        self.out.push(command(MOVE_TO, 1));
        self.push(first);
        if n > 1 {
            self.out.push(command(LINE_TO, n - 1));
            for &p in pts {
                self.push(p);
            }
        }
        if close {
            self.out.push(command(CLOSE_PATH, 1));
        }
    }

    /// Polygons (exterior ring then holes, rings not closed), exteriors turned to positive
    /// and holes to negative area by the spec's formula, as
    /// [`polygon_commands`](super::polygon_commands).
    pub fn polygons(&mut self, polygons: &[Vec<Vec<Pt>>]) {
        for poly in polygons {
            for (i, ring) in poly.iter().enumerate() {
                let a = area2(ring);
                let want_positive = i == 0;
                if (a > 0) == want_positive {
                    self.path(ring.iter(), true);
                } else {
                    self.path(ring.iter().rev(), true);
                }
            }
        }
    }

    /// Line strings, as [`line_commands`](super::line_commands).
    pub fn lines(&mut self, parts: &[Vec<Pt>]) {
        for part in parts {
            self.path(part.iter(), false);
        }
    }

    /// A point or multipoint, as [`point_commands`](super::point_commands).
    pub fn points(&mut self, points: &[Pt]) {
        if points.is_empty() {
            return;
        }
        self.out.push(command(MOVE_TO, points.len() as u32));
        for &p in points {
            self.push(p);
        }
    }
}

/// Twice the signed area (exact for coordinates of the buffered tile; the same sign as
/// [`ring_area2`](super::ring_area2) on the same ring).
fn area2(ring: &[Pt]) -> i64 {
    let n = ring.len();
    let mut s = 0i64;
    for i in 0..n {
        let a = ring[i];
        let b = ring[if i + 1 == n { 0 } else { i + 1 }];
        s += a[0] * b[1] - b[0] * a[1];
    }
    s
}

/// FNV-1a: keys are short strings and numbers of one tile, so a DoS-resistant hash buys
/// nothing here and costs more than the rest of the lookup.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// A layer's distinct attribute values, each kept once (equal text, equal bits of a number):
/// a parcel's land-use code is one entry for the thousands of parcels of a tile, not a
/// string per parcel. [`LayerWriter::add`] takes attributes as indexes into it.
#[derive(Default)]
pub(crate) struct ValueTable {
    list: Vec<PropValue<'static>>,
    strs: FnvMap<Box<str>, u32>,
    /// Numbers and booleans by kind (0 whole, 1 real, 2 boolean) and bits.
    others: FnvMap<(u8, u64), u32>,
}

impl ValueTable {
    /// The index of `v`, added if new.
    pub fn intern(&mut self, v: PropValue<'_>) -> u32 {
        let next = self.list.len() as u32;
        let i = match &v {
            PropValue::Str(s) => match self.strs.get(s.as_ref()) {
                Some(&i) => i,
                None => *self.strs.entry(s.as_ref().into()).or_insert(next),
            },
            PropValue::Int(n) => *self.others.entry((0, *n as u64)).or_insert(next),
            PropValue::Double(d) => *self.others.entry((1, d.to_bits())).or_insert(next),
            PropValue::Bool(b) => *self.others.entry((2, u64::from(*b))).or_insert(next),
        };
        if i == next {
            self.list.push(v.into_owned());
        }
        i
    }
}

/// A table index of [`LayerWriter::add`] not seen yet in this layer.
const UNSEEN: u32 = u32::MAX;
/// A table index whose value is left out of tiles (NaN, infinities).
const SKIPPED: u32 = u32::MAX - 1;

/// One layer being written.
pub(crate) struct LayerWriter {
    /// Name field and features, written as they come.
    body: Vec<u8>,
    /// The `keys` fields, in first-use order.
    keys_out: Vec<u8>,
    /// The `values` fields, in first-use order.
    values_out: Vec<u8>,
    /// Key index per attribute slot (see [`LayerWriter::add`]).
    keys: Vec<Option<u32>>,
    key_count: u32,
    value_count: u32,
    tags: Vec<u32>,
    scratch: Vec<u8>,
    /// Value index per entry of the [`ValueTable`] ([`UNSEEN`], [`SKIPPED`]).
    by_table: Vec<u32>,
}

impl LayerWriter {
    /// A layer named `name` whose features carry attributes from `slots` names (a feature
    /// gives its attributes as indexes into it).
    pub fn new(name: &str, slots: usize) -> LayerWriter {
        let mut body = Vec::new();
        put_bytes(&mut body, 1, name.as_bytes());
        LayerWriter {
            body,
            keys_out: Vec::new(),
            values_out: Vec::new(),
            keys: vec![None; slots],
            key_count: 0,
            value_count: 0,
            tags: Vec::new(),
            scratch: Vec::new(),
            by_table: Vec::new(),
        }
    }

    /// Writes a value first used in this layer; None for one left out (NaN, infinities).
    fn value(&mut self, v: &PropValue<'static>) -> Option<u32> {
        if matches!(v, PropValue::Double(d) if !d.is_finite()) {
            return None;
        }
        let i = self.value_count;
        self.value_count += 1;
        let s = &mut self.scratch;
        s.clear();
        match v {
            PropValue::Str(t) => put_bytes(s, 1, t.as_bytes()),
            PropValue::Int(n) if *n < 0 => {
                put_key(s, 6, VARINT);
                put_varint(s, ((*n << 1) ^ (*n >> 63)) as u64);
            }
            PropValue::Int(n) => {
                put_key(s, 4, VARINT);
                put_varint(s, *n as u64);
            }
            PropValue::Double(d) => {
                put_key(s, 3, I64);
                s.extend_from_slice(&d.to_le_bytes());
            }
            PropValue::Bool(b) => {
                put_key(s, 7, VARINT);
                put_varint(s, u64::from(*b));
            }
        }
        put_bytes(&mut self.values_out, 4, s);
        Some(i)
    }

    /// Adds a feature: its id, geometry type, command stream and attributes as (slot,
    /// index in `table`), with `names[slot]` the attribute's name. A value is written when a
    /// feature first uses it (the table holds each value once, so no lookup by value here).
    pub fn add(
        &mut self,
        id: Option<u64>,
        geom_type: i32,
        geometry: &[u32],
        tags: &[(u16, u32)],
        table: &ValueTable,
        names: &[&str],
    ) {
        let table = &table.list;
        if self.by_table.len() < table.len() {
            self.by_table.resize(table.len(), UNSEEN);
        }
        self.tags.clear();
        for &(slot, t) in tags {
            let t = t as usize;
            let vi = match self.by_table[t] {
                UNSEEN => {
                    let vi = self.value(&table[t]);
                    self.by_table[t] = vi.unwrap_or(SKIPPED);
                    vi
                }
                SKIPPED => None,
                vi => Some(vi),
            };
            if let Some(vi) = vi {
                self.tag(usize::from(slot), vi, names);
            }
        }
        self.feature(id, geom_type, geometry);
    }

    /// Adds the key of `slot` and the value index `vi` to the current feature's tags.
    fn tag(&mut self, slot: usize, vi: u32, names: &[&str]) {
        let ki = match self.keys[slot] {
            Some(k) => k,
            None => {
                // A name given twice in a spec is one key, as LayerBuilder's.
                let same = (0..self.keys.len())
                    .find(|&o| self.keys[o].is_some() && names[o] == names[slot])
                    .and_then(|o| self.keys[o]);
                let k = same.unwrap_or_else(|| {
                    let k = self.key_count;
                    self.key_count += 1;
                    put_bytes(&mut self.keys_out, 3, names[slot].as_bytes());
                    k
                });
                self.keys[slot] = Some(k);
                k
            }
        };
        self.tags.push(ki);
        self.tags.push(vi);
    }

    /// Writes the feature whose tags are in `self.tags`.
    fn feature(&mut self, id: Option<u64>, geom_type: i32, geometry: &[u32]) {
        let s = &mut self.scratch;
        s.clear();
        if let Some(id) = id {
            put_key(s, 1, VARINT);
            put_varint(s, id);
        }
        put_packed(s, 2, &self.tags);
        put_key(s, 3, VARINT);
        put_varint(s, i64::from(geom_type) as u64);
        put_packed(s, 4, geometry);
        put_bytes(&mut self.body, 2, s);
    }

    /// Appends the layer as a `Tile.layers` field to `tile`; returns the layer message's
    /// size (without its key and length), as prost's `encoded_len`.
    pub fn finish(mut self, tile: &mut Vec<u8>) -> usize {
        self.body.extend_from_slice(&self.keys_out);
        self.body.extend_from_slice(&self.values_out);
        put_key(&mut self.body, 5, VARINT);
        put_varint(&mut self.body, u64::from(crate::EXTENT));
        put_key(&mut self.body, 15, VARINT);
        put_varint(&mut self.body, 2);
        put_bytes(tile, 3, &self.body);
        self.body.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mvt::{polygon_commands, proto, LayerBuilder};
    use prost::Message;

    #[test]
    fn same_bytes_as_prost() {
        let names = ["a", "b", "c", "a"];
        let props: Vec<Vec<(u16, PropValue<'static>)>> = vec![
            vec![(0, PropValue::from("x")), (1, PropValue::Int(-3))],
            vec![(1, PropValue::Int(7)), (2, PropValue::Double(f64::NAN))],
            vec![(2, PropValue::Double(2.5)), (3, PropValue::Bool(true))],
            vec![(0, PropValue::from("x")), (3, PropValue::from("é"))],
        ];
        let rings: Vec<Vec<Vec<Pt>>> = vec![vec![
            vec![[0, 0], [0, 300], [200, 300]],
            vec![[10, 10], [20, 10], [10, 20]],
        ]];
        let mut ours = Vec::new();
        // "x" twice is one entry of the table, and one value of the layer.
        let mut table = ValueTable::default();
        let tags: Vec<Vec<(u16, u32)>> = props
            .iter()
            .map(|p| {
                p.iter()
                    .map(|(slot, v)| (*slot, table.intern(v.clone())))
                    .collect()
            })
            .collect();
        let mut w = LayerWriter::new("layer", names.len());
        let mut c = Commands::new();
        for (i, t) in tags.iter().enumerate() {
            c.clear();
            c.polygons(&rings);
            w.add(
                (i != 2).then_some(i as u64 * 1000),
                3,
                &c.out,
                t,
                &table,
                &names,
            );
        }
        let size = w.finish(&mut ours);

        let mut b = LayerBuilder::new("layer");
        let r32: Vec<Vec<Vec<[i32; 2]>>> = rings
            .iter()
            .map(|p| {
                p.iter()
                    .map(|r| r.iter().map(|q| [q[0] as i32, q[1] as i32]).collect())
                    .collect()
            })
            .collect();
        for (i, p) in props.iter().enumerate() {
            let named: Vec<(String, PropValue<'static>)> = p
                .iter()
                .map(|(k, v)| (names[usize::from(*k)].to_owned(), v.clone()))
                .collect();
            b.add(
                (i != 2).then_some(i as u64 * 1000),
                3,
                polygon_commands(&r32),
                &named,
            );
        }
        let layer = b.finish();
        assert_eq!(size, layer.encoded_len());
        let tile = proto::Tile {
            layers: vec![layer],
        };
        assert_eq!(ours, tile.encode_to_vec());
    }

    #[test]
    fn varint_lengths() {
        for v in [
            0u64,
            1,
            127,
            128,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            assert_eq!(b.len(), varint_len(v), "{v}");
        }
    }
}
