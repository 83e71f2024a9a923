//! Host functions the generated code calls for what is not worth inlining: string comparison
//! and search, set and list membership, regexes, zones, time zones, geodesy.
//!
//! Every helper is `extern "C"`, takes plain integers, floats and pointers, and never panics
//! (a panic cannot unwind through generated code). Pointers to strings always point into a
//! row's text or a constant of the compiled code, both valid UTF-8.

use rustc_hash::FxHashSet;
use vigil_ir::{BinOp, Point, ops};

use crate::interp::Tables;

/// The bytes at `p..p+len` as text.
///
/// SAFETY: callers pass pointers into a row's text or a string constant of the compiled code,
/// both valid UTF-8 that outlive the call.
unsafe fn text<'a>(p: *const u8, len: u64) -> &'a str {
    if len == 0 || p.is_null() {
        return "";
    }
    // SAFETY: see the function's contract.
    unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(p, len as usize)) }
}

pub(crate) extern "C" fn str_eq(a: *const u8, al: u64, b: *const u8, bl: u64) -> u8 {
    // SAFETY: string arguments come from rows or constants (see `text`).
    u8::from(al == bl && unsafe { text(a, al) == text(b, bl) })
}

pub(crate) extern "C" fn str_cmp(a: *const u8, al: u64, b: *const u8, bl: u64) -> i64 {
    // SAFETY: as above.
    let (x, y) = unsafe { (text(a, al), text(b, bl)) };
    x.as_bytes().cmp(y.as_bytes()) as i64
}

pub(crate) extern "C" fn str_contains(a: *const u8, al: u64, b: *const u8, bl: u64) -> u8 {
    // SAFETY: as above.
    u8::from(unsafe { text(a, al).contains(text(b, bl)) })
}

pub(crate) extern "C" fn str_starts_with(a: *const u8, al: u64, b: *const u8, bl: u64) -> u8 {
    // SAFETY: as above.
    u8::from(unsafe { text(a, al).starts_with(text(b, bl)) })
}

pub(crate) extern "C" fn str_ends_with(a: *const u8, al: u64, b: *const u8, bl: u64) -> u8 {
    // SAFETY: as above.
    u8::from(unsafe { text(a, al).ends_with(text(b, bl)) })
}

pub(crate) extern "C" fn str_chars(a: *const u8, al: u64) -> i64 {
    // SAFETY: as above.
    i64::try_from(unsafe { text(a, al) }.chars().count()).unwrap_or(i64::MAX)
}

/// Membership in a constant set of strings owned by the compiled code.
pub(crate) extern "C" fn str_in_set(set: *const FxHashSet<Box<str>>, a: *const u8, al: u64) -> u8 {
    // SAFETY: `set` points at a set owned by the `JitCode` that holds the calling function.
    let set = unsafe { &*set };
    // SAFETY: as above.
    u8::from(set.contains(unsafe { text(a, al) }))
}

/// Membership in a constant set of one-word values owned by the compiled code.
pub(crate) extern "C" fn word_in_set(set: *const FxHashSet<u64>, w: u64) -> u8 {
    // SAFETY: as for `str_in_set`.
    let set = unsafe { &*set };
    u8::from(set.contains(&w))
}

/// Membership in list `list` (its current contents: lists can be reloaded).
pub(crate) extern "C" fn str_in_list(
    tables: *const Tables,
    list: u64,
    a: *const u8,
    al: u64,
) -> u8 {
    // SAFETY: the engine passes its own tables, alive for the call.
    let tables = unsafe { &*tables };
    // SAFETY: as above.
    let s = unsafe { text(a, al) };
    u8::from(
        tables
            .list_index
            .get(list as usize)
            .is_some_and(|ix| ix.strs.contains(s)),
    )
}

pub(crate) extern "C" fn word_in_list(tables: *const Tables, list: u64, w: u64) -> u8 {
    // SAFETY: as for `str_in_list`.
    let tables = unsafe { &*tables };
    u8::from(
        tables
            .list_index
            .get(list as usize)
            .is_some_and(|ix| ix.words.contains(&w)),
    )
}

pub(crate) extern "C" fn matches(re: *const regex::Regex, a: *const u8, al: u64) -> u8 {
    // SAFETY: `re` points at a regex owned by the calling function's `JitCode`.
    let re = unsafe { &*re };
    // SAFETY: as above.
    u8::from(re.is_match(unsafe { text(a, al) }))
}

