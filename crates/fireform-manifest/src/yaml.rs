//! YAML text → a tree of nodes that remember where they came from.
//!
//! Documents are deserialized through serde with `serde-saphyr` into [`Node`], a generic
//! span-carrying tree (not into typed structs): a typed serde struct stops at its first error
//! and loses positions, while the checker wants every problem of a document at once, each with
//! a line and column. Typing happens afterwards against the declarative schema
//! ([`crate::schema`]). Duplicate keys are passed through here and reported by the checker,
//! all of them, naming both places. This module does not know what a resource is.
//!
//! Plain files (no anchors, tags or unusual numbers; nearly every manifest) are built by
//! [`crate::yaml_fast`] straight from the events of serde-saphyr's parser, about twice as
//! fast; everything else, every error included, goes through serde-saphyr's deserializer.
//! Both produce the same tree.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DuplicateKeyPolicy, Spanned};

use crate::diagnostic::{Diagnostic, SourceLocation, SourceSpan};

/// A YAML value with its position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) value: NodeValue,
    pub(crate) line: u32,
    pub(crate) column: u32,
    pub(crate) len: u32,
}

/// A YAML value, typed the way YAML 1.2's core schema reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key with its position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key {
    pub(crate) text: String,
    pub(crate) line: u32,
    pub(crate) column: u32,
    pub(crate) len: u32,
}

impl NodeValue {
    /// How the value is described in "expected X, found Y" messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            NodeValue::Null => "nothing (null)".to_owned(),
            NodeValue::Bool(value) => format!("the boolean `{value}`"),
            NodeValue::Int(value) => format!("the integer `{value}`"),
            NodeValue::Float(value) => format!("the number `{value}`"),
            NodeValue::String(text) => format!("the string `{}`", shorten(text)),
            NodeValue::Seq(_) => "a list".to_owned(),
            NodeValue::Map(_) => "a mapping".to_owned(),
        }
    }
}

/// Cuts long user values down for messages.
pub(crate) fn shorten(text: &str) -> String {
    const LIMIT: usize = 60;
    let single_line = text.lines().next().unwrap_or("");
    if single_line.chars().count() > LIMIT || single_line.len() != text.len() {
        let cut: String = single_line.chars().take(LIMIT).collect();
        format!("{cut}…")
    } else {
        text.to_owned()
    }
}

pub(crate) fn clamp(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        let spanned = Spanned::<NodeValue>::deserialize(deserializer)?;
        let location = spanned.referenced;
        Ok(Node {
            value: spanned.value,
            line: clamp(location.line()),
            column: clamp(location.column()),
            len: clamp(location.span().len()),
        })
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        let spanned = Spanned::<String>::deserialize(deserializer)?;
        let location = spanned.referenced;
        Ok(Key {
            text: spanned.value,
            line: clamp(location.line()),
            column: clamp(location.column()),
            len: clamp(location.span().len()),
        })
    }
}

