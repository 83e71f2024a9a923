//! From pest's parse tree to `ast`, and pest's errors to `SyntaxError`s.

use std::cell::Cell;
use std::sync::{Arc, LazyLock, Mutex};

use pest::Parser as _;
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use smol_str::SmolStr;

use super::ast::*;
use super::nesting::{self, MAX_DEPTH, MAX_NESTING};
use super::split::{Chunk, CommentKind, split};
use super::{ItemTag, ParsedFile, ParsedItem, Span};
use crate::diagnostics::{Diag, NotAnItem, SyntaxError};

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
struct VigilParser;

type P<'i> = Pair<'i, Rule>;

/// Parses a whole file. Never fails: each item parses on its own and reports its own errors.
pub fn parse_file(text: &str) -> ParsedFile {
    let split = split(text);
    let mut file = ParsedFile {
        comments: split.comments,
        ..ParsedFile::default()
    };
    let mut items = Vec::with_capacity(split.chunks.len());
    for chunk in &split.chunks {
        match chunk.tag {
            Some(tag) => items.push((chunk, tag)),
            None => {
                let found: String = text[chunk.start..chunk.significant_end]
                    .chars()
                    .take(40)
                    .collect();
                let found = found.lines().next().unwrap_or("").to_string();
                file.errors.push(
                    NotAnItem {
                        span: Span::new(chunk.start, chunk.significant_end),
                        found,
                    }
                    .into(),
                );
            }
        }
    }
    let comments = &file.comments;
    let parse_run = |run: &[(&Chunk, ItemTag)]| -> Vec<ParsedItem> {
        run.iter()
            .map(|&(chunk, tag)| parse_chunk(text, chunk, tag, comments))
            .collect()
    };
    let threads = parse_threads(text.len()).min(items.len().max(1));
    file.items = if threads > 1 {
        // Items parse independently, so a large file is cut into contiguous runs parsed side
        // by side; joining the runs in order keeps the items in file order.
        let per_thread = items.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = items
                .chunks(per_thread)
                .map(|run| scope.spawn(move || parse_run(run)))
                .collect();
            let mut parsed = Vec::with_capacity(items.len());
            for (handle, run) in handles.into_iter().zip(items.chunks(per_thread)) {
                // A thread that failed (it cannot, short of running out of memory) is redone
                // here rather than losing its items.
                parsed.extend(handle.join().unwrap_or_else(|_| parse_run(run)));
            }
            parsed
        })
    } else {
        parse_run(&items)
    };
    file
}

/// How many threads to parse a file of `len` bytes with: one per 64 KiB (a thread costs tens
/// of microseconds to start; 64 KiB of rules take milliseconds to parse), at most one per core.
fn parse_threads(len: usize) -> usize {
    const BYTES_PER_THREAD: usize = 64 * 1024;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    (len / BYTES_PER_THREAD).clamp(1, cores.min(8))
}

fn parse_chunk(text: &str, chunk: &Chunk, tag: ItemTag, comments: &[super::Comment]) -> ParsedItem {
    let source = &text[chunk.start..chunk.end];
    let offset = u32::try_from(chunk.start).unwrap_or(u32::MAX);
    let significant = chunk.significant_end - chunk.start;
    let (tree, errors) = match parse_item(source, significant) {
        Ok(item) => (Some(Arc::new(item)), Vec::new()),
        Err(err) => (None, vec![err]),
    };
    let name = tree
        .as_ref()
        .and_then(|t| match &t.kind {
            ItemKind::Test(test) => Some(Ident {
                name: test.name.raw.clone(),
                span: test.name.span,
            }),
            _ => t.name().cloned(),
        })
        .or_else(|| name_after_keyword(source, tag));
    ParsedItem {
        tag,
        name,
        offset,
        span: Span::new(chunk.start, chunk.significant_end),
        docs: docs_before(text, chunk.start, comments),
        tree,
        errors,
    }
}

/// The name that follows an item's keyword, read without the grammar (for items that do not
/// parse). Spans are relative to the item.
fn name_after_keyword(source: &str, tag: ItemTag) -> Option<Ident> {
    let after = tag.keyword().len();
    let rest = source.get(after..)?;
    let skip = rest.len() - rest.trim_start().len();
    let start = after + skip;
    let rest = &source[start..];
    let (start, len) = if tag == ItemTag::Test {
        let inner = rest.strip_prefix('"')?;
        (start + 1, inner.find('"')?)
    } else {
        let len = rest
            .char_indices()
            .find(|&(_, c)| !(c == '_' || c.is_alphanumeric()))
            .map_or(rest.len(), |(i, _)| i);
        (start, len)
    };
    (len > 0).then(|| Ident {
        name: SmolStr::new(&source[start..start + len]),
        span: Span::new(start, start + len),
    })
}

/// The text of the `///` comments right above `start`, slashes and one blank removed.
fn docs_before(text: &str, start: usize, comments: &[super::Comment]) -> Option<String> {
    let mut lines = Vec::new();
    let mut cursor = start;
    for c in comments
        .iter()
        .rev()
        .filter(|c| (c.span.end as usize) <= start)
    {
        let between = &text[c.span.end as usize..cursor];
        if c.kind != CommentKind::Doc
            || !between.trim().is_empty()
            || between.matches('\n').count() > 1
        {
            break;
        }
        let body = &text[c.span.range()];
        let body = body.trim_start_matches("///");
        lines.push(
            body.strip_prefix(' ')
                .unwrap_or(body)
                .trim_end()
                .to_string(),
        );
        cursor = c.span.start as usize;
    }
    if lines.is_empty() {
        return None;
    }
    lines.reverse();
    Some(lines.join("\n"))
}

/// Parses one item's text; spans in the result are relative to the start of `source`.
fn parse_item(source: &str, significant: usize) -> Result<Item, Diag> {
    if let Some(at) = nesting::too_deep(source) {
        return Err(nests_too_deep(Span::new(at, at + 1)));
    }
    match VigilParser::parse(Rule::item_file, source) {
        Ok(mut pairs) => {
            let file = pairs.next().ok_or_else(|| internal(source))?;
            let item = inner(file).next().ok_or_else(|| internal(source))?;
            bounded(|| build_item(item))
        }
        Err(_) => Err(syntax_error(source, Rule::item_file, significant)),
    }
}

/// Parses a standalone expression (an interpolation inside a message). Spans are relative to
/// the start of `source`.
pub fn parse_expr(source: &str) -> Result<Expr, Diag> {
    if let Some(at) = nesting::too_deep(source) {
        return Err(nests_too_deep(Span::new(at, at + 1)));
    }
    match VigilParser::parse(Rule::expr_file, source) {
        Ok(mut pairs) => {
            let file = pairs.next().ok_or_else(|| internal(source))?;
            let expr = inner(file).next().ok_or_else(|| internal(source))?;
            bounded(|| build_expr(expr))
        }
        Err(_) => Err(syntax_error(source, Rule::expr_file, source.len())),
    }
}

