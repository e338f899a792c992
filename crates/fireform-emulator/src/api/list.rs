//! List methods: `filter` (AIP-160 `=` and `AND` on snake_case fields, values double-quoted),
//! `orderBy` (`create_time`, `update_time`, `name`, `display_name`, each optionally ` desc`), and
//! pagination (default 50, at most 200, opaque base64 `nextPageToken` bound to the other
//! parameters, `totalSize`).
//!
//! It works on typed resources through [`Listed`] so every collection shares it: ordering and the
//! common filters read borrowed fields, any other filter field is read from the resource's JSON
//! form, and only the returned page is encoded. It knows no collection.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Bound;

use fireform_api::{
    BatchInferenceJob, DEFAULT_PAGE_SIZE, Dataset, DeployedModel, Deployment, Evaluator,
    MAX_PAGE_SIZE, Model, ReinforcementFineTuningJob, SupervisedFineTuningJob,
};
use serde::Serialize;

use super::patch::camel_case;
use super::{Reply, Request, apply_read_mask, encode, encode_error, read_mask_fields};
use crate::error::ApiError;
use crate::world::Tracked;

/// A resource a list can filter, order and page without encoding it.
pub(crate) trait Listed: Serialize {
    /// A top-level string field by its camelCase wire name: `Some(value)` when this type knows
    /// the field (`value` is `None` when unset), `None` when the JSON form must be consulted.
    fn field(&self, name: &str) -> Option<Option<&str>>;
}

macro_rules! listed {
    ($type:ty $(, $wire:literal => $field:ident)*) => {
        impl Listed for $type {
            fn field(&self, name: &str) -> Option<Option<&str>> {
                match name {
                    "name" => Some(self.name.as_deref()),
                    "displayName" => Some(self.display_name.as_deref()),
                    "createTime" => Some(self.create_time.as_deref()),
                    "updateTime" => Some(self.update_time.as_deref()),
                    $($wire => Some(self.$field.as_deref()),)*
                    _ => None,
                }
            }
        }
    };
}

listed!(Deployment, "baseModel" => base_model);
listed!(DeployedModel, "model" => model, "deployment" => deployment);
listed!(Model);
listed!(Dataset);
listed!(SupervisedFineTuningJob);
listed!(ReinforcementFineTuningJob);
listed!(BatchInferenceJob, "model" => model);
listed!(Evaluator);

/// The entries of `map` whose name starts with `prefix`, in name order, without visiting the
/// others.
pub(crate) fn with_prefix<'a, T>(
    map: &'a BTreeMap<String, Tracked<T>>,
    prefix: &'a str,
) -> impl Iterator<Item = (&'a String, &'a Tracked<T>)> {
    map.range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
        .take_while(move |(name, _)| name.starts_with(prefix))
}

