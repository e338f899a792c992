//! The `mangle` trouble ([`Mangle`]): garbles successful GET answers of the API the way a
//! misbehaving proxy would (an empty body, resource objects stripped down to their names and
//! states, enum values from the future), so end-to-end tests can prove that a client never reads
//! nonsense as "nothing is there".
//!
//! It rewrites only the bytes of an answer a handler already produced: it never reads or changes
//! the world, and the server applies it to `/v1` routes only, never to `/_emulator/*`.

use axum::body::Body;
use axum::http::header::CONTENT_LENGTH;
use axum::response::Response;
use fireform_api::Collection;
use serde_json::{Map, Value};

use crate::config::Mangle;

/// The fields [`Mangle::StripFields`] leaves on a resource object.
const KEPT_FIELDS: [&str; 5] = ["name", "state", "status", "createTime", "updateTime"];

/// The enum-typed spec fields of a collection's resources (dotted paths, camelCase) and the value
/// [`Mangle::UnknownEnums`] puts in each. `state` is deliberately absent.
fn enum_fields(collection: Collection) -> &'static [(&'static str, &'static str)] {
    match collection {
        Collection::Deployments => &[
            ("acceleratorType", "ACCELERATOR_TYPE_FROM_THE_FUTURE"),
            ("precision", "PRECISION_FROM_THE_FUTURE"),
            ("hotLoadBucketType", "HOT_LOAD_BUCKET_TYPE_FROM_THE_FUTURE"),
            ("directRouteType", "DIRECT_ROUTE_TYPE_FROM_THE_FUTURE"),
            ("placement.multiRegion", "MULTI_REGION_FROM_THE_FUTURE"),
        ],
        Collection::Datasets => &[("format", "FORMAT_FROM_THE_FUTURE")],
        Collection::Models => &[
            ("kind", "KIND_FROM_THE_FUTURE"),
            ("baseModelDetails.checkpointFormat", "CHECKPOINT_FORMAT_FROM_THE_FUTURE"),
            ("baseModelDetails.defaultPrecision", "PRECISION_FROM_THE_FUTURE"),
        ],
        Collection::SupervisedFineTuningJobs => &[("purpose", "PURPOSE_FROM_THE_FUTURE")],
        Collection::ReinforcementFineTuningJobs => &[
            ("lossConfig.method", "LOSS_METHOD_FROM_THE_FUTURE"),
            ("purpose", "PURPOSE_FROM_THE_FUTURE"),
        ],
        Collection::BatchInferenceJobs => &[("precision", "PRECISION_FROM_THE_FUTURE")],
        Collection::DeployedModels | Collection::Evaluators => &[],
    }
}

/// Garbles `response`, a successful answer to a GET of `path`, per `mangle`.
pub(crate) async fn mangle_response(mangle: Mangle, path: &str, response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(CONTENT_LENGTH);
    if mangle == Mangle::EmptyBody {
        return Response::from_parts(parts, Body::empty());
    }
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        // The body failed on its own (a dropped connection): pass the failure on.
        Err(error) => return Response::from_parts(parts, Body::new(failed_body(error))),
    };
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    mangle_json(mangle, collection_of(path), &mut value);
    let body = serde_json::to_vec(&value).expect("a JSON value always serialises");
    Response::from_parts(parts, Body::from(body))
}

/// A body that fails at once with `error`.
fn failed_body(error: axum::Error) -> Body {
    let message = error.to_string();
    Body::from_stream(futures_util::stream::once(async move {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other(message))
    }))
}

/// The collection of `/v1/accounts/{account}/{collection}[/{id}]`, if the path names one.
fn collection_of(path: &str) -> Option<Collection> {
    let mut segments = path.trim_start_matches('/').split('/');
    match (segments.next(), segments.next(), segments.next(), segments.next()) {
        (Some("v1"), Some("accounts"), Some(_), Some(collection)) => collection.parse().ok(),
        _ => None,
    }
}

/// Garbles a decoded answer in place: a single resource (an object with a `name`) or every
/// object in the arrays of a list page.
pub(crate) fn mangle_json(mangle: Mangle, collection: Option<Collection>, value: &mut Value) {
    let Value::Object(object) = value else {
        return;
    };
    if object.contains_key("name") {
        mangle_resource(mangle, collection, object);
        return;
    }
    for field in object.values_mut() {
        if let Value::Array(items) = field {
            for item in items {
                if let Value::Object(resource) = item {
                    mangle_resource(mangle, collection, resource);
                }
            }
        }
    }
}

