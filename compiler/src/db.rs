//! The salsa database: inputs (source files, the files lists and zones name) and the queries
//! every tool runs: parse → items → scope → per-item check → diagnostics and program.
//!
//! Items are identified by `ItemId` (file, kind, name, occurrence), and their trees have spans
//! relative to the item, so editing one item leaves every other item's tree equal: salsa then
//! reuses their checks.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;
use smol_str::SmolStr;

use crate::check::{self, CheckedItem, Lowered, Scope};
use crate::diagnostics::{self, Diag, Located};
use crate::line_index::LineIndex;
use crate::syntax::ast::{self, ItemKind};
use crate::syntax::{self, ItemTag, ParsedFile, Span};
use vigil_ir as ir;

/// A `.vigil` source file.
#[salsa::input(debug)]
pub struct SourceFile {
    /// The path as the user gave it (relative paths stay relative).
    #[returns(ref)]
    pub path: String,
    #[returns(ref)]
    pub text: Arc<str>,
}

/// A rule set: its files in order (SPEC §1: a directory's files sorted by path).
#[salsa::input(debug)]
pub struct RuleSet {
    #[returns(ref)]
    pub files: Vec<SourceFile>,
    /// The current time in milliseconds, for warnings about expired rules; `None` to skip them.
    #[returns(copy)]
    pub now: Option<i64>,
}

/// A file that a list, zone or calendar declaration names, by resolved path.
#[salsa::input(debug)]
pub struct Resource {
    #[returns(ref)]
    pub path: String,
    #[returns(ref)]
    pub contents: Result<Arc<str>, String>,
}

/// One item of a rule set. `index` tells apart items of the same kind and name in one file.
#[salsa::interned(debug)]
pub struct ItemId<'db> {
    #[returns(copy)]
    pub ruleset: RuleSet,
    #[returns(copy)]
    pub file: SourceFile,
    #[returns(copy)]
    pub tag: ItemTag,
    #[returns(ref)]
    pub name: SmolStr,
    #[returns(copy)]
    pub index: u32,
}

#[salsa::db]
pub trait Db: salsa::Database {
    /// The input holding the contents of the file at `path` (resolved), created on first use.
    fn resource(&self, path: &str) -> Resource;
}

/// Reads a resource file: its text, or why it could not be read. The compiler does no I/O;
/// the CLI passes a loader that reads the disk, tests pass one over a map.
pub type Loader = Arc<dyn Fn(&str) -> Result<String, String> + Send + Sync>;

#[salsa::db]
#[derive(Clone)]
pub struct Database {
    storage: salsa::Storage<Self>,
    resources: Arc<Mutex<HashMap<String, Resource>>>,
    loader: Loader,
    executed: Arc<Mutex<Vec<salsa::DatabaseKeyIndex>>>,
}

#[salsa::db]
impl salsa::Database for Database {}

#[salsa::db]
impl Db for Database {
    fn resource(&self, path: &str) -> Resource {
        let mut map = self.resources.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = map.get(path) {
            return *r;
        }
        let contents = (self.loader)(path).map(Arc::from);
        let r = Resource::new(self, path.to_string(), contents);
        map.insert(path.to_string(), r);
        r
    }
}

