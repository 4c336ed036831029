//! The field-matching stage: which source field feeds each schema field (explicit `--map`
//! first, then the profiles' aliases), which personal-data fields are kept privately and which
//! are dropped, and the store columns that follow.

use gdal::vector::{Layer, LayerAccess};

use crate::schema::{self, FieldType, Kind, Profile};
use crate::store::ColumnInfo;

use super::report::ImportReport;
use super::{ImportError, ImportOptions, Result, MAX_FIELD_NAME_BYTES, MAX_SOURCE_FIELDS};

/// How a source layer's fields feed the store's columns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldPlan {
    /// The kind whose schema the fields feed.
    pub(crate) kind: Kind,
    /// The source layer's field names, in order.
    pub(crate) source_fields: Vec<String>,
    /// For each schema field, the source field that feeds it.
    pub(crate) matched: Vec<Option<usize>>,
    /// Personal-data fields kept with `--keep-personal`: source field and store column.
    pub(crate) kept: Vec<(usize, String)>,
    /// Source fields read as text whose bytes may be in a legacy encoding (the encoding
    /// detector samples them).
    pub(crate) text_fields: Vec<usize>,
}

impl FieldPlan {
    /// The store's columns: the schema's, then any kept personal fields.
    pub(crate) fn columns(&self) -> Vec<ColumnInfo> {
        let mut columns: Vec<ColumnInfo> = self
            .kind
            .fields()
            .iter()
            .map(|spec| ColumnInfo {
                name: spec.name.into(),
                ty: spec.ty,
                doc: spec.doc.into(),
            })
            .collect();
        columns.extend(self.kept.iter().map(|(_, name)| ColumnInfo {
            name: name.clone(),
            ty: FieldType::String,
            doc: "personal data kept with --keep-personal; never served".into(),
        }));
        columns
    }
}

/// Matches the source layer's fields to the kind's schema; records the field map, the
/// ignored and the dropped personal fields in the report.
pub(super) fn match_source(
    opts: &ImportOptions,
    layer: &Layer,
    profiles: &[Profile],
    report: &mut ImportReport,
) -> Result<FieldPlan> {
    let source_fields: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    let field_types: Vec<u32> = layer.defn().fields().map(|f| f.field_type()).collect();
    plan_fields(opts, source_fields, &field_types, profiles, report)
}

/// [`match_source`] on the source's field names and their OGR types.
pub(crate) fn plan_fields(
    opts: &ImportOptions,
    source_fields: Vec<String>,
    field_types: &[u32],
    profiles: &[Profile],
    report: &mut ImportReport,
) -> Result<FieldPlan> {
    let kind = opts.kind;
    let path_text = opts.source.display().to_string();
    if source_fields.len() > MAX_SOURCE_FIELDS {
        return Err(ImportError::Open {
            path: path_text,
            reason: format!(
                "{} fields, more than the {MAX_SOURCE_FIELDS} accepted",
                source_fields.len()
            ),
        });
    }
    if let Some(long) = source_fields
        .iter()
        .find(|f| f.len() > MAX_FIELD_NAME_BYTES)
    {
        let start: String = long.chars().take(40).collect();
        return Err(ImportError::Open {
            path: path_text,
            reason: format!(
                "a field name of {} bytes ('{start}…'), longer than the {MAX_FIELD_NAME_BYTES} accepted",
                long.len()
            ),
        });
    }
    let matched = schema::match_fields(kind, &source_fields, &opts.mappings, profiles)
        .map_err(ImportError::Options)?;
    let specs = kind.fields();
    for (spec, m) in specs.iter().zip(&matched) {
        if let Some(i) = m {
            report
                .field_map
                .insert(spec.name.into(), source_fields[*i].clone());
        }
    }
    let has = |name: &str| {
        specs
            .iter()
            .position(|s| s.name == name)
            .and_then(|i| matched[i])
            .is_some()
    };
    for spec in specs.iter().filter(|s| s.required) {
        let satisfied = has(spec.name) || (spec.name == "commune_code" && opts.commune.is_some());
        if !satisfied {
            return Err(ImportError::MissingField {
                path: path_text,
                kind,
                field: spec.name.into(),
                available: if source_fields.is_empty() {
                    "none".into()
                } else {
                    source_fields.join(", ")
                },
            });
        }
    }
    if kind.needs_plan() && opts.plan.is_none() && !has("plan_id") {
        return Err(ImportError::Options(format!(
            "{kind} belong to a plan: pass --plan PLAN_ID or map a plan field with --map plan_id=FIELD"
        )));
    }
    let mut kept: Vec<(usize, String)> = Vec::new();
    for (i, name) in source_fields.iter().enumerate() {
        if matched.contains(&Some(i)) {
            continue;
        }
        if schema::is_personal(name) {
            let column = format!("private_{}", schema::field_key(name));
            let wanted = opts
                .keep_personal
                .iter()
                .any(|k| schema::field_key(k) == schema::field_key(name));
            // Two source spellings of one name (`CCCD` and `cccd`, `Số CCCD` and `SoCCCD`)
            // would make two columns of one name: the first is kept, the others dropped.
            if wanted && kept.iter().all(|(_, c)| *c != column) {
                kept.push((i, column));
            } else {
                if wanted {
                    report.warnings.push(format!(
                        "--keep-personal: '{name}' is another spelling of a field already kept as {column}; dropped"
                    ));
                }
                report.personal_fields_dropped.push(name.clone());
            }
        } else {
            report.fields_ignored.push(name.clone());
        }
    }
    for k in &opts.keep_personal {
        if !source_fields
            .iter()
            .any(|f| schema::field_key(f) == schema::field_key(k))
        {
            return Err(ImportError::Options(format!(
                "--keep-personal {k}: no such source field"
            )));
        }
    }
    let text_fields: Vec<usize> = specs
        .iter()
        .zip(&matched)
        .filter(|(s, _)| s.ty == FieldType::String)
        .filter_map(|(_, m)| *m)
        .chain(kept.iter().map(|(i, _)| *i))
        .filter(|i| field_types.get(*i) == Some(&gdal_sys::OGRFieldType::OFTString))
        .collect();
    Ok(FieldPlan {
        kind,
        source_fields,
        matched,
        kept,
        text_fields,
    })
}
