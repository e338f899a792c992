//! RFC 3339 timestamps for `updatedAt`, lock `created` and create intents, formatted from
//! [`SystemTime`] in UTC with second precision (`2026-01-02T03:04:05Z`), and read back (with
//! any fraction and offset, as the API writes `createTime`) to compare an object's creation with
//! an intent. Deliberately no date crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// Formats `time` as an RFC 3339 UTC timestamp with second precision, e.g.
/// `2026-01-02T03:04:05Z`. Times before 1970 are clamped to the epoch.
pub fn format_rfc3339(time: SystemTime) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs());
    let days = seconds / 86_400;
    let second_of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// The current time as an RFC 3339 timestamp; see [`format_rfc3339`].
pub fn now_rfc3339() -> String {
    format_rfc3339(SystemTime::now())
}

/// Reads an RFC 3339 timestamp (`2026-01-02T03:04:05Z`, `…05.123456Z`, `…05+02:00`), or `None`
/// for anything else. Times before 1970 are `None` too.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let number = |range: std::ops::Range<usize>| -> Option<u64> {
        let digits = text.get(range)?;
        digits.bytes().all(|b| b.is_ascii_digit()).then(|| digits.parse().ok()).flatten()
    };
    let bytes = text.as_bytes();
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't' | b' ')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let mut rest = &text[19..];
    let mut nanos = 0u32;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let padded: String =
            fraction[..digits].chars().chain(std::iter::repeat('0')).take(9).collect();
        nanos = padded.parse().ok()?;
        rest = &fraction[digits..];
    }
    let offset: i64 = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let tail = rest.get(1..)?;
            if tail.len() != 5 || tail.as_bytes()[2] != b':' {
                return None;
            }
            let hours: i64 = tail.get(0..2)?.parse().ok()?;
            let minutes: i64 = tail.get(3..5)?.parse().ok()?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let days = days_from_civil(year, month, day)?;
    let local =
        i64::try_from(days.checked_mul(86_400)? + hour * 3600 + minute * 60 + second).ok()?;
    let utc = u64::try_from(local - offset).ok()?;
    Some(UNIX_EPOCH + std::time::Duration::new(utc, nanos))
}

/// Converts a proleptic Gregorian date from 1970 on into days since 1970-01-01 (Howard
/// Hinnant's `days_from_civil`).
fn days_from_civil(year: u64, month: u64, day: u64) -> Option<u64> {
    let year = if month <= 2 { year.checked_sub(1)? } else { year };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    (era * 146_097 + day_of_era).checked_sub(719_468)
}

/// Converts days since 1970-01-01 into a proleptic Gregorian (year, month, day).
///
/// Howard Hinnant's `civil_from_days`, restricted to non-negative day counts.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(seconds: u64) -> String {
        format_rfc3339(UNIX_EPOCH + Duration::from_secs(seconds))
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(at(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(at(4_102_444_800), "2100-01-01T00:00:00Z");
        assert_eq!(at(4_107_542_400), "2100-03-01T00:00:00Z");
    }

    #[test]
    fn parses_what_it_formats_and_what_the_api_writes() {
        for seconds in [0, 951_782_400, 1_709_251_199, 1_767_225_600, 4_107_542_400] {
            assert_eq!(
                parse_rfc3339(&at(seconds)),
                Some(UNIX_EPOCH + Duration::from_secs(seconds))
            );
        }
        assert_eq!(
            parse_rfc3339("2026-01-01T00:00:00.250Z"),
            Some(UNIX_EPOCH + Duration::new(1_767_225_600, 250_000_000))
        );
        assert_eq!(
            parse_rfc3339("2026-01-01T02:00:00+02:00"),
            Some(UNIX_EPOCH + Duration::from_secs(1_767_225_600))
        );
        for bad in [
            "",
            "2026-01-01",
            "2026-13-01T00:00:00Z",
            "2026-01-01T00:00:00",
            "1969-12-31T23:59:59Z",
            "2026-01-01T00:00:00.Z",
            "２０２６-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn clamps_times_before_the_epoch() {
        assert_eq!(format_rfc3339(UNIX_EPOCH - Duration::from_secs(5)), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn days_round_trip_through_every_day_of_four_centuries() {
        let mut previous = civil_from_days(0);
        for days in 1..146_097 * 2 {
            let current = civil_from_days(days);
            let next_day = (previous.0, previous.1, previous.2 + 1);
            let next_month = (previous.0, previous.1 + 1, 1);
            let next_year = (previous.0 + 1, 1, 1);
            assert!(
                current == next_day || current == next_month || current == next_year,
                "{previous:?} -> {current:?}"
            );
            assert!((1..=31).contains(&current.2));
            previous = current;
        }
    }
}
