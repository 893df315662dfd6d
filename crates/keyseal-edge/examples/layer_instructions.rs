//! Instruction counts per request of each benchmark case (benches/layer.rs), for a steady
//! comparison on a busy machine where wall-clock times wander. Run under callgrind, which
//! counts only inside `measure`:
//!
//! ```sh
//! cargo build --profile bench -p keyseal-edge --features axum --example layer_instructions
//! for case in no_layer keyseal_cached keyseal_uncached jwt_eddsa; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     --toggle-collect='*layer_instructions::measure*' \
//!     target/release/examples/layer_instructions $case 2000 2>&1 | grep Collected
//! done
//! ```
//!
//! Divide by the count given (2000) for instructions per request. Without valgrind it
//! prints the case names.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../benches/fixture/mod.rs"]
mod fixture;

use std::hint::black_box;

use fixture::{Case, Fixture, request, run};
use tower::ServiceExt;

#[inline(never)]
fn measure(case: &Case, n: usize) {
    for _ in 0..n {
        let response = run(case.router.clone().oneshot(request(case.auth.as_deref())));
        black_box(response.unwrap());
    }
}

fn main() {
    let fixture = Fixture::new();
    let cases = fixture.cases();
    let Some(name) = std::env::args().nth(1) else {
        for case in &cases {
            println!("{}", case.name);
        }
        return;
    };
    let n = std::env::args()
        .nth(2)
        .map_or(2000, |s| s.parse().expect("a request count"));
    let case = cases
        .iter()
        .find(|c| c.name == name)
        .expect("a case name (run without arguments for the list)");
    measure(case, n);
}
