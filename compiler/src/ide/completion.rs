//! Completion by context. The item being typed usually does not parse (`c.` is not an
//! expression yet), so the context is read from the tokens before the cursor, and the names
//! offered come from the scope, which holds every other item's declarations.

use smol_str::SmolStr;

use super::{item_at, item_text};
use crate::check::{BUILTINS, Scope};
use crate::db::{self, Db, RuleSet, SourceFile};
use crate::syntax::ItemTag;
use vigil_ir::{Severity, Ty};

/// What kind of name a completion is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CompletionKind {
    Keyword,
    Event,
    Field,
    Enum,
    Variant,
    Unit,
    State,
    List,
    Zone,
    Const,
    Fn,
    Builtin,
    Binding,
    Workflow,
    Rule,
    Type,
    Severity,
}

/// One completion: the text to insert, what it is, and a one-line description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
}

const ITEM_KEYWORDS: [&str; 12] = [
    "timezone", "unit", "calendar", "enum", "event", "list", "zone", "const", "fn", "rule",
    "workflow", "test",
];
const RULE_CLAUSES: [&str; 11] = [
    "title", "severity", "when", "suppress", "tags", "expires", "mode", "alert", "emit", "start",
    "where",
];
const WORKFLOW_CLAUSES: [&str; 4] = ["title", "start", "state", "final"];
const STATE_CLAUSES: [&str; 6] = ["on", "after", "await", "alert", "emit", "start"];
const TEST_CLAUSES: [&str; 2] = ["events", "expect"];
const OPERATORS: [&str; 6] = ["and", "or", "not", "in", "true", "false"];
const TYPES: [&str; 8] = [
    "bool", "int", "float", "str", "time", "duration", "point", "set",
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok<'a> {
    Ident(&'a str),
    Punct(&'a str),
    Str,
}

/// Splits source into identifiers, punctuation and strings; comments are dropped.
fn lex(text: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        if c.is_whitespace() {
            i += c.len_utf8();
        } else if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |e| e + 2);
        } else if c == '"' {
            // To the closing quote or the end of the line, stepping over escapes.
            let mut end = rest.len();
            let mut escaped = false;
            for (j, ch) in rest.char_indices().skip(1) {
                if escaped {
                    escaped = false;
                } else if ch == '\\' {
                    escaped = true;
                } else if ch == '"' {
                    end = j + 1;
                    break;
                } else if ch == '\n' {
                    end = j;
                    break;
                }
            }
            i += end;
            out.push(Tok::Str);
        } else if c.is_alphanumeric() || c == '_' {
            let len = rest
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            out.push(Tok::Ident(&rest[..len]));
            i += len;
        } else {
            let two = rest.get(..2).unwrap_or("");
            let len = if ["->", "==", "!=", "<=", ">=", "??"].contains(&two) {
                2
            } else {
                c.len_utf8()
            };
            out.push(Tok::Punct(&rest[..len]));
            i += len;
        }
    }
    out
}

fn ident<'a>(t: Option<&Tok<'a>>) -> Option<&'a str> {
    match t {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}

fn punct<'a>(t: Option<&Tok<'a>>) -> Option<&'a str> {
    match t {
        Some(Tok::Punct(s)) => Some(s),
        _ => None,
    }
}

struct Cx<'a> {
    scope: &'a Scope,
    out: Vec<Completion>,
}

