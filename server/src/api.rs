//! The portal's JSON API under `/api/v1`: parcel lookup, search, planning reports,
//! coordinate conversion and the catalog.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use quyhoach_data::index::{FeatureOut, SearchHit};
use quyhoach_data::landuse;
use quyhoach_data::lookup::Store;
use quyhoach_data::planning::{self, Cancel, FeatureId, Site};
use quyhoach_data::plans::Plan;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::error::{AppError, Result};
use crate::geojson::{
    parse_site, Feature, FeatureCollectionType, FeatureType, GeoJsonGeometry, Link,
};
use crate::params::{check_lon_lat, clip, parse_int, required, NoParams, Params, Query};
use crate::text;
use crate::upload::Uploads;

/// What the JSON API's handlers read: the loaded store, its data version and the finished
/// reports of that version. Cheap to clone (three `Arc`s); the server's state hands it out
/// (`FromRef`), and the OGC API, the text-only site and the previews read the same.
#[derive(Clone)]
pub struct ApiState {
    /// The loaded store.
    pub index: std::sync::Arc<dyn Store>,
    /// The data version's weak ETag ([`crate::version::data_etag`]).
    pub etag: std::sync::Arc<str>,
    /// Finished parcel reports of this data version (JSON and its gzip).
    pub(crate) reports: std::sync::Arc<ReportCache>,
}

/// Most hits a type-ahead search returns (the index's cap): a drop-down list, not a page.
pub const MAX_SEARCH_LIMIT: i64 = quyhoach_data::index::MAX_SEARCH_LIMIT as i64;
/// Hits returned when `limit` is not given.
pub const DEFAULT_SEARCH_LIMIT: i64 = 10;
/// Longest search text, in characters (the index's cap).
pub const MAX_QUERY_CHARS: usize = quyhoach_data::index::MAX_QUERY_CHARS;
/// Most points in one conversion request (the index's cap): a certificate's corner table
/// has tens, a surveyed boundary hundreds.
pub const MAX_CONVERT_POINTS: usize = quyhoach_data::planning::MAX_CONVERT_POINTS;
/// Most parcels returned at one point (overlapping parcels in a damaged cadastre).
pub const MAX_PARCELS_AT: usize = 50;
/// Largest parcel or sheet number accepted in a path (sheets have 1–4 digits, parcels up
/// to 6 in the cadastral standard; 10^9 leaves room and stays far from overflow).
pub const MAX_NUMBER: i64 = 1_000_000_000;

/// Vietnamese "X" on land-use certificates is the northing, "Y" the easting; we say it in
/// every message where it matters.
const XY_NOTE: &str = "x is the easting and y the northing; on Vietnamese land certificates \
    \"X\" is the northing and \"Y\" the easting, so pass X as northing= and Y as easting=";

fn json_ok(v: impl Serialize) -> Response {
    Json(v).into_response()
}

const JSON: &str = "application/json";
const GEOJSON: &str = "application/geo+json";

/// `GET /api/v1/health`: the server is up, and which data it serves.
#[derive(Serialize, JsonSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// The server's version.
    pub version: &'static str,
    /// Store layers loaded.
    pub layers: usize,
    /// Features in all layers.
    pub features: u64,
    /// Plans in the catalog.
    pub plans: usize,
    /// The data version (the store's ETag without its quotes): it changes with every import.
    pub data_version: String,
}

/// `GET /api/v1/health` of a tile-only server (`serve --pmtiles` without a store).
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TileHealth {
    /// `ok`.
    pub status: &'static str,
    /// The server's version.
    pub version: &'static str,
    /// `tiles`: this server serves archives only.
    pub mode: &'static str,
    /// The archives' tile set names.
    pub tilesets: Vec<String>,
    /// The archives' versions, joined by `-`: it changes when an archive does.
    pub data_version: String,
}

/// `GET /api/v1/health`
pub async fn health(
    State(st): State<ApiState>,
    Query(NoParams {}): Query<NoParams>,
) -> Result<Response> {
    let cat = st.index.catalog();
    Ok(json_ok(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        layers: cat.layers.len(),
        features: cat.layers.values().map(|l| l.count).sum(),
        plans: cat.plans.len(),
        data_version: st
            .etag
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_string(),
    }))
}

/// `GET /api/v1/layers`: the store's layers.
#[derive(Serialize, JsonSchema)]
pub struct LayerList<'a> {
    /// In catalog order.
    pub layers: Vec<LayerOut<'a>>,
}

/// A store layer as the API shows it: only what a user needs to judge the data (the
/// catalog's source path and import counts stay private).
#[derive(Serialize, JsonSchema)]
pub struct LayerOut<'a> {
    /// Layer id, also its OGC API - Features collection id.
    pub id: &'a str,
    /// `parcels`, `zones`, `redlines`, `boundaries` or `roads`.
    pub kind: &'static str,
    /// Number of features.
    pub count: u64,
    /// WGS 84 bounds `[west, south, east, north]`.
    pub bounds: [f64; 4],
    /// The plan, for zones and red lines imported with `--plan`.
    pub plan: Option<&'a str>,
    /// Plans referenced by the features.
    pub plans: &'a [String],
    /// The public columns of its features' properties (personal-data columns are not
    /// listed, and never served).
    pub columns: Vec<ColumnOut<'a>>,
    /// Where it came from.
    pub source: SourceOut<'a>,
    /// SHA-256 of the layer file.
    pub sha256: &'a str,
    /// Import time, RFC 3339 UTC.
    pub imported_at: &'a str,
    /// Its features (`items`) and its collection in OGC API - Features.
    pub links: Vec<Link>,
}

/// A column of a layer.
#[derive(Serialize, JsonSchema)]
pub struct ColumnOut<'a> {
    /// Name (a feature property).
    pub name: &'a str,
    /// Type.
    #[serde(rename = "type")]
    pub ty: quyhoach_data::schema::FieldType,
    /// Meaning.
    pub doc: &'a str,
}

/// Where a layer came from.
#[derive(Serialize, JsonSchema)]
pub struct SourceOut<'a> {
    /// The GDAL driver that read it.
    pub driver: &'a str,
    /// The reference system asked for (`vn2000:kien-giang`, `prj`, …).
    pub srs: &'a str,
    /// The text encoding found or forced.
    pub encoding: &'a str,
    /// How areas were measured.
    pub measure: quyhoach_data::srs::Measure,
}

impl<'a> LayerOut<'a> {
    fn new(id: &'a str, l: &'a quyhoach_data::store::LayerEntry) -> Self {
        let source = &l.source;
        LayerOut {
            id,
            kind: l.kind.id(),
            count: l.count,
            bounds: l.bounds,
            plan: l.plan.as_deref(),
            plans: &l.plans,
            columns: l
                .columns
                .iter()
                .filter(|c| !c.name.starts_with("private_"))
                .map(|c| ColumnOut {
                    name: &c.name,
                    ty: c.ty,
                    doc: &c.doc,
                })
                .collect(),
            source: SourceOut {
                driver: &source.driver,
                srs: &source.srs,
                encoding: &source.encoding,
                measure: source.measure,
            },
            sha256: &l.sha256,
            imported_at: &l.imported_at,
            links: vec![
                Link::new(format!("/ogc/collections/{id}/items"), "items", GEOJSON),
                Link::new(format!("/ogc/collections/{id}"), "collection", JSON),
            ],
        }
    }
}

