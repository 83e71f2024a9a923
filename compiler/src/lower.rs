//! Assembling the checked items into one `ir::Program`, and the rule set's fingerprint.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use smol_str::SmolStr;

use crate::check::Lowered;
use crate::db::{Db, ItemId, RuleSet, check_item, item_syntax, items, scope};
use crate::syntax::ItemTag;
use crate::syntax::ast::ItemKind;
use vigil_ir as ir;

/// The program of a rule set that checked without errors; `None` if an item's IR is missing
/// (which only an unreported error could cause).
pub(crate) fn assemble(db: &dyn Db, ruleset: RuleSet) -> Option<ir::Program> {
    let scope = scope(db, ruleset);
    let ids = items(db, ruleset);
    // First definition of each name (duplicates are errors, so there are none here).
    let mut by_name: BTreeMap<(ItemTag, SmolStr), ItemId<'_>> = BTreeMap::new();
    for id in ids {
        by_name
            .entry((id.tag(db), id.name(db).clone()))
            .or_insert(*id);
    }

    let events = scope
        .events
        .iter()
        .map(|(name, sig)| ir::EventType {
            name: name.clone(),
            fields: sig
                .fields
                .iter()
                .map(|f| ir::FieldDef {
                    name: f.name.clone(),
                    ty: f.ty.clone(),
                    optional: f.optional,
                })
                .collect(),
        })
        .collect();
    let enums = scope
        .enums
        .iter()
        .map(|(name, sig)| ir::EnumDef {
            name: name.clone(),
            variants: sig.variants.clone(),
        })
        .collect();
    let mut units = Vec::new();
    let mut by_number: Vec<(&u32, &SmolStr)> = scope.units.iter().map(|(n, i)| (i, n)).collect();
    by_number.sort();
    for (_, name) in by_number {
        let id = by_name.get(&(ItemTag::Unit, name.clone()))?;
        let Some(tree) = item_syntax(db, *id) else {
            continue;
        };
        let ItemKind::Unit(u) = &tree.kind else {
            continue;
        };
        let sees = u.sees.as_ref().map(|list| {
            let mut per_event: BTreeMap<u32, Vec<u16>> = BTreeMap::new();
            for s in list {
                let Some(sig) = scope.events.get(&s.event.name) else {
                    continue;
                };
                let fields = per_event.entry(sig.index).or_default();
                for f in &s.fields {
                    if let Some(crate::check::scope::FieldRef::Declared(i)) = sig.field(&f.name) {
                        fields.push(i);
                    }
                }
            }
            per_event.into_iter().collect()
        });
        units.push(ir::UnitDef {
            name: name.clone(),
            display: u
                .display
                .as_ref()
                .map(|d| crate::check::literal::string_value(d).to_string()),
            sees,
        });
    }
    let mut lists = Vec::new();
    for name in scope.lists.keys() {
        let id = by_name.get(&(ItemTag::List, name.clone()))?;
        match &check_item(db, *id).lowered {
            Lowered::List(l) => lists.push(l.clone()),
            _ => return None,
        }
    }
    let mut maps = Vec::new();
    for name in scope.maps.keys() {
        let id = by_name.get(&(ItemTag::Map, name.clone()))?;
        match &check_item(db, *id).lowered {
            Lowered::Map(m) => maps.push(m.clone()),
            _ => return None,
        }
    }
    let mut zones = Vec::new();
    for name in scope.zones.keys() {
        let id = by_name.get(&(ItemTag::Zone, name.clone()))?;
        match &check_item(db, *id).lowered {
            Lowered::Zone(z) => zones.push(z.clone()),
            _ => return None,
        }
    }
    let calendar = match &scope.calendar {
        Some(name) => {
            match &check_item(db, *by_name.get(&(ItemTag::Calendar, name.clone()))?).lowered {
                Lowered::Calendar(c) => Some(c.clone()),
                _ => return None,
            }
        }
        None => None,
    };

    let mut rules = Vec::new();
    let mut workflows = Vec::new();
    let mut tests = Vec::new();
    for (order, id) in ids.iter().enumerate() {
        let origin = || {
            let file = id.file(db);
            let text = file.text(db);
            let offset = crate::db::item_offset(db, *id);
            let (line, _) = crate::db::line_index(db, file).human(text, offset);
            ir::Origin {
                file: file.path(db).clone(),
                offset,
                line,
                order: u32::try_from(order).unwrap_or(u32::MAX),
            }
        };
        match (id.tag(db), &check_item(db, *id).lowered) {
            (ItemTag::Rule, Lowered::Rule(r)) => {
                let mut r = r.clone();
                r.origin = origin();
                rules.push(r);
            }
            (ItemTag::Workflow, Lowered::Workflow(w)) => {
                let mut w = w.clone();
                w.origin = origin();
                workflows.push(w);
            }
            (ItemTag::Test, Lowered::Test(t)) => {
                let mut t = t.clone();
                t.origin = origin();
                place_test(db, *id, &mut t);
                tests.push(t);
            }
            (ItemTag::Rule | ItemTag::Workflow | ItemTag::Test, _) => return None,
            _ => {}
        }
    }
    Some(ir::Program {
        fingerprint: fingerprint(db, ruleset).clone(),
        timezone: scope.timezone.clone(),
        events,
        enums,
        units,
        lists,
        maps,
        zones,
        calendar,
        rules: rules.into(),
        workflows: workflows.into(),
        tests,
    })
}

