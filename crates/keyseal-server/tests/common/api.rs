//! A client held to the OpenAPI document: every answer is checked against the schema of
//! its route and status, problem+json for errors, RFC 6750 headers for 401/403.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;

use super::schema::{check_response, openapi};
use super::{Server, client, data_dir, init};

pub struct Api {
    pub c: reqwest::Client,
    pub s: Server,
    pub doc: Value,
}

impl Api {
    /// Calls `method path`, checks the answer against the document's `route`; returns
    /// (status, JSON body or Null).
    pub async fn call(
        &self,
        method: &str,
        route: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut r = match method {
            "get" => self.c.get(self.s.url(path)),
            _ => self.c.post(self.s.url(path)),
        };
        if let Some(k) = key {
            r = r.bearer_auth(k);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        let ctype = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        if status >= 400 {
            assert_eq!(
                ctype, "application/problem+json",
                "{method} {path} {status}"
            );
        }
        let www = resp
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = resp.bytes().await.unwrap();
        check_response(&self.doc, method, route, status, &bytes);
        if status == 401 {
            assert!(www.as_deref().unwrap().starts_with("Bearer"));
        }
        if status == 403 {
            assert!(www.as_deref().unwrap().contains("insufficient_scope"));
        }
        let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, v)
    }
}

/// A fresh store and server; returns the client, the admin key and the data directory
/// (keep it alive as long as the server).
pub async fn start() -> (Api, String, tempfile::TempDir) {
    let dir = data_dir();
    let admin = init(dir.path(), None);
    let s = Server::start(dir.path(), None, &[]);
    (
        Api {
            c: client(),
            s,
            doc: openapi(),
        },
        admin,
        dir,
    )
}

/// Example path for each documented route.
pub fn example(route: &str) -> String {
    route
        .replace("{token_id}", &"0".repeat(32))
        .replace("{key_id}", "0000000000000000")
        .replace("{app_id}", "app_1")
}