/// `GET /api/v1/layers`
pub async fn layers(
    State(st): State<ApiState>,
    Query(NoParams {}): Query<NoParams>,
) -> Result<Response> {
    let cat = st.index.catalog();
    Ok(json_ok(LayerList {
        layers: cat
            .layers
            .iter()
            .map(|(id, l)| LayerOut::new(id, l))
            .collect(),
    }))
}

/// `GET /api/v1/plans`: the catalog's plans.
#[derive(Serialize, JsonSchema)]
pub struct PlanList<'a> {
    /// By id.
    pub plans: Vec<PlanOut<'a>>,
}

/// A plan with its approving decision, its status and the layers drawn from it.
#[derive(Serialize, JsonSchema)]
pub struct PlanOut<'a> {
    /// The plan.
    #[serde(flatten)]
    pub plan: &'a Plan,
    /// Its level in Vietnamese ("Quy hoạch phân khu tỷ lệ 1/2000").
    pub level_name_vi: &'static str,
    /// Its status in Vietnamese ("Còn hiệu lực").
    pub status_name_vi: &'static str,
    /// The store layers drawn from it.
    pub layers: Vec<&'a str>,
    /// `self`.
    pub links: Vec<Link>,
}

fn plan_out<'a>(st: &'a ApiState, id: &str) -> Option<PlanOut<'a>> {
    let cat = st.index.catalog();
    let plan = cat.plans.get(id)?;
    Some(PlanOut {
        plan,
        level_name_vi: plan.level.name_vi(),
        status_name_vi: plan.status.name_vi(),
        layers: cat
            .layers
            .iter()
            .filter(|(_, l)| l.plans.iter().any(|p| p == id) || l.plan.as_deref() == Some(id))
            .map(|(k, _)| k.as_str())
            .collect(),
        links: vec![Link::new(format!("/api/v1/plans/{id}"), "self", JSON)],
    })
}

/// `GET /api/v1/plans`
pub async fn plans(
    State(st): State<ApiState>,
    Query(NoParams {}): Query<NoParams>,
) -> Result<Response> {
    let plans = st
        .index
        .catalog()
        .plans
        .keys()
        .filter_map(|id| plan_out(&st, id))
        .collect();
    Ok(json_ok(PlanList { plans }))
}

