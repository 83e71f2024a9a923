//! Checking and lowering expressions in one pass: each expression gets its type, its IR node,
//! and its diagnostics. Constant subexpressions are folded as they are built.

use smol_str::SmolStr;

use super::literal;
use super::scope::{FieldRef, Scope};
use super::{Facts, Target};
use crate::diagnostics::*;
use crate::syntax::Span;
use crate::syntax::ast::{self, BinaryOp, ExprKind, UnaryOp};
use vigil_ir::{
    self as ir, AggKind, BinOp, Builtin, ExprArena, ExprId, Node, Ty, UnOp, Value, ops,
};

/// An expression's IR node and type; `optional` when it may be absent for some events.
#[derive(Debug, Clone)]
pub(crate) struct Typed {
    pub id: ExprId,
    pub ty: Ty,
    pub optional: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Binding {
    /// An event bound by a pattern, readable in `slot`.
    Event { slot: u8, event: SmolStr, def: Span },
    /// A value: a `fn` parameter while its body is inlined.
    Value(Typed),
}

/// What an expression may refer to besides the global scope.
#[derive(Debug, Clone, Default)]
pub(crate) struct Env {
    bindings: Vec<(SmolStr, Binding)>,
    /// An event whose fields may be named directly (workflow conditions, patterns without a
    /// binding): its slot and type.
    pub implicit: Option<(u8, SmolStr)>,
}

impl Env {
    pub fn bind_event(&mut self, name: &ast::Ident, slot: u8, event: &SmolStr) {
        self.bindings.push((
            name.name.clone(),
            Binding::Event {
                slot,
                event: event.clone(),
                def: name.span,
            },
        ));
    }

    pub fn push_value(&mut self, name: SmolStr, b: Binding) {
        self.bindings.push((name, b));
    }