pub(crate) extern "C" fn within(tables: *const Tables, zone: u64, lat: f64, lon: f64) -> u8 {
    // SAFETY: as for `str_in_list`.
    let tables = unsafe { &*tables };
    u8::from(
        tables
            .zones
            .get(zone as usize)
            .is_some_and(|z| z.contains(Point { lat, lon })),
    )
}

/// `distance(p, q) <op> limit` for `op` 0 `<`, 1 `<=`, 2 `>`, 3 `>=` (`ops::distance_compares`:
/// most far points are judged by their latitudes alone).
pub(crate) extern "C" fn distance_cmp(
    lat1: f64,
    lon1: f64,
    lat2: f64,
    lon2: f64,
    limit: f64,
    op: i64,
) -> i8 {
    let op = match op {
        0 => BinOp::Lt,
        1 => BinOp::Le,
        2 => BinOp::Gt,
        _ => BinOp::Ge,
    };
    let (p, q) = (point(lat1, lon1), point(lat2, lon2));
    i8::from(ops::distance_compares(p, q, op, limit))
}

pub(crate) extern "C" fn distance(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    ops::haversine(point(lat1, lon1), point(lat2, lon2))
}

fn point(lat: f64, lon: f64) -> Point {
    Point { lat, lon }
}

pub(crate) extern "C" fn fmod(x: f64, y: f64) -> f64 {
    x % y
}

/// Built-in `f` of the local clock at `t` as a word (a bool as 0 or 1), or -1 when `t` is
/// out of range.
fn clock(tables: *const Tables, f: vigil_ir::Builtin, t: i64) -> i64 {
    // SAFETY: as for `str_in_list`.
    let tables = unsafe { &*tables };
    let args = [vigil_ir::Value::Time(t)];
    match ops::call(f, &args, &tables.tz, tables.calendar.as_ref()) {
        Ok(vigil_ir::Value::Int(n)) => n,
        Ok(vigil_ir::Value::Bool(b)) => i64::from(b),
        _ => -1,
    }
}

/// The local hour of `t`, or -1 when `t` is out of range. From the zone's offset over a
/// remembered span (`TimeWriter`): a rule set that asks the hour in many rules asks it of
/// times close together.
pub(crate) extern "C" fn hour(tables: *const Tables, t: i64) -> i64 {
    // SAFETY: as for `str_in_list`.
    let times = unsafe { &(*tables).times };
    match times.local_ms_of_day(t) {
        Some(ms) => ms / 3_600_000,
        None => clock(tables, vigil_ir::Builtin::Hour, t),
    }
}

/// The local minute of the hour of `t`, or -1 when `t` is out of range (as `hour`).
pub(crate) extern "C" fn minute(tables: *const Tables, t: i64) -> i64 {
    // SAFETY: as for `str_in_list`.
    let times = unsafe { &(*tables).times };
    match times.local_ms_of_day(t) {
        Some(ms) => ms / 60_000 % 60,
        None => clock(tables, vigil_ir::Builtin::Minute, t),
    }
}

/// 1 when the local date of `t` is a working day of the rule set's calendar, else 0; -1 when
/// `t` is out of range.
pub(crate) extern "C" fn workday(tables: *const Tables, t: i64) -> i64 {
    clock(tables, vigil_ir::Builtin::Workday, t)
}

/// The local ISO weekday of `t` (1 = Monday), or -1 when `t` is out of range.
pub(crate) extern "C" fn weekday(tables: *const Tables, t: i64) -> i64 {
    clock(tables, vigil_ir::Builtin::Weekday, t)
}

/// The entry of map `map` (its current contents: maps reload) at a string key, or -1.
pub(crate) extern "C" fn map_find_str(
    tables: *const Tables,
    map: u64,
    k: *const u8,
    kl: u64,
) -> i64 {
    // SAFETY: as for `str_in_list`.
    let tables = unsafe { &*tables };
    // SAFETY: as above.
    let key = unsafe { text(k, kl) };
    tables
        .map_index
        .get(map as usize)
        .and_then(|ix| ix.strs.get(key))
        .map_or(-1, |i| i64::from(*i))
}

