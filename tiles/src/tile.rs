//! Tile math: XYZ tile coordinates in the Web Mercator grid (EPSG:3857, the OSM/Google
//! "slippy map" scheme with y growing southwards), and conversions between longitude/latitude,
//! Web Mercator metres and tile pixels.

use std::f64::consts::PI;

/// Deepest zoom level accepted. At z24 a tile is about 2.4 m wide and one tile pixel
/// (1/[`EXTENT`]) is 0.6 mm: deeper zooms add nothing to cadastral data and would make the
/// global pixel coordinates (2^(z+12)) lose integer precision sooner.
pub const MAX_ZOOM: u8 = 24;

/// Tile extent of the MVT encoding: a tile is `EXTENT × EXTENT` tile pixels.
pub const EXTENT: u32 = 4096;

/// Buffer around each tile, in tile pixels (of [`EXTENT`]), that features are clipped to.
/// Renderers draw strokes and labels across tile edges from it; 64/4096 (1/64 of the tile)
/// is what tippecanoe and most servers use.
pub const BUFFER: u32 = 64;

/// Earth radius of the Web Mercator sphere (EPSG:3857), metres.
pub const EARTH_RADIUS_M: f64 = 6_378_137.0;

/// Half the width of the Web Mercator square, metres (πR).
pub const MERCATOR_HALF_WORLD_M: f64 = PI * EARTH_RADIUS_M;

/// Latitude limit of Web Mercator (where the square world ends), degrees.
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;

/// An invalid tile coordinate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileCoordError {
    /// The zoom is above [`MAX_ZOOM`].
    #[error("zoom {0} is above the maximum zoom {MAX_ZOOM}")]
    Zoom(u8),
    /// x or y is not below 2^z.
    #[error("tile {z}/{x}/{y} is outside the grid: x and y must be below 2^{z} = {n}")]
    Outside {
        /// Zoom.
        z: u8,
        /// Column.
        x: u32,
        /// Row.
        y: u32,
        /// Tiles per side at this zoom.
        n: u64,
    },
}

/// A tile of the XYZ grid: zoom `z`, column `x` from the antimeridian eastwards, row `y` from
/// the north edge southwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct TileCoord {
    /// Zoom level, 0..=[`MAX_ZOOM`].
    pub z: u8,
    /// Column, 0..2^z.
    pub x: u32,
    /// Row, 0..2^z.
    pub y: u32,
}

impl TileCoord {
    /// A tile coordinate, checked against the grid of its zoom.
    pub fn new_checked(z: u8, x: u32, y: u32) -> Result<TileCoord, TileCoordError> {
        if z > MAX_ZOOM {
            return Err(TileCoordError::Zoom(z));
        }
        let n = 1u64 << z;
        if u64::from(x) >= n || u64::from(y) >= n {
            return Err(TileCoordError::Outside { z, x, y, n });
        }
        Ok(TileCoord { z, x, y })
    }

    /// Number of tiles per side at zoom `z`.
    pub fn tiles_per_side(z: u8) -> u64 {
        1u64 << z
    }

    /// Bounds `[west, south, east, north]` in degrees.
    pub fn bounds_lonlat(&self) -> [f64; 4] {
        let n = Self::tiles_per_side(self.z) as f64;
        let (w, nth) = world_to_lonlat(f64::from(self.x) / n, f64::from(self.y) / n);
        let (e, s) = world_to_lonlat(f64::from(self.x + 1) / n, f64::from(self.y + 1) / n);
        [w, s, e, nth]
    }

    /// Bounds `[xmin, ymin, xmax, ymax]` in Web Mercator metres (EPSG:3857).
    pub fn bounds_mercator(&self) -> [f64; 4] {
        let size = 2.0 * MERCATOR_HALF_WORLD_M / Self::tiles_per_side(self.z) as f64;
        let xmin = -MERCATOR_HALF_WORLD_M + f64::from(self.x) * size;
        let ymax = MERCATOR_HALF_WORLD_M - f64::from(self.y) * size;
        [xmin, ymax - size, xmin + size, ymax]
    }

    /// Bounds of the tile plus `buffer` tile pixels on each side, in degrees (clamped to the
    /// Web Mercator world).
    pub fn buffered_bounds_lonlat(&self, buffer: u32) -> [f64; 4] {
        let n = Self::tiles_per_side(self.z) as f64;
        let b = f64::from(buffer) / f64::from(EXTENT);
        let x0 = ((f64::from(self.x) - b) / n).max(0.0);
        let y0 = ((f64::from(self.y) - b) / n).max(0.0);
        let x1 = ((f64::from(self.x + 1) + b) / n).min(1.0);
        let y1 = ((f64::from(self.y + 1) + b) / n).min(1.0);
        let (w, nth) = world_to_lonlat(x0, y0);
        let (e, s) = world_to_lonlat(x1, y1);
        [w, s, e, nth]
    }