/// Brackets, type arguments and prefix operators nested deeper than `MAX_NESTING`.
fn nests_too_deep(span: Span) -> Diag {
    SyntaxError {
        span,
        message: format!(
            "this nests more than {MAX_NESTING} levels deep (brackets, type arguments and `not`s or `-`s in a row)"
        ),
        label: "too deep here".into(),
        help: Some("split it with `const` or `fn` items".into()),
    }
    .into()
}

/// An expression nested deeper than `MAX_DEPTH`.
fn expr_too_deep(span: Span) -> Diag {
    SyntaxError {
        span,
        message: format!("this expression nests more than {MAX_DEPTH} levels deep"),
        label: "the expression that goes too deep".into(),
        help: Some(
            "split it with `const` or `fn` items; a long chain of `or` over one value is `in [...]`"
                .into(),
        ),
    }
    .into()
}

thread_local! {
    /// The first expression built on this thread, since `bounded` began, that nests deeper
    /// than `MAX_DEPTH` (the builder's functions return trees, not results, so the overflow
    /// is noted on the side; building is never shared between threads).
    static TOO_DEEP: Cell<Option<Span>> = const { Cell::new(None) };
}

/// Builds with `build`, failing if an expression in it nests deeper than `MAX_DEPTH`.
fn bounded<T>(build: impl FnOnce() -> T) -> Result<T, Diag> {
    TOO_DEEP.set(None);
    let built = build();
    match TOO_DEEP.take() {
        Some(span) => Err(expr_too_deep(span)),
        None => Ok(built),
    }
}

fn internal(source: &str) -> Diag {
    SyntaxError {
        span: Span::new(0, source.len()),
        message: "the parser returned no tree".into(),
        label: "here".into(),
        help: None,
    }
    .into()
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Parses `source` again with pest's error detail on, and turns the failure into a diagnostic
/// that lists what could come at the furthest point reached.
fn syntax_error(source: &str, rule: Rule, significant: usize) -> Diag {
    // Error detail is a process-wide switch in pest; items parse on several threads, so the
    // switch is held for the whole re-parse (errors are rare, waiting here costs nothing).
    static ERROR_DETAIL: Mutex<()> = Mutex::new(());
    let result = {
        let _held = ERROR_DETAIL
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pest::set_error_detail(true);
        let result = VigilParser::parse(rule, source);
        pest::set_error_detail(false);
        result
    };
    let Err(err) = result else {
        return internal(source);
    };
    let mut pos = match err.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    if let Some(attempts) = err.parse_attempts() {
        pos = pos.max(attempts.max_position).min(source.len());
    }
    // An item that ends too early: point just after its last code, not at the next item.
    if pos >= significant {
        pos = significant.min(source.len());
    }
    let mut expected: Vec<String> = Vec::new();
    if let Some(attempts) = err.parse_attempts() {
        for token in attempts.expected_tokens() {
            // `ParsingToken` is not exported; its `Display` is the token itself.
            let token = token.to_string();
            if let Some(d) = describe_literal(&token) {
                expected.push(d);
            }
        }
        for stack in &attempts.call_stacks {
            let rule = stack.deepest.get_rule().copied().or(stack.parent);
            if let Some(d) = rule.and_then(describe_rule) {
                expected.push(d.to_string());
            }
        }
    }
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &err.variant {
        expected.extend(
            positives
                .iter()
                .filter_map(|r| describe_rule(*r))
                .map(str::to_string),
        );
    }
    expected.sort();
    expected.dedup();
    // Long lists come from the many clauses that may follow an expression; show a few.
    if expected.len() > 8 {
        expected.retain(|e| !e.starts_with('`') || e == "`}`" || e == "`,`" || e == "`->`");
        expected.push("a clause".into());
    }
    let found = found_at(source, pos);
    let (message, label) = match expected.as_slice() {
        [] => (format!("unexpected {found}"), "unexpected here".to_string()),
        [one] => (
            format!("expected {one}, found {found}"),
            format!("expected {one}"),
        ),
        many => {
            let list = many.join(", ");
            (
                format!("expected one of {list}; found {found}"),
                "unexpected here".to_string(),
            )
        }
    };
    let end = source[pos..]
        .chars()
        .next()
        .map_or(pos, |c| pos + c.len_utf8());
    SyntaxError {
        span: Span::new(pos, end),
        help: syntax_help(source, pos, &expected),
        message,
        label,
    }
    .into()
}

/// `text` without leading blanks and comments.
fn skip_trivia(mut text: &str) -> &str {
    loop {
        text = text.trim_start();
        if text.starts_with("//") {
            text = text.find('\n').map_or("", |i| &text[i..]);
        } else if let Some(rest) = text.strip_prefix("/*") {
            text = rest.find("*/").map_or("", |i| &rest[i + 2..]);
        } else {
            return text;
        }
    }
}

fn found_at(source: &str, pos: usize) -> String {
    let rest = skip_trivia(&source[pos..]);
    if rest.is_empty() {
        return "the end of the item".into();
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if word.is_empty() {
        let c = rest.chars().next().unwrap_or(' ');
        format!("`{c}`")
    } else {
        format!("`{word}`")
    }
}

fn syntax_help(source: &str, pos: usize, expected: &[String]) -> Option<String> {
    let rest = skip_trivia(&source[pos..]);
    let before = source[..pos].trim_end();
    if expected.iter().any(|e| e == "`}`") && rest.is_empty() {
        return Some("a `{` is not closed".into());
    }
    if rest.starts_with('=') && !rest.starts_with("==") && !before.ends_with(['=', '<', '>', '!']) {
        return Some("compare with `==`".into());
    }
    if rest.starts_with("&&") {
        return Some("write `and`".into());
    }
    if rest.starts_with("||") {
        return Some("write `or`".into());
    }
    if rest.starts_with('!') && !rest.starts_with("!=") {
        return Some("write `not`".into());
    }
    let mut words = before
        .rsplit(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty());
    let (prev, prev2) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let is_name = |w: &str| !w.is_empty() && w.chars().all(|c| c == '_' || c.is_alphanumeric());
    if expected.iter().any(|e| e == "`->`") && rest.starts_with(|c: char| c.is_alphabetic()) {
        return Some(format!(
            "a transition needs an arrow: `-> {}`",
            found_word(rest)
        ));
    }
    if is_name(prev)
        && rest.starts_with(|c: char| c.is_alphabetic())
        && matches!(prev2, "when" | "then" | "not" | "on" | "of" | "start")
    {
        return Some(format!(
            "a binding takes a colon: `{prev}: {}`",
            found_word(rest)
        ));
    }
    if rest.starts_with('\'') {
        return Some("strings use double quotes".into());
    }
    if expected.iter().any(|e| e == "`,`")
        && source[..pos].ends_with(char::is_whitespace)
        && source[..pos].trim_end_matches([' ', '\t']).ends_with('\n')
    {
        return Some("separate the entries with commas".into());
    }
    None
}

fn found_word(rest: &str) -> &str {
    let end = rest
        .char_indices()
        .find(|&(_, c)| !(c == '_' || c.is_alphanumeric()))
        .map_or(rest.len(), |(i, _)| i);
    &rest[..end]
}

fn describe_literal(token: &str) -> Option<String> {
    // Tokens that are part of bigger lexical rules (digits, quotes inside strings) are better
    // described by their rule; keep punctuation and words.
    if token.is_empty() || token.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if token.contains("..") || token == "BUILTIN_RULE" || token.trim().is_empty() {
        return None;
    }
    match token {
        "\"" | "\\" | "{{" | "}}" | "." | "T" | "t" | "Z" | "z" | "ms" | "d" | "h" | "m" | "s"
        | "_" | "/*" | "//" | "\u{feff}" => None,
        "!=" | "%" | "*" | "+" | "-" | "/" | "<=" | "<" | "==" | ">=" | ">" | "??" | "and"
        | "or" | "in" | "not" => Some("an operator".into()),
        _ => Some(format!("`{token}`")),
    }
}

fn describe_rule(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::ident | Rule::binding => "a name",
        Rule::string | Rule::str_raw => "a string",
        Rule::int_lit => "an integer",
        Rule::float_lit => "a number",
        Rule::duration_lit => "a duration",
        Rule::time_lit => "a time",
        Rule::bool_lit => "`true` or `false`",
        Rule::expr | Rule::postfix_expr | Rule::paren | Rule::call | Rule::set_lit => {
            "an expression"
        }
        Rule::cmp_op | Rule::add_op | Rule::mul_op | Rule::coalesce_op | Rule::not_in => {
            "an operator"
        }
        Rule::type_expr => "a type",
        Rule::EOI => "the end of the item",
        Rule::arrow => "`->`",
        Rule::when_clause => "`when`",
        Rule::title_clause => "`title`",
        Rule::severity_clause | Rule::alert_severity => "`severity`",
        Rule::suppress_clause => "`suppress`",
        Rule::tags_clause => "`tags`",
        Rule::expires_clause => "`expires`",
        Rule::mode_clause => "`mode`",
        Rule::alert_action => "`alert`",
        Rule::alert_message => "`message`",
        Rule::emit_action => "`emit`",
        Rule::start_action | Rule::start_clause => "`start`",
        Rule::where_clause => "`where`",
        Rule::by_clause => "`by`",
        Rule::group_clause => "`group`",
        Rule::state_decl => "`state`",
        Rule::final_decl => "`final`",
        Rule::on_enter | Rule::on_transition => "`on`",
        Rule::after_clause => "`after`",
        Rule::timer_where => "`where`",
        Rule::var_decl => "`var`",
        Rule::set_action => "`set`",
        Rule::await_clause => "`await`",
        Rule::quorum | Rule::quorum_all | Rule::quorum_any => "`all` or `any`",
        Rule::events_block => "`events`",
        Rule::expect_stmt => "`expect`",
        Rule::advance_by | Rule::advance_to => "`advance`",
        Rule::event_lit => "an event",
        Rule::field_decl | Rule::field_init => "a field",
        Rule::sees_clause => "`sees`",
        Rule::file_source => "`file(...)`",
        Rule::geojson_source => "`geojson(...)`",
        Rule::fn_param => "a parameter",
        Rule::seq_step | Rule::event_match => "an event type",
        Rule::expect_key => "`key`",
        Rule::expect_count => "`count`",
        Rule::expect_at => "`at`",
        Rule::expect_message => "`message`",
        Rule::expect_negation => "`no`",
        Rule::expect_alert => "`alert`",
        Rule::expect_transition => "`transition`",
        Rule::expect_reject => "`reject`",
        Rule::expect_to => "`to`",
        Rule::key_null => "`null`",
        Rule::test_lateness => "`lateness`",
        Rule::workdays_delay => "`workdays`",
        Rule::delay => "a duration",
        Rule::optional_mark => "`?`",
        other => return keyword_text(other),
    })
}

