//! The rule set's global scope: the signature of every declaration, without rule, workflow or
//! test bodies. Checking one item reads only this and the item itself, so an edit inside one
//! rule never re-checks another.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use smol_str::SmolStr;

use crate::syntax::ast::{self, ItemKind};
use vigil_ir::{self as ir, Ty, Value};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scope {
    /// Every top-level name and the kind of its first definition.
    pub names: BTreeMap<SmolStr, crate::syntax::ItemTag>,
    pub timezone: String,
    pub events: BTreeMap<SmolStr, EventSig>,
    pub enums: BTreeMap<SmolStr, EnumSig>,
    pub units: BTreeMap<SmolStr, u32>,
    /// Per unit with a `sees` clause: the fields of each event type it may see.
    pub sees: BTreeMap<SmolStr, BTreeMap<SmolStr, Vec<SmolStr>>>,
    pub lists: BTreeMap<SmolStr, ListSig>,
    pub maps: BTreeMap<SmolStr, MapSig>,
    pub zones: BTreeMap<SmolStr, u32>,
    pub calendar: Option<SmolStr>,
    pub consts: BTreeMap<SmolStr, ConstSig>,
    pub fns: BTreeMap<SmolStr, FnSig>,
    pub rules: BTreeMap<SmolStr, u32>,
    pub workflows: BTreeMap<SmolStr, WorkflowSig>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventSig {
    pub index: u32,
    pub fields: Vec<FieldSig>,
    /// False when the declaration did not parse or has unknown types: then unknown fields
    /// are not reported, since the fault is in the declaration.
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldSig {
    pub name: SmolStr,
    pub ty: Ty,
    pub optional: bool,
}

impl EventSig {
    /// A field by name, including the implicit `time` and `id` (SPEC §2).
    pub fn field(&self, name: &str) -> Option<FieldRef> {
        match name {
            "time" => Some(FieldRef::Time),
            "id" => Some(FieldRef::Id),
            _ => self
                .fields
                .iter()
                .position(|f| f.name == name)
                .and_then(|i| u16::try_from(i).ok())
                .map(FieldRef::Declared),
        }
    }

    pub fn field_type(&self, field: FieldRef) -> (Ty, bool) {
        match field {
            FieldRef::Time => (Ty::Time, false),
            FieldRef::Id => (Ty::Str, true),
            FieldRef::Declared(i) => self
                .fields
                .get(i as usize)
                .map_or((Ty::Error, false), |f| (f.ty.clone(), f.optional)),
        }
    }

    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields
            .iter()
            .map(|f| f.name.as_str())
            .chain(["time", "id"])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRef {
    Time,
    Id,
    Declared(u16),
}

impl vigil_ir::text::EnumNames for Scope {
    fn variant(&self, enum_name: &str, index: u32) -> Option<&str> {
        match self.enums.get(enum_name) {
            Some(e) => e.variants.get(index as usize).map(|v| v.as_str()),
            None if enum_name == vigil_ir::text::SEVERITY_ENUM => {
                vigil_ir::text::severity_variant(index)
            }
            None => None,
        }
    }

    fn unit(&self, index: u32) -> Option<&str> {
        self.units
            .iter()
            .find(|(_, i)| **i == index)
            .map(|(name, _)| name.as_str())
    }
}

impl vigil_ir::maps::Names for Scope {
    fn variant_index(&self, enum_name: &str, variant: &str) -> Option<u32> {
        let e = self.enums.get(enum_name)?;
        u32::try_from(e.variants.iter().position(|v| v == variant)?).ok()
    }

    fn unit_index(&self, name: &str) -> Option<u32> {
        self.units.get(name).copied()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumSig {
    pub index: u32,
    pub variants: Vec<SmolStr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListSig {
    pub index: u32,
    pub elem: Ty,
}

/// `map name: K -> V` (SPEC v0.2); `Ty::Error` where a type did not resolve.
#[derive(Debug, Clone, PartialEq)]
pub struct MapSig {
    pub index: u32,
    pub key: Ty,
    pub value: Ty,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConstSig {
    pub ty: Ty,
    /// The folded value; `None` when the definition has errors.
    pub value: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FnSig {
    pub params: Vec<(SmolStr, Ty)>,
    pub ret: Ty,
    /// The body, inlined at each call.
    pub body: Arc<ast::Expr>,
    pub param_names: Vec<ast::Ident>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowSig {
    pub index: ir::WorkflowId,
    pub states: Vec<SmolStr>,
    /// The `start on` event type, if declared.
    pub start_event: Option<SmolStr>,
}

impl Scope {
    /// The type a type expression names, or `None` if it names nothing.
    pub fn resolve_type(&self, t: &ast::TypeExpr) -> Option<Ty> {
        let base = match t.name.name.as_str() {
            "bool" => Ty::Bool,
            "int" => Ty::Int,
            "float" => Ty::Float,
            "str" => Ty::Str,
            "time" => Ty::Time,
            "duration" => Ty::Duration,
            "point" => Ty::Point,
            "unit" => Ty::Unit,
            "set" => Ty::Set(Box::new(self.resolve_type(t.arg.as_deref()?)?)),
            name if self.enums.contains_key(name) => Ty::Enum(SmolStr::new(name)),
            _ => return None,
        };
        Some(base)
    }

    /// Every name a type may be written as, for "did you mean".
    pub fn type_names(&self) -> Vec<&str> {
        let mut v = vec![
            "bool", "int", "float", "str", "time", "duration", "point", "unit", "set",
        ];
        v.extend(self.enums.keys().map(|k| k.as_str()));
        v
    }

    /// Enums that have a variant called `name`.
    pub fn enums_with_variant(&self, name: &str) -> Vec<(&SmolStr, u32)> {
        self.enums
            .iter()
            .filter_map(|(e, sig)| {
                let i = sig.variants.iter().position(|v| v == name)?;
                Some((e, u32::try_from(i).ok()?))
            })
            .collect()
    }
}

/// `items` are the declarations in rule-set order (rules and tests left out: only the rules'
/// names matter here).
pub(crate) fn declare(items: &[&ast::Item], rule_names: &[SmolStr]) -> Scope {
    let mut scope = Scope {
        timezone: "UTC".into(),
        ..Scope::default()
    };
    for name in rule_names {
        scope
            .names
            .entry(name.clone())
            .or_insert(crate::syntax::ItemTag::Rule);
        let next = u32::try_from(scope.rules.len()).unwrap_or(u32::MAX);
        scope.rules.entry(name.clone()).or_insert(next);
    }
    for item in items {
        if let Some(name) = item.name() {
            scope
                .names
                .entry(name.name.clone())
                .or_insert_with(|| tag_of(&item.kind));
        }
        match &item.kind {
            ItemKind::Timezone(tz) => scope.timezone = tz.raw.to_string(),
            ItemKind::Enum(e) => {
                scope.enums.entry(e.name.name.clone()).or_insert(EnumSig {
                    index: 0,
                    variants: e.variants.iter().map(|v| v.name.clone()).collect(),
                });
            }
            ItemKind::Unit(u) => {
                // Units are numbered in declaration order: a `set<unit>`'s members are
                // addressed in that order (SPEC v0.2).
                let next = u32::try_from(scope.units.len()).unwrap_or(u32::MAX);
                scope.units.entry(u.name.name.clone()).or_insert(next);
                if let Some(list) = &u.sees {
                    let sees = scope.sees.entry(u.name.name.clone()).or_default();
                    for s in list {
                        let fields = sees.entry(s.event.name.clone()).or_default();
                        fields.extend(s.fields.iter().map(|f| f.name.clone()));
                    }
                }
            }
            ItemKind::Zone(z) => {
                scope.zones.entry(z.name.name.clone()).or_insert(0);
            }
            ItemKind::Calendar(c) => {
                scope.calendar.get_or_insert_with(|| c.name.name.clone());
            }
            ItemKind::Workflow(w) => {
                let mut states = Vec::new();
                let mut start_event = None;
                for c in &w.clauses {
                    match c {
                        ast::WorkflowClause::State(s) => states.push(s.name.name.clone()),
                        ast::WorkflowClause::Start(m, _) => {
                            start_event.get_or_insert_with(|| m.ty.name.clone());
                        }
                        ast::WorkflowClause::Title(_)
                        | ast::WorkflowClause::After(_)
                        | ast::WorkflowClause::Var(_) => {}
                    }
                }
                let index = ir::Id::new(scope.workflows.len());
                scope
                    .workflows
                    .entry(w.name.name.clone())
                    .or_insert(WorkflowSig {
                        index,
                        states,
                        start_event,
                    });
            }
            _ => {}
        }
    }
    // Types refer to enums, so events, lists and fns come second.
    for item in items {
        match &item.kind {
            ItemKind::Event(e) if !scope.events.contains_key(&e.name.name) => {
                let mut complete = true;
                let fields = e
                    .fields
                    .iter()
                    .map(|f| {
                        let ty = scope.resolve_type(&f.ty).unwrap_or_else(|| {
                            complete = false;
                            Ty::Error
                        });
                        FieldSig {
                            name: f.name.name.clone(),
                            ty,
                            optional: f.ty.optional,
                        }
                    })
                    .collect();
                scope.events.insert(
                    e.name.name.clone(),
                    EventSig {
                        index: 0,
                        fields,
                        complete,
                    },
                );
            }
            ItemKind::List(l) if !scope.lists.contains_key(&l.name.name) => {
                let elem = match &l.source {
                    ast::ListSource::File(_) => Ty::Str,
                    ast::ListSource::Literal(e) => literal_list_type(&scope, e),
                };
                scope
                    .lists
                    .insert(l.name.name.clone(), ListSig { index: 0, elem });
            }
            ItemKind::Map(m) if !scope.maps.contains_key(&m.name.name) => {
                let sig = MapSig {
                    index: 0,
                    key: scope.resolve_type(&m.key).unwrap_or(Ty::Error),
                    value: scope.resolve_type(&m.value).unwrap_or(Ty::Error),
                };
                scope.maps.insert(m.name.name.clone(), sig);
            }
            ItemKind::Fn(f) if !scope.fns.contains_key(&f.name.name) => {
                let params = f
                    .params
                    .iter()
                    .map(|p| {
                        (
                            p.name.name.clone(),
                            scope.resolve_type(&p.ty).unwrap_or(Ty::Error),
                        )
                    })
                    .collect();
                let ret = scope.resolve_type(&f.ret).unwrap_or(Ty::Error);
                scope.fns.insert(
                    f.name.name.clone(),
                    FnSig {
                        params,
                        ret,
                        body: Arc::new(f.body.clone()),
                        param_names: f.params.iter().map(|p| p.name.clone()).collect(),
                    },
                );
            }
            _ => {}
        }
    }
    number(&mut scope);
    scope
}

/// Gives every table entry its position in name order: the ids the IR uses. Rules and
/// workflows keep their declaration order, which orders their records (SPEC §7).
fn number(scope: &mut Scope) {
    for (i, sig) in scope.events.values_mut().enumerate() {
        sig.index = u32::try_from(i).unwrap_or(u32::MAX);
    }
    for (i, sig) in scope.enums.values_mut().enumerate() {
        sig.index = u32::try_from(i).unwrap_or(u32::MAX);
    }
    for (i, sig) in scope.lists.values_mut().enumerate() {
        sig.index = u32::try_from(i).unwrap_or(u32::MAX);
    }
    for (i, sig) in scope.maps.values_mut().enumerate() {
        sig.index = u32::try_from(i).unwrap_or(u32::MAX);
    }
    for (i, v) in scope.zones.values_mut().enumerate() {
        *v = u32::try_from(i).unwrap_or(u32::MAX);
    }
}

/// The element type of a literal list, read from its first element (the checker reports
/// elements of other types).
fn literal_list_type(scope: &Scope, e: &ast::Expr) -> Ty {
    let ast::ExprKind::Set(items) = &e.kind else {
        return Ty::Error;
    };
    let Some(first) = items.first() else {
        return Ty::Error;
    };
    match &first.kind {
        ast::ExprKind::Str(_) => Ty::Str,
        ast::ExprKind::Int(_) => Ty::Int,
        ast::ExprKind::Float(_) => Ty::Float,
        ast::ExprKind::Duration(_) => Ty::Duration,
        ast::ExprKind::Bool(_) => Ty::Bool,
        ast::ExprKind::Time(_) => Ty::Time,
        ast::ExprKind::Name(n) => {
            // The enum that has every element as a variant, else the first that has this one.
            let names: Vec<&str> = items
                .iter()
                .filter_map(|i| match &i.kind {
                    ast::ExprKind::Name(n) => Some(n.name.as_str()),
                    _ => None,
                })
                .collect();
            let all: BTreeSet<&SmolStr> = scope
                .enums
                .iter()
                .filter(|(_, sig)| names.iter().all(|n| sig.variants.iter().any(|v| v == n)))
                .map(|(k, _)| k)
                .collect();
            if let Some(e) = all.into_iter().next() {
                return Ty::Enum(e.clone());
            }
            scope
                .enums_with_variant(&n.name)
                .first()
                .map_or(Ty::Error, |(e, _)| Ty::Enum((*e).clone()))
        }
        _ => Ty::Error,
    }
}

pub fn tag_of(kind: &ItemKind) -> crate::syntax::ItemTag {
    use crate::syntax::ItemTag;
    match kind {
        ItemKind::Timezone(_) => ItemTag::Timezone,
        ItemKind::Unit(_) => ItemTag::Unit,
        ItemKind::Calendar(_) => ItemTag::Calendar,
        ItemKind::Enum(_) => ItemTag::Enum,
        ItemKind::Event(_) => ItemTag::Event,
        ItemKind::List(_) => ItemTag::List,
        ItemKind::Map(_) => ItemTag::Map,
        ItemKind::Zone(_) => ItemTag::Zone,
        ItemKind::Const(_) => ItemTag::Const,
        ItemKind::Fn(_) => ItemTag::Fn,
        ItemKind::Rule(_) => ItemTag::Rule,
        ItemKind::Workflow(_) => ItemTag::Workflow,
        ItemKind::Test(_) => ItemTag::Test,
    }
}
