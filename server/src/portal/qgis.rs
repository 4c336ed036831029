//! "Open in QGIS": `GET /qgis/project.qgs?bbox=w,s,e,n&lang=vi|en` is a QGIS 3 project of
//! that view, which QGIS 3.22 (Debian 12) and later open as it is.
//!
//! The project reads the data through this server's OGC API - Features (`/ogc`, QGIS's
//! `OAPIF` provider): administrative boundaries, each plan's red lines (red, dashed), roads,
//! parcels (outlines, and a second, hidden layer of the same collection coloured by current
//! land use), each plan's zones (drafts marked, paler and dashed). Zones and the current-use
//! layer are drawn by **categorised renderers built from the land-use code table**
//! (`quyhoach_data::landuse`): QGIS's converter of MapLibre styles drops the web style's
//! `["slice", …]` fills, so the project does not rely on it. The category expression is the
//! web style's rule (the first three letters of `landuse`, so "ONT+CLN" takes ONT's colour; a
//! legacy code of Circular 27/2018 takes its successor's colour; anything else is grey).
//! Below them the vector tiles (`/tiles/planning/{z}/{x}/{y}.mvt`) are an XYZ vector tile
//! layer with a QGIS-native style (zones by the same colours, roads, red lines, parcels).
//!
//! The OGC layers download what the canvas shows, so the heavy ones (parcels, zones, red
//! lines, roads) are drawn only from 1:[`SWITCH_SCALE`] inwards, and the vector tiles only
//! outwards of it: a province-wide view never asks the server for a million parcels.
//!
//! The project CRS is Web Mercator (EPSG:3857, the tiles' own), distances and areas are
//! measured on the WGS 84 ellipsoid, and the project opens on the requested box (default:
//! the data's bounds). Every text written into the XML is escaped; the host in the links is
//! this server's public base URL ([`crate::proxy::base_url`], which honours `--public-url`).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use quyhoach_data::landuse::{codes, lookup, LEGACY_CODES};
use quyhoach_data::lookup::Store;
use quyhoach_data::plans::PlanStatus;
use quyhoach_data::schema::Kind;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::Routes;
use crate::apidoc::{Op, Schemas};
use crate::error::{AppError, Result};
use crate::params::{parse_f64, Params};
use crate::portal::PortalState;
use crate::proxy::base_url;
use crate::style::landuse_colour_of;
use crate::text::Lang;
use crate::tiles::{COMBINED_TILESET, DEFAULT_MAXZOOM};

/// Media type of the project file.
pub const QGS_MEDIA_TYPE: &str = "application/x-qgis-project";

/// Scale denominator where the project switches from the vector tiles (zoomed out) to the
/// OGC API layers (zoomed in): at 1:10,000 a full-HD canvas shows about 2.5 × 1.4 km.
pub const SWITCH_SCALE: f64 = 10_000.0;

/// Scale denominator from which feature labels (codes, parcel numbers) are drawn.
pub const LABEL_SCALE: f64 = 5_000.0;

/// Largest side of a requested box, degrees (Việt Nam spans about 8° × 15°).
pub const MAX_BBOX_SIDE_DEG: f64 = 20.0;

/// Features read per layer when listing the land-use codes it holds; a larger layer gets
/// every code of the table as a category instead.
pub const MAX_CODE_SCAN: usize = 250_000;

/// Page size the project asks the OGC API for (the server's largest page).
const PAGE_SIZE: usize = crate::ogc::MAX_LIMIT;

/// Opacity of zones of plans in force and of drafts (as in the web map).
const ZONE_OPACITY: f64 = 0.65;
const DRAFT_ZONE_OPACITY: f64 = 0.4;

/// This module's routes.
pub fn routes() -> Routes {
    vec![("/qgis/project.qgs", &["get"], get(project))]
}

/// The OpenAPI paths of [`routes`].
pub fn openapi_paths(_sc: &mut Schemas) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "/qgis/project.qgs".into(),
        json!({"get": Op::new(
            "A QGIS 3 project of a view: the OGC API - Features layers (parcels, each plan's zones coloured by land-use code, red lines, roads, boundaries) and the vector tiles, opening on the box",
            "QGIS",
        )
        .query::<ProjectQuery>()
        .media(
            "200",
            "The project (download as quyhoach.qgs)",
            QGS_MEDIA_TYPE,
            json!({"type": "string"}),
        )
        .problems(&["400", "500"])
        .done()}),
    );
    m
}

/// The query of `GET /qgis/project.qgs`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ProjectQuery {
    /// The view, west,south,east,north in WGS 84 degrees (west < east, south < north, each
    /// side at most 20°, meeting the data); default: the data's bounds
    #[schemars(extend("example" = "105.104,9.946,105.110,9.952"))]
    bbox: Option<String>,
    /// Language of the layer names and legends
    #[schemars(extend("default" = "vi"))]
    lang: Option<ProjectLang>,
}

/// The languages of a project.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
enum ProjectLang {
    Vi,
    En,
}