/// `kw_where` is described as "`where`".
fn keyword_text(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_not => "`not`",
        Rule::kw_in => "`in`",
        Rule::kw_timezone => "`timezone`",
        Rule::kw_unit => "`unit`",
        Rule::kw_sees => "`sees`",
        Rule::kw_calendar => "`calendar`",
        Rule::kw_file => "`file`",
        Rule::kw_enum => "`enum`",
        Rule::kw_event => "`event`",
        Rule::kw_list => "`list`",
        Rule::kw_map => "`map`",
        Rule::kw_zone => "`zone`",
        Rule::kw_geojson => "`geojson`",
        Rule::kw_const => "`const`",
        Rule::kw_fn => "`fn`",
        Rule::kw_rule => "`rule`",
        Rule::kw_title => "`title`",
        Rule::kw_severity => "`severity`",
        Rule::kw_tags => "`tags`",
        Rule::kw_expires => "`expires`",
        Rule::kw_mode => "`mode`",
        Rule::kw_suppress => "`suppress`",
        Rule::kw_by => "`by`",
        Rule::kw_for => "`for`",
        Rule::kw_when => "`when`",
        Rule::kw_where => "`where`",
        Rule::kw_group => "`group`",
        Rule::kw_within => "`within`",
        Rule::kw_having => "`having`",
        Rule::kw_sequence => "`sequence`",
        Rule::kw_var => "`var`",
        Rule::kw_set => "`set`",
        Rule::kw_then => "`then`",
        Rule::kw_if => "`if`",
        Rule::kw_lateness => "`lateness`",
        Rule::kw_reject => "`reject`",
        Rule::kw_else => "`else`",
        Rule::kw_alert => "`alert`",
        Rule::kw_message => "`message`",
        Rule::kw_emit => "`emit`",
        Rule::kw_start => "`start`",
        Rule::kw_workflow => "`workflow`",
        Rule::kw_on => "`on`",
        Rule::kw_state => "`state`",
        Rule::kw_final => "`final`",
        Rule::kw_enter => "`enter`",
        Rule::kw_after => "`after`",
        Rule::kw_workdays => "`workdays`",
        Rule::kw_await => "`await`",
        Rule::kw_all => "`all`",
        Rule::kw_any => "`any`",
        Rule::kw_of => "`of`",
        Rule::kw_test => "`test`",
        Rule::kw_events => "`events`",
        Rule::kw_advance => "`advance`",
        Rule::kw_to => "`to`",
        Rule::kw_expect => "`expect`",
        Rule::kw_no => "`no`",
        Rule::kw_transition => "`transition`",
        Rule::kw_key => "`key`",
        Rule::kw_count => "`count`",
        Rule::kw_at => "`at`",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Tree building. The grammar guarantees the shape of each pair, so a missing child can only be
// a bug in this file; the builders fall back to empty values rather than panic.

fn is_keyword(rule: Rule) -> bool {
    keyword_text(rule).is_some()
}

/// The children of `pair`, keyword tokens left out.
fn inner(pair: P<'_>) -> impl Iterator<Item = P<'_>> {
    pair.into_inner()
        .filter(|p| !is_keyword(p.as_rule()) && p.as_rule() != Rule::EOI)
}

fn span(pair: &P<'_>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

fn ident(pair: P<'_>) -> Ident {
    Ident {
        name: SmolStr::new(pair.as_str()),
        span: span(&pair),
    }
}

fn missing_ident() -> Ident {
    Ident {
        name: SmolStr::default(),
        span: Span::default(),
    }
}

fn string(pair: P<'_>) -> StrLit {
    let sp = span(&pair);
    let raw = pair
        .into_inner()
        .next()
        .map(|p| SmolStr::new(p.as_str()))
        .unwrap_or_default();
    StrLit { raw, span: sp }
}

fn missing_expr() -> Expr {
    Expr {
        kind: ExprKind::Bool(false),
        span: Span::default(),
    }
}

fn build_item(pair: P<'_>) -> Item {
    let sp = span(&pair);
    let rule = pair.as_rule();
    let has_braces = pair.as_str().trim_end().ends_with('}');
    let mut it = inner(pair);
    let kind = match rule {
        Rule::timezone_item => ItemKind::Timezone(it.next().map(string).unwrap_or(StrLit {
            raw: SmolStr::default(),
            span: sp,
        })),
        Rule::unit_item => {
            let name = it.next().map(ident).unwrap_or_else(missing_ident);
            let mut display = None;
            let mut sees = None;
            if has_braces {
                sees = Some(Vec::new());
            }
            for p in it {
                match p.as_rule() {
                    Rule::string => display = Some(string(p)),
                    Rule::sees_clause => {
                        let s = span(&p);
                        let mut parts = inner(p);
                        let event = parts.next().map(ident).unwrap_or_else(missing_ident);
                        sees.get_or_insert_with(Vec::new).push(Sees {
                            event,
                            fields: parts.map(ident).collect(),
                            span: s,
                        });
                    }
                    _ => {}
                }
            }
            ItemKind::Unit(Unit {
                name,
                display,
                sees,
            })
        }
        Rule::calendar_item | Rule::zone_item => {
            let name = it.next().map(ident).unwrap_or_else(missing_ident);
            let path = it
                .next()
                .and_then(|src| inner(src).next())
                .map(string)
                .unwrap_or(StrLit {
                    raw: SmolStr::default(),
                    span: sp,
                });
            let decl = FileDecl { name, path };
            if rule == Rule::zone_item {
                ItemKind::Zone(decl)
            } else {
                ItemKind::Calendar(decl)
            }
        }
        Rule::enum_item => {
            let name = it.next().map(ident).unwrap_or_else(missing_ident);
            ItemKind::Enum(Enum {
                name,
                variants: it.map(ident).collect(),
            })
        }
        Rule::event_item => {
            let name = it.next().map(ident).unwrap_or_else(missing_ident);
            let fields = it
                .map(|f| {
                    let s = span(&f);
                    let mut parts = inner(f);
                    FieldDecl {
                        name: parts.next().map(ident).unwrap_or_else(missing_ident),
                        ty: parts
                            .next()
                            .map(type_expr)
                            .unwrap_or_else(|| missing_type(s)),
                        span: s,
                    }
                })
                .collect();
            ItemKind::Event(Event { name, fields })
        }
        Rule::list_item => {
            let name = it.next().map(ident).unwrap_or_else(missing_ident);
            let source = match it.next() {
                Some(p) if p.as_rule() == Rule::file_source => {
                    ListSource::File(inner(p).next().map(string).unwrap_or(StrLit {
                        raw: SmolStr::default(),
                        span: sp,
                    }))
                }
                Some(p) => ListSource::Literal(build_expr(p)),
                None => ListSource::Literal(missing_expr()),
            };
            ItemKind::List(List { name, source })
        }
        Rule::map_item => {
            let name = it.next().map(ident).unwrap_or_else(missing_ident);
            let key = it.next().map(type_expr).unwrap_or_else(|| missing_type(sp));
            let value = it.next().map(type_expr).unwrap_or_else(|| missing_type(sp));
            let source = match it.next() {
                Some(p) if p.as_rule() == Rule::file_source => {
                    MapSource::File(inner(p).next().map(string).unwrap_or(StrLit {
                        raw: SmolStr::default(),
                        span: sp,
                    }))
                }
                Some(p) => {
                    let braces = span(&p);
                    let entries = inner(p)
                        .map(|e| {
                            let mut kv = inner(e).map(build_expr);
                            let k = kv.next().unwrap_or_else(missing_expr);
                            (k, kv.next().unwrap_or_else(missing_expr))
                        })
                        .collect();
                    MapSource::Literal(entries, braces)
                }
                None => MapSource::Literal(Vec::new(), sp),
            };
            ItemKind::Map(Map {
                name,
                key,
                value,
                source,
            })
        }
        Rule::const_item => {
            let name = it.next().map(ident).unwrap_or_else(missing_ident);
            let mut ty = None;
            let mut value = missing_expr();
            for p in it {
                match p.as_rule() {
                    Rule::type_expr => ty = Some(type_expr(p)),
                    _ => value = build_expr(p),
                }
            }
            ItemKind::Const(Const { name, ty, value })
        }
        Rule::fn_item => {
            let name = it.next().map(ident).unwrap_or_else(missing_ident);
            let mut params = Vec::new();
            let mut ret = missing_type(sp);
            let mut body = missing_expr();
            for p in it {
                match p.as_rule() {
                    Rule::fn_param => {
                        let mut parts = inner(p);
                        params.push(Param {
                            name: parts.next().map(ident).unwrap_or_else(missing_ident),
                            ty: parts
                                .next()
                                .map(type_expr)
                                .unwrap_or_else(|| missing_type(sp)),
                        });
                    }
                    Rule::type_expr => ret = type_expr(p),
                    _ => body = build_expr(p),
                }
            }
            ItemKind::Fn(Fn {
                name,
                params,
                ret,
                body,
            })
        }
        Rule::rule_item => {
            let name = it.next().map(ident).unwrap_or_else(missing_ident);
            ItemKind::Rule(Rule_ {
                name,
                clauses: it.map(rule_clause).collect(),
            })
        }
        Rule::workflow_item => {
            let name = it.next().map(ident).unwrap_or_else(missing_ident);
            let clauses = it
                .map(|p| match p.as_rule() {
                    Rule::title_clause => {
                        WorkflowClause::Title(inner(p).next().map(string).unwrap_or(StrLit {
                            raw: SmolStr::default(),
                            span: sp,
                        }))
                    }
                    Rule::start_clause => {
                        let s = span(&p);
                        let m = inner(p)
                            .next()
                            .map(event_match)
                            .unwrap_or_else(|| missing_match(s));
                        WorkflowClause::Start(m, s)
                    }
                    Rule::after_clause => WorkflowClause::After(after_clause(p)),
                    Rule::var_decl => {
                        let s = span(&p);
                        let mut parts = inner(p);
                        let name = parts.next().map(ident).unwrap_or_else(missing_ident);
                        let ty = parts
                            .next()
                            .map(type_expr)
                            .unwrap_or_else(|| missing_type(s));
                        let init = parts.next().map(build_expr).unwrap_or_else(missing_expr);
                        WorkflowClause::Var(VarDecl {
                            name,
                            ty,
                            init,
                            span: s,
                        })
                    }
                    _ => WorkflowClause::State(state_decl(p)),
                })
                .collect();
            ItemKind::Workflow(Workflow { name, clauses })
        }
        _ => {
            let name = it.next().map(string).unwrap_or(StrLit {
                raw: SmolStr::default(),
                span: sp,
            });
            let mut it = it.peekable();
            let lateness = it
                .next_if(|p| p.as_rule() == Rule::test_lateness)
                .map(|p| inner(p).next().map(build_expr).unwrap_or_else(missing_expr));
            ItemKind::Test(Test {
                name,
                lateness,
                clauses: it.map(test_clause).collect(),
            })
        }
    };
    Item { kind, span: sp }
}

type Rule_ = super::ast::Rule;

fn missing_type(span: Span) -> TypeExpr {
    TypeExpr {
        name: Ident {
            name: SmolStr::default(),
            span,
        },
        arg: None,
        optional: false,
        span,
    }
}

fn missing_match(span: Span) -> EventMatch {
    EventMatch {
        binding: None,
        ty: missing_ident(),
        by: None,
        cond: None,
        by_first: false,
        span,
    }
}

fn type_expr(pair: P<'_>) -> TypeExpr {
    let sp = span(&pair);
    let mut name = missing_ident();
    let mut arg = None;
    let mut optional = false;
    for p in inner(pair) {
        match p.as_rule() {
            Rule::ident => name = ident(p),
            Rule::type_expr => arg = Some(Box::new(type_expr(p))),
            _ => optional = true,
        }
    }
    TypeExpr {
        name,
        arg,
        optional,
        span: sp,
    }
}

fn rule_clause(pair: P<'_>) -> RuleClause {
    let sp = span(&pair);
    let rule = pair.as_rule();
    match rule {
        Rule::title_clause => RuleClause::Title(inner(pair).next().map(string).unwrap_or(StrLit {
            raw: SmolStr::default(),
            span: sp,
        })),
        Rule::severity_clause => RuleClause::Severity(
            inner(pair)
                .next()
                .map(build_expr)
                .unwrap_or_else(missing_expr),
        ),
        Rule::mode_clause => {
            RuleClause::Mode(inner(pair).next().map(ident).unwrap_or_else(missing_ident))
        }
        Rule::tags_clause => RuleClause::Tags(inner(pair).map(string).collect(), sp),
        Rule::expires_clause => RuleClause::Expires(
            inner(pair)
                .next()
                .map(build_expr)
                .unwrap_or_else(missing_expr),
        ),
        Rule::suppress_clause => {
            let exprs: Vec<Expr> = inner(pair).map(build_expr).collect();
            let (by, duration) = match <[Expr; 2]>::try_from(exprs) {
                Ok([by, d]) => (Some(by), d),
                Err(mut v) => (None, v.pop().unwrap_or_else(missing_expr)),
            };
            RuleClause::Suppress(Suppress {
                by,
                duration,
                span: sp,
            })
        }
        Rule::when_clause => {
            let pattern = inner(pair).next().map(pattern).unwrap_or_else(|| {
                Pattern::Single(SinglePattern {
                    event: missing_match(sp),
                    group: None,
                    span: sp,
                })
            });
            RuleClause::When(pattern)
        }
        _ => RuleClause::Action(action(pair)),
    }
}

fn pattern(pair: P<'_>) -> Pattern {
    let sp = span(&pair);
    match pair.as_rule() {
        Rule::sequence_pattern => {
            let mut it = inner(pair);
            let key = it.next().map(ident).unwrap_or_else(missing_ident);
            let within = it.next().map(build_expr).unwrap_or_else(missing_expr);
            let steps = it
                .map(|step| {
                    let s = span(&step);
                    let mut absent = false;
                    let mut event = missing_match(s);
                    for p in inner(step) {
                        match p.as_rule() {
                            Rule::absent_mark => absent = true,
                            _ => event = event_match(p),
                        }
                    }
                    Step {
                        absent,
                        event,
                        span: s,
                    }
                })
                .collect();
            Pattern::Sequence(SequencePattern {
                key,
                within,
                steps,
                span: sp,
            })
        }
        _ => {
            let mut event = missing_match(sp);
            let mut group = None;
            for p in inner(pair) {
                match p.as_rule() {
                    Rule::event_match => event = event_match(p),
                    _ => {
                        let gs = span(&p);
                        let mut e = inner(p).map(build_expr);
                        group = Some(GroupClause {
                            key: e.next().unwrap_or_else(missing_expr),
                            within: e.next().unwrap_or_else(missing_expr),
                            having: e.next().unwrap_or_else(missing_expr),
                            span: gs,
                        });
                    }
                }
            }
            Pattern::Single(SinglePattern {
                event,
                group,
                span: sp,
            })
        }
    }
}

fn event_match(pair: P<'_>) -> EventMatch {
    let sp = span(&pair);
    let mut m = missing_match(sp);
    for p in inner(pair) {
        match p.as_rule() {
            Rule::binding => m.binding = inner(p).next().map(ident),
            Rule::ident => m.ty = ident(p),
            Rule::by_clause => {
                m.by_first = m.cond.is_none();
                m.by = inner(p).next().map(build_expr);
            }
            Rule::where_clause => m.cond = inner(p).next().map(build_expr),
            _ => {}
        }
    }
    m
}

fn action(pair: P<'_>) -> Action {
    let sp = span(&pair);
    match pair.as_rule() {
        Rule::alert_action => {
            let mut a = AlertAction {
                to: Vec::new(),
                severity: None,
                message: None,
                message_first: false,
                span: sp,
            };
            for p in inner(pair) {
                match p.as_rule() {
                    Rule::expr => a.to.push(build_expr(p)),
                    Rule::alert_severity => a.severity = inner(p).next().map(build_expr),
                    _ => {
                        a.message_first = a.severity.is_none();
                        a.message = inner(p).next().map(string);
                    }
                }
            }
            Action::Alert(a)
        }
        Rule::emit_action => {
            let mut it = inner(pair);
            let ty = it.next().map(ident).unwrap_or_else(missing_ident);
            let mut fields = Vec::new();
            let mut each = None;
            for p in it {
                if p.as_rule() == Rule::emit_each {
                    let mut e = inner(p);
                    each = Some(EmitEach {
                        name: e.next().map(ident).unwrap_or_else(missing_ident),
                        set: e.next().map(build_expr).unwrap_or_else(missing_expr),
                    });
                } else {
                    fields.push(field_init(p));
                }
            }
            Action::Emit(EmitAction {
                ty,
                fields,
                each,
                span: sp,
            })
        }
        Rule::set_action => {
            let mut it = inner(pair);
            Action::Set(SetAction {
                name: it.next().map(ident).unwrap_or_else(missing_ident),
                value: it.next().map(build_expr).unwrap_or_else(missing_expr),
                span: sp,
            })
        }
        _ => Action::Start(
            inner(pair).next().map(ident).unwrap_or_else(missing_ident),
            sp,
        ),
    }
}

fn field_init(pair: P<'_>) -> FieldInit {
    let mut it = inner(pair);
    FieldInit {
        name: it.next().map(ident).unwrap_or_else(missing_ident),
        value: it.next().map(build_expr).unwrap_or_else(missing_expr),
    }
}

fn state_decl(pair: P<'_>) -> State {
    let sp = span(&pair);
    let is_final = pair.as_rule() == Rule::final_decl;
    let has_body = !is_final || pair.as_str().trim_end().ends_with('}');
    let mut it = inner(pair);
    let name = it.next().map(ident).unwrap_or_else(missing_ident);
    let clauses = it.map(state_clause).collect();
    State {
        name,
        is_final,
        has_body,
        clauses,
        span: sp,
    }
}

/// Splits the children after an event match or delay into an optional arrow target and actions.
fn arrow_and_actions<'i>(it: impl Iterator<Item = P<'i>>) -> (Option<Ident>, Vec<Action>) {
    let mut target = None;
    let mut actions = Vec::new();
    for p in it {
        if p.as_rule() == Rule::arrow {
            target = inner(p).next().map(ident);
        } else {
            actions.push(action(p));
        }
    }
    (target, actions)
}

/// `after D [where c] [-> s] actions`, in a state or at workflow level.
fn after_clause(pair: P<'_>) -> AfterClause {
    let sp = span(&pair);
    let mut it = inner(pair).peekable();
    let delay = match it.next() {
        Some(d) => delay(d),
        None => Delay::Duration(missing_expr()),
    };
    let cond = it
        .next_if(|p| p.as_rule() == Rule::timer_where)
        .map(|p| inner(p).next().map(build_expr).unwrap_or_else(missing_expr));
    let (target, actions) = arrow_and_actions(it);
    AfterClause {
        delay,
        cond,
        target,
        actions,
        span: sp,
    }
}

fn state_clause(pair: P<'_>) -> StateClause {
    let sp = span(&pair);
    match pair.as_rule() {
        Rule::on_enter => StateClause::OnEnter(inner(pair).map(action).collect(), sp),
        Rule::on_transition => {
            let mut it = inner(pair);
            let event = it
                .next()
                .map(event_match)
                .unwrap_or_else(|| missing_match(sp));
            let (target, actions) = arrow_and_actions(it);
            StateClause::On(OnTransition {
                event,
                target: target.unwrap_or_else(missing_ident),
                actions,
                span: sp,
            })
        }
        Rule::after_clause => StateClause::After(after_clause(pair)),
        _ => {
            let mut quorum = Quorum::All;
            let mut items = Vec::new();
            let mut rest = Vec::new();
            for p in inner(pair) {
                match p.as_rule() {
                    Rule::quorum => {
                        if let Some(q) = inner(p).next()
                            && q.as_rule() == Rule::quorum_any
                        {
                            let k = q.into_inner().find(|c| c.as_rule() == Rule::int_lit);
                            quorum = match k {
                                Some(k) => {
                                    Quorum::Any(k.as_str().parse().unwrap_or(u32::MAX), span(&k))
                                }
                                None => Quorum::Any(0, sp),
                            };
                        }
                    }
                    Rule::event_match => items.push(event_match(p)),
                    _ => rest.push(p),
                }
            }
            let (target, actions) = arrow_and_actions(rest.into_iter());
            StateClause::Await(AwaitClause {
                quorum,
                items,
                target: target.unwrap_or_else(missing_ident),
                actions,
                span: sp,
            })
        }
    }
}

fn delay(pair: P<'_>) -> Delay {
    let Some(p) = inner(pair).next() else {
        return Delay::Duration(missing_expr());
    };
    if p.as_rule() == Rule::workdays_delay {
        let n = p.into_inner().find(|c| c.as_rule() == Rule::int_lit);
        match n {
            Some(n) => Delay::Workdays(n.as_str().parse().unwrap_or(u32::MAX), span(&n)),
            None => Delay::Workdays(0, Span::default()),
        }
    } else {
        Delay::Duration(build_expr(p))
    }
}

fn test_clause(pair: P<'_>) -> TestClause {
    let sp = span(&pair);
    match pair.as_rule() {
        Rule::events_block => TestClause::Events(
            inner(pair)
                .map(|p| {
                    let s = span(&p);
                    match p.as_rule() {
                        Rule::advance_to => TestStep::AdvanceTo(
                            inner(p).next().map(build_expr).unwrap_or_else(missing_expr),
                            s,
                        ),
                        Rule::advance_by => TestStep::AdvanceBy(
                            inner(p).next().map(build_expr).unwrap_or_else(missing_expr),
                            s,
                        ),
                        _ => {
                            let mut it = inner(p);
                            let ty = it.next().map(ident).unwrap_or_else(missing_ident);
                            TestStep::Event(TestEvent {
                                ty,
                                fields: it.map(field_init).collect(),
                                span: s,
                            })
                        }
                    }
                })
                .collect(),
            sp,
        ),
        _ => {
            let body = inner(pair).next();
            let mut negated = false;
            let mut kind = ExpectKind::Alert(missing_ident());
            let mut options = Vec::new();
            if let Some(body) = body {
                let body_rule = body.as_rule();
                let is_transition = body_rule == Rule::expect_transition;
                let mut idents = Vec::new();
                let mut key = None;
                for p in inner(body) {
                    match p.as_rule() {
                        Rule::expect_negation => negated = true,
                        Rule::ident => idents.push(ident(p)),
                        Rule::expect_option => {
                            if let Some(o) = inner(p).next() {
                                let r = o.as_rule();
                                if r == Rule::expect_to {
                                    let unit =
                                        inner(o).next().map(ident).unwrap_or_else(missing_ident);
                                    options.push(ExpectOption::To(unit));
                                    continue;
                                }
                                if r == Rule::expect_key
                                    && let Some(null) = o
                                        .clone()
                                        .into_inner()
                                        .find(|p| p.as_rule() == Rule::key_null)
                                {
                                    options.push(ExpectOption::KeyNull(span(&null)));
                                    continue;
                                }
                                if r == Rule::expect_message {
                                    let sp = span(&o);
                                    let s = inner(o).next().map(string).unwrap_or(StrLit {
                                        raw: SmolStr::default(),
                                        span: sp,
                                    });
                                    options.push(ExpectOption::Message(s));
                                    continue;
                                }
                                let e =
                                    inner(o).next().map(build_expr).unwrap_or_else(missing_expr);
                                options.push(match r {
                                    Rule::expect_key => ExpectOption::Key(e),
                                    Rule::expect_count => ExpectOption::Count(e),
                                    _ => ExpectOption::At(e),
                                });
                            }
                        }
                        _ => key = Some(build_expr(p)),
                    }
                }
                let mut idents = idents.into_iter();
                let first = idents.next().unwrap_or_else(missing_ident);
                kind = if is_transition {
                    ExpectKind::Transition {
                        workflow: first,
                        key: key.unwrap_or_else(missing_expr),
                        to: idents.next().unwrap_or_else(missing_ident),
                    }
                } else if body_rule == Rule::expect_reject {
                    ExpectKind::Reject(first)
                } else {
                    ExpectKind::Alert(first)
                };
            }
            TestClause::Expect(Expect {
                negated,
                kind,
                options,
                span: sp,
            })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Expressions

fn build_expr(pair: P<'_>) -> Expr {
    build_deep(pair).0
}

/// An expression and its depth (a literal or a name is 1).
type Deep = (Expr, u32);

/// A node over children of depth `below`. Past `MAX_DEPTH` the node is noted and replaced
/// by a leaf, so no tree built grows deeper than the bound (passes over it recurse, and so
/// does dropping it).
fn node(kind: ExprKind, span: Span, below: u32) -> Deep {
    if below < MAX_DEPTH {
        return (Expr { kind, span }, below + 1);
    }
    if TOO_DEEP.get().is_none() {
        TOO_DEEP.set(Some(span));
    }
    (missing_expr(), 1)
}

fn build_deep(pair: P<'_>) -> Deep {
    let sp = span(&pair);
    let leaf = |kind| (literal(kind, sp), 1);
    match pair.as_rule() {
        Rule::expr => PRECEDENCE
            .map_primary(build_deep)
            .map_prefix(|op, (operand, below)| {
                let op_span = span(&op);
                let op = match op.as_rule() {
                    Rule::not_op => UnaryOp::Not,
                    _ => UnaryOp::Neg,
                };
                let s = op_span.to(operand.span);
                node(ExprKind::Unary(op, Box::new(operand)), s, below)
            })
            .map_infix(|(left, l), op, (right, r)| {
                let s = left.span.to(right.span);
                let kind = ExprKind::Binary(binary_op(&op), Box::new(left), Box::new(right));
                node(kind, s, l.max(r))
            })
            .parse(pair.into_inner()),
        Rule::postfix_expr => {
            let mut it = pair.into_inner();
            let (mut e, mut depth) = it.next().map_or_else(|| (missing_expr(), 1), build_deep);
            for part in it {
                if part.as_rule() == Rule::index {
                    let s = e.span.to(span(&part));
                    let (k, below) = inner(part)
                        .next()
                        .map_or_else(|| (missing_expr(), 1), build_deep);
                    let kind = ExprKind::Index(Box::new(e), Box::new(k));
                    (e, depth) = node(kind, s, depth.max(below));
                } else {
                    let f = ident(part);
                    let s = e.span.to(f.span);
                    (e, depth) = node(ExprKind::Field(Box::new(e), f), s, depth);
                }
            }
            (e, depth)
        }
        Rule::paren => {
            let (e, below) = inner(pair)
                .next()
                .map_or_else(|| (missing_expr(), 1), build_deep);
            node(ExprKind::Paren(Box::new(e)), sp, below)
        }
        Rule::if_expr => {
            let mut it = inner(pair).map(build_deep);
            let mut part = || it.next().unwrap_or_else(|| (missing_expr(), 1));
            let ((c, l1), (a, l2), (b, l3)) = (part(), part(), part());
            let kind = ExprKind::If(Box::new(c), Box::new(a), Box::new(b));
            node(kind, sp, l1.max(l2).max(l3))
        }
        Rule::call => {
            let mut it = inner(pair);
            let name = it.next().map(ident).unwrap_or_else(missing_ident);
            let (args, below) = deep_list(it);
            node(ExprKind::Call(name, args), sp, below)
        }
        Rule::set_lit => {
            let (items, below) = deep_list(inner(pair));
            node(ExprKind::Set(items), sp, below)
        }
        Rule::time_lit => leaf(ExprKind::Time(SmolStr::new(pair.as_str()))),
        Rule::duration_lit => leaf(ExprKind::Duration(SmolStr::new(pair.as_str()))),
        Rule::float_lit => leaf(ExprKind::Float(SmolStr::new(pair.as_str()))),
        Rule::int_lit => leaf(ExprKind::Int(SmolStr::new(pair.as_str()))),
        Rule::bool_lit => leaf(ExprKind::Bool(pair.as_str() == "true")),
        Rule::string => leaf(ExprKind::Str(string(pair))),
        Rule::ident => leaf(ExprKind::Name(ident(pair))),
        _ => (missing_expr(), 1),
    }
}

/// Arguments or elements, and the depth of the deepest (0 for none).
fn deep_list<'i>(pairs: impl Iterator<Item = P<'i>>) -> (Vec<Expr>, u32) {
    let mut depth = 0;
    let items = pairs
        .map(|p| {
            let (e, d) = build_deep(p);
            depth = depth.max(d);
            e
        })
        .collect();
    (items, depth)
}

/// Operator precedence, lowest first (SPEC §3). Comparisons do not chain: the grammar takes
/// one comparison operator between operands, so `cmp_op` never meets itself here.
static PRECEDENCE: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::kw_or, Assoc::Left))
        .op(Op::infix(Rule::kw_and, Assoc::Left))
        .op(Op::prefix(Rule::not_op))
        .op(Op::infix(Rule::cmp_op, Assoc::Left))
        .op(Op::infix(Rule::coalesce_op, Assoc::Left))
        .op(Op::infix(Rule::add_op, Assoc::Left))
        .op(Op::infix(Rule::mul_op, Assoc::Left))
        .op(Op::prefix(Rule::neg_op))
});