    /// Ends the scope of the binding pushed last.
    pub fn pop(&mut self) {
        self.bindings.pop();
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<&Binding> {
        self.bindings
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.bindings.iter().map(|(n, _)| n.as_str())
    }

    pub fn event_bindings(&self) -> impl Iterator<Item = (&SmolStr, u8, &SmolStr)> {
        self.bindings.iter().filter_map(|(n, b)| match b {
            Binding::Event { slot, event, .. } => Some((n, *slot, event)),
            Binding::Value(_) => None,
        })
    }
}

/// The workflow an expression is in: `visits(s)` and `{from}` are available.
#[derive(Debug, Clone)]
pub(crate) struct WorkflowCx {
    pub name: SmolStr,
    pub states: Vec<SmolStr>,
    /// Variables declared so far (`var`), with their types: `Node::Var(i)` reads number `i`.
    pub vars: Vec<(SmolStr, Ty)>,
}

pub(crate) struct ExprCx<'a> {
    pub scope: &'a Scope,
    pub arena: ExprArena,
    pub diags: Vec<Diag>,
    pub facts: Facts,
    pub env: Env,
    pub tz: jiff::tz::TimeZone,
    /// `Some` where window aggregates may be used; collects them.
    pub aggregates: Option<Vec<ir::Aggregate>>,
    /// The type of `key` where a group or sequence key exists.
    pub key: Option<Ty>,
    pub workflow: Option<WorkflowCx>,
    /// Nonzero while inlining a `fn` body: its mistakes are reported at the `fn`.
    quiet: u32,
    inlining: Vec<SmolStr>,
    /// While inlining: the outermost call's span, given to every node of the inlined body
    /// (the body's own spans are in the `fn` item, not in the item being checked).
    call_site: Option<Span>,
}

impl<'a> ExprCx<'a> {
    pub fn new(scope: &'a Scope) -> ExprCx<'a> {
        ExprCx {
            scope,
            arena: ExprArena::default(),
            diags: Vec::new(),
            facts: Facts::default(),
            env: Env::default(),
            tz: vigil_ir::time::time_zone(&scope.timezone).unwrap_or(jiff::tz::TimeZone::UTC),
            aggregates: None,
            key: None,
            workflow: None,
            quiet: 0,
            inlining: Vec::new(),
            call_site: None,
        }
    }

    /// Adds a node; inside an inlined `fn` body it takes the call's span.
    fn push(&mut self, node: Node, ty: Ty, span: Span) -> ExprId {
        self.arena.push(node, ty, self.call_site.unwrap_or(span))
    }

    pub fn report(&mut self, d: impl Into<Diag>) {
        if self.quiet == 0 {
            self.diags.push(d.into());
        }
    }

    fn refer(&mut self, span: Span, target: Target) {
        if self.quiet == 0 {
            self.facts.refs.push((span, target));
        }
    }

    fn error(&mut self, span: Span) -> Typed {
        Typed {
            id: self.push(Node::Const(Value::Absent), Ty::Error, span),
            ty: Ty::Error,
            optional: false,
        }
    }

    fn constant(&mut self, v: Value, ty: Ty, span: Span) -> Typed {
        Typed {
            id: self.push(Node::Const(v), ty.clone(), span),
            ty,
            optional: false,
        }
    }

    /// Pushes `node`, folding it to a constant when every operand is one.
    fn node(&mut self, node: Node, ty: Ty, optional: bool, span: Span) -> Typed {
        let folded = self.fold(&node);
        let id = match folded {
            Some(v) => self.push(Node::Const(v), ty.clone(), span),
            None => self.push(node, ty.clone(), span),
        };
        if self.quiet == 0 {
            self.facts.types.push((span, ty.clone(), optional));
        }
        Typed { id, ty, optional }
    }

    fn fold(&self, node: &Node) -> Option<Value> {
        let c = |id: &ExprId| self.arena.as_const(*id);
        match node {
            Node::Unary(op, a) => ops::unary(*op, c(a)?).ok(),
            Node::Binary(op, a, b) => ops::binary(*op, c(a)?, c(b)?).ok(),
            Node::And(a, b) => Some(Value::Bool(ops::truthy(c(a)?) && ops::truthy(c(b)?))),
            Node::Or(a, b) => Some(Value::Bool(ops::truthy(c(a)?) || ops::truthy(c(b)?))),
            Node::In {
                value,
                set,
                negated,
            } => Some(ops::in_set(c(value)?, c(set)?, *negated)),
            Node::Coalesce(a, b) => {
                let a = c(a)?;
                Some(if a.is_absent() {
                    c(b)?.clone()
                } else {
                    a.clone()
                })
            }
            // `workday` reads the calendar's contents, which are data the checker does not fold.
            Node::Call(f, args) if *f != Builtin::Workday => {
                let vals: Option<Vec<Value>> = args.iter().map(|a| c(a).cloned()).collect();
                ops::call(*f, &vals?, &self.tz, None).ok()
            }
            _ => None,
        }
    }

    /// `if c then a else b`: a bool condition and two branches of one type (SPEC v0.2). The
    /// value may be absent when either branch may be.
    fn if_expr(
        &mut self,
        (c, a, b): (&ast::Expr, &ast::Expr, &ast::Expr),
        expected: Option<&Ty>,
        span: Span,
    ) -> Typed {
        let c = self.condition(c);
        // A bare enum value takes its enum from the other branch.
        let (ta, tb) = if self.is_variant_name(a) && !self.is_variant_name(b) {
            let tb = self.check(b, expected);
            (self.check(a, Some(&tb.ty)), tb)
        } else {
            let ta = self.check(a, expected);
            let tb = self.check(b, Some(&ta.ty).filter(|t| !t.is_error()).or(expected));
            (ta, tb)
        };
        if ta.ty.is_error() || tb.ty.is_error() {
            return self.error(span);
        }
        if !tb.ty.fits(&ta.ty) {
            self.report(TypeMismatch {
                span: b.span,
                expected: format!("{} like the `then` branch", ta.ty.described()),
                found: tb.ty.described(),
                help: Some("both branches of `if` have one type".into()),
            });
            return self.error(span);
        }
        let optional = ta.optional || tb.optional;
        self.node(Node::If(c, ta.id, tb.id), ta.ty, optional, span)
    }

    /// Checks a condition: it must be a `bool`.
    pub fn condition(&mut self, e: &ast::Expr) -> ExprId {
        let t = self.check(e, Some(&Ty::Bool));
        if !t.ty.fits(&Ty::Bool) {
            self.report(TypeMismatch {
                span: e.span,
                expected: "a bool condition".into(),
                found: t.ty.described(),
                help: None,
            });
        }
        t.id
    }

    /// Checks an expression that must be a positive constant duration (`within`, `for`).
    pub fn constant_duration(&mut self, e: &ast::Expr, what: &str) -> Option<i64> {
        let t = self.check(e, Some(&Ty::Duration));
        if t.ty.is_error() {
            return None;
        }
        if t.ty != Ty::Duration {
            self.report(TypeMismatch {
                span: e.span,
                expected: format!("a duration for {what}"),
                found: t.ty.described(),
                help: Some("write a duration such as `15m`, `2h` or `7d`".into()),
            });
            return None;
        }
        match self.arena.as_const(t.id) {
            Some(Value::Duration(ms)) if *ms > 0 => Some(*ms),
            Some(Value::Duration(_)) => {
                self.report(BadDuration {
                    span: e.span,
                    text: literal::source_text(e),
                    reason: "must be longer than zero".into(),
                    help: None,
                });
                None
            }
            _ => {
                self.report(NotConstant {
                    span: e.span,
                    what: what.to_string(),
                });
                None
            }
        }
    }

    /// Checks an expression that must be a constant (test values, `expires`); returns its
    /// value and type.
    pub fn constant_value(
        &mut self,
        e: &ast::Expr,
        expected: Option<&Ty>,
        what: &str,
    ) -> Option<(Value, Ty)> {
        let t = self.check(e, expected);
        if t.ty.is_error() {
            return None;
        }
        match self.arena.as_const(t.id) {
            Some(v) => Some((v.clone(), t.ty)),
            None => {
                self.report(NotConstant {
                    span: e.span,
                    what: what.to_string(),
                });
                None
            }
        }
    }

    pub fn check(&mut self, e: &ast::Expr, expected: Option<&Ty>) -> Typed {
        let span = e.span;
        match &e.kind {
            ExprKind::If(c, a, b) => self.if_expr((c, a, b), expected, span),
            ExprKind::Int(text) => match literal::int(text) {
                Ok(v) => self.constant(Value::Int(v), Ty::Int, span),
                Err(reason) => {
                    self.report(BadNumber {
                        span,
                        text: text.to_string(),
                        reason,
                    });
                    self.error(span)
                }
            },
            ExprKind::Float(text) => match text.parse::<f64>() {
                Ok(v) if v.is_finite() => self.constant(Value::Float(v), Ty::Float, span),
                _ => {
                    self.report(BadNumber {
                        span,
                        text: text.to_string(),
                        reason: "not a finite number".into(),
                    });
                    self.error(span)
                }
            },
            ExprKind::Duration(text) => match vigil_ir::time::parse_duration_literal(text) {
                Ok(ms) => self.constant(Value::Duration(ms), Ty::Duration, span),
                Err(reason) => {
                    self.report(BadDuration {
                        span,
                        text: text.to_string(),
                        reason,
                        help: None,
                    });
                    self.error(span)
                }
            },
            ExprKind::Time(text) => match vigil_ir::time::parse_time(text) {
                Ok(ms) => self.constant(Value::Time(ms), Ty::Time, span),
                Err(reason) => {
                    let help = (!text.contains(['Z', 'z', '+']) && text.matches('-').count() <= 2)
                        .then(|| format!("write `{text}+08:00` or `{text}Z`"));
                    self.report(BadTime {
                        span,
                        text: text.to_string(),
                        reason,
                        help,
                    });
                    self.error(span)
                }
            },
            ExprKind::Bool(b) => self.constant(Value::Bool(*b), Ty::Bool, span),
            ExprKind::Str(s) => match literal::unescape(&s.raw) {
                Ok(text) => self.constant(Value::str(&text), Ty::Str, span),
                Err((reason, at)) => {
                    let start = s.span.start + 1 + u32::try_from(at).unwrap_or(0);
                    self.report(BadString {
                        span: Span {
                            start,
                            end: start + 2,
                        },
                        reason,
                        help: Some("escapes are \\\" \\\\ \\n \\t and \\u{XXXX}".into()),
                    });
                    self.error(span)
                }
            },
            ExprKind::Set(items) => self.set_literal(items, expected, span),
            ExprKind::Paren(inner) => {
                let t = self.check(inner, expected);
                Typed { ..t }
            }
            ExprKind::Name(n) => self.name(n, expected),
            ExprKind::Field(base, field) => self.field(base, field, span),
            ExprKind::Index(base, key) => self.lookup(base, key, span),
            ExprKind::Call(name, args) => self.call(name, args, span),
            ExprKind::Unary(UnaryOp::Not, operand) => {
                let t = self.check(operand, Some(&Ty::Bool));
                self.expect_bool(&t, operand.span, "`not`");
                self.node(Node::Unary(UnOp::Not, t.id), Ty::Bool, false, span)
            }
            ExprKind::Unary(UnaryOp::Neg, operand) => {
                let t = self.check(operand, expected);
                if !matches!(t.ty, Ty::Int | Ty::Float | Ty::Duration | Ty::Error) {
                    self.report(TypeMismatch {
                        span: operand.span,
                        expected: "a number or a duration".into(),
                        found: t.ty.described(),
                        help: None,
                    });
                    return self.error(span);
                }
                self.node(Node::Unary(UnOp::Neg, t.id), t.ty, t.optional, span)
            }
            ExprKind::Binary(op, l, r) => self.binary(*op, l, r, span),
        }
    }

    fn expect_bool(&mut self, t: &Typed, span: Span, context: &str) {
        if !t.ty.fits(&Ty::Bool) {
            self.report(TypeMismatch {
                span,
                expected: format!("a bool for {context}"),
                found: t.ty.described(),
                help: None,
            });
        }
    }

    fn set_literal(&mut self, items: &[ast::Expr], expected: Option<&Ty>, span: Span) -> Typed {
        let mut elem = match expected {
            Some(Ty::Set(e)) => Some((**e).clone()),
            Some(t) if !matches!(t, Ty::Error) => Some(t.clone()),
            _ => None,
        };
        let mut values = Vec::new();
        for item in items {
            let t = self.check(item, elem.as_ref());
            match &elem {
                None if !t.ty.is_error() => elem = Some(t.ty.clone()),
                Some(want) if !t.ty.fits(want) => self.report(TypeMismatch {
                    span: item.span,
                    expected: format!("{} like the other elements", want.described()),
                    found: t.ty.described(),
                    help: None,
                }),
                _ => {}
            }
            match self.arena.as_const(t.id) {
                Some(v) => values.push(v.clone()),
                None if t.ty.is_error() => {}
                None => self.report(NotConstant {
                    span: item.span,
                    what: "a set element".into(),
                }),
            }
        }
        let ty = Ty::Set(Box::new(elem.unwrap_or(Ty::Error)));
        let v = Value::Set(std::sync::Arc::new(ir::SetValue::new(values)));
        self.constant(v, ty, span)
    }

    // -----------------------------------------------------------------------------------------
    // Names

    fn name(&mut self, n: &ast::Ident, expected: Option<&Ty>) -> Typed {
        let span = n.span;
        if let Some(b) = self.env.lookup(&n.name).cloned() {
            return match b {
                Binding::Event { event, def, .. } => {
                    self.refer(span, Target::Binding(def));
                    let example = self
                        .scope
                        .events
                        .get(&event)
                        .and_then(|e| e.fields.first())
                        .map_or("time".to_string(), |f| f.name.to_string());
                    self.report(TypeMismatch {
                        span,
                        expected: "a value".into(),
                        found: format!("the event `{}`", n.name),
                        help: Some(format!(
                            "use one of its fields, such as `{}.{example}`",
                            n.name
                        )),
                    });
                    self.error(span)
                }
                Binding::Value(t) => t,
            };
        }
        // A variable before the offered event's bare fields: declared by the author, it wins
        // over the shorthand (the field stays readable through its binding, `n.crew`).
        if let Some((i, ty)) = self.workflow.as_ref().and_then(|w| {
            let i = w.vars.iter().position(|(v, _)| *v == n.name)?;
            Some((i, w.vars.get(i)?.1.clone()))
        }) {
            self.refer(
                span,
                Target::Variable {
                    workflow: self
                        .workflow
                        .as_ref()
                        .map(|w| w.name.clone())
                        .unwrap_or_default(),
                    name: n.name.clone(),
                },
            );
            // A variable may hold no value (set from an absent field): read as optional.
            return self.node(
                Node::Var(u32::try_from(i).unwrap_or(u32::MAX)),
                ty,
                true,
                span,
            );
        }
        if let Some((slot, event)) = self.env.implicit.clone()
            && let Some(sig) = self.scope.events.get(&event)
            && let Some(field) = sig.field(&n.name)
        {
            self.refer(
                span,
                Target::Field {
                    event: event.clone(),
                    field: n.name.clone(),
                },
            );
            return self.field_node(slot, &event, field, span);
        }
        if n.name == "key"
            && let Some(ty) = self.key.clone()
        {
            return self.node(Node::Key, ty, false, span);
        }
        if n.name == "from" && self.workflow.is_some() {
            return self.node(Node::From, Ty::Str, false, span);
        }
        if let Some(c) = self.scope.consts.get(&n.name) {
            self.refer(span, Target::Item(n.name.clone()));
            return match &c.value {
                Some(v) => {
                    let (v, ty) = (v.clone(), c.ty.clone());
                    self.constant(v, ty, span)
                }
                None => self.error(span),
            };
        }
        if let Some(Ty::Unit) = expected
            && let Some(t) = self.unit(n)
        {
            return t;
        }
        // The built-in enum `severity` is known only where a severity is expected, so its
        // values never clash with an enum of the rule set's.
        if let Some(Ty::Enum(e)) = expected
            && e == ir::text::SEVERITY_ENUM
            && !self.scope.enums.contains_key(e)
            && let Some(i) = ir::Severity::NAMES.iter().position(|s| *s == n.name)
        {
            let v = Value::Enum(u32::try_from(i).unwrap_or(u32::MAX));
            return self.constant(v, Ty::Enum(e.clone()), span);
        }
        // An enum value: the expected enum first, then any enum that has it.
        if let Some(Ty::Enum(e)) = expected
            && let Some(sig) = self.scope.enums.get(e)
        {
            if let Some(i) = sig.variants.iter().position(|v| *v == n.name) {
                let e = e.clone();
                return self.variant(e, n, i);
            }
            if self.scope.enums_with_variant(&n.name).is_empty() {
                let help = did_you_mean(&n.name, sig.variants.iter().map(|v| v.as_str()));
                self.report(UnknownVariant {
                    span,
                    name: n.name.to_string(),
                    enum_name: e.to_string(),
                    help,
                });
                return self.error(span);
            }
        }
        let owners = self.scope.enums_with_variant(&n.name);
        match owners.as_slice() {
            [(e, i)] => {
                let e = (*e).clone();
                let i = *i as usize;
                return self.variant(e, n, i);
            }
            [(a, _), (b, _), ..] => {
                let help = Some(format!("write `{a}.{}` or `{b}.{}`", n.name, n.name));
                self.report(TypeMismatch {
                    span,
                    expected: "one enum value".into(),
                    found: format!("`{}`, a value of several enums", n.name),
                    help,
                });
                return self.error(span);
            }
            [] => {}
        }
        if let Some(t) = self.unit(n) {
            return t;
        }
        if self.scope.lists.contains_key(&n.name) {
            self.refer(span, Target::Item(n.name.clone()));
            self.report(MisplacedConstruct {
                span,
                what: format!("the list `{}`", n.name),
                place: "here".into(),
                help: Some(format!("a list is used after `in`: `x in {}`", n.name)),
            });
            return self.error(span);
        }
        if self.scope.maps.contains_key(&n.name) {
            self.refer(span, Target::Item(n.name.clone()));
            self.report(MisplacedConstruct {
                span,
                what: format!("the map `{}`", n.name),
                place: "here".into(),
                help: Some(format!("a map is looked up with a key: `{}[key]`", n.name)),
            });
            return self.error(span);
        }
        if self.scope.zones.contains_key(&n.name) {
            self.refer(span, Target::Item(n.name.clone()));
            self.report(MisplacedConstruct {
                span,
                what: format!("the zone `{}`", n.name),
                place: "here".into(),
                help: Some(format!("a zone is used as `within(point, {})`", n.name)),
            });
            return self.error(span);
        }
        let help = {
            let mut candidates: Vec<&str> = self.env.names().collect();
            candidates.extend(self.scope.consts.keys().map(|k| k.as_str()));
            candidates.extend(self.scope.lists.keys().map(|k| k.as_str()));
            candidates.extend(self.scope.units.keys().map(|k| k.as_str()));
            candidates.extend(
                self.scope
                    .enums
                    .values()
                    .flat_map(|e| e.variants.iter().map(|v| v.as_str())),
            );
            if let Some((_, event)) = &self.env.implicit
                && let Some(sig) = self.scope.events.get(event)
            {
                candidates.extend(sig.field_names());
            }
            let suggestion = did_you_mean(&n.name, candidates.iter().copied());
            suggestion.or_else(|| {
                // A bare field name in a rule: suggest the binding.
                self.env.event_bindings().find_map(|(b, _, ev)| {
                    let sig = self.scope.events.get(ev)?;
                    sig.field(&n.name)
                        .map(|_| format!("did you mean `{b}.{}`?", n.name))
                })
            })
        };
        self.report(UnknownName {
            span,
            name: n.name.to_string(),
            help,
        });
        self.error(span)
    }

    /// `m[k]` (SPEC v0.2): `m` names a map, `k` is of its key type; the value is optional.
    fn lookup(&mut self, base: &ast::Expr, key: &ast::Expr, span: Span) -> Typed {
        let sig = match &base.kind {
            ExprKind::Name(n) => match self.scope.maps.get(&n.name) {
                Some(sig) => {
                    self.refer(n.span, Target::Item(n.name.clone()));
                    Some(sig.clone())
                }
                None => {
                    let maps = self.scope.maps.keys().map(|k| k.as_str());
                    let help = did_you_mean(&n.name, maps)
                        .or_else(|| Some("`m[k]` looks a key up in a `map`".into()));
                    self.report(UnknownName {
                        span: n.span,
                        name: n.name.to_string(),
                        help,
                    });
                    None
                }
            },
            _ => {
                let t = self.check(base, None);
                if !t.ty.is_error() {
                    self.report(TypeMismatch {
                        span: base.span,
                        expected: "the name of a map".into(),
                        found: t.ty.described(),
                        help: Some("`m[k]` looks a key up in a `map`".into()),
                    });
                }
                None
            }
        };
        let Some(sig) = sig else {
            self.check(key, None);
            return self.error(span);
        };
        let k = self.check(key, Some(&sig.key));
        if k.ty.is_error() || sig.key.is_error() || sig.value.is_error() {
            return self.error(span);
        }
        if !k.ty.fits(&sig.key) {
            self.report(TypeMismatch {
                span: key.span,
                expected: format!("{}, the map's key type", sig.key.described()),
                found: k.ty.described(),
                help: None,
            });
            return self.error(span);
        }
        let node = Node::Lookup {
            map: sig.index,
            key: k.id,
        };
        // Never folded: a map file can be reloaded while the engine runs.
        let ty = sig.value.clone();
        let id = self.push(node, ty.clone(), span);
        if self.quiet == 0 {
            self.facts.types.push((span, ty.clone(), true));
        }
        Typed {
            id,
            ty,
            optional: true,
        }
    }

    /// Whether `name` is a value where a unit or a severity is written by name: a binding, a
    /// workflow variable, a field of the implicit event, or a constant.
    pub fn names_a_value(&self, name: &str) -> bool {
        self.env.lookup(name).is_some()
            || self
                .workflow
                .as_ref()
                .is_some_and(|w| w.vars.iter().any(|(v, _)| v == name))
            || self.env.implicit.as_ref().is_some_and(|(_, event)| {
                self.scope
                    .events
                    .get(event)
                    .is_some_and(|sig| sig.field(name).is_some())
            })
            || self.scope.consts.contains_key(name)
    }

    /// A list named as an argument of `intersects` (SPEC v0.2): its contents as a set, read
    /// when evaluated, since lists reload.
    fn list_value(&mut self, f: Builtin, arg: &ast::Expr) -> Option<Typed> {
        let ExprKind::Name(n) = &arg.kind else {
            return None;
        };
        if f != Builtin::Intersects || self.names_a_value(&n.name) {
            return None;
        }
        let list = self.scope.lists.get(&n.name)?.clone();
        self.refer(n.span, Target::Item(n.name.clone()));
        let ty = Ty::Set(Box::new(list.elem));
        Some(self.node(Node::List(list.index), ty, false, n.span))
    }

    /// A unit by name (SPEC v0.2: units are values of type `unit`).
    fn unit(&mut self, n: &ast::Ident) -> Option<Typed> {
        let i = *self.scope.units.get(&n.name)?;
        self.refer(n.span, Target::Item(n.name.clone()));
        Some(self.constant(Value::Unit(i), Ty::Unit, n.span))
    }

    fn variant(&mut self, e: SmolStr, n: &ast::Ident, i: usize) -> Typed {
        self.refer(
            n.span,
            Target::Variant {
                enum_name: e.clone(),
                variant: n.name.clone(),
            },
        );
        let v = Value::Enum(u32::try_from(i).unwrap_or(u32::MAX));
        self.constant(v, Ty::Enum(e), n.span)
    }

    fn field_node(&mut self, slot: u8, event: &SmolStr, field: FieldRef, span: Span) -> Typed {
        let Some(sig) = self.scope.events.get(event) else {
            return self.error(span);
        };
        let (ty, optional) = sig.field_type(field);
        let node = match field {
            FieldRef::Time => Node::EventTime(slot),
            FieldRef::Id => Node::EventId(slot),
            FieldRef::Declared(i) => Node::Field { slot, field: i },
        };
        self.node(node, ty, optional, span)
    }

    fn field(&mut self, base: &ast::Expr, field: &ast::Ident, span: Span) -> Typed {
        if let ExprKind::Name(b) = &base.kind {
            match self.env.lookup(&b.name).cloned() {
                Some(Binding::Event { slot, event, def }) => {
                    self.refer(b.span, Target::Binding(def));
                    let Some(sig) = self.scope.events.get(&event) else {
                        return self.error(span);
                    };
                    return match sig.field(&field.name) {
                        Some(f) => {
                            self.refer(
                                field.span,
                                Target::Field {
                                    event: event.clone(),
                                    field: field.name.clone(),
                                },
                            );
                            self.field_node(slot, &event, f, span)
                        }
                        None => {
                            if sig.complete {
                                let help = did_you_mean(&field.name, sig.field_names());
                                self.report(UnknownField {
                                    span: field.span,
                                    field: field.name.to_string(),
                                    event: event.to_string(),
                                    help,
                                });
                            }
                            self.error(span)
                        }
                    };
                }
                Some(Binding::Value(_)) => {}
                None => {
                    if let Some(sig) = self.scope.enums.get(&b.name) {
                        self.refer(b.span, Target::Item(b.name.clone()));
                        return match sig.variants.iter().position(|v| *v == field.name) {
                            Some(i) => self.variant(b.name.clone(), field, i),
                            None => {
                                let help = did_you_mean(
                                    &field.name,
                                    sig.variants.iter().map(|v| v.as_str()),
                                );
                                self.report(UnknownVariant {
                                    span: field.span,
                                    name: field.name.to_string(),
                                    enum_name: b.name.to_string(),
                                    help,
                                });
                                self.error(span)
                            }
                        };
                    }
                }
            }
        }
        let t = self.check(base, None);
        if !t.ty.is_error() {
            self.report(TypeMismatch {
                span: base.span,
                expected: "an event binding".into(),
                found: t.ty.described(),
                help: Some(format!(
                    "only events have fields; `.{}` cannot be read here",
                    field.name
                )),
            });
        }
        self.error(span)
    }

    // -----------------------------------------------------------------------------------------
    // Operators

    /// Whether `e` is a bare name that can only be an enum value (so its type should come from
    /// the other side of a comparison).
    fn is_variant_name(&self, e: &ast::Expr) -> bool {
        let ExprKind::Name(n) = &e.kind else {
            return matches!(&e.kind, ExprKind::Set(_));
        };
        self.env.lookup(&n.name).is_none()
            && self.env.implicit.as_ref().is_none_or(|(_, ev)| {
                self.scope
                    .events
                    .get(ev)
                    .is_none_or(|s| s.field(&n.name).is_none())
            })
            && !self.scope.consts.contains_key(&n.name)
            && !self.scope.enums_with_variant(&n.name).is_empty()
    }

    fn binary(&mut self, op: BinaryOp, l: &ast::Expr, r: &ast::Expr, span: Span) -> Typed {
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let a = self.check(l, Some(&Ty::Bool));
                self.expect_bool(&a, l.span, &format!("`{}`", op.as_str()));
                let b = self.check(r, Some(&Ty::Bool));
                self.expect_bool(&b, r.span, &format!("`{}`", op.as_str()));
                let node = if op == BinaryOp::And {
                    Node::And(a.id, b.id)
                } else {
                    Node::Or(a.id, b.id)
                };
                self.node(node, Ty::Bool, false, span)
            }
            BinaryOp::In | BinaryOp::NotIn => self.membership(op == BinaryOp::NotIn, l, r, span),
            BinaryOp::Coalesce => {
                let a = self.check(l, None);
                let b = self.check(r, Some(&a.ty));
                if !a.optional && !a.ty.is_error() {
                    self.report(NeedlessOptional {
                        span: l.span,
                        what: literal::source_text(l),
                        help: Some(
                            "`??` only matters for optional fields; drop the default".into(),
                        ),
                    });
                }
                if !b.ty.fits(&a.ty) {
                    self.report(TypeMismatch {
                        span: r.span,
                        expected: format!("{} as the default", a.ty.described()),
                        found: b.ty.described(),
                        help: None,
                    });
                }
                let ty = if a.ty.is_error() {
                    b.ty.clone()
                } else {
                    a.ty.clone()
                };
                self.node(Node::Coalesce(a.id, b.id), ty, b.optional, span)
            }
            _ => {
                // Check the side that is not a bare enum value first, so `noise == i.category`
                // finds its enum.
                let (a, b) = if self.is_variant_name(l) && !self.is_variant_name(r) {
                    let b = self.check(r, None);
                    let a = self.check(l, Some(&b.ty));
                    (a, b)
                } else {
                    let a = self.check(l, None);
                    let b = self.check(r, Some(&a.ty));
                    (a, b)
                };
                if op.is_comparison() {
                    self.comparison(op, a, b, span)
                } else {
                    self.arithmetic(op, a, b, span)
                }
            }
        }
    }

