//! Editor queries over the database: what a name refers to, where it is defined and used,
//! hover text, completion, outline, semantic tokens, inlay hints and folding.
//!
//! Everything here is a pure function of the database and knows nothing of the language
//! server protocol: positions are byte offsets, ranges are `Span`s, absolute in the file they
//! come with. The language server converts them (`lsp/src/convert.rs`). Names are read from the
//! facts `check_item` records, so the editor and `vigil check` never disagree about what a
//! name means.

pub mod completion;
pub mod diagnostics;
pub mod highlight;
pub mod hover;
pub mod symbols;

use smol_str::SmolStr;

use crate::check::Target;
use crate::db::{self, Db, ItemId, RuleSet, SourceFile};
use crate::diagnostics::{Diag, Located};
use crate::syntax::ast::{self, ExprKind, ItemKind};
use crate::syntax::{ItemTag, Span};

/// A named thing: what a name in the source refers to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Def<'db> {
    /// A top-level declaration (event, enum, unit, list, zone, calendar, const, fn, rule,
    /// workflow) by name.
    Item(SmolStr),
    Field {
        event: SmolStr,
        field: SmolStr,
    },
    Variant {
        enum_name: SmolStr,
        variant: SmolStr,
    },
    State {
        workflow: SmolStr,
        state: SmolStr,
    },
    /// A workflow variable (`var`).
    Variable {
        workflow: SmolStr,
        name: SmolStr,
    },
    /// An event binding (`c: CallRecord`) or a `fn` parameter: local to one item, declared at
    /// `span` (relative to the item).
    Local {
        item: ItemId<'db>,
        span: Span,
        name: SmolStr,
    },
}

/// A range in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileSpan {
    pub file: SourceFile,
    pub span: Span,
}

/// Where a named thing is declared: the whole declaration and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NavTarget {
    pub file: SourceFile,
    pub full: Span,
    pub name: Span,
}

/// One occurrence of a name in an item: a use or the declaration. `span` is relative to the
/// item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit<'db> {
    pub span: Span,
    pub def: Def<'db>,
    pub decl: bool,
}

/// The item of `file` that holds `offset` (or ends right before it), with its offset.
pub fn item_at<'db>(
    db: &'db dyn Db,
    ruleset: RuleSet,
    file: SourceFile,
    offset: u32,
) -> Option<(ItemId<'db>, u32)> {
    let ids = db::file_items(db, ruleset, file);
    let pos = ids.partition_point(|id| db::item_location(db, *id).0 <= offset);
    let id = *ids.get(pos.checked_sub(1)?)?;
    Some((id, db::item_location(db, id).0))
}

/// The text of an item: from its keyword to the start of the next item.
pub(crate) fn item_text<'a>(db: &'a dyn Db, ruleset: RuleSet, id: ItemId<'_>) -> &'a str {
    let file = id.file(db);
    let text = file.text(db);
    let ids = db::file_items(db, ruleset, file);
    let start = db::item_location(db, id).0 as usize;
    let end = ids
        .iter()
        .position(|i| *i == id)
        .and_then(|p| ids.get(p + 1))
        .map_or(text.len(), |next| db::item_location(db, *next).0 as usize);
    text.get(start..end).unwrap_or("")
}

/// The first item named `name` in the rule set (the definition `vigil check` uses).
pub fn find_item<'db>(db: &'db dyn Db, ruleset: RuleSet, name: &str) -> Option<ItemId<'db>> {
    db::items(db, ruleset)
        .iter()
        .copied()
        .find(|id| id.tag(db).is_named() && id.name(db) == name)
}

