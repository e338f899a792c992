//! The Fireworks API under `/v1`: authentication and account checks, dispatch by collection and
//! AIP custom method (`{id}:scale` arrives as one path segment and is split on `:`), and the
//! helpers every collection shares (bodies, lists, PATCH masks, id rules).
//!
//! Trouble injection and the audit log wrap these handlers from outside (see `server`); nothing
//! here sleeps or fails on purpose.

mod datasets;
mod deployed_models;
mod deployments;
mod evaluators;
mod jobs;
mod list;
mod models;
mod patch;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use fireform_api::{
    Account, AccountType, Code, ListAccountsResponse, PUBLIC_ACCOUNT, UnknownFields,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::EmulatorState;

pub(crate) use datasets::{MAX_UPLOAD_BYTES, download, upload_put};

/// The resource a mutating request touched, attached to the response for the audit log.
#[derive(Debug, Clone)]
pub(crate) struct AuditResource(pub(crate) String);

/// A successful answer: a JSON body, already encoded, and the resource it concerns.
pub(crate) struct Reply {
    /// The JSON text of the body. Encoding typed values straight to text (rather than through
    /// `serde_json::Value`) writes the same bytes: the workspace's `serde_json` preserves field
    /// order either way.
    body: Vec<u8>,
    resource: Option<String>,
}

impl Reply {
    pub(crate) fn json<T: Serialize + ?Sized>(
        body: &T,
        resource: Option<String>,
    ) -> Result<Self, ApiError> {
        Ok(Self { body: encode(body)?, resource })
    }

    pub(crate) fn empty(resource: Option<String>) -> Self {
        Self { body: b"{}".to_vec(), resource }
    }

    /// A resource as a GET answers it: the request's `readMask` applied.
    pub(crate) fn read<T: Serialize>(request: &Request, resource: &T) -> Result<Self, ApiError> {
        match read_mask_fields(request) {
            None => Self::json(resource, None),
            Some(keep) => {
                let value = serde_json::to_value(resource).map_err(encode_error)?;
                Self::json(&apply_read_mask(&keep, value), None)
            }
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = (
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            self.body,
        )
            .into_response();
        if let Some(resource) = self.resource {
            response.extensions_mut().insert(AuditResource(resource));
        }
        response
    }
}

/// `value` as JSON text.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value).map_err(encode_error)
}

pub(crate) fn encode_error(error: serde_json::Error) -> ApiError {
    ApiError::new(Code::Internal, format!("failed to encode response: {error}"))
}

/// Everything a handler needs about one request.
pub(crate) struct Request {
    pub(crate) state: EmulatorState,
    pub(crate) method: Method,
    /// The account in the path.
    pub(crate) account: String,
    pub(crate) query: HashMap<String, String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Request {
    /// A query parameter, by its camelCase name or its snake_case alias.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .get(name)
            .or_else(|| self.query.get(&patch::snake_case(name)))
            .map(String::as_str)
    }

    pub(crate) fn flag(&self, name: &str) -> bool {
        self.param(name).is_some_and(|value| value == "true" || value == "1")
    }

    /// The request body as `T`, with unknown fields dropped (the service ignores them). An
    /// empty body is the default `T`.
    pub(crate) fn body<T: DeserializeOwned + Default + UnknownFields>(
        &self,
    ) -> Result<T, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(T::default());
        }
        let mut body: T = serde_json::from_slice(&self.body)
            .map_err(|error| ApiError::invalid(format!("invalid request body: {error}")))?;
        body.clear_unknown();
        Ok(body)
    }

    /// `http://host:port` of this server, as the client reached it.
    pub(crate) fn base_url(&self) -> String {
        let host =
            self.headers.get("host").and_then(|host| host.to_str().ok()).unwrap_or("127.0.0.1");
        format!("http://{host}")
    }

    /// A resource name in the path's account.
    pub(crate) fn name(&self, collection: &str, id: &str) -> String {
        format!("accounts/{}/{collection}/{id}", self.account)
    }

    pub(crate) fn method_not_allowed(&self, what: &str) -> ApiError {
        ApiError::new(
            Code::Unimplemented,
            format!("method `{}` is not supported on {what}", self.method),
        )
    }
}

