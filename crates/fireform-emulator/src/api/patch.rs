//! PATCH semantics on JSON bodies: with `updateMask` only the listed paths change (snake_case or
//! camelCase, dotted for nested fields); without one the emulator infers the mask from the body's
//! keys, or replaces every mutable field ([`crate::PatchMode`]). Immutable fields may be sent
//! unchanged (the SDK always sends `baseModel`) but changing one is 400 INVALID_ARGUMENT.
//!
//! Which fields are immutable or output-only is the caller's list; this module knows no resource.

use crate::config::PatchMode;
use crate::error::ApiError;

/// `snake_case` -> `camelCase` (already-camel input passes through).
pub(crate) fn camel_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut upper = false;
    for c in text.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `camelCase` -> `snake_case`.
pub(crate) fn snake_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// What a resource kind allows a PATCH to do.
pub(crate) struct Rules<'a> {
    /// Fields that cannot change after create (camelCase).
    pub(crate) immutable: &'a [&'a str],
    /// Fields the server owns; ignored in PATCH bodies (camelCase).
    pub(crate) output_only: &'a [&'a str],
}

/// Applies `body` (already normalised to camelCase by a typed round trip) to `current`.
pub(crate) fn apply(
    current: &serde_json::Value,
    body: &serde_json::Value,
    mask: Option<&str>,
    mode: PatchMode,
    rules: &Rules<'_>,
) -> Result<serde_json::Value, ApiError> {
    let empty = serde_json::Map::new();
    let current_object = current.as_object().unwrap_or(&empty);
    let body_object = body.as_object().unwrap_or(&empty);
    let mut result = current_object.clone();

    let paths: Vec<Vec<String>> = match mask.map(str::trim).filter(|mask| !mask.is_empty()) {
        Some(mask) => mask
            .split(',')
            .map(|path| path.trim().split('.').map(camel_case).collect::<Vec<_>>())
            .filter(|path| path.iter().all(|part| !part.is_empty()))
            .collect(),
        None => match mode {
            PatchMode::InferFromBody => body_object.keys().map(|key| vec![key.clone()]).collect(),
            PatchMode::Replace => {
                // Every mutable field becomes the body's value: clear the ones it omits.
                result.retain(|key, _| {
                    rules.output_only.contains(&key.as_str())
                        || rules.immutable.contains(&key.as_str())
                });
                body_object.keys().map(|key| vec![key.clone()]).collect()
            }
        },
    };

    for path in paths {
        let top = path[0].as_str();
        if rules.output_only.contains(&top) {
            continue;
        }
        let new_value = lookup(body_object, &path);
        if rules.immutable.contains(&top) {
            let old_value = lookup(current_object, &path);
            if new_value.is_some() && new_value != old_value {
                return Err(ApiError::invalid(format!(
                    "field `{}` is immutable: create a new resource to change it",
                    path.join(".")
                )));
            }
            continue;
        }
        set(&mut result, &path, new_value.cloned());
    }
    Ok(serde_json::Value::Object(result))
}

fn lookup<'a>(
    object: &'a serde_json::Map<String, serde_json::Value>,
    path: &[String],
) -> Option<&'a serde_json::Value> {
    let (first, rest) = path.split_first()?;
    let value = object.get(first)?;
    if rest.is_empty() { Some(value) } else { lookup(value.as_object()?, rest) }
}

fn set(
    object: &mut serde_json::Map<String, serde_json::Value>,
    path: &[String],
    value: Option<serde_json::Value>,
) {
    let Some((first, rest)) = path.split_first() else { return };
    if rest.is_empty() {
        match value {
            Some(value) => {
                object.insert(first.clone(), value);
            }
            None => {
                object.remove(first);
            }
        }
        return;
    }
    let child = object
        .entry(first.clone())
        .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
    if !child.is_object() {
        *child = serde_json::Value::Object(serde_json::Map::new());
    }
    if let Some(child) = child.as_object_mut() {
        set(child, rest, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RULES: Rules<'static> = Rules { immutable: &["baseModel"], output_only: &["state"] };

    fn patch(
        current: serde_json::Value,
        body: serde_json::Value,
        mask: Option<&str>,
        mode: PatchMode,
    ) -> Result<serde_json::Value, ApiError> {
        apply(&current, &body, mask, mode, &RULES)
    }

    #[test]
    fn mask_touches_only_listed_paths() {
        let current = json!({"baseModel": "m", "minReplicaCount": 1, "description": "d", "autoscalingPolicy": {"scaleUpWindow": "30s", "scaleDownWindow": "60s"}});
        let body = json!({"minReplicaCount": 2, "description": "new", "autoscalingPolicy": {"scaleUpWindow": "1s"}});
        let result = patch(
            current,
            body,
            Some("min_replica_count,autoscalingPolicy.scale_up_window"),
            PatchMode::InferFromBody,
        )
        .unwrap();
        assert_eq!(
            result,
            json!({"baseModel": "m", "minReplicaCount": 2, "description": "d", "autoscalingPolicy": {"scaleUpWindow": "1s", "scaleDownWindow": "60s"}})
        );
    }

    #[test]
    fn masked_field_absent_from_body_is_cleared() {
        let result = patch(
            json!({"description": "d"}),
            json!({}),
            Some("description"),
            PatchMode::InferFromBody,
        )
        .unwrap();
        assert_eq!(result, json!({}));
    }

    #[test]
    fn without_mask_infers_or_replaces() {
        let current =
            json!({"baseModel": "m", "description": "d", "minReplicaCount": 1, "state": "READY"});
        let body = json!({"baseModel": "m", "minReplicaCount": 3, "state": "FAILED"});
        let inferred =
            patch(current.clone(), body.clone(), None, PatchMode::InferFromBody).unwrap();
        assert_eq!(
            inferred,
            json!({"baseModel": "m", "description": "d", "minReplicaCount": 3, "state": "READY"})
        );
        let replaced = patch(current, body, None, PatchMode::Replace).unwrap();
        assert_eq!(replaced, json!({"baseModel": "m", "minReplicaCount": 3, "state": "READY"}));
    }

    #[test]
    fn changing_an_immutable_field_is_refused() {
        let error = patch(
            json!({"baseModel": "m"}),
            json!({"baseModel": "other"}),
            None,
            PatchMode::InferFromBody,
        )
        .unwrap_err();
        assert_eq!(
            error.message,
            "field `baseModel` is immutable: create a new resource to change it"
        );
        assert!(
            patch(
                json!({"baseModel": "m"}),
                json!({"baseModel": "m"}),
                None,
                PatchMode::InferFromBody
            )
            .is_ok()
        );
    }

    #[test]
    fn converts_cases() {
        assert_eq!(camel_case("min_replica_count"), "minReplicaCount");
        assert_eq!(camel_case("minReplicaCount"), "minReplicaCount");
        assert_eq!(snake_case("pageSize"), "page_size");
    }
}
