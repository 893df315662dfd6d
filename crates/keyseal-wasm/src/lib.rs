//! keyseal's offline verifier for JavaScript runtimes, compiled to WebAssembly with
//! wasm-bindgen.
//!
//! This crate is the Rust half of the npm package `keyseal` (in `js/`): it exposes the
//! core's [`keyseal::Verifier`] to JavaScript with exactly the core's rules, and turns every
//! refusal, and every argument of the wrong kind, into a thrown `KeysealError` carrying the
//! core's stable [`keyseal::Error::code`]. The JavaScript side (`js/api.js`) defines that
//! error class, registers it with [`use_error_class`], and adds the Fetch-API helper.
//!
//! Module map: [`verifier`] is the `Verifier` class; [`claims`] turns claims into plain
//! JavaScript objects and answers scope questions; [`input`] reads and checks arguments;
//! [`error`] builds the thrown errors.

pub mod claims;
pub mod error;
pub mod input;
pub mod verifier;

pub use error::use_error_class;
pub use verifier::Verifier;
