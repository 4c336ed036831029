//! Query-string parameters, parsed strictly: unknown names, repeated names, non-numbers,
//! NaN and infinities are all answered with a 400 that says what is accepted.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;

use crate::error::{AppError, Result};

/// Longest accepted value of any single parameter, in bytes: nothing we take (numbers,
/// codes, a search text) is longer, and it bounds the work spent on a hostile query.
pub const MAX_PARAM_BYTES: usize = 1_000;

/// The query string of a request as (name, value) pairs, in order.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let Query(pairs) = Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::bad(format!("malformed query string: {e}")))?;
        if let Some((k, _)) = pairs.iter().find(|(_, v)| v.len() > MAX_PARAM_BYTES) {
            return Err(AppError::bad(format!(
                "parameter '{k}' is longer than {MAX_PARAM_BYTES} bytes"
            )));
        }
        Ok(Params(pairs))
    }
}

impl Params {
    /// Builds from pairs (tests).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Params(pairs)
    }

    /// Rejects any parameter not in `accepted`, naming the accepted ones.
    pub fn allow(&self, accepted: &[&str]) -> Result<()> {
        for (k, _) in &self.0 {
            if !accepted.contains(&k.as_str()) {
                return Err(AppError::bad(if accepted.is_empty() {
                    format!("unknown parameter '{k}': this endpoint takes no parameters")
                } else {
                    format!("unknown parameter '{k}'; accepted: {}", accepted.join(", "))
                }));
            }
        }
        Ok(())
    }

    /// Whether the parameter is present (even empty).
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// The value of a parameter given at most once.
    pub fn str(&self, name: &str) -> Result<Option<&str>> {
        let mut found = self.0.iter().filter(|(k, _)| k == name);
        let first = found.next();
        if found.next().is_some() {
            return Err(AppError::bad(format!(
                "parameter '{name}' is given more than once; give it once"
            )));
        }
        Ok(first.map(|(_, v)| v.as_str()))
    }

    /// A required text parameter.
    pub fn required_str(&self, name: &str, what: &str) -> Result<&str> {
        match self.str(name)? {
            Some(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(AppError::bad(format!(
                "parameter '{name}' is required: {what}"
            ))),
        }
    }

    /// A finite number.
    pub fn f64(&self, name: &str) -> Result<Option<f64>> {
        self.str(name)?.map(|v| parse_f64(name, v)).transpose()
    }

    /// A whole number within `min..=max`.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>> {
        self.str(name)?
            .map(|v| parse_int(name, v, min, max))
            .transpose()
    }
}

/// Parses a finite decimal number, naming the parameter when it is not one.
pub fn parse_f64(name: &str, v: &str) -> Result<f64> {
    let x: f64 = v.trim().parse().map_err(|_| {
        AppError::bad(format!(
            "parameter '{name}' must be a decimal number (e.g. 105.12345), got '{}'",
            clip(v)
        ))
    })?;
    if !x.is_finite() {
        return Err(AppError::bad(format!(
            "parameter '{name}' must be a finite number, got '{}'",
            clip(v)
        )));
    }
    Ok(x)
}

/// Parses a whole number within `min..=max`.
pub fn parse_int(name: &str, v: &str, min: i64, max: i64) -> Result<i64> {
    let n: i64 = v.trim().parse().map_err(|_| {
        AppError::bad(format!(
            "parameter '{name}' must be a whole number from {min} to {max}, got '{}'",
            clip(v)
        ))
    })?;
    if n < min || n > max {
        return Err(AppError::bad(format!(
            "parameter '{name}' must be from {min} to {max}, got {n}"
        )));
    }
    Ok(n)
}

/// Checks a WGS 84 position.
pub fn check_lon_lat(lon: f64, lat: f64) -> Result<()> {
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(AppError::bad(format!(
            "lon must be within -180..180 and lat within -90..90 (WGS 84 degrees), got lon={lon}, lat={lat}; \
             for VN-2000 metres use x (easting), y (northing) and srs"
        )));
    }
    Ok(())
}

/// At most 60 characters of a value, for error messages.
pub fn clip(v: &str) -> String {
    let mut s: String = v.chars().take(60).collect();
    if v.chars().count() > 60 {
        s.push('…');
    }
    s
}

/// Characters a URL part we build keeps as they are: RFC 3986's unreserved ones, and `:` (in
/// times and URIs, legal in both paths and queries).
const URL_KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':');

/// Percent-encodes a path segment or query value (UTF-8).
pub fn encode_url_part(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, URL_KEEP).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
    }

    #[test]
    fn numbers_are_strict() {
        assert_eq!(p(&[("lon", "105.5")]).f64("lon").unwrap(), Some(105.5));
        assert!(p(&[("lon", "NaN")]).f64("lon").is_err());
        assert!(p(&[("lon", "inf")]).f64("lon").is_err());
        assert!(p(&[("lon", "abc")]).f64("lon").is_err());
        assert!(p(&[("lon", "1"), ("lon", "2")]).f64("lon").is_err());
        assert_eq!(p(&[]).f64("lon").unwrap(), None);
        assert!(p(&[("limit", "0")]).int("limit", 1, 10).is_err());
        assert!(p(&[("limit", "11")]).int("limit", 1, 10).is_err());
    }

    #[test]
    fn unknown_parameters_are_named() {
        let e = p(&[("ooga", "booga")]).allow(&["lon", "lat"]).unwrap_err();
        assert!(e.to_string().contains("ooga") && e.to_string().contains("lon, lat"));
    }
}