fn mangle_resource(
    mangle: Mangle,
    collection: Option<Collection>,
    resource: &mut Map<String, Value>,
) {
    match mangle {
        Mangle::EmptyBody => {}
        Mangle::StripFields => resource.retain(|key, _| KEPT_FIELDS.contains(&key.as_str())),
        Mangle::UnknownEnums => {
            let fields = collection.map(enum_fields).unwrap_or_default();
            for (path, future) in fields {
                if let Some(slot) = field_mut(resource, path) {
                    *slot = Value::String((*future).to_owned());
                }
            }
        }
    }
}

/// The value at a dotted path, if present.
fn field_mut<'a>(object: &'a mut Map<String, Value>, path: &str) -> Option<&'a mut Value> {
    let (head, rest) = match path.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (path, None),
    };
    let value = object.get_mut(head)?;
    match (rest, value) {
        (None, value) => Some(value),
        (Some(rest), Value::Object(nested)) => field_mut(nested, rest),
        (Some(_), _) => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn mangled(mangle: Mangle, path: &str, mut value: Value) -> Value {
        mangle_json(mangle, collection_of(path), &mut value);
        value
    }

    #[test]
    fn strip_fields_keeps_names_and_states_of_every_listed_object() {
        let page = json!({
            "deployments": [{
                "name": "accounts/a/deployments/d",
                "baseModel": "accounts/fireworks/models/m",
                "acceleratorType": "NVIDIA_H100_80GB",
                "state": "READY",
                "createTime": "2026-01-01T00:00:00Z",
            }],
            "nextPageToken": "t",
        });
        assert_eq!(
            mangled(Mangle::StripFields, "/v1/accounts/a/deployments", page),
            json!({
                "deployments": [{
                    "name": "accounts/a/deployments/d",
                    "state": "READY",
                    "createTime": "2026-01-01T00:00:00Z",
                }],
                "nextPageToken": "t",
            })
        );
        let single = json!({"name": "accounts/a/datasets/x", "format": "CHAT", "state": "READY"});
        assert_eq!(
            mangled(Mangle::StripFields, "/v1/accounts/a/datasets/x", single),
            json!({"name": "accounts/a/datasets/x", "state": "READY"})
        );
    }

    #[test]
    fn unknown_enums_replace_present_enum_fields_but_not_states() {
        let deployment = json!({
            "name": "accounts/a/deployments/d",
            "acceleratorType": "NVIDIA_H100_80GB",
            "placement": {"multiRegion": "US"},
            "state": "READY",
        });
        assert_eq!(
            mangled(Mangle::UnknownEnums, "/v1/accounts/a/deployments/d", deployment),
            json!({
                "name": "accounts/a/deployments/d",
                "acceleratorType": "ACCELERATOR_TYPE_FROM_THE_FUTURE",
                "placement": {"multiRegion": "MULTI_REGION_FROM_THE_FUTURE"},
                "state": "READY",
            }),
            "absent enum fields (precision) stay absent"
        );
        let jobs = json!({"reinforcementFineTuningJobs": [
            {"name": "accounts/a/reinforcementFineTuningJobs/j", "lossConfig": {"method": "GRPO"},
             "state": "JOB_STATE_COMPLETED"},
        ]});
        assert_eq!(
            mangled(Mangle::UnknownEnums, "/v1/accounts/a/reinforcementFineTuningJobs", jobs),
            json!({"reinforcementFineTuningJobs": [
                {"name": "accounts/a/reinforcementFineTuningJobs/j",
                 "lossConfig": {"method": "LOSS_METHOD_FROM_THE_FUTURE"},
                 "state": "JOB_STATE_COMPLETED"},
            ]})
        );
    }

    #[test]
    fn collections_come_from_api_paths_only() {
        assert_eq!(collection_of("/v1/accounts/a/datasets"), Some(Collection::Datasets));
        assert_eq!(
            collection_of("/v1/accounts/a/datasets/x:getDownloadEndpoint"),
            Some(Collection::Datasets)
        );
        assert_eq!(collection_of("/v1/accounts/a"), None);
        assert_eq!(collection_of("/_emulator/trouble"), None);
    }
}
