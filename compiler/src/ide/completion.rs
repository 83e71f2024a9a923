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
    /// A lookup table (`map`, SPEC v0.2).
    Map,
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
const WORKFLOW_CLAUSES: [&str; 6] = ["title", "start", "var", "after", "state", "final"];
const STATE_CLAUSES: [&str; 7] = ["on", "after", "await", "alert", "emit", "start", "set"];
const TEST_CLAUSES: [&str; 2] = ["events", "expect"];
const OPERATORS: [&str; 6] = ["and", "or", "not", "in", "true", "false"];
const TYPES: [&str; 9] = [
    "bool", "int", "float", "str", "time", "duration", "point", "unit", "set",
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

    fn rules(&mut self) {
        let scope = self.scope;
        for name in scope.rules.keys() {
            self.push(name, CompletionKind::Rule, Some("rule".into()));
        }
    }

    fn severities(&mut self) {
        for s in Severity::NAMES {
            self.push(s, CompletionKind::Severity, None);
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
        // SPEC v0.2: maps are looked up (`m[k]`), units are values.
        for (name, m) in &scope.maps {
            self.push(
                name,
                CompletionKind::Map,
                Some(format!("map {} -> {}", m.key, m.value)),
            );
        }
        self.units();
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

/// Where the word being typed starts, and what precedes it on its line.
struct Cursor {
    /// The start of the identifier under the cursor: the context is read from before it.
    start: usize,
    line_start: usize,
    /// Only whitespace precedes the word on its line, so a clause keyword may start here.
    at_line_start: bool,
}

impl Cursor {
    /// Clamps `offset` into `text`, back to a character boundary, and steps over the word
    /// being typed.
    fn new(text: &str, offset: u32) -> Cursor {
        let mut offset = (offset as usize).min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = text.get(..offset).unwrap_or("");
        let prefix_len = before
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .map(char::len_utf8)
            .sum::<usize>();
        let start = offset - prefix_len;
        let line_start = before
            .get(..start)
            .unwrap_or("")
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let at_line_start = before
            .get(line_start..start)
            .unwrap_or("")
            .trim()
            .is_empty();
        Cursor {
            start,
            line_start,
            at_line_start,
        }
    }
}

/// The item around the cursor, read from its tokens because it usually does not parse.
struct Site<'a> {
    tag: ItemTag,
    /// The item's name: a workflow being typed is not in the scope yet, but names its states.
    item: &'a str,
    /// The item's tokens before the cursor; the context is read from their end.
    toks: Vec<Tok<'a>>,
    /// All of the item's tokens: bindings, parameters and states may follow the cursor.
    all_toks: Vec<Tok<'a>>,
    /// The event bindings declared anywhere in the item.
    binds: Vec<(SmolStr, SmolStr)>,
    /// How many braces are open at the cursor.
    depth: i32,
    at_line_start: bool,
}

impl<'a> Site<'a> {
    /// The `k`th token before the cursor, counting from 1.
    fn back(&self, k: usize) -> Option<&Tok<'a>> {
        self.toks
            .len()
            .checked_sub(k)
            .and_then(|i| self.toks.get(i))
    }

    fn last(&self) -> Option<&Tok<'a>> {
        self.back(1)
    }

    /// The cursor is after the closing brace of a braced item, where the next item begins.
    fn past_end(&self) -> bool {
        let braced = matches!(
            self.tag,
            ItemTag::Rule | ItemTag::Workflow | ItemTag::Event | ItemTag::Enum | ItemTag::Test
        );
        self.depth <= 0 && braced && self.toks.contains(&Tok::Punct("{"))
    }
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
    let cursor = Cursor::new(text, offset);
    let mut cx = Cx {
        scope,
        out: Vec::new(),
    };
    let u32_start = u32::try_from(cursor.start).unwrap_or(u32::MAX);
    let Some((id, base)) = item_at(db, ruleset, file, u32_start) else {
        cx.keywords(&ITEM_KEYWORDS);
        return cx.out;
    };
    if cursor.start == cursor.line_start {
        // An item keyword in column 0 starts a new item.
        cx.keywords(&ITEM_KEYWORDS);
    }
    let typed = text.get(base as usize..cursor.start).unwrap_or("");
    let toks = lex(typed);
    let all_toks = lex(item_text(db, ruleset, id));
    let site = Site {
        tag: id.tag(db),
        item: id.name(db),
        depth: depth(&toks),
        binds: bindings(scope, &all_toks),
        toks,
        all_toks,
        at_line_start: cursor.at_line_start,
    };
    in_item(&mut cx, &site);
    cx.out
}

/// The completions inside an item. The most specific context that applies answers alone;
/// where none does, the clause keywords and the names an expression may use are offered.
fn in_item(cx: &mut Cx<'_>, site: &Site<'_>) {
    if site.past_end() {
        cx.keywords(&ITEM_KEYWORDS);
        return;
    }
    let answered = after_dot(cx, site)
        || after_keyword(cx, site)
        || in_unit_list(cx, site)
        || after_colon(cx, site)
        || after_comparison(cx, site)
        || in_braces(cx, site);
    if !answered {
        clause_keywords(cx, site);
        expression_names(cx, site);
    }
}

