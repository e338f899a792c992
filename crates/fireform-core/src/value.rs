//! Attribute values: the typed, normalised content of a resource's spec.
//!
//! Manifests produce these after validation; plans diff them; the client turns them into wire
//! JSON. A value may be a [`Reference`] to another resource whose content is known only after
//! that resource is applied. Durations are kept as [`std::time::Duration`] so that `10m` and
//! `600s` compare equal.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::ResourceAddr;

/// One attribute value of a resource spec.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An explicit null.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer (counts; the wire's 64-bit-as-string rule is the client's business).
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string, including enum values (`NVIDIA_H100_80GB`) and literal Fireworks names.
    String(String),
    /// A duration, written `30s`/`10m`/`1h` in manifests and `"600s"` on the wire.
    Duration(Duration),
    /// A list of values.
    List(Vec<Value>),
    /// A map with string keys, in key order.
    Map(BTreeMap<String, Value>),
    /// A value of another resource, known once that resource is applied.
    Ref(Reference),
}

impl Value {
    /// Every reference inside this value, depth first, in key order.
    pub fn references(&self) -> Vec<&Reference> {
        let mut found = Vec::new();
        self.collect_references(&mut found);
        found
    }

    fn collect_references<'a>(&'a self, found: &mut Vec<&'a Reference>) {
        match self {
            Value::Ref(reference) => found.push(reference),
            Value::List(items) => items.iter().for_each(|item| item.collect_references(found)),
            Value::Map(entries) => {
                entries.values().for_each(|value| value.collect_references(found));
            }
            Value::Null
            | Value::Bool(_)
            | Value::Int(_)
            | Value::Float(_)
            | Value::String(_)
            | Value::Duration(_) => {}
        }
    }
}

/// A reference from one resource to another, or to one of its attributes.
///
/// Manifests write `${dataset/support-chats}` for the referenced resource's full Fireworks name
/// and `${supervised-fine-tuning-job/support-v1.outputModel}` for one of its attributes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reference {
    /// The resource referred to.
    pub target: ResourceAddr,
    /// The attribute of the target, or `None` for its full resource name.
    pub attribute: Option<String>,
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.attribute {
            Some(attribute) => write!(f, "${{{}.{attribute}}}", self.target),
            None => write!(f, "${{{}}}", self.target),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ResourceKind;

    #[test]
    fn finds_nested_references() {
        let dataset = Reference {
            target: ResourceAddr::new(ResourceKind::Dataset, "chats"),
            attribute: None,
        };
        let model = Reference {
            target: ResourceAddr::new(ResourceKind::SupervisedFineTuningJob, "tune"),
            attribute: Some("outputModel".into()),
        };
        let value = Value::Map(BTreeMap::from([
            ("a".to_owned(), Value::Ref(dataset.clone())),
            ("b".to_owned(), Value::List(vec![Value::Int(1), Value::Ref(model.clone())])),
        ]));
        assert_eq!(value.references(), vec![&dataset, &model]);
        assert_eq!(model.to_string(), "${supervised-fine-tuning-job/tune.outputModel}");
        assert_eq!(dataset.to_string(), "${dataset/chats}");
    }
}
