//! The normalise stage: one decoded source feature to one feature of the store's schema, or
//! the reason it is rejected.
//!
//! [`normalise`] works on a [`SourceFeature`] (a `geo` geometry and Unicode text, no GDAL
//! dataset) and a [`Context`] prepared once per import. The checks run in a fixed order and
//! the first failing one is the feature's reason: geometry (type, finite coordinates, repair),
//! attribute values (size, numbers and their ranges, required fields), land-use codes, plan,
//! kept personal fields, reprojection, the Vietnam envelope. What it counts along the way (values
//! set to null, codes mapped or unknown, the plan named, a centre outside Vietnam) is returned
//! in [`Notes`] whether or not the feature is kept, as the report has always counted them.

use std::collections::BTreeSet;

use gdal::spatial_ref::CoordTransform;
use geo::{BoundingRect, Geodesic, Length};
use geo_types::{Coord, Geometry};

use crate::landuse::{check_codes, CodeCheck};
use crate::schema::{FieldSpec, FieldType, Kind};
use crate::srs::Measure;

use super::decode::{Attr, SourceFeature};
use super::geometry::{geodesic_area, outside_vietnam, reproject, shape};
use super::sink::{NormalisedFeature, Value};
use super::ImportOptions;

/// What every feature of one import is normalised against.
pub(crate) struct Context<'a> {
    kind: Kind,
    /// Commune code for parcels whose source has none.
    commune: Option<String>,
    /// Plan of every feature (`--plan`).
    plan: Option<String>,
    /// Plans the store knows.
    known_plans: BTreeSet<String>,
    strict_codes: bool,
    allow_outside_vietnam: bool,
    measure: Measure,
    to_wgs84: &'a CoordTransform,
    /// Positions of the schema fields the normaliser fills or reads.
    landuse: Option<usize>,
    landuse_source: Option<usize>,
    plan_id: Option<usize>,
    commune_code: Option<usize>,
    area: Option<usize>,
    length: Option<usize>,
    source_fid: Option<usize>,
}

impl<'a> Context<'a> {
    /// The context of an import with these options, into a store that knows `known_plans`,
    /// from a source measured by `measure` and reprojected by `to_wgs84`.
    pub(crate) fn new(
        opts: &ImportOptions,
        known_plans: BTreeSet<String>,
        measure: Measure,
        to_wgs84: &'a CoordTransform,
    ) -> Self {
        let specs = opts.kind.fields();
        let idx = |name: &str| specs.iter().position(|s| s.name == name);
        Context {
            kind: opts.kind,
            commune: opts.commune.clone(),
            plan: opts.plan.clone(),
            known_plans,
            strict_codes: opts.strict_codes,
            allow_outside_vietnam: opts.allow_outside_vietnam,
            measure,
            to_wgs84,
            landuse: idx("landuse"),
            landuse_source: idx("landuse_source"),
            plan_id: idx("plan_id"),
            commune_code: idx("commune_code"),
            area: idx("area_m2"),
            length: idx("length_m"),
            source_fid: idx("source_fid"),
        }
    }
}

/// What normalising one feature counted, kept or not.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Notes {
    /// Schema fields set to null: not a number, or out of range.
    pub(crate) values_dropped: Vec<&'static str>,
    /// Legacy land-use codes mapped, as `OLD->NEW`.
    pub(crate) codes_mapped: Vec<String>,
    /// Land-use codes in neither table.
    pub(crate) codes_unknown: Vec<String>,
    /// The known plan the feature belongs to.
    pub(crate) plan: Option<String>,
    /// The feature's centre (WGS 84), when it lies outside Vietnam.
    pub(crate) outside: Option<Coord<f64>>,
    /// Why the geometry was repaired (kept features only).
    pub(crate) repaired: Option<String>,
    /// How the geometry was converted to the kind's type (kept features only).
    pub(crate) converted: Option<&'static str>,
}

/// One feature normalised: the feature to store, or why it is rejected.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Normalised {
    pub(crate) feature: std::result::Result<NormalisedFeature, String>,
    pub(crate) notes: Notes,
}

