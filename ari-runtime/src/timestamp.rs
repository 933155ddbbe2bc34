//! ARI's `Date`: `2026-11-22T10:00:00.123+0000`, an offset without a colon,
//! which is not RFC 3339. Parsed into numbers (no allocation) and written
//! back exactly as received.

use std::fmt;

/// A point in time as Asterisk writes it, re-serialized byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp {
    unix_seconds: i64,
    nanos: u32,
    offset_minutes: i16,
    fraction_digits: u8,
    offset_style: OffsetStyle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum OffsetStyle {
    /// `+0000`, as Asterisk writes it.
    Compact,
    /// `+00:00`, RFC 3339.
    Colon,
    /// `Z`.
    Zulu,
}

/// A text that is not a timestamp in any form Asterisk uses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid timestamp `{0}`: expected YYYY-MM-DDTHH:MM:SS[.fff](+HHMM|+HH:MM|Z)")]
pub struct TimestampError(String);

impl Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(&self) -> i64 {
        self.unix_seconds
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(&self) -> i64 {
        self.unix_seconds * 1000 + i64::from(self.nanos / 1_000_000)
    }

    /// The sub-second part, in nanoseconds.
    pub fn nanos(&self) -> u32 {
        self.nanos
    }

    /// The UTC offset the server wrote, in minutes.
    pub fn offset_minutes(&self) -> i16 {
        self.offset_minutes
    }

    /// The same instant as a [`SystemTime`](std::time::SystemTime); the offset only affects how it is written.
    pub fn to_system_time(&self) -> std::time::SystemTime {
        let base = std::time::UNIX_EPOCH;
        let whole = std::time::Duration::from_secs(self.unix_seconds.unsigned_abs());
        let moved = if self.unix_seconds >= 0 {
            base + whole
        } else {
            base - whole
        };
        moved + std::time::Duration::from_nanos(u64::from(self.nanos))
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff]` with a `+HHMM` (Asterisk), `+HH:MM` or `Z` offset, keeping the fraction's digits and the offset's form for [`Display`](fmt::Display).
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        parse(text.as_bytes()).ok_or_else(|| TimestampError(text.to_owned()))
    }
}

/// The value of a run of ASCII digits, in one pass (every event carries two
/// or three timestamps, so this is on the decode's hot path).
fn digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() {
        return None;
    }
    let mut value = 0u32;
    for &byte in bytes {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + u32::from(digit);
    }
    Some(value)
}

fn parse(b: &[u8]) -> Option<Timestamp> {
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = digits(&b[0..4])? as i64;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &b[19..];
    let (mut nanos, mut fraction_digits) = (0u32, 0u8);
    if let Some(after_dot) = rest.strip_prefix(b".") {
        let count = after_dot.iter().take_while(|c| c.is_ascii_digit()).count();
        if count == 0 || count > 9 {
            return None;
        }
        let value = digits(&after_dot[..count])?;
        nanos = value * 10u32.pow(9 - count as u32);
        fraction_digits = count as u8;
        rest = &after_dot[count..];
    }
    let (offset_minutes, offset_style) = match rest {
        [b'Z' | b'z'] => (0i16, OffsetStyle::Zulu),
        [sign @ (b'+' | b'-'), h1, h2, m1, m2] => (
            offset(*sign, &[*h1, *h2], &[*m1, *m2])?,
            OffsetStyle::Compact,
        ),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            (offset(*sign, &[*h1, *h2], &[*m1, *m2])?, OffsetStyle::Colon)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let local = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Some(Timestamp {
        unix_seconds: local - i64::from(offset_minutes) * 60,
        nanos,
        offset_minutes,
        fraction_digits,
        offset_style,
    })
}

fn offset(sign: u8, hours: &[u8], minutes: &[u8]) -> Option<i16> {
    let (h, m) = (digits(hours)?, digits(minutes)?);
    if h > 23 || m > 59 {
        return None;
    }
    let total = (h * 60 + m) as i16;
    Some(if sign == b'-' { -total } else { total })
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local = self.unix_seconds + i64::from(self.offset_minutes) * 60;
        let (year, month, day) = civil_from_days(local.div_euclid(86_400));
        let secs = local.rem_euclid(86_400);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )?;
        if self.fraction_digits > 0 {
            let scaled = self.nanos / 10u32.pow(9 - u32::from(self.fraction_digits));
            write!(
                f,
                ".{scaled:0width$}",
                width = usize::from(self.fraction_digits)
            )?;
        }
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let (h, m) = (
            self.offset_minutes.unsigned_abs() / 60,
            self.offset_minutes.unsigned_abs() % 60,
        );
        match self.offset_style {
            OffsetStyle::Zulu => f.write_str("Z"),
            OffsetStyle::Compact => write!(f, "{sign}{h:02}{m:02}"),
            OffsetStyle::Colon => write!(f, "{sign}{h:02}:{m:02}"),
        }
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(text)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ARI timestamp such as 2026-11-22T10:00:00.123+0000")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Timestamp, E> {
                Timestamp::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl super::ParamValue for Timestamp {
    fn to_param(&self) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Owned(self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_exactly() {
        for text in [
            "2026-11-22T10:00:00.123+0000",
            "2026-11-22T18:24:03.393+0000",
            "1999-12-31T23:59:59.999-0530",
            "2024-02-29T00:00:00.000+1400",
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00.5+01:00",
            "1969-07-20T20:17:40.000000001+0000",
        ] {
            assert_eq!(Timestamp::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn knows_the_instant() {
        let t = Timestamp::parse("2026-11-22T10:00:00.123+0100").unwrap();
        assert_eq!(t.unix_seconds(), 1_795_338_000);
        assert_eq!(t.unix_millis(), 1_795_338_000_123);
        assert_eq!(t.offset_minutes(), 60);
        let same = Timestamp::parse("2026-11-22T09:00:00.123Z").unwrap();
        assert_eq!(t.unix_millis(), same.unix_millis());
    }

    #[test]
    fn rejects_garbage() {
        for text in [
            "",
            "2026-11-22",
            "2026-13-01T00:00:00+0000",
            "2026-02-30T00:00:00+0000",
            "2026-11-22T10:00:00.123+000",
            "2026-11-22T10:00:00.+0000",
        ] {
            assert!(Timestamp::parse(text).is_err(), "{text}");
        }
    }
}
