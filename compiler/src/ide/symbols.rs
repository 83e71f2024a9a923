//! The outline of a file, the symbols of a rule set, and folding ranges.

use super::hover::for_each_expr;
use crate::db::{self, Db, RuleSet, SourceFile};
use crate::syntax::ast::{self, ItemKind};
use crate::syntax::{CommentKind, ItemTag, Span};

/// What a symbol declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    Timezone,
    Unit,
    Calendar,
    Enum,
    Variant,
    Event,
    Field,
    List,
    Zone,
    Const,
    Fn,
    Rule,
    Workflow,
    State,
    /// A workflow variable (`var`).
    Variable,
    /// A lookup table (`map`, SPEC v0.2).
    Map,
    Test,
}

impl SymbolKind {
    fn of(tag: ItemTag) -> SymbolKind {
        match tag {
            ItemTag::Timezone => SymbolKind::Timezone,
            ItemTag::Unit => SymbolKind::Unit,
            ItemTag::Calendar => SymbolKind::Calendar,
            ItemTag::Enum => SymbolKind::Enum,
            ItemTag::Event => SymbolKind::Event,
            ItemTag::List => SymbolKind::List,
            ItemTag::Map => SymbolKind::Map,
            ItemTag::Zone => SymbolKind::Zone,
            ItemTag::Const => SymbolKind::Const,
            ItemTag::Fn => SymbolKind::Fn,
            ItemTag::Rule => SymbolKind::Rule,
            ItemTag::Workflow => SymbolKind::Workflow,
            ItemTag::Test => SymbolKind::Test,
        }
    }
}

/// A declaration in the outline. Spans are absolute in `file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    pub detail: Option<String>,
    pub file: SourceFile,
    /// The whole declaration.
    pub full: Span,
    /// The name.
    pub name_span: Span,
    pub children: Vec<Symbol>,
}

/// The outline of one file: its items, with fields, values and states below them.
pub fn file_symbols(db: &dyn Db, ruleset: RuleSet, file: SourceFile) -> Vec<Symbol> {
    let mut out = Vec::new();
    for id in db::file_items(db, ruleset, file) {
        let (offset, full, _) = db::item_location(db, *id).clone();
        let tag = id.tag(db);
        let tree = db::item_syntax(db, *id);
        let name_span = tree
            .as_deref()
            .and_then(|t| t.name().map(|n| n.span.shift(offset)))
            .unwrap_or(Span::new(
                offset as usize,
                offset as usize + tag.keyword().len(),
            ));
        let name = match tag {
            ItemTag::Timezone => "timezone".to_string(),
            _ if id.name(db).is_empty() => format!("{} (incomplete)", tag.keyword()),
            _ => id.name(db).to_string(),
        };
        let child =
            |name: &str, kind, detail: Option<String>, full: Span, name_span: Span| Symbol {
                name: name.to_string(),
                kind,
                detail,
                file,
                full: full.shift(offset),
                name_span: name_span.shift(offset),
                children: Vec::new(),
            };
        let mut children = Vec::new();
        let mut detail = None;
        match tree.as_deref().map(|t| &t.kind) {
            Some(ItemKind::Event(e)) => {
                for f in &e.fields {
                    let ty = f.ty.to_string();
                    children.push(child(
                        &f.name.name,
                        SymbolKind::Field,
                        Some(ty),
                        f.span,
                        f.name.span,
                    ));
                }
            }
            Some(ItemKind::Enum(e)) => {
                for v in &e.variants {
                    children.push(child(&v.name, SymbolKind::Variant, None, v.span, v.span));
                }
            }
            Some(ItemKind::Workflow(w)) => {
                for c in &w.clauses {
                    match c {
                        ast::WorkflowClause::State(s) => children.push(child(
                            &s.name.name,
                            SymbolKind::State,
                            s.is_final.then(|| "final".to_string()),
                            s.span,
                            s.name.span,
                        )),
                        ast::WorkflowClause::Title(t) => detail = Some(t.raw.to_string()),
                        ast::WorkflowClause::Var(v) => children.push(child(
                            &v.name.name,
                            SymbolKind::Variable,
                            Some(v.ty.to_string()),
                            v.span,
                            v.name.span,
                        )),
                        ast::WorkflowClause::Start(..) | ast::WorkflowClause::After(_) => {}
                    }
                }
            }
            Some(ItemKind::Rule(r)) => {
                detail = r.clauses.iter().find_map(|c| match c {
                    ast::RuleClause::Title(t) => Some(t.raw.to_string()),
                    _ => None,
                });
            }
            Some(ItemKind::Unit(u)) => detail = u.display.as_ref().map(|d| d.raw.to_string()),
            Some(ItemKind::Fn(f)) => {
                let params: Vec<String> = f
                    .params
                    .iter()
                    .map(|p| format!("{}: {}", p.name.name, p.ty))
                    .collect();
                detail = Some(format!("({}) -> {}", params.join(", "), f.ret));
            }
            _ => {}
        }
        out.push(Symbol {
            name,
            kind: SymbolKind::of(tag),
            detail,
            file,
            full,
            name_span,
            children,
        });
    }
    out
}