/// Normalises one decoded source feature. Its values follow the store's columns: the kind's
/// schema fields, then the kept personal fields.
pub(crate) fn normalise(src: SourceFeature, ctx: &Context) -> Normalised {
    let mut notes = Notes::default();
    let feature = normalise_noting(src, ctx, &mut notes);
    Normalised { feature, notes }
}

fn normalise_noting(
    src: SourceFeature,
    ctx: &Context,
    notes: &mut Notes,
) -> std::result::Result<NormalisedFeature, String> {
    let SourceFeature {
        fid,
        geometry,
        values: attrs,
        kept,
    } = src;
    let mut shaped = shape(ctx.kind, geometry?)?;

    // Attributes.
    let specs = ctx.kind.fields();
    let mut values: Vec<Option<Value>> = vec![None; specs.len()];
    for ((slot, spec), attr) in values.iter_mut().zip(specs).zip(&attrs) {
        let text = match attr {
            Ok(Some(text)) => text,
            Ok(None) => continue,
            Err(long) => return Err(long.reason()),
        };
        let v = coerce(spec, text);
        if v.is_none() {
            if spec.required {
                return Err(format!("{} '{text}' is not a valid number", spec.name));
            }
            notes.values_dropped.push(spec.name);
        }
        *slot = v;
    }
    if let (Some(ci), Some(c)) = (ctx.commune_code, &ctx.commune) {
        if values[ci].is_none() {
            values[ci] = Some(Value::Str(c.clone()));
        }
    }
    if let Some(spec) = specs
        .iter()
        .zip(&values)
        .find_map(|(spec, v)| (spec.required && v.is_none()).then_some(spec))
    {
        return Err(format!("{} is empty", spec.name));
    }

    // Land-use codes: current kept, legacy mapped, unknown reported.
    if let Some(li) = ctx.landuse {
        if let Some(Value::Str(text)) = values[li].clone() {
            let mut codes = Vec::new();
            let mut changed = false;
            let mut rejection = None;
            for c in check_codes(&text) {
                match c {
                    CodeCheck::Current(c) => codes.push(c),
                    CodeCheck::Mapped(old, new) => {
                        notes.codes_mapped.push(format!("{old}->{new}"));
                        codes.push(new);
                        changed = true;
                    }
                    CodeCheck::Unknown(u) => {
                        notes.codes_unknown.push(u.clone());
                        if ctx.strict_codes {
                            rejection = Some(format!("unknown land-use code '{u}'"));
                        }
                        codes.push(u);
                        changed = true;
                    }
                }
            }
            let joined = codes.join("+");
            if changed || joined != text {
                if let Some(lsi) = ctx.landuse_source {
                    values[lsi] = Some(Value::Str(text.clone()));
                }
            }
            values[li] = (!joined.is_empty()).then_some(Value::Str(joined));
            if values[li].is_none() && specs[li].required {
                rejection = Some("no land-use code".into());
            }
            if let Some(reason) = rejection {
                return Err(reason);
            }
        }
    }

    // Plan.
    if let Some(pi) = ctx.plan_id {
        if let Some(p) = &ctx.plan {
            values[pi] = Some(Value::Str(p.clone()));
        }
        match &values[pi] {
            Some(Value::Str(p)) if ctx.known_plans.contains(p) => notes.plan = Some(p.clone()),
            Some(Value::Str(p)) => return Err(format!("unknown plan '{p}'")),
            _ if ctx.kind.needs_plan() => return Err("no plan id".into()),
            _ => {}
        }
    }

    let kept = kept
        .into_iter()
        .map(|attr: Attr| attr.map_err(|long| long.reason()))
        .collect::<std::result::Result<Vec<_>, _>>()?;

    // Geometry: measured in the source CRS, then reprojected.
    reproject(&mut shaped.geom, ctx.to_wgs84)?;
    if let Some(c) = shaped.geom.bounding_rect().map(|r| r.center()) {
        if outside_vietnam(c) {
            notes.outside = Some(c);
            if !ctx.allow_outside_vietnam {
                return Err(format!(
                    "lies outside Vietnam (centre {:.4}°, {:.4}°); --allow-outside-vietnam accepts it",
                    c.x, c.y
                ));
            }
        }
    }
    let measure = match (ctx.measure, &shaped.geom) {
        (Measure::Planar { unit_m }, Geometry::MultiPolygon(_)) => shaped.planar * unit_m * unit_m,
        (Measure::Planar { unit_m }, _) => shaped.planar * unit_m,
        (Measure::Geodesic, Geometry::MultiPolygon(mp)) => geodesic_area(mp),
        (Measure::Geodesic, Geometry::MultiLineString(ml)) => Geodesic.length(ml),
        (Measure::Geodesic, _) => 0.0,
    };
    let rounded = (measure * 1e4).round() / 1e4;
    if let Some(ai) = ctx.area {
        values[ai] = Some(Value::Double(rounded));
    }
    if let Some(li) = ctx.length {
        values[li] = Some(Value::Double(rounded));
    }
    if let Some(fi) = ctx.source_fid {
        values[fi] = Some(Value::Int(fid));
    }
    notes.repaired = shaped.repaired;
    notes.converted = shaped.converted;
    values.extend(kept.into_iter().map(|v| v.map(Value::Str)));
    Ok(NormalisedFeature {
        geometry: shaped.geom,
        values,
    })
}

