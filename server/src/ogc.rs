//! OGC API - Features - Part 1: Core (OGC 17-069r4) at `/ogc`: every store layer is a
//! collection, in CRS84, as GeoJSON, so QGIS, GDAL (`OAPIF:`) and other clients read the
//! planning data through an open standard.
//!
//! Conformance classes: core, geojson and oas30. Links are absolute (built from the request's
//! host) because clients resolve them without a base.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use quyhoach_data::schema::Kind;
use quyhoach_data::store::LayerEntry;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::geo_json;
use crate::api::ApiState;
use crate::error::{AppError, Result};
use crate::geojson::{Feature, FeatureCollectionType, Link};
use crate::params::{clip, encode_url_part, parse_f64, Query};
use crate::proxy::base_url;

/// Page size when `limit` is not given (the standard's example default).
pub const DEFAULT_LIMIT: usize = 10;
/// Largest page (the index's page cap). Larger `limit` values are clamped to it, as
/// /req/core/fc-limit-response-1 permits, so clients that ask for "everything" page through
/// instead of failing.
pub const MAX_LIMIT: usize = quyhoach_data::index::MAX_PAGE;
/// Largest `offset`: deep paging costs a sort of all matches per page; ten million is above
/// any layer a province delivers.
pub const MAX_OFFSET: usize = 10_000_000;

/// The conformance classes implemented.
pub const CONFORMANCE: [&str; 3] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
];

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const JSON: &str = "application/json";
const GEOJSON: &str = "application/geo+json";
/// Media type of the OpenAPI 3.0 service description (OGC 17-069r4 §7.2.4).
pub const OPENAPI_JSON: &str = "application/vnd.oai.openapi+json;version=3.0";

fn link(href: String, rel: &'static str, ty: &'static str, title: &'static str) -> Link {
    Link::new(href, rel, ty).titled(title)
}

/// The landing page (OGC 17-069r4 §7.2): what this is, and links to the API definition,
/// the conformance declaration and the collections.
#[derive(Serialize, JsonSchema)]
pub struct Landing {
    /// The service's name.
    pub title: &'static str,
    /// What it serves.
    pub description: &'static str,
    /// `self`, `service-desc`, `conformance` and `data`.
    pub links: Vec<Link>,
}

/// The conformance declaration (§7.4).
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Conformance {
    /// The conformance classes implemented.
    pub conforms_to: &'static [&'static str],
}

/// The collections (§7.13): one per store layer.
#[derive(Serialize, JsonSchema)]
pub struct Collections {
    /// `self`.
    pub links: Vec<Link>,
    /// The collections.
    pub collections: Vec<Collection>,
}

/// A collection (§7.14): one store layer.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Collection {
    /// The layer id.
    pub id: String,
    /// What the layer holds, in Vietnamese and English, with its plan.
    pub title: String,
    /// Its size, source reference system and import time.
    pub description: String,
    /// Where (and when) its features are.
    pub extent: Extent,
    /// Always `feature`.
    pub item_type: &'static str,
    /// The reference systems offered: CRS84 only.
    pub crs: Vec<&'static str>,
    /// `self` and `items`.
    pub links: Vec<Link>,
}

/// The extent of a collection.
#[derive(Serialize, JsonSchema)]
pub struct Extent {
    /// Where.
    pub spatial: SpatialExtent,
    /// When: no feature has a time.
    pub temporal: TemporalExtent,
}

/// The spatial extent of a collection.
#[derive(Serialize, JsonSchema)]
pub struct SpatialExtent {
    /// One box, `[west, south, east, north]`.
    pub bbox: Vec<[f64; 4]>,
    /// CRS84.
    pub crs: &'static str,
}

/// The temporal extent of a collection.
#[derive(Serialize, JsonSchema)]
pub struct TemporalExtent {
    /// One unbounded interval `[null, null]` (the schema does not allow null itself).
    pub interval: Vec<[Option<String>; 2]>,
}

/// A page of a collection's features (§7.15): a GeoJSON FeatureCollection.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeatureCollection {
    /// `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: FeatureCollectionType,
    /// The features of this page.
    pub features: Vec<Feature>,
    /// How many features match the query in all.
    pub number_matched: usize,
    /// How many are on this page.
    pub number_returned: usize,
    /// When the answer was made, RFC 3339.
    pub time_stamp: String,
    /// `self`, `collection`, and `next`/`prev` between pages.
    pub links: Vec<Link>,
}

/// The values of `f`: only JSON is offered.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum OutputFormat {
    // JSON (GeoJSON for features).
    Json,
}

