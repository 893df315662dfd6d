//! Benchmarks of keyseal-server (written in a later commit).
fn main() {}
