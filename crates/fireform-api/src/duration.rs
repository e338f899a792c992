//! [`ProtoDuration`]: a `google.protobuf.Duration` in its JSON form, seconds with an `s` suffix
//! (`"30s"`, `"1.5s"`, `"0.000000001s"`).
//!
//! It only parses and formats the wire form; human forms such as `10m` belong to the manifest
//! layer, which converts them before they reach the API.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative duration written on the wire as decimal seconds with an `s` suffix.
///
/// Formatting uses the shortest exact form: whole seconds print without a fraction (`"600s"`),
/// fractions print without trailing zeros (`"1.5s"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ProtoDuration(pub Duration);

/// A string that is not a proto duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a duration like `30s` or `1.5s`")]
pub struct DurationParseError {
    text: String,
}

impl ProtoDuration {
    /// A duration of whole seconds.
    pub const fn from_secs(seconds: u64) -> Self {
        Self(Duration::from_secs(seconds))
    }

    /// The duration as a [`std::time::Duration`].
    pub const fn as_duration(self) -> Duration {
        self.0
    }
}

impl From<Duration> for ProtoDuration {
    fn from(duration: Duration) -> Self {
        Self(duration)
    }
}

impl From<ProtoDuration> for Duration {
    fn from(duration: ProtoDuration) -> Self {
        duration.0
    }
}

impl FromStr for ProtoDuration {
    type Err = DurationParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || DurationParseError { text: text.to_owned() };
        let number = text.strip_suffix('s').ok_or_else(error)?;
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() {
            return Err(error());
        }
        let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        if !all_digits(whole) || !all_digits(fraction) || fraction.len() > 9 {
            return Err(error());
        }
        let seconds: u64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| error())? };
        let nanos: u32 = if fraction.is_empty() {
            0
        } else {
            format!("{fraction:0<9}").parse().map_err(|_| error())?
        };
        Ok(Self(Duration::new(seconds, nanos)))
    }
}

impl fmt::Display for ProtoDuration {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.0.as_secs();
        let nanos = self.0.subsec_nanos();
        if nanos == 0 {
            write!(formatter, "{seconds}s")
        } else {
            let fraction = format!("{nanos:09}");
            write!(formatter, "{seconds}.{}s", fraction.trim_end_matches('0'))
        }
    }
}

impl Serialize for ProtoDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ProtoDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        text.parse::<ProtoDuration>().unwrap().to_string()
    }

    #[test]
    fn parses_and_formats_the_wire_form() {
        assert_eq!(round_trip("30s"), "30s");
        assert_eq!(round_trip("1.5s"), "1.5s");
        assert_eq!(round_trip("1.500s"), "1.5s");
        assert_eq!(round_trip("0.000000001s"), "0.000000001s");
        assert_eq!(round_trip(".25s"), "0.25s");
        assert_eq!("3600s".parse::<ProtoDuration>().unwrap(), ProtoDuration::from_secs(3600));
    }

    #[test]
    fn refuses_other_forms() {
        for text in ["30", "10m", "s", ".s", "-1s", "1.0000000001s", "1e3s", " 1s"] {
            let error = text.parse::<ProtoDuration>().unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("`{text}` is not a duration like `30s` or `1.5s`")
            );
        }
    }

    #[test]
    fn serde_uses_the_string_form() {
        let duration: ProtoDuration = serde_json::from_str(r#""600s""#).unwrap();
        assert_eq!(serde_json::to_string(&duration).unwrap(), r#""600s""#);
        assert!(serde_json::from_str::<ProtoDuration>("600").is_err());
    }
}