/// `GET /api/v1/plans/{id}`
pub async fn plan(
    State(st): State<ApiState>,
    Path(id): Path<String>,
    Query(NoParams {}): Query<NoParams>,
) -> Result<Response> {
    plan_out(&st, &id).map(json_ok).ok_or_else(|| {
        let known: Vec<&String> = st.index.catalog().plans.keys().collect();
        AppError::not_found(format!(
            "no plan '{}'; known plans: {}",
            clip(&id),
            known
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// `GET /api/v1/landuse-codes`: the land-use code table.
#[derive(Serialize, JsonSchema)]
pub struct LandUseCodes {
    /// The circular the table is from.
    pub source: &'static str,
    /// The codes, in the circular's order.
    pub codes: Vec<&'static landuse::LandUse>,
    /// Codes of Circular 27/2018 and what they became.
    pub legacy: Vec<LegacyCode>,
}

/// A legacy code and its successor.
#[derive(Serialize, JsonSchema)]
pub struct LegacyCode {
    /// The 2018 code.
    pub code: &'static str,
    /// The 2024 code it became.
    pub now: &'static str,
}

/// `GET /api/v1/landuse-codes`
pub async fn landuse_codes(Query(NoParams {}): Query<NoParams>) -> Result<Response> {
    let codes = landuse::codes().iter().collect();
    Ok(json_ok(LandUseCodes {
        source: "Circular 08/2024/TT-BTNMT",
        codes,
        legacy: landuse::LEGACY_CODES
            .iter()
            .map(|&(code, now)| LegacyCode { code, now })
            .collect(),
    }))
}

/// The deep link of a parcel from its properties, if it has the identifying fields.
pub fn parcel_path(props: &Map<String, Value>) -> Option<String> {
    let commune = props.get("commune_code")?.as_str()?;
    let sheet = props.get("sheet")?.as_i64()?;
    let parcel = props.get("parcel")?.as_i64()?;
    Some(parcel_path_of(commune, sheet, parcel))
}

/// The deep link of the parcel numbered `parcel` on `sheet` of commune `commune` (a code).
pub fn parcel_path_of(commune: &str, sheet: i64, parcel: i64) -> String {
    format!("/api/v1/parcels/{commune}/{sheet}/{parcel}")
}

/// Links of a served parcel: its stable deep link and its planning reports.
fn parcel_links(f: &FeatureOut) -> Vec<Link> {
    let mut links = vec![Link::new(
        format!("/ogc/collections/{}/items/{}", f.layer, f.id),
        "item",
        GEOJSON,
    )
    .titled("OGC API - Features")];
    if let Some(path) = parcel_path(&f.properties) {
        links.push(Link::new(&path, "self", GEOJSON).titled("Liên kết cố định / deep link"));
        links.push(
            Link::new(format!("{path}/report"), "report", JSON)
                .titled("Báo cáo quy hoạch / planning report"),
        );
        links.push(
            Link::new(format!("{path}/report.txt"), "alternate", "text/plain")
                .titled("Báo cáo (văn bản)"),
        );
        links.push(
            Link::new(format!("{path}/report.html"), "alternate", "text/html")
                .titled("Báo cáo (HTML nhẹ)"),
        );
    }
    links
}

/// Parcels at a point or by number: a GeoJSON FeatureCollection with the question asked.
#[derive(Serialize, JsonSchema)]
pub struct ParcelCollection {
    /// `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: FeatureCollectionType,
    /// The question as understood: the point (with its WGS 84 position when given in
    /// VN-2000), or the commune, sheet and parcel numbers.
    pub query: ParcelQuery,
    /// How many parcels were found.
    #[serde(rename = "numberReturned")]
    pub number_returned: usize,
    /// The parcels.
    pub features: Vec<ParcelFeature>,
    /// A VN-2000 point on no parcel: the provincial meridians on which it lands on a parcel,
    /// or in the data (the point may have been read with the wrong province).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestions: Option<Vec<quyhoach_data::index::Suggestion>>,
}

/// The question of a parcel lookup, as understood.
#[derive(Default, Serialize, JsonSchema)]
pub struct ParcelQuery {
    /// VN-2000 easting, metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<f64>,
    /// VN-2000 northing, metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<f64>,
    /// The reference system of x/y.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srs: Option<String>,
    /// WGS 84 longitude, degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// WGS 84 latitude, degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// The commune as given (code or name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commune: Option<String>,
    /// Map sheet number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<i64>,
    /// Parcel number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parcel: Option<i64>,
}

/// A parcel: a GeoJSON Feature with its layer and links to its deep link and reports.
#[derive(Serialize, JsonSchema)]
pub struct ParcelFeature {
    /// The feature.
    #[serde(flatten)]
    pub feature: Feature,
    /// Its layer.
    pub layer: String,
}

fn parcel_collection(features: &[FeatureOut], query: ParcelQuery) -> ParcelCollection {
    let features: Vec<ParcelFeature> = features
        .iter()
        .map(|f| ParcelFeature {
            feature: Feature::new(f, parcel_links(f)),
            layer: f.layer.clone(),
        })
        .collect();
    ParcelCollection {
        kind: FeatureCollectionType::FeatureCollection,
        query,
        number_returned: features.len(),
        features,
        suggestions: None,
    }
}

/// A GeoJSON response with its registered media type.
pub fn geo_json(v: impl Serialize) -> Response {
    let mut r = Json(v).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/geo+json"),
    );
    r
}

/// Checks VN-2000 metres and catches the usual swap of X and Y.
fn check_vn2000(x: f64, y: f64) -> Result<()> {
    if x > 1_000_000.0 && (0.0..1_000_000.0).contains(&y) {
        return Err(AppError::bad(format!(
            "x={x} looks like a northing and y={y} like an easting: they seem swapped. {XY_NOTE}"
        )));
    }
    if !(0.0..=1_000_000.0).contains(&x) || !(0.0..=3_000_000.0).contains(&y) {
        return Err(AppError::bad(format!(
            "VN-2000 coordinates out of range: easting must be 0..1000000 m and northing 0..3000000 m, \
             got x={x}, y={y}. {XY_NOTE}"
        )));
    }
    Ok(())
}

/// Reads a projected point from `x`/`y` or their aliases `easting`/`northing`.
fn projected_point(
    x: Option<f64>,
    easting: Option<f64>,
    y: Option<f64>,
    northing: Option<f64>,
) -> Result<Option<(f64, f64)>> {
    let x = match (x, easting) {
        (Some(_), Some(_)) => return Err(AppError::bad("give x or easting, not both")),
        (a, b) => a.or(b),
    };
    let y = match (y, northing) {
        (Some(_), Some(_)) => return Err(AppError::bad("give y or northing, not both")),
        (a, b) => a.or(b),
    };
    match (x, y) {
        (Some(x), Some(y)) => {
            check_vn2000(x, y)?;
            Ok(Some((x, y)))
        }
        (None, None) => Ok(None),
        _ => Err(AppError::bad(format!(
            "give both x (easting) and y (northing). {XY_NOTE}"
        ))),
    }
}

async fn blocking<T: Send + 'static>(
    st: &ApiState,
    f: impl FnOnce(&dyn Store) -> Result<T> + Send + 'static,
) -> Result<T> {
    blocking_cancellable(st, move |ix, _| f(ix)).await
}

/// How long a report may run: a little under [`REQUEST_TIMEOUT`](crate::REQUEST_TIMEOUT), so
/// it stops and answers its own 503 before the timeout layer gives up on the request.
pub const REPORT_DEADLINE: Duration = crate::REQUEST_TIMEOUT.saturating_sub(Duration::from_secs(2));

/// Runs `f` on the blocking pool with a [`Cancel`] token that expires after
/// [`REPORT_DEADLINE`] and is cancelled when this future is dropped (the timeout layer gave
/// up, or the client went away): work that checks it stops then instead of running on.
async fn blocking_cancellable<T: Send + 'static>(
    st: &ApiState,
    f: impl FnOnce(&dyn Store, &Cancel) -> Result<T> + Send + 'static,
) -> Result<T> {
    let index = st.index.clone();
    let cancel = Cancel::with_timeout(REPORT_DEADLINE);
    let _stop_when_dropped = cancel.guard();
    tokio::task::spawn_blocking(move || f(&*index, &cancel)).await?
}

/// `GET /api/v1/parcels/at`'s parameters: a WGS 84 point, or VN-2000 metres with their
/// reference system.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AtQuery {
    /// WGS 84 longitude, degrees
    pub lon: Option<f64>,
    /// WGS 84 latitude, degrees
    pub lat: Option<f64>,
    /// VN-2000 easting in metres (alias easting). Vietnamese certificates call the easting "Y"
    pub x: Option<f64>,
    /// VN-2000 northing in metres (alias northing). Vietnamese certificates call the northing "X"
    pub y: Option<f64>,
    /// Alias of x
    pub easting: Option<f64>,
    /// Alias of y (the "X" of a Vietnamese certificate)
    pub northing: Option<f64>,
    /// Reference system of x/y: vn2000:<province>, vn2000:tm3:<meridian>, vn2000:utm48|utm49, EPSG:<code>
    pub srs: Option<String>,
}

/// `GET /api/v1/parcels/at?lon=&lat=` or `?x=&y=&srs=` (aliases `easting`, `northing`).
pub async fn parcels_at(State(st): State<ApiState>, Query(p): Query<AtQuery>) -> Result<Response> {
    let projected = projected_point(p.x, p.easting, p.y, p.northing)?;
    let (lon, lat, query) = if let Some((x, y)) = projected {
        if p.lon.is_some() || p.lat.is_some() {
            return Err(AppError::bad(
                "give either lon/lat (WGS 84) or x/y with srs (VN-2000), not both",
            ));
        }
        let srs = required(
            "srs",
            p.srs.as_deref(),
            "the reference system of x/y, e.g. vn2000:kien-giang, vn2000:tm3:104.5 or EPSG:9210",
        )?;
        let out = planning::convert(&[(x, y)], srs, true)?;
        let &(lon, lat) = out
            .first()
            .ok_or_else(|| AppError::Internal("conversion returned no point".into()))?;
        let query = ParcelQuery {
            x: Some(x),
            y: Some(y),
            srs: Some(srs.to_string()),
            lon: Some(lon),
            lat: Some(lat),
            ..ParcelQuery::default()
        };
        (lon, lat, query)
    } else {
        let (Some(lon), Some(lat)) = (p.lon, p.lat) else {
            return Err(AppError::bad(format!(
                "give lon and lat (WGS 84 degrees, e.g. lon=105.12&lat=10.01), or x, y and srs \
                 (VN-2000 metres, e.g. x=590000&y=1100000&srs=vn2000:kien-giang). {XY_NOTE}"
            )));
        };
        if p.srs.is_some() {
            return Err(AppError::bad(
                "srs goes with x/y; lon/lat are always WGS 84",
            ));
        }
        let query = ParcelQuery {
            lon: Some(lon),
            lat: Some(lat),
            ..ParcelQuery::default()
        };
        (lon, lat, query)
    };
    check_lon_lat(lon, lat)?;
    // A VN-2000 point on no parcel may have been read with the wrong province: its other
    // readings that land on a parcel (or in the data) come back as `suggestions`.
    let xy = projected.zip(p.srs);
    let (mut found, suggestions) = blocking(&st, move |ix| {
        let found = ix.parcels_at(lon, lat)?;
        let suggestions = match (&xy, found.is_empty()) {
            (Some(((x, y), srs)), true) => Some(ix.vn2000_suggestions(*x, *y, srs)),
            _ => None,
        };
        Ok((found, suggestions))
    })
    .await?;
    found.truncate(MAX_PARCELS_AT);
    let mut body = parcel_collection(&found, query);
    body.suggestions = suggestions;
    Ok(geo_json(body))
}

fn parse_parcel_path(sheet: &str, parcel: &str) -> Result<(i64, i64)> {
    Ok((
        parse_int("sheet", sheet, 0, MAX_NUMBER)?,
        parse_int("parcel", parcel, 0, MAX_NUMBER)?,
    ))
}

type ParcelPath = Path<(String, String, String)>;

/// `GET /api/v1/parcels/{commune}/{sheet}/{parcel}`: the stable deep link; duplicates of a
/// number in a sheet all come back.
pub async fn parcel_by_number(
    State(st): State<ApiState>,
    Path((commune, sheet, parcel)): ParcelPath,
    Query(NoParams {}): Query<NoParams>,
) -> Result<Response> {
    let (sheet, parcel) = parse_parcel_path(&sheet, &parcel)?;
    let c = commune.clone();
    let found = blocking(&st, move |ix| Ok(ix.parcels_by_number(&c, sheet, parcel)?)).await?;
    if found.is_empty() {
        return Err(AppError::not_found(format!(
            "no parcel {parcel} on sheet {sheet} of commune '{}'",
            clip(&commune)
        )));
    }
    Ok(geo_json(parcel_collection(
        &found,
        ParcelQuery {
            commune: Some(commune),
            sheet: Some(sheet),
            parcel: Some(parcel),
            ..ParcelQuery::default()
        },
    )))
}

/// The parameter of a parcel's report (`/report`, `.txt`, `.html`): which of several
/// parcels with the same number.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ChooseQuery {
    /// Which of several parcels with the same number (1-based), see the 409 answer
    #[schemars(range(min = 1, max = 1000))]
    pub n: Option<i64>,
}

