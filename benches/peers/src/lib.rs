//! Empty: this package only holds benchmarks.