    /// The tile one zoom up that contains this one (None at z0).
    pub fn parent(&self) -> Option<TileCoord> {
        (self.z > 0).then(|| TileCoord {
            z: self.z - 1,
            x: self.x / 2,
            y: self.y / 2,
        })
    }

    /// The four tiles one zoom down (None at [`MAX_ZOOM`]).
    pub fn children(&self) -> Option<[TileCoord; 4]> {
        (self.z < MAX_ZOOM).then(|| {
            let (z, x, y) = (self.z + 1, self.x * 2, self.y * 2);
            [
                TileCoord { z, x, y },
                TileCoord { z, x: x + 1, y },
                TileCoord { z, x, y: y + 1 },
                TileCoord {
                    z,
                    x: x + 1,
                    y: y + 1,
                },
            ]
        })
    }

    /// The tile containing a point at zoom `z` (points outside the world are clamped onto
    /// its edge). Errors only for `z` above [`MAX_ZOOM`].
    pub fn containing(lon: f64, lat: f64, z: u8) -> Result<TileCoord, TileCoordError> {
        if z > MAX_ZOOM {
            return Err(TileCoordError::Zoom(z));
        }
        let (wx, wy) = lonlat_to_world(lon, lat);
        let n = Self::tiles_per_side(z);
        let max = (n - 1) as f64;
        let x = (wx * n as f64).floor().clamp(0.0, max) as u32;
        let y = (wy * n as f64).floor().clamp(0.0, max) as u32;
        Ok(TileCoord { z, x, y })
    }
}

impl std::fmt::Display for TileCoord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

/// Longitude/latitude (degrees) to Web Mercator metres (EPSG:3857). Latitudes are clamped to
/// ±[`MAX_LATITUDE`].
pub fn lonlat_to_mercator(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LATITUDE, MAX_LATITUDE);
    let x = EARTH_RADIUS_M * lon.to_radians();
    let y = EARTH_RADIUS_M * (PI / 4.0 + lat.to_radians() / 2.0).tan().ln();
    (x, y)
}

/// Web Mercator metres (EPSG:3857) to longitude/latitude in degrees.
pub fn mercator_to_lonlat(x: f64, y: f64) -> (f64, f64) {
    let lon = (x / EARTH_RADIUS_M).to_degrees();
    let lat = (2.0 * (y / EARTH_RADIUS_M).exp().atan() - PI / 2.0).to_degrees();
    (lon, lat)
}

/// Longitude/latitude to "world" coordinates: the Web Mercator square scaled to `[0, 1]²`,
/// x eastwards from the antimeridian, y southwards from the north edge (the tile grid's axes).
pub fn lonlat_to_world(lon: f64, lat: f64) -> (f64, f64) {
    (world_x(lon), world_y(lat))
}

/// The world x of a longitude (see [`lonlat_to_world`]).
#[inline]
pub fn world_x(lon: f64) -> f64 {
    (lon + 180.0) / 360.0
}

/// The world y of a latitude (see [`lonlat_to_world`]): the costly half, a `tan` and a `ln`.
#[inline]
pub fn world_y(lat: f64) -> f64 {
    let lat = lat.clamp(-MAX_LATITUDE, MAX_LATITUDE);
    0.5 - (PI / 4.0 + lat.to_radians() / 2.0).tan().ln() / (2.0 * PI)
}

/// World coordinates (see [`lonlat_to_world`]) to longitude/latitude.
pub fn world_to_lonlat(x: f64, y: f64) -> (f64, f64) {
    let lon = x * 360.0 - 180.0;
    let lat = (2.0 * ((0.5 - y) * 2.0 * PI).exp().atan() - PI / 2.0).to_degrees();
    (lon, lat)
}

/// Size of one tile pixel (1/[`EXTENT`] of a tile's edge) at zoom `z`, in Web Mercator
/// metres. On the ground it is this × cos(latitude): about 9.5 m at z12 and 0.037 m at z20
/// in Hà Nội (21° N).
pub fn pixel_size_m(z: u8) -> f64 {
    2.0 * MERCATOR_HALF_WORLD_M / (TileCoord::tiles_per_side(z) as f64 * f64::from(EXTENT))
}

/// The rectangle of tiles covering a box at one zoom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileRange {
    /// Zoom.
    pub z: u8,
    /// First column.
    pub x0: u32,
    /// First row (northernmost).
    pub y0: u32,
    /// Last column (inclusive).
    pub x1: u32,
    /// Last row (inclusive, southernmost).
    pub y1: u32,
}

impl TileRange {
    /// Number of tiles.
    pub fn len(&self) -> u64 {
        u64::from(self.x1 - self.x0 + 1) * u64::from(self.y1 - self.y0 + 1)
    }

    /// Whether the range is empty (never: a range holds at least one tile).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The tiles, row by row.
    pub fn iter(&self) -> impl Iterator<Item = TileCoord> + '_ {
        let z = self.z;
        (self.y0..=self.y1)
            .flat_map(move |y| (self.x0..=self.x1).map(move |x| TileCoord { z, x, y }))
    }
}

