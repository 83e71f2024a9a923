//! Checking declarations: time zone, units, enums, events, lists, zones, calendars, constants
//! and functions. Files that lists, zones and calendars name are read through `ReadResource`.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::expr::{Binding, ExprCx, Typed};
use super::scope::Scope;
use super::{CheckedItem, Lowered, ReadResource, Target, has_errors};
use crate::diagnostics::*;
use crate::syntax::ast::{self, ItemKind};
use vigil_ir::{self as ir, Node, SetValue, Ty, Value};

pub(super) fn check(scope: &Scope, item: &ast::Item, read: ReadResource<'_>) -> CheckedItem {
    let mut cx = ExprCx::new(scope);
    let mut lowered = Lowered::Declaration;
    match &item.kind {
        ItemKind::Timezone(tz) => timezone(&mut cx, tz),
        ItemKind::Unit(u) => unit(&mut cx, u),
        ItemKind::Enum(e) => {
            let mut seen = BTreeSet::new();
            for v in &e.variants {
                if !seen.insert(&v.name) {
                    cx.report(DuplicateMember {
                        span: v.span,
                        what: "value",
                        name: v.name.to_string(),
                        owner: e.name.name.to_string(),
                    });
                }
            }
        }
        ItemKind::Event(e) => event(&mut cx, e),
        ItemKind::List(l) => lowered = list(&mut cx, l, read),
        ItemKind::Map(m) => lowered = map(&mut cx, m, read),
        ItemKind::Zone(z) => lowered = zone(&mut cx, z, read),
        ItemKind::Calendar(c) => lowered = calendar(&mut cx, c, read),
        ItemKind::Const(c) => {
            let expected = c.ty.as_ref().and_then(|t| type_expr(&mut cx, t));
            let t = cx.check(&c.value, expected.as_ref());
            if let Some(want) = &expected
                && !t.ty.fits(want)
            {
                cx.report(TypeMismatch {
                    span: c.value.span,
                    expected: want.described(),
                    found: t.ty.described(),
                    help: None,
                });
            } else if cx.arena.as_const(t.id).is_none() && !t.ty.is_error() {
                cx.report(NotConstant {
                    span: c.value.span,
                    what: format!("the value of `{}`", c.name.name),
                });
            }
        }
        ItemKind::Fn(f) => function(&mut cx, f),
        ItemKind::Rule(_) | ItemKind::Workflow(_) | ItemKind::Test(_) => {}
    }
    if has_errors(&cx.diags) {
        lowered = Lowered::Nothing;
    }
    CheckedItem {
        diagnostics: cx.diags,
        facts: cx.facts,
        lowered,
    }
}

fn timezone(cx: &mut ExprCx<'_>, tz: &ast::StrLit) {
    if vigil_ir::time::time_zone(&tz.raw).is_none() {
        let names = vigil_ir::time::time_zone_names();
        let help = did_you_mean(&tz.raw, names.iter().map(String::as_str))
            .or_else(|| Some("use an IANA name such as \"Asia/Shanghai\" or \"UTC\"".into()));
        cx.report(UnknownTimezone {
            span: tz.span,
            name: tz.raw.to_string(),
            help,
        });
    }
}

pub(super) fn type_expr(cx: &mut ExprCx<'_>, t: &ast::TypeExpr) -> Option<Ty> {
    match cx.scope.resolve_type(t) {
        Some(ty) => {
            if cx.scope.enums.contains_key(&t.name.name) {
                cx.facts
                    .refs
                    .push((t.name.span, Target::Item(t.name.name.clone())));
            }
            Some(ty)
        }
        None => {
            if t.name.name == "set" && t.arg.is_none() {
                cx.report(UnknownType {
                    span: t.span,
                    name: "set".into(),
                    help: Some("give the element type: `set<str>`".into()),
                });
            } else if let Some(arg) = t.arg.as_deref().filter(|_| t.name.name == "set") {
                type_expr(cx, arg);
            } else {
                let help = type_alias(&t.name.name)
                    .map(|a| format!("did you mean `{a}`?"))
                    .or_else(|| {
                        let names = cx.scope.type_names();
                        let aliases = TYPE_ALIASES.iter().map(|(alias, _)| *alias);
                        let s = crate::diagnostics::suggest(
                            &t.name.name,
                            names.iter().copied().chain(aliases),
                        )?;
                        Some(format!("did you mean `{}`?", type_alias(s).unwrap_or(s)))
                    });
                cx.report(UnknownType {
                    span: t.name.span,
                    name: t.name.name.to_string(),
                    help,
                });
            }
            None
        }
    }
}