    fn comparison(&mut self, op: BinaryOp, a: Typed, b: Typed, span: Span) -> Typed {
        let bin = match op {
            BinaryOp::Eq => BinOp::Eq,
            BinaryOp::Ne => BinOp::Ne,
            BinaryOp::Lt => BinOp::Lt,
            BinaryOp::Le => BinOp::Le,
            BinaryOp::Gt => BinOp::Gt,
            _ => BinOp::Ge,
        };
        if !a.ty.is_error() && !b.ty.is_error() {
            let ordered = !matches!(bin, BinOp::Eq | BinOp::Ne);
            let comparable = a.ty == b.ty && !matches!(a.ty, Ty::Set(_) | Ty::Zone);
            if !comparable || (ordered && !a.ty.is_ordered()) {
                let help = match (&a.ty, &b.ty) {
                    (Ty::Int, Ty::Float) | (Ty::Float, Ty::Int) => {
                        Some("convert the int with `float(x)`".to_string())
                    }
                    (Ty::Duration, Ty::Int) | (Ty::Int, Ty::Duration) => {
                        Some("write the number with a unit, such as `30m`".to_string())
                    }
                    (Ty::Enum(_), Ty::Enum(_)) if ordered => {
                        Some("enum values can only be compared with `==` and `!=`".to_string())
                    }
                    _ => None,
                };
                self.report(BadOperands {
                    span,
                    op: op.as_str().into(),
                    left: a.ty.described(),
                    right: b.ty.described(),
                    help,
                });
                return self.error(span);
            }
        }
        self.node(Node::Binary(bin, a.id, b.id), Ty::Bool, false, span)
    }

