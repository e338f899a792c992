//! [`Status`] (the `status` field inside resources) and [`ErrorBody`] (the body of every error
//! response), with a parser that also accepts the alternate `{"error": {...}}` shape.
//!
//! Mapping an error to a retry decision or a user message is the client's job, not this module's.

use serde::{Deserialize, Deserializer, Serialize};

use crate::Code;

/// `google.rpc.Status` as it appears inside resources: the code as its name
/// (`{"code": "FAILED_PRECONDITION", "message": "..."}`).
///
/// Input also accepts the numeric form of the code.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// The code name; absent means `OK`.
    #[serde(
        default,
        deserialize_with = "code_name_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub code: Option<Code>,
    /// A developer-facing message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Fields this version does not know, kept so they round-trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Status {
    /// A status with this code and message.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self { code: Some(code), message: Some(message.into()), extra: serde_json::Map::new() }
    }
}

fn code_name_or_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Code>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NameOrNumber {
        Name(String),
        Number(i64),
    }
    Ok(Option::<NameOrNumber>::deserialize(deserializer)?.map(|code| match code {
        NameOrNumber::Name(name) => Code::from_wire(&name),
        NameOrNumber::Number(number) => Code::from_number(number),
    }))
}

/// The body of an error response: `{"code": 5, "message": "...", "details": []}` with the numeric
/// google.rpc code (§0.6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The numeric google.rpc code.
    pub code: i32,
    /// A developer-facing message.
    #[serde(default)]
    pub message: String,
    /// `google.protobuf.Any` details; the emulator always sends an empty list.
    #[serde(default)]
    pub details: Vec<serde_json::Value>,
}

impl ErrorBody {
    /// An error body for this code and message, with no details.
    pub fn new(code: &Code, message: impl Into<String>) -> Self {
        Self { code: code.number().unwrap_or(2), message: message.into(), details: Vec::new() }
    }

    /// The code as a [`Code`].
    pub fn code(&self) -> Code {
        Code::from_number(self.code.into())
    }

    /// Parses an error response body in either documented shape: `{code, message, details}` or
    /// `{"error": {"code"?, "message", "status"?}}`. Returns `None` when the body is neither (the
    /// caller then falls back to the raw text and the HTTP status).
    pub fn parse(body: &[u8]) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let object = value.as_object()?;
        if let Some(inner) = object.get("error").and_then(serde_json::Value::as_object) {
            let message = inner.get("message").and_then(serde_json::Value::as_str)?.to_owned();
            let code = match (inner.get("code"), inner.get("status")) {
                (_, Some(serde_json::Value::String(name)))
                    if Code::from_wire(name).number().is_some() =>
                {
                    Code::from_wire(name)
                }
                (Some(serde_json::Value::String(name)), _) => Code::from_wire(name),
                (Some(number), _) if number.as_i64().is_some_and(|number| number < 100) => {
                    Code::from_number(number.as_i64().unwrap_or(2))
                }
                _ => Code::UnknownError,
            };
            return Some(Self {
                code: code.number().unwrap_or(2),
                message,
                details: inner
                    .get("details")
                    .and_then(serde_json::Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            });
        }
        let code = object.get("code")?;
        let code = match code {
            serde_json::Value::String(name) => Code::from_wire(name).number()?,
            number => i32::try_from(number.as_i64()?).ok()?,
        };
        Some(Self {
            code,
            message: object
                .get("message")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("")
                .to_owned(),
            details: object
                .get("details")
                .and_then(serde_json::Value::as_array)
                .cloned()
                .unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_shape() {
        let body =
            ErrorBody::parse(br#"{"code": 5, "message": "deployment not found", "details": []}"#)
                .unwrap();
        assert_eq!(body.code(), Code::NotFound);
        assert_eq!(body.message, "deployment not found");
    }

    #[test]
    fn parses_the_alternate_shape() {
        let body = ErrorBody::parse(
            br#"{"error": {"message": "slow down", "status": "RESOURCE_EXHAUSTED", "code": 429}}"#,
        )
        .unwrap();
        assert_eq!(body.code(), Code::ResourceExhausted);
        assert_eq!(body.message, "slow down");
        let bare = ErrorBody::parse(br#"{"error": {"message": "nope"}}"#).unwrap();
        assert_eq!(bare.code(), Code::UnknownError);
    }

    #[test]
    fn refuses_other_bodies() {
        assert_eq!(ErrorBody::parse(b"<html>bad gateway</html>"), None);
        assert_eq!(ErrorBody::parse(br#"{"message": "no code"}"#), None);
        assert_eq!(ErrorBody::parse(br#"[1]"#), None);
    }

    #[test]
    fn status_accepts_names_and_numbers() {
        let status: Status = serde_json::from_str(r#"{"code": 9, "message": "m"}"#).unwrap();
        assert_eq!(status.code, Some(Code::FailedPrecondition));
        assert_eq!(
            serde_json::to_string(&status).unwrap(),
            r#"{"code":"FAILED_PRECONDITION","message":"m"}"#
        );
    }
}
