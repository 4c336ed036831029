//! Reading archives through the `pmtiles` crate (its `AsyncPmTilesReader`, the reader Martin
//! serves archives with: directory parsing, directory cache, tile lookup) over a backend of
//! positioned reads of the file ([`FileExt::read_exact_at`], `pread`), not the crate's
//! memory map: an archive truncated or rewritten under a running server then gives an error
//! answer where a map of it kills the process with SIGBUS (docs/benchmarks.md).
//!
//! The crate trusts the file: a root directory beyond the first bytes read, an entry count
//! larger than the directory, or offsets whose sums pass 2^64 make it panic or allocate
//! without bound. So every directory the backend hands it has first passed our own bounded
//! parser ([`super::directory`]) and a check of each entry against its section, and the
//! header against the file's size: what reaches the crate is well-formed.
//!
//! The backend's reads never wait (a `pread` of the page cache costs about a microsecond,
//! less than a hop to the blocking pool), so the crate's futures complete on their first
//! poll and [`PmTilesReader`] drives them on the calling thread: a blocking reader, any
//! number of threads at once, no runtime needed.

use std::collections::HashMap;
use std::fs::File;
use std::future::Future;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll, Wake, Waker};

use bytes::Bytes;
use pmtiles::{
    AsyncBackend, AsyncPmTilesReader, BackendResponse, DirEntry, Directory, DirectoryCache,
    PmtError, PmtResult, TileId,
};

use super::directory::{self, Entry};
use super::{
    tile_id, Header, PmTilesError, Result, COMPRESSION_GZIP, COMPRESSION_NONE, HEADER_LEN,
    MAX_DIRECTORY_BYTES, ROOT_MAX_END,
};
use crate::tile::TileCoord;

/// Most directory entries the leaf cache holds (24 bytes each: 6 MiB). A leaf holds at
/// least 4,096 entries in the archives go-pmtiles and the crate write, so this is at least
/// 64 leaves; the whole leaf section of a district's archive fits many times over. When full
/// the cache is emptied and refills with the leaves asked for next.
pub const MAX_CACHED_LEAF_ENTRIES: usize = 256 * 1024;

impl From<PmtError> for PmTilesError {
    fn from(e: PmtError) -> PmTilesError {
        match e {
            PmtError::Reading(e) => PmTilesError::Io(e),
            e => PmTilesError::Invalid(e.to_string()),
        }
    }
}

/// Our error as the crate's, for the backend: I/O errors as they are, the rest as invalid
/// data carrying our message.
fn to_pmt(e: PmTilesError) -> PmtError {
    match e {
        PmTilesError::Io(e) => PmtError::Reading(e),
        e => PmtError::Reading(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            e.to_string(),
        )),
    }
}

/// The crate's backend trait over positioned reads of an open file, checking every
/// directory before the crate parses it (see the module doc).
#[derive(Debug)]
pub struct PreadBackend {
    file: Arc<File>,
    /// File size at opening: ranges beyond it are errors without a read, and a file that
    /// shrank since gives a short read, an error.
    size: u64,
    /// The header read at opening; the first read of the crate must find the same.
    header: Header,
}

/// The file offset of an entry's bytes in a section `(offset, length)`, checking that they
/// lie within the section.
fn section_range(section: (u64, u64), e: Entry, what: &str) -> Result<u64> {
    let end = e.offset.checked_add(u64::from(e.length));
    if end.is_none_or(|end| end > section.1) {
        return Err(PmTilesError::Invalid(format!("{what} beyond its section")));
    }
    section
        .0
        .checked_add(e.offset)
        .ok_or_else(|| PmTilesError::Invalid(format!("{what} offset past 2^64")))
}

/// Reads `len` bytes at `offset` of a file of `size` bytes (at opening), all within it.
fn pread(file: &File, size: u64, offset: u64, len: u64) -> Result<Vec<u8>> {
    if offset.checked_add(len).is_none_or(|end| end > size) {
        return Err(PmTilesError::Invalid(
            "range beyond the end of the file".into(),
        ));
    }
    let n = usize::try_from(len)
        .map_err(|_| PmTilesError::Invalid("length over the address space".into()))?;
    let mut buf = vec![0u8; n];
    file.read_exact_at(&mut buf, offset)?;
    Ok(buf)
}

