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
    let mut last_unit = None::<(usize, &str)>;
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
        // `ms` before `m`: the longest unit name that fits.
        let Some((unit, &(name, size))) = UNITS
            .iter()
            .enumerate()
            .filter(|(_, (name, _))| rest.starts_with(name))
            .max_by_key(|(_, (name, _))| name.len())
        else {
            return Err("expected a unit: d, h, m, s or ms".into());
        };
        if let Some((prev, prev_name)) = last_unit
            && unit <= prev
        {
            return Err(format!(
                "`{name}` after `{prev_name}`: write units from days down to milliseconds, each once"
            ));
        }
        last_unit = Some((unit, name));
        rest = rest.get(name.len()..).unwrap_or_default();
        total = n
            .checked_mul(size)
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
    if let Some(ms) = parse_time_fast(text.as_bytes()) {
        return Ok(ms);
    }
    parse_time_slow(text)
}

thread_local! {
    /// The `YYYY-MM-DD` bytes of the last date parsed on this thread, and its day number.
    static LAST_DATE: std::cell::Cell<Option<((u64, u16), i64)>> =
        const { std::cell::Cell::new(None) };
}

/// The common form `YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM)`, fully validated, without allocating;
/// `None` sends anything else (errors included) to the general parser. What it accepts is
/// ASCII digits and separators only, so a JSON decoder may read it straight from the bytes
/// between two quotes.
pub fn parse_time_fast(b: &[u8]) -> Option<i64> {
    let digit = |i: usize| -> Option<i64> {
        let c = *b.get(i)?;
        c.is_ascii_digit().then(|| i64::from(c - b'0'))
    };
    let two = |i: usize| two_digits(b, i);
    let at = |i: usize| b.get(i).copied();
    if b.len() < 20
        || at(4) != Some(b'-')
        || at(7) != Some(b'-')
        || !matches!(at(10), Some(b'T' | b't'))
    {
        return None;
    }
    let (hour, minute, second) = clock(b)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // Events arrive in time order, so most share the previous one's date: its day number
    // (and its validation) is kept per thread.
    let date = (
        u64::from_le_bytes(b.get(..8)?.try_into().ok()?),
        u16::from_le_bytes(b.get(8..10)?.try_into().ok()?),
    );
    let days = match LAST_DATE.get() {
        Some((last, days)) if last == date => days,
        _ => {
            let year = two(0)? * 100 + two(2)?;
            let (month, day) = (two(5)?, two(8)?);
            if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
                return None;
            }
            let days = days_from_civil(year, month, day);
            LAST_DATE.set(Some((date, days)));
            days
        }
    };
    let mut i = 19;
    let mut millis = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(d) = digit(i) {
            if i - start < 3 {
                millis = millis * 10 + d;
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 || n > 9 {
            return None;
        }
        for _ in n..3 {
            millis *= 10;
        }
    }
    let offset_secs = match b.get(i)? {
        b'Z' | b'z' if b.len() == i + 1 => 0,
        sign @ (b'+' | b'-') if b.len() == i + 6 && at(i + 3) == Some(b':') => {
            let (h, m) = (two(i + 1)?, two(i + 4)?);
            if h > 23 || m > 59 {
                return None;
            }
            let s = h * 3600 + m * 60;
            if *sign == b'-' { -s } else { s }
        }
        _ => return None,
    };
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    let ms = secs * 1000 + millis;
    in_range(ms).then_some(ms)
}

/// `HH:MM:SS` at `b[11..19]`, read as one word: the colons compared, the six digits checked
/// (high nibble 3, low nibble at most 9) and taken together.
#[inline(always)]
fn clock(b: &[u8]) -> Option<(i64, i64, i64)> {
    const DIGITS: u64 = 0xffff_00ff_ff00_ffff;
    const HIGH: u64 = 0xf0f0_00f0_f000_f0f0;
    const LOW: u64 = 0x0f0f_000f_0f00_0f0f;
    let w = u64::from_le_bytes(b.get(11..19)?.try_into().ok()?);
    let colons = w & !DIGITS == 0x0000_3a00_003a_0000;
    let digits =
        w & HIGH == 0x3030_0030_3000_3030 && ((w & LOW) + 0x0606_0006_0600_0606) & HIGH == 0;
    if !(colons && digits) {
        return None;
    }
    let v = w & LOW;
    let pair = |shift: u32| ((v >> shift) & 0xff) as i64 * 10 + ((v >> (shift + 8)) & 0xff) as i64;
    Some((pair(0), pair(24), pair(48)))
}