/// Filters, orders and pages `items`, answering `{<list_key>: [...], nextPageToken, totalSize}`.
pub(crate) fn page<T: Listed>(
    request: &Request,
    list_key: &str,
    mut items: Vec<&T>,
    default_order: &str,
) -> Result<Reply, ApiError> {
    let filter = request.param("filter").unwrap_or_default();
    let conditions = parse_filter(filter)?;
    if !conditions.is_empty() {
        items.retain(|item| matches(*item, &conditions));
    }

    let order_by = request.param("orderBy").unwrap_or(default_order);
    let order = parse_order(order_by)?;
    items.sort_by(|left, right| {
        for (field, descending) in &order {
            let ordering = order_key(*left, field).cmp(&order_key(*right, field));
            let ordering = if *descending { ordering.reverse() } else { ordering };
            if ordering.is_ne() {
                return ordering;
            }
        }
        order_key(*left, "name").cmp(&order_key(*right, "name"))
    });

    let page_size = match request.param("pageSize") {
        None => DEFAULT_PAGE_SIZE,
        Some(text) => match text.parse::<i64>() {
            Ok(size) if size <= 0 => DEFAULT_PAGE_SIZE,
            Ok(size) => usize::try_from(size).unwrap_or(MAX_PAGE_SIZE).min(MAX_PAGE_SIZE),
            Err(_) => return Err(ApiError::invalid(format!("invalid pageSize `{text}`"))),
        },
    };
    let fingerprint =
        fingerprint(&[filter, order_by, request.param("showDeleted").unwrap_or_default()]);
    let offset = match request.param("pageToken").filter(|token| !token.is_empty()) {
        None => 0,
        Some(token) => decode_token(token, fingerprint).ok_or_else(|| {
            ApiError::invalid(format!(
                "invalid pageToken `{token}`: it must come from the previous page of the same list"
            ))
        })?,
    };
    let total = items.len();
    let end = offset.saturating_add(page_size).min(total);
    let page = items.get(offset..end).unwrap_or_default();

    // `{"<list_key>":[...],"nextPageToken":"...","totalSize":N}`, the page encoded directly.
    let keep = read_mask_fields(request);
    let mut body = Vec::with_capacity(256 + page.len() * 512);
    body.push(b'{');
    body.extend(encode(list_key)?);
    body.extend(b":[");
    for (index, item) in page.iter().enumerate() {
        if index > 0 {
            body.push(b',');
        }
        match &keep {
            None => body.extend(encode(*item)?),
            Some(keep) => {
                let value = serde_json::to_value(*item).map_err(encode_error)?;
                body.extend(encode(&apply_read_mask(keep, value))?);
            }
        }
    }
    body.push(b']');
    if end < total {
        body.extend(b",\"nextPageToken\":");
        body.extend(encode(&encode_token(end, fingerprint))?);
    }
    body.extend(format!(",\"totalSize\":{total}}}").as_bytes());
    Ok(Reply { body, resource: None })
}

/// True when every `(path, value)` condition holds for `item`. Fields [`Listed`] knows are read
/// in place; others from the item's JSON form, encoded once and only when needed.
fn matches<T: Listed>(item: &T, conditions: &[(String, String)]) -> bool {
    let mut json: Option<serde_json::Value> = None;
    conditions.iter().all(|(path, value)| {
        if let Some(known) = item.field(path) {
            return known == Some(value.as_str());
        }
        let json = json.get_or_insert_with(|| serde_json::to_value(item).unwrap_or_default());
        field_text(json, path).as_deref() == Some(value.as_str())
    })
}

/// An ordering field (one [`parse_order`] accepts) of an item, borrowed.
fn order_key<'a, T: Listed>(item: &'a T, field: &str) -> Option<&'a str> {
    item.field(field).flatten()
}

/// `a="x" AND b_c="y"` -> `[("a", "x"), ("bC", "y")]`.
fn parse_filter(filter: &str) -> Result<Vec<(String, String)>, ApiError> {
    let filter = filter.trim();
    if filter.is_empty() {
        return Ok(Vec::new());
    }
    let mut conditions = Vec::new();
    let mut rest = filter;
    loop {
        let (field, after) = rest.split_once('=').ok_or_else(|| {
            ApiError::invalid(format!(
                "invalid filter `{filter}`: expected `field=\"value\"` joined by AND"
            ))
        })?;
        let field = field.trim();
        if field.is_empty()
            || !field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            return Err(ApiError::invalid(format!(
                "invalid filter `{filter}`: bad field `{field}`"
            )));
        }
        let after = after.trim_start();
        let (value, remainder) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').ok_or_else(|| {
                ApiError::invalid(format!("invalid filter `{filter}`: unterminated string"))
            })?;
            (quoted[..end].to_owned(), &quoted[end + 1..])
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (after[..end].to_owned(), &after[end..])
        };
        conditions.push((field.split('.').map(camel_case).collect::<Vec<_>>().join("."), value));
        let remainder = remainder.trim_start();
        if remainder.is_empty() {
            return Ok(conditions);
        }
        rest = remainder.strip_prefix("AND ").ok_or_else(|| {
            ApiError::invalid(format!(
                "invalid filter `{filter}`: only `=` joined by AND is supported"
            ))
        })?;
    }
}

