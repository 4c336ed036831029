//! The portal's JSON API under `/api/v1`: parcel lookup, search, planning reports,
//! coordinate conversion and the catalog.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use quyhoach_data::index::{self, FeatureOut, Index};
use quyhoach_data::landuse;
use quyhoach_data::planning::{self, Cancel, Site};
use serde_json::{json, Map, Value};

use crate::error::{AppError, Result};
use crate::geojson::{feature_to_json, parse_site};
use crate::params::{check_lon_lat, clip, parse_int, Params};
use crate::text;
use crate::upload::Uploads;

/// What the JSON API's handlers read: the loaded store, its data version and the finished
/// reports of that version. Cheap to clone (three `Arc`s); the server's state hands it out
/// (`FromRef`), and the OGC API, the text-only site and the previews read the same.
#[derive(Clone)]
pub struct ApiState {
    /// The loaded store.
    pub index: std::sync::Arc<Index>,
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

fn json_ok(v: Value) -> Response {
    Json(v).into_response()
}

/// `GET /api/v1/health`
pub async fn health(State(st): State<ApiState>, p: Params) -> Result<Response> {
    p.allow(&[])?;
    let cat = st.index.catalog();
    let features: u64 = cat.layers.values().map(|l| l.count).sum();
    Ok(json_ok(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "layers": cat.layers.len(),
        "features": features,
        "plans": cat.plans.len(),
        "data_version": st.etag.trim_start_matches("W/").trim_matches('"'),
    })))
}

fn layer_json(id: &str, l: &quyhoach_data::store::LayerEntry) -> Value {
    let columns: Vec<Value> = l
        .columns
        .iter()
        .filter(|c| !c.name.starts_with("private_"))
        .map(|c| json!({"name": c.name, "type": c.ty, "doc": c.doc}))
        .collect();
    json!({
        "id": id,
        "kind": l.kind.id(),
        "count": l.count,
        "bounds": l.bounds,
        "plan": l.plan,
        "plans": l.plans,
        "columns": columns,
        // Only what a user needs to judge the data; the source path stays private.
        "source": {
            "driver": l.source.driver,
            "srs": l.source.srs,
            "encoding": l.source.encoding,
            "measure": l.source.measure,
        },
        "sha256": l.sha256,
        "imported_at": l.imported_at,
        "links": [
            {"rel": "items", "href": format!("/ogc/collections/{id}/items"), "type": "application/geo+json"},
            {"rel": "collection", "href": format!("/ogc/collections/{id}"), "type": "application/json"},
        ],
    })
}

/// `GET /api/v1/layers`
pub async fn layers(State(st): State<ApiState>, p: Params) -> Result<Response> {
    p.allow(&[])?;
    let cat = st.index.catalog();
    let layers: Vec<Value> = cat.layers.iter().map(|(id, l)| layer_json(id, l)).collect();
    Ok(json_ok(json!({ "layers": layers })))
}

fn plan_json(st: &ApiState, id: &str) -> Option<Value> {
    let cat = st.index.catalog();
    let plan = cat.plans.get(id)?;
    let layers: Vec<&String> = cat
        .layers
        .iter()
        .filter(|(_, l)| l.plans.iter().any(|p| p == id) || l.plan.as_deref() == Some(id))
        .map(|(k, _)| k)
        .collect();
    let mut v = serde_json::to_value(plan).ok()?;
    if let Some(o) = v.as_object_mut() {
        o.insert("level_name_vi".into(), plan.level.name_vi().into());
        o.insert("status_name_vi".into(), plan.status.name_vi().into());
        o.insert("layers".into(), json!(layers));
        o.insert(
            "links".into(),
            json!([{"rel": "self", "href": format!("/api/v1/plans/{id}"), "type": "application/json"}]),
        );
    }
    Some(v)
}