/// Turns a test's item-relative offsets into line numbers, and keeps each expectation's text.
fn place_test(db: &dyn Db, id: ItemId<'_>, t: &mut ir::TestCase) {
    let text = id.file(db).text(db);
    let index = crate::db::line_index(db, id.file(db));
    let offset = t.origin.offset;
    let line_of = |rel: u32| index.human(text, offset + rel).0;
    for step in &mut t.steps {
        if let ir::TestStep::Event { line, .. } = step {
            *line = line_of(*line);
        }
    }
    for e in &mut t.expects {
        let start = (offset + e.line) as usize;
        e.text = text
            .get(start..)
            .and_then(|s| s.lines().next())
            .unwrap_or("")
            .trim()
            .to_string();
        e.line = line_of(e.line);
    }
}

/// SHA-256 over the canonical text of every item except tests (comments and layout do not
/// count, SPEC §1), items sorted so moving one between files changes nothing, followed by the
/// contents of the lists, zones and calendars, which decide what fires as much as the rules.
#[salsa::tracked(returns(ref))]
pub fn fingerprint(db: &dyn Db, ruleset: RuleSet) -> String {
    let mut texts: Vec<String> = Vec::new();
    for id in items(db, ruleset) {
        if id.tag(db) == ItemTag::Test {
            continue;
        }
        if let Some(tree) = item_syntax(db, *id) {
            texts.push(crate::fmt::canonical_item(tree));
        }
    }
    texts.sort();
    let mut hasher = Sha256::new();
    for t in &texts {
        hasher.update(t.as_bytes());
        hasher.update(b"\n");
    }
    for id in items(db, ruleset) {
        if let Lowered::List(l) = &check_item(db, *id).lowered
            && l.path.is_some()
        {
            hasher.update(format!("list {}\n", l.name).as_bytes());
            for v in &l.values.items {
                if let ir::Value::Str(s) = v {
                    hasher.update(s.as_bytes());
                    hasher.update(b"\n");
                }
            }
        }
        if let Lowered::Map(m) = &check_item(db, *id).lowered
            && m.path.is_some()
        {
            // A file's entries are data the canonical text does not hold.
            hasher.update(format!("map {} {:?}\n", m.name, m.entries.entries).as_bytes());
        }
        if let Lowered::Zone(z) = &check_item(db, *id).lowered {
            hasher.update(format!("zone {} {:?}\n", z.name, z.polygons).as_bytes());
        }
        if let Lowered::Calendar(c) = &check_item(db, *id).lowered {
            hasher.update(format!("calendar {:?} {:?}\n", c.holidays, c.workdays).as_bytes());
        }
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}
