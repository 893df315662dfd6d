//! A JSON tree that keeps duplicate object members visible, for the strict readers of
//! JWK and keyring documents. (`serde_json::Value` keeps the last of two duplicate members
//! silently; two readers that pick different duplicates is a classic ambiguity.)

use alloc::collections::BTreeMap;
use alloc::collections::btree_map::Entry;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::{JsonProblem, printable};

/// One JSON value.
#[derive(Debug)]
pub(crate) enum Node {
    Null,
    Bool,
    /// A non-negative integer.
    Unsigned(u64),
    /// A negative integer or a number with a fraction or exponent.
    OtherNumber,
    String(String),
    Array(Vec<Node>),
    Object(Object),
}

impl Node {
    /// Parses JSON text.
    pub(crate) fn parse(text: &str) -> Result<Node, JsonProblem> {
        serde_json::from_str(text).map_err(|e| JsonProblem::Syntax(e.to_string()))
    }

    /// A string value, or the problem "`member` must be a string".
    pub(crate) fn into_string(self, member: &'static str) -> Result<String, JsonProblem> {
        match self {
            Node::String(s) => Ok(s),
            _ => Err(JsonProblem::WrongType {
                member,
                expected: "a string",
            }),
        }
    }
}

/// A JSON object: its members by name, and the first member name that appeared twice, if
/// any.
#[derive(Debug, Default)]
pub(crate) struct Object {
    members: BTreeMap<String, Node>,
    duplicate: Option<String>,
}

impl Object {
    /// Refuses an object in which a member appears twice.
    pub(crate) fn check_no_duplicates(&self) -> Result<(), JsonProblem> {
        match &self.duplicate {
            Some(name) => Err(JsonProblem::DuplicateMember(printable(name))),
            None => Ok(()),
        }
    }

    /// Removes and returns member `name`.
    pub(crate) fn take(&mut self, name: &str) -> Option<Node> {
        self.members.remove(name)
    }

    /// Removes and returns member `name`, which must be present.
    pub(crate) fn take_required(&mut self, name: &'static str) -> Result<Node, JsonProblem> {
        self.take(name).ok_or(JsonProblem::MissingMember(name))
    }

    /// Whether member `name` is present.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.members.contains_key(name)
    }

    /// Names of the members not taken yet, in sorted order.
    pub(crate) fn remaining(&self) -> impl Iterator<Item = &str> {
        self.members.keys().map(String::as_str)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Bool)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Unsigned(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(u64::try_from(v).map_or(Node::OtherNumber, Node::Unsigned))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node, E> {
        Ok(Node::OtherNumber)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::String(v.into()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut object = Object::default();
        while let Some((name, value)) = map.next_entry::<String, Node>()? {
            match object.members.entry(name) {
                Entry::Vacant(e) => {
                    e.insert(value);
                }
                Entry::Occupied(e) => {
                    object.duplicate.get_or_insert_with(|| e.key().clone());
                }
            }
        }
        Ok(Node::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_recorded_not_merged() {
        let Node::Object(mut o) =
            Node::parse(r#"{"a": 1, "b": {"c": [true, null, -1, 1.5]}, "a": 2}"#).unwrap()
        else {
            panic!("not an object")
        };
        assert_eq!(
            o.check_no_duplicates(),
            Err(JsonProblem::DuplicateMember("a".into()))
        );
        assert!(matches!(o.take("a"), Some(Node::Unsigned(1))));
        let Some(Node::Object(b)) = o.take("b") else {
            panic!("b is not an object")
        };
        assert!(b.check_no_duplicates().is_ok());
        assert_eq!(o.remaining().count(), 0);
    }

    #[test]
    fn syntax_errors_say_where() {
        let Err(JsonProblem::Syntax(msg)) = Node::parse("{\"a\": }") else {
            panic!("parsed")
        };
        assert!(msg.contains("line 1"), "{msg}");
        assert!(Node::parse("[".repeat(200).as_str()).is_err());
    }
}
