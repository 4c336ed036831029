//! End-to-end tests of the `quyhoach` binary and its store live in `tests/`.