/// A field's text as a value of its type, `None` when it is not one or out of range.
fn coerce(spec: &FieldSpec, text: &str) -> Option<Value> {
    let v = match spec.ty {
        FieldType::String => Some(Value::Str(text.to_string())),
        FieldType::Int => parse_number(text)
            .filter(|v| v.fract() == 0.0 && v.abs() < 9.0e15)
            .map(|v| Value::Int(v as i64)),
        FieldType::Double => parse_number(text).map(Value::Double),
    };
    match (v, spec.range) {
        (Some(Value::Int(i)), Some((lo, hi))) if !(lo..=hi).contains(&(i as f64)) => None,
        (Some(Value::Double(d)), Some((lo, hi))) if !(lo..=hi).contains(&d) => None,
        (v, _) => v,
    }
}

/// Parses a number the way sources write them ("12", "12.0", "12,5", " 7 ").
fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let t = if t.contains(',') && !t.contains('.') {
        t.replace(',', ".")
    } else {
        t.to_string()
    };
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use geo_types::{polygon, Geometry, LineString, MultiPolygon, Polygon};

    use super::*;
    use crate::import::decode::TooLong;
    use crate::import::fields::plan_fields;
    use crate::import::report::ImportReport;
    use crate::schema::{self, Kind};
    use crate::srs::{ResolvedSrs, SrsSpec};

    /// A source in `srs` (EPSG:4326 unless said) and an import's options for `kind`.
    struct Fixture {
        opts: ImportOptions,
        srs: ResolvedSrs,
        ct: CoordTransform,
    }

    fn fixture(kind: Kind, srs: &str) -> Fixture {
        let spec: SrsSpec = srs.parse().unwrap();
        let resolved = ResolvedSrs::resolve(&spec, None).unwrap();
        let ct = resolved.to_wgs84().unwrap();
        Fixture {
            opts: ImportOptions::new("hand-built.geojson", kind, "no-store", spec),
            srs: resolved,
            ct,
        }
    }

    impl Fixture {
        fn run(&self, src: SourceFeature) -> Normalised {
            let plans = ["qhpk-2000".to_string()].into_iter().collect();
            let ctx = Context::new(&self.opts, plans, self.srs.measure, &self.ct);
            normalise(src, &ctx)
        }
    }

    /// A square of `size` degrees at (lon, lat).
    fn square(lon: f64, lat: f64, size: f64) -> Geometry<f64> {
        Geometry::Polygon(polygon![
            (x: lon, y: lat),
            (x: lon + size, y: lat),
            (x: lon + size, y: lat + size),
            (x: lon, y: lat + size),
            (x: lon, y: lat),
        ])
    }

    /// A feature of `kind` with these schema fields' texts.
    fn feature(kind: Kind, attrs: &[(&str, &str)], geometry: Geometry<f64>) -> SourceFeature {
        let values = kind
            .fields()
            .iter()
            .map(|spec| {
                Ok(attrs
                    .iter()
                    .find(|(name, _)| *name == spec.name)
                    .map(|(_, text)| text.to_string()))
            })
            .collect();
        SourceFeature {
            fid: 7,
            geometry: Ok(geometry),
            values,
            kept: Vec::new(),
        }
    }

    /// A good parcel near Rạch Giá with these fields besides its numbers.
    fn parcel(extra: &[(&str, &str)]) -> SourceFeature {
        let mut attrs = vec![
            ("commune_code", "31150"),
            ("sheet", "12"),
            ("parcel", "345"),
        ];
        attrs.extend_from_slice(extra);
        feature(Kind::Parcels, &attrs, square(105.10, 10.0, 0.0005))
    }

    fn value(kind: Kind, f: &NormalisedFeature, name: &str) -> Option<Value> {
        let i = kind.fields().iter().position(|s| s.name == name).unwrap();
        f.values[i].clone()
    }

    fn text(s: &str) -> Option<Value> {
        Some(Value::Str(s.into()))
    }

    #[test]
    fn legacy_land_use_codes_are_mapped_and_the_source_text_kept() {
        let fx = fixture(Kind::Parcels, "EPSG:4326");
        let out = fx.run(parcel(&[("landuse", "bhk + ONT")]));
        let f = out.feature.unwrap();
        assert_eq!(value(Kind::Parcels, &f, "landuse"), text("HNK+ONT"));
        assert_eq!(
            value(Kind::Parcels, &f, "landuse_source"),
            text("bhk + ONT")
        );
        assert_eq!(out.notes.codes_mapped, ["BHK->HNK"]);
        // A current code as written leaves no source text.
        let f = fx.run(parcel(&[("landuse", "ONT")])).feature.unwrap();
        assert_eq!(value(Kind::Parcels, &f, "landuse"), text("ONT"));
        assert_eq!(value(Kind::Parcels, &f, "landuse_source"), None);
        // Unknown codes are kept and counted, or reject the feature with --strict-codes.
        let out = fx.run(parcel(&[("landuse", "XYZ+ONT")]));
        assert_eq!(
            value(Kind::Parcels, &out.feature.unwrap(), "landuse"),
            text("XYZ+ONT")
        );
        assert_eq!(out.notes.codes_unknown, ["XYZ"]);
        let mut strict = fixture(Kind::Parcels, "EPSG:4326");
        strict.opts.strict_codes = true;
        let out = strict.run(parcel(&[("landuse", "XYZ+ONT")]));
        assert_eq!(out.feature.unwrap_err(), "unknown land-use code 'XYZ'");
        assert_eq!(out.notes.codes_unknown, ["XYZ"]);
    }

    #[test]
    fn personal_fields_are_dropped_or_kept_privately() {
        let mut fx = fixture(Kind::Parcels, "EPSG:4326");
        fx.opts.keep_personal = vec!["so cccd".into()];
        let names = ["MaXa", "SoTo", "SoThua", "TenChu", "SoCCCD", "GhiChu"];
        let string = gdal_sys::OGRFieldType::OFTString;
        let mut report = ImportReport::default();
        let plan = plan_fields(
            &fx.opts,
            names.iter().map(|s| s.to_string()).collect(),
            &[string; 6],
            &schema::profiles_named("auto").unwrap(),
            &mut report,
        )
        .unwrap();
        assert_eq!(report.personal_fields_dropped, ["TenChu"]);
        assert_eq!(report.fields_ignored, ["GhiChu"]);
        assert_eq!(plan.kept, [(4, "private_socccd".to_string())]);
        let columns = plan.columns();
        assert_eq!(columns.len(), Kind::Parcels.fields().len() + 1);
        assert_eq!(columns.last().unwrap().name, "private_socccd");
        assert!(columns.iter().all(|c| c.name != "tenchu"));

        let mut src = parcel(&[]);
        src.kept = vec![Ok(Some("079123456789".into()))];
        let f = fx.run(src).feature.unwrap();
        assert_eq!(f.values.len(), columns.len());
        assert_eq!(f.values.last().unwrap(), &text("079123456789"));
    }

    #[test]
    fn a_value_over_the_cap_rejects_the_feature() {
        let fx = fixture(Kind::Parcels, "EPSG:4326");
        let address = Kind::Parcels
            .fields()
            .iter()
            .position(|s| s.name == "address")
            .unwrap();
        let mut src = parcel(&[]);
        src.values[address] = Err(TooLong {
            field: "DiaChi".into(),
            bytes: 70_000,
        });
        assert_eq!(
            fx.run(src).feature.unwrap_err(),
            "field 'DiaChi' holds 70000 bytes, over the 64 KiB cap on an attribute value"
        );
        // So does a kept personal field's.
        let mut src = parcel(&[]);
        src.kept = vec![Err(TooLong {
            field: "SoCCCD".into(),
            bytes: 1 << 20,
        })];
        assert!(fx
            .run(src)
            .feature
            .unwrap_err()
            .starts_with("field 'SoCCCD' holds 1048576 bytes"));
    }

    #[test]
    fn an_invalid_polygon_is_repaired() {
        let fx = fixture(Kind::Parcels, "EPSG:4326");
        // A bow-tie: the ring crosses itself.
        let bow_tie = Geometry::Polygon(polygon![
            (x: 105.100, y: 10.000),
            (x: 105.101, y: 10.001),
            (x: 105.101, y: 10.000),
            (x: 105.100, y: 10.001),
            (x: 105.100, y: 10.000),
        ]);
        let src = feature(
            Kind::Parcels,
            &[("commune_code", "31150"), ("sheet", "1"), ("parcel", "2")],
            bow_tie,
        );
        let out = fx.run(src);
        assert!(out.notes.repaired.is_some());
        let f = out.feature.unwrap();
        let Geometry::MultiPolygon(mp) = &f.geometry else {
            panic!("not a multipolygon: {:?}", f.geometry);
        };
        assert_eq!(crate::validity::invalidity(mp), None);
        // Both triangles, each about a quarter of the 110 m box.
        let Some(Value::Double(area)) = value(Kind::Parcels, &f, "area_m2") else {
            panic!("no area");
        };
        assert!((5_000.0..7_000.0).contains(&area), "{area}");
    }

    #[test]
    fn features_outside_vietnam_are_rejected_unless_allowed() {
        let paris = || parcel_at(2.35, 48.85);
        let fx = fixture(Kind::Parcels, "EPSG:4326");
        let out = fx.run(paris());
        assert!(out
            .feature
            .unwrap_err()
            .starts_with("lies outside Vietnam (centre 2.350"));
        assert!(out.notes.outside.is_some());
        let mut allowed = fixture(Kind::Parcels, "EPSG:4326");
        allowed.opts.allow_outside_vietnam = true;
        let out = allowed.run(paris());
        assert!(out.feature.is_ok());
        assert!(out.notes.outside.is_some());
        // Inside, nothing is noted.
        assert_eq!(fx.run(parcel(&[])).notes.outside, None);
    }

    fn parcel_at(lon: f64, lat: f64) -> SourceFeature {
        feature(
            Kind::Parcels,
            &[("commune_code", "1"), ("sheet", "1"), ("parcel", "1")],
            square(lon, lat, 0.0005),
        )
    }

    #[test]
    fn numbers_are_coerced_or_set_to_null() {
        let fx = fixture(Kind::Parcels, "EPSG:4326");
        let out = fx.run(feature(
            Kind::Parcels,
            &[
                ("commune_code", "31150"),
                ("sheet", " 12,0 "),
                ("parcel", "345.0"),
                ("area_declared_m2", "1234,5"),
            ],
            square(105.1, 10.0, 0.0005),
        ));
        let f = out.feature.unwrap();
        assert_eq!(value(Kind::Parcels, &f, "sheet"), Some(Value::Int(12)));
        assert_eq!(value(Kind::Parcels, &f, "parcel"), Some(Value::Int(345)));
        assert_eq!(
            value(Kind::Parcels, &f, "area_declared_m2"),
            Some(Value::Double(1234.5))
        );
        assert_eq!(value(Kind::Parcels, &f, "source_fid"), Some(Value::Int(7)));
        assert!(out.notes.values_dropped.is_empty());
        // Out of range or not a number: null, and counted.
        for bad in ["-3", "abc", "1e12", "NaN"] {
            let out = fx.run(parcel(&[("area_declared_m2", bad)]));
            let f = out.feature.unwrap();
            assert_eq!(value(Kind::Parcels, &f, "area_declared_m2"), None, "{bad}");
            assert_eq!(out.notes.values_dropped, ["area_declared_m2"], "{bad}");
        }
        // A required number that is not a whole one rejects the feature; so does none.
        let bad = feature(
            Kind::Parcels,
            &[("commune_code", "1"), ("sheet", "1"), ("parcel", "7.5")],
            square(105.1, 10.0, 0.0005),
        );
        assert_eq!(
            fx.run(bad).feature.unwrap_err(),
            "parcel '7.5' is not a valid number"
        );
        let none = feature(
            Kind::Parcels,
            &[("commune_code", "1"), ("parcel", "7")],
            square(105.1, 10.0, 0.0005),
        );
        assert_eq!(fx.run(none).feature.unwrap_err(), "sheet is empty");
        // --commune fills a missing commune.
        let mut with_commune = fixture(Kind::Parcels, "EPSG:4326");
        with_commune.opts.commune = Some("31150".into());
        let f = with_commune
            .run(feature(
                Kind::Parcels,
                &[("sheet", "1"), ("parcel", "7")],
                square(105.1, 10.0, 0.0005),
            ))
            .feature
            .unwrap();
        assert_eq!(value(Kind::Parcels, &f, "commune_code"), text("31150"));
    }

    #[test]
    fn areas_are_planar_in_a_vn2000_source_and_geometry_ends_in_wgs84() {
        let fx = fixture(Kind::Parcels, "vn2000:kien-giang");
        // 100 m × 50 m in Kiên Giang's VN-2000 TM-3 zone.
        let rect = Geometry::Polygon(Polygon::new(
            LineString::from(vec![
                (560_000.0, 1_100_000.0),
                (560_100.0, 1_100_000.0),
                (560_100.0, 1_100_050.0),
                (560_000.0, 1_100_050.0),
                (560_000.0, 1_100_000.0),
            ]),
            vec![],
        ));
        let src = feature(
            Kind::Parcels,
            &[("commune_code", "1"), ("sheet", "1"), ("parcel", "1")],
            rect,
        );
        let f = fx.run(src).feature.unwrap();
        assert_eq!(
            value(Kind::Parcels, &f, "area_m2"),
            Some(Value::Double(5000.0))
        );
        let Geometry::MultiPolygon(MultiPolygon(polys)) = &f.geometry else {
            panic!("not a multipolygon");
        };
        let c = polys[0].exterior().0[0];
        assert!(
            (104.0..106.0).contains(&c.x) && (9.0..11.0).contains(&c.y),
            "{c:?}"
        );
    }

    #[test]
    fn plans_are_checked_and_the_geometry_shaped_first() {
        let mut fx = fixture(Kind::Zones, "EPSG:4326");
        fx.opts.plan = Some("qhpk-2000".into());
        let zone = |attrs: &[(&str, &str)]| feature(Kind::Zones, attrs, square(105.1, 10.0, 0.001));
        let out = fx.run(zone(&[("landuse", "ONT")]));
        assert_eq!(out.notes.plan.as_deref(), Some("qhpk-2000"));
        let f = out.feature.unwrap();
        assert_eq!(value(Kind::Zones, &f, "plan_id"), text("qhpk-2000"));
        // A plan named by the source must be known to the store.
        let from_source = fixture(Kind::Zones, "EPSG:4326");
        let out = from_source.run(zone(&[("landuse", "ONT"), ("plan_id", "qh-x")]));
        assert_eq!(out.feature.unwrap_err(), "unknown plan 'qh-x'");
        assert_eq!(
            from_source
                .run(zone(&[("landuse", "ONT")]))
                .feature
                .unwrap_err(),
            "no plan id"
        );
        // The geometry's problems come before the attributes'.
        let mut src = zone(&[]);
        src.geometry = Err("no geometry".into());
        assert_eq!(fx.run(src).feature.unwrap_err(), "no geometry");
        let point = feature(Kind::Zones, &[], Geometry::Point((105.1, 10.0).into()));
        assert_eq!(
            fx.run(point).feature.unwrap_err(),
            "expected a polygon, got Point"
        );
    }
}
