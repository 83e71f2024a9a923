//! What each operator and built-in does to values (SPEC §3). The one place for these facts:
//! constant folding in the compiler and the runtime's interpreter both call these functions,
//! and the JIT is tested against the interpreter.

use std::sync::Arc;

use super::Aggregate;
use super::expr::{AggKind, BinOp, Builtin, UnOp};
use super::value::{Point, Value};

/// Why an expression has no value for an event. The whole condition is then false for that
/// event, and the run summary counts it (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EvalError {
    Overflow,
    DivisionByZero,
}

impl EvalError {
    pub fn as_str(self) -> &'static str {
        match self {
            EvalError::Overflow => "integer overflow",
            EvalError::DivisionByZero => "division by zero",
        }
    }
}

pub type EvalResult = Result<Value, EvalError>;

/// Whether a value counts as true in a condition: only `true` does; absent counts as false.
pub fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

pub fn unary(op: UnOp, v: &Value) -> EvalResult {
    Ok(match (op, v) {
        (UnOp::Not, v) => Value::Bool(!truthy(v)),
        (UnOp::Neg, Value::Absent) => Value::Absent,
        (UnOp::Neg, Value::Int(i)) => Value::Int(i.checked_neg().ok_or(EvalError::Overflow)?),
        (UnOp::Neg, Value::Float(f)) => Value::Float(-f),
        (UnOp::Neg, Value::Duration(d)) => {
            Value::Duration(d.checked_neg().ok_or(EvalError::Overflow)?)
        }
        _ => Value::Absent,
    })
}

pub fn binary(op: BinOp, a: &Value, b: &Value) -> EvalResult {
    if op.is_comparison() {
        return Ok(Value::Bool(compare(op, a, b)));
    }
    if a.is_absent() || b.is_absent() {
        return Ok(Value::Absent);
    }
    use Value::*;
    let ovf = EvalError::Overflow;
    Ok(match (op, a, b) {
        (BinOp::Add, Int(x), Int(y)) => Int(x.checked_add(*y).ok_or(ovf)?),
        (BinOp::Sub, Int(x), Int(y)) => Int(x.checked_sub(*y).ok_or(ovf)?),
        (BinOp::Mul, Int(x), Int(y)) => Int(x.checked_mul(*y).ok_or(ovf)?),
        (BinOp::Div, Int(x), Int(y)) => Int(int_div(*x, *y)?),
        (BinOp::Rem, Int(x), Int(y)) => Int(int_rem(*x, *y)?),
        (BinOp::Add, Float(x), Float(y)) => float(x + y)?,
        (BinOp::Sub, Float(x), Float(y)) => float(x - y)?,
        (BinOp::Mul, Float(x), Float(y)) => float(x * y)?,
        (BinOp::Div, Float(x), Float(y)) if *y == 0.0 => return Err(EvalError::DivisionByZero),
        (BinOp::Div, Float(x), Float(y)) => float(x / y)?,
        (BinOp::Rem, Float(x), Float(y)) if *y == 0.0 => return Err(EvalError::DivisionByZero),
        (BinOp::Rem, Float(x), Float(y)) => float(x % y)?,
        (BinOp::Add, Duration(x), Duration(y)) => Duration(x.checked_add(*y).ok_or(ovf)?),
        (BinOp::Sub, Duration(x), Duration(y)) => Duration(x.checked_sub(*y).ok_or(ovf)?),
        (BinOp::Mul, Duration(x), Int(y)) | (BinOp::Mul, Int(y), Duration(x)) => {
            Duration(x.checked_mul(*y).ok_or(ovf)?)
        }
        (BinOp::Div, Duration(x), Int(y)) => Duration(int_div(*x, *y)?),
        (BinOp::Div, Duration(x), Duration(y)) => Int(int_div(*x, *y)?),
        (BinOp::Rem, Duration(x), Duration(y)) => Duration(int_rem(*x, *y)?),
        (BinOp::Sub, Time(x), Time(y)) => Duration(x.checked_sub(*y).ok_or(ovf)?),
        (BinOp::Add, Time(x), Duration(y)) | (BinOp::Add, Duration(y), Time(x)) => {
            Time(x.checked_add(*y).ok_or(ovf)?)
        }
        (BinOp::Sub, Time(x), Duration(y)) => Time(x.checked_sub(*y).ok_or(ovf)?),
        (BinOp::Add, Str(x), Str(y)) => {
            let mut s = String::with_capacity(x.len() + y.len());
            s.push_str(x);
            s.push_str(y);
            Str(Arc::from(s))
        }
        _ => Absent,
    })
}