/// Type names from other languages and what Vigil calls them.
const TYPE_ALIASES: [(&str, &str); 12] = [
    ("string", "str"),
    ("String", "str"),
    ("integer", "int"),
    ("long", "int"),
    ("i64", "int"),
    ("boolean", "bool"),
    ("double", "float"),
    ("number", "float"),
    ("f64", "float"),
    ("datetime", "time"),
    ("timestamp", "time"),
    ("interval", "duration"),
];

fn type_alias(name: &str) -> Option<&'static str> {
    TYPE_ALIASES
        .iter()
        .find(|(a, _)| *a == name)
        .map(|(_, t)| *t)
}

fn unit(cx: &mut ExprCx<'_>, u: &ast::Unit) {
    for s in u.sees.iter().flatten() {
        let Some(sig) = cx.scope.events.get(&s.event.name).cloned() else {
            let help = did_you_mean(&s.event.name, cx.scope.events.keys().map(|k| k.as_str()));
            cx.report(UnknownEvent {
                span: s.event.span,
                name: s.event.name.to_string(),
                help,
            });
            continue;
        };
        cx.facts
            .refs
            .push((s.event.span, Target::Item(s.event.name.clone())));
        for f in &s.fields {
            if sig.field(&f.name).is_some() {
                cx.facts.refs.push((
                    f.span,
                    Target::Field {
                        event: s.event.name.clone(),
                        field: f.name.clone(),
                    },
                ));
            } else if sig.complete {
                let help = did_you_mean(&f.name, sig.field_names());
                cx.report(UnknownField {
                    span: f.span,
                    field: f.name.to_string(),
                    event: s.event.name.to_string(),
                    help,
                });
            }
        }
    }
}

fn event(cx: &mut ExprCx<'_>, e: &ast::Event) {
    let mut seen = BTreeSet::new();
    for f in &e.fields {
        if !seen.insert(&f.name.name) {
            cx.report(DuplicateMember {
                span: f.name.span,
                what: "field",
                name: f.name.name.to_string(),
                owner: e.name.name.to_string(),
            });
        }
        if f.name.name == "time" || f.name.name == "id" {
            cx.report(EngineField {
                span: f.name.span,
                field: f.name.name.to_string(),
                help: Some(
                    "every event already has `time: time` and `id: str?`; rename this field".into(),
                ),
            });
        }
        // SPEC v0.2: a field may hold a set of strings, ints, enum values or units.
        if let Some(Ty::Set(elem)) = type_expr(cx, &f.ty)
            && !matches!(*elem, Ty::Str | Ty::Int | Ty::Enum(_) | Ty::Unit)
        {
            cx.report(MisplacedConstruct {
                span: f.ty.span,
                what: format!("a set<{elem}>"),
                place: "as an event field".into(),
                help: Some("a set field holds `str`, `int`, enum values or units".into()),
            });
        }
    }
}

fn function(cx: &mut ExprCx<'_>, f: &ast::Fn) {
    let ret = type_expr(cx, &f.ret);
    for (i, p) in f.params.iter().enumerate() {
        let ty = type_expr(cx, &p.ty).unwrap_or(Ty::Error);
        let id = cx.arena.push(
            Node::Param(u32::try_from(i).unwrap_or(u32::MAX)),
            ty.clone(),
            p.name.span,
        );
        cx.env_bind_value(
            &p.name,
            Typed {
                id,
                ty,
                optional: false,
            },
        );
    }
    let t = cx.check(&f.body, ret.as_ref());
    if let Some(want) = ret
        && !t.ty.fits(&want)
    {
        cx.report(TypeMismatch {
            span: f.body.span,
            expected: format!("{} as declared after `->`", want.described()),
            found: t.ty.described(),
            help: None,
        });
    }
}

impl ExprCx<'_> {
    fn env_bind_value(&mut self, name: &ast::Ident, t: Typed) {
        self.env.push_value(name.name.clone(), Binding::Value(t));
    }
}

// ---------------------------------------------------------------------------------------------
// Lists, zones and calendars

fn list(cx: &mut ExprCx<'_>, l: &ast::List, read: ReadResource<'_>) -> Lowered {
    let elem = cx
        .scope
        .lists
        .get(&l.name.name)
        .map_or(Ty::Error, |s| s.elem.clone());
    let (values, path) = match &l.source {
        ast::ListSource::Literal(e) => {
            let t = cx.check(e, Some(&Ty::Set(Box::new(elem.clone()))));
            match cx.arena.as_const(t.id) {
                Some(Value::Set(s)) => (s.clone(), None),
                _ => (Arc::new(SetValue::default()), None),
            }
        }
        ast::ListSource::File(p) => {
            let (contents, resolved) = read(&p.raw);
            match contents {
                Ok(text) => {
                    let items = parse_list_file(&text)
                        .into_iter()
                        .map(|s| Value::str(&s))
                        .collect();
                    (Arc::new(SetValue::new(items)), Some(resolved))
                }
                Err(reason) => {
                    cx.report(ResourceUnreadable {
                        span: p.span,
                        path: p.raw.to_string(),
                        resolved,
                        reason,
                    });
                    return Lowered::Nothing;
                }
            }
        }
    };
    Lowered::List(ir::ListDef {
        name: l.name.name.clone(),
        elem,
        path,
        values,
    })
}