/// The states of `workflow`. The workflow being typed usually does not parse, so when the
/// scope lacks it its states are read from its own tokens.
fn workflow_states(cx: &mut Cx<'_>, site: &Site<'_>, workflow: &str) {
    let states: Vec<SmolStr> = match cx.scope.workflows.get(workflow) {
        Some(w) => w.states.clone(),
        None if workflow == site.item => site
            .all_toks
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
}

/// `x.`: fields of a binding, values of an enum. Nothing else follows a dot, so this answers
/// even when `x` is unknown.
fn after_dot(cx: &mut Cx<'_>, site: &Site<'_>) -> bool {
    if punct(site.last()) != Some(".") {
        return false;
    }
    let scope = cx.scope;
    if let Some(recv) = ident(site.back(2)) {
        if scope.enums.contains_key(recv) {
            cx.variants(recv);
        } else if let Some((_, ev)) = site.binds.iter().find(|(b, _)| b == recv) {
            cx.fields(ev, true);
        } else if scope.events.contains_key(recv) {
            cx.fields(recv, true);
        }
    }
    true
}

/// The keyword just typed names what follows it: `when ` an event, `-> ` a state,
/// `severity ` a severity. The order of the arms matters where two words are read.
fn after_keyword(cx: &mut Cx<'_>, site: &Site<'_>) -> bool {
    let last = site.last();
    match (ident(site.back(2)), ident(last), punct(last)) {
        (_, _, Some("->")) => workflow_states(cx, site, site.item),
        (Some("expect" | "no"), Some("alert"), _) => {
            cx.rules();
            cx.workflows();
        }
        (_, Some("expect"), _) => cx.keywords(&["alert", "transition", "no"]),
        (Some("expect"), Some("no"), _) => cx.keywords(&["alert", "transition"]),
        (_, Some("transition"), _) => cx.workflows(),
        (_, Some("alert"), _) => cx.units(),
        (_, Some("severity"), _) => cx.severities(),
        (_, Some(kw @ ("when" | "emit" | "of")), _) => {
            if kw == "when" {
                cx.keywords(&["sequence"]);
            }
            cx.events();
        }
        (_, Some("then"), _) => {
            cx.keywords(&["not"]);
            cx.events();
        }
        (Some("then"), Some("not"), _) => cx.events(),
        (_, Some("on"), _) => {
            cx.keywords(&["enter"]);
            cx.events();
        }
        (_, Some("start"), _) if site.tag == ItemTag::Workflow => cx.keywords(&["on"]),
        (_, Some("start"), _) => cx.workflows(),
        (_, Some("in"), _) => cx.lists(),
        (_, Some("to"), _) => return transition_target(cx, site),
        _ => return false,
    }
    true
}

/// `expect transition W KEY to `: the states of `W`, when a workflow was named.
fn transition_target(cx: &mut Cx<'_>, site: &Site<'_>) -> bool {
    let toks = &site.toks;
    let workflow = toks.iter().enumerate().rev().find_map(|(i, t)| match t {
        Tok::Ident("transition") => ident(toks.get(i + 1)),
        _ => None,
    });
    let Some(workflow) = workflow else {
        return false;
    };
    workflow_states(cx, site, workflow);
    true
}

/// `alert a, b, ` continues the list of units.
fn in_unit_list(cx: &mut Cx<'_>, site: &Site<'_>) -> bool {
    if punct(site.last()) != Some(",") || !continues_unit_list(&site.toks) {
        return false;
    }
    cx.units();
    true
}

/// Whether the tokens end in `alert` and a list of names with commas.
fn continues_unit_list(toks: &[Tok<'_>]) -> bool {
    let mut i = toks.len().saturating_sub(1);
    while i > 0 {
        i -= 1;
        match toks.get(i) {
            Some(Tok::Ident("alert")) => break,
            Some(Tok::Ident(_)) | Some(Tok::Punct(",")) => {}
            _ => return false,
        }
    }
    toks.get(i) == Some(&Tok::Ident("alert"))
}

/// `name: ` is a type in declarations, an event type in patterns, a value in literals.
fn after_colon(cx: &mut Cx<'_>, site: &Site<'_>) -> bool {
    if punct(site.last()) != Some(":") {
        return false;
    }
    if matches!(site.tag, ItemTag::Event | ItemTag::Fn | ItemTag::Const) {
        cx.types();
        return true;
    }
    if let Some(Tok::Ident(kw)) = site.back(3)
        && matches!(*kw, "when" | "on" | "then" | "not" | "of")
    {
        cx.events();
        return true;
    }
    let scope = cx.scope;
    if let (Some(field), Some((_, Some(owner)))) =
        (ident(site.back(2)), open_brace_owner(&site.toks))
        && let Some(sig) = scope.events.get(owner)
        && let Some(f) = sig.field(field)
        && let (Ty::Enum(e), _) = sig.field_type(f)
    {
        cx.variants(&e);
        return true;
    }
    cx.expression(&site.binds, None);
    true
}

/// `x.f == `: the values of an enum field, or else any expression.
fn after_comparison(cx: &mut Cx<'_>, site: &Site<'_>) -> bool {
    if !matches!(punct(site.last()), Some("==" | "!=")) {
        return false;
    }
    let scope = cx.scope;
    let ty = match (
        ident(site.back(2)),
        punct(site.back(3)),
        ident(site.back(4)),
    ) {
        (Some(f), Some("."), Some(b)) => site
            .binds
            .iter()
            .find(|(n, _)| n == b)
            .and_then(|(_, ev)| scope.events.get(ev))
            .and_then(|sig| sig.field(f).map(|r| sig.field_type(r).0)),
        _ => None,
    };
    if let Some(Ty::Enum(e)) = ty {
        cx.variants(&e);
        return true;
    }
    cx.expression(&site.binds, None);
    true
}

/// Field names inside `Type { ... }` (emit, test events) and `sees Type.{ ... }`, and the
/// events of a test's `events { ... }`.
fn in_braces(cx: &mut Cx<'_>, site: &Site<'_>) -> bool {
    let last = punct(site.last());
    if !(matches!(last, Some("{" | ",")) || (site.at_line_start && site.depth > 0)) {
        return false;
    }
    let scope = cx.scope;
    let toks = &site.toks;
    match open_brace_owner(toks) {
        Some((_, Some(owner))) if scope.events.contains_key(owner) => {
            // After `name: ` comes the value, not another field name.
            let at_name = matches!(last, Some("{" | ","))
                || site.at_line_start && !matches!(site.back(2), Some(Tok::Punct(":")));
            if at_name {
                let implicit = site.tag == ItemTag::Test;
                cx.fields(owner, implicit);
                return true;
            }
        }
        Some((i, None)) if punct(toks.get(i.wrapping_sub(1))) == Some(".") => {
            if let Some(ev) = ident(toks.get(i.wrapping_sub(2))) {
                cx.fields(ev, false);
                return true;
            }
        }
        Some((_, Some("events"))) if site.tag == ItemTag::Test => {
            cx.keywords(&["advance"]);
            cx.events();
            return true;
        }
        _ => {}
    }
    false
}

/// The clauses that may start a line in this kind of item, and at this depth.
fn clause_keywords(cx: &mut Cx<'_>, site: &Site<'_>) {
    if !site.at_line_start {
        return;
    }
    match site.tag {
        ItemTag::Rule => cx.keywords(&RULE_CLAUSES),
        ItemTag::Workflow if site.depth <= 1 => cx.keywords(&WORKFLOW_CLAUSES),
        ItemTag::Workflow => cx.keywords(&STATE_CLAUSES),
        ItemTag::Test if site.depth <= 1 => cx.keywords(&TEST_CLAUSES),
        _ => {}
    }
}

/// The names an expression may use in items that hold expressions, with a function's
/// parameters and a workflow's own built-ins.
fn expression_names(cx: &mut Cx<'_>, site: &Site<'_>) {
    if !matches!(
        site.tag,
        ItemTag::Rule | ItemTag::Workflow | ItemTag::Test | ItemTag::Const | ItemTag::Fn
    ) {
        return;
    }
    cx.expression(&site.binds, None);
    if site.tag == ItemTag::Fn {
        for (p, t) in fn_params(&site.all_toks) {
            cx.push(p, CompletionKind::Binding, Some(t.to_string()));
        }
    }
    if site.tag == ItemTag::Workflow {
        cx.push("visits", CompletionKind::Builtin, Some("built-in".into()));
        cx.push("from", CompletionKind::Keyword, None);
        for (v, t) in workflow_vars(&site.all_toks) {
            cx.push(v, CompletionKind::Binding, Some(t.to_string()));
        }
    }
}

/// A workflow's variables (`var name: type`), by their tokens.
fn workflow_vars<'a>(toks: &[Tok<'a>]) -> Vec<(&'a str, &'a str)> {
    toks.windows(4)
        .filter_map(|w| match w {
            [
                Tok::Ident("var"),
                Tok::Ident(v),
                Tok::Punct(":"),
                Tok::Ident(t),
            ] => Some((*v, *t)),
            _ => None,
        })
        .collect()
}

/// A function's parameters (`name: type`), by their tokens.
fn fn_params<'a>(toks: &[Tok<'a>]) -> Vec<(&'a str, &'a str)> {
    toks.windows(3)
        .filter_map(|w| match w {
            [Tok::Ident(p), Tok::Punct(":"), Tok::Ident(t)] => Some((*p, *t)),
            _ => None,
        })
        .collect()
}