/// Every name in an item, declarations and uses, in no particular order.
pub(crate) fn hits<'db>(db: &'db dyn Db, id: ItemId<'db>) -> Vec<Hit<'db>> {
    let mut out = Vec::new();
    let Some(tree) = db::item_syntax(db, id) else {
        return out;
    };
    let decl = |out: &mut Vec<Hit<'db>>, span: Span, def: Def<'db>| {
        out.push(Hit {
            span,
            def,
            decl: true,
        })
    };
    if let Some(name) = tree.name() {
        decl(&mut out, name.span, Def::Item(name.name.clone()));
    }
    match &tree.kind {
        ItemKind::Event(e) => {
            for f in &e.fields {
                let def = Def::Field {
                    event: e.name.name.clone(),
                    field: f.name.name.clone(),
                };
                decl(&mut out, f.name.span, def);
            }
        }
        ItemKind::Enum(e) => {
            for v in &e.variants {
                let def = Def::Variant {
                    enum_name: e.name.name.clone(),
                    variant: v.name.clone(),
                };
                decl(&mut out, v.span, def);
            }
        }
        ItemKind::Workflow(w) => {
            for c in &w.clauses {
                match c {
                    ast::WorkflowClause::State(s) => {
                        let def = Def::State {
                            workflow: w.name.name.clone(),
                            state: s.name.name.clone(),
                        };
                        decl(&mut out, s.name.span, def);
                    }
                    ast::WorkflowClause::Var(v) => {
                        let def = Def::Variable {
                            workflow: w.name.name.clone(),
                            name: v.name.name.clone(),
                        };
                        decl(&mut out, v.name.span, def);
                    }
                    _ => {}
                }
            }
        }
        ItemKind::Fn(f) => {
            // Parameters are values the checker inlines, so their uses are found here, in
            // the body: a name is a parameter wherever the body names it (a body has no
            // bindings of its own that could shadow one).
            for p in &f.params {
                let def = Def::Local {
                    item: id,
                    span: p.name.span,
                    name: p.name.name.clone(),
                };
                decl(&mut out, p.name.span, def.clone());
                walk_expr(&f.body, &mut |e| {
                    if let ExprKind::Name(n) = &e.kind
                        && n.name == p.name.name
                    {
                        out.push(Hit {
                            span: n.span,
                            def: def.clone(),
                            decl: false,
                        });
                    }
                });
            }
        }
        _ => {}
    }
    let checked = db::check_item(db, id);
    for (span, event) in &checked.facts.bindings {
        let _ = event;
        let name = binding_name(db, id, *span);
        decl(
            &mut out,
            *span,
            Def::Local {
                item: id,
                span: *span,
                name,
            },
        );
    }
    for (span, target) in &checked.facts.refs {
        let def = match target {
            Target::Item(name) => Def::Item(name.clone()),
            Target::Field { event, field } => Def::Field {
                event: event.clone(),
                field: field.clone(),
            },
            Target::Variant { enum_name, variant } => Def::Variant {
                enum_name: enum_name.clone(),
                variant: variant.clone(),
            },
            Target::State { workflow, state } => Def::State {
                workflow: workflow.clone(),
                state: state.clone(),
            },
            Target::Variable { workflow, name } => Def::Variable {
                workflow: workflow.clone(),
                name: name.clone(),
            },
            Target::Binding(at) => Def::Local {
                item: id,
                span: *at,
                name: binding_name(db, id, *at),
            },
        };
        out.push(Hit {
            span: *span,
            def,
            decl: false,
        });
    }
    out
}

/// The text of a binding's name, read from the file.
fn binding_name(db: &dyn Db, id: ItemId<'_>, span: Span) -> SmolStr {
    let offset = db::item_location(db, id).0;
    let text = id.file(db).text(db);
    SmolStr::new(text.get(span.shift(offset).range()).unwrap_or(""))
}