/// The parameter of every OGC resource but the items: the output format.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct FQuery {
    /// Output format; only json
    pub f: Option<OutputFormat>,
}

/// The parameters of `/collections/{collectionId}/items`, as OGC 17-069r4 names them (the
/// OpenAPI documents give `bbox`, `limit`, `offset` and `datetime` as the shared
/// `#/components/parameters/…`).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ItemsQuery {
    /// west,south,east,north in CRS84 degrees (6 numbers with heights accepted; heights ignored)
    #[schemars(with = "Option<Vec<f64>>", length(min = 4, max = 6))]
    pub bbox: Option<String>,
    /// Page size; larger values are clamped to the maximum
    #[serde(default, deserialize_with = "crate::params::clamped")]
    #[schemars(range(min = 1, max = MAX_LIMIT), extend("default" = DEFAULT_LIMIT))]
    pub limit: Option<i64>,
    /// Features to skip (follow the next/prev links rather than computing it)
    #[schemars(range(min = 0, max = MAX_OFFSET), extend("default" = 0))]
    pub offset: Option<i64>,
    /// RFC 3339 instant or interval; features have no time, so every feature matches a valid value
    pub datetime: Option<String>,
    /// Output format; only json
    pub f: Option<OutputFormat>,
}

pub(crate) fn with_type(mut r: Response, ty: &'static str) -> Response {
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    r
}

/// `GET /ogc` and `/ogc/`: the landing page.
pub async fn landing(headers: HeaderMap, Query(_): Query<FQuery>) -> Result<Response> {
    let b = format!("{}/ogc", base_url(&headers));
    Ok(with_type(
        Json(Landing {
            title: "quyhoach — dữ liệu quy hoạch (OGC API - Features)",
            description: "Thửa đất, khu quy hoạch, chỉ giới đường đỏ, ranh giới hành chính và đường giao thông, \
                WGS 84 (CRS84). Parcels, planning zones, red lines, boundaries and roads. Owners' personal data is never served.",
            links: vec![
                link(b.clone(), "self", JSON, "Trang này / this document"),
                link(format!("{b}/api"), "service-desc", OPENAPI_JSON, "OpenAPI 3.0 definition"),
                link(format!("{b}/conformance"), "conformance", JSON, "Conformance classes"),
                link(format!("{b}/collections"), "data", JSON, "Collections / lớp dữ liệu"),
            ],
        })
        .into_response(),
        JSON,
    ))
}

/// `GET /ogc/conformance`
pub async fn conformance(Query(_): Query<FQuery>) -> Result<Response> {
    Ok(with_type(
        Json(Conformance {
            conforms_to: &CONFORMANCE,
        })
        .into_response(),
        JSON,
    ))
}

fn kind_title(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Parcels => ("Thửa đất", "cadastral parcels"),
        Kind::Zones => ("Khu chức năng quy hoạch", "planning zones"),
        Kind::Redlines => ("Chỉ giới đường đỏ", "red lines"),
        Kind::Boundaries => ("Ranh giới hành chính", "administrative boundaries"),
        Kind::Roads => ("Đường giao thông", "roads"),
    }
}

fn collection_json(st: &ApiState, base: &str, id: &str, l: &LayerEntry) -> Collection {
    let (vi, en) = kind_title(l.kind);
    let plan = l
        .plan
        .as_ref()
        .and_then(|p| st.index.catalog().plans.get(p))
        .map(|p| format!(" — {} ({} {})", p.name, p.decision.number, p.decision.date))
        .unwrap_or_default();
    let c = format!("{base}/collections/{id}");
    Collection {
        id: id.to_string(),
        title: format!("{vi} / {en}{plan}"),
        description: format!(
            "{} {} ({en}); source reference system {}; imported {}.",
            l.count,
            vi.to_lowercase(),
            l.source.srs,
            l.imported_at
        ),
        extent: Extent {
            spatial: SpatialExtent {
                bbox: vec![l.bounds],
                crs: CRS84,
            },
            // No feature has a time: an unbounded interval (the schema does not allow null).
            temporal: TemporalExtent {
                interval: vec![[None, None]],
            },
        },
        item_type: "feature",
        crs: vec![CRS84],
        links: vec![
            link(c.clone(), "self", JSON, "This collection"),
            link(format!("{c}/items"), "items", GEOJSON, "Features"),
        ],
    }
}

