//! What an import did: counts, repaired and rejected features, mappings, warnings.

use std::collections::BTreeMap;

use serde::Serialize;

/// How many repaired/rejected entries a report lists one by one (the counts are always
/// complete); keeps the JSON report small for a million bad features.
const REPORT_LIST_CAP: usize = 10_000;

/// One feature that was repaired or rejected.
#[derive(Debug, Clone, Serialize)]
pub struct FeatureIssue {
    /// Feature id in the source.
    pub fid: i64,
    /// Why.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ImportReport {
    /// Store layer id.
    pub layer: String,
    /// Kind.
    pub kind: String,
    /// Source path.
    pub source: String,
    /// Source layer.
    pub source_layer: String,
    /// GDAL driver.
    pub driver: String,
    /// SRS label and the definition used.
    pub srs: String,
    /// The definition used.
    pub srs_definition: String,
    /// Encoding used.
    pub encoding: String,
    /// Whether the encoding was detected (not forced).
    pub encoding_detected: bool,
    /// Features read.
    pub read: u64,
    /// Features written.
    pub written: u64,
    /// Number repaired.
    pub repaired_count: u64,
    /// Number rejected.
    pub rejected_count: u64,
    /// Repaired features (first entries).
    pub repaired: Vec<FeatureIssue>,
    /// Rejected features (first entries).
    pub rejected: Vec<FeatureIssue>,
    /// Geometries converted to the kind's type (closed lines to polygons, …).
    pub converted: BTreeMap<String, u64>,
    /// Legacy land-use codes mapped, `OLD->NEW` → count.
    pub codes_mapped: BTreeMap<String, u64>,
    /// Unknown land-use codes → count.
    pub codes_unknown: BTreeMap<String, u64>,
    /// Values set to null because they were out of range or not numbers, field → count.
    pub values_dropped: BTreeMap<String, u64>,
    /// Schema field → source field.
    pub field_map: BTreeMap<String, String>,
    /// Source fields not imported.
    pub fields_ignored: Vec<String>,
    /// Source fields dropped as personal data.
    pub personal_fields_dropped: Vec<String>,
    /// Warnings.
    pub warnings: Vec<String>,
    /// Temporary files of interrupted imports removed from the store, and their bytes.
    pub temporary_files_removed: u64,
    /// Their size in bytes.
    pub temporary_bytes_removed: u64,
    /// WGS 84 bounds of what was written.
    pub bounds: [f64; 4],
    /// Seconds taken.
    pub seconds: f64,
}

impl ImportReport {
    pub(super) fn repair(&mut self, fid: i64, reason: String) {
        self.repaired_count += 1;
        if self.repaired.len() < REPORT_LIST_CAP {
            self.repaired.push(FeatureIssue { fid, reason });
        }
    }

    pub(super) fn reject(&mut self, fid: i64, reason: String) {
        self.rejected_count += 1;
        if self.rejected.len() < REPORT_LIST_CAP {
            self.rejected.push(FeatureIssue { fid, reason });
        }
    }

    /// A human summary, several lines.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} ← {} [{}] ({}; {}; encoding {}{})\n  read {}, written {}, repaired {}, rejected {}\n",
            self.layer,
            self.source,
            self.source_layer,
            self.driver,
            self.srs,
            self.encoding,
            if self.encoding_detected { ", detected" } else { "" },
            self.read,
            self.written,
            self.repaired_count,
            self.rejected_count,
        );
        let list = |m: &BTreeMap<String, u64>| {
            m.iter()
                .map(|(k, v)| format!("{k} ×{v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.converted.is_empty() {
            s += &format!("  converted: {}\n", list(&self.converted));
        }
        if !self.codes_mapped.is_empty() {
            s += &format!("  legacy codes mapped: {}\n", list(&self.codes_mapped));
        }
        if !self.codes_unknown.is_empty() {
            s += &format!(
                "  unknown land-use codes kept: {}\n",
                list(&self.codes_unknown)
            );
        }
        if !self.values_dropped.is_empty() {
            s += &format!("  values set to null: {}\n", list(&self.values_dropped));
        }
        if !self.personal_fields_dropped.is_empty() {
            s += &format!(
                "  personal data dropped: {}\n",
                self.personal_fields_dropped.join(", ")
            );
        }
        if !self.fields_ignored.is_empty() {
            s += &format!(
                "  fields not in the schema: {}\n",
                self.fields_ignored.join(", ")
            );
        }
        for (what, list) in [("repaired", &self.repaired), ("rejected", &self.rejected)] {
            for i in list.iter().take(5) {
                s += &format!("  {what} fid {}: {}\n", i.fid, i.reason);
            }
            if list.len() > 5 {
                s += &format!("  … {} more {what} (see --report)\n", list.len() - 5);
            }
        }
        for w in &self.warnings {
            s += &format!("  warning: {w}\n");
        }
        if self.temporary_files_removed > 0 {
            s += &format!(
                "  removed {} temporary file(s) of an interrupted import ({})\n",
                self.temporary_files_removed,
                crate::store::human_bytes(self.temporary_bytes_removed)
            );
        }
        s
    }
}