impl Database {
    pub fn new(loader: Loader) -> Database {
        let executed: Arc<Mutex<Vec<salsa::DatabaseKeyIndex>>> = Arc::default();
        let sink = executed.clone();
        let callback = move |event: salsa::Event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind {
                sink.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(database_key);
            }
        };
        Database {
            storage: salsa::Storage::new(Some(Box::new(callback))),
            resources: Arc::default(),
            loader,
            executed,
        }
    }

    /// A database whose resources come from the disk.
    pub fn with_disk() -> Database {
        Database::new(Arc::new(|path: &str| {
            std::fs::read_to_string(path).map_err(|e| e.to_string())
        }))
    }

    /// Reads every resource again through the loader (after lists or zones changed on disk).
    pub fn reload_resources(&mut self) {
        use salsa::Setter;
        let all: Vec<(String, Resource)> = self
            .resources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        for (path, r) in all {
            let contents = (self.loader)(&path).map(Arc::from);
            if r.contents(self) != &contents {
                let _previous = r.set_contents(self).to(contents);
            }
        }
    }

    /// Queries executed since the last call, as `(query name, key)`; for tests that show a
    /// change re-checked only what depends on it.
    pub fn take_executed(&self) -> Vec<(String, salsa::Id)> {
        let keys = std::mem::take(&mut *self.executed.lock().unwrap_or_else(|e| e.into_inner()));
        keys.into_iter()
            .map(|k| {
                let name =
                    salsa::Database::ingredient_debug_name(self, k.ingredient_index()).into_owned();
                (name, k.key_index())
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Queries

#[salsa::tracked(returns(ref))]
pub fn parse(db: &dyn Db, file: SourceFile) -> Arc<ParsedFile> {
    Arc::new(syntax::parse_file(file.text(db)))
}

/// The items of one file, in order.
#[salsa::tracked(returns(ref))]
pub fn file_items<'db>(db: &'db dyn Db, ruleset: RuleSet, file: SourceFile) -> Vec<ItemId<'db>> {
    let parsed = parse(db, file);
    let mut counts: FxHashMap<(ItemTag, SmolStr), u32> = FxHashMap::default();
    parsed
        .items
        .iter()
        .map(|it| {
            let name = it.name.as_ref().map(|n| n.name.clone()).unwrap_or_default();
            let n = counts.entry((it.tag, name.clone())).or_insert(0);
            let index = *n;
            *n += 1;
            ItemId::new(db, ruleset, file, it.tag, name, index)
        })
        .collect()
}

/// Every item of the rule set, files in order.
#[salsa::tracked(returns(ref))]
pub fn items<'db>(db: &'db dyn Db, ruleset: RuleSet) -> Vec<ItemId<'db>> {
    ruleset
        .files(db)
        .iter()
        .flat_map(|f| file_items(db, ruleset, *f).iter().copied())
        .collect()
}

/// Where each item of a file is in its `ParsedFile`, by (kind, name, occurrence).
#[salsa::tracked(returns(ref))]
fn item_positions(db: &dyn Db, file: SourceFile) -> FxHashMap<(ItemTag, SmolStr, u32), usize> {
    let parsed = parse(db, file);
    let mut counts: FxHashMap<(ItemTag, SmolStr), u32> = FxHashMap::default();
    let mut out = FxHashMap::with_capacity_and_hasher(parsed.items.len(), Default::default());
    for (pos, it) in parsed.items.iter().enumerate() {
        let name = it.name.as_ref().map(|n| n.name.clone()).unwrap_or_default();
        let n = counts.entry((it.tag, name.clone())).or_insert(0);
        out.insert((it.tag, name, *n), pos);
        *n += 1;
    }
    out
}

/// The line index of a file, computed once per text.
#[salsa::tracked(returns(ref))]
pub fn line_index(db: &dyn Db, file: SourceFile) -> Arc<LineIndex> {
    Arc::new(LineIndex::new(file.text(db)))
}

fn parsed_item<'a>(db: &'a dyn Db, item: ItemId<'_>) -> Option<&'a syntax::ParsedItem> {
    let file = item.file(db);
    let key = (item.tag(db), item.name(db).clone(), item.index(db));
    let pos = *item_positions(db, file).get(&key)?;
    parse(db, file).items.get(pos)
}

/// The byte offset of an item in its file. Not a query of its own: run once per item at
/// start-up (placing diagnostics, rules' origins), a query's bookkeeping would cost more than
/// the lookup.
pub(crate) fn item_offset(db: &dyn Db, item: ItemId<'_>) -> u32 {
    parsed_item(db, item).map_or(0, |p| p.offset)
}

/// The syntax tree of one item (spans relative to the item), `None` if it did not parse.
#[salsa::tracked(returns(ref))]
pub fn item_syntax<'db>(db: &'db dyn Db, item: ItemId<'db>) -> Option<Arc<ast::Item>> {
    parsed_item(db, item).and_then(|p| p.tree.clone())
}

