//! `vigil diff`: what changed between two versions of a rule set (the `vigil-diff` crate).
//!
//! Items are matched by kind and name, wherever their files are. Two items are the same when
//! their canonical text (`fmt::canonical_item`, comments dropped) is the same, so formatting
//! and comments never count. A changed rule or workflow is compared clause by clause; an event
//! or enum change is classified as breaking or compatible for the producers of events; and for
//! every condition whose meaning may have changed (its text, or a constant, function or list it
//! uses), the two lowered conditions are compared and a witness event is searched for
//! (`witness`).
//!
//! Comparing and searching are pure: they read two databases. `verify` runs each witness
//! through the runtime on both versions, and `replay` runs both versions over real events.

mod equiv;
mod eval;
mod exprs;
mod items;
pub mod replay;
mod verify;
pub mod witness;

pub use verify::{Checked, verify};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use smol_str::SmolStr;

use vigil_compiler::db::{self, Db, RuleSet, item_syntax, program, ruleset_diagnostics};
use vigil_compiler::diagnostics::Level;
use vigil_compiler::fmt::canonical_item;
use vigil_compiler::syntax::ItemTag;
use vigil_compiler::syntax::ast::{self, ItemKind};
use vigil_ir::Program;

pub use witness::{Search, SearchConfig, Site, Witness};

/// One version of a rule set: a database and the rule set in it.
#[derive(Clone, Copy)]
pub struct Version<'a> {
    pub db: &'a dyn Db,
    pub ruleset: RuleSet,
}

/// Everything that differs between two versions.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub old: VersionInfo,
    pub new: VersionInfo,
    /// Items in kind order (the order of `ItemTag::ALL`), then by name.
    pub items: Vec<ItemChange>,
    /// Changes to what producers of events must send: event types, fields, enum variants.
    pub schema: Vec<SchemaChange>,
    /// Conditions whose meaning may have changed, in report order.
    pub conditions: Vec<ConditionChange>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VersionInfo {
    /// The rule set's fingerprint, when it compiles.
    pub fingerprint: Option<String>,
    /// The number of errors (`0`: it compiles).
    pub errors: usize,
}

impl Report {
    /// Whether what the rule set does changed: any item change marked `semantic`.
    pub fn changed(&self) -> bool {
        self.items.iter().any(|i| i.semantic)
    }
}

/// How an item changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Added,
    Removed,
    /// The same canonical body under a new name; `name` is the new one.
    Renamed {
        from: SmolStr,
    },
    /// Its text changed.
    Changed,
    /// Its text is the same but something it uses changed (a constant, a function, a list).
    Affected {
        via: Vec<SmolStr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ItemChange {
    pub tag: ItemTag,
    pub name: SmolStr,
    pub status: Status,
    /// Whether what the rule set does changes. False for tests, for constants and functions
    /// (the rules that use them are reported as affected), for a literal list whose elements
    /// were only reordered, and for a rule or workflow rewritten to the same lowered form.
    pub semantic: bool,
    /// Clause by clause, in source order.
    pub details: Vec<Detail>,
    /// The canonical text of an added item (new) or a removed one (old).
    pub text: Option<String>,
}

/// One difference inside an item.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    /// Where in the item: `where`, `state intake › after`, `alert`...
    pub at: String,
    /// What changed: `threshold`, `clause`, `unit`, `deadline`, `field`...
    pub what: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// For a part of a clause: the whole clause, old and new.
    pub context: Option<(String, String)>,
    /// For schema changes: whether producers of events must change.
    pub breaking: Option<bool>,
    /// Free text shown after the change (`through const LONG_CALL`).
    pub note: Option<String>,
    /// The condition this detail belongs to (an index into `Report::conditions`).
    pub condition: Option<usize>,
}

impl Detail {
    fn new(at: impl Into<String>, what: impl Into<String>) -> Detail {
        Detail {
            at: at.into(),
            what: what.into(),
            old: None,
            new: None,
            context: None,
            breaking: None,
            note: None,
            condition: None,
        }
    }

    fn set(at: impl Into<String>, what: impl Into<String>, old: String, new: String) -> Detail {
        Detail {
            old: Some(old),
            new: Some(new),
            ..Detail::new(at, what)
        }
    }

    fn added(at: impl Into<String>, what: impl Into<String>, new: String) -> Detail {
        Detail {
            new: Some(new),
            ..Detail::new(at, what)
        }
    }

    fn removed(at: impl Into<String>, what: impl Into<String>, old: String) -> Detail {
        Detail {
            old: Some(old),
            ..Detail::new(at, what)
        }
    }

    /// `added`, `removed` or `changed`.
    pub fn kind(&self) -> &'static str {
        match (&self.old, &self.new) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            _ => "changed",
        }
    }
}

/// A change to the input contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaChange {
    /// The event type or enum.
    pub item: SmolStr,
    pub tag: ItemTag,
    /// `event added`, `event removed`, `event renamed`, `field added`, `field removed`,
    /// `type changed`, `now required`, `now optional`, `variant added`, `variant removed`,
    /// `enum removed`, `field order`, `variant order`.
    pub change: &'static str,
    /// The field or variant, if the change is about one.
    pub member: Option<SmolStr>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub breaking: bool,
}

/// A condition whose meaning may have changed.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionChange {
    pub tag: ItemTag,
    /// The item's name in the new version.
    pub item: SmolStr,
    /// Where in the item (`where`, `step 2`, `state intake › on JointVisit`).
    pub at: String,
    pub old_site: Site,
    pub new_site: Site,
    /// The conditions as written (`None`: no condition, which always holds).
    pub old: Option<String>,
    pub new: Option<String>,
    /// The changed constants, functions or lists it uses, for a condition whose text is equal.
    pub via: Vec<SmolStr>,
    /// `Some(true)` when both lower to the same IR (same meaning), `None` when a version does
    /// not compile.
    pub equivalent: Option<bool>,
    pub search: Search,
}