/// The number written by the two ASCII digits at `b[i..i + 2]`.
#[inline(always)]
fn two_digits(b: &[u8], i: usize) -> Option<i64> {
    let hi = b.get(i)?.wrapping_sub(b'0');
    let lo = b.get(i + 1)?.wrapping_sub(b'0');
    (hi < 10 && lo < 10).then(|| i64::from(hi * 10 + lo))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The first millisecond of year 1 and of year 10000: event times lie between (SPEC §7,
/// "Decoding, precisely"), checked on the UTC instant.
pub const FIRST_MS: i64 = -62_135_596_800_000;
pub const END_MS: i64 = 253_402_300_800_000;

/// Whether `ms` (epoch milliseconds) lies in years 0001–9999 (UTC).
pub fn in_range(ms: i64) -> bool {
    (FIRST_MS..END_MS).contains(&ms)
}

/// RFC 3339 in full: `YYYY-MM-DDTHH:MM:SS[.f…](Z|±HH:MM)`, the offset within ±23:59, digits
/// beyond the millisecond truncated, a leap second (`:60`) read as the last millisecond of its
/// minute, and the instant within years 0001–9999.
fn parse_time_slow(text: &str) -> Result<i64, String> {
    let b = text.as_bytes();
    let digits = |from: usize, n: usize| -> Option<i64> {
        let part = b.get(from..from + n)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0, |v, d| v * 10 + i64::from(d - b'0')))
    };
    let shape = "expected YYYY-MM-DDTHH:MM:SS with an offset";
    let at = |i: usize| b.get(i).copied();
    if at(4) != Some(b'-')
        || at(7) != Some(b'-')
        || !matches!(at(10), Some(b'T' | b't'))
        || at(13) != Some(b':')
        || at(16) != Some(b':')
    {
        return Err(shape.into());
    }
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        digits(0, 4),
        digits(5, 2),
        digits(8, 2),
        digits(11, 2),
        digits(14, 2),
        digits(17, 2),
    ) else {
        return Err(shape.into());
    };
    if !(1..=12).contains(&month) {
        return Err(format!("there is no month {month}"));
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(format!("there is no day {year:04}-{month:02}-{day:02}"));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(format!(
            "there is no time {hour:02}:{minute:02}:{second:02}"
        ));
    }
    let mut i = 19;
    let mut millis = 0;
    if at(i) == Some(b'.') {
        let start = i + 1;
        i = start;
        while at(i).is_some_and(|c| c.is_ascii_digit()) {
            if i - start < 3 {
                millis = millis * 10 + i64::from(at(i).unwrap_or(b'0') - b'0');
            }
            i += 1;
        }
        match i - start {
            0 => return Err("a `.` without digits".into()),
            n @ 1..=2 => millis *= 10_i64.pow(3 - n as u32),
            _ => {}
        }
    }
    let offset_minutes = match (at(i), b.len() - i) {
        (Some(b'Z' | b'z'), 1) => 0,
        (Some(sign @ (b'+' | b'-')), 6) if at(i + 3) == Some(b':') => {
            let (Some(h), Some(m)) = (digits(i + 1, 2), digits(i + 4, 2)) else {
                return Err("the offset is not ±HH:MM".into());
            };
            if h > 23 || m > 59 {
                return Err(format!(
                    "the offset {} is beyond ±23:59",
                    text.get(i..).unwrap_or("")
                ));
            }
            let minutes = h * 60 + m;
            if sign == b'-' { -minutes } else { minutes }
        }
        _ => return Err("the offset is missing (add `Z` or `+08:00`)".into()),
    };
    // A leap second is the last millisecond of its minute.
    let (second, millis) = if second == 60 {
        (59, 999)
    } else {
        (second, millis)
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    let ms = secs * 1000 + millis;
    if !in_range(ms) {
        return Err("the instant lies outside years 0001–9999 (UTC)".into());
    }
    Ok(ms)
}