/// Where an item is: its offset in the file and its `///` documentation.
#[salsa::tracked(returns(ref))]
pub fn item_location<'db>(db: &'db dyn Db, item: ItemId<'db>) -> (u32, Span, Option<String>) {
    parsed_item(db, item).map_or((0, Span::default(), None), |p| {
        (p.offset, p.span, p.docs.clone())
    })
}

/// The global scope: every declaration's signature. Rule and test bodies are not read, so an
/// edit inside a rule leaves the scope equal.
#[salsa::tracked(returns(ref))]
pub fn scope(db: &dyn Db, ruleset: RuleSet) -> Arc<Scope> {
    let mut decls: Vec<Arc<ast::Item>> = Vec::new();
    let mut rule_names = Vec::new();
    for id in items(db, ruleset) {
        match id.tag(db) {
            ItemTag::Rule => rule_names.push(id.name(db).clone()),
            ItemTag::Test => {}
            _ => {
                if let Some(tree) = item_syntax(db, *id) {
                    decls.push(tree.clone());
                }
            }
        }
    }
    let refs: Vec<&ast::Item> = decls.iter().map(|d| &**d).collect();
    let mut scope = check::scope::declare(&refs, &rule_names);
    let consts: Vec<&ast::Const> = refs
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::Const(c) => Some(c),
            _ => None,
        })
        .collect();
    check::define_consts(&mut scope, &consts);
    Arc::new(scope)
}

/// The directory of `file`, joined with `relative`, without `.` and `..` parts.
pub fn resolve_path(file: &str, relative: &str) -> String {
    let base = std::path::Path::new(file)
        .parent()
        .unwrap_or(std::path::Path::new(""));
    let joined = base.join(relative);
    let mut parts: Vec<std::path::Component> = Vec::new();
    for c in joined.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir
                if matches!(parts.last(), Some(std::path::Component::Normal(_))) =>
            {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let path: std::path::PathBuf = parts.iter().collect();
    path.to_string_lossy().into_owned()
}

/// Checks the items of `ruleset` on up to one thread per core, each thread on its own handle to
/// the same database, so that `ruleset_diagnostics` and `program` find every `check_item`
/// ready. Items check independently once the scope is built (the invariant above), so the
/// result is the same as checking them one by one. Small rule sets are left alone: a thread
/// costs tens of microseconds, an item a few.
///
/// Only `check_item` is spread: running the whole-rule-set queries (`ruleset_checks`,
/// `fingerprint`) on a thread beside the item checks made the whole slower (1,641 items: 6 ms
/// became 26 ms), the threads waiting on each other's queries. Those two run side by side
/// once every item is checked.
pub fn check_items_in_parallel(db: &Database, ruleset: RuleSet) {
    const ITEMS_PER_THREAD: usize = 256;
    const ITEMS_PER_TASK: usize = 32;
    let n = items(db, ruleset).len();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = (n / ITEMS_PER_THREAD).clamp(1, cores.min(8));
    if threads < 2 {
        return;
    }
    // Built once here rather than raced for by every thread.
    scope(db, ruleset);
    // Runs of items, taken in turn by whichever thread is free.
    let next_run = std::sync::atomic::AtomicUsize::new(0);
    let work = |db: &Database| {
        loop {
            let run = next_run.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let first = run * ITEMS_PER_TASK;
            if first >= n {
                break;
            }
            for id in items(db, ruleset).iter().skip(first).take(ITEMS_PER_TASK) {
                check_item(db, *id);
            }
        }
    };
    std::thread::scope(|threads_scope| {
        for _ in 1..threads {
            let db = db.clone();
            threads_scope.spawn(move || work(&db));
        }
        work(db);
    });
    // Every item checked, the two whole-rule-set queries only read what is memoized and need
    // nothing of each other: the fingerprint (every item formatted) is made beside the
    // cross-item checks.
    std::thread::scope(|threads_scope| {
        let handle = db.clone();
        threads_scope.spawn(move || crate::lower::fingerprint(&handle, ruleset).len());
        ruleset_checks(db, ruleset);
    });
}

/// Checks one item. Reads the scope, the item's own tree and the files it names.
#[salsa::tracked(returns(ref))]
pub fn check_item<'db>(db: &'db dyn Db, item: ItemId<'db>) -> Arc<CheckedItem> {
    let Some(tree) = item_syntax(db, item) else {
        return Arc::new(CheckedItem {
            diagnostics: Vec::new(),
            facts: check::Facts::default(),
            lowered: Lowered::Nothing,
        });
    };
    let scope = scope(db, item.ruleset(db));
    let file = item.file(db).path(db).clone();
    let read = |relative: &str| {
        let resolved = resolve_path(&file, relative);
        let r = db.resource(&resolved);
        (r.contents(db).clone(), resolved)
    };
    Arc::new(check::check_item(scope, tree, &read))
}