impl PreadBackend {
    /// Parses a directory with our bounded parser and checks each entry against the section
    /// it points into (leaves or tile data), so that the crate's own parse and its offset
    /// arithmetic stay within the file.
    fn check_directory(&self, raw: &[u8]) -> Result<()> {
        if raw.len() as u64 > MAX_DIRECTORY_BYTES {
            return Err(PmTilesError::Invalid(format!(
                "directory of {} bytes",
                raw.len()
            )));
        }
        let entries = match self.header.internal_compression {
            COMPRESSION_GZIP => directory::deserialize(raw)?,
            _ => directory::parse(raw)?,
        };
        for e in entries {
            if e.run_length == 0 {
                section_range(self.header.leaves, e, "leaf directory")?;
            } else {
                section_range(self.header.data, e, "tile")?;
            }
        }
        Ok(())
    }

    /// Checks the bytes the crate reads first (header and root directory): the header it
    /// parses must be the one checked at opening, and the root must be well-formed.
    fn check_initial(&self, bytes: &[u8]) -> Result<()> {
        if Header::from_bytes(bytes)? != self.header {
            return Err(PmTilesError::Invalid(
                "the archive changed while it was opened".into(),
            ));
        }
        let (off, len) = self.header.root;
        // Checked at opening: the root lies within the first bytes.
        let root = bytes
            .get(off as usize..(off + len) as usize)
            .ok_or_else(|| PmTilesError::Invalid("root directory beyond the file".into()))?;
        self.check_directory(root)
    }

    /// Whether a read at `offset` is one of a leaf directory.
    fn in_leaves(&self, offset: u64) -> bool {
        let (start, len) = self.header.leaves;
        offset >= start && offset - start < len
    }
}

impl AsyncBackend for PreadBackend {
    async fn read(&self, offset: usize, length: usize) -> PmtResult<BackendResponse> {
        let offset = offset as u64;
        let end = offset.saturating_add(length as u64).min(self.size);
        let buf =
            pread(&self.file, self.size, offset, end.saturating_sub(offset)).map_err(to_pmt)?;
        if offset == 0 {
            self.check_initial(&buf).map_err(to_pmt)?;
        } else if self.in_leaves(offset) {
            self.check_directory(&buf).map_err(to_pmt)?;
        }
        Ok(BackendResponse::new(Bytes::from(buf)))
    }
}

/// Parsed leaf directories by their file offset, bounded by entries
/// ([`MAX_CACHED_LEAF_ENTRIES`]); the crate's `HashMapCache` keeps every leaf for ever.
#[derive(Debug, Default)]
pub struct LeafCache {
    map: RwLock<HashMap<usize, Arc<Directory>>>,
    /// Leaves parsed so far (tests check that a leaf is parsed once).
    parsed: Arc<AtomicU64>,
}

impl LeafCache {
    fn get(&self, offset: usize) -> Option<Arc<Directory>> {
        self.map.read().ok()?.get(&offset).cloned()
    }

    fn insert(&self, offset: usize, d: Arc<Directory>) {
        let bound = MAX_CACHED_LEAF_ENTRIES * size_of::<DirEntry>();
        let size = d.get_approx_byte_size();
        if let Ok(mut m) = self.map.write() {
            let held: usize = m.values().map(|v| v.get_approx_byte_size()).sum();
            if held + size > bound {
                m.clear();
            }
            if size <= bound {
                m.insert(offset, d);
            }
        }
    }
}

impl DirectoryCache for LeafCache {
    async fn get_dir_entry_or_insert(
        &self,
        offset: usize,
        tile_id: TileId,
        fetcher: impl Future<Output = PmtResult<Directory>> + Send,
    ) -> PmtResult<Option<DirEntry>> {
        if let Some(d) = self.get(offset) {
            return Ok(d.find_tile_id(tile_id).cloned());
        }
        let d = Arc::new(fetcher.await?);
        self.parsed.fetch_add(1, Ordering::Relaxed);
        let found = d.find_tile_id(tile_id).cloned();
        self.insert(offset, d);
        Ok(found)
    }
}

/// Wakes the thread that polls (see [`block_on`]).
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    static WAKER: Waker = Waker::from(Arc::new(Unpark(std::thread::current())));
}

/// Runs a future on this thread. The reader's futures complete on their first poll (the
/// backend does not wait); should one ever wait, the thread parks until it is woken.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    WAKER.with(|waker| {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
            std::thread::park();
        }
    })
}

/// Reads tiles from a PMTiles v3 archive (directories gzip-compressed or not) with the
/// `pmtiles` crate over [`PreadBackend`]: header and root directory read once, leaves parsed
/// once and kept in a [`LeafCache`]. Blocking; any number of threads at once.
pub struct PmTilesReader {
    inner: AsyncPmTilesReader<PreadBackend, LeafCache>,
    file: Arc<File>,
    size: u64,
    header: Header,
    parsed: Arc<AtomicU64>,
}