/// `GET /api/v1/plans`
pub async fn plans(State(st): State<ApiState>, p: Params) -> Result<Response> {
    p.allow(&[])?;
    let plans: Vec<Value> = st
        .index
        .catalog()
        .plans
        .keys()
        .filter_map(|id| plan_json(&st, id))
        .collect();
    Ok(json_ok(json!({ "plans": plans })))
}

/// `GET /api/v1/plans/{id}`
pub async fn plan(
    State(st): State<ApiState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response> {
    p.allow(&[])?;
    plan_json(&st, &id).map(json_ok).ok_or_else(|| {
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

/// `GET /api/v1/landuse-codes`
pub async fn landuse_codes(p: Params) -> Result<Response> {
    p.allow(&[])?;
    let legacy: Vec<Value> = landuse::LEGACY_CODES
        .iter()
        .map(|(old, new)| json!({"code": old, "now": new}))
        .collect();
    Ok(json_ok(json!({
        "source": "Circular 08/2024/TT-BTNMT",
        "codes": landuse::codes(),
        "legacy": legacy,
    })))
}

/// The deep link of a parcel from its properties, if it has the identifying fields.
pub fn parcel_path(props: &Map<String, Value>) -> Option<String> {
    let commune = props.get("commune_code")?.as_str()?;
    let sheet = props.get("sheet")?.as_i64()?;
    let parcel = props.get("parcel")?.as_i64()?;
    Some(format!("/api/v1/parcels/{commune}/{sheet}/{parcel}"))
}

/// Links of a served parcel: its stable deep link and its planning reports.
fn parcel_links(f: &FeatureOut) -> Vec<Value> {
    let mut links = vec![json!({
        "rel": "item", "href": format!("/ogc/collections/{}/items/{}", f.layer, f.id),
        "type": "application/geo+json", "title": "OGC API - Features"
    })];
    if let Some(path) = parcel_path(&f.properties) {
        links.push(json!({"rel": "self", "href": path, "type": "application/geo+json", "title": "Liên kết cố định / deep link"}));
        links.push(json!({"rel": "report", "href": format!("{path}/report"), "type": "application/json", "title": "Báo cáo quy hoạch / planning report"}));
        links.push(json!({"rel": "alternate", "href": format!("{path}/report.txt"), "type": "text/plain", "title": "Báo cáo (văn bản)"}));
        links.push(json!({"rel": "alternate", "href": format!("{path}/report.html"), "type": "text/html", "title": "Báo cáo (HTML nhẹ)"}));
    }
    links
}

fn parcel_collection(features: &[FeatureOut], query: Value) -> Response {
    geo_json(parcel_collection_value(features, query))
}

fn parcel_collection_value(features: &[FeatureOut], query: Value) -> Value {
    let feats: Vec<Value> = features
        .iter()
        .map(|f| {
            let mut v = feature_to_json(f, parcel_links(f));
            if let Some(o) = v.as_object_mut() {
                o.insert("layer".into(), f.layer.clone().into());
            }
            v
        })
        .collect();
    json!({
        "type": "FeatureCollection",
        "query": query,
        "numberReturned": feats.len(),
        "features": feats,
    })
}

/// A GeoJSON response with its registered media type.
pub fn geo_json(v: Value) -> Response {
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
fn projected_point(p: &Params) -> Result<Option<(f64, f64)>> {
    let x = match (p.f64("x")?, p.f64("easting")?) {
        (Some(_), Some(_)) => return Err(AppError::bad("give x or easting, not both")),
        (a, b) => a.or(b),
    };
    let y = match (p.f64("y")?, p.f64("northing")?) {
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
    f: impl FnOnce(&Index) -> Result<T> + Send + 'static,
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
    f: impl FnOnce(&Index, &Cancel) -> Result<T> + Send + 'static,
) -> Result<T> {
    let index = st.index.clone();
    let cancel = Cancel::with_timeout(REPORT_DEADLINE);
    let _stop_when_dropped = cancel.guard();
    tokio::task::spawn_blocking(move || f(&index, &cancel)).await?
}

/// `GET /api/v1/parcels/at?lon=&lat=` or `?x=&y=&srs=` (aliases `easting`, `northing`).
pub async fn parcels_at(State(st): State<ApiState>, p: Params) -> Result<Response> {
    p.allow(&["lon", "lat", "x", "y", "easting", "northing", "srs"])?;
    let (lon, lat, query) = if let Some((x, y)) = projected_point(&p)? {
        if p.has("lon") || p.has("lat") {
            return Err(AppError::bad(
                "give either lon/lat (WGS 84) or x/y with srs (VN-2000), not both",
            ));
        }
        let srs = p.required_str(
            "srs",
            "the reference system of x/y, e.g. vn2000:kien-giang, vn2000:tm3:104.5 or EPSG:9210",
        )?;
        let out = planning::convert(&[(x, y)], srs, true)?;
        let &(lon, lat) = out
            .first()
            .ok_or_else(|| AppError::Internal("conversion returned no point".into()))?;
        (
            lon,
            lat,
            json!({"x": x, "y": y, "srs": srs, "lon": lon, "lat": lat}),
        )
    } else {
        let lon = p.f64("lon")?;
        let lat = p.f64("lat")?;
        let (Some(lon), Some(lat)) = (lon, lat) else {
            return Err(AppError::bad(format!(
                "give lon and lat (WGS 84 degrees, e.g. lon=105.12&lat=10.01), or x, y and srs \
                 (VN-2000 metres, e.g. x=590000&y=1100000&srs=vn2000:kien-giang). {XY_NOTE}"
            )));
        };
        if p.has("srs") {
            return Err(AppError::bad(
                "srs goes with x/y; lon/lat are always WGS 84",
            ));
        }
        (lon, lat, json!({"lon": lon, "lat": lat}))
    };
    check_lon_lat(lon, lat)?;
    // A VN-2000 point on no parcel may have been read with the wrong province: its other
    // readings that land on a parcel (or in the data) come back as `suggestions`.
    let xy = projected_point(&p)?.zip(p.str("srs")?.map(str::to_string));
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
    let mut body = parcel_collection_value(&found, query);
    if let (Some(o), Some(suggestions)) = (body.as_object_mut(), suggestions) {
        o.insert("suggestions".into(), json!(suggestions));
    }
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
    p: Params,
) -> Result<Response> {
    p.allow(&[])?;
    let (sheet, parcel) = parse_parcel_path(&sheet, &parcel)?;
    let c = commune.clone();
    let found = blocking(&st, move |ix| Ok(ix.parcels_by_number(&c, sheet, parcel)?)).await?;
    if found.is_empty() {
        return Err(AppError::not_found(format!(
            "no parcel {parcel} on sheet {sheet} of commune '{}'",
            clip(&commune)
        )));
    }
    Ok(parcel_collection(
        &found,
        json!({"commune": commune, "sheet": sheet, "parcel": parcel}),
    ))
}

/// Runs `f` on the blocking pool with the one parcel of a `{commune}/{sheet}/{parcel}` path
/// (`?n=` picks among duplicate numbers): 404 when there is none, 409 when several and no `n`.
async fn with_parcel<T: Send + 'static>(
    st: &ApiState,
    (commune, sheet, parcel): (String, String, String),
    p: &Params,
    f: impl FnOnce(&Index, FeatureOut) -> Result<T> + Send + 'static,
) -> Result<T> {
    p.allow(&["n"])?;
    let n = p.int("n", 1, 1_000)?;
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// The full report as JSON.
    Json,
    /// Plain Vietnamese text for slow connections.
    Text,
    /// Minimal HTML, no scripts, no images.
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
            .get_or_init(|| Bytes::from(quyhoach_tiles::gzip::gzip(&self.json)))
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
    p.allow(&["n"])?;
    let n = p.int("n", 1, 1_000)?;
    let (sheet, parcel) = parse_parcel_path(&path.1, &path.2)?;
    let key: Option<ReportKey> = st
        .index
        .parcel_ids_by_number(&path.0, sheet, parcel)
        .ok()
        .and_then(|ids| {
            let i = match (ids.len(), n) {
                (_, Some(n)) => usize::try_from(n).ok()?.checked_sub(1)?,
                (1, None) => 0,
                _ => return None,
            };
            ids.get(i).map(|&(layer, id)| (layer.to_string(), id))
        });
    if let Some(key) = &key {
        if let Some(hit) = st.reports.get(key).await {
            return Ok(hit);
        }
    }
    let report = with_parcel(st, path, p, build_report).await?;
    if let Some(key) = key {
        st.reports.insert(key, report.clone()).await;
    }
    Ok(report)
}

/// The finished report of parcel `f`, with its links, serialised straight from the report
/// (no JSON value tree in between: that was a third of the time of a report).
fn build_report(ix: &Index, f: FeatureOut) -> Result<std::sync::Arc<CachedReport>> {
    #[derive(serde::Serialize)]
    struct WithLinks<'a> {
        #[serde(flatten)]
        report: &'a planning::Report,
        #[serde(skip_serializing_if = "Option::is_none")]
        links: Option<Value>,
    }
    let report = ix.report(&Site::Parcel {
        layer: f.layer.clone(),
        id: f.id,
    })?;
    let out = WithLinks {
        report: &report,
        links: parcel_path(&f.properties).map(|path| report_links(&path)),
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

fn report_links(path: &str) -> Value {
    json!([
        {"rel": "about", "href": path, "type": "application/geo+json"},
        {"rel": "self", "href": format!("{path}/report"), "type": "application/json"},
        {"rel": "alternate", "href": format!("{path}/report.txt"), "type": "text/plain"},
        {"rel": "alternate", "href": format!("{path}/report.html"), "type": "text/html"},
    ])
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

/// `POST /api/v1/report`: a GeoJSON site, `{"parcel": {"commune", "sheet", "parcel"}}` or
/// `{"layer", "id"}`.
pub async fn report(State(st): State<ApiState>, p: Params, body: Bytes) -> Result<Response> {
    p.allow(&["format"])?;
    let format = match p.str("format")? {
        None | Some("json") => ReportFormat::Json,
        Some("txt") => ReportFormat::Text,
        Some("html") => ReportFormat::Html,
        Some(other) => {
            return Err(AppError::bad(format!(
                "format must be json, txt or html, got '{}'",
                clip(other)
            )))
        }
    };
    let v: Value = serde_json::from_slice(&body).map_err(|e| {
        AppError::bad(format!(
            "the body is not valid JSON ({e}); send a GeoJSON Polygon/MultiPolygon/Feature, \
             {{\"parcel\": {{\"commune\": \"31150\", \"sheet\": 12, \"parcel\": 345}}}} or {{\"layer\": \"parcels\", \"id\": 123}}"
        ))
    })?;
    enum Req {
        Number(String, i64, i64, Option<i64>),
        Feature(String, u32),
        /// Parsed and validated on the blocking pool: validity checks of a large polygon
        /// take real CPU time and must not stall the async workers.
        Geometry(Value),
    }
    let req = if let Some(pv) = v.get("parcel") {
        let commune = match pv.get("commune") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(AppError::bad(
                "parcel.commune is required: a commune code (\"31150\") or name (\"Vĩnh Thanh\")",
            )),
        };
        let int = |k: &str| -> Result<i64> {
            match pv.get(k) {
                Some(Value::Number(n)) => n
                    .as_i64()
                    .filter(|x| (0..=MAX_NUMBER).contains(x))
                    .ok_or_else(|| {
                        AppError::bad(format!(
                            "parcel.{k} must be a whole number from 0 to {MAX_NUMBER}"
                        ))
                    }),
                Some(Value::String(s)) => parse_int(&format!("parcel.{k}"), s, 0, MAX_NUMBER),
                _ => Err(AppError::bad(format!(
                    "parcel.{k} is required (số tờ = sheet, số thửa = parcel)"
                ))),
            }
        };
        let n = match pv.get("n") {
            None | Some(Value::Null) => None,
            Some(x) => Some(
                x.as_i64()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| AppError::bad("parcel.n must be a whole number from 1"))?,
            ),
        };
        Req::Number(commune, int("sheet")?, int("parcel")?, n)
    } else if v.get("type").is_none() && (v.get("layer").is_some() || v.get("id").is_some()) {
        let layer = v
            .get("layer")
            .and_then(Value::as_str)
            .ok_or_else(|| AppError::bad("layer must be a layer id string, e.g. \"parcels\""))?;
        let id = v
            .get("id")
            .and_then(Value::as_u64)
            .and_then(|i| u32::try_from(i).ok())
            .ok_or_else(|| AppError::bad("id must be a feature id (a whole number from 0)"))?;
        let entry = st.index.layer_entry(layer).ok_or_else(|| {
            AppError::not_found(format!(
                "no layer '{}'; layers: {}",
                clip(layer),
                st.index.layer_ids().join(", ")
            ))
        })?;
        if entry.kind != quyhoach_data::schema::Kind::Parcels {
            return Err(AppError::bad(format!(
                "layer '{layer}' holds {}, not parcels; send its geometry as GeoJSON to report on it",
                entry.kind.id()
            )));
        }
        Req::Feature(layer.to_string(), id)
    } else {
        Req::Geometry(v)
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
                let f = ix.feature(&layer, id).ok_or_else(|| {
                    AppError::not_found(format!("no feature {id} in layer '{layer}'"))
                })?;
                let path = parcel_path(&f.properties);
                (Site::Parcel { layer, id }, path)
            }
            Req::Geometry(v) => (Site::Geometry(parse_site(&v)?), None),
        };
        let report = ix.report_with_cancel(&site, cancel)?;
        let mut v = serde_json::to_value(&report)
            .map_err(|e| AppError::Internal(format!("serialising a report: {e}")))?;
        if let (Some(o), Some(path)) = (v.as_object_mut(), path) {
            o.insert("links".into(), report_links(&path));
        }
        Ok(v)
    })
    .await?;
    let mut resp = render_report(&report, format);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// `GET /api/v1/search?q=&limit=`
pub async fn search(State(st): State<ApiState>, p: Params) -> Result<Response> {
    p.allow(&["q", "limit"])?;
    let q = p.required_str("q", "the text to search: a commune, road, plan, or a parcel as \"commune sheet parcel\" or \"sheet/parcel\"")?;
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::bad(format!(
            "q is longer than {MAX_QUERY_CHARS} characters"
        )));
    }
    let limit = p
        .int("limit", 1, MAX_SEARCH_LIMIT)?
        .unwrap_or(DEFAULT_SEARCH_LIMIT);
    let q2 = q.to_string();
    let hits = blocking(&st, move |ix| Ok(ix.search(&q2, limit as usize)?)).await?;
    let hits: Vec<Value> = hits
        .iter()
        .take(limit as usize)
        .map(|h| {
            let mut v = serde_json::to_value(h).unwrap_or(Value::Null);
            if let (Some(o), Some((c, s, n))) = (v.as_object_mut(), &h.parcel) {
                o.insert("href".into(), format!("/api/v1/parcels/{c}/{s}/{n}").into());
            }
            v
        })
        .collect();
    Ok(json_ok(json!({"q": q, "count": hits.len(), "hits": hits})))
}

fn convert_json(pts: &[(f64, f64)], out: &[(f64, f64)], srs: &str, to_wgs84: bool) -> Vec<Value> {
    pts.iter()
        .zip(out)
        .map(|(&(a, b), &(c, d))| {
            let ((x, y), (lon, lat)) = if to_wgs84 { ((a, b), (c, d)) } else { ((c, d), (a, b)) };
            let r3 = |v: f64| (v * 1000.0).round() / 1000.0;
            let r8 = |v: f64| (v * 1e8).round() / 1e8;
            json!({"x": r3(x), "y": r3(y), "easting": r3(x), "northing": r3(y), "lon": r8(lon), "lat": r8(lat), "srs": srs})
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

/// `GET /api/v1/convert?x=&y=&from=` or `?lon=&lat=&to=`
pub async fn convert_get(p: Params) -> Result<Response> {
    p.allow(&["x", "y", "easting", "northing", "lon", "lat", "from", "to"])?;
    let (srs, to_wgs84) = direction(p.str("from")?, p.str("to")?)?;
    let pt = if to_wgs84 {
        projected_point(&p)?.ok_or_else(|| {
            AppError::bad(format!(
                "from= converts x and y (or easting and northing). {XY_NOTE}"
            ))
        })?
    } else {
        let (Some(lon), Some(lat)) = (p.f64("lon")?, p.f64("lat")?) else {
            return Err(AppError::bad("to= converts lon and lat (WGS 84 degrees)"));
        };
        check_lon_lat(lon, lat)?;
        (lon, lat)
    };
    let out = planning::convert(&[pt], &srs, to_wgs84)?;
    let mut pts = convert_json(&[pt], &out, &srs, to_wgs84);
    Ok(json_ok(pts.pop().unwrap_or(Value::Null)))
}

fn point_of(v: &Value, to_wgs84: bool, i: usize) -> Result<(f64, f64)> {
    let num = |x: Option<&Value>, name: &str| -> Result<f64> {
        x.and_then(Value::as_f64)
            .filter(|x| x.is_finite())
            .ok_or_else(|| AppError::bad(format!("points[{i}].{name} must be a finite number")))
    };
    let pt = match v {
        Value::Array(a) if a.len() == 2 => (num(a.first(), "0")?, num(a.get(1), "1")?),
        Value::Object(o) if to_wgs84 && o.contains_key("northing") => {
            (num(o.get("easting"), "easting")?, num(o.get("northing"), "northing")?)
        }
        Value::Object(o) if to_wgs84 => (num(o.get("x"), "x")?, num(o.get("y"), "y")?),
        Value::Object(o) => (num(o.get("lon"), "lon")?, num(o.get("lat"), "lat")?),
        _ => {
            return Err(AppError::bad(format!(
                "points[{i}] must be [x, y] / [lon, lat], {{\"easting\", \"northing\"}}, {{\"x\", \"y\"}} or {{\"lon\", \"lat\"}}"
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
pub async fn convert_post(p: Params, body: Bytes) -> Result<Response> {
    p.allow(&[])?;
    let v: Value = serde_json::from_slice(&body).map_err(|e| {
        AppError::bad(format!(
            "the body is not valid JSON ({e}); send {{\"from\": \"vn2000:kien-giang\", \"points\": [{{\"northing\": 1100000, \"easting\": 590000}}]}}"
        ))
    })?;
    let (srs, to_wgs84) = direction(
        v.get("from").and_then(Value::as_str),
        v.get("to").and_then(Value::as_str),
    )?;
    let points = v
        .get("points")
        .and_then(Value::as_array)
        .ok_or_else(|| AppError::bad("'points' must be an array of points"))?;
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
    let mut resp = json_ok(json!({
        "srs": srs,
        "direction": if to_wgs84 { "to_wgs84" } else { "from_wgs84" },
        "points": convert_json(&pts, &out, &srs, to_wgs84),
    }));
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
    p: Params,
    body: Bytes,
) -> Result<Response> {
    p.allow(&["srs"])?;
    let srs_text = p.str("srs")?.unwrap_or("prj").to_string();
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
    Ok(Json(json!({
        "type": "Feature",
        "geometry": index::geojson(&geometry),
        "properties": {
            "polygons": polygons,
            "srs": srs_text,
            "srs_used": read.srs,
            "format": read.format,
            "layer": read.layer,
            "skipped_count": read.skipped_count,
            "skipped": read.skipped,
        },
    }))
    .into_response())
}