/// Calls `f` on `e` and every expression inside it.
pub fn walk_expr(e: &ast::Expr, f: &mut dyn FnMut(&ast::Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Set(items) | ExprKind::Call(_, items) => {
            for i in items {
                walk_expr(i, f);
            }
        }
        ExprKind::Field(base, _) => walk_expr(base, f),
        ExprKind::Unary(_, a) | ExprKind::Paren(a) => walk_expr(a, f),
        ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
            walk_expr(a, f);
            walk_expr(b, f);
        }
        ExprKind::If(c, a, b) => {
            walk_expr(c, f);
            walk_expr(a, f);
            walk_expr(b, f);
        }
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Duration(_)
        | ExprKind::Time(_)
        | ExprKind::Bool(_)
        | ExprKind::Str(_)
        | ExprKind::Name(_) => {}
    }
}

/// The name under `offset` and what it refers to. The returned span is absolute.
pub fn def_at<'db>(
    db: &'db dyn Db,
    ruleset: RuleSet,
    file: SourceFile,
    offset: u32,
) -> Option<(Span, Def<'db>)> {
    let (id, base) = item_at(db, ruleset, file, offset)?;
    let rel = offset.checked_sub(base)?;
    hits(db, id)
        .into_iter()
        .filter(|h| h.span.contains(rel))
        .min_by_key(|h| (h.span.len(), !h.decl))
        .map(|h| (h.span.shift(base), h.def))
}

/// Where `def` is declared.
pub fn definition<'db>(db: &'db dyn Db, ruleset: RuleSet, def: &Def<'db>) -> Option<NavTarget> {
    let nav = |id: ItemId<'db>, name: Span| {
        let (offset, full, _) = db::item_location(db, id).clone();
        NavTarget {
            file: id.file(db),
            full,
            name: name.shift(offset),
        }
    };
    match def {
        Def::Item(name) => {
            let id = find_item(db, ruleset, name)?;
            let span = match db::item_syntax(db, id) {
                Some(tree) => tree.name().map(|n| n.span).unwrap_or(tree.span),
                None => Span::new(0, id.tag(db).keyword().len()),
            };
            Some(nav(id, span))
        }
        Def::Local { item, span, .. } => Some(nav(*item, *span)),
        Def::Field { event, .. }
        | Def::Variant {
            enum_name: event, ..
        } => {
            let id = find_item(db, ruleset, event)?;
            let span = hits(db, id)
                .into_iter()
                .find(|h| h.decl && h.def == *def)?
                .span;
            Some(nav(id, span))
        }
        Def::State { workflow, .. } | Def::Variable { workflow, .. } => {
            let id = find_item(db, ruleset, workflow)?;
            let span = hits(db, id)
                .into_iter()
                .find(|h| h.decl && h.def == *def)?
                .span;
            Some(nav(id, span))
        }
    }
}

/// Every occurrence of `def` in the rule set, files in rule-set order and by position; the
/// declaration is included when `include_decl`.
pub fn references<'db>(
    db: &'db dyn Db,
    ruleset: RuleSet,
    def: &Def<'db>,
    include_decl: bool,
) -> Vec<FileSpan> {
    let scan: Vec<ItemId<'db>> = match def {
        Def::Local { item, .. } => vec![*item],
        _ => db::items(db, ruleset).clone(),
    };
    let mut out = Vec::new();
    for id in scan {
        let offset = db::item_location(db, id).0;
        let file = id.file(db);
        let mut spans: Vec<Span> = hits(db, id)
            .into_iter()
            .filter(|h| h.def == *def && (include_decl || !h.decl))
            .map(|h| h.span.shift(offset))
            .collect();
        spans.sort();
        spans.dedup();
        out.extend(spans.into_iter().map(|span| FileSpan { file, span }));
    }
    // A declaration that is not the definition (a duplicate) is still an occurrence, but
    // the definition comes first.
    out
}

/// Why a rename was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenameError {
    /// Nothing that can be renamed is under the cursor.
    NothingToRename,
    /// The name is built in (`time`, `id`) and has no declaration to rename.
    BuiltIn(String),
    /// The new name is not an identifier (or is reserved).
    NotAnIdentifier(String),
    /// The new name is already taken where the renamed thing lives.
    Collision(String),
}