/// The parameters of a parcel's map (`/map.png`, read by
/// [`crate::preview::parcel_map_png`]).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct MapQuery {
    /// Which of several parcels with the same number (1-based); without it, a number shared
    /// by several parcels shows them all
    #[schemars(range(min = 1, max = 1000))]
    pub n: Option<i64>,
    /// Language of the caption: `en` for English, anything else Vietnamese
    pub lang: Option<String>,
}

/// Runs `f` on the blocking pool with the one parcel of a `{commune}/{sheet}/{parcel}` path
/// (`?n=` picks among duplicate numbers): 404 when there is none, 409 when several and no `n`.
async fn with_parcel<T: Send + 'static>(
    st: &ApiState,
    (commune, sheet, parcel): (String, String, String),
    p: &Params,
    f: impl FnOnce(&dyn Store, FeatureOut) -> Result<T> + Send + 'static,
) -> Result<T> {
    let n = p.parse::<ChooseQuery>()?.n;
    let (sheet, parcel) = parse_parcel_path(&sheet, &parcel)?;
    let what = format!("{parcel} on sheet {sheet} of commune '{}'", clip(&commune));
    blocking(st, move |ix| {
        let found = ix.parcels_by_number(&commune, sheet, parcel)?;
        f(ix, choose(found, n, &what)?)
    })
    .await
}

/// The one parcel a report is about, or 409 listing the candidates.
fn choose(found: Vec<FeatureOut>, n: Option<i64>, what: &str) -> Result<FeatureOut> {
    let count = found.len();
    match (count, n) {
        (0, _) => Err(AppError::not_found(format!("no parcel {what}"))),
        (_, Some(n)) => usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| found.into_iter().nth(i))
            .ok_or_else(|| {
                AppError::bad(format!(
                    "n must be from 1 to {count} (parcels numbered {what})"
                ))
            }),
        (1, None) => found
            .into_iter()
            .next()
            .ok_or_else(|| AppError::Internal("empty match list".into())),
        _ => {
            let matches = found
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    json!({
                        "n": i + 1,
                        "layer": f.layer,
                        "id": f.id,
                        "address": f.properties.get("address"),
                        "area_m2": f.properties.get("area_m2"),
                        "report_body": {"layer": f.layer, "id": f.id},
                    })
                })
                .collect();
            Err(AppError::Ambiguous {
                detail: format!(
                    "{count} parcels are numbered {what} (a duplicate in the cadastral map); add ?n=1..{count} \
                     to choose one, or POST /api/v1/report with {{\"layer\", \"id\"}} of one of the matches"
                ),
                matches,
            })
        }
    }
}

/// Output format of a parcel report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum ReportFormat {
    // (Comments, not doc comments: documented variants would make the schema a `oneOf`
    // rather than one `enum`.)
    // The full report as JSON.
    Json,
    // Plain Vietnamese text for slow connections.
    #[serde(rename = "txt")]
    Text,
    // Minimal HTML, no scripts, no images.
    Html,
}

/// `GET /api/v1/parcels/{commune}/{sheet}/{parcel}/report[.txt|.html]`
pub async fn parcel_report(
    st: ApiState,
    path: (String, String, String),
    p: Params,
    format: ReportFormat,
    gzip_ok: bool,
) -> Result<Response> {
    let report = parcel_report_cached(&st, path, &p).await?;
    Ok(match format {
        // Gzipped once when cached: the compression layer leaves an encoded answer alone,
        // and compressing the same report for every request took a third of the time.
        ReportFormat::Json if gzip_ok => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ),
                (header::CONTENT_ENCODING, HeaderValue::from_static("gzip")),
                (header::VARY, HeaderValue::from_static("accept-encoding")),
            ],
            report.gzip(),
        )
            .into_response(),
        ReportFormat::Json => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            report.json.clone(),
        )
            .into_response(),
        _ => render_report(&report.value()?, format),
    })
}

/// The report of the one parcel of a `{commune}/{sheet}/{parcel}` path (`?n=`), as JSON
/// with its links: what `/report` answers, and what its audio (`portal::speech`) says.
pub(crate) async fn parcel_report_value(
    st: &ApiState,
    path: (String, String, String),
    p: &Params,
) -> Result<Value> {
    parcel_report_cached(st, path, p).await?.value()
}

/// A parcel's finished report: its serialised bytes, the same gzipped, and the JSON value
/// (for the text, HTML and audio forms), the last two made on first use.
pub(crate) struct CachedReport {
    /// The report with its links, serialised.
    pub json: Bytes,
    /// `json` gzipped, made when a client that takes gzip first asks (see [`Self::gzip`]).
    gzip: std::sync::OnceLock<Bytes>,
}

impl CachedReport {
    /// The report as a JSON value, read back from its bytes (only the text, HTML and audio
    /// forms need it).
    pub fn value(&self) -> Result<Value> {
        serde_json::from_slice(&self.json)
            .map_err(|e| AppError::Internal(format!("reading a cached report: {e}")))
    }

