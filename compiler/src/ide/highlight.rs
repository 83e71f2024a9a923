//! Semantic tokens (what each name is, from the checker's facts) and inlay hints (the types
//! of bindings the source leaves implicit).

use super::{Def, hits};
use crate::db::{self, Db, RuleSet, SourceFile};
use crate::syntax::ast::{self, ItemKind};
use crate::syntax::{ItemTag, Span};
use vigil_ir::Ty;

/// The kind of a highlighted name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenKind {
    /// Event types.
    Type,
    Enum,
    EnumMember,
    Property,
    /// Units, rules, workflows, lists, zones and calendars: declarations used by name.
    Namespace,
    Function,
    Variable,
    Parameter,
    /// Workflow states.
    Label,
}

impl TokenKind {
    /// Every kind, in the order of the language server's legend.
    pub const ALL: [TokenKind; 9] = [
        TokenKind::Type,
        TokenKind::Enum,
        TokenKind::EnumMember,
        TokenKind::Property,
        TokenKind::Namespace,
        TokenKind::Function,
        TokenKind::Variable,
        TokenKind::Parameter,
        TokenKind::Label,
    ];
}

/// A highlighted name: absolute span, kind, and whether it is the declaration; `readonly` for
/// constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token {
    pub span: Span,
    pub kind: TokenKind,
    pub declaration: bool,
    pub readonly: bool,
}

/// The semantic tokens of a file, sorted and without overlaps.
pub fn semantic_tokens(db: &dyn Db, ruleset: RuleSet, file: SourceFile) -> Vec<Token> {
    let scope = db::scope(db, ruleset);
    let mut out = Vec::new();
    for id in db::file_items(db, ruleset, file) {
        let offset = db::item_location(db, *id).0;
        let own_tag = id.tag(db);
        for h in hits(db, *id) {
            let (kind, readonly) = match &h.def {
                Def::Item(name) => {
                    let tag = if h.decl {
                        Some(own_tag)
                    } else {
                        scope.names.get(name).copied()
                    };
                    match tag {
                        Some(ItemTag::Event) => (TokenKind::Type, false),
                        Some(ItemTag::Enum) => (TokenKind::Enum, false),
                        Some(ItemTag::Fn) => (TokenKind::Function, false),
                        Some(ItemTag::Const | ItemTag::Map) => (TokenKind::Variable, true),
                        Some(_) => (TokenKind::Namespace, false),
                        None => continue,
                    }
                }
                Def::Field { .. } => (TokenKind::Property, false),
                Def::Variant { .. } => (TokenKind::EnumMember, false),
                Def::State { .. } => (TokenKind::Label, false),
                Def::Variable { .. } => (TokenKind::Variable, false),
                Def::Local { item, span, .. } => {
                    let is_param = matches!(
                        db::item_syntax(db, *item).as_deref().map(|t| &t.kind),
                        Some(ItemKind::Fn(f)) if f.params.iter().any(|p| p.name.span == *span)
                    );
                    if is_param {
                        (TokenKind::Parameter, false)
                    } else {
                        (TokenKind::Variable, false)
                    }
                }
            };
            out.push(Token {
                span: h.span.shift(offset),
                kind,
                declaration: h.decl,
                readonly,
            });
        }
    }
    out.sort();
    // One token per span: the first (declarations sort after uses, so prefer them).
    let mut cleaned: Vec<Token> = Vec::with_capacity(out.len());
    for t in out {
        match cleaned.last_mut() {
            Some(prev) if prev.span == t.span => {
                if t.declaration {
                    *prev = t;
                }
            }
            Some(prev) if t.span.start < prev.span.end => {}
            _ => cleaned.push(t),
        }
    }
    cleaned
}

/// An inlay hint: text shown at `offset` (absolute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlayHint {
    pub offset: u32,
    pub label: String,
}

/// Types the source leaves implicit: constants without a type, the `key` of `group by` and
/// of `sequence by`.
pub fn inlay_hints(db: &dyn Db, ruleset: RuleSet, file: SourceFile) -> Vec<InlayHint> {
    let scope = db::scope(db, ruleset);
    let mut out = Vec::new();
    for id in db::file_items(db, ruleset, file) {
        let offset = db::item_location(db, *id).0;
        let Some(tree) = db::item_syntax(db, *id).as_deref() else {
            continue;
        };
        let facts = &db::check_item(db, *id).facts;
        let type_of = |span: Span| -> Option<Ty> {
            facts
                .types
                .iter()
                .find(|(s, _, _)| *s == span)
                .map(|(_, t, _)| t.clone())
        };
        match &tree.kind {
            ItemKind::Const(c) if c.ty.is_none() => {
                if let Some(sig) = scope.consts.get(&c.name.name)
                    && !sig.ty.is_error()
                {
                    out.push(InlayHint {
                        offset: c.name.span.end + offset,
                        label: format!(": {}", sig.ty),
                    });
                }
            }
            ItemKind::Rule(r) => {
                for clause in &r.clauses {
                    match clause {
                        ast::RuleClause::When(ast::Pattern::Single(s)) => {
                            if let Some(g) = &s.group
                                && let Some(ty) = type_of(g.key.span)
                            {
                                out.push(InlayHint {
                                    offset: g.key.span.end + offset,
                                    label: format!(" as key: {ty}"),
                                });
                            }
                        }
                        ast::RuleClause::When(ast::Pattern::Sequence(s)) => {
                            // The key is a field of every step; its type is the field's.
                            let ty = facts.refs.iter().find_map(|(span, t)| match t {
                                crate::check::Target::Field { event, field }
                                    if *span == s.key.span =>
                                {
                                    let sig = scope.events.get(event)?;
                                    Some(sig.field_type(sig.field(field)?).0)
                                }
                                _ => None,
                            });
                            let ty = ty.or_else(|| {
                                let first = s.steps.first()?;
                                let sig = scope.events.get(&first.event.ty.name)?;
                                Some(sig.field_type(sig.field(&s.key.name)?).0)
                            });
                            if let Some(ty) = ty {
                                out.push(InlayHint {
                                    offset: s.key.span.end + offset,
                                    label: format!(": {ty}"),
                                });
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    out
}