    fn arithmetic(&mut self, op: BinaryOp, a: Typed, b: Typed, span: Span) -> Typed {
        let bin = match op {
            BinaryOp::Add => BinOp::Add,
            BinaryOp::Sub => BinOp::Sub,
            BinaryOp::Mul => BinOp::Mul,
            BinaryOp::Div => BinOp::Div,
            _ => BinOp::Rem,
        };
        let optional = a.optional || b.optional;
        if a.ty.is_error() || b.ty.is_error() {
            return self.error(span);
        }
        use Ty::*;
        let result = match (bin, &a.ty, &b.ty) {
            (_, Int, Int) => Some(Int),
            (_, Float, Float) => Some(Float),
            (BinOp::Add | BinOp::Sub | BinOp::Rem, Duration, Duration) => Some(Duration),
            (BinOp::Mul, Duration, Int) | (BinOp::Mul, Int, Duration) => Some(Duration),
            (BinOp::Div, Duration, Int) => Some(Duration),
            (BinOp::Div, Duration, Duration) => Some(Int),
            (BinOp::Sub, Time, Time) => Some(Duration),
            (BinOp::Add | BinOp::Sub, Time, Duration) | (BinOp::Add, Duration, Time) => Some(Time),
            (BinOp::Add, Str, Str) => Some(Str),
            _ => None,
        };
        match result {
            Some(ty) => self.node(Node::Binary(bin, a.id, b.id), ty, optional, span),
            None => {
                let help = match (&a.ty, &b.ty) {
                    (Int, Float) | (Float, Int) => {
                        Some("convert the int with `float(x)`".to_string())
                    }
                    (Time, Time) if bin == BinOp::Add => {
                        Some("subtract two times to get a duration".to_string())
                    }
                    _ => None,
                };
                self.report(BadOperands {
                    span,
                    op: op.as_str().into(),
                    left: a.ty.described(),
                    right: b.ty.described(),
                    help,
                });
                self.error(span)
            }
        }
    }