    /// `json` gzipped, compressed on the first call: clients that do not take gzip do not
    /// pay for it, and those that do pay once.
    pub fn gzip(&self) -> Bytes {
        self.gzip
            .get_or_init(|| {
                Bytes::from(quyhoach_tiles::gzip::gzip_with(
                    &self.json,
                    quyhoach_tiles::gzip::Effort::Report,
                ))
            })
            .clone()
    }
}

/// Parcel layer and feature id of a cached report.
type ReportKey = (String, planning::FeatureId);

/// Finished parcel reports of one data version, by parcel (see [`report_cache`]).
pub(crate) type ReportCache = moka::future::Cache<ReportKey, std::sync::Arc<CachedReport>>;

/// Bytes of finished parcel reports kept (JSON and its gzip).
const REPORT_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// An empty cache of finished parcel reports, bounded by bytes, for one [`ApiState`]: the
/// data only changes on import, which builds a new state (and so a new cache), and a
/// parcel's report depends on nothing else (no language, no visitor), so a report asked
/// for twice is computed once.
pub(crate) fn report_cache() -> std::sync::Arc<ReportCache> {
    std::sync::Arc::new(
        moka::future::Cache::builder()
            .max_capacity(REPORT_CACHE_BYTES)
            .weigher(|k: &ReportKey, v: &std::sync::Arc<CachedReport>| {
                // The gzip, made later, is about half the JSON.
                let bytes = v.json.len() + v.json.len() / 2 + k.0.len() + 64;
                u32::try_from(bytes).unwrap_or(u32::MAX)
            })
            .build(),
    )
}

/// [`parcel_report_value`] through the state's report cache: the path is checked as
/// [`with_parcel`] checks it, the parcel found by number (a binary search, on this thread),
/// and only a report not yet cached goes to the blocking pool. Any path that does not name
/// exactly one parcel takes the uncached way, which gives its 404, 409 or 400.
async fn parcel_report_cached(
    st: &ApiState,
    path: (String, String, String),
    p: &Params,
) -> Result<std::sync::Arc<CachedReport>> {
    let n = p.parse::<ChooseQuery>()?.n;
    let (sheet, parcel) = parse_parcel_path(&path.1, &path.2)?;
    let key: Option<ReportKey> =
        st.index
            .known_parcel_ids(&path.0, sheet, parcel)
            .and_then(|ids| {
                let i = match (ids.len(), n) {
                    (_, Some(n)) => usize::try_from(n).ok()?.checked_sub(1)?,
                    (1, None) => 0,
                    _ => return None,
                };
                ids.get(i).cloned()
            });
    let Some(key) = key else {
        return with_parcel(st, path, p, |ix, f| build_report(ix, f.layer, f.id)).await;
    };
    if let Some(hit) = st.reports.get(&key).await {
        return Ok(hit);
    }
    // The parcel is known by its number: its report straight from its id (the lookup that
    // would materialise it with its properties is not needed).
    let (layer, id) = key.clone();
    let report = blocking(st, move |ix| build_report(ix, layer, id)).await?;
    st.reports.insert(key, report.clone()).await;
    Ok(report)
}

/// The finished report of parcel `id` of `layer`, with its links (from the parcel's numbers
/// in the report's site), serialised straight from the report (no JSON value tree in
/// between: that was a third of the time of a report).
fn build_report(
    ix: &dyn Store,
    layer: String,
    id: planning::FeatureId,
) -> Result<std::sync::Arc<CachedReport>> {
    let report = ix.report(&Site::Parcel { layer, id })?;
    let site = &report.site;
    let links = match (&site.commune_code, site.sheet, site.parcel) {
        (Some(commune), Some(sheet), Some(parcel)) => {
            Some(report_links(&parcel_path_of(commune, sheet, parcel)))
        }
        _ => None,
    };
    let out = ReportOut {
        report: &report,
        links,
    };
    let json = serde_json::to_vec(&out)
        .map_err(|e| AppError::Internal(format!("serialising a report: {e}")))?;
    Ok(std::sync::Arc::new(CachedReport {
        json: Bytes::from(json),
        gzip: std::sync::OnceLock::new(),
    }))
}

/// Size of a parcel's map picture: the 1.91:1 Open Graph image Zalo and Facebook show.
pub const MAP_PNG_SIZE: (u32, u32) = (1200, 630);

/// A planning report as the API answers it: the report, and for a parcel its links.
#[derive(Serialize, JsonSchema)]
pub struct ReportOut<'a> {
    /// The report.
    #[serde(flatten)]
    pub report: &'a planning::Report,
    /// A parcel's report: the parcel (`about`), this report and its text and HTML forms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<Link>>,
}

fn report_links(path: &str) -> Vec<Link> {
    vec![
        Link::new(path, "about", GEOJSON),
        Link::new(format!("{path}/report"), "self", JSON),
        Link::new(format!("{path}/report.txt"), "alternate", "text/plain"),
        Link::new(format!("{path}/report.html"), "alternate", "text/html"),
    ]
}

fn render_report(report: &Value, format: ReportFormat) -> Response {
    match format {
        ReportFormat::Json => json_ok(report.clone()),
        ReportFormat::Text => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            text::report_text(report),
        )
            .into_response(),
        ReportFormat::Html => Html(text::report_html(report)).into_response(),
    }
}

/// The forms of `POST /api/v1/report`'s body, for error messages.
const REPORT_BODY_FORMS: &str = "send a GeoJSON Polygon/MultiPolygon/Feature/FeatureCollection, \
    {\"parcel\": {\"commune\": \"31150\", \"sheet\": 12, \"parcel\": 345}} or {\"layer\": \"parcels\", \"id\": 123}";

/// The body of `POST /api/v1/report`: a drawn or uploaded site, or a parcel.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ReportRequest {
    /// A drawn or uploaded site (`POST /api/v1/sites/parse` reads a file into one).
    Site(GeoJsonSite),
    /// A parcel by its numbers.
    Parcel {
        /// The commune, sheet and parcel numbers.
        parcel: ParcelNumber,
    },
    /// A parcel by its layer and feature id (each of a 409 answer's `matches` has its
    /// `report_body`).
    Feature {
        /// The parcel layer, e.g. `parcels`.
        layer: String,
        /// The feature id.
        id: FeatureId,
    },
}

/// A GeoJSON object (RFC 7946), WGS 84: a Polygon, a MultiPolygon, or a Feature or
/// FeatureCollection of them.
#[derive(Deserialize, JsonSchema)]
pub struct GeoJsonSite {
    /// `Polygon`, `MultiPolygon`, `Feature` or `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its other members: `coordinates`, `geometry` or `features`.
    #[serde(flatten)]
    pub members: Map<String, Value>,
}

impl GeoJsonSite {
    fn into_value(self) -> Value {
        let mut m = self.members;
        m.insert("type".into(), Value::String(self.kind));
        Value::Object(m)
    }
}

