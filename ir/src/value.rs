//! Types and values of the IR.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

use smol_str::SmolStr;

/// A value type. `Error` stands for a type the checker could not determine; it is compatible
/// with everything so one mistake is reported once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Ty {
    Bool,
    Int,
    Float,
    Str,
    Time,
    Duration,
    Point,
    Enum(SmolStr),
    /// One of the rule set's declared units (SPEC v0.2): routes an alert to a unit named in
    /// the data.
    Unit,
    Set(Box<Ty>),
    Zone,
    Error,
}

impl Ty {
    pub fn is_error(&self) -> bool {
        matches!(self, Ty::Error)
    }

    /// Whether a value of `self` can be used where `other` is expected.
    pub fn fits(&self, other: &Ty) -> bool {
        match (self, other) {
            (Ty::Error, _) | (_, Ty::Error) => true,
            (Ty::Set(a), Ty::Set(b)) => a.fits(b),
            _ => self == other,
        }
    }

    /// Whether values of this type can be compared with `<`, `<=`, `>` and `>=`.
    pub fn is_ordered(&self) -> bool {
        matches!(
            self,
            Ty::Int | Ty::Float | Ty::Str | Ty::Time | Ty::Duration | Ty::Error
        )
    }

    /// Whether the type can be a key (group, sequence, suppression, workflow instance).
    pub fn is_key(&self) -> bool {
        matches!(
            self,
            Ty::Bool
                | Ty::Int
                | Ty::Str
                | Ty::Time
                | Ty::Duration
                | Ty::Enum(_)
                | Ty::Unit
                | Ty::Error
        )
    }

    /// The type as a user writes it, with an article for messages: "an int".
    pub fn described(&self) -> String {
        match self {
            Ty::Int | Ty::Error => format!("an {self}"),
            Ty::Enum(name) => format!("a `{name}` value"),
            _ => format!("a {self}"),
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Bool => f.write_str("bool"),
            Ty::Int => f.write_str("int"),
            Ty::Float => f.write_str("float"),
            Ty::Str => f.write_str("str"),
            Ty::Time => f.write_str("time"),
            Ty::Duration => f.write_str("duration"),
            Ty::Point => f.write_str("point"),
            Ty::Enum(name) => write!(f, "{name}"),
            Ty::Unit => f.write_str("unit"),
            Ty::Set(elem) => write!(f, "set<{elem}>"),
            Ty::Zone => f.write_str("zone"),
            Ty::Error => f.write_str("unknown type"),
        }
    }
}

/// A runtime value. Times are milliseconds since the Unix epoch (UTC), durations milliseconds.
/// `Absent` is an optional field that is missing (SPEC §3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Absent,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    Time(i64),
    Duration(i64),
    Point(Point),
    /// An enum value: its position in the enum's declaration.
    Enum(u32),
    /// A unit (SPEC v0.2): its position in the program's units.
    Unit(u32),
    Set(Arc<SetValue>),
}

/// A WGS84 position in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

/// A constant set, sorted for binary search and deduplicated.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SetValue {
    pub items: Vec<Value>,
}

impl SetValue {
    pub fn new(mut items: Vec<Value>) -> SetValue {
        items.sort_by(Value::total_cmp);
        items.dedup();
        SetValue { items }
    }

    pub fn contains(&self, v: &Value) -> bool {
        self.items
            .binary_search_by(|probe| probe.total_cmp(v))
            .is_ok()
    }
}

/// The entries of a map (SPEC v0.2), sorted by key for binary search; keys are unique.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MapValue {
    pub entries: Vec<(Value, Value)>,
}

impl MapValue {
    /// A map of `entries`, or the first key given twice.
    pub fn new(mut entries: Vec<(Value, Value)>) -> Result<MapValue, Value> {
        entries.sort_by(|a, b| a.0.total_cmp(&b.0));
        if let Some([(k, _), _]) = entries
            .windows(2)
            .find_map(|w| <&[_; 2]>::try_from(w).ok().filter(|[a, b]| a.0 == b.0))
        {
            return Err(k.clone());
        }
        Ok(MapValue { entries })
    }

    pub fn get(&self, key: &Value) -> Option<&Value> {
        self.entries
            .binary_search_by(|(k, _)| k.total_cmp(key))
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v)
    }
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }

    pub fn is_absent(&self) -> bool {
        matches!(self, Value::Absent)
    }

    /// A total order over values of one type (floats by `total_cmp`), used for sorting sets
    /// and keys; values of different types order by their variant.
    pub fn total_cmp(&self, other: &Value) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            (Value::Float(a), Value::Float(b)) => a.total_cmp(b),
            (Value::Str(a), Value::Str(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Value::Time(a), Value::Time(b)) | (Value::Duration(a), Value::Duration(b)) => a.cmp(b),
            (Value::Enum(a), Value::Enum(b)) | (Value::Unit(a), Value::Unit(b)) => a.cmp(b),
            (Value::Point(a), Value::Point(b)) => {
                a.lat.total_cmp(&b.lat).then(a.lon.total_cmp(&b.lon))
            }
            (Value::Set(a), Value::Set(b)) => a.items.len().cmp(&b.items.len()),
            (Value::Absent, Value::Absent) => Ordering::Equal,
            _ => self.rank().cmp(&other.rank()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Absent => 0,
            Value::Bool(_) => 1,
            Value::Int(_) => 2,
            Value::Float(_) => 3,
            Value::Str(_) => 4,
            Value::Time(_) => 5,
            Value::Duration(_) => 6,
            Value::Point(_) => 7,
            Value::Enum(_) => 8,
            Value::Set(_) => 9,
            Value::Unit(_) => 10,
        }
    }
}

/// Alert severities, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
    pub const NAMES: [&'static str; 4] = [
        Severity::Low.as_str(),
        Severity::Medium.as_str(),
        Severity::High.as_str(),
        Severity::Critical.as_str(),
    ];

    pub fn parse(name: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == name)
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}