    fn membership(&mut self, negated: bool, l: &ast::Expr, r: &ast::Expr, span: Span) -> Typed {
        // A named list on the right: it may be reloaded at run time, so it stays a reference.
        if let ExprKind::Name(n) = &r.kind
            && self.env.lookup(&n.name).is_none()
            && let Some(list) = self.scope.lists.get(&n.name).cloned()
        {
            self.refer(n.span, Target::Item(n.name.clone()));
            let a = self.check(l, Some(&list.elem));
            if !a.ty.fits(&list.elem) {
                self.report(TypeMismatch {
                    span: l.span,
                    expected: format!("{} to look up in `{}`", list.elem.described(), n.name),
                    found: a.ty.described(),
                    help: None,
                });
            }
            return self.node(
                Node::InList {
                    value: a.id,
                    list: list.index,
                    negated,
                },
                Ty::Bool,
                false,
                span,
            );
        }
        let (a, b) = if self.is_variant_name(l) {
            let b = self.check(r, None);
            let elem = match &b.ty {
                Ty::Set(e) => (**e).clone(),
                _ => Ty::Error,
            };
            (self.check(l, Some(&elem)), b)
        } else {
            let a = self.check(l, None);
            let b = self.check(r, Some(&Ty::Set(Box::new(a.ty.clone()))));
            (a, b)
        };
        match &b.ty {
            Ty::Set(elem) => {
                if !a.ty.fits(elem) {
                    self.report(TypeMismatch {
                        span: l.span,
                        expected: format!("{} to look up in the set", elem.described()),
                        found: a.ty.described(),
                        help: None,
                    });
                }
            }
            Ty::Error => {}
            other => {
                let help = if let ExprKind::Name(n) = &r.kind {
                    did_you_mean(&n.name, self.scope.lists.keys().map(|k| k.as_str()))
                } else {
                    Some("write a list name or a set such as `[\"K1\", \"K7\"]`".into())
                };
                self.report(TypeMismatch {
                    span: r.span,
                    expected: "a list or a set".into(),
                    found: other.described(),
                    help,
                });
            }
        }
        self.node(
            Node::In {
                value: a.id,
                set: b.id,
                negated,
            },
            Ty::Bool,
            false,
            span,
        )
    }

