//! The OpenAPI document and a small JSON Schema checker for the subset it uses (`type`
//! with null unions, `properties`, `required`, `additionalProperties: false`, `items`,
//! `enum`, `$ref`): every response a test gets is checked against its documented schema.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;

pub fn openapi() -> Value {
    serde_json::from_str(include_str!("../../openapi.json")).unwrap()
}

/// Checks `value` against `schema`; returns the first mismatch.
pub fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        return check(doc, &doc["components"]["schemas"][name], value, at);
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "boolean" => value.is_boolean(),
            "object" => value.is_object(),
            "array" => value.is_array(),
            "null" => value.is_null(),
            _ => false,
        });
        if !ok {
            return Err(format!("{at}: {value} is not of type {types:?}"));
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(value) {
            return Err(format!("{at}: {value} not in {e:?}"));
        }
    }
    if let (Some(obj), true) = (
        value.as_object(),
        schema.get("properties").is_some() || schema.get("required").is_some(),
    ) {
        let props = schema.get("properties").and_then(Value::as_object);
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap();
            if !obj.contains_key(r) {
                return Err(format!("{at}: missing required `{r}`"));
            }
        }
        for (k, v) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check(doc, s, v, &format!("{at}.{k}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{at}: undocumented property `{k}`"));
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            check(doc, items, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// Checks a response against the document: its status is documented for the route and
/// method, and its JSON body (if the documented one is JSON) matches the schema.
pub fn check_response(doc: &Value, method: &str, route: &str, status: u16, body: &[u8]) {
    let op = &doc["paths"][route][method];
    assert!(op.is_object(), "{method} {route} is not documented");
    let resp = &op["responses"][status.to_string()];
    assert!(
        resp.is_object(),
        "{method} {route} answered {status}, which is not documented"
    );
    let Some(content) = resp.get("content").and_then(Value::as_object) else {
        return;
    };
    let (ctype, media) = content.iter().next().unwrap();
    if ctype.contains("json") {
        let value: Value = serde_json::from_slice(body)
            .unwrap_or_else(|e| panic!("{method} {route} {status}: body is not JSON: {e}"));
        check(doc, &media["schema"], &value, "$")
            .unwrap_or_else(|e| panic!("{method} {route} {status}: {e}"));
    }
}
