//! The OpenAPI 3.0 definitions: the whole service at `/api/v1/openapi.json`, and the OGC
//! part alone (as OGC 17-069r4 §7.3 wants it, with the collection paths spelled out) at
//! `/ogc/api`.
//!
//! The schemas of the JSON bodies are generated from the Rust types the handlers serialise
//! (and, for requests, deserialise) by schemars, in the OpenAPI 3.0 dialect (`nullable`,
//! `#/components/schemas/…`), their doc comments the descriptions: a field added to a
//! response struct is in the document without a line written here, and the serde attributes
//! that shape the JSON (renames, `flatten`, `skip_serializing_if`, tags) shape the schema.
//! The query parameters likewise: each operation's are the fields of the type its handler
//! reads them into ([`crate::params::Query`]), one `in: query` parameter per field with its
//! schema (the caps the handler applies are the schema's), its doc comment the description,
//! required when it is not an `Option` — so a name the document lists is a name the handler
//! takes, and the other way round. What the types cannot say is written here: the paths,
//! their path parameters, summaries, media types and status codes.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use crate::api::{self, ApiState, MAX_CONVERT_POINTS};
use crate::apidoc::{ok, parcel_path_params, pp, problem_ref, query, str_, Schemas};
use crate::error::{Problem, Result};
use crate::geojson::Feature;
use crate::ogc::{self, with_type, OPENAPI_JSON};
use crate::params::{NoParams, Query};
use crate::proxy::base_url;

/// The parameters OGC 17-069r4 defines once and the operations refer to
/// (`#/components/parameters/…`): they are [`ogc::ItemsQuery`]'s fields of those names.
const OGC_SHARED: [&str; 4] = ["bbox", "limit", "offset", "datetime"];

/// [`query`] of an OGC operation: the shared parameters as references.
fn ogc_query<T: DeserializeOwned + JsonSchema + 'static>() -> Vec<Value> {
    query::<T>()
        .into_iter()
        .map(|p| match p["name"].as_str() {
            Some(name) if OGC_SHARED.contains(&name) => {
                json!({"$ref": format!("#/components/parameters/{name}")})
            }
            _ => p,
        })
        .collect()
}

/// The shared OGC parameters themselves, from [`ogc::ItemsQuery`].
fn ogc_shared_parameters() -> Map<String, Value> {
    query::<ogc::ItemsQuery>()
        .into_iter()
        .filter_map(|p| {
            let name = p["name"].as_str()?.to_string();
            OGC_SHARED.contains(&name.as_str()).then_some((name, p))
        })
        .collect()
}

/// Path parameters followed by query parameters.
fn with(mut path: Vec<Value>, query: Vec<Value>) -> Vec<Value> {
    path.extend(query);
    path
}

/// One operation: summary, tag, parameters, the 200 response and the problem responses.
fn op(summary: &str, tag: &str, params: Vec<Value>, resp: Value) -> Value {
    json!({
        "summary": summary,
        "tags": [tag],
        "parameters": params,
        "responses": {"200": resp, "400": problem_ref(), "404": problem_ref(), "500": problem_ref()},
    })
}

fn body(desc: &str, schema: Value, example: Value) -> Value {
    json!({"required": true, "description": desc,
        "content": {"application/json": {"schema": schema, "example": example}}})
}

fn any_json() -> Value {
    json!({"type": "object", "additionalProperties": true})
}

