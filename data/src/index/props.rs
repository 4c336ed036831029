//! Compact column storage of a layer's public attributes.
//!
//! Text columns are dictionary-encoded: a parcel layer repeats a handful of commune codes and
//! land-use codes a million times, so each value is a code into a table of distinct strings,
//! one byte wide when the column has at most 255 of them, two up to 65,535, else four.

use std::collections::HashMap;

use geozero::error::Result as GzResult;
use geozero::{ColumnValue, PropertyProcessor};
use serde_json::{Map, Value};

use crate::schema::FieldType;

/// Marks a missing text value.
const NULL: u32 = u32::MAX;

/// One column's values.
#[derive(Debug)]
pub(crate) enum ColumnData {
    Str {
        values: Codes,
        dict: Dict,
        lookup: HashMap<Box<str>, u32>,
    },
    Int(Ints),
    /// Reals; NaN marks a missing value (stored values are always finite).
    Double(Vec<f64>),
}

/// The distinct strings of a text column, end to end in one buffer: a million distinct
/// addresses cost their bytes and 4 bytes each, not a heap allocation each.
#[derive(Debug, Default)]
pub(crate) struct Dict {
    text: String,
    /// End of each string in `text`.
    ends: Vec<u32>,
}

impl Dict {
    /// Number of strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// String `i`.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1] as usize,
        };
        self.text.get(start..end)
    }

    /// Every string, in code order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Appends a string; None when the column's text would pass 4 GiB.
    fn push(&mut self, s: &str) -> Option<u32> {
        let end = u32::try_from(self.text.len() + s.len()).ok()?;
        let code = u32::try_from(self.ends.len()).ok().filter(|&c| c != NULL)?;
        self.text.push_str(s);
        self.ends.push(end);
        Some(code)
    }

    fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }

    fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 4
    }
}

/// The dictionary codes of a text column, one per feature, in the narrowest type that holds
/// every code (decided once the layer is read). The largest value of the type marks a
/// missing value.
#[derive(Debug)]
pub(crate) enum Codes {
    /// While loading, and for columns with 65,535 distinct values or more.
    U32(Vec<u32>),
    /// At most 65,534 distinct values.
    U16(Vec<u16>),
    /// At most 254 distinct values.
    U8(Vec<u8>),
}

impl Codes {
    /// The code of feature `id`, None when missing.
    pub fn get(&self, id: usize) -> Option<u32> {
        match self {
            Codes::U32(v) => v.get(id).copied().filter(|&c| c != NULL),
            Codes::U16(v) => v.get(id).copied().filter(|&c| c != u16::MAX).map(u32::from),
            Codes::U8(v) => v.get(id).copied().filter(|&c| c != u8::MAX).map(u32::from),
        }
    }

    /// Codes arrive while loading, in the wide form.
    fn wide(&mut self) -> &mut Vec<u32> {
        if !matches!(self, Codes::U32(_)) {
            let n = match self {
                Codes::U32(v) => v.len(),
                Codes::U16(v) => v.len(),
                Codes::U8(v) => v.len(),
            };
            *self = Codes::U32((0..n).map(|i| self.get(i).unwrap_or(NULL)).collect());
        }
        match self {
            Codes::U32(v) => v,
            _ => unreachable!("widened above"),
        }
    }

    /// Moves the codes into the narrowest type for a dictionary of `distinct` strings.
    fn shrink(&mut self, distinct: usize) {
        let Codes::U32(v) = self else { return };
        if distinct < u8::MAX as usize {
            *self = Codes::U8(v.iter().map(|&c| c.try_into().unwrap_or(u8::MAX)).collect());
        } else if distinct < u16::MAX as usize {
            *self = Codes::U16(
                v.iter()
                    .map(|&c| c.try_into().unwrap_or(u16::MAX))
                    .collect(),
            );
        } else {
            v.shrink_to_fit();
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Codes::U32(v) => v.capacity() * 4,
            Codes::U16(v) => v.capacity() * 2,
            Codes::U8(v) => v.capacity(),
        }
    }
}

/// Whole numbers in the narrowest type that holds every value of the column (decided once
/// the layer is read): a million sheet or parcel numbers take 2 or 4 bytes each instead of
/// the 16 of an `Option<i64>`. The smallest value of the narrow type marks a missing value.
#[derive(Debug)]
pub(crate) enum Ints {
    /// While loading, and for columns whose values need 64 bits.
    Wide(Vec<Option<i64>>),
    /// Every value in `i32::MIN + 1 ..= i32::MAX`.
    I32(Vec<i32>),
    /// Every value in `i16::MIN + 1 ..= i16::MAX`.
    I16(Vec<i16>),
}