fn binary_op(op: &P<'_>) -> BinaryOp {
    match op.as_rule() {
        Rule::kw_or => BinaryOp::Or,
        Rule::kw_and => BinaryOp::And,
        Rule::coalesce_op => BinaryOp::Coalesce,
        Rule::add_op if op.as_str() == "+" => BinaryOp::Add,
        Rule::add_op => BinaryOp::Sub,
        Rule::mul_op => match op.as_str() {
            "*" => BinaryOp::Mul,
            "/" => BinaryOp::Div,
            _ => BinaryOp::Rem,
        },
        // `not   in` is one token with any whitespace inside.
        _ => match op.as_str() {
            "==" => BinaryOp::Eq,
            "!=" => BinaryOp::Ne,
            "<" => BinaryOp::Lt,
            "<=" => BinaryOp::Le,
            ">" => BinaryOp::Gt,
            ">=" => BinaryOp::Ge,
            "in" => BinaryOp::In,
            _ => BinaryOp::NotIn,
        },
    }
}

fn literal(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expression fully parenthesised, to show how it was grouped.
    fn grouped(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Int(t) | ExprKind::Float(t) | ExprKind::Duration(t) | ExprKind::Time(t) => {
                t.to_string()
            }
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Str(s) => format!("{:?}", s.raw.as_str()),
            ExprKind::Set(items) => {
                let items: Vec<String> = items.iter().map(grouped).collect();
                format!("[{}]", items.join(", "))
            }
            ExprKind::Name(n) => n.name.to_string(),
            ExprKind::Field(e, f) => format!("{}.{}", grouped(e), f.name),
            ExprKind::Index(m, k) => format!("{}[{}]", grouped(m), grouped(k)),
            ExprKind::Call(f, args) => {
                let args: Vec<String> = args.iter().map(grouped).collect();
                format!("{}({})", f.name, args.join(", "))
            }
            ExprKind::Unary(UnaryOp::Not, e) => format!("(not {})", grouped(e)),
            ExprKind::Unary(UnaryOp::Neg, e) => format!("(-{})", grouped(e)),
            ExprKind::Binary(op, l, r) => {
                format!("({} {} {})", grouped(l), op.as_str(), grouped(r))
            }
            ExprKind::Paren(e) => format!("[paren {}]", grouped(e)),
            ExprKind::If(c, a, b) => {
                format!(
                    "(if {} then {} else {})",
                    grouped(c),
                    grouped(a),
                    grouped(b)
                )
            }
        }
    }

    fn parsed(source: &str) -> String {
        grouped(&parse_expr(source).unwrap_or_else(|e| panic!("{source}: {e:?}")))
    }

    #[test]
    fn operators_group_by_precedence_and_to_the_left() {
        let cases = [
            ("a or b and c", "(a or (b and c))"),
            ("a and b or c and d", "((a and b) or (c and d))"),
            ("m[k] ?? d", "(m[k] ?? d)"),
            ("m[a.b].c == 1", "(m[a.b].c == 1)"),
            ("-m[k + 1]", "(-m[(k + 1)])"),
            ("not a == b and c", "((not (a == b)) and c)"),
            ("a and not b or c", "((a and (not b)) or c)"),
            ("not not a", "(not (not a))"),
            ("a ?? b + c * -d.e", "(a ?? (b + (c * (-d.e))))"),
            ("a - b - c", "((a - b) - c)"),
            ("a / b % c * d", "(((a / b) % c) * d)"),
            ("a ?? b ?? c", "((a ?? b) ?? c)"),
            ("a + b < c * d", "((a + b) < (c * d))"),
            ("x not   in L or x in M", "((x not in L) or (x in M))"),
            ("- -a", "(-(-a))"),
            ("-(a + b)", "(-[paren (a + b)])"),
            ("f(a, b + 1).g", "f(a, (b + 1)).g"),
            ("f (a)", "f(a)"),
            ("true and false", "(true and false)"),
            (
                "[\"a\" + \"b\", \"c\", 1, 2s]",
                "[(\"a\" + \"b\"), \"c\", 1, 2s]",
            ),
            ("x.y.z >= 2026-01-01T00:00Z", "(x.y.z >= 2026-01-01T00:00Z)"),
            ("a - 1.5 == 3 ?? b", "((a - 1.5) == (3 ?? b))"),
            // `if` binds loosest on its right: the `else` branch takes the whole rest.
            (
                "if a or b then c + 1 else d == e and f",
                "(if (a or b) then (c + 1) else ((d == e) and f))",
            ),
            (
                "x + if a then 1 else 2 * 3",
                "(x + (if a then 1 else (2 * 3)))",
            ),
            (
                "(if a then 1 else 2) * 3",
                "([paren (if a then 1 else 2)] * 3)",
            ),
            ("iffy + elsewhere", "(iffy + elsewhere)"),
        ];
        for (source, want) in cases {
            assert_eq!(parsed(source), want, "{source}");
        }
    }

    #[test]
    fn comparisons_do_not_chain_and_not_stands_before_a_comparison() {
        for source in [
            "a < b < c",
            "a == b != c",
            "a == not b",
            "a + not b",
            "a -> b",
        ] {
            assert!(parse_expr(source).is_err(), "{source} parsed");
        }
    }

    #[test]
    fn a_string_runs_to_its_closing_quote_past_braces_and_escapes() {
        let raw = r#"a {lower("X")} {{b}} } { \" c 鼓楼"#;
        let e = parse_expr(&format!("\"{raw}\"")).unwrap();
        let ExprKind::Str(s) = &e.kind else {
            panic!("{e:?}")
        };
        assert_eq!(s.raw, raw);
        assert!(parse_expr("\"a\nb\"").is_err());
    }

    #[test]
    fn spans_cover_the_operator_and_its_operands_only() {
        let source = "not a.b == 1 and c";
        let e = parse_expr(source).unwrap();
        let ExprKind::Binary(BinaryOp::And, left, right) = &e.kind else {
            panic!("{e:?}")
        };
        assert_eq!(&source[e.span.range()], source);
        assert_eq!(&source[left.span.range()], "not a.b == 1");
        assert_eq!(&source[right.span.range()], "c");
    }

    #[test]
    fn nesting_too_deep_for_the_stack_is_a_syntax_error() {
        // pest runs without its stack guard: `nesting` bounds brackets and `list<...>` types
        // before pest sees them (`runtime/tests/nesting.rs` covers the other forms).
        let sources = |n: usize| -> [String; 3] {
            let rule = |open: &str, close: &str| {
                format!(
                    "rule r {{\n  when e: E where {}e.a > 1{}\n  alert u message \"x\"\n}}\n",
                    open.repeat(n),
                    close.repeat(n)
                )
            };
            [
                rule("(", ")"),
                rule("[", "]"),
                format!(
                    "event E {{ a: {}int{} }}\n",
                    "list<".repeat(n),
                    ">".repeat(n)
                ),
            ]
        };
        for source in sources(3) {
            let file = parse_file(&source);
            assert!(file.items[0].tree.is_some(), "{source}");
        }
        for source in sources(30_000) {
            let file = parse_file(&source);
            let item = &file.items[0];
            assert!(item.tree.is_none(), "{}", &source[..40]);
            assert!(!item.errors.is_empty());
        }
    }
}