/// The `/ogc` operations with paths relative to `prefix` ("" or "/ogc").
fn ogc_paths(prefix: &str, collections: &[&str], sc: &mut Schemas) -> Map<String, Value> {
    let mut paths = Map::new();
    let f = ogc_query::<ogc::FQuery>();
    let tag = "OGC API - Features";
    let landing = json!({"get": op("Landing page", tag, f.clone(), ok("Links to the API definition, conformance and data", "application/json", sc.out::<ogc::Landing>()))});
    if prefix.is_empty() {
        paths.insert("/".into(), landing);
    } else {
        paths.insert(prefix.to_string(), landing.clone());
        paths.insert(format!("{prefix}/"), landing);
    }
    paths.insert(
        format!("{prefix}/api"),
        json!({"get": op("This API definition (OGC part)", tag, f.clone(),
        ok("OpenAPI 3.0", "application/vnd.oai.openapi+json;version=3.0", any_json()))}),
    );
    paths.insert(
        format!("{prefix}/conformance"),
        json!({"get": op("Conformance classes: core, geojson, oas30", tag, f.clone(),
        ok("conformsTo", "application/json", sc.out::<ogc::Conformance>()))}),
    );
    paths.insert(
        format!("{prefix}/collections"),
        json!({"get": op("One collection per store layer", tag, f.clone(),
        ok("Collections", "application/json", sc.out::<ogc::Collections>()))}),
    );
    let items_params = |coll: Option<Value>| {
        let mut v = Vec::new();
        v.extend(coll);
        v.extend(ogc_query::<ogc::ItemsQuery>());
        v
    };
    // Path parameters, then the query's.
    let with_f = |mut path: Vec<Value>| {
        path.extend(f.clone());
        path
    };
    let cid = pp("collectionId", "Layer id, see /collections", str_());
    let fid = pp(
        "featureId",
        "Feature id within the layer",
        json!({"type": "integer", "minimum": 0}),
    );
    let fc = sc.out::<ogc::FeatureCollection>();
    let feature = sc.out::<Feature>();
    paths.insert(
        format!("{prefix}/collections/{{collectionId}}"),
        json!({"get": op("A collection", tag, with_f(vec![cid.clone()]),
        ok("Collection", "application/json", sc.out::<ogc::Collection>()))}),
    );
    paths.insert(
        format!("{prefix}/collections/{{collectionId}}/items"),
        json!({"get": op("Features of a collection, paged", tag,
        items_params(Some(cid.clone())), ok("Features", "application/geo+json", fc.clone()))}),
    );
    paths.insert(
        format!("{prefix}/collections/{{collectionId}}/items/{{featureId}}"),
        json!({"get": op("One feature", tag,
        with_f(vec![cid, fid.clone()]), ok("Feature", "application/geo+json", feature.clone()))}),
    );
    // Each collection spelled out too, as OGC 17-069r4 §7.3.1 permits; some clients and test
    // suites look parameters up by the concrete path.
    for id in collections {
        paths.insert(
            format!("{prefix}/collections/{id}/items"),
            json!({"get": op(&format!("Features of {id}"), tag,
            items_params(None), ok("Features", "application/geo+json", fc.clone()))}),
        );
        paths.insert(
            format!("{prefix}/collections/{id}/items/{{featureId}}"),
            json!({"get": op(&format!("One feature of {id}"), tag,
            with_f(vec![fid.clone()]), ok("Feature", "application/geo+json", feature.clone()))}),
        );
    }
    paths
}

/// The components: the parameters shared by the OGC paths, every schema the operations
/// named (generated), and the problem response.
fn components(mut sc: Schemas) -> Value {
    let problem = sc.out::<Problem>();
    let (schemas, clashes) = sc.components();
    for name in clashes {
        tracing::error!(schema = %name, "a schema name has one form as read and another as written");
    }
    json!({
        "parameters": ogc_shared_parameters(),
        "schemas": schemas,
        "responses": {
            "Problem": {"description": "Problem (RFC 7807): what was wrong and what is accepted",
                "content": {"application/problem+json": {"schema": problem}}},
        },
    })
}

fn info() -> Value {
    json!({
        "title": "quyhoach — tra cứu thông tin quy hoạch",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Planning-data lookup for Vietnam: parcels by point, VN-2000 coordinates or number \
            (xã/tờ/thửa), planning reports naming the plan and its approving decision, VN-2000 ↔ WGS 84 \
            conversion, and OGC API - Features at /ogc. Errors are RFC 7807 problem JSON. Owners' personal \
            data is never served.",
        "license": {"name": "Apache-2.0"},
    })
}