/// A parcel by its numbers.
#[derive(Deserialize, JsonSchema)]
pub struct ParcelNumber {
    /// The commune (xã/phường): its code, e.g. `31150` (text or a number), or its name with
    /// or without accents, e.g. `Vĩnh Thanh`.
    pub commune: CommuneRef,
    /// Map sheet number (số tờ).
    pub sheet: WholeNumber,
    /// Parcel number (số thửa).
    pub parcel: WholeNumber,
    /// Which of several parcels with the same number (1-based), see the 409 answer.
    #[serde(default)]
    pub n: Option<i64>,
}

/// A commune's code as a number, or its code or name as text.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum CommuneRef {
    /// A code.
    Code(u64),
    /// A code or a name.
    Name(String),
}

/// A whole number, or the same as text.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum WholeNumber {
    /// A number.
    Number(i64),
    /// Its digits.
    Text(String),
}

impl ReportRequest {
    /// Reads the body; the reason given for a bad one is the one of the form it looks meant as.
    fn read(body: &[u8]) -> Result<Self> {
        let v: Value = serde_json::from_slice(body).map_err(|e| {
            AppError::bad(format!(
                "the body is not valid JSON ({e}); {REPORT_BODY_FORMS}"
            ))
        })?;
        ReportRequest::deserialize(&v).map_err(|_| {
            if let Some(p) = v.get("parcel") {
                let reason = ParcelNumber::deserialize(p)
                    .err()
                    .map_or_else(String::new, |e| format!(" ({e})"));
                AppError::bad(format!(
                    "parcel must be {{\"commune\", \"sheet\", \"parcel\"}}: a commune code (\"31150\") \
                     or name (\"Vĩnh Thanh\"), số tờ = sheet and số thửa = parcel{reason}"
                ))
            } else if v.get("layer").is_some() && !v.get("layer").is_some_and(Value::is_string) {
                AppError::bad("layer must be a layer id string, e.g. \"parcels\"")
            } else if v.get("layer").is_some() || v.get("id").is_some() {
                AppError::bad("id must be a feature id (a whole number from 0)")
            } else {
                AppError::bad(format!("the body is none of the accepted forms; {REPORT_BODY_FORMS}"))
            }
        })
    }
}

/// `POST /api/v1/report`'s parameter.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReportQuery {
    /// json (default), txt or html
    pub format: Option<ReportFormat>,
}

/// `POST /api/v1/report`: a GeoJSON site, `{"parcel": {"commune", "sheet", "parcel"}}` or
/// `{"layer", "id"}`.
pub async fn report(
    State(st): State<ApiState>,
    Query(p): Query<ReportQuery>,
    body: Bytes,
) -> Result<Response> {
    let format = p.format.unwrap_or(ReportFormat::Json);
    let req = ReportRequest::read(&body)?;
    enum Req {
        Number(String, i64, i64, Option<i64>),
        Feature(String, u32),
        /// Parsed and validated on the blocking pool: validity checks of a large polygon
        /// take real CPU time and must not stall the async workers.
        Geometry(Value),
    }
    let req = match req {
        ReportRequest::Parcel { parcel: pv } => {
            let commune = match pv.commune {
                CommuneRef::Name(s) if !s.trim().is_empty() => s,
                CommuneRef::Code(n) => n.to_string(),
                CommuneRef::Name(_) => {
                    return Err(AppError::bad(
                        "parcel.commune is required: a commune code (\"31150\") or name (\"Vĩnh Thanh\")",
                    ))
                }
            };
            let int = |k: &str, v: WholeNumber| -> Result<i64> {
                match v {
                    WholeNumber::Number(n) => Some(n)
                        .filter(|x| (0..=MAX_NUMBER).contains(x))
                        .ok_or_else(|| {
                            AppError::bad(format!(
                                "parcel.{k} must be a whole number from 0 to {MAX_NUMBER}"
                            ))
                        }),
                    WholeNumber::Text(s) => parse_int(&format!("parcel.{k}"), &s, 0, MAX_NUMBER),
                }
            };
            let n = match pv.n {
                None => None,
                Some(n) if (1..=1000).contains(&n) => Some(n),
                Some(_) => return Err(AppError::bad("parcel.n must be a whole number from 1")),
            };
            Req::Number(
                commune,
                int("sheet", pv.sheet)?,
                int("parcel", pv.parcel)?,
                n,
            )
        }
        ReportRequest::Feature { layer, id } => {
            let entry = st.index.layer_entry(&layer).ok_or_else(|| {
                AppError::not_found(format!(
                    "no layer '{}'; layers: {}",
                    clip(&layer),
                    st.index.layer_ids().join(", ")
                ))
            })?;
            if entry.kind != quyhoach_data::schema::Kind::Parcels {
                return Err(AppError::bad(format!(
                "layer '{layer}' holds {}, not parcels; send its geometry as GeoJSON to report on it",
                entry.kind.id()
            )));
            }
            Req::Feature(layer, id)
        }
        ReportRequest::Site(site) => Req::Geometry(site.into_value()),
    };
    let report = blocking_cancellable(&st, move |ix, cancel| {
        let (site, path) = match req {
            Req::Number(c, s, pn, n) => {
                let found = ix.parcels_by_number(&c, s, pn)?;
                let what = format!("{pn} on sheet {s} of commune '{}'", clip(&c));
                let f = choose(found, n, &what)?;
                let path = parcel_path(&f.properties);
                (
                    Site::Parcel {
                        layer: f.layer,
                        id: f.id,
                    },
                    path,
                )
            }
            Req::Feature(layer, id) => {
                let f = ix.feature(&layer, id)?.ok_or_else(|| {
                    AppError::not_found(format!("no feature {id} in layer '{layer}'"))
                })?;
                let path = parcel_path(&f.properties);
                (Site::Parcel { layer, id }, path)
            }
            Req::Geometry(v) => (Site::Geometry(parse_site(&v)?), None),
        };
        let report = ix.report_with_cancel(&site, cancel)?;
        let out = ReportOut {
            report: &report,
            links: path.map(|path| report_links(&path)),
        };
        serde_json::to_value(&out)
            .map_err(|e| AppError::Internal(format!("serialising a report: {e}")))
    })
    .await?;
    let mut resp = render_report(&report, format);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// `GET /api/v1/search`'s parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchQuery {
    /// The text to search, accents optional: a commune, road, plan, or a parcel as
    /// "commune sheet parcel" or "sheet/parcel"
    pub q: String,
    /// Most hits
    #[schemars(range(min = 1, max = MAX_SEARCH_LIMIT), extend("default" = DEFAULT_SEARCH_LIMIT))]
    pub limit: Option<i64>,
}

