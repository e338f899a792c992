//! The "matches" rule behind create adoption: is the resource the server holds the one an
//! earlier, unanswered attempt of this create asked for?
//!
//! **Matches** means: every field the create request set (recursively, for nested objects) that
//! the server echoes back has an equal value. Fields the server omits are not held against it
//! (servers omit defaults), and `deploymentShape` is skipped because the server rewrites it to a
//! shape-version name. Numbers equal their string form (int64 travels as a string), and
//! durations compare by value (`"600s"` = `"600.0s"`), and a reference sent as a bare id
//! (`my-dataset`) matches the full name the server echoes (`accounts/a/datasets/my-dataset`). Output-only fields are never in a create
//! request, so they never take part. This module does not read or write anything.

use serde_json::Value;

/// Fields the server is documented to rewrite on create.
const REWRITTEN_BY_SERVER: &[&str] = &["deploymentShape"];

/// Whether `got` (the server's resource) echoes every field of `sent` (what create asked for).
pub(crate) fn echoes(sent: &Value, got: &Value) -> bool {
    match (sent, got) {
        (Value::Object(sent), Value::Object(got)) => sent.iter().all(|(key, sent_value)| {
            REWRITTEN_BY_SERVER.contains(&key.as_str())
                || got.get(key).is_none_or(|got_value| echoes(sent_value, got_value))
        }),
        (Value::Array(sent), Value::Array(got)) => {
            sent.len() == got.len() && sent.iter().zip(got).all(|(sent, got)| echoes(sent, got))
        }
        (Value::Number(_) | Value::String(_), Value::Number(_) | Value::String(_)) => {
            scalar_equal(sent, got)
        }
        _ => sent == got,
    }
}

fn scalar_equal(sent: &Value, got: &Value) -> bool {
    if sent == got {
        return true;
    }
    // A reference sent as a bare id comes back as a full resource name.
    if let (Value::String(sent), Value::String(got)) = (sent, got)
        && got.starts_with("accounts/")
        && !sent.contains('/')
        && got.rsplit('/').next() == Some(sent.as_str())
    {
        return true;
    }
    match (numeric(sent), numeric(got)) {
        (Some(sent), Some(got)) => (sent - got).abs() <= f64::EPSILON * sent.abs().max(1.0),
        _ => false,
    }
}

/// A number, a numeric string (`"1000"`), or a duration string (`"30s"`) as seconds.
fn numeric(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => {
            let text = text.strip_suffix('s').unwrap_or(text);
            text.parse::<f64>().ok().filter(|number| number.is_finite())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_resource_an_earlier_attempt_created_matches() {
        let sent = json!({"baseModel": "m", "minReplicaCount": 1, "deploymentShape": "default",
            "autoscalingPolicy": {"scaleUpWindow": "30s"}, "annotations": {"team": "a"}});
        let got = json!({"name": "accounts/a/deployments/x", "state": "CREATING", "baseModel": "m",
            "minReplicaCount": 1, "deploymentShape": "accounts/a/deploymentShapes/s/versions/v",
            "autoscalingPolicy": {"scaleUpWindow": "30.000s", "scaleDownWindow": "600s"},
            "annotations": {"team": "a"}});
        assert!(echoes(&sent, &got));
    }

    #[test]
    fn a_different_resource_does_not_match() {
        let sent = json!({"baseModel": "m", "minReplicaCount": 1});
        assert!(!echoes(&sent, &json!({"baseModel": "other", "minReplicaCount": 1})));
        assert!(!echoes(&sent, &json!({"baseModel": "m", "minReplicaCount": 2})));
        assert!(!echoes(&json!({"tags": ["a", "b"]}), &json!({"tags": ["a"]})));
    }

    #[test]
    fn omitted_defaults_and_int64_strings_match() {
        assert!(echoes(
            &json!({"exampleCount": "10", "enableAddons": false}),
            &json!({"exampleCount": 10})
        ));
        assert!(!echoes(&json!({"exampleCount": "10"}), &json!({"exampleCount": "11"})));
        assert!(echoes(&json!({"dataset": "d"}), &json!({"dataset": "accounts/a/datasets/d"})));
        assert!(!echoes(&json!({"dataset": "d"}), &json!({"dataset": "accounts/a/datasets/e"})));
    }
}
