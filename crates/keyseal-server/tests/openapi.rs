//! The router's routes and the OpenAPI document's operations are the same set.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[allow(unreachable_pub, clippy::collapsible_if)]
mod common;

use std::collections::BTreeSet;

use common::schema::openapi;

/// (method, route) pairs the router serves, read from the router's source.
fn router_routes() -> BTreeSet<(String, String)> {
    let src = include_str!("../src/routes/mod.rs");
    let mut out = BTreeSet::new();
    for chunk in src.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).unwrap().to_owned();
        // The call's text up to the matching parenthesis.
        let mut depth = 1;
        let mut end = 0;
        for (i, ch) in chunk.char_indices() {
            match ch {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = i;
                break;
            }
        }
        let call = &chunk[..end];
        for method in ["get", "post", "put", "patch", "delete"] {
            let starts =
                call.starts_with(&format!("{method}(")) || call.contains(&format!(" {method}("));
            if starts
                || call.contains(&format!(".{method}("))
                || call.contains(&format!("\n{method}("))
                || call.contains(&format!(", {method}("))
                || call.contains(&format!(",{method}("))
            {
                out.insert((method.to_owned(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_every_documented_route_is_served() {
    let doc = openapi();
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), p.clone()))
        })
        .collect();
    let served = router_routes();
    assert_eq!(served.len(), 23, "router parse found {served:?}");
    assert_eq!(served, documented);
}
