//! A site uploaded as a file — a business's boundary as a zipped Shapefile, KML, GeoJSON or
//! GeoPackage — read through the importer's GDAL path into one WGS 84 MultiPolygon for a
//! planning report.

use std::path::PathBuf;

use gdal::vector::LayerAccess;
use geo::CoordsIter;
use geo_types::{Geometry, MultiPolygon};

use crate::import::{open_source, reproject, shape_geometry, ImportError};
use crate::schema::Kind;
use crate::srs::{ResolvedSrs, SrsError, SrsSpec};

/// Most features in an uploaded site file: a site is a few lots, not a cadastre.
pub const MAX_SITE_FEATURES: usize = 500;
/// Most vertices, all features together: the same cap as a drawn site.
pub const MAX_SITE_VERTICES: usize = 20_000;

/// Errors of reading an uploaded site.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// Not a format we read.
    #[error("unrecognised file: send a zipped Shapefile (.zip with .shp, .shx, .dbf and .prj), KML, GeoJSON or GeoPackage")]
    Format,
    /// GDAL could not read it, or a field/layer problem.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A reference-system problem.
    #[error(transparent)]
    Srs(#[from] SrsError),
    /// No polygon in the file.
    #[error("the file has no polygon (lines and points are not sites){0}")]
    Empty(String),
    /// Over a cap.
    #[error("{0}")]
    TooLarge(String),
    /// Writing the temporary file failed.
    #[error("cannot store the upload: {0}")]
    Io(#[from] std::io::Error),
}

/// The file extension GDAL needs, from the first bytes.
fn extension(bytes: &[u8]) -> Option<&'static str> {
    let start = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text_start: Vec<u8> = start
        .iter()
        .copied()
        .skip_while(u8::is_ascii_whitespace)
        .take(512)
        .collect();
    if start.starts_with(b"PK\x03\x04") {
        Some("zip")
    } else if start.starts_with(b"SQLite format 3\0") {
        Some("gpkg")
    } else if text_start.starts_with(b"{") {
        Some("geojson")
    } else if text_start.starts_with(b"<") && String::from_utf8_lossy(&text_start).contains("<kml")
    {
        Some("kml")
    } else {
        None
    }
}

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Reads the polygons of an uploaded file (first layer that has any) as one MultiPolygon in
/// WGS 84. `srs` is what the file is in: `prj` trusts its own CRS (KML and GeoJSON are
/// WGS 84); VN-2000 gets the pinned transformation. Invalid polygons are repaired as on import.
pub fn read_site(bytes: &[u8], srs: &SrsSpec) -> Result<MultiPolygon<f64>, SiteError> {
    let ext = extension(bytes).ok_or(SiteError::Format)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir =
        TempDir(std::env::temp_dir().join(format!("quyhoach-site-{}-{nanos}", std::process::id())));
    std::fs::create_dir_all(&dir.0)?;
    let path = dir.0.join(format!("site.{ext}"));
    std::fs::write(&path, bytes)?;
    let ds = open_source(&path, None)?;
    let mut polygons = Vec::new();
    let mut skipped = 0usize;
    for mut layer in ds.layers() {
        let resolved = ResolvedSrs::resolve(srs, layer.spatial_ref().as_ref())?;
        let ct = resolved.to_wgs84()?;
        for (n, feature) in layer.features().enumerate() {
            if n >= MAX_SITE_FEATURES {
                return Err(SiteError::TooLarge(format!(
                    "more than {MAX_SITE_FEATURES} features: a site is a few lots; merge them first"
                )));
            }
            let Some(g) = feature.geometry() else {
                continue;
            };
            match shape_geometry(Kind::Parcels, g) {
                Ok(mut shaped) => {
                    reproject(&mut shaped.geom, &ct).map_err(|e| {
                        SiteError::Srs(SrsError::Impossible {
                            srs: resolved.label.clone(),
                            detail: e,
                        })
                    })?;
                    if let Geometry::MultiPolygon(mp) = shaped.geom {
                        polygons.extend(mp.0);
                    }
                }
                Err(_) => skipped += 1,
            }
        }
        if !polygons.is_empty() {
            break;
        }
    }
    let mp = MultiPolygon(polygons);
    if mp.0.is_empty() {
        return Err(SiteError::Empty(if skipped > 0 {
            format!(" ({skipped} features of other types)")
        } else {
            String::new()
        }));
    }
    let n = mp.coords_count();
    if n > MAX_SITE_VERTICES {
        return Err(SiteError::TooLarge(format!(
            "the site has {n} vertices; at most {MAX_SITE_VERTICES} (simplify it first)"
        )));
    }
    Ok(mp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::GeodesicArea;

    #[test]
    fn kml_and_geojson_sites() {
        let kml = r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>Lô A</name>
<Polygon><outerBoundaryIs><LinearRing><coordinates>
105.11,9.95,0 105.111,9.95,0 105.111,9.951,0 105.11,9.951,0 105.11,9.95,0
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>"#;
        let mp = read_site(kml.as_bytes(), &SrsSpec::Prj).unwrap();
        let area = mp.geodesic_area_unsigned();
        assert!((area - 12_100.0).abs() < 300.0, "{area}");
        let gj = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
          "geometry":{"type":"Polygon","coordinates":[[[566000,1100000],[566100,1100000],[566100,1100100],[566000,1100100],[566000,1100000]]]}}]}"#;
        let mp = read_site(gj.as_bytes(), &"vn2000:kien-giang".parse().unwrap()).unwrap();
        let [lon, lat] = [mp.0[0].exterior().0[0].x, mp.0[0].exterior().0[0].y];
        assert!(
            (105.0..105.2).contains(&lon) && (9.9..10.1).contains(&lat),
            "{lon} {lat}"
        );
        assert!(matches!(
            read_site(b"hello", &SrsSpec::Prj),
            Err(SiteError::Format)
        ));
        let line = r#"{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[105.1,9.9],[105.2,9.9]]}}"#;
        assert!(matches!(
            read_site(line.as_bytes(), &SrsSpec::Prj),
            Err(SiteError::Empty(_))
        ));
    }
}
