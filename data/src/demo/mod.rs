//! The synthetic demo district.