/// What `ruleset_checks` reads from one item. Spans are relative to the item, so an edit
/// elsewhere in the file leaves it equal, and so does an edit inside a rule that keeps what
/// the rule consumes and emits: then the rule-set checks are not run again.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemSummary {
    /// The name's span, `None` when the item did not parse.
    name_span: Option<Span>,
    /// A `const` value or `fn` body, for the cycle check.
    def: Option<(SmolStr, ast::Expr)>,
    /// A rule's or workflow's name and the event types it consumes and emits.
    producer: Option<(SmolStr, Vec<SmolStr>, Vec<SmolStr>)>,
    /// A rule's `expires` time and where to report it.
    expires: Option<(i64, Span)>,
}

#[salsa::tracked(returns(ref))]
fn item_summary<'db>(db: &'db dyn Db, id: ItemId<'db>) -> ItemSummary {
    let mut summary = ItemSummary {
        name_span: None,
        def: None,
        producer: None,
        expires: None,
    };
    let Some(tree) = item_syntax(db, id) else {
        return summary;
    };
    summary.name_span = tree.name().map(|n| n.span);
    match &tree.kind {
        ItemKind::Const(c) => summary.def = Some((c.name.name.clone(), c.value.clone())),
        ItemKind::Fn(f) => summary.def = Some((f.name.name.clone(), f.body.clone())),
        ItemKind::Rule(r) => {
            let p = producer_of_rule(r, Span::default());
            summary.producer = Some((p.name, p.consumes, p.emits));
            if let Lowered::Rule(lowered) = &check_item(db, id).lowered
                && let Some(at) = lowered.expires
            {
                let span = r
                    .clauses
                    .iter()
                    .find_map(|c| match c {
                        ast::RuleClause::Expires(e) => Some(e.span),
                        _ => None,
                    })
                    .unwrap_or(r.name.span);
                summary.expires = Some((at, span));
            }
        }
        ItemKind::Workflow(w) => {
            let p = producer_of_workflow(w, Span::default());
            summary.producer = Some((p.name, p.consumes, p.emits));
        }
        _ => {}
    }
    summary
}

/// An item's name span in its file (the item's span when it did not parse).
fn absolute_name_span(db: &dyn Db, id: ItemId<'_>) -> Span {
    let (offset, item_span, _) = item_location(db, id);
    item_summary(db, id)
        .name_span
        .map_or(*item_span, |s| s.shift(*offset))
}