// ---------------------------------------------------------------------------------------------

/// The items of one version by (kind, name), first definitions only.
struct Side {
    items: BTreeMap<(ItemTag, SmolStr), Arc<ast::Item>>,
    program: Option<Arc<Program>>,
}

fn item_key(item: &ast::Item) -> (ItemTag, SmolStr) {
    let tag = vigil_compiler::check::scope::tag_of(&item.kind);
    let name = match &item.kind {
        ItemKind::Test(t) => t.name.raw.clone(),
        _ => item.name().map(|n| n.name.clone()).unwrap_or_default(),
    };
    (tag, name)
}

fn load(v: Version<'_>) -> (Side, VersionInfo) {
    let mut map = BTreeMap::new();
    for id in db::items(v.db, v.ruleset) {
        if let Some(tree) = item_syntax(v.db, *id) {
            map.entry(item_key(tree)).or_insert_with(|| tree.clone());
        }
    }
    let errors = ruleset_diagnostics(v.db, v.ruleset)
        .iter()
        .filter(|d| d.level() == Level::Error)
        .count();
    let program = program(v.db, v.ruleset).clone();
    let info = VersionInfo {
        fingerprint: program.as_ref().map(|p| p.fingerprint.clone()),
        errors,
    };
    (
        Side {
            items: map,
            program,
        },
        info,
    )
}

/// An item's canonical text with its name replaced, to recognise renames.
fn body_text(item: &ast::Item) -> String {
    let mut copy = item.clone();
    let blank = SmolStr::new("_");
    match &mut copy.kind {
        ItemKind::Unit(u) => u.name.name = blank,
        ItemKind::Calendar(f) | ItemKind::Zone(f) => f.name.name = blank,
        ItemKind::Enum(e) => e.name.name = blank,
        ItemKind::Event(e) => e.name.name = blank,
        ItemKind::List(l) => l.name.name = blank,
        ItemKind::Map(m) => m.name.name = blank,
        ItemKind::Const(c) => c.name.name = blank,
        ItemKind::Fn(f) => f.name.name = blank,
        ItemKind::Rule(r) => r.name.name = blank,
        ItemKind::Workflow(w) => w.name.name = blank,
        ItemKind::Test(t) => t.name.raw = blank,
        ItemKind::Timezone(_) => {}
    }
    canonical_item(&copy)
}

/// Compares two versions of a rule set.
pub fn diff(old: Version<'_>, new: Version<'_>, config: &SearchConfig) -> Report {
    let (a, old_info) = load(old);
    let (b, new_info) = load(new);
    let mut cx = items::Cx::new(&a, &b);
    cx.compare_items();
    let mut report = Report {
        old: old_info,
        new: new_info,
        items: Vec::new(),
        schema: Vec::new(),
        conditions: Vec::new(),
    };
    cx.finish(&mut report);
    for c in &mut report.conditions {
        let (Some(pa), Some(pb)) = (&a.program, &b.program) else {
            c.search = Search::Skipped("a version has errors, so it has no program".into());
            continue;
        };
        let (Some(fa), Some(fb)) = (
            witness::locate(pa, &c.old_site),
            witness::locate(pb, &c.new_site),
        ) else {
            c.search = Search::Skipped("the condition is not in the compiled program".into());
            continue;
        };
        let equal = equivalent(&fa, &fb);
        c.equivalent = Some(equal);
        c.search = if equal {
            Search::Skipped("both versions lower to the same condition".into())
        } else {
            witness::search(fa.located(), fb.located(), config)
        };
    }
    report
}

/// Whether two located conditions are the same after lowering.
fn equivalent(a: &witness::Found<'_>, b: &witness::Found<'_>) -> bool {
    let names = |f: &witness::Found<'_>| -> Vec<Option<SmolStr>> {
        f.slots
            .iter()
            .map(|t| f.program.event(*t).map(|e| e.name.clone()))
            .collect()
    };
    if names(a) != names(b) {
        return false;
    }
    let sa: Vec<Option<u32>> = a.slots.iter().map(|t| Some(*t)).collect();
    let sb: Vec<Option<u32>> = b.slots.iter().map(|t| Some(*t)).collect();
    match (a.cond, b.cond) {
        (None, None) => true,
        (Some(x), Some(y)) => equiv::expr_eq(
            equiv::Side {
                program: a.program,
                arena: a.arena,
                slots: &sa,
                aggregates: aggregates_of(a),
                states: &[],
                vars: &[],
            },
            x,
            equiv::Side {
                program: b.program,
                arena: b.arena,
                slots: &sb,
                aggregates: aggregates_of(b),
                states: &[],
                vars: &[],
            },
            y,
        ),
        _ => false,
    }
}

/// The window aggregates of the rule that owns a located condition's arena, if any.
fn aggregates_of<'p>(f: &witness::Found<'p>) -> &'p [vigil_ir::Aggregate] {
    f.program
        .rules
        .iter()
        .find(|r| std::ptr::eq(&r.exprs, f.arena))
        .and_then(|r| match &r.pattern {
            vigil_ir::Pattern::Window { aggregates, .. } => Some(aggregates.as_slice()),
            _ => None,
        })
        .unwrap_or(&[])
}

/// Every name an item refers to (constants, functions, lists, zones, enum values, units, event
/// types, workflows), for finding what a changed declaration affects.
fn references(item: &ast::Item) -> BTreeSet<SmolStr> {
    let mut out = BTreeSet::new();
    items::item_names(item, &mut out);
    out
}
