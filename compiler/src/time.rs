//! Times and durations: the literal syntax, RFC 3339, ISO 8601 durations, and how both print.
//!
//! Times are milliseconds since the Unix epoch, durations milliseconds (SPEC §7: millisecond
//! precision). The runtime uses the same functions to read events and write records.

use jiff::tz::TimeZone;

pub const SECOND: i64 = 1_000;
pub const MINUTE: i64 = 60 * SECOND;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

const UNITS: [(&str, i64); 5] = [
    ("d", DAY),
    ("h", HOUR),
    ("m", MINUTE),
    ("s", SECOND),
    ("ms", 1),
];

/// Parses a duration literal such as `90s`, `1h30m` or `7d`. Units must come from largest to
/// smallest, each at most once.
pub fn parse_duration_literal(text: &str) -> Result<i64, String> {
    let mut total: i64 = 0;
    let mut last_unit = None::<usize>;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err("expected a number".into());
        }
        let n: i64 = rest[..digits]
            .parse()
            .map_err(|_| "number too large".to_string())?;
        rest = &rest[digits..];
        let unit = if rest.starts_with("ms") {
            4
        } else {
            match rest.chars().next() {
                Some('d') => 0,
                Some('h') => 1,
                Some('m') => 2,
                Some('s') => 3,
                _ => return Err("expected a unit: d, h, m, s or ms".into()),
            }
        };
        if let Some(prev) = last_unit
            && unit <= prev
        {
            return Err(format!(
                "`{}` after `{}`: write units from days down to milliseconds, each once",
                UNITS[unit].0, UNITS[prev].0
            ));
        }
        last_unit = Some(unit);
        rest = &rest[UNITS[unit].0.len()..];
        total = n
            .checked_mul(UNITS[unit].1)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| "duration too large".to_string())?;
    }
    Ok(total)
}

/// Prints a duration the way literals are written: `7d`, `1h30m`, `33m20s`, `250ms`, `0s`.
pub fn format_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    if ms < 0 {
        out.push('-');
    }
    let mut rest = ms.unsigned_abs();
    for (unit, size) in UNITS {
        let size = size.unsigned_abs();
        let n = rest / size;
        if n > 0 {
            out.push_str(&n.to_string());
            out.push_str(unit);
            rest -= n * size;
        }
    }
    out
}

/// Parses an RFC 3339 time with an offset (`2021-11-25T19:00:00+08:00`, `...Z`). Sub-millisecond
/// digits are truncated.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let bytes = text.as_bytes();
    // jiff accepts more forms than RFC 3339; insist on a date, `T` and an offset.
    if bytes.len() < 16 || !matches!(bytes.get(10), Some(b'T' | b't')) {
        return Err("expected YYYY-MM-DDTHH:MM:SS with an offset".into());
    }
    let has_offset = text.ends_with(['Z', 'z'])
        || text
            .get(text.len().saturating_sub(6)..)
            .is_some_and(|tail| {
                tail.starts_with(['+', '-']) && tail.as_bytes().get(3) == Some(&b':')
            });
    if !has_offset {
        return Err("the offset is missing (add `Z` or `+08:00`)".into());
    }
    let ts: jiff::Timestamp = text.parse().map_err(|e: jiff::Error| {
        let msg = e.to_string();
        // jiff's messages are precise but long; keep the last clause.
        msg.rsplit(": ").next().unwrap_or(&msg).to_string()
    })?;
    Ok(ts.as_millisecond())
}

/// Prints a time in RFC 3339 in `tz`: `Z` for UTC, milliseconds only when not zero.
pub fn format_time(ms: i64, tz: &TimeZone) -> String {
    let Ok(ts) = jiff::Timestamp::from_millisecond(ms) else {
        return ms.to_string();
    };
    let offset = tz.to_offset(ts);
    let dt = offset.to_datetime(ts);
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    let millis = dt.subsec_nanosecond() / 1_000_000;
    if millis != 0 {
        out.push_str(&format!(".{millis:03}"));
    }
    let secs = offset.seconds();
    if secs == 0 {
        out.push('Z');
    } else {
        let sign = if secs < 0 { '-' } else { '+' };
        let a = secs.unsigned_abs();
        out.push_str(&format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60));
    }
    out
}

