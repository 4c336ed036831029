//! Tile math, MVT encoding and pyramids.
