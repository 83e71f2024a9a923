//! The reference interpreter: evaluates IR expressions over rows, with the operator semantics
//! of `vigil_ir::ops`. The JIT is tested against it.

use std::collections::HashMap;
use std::sync::Arc;

use smol_str::SmolStr;
use vigil_ir::eval::Inputs;
use vigil_ir::{ExprArena, ExprId, Node, Point, SetValue, Value, ZoneDef};

use crate::row::{Layout, Row};

pub use vigil_ir::ops::EvalError;

/// What an expression can read besides constants: the events in its slots, the key, the
/// window's aggregates, and in workflows the previous state and visit counts.
#[derive(Default)]
pub struct Ctx<'a> {
    pub slots: &'a [Option<&'a Row>],
    pub key: Option<&'a Value>,
    pub aggregates: &'a [Value],
    pub from: Option<&'a str>,
    pub visits: &'a [u32],
    /// In a workflow: the instance's variables, by number.
    pub vars: &'a [Value],
    /// In the fields of `emit ... for x in set`: the element being emitted for.
    pub element: Option<&'a Value>,
}

/// Each regex pattern of the rule set, compiled once, for the interpreter and the JIT's code.
pub type Regexes = HashMap<SmolStr, Arc<regex::Regex>>;

/// The rule set's shared tables: lists (reloadable), zones, compiled regexes, time zone.
pub struct Tables {
    pub layouts: Vec<Layout>,
    pub lists: Vec<Arc<SetValue>>,
    /// The maps' entries (SPEC v0.2), reloadable like the lists.
    pub maps: Vec<Arc<vigil_ir::MapValue>>,
    /// The maps' keys again, hashed to their entries, for the compiled code's lookups.
    pub map_index: Vec<MapIndex>,
    /// The lists again, hashed, for the compiled code's lookups.
    pub list_index: Vec<ListIndex>,
    pub zones: Vec<Zone>,
    pub regexes: Regexes,
    pub tz: jiff::tz::TimeZone,
    /// The rule set's calendar, for `workday`.
    pub calendar: Option<vigil_ir::CalendarDef>,
    /// Writes times in `tz` for records (remembering the zone's offset over a span).
    pub times: vigil_ir::time::TimeWriter,
    /// Each event type's JSON keys, for evidence.
    pub json_keys: Vec<crate::record::EventKeys>,
    /// The rules' and workflows' snapshot identities, computed at the first snapshot or
    /// restore (printing and hashing every rule costs about 1 ms per 1,000 rules).
    pub identities: std::sync::OnceLock<crate::snapshot::Identities>,
}

/// A zone with each polygon's bounding box: a point outside the box is outside the polygon,
/// which ray casting finds only after visiting every edge. (The same answer: outside the box's
/// latitudes no edge straddles the point's; beside its longitudes every crossing lies on one
/// side, an even number of them. Only within rounding of the box's edge could ray casting
/// itself count otherwise, and there the box is right.)
pub struct Zone {
    def: ZoneDef,
    /// `(min lon, max lon, min lat, max lat)` of each polygon's exterior.
    boxes: Vec<(f64, f64, f64, f64)>,
}

impl Zone {
    fn new(def: &ZoneDef) -> Zone {
        let boxes = (def.polygons.iter())
            .map(|poly| {
                poly.exterior.iter().fold(
                    (
                        f64::INFINITY,
                        f64::NEG_INFINITY,
                        f64::INFINITY,
                        f64::NEG_INFINITY,
                    ),
                    |(x0, x1, y0, y1), &(x, y)| (x0.min(x), x1.max(x), y0.min(y), y1.max(y)),
                )
            })
            .collect();
        Zone {
            def: def.clone(),
            boxes,
        }
    }

    /// `ZoneDef::contains`, with the boxes first.
    pub fn contains(&self, p: Point) -> bool {
        let outside = |&(x0, x1, y0, y1): &(f64, f64, f64, f64)| {
            p.lon < x0 || p.lon > x1 || p.lat < y0 || p.lat > y1
        };
        if self.boxes.iter().all(outside) {
            return false;
        }
        self.def.contains(p)
    }
}