fn layer<'a>(st: &'a ApiState, id: &str) -> Result<&'a LayerEntry> {
    st.index.layer_entry(id).ok_or_else(|| {
        AppError::not_found(format!(
            "no collection '{}'; collections: {}",
            clip(id),
            st.index.layer_ids().join(", ")
        ))
    })
}

/// `GET /ogc/collections`
pub async fn collections(
    State(st): State<ApiState>,
    headers: HeaderMap,
    Query(_): Query<FQuery>,
) -> Result<Response> {
    let base = format!("{}/ogc", base_url(&headers));
    let cols: Vec<Collection> = st
        .index
        .catalog()
        .layers
        .iter()
        .map(|(id, l)| collection_json(&st, &base, id, l))
        .collect();
    Ok(with_type(
        Json(Collections {
            links: vec![link(
                format!("{base}/collections"),
                "self",
                JSON,
                "Collections",
            )],
            collections: cols,
        })
        .into_response(),
        JSON,
    ))
}

/// `GET /ogc/collections/{id}`
pub async fn collection(
    State(st): State<ApiState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(_): Query<FQuery>,
) -> Result<Response> {
    let l = layer(&st, &id)?;
    let base = format!("{}/ogc", base_url(&headers));
    Ok(with_type(
        Json(collection_json(&st, &base, &id, l)).into_response(),
        JSON,
    ))
}

/// Parses `bbox`: 4 numbers (or 6, the heights ignored), CRS84, west ≤ east.
pub fn parse_bbox(text: &str) -> Result<[f64; 4]> {
    let parts: Vec<&str> = text.split(',').collect();
    let nums = parts
        .iter()
        .map(|s| parse_f64("bbox", s))
        .collect::<Result<Vec<f64>>>()?;
    let [w, s, e, n] = match nums.as_slice() {
        [w, s, e, n] | [w, s, _, e, n, _] => [*w, *s, *e, *n],
        _ => {
            return Err(AppError::bad(format!(
                "bbox takes 4 numbers west,south,east,north (or 6 with heights) in CRS84 degrees, got {}",
                nums.len()
            )))
        }
    };
    if !(-180.0..=180.0).contains(&w)
        || !(-180.0..=180.0).contains(&e)
        || !(-90.0..=90.0).contains(&s)
        || !(-90.0..=90.0).contains(&n)
    {
        return Err(AppError::bad(format!(
            "bbox is outside longitude -180..180 / latitude -90..90: {w},{s},{e},{n} \
             (it must be CRS84 degrees, not VN-2000 metres)"
        )));
    }
    if s > n {
        return Err(AppError::bad(format!(
            "bbox south ({s}) is north of its north ({n})"
        )));
    }
    if w > e {
        return Err(AppError::bad(format!(
            "bbox west ({w}) is east of its east ({e}); boxes across the antimeridian are not \
             supported (no data there)"
        )));
    }
    Ok([w, s, e, n])
}

/// Checks the syntax of `datetime` (RFC 3339 instant, or interval with `..` open ends).
/// No feature has a time, so every feature matches any valid value.
fn check_datetime(v: &str) -> Result<()> {
    let instant = |t: &str| {
        t == ".."
            || t.is_empty()
            || time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .is_ok()
            || time::Date::parse(t, time::macros::format_description!("[year]-[month]-[day]"))
                .is_ok()
    };
    let ok = match v.split_once('/') {
        Some((a, b)) => instant(a) && instant(b) && !(a.is_empty() && b.is_empty()),
        None => !v.is_empty() && v != ".." && instant(v),
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::bad(format!(
            "datetime must be an RFC 3339 instant (2024-01-01T00:00:00Z or 2024-01-01) or an \
             interval a/b with '..' for an open end, got '{}'",
            clip(v)
        )))
    }
}

fn now_rfc3339() -> String {
    let t = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&fmt).unwrap_or_default()
}