/// `GET /api/v1/search?q=&limit=`
pub async fn search(State(st): State<ApiState>, Query(p): Query<SearchQuery>) -> Result<Response> {
    let q = p.q.as_str();
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::bad(format!(
            "q is longer than {MAX_QUERY_CHARS} characters"
        )));
    }
    let limit = p.limit.unwrap_or(DEFAULT_SEARCH_LIMIT);
    let q2 = q.to_string();
    let hits = blocking(&st, move |ix| Ok(ix.search(&q2, limit as usize)?)).await?;
    let hits: Vec<Hit> = hits
        .iter()
        .take(limit as usize)
        .map(|hit| Hit {
            hit,
            href: hit
                .parcel
                .as_ref()
                .map(|(c, s, n)| format!("/api/v1/parcels/{c}/{s}/{n}")),
        })
        .collect();
    Ok(json_ok(SearchResult {
        q,
        count: hits.len(),
        hits,
    }))
}

/// `GET /api/v1/search`: the hits of a type-ahead search, best first.
#[derive(Serialize, JsonSchema)]
pub struct SearchResult<'a> {
    /// The text searched.
    pub q: &'a str,
    /// How many hits.
    pub count: usize,
    /// The hits.
    pub hits: Vec<Hit<'a>>,
}

/// A search hit.
#[derive(Serialize, JsonSchema)]
pub struct Hit<'a> {
    /// The hit.
    #[serde(flatten)]
    pub hit: &'a SearchHit,
    /// A parcel's deep link, `/api/v1/parcels/{commune}/{sheet}/{parcel}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
}

/// A converted point, in both reference systems.
#[derive(Serialize, JsonSchema)]
pub struct ConvertedPoint {
    /// VN-2000 easting, metres (mm).
    pub x: f64,
    /// VN-2000 northing, metres (mm).
    pub y: f64,
    /// The same as `x`.
    pub easting: f64,
    /// The same as `y` (the "X" of a Vietnamese certificate).
    pub northing: f64,
    /// WGS 84 longitude, degrees (8 decimals).
    pub lon: f64,
    /// WGS 84 latitude, degrees (8 decimals).
    pub lat: f64,
    /// The VN-2000 reference system.
    pub srs: String,
}

/// `POST /api/v1/convert`'s answer.
#[derive(Serialize, JsonSchema)]
pub struct Converted {
    /// The VN-2000 reference system.
    pub srs: String,
    /// Which way the points were converted.
    pub direction: Direction,
    /// The points, in the order sent.
    pub points: Vec<ConvertedPoint>,
}

/// Which way points were converted.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// VN-2000 x/y to WGS 84 lon/lat (`from`).
    ToWgs84,
    /// WGS 84 lon/lat to VN-2000 x/y (`to`).
    FromWgs84,
}

/// The body of `POST /api/v1/convert`: a certificate's corner table. Give `from` or `to`.
#[derive(Deserialize, JsonSchema)]
pub struct ConvertRequest {
    /// The reference system of VN-2000 points to convert to WGS 84: `vn2000:<province>`,
    /// `vn2000:tm3:<meridian>`, `vn2000:utm48|utm49` or `EPSG:<code>`.
    #[serde(default)]
    pub from: Option<String>,
    /// The reference system to convert WGS 84 points to.
    #[serde(default)]
    pub to: Option<String>,
    /// The points (at most [`MAX_CONVERT_POINTS`]).
    #[schemars(with = "Vec<PointIn>")]
    pub points: Vec<Value>,
}

/// A point to convert.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PointIn {
    /// `[x, y]` (easting, northing) with `from`, `[lon, lat]` with `to`.
    Pair([f64; 2]),
    /// VN-2000 metres named as on a certificate, whose "X" is the northing (with `from`).
    EastingNorthing {
        /// Easting, metres (the certificate's "Y").
        easting: f64,
        /// Northing, metres (the certificate's "X").
        northing: f64,
    },
    /// VN-2000 metres, x the easting (with `from`).
    Xy {
        /// Easting, metres.
        x: f64,
        /// Northing, metres.
        y: f64,
    },
    /// WGS 84 degrees (with `to`).
    LonLat {
        /// Longitude.
        lon: f64,
        /// Latitude.
        lat: f64,
    },
}

fn convert_json(
    pts: &[(f64, f64)],
    out: &[(f64, f64)],
    srs: &str,
    to_wgs84: bool,
) -> Vec<ConvertedPoint> {
    pts.iter()
        .zip(out)
        .map(|(&(a, b), &(c, d))| {
            let ((x, y), (lon, lat)) = if to_wgs84 {
                ((a, b), (c, d))
            } else {
                ((c, d), (a, b))
            };
            let r3 = |v: f64| (v * 1000.0).round() / 1000.0;
            let r8 = |v: f64| (v * 1e8).round() / 1e8;
            ConvertedPoint {
                x: r3(x),
                y: r3(y),
                easting: r3(x),
                northing: r3(y),
                lon: r8(lon),
                lat: r8(lat),
                srs: srs.to_string(),
            }
        })
        .collect()
}

fn direction(from: Option<&str>, to: Option<&str>) -> Result<(String, bool)> {
    match (from, to) {
        (Some(f), None) => Ok((f.to_string(), true)),
        (None, Some(t)) => Ok((t.to_string(), false)),
        _ => Err(AppError::bad(
            "give exactly one of from=SRS (VN-2000 x/y → WGS 84 lon/lat) or to=SRS (lon/lat → x/y); \
             SRS like vn2000:kien-giang, vn2000:tm3:104.5, vn2000:utm48, EPSG:9210",
        )),
    }
}

/// `GET /api/v1/convert`'s parameters: VN-2000 metres with `from`, or WGS 84 degrees with
/// `to`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ConvertQuery {
    /// VN-2000 easting in metres (alias easting). Vietnamese certificates call the easting "Y"
    pub x: Option<f64>,
    /// VN-2000 northing in metres (alias northing). Vietnamese certificates call the northing "X"
    pub y: Option<f64>,
    /// Alias of x
    pub easting: Option<f64>,
    /// Alias of y (the "X" of a Vietnamese certificate)
    pub northing: Option<f64>,
    /// WGS 84 longitude (with to=)
    pub lon: Option<f64>,
    /// WGS 84 latitude (with to=)
    pub lat: Option<f64>,
    /// Source SRS of x/y (VN-2000 → WGS 84)
    pub from: Option<String>,
    /// Target SRS for lon/lat (WGS 84 → VN-2000)
    pub to: Option<String>,
}

/// `GET /api/v1/convert?x=&y=&from=` or `?lon=&lat=&to=`
pub async fn convert_get(Query(p): Query<ConvertQuery>) -> Result<Response> {
    let (srs, to_wgs84) = direction(p.from.as_deref(), p.to.as_deref())?;
    let pt = if to_wgs84 {
        projected_point(p.x, p.easting, p.y, p.northing)?.ok_or_else(|| {
            AppError::bad(format!(
                "from= converts x and y (or easting and northing). {XY_NOTE}"
            ))
        })?
    } else {
        let (Some(lon), Some(lat)) = (p.lon, p.lat) else {
            return Err(AppError::bad("to= converts lon and lat (WGS 84 degrees)"));
        };
        check_lon_lat(lon, lat)?;
        (lon, lat)
    };
    let out = planning::convert(&[pt], &srs, to_wgs84)?;
    let pt = convert_json(&[pt], &out, &srs, to_wgs84)
        .pop()
        .ok_or_else(|| AppError::Internal("conversion returned no point".into()))?;
    Ok(json_ok(pt))
}