impl Tables {
    pub fn new(program: &vigil_ir::Program) -> Tables {
        let mut regexes = HashMap::new();
        let mut collect = |arena: &ExprArena| {
            for id in arena.ids() {
                if let Node::Matches(_, pattern) = arena.node(id)
                    && !regexes.contains_key(pattern)
                    && let Ok(re) = regex::Regex::new(pattern)
                {
                    regexes.insert(pattern.clone(), Arc::new(re));
                }
            }
        };
        for r in &program.rules {
            collect(&r.exprs);
        }
        for w in &program.workflows {
            collect(&w.exprs);
        }
        let lists: Vec<Arc<SetValue>> = program.lists.iter().map(|l| l.values.clone()).collect();
        let maps: Vec<Arc<vigil_ir::MapValue>> =
            program.maps.iter().map(|m| m.entries.clone()).collect();
        Tables {
            layouts: Layout::all(program),
            list_index: lists.iter().map(|l| ListIndex::new(l)).collect(),
            lists,
            map_index: maps.iter().map(|m| MapIndex::new(m)).collect(),
            maps,
            zones: program.zones.iter().map(Zone::new).collect(),
            regexes,
            tz: program.time_zone(),
            calendar: program.calendar.clone(),
            times: vigil_ir::time::TimeWriter::new(program.time_zone()),
            json_keys: crate::record::EventKeys::all(program),
            identities: std::sync::OnceLock::new(),
        }
    }
}

/// A list's contents as hash sets: strings, and one-word values.
#[derive(Debug, Clone, Default)]
pub struct ListIndex {
    pub strs: rustc_hash::FxHashSet<Box<str>>,
    pub words: rustc_hash::FxHashSet<u64>,
}

impl ListIndex {
    pub fn new(set: &SetValue) -> ListIndex {
        let mut ix = ListIndex::default();
        for v in &set.items {
            match v {
                Value::Str(s) => {
                    ix.strs.insert(Box::from(&**s));
                }
                other => {
                    if let Some(w) = crate::row::word_of(other) {
                        ix.words.insert(w);
                    }
                }
            }
        }
        ix
    }
}

/// A map's keys hashed to their entries' positions: strings, and one-word keys.
#[derive(Debug, Clone, Default)]
pub struct MapIndex {
    pub strs: rustc_hash::FxHashMap<Box<str>, u32>,
    pub words: rustc_hash::FxHashMap<u64, u32>,
}

impl MapIndex {
    pub fn new(map: &vigil_ir::MapValue) -> MapIndex {
        let mut ix = MapIndex::default();
        for (i, (k, _)) in map.entries.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            match k {
                Value::Str(s) => {
                    ix.strs.insert(Box::from(&**s), i);
                }
                other => {
                    if let Some(w) = crate::row::word_of(other) {
                        ix.words.insert(w, i);
                    }
                }
            }
        }
        ix
    }
}

impl Tables {
    /// Field `i` of `row`.
    pub fn field(&self, row: &Row, i: u16) -> Value {
        self.layouts
            .get(row.ty as usize)
            .map_or(Value::Absent, |l| row.value(l, i))
    }
}

/// Evaluates `id` (the walk is `ir::eval`, shared with `vigil diff`).
pub fn eval(
    arena: &ExprArena,
    id: ExprId,
    ctx: &Ctx<'_>,
    tables: &Tables,
) -> Result<Value, EvalError> {
    vigil_ir::eval::eval(arena, id, &Reader { ctx, tables })
}

/// The interpreter's inputs: rows in slots, the rule set's tables.
struct Reader<'c, 'a> {
    ctx: &'c Ctx<'a>,
    tables: &'c Tables,
}