/// `create_time desc, name` -> `[("createTime", true), ("name", false)]`.
fn parse_order(order_by: &str) -> Result<Vec<(String, bool)>, ApiError> {
    let mut order = Vec::new();
    for part in order_by.split(',').map(str::trim).filter(|part| !part.is_empty()) {
        let mut words = part.split_whitespace();
        let field = camel_case(words.next().unwrap_or_default());
        let descending = match words.next() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "invalid orderBy `{order_by}`: unexpected `{other}`"
                )));
            }
        };
        if !matches!(field.as_str(), "createTime" | "name" | "updateTime" | "displayName") {
            return Err(ApiError::invalid(format!(
                "invalid orderBy `{order_by}`: can order by `create_time`, `update_time`, `name` or `display_name`"
            )));
        }
        order.push((field, descending));
    }
    Ok(order)
}

/// A field as text: strings as-is, other scalars in their JSON spelling.
fn field_text<'a>(item: &'a serde_json::Value, path: &str) -> Option<Cow<'a, str>> {
    let mut value = item;
    for key in path.split('.') {
        value = value.get(key)?;
    }
    match value {
        serde_json::Value::String(text) => Some(Cow::Borrowed(text)),
        serde_json::Value::Null => None,
        other => Some(Cow::Owned(other.to_string())),
    }
}

fn fingerprint(parts: &[&str]) -> u32 {
    // FNV-1a: tokens only need to notice changed parameters, not resist forgery.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in parts.join("\u{0}").bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

fn encode_token(offset: usize, fingerprint: u32) -> String {
    base64url(format!("o={offset};f={fingerprint:08x}").as_bytes())
}

fn decode_token(token: &str, fingerprint: u32) -> Option<usize> {
    let text = String::from_utf8(unbase64url(token)?).ok()?;
    let (offset, found) = text.strip_prefix("o=")?.split_once(";f=")?;
    (u32::from_str_radix(found, 16).ok()? == fingerprint).then_some(())?;
    offset.parse().ok()
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url(bytes: &[u8]) -> String {
    let mut text = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            text.push(char::from(ALPHABET[usize::try_from((n >> (18 - 6 * i)) & 63).unwrap_or(0)]));
        }
    }
    text
}

fn unbase64url(text: &str) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in text.bytes() {
        let value = u32::try_from(ALPHABET.iter().position(|&a| a == c)?).ok()?;
        buffer = (buffer << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_bind_parameters() {
        let token = encode_token(150, 7);
        assert_eq!(decode_token(&token, 7), Some(150));
        assert_eq!(decode_token(&token, 8), None);
        assert_eq!(decode_token("not a token!", 7), None);
        assert_eq!(unbase64url(&base64url(b"ab")).unwrap(), b"ab");
    }

    #[test]
    fn parses_filters() {
        assert_eq!(
            parse_filter(r#"display_name="x y" AND base_model="accounts/fireworks/models/m""#)
                .unwrap(),
            [
                ("displayName".to_owned(), "x y".to_owned()),
                ("baseModel".to_owned(), "accounts/fireworks/models/m".to_owned())
            ]
        );
        assert_eq!(
            parse_filter("state=READY").unwrap(),
            [("state".to_owned(), "READY".to_owned())]
        );
        assert!(parse_filter(r#"a="x" OR b="y""#).is_err());
        assert!(parse_filter(r#"a>"x""#).is_err());
        assert!(parse_filter(r#"a="x"#).is_err());
    }

    #[test]
    fn parses_order() {
        assert_eq!(
            parse_order("create_time desc, name").unwrap(),
            [("createTime".to_owned(), true), ("name".to_owned(), false)]
        );
        assert!(parse_order("size").is_err());
        assert!(parse_order("name sideways").is_err());
    }
}