fn point_of(v: &Value, to_wgs84: bool, i: usize) -> Result<(f64, f64)> {
    let pt = match (PointIn::deserialize(v), to_wgs84) {
        (Ok(PointIn::Pair([a, b])), _) => (a, b),
        (Ok(PointIn::EastingNorthing { easting, northing }), true) => (easting, northing),
        (Ok(PointIn::Xy { x, y }), true) => (x, y),
        (Ok(PointIn::LonLat { lon, lat }), false) => (lon, lat),
        (Ok(_), true) => {
            return Err(AppError::bad(format!(
                "points[{i}]: from= converts VN-2000 points, [x, y], {{\"easting\", \"northing\"}} or {{\"x\", \"y\"}}"
            )))
        }
        (Ok(_), false) => {
            return Err(AppError::bad(format!(
                "points[{i}]: to= converts WGS 84 points, [lon, lat] or {{\"lon\", \"lat\"}}"
            )))
        }
        (Err(_), _) => {
            return Err(AppError::bad(format!(
                "points[{i}] must be [x, y] / [lon, lat], {{\"easting\", \"northing\"}}, {{\"x\", \"y\"}} or {{\"lon\", \"lat\"}}, with numbers"
            )))
        }
    };
    if to_wgs84 {
        check_vn2000(pt.0, pt.1).map_err(|e| AppError::bad(format!("points[{i}]: {e}")))?;
    } else {
        check_lon_lat(pt.0, pt.1).map_err(|e| AppError::bad(format!("points[{i}]: {e}")))?;
    }
    Ok(pt)
}

/// `POST /api/v1/convert` with `{"from" | "to": SRS, "points": [...]}`: a certificate's
/// corner table at once.
pub async fn convert_post(Query(NoParams {}): Query<NoParams>, body: Bytes) -> Result<Response> {
    let req: ConvertRequest = serde_json::from_slice(&body).map_err(|e| {
        AppError::bad(format!(
            "the body is not {{\"from\" or \"to\": SRS, \"points\": [...]}} ({e}); send {{\"from\": \"vn2000:kien-giang\", \"points\": [{{\"northing\": 1100000, \"easting\": 590000}}]}}"
        ))
    })?;
    let (srs, to_wgs84) = direction(req.from.as_deref(), req.to.as_deref())?;
    let points = &req.points;
    if points.is_empty() {
        return Err(AppError::bad("'points' is empty"));
    }
    if points.len() > MAX_CONVERT_POINTS {
        return Err(AppError::TooLarge(format!(
            "at most {MAX_CONVERT_POINTS} points per request, got {}",
            points.len()
        )));
    }
    let pts = points
        .iter()
        .enumerate()
        .map(|(i, v)| point_of(v, to_wgs84, i))
        .collect::<Result<Vec<_>>>()?;
    let srs2 = srs.clone();
    let pts2 = pts.clone();
    let out =
        tokio::task::spawn_blocking(move || planning::convert(&pts2, &srs2, to_wgs84)).await??;
    let mut resp = json_ok(Converted {
        points: convert_json(&pts, &out, &srs, to_wgs84),
        srs,
        direction: if to_wgs84 {
            Direction::ToWgs84
        } else {
            Direction::FromWgs84
        },
    });
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// The fallback: an unknown path.
pub async fn not_found(uri: axum::http::Uri) -> AppError {
    AppError::not_found(format!(
        "no such resource {}; the API is described at /api/v1/openapi.json and OGC API - Features is at /ogc",
        clip(uri.path())
    ))
}

/// 405 for a known path with another method.
pub async fn method_not_allowed(method: axum::http::Method) -> Response {
    crate::error::problem(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!(
            "{method} is not allowed here; see /api/v1/openapi.json for the methods of each path"
        ),
        None,
    )
}

/// `POST /api/v1/sites/parse?srs=prj`: a site boundary uploaded as a file (zipped Shapefile,
/// KML, GeoJSON or GeoPackage; the body is the file's bytes) → one GeoJSON Feature with a
/// WGS 84 MultiPolygon, ready for `POST /api/v1/report`. `srs` is the file's reference system
/// (default `prj`: its own `.prj`; KML and GeoJSON are WGS 84).
pub async fn parse_site_file(
    State(uploads): State<Uploads>,
    Query(p): Query<SiteQuery>,
    body: Bytes,
) -> Result<Response> {
    let srs_text = p.srs.unwrap_or_else(|| "prj".into());
    // Checked here too, so a bad parameter costs no reader.
    srs_text
        .parse::<quyhoach_data::srs::SrsSpec>()
        .map_err(|e: quyhoach_data::srs::SrsError| AppError::bad(e.to_string()))?;
    if body.is_empty() {
        return Err(AppError::bad(
            "the body is empty: send the file's bytes (zipped Shapefile, KML, GeoJSON or GeoPackage)",
        ));
    }
    let read = crate::upload::read_site(&uploads, &body, &srs_text).await?;
    let polygons = read.site.0.len();
    let geometry = geo_types::Geometry::MultiPolygon(read.site);
    Ok(json_ok(SiteFile {
        kind: FeatureType::Feature,
        geometry: GeoJsonGeometry::from(&geometry),
        properties: SiteFileProperties {
            polygons,
            srs: srs_text,
            srs_used: read.srs,
            format: read.format,
            layer: read.layer,
            skipped_count: read.skipped_count,
            skipped: read.skipped,
        },
    }))
}

/// `POST /api/v1/sites/parse`'s parameter.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SiteQuery {
    /// The file's reference system: prj (its own .prj; KML/GeoJSON are WGS 84),
    /// vn2000:<province>, vn2000:tm3:<meridian>, EPSG:<code>
    #[schemars(extend("default" = "prj"))]
    pub srs: Option<String>,
}

/// `POST /api/v1/sites/parse`'s answer: the site as a GeoJSON Feature, ready for
/// `POST /api/v1/report`.
#[derive(Serialize, JsonSchema)]
pub struct SiteFile {
    /// `Feature`.
    #[serde(rename = "type")]
    pub kind: FeatureType,
    /// The site, a WGS 84 MultiPolygon.
    pub geometry: GeoJsonGeometry,
    /// How the file was read.
    pub properties: SiteFileProperties,
}

/// How an uploaded site file was read.
#[derive(Serialize, JsonSchema)]
pub struct SiteFileProperties {
    /// Polygons in the site.
    pub polygons: usize,
    /// The reference system asked for (`prj`: the file's own).
    pub srs: String,
    /// The reference system its coordinates were read in.
    pub srs_used: String,
    /// `shapefile`, `kml`, `geojson` or `gpkg`.
    pub format: String,
    /// The layer read.
    pub layer: String,
    /// How many features were not used.
    pub skipped_count: u64,
    /// Features not used, and why (the first ones).
    pub skipped: Vec<quyhoach_data::site::Skipped>,
}