    // -----------------------------------------------------------------------------------------
    // Calls

    fn call(&mut self, name: &ast::Ident, args: &[ast::Expr], span: Span) -> Typed {
        let f = name.name.as_str();
        let agg = match (f, args.len()) {
            ("count", 0) => Some(AggKind::Count),
            ("sum", 1) => Some(AggKind::Sum),
            ("avg", 1) => Some(AggKind::Avg),
            ("distinct", 1) => Some(AggKind::Distinct),
            ("min", 1) => Some(AggKind::Min),
            ("max", 1) => Some(AggKind::Max),
            _ => None,
        };
        if let Some(kind) = agg {
            return self.aggregate(kind, name, args, span);
        }
        if self.scope.fns.contains_key(f) {
            return self.user_fn(name, args, span);
        }
        match f {
            "exists" => {
                let [arg] = args else {
                    return self.arity(name, "1 argument", args.len(), span);
                };
                let t = self.check(arg, None);
                if !t.optional && !t.ty.is_error() {
                    self.report(NeedlessOptional {
                        span: arg.span,
                        what: literal::source_text(arg),
                        help: Some("`exists` is always true here".into()),
                    });
                }
                self.node(Node::Exists(t.id), Ty::Bool, false, span)
            }
            "matches" => self.matches(name, args, span),
            "within" => self.within(name, args, span),
            "visits" => self.visits(name, args, span),
            _ => self.builtin(name, args, span),
        }
    }

    fn arity(&mut self, name: &ast::Ident, expected: &str, found: usize, span: Span) -> Typed {
        self.report(WrongArity {
            span,
            name: name.name.to_string(),
            expected: expected.to_string(),
            found,
        });
        self.error(span)
    }