fn float(f: f64) -> EvalResult {
    if f.is_finite() {
        Ok(Value::Float(f))
    } else {
        Err(EvalError::Overflow)
    }
}

fn int_div(x: i64, y: i64) -> Result<i64, EvalError> {
    if y == 0 {
        return Err(EvalError::DivisionByZero);
    }
    x.checked_div(y).ok_or(EvalError::Overflow)
}

fn int_rem(x: i64, y: i64) -> Result<i64, EvalError> {
    if y == 0 {
        return Err(EvalError::DivisionByZero);
    }
    x.checked_rem(y).ok_or(EvalError::Overflow)
}

/// A comparison; false whenever either side is absent.
pub fn compare(op: BinOp, a: &Value, b: &Value) -> bool {
    use Value::*;
    use std::cmp::Ordering;
    let ord = match (a, b) {
        (Absent, _) | (_, Absent) => return false,
        (Int(x), Int(y)) => x.cmp(y),
        (Float(x), Float(y)) => match x.partial_cmp(y) {
            Some(o) => o,
            None => return false,
        },
        (Str(x), Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Time(x), Time(y)) | (Duration(x), Duration(y)) => x.cmp(y),
        (Bool(x), Bool(y)) => x.cmp(y),
        (Enum(x), Enum(y)) | (Unit(x), Unit(y)) => x.cmp(y),
        (Point(x), Point(y)) => {
            let same = x.lat == y.lat && x.lon == y.lon;
            if same {
                Ordering::Equal
            } else {
                Ordering::Less
            }
        }
        _ => return false,
    };
    match op {
        BinOp::Eq => ord == Ordering::Equal,
        BinOp::Ne => ord != Ordering::Equal,
        BinOp::Lt => ord == Ordering::Less,
        BinOp::Le => ord != Ordering::Greater,
        BinOp::Gt => ord == Ordering::Greater,
        BinOp::Ge => ord != Ordering::Less,
        _ => false,
    }
}

/// `v in set`, or `v not in set` when `negated`. For an absent `v`, `in` is false and
/// `not in` true: `not` applies after (SPEC §3).
pub fn in_set(v: &Value, set: &Value, negated: bool) -> Value {
    match (v, set) {
        (Value::Absent, _) => Value::Bool(negated),
        (_, Value::Absent) => Value::Bool(false),
        (v, Value::Set(s)) => Value::Bool(s.contains(v) != negated),
        _ => Value::Bool(false),
    }
}