/// Vector tiles, TileJSON, the map style and its glyphs (see `docs/tiles.md`).
fn tile_paths() -> Map<String, Value> {
    let tag = "Vector tiles";
    let bin = |desc: &str, media: &str| json!({"description": desc, "content": {media: {"schema": {"type": "string", "format": "binary"}}}});
    let mut paths = Map::new();
    paths.insert("/tiles".into(), json!({"get": op("Tile sets: `planning` (every store layer), one per store layer, and served PMTiles archives", tag, vec![], ok("Tile sets with their TileJSON and tile URLs", "application/json", any_json()))}));
    paths.insert("/tiles/{tilejson}".into(), json!({"get": op("TileJSON 3.0 of a tile set, at /tiles/{tileset}.json, with absolute tile URLs", tag,
        vec![pp("tilejson", "The tile set name followed by `.json`, e.g. `planning.json`", str_())],
        ok("TileJSON 3.0.0", "application/json", any_json()))}));
    let mut tile = op(
        "One Mapbox Vector Tile (2.1): /tiles/{tileset}/{z}/{x}/{y}.mvt (or .pbf). gzip-encoded when the client accepts it; 204 when the tile has no feature; 304 on a matching If-None-Match",
        tag,
        vec![
            pp("tileset", "Tile set: `planning`, a store layer id, or a served archive", str_()),
            pp("z", "Zoom, 0 to the tile set's maxzoom (18 for the store)", json!({"type": "integer", "minimum": 0})),
            pp("x", "Column, 0 to 2^z − 1", json!({"type": "integer", "minimum": 0})),
            pp("tile", "Row y followed by `.mvt` or `.pbf`, e.g. `7736.mvt`", str_()),
        ],
        bin("The tile", "application/vnd.mapbox-vector-tile"),
    );
    tile["responses"]["204"] = json!({"description": "No feature in this tile"});
    tile["responses"]["304"] = json!({"description": "Not modified (ETag)"});
    paths.insert(
        "/tiles/{tileset}/{z}/{x}/{tile}".into(),
        json!({"get": tile}),
    );
    paths.insert("/styles/planning.json".into(), json!({"get": op("MapLibre style (version 8) of the planning map: plans coloured by land use, parcels, roads, red lines, boundaries, Vietnamese labels", tag, vec![], ok("Style", "application/json", any_json()))}));
    paths.insert("/fonts/{fontstack}/{range}".into(), json!({"get": op("SDF glyphs of the style's labels (DejaVu Sans Book, DejaVu Sans Bold)", tag,
        vec![pp("fontstack", "Font names separated by commas; the first one served is used", str_()),
             pp("range", "`{start}-{end}.pbf`, 256 code points aligned on 256, e.g. `7680-7935.pbf`", str_())],
        bin("Glyphs (protobuf)", "application/x-protobuf"))}));
    paths
}

/// The definition of the whole service, `servers` pointing at `base`. The document is
/// generated from the types once per process; each call only sets its `servers`.
pub fn document(base: &str) -> Value {
    static DOC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let mut doc = DOC.get_or_init(generate).clone();
    doc["servers"] = json!([{"url": base}]);
    doc
}

fn generate() -> Value {
    let mut sc = Schemas::new();
    let paths = paths(&mut sc);
    json!({
        "openapi": "3.0.3",
        "info": info(),
        "tags": [{"name": "API"}, {"name": "Vector tiles"}, {"name": "OGC API - Features"}],
        "paths": paths,
        "components": components(sc),
    })
}