/// Prints a time in RFC 3339 in `tz`: `Z` for UTC, milliseconds only when not zero.
pub fn format_time(ms: i64, tz: &TimeZone) -> String {
    let mut out = String::with_capacity(29);
    write_time(&mut out, ms, tz);
    out
}

/// Appends `format_time(ms, tz)` to `out` (records write many times: no formatting machinery).
pub fn write_time(out: &mut String, ms: i64, tz: &TimeZone) {
    let Ok(ts) = jiff::Timestamp::from_millisecond(ms) else {
        out.push_str(&ms.to_string());
        return;
    };
    let offset = tz.to_offset(ts);
    let dt = offset.to_datetime(ts);
    // `YYYY-MM-DDTHH:MM:SS` in one buffer, written at once.
    let mut text = *b"0000-00-00T00:00:00";
    let mut put = |at: usize, n: u32, width: usize| put_digits(&mut text, at, n, width);
    let year = dt.year();
    let four_digits = (0..=9999).contains(&year);
    if four_digits {
        put(0, year as u32, 4);
    }
    put(5, dt.month() as u32, 2);
    put(8, dt.day() as u32, 2);
    put(11, dt.hour() as u32, 2);
    put(14, dt.minute() as u32, 2);
    put(17, dt.second() as u32, 2);
    let text = std::str::from_utf8(&text).unwrap_or_default();
    if four_digits {
        out.push_str(text);
    } else {
        // Outside what four digits hold (jiff allows ±9999).
        out.push_str(&format!("{year:04}"));
        out.push_str(text.get(4..).unwrap_or_default());
    }
    write_fraction_and_offset(out, dt.subsec_nanosecond(), offset.seconds());
}

/// Writes times in one zone as `write_time` does, remembering the span of event time over
/// which the zone's offset last looked up holds: records write several times each (the alert's
/// and its evidence's), close together, and the zone's lookup is most of the work.
#[derive(Debug, Clone)]
pub struct TimeWriter {
    tz: TimeZone,
    /// `[start, end)` in milliseconds, and the zone's offset there in seconds.
    span: std::cell::Cell<(i64, i64, i32)>,
}

impl TimeWriter {
    pub fn new(tz: TimeZone) -> TimeWriter {
        TimeWriter {
            tz,
            span: std::cell::Cell::new((0, 0, 0)),
        }
    }

    /// The zone.
    pub fn zone(&self) -> &TimeZone {
        &self.tz
    }

    /// Appends `format_time(ms, zone)` to `out`.
    pub fn write(&self, out: &mut String, ms: i64) {
        let (start, end, offset) = self.span.get();
        let offset = if start <= ms && ms < end {
            offset
        } else {
            match self.look_up(ms) {
                Some(offset) => offset,
                None => return write_time(out, ms, &self.tz),
            }
        };
        let local = ms + i64::from(offset) * 1000;
        let days = local.div_euclid(86_400_000);
        let in_day = local.rem_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        if !(0..=9999).contains(&year) {
            return write_time(out, ms, &self.tz);
        }
        let secs = in_day / 1000;
        // `YYYY-MM-DDTHH:MM:SS.fff+HH:MM` at the longest, in one buffer written at once.
        let mut text: [u8; 29] = *b"0000-00-00T00:00:00          ";
        put_digits(&mut text, 0, year as u32, 4);
        put_digits(&mut text, 5, month as u32, 2);
        put_digits(&mut text, 8, day as u32, 2);
        put_digits(&mut text, 11, (secs / 3600) as u32, 2);
        put_digits(&mut text, 14, (secs / 60 % 60) as u32, 2);
        put_digits(&mut text, 17, (secs % 60) as u32, 2);
        let len = put_fraction_and_offset(&mut text, 19, (in_day % 1000) as u32, offset);
        // Only ASCII digits and separators were written.
        let text = text.get(..len).unwrap_or_default();
        out.push_str(std::str::from_utf8(text).unwrap_or_default());
    }

    /// The milliseconds since local midnight at `ms` (`None` outside the times the zone can
    /// tell): what `hour` and `minute` read, without a civil date when the zone's offset over
    /// the span is remembered.
    pub fn local_ms_of_day(&self, ms: i64) -> Option<i64> {
        // A remembered span may reach past what a timestamp can be (a zone without
        // transitions spans all of `i64`).
        jiff::Timestamp::from_millisecond(ms).ok()?;
        let (start, end, offset) = self.span.get();
        let offset = if start <= ms && ms < end {
            offset
        } else {
            self.look_up(ms)?
        };
        Some((ms + i64::from(offset) * 1000).rem_euclid(86_400_000))
    }