impl Ints {
    /// The value of feature `id`, None when missing.
    pub fn get(&self, id: usize) -> Option<i64> {
        match self {
            Ints::Wide(v) => v.get(id).copied().flatten(),
            Ints::I32(v) => v.get(id).copied().filter(|&x| x != i32::MIN).map(i64::from),
            Ints::I16(v) => v.get(id).copied().filter(|&x| x != i16::MIN).map(i64::from),
        }
    }

    fn push_null(&mut self) {
        match self {
            Ints::Wide(v) => v.push(None),
            Ints::I32(v) => v.push(i32::MIN),
            Ints::I16(v) => v.push(i16::MIN),
        }
    }

    fn set_last(&mut self, x: Option<i64>) {
        // Values arrive while loading, in the wide form; a narrow column (never the case in
        // practice) is widened first.
        if !matches!(self, Ints::Wide(_)) {
            let wide = (0..self.len()).map(|i| self.get(i)).collect();
            *self = Ints::Wide(wide);
        }
        if let Ints::Wide(v) = self {
            if let Some(last) = v.last_mut() {
                *last = x;
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            Ints::Wide(v) => v.len(),
            Ints::I32(v) => v.len(),
            Ints::I16(v) => v.len(),
        }
    }

    /// Moves the values into the narrowest type that holds them all.
    fn shrink(&mut self) {
        let Ints::Wide(v) = self else { return };
        let fits = |lo: i64, hi: i64| v.iter().flatten().all(|&x| x > lo && x <= hi);
        if fits(i16::MIN.into(), i16::MAX.into()) {
            let narrow = v.iter().map(|x| x.map_or(i16::MIN, |x| x as i16)).collect();
            *self = Ints::I16(narrow);
        } else if fits(i32::MIN.into(), i32::MAX.into()) {
            let narrow = v.iter().map(|x| x.map_or(i32::MIN, |x| x as i32)).collect();
            *self = Ints::I32(narrow);
        } else {
            v.shrink_to_fit();
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Ints::Wide(v) => v.capacity() * std::mem::size_of::<Option<i64>>(),
            Ints::I32(v) => v.capacity() * 4,
            Ints::I16(v) => v.capacity() * 2,
        }
    }
}

/// A public column.
#[derive(Debug)]
pub(crate) struct Column {
    pub name: String,
    pub data: ColumnData,
}

impl Column {
    pub fn new(name: &str, ty: FieldType) -> Self {
        let data = match ty {
            FieldType::String => ColumnData::Str {
                values: Codes::U32(Vec::new()),
                dict: Dict::default(),
                lookup: HashMap::new(),
            },
            FieldType::Int => ColumnData::Int(Ints::Wide(Vec::new())),
            FieldType::Double => ColumnData::Double(Vec::new()),
        };
        Column {
            name: name.to_string(),
            data,
        }
    }

    fn push_null(&mut self) {
        match &mut self.data {
            ColumnData::Str { values, .. } => values.wide().push(NULL),
            ColumnData::Int(v) => v.push_null(),
            ColumnData::Double(v) => v.push(f64::NAN),
        }
    }

    fn set_last(&mut self, value: &ColumnValue) -> Result<(), String> {
        match &mut self.data {
            ColumnData::Str {
                values,
                dict,
                lookup,
            } => {
                let text = match value {
                    ColumnValue::String(s) | ColumnValue::Json(s) | ColumnValue::DateTime(s) => {
                        (*s).to_string()
                    }
                    other => other.to_string(),
                };
                let code = match lookup.get(text.as_str()) {
                    Some(c) => *c,
                    None => {
                        let c = dict.push(&text).ok_or_else(|| {
                            format!(
                                "text column '{}' holds over 4 GiB of distinct values",
                                self.name
                            )
                        })?;
                        lookup.insert(text.into_boxed_str(), c);
                        c
                    }
                };
                if let Some(last) = values.wide().last_mut() {
                    *last = code;
                }
            }
            ColumnData::Int(v) => v.set_last(as_i64(value)),
            ColumnData::Double(v) => {
                if let Some(last) = v.last_mut() {
                    *last = as_f64(value).unwrap_or(f64::NAN);
                }
            }
        }
        Ok(())
    }

    /// Drops the load-time lookup table and spare capacity.
    pub fn shrink(&mut self) {
        match &mut self.data {
            ColumnData::Str {
                values,
                dict,
                lookup,
            } => {
                *lookup = HashMap::new();
                values.shrink(dict.len());
                dict.shrink_to_fit();
            }
            ColumnData::Int(v) => v.shrink(),
            ColumnData::Double(v) => v.shrink_to_fit(),
        }
    }