/// Parses an ISO 8601 duration with D, H, M and S parts (`P1D`, `PT30M`, `PT1.5S`); `P1D` is 24h.
pub fn parse_iso_duration(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not an ISO 8601 duration such as PT30M or P1D");
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let body = body.strip_prefix(['P', 'p']).ok_or_else(bad)?;
    let mut total: i64 = 0;
    let mut in_time = false;
    let mut num = String::new();
    let mut any = false;
    for c in body.chars() {
        match c {
            'T' | 't' if !in_time && num.is_empty() => in_time = true,
            '0'..='9' | '.' | ',' => num.push(if c == ',' { '.' } else { c }),
            _ => {
                let unit = match (c.to_ascii_uppercase(), in_time) {
                    ('D', false) => DAY,
                    ('W', false) => 7 * DAY,
                    ('H', true) => HOUR,
                    ('M', true) => MINUTE,
                    ('S', true) => SECOND,
                    _ => return Err(bad()),
                };
                let value: f64 = num.parse().map_err(|_| bad())?;
                let ms = (value * unit as f64).round();
                if !ms.is_finite() || ms.abs() > 9.0e18 {
                    return Err(bad());
                }
                total = total.checked_add(ms as i64).ok_or_else(bad)?;
                num.clear();
                any = true;
            }
        }
    }
    if !num.is_empty() || !any {
        return Err(bad());
    }
    Ok(if negative { -total } else { total })
}

/// Looks up a time zone by IANA name in the bundled database.
pub fn time_zone(name: &str) -> Option<TimeZone> {
    if name == "UTC" {
        return Some(TimeZone::UTC);
    }
    TimeZone::get(name).ok()
}

/// Every IANA name the bundled database knows (for "did you mean").
pub fn time_zone_names() -> Vec<String> {
    jiff::tz::db().available().map(|n| n.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_literals_round_trip() {
        for (text, ms) in [
            ("90s", 90_000),
            ("1h30m", 90 * MINUTE),
            ("7d", 7 * DAY),
            ("250ms", 250),
        ] {
            assert_eq!(parse_duration_literal(text), Ok(ms));
        }
        assert_eq!(format_duration(90 * MINUTE), "1h30m");
        assert_eq!(format_duration(2000 * SECOND), "33m20s");
        assert_eq!(format_duration(90 * SECOND), "1m30s");
        assert!(parse_duration_literal("30m1h").is_err());
        assert!(parse_duration_literal("1h1h").is_err());
    }

    #[test]
    fn times_need_an_offset_and_print_in_the_zone() {
        let t = parse_time("2021-11-25T19:00:00+08:00").unwrap();
        assert_eq!(format_time(t, &TimeZone::UTC), "2021-11-25T11:00:00Z");
        let sh = time_zone("Asia/Shanghai").unwrap();
        assert_eq!(format_time(t, &sh), "2021-11-25T19:00:00+08:00");
        assert!(parse_time("2021-11-25T19:00:00").is_err());
        assert!(parse_time("2021-13-25T19:00:00Z").is_err());
        assert_eq!(
            format_time(t + 5, &TimeZone::UTC),
            "2021-11-25T11:00:00.005Z"
        );
    }

    #[test]
    fn iso_durations() {
        assert_eq!(parse_iso_duration("P1D"), Ok(DAY));
        assert_eq!(parse_iso_duration("PT30M"), Ok(30 * MINUTE));
        assert_eq!(parse_iso_duration("PT1.5S"), Ok(1500));
        assert_eq!(parse_iso_duration("P1DT2H"), Ok(DAY + 2 * HOUR));
        assert!(parse_iso_duration("P1M").is_err());
        assert!(parse_iso_duration("30").is_err());
    }
}