impl Cx<'_> {
    fn push(&mut self, label: &str, kind: CompletionKind, detail: Option<String>) {
        if !self.out.iter().any(|c| c.label == label) {
            self.out.push(Completion {
                label: label.to_string(),
                kind,
                detail,
            });
        }
    }

    fn keywords(&mut self, words: &[&str]) {
        for w in words {
            self.push(w, CompletionKind::Keyword, None);
        }
    }

    fn events(&mut self) {
        let scope = self.scope;
        for (name, sig) in &scope.events {
            let detail = format!("event ({} fields)", sig.fields.len());
            self.push(name, CompletionKind::Event, Some(detail));
        }
    }

    fn fields(&mut self, event: &str, with_implicit: bool) {
        let scope = self.scope;
        let Some(sig) = scope.events.get(event) else {
            return;
        };
        for f in &sig.fields {
            let detail = format!("{}{}", f.ty, if f.optional { "?" } else { "" });
            self.push(&f.name, CompletionKind::Field, Some(detail));
        }
        if with_implicit {
            self.push("time", CompletionKind::Field, Some("time".into()));
            self.push("id", CompletionKind::Field, Some("str?".into()));
        }
    }

    fn variants(&mut self, enum_name: &str) {
        let scope = self.scope;
        if let Some(sig) = scope.enums.get(enum_name) {
            for v in &sig.variants {
                self.push(v, CompletionKind::Variant, Some(enum_name.to_string()));
            }
        }
    }

    fn units(&mut self) {
        let scope = self.scope;
        for name in scope.units.keys() {
            self.push(name, CompletionKind::Unit, Some("unit".into()));
        }
    }

    fn lists(&mut self) {
        let scope = self.scope;
        for (name, sig) in &scope.lists {
            self.push(
                name,
                CompletionKind::List,
                Some(format!("set<{}>", sig.elem)),
            );
        }
    }

    fn workflows(&mut self) {
        let scope = self.scope;
        for name in scope.workflows.keys() {
            self.push(name, CompletionKind::Workflow, Some("workflow".into()));
        }
    }

    fn types(&mut self) {
        let scope = self.scope;
        for t in TYPES {
            self.push(t, CompletionKind::Type, None);
        }
        for name in scope.enums.keys() {
            self.push(name, CompletionKind::Enum, Some("enum".into()));
        }
    }

    /// Everything an expression may name.
    fn expression(&mut self, bindings: &[(SmolStr, SmolStr)], implicit: Option<&str>) {
        let scope = self.scope;
        for (b, ev) in bindings {
            self.push(b, CompletionKind::Binding, Some(ev.to_string()));
        }
        if let Some(ev) = implicit {
            self.fields(ev, true);
        }
        for (name, c) in &scope.consts {
            self.push(name, CompletionKind::Const, Some(c.ty.to_string()));
        }
        for (name, f) in &scope.fns {
            let params: Vec<String> = f.params.iter().map(|(p, t)| format!("{p}: {t}")).collect();
            let detail = format!("fn({}) -> {}", params.join(", "), f.ret);
            self.push(name, CompletionKind::Fn, Some(detail));
        }
        for b in BUILTINS {
            self.push(b, CompletionKind::Builtin, Some("built-in".into()));
        }
        for (e, sig) in &scope.enums {
            self.push(e, CompletionKind::Enum, Some("enum".into()));
            for v in &sig.variants {
                self.push(v, CompletionKind::Variant, Some(e.to_string()));
            }
        }
        self.keywords(&OPERATORS);
    }
}

