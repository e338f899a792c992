//! `updateMask` building: field names in, the comma-separated snake_case FieldMask the API
//! takes (`minReplicaCount` → `min_replica_count`) out, plus trimming a PATCH body to the
//! fields being changed.
//!
//! It does not decide which fields changed: the caller (the plan) knows that.

use crate::error::Error;

/// The `updateMask` query value for `fields`: camelCase (or snake_case) names, dotted for
/// nested fields, converted to snake_case, de-duplicated, in the given order.
pub fn update_mask(fields: &[&str]) -> Result<String, Error> {
    if fields.is_empty() {
        return Err(Error::InvalidRequest(
            "an update must name at least one field to change".to_owned(),
        ));
    }
    let mut paths: Vec<String> = Vec::with_capacity(fields.len());
    for field in fields {
        let segments: Vec<&str> = field.split('.').collect();
        if segments.iter().any(|segment| {
            segment.is_empty() || !segment.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }) {
            return Err(Error::InvalidRequest(format!("`{field}` is not a field path")));
        }
        let path =
            segments.iter().map(|segment| camel_to_snake(segment)).collect::<Vec<_>>().join(".");
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    Ok(paths.join(","))
}

/// `maxReplicaCount` → `max_replica_count`; snake_case passes through.
pub(crate) fn camel_to_snake(name: &str) -> String {
    let mut snake = String::with_capacity(name.len() + 4);
    for (index, character) in name.chars().enumerate() {
        if character.is_ascii_uppercase() {
            if index > 0 && !snake.ends_with('_') {
                snake.push('_');
            }
            snake.push(character.to_ascii_lowercase());
        } else {
            snake.push(character);
        }
    }
    snake
}

/// `max_replica_count` → `maxReplicaCount`; camelCase passes through.
pub(crate) fn snake_to_camel(name: &str) -> String {
    let mut camel = String::with_capacity(name.len());
    let mut upper = false;
    for character in name.chars() {
        if character == '_' {
            upper = !camel.is_empty();
        } else if upper {
            camel.push(character.to_ascii_uppercase());
            upper = false;
        } else {
            camel.push(character);
        }
    }
    camel
}

/// Keeps only the top-level keys of `body` that `fields` start with.
pub(crate) fn prune_to_fields(body: serde_json::Value, fields: &[&str]) -> serde_json::Value {
    let serde_json::Value::Object(object) = body else {
        return body;
    };
    let keep: Vec<String> = fields
        .iter()
        .map(|field| snake_to_camel(field.split('.').next().unwrap_or(field)))
        .collect();
    serde_json::Value::Object(object.into_iter().filter(|(key, _)| keep.contains(key)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_are_snake_case_paths_in_order() {
        assert_eq!(
            update_mask(&["maxReplicaCount", "autoscalingPolicy.scaleUpWindow", "display_name"])
                .unwrap(),
            "max_replica_count,autoscaling_policy.scale_up_window,display_name"
        );
        assert_eq!(
            update_mask(&["minReplicaCount", "min_replica_count"]).unwrap(),
            "min_replica_count"
        );
        assert_eq!(
            camel_to_snake("maxWithRevocableReplicaCount"),
            "max_with_revocable_replica_count"
        );
    }

    #[test]
    fn empty_or_malformed_masks_are_refused() {
        assert!(update_mask(&[]).is_err());
        assert!(update_mask(&["a..b"]).is_err());
        assert!(update_mask(&["a,b"]).is_err());
    }

    #[test]
    fn bodies_keep_only_the_named_fields() {
        let body = serde_json::json!({
            "displayName": "x", "minReplicaCount": 1, "state": "READY",
            "autoscalingPolicy": {"scaleUpWindow": "30s"}
        });
        assert_eq!(
            prune_to_fields(body, &["min_replica_count", "autoscalingPolicy.scaleUpWindow"]),
            serde_json::json!({"minReplicaCount": 1, "autoscalingPolicy": {"scaleUpWindow": "30s"}})
        );
    }
}