/// Diagnostics that involve several items: duplicate names, cycles, too many time zones or
/// calendars, expired rules. Spans are absolute in the file given with each. Only the items
/// reported are located in their files, so moving items around does not re-run this.
#[salsa::tracked(returns(ref))]
pub fn ruleset_checks(db: &dyn Db, ruleset: RuleSet) -> Vec<(SourceFile, Diag)> {
    use diagnostics::*;
    let mut out = Vec::new();
    let mut first: BTreeMap<SmolStr, ItemId<'_>> = BTreeMap::new();
    let mut timezone_seen = false;
    let mut calendar_seen = false;
    let mut defs: BTreeMap<SmolStr, Vec<ast::Expr>> = BTreeMap::new();
    let mut def_items: BTreeMap<SmolStr, ItemId<'_>> = BTreeMap::new();
    let mut producers = Vec::new();
    let mut producer_items = BTreeMap::new();
    for id in items(db, ruleset) {
        let file = id.file(db);
        let summary = item_summary(db, *id);
        let tag = id.tag(db);
        if tag.is_named() && !id.name(db).is_empty() {
            let name = id.name(db).clone();
            match first.get(&name) {
                Some(first_id) => {
                    let f = first_id.file(db);
                    let at = absolute_name_span(db, *first_id).start;
                    let (line, col) = line_index(db, f).human(f.text(db), at);
                    out.push((
                        file,
                        DuplicateName {
                            span: absolute_name_span(db, *id),
                            name: name.to_string(),
                            first: format!("first defined at {}:{line}:{col}", f.path(db)),
                        }
                        .into(),
                    ));
                }
                None => {
                    first.insert(name, *id);
                }
            }
        }
        match tag {
            ItemTag::Timezone if std::mem::replace(&mut timezone_seen, true) => out.push((
                file,
                TooMany {
                    span: item_location(db, *id).1,
                    what: "timezone",
                    help: "a rule set has one time zone".into(),
                }
                .into(),
            )),
            ItemTag::Calendar if std::mem::replace(&mut calendar_seen, true) => out.push((
                file,
                TooMany {
                    span: item_location(db, *id).1,
                    what: "calendar",
                    help: "`after N workdays` uses the rule set's one calendar; merge the files"
                        .into(),
                }
                .into(),
            )),
            _ => {}
        }
        if let Some((name, e)) = &summary.def {
            defs.entry(name.clone()).or_default().push(e.clone());
            def_items.entry(name.clone()).or_insert(*id);
        }
        if let Some((name, consumes, emits)) = &summary.producer {
            producer_items.insert(name.clone(), *id);
            producers.push(check::graph::Producer {
                name: name.clone(),
                span: Span::default(),
                consumes: consumes.clone(),
                emits: emits.clone(),
            });
        }
    }
    let def_refs: BTreeMap<SmolStr, Vec<&ast::Expr>> = defs
        .iter()
        .map(|(k, v)| (k.clone(), v.iter().collect()))
        .collect();
    for cycle in check::graph::fn_const_cycles(&def_refs) {
        if let Some(id) = cycle.first().and_then(|n| def_items.get(n)) {
            out.push((
                id.file(db),
                Cycle {
                    span: absolute_name_span(db, *id),
                    what: "these functions and constants",
                    cycle: cycle
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(" → "),
                    help: "a `fn` or `const` cannot depend on itself".into(),
                }
                .into(),
            ));
        }
    }
    for cycle in check::graph::emit_cycles(&producers) {
        // Report at the first rule or workflow of the cycle (it alternates with event types).
        let Some(id) = cycle.iter().find_map(|n| producer_items.get(n)) else {
            continue;
        };
        out.push((
            id.file(db),
            Cycle {
                span: absolute_name_span(db, *id),
                what: "rules and the events they emit",
                cycle: cycle
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(" → "),
                help: "an emitted event must not lead back to the rule that emitted it".into(),
            }
            .into(),
        ));
    }
    if let Some(now) = ruleset.now(db) {
        expired_rules(db, ruleset, now, &mut out);
    }
    out
}

fn expired_rules(db: &dyn Db, ruleset: RuleSet, now: i64, out: &mut Vec<(SourceFile, Diag)>) {
    let mut tz = None;
    for id in items(db, ruleset) {
        if id.tag(db) != ItemTag::Rule {
            continue;
        }
        if let Some((at, span)) = item_summary(db, *id).expires
            && at <= now
        {
            let tz = tz.get_or_insert_with(|| {
                vigil_ir::time::time_zone(&scope(db, ruleset).timezone)
                    .unwrap_or(jiff::tz::TimeZone::UTC)
            });
            let offset = item_location(db, *id).0;
            out.push((
                id.file(db),
                diagnostics::RuleExpired {
                    span: span.shift(offset),
                    name: id.name(db).to_string(),
                    at: vigil_ir::time::format_time(at, tz),
                }
                .into(),
            ));
        }
    }
}

fn producer_of_rule(r: &ast::Rule, span: Span) -> check::graph::Producer {
    let mut consumes = Vec::new();
    let mut emits = Vec::new();
    for c in &r.clauses {
        match c {
            ast::RuleClause::When(ast::Pattern::Single(s)) => {
                consumes.push(s.event.ty.name.clone())
            }
            ast::RuleClause::When(ast::Pattern::Sequence(s)) => {
                consumes.extend(s.steps.iter().map(|st| st.event.ty.name.clone()))
            }
            ast::RuleClause::Action(ast::Action::Emit(e)) => emits.push(e.ty.name.clone()),
            _ => {}
        }
    }
    check::graph::Producer {
        name: r.name.name.clone(),
        span,
        consumes,
        emits,
    }
}