/// Checks the bearer key and returns the caller's account.
fn authenticate(state: &EmulatorState, headers: &HeaderMap) -> Result<String, ApiError> {
    let header = headers.get("authorization").ok_or_else(|| {
        ApiError::new(Code::Unauthenticated, "missing `Authorization: Bearer <API key>` header")
    })?;
    let key = header
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(str::trim)
        .ok_or_else(|| {
            ApiError::new(
                Code::Unauthenticated,
                "the `Authorization` header must be `Bearer <API key>`",
            )
        })?;
    state
        .account_of_key(key)
        .map(str::to_owned)
        .ok_or_else(|| ApiError::new(Code::Unauthenticated, "invalid API key"))
}

/// A key may touch only its own account; the public catalog (`accounts/fireworks/models`) is
/// readable by every key. Anything else is 403 PERMISSION_DENIED, whether or not the account
/// exists, so keys cannot probe for accounts.
fn authorize(
    caller: &str,
    account: &str,
    collection: &str,
    method: &Method,
) -> Result<(), ApiError> {
    if caller == account
        || (account == PUBLIC_ACCOUNT && collection == "models" && method == Method::GET)
    {
        return Ok(());
    }
    Err(ApiError::new(
        Code::PermissionDenied,
        format!("the API key of account `{caller}` cannot access account `{account}`"),
    ))
}

/// `/v1/accounts/{account}/{collection}`.
pub(crate) async fn collection_route(
    State(state): State<EmulatorState>,
    method: Method,
    Path((account, collection)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = (|| {
        let caller = authenticate(&state, &headers)?;
        let collection_name = collection.split(':').next().unwrap_or_default().to_owned();
        authorize(&caller, &account, &collection_name, &method)?;
        let request = Request { state, method, account, query, headers, body };
        match collection.as_str() {
            "deployments" => deployments::collection(&request),
            "deployedModels" => deployed_models::collection(&request),
            "models" => models::collection(&request),
            "datasets" => datasets::collection(&request),
            "supervisedFineTuningJobs" => jobs::collection::<jobs::Sft>(&request),
            "reinforcementFineTuningJobs" => jobs::collection::<jobs::Rft>(&request),
            "batchInferenceJobs" => jobs::collection::<jobs::Batch>(&request),
            "evaluators" | "evaluatorsV2" => evaluators::collection(&request),
            other => Err(ApiError::new(Code::NotFound, format!("collection `{other}` not found"))),
        }
    })();
    result.into_response()
}

/// `/v1/accounts/{account}/{collection}/{id}` and `.../{id}:{method}`.
pub(crate) async fn item_route(
    State(state): State<EmulatorState>,
    method: Method,
    Path((account, collection, id_and_method)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = (|| {
        let caller = authenticate(&state, &headers)?;
        authorize(&caller, &account, &collection, &method)?;
        let (id, custom) = match id_and_method.split_once(':') {
            Some((id, custom)) => (id.to_owned(), Some(custom.to_owned())),
            None => (id_and_method, None),
        };
        let request = Request { state, method, account, query, headers, body };
        let custom = custom.as_deref();
        match collection.as_str() {
            "deployments" => deployments::item(&request, &id, custom),
            "deployedModels" => deployed_models::item(&request, &id, custom),
            "models" => models::item(&request, &id, custom),
            "datasets" => datasets::item(&request, &id, custom),
            "supervisedFineTuningJobs" => jobs::item::<jobs::Sft>(&request, &id, custom),
            "reinforcementFineTuningJobs" => jobs::item::<jobs::Rft>(&request, &id, custom),
            "batchInferenceJobs" => jobs::item::<jobs::Batch>(&request, &id, custom),
            "evaluators" => evaluators::item(&request, &id, custom),
            other => Err(ApiError::new(Code::NotFound, format!("collection `{other}` not found"))),
        }
    })();
    result.into_response()
}

/// `GET /v1/accounts`: the accounts the key can see (its own).
pub(crate) async fn list_accounts(
    State(state): State<EmulatorState>,
    headers: HeaderMap,
) -> Response {
    let result = authenticate(&state, &headers).and_then(|caller| {
        let page = ListAccountsResponse {
            accounts: vec![account_body(&caller)],
            next_page_token: None,
            total_size: Some(1),
        };
        Reply::json(&page, None)
    });
    result.into_response()
}

/// `GET /v1/accounts/{account}`.
pub(crate) async fn get_account(
    State(state): State<EmulatorState>,
    Path(account): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = authenticate(&state, &headers).and_then(|caller| {
        authorize(&caller, &account, "", &Method::GET)?;
        Reply::json(&account_body(&caller), None)
    });
    result.into_response()
}

fn account_body(account: &str) -> Account {
    Account {
        name: Some(fireform_api::account_name(account)),
        email: Some(format!("{account}@fireform.local")),
        display_name: Some(account.to_owned()),
        account_type: Some(AccountType::Unspecified),
        state: Some("READY".to_owned()),
        suspend_state: Some("UNSUSPENDED".to_owned()),
        ..Account::default()
    }
}

/// Any other path: 404 in the documented body.
pub(crate) async fn not_found(uri: Uri) -> Response {
    ApiError::new(Code::NotFound, format!("no route for `{}`", uri.path())).into_response()
}

/// Ids the emulator accepts: `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$` (the conservative rule of
/// §15; the real service's exact rule is unknown).
pub(crate) fn check_id(what: &str, id: &str) -> Result<(), ApiError> {
    let valid = !id.is_empty()
        && id.len() <= 63
        && id
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "invalid {what} id `{id}`: use 1 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit"
        )))
    }
}

