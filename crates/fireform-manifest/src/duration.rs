//! Durations as manifests write them: `30s`, `10m`, `1h`, `1.5s`, `500ms`, or sums such as
//! `1h30m`.
//!
//! Parsing only; the wire's `"600s"` spelling is the client's business.

use std::time::Duration;

/// Why a duration string was refused; the text completes "invalid duration `x`: …".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError(pub(crate) String);

impl std::fmt::Display for DurationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DurationError {}

/// Parses a duration such as `10m` or `1h30m`, as manifests write them (also used for
/// command-line flags such as `--lock-timeout`).
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DurationError("it is empty".to_owned()));
    }
    if text.starts_with('-') {
        return Err(DurationError("durations cannot be negative".to_owned()));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len =
            rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if number_len == 0 {
            return Err(DurationError(format!("expected a number before `{rest}`")));
        }
        let (number, after) = rest.split_at(number_len);
        let unit_len = after.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let seconds_per_unit = match unit {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => {
                return Err(DurationError(format!(
                    "`{number}` has no unit; write `{number}s`, `{number}m` or `{number}h`"
                )));
            }
            other => {
                return Err(DurationError(format!(
                    "unknown unit `{other}`; use `ms`, `s`, `m` or `h`"
                )));
            }
        };
        let value: f64 =
            number.parse().map_err(|_| DurationError(format!("`{number}` is not a number")))?;
        let seconds = value * seconds_per_unit;
        if !seconds.is_finite() || seconds > 1e12 {
            return Err(DurationError("it is too long".to_owned()));
        }
        total += Duration::from_secs_f64(seconds);
        rest = after;
    }
    Ok(total)
}

/// Formats a duration the way manifests write it, for messages: `5m`, `1h`, `1.5s`.
pub(crate) fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if duration.subsec_nanos() != 0 {
        return format!("{}s", duration.as_secs_f64());
    }
    if seconds != 0 && seconds.is_multiple_of(3600) {
        format!("{}h", seconds / 3600)
    } else if seconds != 0 && seconds.is_multiple_of(60) {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_sums() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
    }

    #[test]
    fn refuses_nonsense() {
        for bad in ["", "10", "-5s", "10 minutes", "5d", "m", "1..5s", "s10"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("10").unwrap_err().0.contains("`10s`"));
    }

    #[test]
    fn formats_compactly() {
        assert_eq!(format_duration(Duration::from_secs(300)), "5m");
        assert_eq!(format_duration(Duration::from_secs(3600)), "1h");
        assert_eq!(format_duration(Duration::from_secs(90)), "90s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
    }
}