/// The event bindings (`name: Event`) written in an item, by their tokens.
fn bindings(scope: &Scope, toks: &[Tok<'_>]) -> Vec<(SmolStr, SmolStr)> {
    let mut out: Vec<(SmolStr, SmolStr)> = Vec::new();
    for w in toks.windows(3) {
        if let [Tok::Ident(b), Tok::Punct(":"), Tok::Ident(ev)] = w
            && scope.events.contains_key(*ev)
            && !out.iter().any(|(n, _)| n == b)
        {
            out.push((SmolStr::new(*b), SmolStr::new(*ev)));
        }
    }
    out
}

/// The identifier before the innermost `{` that is still open at the end of `toks`.
fn open_brace_owner<'a>(toks: &[Tok<'a>]) -> Option<(usize, Option<&'a str>)> {
    let mut depth = 0i32;
    for (i, t) in toks.iter().enumerate().rev() {
        match t {
            Tok::Punct("}") => depth += 1,
            Tok::Punct("{") => {
                if depth == 0 {
                    return Some((i, ident(i.checked_sub(1).and_then(|j| toks.get(j)))));
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    None
}

fn depth(toks: &[Tok<'_>]) -> i32 {
    toks.iter().fold(0, |d, t| match t {
        Tok::Punct("{") => d + 1,
        Tok::Punct("}") => d - 1,
        _ => d,
    })
}

/// The completions at `offset` of `file`, most specific first.
pub fn completions(
    db: &dyn Db,
    ruleset: RuleSet,
    file: SourceFile,
    offset: u32,
) -> Vec<Completion> {
    let scope = db::scope(db, ruleset);
    let text = file.text(db);
    let mut offset = (offset as usize).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let prefix_len = before
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .map(char::len_utf8)
        .sum::<usize>();
    let start = offset - prefix_len;
    let line_start = before[..start].rfind('\n').map_or(0, |i| i + 1);
    let at_line_start = before[line_start..start].trim().is_empty();
    let mut cx = Cx {
        scope,
        out: Vec::new(),
    };
    let u32_start = u32::try_from(start).unwrap_or(u32::MAX);
    let Some((id, base)) = item_at(db, ruleset, file, u32_start) else {
        cx.keywords(&ITEM_KEYWORDS);
        return cx.out;
    };
    if start == line_start {
        // An item keyword in column 0 starts a new item.
        cx.keywords(&ITEM_KEYWORDS);
    }
    let tag = id.tag(db);
    let whole = item_text(db, ruleset, id);
    let typed = text.get(base as usize..start).unwrap_or("");
    let toks = lex(typed);
    let all_toks = lex(whole);
    let binds = bindings(scope, &all_toks);
    let n = toks.len();
    let back = |k: usize| n.checked_sub(k).and_then(|i| toks.get(i));
    let last = back(1);
    let d = depth(&toks);
    let braced = matches!(
        tag,
        ItemTag::Rule | ItemTag::Workflow | ItemTag::Event | ItemTag::Enum | ItemTag::Test
    );
    if d <= 0 && braced && toks.contains(&Tok::Punct("{")) {
        cx.keywords(&ITEM_KEYWORDS);
        return cx.out;
    }
    let workflow_states = |cx: &mut Cx<'_>, workflow: &str| {
        let states: Vec<SmolStr> = match scope.workflows.get(workflow) {
            Some(w) => w.states.clone(),
            None if workflow == id.name(db).as_str() => all_toks
                .windows(2)
                .filter_map(|w| match w {
                    [Tok::Ident("state" | "final"), Tok::Ident(s)] => Some(SmolStr::new(*s)),
                    _ => None,
                })
                .collect(),
            None => Vec::new(),
        };
        for s in states {
            cx.push(
                &s,
                CompletionKind::State,
                Some(format!("state of {workflow}")),
            );
        }
    };

    // `x.`: fields of a binding, values of an enum.
    if punct(last) == Some(".") {
        if let Some(recv) = ident(back(2)) {
            if scope.enums.contains_key(recv) {
                cx.variants(recv);
            } else if let Some((_, ev)) = binds.iter().find(|(b, _)| b == recv) {
                cx.fields(ev, true);
            } else if scope.events.contains_key(recv) {
                cx.fields(recv, true);
            }
        }
        return cx.out;
    }
    match (ident(back(2)), ident(last), punct(last)) {
        (_, _, Some("->")) => {
            workflow_states(&mut cx, id.name(db));
            return cx.out;
        }
        (Some("expect" | "no"), Some("alert"), _) => {
            for name in scope.rules.keys() {
                cx.push(name, CompletionKind::Rule, Some("rule".into()));
            }
            cx.workflows();
            return cx.out;
        }
        (_, Some("expect"), _) => {
            cx.keywords(&["alert", "transition", "no"]);
            return cx.out;
        }
        (Some("expect"), Some("no"), _) => {
            cx.keywords(&["alert", "transition"]);
            return cx.out;
        }
        (_, Some("transition"), _) => {
            cx.workflows();
            return cx.out;
        }
        (_, Some("alert"), _) => {
            cx.units();
            return cx.out;
        }
        (_, Some("severity"), _) => {
            for s in Severity::NAMES {
                cx.push(s, CompletionKind::Severity, None);
            }
            return cx.out;
        }
        (_, Some("when" | "emit" | "of"), _) => {
            if ident(last) == Some("when") {
                cx.keywords(&["sequence"]);
            }
            cx.events();
            return cx.out;
        }
        (_, Some("then"), _) => {
            cx.keywords(&["not"]);
            cx.events();
            return cx.out;
        }
        (Some("then"), Some("not"), _) => {
            cx.events();
            return cx.out;
        }
        (_, Some("on"), _) => {
            cx.keywords(&["enter"]);
            cx.events();
            return cx.out;
        }
        (_, Some("start"), _) if tag == ItemTag::Workflow => {
            cx.keywords(&["on"]);
            return cx.out;
        }
        (_, Some("start"), _) => {
            cx.workflows();
            return cx.out;
        }
        (_, Some("in"), _) => {
            cx.lists();
            return cx.out;
        }
        (_, Some("to"), _) => {
            // `expect transition W KEY to STATE`
            let w = toks.iter().enumerate().rev().find_map(|(i, t)| match t {
                Tok::Ident("transition") => ident(toks.get(i + 1)),
                _ => None,
            });
            if let Some(w) = w {
                workflow_states(&mut cx, w);
                return cx.out;
            }
        }
        _ => {}
    }
    // `alert a, b, ` continues the list of units.
    if punct(last) == Some(",") {
        let mut i = n.saturating_sub(1);
        let mut units = true;
        while i > 0 {
            i -= 1;
            match toks.get(i) {
                Some(Tok::Ident("alert")) => break,
                Some(Tok::Ident(_)) | Some(Tok::Punct(",")) => {}
                _ => {
                    units = false;
                    break;
                }
            }
        }
        if units && toks.get(i) == Some(&Tok::Ident("alert")) {
            cx.units();
            return cx.out;
        }
    }
    // `name: ` is a type in declarations, an event type in patterns, a value in literals.
    if punct(last) == Some(":") {
        if matches!(tag, ItemTag::Event | ItemTag::Fn | ItemTag::Const) {
            cx.types();
            return cx.out;
        }
        if let Some(Tok::Ident(kw)) = back(3)
            && matches!(*kw, "when" | "on" | "then" | "not" | "of")
        {
            cx.events();
            return cx.out;
        }
        if let (Some(field), Some((_, Some(owner)))) = (ident(back(2)), open_brace_owner(&toks))
            && let Some(sig) = scope.events.get(owner)
            && let Some(f) = sig.field(field)
            && let (Ty::Enum(e), _) = sig.field_type(f)
        {
            cx.variants(&e);
            return cx.out;
        }
        cx.expression(&binds, None);
        return cx.out;
    }
    // `x.f == `: the values of an enum field.
    if matches!(punct(last), Some("==" | "!=")) {
        let ty = match (ident(back(2)), punct(back(3)), ident(back(4))) {
            (Some(f), Some("."), Some(b)) => binds
                .iter()
                .find(|(n, _)| n == b)
                .and_then(|(_, ev)| scope.events.get(ev))
                .and_then(|sig| sig.field(f).map(|r| sig.field_type(r).0)),
            _ => None,
        };
        if let Some(Ty::Enum(e)) = ty {
            cx.variants(&e);
            return cx.out;
        }
        cx.expression(&binds, None);
        return cx.out;
    }
    // Field names inside `Type { ... }` (emit, test events) and `sees Type.{ ... }`.
    if matches!(punct(last), Some("{" | ",")) || (at_line_start && d > 0) {
        match open_brace_owner(&toks) {
            Some((i, Some(owner))) if scope.events.contains_key(owner) => {
                let at_name = matches!(punct(last), Some("{" | ","))
                    || at_line_start && !matches!(back(2), Some(Tok::Punct(":")));
                if at_name {
                    let implicit = tag == ItemTag::Test;
                    cx.fields(owner, implicit);
                    return cx.out;
                }
                let _ = i;
            }
            Some((i, None)) if punct(toks.get(i.wrapping_sub(1))) == Some(".") => {
                if let Some(ev) = ident(toks.get(i.wrapping_sub(2))) {
                    cx.fields(ev, false);
                    return cx.out;
                }
            }
            Some((_, Some("events"))) if tag == ItemTag::Test => {
                cx.keywords(&["advance"]);
                cx.events();
                return cx.out;
            }
            _ => {}
        }
    }
    if at_line_start {
        let owner = open_brace_owner(&toks).and_then(|(_, o)| o);
        match tag {
            ItemTag::Rule => cx.keywords(&RULE_CLAUSES),
            ItemTag::Workflow if d <= 1 => cx.keywords(&WORKFLOW_CLAUSES),
            ItemTag::Workflow => {
                cx.keywords(&STATE_CLAUSES);
                let _ = owner;
            }
            ItemTag::Test if d <= 1 => cx.keywords(&TEST_CLAUSES),
            _ => {}
        }
    }
    if matches!(
        tag,
        ItemTag::Rule | ItemTag::Workflow | ItemTag::Test | ItemTag::Const | ItemTag::Fn
    ) {
        let params: Vec<(SmolStr, SmolStr)> = if tag == ItemTag::Fn {
            all_toks
                .windows(3)
                .filter_map(|w| match w {
                    [Tok::Ident(p), Tok::Punct(":"), Tok::Ident(t)] => {
                        Some((SmolStr::new(*p), SmolStr::new(*t)))
                    }
                    _ => None,
                })
                .collect()
        } else {
            Vec::new()
        };
        cx.expression(&binds, None);
        for (p, t) in params {
            cx.push(&p, CompletionKind::Binding, Some(t.to_string()));
        }
        if tag == ItemTag::Workflow {
            cx.push("visits", CompletionKind::Builtin, Some("built-in".into()));
            cx.push("from", CompletionKind::Keyword, None);
        }
    }
    cx.out
}