/// A built-in applied to values; absent arguments give an absent result.
/// Built-in `f` over `args`, in the rule set's time zone `tz` and `calendar` (`workday`;
/// none: Monday to Friday).
pub fn call(
    f: Builtin,
    args: &[Value],
    tz: &jiff::tz::TimeZone,
    calendar: Option<&crate::CalendarDef>,
) -> EvalResult {
    if args.iter().any(Value::is_absent) {
        return Ok(Value::Absent);
    }
    use Value::*;
    Ok(match (f, args) {
        (Builtin::Len, [Str(s)]) => {
            Int(i64::try_from(s.chars().count()).map_err(|_| EvalError::Overflow)?)
        }
        (Builtin::Len, [Set(s)]) => {
            Int(i64::try_from(s.items.len()).map_err(|_| EvalError::Overflow)?)
        }
        (Builtin::Lower, [Str(s)]) => Str(Arc::from(s.to_lowercase())),
        (Builtin::Upper, [Str(s)]) => Str(Arc::from(s.to_uppercase())),
        (Builtin::Contains, [Str(s), Str(p)]) => Bool(s.contains(&**p)),
        (Builtin::StartsWith, [Str(s), Str(p)]) => Bool(s.starts_with(&**p)),
        (Builtin::EndsWith, [Str(s), Str(p)]) => Bool(s.ends_with(&**p)),
        (Builtin::Abs, [Int(i)]) => Int(i.checked_abs().ok_or(EvalError::Overflow)?),
        (Builtin::Abs, [Float(x)]) => Float(x.abs()),
        (Builtin::Abs, [Duration(d)]) => Duration(d.checked_abs().ok_or(EvalError::Overflow)?),
        (Builtin::Min, [a, b]) => {
            if compare(super::expr::BinOp::Le, a, b) {
                a.clone()
            } else {
                b.clone()
            }
        }
        (Builtin::Max, [a, b]) => {
            if compare(super::expr::BinOp::Ge, a, b) {
                a.clone()
            } else {
                b.clone()
            }
        }
        (Builtin::Float, [Int(i)]) => Float(*i as f64),
        (Builtin::Float, [Float(x)]) => Float(*x),
        (Builtin::Int, [Float(x)]) => {
            let t = x.trunc();
            // i64::MAX as f64 rounds up to 2^63, which is already out of range.
            if !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&t) {
                return Err(EvalError::Overflow);
            }
            Int(t as i64)
        }
        (Builtin::Int, [Int(i)]) => Int(*i),
        (Builtin::Hour, [Time(t)]) => Int(i64::from(local(*t, tz)?.hour())),
        (Builtin::Minute, [Time(t)]) => Int(i64::from(local(*t, tz)?.minute())),
        (Builtin::Workday, [Time(t)]) => Bool(workday(local(*t, tz)?.date(), calendar)),
        (Builtin::Date, [Time(t)]) => Str(Arc::from(local(*t, tz)?.date().to_string())),
        (Builtin::Intersects, [Set(a), Set(b)]) => {
            // Both are sorted: probe the larger with the smaller's elements.
            let (small, large) = if a.items.len() <= b.items.len() {
                (a, b)
            } else {
                (b, a)
            };
            Bool(small.items.iter().any(|v| large.contains(v)))
        }
        // Rust's integer division truncates toward zero, as SPEC v0.2 says `seconds` does.
        (Builtin::Seconds, [Duration(d)]) => Int(*d / 1000),
        (Builtin::Weekday, [Time(t)]) => {
            Int(i64::from(local(*t, tz)?.weekday().to_monday_one_offset()))
        }
        (Builtin::Distance, [Point(p), Point(q)]) => Float(haversine(*p, *q)),
        (Builtin::Point, [Float(lat), Float(lon)]) => Point(super::value::Point {
            lat: *lat,
            lon: *lon,
        }),
        _ => Absent,
    })
}

/// Whether `date` is a working day of `calendar` (Monday to Friday without one).
fn workday(date: jiff::civil::Date, calendar: Option<&crate::CalendarDef>) -> bool {
    match calendar {
        Some(c) => c.is_workday(date),
        None => !matches!(
            date.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        ),
    }
}

fn local(ms: i64, tz: &jiff::tz::TimeZone) -> Result<jiff::civil::DateTime, EvalError> {
    let ts = jiff::Timestamp::from_millisecond(ms).map_err(|_| EvalError::Overflow)?;
    Ok(tz.to_datetime(ts))
}

/// The mean Earth radius in metres that `distance` measures with.
pub const EARTH_RADIUS: f64 = 6_371_008.8;