/// Reads `bbox` and `lang`.
fn read_params(p: &Params, data: [f64; 4]) -> Result<([f64; 4], Lang)> {
    let q: ProjectQuery = p.parse()?;
    let lang = match q.lang {
        None | Some(ProjectLang::Vi) => Lang::Vi,
        Some(ProjectLang::En) => Lang::En,
    };
    let bbox = match q.bbox {
        None => data,
        Some(text) => parse_view(&text, data)?,
    };
    Ok((bbox, lang))
}

/// A view box: four finite numbers, west < east, south < north, on the globe, each side at
/// most [`MAX_BBOX_SIDE_DEG`], meeting the data's bounds.
pub fn parse_view(text: &str, data: [f64; 4]) -> Result<[f64; 4]> {
    let parts: Vec<&str> = text.split(',').collect();
    if parts.len() != 4 {
        return Err(AppError::bad(format!(
            "bbox takes 4 numbers west,south,east,north in WGS 84 degrees, got {}",
            parts.len()
        )));
    }
    let mut b = [0.0; 4];
    for (v, s) in b.iter_mut().zip(&parts) {
        *v = parse_f64("bbox", s.trim())?;
    }
    let [w, s, e, n] = b;
    if !(-180.0..=180.0).contains(&w)
        || !(-180.0..=180.0).contains(&e)
        || !(-85.0..=85.0).contains(&s)
        || !(-85.0..=85.0).contains(&n)
    {
        return Err(AppError::bad(format!(
            "bbox {w},{s},{e},{n} is off the map: longitudes −180…180, latitudes −85…85 \
             (WGS 84 degrees, not VN-2000 metres)"
        )));
    }
    if w >= e || s >= n {
        return Err(AppError::bad(format!(
            "bbox {w},{s},{e},{n}: west must be less than east and south less than north \
             (order west,south,east,north)"
        )));
    }
    if e - w > MAX_BBOX_SIDE_DEG || n - s > MAX_BBOX_SIDE_DEG {
        return Err(AppError::bad(format!(
            "bbox {w},{s},{e},{n} is larger than {MAX_BBOX_SIDE_DEG}° on a side"
        )));
    }
    if e < data[0] || w > data[2] || n < data[1] || s > data[3] {
        return Err(AppError::bad(format!(
            "bbox {w},{s},{e},{n} does not meet the data, which lies within {},{},{},{}",
            data[0], data[1], data[2], data[3]
        )));
    }
    Ok(b)
}

/// `GET /qgis/project.qgs`
async fn project(State(st): State<PortalState>, headers: HeaderMap, p: Params) -> Result<Response> {
    let data = data_bounds(&*st.index);
    let (bbox, lang) = read_params(&p, data)?;
    let base = base_url(&headers);
    let index = st.index.clone();
    let xml = tokio::task::spawn_blocking(move || project_xml(&*index, &base, bbox, lang)).await?;
    let mut r = xml.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(QGS_MEDIA_TYPE),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"quyhoach.qgs\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    Ok(r)
}

/// The union of every layer's bounds (a small box around 0,0 for an empty store).
fn data_bounds(index: &dyn Store) -> [f64; 4] {
    index
        .catalog()
        .layers
        .values()
        .map(|l| l.bounds)
        .filter(|b| b.iter().all(|v| v.is_finite()) && b[0] <= b[2] && b[1] <= b[3])
        .reduce(|a, b| {
            [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ]
        })
        .unwrap_or([-0.01, -0.01, 0.01, 0.01])
}

// ---------------------------------------------------------------------------------------
// XML helpers

/// Escapes text for XML 1.0 content and attribute values; characters XML 1.0 does not
/// allow (C0 controls but tab, CR, LF; U+FFFE, U+FFFF) are dropped.
pub fn xml_esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\t' | '\n' | '\r' => o.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => o.push(c),
        }
    }
    o
}

/// A value inside a QGIS data source URI (`key='value'`): backslash and quote escaped.
fn uri_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Percent-encodes what would break a `key=value&…` data source string.
fn pct(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/[]{}".contains(&b) {
            o.push(b as char);
        } else {
            let _ = write!(o, "%{b:02X}");
        }
    }
    o
}

/// `#RRGGBB` → `r,g,b,a` (grey for anything else).
fn rgba(hex: &str, alpha: u8) -> String {
    let h = hex.trim_start_matches('#');
    let part = |i: usize| h.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok());
    match (h.len(), part(0), part(2), part(4)) {
        (6, Some(r), Some(g), Some(b)) => format!("{r},{g},{b},{alpha}"),
        _ => format!("204,204,204,{alpha}"),
    }
}

