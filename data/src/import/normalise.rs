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