/// The tiles covering the box `[west, south, east, north]` (degrees) at zoom `z`. A box edge
/// exactly on a tile edge does not pull in the next tile. Errors only for `z` above
/// [`MAX_ZOOM`].
pub fn tiles_covering(bbox: [f64; 4], z: u8) -> Result<TileRange, TileCoordError> {
    let [w, s, e, n] = bbox;
    let nw = TileCoord::containing(w, n, z)?;
    let (ex, sy) = lonlat_to_world(e, s);
    let side = TileCoord::tiles_per_side(z) as f64;
    let max = side - 1.0;
    // The last tile is the one whose interior holds the east/south edge: ceil - 1.
    let x1 = ((ex * side).ceil() - 1.0).clamp(0.0, max) as u32;
    let y1 = ((sy * side).ceil() - 1.0).clamp(0.0, max) as u32;
    Ok(TileRange {
        z,
        x0: nw.x,
        y0: nw.y,
        x1: x1.max(nw.x),
        y1: y1.max(nw.y),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_checked_rejects_outside() {
        assert!(TileCoord::new_checked(0, 0, 0).is_ok());
        assert!(TileCoord::new_checked(0, 1, 0).is_err());
        assert!(TileCoord::new_checked(3, 7, 7).is_ok());
        assert!(TileCoord::new_checked(3, 8, 0).is_err());
        assert_eq!(
            TileCoord::new_checked(25, 0, 0),
            Err(TileCoordError::Zoom(25))
        );
        assert!(TileCoord::new_checked(24, (1 << 24) - 1, 0).is_ok());
    }

    #[test]
    fn mercator_round_trip() {
        for &(lon, lat) in &[(105.85, 21.03), (106.7, 10.78), (-179.9, -84.0), (0.0, 0.0)] {
            let (x, y) = lonlat_to_mercator(lon, lat);
            let (lon2, lat2) = mercator_to_lonlat(x, y);
            assert!((lon - lon2).abs() < 1e-9 && (lat - lat2).abs() < 1e-9);
            let (wx, wy) = lonlat_to_world(lon, lat);
            let (lon3, lat3) = world_to_lonlat(wx, wy);
            assert!((lon - lon3).abs() < 1e-9 && (lat - lat3).abs() < 1e-9);
        }
        // Hà Nội's Hoàn Kiếm lake; reference from PROJ's `cs2cs EPSG:4326 EPSG:3857`.
        let (x, y) = lonlat_to_mercator(105.8522, 21.0288);
        assert!((x - 11_783_413.003).abs() < 0.01, "{x}");
        assert!((y - 2_395_313.012).abs() < 0.01, "{y}");
    }

    #[test]
    fn tile_bounds_agree() {
        let t = TileCoord::new_checked(14, 13050, 7730).unwrap();
        let [w, s, e, n] = t.bounds_lonlat();
        assert!(w < e && s < n);
        let [x0, y0, x1, y1] = t.bounds_mercator();
        let (mw, ms) = lonlat_to_mercator(w, s);
        let (me, mn) = lonlat_to_mercator(e, n);
        for (a, b) in [(x0, mw), (y0, ms), (x1, me), (y1, mn)] {
            assert!((a - b).abs() < 1e-6, "{a} {b}");
        }
        assert!((x1 - x0 - pixel_size_m(14) * f64::from(EXTENT)).abs() < 1e-6);
        // The centre lies in the tile.
        let c = TileCoord::containing((w + e) / 2.0, (s + n) / 2.0, 14).unwrap();
        assert_eq!(c, t);
        assert_eq!(t.parent().unwrap().children().unwrap()[0].z, 14);
        assert!(t.parent().unwrap().children().unwrap().contains(&t));
    }

    #[test]
    fn covering_counts_tiles() {
        let t = TileCoord::new_checked(12, 3262, 1932).unwrap();
        // Exactly one tile's bounds give that tile only.
        let r = tiles_covering(t.bounds_lonlat(), 12).unwrap();
        assert_eq!((r.x0, r.y0, r.x1, r.y1), (3262, 1932, 3262, 1932));
        assert_eq!(r.len(), 1);
        // A box just larger crosses into the neighbours.
        let [w, s, e, n] = t.bounds_lonlat();
        let r = tiles_covering([w - 1e-6, s - 1e-6, e + 1e-6, n + 1e-6], 12).unwrap();
        assert_eq!(r.len(), 9);
        assert_eq!(r.iter().count(), 9);
        // The world at z2.
        let r = tiles_covering([-180.0, -85.0, 180.0, 85.0], 2).unwrap();
        assert_eq!(r.len(), 16);
        // Pixel size at z0: the whole world over 4096 pixels.
        assert!((pixel_size_m(0) - 40_075_016.686 / 4096.0).abs() < 1e-3);
    }
}