impl<'de> Deserialize<'de> for NodeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<NodeValue, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = NodeValue;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<NodeValue, D::Error> {
        NodeValue::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<NodeValue, E> {
        Ok(NodeValue::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<NodeValue, E> {
        Ok(NodeValue::Int(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<NodeValue, E> {
        Ok(match i64::try_from(value) {
            Ok(value) => NodeValue::Int(value),
            // Precision loss is fine: the checker rejects it as out of range anyway.
            #[expect(clippy::cast_precision_loss, reason = "only used to report the value")]
            Err(_) => NodeValue::Float(value as f64),
        })
    }

    fn visit_i128<E: de::Error>(self, value: i128) -> Result<NodeValue, E> {
        #[expect(clippy::cast_precision_loss, reason = "only used to report the value")]
        Ok(i64::try_from(value).map_or(NodeValue::Float(value as f64), NodeValue::Int))
    }

    fn visit_u128<E: de::Error>(self, value: u128) -> Result<NodeValue, E> {
        #[expect(clippy::cast_precision_loss, reason = "only used to report the value")]
        Ok(i64::try_from(value).map_or(NodeValue::Float(value as f64), NodeValue::Int))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<NodeValue, E> {
        Ok(NodeValue::Float(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<NodeValue, E> {
        Ok(NodeValue::String(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<NodeValue, E> {
        Ok(NodeValue::String(value))
    }

    fn visit_bytes<E: de::Error>(self, value: &[u8]) -> Result<NodeValue, E> {
        Ok(NodeValue::String(String::from_utf8_lossy(value).into_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(NodeValue::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Key>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(NodeValue::Map(entries))
    }
}

/// Parses every document of one file. A syntax error ends the file: YAML cannot be resumed
/// reliably after one, so the file contributes that single diagnostic.
///
/// Plain files take [`crate::yaml_fast`]; anything it does not handle goes through
/// serde-saphyr's deserializer, and both give the same tree.
pub(crate) fn parse_documents(file: &Arc<Path>, text: &str) -> Result<Vec<Node>, Diagnostic> {
    match crate::yaml_fast::parse(text) {
        Some(documents) => Ok(documents),
        None => parse_documents_serde(file, text),
    }
}

/// [`parse_documents`] through serde-saphyr's deserializer alone.
pub(crate) fn parse_documents_serde(file: &Arc<Path>, text: &str) -> Result<Vec<Node>, Diagnostic> {
    let options = serde_saphyr::options! {
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        strict_booleans: true,
        with_snippet: false,
        emit_comments: false,
    };
    serde_saphyr::from_multiple_with_options::<Node>(text, options)
        .map_err(|error| syntax_diagnostic(file, &error))
}

fn syntax_diagnostic(file: &Arc<Path>, error: &serde_saphyr::Error) -> Diagnostic {
    let rendered = error.to_string();
    // The parser appends " at line L, column C"; we show the place ourselves.
    let message = match rendered.rfind(" at line ") {
        Some(index) => rendered[..index].to_owned(),
        None => rendered,
    };
    let message = message.lines().next().unwrap_or("").trim().to_owned();
    let mut diagnostic = Diagnostic::error(format!("invalid YAML: {message}"));
    if let Some(location) = error.location().filter(|location| location.line() > 0) {
        let location = SourceLocation {
            file: file.clone(),
            line: clamp(location.line()),
            column: clamp(location.column()).max(1),
        };
        diagnostic = diagnostic.with_primary(SourceSpan::new(location, 1), "");
    } else {
        diagnostic = diagnostic.with_note(format!("in `{}`", file.display()));
    }
    if message.contains("tab") {
        diagnostic = diagnostic.with_help("YAML indents with spaces; replace the tabs");
    }
    diagnostic
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Node>, Diagnostic> {
        parse_documents(&Arc::from(Path::new("a.yaml")), text)
    }

    #[test]
    fn keeps_positions_and_duplicates() {
        let documents = parse("a: 1\na: \"x\"\nb: [true, 1.5]\n---\n# empty\n---\nc: ~\n").unwrap();
        assert_eq!(documents.len(), 2);
        let NodeValue::Map(entries) = &documents[0].value else { panic!("not a map") };
        assert_eq!(entries.len(), 3, "duplicates are passed through");
        assert_eq!((entries[1].0.line, entries[1].0.column), (2, 1));
        assert!(matches!(entries[1].1.value, NodeValue::String(ref text) if text == "x"));
        assert_eq!((entries[1].1.line, entries[1].1.column, entries[1].1.len), (2, 4, 3));
    }

    #[test]
    fn yaml_11_booleans_stay_strings() {
        let documents = parse("a: yes\n").unwrap();
        let NodeValue::Map(entries) = &documents[0].value else { panic!("not a map") };
        assert!(matches!(entries[0].1.value, NodeValue::String(_)));
    }

    #[test]
    fn syntax_errors_have_a_place() {
        let diagnostic = parse("a: [1, 2\nb: 3\n").unwrap_err();
        let location = diagnostic.location().expect("located");
        assert_eq!(location.line, 2);
        assert!(diagnostic.message.starts_with("invalid YAML: "), "{}", diagnostic.message);
        assert!(!diagnostic.message.contains("at line"), "{}", diagnostic.message);
    }
}