fn producer_of_workflow(w: &ast::Workflow, span: Span) -> check::graph::Producer {
    let mut consumes = Vec::new();
    let mut emits = Vec::new();
    let mut acts = |actions: &[ast::Action]| {
        for a in actions {
            if let ast::Action::Emit(e) = a {
                emits.push(e.ty.name.clone());
            }
        }
    };
    for c in &w.clauses {
        match c {
            ast::WorkflowClause::Start(m, _) => consumes.push(m.ty.name.clone()),
            ast::WorkflowClause::State(s) => {
                for sc in &s.clauses {
                    match sc {
                        ast::StateClause::OnEnter(a, _) => acts(a),
                        ast::StateClause::On(t) => {
                            consumes.push(t.event.ty.name.clone());
                            acts(&t.actions);
                        }
                        ast::StateClause::After(a) => acts(&a.actions),
                        ast::StateClause::Await(a) => {
                            consumes.extend(a.items.iter().map(|m| m.ty.name.clone()));
                            acts(&a.actions);
                        }
                    }
                }
            }
            ast::WorkflowClause::After(a) => acts(&a.actions),
            ast::WorkflowClause::Title(_) | ast::WorkflowClause::Var(_) => {}
        }
    }
    check::graph::Producer {
        name: w.name.name.clone(),
        span,
        consumes,
        emits,
    }
}

/// Every diagnostic of the rule set, file by file in position order.
#[salsa::tracked(returns(ref))]
pub fn ruleset_diagnostics(db: &dyn Db, ruleset: RuleSet) -> Vec<Located> {
    let files = ruleset.files(db);
    // The diagnostics of each file, in the order of `files`.
    let mut by_file: Vec<Vec<Diag>> = Vec::with_capacity(files.len());
    for file in files {
        let parsed = parse(db, *file);
        let mut list = Vec::new();
        list.extend(parsed.errors.iter().cloned());
        for it in &parsed.items {
            list.extend(it.errors.iter().map(|d| d.clone().shifted(it.offset)));
        }
        for id in file_items(db, ruleset, *file) {
            let diagnostics = &check_item(db, *id).diagnostics;
            // Most items have none, and then their place is never looked up.
            if diagnostics.is_empty() {
                continue;
            }
            let offset = item_offset(db, *id);
            list.extend(diagnostics.iter().map(|d| d.clone().shifted(offset)));
        }
        by_file.push(list);
    }
    for (file, d) in ruleset_checks(db, ruleset) {
        if let Some(list) = files
            .iter()
            .position(|f| f == file)
            .and_then(|fi| by_file.get_mut(fi))
        {
            list.push(d.clone());
        }
    }
    let mut out = Vec::new();
    for (file, mut diags) in files.iter().zip(by_file) {
        diags.sort_by_key(|d| (d.span().start, d.span().end));
        diags.dedup();
        for diag in diags {
            out.push(Located {
                path: file.path(db).clone(),
                text: file.text(db).clone(),
                diag,
            });
        }
    }
    out
}

/// The file diagnostics for one file (for the language server).
pub fn file_diagnostics(db: &dyn Db, ruleset: RuleSet, file: SourceFile) -> Vec<Located> {
    let path = file.path(db);
    ruleset_diagnostics(db, ruleset)
        .iter()
        .filter(|d| &d.path == path)
        .cloned()
        .collect()
}

/// The whole rule set as IR, or `None` when it has errors.
#[salsa::tracked(returns(ref))]
pub fn program(db: &dyn Db, ruleset: RuleSet) -> Option<Arc<ir::Program>> {
    if ruleset_diagnostics(db, ruleset)
        .iter()
        .any(|d| d.level() == diagnostics::Level::Error)
    {
        return None;
    }
    crate::lower::assemble(db, ruleset).map(Arc::new)
}
