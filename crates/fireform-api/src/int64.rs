//! Serde helpers for 64-bit integers, which the proto3 JSON mapping encodes as JSON strings
//! (`"exampleCount": "1000"`).
//!
//! Output is always a string; input accepts a string or a plain JSON number, because hand-written
//! requests and older servers send numbers. This module does not handle 32-bit integers: those are
//! ordinary JSON numbers and need no helper.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serializer};

/// Deserializes one `int64` written as a string or a number.
struct Int64Visitor;

impl Visitor<'_> for Int64Visitor {
    type Value = i64;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a 64-bit integer as a string or a number")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<i64, E> {
        Ok(value)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<i64, E> {
        i64::try_from(value).map_err(|_| E::custom(format!("`{value}` does not fit in an int64")))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<i64, E> {
        if value.fract() == 0.0 && value.abs() < 9.007_199_254_740_992e15 {
            #[expect(clippy::cast_possible_truncation, reason = "checked integral and in range")]
            Ok(value as i64)
        } else {
            Err(E::custom(format!("`{value}` is not an integer")))
        }
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<i64, E> {
        value.trim().parse().map_err(|_| E::custom(format!("`{value}` is not a 64-bit integer")))
    }
}

/// A transparent wrapper so maps and options can reuse [`Int64Visitor`].
struct Int64(i64);

impl<'de> Deserialize<'de> for Int64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Int64Visitor).map(Int64)
    }
}

/// `#[serde(with = "int64::option")]` for `Option<i64>` fields.
pub mod option {
    use super::{Deserialize, Deserializer, Int64, Serializer};

    /// Writes `Some(n)` as the string `"n"`, `None` as null (normally skipped by the field).
    pub fn serialize<S: Serializer>(value: &Option<i64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(number) => serializer.collect_str(number),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a string, a number or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<i64>, D::Error> {
        Ok(Option::<Int64>::deserialize(deserializer)?.map(|Int64(number)| number))
    }
}

/// `#[serde(with = "int64::map")]` for `Option<BTreeMap<String, i64>>` fields such as
/// `filenameToSize`.
pub mod map {
    use super::{BTreeMap, Deserialize, Deserializer, Int64, Serializer};
    use serde::ser::SerializeMap;

    /// Writes every value as a string.
    pub fn serialize<S: Serializer>(
        value: &Option<BTreeMap<String, i64>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let Some(entries) = value else { return serializer.serialize_none() };
        let mut map = serializer.serialize_map(Some(entries.len()))?;
        for (key, number) in entries {
            map.serialize_entry(key, &number.to_string())?;
        }
        map.end()
    }

    /// Reads values written as strings or numbers.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<BTreeMap<String, i64>>, D::Error> {
        let entries = Option::<BTreeMap<String, Int64>>::deserialize(deserializer)?;
        Ok(entries
            .map(|entries| entries.into_iter().map(|(key, Int64(number))| (key, number)).collect()))
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use std::collections::BTreeMap;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Holder {
        #[serde(default, with = "super::option", skip_serializing_if = "Option::is_none")]
        count: Option<i64>,
        #[serde(default, with = "super::map", skip_serializing_if = "Option::is_none")]
        sizes: Option<BTreeMap<String, i64>>,
    }

    fn parse(text: &str) -> Result<Holder, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn writes_strings_and_reads_strings_or_numbers() {
        let holder =
            parse(r#"{"count": "9007199254740993", "sizes": {"a": 3, "b": "4"}}"#).unwrap();
        assert_eq!(holder.count, Some(9_007_199_254_740_993));
        assert_eq!(
            serde_json::to_string(&holder).unwrap(),
            r#"{"count":"9007199254740993","sizes":{"a":"3","b":"4"}}"#
        );
        assert_eq!(parse(r#"{"count": 12}"#).unwrap().count, Some(12));
        assert_eq!(parse(r#"{"count": null}"#).unwrap().count, None);
        assert_eq!(parse("{}").unwrap(), Holder { count: None, sizes: None });
    }

    #[test]
    fn refuses_non_integers() {
        let error = parse(r#"{"count": "12x"}"#).unwrap_err();
        assert!(error.to_string().contains("`12x` is not a 64-bit integer"), "{error}");
        assert!(parse(r#"{"count": 1.5}"#).is_err());
        assert!(parse(r#"{"count": 18446744073709551615}"#).is_err());
    }
}
