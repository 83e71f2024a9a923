//! The diagnostics of one file, as a query of its own: the same list `ruleset_diagnostics`
//! gives for the file (and `vigil check` prints), but an edit re-runs it only for the files
//! whose items or rule-set checks changed, so an editor can refresh every file cheaply.

use crate::db::{self, Db, RuleSet, SourceFile};
use crate::diagnostics::{Diag, Located};

/// Every diagnostic of `file`, in position order.
#[salsa::tracked(returns(ref))]
pub fn file_diagnostics(db: &dyn Db, ruleset: RuleSet, file: SourceFile) -> Vec<Located> {
    let parsed = db::parse(db, file);
    let mut diags: Vec<Diag> = parsed.errors.clone();
    for it in &parsed.items {
        diags.extend(it.errors.iter().map(|d| d.clone().shifted(it.offset)));
    }
    for id in db::file_items(db, ruleset, file) {
        let offset = db::item_location(db, *id).0;
        diags.extend(
            db::check_item(db, *id)
                .diagnostics
                .iter()
                .map(|d| d.clone().shifted(offset)),
        );
    }
    diags.extend(
        db::ruleset_checks(db, ruleset)
            .iter()
            .filter(|(f, _)| *f == file)
            .map(|(_, d)| d.clone()),
    );
    diags.sort_by_key(|d| (d.span().start, d.span().end));
    diags.dedup();
    diags
        .into_iter()
        .map(|diag| Located {
            path: file.path(db).clone(),
            text: file.text(db).clone(),
            diag,
        })
        .collect()
}