impl Inputs for Reader<'_, '_> {
    fn field(&self, slot: u8, field: u16) -> Value {
        slot_row(self.ctx, slot).map_or(Value::Absent, |r| self.tables.field(r, field))
    }

    fn time(&self, slot: u8) -> Value {
        slot_row(self.ctx, slot).map_or(Value::Absent, |r| Value::Time(r.time))
    }

    fn id(&self, slot: u8) -> Value {
        slot_row(self.ctx, slot).map_or(Value::Absent, |r| {
            let id = self
                .tables
                .layouts
                .get(r.ty as usize)
                .map_or(u16::MAX, Layout::id_field);
            self.tables.field(r, id)
        })
    }

    fn in_list(&self, list: u32, value: &Value) -> Option<bool> {
        Some(self.tables.lists.get(list as usize)?.contains(value))
    }

    fn list(&self, list: u32) -> Option<Value> {
        Some(Value::Set(self.tables.lists.get(list as usize)?.clone()))
    }

    fn lookup(&self, map: u32, key: &Value) -> Option<Value> {
        self.tables.maps.get(map as usize)?.get(key).cloned()
    }

    fn matches(&self, pattern: &str, text: &str) -> bool {
        self.tables
            .regexes
            .get(pattern)
            .is_some_and(|re| re.is_match(text))
    }

    fn within(&self, zone: u32, p: Point) -> bool {
        self.tables
            .zones
            .get(zone as usize)
            .is_some_and(|z| z.contains(p))
    }

    fn aggregate(&self, i: u32) -> Value {
        self.ctx
            .aggregates
            .get(i as usize)
            .cloned()
            .unwrap_or(Value::Absent)
    }

    fn key(&self) -> Value {
        self.ctx.key.cloned().unwrap_or(Value::Absent)
    }

    fn from(&self) -> Value {
        self.ctx.from.map_or(Value::Absent, Value::str)
    }

    fn visits(&self, i: u32) -> Value {
        Value::Int(i64::from(
            self.ctx.visits.get(i as usize).copied().unwrap_or(0),
        ))
    }

    fn calendar(&self) -> Option<&vigil_ir::CalendarDef> {
        self.tables.calendar.as_ref()
    }

    fn var(&self, i: u32) -> Value {
        self.ctx
            .vars
            .get(i as usize)
            .cloned()
            .unwrap_or(Value::Absent)
    }

    fn element(&self) -> Value {
        self.ctx.element.cloned().unwrap_or(Value::Absent)
    }

    fn tz(&self) -> &jiff::tz::TimeZone {
        &self.tables.tz
    }
}

fn slot_row<'a>(ctx: &Ctx<'a>, slot: u8) -> Option<&'a Row> {
    ctx.slots.get(slot as usize).copied().flatten()
}

#[cfg(test)]
mod zone_tests {
    use super::Zone;
    use vigil_ir::{Point, Polygon, ZoneDef};

    /// The boxes change no answer: points in, around and far from a concave polygon with a
    /// hole, and a second polygon elsewhere.
    #[test]
    fn a_zone_with_boxes_answers_as_its_polygons() {
        let def = ZoneDef {
            name: "harbour".into(),
            polygons: vec![
                Polygon {
                    exterior: vec![(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (2.0, 1.0), (0.0, 4.0)],
                    holes: vec![vec![(1.0, 0.5), (3.0, 0.5), (2.0, 0.8)]],
                },
                Polygon {
                    exterior: vec![(10.0, 10.0), (11.0, 10.0), (10.5, 11.0)],
                    holes: vec![],
                },
            ],
        };
        let zone = Zone::new(&def);
        let mut inside = 0;
        for i in -20..=240 {
            for j in -20..=240 {
                let p = Point {
                    lat: f64::from(j) * 0.05,
                    lon: f64::from(i) * 0.05,
                };
                assert_eq!(zone.contains(p), def.contains(p), "{p:?}");
                inside += usize::from(def.contains(p));
            }
        }
        assert!(inside > 1000, "{inside} points inside");
    }
}