    pub fn heap_bytes(&self) -> usize {
        match &self.data {
            ColumnData::Str { values, dict, .. } => values.heap_bytes() + dict.heap_bytes(),
            ColumnData::Int(v) => v.heap_bytes(),
            ColumnData::Double(v) => v.capacity() * 8,
        }
    }

    pub fn str(&self, id: usize) -> Option<&str> {
        match &self.data {
            ColumnData::Str { values, dict, .. } => dict.get(values.get(id)? as usize),
            _ => None,
        }
    }

    /// The dictionary code of a text value (None when missing or not a text column).
    pub fn code(&self, id: usize) -> Option<u32> {
        match &self.data {
            ColumnData::Str { values, .. } => values.get(id),
            _ => None,
        }
    }

    /// The distinct strings of a text column, in code order (none for other columns).
    pub fn dict_strings(&self) -> impl Iterator<Item = &str> + '_ {
        let dict = match &self.data {
            ColumnData::Str { dict, .. } => Some(dict),
            _ => None,
        };
        dict.into_iter().flat_map(Dict::iter)
    }

    pub fn int(&self, id: usize) -> Option<i64> {
        match &self.data {
            ColumnData::Int(v) => v.get(id),
            ColumnData::Double(_) => self.double(id).map(|d| d as i64),
            ColumnData::Str { .. } => self.str(id).and_then(|s| s.trim().parse().ok()),
        }
    }

    pub fn double(&self, id: usize) -> Option<f64> {
        match &self.data {
            ColumnData::Double(v) => v.get(id).copied().filter(|d| !d.is_nan()),
            ColumnData::Int(v) => v.get(id).map(|i| i as f64),
            ColumnData::Str { .. } => self.str(id).and_then(|s| s.trim().parse().ok()),
        }
    }

    pub fn json(&self, id: usize) -> Value {
        match &self.data {
            ColumnData::Str { .. } => self.str(id).map_or(Value::Null, Value::from),
            ColumnData::Int(v) => v.get(id).map_or(Value::Null, Value::from),
            ColumnData::Double(_) => self
                .double(id)
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::Null, Value::Number),
        }
    }
}

fn as_i64(v: &ColumnValue) -> Option<i64> {
    match *v {
        ColumnValue::Byte(x) => Some(x.into()),
        ColumnValue::UByte(x) => Some(x.into()),
        ColumnValue::Short(x) => Some(x.into()),
        ColumnValue::UShort(x) => Some(x.into()),
        ColumnValue::Int(x) => Some(x.into()),
        ColumnValue::UInt(x) => Some(x.into()),
        ColumnValue::Long(x) => Some(x),
        ColumnValue::ULong(x) => i64::try_from(x).ok(),
        ColumnValue::Float(x) if x.is_finite() => Some(x as i64),
        ColumnValue::Double(x) if x.is_finite() => Some(x as i64),
        ColumnValue::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_f64(v: &ColumnValue) -> Option<f64> {
    let x = match *v {
        ColumnValue::Float(x) => f64::from(x),
        ColumnValue::Double(x) => x,
        ColumnValue::String(s) => s.trim().parse().ok()?,
        _ => as_i64(v)? as f64,
    };
    x.is_finite().then_some(x)
}

/// All public columns of a layer.
#[derive(Debug, Default)]
pub(crate) struct Columns {
    pub columns: Vec<Column>,
    /// For each column of the file, the slot in `columns` (None: private, skipped).
    pub slot_of_file_column: Vec<Option<usize>>,
}

impl Columns {
    pub fn get(&self, name: &str) -> Option<&Column> {
        self.columns.get(self.position(name)?)
    }

    /// Position of a column in [`Columns::columns`].
    pub fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn begin_feature(&mut self) {
        for c in &mut self.columns {
            c.push_null();
        }
    }

    pub fn properties(&self, id: usize) -> Map<String, Value> {
        self.columns
            .iter()
            .map(|c| (c.name.clone(), c.json(id)))
            .collect()
    }
}

impl PropertyProcessor for Columns {
    fn property(&mut self, idx: usize, _name: &str, value: &ColumnValue) -> GzResult<bool> {
        if let Some(Some(slot)) = self.slot_of_file_column.get(idx) {
            if let Some(c) = self.columns.get_mut(*slot) {
                c.set_last(value)
                    .map_err(geozero::error::GeozeroError::Property)?;
            }
        }
        Ok(false)
    }
}