/// `haversine(p, q) <op> limit` for an ordering `op` (`<`, `<=`, `>`, `>=`), without the
/// trigonometry when the latitudes alone decide: the great-circle distance is at least the arc
/// between the two latitudes (`hav(d) = hav(Δφ) + cos φ1 cos φ2 hav(Δλ)`, the cosines not
/// negative for latitudes within ±90°). Past the limit by a margin far above the rounding of
/// either computation, the haversine is past it too, so the answer is always the full
/// computation's.
pub fn distance_compares(p: Point, q: Point, op: BinOp, limit: f64) -> bool {
    let valid = p.lat.abs() <= 90.0 && q.lat.abs() <= 90.0;
    let bound = EARTH_RADIUS * (q.lat - p.lat).to_radians().abs();
    if valid && bound > limit * (1.0 + 1e-9) + 1e-6 {
        return matches!(op, BinOp::Gt | BinOp::Ge | BinOp::Ne);
    }
    let d = haversine(p, q);
    match op {
        BinOp::Lt => d < limit,
        BinOp::Le => d <= limit,
        BinOp::Gt => d > limit,
        BinOp::Ge => d >= limit,
        BinOp::Eq => d == limit,
        _ => d != limit,
    }
}

/// Great-circle distance in metres on the mean Earth sphere.
pub fn haversine(p: Point, q: Point) -> f64 {
    const R: f64 = EARTH_RADIUS;
    let (la1, la2) = (p.lat.to_radians(), q.lat.to_radians());
    let dla = la2 - la1;
    let dlo = (q.lon - p.lon).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().min(1.0).asin()
}

/// Whether `p` lies inside the polygon ring `ring` (lon/lat pairs), by ray casting. Points on
/// the boundary may fall either way, as with every floating-point point-in-polygon test.
pub fn ring_contains(ring: &[(f64, f64)], p: Point) -> bool {
    let (x, y) = (p.lon, p.lat);
    let mut inside = false;
    // Each vertex with the one before it, the first with the last.
    let before = ring.last().into_iter().chain(ring);
    for (&(xi, yi), &(xj, yj)) in ring.iter().zip(before) {
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
    }
    inside
}

/// The aggregates of a window of `len` events (SPEC §4.1). `values(i)` lists, in window order,
/// the values of the `i`-th aggregate that has an argument (each event computed its own when it
/// joined). Sums and averages over no values are absent.
pub fn aggregates<'v, I>(
    aggs: &[Aggregate],
    len: usize,
    values: impl Fn(usize) -> I,
) -> Result<Vec<Value>, EvalError>
where
    I: Iterator<Item = &'v Value>,
{
    let count = |n: usize| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
    let mut out = Vec::with_capacity(aggs.len());
    let mut arg_index = 0;
    for a in aggs {
        let i = arg_index;
        if a.arg.is_some() {
            arg_index += 1;
        }
        out.push(match a.kind {
            AggKind::Count => count(len),
            AggKind::Distinct => {
                let mut seen: Vec<&Value> = values(i).collect();
                seen.sort_by(|x, y| x.total_cmp(y));
                seen.dedup_by(|x, y| x.total_cmp(y).is_eq());
                count(seen.len())
            }
            AggKind::Sum => {
                let mut acc: Option<Value> = None;
                for v in values(i) {
                    acc = Some(match acc {
                        None => v.clone(),
                        Some(a) => binary(BinOp::Add, &a, v)?,
                    });
                }
                acc.unwrap_or(Value::Absent)
            }
            AggKind::Min | AggKind::Max => {
                let op = if a.kind == AggKind::Min {
                    BinOp::Lt
                } else {
                    BinOp::Gt
                };
                let mut best: Option<&Value> = None;
                for v in values(i) {
                    if best.is_none_or(|b| compare(op, v, b)) {
                        best = Some(v);
                    }
                }
                best.cloned().unwrap_or(Value::Absent)
            }
            AggKind::Avg => average(values(i))?,
        });
    }
    Ok(out)
}