impl std::fmt::Display for RenameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenameError::NothingToRename => f.write_str("there is no name to rename here"),
            RenameError::BuiltIn(n) => write!(f, "`{n}` is built in and cannot be renamed"),
            RenameError::NotAnIdentifier(n) => write!(f, "`{n}` is not a valid name"),
            RenameError::Collision(m) => f.write_str(m),
        }
    }
}

/// The span of the renameable name at `offset` and its current text (for prepare-rename).
pub fn rename_target<'db>(
    db: &'db dyn Db,
    ruleset: RuleSet,
    file: SourceFile,
    offset: u32,
) -> Result<(Span, Def<'db>), RenameError> {
    let (span, def) = def_at(db, ruleset, file, offset).ok_or(RenameError::NothingToRename)?;
    if let Def::Field { field, .. } = &def
        && (field == "time" || field == "id")
    {
        return Err(RenameError::BuiltIn(field.to_string()));
    }
    if definition(db, ruleset, &def).is_none() {
        return Err(RenameError::NothingToRename);
    }
    Ok((span, def))
}

/// Whether `name` is a Vigil identifier (not a reserved word), by the grammar itself.
pub fn is_identifier(name: &str) -> bool {
    matches!(crate::syntax::parse_expr(name), Ok(ast::Expr { kind: ExprKind::Name(n), .. }) if n.name == name)
}

/// The edits that rename the name at `offset` to `new_name` everywhere in the rule set.
pub fn rename(
    db: &dyn Db,
    ruleset: RuleSet,
    file: SourceFile,
    offset: u32,
    new_name: &str,
) -> Result<Vec<FileSpan>, RenameError> {
    let (_, def) = rename_target(db, ruleset, file, offset)?;
    if !is_identifier(new_name) {
        return Err(RenameError::NotAnIdentifier(new_name.to_string()));
    }
    let scope = db::scope(db, ruleset);
    let taken = |what: String| Err(RenameError::Collision(what));
    match &def {
        Def::Item(old) => {
            if old != new_name && scope.names.contains_key(new_name) {
                return taken(format!("`{new_name}` is already defined in this rule set"));
            }
        }
        Def::Field { event, field } => {
            let exists = scope
                .events
                .get(event)
                .is_some_and(|e| e.field(new_name).is_some());
            if field != new_name && exists {
                return taken(format!("`{event}` already has a field `{new_name}`"));
            }
        }
        Def::Variant { enum_name, variant } => {
            if variant != new_name {
                if let Some((e, _)) = scope.enums_with_variant(new_name).first() {
                    return taken(format!("`{e}` already has a value `{new_name}`"));
                }
                if scope.names.contains_key(new_name) {
                    return taken(format!(
                        "`{new_name}` is already defined in this rule set, so `{enum_name}.{new_name}` would be ambiguous"
                    ));
                }
            }
        }
        Def::State { workflow, state } => {
            let exists = scope
                .workflows
                .get(workflow)
                .is_some_and(|w| w.states.iter().any(|s| s == new_name));
            if state != new_name && exists {
                return taken(format!("`{workflow}` already has a state `{new_name}`"));
            }
        }
        Def::Variable { workflow, name } => {
            let exists = find_item(db, ruleset, workflow).is_some_and(|id| {
                hits(db, id).into_iter().any(|h| {
                    h.decl && matches!(&h.def, Def::Variable { name: n, .. } if n == new_name)
                })
            });
            if name != new_name && exists {
                return taken(format!("`{workflow}` already has a variable `{new_name}`"));
            }
        }
        Def::Local { item, name, .. } => {
            if name != new_name {
                let local_clash = hits(db, *item)
                    .into_iter()
                    .any(|h| matches!(&h.def, Def::Local { name: n, .. } if n == new_name));
                if local_clash {
                    return taken(format!("`{new_name}` is already bound here"));
                }
                if scope.names.contains_key(new_name)
                    || !scope.enums_with_variant(new_name).is_empty()
                {
                    return taken(format!(
                        "`{new_name}` would hide the declaration of the same name in this item"
                    ));
                }
            }
        }
    }
    Ok(references(db, ruleset, &def, true))
}