/// The entry of map `map` at a one-word key (an int or an enum value), or -1.
pub(crate) extern "C" fn map_find_word(tables: *const Tables, map: u64, w: u64) -> i64 {
    // SAFETY: as for `str_in_list`.
    let tables = unsafe { &*tables };
    tables
        .map_index
        .get(map as usize)
        .and_then(|ix| ix.words.get(&w))
        .map_or(-1, |i| i64::from(*i))
}

/// The value of entry `entry` of map `map` as a word (an int, time, duration, enum value,
/// unit, bool, or a float's bits); 0 for no such entry.
pub(crate) extern "C" fn map_word(tables: *const Tables, map: u64, entry: i64) -> u64 {
    let value = map_value(tables, map, entry);
    match value {
        Some(vigil_ir::Value::Float(f)) => f.to_bits(),
        Some(v) => crate::row::word_of(v).unwrap_or(0),
        None => 0,
    }
}

/// The text of entry `entry` of map `map` (a string value) and, through `len`, its length.
pub(crate) extern "C" fn map_str(tables: *const Tables, map: u64, entry: i64) -> *const u8 {
    match map_value(tables, map, entry) {
        Some(vigil_ir::Value::Str(s)) => s.as_ptr(),
        _ => std::ptr::null(),
    }
}

pub(crate) extern "C" fn map_str_len(tables: *const Tables, map: u64, entry: i64) -> u64 {
    match map_value(tables, map, entry) {
        Some(vigil_ir::Value::Str(s)) => s.len() as u64,
        _ => 0,
    }
}

fn map_value<'t>(tables: *const Tables, map: u64, entry: i64) -> Option<&'t vigil_ir::Value> {
    // SAFETY: as for `str_in_list`; the value lives in the tables, which outlive the call.
    let tables: &'t Tables = unsafe { &*tables };
    let entries = &tables.maps.get(map as usize)?.entries;
    entries.get(usize::try_from(entry).ok()?).map(|(_, v)| v)
}

// Sets (SPEC v0.2 `set<T>` fields and constants) reach the compiled code as their encoded
// text (`row::set_text`); `words` is 1 for members stored as words (ints, enum values,
// units), 0 for strings.

/// How many members the set has.
pub(crate) extern "C" fn set_len(p: *const u8, len: u64, words: u64) -> i64 {
    // SAFETY: the set's text is a row's or a constant of the compiled code (see `text`).
    let set = unsafe { text(p, len) };
    let n = if words == 1 {
        crate::row::set_text::words(set).count()
    } else {
        crate::row::set_text::strs(set).count()
    };
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Whether the set holds the string `k`.
pub(crate) extern "C" fn set_has_str(p: *const u8, len: u64, k: *const u8, kl: u64) -> u8 {
    // SAFETY: as for `set_len`, and `k` is a string (see `text`).
    let (set, k) = unsafe { (text(p, len), text(k, kl)) };
    u8::from(crate::row::set_text::strs(set).any(|m| m == k))
}

/// Whether the set holds the word `w`.
pub(crate) extern "C" fn set_has_word(p: *const u8, len: u64, w: u64) -> u8 {
    // SAFETY: as for `set_len`.
    let set = unsafe { text(p, len) };
    u8::from(crate::row::set_text::words(set).any(|m| m == w))
}

/// Whether two sets share a member.
pub(crate) extern "C" fn set_meets_set(
    a: *const u8,
    al: u64,
    b: *const u8,
    bl: u64,
    words: u64,
) -> u8 {
    // SAFETY: as for `set_len`.
    let (x, y) = unsafe { (text(a, al), text(b, bl)) };
    u8::from(if words == 1 {
        crate::row::set_text::words(x).any(|m| crate::row::set_text::words(y).any(|n| n == m))
    } else {
        crate::row::set_text::strs(x).any(|m| crate::row::set_text::strs(y).any(|n| n == m))
    })
}

/// Whether the set shares a member with list `list` (its current contents).
pub(crate) extern "C" fn set_meets_list(
    tables: *const Tables,
    list: u64,
    p: *const u8,
    len: u64,
    words: u64,
) -> u8 {
    // SAFETY: as for `str_in_list` and `set_len`.
    let (tables, set) = unsafe { (&*tables, text(p, len)) };
    let Some(ix) = tables.list_index.get(list as usize) else {
        return 0;
    };
    u8::from(if words == 1 {
        crate::row::set_text::words(set).any(|m| ix.words.contains(&m))
    } else {
        crate::row::set_text::strs(set).any(|m| ix.strs.contains(m))
    })
}