impl std::fmt::Debug for PmTilesReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PmTilesReader")
            .field("size", &self.size)
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl PmTilesReader {
    /// Opens an archive and reads its header and root directory.
    pub fn open(path: &Path) -> Result<PmTilesReader> {
        let file = Arc::new(File::open(path)?);
        let size = file.metadata()?.len();
        let mut head = [0u8; HEADER_LEN];
        file.read_exact_at(&mut head, 0)
            .map_err(|_| PmTilesError::Invalid("file shorter than the header".into()))?;
        let header = Header::from_bytes(&head)?;
        check_header(&header, size)?;
        let cache = LeafCache::default();
        let parsed = cache.parsed.clone();
        let backend = PreadBackend {
            file: file.clone(),
            size,
            header: header.clone(),
        };
        let inner = block_on(AsyncPmTilesReader::try_from_cached_source(backend, cache))?;
        Ok(PmTilesReader {
            inner,
            file,
            size,
            header,
            parsed,
        })
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The JSON metadata.
    pub fn metadata(&self) -> Result<serde_json::Value> {
        let json = block_on(self.inner.get_metadata())?;
        Ok(serde_json::from_str(&json)?)
    }

    /// The stored bytes of a tile (gzipped MVT in our archives), None if absent.
    pub fn tile(&self, t: TileCoord) -> Result<Option<Vec<u8>>> {
        Ok(self.tile_bytes(t)?.map(Vec::from))
    }

    /// The stored bytes of a tile as the crate returns them (no copy), None if absent.
    pub fn tile_bytes(&self, t: TileCoord) -> Result<Option<Bytes>> {
        let id = TileId::new(tile_id(t))?;
        Ok(block_on(self.inner.get_tile(id))?)
    }

    /// Reads `len` bytes at `offset` of the archive (within its size at opening).
    pub fn read(&self, offset: u64, len: u64) -> Result<Vec<u8>> {
        pread(&self.file, self.size, offset, len)
    }

    /// How many leaf directories were read and parsed so far (each once while it stays in
    /// the cache).
    pub fn leaves_parsed(&self) -> u64 {
        self.parsed.load(Ordering::Relaxed)
    }
}

/// What the crate assumes of a header and does not check: directory compression it can
/// read, the root within the first 16 KiB and the file, every section within the file, and
/// leaves apart from tile data (the backend tells leaf reads by their offset).
fn check_header(h: &Header, size: u64) -> Result<()> {
    if ![COMPRESSION_GZIP, COMPRESSION_NONE].contains(&h.internal_compression) {
        return Err(PmTilesError::Invalid(format!(
            "internal compression {} (only gzip and none are read)",
            h.internal_compression
        )));
    }
    let end = |(o, l): (u64, u64)| o.checked_add(l);
    let root_end = end(h.root);
    if h.root.0 < HEADER_LEN as u64 || root_end.is_none_or(|e| e > ROOT_MAX_END as u64 || e > size)
    {
        return Err(PmTilesError::Invalid(
            "root directory not within the first 16 KiB of the file".into(),
        ));
    }
    for (s, what) in [
        (h.metadata, "metadata"),
        (h.leaves, "leaf directories"),
        (h.data, "tile data"),
    ] {
        if end(s).is_none_or(|e| e > size) {
            return Err(PmTilesError::Invalid(format!("{what} beyond the file")));
        }
    }
    if h.metadata.1 > MAX_DIRECTORY_BYTES {
        return Err(PmTilesError::Invalid(format!(
            "metadata of {} bytes",
            h.metadata.1
        )));
    }
    let overlap =
        |a: (u64, u64), b: (u64, u64)| a.1 > 0 && b.1 > 0 && a.0 < b.0 + b.1 && b.0 < a.0 + a.1;
    if overlap(h.leaves, h.data) {
        return Err(PmTilesError::Invalid(
            "leaf directories overlap the tile data".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    /// An uncompressed archive with one root entry written as raw fields (`offset_plus_one`
    /// as stored: 0 means "follows the previous entry"), and `data` as the data section.
    fn archive(entry: (u64, u64, u64, u64), leaves: (u64, u64), data_at: Option<u64>) -> Vec<u8> {
        let (tile_id, run_length, length, offset_plus_one) = entry;
        let mut dir = Vec::new();
        for v in [1, tile_id, run_length, length, offset_plus_one] {
            varint(&mut dir, v);
        }
        let root = (HEADER_LEN as u64, dir.len() as u64);
        let data = vec![7u8; 100];
        let data_start = root.0 + root.1;
        let h = Header {
            root,
            leaves,
            data: (data_at.unwrap_or(data_start), data.len() as u64),
            internal_compression: COMPRESSION_NONE,
            tile_type: super::super::TILE_TYPE_MVT,
            tile_compression: COMPRESSION_GZIP,
            ..Header::default()
        };
        let mut b = h.to_bytes().to_vec();
        b.extend_from_slice(&dir);
        b.extend_from_slice(&data);
        b
    }

    fn first_tile(bytes: &[u8]) -> Result<Option<Vec<u8>>> {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), bytes).unwrap();
        let r = PmTilesReader::open(f.path())?;
        r.tile(TileCoord::new_checked(0, 0, 0).unwrap())
    }

    #[test]
    fn reads_a_tile() {
        let t = first_tile(&archive((0, 1, 10, 5), (0, 0), None)).unwrap();
        assert_eq!(t, Some(vec![7u8; 10]));
    }

    #[test]
    fn offsets_near_2_pow_64_are_errors_not_overflows() {
        // fuzz/regressions/pmtiles_reader/leaf-offset-overflow: a leaf pointer whose offset
        // plus the leaf section's start passes 2^64.
        let leaf = archive((0, 0, 10, u64::MAX), (200, 100), None);
        assert!(first_tile(&leaf).is_err());
        // A tile whose offset plus length passes 2^64.
        let tile = archive((0, 1, 10, u64::MAX), (0, 0), None);
        assert!(first_tile(&tile).is_err());
        // A tile within its section whose section starts near 2^64.
        let section = archive((0, 1, 10, 51), (0, 0), Some(u64::MAX - 5));
        assert!(first_tile(&section).is_err());
        // A leaf beyond the leaf section.
        let beyond = archive((0, 0, 10, 1), (0, 5), None);
        assert!(first_tile(&beyond).is_err());
    }

    #[test]
    fn hostile_headers_and_directories_are_errors_not_panics() {
        let good = archive((0, 1, 10, 5), (0, 0), None);
        // Root before the header's end, past 16 KiB, past the file (the crate slices
        // without checking).
        for root in [(0u64, 10u64), (100, 10), (127, 20_000), (127, 1_000)] {
            let mut b = good.clone();
            b[8..16].copy_from_slice(&root.0.to_le_bytes());
            b[16..24].copy_from_slice(&root.1.to_le_bytes());
            assert!(first_tile(&b).is_err(), "{root:?}");
        }
        // A directory claiming 2^40 entries (the crate allocates what it is told).
        let mut dir = Vec::new();
        varint(&mut dir, 1 << 40);
        let mut b = good[..HEADER_LEN].to_vec();
        b[16..24].copy_from_slice(&(dir.len() as u64).to_le_bytes());
        b.extend_from_slice(&dir);
        b.extend_from_slice(&[0; 100]);
        assert!(first_tile(&b).is_err());
        // Truncated anywhere: an error or no tile, never a panic.
        for n in 0..good.len() {
            let _ = first_tile(&good[..n]);
        }
    }

    /// The fuzz target's corpus and reproducers (fuzz/corpus and fuzz/regressions of
    /// `pmtiles_reader`, raw file contents): each opens or not, and reads without a panic.
    #[test]
    fn fuzz_inputs_give_errors_not_panics() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
        let mut n = 0;
        for dir in ["corpus/pmtiles_reader", "regressions/pmtiles_reader"] {
            let Ok(files) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for f in files.flatten() {
                let bytes = std::fs::read(f.path()).unwrap();
                let tmp = tempfile::NamedTempFile::new().unwrap();
                std::fs::write(tmp.path(), &bytes).unwrap();
                let Ok(r) = PmTilesReader::open(tmp.path()) else {
                    continue;
                };
                n += 1;
                let _ = r.metadata();
                for z in 0..=3u8 {
                    for x in 0..(1u32 << z) {
                        for y in 0..(1u32 << z) {
                            let _ = r.tile(TileCoord::new_checked(z, x, y).unwrap());
                        }
                    }
                }
            }
        }
        eprintln!("{n} fuzz inputs opened");
    }

    #[test]
    fn a_file_truncated_after_opening_gives_an_error() {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), archive((0, 1, 10, 50), (0, 0), None)).unwrap();
        let r = PmTilesReader::open(f.path()).unwrap();
        let t = TileCoord::new_checked(0, 0, 0).unwrap();
        assert!(r.tile(t).unwrap().is_some());
        f.as_file().set_len(HEADER_LEN as u64 + 10).unwrap();
        assert!(r.tile(t).is_err());
    }
}