    /// The zone's offset at `ms`, remembering the span it holds over (from the transition
    /// before `ms` to the one after); `None` outside the times the zone can tell.
    fn look_up(&self, ms: i64) -> Option<i32> {
        let ts = jiff::Timestamp::from_millisecond(ms).ok()?;
        let offset = self.tz.to_offset(ts);
        let end = self
            .tz
            .following(ts)
            .next()
            .map_or(i64::MAX, |t| t.timestamp().as_millisecond());
        // The transition before is the span's start only if the offset is already this one
        // there (a transition exactly at `ms` makes `ms` itself the start).
        let start = match self.tz.preceding(ts).next() {
            None => i64::MIN,
            Some(t) if self.tz.to_offset(t.timestamp()) == offset => t.timestamp().as_millisecond(),
            Some(_) => ms,
        };
        let secs = offset.seconds();
        if start <= ms && ms < end {
            self.span.set((start, end, secs));
        }
        Some(secs)
    }
}

/// Writes the last `width` decimal digits of `n` into `text[at..at + width]`.
// PANIC SAFETY: every caller passes a buffer of fixed size and positions within it (the time
// writer's 29 bytes, the fraction and offset's 10 at most).
#[allow(clippy::indexing_slicing)]
fn put_digits(text: &mut [u8], at: usize, n: u32, width: usize) {
    let mut n = n;
    for i in (at..at + width).rev() {
        text[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01; H. Hinnant's
/// algorithm, the inverse of `days_from_civil`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `.fff` when there are milliseconds, then `Z` or `±HH:MM`.
fn write_fraction_and_offset(out: &mut String, nanos: i32, offset_secs: i32) {
    let mut text = [0u8; 10];
    let len = put_fraction_and_offset(&mut text, 0, (nanos / 1_000_000) as u32, offset_secs);
    let text = text.get(..len).unwrap_or_default();
    out.push_str(std::str::from_utf8(text).unwrap_or_default());
}

/// Puts `.fff` (unless `millis` is 0) and the offset (`Z` or `±HH:MM`) into `text` from `at`,
/// which needs 10 bytes there; returns where they end.
// PANIC SAFETY: both callers leave 10 bytes from `at` (a 29-byte buffer from 19, a 10-byte one
// from 0), and this writes at most `.fff+HH:MM`, 10 bytes.
#[allow(clippy::indexing_slicing)]
fn put_fraction_and_offset(text: &mut [u8], at: usize, millis: u32, offset_secs: i32) -> usize {
    let mut len = at;
    if millis != 0 {
        text[len] = b'.';
        put_digits(text, len + 1, millis, 3);
        len += 4;
    }
    if offset_secs == 0 {
        text[len] = b'Z';
        return len + 1;
    }
    let a = offset_secs.unsigned_abs();
    text[len] = if offset_secs < 0 { b'-' } else { b'+' };
    put_digits(text, len + 1, a / 3600, 2);
    text[len + 3] = b':';
    put_digits(text, len + 4, (a % 3600) / 60, 2);
    len + 6
}

/// An ISO 8601 duration as SPEC §7 reads one: `P[nD][T[nH][nM][n[.f]S]]`, at least one
/// part, in that order, integers except the seconds (whose digits beyond the millisecond are
/// truncated). `P1DT` (a `T` with nothing after it), `PT1.5H` and weeks or months are refused.
pub fn parse_iso_duration(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not an ISO 8601 duration such as PT30M or P1D");
    let body = text.strip_prefix('P').ok_or_else(bad)?;
    let (date, time) = match body.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return Err(bad()),
        None => (body, None),
    };
    let mut total: i64 = 0;
    let mut add = |ms: Option<i64>| -> Result<(), String> {
        total = ms.and_then(|ms| total.checked_add(ms)).ok_or_else(bad)?;
        Ok(())
    };
    let whole = |n: &str, unit: i64| -> Option<i64> {
        if n.is_empty() || !n.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        n.parse::<i64>().ok()?.checked_mul(unit)
    };
    if !date.is_empty() {
        let days = date.strip_suffix('D').ok_or_else(bad)?;
        add(whole(days, DAY))?;
    }
    let Some(mut rest) = time else {
        return if date.is_empty() {
            Err(bad())
        } else {
            Ok(total)
        };
    };
    for (unit, ms) in [('H', HOUR), ('M', MINUTE)] {
        if let Some((n, after)) = rest.split_once(unit) {
            add(whole(n, ms))?;
            rest = after;
        }
    }
    if !rest.is_empty() {
        let secs = rest.strip_suffix('S').ok_or_else(bad)?;
        let (int, frac) = secs.split_once('.').unwrap_or((secs, ""));
        if secs.contains('.') && frac.is_empty() || !frac.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let millis = frac
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(3)
            .fold(0, |v, d| v * 10 + i64::from(d - b'0'));
        add(whole(int, SECOND).and_then(|ms| ms.checked_add(millis)))?;
    }
    Ok(total)
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
    fn the_fast_time_parser_agrees_with_jiff() {
        for text in [
            "2021-11-25T19:00:00+08:00",
            "2021-11-25T19:00:00Z",
            "2020-02-29T23:59:59.999-05:30",
            "1969-12-31T23:59:59.5Z",
            "2000-01-01t00:00:00.123456789z",
            "2400-12-31T12:00:00+14:00",
        ] {
            assert_eq!(
                parse_time_fast(text.as_bytes()),
                parse_time_slow(text).ok(),
                "{text}"
            );
        }
        for bad in [
            "2021-02-29T00:00:00Z",
            "2021-11-25T24:00:00Z",
            "2021-11-25T19:00:00+8:00",
            "2021-11-25T19:00:00",
        ] {
            assert_eq!(parse_time_fast(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn clocks_with_any_byte_out_of_place_are_refused() {
        let good = *b"2021-11-25T19:07:58Z";
        assert_eq!(clock(&good), Some((19, 7, 58)));
        // Every byte of `HH:MM:SS` replaced by each value: accepted exactly when it is still
        // a digit where a digit goes (a colon where a colon goes), as the general parser says.
        for i in 11..19 {
            for v in 0..=255u8 {
                let mut b = good;
                b[i] = v;
                let text = std::str::from_utf8(&b).ok();
                let fast = parse_time_fast(&b);
                let slow = text.and_then(|t| parse_time_slow(t).ok());
                assert_eq!(fast, slow, "byte {i} = {v:#04x}");
                let digit_place = !matches!(i, 13 | 16);
                let fits = if digit_place {
                    v.is_ascii_digit()
                } else {
                    v == b':'
                };
                assert_eq!(clock(&b).is_some(), fits, "byte {i} = {v:#04x}");
            }
        }
    }

    #[test]
    fn a_remembered_date_gives_the_same_instants() {
        // Each time parsed twice in a row (the second with the date remembered), then in a
        // different order; every one agrees with jiff.
        let texts = [
            "2021-11-25T19:00:00+08:00",
            "2021-11-25T23:59:59.250+08:00",
            "2021-11-25T00:00:00-05:00",
            "2021-11-26T00:00:00Z",
            "2021-11-25T24:00:00+08:00",
            "2021-02-29T00:00:00Z",
            "2021-11-25T19:00:00",
        ];
        for text in texts.iter().chain(texts.iter().rev()) {
            for _ in 0..2 {
                assert_eq!(
                    parse_time_fast(text.as_bytes()),
                    parse_time_slow(text).ok(),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn printed_times_parse_back_to_the_same_instant_in_every_zone() {
        let zones = ["UTC", "Asia/Shanghai", "America/New_York", "Asia/Kolkata"];
        // From 1970: before that some zones had offsets with seconds (local mean time), which
        // RFC 3339 cannot print.
        let mut ms: i64 = 123;
        while ms < 4_102_444_800_000 {
            for z in zones {
                let tz = time_zone(z).expect("zone");
                let text = format_time(ms, &tz);
                assert_eq!(parse_time(&text), Ok(ms), "{text} in {z}");
                // The offset printed is the zone's at that instant.
                let offset = tz.to_offset(jiff::Timestamp::from_millisecond(ms).expect("ts"));
                let expected_suffix = if offset.seconds() == 0 {
                    "Z".to_string()
                } else {
                    let a = offset.seconds().unsigned_abs();
                    let sign = if offset.seconds() < 0 { '-' } else { '+' };
                    format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
                };
                assert!(text.ends_with(&expected_suffix), "{text} in {z}");
            }
            ms += 86_399_997_001 / 7; // about every 143 days, at varying times of day
        }
    }

    #[test]
    fn the_time_writer_prints_what_format_time_prints() {
        // Across DST transitions and back and forth in time, as records write an alert's time
        // and then its evidence's.
        for z in [
            "UTC",
            "Asia/Shanghai",
            "America/New_York",
            "Europe/London",
            "Asia/Kolkata",
        ] {
            let tz = time_zone(z).expect("zone");
            let w = TimeWriter::new(tz.clone());
            let start = parse_time("2021-03-13T00:00:00Z").expect("time");
            let mut ms = start;
            let mut back = 0;
            while ms < start + 400 * 86_400_000 {
                for t in [ms, ms - back, ms + 1, ms - 3_600_000] {
                    let mut got = String::new();
                    w.write(&mut got, t);
                    assert_eq!(got, format_time(t, &tz), "{t} in {z}");
                    // The local time of day that `hour` and `minute` read, the same way.
                    let local = tz.to_datetime(jiff::Timestamp::from_millisecond(t).expect("t"));
                    let of_day = w.local_ms_of_day(t).expect("in range");
                    assert_eq!(of_day / 3_600_000, i64::from(local.hour()), "{t} in {z}");
                    assert_eq!(
                        of_day / 60_000 % 60,
                        i64::from(local.minute()),
                        "{t} in {z}"
                    );
                }
                ms += 1_037_001; // about every 17 minutes, at varying milliseconds
                back = (back + 7_919_000) % 86_400_000;
            }
        }
        // Far from now, and at the very ends of what the zone can tell.
        let w = TimeWriter::new(time_zone("Europe/Paris").expect("zone"));
        for t in [
            i64::MIN,
            -62_135_596_800_001,
            0,
            253_402_300_799_999,
            i64::MAX,
        ] {
            let mut got = String::new();
            w.write(&mut got, t);
            assert_eq!(got, format_time(t, w.zone()), "{t}");
        }
        // Past what a timestamp can be, no time of day, even from a span that reaches it.
        let utc = TimeWriter::new(TimeZone::UTC);
        assert_eq!(utc.local_ms_of_day(3_600_000), Some(3_600_000));
        assert_eq!(utc.local_ms_of_day(i64::MAX), None);
        assert_eq!(utc.local_ms_of_day(i64::MIN), None);
    }

    #[test]
    fn years_beyond_four_digits_print_whole() {
        let ms = days_from_civil(-1, 3, 4) * 86_400_000 + (5 * 3600 + 6 * 60 + 7) * 1000;
        assert_eq!(format_time(ms, &TimeZone::UTC), "-001-03-04T05:06:07Z");
    }

    #[test]
    fn iso_durations() {
        assert_eq!(parse_iso_duration("P1D"), Ok(DAY));
        assert_eq!(parse_iso_duration("PT30M"), Ok(30 * MINUTE));
        assert_eq!(parse_iso_duration("PT1.5S"), Ok(1500));
        assert_eq!(parse_iso_duration("P1DT2H"), Ok(DAY + 2 * HOUR));
        assert_eq!(parse_iso_duration("PT4M1S"), Ok(4 * MINUTE + 1000));
        assert_eq!(
            parse_iso_duration("PT0.0019S"),
            Ok(1),
            "truncated, not rounded"
        );
        assert_eq!(parse_iso_duration("P2DT0S"), Ok(2 * DAY));
        for bad in [
            "P1M",
            "30",
            "P",
            "PT",
            "P1DT",
            "PT1.5H30M",
            "PT1.5M",
            "P1.5D",
            "P1W",
            "PT1S2M",
            "-PT1S",
            "pt1s",
            "PT.5S",
            "PT1.S",
            "PT1,5S",
            "P1H",
            "PTS",
            "PT1H1H",
        ] {
            assert!(parse_iso_duration(bad).is_err(), "{bad}");
        }
    }
}
