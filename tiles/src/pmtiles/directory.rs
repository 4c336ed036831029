//! Directories (spec §4): entries of tile id, offset, length and run length, stored as
//! columns of varints and gzip-compressed. The reader's backend parses every directory here
//! first, with bounds, before the `pmtiles` crate does (see `reader.rs`).

use super::{PmTilesError, Result};
use crate::gzip::gunzip;
#[cfg(test)]
use {
    super::{HEADER_LEN, ROOT_MAX_END},
    crate::gzip::gzip,
};

/// One directory entry: a run of `run_length` tiles from `tile_id` sharing the same bytes,
/// or, with `run_length` 0, a leaf directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// First tile id.
    pub tile_id: u64,
    /// Offset in the tile data section (or the leaf section for leaves).
    pub offset: u64,
    /// Length, bytes.
    pub length: u32,
    /// Tiles in the run; 0 for a leaf directory.
    pub run_length: u32,
}

#[cfg(test)]
fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(b: &[u8], pos: &mut usize) -> Result<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b
            .get(*pos)
            .ok_or_else(|| PmTilesError::Invalid("directory ends inside a varint".into()))?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(PmTilesError::Invalid("varint longer than 10 bytes".into()))
}

/// Serialises and gzips a directory (the tests' writer: archives are written by the crate).
#[cfg(test)]
pub(crate) fn serialize(entries: &[Entry]) -> Vec<u8> {
    let mut b = Vec::with_capacity(entries.len() * 8 + 8);
    put_varint(&mut b, entries.len() as u64);
    let mut last = 0;
    for e in entries {
        put_varint(&mut b, e.tile_id - last);
        last = e.tile_id;
    }
    for e in entries {
        put_varint(&mut b, u64::from(e.run_length));
    }
    for e in entries {
        put_varint(&mut b, u64::from(e.length));
    }
    for (i, e) in entries.iter().enumerate() {
        let follows = i > 0 && {
            let p = entries[i - 1];
            e.offset == p.offset + u64::from(p.length)
        };
        put_varint(&mut b, if follows { 0 } else { e.offset + 1 });
    }
    gzip(&b)
}

/// Inflates and parses a directory.
pub(crate) fn deserialize(compressed: &[u8]) -> Result<Vec<Entry>> {
    parse(&gunzip(compressed)?)
}

/// Parses an uncompressed directory.
pub(crate) fn parse(b: &[u8]) -> Result<Vec<Entry>> {
    let mut pos = 0;
    let n = get_varint(b, &mut pos)?;
    // Each entry takes at least 4 bytes: refuse counts the buffer cannot hold.
    if n > b.len() as u64 / 4 + 1 {
        return Err(PmTilesError::Invalid(format!(
            "directory claims {n} entries"
        )));
    }
    let n = n as usize;
    let mut entries = vec![
        Entry {
            tile_id: 0,
            offset: 0,
            length: 0,
            run_length: 0
        };
        n
    ];
    let mut last = 0u64;
    for e in entries.iter_mut() {
        last = last
            .checked_add(get_varint(b, &mut pos)?)
            .ok_or_else(|| PmTilesError::Invalid("tile id overflow".into()))?;
        e.tile_id = last;
    }
    let small = |v: u64| {
        u32::try_from(v).map_err(|_| PmTilesError::Invalid("entry field over 32 bits".into()))
    };
    for e in entries.iter_mut() {
        e.run_length = small(get_varint(b, &mut pos)?)?;
    }
    for e in entries.iter_mut() {
        e.length = small(get_varint(b, &mut pos)?)?;
    }
    for i in 0..n {
        let v = get_varint(b, &mut pos)?;
        entries[i].offset = if v == 0 {
            if i == 0 {
                return Err(PmTilesError::Invalid(
                    "first entry has offset 0 marker".into(),
                ));
            }
            entries[i - 1]
                .offset
                .checked_add(u64::from(entries[i - 1].length))
                .ok_or_else(|| PmTilesError::Invalid("entry offset past 2^64".into()))?
        } else {
            v - 1
        };
    }
    Ok(entries)
}

/// Builds the root directory and leaf directories (as go-pmtiles does): everything in the
/// root if it fits in the first 16 KiB, else leaves of at least 4096 entries, growing by a
/// fifth until the root of leaf pointers fits. Tests only (archives are written by the
/// crate, whose writer does the same).
#[cfg(test)]
pub(crate) fn build(entries: &[Entry]) -> (Vec<u8>, Vec<u8>) {
    let limit = ROOT_MAX_END - HEADER_LEN;
    let root = serialize(entries);
    if root.len() <= limit {
        return (root, Vec::new());
    }
    let mut leaf_size = (entries.len() as f64 / 3500.0).max(4096.0);
    loop {
        let mut leaves = Vec::new();
        let mut roots = Vec::new();
        for chunk in entries.chunks(leaf_size as usize) {
            let leaf = serialize(chunk);
            roots.push(Entry {
                tile_id: chunk[0].tile_id,
                offset: leaves.len() as u64,
                length: leaf.len() as u32,
                run_length: 0,
            });
            leaves.extend_from_slice(&leaf);
        }
        let root = serialize(&roots);
        if root.len() <= limit {
            return (root, leaves);
        }
        leaf_size *= 1.2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_round_trip() {
        let entries: Vec<Entry> = (0..100u64)
            .map(|i| Entry {
                tile_id: i * 3,
                offset: if i == 50 { 7 } else { i * 10 },
                length: 10,
                run_length: 1 + (i % 3) as u32,
            })
            .collect();
        assert_eq!(deserialize(&serialize(&entries)).unwrap(), entries);
    }

    #[test]
    fn following_offset_past_2_pow_64_is_an_error() {
        // Two entries: the first at offset 2^64 - 2 with 5 bytes, the second "follows it".
        let mut raw = Vec::new();
        for v in [2, 0, 1, 1, 1, 5, 5, u64::MAX, 0] {
            put_varint(&mut raw, v);
        }
        assert!(deserialize(&gzip(&raw)).is_err());
    }

    #[test]
    fn large_directories_use_leaves() {
        let entries: Vec<Entry> = (0..200_000u64)
            .map(|i| Entry {
                tile_id: i * 2 + (i * 7919) % 2,
                offset: i * 1000 + (i * 104_729) % 997,
                length: 500 + (i % 400) as u32,
                run_length: 1,
            })
            .collect();
        let (root, leaves) = build(&entries);
        assert!(root.len() <= ROOT_MAX_END - HEADER_LEN);
        assert!(!leaves.is_empty());
        let roots = deserialize(&root).unwrap();
        assert!(roots.iter().all(|e| e.run_length == 0));
        let mut all = Vec::new();
        for r in &roots {
            let leaf = &leaves[r.offset as usize..r.offset as usize + r.length as usize];
            all.extend(deserialize(leaf).unwrap());
        }
        assert_eq!(all, entries);
    }
}