/// `map name: K -> V = ...` (SPEC v0.2): keys of type `str`, `int` or an enum; values of a
/// scalar type; a literal's entries constant, a file's parsed line by line.
fn map(cx: &mut ExprCx<'_>, m: &ast::Map, read: ReadResource<'_>) -> Lowered {
    let key = type_expr(cx, &m.key);
    let value = type_expr(cx, &m.value);
    if let Some(k) = &key
        && !matches!(k, Ty::Str | Ty::Int | Ty::Enum(_))
    {
        cx.report(TypeMismatch {
            span: m.key.span,
            expected: "a key type: `str`, `int` or an enum".into(),
            found: k.described(),
            help: None,
        });
    }
    if let Some(v) = &value
        && matches!(v, Ty::Set(_) | Ty::Zone)
    {
        cx.report(TypeMismatch {
            span: m.value.span,
            expected: "a scalar value type".into(),
            found: v.described(),
            help: Some("a map's value is one value: a `str`, `int`, enum, `unit`...".into()),
        });
    }
    let (Some(key), Some(value)) = (key, value) else {
        return Lowered::Nothing;
    };
    let (entries, path) = match &m.source {
        ast::MapSource::Literal(pairs, _) => {
            let mut entries = Vec::new();
            for (k, v) in pairs {
                let k = cx.constant_value(k, Some(&key), "a map key");
                let v = cx.constant_value(v, Some(&value), "a map value");
                if let (Some((k, kt)), Some((v, vt))) = (k, v)
                    && kt.fits(&key)
                    && vt.fits(&value)
                {
                    entries.push((k, v));
                }
            }
            // Report each repeated key at its second occurrence.
            let mut seen = BTreeSet::new();
            for (k, _) in pairs {
                let text = crate::check::literal::source_text(k);
                if !seen.insert(text.clone()) {
                    cx.report(DuplicateMember {
                        span: k.span,
                        what: "key",
                        name: text,
                        owner: m.name.name.to_string(),
                    });
                }
            }
            (entries, None)
        }
        ast::MapSource::File(p) => {
            let (contents, resolved) = read(&p.raw);
            let text = match contents {
                Ok(text) => text,
                Err(reason) => {
                    cx.report(ResourceUnreadable {
                        span: p.span,
                        path: p.raw.to_string(),
                        resolved,
                        reason,
                    });
                    return Lowered::Nothing;
                }
            };
            match ir::maps::parse_file(cx.scope, &text, &key, &value) {
                Ok(entries) => (entries, Some(resolved)),
                Err((line, reason)) => {
                    cx.report(BadMapEntry {
                        span: p.span,
                        map: m.name.name.to_string(),
                        path: p.raw.to_string(),
                        line,
                        reason,
                    });
                    return Lowered::Nothing;
                }
            }
        }
    };
    match ir::MapValue::new(entries) {
        Ok(entries) => Lowered::Map(ir::MapDef {
            name: m.name.name.clone(),
            key,
            value,
            path,
            entries: Arc::new(entries),
        }),
        // A repeated literal key was reported above.
        Err(_) => Lowered::Nothing,
    }
}

/// Entries of a list file: one per line, blank lines and `#` comments skipped.
pub fn parse_list_file(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn zone(cx: &mut ExprCx<'_>, z: &ast::FileDecl, read: ReadResource<'_>) -> Lowered {
    let (contents, resolved) = read(&z.path.raw);
    let text = match contents {
        Ok(t) => t,
        Err(reason) => {
            cx.report(ResourceUnreadable {
                span: z.path.span,
                path: z.path.raw.to_string(),
                resolved,
                reason,
            });
            return Lowered::Nothing;
        }
    };
    match parse_geojson(&text) {
        Ok(polygons) => Lowered::Zone(ir::ZoneDef {
            name: z.name.name.clone(),
            polygons,
        }),
        Err(reason) => {
            cx.report(BadResource {
                span: z.path.span,
                kind: "GeoJSON",
                path: z.path.raw.to_string(),
                reason,
            });
            Lowered::Nothing
        }
    }
}

/// The polygons of a GeoJSON text: a FeatureCollection, Feature, Polygon or MultiPolygon.
pub fn parse_geojson(text: &str) -> Result<Vec<ir::Polygon>, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let mut out = Vec::new();
    collect_polygons(&v, &mut out)?;
    if out.is_empty() {
        return Err("no Polygon or MultiPolygon in it".into());
    }
    Ok(out)
}