    fn aggregate(
        &mut self,
        kind: AggKind,
        name: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> Typed {
        if self.aggregates.is_none() {
            self.report(AggregateOutsideWindow {
                span,
                name: name.name.to_string(),
            });
            return self.error(span);
        }
        let arg = args.first().map(|a| (self.check(a, None), a.span));
        let ty = match (kind, &arg) {
            (AggKind::Count | AggKind::Distinct, _) => Ty::Int,
            (AggKind::Avg, Some((t, _))) if t.ty == Ty::Duration => Ty::Duration,
            (AggKind::Avg, _) => Ty::Float,
            (_, Some((t, _))) => t.ty.clone(),
            (_, None) => Ty::Error,
        };
        if let Some((t, s)) = &arg {
            let ok = match kind {
                AggKind::Sum | AggKind::Avg => {
                    matches!(t.ty, Ty::Int | Ty::Float | Ty::Duration | Ty::Error)
                }
                AggKind::Min | AggKind::Max => t.ty.is_ordered(),
                _ => t.ty.is_key() || t.ty.is_error(),
            };
            if !ok {
                self.report(TypeMismatch {
                    span: *s,
                    expected: format!("a value `{}` can aggregate", kind.name()),
                    found: t.ty.described(),
                    help: None,
                });
                return self.error(span);
            }
        }
        let aggregates = self.aggregates.get_or_insert_with(Vec::new);
        let index = u32::try_from(aggregates.len()).unwrap_or(u32::MAX);
        aggregates.push(ir::Aggregate {
            kind,
            arg: arg.map(|(t, _)| t.id),
        });
        // An aggregate over an empty window (or only absent values) is absent.
        let optional = !matches!(kind, AggKind::Count | AggKind::Distinct);
        self.node(Node::Agg(index), ty, optional, span)
    }

    fn user_fn(&mut self, name: &ast::Ident, args: &[ast::Expr], span: Span) -> Typed {
        let Some(sig) = self.scope.fns.get(&name.name).cloned() else {
            return self.error(span);
        };
        self.refer(name.span, Target::Item(name.name.clone()));
        if args.len() != sig.params.len() {
            let n = sig.params.len();
            return self.arity(
                name,
                &format!("{n} argument{}", if n == 1 { "" } else { "s" }),
                args.len(),
                span,
            );
        }
        let mut bound = Vec::new();
        for ((pname, pty), arg) in sig.params.iter().zip(args) {
            let t = self.check(arg, Some(pty));
            if !t.ty.fits(pty) {
                self.report(TypeMismatch {
                    span: arg.span,
                    expected: format!("{} for parameter `{pname}`", pty.described()),
                    found: t.ty.described(),
                    help: None,
                });
            }
            bound.push((pname.clone(), t));
        }
        if self.inlining.contains(&name.name) {
            // A recursive fn; the cycle is reported at the fn.
            return self.error(span);
        }
        // Inline the body with only the parameters in scope.
        let saved = std::mem::take(&mut self.env);
        for (pname, t) in bound {
            self.env.bindings.push((pname, Binding::Value(t)));
        }
        self.quiet += 1;
        self.inlining.push(name.name.clone());
        let outer_call = self.call_site.replace(self.call_site.unwrap_or(span));
        let body = self.check(&sig.body, Some(&sig.ret));
        self.call_site = outer_call;
        self.inlining.pop();
        self.quiet -= 1;
        self.env = saved;
        if self.quiet == 0 {
            self.facts
                .types
                .push((span, sig.ret.clone(), body.optional));
        }
        Typed {
            id: body.id,
            ty: if sig.ret.is_error() {
                body.ty
            } else {
                sig.ret.clone()
            },
            optional: body.optional,
        }
    }

    fn matches(&mut self, name: &ast::Ident, args: &[ast::Expr], span: Span) -> Typed {
        let [s, pattern] = args else {
            return self.arity(name, "2 arguments", args.len(), span);
        };
        let t = self.check(s, Some(&Ty::Str));
        if !t.ty.fits(&Ty::Str) {
            self.report(TypeMismatch {
                span: s.span,
                expected: "a str to match".into(),
                found: t.ty.described(),
                help: None,
            });
        }
        let ExprKind::Str(lit) = &pattern.kind else {
            self.report(NotConstant {
                span: pattern.span,
                what: "the regular expression".into(),
            });
            return self.error(span);
        };
        let text = match literal::unescape(&lit.raw) {
            Ok(t) => t,
            Err((reason, _)) => {
                self.report(BadString {
                    span: pattern.span,
                    reason,
                    help: None,
                });
                return self.error(span);
            }
        };
        if let Err(e) = regex::Regex::new(&text) {
            let reason = match &e {
                regex::Error::Syntax(msg) => msg
                    .lines()
                    .rev()
                    .find(|l| l.starts_with("error:"))
                    .map_or_else(
                        || "syntax error".to_string(),
                        |l| l.trim_start_matches("error: ").to_string(),
                    ),
                regex::Error::CompiledTooBig(_) => "the compiled expression is too big".to_string(),
                _ => e.to_string(),
            };
            self.report(BadRegex {
                span: pattern.span,
                reason,
                help: None,
            });
            return self.error(span);
        }
        self.node(
            Node::Matches(t.id, SmolStr::new(text)),
            Ty::Bool,
            false,
            span,
        )
    }

    fn within(&mut self, name: &ast::Ident, args: &[ast::Expr], span: Span) -> Typed {
        let [p, zone] = args else {
            return self.arity(name, "2 arguments", args.len(), span);
        };
        let t = self.check(p, Some(&Ty::Point));
        if !t.ty.fits(&Ty::Point) {
            self.report(TypeMismatch {
                span: p.span,
                expected: "a point".into(),
                found: t.ty.described(),
                help: None,
            });
        }
        let zone_index = match &zone.kind {
            ExprKind::Name(z) => match self.scope.zones.get(&z.name) {
                Some(i) => {
                    self.refer(z.span, Target::Item(z.name.clone()));
                    Some(*i)
                }
                None => {
                    let help = did_you_mean(&z.name, self.scope.zones.keys().map(|k| k.as_str()));
                    self.report(UnknownName {
                        span: z.span,
                        name: z.name.to_string(),
                        help: help.or(Some(
                            "declare it with `zone name = geojson(\"...\")`".into(),
                        )),
                    });
                    None
                }
            },
            _ => {
                self.report(TypeMismatch {
                    span: zone.span,
                    expected: "a zone name".into(),
                    found: "an expression".into(),
                    help: None,
                });
                None
            }
        };
        match zone_index {
            Some(z) => self.node(Node::Within(t.id, z), Ty::Bool, false, span),
            None => self.error(span),
        }
    }

    fn visits(&mut self, name: &ast::Ident, args: &[ast::Expr], span: Span) -> Typed {
        let Some(wf) = self.workflow.clone() else {
            self.report(MisplacedConstruct {
                span,
                what: "`visits`".into(),
                place: "outside a workflow".into(),
                help: None,
            });
            return self.error(span);
        };
        let [arg] = args else {
            return self.arity(name, "1 argument", args.len(), span);
        };
        let ExprKind::Name(state) = &arg.kind else {
            self.report(TypeMismatch {
                span: arg.span,
                expected: "a state name".into(),
                found: "an expression".into(),
                help: None,
            });
            return self.error(span);
        };
        match wf.states.iter().position(|s| *s == state.name) {
            Some(i) => {
                self.refer(
                    state.span,
                    Target::State {
                        workflow: wf.name.clone(),
                        state: state.name.clone(),
                    },
                );
                self.node(
                    Node::Visits(u32::try_from(i).unwrap_or(u32::MAX)),
                    Ty::Int,
                    false,
                    span,
                )
            }
            None => {
                let help = did_you_mean(&state.name, wf.states.iter().map(|s| s.as_str()));
                self.report(UnknownState {
                    span: state.span,
                    name: state.name.to_string(),
                    workflow: wf.name.to_string(),
                    help,
                });
                self.error(span)
            }
        }
    }

    fn builtin(&mut self, name: &ast::Ident, args: &[ast::Expr], span: Span) -> Typed {
        use Ty::*;
        let (builtin, arity): (Builtin, usize) = match name.name.as_str() {
            "len" => (Builtin::Len, 1),
            "lower" => (Builtin::Lower, 1),
            "upper" => (Builtin::Upper, 1),
            "contains" => (Builtin::Contains, 2),
            "starts_with" => (Builtin::StartsWith, 2),
            "ends_with" => (Builtin::EndsWith, 2),
            "abs" => (Builtin::Abs, 1),
            "min" => (Builtin::Min, 2),
            "max" => (Builtin::Max, 2),
            "float" => (Builtin::Float, 1),
            "int" => (Builtin::Int, 1),
            "hour" => (Builtin::Hour, 1),
            "weekday" => (Builtin::Weekday, 1),
            "minute" => (Builtin::Minute, 1),
            "seconds" => (Builtin::Seconds, 1),
            "workday" => (Builtin::Workday, 1),
            "date" => (Builtin::Date, 1),
            "intersects" => (Builtin::Intersects, 2),
            "distance" => (Builtin::Distance, 2),
            "point" => (Builtin::Point, 2),
            other => {
                let mut names: Vec<&str> = BUILTINS.to_vec();
                names.extend(self.scope.fns.keys().map(|k| k.as_str()));
                let help = did_you_mean(other, names);
                self.report(UnknownFunction {
                    span: name.span,
                    name: other.to_string(),
                    help,
                });
                for a in args {
                    self.check(a, None);
                }
                return self.error(span);
            }
        };
        if args.len() != arity {
            let expected = if arity == 1 {
                "1 argument".to_string()
            } else {
                format!("{arity} arguments")
            };
            return self.arity(name, &expected, args.len(), span);
        }
        let typed: Vec<Typed> = args
            .iter()
            .map(|a| match self.list_value(builtin, a) {
                Some(t) => t,
                None => self.check(a, None),
            })
            .collect();
        let optional = typed.iter().any(|t| t.optional);
        let tys: Vec<&Ty> = typed.iter().map(|t| &t.ty).collect();
        if tys.iter().any(|t| t.is_error()) {
            return self.error(span);
        }
        let result = match (builtin, tys.as_slice()) {
            (Builtin::Len, [Str | Set(_)]) => Some(Int),
            (Builtin::Lower | Builtin::Upper, [Str]) => Some(Str),
            (Builtin::Contains | Builtin::StartsWith | Builtin::EndsWith, [Str, Str]) => Some(Bool),
            (Builtin::Abs, [t @ (Int | Float | Duration)]) => Some((*t).clone()),
            (Builtin::Min | Builtin::Max, [a, b]) if a == b && a.is_ordered() => Some((*a).clone()),
            (Builtin::Float, [Int | Float]) => Some(Float),
            (Builtin::Int, [Int | Float]) => Some(Int),
            (Builtin::Hour | Builtin::Weekday | Builtin::Minute, [Time]) => Some(Int),
            (Builtin::Seconds, [Duration]) => Some(Int),
            (Builtin::Workday, [Time]) => Some(Bool),
            (Builtin::Date, [Time]) => Some(Str),
            (Builtin::Intersects, [Set(a), Set(b)]) if a.fits(b) => Some(Bool),
            (Builtin::Distance, [Point, Point]) => Some(Float),
            (Builtin::Point, [Float, Float]) => Some(Point),
            _ => None,
        };
        match result {
            Some(ty) => {
                let ids = typed.iter().map(|t| t.id).collect();
                self.node(Node::Call(builtin, ids), ty, optional, span)
            }
            None => {
                let found = tys
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                self.report(TypeMismatch {
                    span,
                    expected: format!(
                        "arguments for `{}`: {}",
                        name.name,
                        builtin_signature(builtin)
                    ),
                    found: format!("({found})"),
                    help: None,
                });
                self.error(span)
            }
        }
    }
}

/// Every built-in function name, aggregates included (for completion and "did you mean").
pub const BUILTINS: [&str; 28] = [
    "len",
    "lower",
    "upper",
    "contains",
    "starts_with",
    "ends_with",
    "matches",
    "abs",
    "min",
    "max",
    "float",
    "int",
    "hour",
    "weekday",
    "minute",
    "seconds",
    "workday",
    "date",
    "intersects",
    "within",
    "distance",
    "point",
    "exists",
    "visits",
    "count",
    "sum",
    "avg",
    "distinct",
];

pub fn builtin_signature(b: Builtin) -> &'static str {
    match b {
        Builtin::Len => "(str or set) -> int",
        Builtin::Lower | Builtin::Upper => "(str) -> str",
        Builtin::Contains | Builtin::StartsWith | Builtin::EndsWith => "(str, str) -> bool",
        Builtin::Abs => "(int, float or duration) -> the same type",
        Builtin::Min | Builtin::Max => "(a, b) of one ordered type -> that type",
        Builtin::Float => "(int) -> float",
        Builtin::Int => "(float) -> int",
        Builtin::Hour => "(time) -> int, the hour in the rule set's time zone",
        Builtin::Weekday => "(time) -> int, 1 = Monday ... 7 = Sunday",
        Builtin::Minute => "(time) -> int, the minute of the hour in the rule set's time zone",
        Builtin::Seconds => "(duration) -> int, whole seconds, truncated toward zero",
        Builtin::Workday => {
            "(time) -> bool, a working day of the rule set's calendar (Monday to Friday without one)"
        }
        Builtin::Date => "(time) -> str, \"YYYY-MM-DD\" in the rule set's time zone",
        Builtin::Intersects => "(set, set) of one element type -> bool, they share an element",
        Builtin::Distance => "(point, point) -> float metres",
        Builtin::Point => "(float latitude, float longitude) -> point",
    }
}