/// `GET /ogc/collections/{id}/items?bbox=&limit=&offset=&datetime=`
pub async fn items(
    State(st): State<ApiState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(p): Query<ItemsQuery>,
) -> Result<Response> {
    let entry = layer(&st, &id)?;
    let bbox = p.bbox.as_deref().map(parse_bbox).transpose()?;
    let query_box = bbox.map(|b| clip_to_layer(b, entry.bounds));
    // Clamped, not refused: see MAX_LIMIT.
    let limit = p.limit.map_or(DEFAULT_LIMIT, |l| {
        usize::try_from(l).unwrap_or(MAX_LIMIT).min(MAX_LIMIT)
    });
    let offset = p.offset.map_or(0, |o| usize::try_from(o).unwrap_or(0));
    if let Some(dt) = &p.datetime {
        check_datetime(dt)?;
    }
    let index = st.index.clone();
    let layer_id = id.clone();
    let (features, matched) = match query_box {
        Some(None) => (Vec::new(), 0),
        Some(Some(b)) if b == entry.bounds => whole(index, layer_id, limit, offset).await?,
        None => whole(index, layer_id, limit, offset).await?,
        Some(Some(b)) => {
            tokio::task::spawn_blocking(move || {
                index.features_in_bbox(&layer_id, Some(b), limit, offset)
            })
            .await??
        }
    };
    let base = format!("{}/ogc/collections/{id}", base_url(&headers));
    let page = |off: usize| {
        let mut q = vec![format!("limit={limit}")];
        if off > 0 {
            q.push(format!("offset={off}"));
        }
        if let Some([w, s, e, n]) = bbox {
            q.push(format!("bbox={w},{s},{e},{n}"));
        }
        if let Some(dt) = &p.datetime {
            q.push(format!("datetime={}", encode_url_part(dt)));
        }
        format!("{base}/items?{}", q.join("&"))
    };
    let mut links = vec![
        link(page(offset), "self", GEOJSON, "This page"),
        link(base.clone(), "collection", JSON, "The collection"),
    ];
    if offset + features.len() < matched {
        links.push(link(
            page(offset + features.len()),
            "next",
            GEOJSON,
            "Next page",
        ));
    }
    if offset > 0 {
        links.push(link(
            page(offset.saturating_sub(limit)),
            "prev",
            GEOJSON,
            "Previous page",
        ));
    }
    let features: Vec<Feature> = features.iter().map(|f| Feature::new(f, vec![])).collect();
    Ok(geo_json(FeatureCollection {
        kind: FeatureCollectionType::FeatureCollection,
        number_matched: matched,
        number_returned: features.len(),
        features,
        time_stamp: now_rfc3339(),
        links,
    }))
}

type Page = (Vec<quyhoach_data::index::FeatureOut>, usize);

async fn whole(
    index: std::sync::Arc<dyn quyhoach_data::lookup::Store>,
    layer: String,
    limit: usize,
    offset: usize,
) -> Result<Page> {
    Ok(
        tokio::task::spawn_blocking(move || index.features_in_bbox(&layer, None, limit, offset))
            .await??,
    )
}

/// The part of a query box inside the layer's extent: `None` when they do not meet, the
/// layer's own bounds when the box covers them. Every feature lies within the layer's
/// bounds, so the features meeting the clipped box are exactly those meeting the original;
/// clipping keeps a world-wide box (QGIS zoomed out, a test suite's Europe box) from
/// tripping the index's box-area cap, which is there for boxes that match many features.
pub fn clip_to_layer(b: [f64; 4], bounds: [f64; 4]) -> Option<[f64; 4]> {
    let c = [
        b[0].max(bounds[0]),
        b[1].max(bounds[1]),
        b[2].min(bounds[2]),
        b[3].min(bounds[3]),
    ];
    (c[0] <= c[2] && c[1] <= c[3]).then_some(c)
}

/// `GET /ogc/collections/{id}/items/{featureId}`
pub async fn item(
    State(st): State<ApiState>,
    Path((id, fid)): Path<(String, String)>,
    headers: HeaderMap,
    Query(_): Query<FQuery>,
) -> Result<Response> {
    layer(&st, &id)?;
    let fid: u32 = fid.parse().map_err(|_| {
        AppError::not_found(format!(
            "no feature '{}' in '{id}': feature ids are whole numbers from 0",
            clip(&fid)
        ))
    })?;
    let index = st.index.clone();
    let layer_id = id.clone();
    let f = tokio::task::spawn_blocking(move || index.feature(&layer_id, fid))
        .await??
        .ok_or_else(|| AppError::not_found(format!("no feature {fid} in collection '{id}'")))?;
    let base = format!("{}/ogc/collections/{id}", base_url(&headers));
    let mut links = vec![
        link(
            format!("{base}/items/{fid}"),
            "self",
            GEOJSON,
            "This feature",
        ),
        link(base, "collection", JSON, "The collection"),
    ];
    if let Some(path) = crate::api::parcel_path(&f.properties) {
        let b = base_url(&headers);
        links.push(link(
            format!("{b}{path}/report"),
            "related",
            JSON,
            "Báo cáo quy hoạch / planning report",
        ));
    }
    Ok(geo_json(Feature::new(&f, links)))
}