/// Every path of the service, their body types named to `sc`.
fn paths(sc: &mut Schemas) -> Map<String, Value> {
    let mut paths = Map::new();
    let api = "API";
    let none = query::<NoParams>;
    paths.insert("/api/v1/health".into(), json!({"get": op("Liveness and data version", api, none(), ok("Status: of the full server, or of a tile-only one (`serve --pmtiles` without a store)", "application/json", json!({"oneOf": [sc.out::<api::Health>(), sc.out::<api::TileHealth>()]})))}));
    paths.insert("/api/v1/openapi.json".into(), json!({"get": op("This document", api, none(), ok("OpenAPI 3.0", "application/json", any_json()))}));
    paths.insert("/api/v1/layers".into(), json!({"get": op("Store layers: kind, count, bounds, columns, source SRS, checksums", api, none(), ok("Layers", "application/json", sc.out::<api::LayerList>()))}));
    paths.insert("/api/v1/plans".into(), json!({"get": op("Plans with their approving decisions and status", api, none(), ok("Plans", "application/json", sc.out::<api::PlanList>()))}));
    paths.insert(
        "/api/v1/plans/{id}".into(),
        json!({"get": op("One plan and the layers using it", api,
        with(vec![pp("id", "Plan id", str_())], none()), ok("Plan", "application/json", sc.out::<api::PlanOut>()))}),
    );
    paths.insert("/api/v1/landuse-codes".into(), json!({"get": op("Land-use codes of Circular 08/2024/TT-BTNMT and the legacy 2018 codes", api,
        none(), ok("Codes", "application/json", sc.out::<api::LandUseCodes>()))}));
    let parcels = sc.out::<api::ParcelCollection>();
    paths.insert(
        "/api/v1/parcels/at".into(),
        json!({"get": op("Parcels at a point: lon/lat, or x/y (easting/northing) with srs. A VN-2000 point on no parcel also gets `suggestions`: the provincial meridians that put it on a parcel or in the data ({srs, province, provinces, meridian, lon, lat, parcel})", api,
        query::<api::AtQuery>(), ok("Parcels with deep links and report links", "application/geo+json", parcels.clone()))}),
    );
    paths.insert("/api/v1/parcels/{commune}/{sheet}/{parcel}".into(), json!({"get": op(
        "Parcels by commune, sheet and parcel number: the stable deep link; duplicates all returned", api,
        with(parcel_path_params(), none()), ok("Parcels", "application/geo+json", parcels))}));
    let rp = with(parcel_path_params(), query::<api::ChooseQuery>());
    let report = sc.out::<api::ReportOut>();
    let mut report_get = op(
        "Planning report of a parcel (JSON)",
        api,
        rp.clone(),
        ok("Report", "application/json", report.clone()),
    );
    report_get["responses"]["409"] = problem_ref();
    paths.insert(
        "/api/v1/parcels/{commune}/{sheet}/{parcel}/report".into(),
        json!({"get": report_get}),
    );
    // The text and HTML reports answer in their own form whatever happens: a page.
    let page = |media: &str, mut o: Value| {
        for (status, what) in [
            (
                "300",
                "Several parcels share the number: a page listing them, each with its link (`n`)",
            ),
            ("400", "A page saying what was wrong"),
            (
                "404",
                "A page: no such commune or parcel, or no such `n`, with what to do",
            ),
            ("500", "A page: the report could not be made"),
        ] {
            o["responses"][status] = ok(what, media, str_());
        }
        o
    };
    let t = page(
        "text/plain",
        op(
            "Planning report as plain Vietnamese text (< 5 KB)",
            api,
            rp.clone(),
            ok("Report", "text/plain", str_()),
        ),
    );
    paths.insert(
        "/api/v1/parcels/{commune}/{sheet}/{parcel}/report.txt".into(),
        json!({"get": t}),
    );
    let h = page(
        "text/html",
        op(
            "Planning report as minimal HTML, no JavaScript (< 5 KB)",
            api,
            rp,
            ok("Report", "text/html", str_()),
        ),
    );
    paths.insert(
        "/api/v1/parcels/{commune}/{sheet}/{parcel}/report.html".into(),
        json!({"get": h}),
    );
    let rp_png = with(parcel_path_params(), query::<api::MapQuery>());
    let mut m = op(
        "The parcel's map as a 1200 × 630 PNG: its neighbourhood's zones, red lines, roads and \
         parcels, the parcel highlighted (the Open Graph image of a shared parcel link)",
        api,
        rp_png,
        ok(
            "Picture",
            "image/png",
            json!({"type": "string", "format": "binary"}),
        ),
    );
    m["responses"]["409"] = problem_ref();
    paths.insert(
        "/api/v1/parcels/{commune}/{sheet}/{parcel}/map.png".into(),
        json!({"get": m}),
    );
    paths.insert("/api/v1/search".into(), json!({"get": op("Type-ahead search, accents and typos forgiven: parcels (\"thửa đất số 345, tờ bản đồ số 12, xã Vĩnh Thanh\", \"345/12\" both readings, \"Vinh Thanh sheet 12 parcel 345\"), house addresses (\"223 30 thang 4\"), hamlets, communes (also \"UBND xã …\" and pre-2025 names, with a `note`), roads, plans", api,
        query::<api::SearchQuery>(),
        ok("Hits", "application/json", sc.out::<api::SearchResult>()))}));
    let mut post = op(
        "Planning report of a site (JSON, or with `format` as plain text or minimal HTML)",
        api,
        query::<api::ReportQuery>(),
        json!({"description": "Report", "content": {
            "application/json": {"schema": report},
            "text/plain": {"schema": str_()},
            "text/html": {"schema": str_()},
        }}),
    );
    post["requestBody"] = body(
        "A GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection (WGS 84), or {\"parcel\": {\"commune\", \"sheet\", \"parcel\"}}, or {\"layer\", \"id\"}",
        sc.input::<api::ReportRequest>(),
        json!({"parcel": {"commune": "31150", "sheet": 12, "parcel": 345}}),
    );
    post["responses"]["409"] = problem_ref();
    post["responses"]["413"] = problem_ref();
    paths.insert("/api/v1/report".into(), json!({"post": post}));
    let mut conv_post = op(
        &format!("Convert up to {MAX_CONVERT_POINTS} points (a certificate's corner table)"),
        api,
        none(),
        ok("Points", "application/json", sc.out::<api::Converted>()),
    );
    conv_post["requestBody"] = body(
        "{\"from\" or \"to\": SRS, \"points\": [[x, y], …] or [{\"northing\", \"easting\"}, …] or [{\"lon\", \"lat\"}, …]}",
        sc.input::<api::ConvertRequest>(),
        json!({"from": "vn2000:kien-giang", "points": [{"northing": 1108000.0, "easting": 590000.0}]}),
    );
    conv_post["responses"]["413"] = problem_ref();
    let mut site_post = op(
        "Read a site boundary file (zipped Shapefile, KML, GeoJSON, GeoPackage) into a WGS 84 MultiPolygon for POST /api/v1/report",
        api,
        query::<api::SiteQuery>(),
        ok("Feature", "application/json", sc.out::<api::SiteFile>()),
    );
    site_post["requestBody"] = json!({"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}});
    site_post["responses"]["413"] = problem_ref();
    site_post["responses"]["422"] = problem_ref();
    paths.insert("/api/v1/sites/parse".into(), json!({"post": site_post}));
    paths.insert("/api/v1/convert".into(), json!({
        "get": op("Convert one point between VN-2000 and WGS 84", api, query::<api::ConvertQuery>(), ok("Point", "application/json", sc.out::<api::ConvertedPoint>())),
        "post": conv_post,
    }));
    paths.extend(tile_paths());
    paths.extend(crate::portal::openapi_paths(sc));
    paths.extend(ogc_paths("/ogc", &[], sc));
    not_modified(&mut paths, "");
    paths
}

/// The 304 of every GET the server answers conditionally (see [`crate::version::conditional_get`]),
/// the paths relative to `prefix`.
fn not_modified(paths: &mut Map<String, Value>, prefix: &str) {
    for (path, item) in paths.iter_mut() {
        if !crate::version::conditional_get(&format!("{prefix}{path}")) {
            continue;
        }
        if let Some(Value::Object(r)) = item.pointer_mut("/get/responses") {
            r.entry("304").or_insert_with(
                || json!({"description": "Not modified (If-None-Match matches the ETag)"}),
            );
        }
    }
}

/// The definition of the OGC part alone, `servers` pointing at `base/ogc`.
pub fn ogc_document(base: &str, collections: &[&str]) -> Value {
    let mut sc = Schemas::new();
    let mut paths = ogc_paths("", collections, &mut sc);
    not_modified(&mut paths, "/ogc");
    json!({
        "openapi": "3.0.3",
        "info": info(),
        "servers": [{"url": format!("{base}/ogc")}],
        "tags": [{"name": "OGC API - Features"}],
        "paths": paths,
        "components": components(sc),
    })
}

/// `GET /ogc/api`: the OpenAPI definition of the OGC part, with this server's base URL.
pub async fn ogc_api(
    State(st): State<ApiState>,
    headers: HeaderMap,
    Query(_): Query<ogc::FQuery>,
) -> Result<Response> {
    let doc = ogc_document(&base_url(&headers), &st.index.layer_ids());
    Ok(with_type(Json(doc).into_response(), OPENAPI_JSON))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_schema_name_has_one_form_read_and_another_written() {
        let mut sc = Schemas::new();
        paths(&mut sc);
        let (schemas, clashes) = sc.components();
        assert!(clashes.is_empty(), "{clashes:?}");
        for name in ["ReportOut", "PlanReport", "ReportRequest", "ConvertRequest"] {
            assert!(schemas.contains_key(name), "{name} not generated");
        }
    }
}
