//! Field-level comparison of a desired object with an observed one.
//!
//! Only fields the manifest sets are compared (the Build SDK's rule), recursively: a field the
//! server adds or defaults is never a difference. Values are normalised before comparing:
//! `"600s"` equals `"600.0s"`, the wire's 64-bit integers-as-strings equal numbers, a missing
//! field equals its zero value (the API omits defaults), and a bare model id equals a full name
//! ending in it. This module decides nothing about actions.

use serde_json::Value as Json;

use crate::provider::Object;

/// One changed field: its dotted path and both values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Difference {
    pub path: String,
    pub before: Option<Json>,
    pub after: Json,
}

/// The differences between the fields of `desired` listed in `fields` and `observed`, at leaf
/// level (`autoscalingPolicy.scaleDownWindow`), skipping paths under `ignored`.
pub(crate) fn differences<'a>(
    desired: &Object,
    observed: &Object,
    fields: impl IntoIterator<Item = &'a String>,
    ignored: &[String],
) -> Vec<Difference> {
    let mut found = Vec::new();
    for field in fields {
        if let Some(value) = desired.get(field) {
            collect(field, value, observed.get(field), ignored, &mut found);
        }
    }
    found
}

fn collect(
    path: &str,
    desired: &Json,
    observed: Option<&Json>,
    ignored: &[String],
    found: &mut Vec<Difference>,
) {
    if is_ignored(path, ignored) || equivalent(desired, observed) {
        return;
    }
    match (desired, observed) {
        (Json::Object(desired), Some(Json::Object(observed))) if !desired.is_empty() => {
            for (key, value) in desired {
                collect(&format!("{path}.{key}"), value, observed.get(key), ignored, found);
            }
        }
        _ => found.push(Difference {
            path: path.to_owned(),
            before: observed.cloned(),
            after: desired.clone(),
        }),
    }
}

fn is_ignored(path: &str, ignored: &[String]) -> bool {
    ignored.iter().any(|ignored| {
        path == ignored
            || path.strip_prefix(ignored.as_str()).is_some_and(|rest| rest.starts_with('.'))
    })
}

/// Whether an observed value (absent: `None`) matches a desired one, after normalising.
pub(crate) fn equivalent(desired: &Json, observed: Option<&Json>) -> bool {
    let Some(observed) = observed else { return is_zero(desired) };
    match (desired, observed) {
        (Json::Object(desired), Json::Object(observed)) => {
            desired.iter().all(|(key, value)| equivalent(value, observed.get(key)))
        }
        (Json::Array(desired), Json::Array(observed)) => {
            desired.len() == observed.len()
                && desired.iter().zip(observed).all(|(d, o)| equivalent(d, Some(o)))
        }
        (Json::Null, observed) => is_zero(observed),
        (desired, Json::Null) => is_zero(desired),
        _ => match (number(desired), number(observed)) {
            (Some(a), Some(b)) => (a - b).abs() <= f64::EPSILON * a.abs().max(b.abs()).max(1.0),
            _ => match (desired.as_str(), observed.as_str()) {
                (Some(a), Some(b)) => strings_equivalent(a, b),
                _ => desired == observed,
            },
        },
    }
}

fn strings_equivalent(desired: &str, observed: &str) -> bool {
    if desired == observed {
        return true;
    }
    if let (Some(a), Some(b)) = (seconds(desired), seconds(observed)) {
        return (a - b).abs() < 1e-9;
    }
    // A bare id names the same thing as a full name that ends in it.
    !desired.contains('/') && observed.rsplit('/').next() == Some(desired) && observed.contains('/')
}

fn seconds(text: &str) -> Option<f64> {
    text.strip_suffix('s')?.parse::<f64>().ok().filter(|value| value.is_finite())
}

fn number(value: &Json) -> Option<f64> {
    match value {
        Json::Number(number) => number.as_f64(),
        Json::String(text) => {
            // Only integers travel as strings (int64); keep other strings textual.
            text.parse::<i64>().ok().map(|number| number as f64)
        }
        _ => None,
    }
}

fn is_zero(value: &Json) -> bool {
    match value {
        Json::Null => true,
        Json::Bool(flag) => !flag,
        Json::Number(number) => number.as_f64() == Some(0.0),
        Json::String(text) => text.is_empty() || text == "0",
        Json::Array(items) => items.is_empty(),
        Json::Object(entries) => entries.values().all(is_zero),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Json) -> Object {
        match value {
            Json::Object(object) => object,
            _ => unreachable!("tests pass objects"),
        }
    }

    fn diff(desired: Json, observed: Json, ignored: &[&str]) -> Vec<(String, Option<Json>, Json)> {
        let desired = object(desired);
        let fields: Vec<String> = desired.keys().cloned().collect();
        let ignored: Vec<String> = ignored.iter().map(|s| (*s).to_owned()).collect();
        differences(&desired, &object(observed), &fields, &ignored)
            .into_iter()
            .map(|d| (d.path, d.before, d.after))
            .collect()
    }

    #[test]
    fn normalises_before_comparing() {
        let desired = json!({
            "autoscalingPolicy": {"scaleDownWindow": "600s"},
            "exampleCount": "20",
            "enableAddons": false,
            "baseModel": "llama-v3p1-8b-instruct",
            "maxReplicaCount": 2
        });
        let observed = json!({
            "autoscalingPolicy": {"scaleDownWindow": "600.000s", "scaleUpWindow": "30s"},
            "exampleCount": 20,
            "baseModel": "accounts/fireworks/models/llama-v3p1-8b-instruct",
            "maxReplicaCount": 2,
            "state": "READY"
        });
        assert_eq!(diff(desired, observed, &[]), vec![]);
    }

    #[test]
    fn reports_leaf_changes_and_honours_ignore() {
        let desired = json!({"autoscalingPolicy": {"scaleDownWindow": "300s"}, "maxReplicaCount": 3, "minReplicaCount": 1});
        let observed =
            json!({"autoscalingPolicy": {"scaleDownWindow": "600s"}, "maxReplicaCount": 2});
        assert_eq!(
            diff(desired, observed, &["minReplicaCount"]),
            vec![
                ("autoscalingPolicy.scaleDownWindow".into(), Some(json!("600s")), json!("300s")),
                ("maxReplicaCount".into(), Some(json!(2)), json!(3)),
            ]
        );
    }

    #[test]
    fn missing_observed_field_differs_unless_zero() {
        assert_eq!(diff(json!({"description": "x"}), json!({}), &[]).len(), 1);
        assert_eq!(diff(json!({"minReplicaCount": 0}), json!({}), &[]).len(), 0);
    }
}