/// A symbol layer's properties, in both the `<Option>` map QGIS ≥ 3.20 reads and the
/// `<prop>` list older versions read.
fn props(out: &mut String, kv: &[(&str, String)]) {
    out.push_str("<Option type=\"Map\">");
    for (k, v) in kv {
        let _ = write!(
            out,
            "<Option name=\"{}\" type=\"QString\" value=\"{}\"/>",
            xml_esc(k),
            xml_esc(v)
        );
    }
    out.push_str("</Option>");
    for (k, v) in kv {
        let _ = write!(out, "<prop k=\"{}\" v=\"{}\"/>", xml_esc(k), xml_esc(v));
    }
}

/// How a symbol is drawn.
#[derive(Clone, Copy)]
enum Sym<'a> {
    /// A polygon: fill colour (None: no fill), outline colour, outline style, width (mm).
    Fill(Option<&'a str>, &'a str, &'a str, f64),
    /// A line: colour, style (`solid`, `dash`), width (mm).
    Line(&'a str, &'a str, f64),
}

fn symbol(out: &mut String, name: &str, sym: Sym<'_>) {
    let (ty, class, kv): (&str, &str, Vec<(&str, String)>) = match sym {
        Sym::Fill(fill, outline, style, width) => (
            "fill",
            "SimpleFill",
            vec![
                ("color", rgba(fill.unwrap_or("#FFFFFF"), 255)),
                ("style", if fill.is_some() { "solid" } else { "no" }.into()),
                ("outline_color", rgba(outline, 255)),
                ("outline_style", style.into()),
                ("outline_width", format!("{width}")),
                ("outline_width_unit", "MM".into()),
                ("joinstyle", "bevel".into()),
            ],
        ),
        Sym::Line(color, style, width) => (
            "line",
            "SimpleLine",
            vec![
                ("line_color", rgba(color, 255)),
                ("line_style", style.into()),
                ("line_width", format!("{width}")),
                ("line_width_unit", "MM".into()),
                ("capstyle", "round".into()),
                ("joinstyle", "round".into()),
            ],
        ),
    };
    let _ = write!(
        out,
        "<symbol name=\"{}\" type=\"{ty}\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\
         <layer class=\"{class}\" enabled=\"1\" locked=\"0\" pass=\"0\">",
        xml_esc(name)
    );
    props(out, &kv);
    out.push_str("</layer></symbol>");
}

/// `<spatialrefsys>` of a CRS QGIS knows: its internal id (`srsid`, which QGIS 3.22 needs to
/// take the CRS of a project), PROJ string and EPSG code.
fn srs(srsid: u32, epsg: u32, proj4: &str, description: &str, geographic: bool) -> String {
    format!(
        "<spatialrefsys><proj4>{}</proj4><srsid>{srsid}</srsid><srid>{epsg}</srid><authid>EPSG:{epsg}</authid>\
         <description>{}</description><geographicflag>{geographic}</geographicflag></spatialrefsys>",
        xml_esc(proj4),
        xml_esc(description)
    )
}

fn srs_4326() -> String {
    srs(
        3452,
        4326,
        "+proj=longlat +datum=WGS84 +no_defs",
        "WGS 84",
        true,
    )
}

fn srs_3857() -> String {
    srs(
        3857,
        3857,
        "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs",
        "WGS 84 / Pseudo-Mercator",
        false,
    )
}

/// WGS 84 → Web Mercator metres.
fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    const R: f64 = 6_378_137.0;
    let lat = lat.clamp(-85.05, 85.05).to_radians();
    (
        R * lon.to_radians(),
        R * (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln(),
    )
}

fn extent_xml(tag: &str, b: [f64; 4]) -> String {
    format!(
        "<{tag}><xmin>{}</xmin><ymin>{}</ymin><xmax>{}</xmax><ymax>{}</ymax></{tag}>",
        b[0], b[1], b[2], b[3]
    )
}

// ---------------------------------------------------------------------------------------
// Land-use categories

/// One category of a land-use renderer: the value of the category expression, its colour
/// and its legend label.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    /// The first three letters of `landuse` (a current or legacy code).
    pub value: String,
    /// `#RRGGBB`, from the code table (a legacy code: its successor's).
    pub color: String,
    /// Legend text.
    pub label: String,
}

/// The expression the categories are matched on: the web style's `slice(landuse, 0, 3)`.
pub const CATEGORY_EXPRESSION: &str = "left(coalesce(\"landuse\", ''), 3)";

/// The land-use codes (first three letters of `landuse`) a layer holds, or `None` when it
/// has more than [`MAX_CODE_SCAN`] features.
fn codes_in_layer(index: &dyn Store, layer: &str) -> Option<BTreeSet<String>> {
    let e = index.layer_entry(layer)?;
    if e.count as usize > MAX_CODE_SCAN {
        return None;
    }
    let mut found = BTreeSet::new();
    let _ = index.visit(layer, e.bounds, &mut |f, _| {
        if let Some(quyhoach_data::index::ValueRef::Str(s)) = f.value("landuse") {
            let code: String = s.chars().take(3).collect();
            if !code.is_empty() {
                found.insert(code);
            }
        }
    });
    Some(found)
}