/// A generated id: `prefix-` and 8 hex digits, at most 63 characters.
pub(crate) fn generate_id(state: &EmulatorState, prefix: &str) -> String {
    let mut prefix: String = prefix
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .take(54)
        .collect();
    while prefix.ends_with('-') {
        prefix.pop();
    }
    let suffix = state.random_hex(8);
    if prefix.is_empty() { format!("x{suffix}") } else { format!("{prefix}-{suffix}") }
}

/// The top-level fields `readMask` keeps (comma-separated paths), or `None` when it keeps
/// everything (absent, empty or `*`).
pub(crate) fn read_mask_fields(request: &Request) -> Option<Vec<String>> {
    let mask =
        request.param("readMask").filter(|mask| !mask.trim().is_empty() && mask.trim() != "*")?;
    Some(
        mask.split(',')
            .map(|path| patch::camel_case(path.trim().split('.').next().unwrap_or_default()))
            .collect(),
    )
}

/// Keeps `name` and the fields of [`read_mask_fields`] in a body.
pub(crate) fn apply_read_mask(keep: &[String], mut value: serde_json::Value) -> serde_json::Value {
    if let serde_json::Value::Object(object) = &mut value {
        object.retain(|key, _| key == "name" || keep.iter().any(|kept| kept == key));
    }
    value
}

/// PATCH of a typed resource: the body is normalised through `T` (camelCase, unknown fields
/// dropped), then applied with the request's `updateMask` and the configured [`crate::PatchMode`].
pub(crate) fn patch_resource<T>(
    request: &Request,
    current: &T,
    rules: &patch::Rules<'_>,
) -> Result<T, ApiError>
where
    T: Serialize + DeserializeOwned + Default + UnknownFields,
{
    let body: T = request.body()?;
    let encode = |value: &T| {
        serde_json::to_value(value).map_err(|error| {
            ApiError::new(Code::Internal, format!("failed to encode resource: {error}"))
        })
    };
    let merged = patch::apply(
        &encode(current)?,
        &encode(&body)?,
        request.param("updateMask"),
        request.state.config().patch_mode,
        rules,
    )?;
    serde_json::from_value(merged)
        .map_err(|error| ApiError::invalid(format!("invalid update: {error}")))
}