/// More places a diagnostic concerns, for the editor's "related information": the first
/// definition of a duplicated name, or the declaration a "did you mean" suggests.
pub fn related(db: &dyn Db, ruleset: RuleSet, located: &Located) -> Vec<(FileSpan, String)> {
    let target = match &located.diag {
        Diag::DuplicateName(d) => find_item(db, ruleset, &d.name)
            .and_then(|id| definition(db, ruleset, &Def::Item(id.name(db).clone())))
            .map(|nav| (nav, format!("`{}` is first defined here", d.name))),
        Diag::UnknownField(d) => located.diag.replacement().and_then(|f| {
            let def = Def::Field {
                event: d.event.as_str().into(),
                field: f.into(),
            };
            let nav = definition(db, ruleset, &def)?;
            Some((nav, format!("`{}.{f}` is declared here", d.event)))
        }),
        Diag::UnknownVariant(d) => located.diag.replacement().and_then(|v| {
            let def = Def::Variant {
                enum_name: d.enum_name.as_str().into(),
                variant: v.into(),
            };
            let nav = definition(db, ruleset, &def)?;
            Some((nav, format!("`{}.{v}` is declared here", d.enum_name)))
        }),
        _ => located.diag.replacement().and_then(|name| {
            let id = find_item(db, ruleset, name)?;
            let nav = definition(db, ruleset, &Def::Item(id.name(db).clone()))?;
            Some((nav, format!("`{name}` is declared here")))
        }),
    };
    target
        .map(|(nav, msg)| {
            (
                FileSpan {
                    file: nav.file,
                    span: nav.name,
                },
                msg,
            )
        })
        .into_iter()
        .collect()
}

/// The `test` blocks of a file: title and the span of the item.
pub fn tests_in_file(db: &dyn Db, ruleset: RuleSet, file: SourceFile) -> Vec<(String, Span)> {
    db::file_items(db, ruleset, file)
        .iter()
        .filter(|id| id.tag(db) == ItemTag::Test)
        .filter_map(|id| {
            let tree = db::item_syntax(db, *id).as_ref()?;
            let ItemKind::Test(t) = &tree.kind else {
                return None;
            };
            let title = crate::check::literal::string_value(&t.name).to_string();
            Some((title, db::item_location(db, *id).1))
        })
        .collect()
}

/// The workflows of `file`: name and span.
pub fn workflows_in_file(db: &dyn Db, ruleset: RuleSet, file: SourceFile) -> Vec<(String, Span)> {
    db::file_items(db, ruleset, file)
        .iter()
        .filter(|id| id.tag(db) == ItemTag::Workflow)
        .map(|id| (id.name(db).to_string(), db::item_location(db, *id).1))
        .collect()
}

/// The state diagram of workflow `name` as Mermaid, if the rule set has one by that name.
pub fn workflow_diagram(db: &dyn Db, ruleset: RuleSet, name: &str) -> Option<String> {
    let id = find_item(db, ruleset, name)?;
    let tree = db::item_syntax(db, id).as_ref()?;
    let ItemKind::Workflow(w) = &tree.kind else {
        return None;
    };
    Some(crate::diagram::mermaid(&crate::diagram::workflow(w)))
}

/// The line and UTF-16 column of `offset` in `file`, as editors count.
pub fn position(db: &dyn Db, file: SourceFile, offset: u32) -> (u32, u32) {
    db::line_index(db, file).utf16(file.text(db), offset)
}

/// The byte offset of a line and UTF-16 column in `file`.
pub fn offset(db: &dyn Db, file: SourceFile, line: u32, col: u32) -> u32 {
    db::line_index(db, file).offset_utf16(file.text(db), line, col)
}