/// The named items of the rule set whose name contains `query` (ignoring case), in rule-set
/// order; at most `limit`.
pub fn workspace_symbols(db: &dyn Db, ruleset: RuleSet, query: &str, limit: usize) -> Vec<Symbol> {
    let query = query.to_lowercase();
    let mut out = Vec::new();
    for id in db::items(db, ruleset) {
        let tag = id.tag(db);
        if !tag.is_named() || !id.name(db).to_lowercase().contains(&query) {
            continue;
        }
        let (offset, full, _) = db::item_location(db, *id).clone();
        let name_span = db::item_syntax(db, *id)
            .as_deref()
            .and_then(|t| t.name().map(|n| n.span.shift(offset)))
            .unwrap_or(full);
        out.push(Symbol {
            name: id.name(db).to_string(),
            kind: SymbolKind::of(tag),
            detail: None,
            file: id.file(db),
            full,
            name_span,
            children: Vec::new(),
        });
        if out.len() >= limit {
            break;
        }
    }
    out
}

/// What a folding range holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FoldKind {
    Region,
    Comment,
}

/// The ranges an editor may fold: multi-line items, states, `events` blocks, long
/// expressions and runs of comment lines. Spans are absolute.
pub fn folding_ranges(db: &dyn Db, ruleset: RuleSet, file: SourceFile) -> Vec<(Span, FoldKind)> {
    let text = file.text(db);
    let multi = |s: Span| {
        text.get(s.range())
            .is_some_and(|t| t.trim_end().contains('\n'))
    };
    let mut out = Vec::new();
    for id in db::file_items(db, ruleset, file) {
        let (offset, full, _) = db::item_location(db, *id).clone();
        if multi(full) {
            out.push((full, FoldKind::Region));
        }
        let Some(tree) = db::item_syntax(db, *id).as_deref() else {
            continue;
        };
        let mut inner = Vec::new();
        match &tree.kind {
            ItemKind::Workflow(w) => {
                for c in &w.clauses {
                    if let ast::WorkflowClause::State(s) = c {
                        inner.push(s.span);
                    }
                }
            }
            ItemKind::Test(t) => {
                for c in &t.clauses {
                    if let ast::TestClause::Events(_, span) = c {
                        inner.push(*span);
                    }
                }
            }
            _ => {}
        }
        for_each_expr(tree, &mut |e| inner.push(e.span));
        for s in inner {
            let s = s.shift(offset);
            if multi(s) {
                out.push((s, FoldKind::Region));
            }
        }
    }
    // Runs of line comments (and doc comments) on consecutive lines.
    let comments = &db::parse(db, file).comments;
    let index = db::line_index(db, file);
    let mut run: Option<(Span, u32)> = None;
    let flush = |run: &mut Option<(Span, u32)>, out: &mut Vec<(Span, FoldKind)>| {
        if let Some((span, _)) = run.take()
            && multi(span)
        {
            out.push((span, FoldKind::Comment));
        }
    };
    for c in comments {
        let line = index.line_col(c.span.start).0;
        match (&mut run, c.kind) {
            (_, CommentKind::Block) => {
                flush(&mut run, &mut out);
                if multi(c.span) {
                    out.push((c.span, FoldKind::Comment));
                }
            }
            (Some((span, last)), _) if *last + 1 == line => {
                *span = span.to(c.span);
                *last = line;
            }
            _ => {
                flush(&mut run, &mut out);
                run = Some((c.span, line));
            }
        }
    }
    flush(&mut run, &mut out);
    out.sort_by_key(|(s, _)| (s.start, std::cmp::Reverse(s.end)));
    out.dedup();
    out
}