fn collect_polygons(v: &serde_json::Value, out: &mut Vec<ir::Polygon>) -> Result<(), String> {
    match v.get("type").and_then(|t| t.as_str()) {
        Some("FeatureCollection") => {
            for f in v
                .get("features")
                .and_then(|f| f.as_array())
                .ok_or("a FeatureCollection without `features`")?
            {
                collect_polygons(f, out)?;
            }
        }
        Some("Feature") => {
            if let Some(g) = v.get("geometry").filter(|g| !g.is_null()) {
                collect_polygons(g, out)?;
            }
        }
        Some("GeometryCollection") => {
            for g in v
                .get("geometries")
                .and_then(|f| f.as_array())
                .ok_or("a GeometryCollection without `geometries`")?
            {
                collect_polygons(g, out)?;
            }
        }
        Some("Polygon") => out.push(polygon(
            v.get("coordinates")
                .ok_or("a Polygon without `coordinates`")?,
        )?),
        Some("MultiPolygon") => {
            for p in v
                .get("coordinates")
                .and_then(|c| c.as_array())
                .ok_or("a MultiPolygon without `coordinates`")?
            {
                out.push(polygon(p)?);
            }
        }
        Some("Point" | "MultiPoint" | "LineString" | "MultiLineString") => {}
        Some(other) => return Err(format!("unknown GeoJSON type `{other}`")),
        None => return Err("an object without `type`".into()),
    }
    Ok(())
}

fn polygon(coords: &serde_json::Value) -> Result<ir::Polygon, String> {
    let rings = coords
        .as_array()
        .ok_or("polygon coordinates must be an array of rings")?;
    let mut parsed = Vec::new();
    for ring in rings {
        let points = ring
            .as_array()
            .ok_or("a ring must be an array of positions")?;
        let mut r = Vec::new();
        for p in points {
            let lon = p.get(0).and_then(|x| x.as_f64());
            let lat = p.get(1).and_then(|x| x.as_f64());
            match (lon, lat) {
                (Some(lon), Some(lat))
                    if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
                {
                    r.push((lon, lat))
                }
                _ => return Err(format!("bad position {p}: expected [longitude, latitude]")),
            }
        }
        if r.len() < 4 {
            return Err("a ring needs at least four positions".into());
        }
        parsed.push(r);
    }
    let mut rings = parsed.into_iter();
    let exterior = rings.next().ok_or("a polygon without rings")?;
    Ok(ir::Polygon {
        exterior,
        holes: rings.collect(),
    })
}

fn calendar(cx: &mut ExprCx<'_>, c: &ast::FileDecl, read: ReadResource<'_>) -> Lowered {
    let (contents, resolved) = read(&c.path.raw);
    let text = match contents {
        Ok(t) => t,
        Err(reason) => {
            cx.report(ResourceUnreadable {
                span: c.path.span,
                path: c.path.raw.to_string(),
                resolved,
                reason,
            });
            return Lowered::Nothing;
        }
    };
    match parse_calendar(&text) {
        Ok((holidays, workdays)) => Lowered::Calendar(ir::CalendarDef {
            name: c.name.name.clone(),
            holidays,
            workdays,
        }),
        Err(reason) => {
            cx.report(BadResource {
                span: c.path.span,
                kind: "calendar",
                path: c.path.raw.to_string(),
                reason,
            });
            Lowered::Nothing
        }
    }
}

type Dates = BTreeSet<(i16, i8, i8)>;

/// A calendar file: `YYYY-MM-DD holiday` or `YYYY-MM-DD workday` per line (SPEC §2).
pub fn parse_calendar(text: &str) -> Result<(Dates, Dates), String> {
    let mut holidays = BTreeSet::new();
    let mut workdays = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(date), Some(kind), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!(
                "line {}: expected `YYYY-MM-DD holiday` or `YYYY-MM-DD workday`",
                n + 1
            ));
        };
        let d: jiff::civil::Date = date
            .parse()
            .map_err(|_| format!("line {}: `{date}` is not a date (YYYY-MM-DD)", n + 1))?;
        let key = (d.year(), d.month(), d.day());
        match kind {
            "holiday" => holidays.insert(key),
            "workday" => workdays.insert(key),
            other => {
                return Err(format!(
                    "line {}: `{other}` should be `holiday` or `workday`",
                    n + 1
                ));
            }
        };
    }
    Ok((holidays, workdays))
}
