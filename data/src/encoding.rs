//! Legacy Vietnamese text encodings (TCVN3, VNI) to Unicode.