/// The categories of a layer: each code it holds that the table knows (current, or legacy
/// with its successor's colour), in table order; every code of the table when the layer is
/// too large to list.
pub fn categories(index: &dyn Store, layer: &str, lang: Lang) -> Vec<Category> {
    let present = codes_in_layer(index, layer);
    let wanted = |c: &str| present.as_ref().is_none_or(|p| p.contains(c));
    let mut out = Vec::new();
    for c in codes() {
        if wanted(&c.code) {
            out.push(Category {
                value: c.code.clone(),
                color: c.color.clone(),
                label: format!("{} — {}", c.code, lang.t(&c.name_vi, &c.name_en)),
            });
        }
    }
    for (old, new) in LEGACY_CODES {
        if let (true, Some(c)) = (wanted(old), lookup(new)) {
            out.push(Category {
                value: (*old).to_string(),
                color: landuse_colour_of(Some(old)).to_string(),
                label: format!(
                    "{old} → {new} — {} ({})",
                    lang.t(&c.name_vi, &c.name_en),
                    lang.t("mã cũ, TT 27/2018", "legacy code, Circular 27/2018")
                ),
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Layers

/// Settings of one OGC API layer in the project.
struct OapifLayer {
    qid: String,
    collection: String,
    name: String,
    abstract_: String,
    geometry: &'static str,
    checked: bool,
    /// Most zoomed-out scale denominator shown (0: all scales).
    min_scale: f64,
    opacity: f64,
    renderer: String,
    labeling: Option<String>,
    bounds: [f64; 4],
}

/// A categorised renderer over [`CATEGORY_EXPRESSION`], with a grey "other" category.
fn categorized_renderer(
    cats: &[Category],
    outline: &str,
    outline_style: &str,
    other: &str,
) -> String {
    let mut r = format!(
        "<renderer-v2 type=\"categorizedSymbol\" attr=\"{}\" forceraster=\"0\" symbollevels=\"0\" enableorderby=\"0\"><categories>",
        xml_esc(CATEGORY_EXPRESSION)
    );
    for (i, c) in cats.iter().enumerate() {
        let _ = write!(
            r,
            "<category render=\"true\" value=\"{}\" symbol=\"{i}\" label=\"{}\"/>",
            xml_esc(&c.value),
            xml_esc(&c.label)
        );
    }
    // The empty value is QGIS's "all other values".
    let _ = write!(
        r,
        "<category render=\"true\" value=\"\" symbol=\"{}\" label=\"{}\"/></categories><symbols>",
        cats.len(),
        xml_esc(other)
    );
    for (i, c) in cats.iter().enumerate() {
        symbol(
            &mut r,
            &i.to_string(),
            Sym::Fill(Some(&c.color), outline, outline_style, 0.2),
        );
    }
    symbol(
        &mut r,
        &cats.len().to_string(),
        Sym::Fill(Some("#CCCCCC"), outline, outline_style, 0.2),
    );
    r.push_str("</symbols></renderer-v2>");
    r
}

fn single_renderer(sym: Sym<'_>) -> String {
    let mut r = String::from(
        "<renderer-v2 type=\"singleSymbol\" forceraster=\"0\" symbollevels=\"0\" enableorderby=\"0\"><symbols>",
    );
    symbol(&mut r, "0", sym);
    r.push_str("</symbols></renderer-v2>");
    r
}

/// Simple labels of a field (or expression), from [`LABEL_SCALE`] inwards unless `always`.
fn labeling(expr: &str, is_expression: bool, placement: u8, size: f64, always: bool) -> String {
    format!(
        "<labeling type=\"simple\"><settings calloutType=\"simple\">\
         <text-style fieldName=\"{}\" isExpression=\"{}\" fontFamily=\"DejaVu Sans\" namedStyle=\"Bold\" fontWeight=\"75\" \
         fontSize=\"{size}\" fontSizeUnit=\"Point\" textColor=\"34,34,34,255\" textOpacity=\"1\" multilineHeight=\"1\">\
         <text-buffer bufferDraw=\"1\" bufferSize=\"0.8\" bufferSizeUnits=\"MM\" bufferColor=\"255,255,255,255\" bufferOpacity=\"0.9\" bufferNoFill=\"1\" bufferJoinStyle=\"128\"/>\
         </text-style>\
         <text-format wrapChar=\"\" multilineAlign=\"3\" autoWrapLength=\"0\"/>\
         <placement placement=\"{placement}\" placementFlags=\"10\" centroidInside=\"1\" centroidWhole=\"0\" repeatDistance=\"0\" overrunDistance=\"0\"/>\
         <rendering scaleVisibility=\"{}\" scaleMin=\"0\" scaleMax=\"{}\" obstacle=\"1\" upsidedownLabels=\"0\" limitNumLabels=\"0\" \
         displayAll=\"0\" mergeLines=\"{}\" labelPerPart=\"0\" fontLimitPixelSize=\"0\" drawLabels=\"1\"/>\
         </settings></labeling>",
        xml_esc(expr),
        u8::from(is_expression),
        u8::from(!always),
        if always { 0.0 } else { LABEL_SCALE },
        u8::from(placement == 2 || placement == 3),
    )
}

fn oapif_source(base: &str, collection: &str) -> String {
    format!(
        "pageSize={} restrictToRequestBBOX='1' typename={} url={}",
        uri_quote(&PAGE_SIZE.to_string()),
        uri_quote(collection),
        uri_quote(&format!("{base}/ogc"))
    )
}

fn oapif_maplayer(out: &mut String, l: &OapifLayer, base: &str) {
    let scaled = l.min_scale > 0.0;
    let _ = write!(
        out,
        "<maplayer type=\"vector\" geometry=\"{}\" readOnly=\"1\" labelsEnabled=\"{}\" \
         hasScaleBasedVisibilityFlag=\"{}\" minScale=\"{}\" maxScale=\"0\" autoRefreshEnabled=\"0\" autoRefreshTime=\"0\" \
         simplifyDrawingHints=\"1\" simplifyDrawingTol=\"1\" simplifyLocal=\"1\" simplifyAlgorithm=\"0\" simplifyMaxScale=\"1\">",
        l.geometry,
        u8::from(l.labeling.is_some()),
        u8::from(scaled),
        if scaled { l.min_scale } else { 1e8 },
    );
    out.push_str(&extent_xml("extent", l.bounds));
    out.push_str(&extent_xml("wgs84extent", l.bounds));
    let _ = write!(
        out,
        "<id>{}</id><datasource>{}</datasource><layername>{}</layername><srs>{}</srs>\
         <resourceMetadata><identifier>{}</identifier><type>dataset</type><title>{}</title><abstract>{}</abstract></resourceMetadata>\
         <provider encoding=\"UTF-8\">OAPIF</provider>",
        xml_esc(&l.qid),
        xml_esc(&oapif_source(base, &l.collection)),
        xml_esc(&l.name),
        srs_4326(),
        xml_esc(&format!("{base}/ogc/collections/{}", l.collection)),
        xml_esc(&l.name),
        xml_esc(&l.abstract_),
    );
    out.push_str(&l.renderer);
    if let Some(lab) = &l.labeling {
        out.push_str(lab);
    }
    let _ = write!(
        out,
        "<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode><layerOpacity>{}</layerOpacity>\
         <flags><Identifiable>1</Identifiable><Removable>1</Removable><Searchable>1</Searchable><Private>0</Private></flags>\
         </maplayer>",
        l.opacity
    );
}

/// The plan of a layer: (name, draft).
fn plan_of(index: &dyn Store, layer: &str) -> Option<(String, bool)> {
    let e = index.layer_entry(layer)?;
    let id = e.plan.as_ref().or_else(|| e.plans.first())?;
    let p = index.catalog().plans.get(id)?;
    Some((p.name.clone(), crate::style::is_draft(index, layer)))
        .map(|(n, d)| (n, d || p.status == PlanStatus::Draft))
}

fn plan_suffix(index: &dyn Store, layer: &str, lang: Lang) -> (String, bool) {
    match plan_of(index, layer) {
        Some((name, true)) => (
            format!(
                " — {name} ({})",
                lang.t("DỰ THẢO, chưa có hiệu lực", "DRAFT, not legally binding")
            ),
            true,
        ),
        Some((name, false)) => (format!(" — {name}"), false),
        None => (format!(" — {layer}"), false),
    }
}

fn qgis_id(prefix: &str, layer: &str) -> String {
    let clean: String = layer
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{prefix}_{clean}")
}

/// The project document.
pub fn project_xml(index: &dyn Store, base: &str, bbox: [f64; 4], lang: Lang) -> String {
    let cat = index.catalog();
    let ids_of = |k: Kind| -> Vec<&String> {
        cat.layers
            .iter()
            .filter(|(_, e)| e.kind == k)
            .map(|(id, _)| id)
            .collect()
    };
    let t = |vi: &'static str, en: &'static str| lang.t(vi, en).to_string();
    let other = t(
        "Khác / mã không có trong bảng",
        "Other / code not in the table",
    );
    // Top first.
    let mut layers: Vec<OapifLayer> = Vec::new();
    for id in ids_of(Kind::Boundaries) {
        let e = &cat.layers[id];
        layers.push(OapifLayer {
            qid: qgis_id("boundaries", id),
            collection: id.clone(),
            name: format!(
                "{} ({id})",
                t("Ranh giới hành chính", "Administrative boundaries")
            ),
            abstract_: t("Ranh giới xã/phường.", "Commune and ward boundaries."),
            geometry: "Polygon",
            checked: true,
            min_scale: 0.0,
            opacity: 1.0,
            renderer: single_renderer(Sym::Fill(None, "#8E3B8E", "dash", 0.6)),
            labeling: Some(labeling("name", false, 1, 10.0, true)),
            bounds: e.bounds,
        });
    }
    let mut redlines = ids_of(Kind::Redlines);
    redlines.sort_by_key(|id| !plan_suffix(index, id, lang).1);
    for id in redlines {
        let e = &cat.layers[id];
        let (suffix, draft) = plan_suffix(index, id, lang);
        layers.push(OapifLayer {
            qid: qgis_id("redlines", id),
            collection: id.clone(),
            name: format!("{}{suffix}", t("Chỉ giới đường đỏ", "Red lines")),
            abstract_: t(
                "Chỉ giới đường đỏ của quy hoạch: phần đất trong chỉ giới dành cho đường.",
                "The plan's red lines: land inside them is reserved for roads.",
            ),
            geometry: "Line",
            checked: true,
            min_scale: SWITCH_SCALE,
            opacity: if draft { 0.7 } else { 1.0 },
            renderer: single_renderer(Sym::Line(
                "#E00000",
                if draft { "dot" } else { "dash" },
                0.7,
            )),
            labeling: None,
            bounds: e.bounds,
        });
    }
    for id in ids_of(Kind::Roads) {
        let e = &cat.layers[id];
        layers.push(OapifLayer {
            qid: qgis_id("roads", id),
            collection: id.clone(),
            name: format!("{} ({id})", t("Đường giao thông", "Roads")),
            abstract_: t("Đường giao thông hiện trạng.", "Existing roads."),
            geometry: "Line",
            checked: true,
            min_scale: SWITCH_SCALE,
            opacity: 1.0,
            renderer: single_renderer(Sym::Line("#9A9A9A", "solid", 0.5)),
            labeling: Some(labeling("name", false, 2, 8.0, false)),
            bounds: e.bounds,
        });
    }
    for id in ids_of(Kind::Parcels) {
        let e = &cat.layers[id];
        layers.push(OapifLayer {
            qid: qgis_id("parcels", id),
            collection: id.clone(),
            name: format!("{} ({id})", t("Thửa đất", "Parcels")),
            abstract_: t(
                "Ranh thửa đất địa chính; nhãn là số thửa.",
                "Cadastral parcel outlines, labelled with the parcel number.",
            ),
            geometry: "Polygon",
            checked: true,
            min_scale: SWITCH_SCALE,
            opacity: 1.0,
            renderer: single_renderer(Sym::Fill(None, "#6B4F2A", "solid", 0.2)),
            labeling: Some(labeling("parcel", false, 1, 7.0, false)),
            bounds: e.bounds,
        });
        layers.push(OapifLayer {
            qid: qgis_id("parcels_landuse", id),
            collection: id.clone(),
            name: format!(
                "{} ({id})",
                t(
                    "Thửa đất — hiện trạng sử dụng đất",
                    "Parcels — current land use"
                )
            ),
            abstract_: t(
                "Thửa đất tô màu theo mã loại đất hiện trạng (Thông tư 08/2024/TT-BTNMT).",
                "Parcels coloured by their current land-use code (Circular 08/2024/TT-BTNMT).",
            ),
            geometry: "Polygon",
            checked: false,
            min_scale: SWITCH_SCALE,
            opacity: 0.7,
            renderer: categorized_renderer(
                &categories(index, id, lang),
                "#6B4F2A",
                "solid",
                &other,
            ),
            labeling: Some(labeling("landuse", false, 1, 7.0, false)),
            bounds: e.bounds,
        });
    }
    // Zones: drafts above the plans in force.
    let mut zones = ids_of(Kind::Zones);
    zones.sort_by_key(|id| !plan_suffix(index, id, lang).1);
    for id in zones {
        let e = &cat.layers[id];
        let (suffix, draft) = plan_suffix(index, id, lang);
        layers.push(OapifLayer {
            qid: qgis_id("zones", id),
            collection: id.clone(),
            name: format!("{}{suffix}", t("Khu quy hoạch", "Planning zones")),
            abstract_: t(
                "Khu chức năng quy hoạch tô màu theo mã loại đất quy hoạch (Thông tư 08/2024/TT-BTNMT); nhãn là mã.",
                "Planning zones coloured by their planned land-use code (Circular 08/2024/TT-BTNMT), labelled with the code.",
            ),
            geometry: "Polygon",
            checked: true,
            min_scale: SWITCH_SCALE,
            opacity: if draft { DRAFT_ZONE_OPACITY } else { ZONE_OPACITY },
            renderer: categorized_renderer(
                &categories(index, id, lang),
                "#5A5A5A",
                if draft { "dash" } else { "solid" },
                &other,
            ),
            labeling: Some(labeling("landuse", false, 1, 8.0, false)),
            bounds: e.bounds,
        });
    }

    let tiles_id = "planning_vector_tiles".to_string();
    let tiles_name = t(
        "Bản đồ quy hoạch (ô vector, khi thu nhỏ)",
        "Planning map (vector tiles, when zoomed out)",
    );
    let tiles_source = format!(
        "type=xyz&url={}&zmax={DEFAULT_MAXZOOM}&zmin=0",
        pct(&format!(
            "{base}/tiles/{COMBINED_TILESET}/{{z}}/{{x}}/{{y}}.mvt"
        ))
    );

    let title = format!(
        "quyhoach — {}",
        t("dữ liệu quy hoạch (OGC API)", "planning data (OGC API)")
    );
    let mut x = String::with_capacity(64 * 1024);
    x.push_str("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n");
    let _ = write!(
        x,
        "<qgis projectname=\"{}\" version=\"3.22.0-Białowieża\">\n<homePath path=\"\"/>\n<title>{}</title>\n",
        xml_esc(&title),
        xml_esc(&title)
    );
    let _ = writeln!(x, "<projectCrs>{}</projectCrs>", srs_3857());
    // The layer tree, top first; the vector tiles at the bottom.
    x.push_str("<layer-tree-group><customproperties/>\n");
    for l in &layers {
        let _ = writeln!(
            x,
            "<layer-tree-layer id=\"{}\" name=\"{}\" source=\"{}\" providerKey=\"OAPIF\" checked=\"{}\" expanded=\"{}\"><customproperties/></layer-tree-layer>",
            xml_esc(&l.qid),
            xml_esc(&l.name),
            xml_esc(&oapif_source(base, &l.collection)),
            if l.checked { "Qt::Checked" } else { "Qt::Unchecked" },
            u8::from(l.renderer.contains("categorizedSymbol") && l.checked),
        );
    }
    let _ = writeln!(
        x,
        "<layer-tree-layer id=\"{}\" name=\"{}\" source=\"{}\" providerKey=\"vectortile\" checked=\"Qt::Checked\" expanded=\"0\"><customproperties/></layer-tree-layer>",
        xml_esc(&tiles_id),
        xml_esc(&tiles_name),
        xml_esc(&tiles_source)
    );
    x.push_str("</layer-tree-group>\n");

    // The view.
    let (x0, y0) = mercator(bbox[0], bbox[1]);
    let (x1, y1) = mercator(bbox[2], bbox[3]);
    let merc = [x0, y0, x1, y1];
    let _ = writeln!(
        x,
        "<mapcanvas name=\"theMapCanvas\" annotationsVisible=\"1\"><units>meters</units>{}<rotation>0</rotation>\
         <destinationsrs>{}</destinationsrs><rendermaptile>0</rendermaptile></mapcanvas>",
        extent_xml("extent", merc),
        srs_3857()
    );
    let _ = writeln!(
        x,
        "<ProjectViewSettings UseProjectScales=\"0\" rotation=\"0\"><Scales/>\
         <DefaultViewExtent xmin=\"{x0}\" ymin=\"{y0}\" xmax=\"{x1}\" ymax=\"{y1}\">{}</DefaultViewExtent></ProjectViewSettings>",
        srs_3857()
    );

    x.push_str("<projectlayers>\n");
    for l in &layers {
        oapif_maplayer(&mut x, l, base);
        x.push('\n');
    }
    vector_tile_maplayer(&mut x, index, &tiles_id, &tiles_name, &tiles_source, lang);
    x.push_str("\n</projectlayers>\n");

    x.push_str("<layerorder>");
    for l in &layers {
        let _ = write!(x, "<layer id=\"{}\"/>", xml_esc(&l.qid));
    }
    let _ = writeln!(x, "<layer id=\"{}\"/></layerorder>", xml_esc(&tiles_id));

    let _ = writeln!(
        x,
        "<properties><SpatialRefSys><ProjectionsEnabled type=\"int\">1</ProjectionsEnabled></SpatialRefSys>\
         <Measure><Ellipsoid type=\"QString\">EPSG:7030</Ellipsoid></Measure>\
         <Measurement><DistanceUnits type=\"QString\">meters</DistanceUnits><AreaUnits type=\"QString\">m2</AreaUnits></Measurement>\
         <PositionPrecision><Automatic type=\"bool\">true</Automatic><DecimalPlaces type=\"int\">2</DecimalPlaces></PositionPrecision>\
         </properties>"
    );
    let _ = writeln!(
        x,
        "<projectMetadata><identifier>{}</identifier><title>{}</title><abstract>{}</abstract><language>{}</language></projectMetadata>",
        xml_esc(&format!("{base}/qgis/project.qgs")),
        xml_esc(&title),
        xml_esc(&format!(
            "{} {base}/ogc — {}",
            t(
                "Dữ liệu quy hoạch công khai, đọc qua OGC API - Features tại",
                "Public planning data, read through OGC API - Features at"
            ),
            t(
                "thông tin tham khảo; văn bản pháp lý là quyết định phê duyệt quy hoạch.",
                "for reference; the legal text is the plan's approving decision."
            )
        )),
        lang.code()
    );
    x.push_str("</qgis>\n");
    x
}

/// The vector tile layer, with a QGIS-native style: zones by land-use colour, parcels,
/// roads and red lines; shown only when zoomed out beyond 1:[`SWITCH_SCALE`].
fn vector_tile_maplayer(
    out: &mut String,
    index: &dyn Store,
    id: &str,
    name: &str,
    source: &str,
    lang: Lang,
) {
    let cat = index.catalog();
    let _ = write!(
        out,
        "<maplayer type=\"vector-tile\" hasScaleBasedVisibilityFlag=\"1\" minScale=\"1e+08\" maxScale=\"{SWITCH_SCALE}\" \
         autoRefreshEnabled=\"0\" autoRefreshTime=\"0\">\
         <id>{}</id><datasource>{}</datasource><layername>{}</layername><srs>{}</srs><provider>vectortile</provider>\
         <renderer type=\"basic\"><styles>",
        xml_esc(id),
        xml_esc(source),
        xml_esc(name),
        srs_3857()
    );
    let style = |out: &mut String, name: &str, layer: &str, geom: u8, expr: &str, sym: Sym<'_>| {
        let _ = write!(
            out,
            "<style name=\"{}\" layer=\"{}\" geometry=\"{geom}\" expression=\"{}\" enabled=\"1\" min-zoom=\"-1\" max-zoom=\"-1\"><symbols>",
            xml_esc(name),
            xml_esc(layer),
            xml_esc(expr)
        );
        symbol(out, "0", sym);
        out.push_str("</symbols></style>");
    };
    let mut zones: Vec<&String> = cat
        .layers
        .iter()
        .filter(|(_, e)| e.kind == Kind::Zones)
        .map(|(id, _)| id)
        .collect();
    zones.sort_by_key(|id| plan_suffix(index, id, lang).1);
    for z in zones {
        let draft = plan_suffix(index, z, lang).1;
        for c in categories(index, z, lang) {
            let alpha = if draft { 100 } else { 170 };
            // The fill's transparency is in its colour: the style has no layer opacity.
            let _ = write!(
                out,
                "<style name=\"{}\" layer=\"{}\" geometry=\"2\" expression=\"{}\" enabled=\"1\" min-zoom=\"-1\" max-zoom=\"-1\"><symbols>\
                 <symbol name=\"0\" type=\"fill\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\"><layer class=\"SimpleFill\" enabled=\"1\" locked=\"0\" pass=\"0\">",
                xml_esc(&format!("{z}: {}", c.label)),
                xml_esc(z),
                xml_esc(&format!("{CATEGORY_EXPRESSION} = '{}'", c.value.replace('\'', "''"))),
            );
            props(
                out,
                &[
                    ("color", rgba(&c.color, alpha)),
                    ("style", "solid".into()),
                    ("outline_color", rgba("#5A5A5A", 200)),
                    ("outline_style", if draft { "dash" } else { "solid" }.into()),
                    ("outline_width", "0.15".into()),
                    ("outline_width_unit", "MM".into()),
                ],
            );
            out.push_str("</layer></symbol></symbols></style>");
        }
    }
    for (pid, e) in &cat.layers {
        match e.kind {
            Kind::Parcels => style(
                out,
                pid,
                pid,
                2,
                "",
                Sym::Fill(None, "#6B4F2A", "solid", 0.1),
            ),
            Kind::Roads => style(out, pid, pid, 1, "", Sym::Line("#FFFFFF", "solid", 0.6)),
            Kind::Redlines => style(out, pid, pid, 1, "", Sym::Line("#E00000", "dash", 0.5)),
            _ => {}
        }
    }
    out.push_str(
        "</styles></renderer><blendMode>0</blendMode><layerOpacity>1</layerOpacity>\
         <flags><Identifiable>1</Identifiable><Removable>1</Removable><Searchable>1</Searchable><Private>0</Private></flags></maplayer>",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_xml_and_drops_control_characters() {
        assert_eq!(
            xml_esc("a<b>&\"c'\u{1}\u{FFFF}"),
            "a&lt;b&gt;&amp;&quot;c&apos;"
        );
        assert_eq!(uri_quote("it's \\"), "'it\\'s \\\\'");
        assert_eq!(pct("http://h:1/t/{z}&x y"), "http://h:1/t/{z}%26x%20y");
        assert_eq!(rgba("#FFFC8C", 255), "255,252,140,255");
        assert_eq!(rgba("nonsense", 9), "204,204,204,9");
    }

    #[test]
    fn view_boxes_are_checked() {
        let data = [105.0, 9.0, 106.0, 10.0];
        assert!(parse_view("105.1,9.1,105.2,9.2", data).is_ok());
        for bad in [
            "105.2,9.1,105.1,9.2",
            "105.1,9.1,105.1,9.2",
            "1,2,3",
            "NaN,9,106,10",
            "inf,9,106,10",
            "105,9,106,95",
            "80,-10,105.5,9.5",
            "0,0,1,1",
            "105.1,9.1,105.2,9.2,1",
        ] {
            assert!(parse_view(bad, data).is_err(), "{bad}");
        }
    }
}