/// The mean of durations (a duration) or of numbers (a float); absent over no values.
fn average<'v>(values: impl Iterator<Item = &'v Value>) -> EvalResult {
    let vals: Vec<&Value> = values.collect();
    let Some(first) = vals.first() else {
        return Ok(Value::Absent);
    };
    let n = vals.len();
    Ok(match first {
        Value::Duration(_) => {
            let sum: i128 = vals
                .iter()
                .map(|v| match v {
                    Value::Duration(d) => i128::from(*d),
                    _ => 0,
                })
                .sum();
            let mean = sum / i128::try_from(n).unwrap_or(i128::MAX);
            Value::Duration(i64::try_from(mean).map_err(|_| EvalError::Overflow)?)
        }
        _ => {
            let sum: f64 = vals
                .iter()
                .map(|v| match v {
                    Value::Int(i) => *i as f64,
                    Value::Float(f) => *f,
                    _ => 0.0,
                })
                .sum();
            Value::Float(sum / n as f64)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_follows_spec_section_3() {
        assert_eq!(
            binary(BinOp::Add, &Value::Int(i64::MAX), &Value::Int(1)),
            Err(EvalError::Overflow)
        );
        assert_eq!(
            binary(BinOp::Div, &Value::Int(1), &Value::Int(0)),
            Err(EvalError::DivisionByZero)
        );
        assert_eq!(
            binary(BinOp::Div, &Value::Int(i64::MIN), &Value::Int(-1)),
            Err(EvalError::Overflow)
        );
        assert_eq!(
            binary(BinOp::Sub, &Value::Time(10_000), &Value::Time(4_000)),
            Ok(Value::Duration(6_000))
        );
        assert_eq!(
            binary(BinOp::Add, &Value::Absent, &Value::Int(1)),
            Ok(Value::Absent)
        );
    }

    #[test]
    fn comparisons_with_absent_are_false_and_not_applies_after() {
        assert!(!compare(BinOp::Eq, &Value::Absent, &Value::Int(1)));
        assert!(!compare(BinOp::Ne, &Value::Absent, &Value::Int(1)));
        let cmp = Value::Bool(compare(BinOp::Eq, &Value::Absent, &Value::Int(1)));
        assert_eq!(unary(UnOp::Not, &cmp), Ok(Value::Bool(true)));
    }

    #[test]
    fn a_distance_compared_by_latitude_first_is_the_haversine_compared() {
        // Points over a region as wide as a province, some exactly at the limit, and
        // latitudes out of range (where the shortcut does not hold and is not taken).
        let mut seed = 0x5eed_u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let ops = [BinOp::Lt, BinOp::Le, BinOp::Gt, BinOp::Ge];
        let mut shortcut = 0;
        for k in 0..20_000 {
            let spread = if k % 10 == 0 { 200.0 } else { 3.0 };
            let p = Point {
                lat: 24.0 + spread * (next() - 0.5),
                lon: 119.0 + 3.0 * next(),
            };
            let q = Point {
                lat: 24.0 + 3.0 * (next() - 0.5),
                lon: 119.0 + 3.0 * next(),
            };
            let d = haversine(p, q);
            let limits = [
                0.0,
                459.0,
                14_508.0,
                200_000.0 * next(),
                d,
                d.next_up(),
                d.next_down(),
            ];
            for limit in limits {
                for op in ops {
                    let want = match op {
                        BinOp::Lt => d < limit,
                        BinOp::Le => d <= limit,
                        BinOp::Gt => d > limit,
                        _ => d >= limit,
                    };
                    assert_eq!(
                        distance_compares(p, q, op, limit),
                        want,
                        "{p:?} {q:?} {op:?} {limit}"
                    );
                }
                let bound = EARTH_RADIUS * (q.lat - p.lat).to_radians().abs();
                shortcut += usize::from(bound > limit * (1.0 + 1e-9) + 1e-6);
            }
        }
        assert!(shortcut > 10_000, "the latitudes decided {shortcut} times");
    }

    #[test]
    fn distance_and_polygons() {
        let a = Point {
            lat: 22.5,
            lon: 114.0,
        };
        let b = Point {
            lat: 22.5,
            lon: 114.01,
        };
        let d = haversine(a, b);
        assert!((d - 1028.0).abs() < 5.0, "{d}");
        let square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)];
        assert!(ring_contains(&square, Point { lat: 0.5, lon: 0.5 }));
        assert!(!ring_contains(&square, Point { lat: 1.5, lon: 0.5 }));
    }
}
