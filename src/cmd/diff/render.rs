//! The three forms of a diff report: text (colored on a terminal), markdown (for a pull-request
//! comment) and JSON (stable, for tools). All three say the same things in the same order.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value as Json, json};
use vigil_diff::{
    ConditionChange, Detail, ItemChange, Report, SchemaChange, Search, Status, Witness,
};

use vigil_diff::Checked;
use vigil_diff::replay::{Outputs, Replay};

pub struct Doc<'a> {
    pub old: &'a str,
    pub new: &'a str,
    pub report: &'a Report,
    pub checked: &'a [Checked],
    pub replay: Option<&'a Replay>,
    pub events: Option<&'a Path>,
}

// ---------------------------------------------------------------------------------------------
// Words shared by text and markdown

fn status_word(s: &Status) -> String {
    match s {
        Status::Added => "added".into(),
        Status::Removed => "removed".into(),
        Status::Renamed { from } => format!("renamed from {from}"),
        Status::Changed => "changed".into(),
        Status::Affected { via } => format!(
            "affected: uses {}",
            via.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn status_key(s: &Status) -> &'static str {
    match s {
        Status::Added => "added",
        Status::Removed => "removed",
        Status::Renamed { .. } => "renamed",
        Status::Changed => "changed",
        Status::Affected { .. } => "affected",
    }
}

fn sign(s: &Status) -> char {
    match s {
        Status::Added => '+',
        Status::Removed => '-',
        Status::Renamed { .. } => '>',
        Status::Changed | Status::Affected { .. } => '~',
    }
}

/// A detail in words, with `code` applied to the code parts.
fn detail_words(d: &Detail, code: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    if !d.at.is_empty() {
        out.push_str(&d.at);
        out.push_str(": ");
    }
    match (&d.old, &d.new) {
        (Some(o), Some(n)) => {
            if d.at.is_empty() {
                let _ = write!(out, "{}: {} → {}", d.what, code(o), code(n));
            } else {
                let _ = write!(out, "{} {} → {}", d.what, code(o), code(n));
            }
        }
        (None, Some(n)) => {
            let _ = write!(out, "{} added: {}", d.what, code(n));
        }
        (Some(o), None) => {
            let _ = write!(out, "{} removed: {}", d.what, code(o));
        }
        (None, None) => out.push_str(&d.what),
    }
    if let Some(note) = &d.note {
        let _ = write!(out, ": {note}");
    }
    out
}

/// A rule, workflow or list whose edit was shown not to change what it does. (Constants,
/// functions and tests never change behaviour by themselves: the rules that use them do.)
fn quiet_change(item: &ItemChange) -> bool {
    use vigil_compiler::syntax::ItemTag;
    !item.semantic
        && matches!(item.tag, ItemTag::Rule | ItemTag::Workflow | ItemTag::List)
        && !matches!(item.status, Status::Added | Status::Removed)
}

fn breaking_word(b: bool) -> &'static str {
    if b { "breaking" } else { "compatible" }
}

fn holds_word(b: bool) -> &'static str {
    if b { "matches" } else { "does not match" }
}

/// What to say about a condition's search, besides its witnesses.
fn outcome(c: &ConditionChange, checked: Option<&Checked>) -> Option<String> {
    if c.equivalent == Some(true) {
        return Some("same meaning: both versions lower to the same condition".into());
    }
    let found = checked.map_or(0, |k| k.witnesses.len());
    let unverified = checked.map_or(0, |k| k.unverified);
    let mut out = match &c.search {
        Search::Skipped(why) if why.is_empty() => return None,
        Search::Skipped(why) => why.clone(),
        Search::Done { .. } if found > 0 => return None,
        Search::Done { tried, space, .. } if tried >= space => format!(
            "no witness: none of the {space} combinations of candidate values separates the \
             two conditions (they may be equivalent)"
        ),
        Search::Done { tried, space, .. } => {
            format!("no witness within the search budget ({tried} of {space} combinations tried)")
        }
    };
    if unverified > 0 {
        let _ = write!(
            out,
            " ({unverified} candidate{} did not verify)",
            if unverified == 1 { "" } else { "s" }
        );
    }
    Some(out)
}

fn witness_head(w: &Witness) -> String {
    format!(
        "witness: old {}, new {}",
        holds_word(w.old),
        holds_word(w.new)
    )
}

struct Counts {
    added: usize,
    removed: usize,
    renamed: usize,
    changed: usize,
    affected: usize,
    breaking: usize,
    compatible: usize,
}

fn counts(r: &Report) -> Counts {
    let n = |f: &dyn Fn(&ItemChange) -> bool| r.items.iter().filter(|i| f(i)).count();
    Counts {
        added: n(&|i| i.status == Status::Added),
        removed: n(&|i| i.status == Status::Removed),
        renamed: n(&|i| matches!(i.status, Status::Renamed { .. })),
        changed: n(&|i| i.status == Status::Changed),
        affected: n(&|i| matches!(i.status, Status::Affected { .. })),
        breaking: r.schema.iter().filter(|s| s.breaking).count(),
        compatible: r.schema.iter().filter(|s| !s.breaking).count(),
    }
}

fn summary_words(c: &Counts) -> String {
    let mut parts = vec![
        format!("{} changed", c.changed),
        format!("{} added", c.added),
        format!("{} removed", c.removed),
        format!("{} renamed", c.renamed),
    ];
    if c.affected > 0 {
        parts.push(format!("{} affected", c.affected));
    }
    parts.join(", ")
}

fn schema_words(s: &SchemaChange) -> String {
    let mut out = format!("{} {}", s.tag.keyword(), s.item);
    if let Some(m) = &s.member {
        let _ = write!(out, ".{m}");
    }
    let _ = write!(out, ": {}", s.change);
    match (&s.old, &s.new) {
        (Some(o), Some(n)) => {
            let _ = write!(out, " ({o} → {n})");
        }
        (Some(o), None) if s.member.is_none() || s.change != "variant removed" => {
            let _ = write!(out, " (was {o})");
        }
        (None, Some(n)) if s.change != "variant added" => {
            let _ = write!(out, " ({n})");
        }
        _ => {}
    }
    out
}

fn record_words(r: &Json) -> String {
    let s = |k: &str| r.get(k).map(|v| v.to_string()).unwrap_or_default();
    match r.get("kind").and_then(Json::as_str) {
        Some("alert") => {
            let mut out = format!("key {} at {}", s("key"), unquote(&s("time")));
            if let Some(state) = r.get("state").and_then(Json::as_str) {
                let _ = write!(out, " (state {state})");
            }
            out
        }
        _ => format!(
            "key {} {} → {} at {} ({})",
            s("key"),
            r.get("from").and_then(Json::as_str).unwrap_or("start"),
            r.get("to").and_then(Json::as_str).unwrap_or(""),
            unquote(&s("time")),
            r.get("cause").and_then(Json::as_str).unwrap_or("")
        ),
    }
}

fn unquote(s: &str) -> String {
    s.trim_matches('"').to_string()
}

fn outputs_words(o: &Outputs, noun: &str) -> String {
    let mut out = format!("{} {}: {} → {} {noun}", o.kind, o.name, o.old, o.new);
    let mut parts = Vec::new();
    if o.only_old_total > 0 {
        parts.push(format!("{} only in old", o.only_old_total));
    }
    if o.only_new_total > 0 {
        parts.push(format!("{} only in new", o.only_new_total));
    }
    if !parts.is_empty() {
        let _ = write!(out, " ({})", parts.join(", "));
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

/// A line of an item's body: a detail, or the outcome of a condition's search (after the
/// condition's last detail).
enum Entry<'a> {
    Detail(&'a Detail),
    Condition(&'a ConditionChange, Option<&'a Checked>),
}

fn entries<'a>(item: &'a ItemChange, doc: &Doc<'a>) -> Vec<Entry<'a>> {
    let mut out = Vec::new();
    for (k, d) in item.details.iter().enumerate() {
        out.push(Entry::Detail(d));
        if let Some(ci) = d.condition {
            let last = item
                .details
                .iter()
                .skip(k + 1)
                .all(|e| e.condition != Some(ci));
            if last && let Some(c) = doc.report.conditions.get(ci) {
                out.push(Entry::Condition(c, doc.checked.get(ci)));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Text

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

pub fn text(doc: &Doc<'_>, color: bool) -> String {
    let st = Style { on: color };
    let r = doc.report;
    let mut out = String::new();
    let _ = writeln!(out, "{} {} → {}", st.bold("vigil diff"), doc.old, doc.new);
    if r.items.is_empty() {
        let _ = writeln!(
            out,
            "\nNo changes (formatting and comments are not changes)."
        );
    }
    for item in &r.items {
        let head = format!(
            "{} {} {}",
            sign(&item.status),
            item.tag.keyword(),
            item.name
        );
        let head = head.trim_end().to_string();
        let head = match item.status {
            Status::Added => st.green(&head),
            Status::Removed => st.red(&head),
            _ => st.yellow(&head),
        };
        let mut status = status_word(&item.status);
        if quiet_change(item) {
            status.push_str(", no change in behaviour");
        }
        let _ = writeln!(out, "\n{}  {}", st.bold(&head), st.dim(&status));
        if let Some(t) = &item.text {
            for l in t.lines() {
                let _ = writeln!(out, "    {}", st.dim(l));
            }
        }
        let mut lines: Vec<String> = Vec::new();
        for entry in entries(item, doc) {
            match entry {
                Entry::Detail(d) => {
                    let mut l = format!("    {}", detail_words(d, &|s| s.to_string()));
                    if let Some(b) = d.breaking {
                        let w = format!("({})", breaking_word(b));
                        l.push(' ');
                        l.push_str(&if b { st.red(&w) } else { st.green(&w) });
                    }
                    lines.push(l);
                    if let Some((o, n)) = &d.context {
                        lines.push(format!("      {}", st.dim(&format!("in: {o}  →  {n}"))));
                    }
                }
                Entry::Condition(c, checked) => {
                    for w in checked.map(|k| k.witnesses.as_slice()).unwrap_or(&[]) {
                        lines.push(format!("      {}", st.bold(&witness_head(w))));
                        for l in &w.lines {
                            lines.push(format!("        {l}"));
                        }
                    }
                    if let Some(o) = outcome(c, checked) {
                        lines.push(format!("      {}", st.dim(&o)));
                    }
                }
            }
        }
        for l in lines {
            let _ = writeln!(out, "{l}");
        }
    }
    if !r.schema.is_empty() {
        let c = counts(r);
        let _ = writeln!(
            out,
            "\n{} {} breaking, {} compatible",
            st.bold("Schema:"),
            c.breaking,
            c.compatible
        );
        for s in &r.schema {
            let w = format!("{:<10}", breaking_word(s.breaking));
            let w = if s.breaking { st.red(&w) } else { st.green(&w) };
            let _ = writeln!(out, "  {w}  {}", schema_words(s));
        }
    }
    if let Some(rp) = doc.replay {
        let _ = writeln!(
            out,
            "\n{} {}: {} lines (rejected: old {}, new {})",
            st.bold("Replay"),
            doc.events
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            rp.lines,
            rp.rejected.0,
            rp.rejected.1
        );
        let mut same = 0;
        for (o, noun) in rp
            .alerts
            .iter()
            .map(|o| (o, "alerts"))
            .chain(rp.transitions.iter().map(|o| (o, "transitions")))
        {
            if o.only_old_total == 0 && o.only_new_total == 0 {
                same += 1;
                continue;
            }
            let _ = writeln!(out, "  {}", outputs_words(o, noun));
            for (label, samples, total) in [
                ("only in old", &o.only_old, o.only_old_total),
                ("only in new", &o.only_new, o.only_new_total),
            ] {
                for s in samples {
                    let l = format!("{label}: {}", record_words(&s.record));
                    let l = if label == "only in old" {
                        st.red(&l)
                    } else {
                        st.green(&l)
                    };
                    let _ = writeln!(out, "    {l}");
                    for (n, t) in &s.lines {
                        let _ = writeln!(
                            out,
                            "      {}",
                            st.dim(&format!("line {n}: {}", truncate(t, 160)))
                        );
                    }
                }
                if total > samples.len() {
                    let _ = writeln!(out, "    … {} more {label}", total - samples.len());
                }
            }
        }
        if same > 0 {
            let _ = writeln!(
                out,
                "  {same} more produced the same {} in both versions",
                if same == 1 { "output" } else { "outputs" }
            );
        }
    }
    let c = counts(r);
    let verdict = if r.changed() || doc.replay.is_some_and(Replay::differs) {
        st.yellow("the rule sets behave differently")
    } else {
        st.green("no change in behaviour")
    };
    let _ = writeln!(
        out,
        "\n{} {}: {verdict}",
        st.bold("Summary:"),
        summary_words(&c)
    );
    out
}

// ---------------------------------------------------------------------------------------------
// Markdown

/// Inline code that survives backticks inside.
fn code(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest > 0 || s.starts_with('`') || s.ends_with('`') {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if matches!(c, '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn markdown(doc: &Doc<'_>) -> String {
    let r = doc.report;
    let c = counts(r);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Rule set diff: {} → {}\n",
        code(doc.old),
        code(doc.new)
    );
    let verdict = if r.changed() || doc.replay.is_some_and(Replay::differs) {
        "**The rule sets behave differently.**"
    } else {
        "**No change in behaviour.**"
    };
    let _ = writeln!(out, "{verdict} {}.", summary_words(&c));
    if c.breaking > 0 {
        let _ = writeln!(
            out,
            "\n> [!WARNING]\n> {} breaking schema change{}: producers of events must change.",
            c.breaking,
            if c.breaking == 1 { "" } else { "s" }
        );
    }
    if !r.items.is_empty() {
        let _ = writeln!(out, "\n| | item | change |\n|---|---|---|");
        for item in &r.items {
            let mut status = escape(&status_word(&item.status));
            if quiet_change(item) {
                status.push_str(" (no change in behaviour)");
            }
            let _ = writeln!(
                out,
                "| {} | {} {} | {status} |",
                match sign(&item.status) {
                    '+' => "➕",
                    '-' => "➖",
                    '>' => "↪️",
                    _ => "✏️",
                },
                item.tag.keyword(),
                code(&item.name)
            );
        }
    }
    for item in &r.items {
        if item.details.is_empty() && item.text.is_none() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n### {} {} ({})\n",
            item.tag.keyword(),
            code(&item.name),
            escape(&status_word(&item.status))
        );
        if let Some(t) = &item.text {
            let _ = writeln!(out, "```vigil\n{}```", t);
        }
        let mut body = String::new();
        for entry in entries(item, doc) {
            match entry {
                Entry::Detail(d) => {
                    let mut l = format!("- {}", detail_words(d, &code));
                    if let Some(b) = d.breaking {
                        let _ = write!(l, " — **{}**", breaking_word(b));
                    }
                    let _ = writeln!(body, "{l}");
                    if let Some((o, n)) = &d.context {
                        let _ = writeln!(body, "  - in {} → {}", code(o), code(n));
                    }
                }
                Entry::Condition(cnd, checked) => {
                    for w in checked.map(|k| k.witnesses.as_slice()).unwrap_or(&[]) {
                        let _ = writeln!(
                            body,
                            "  - **Witness**: old {}, new {} (verified by running both versions):\n\n    ```json",
                            holds_word(w.old),
                            holds_word(w.new)
                        );
                        for l in &w.lines {
                            let _ = writeln!(body, "    {l}");
                        }
                        let _ = writeln!(body, "    ```\n");
                    }
                    if let Some(o) = outcome(cnd, checked) {
                        let _ = writeln!(body, "  - _{}_", escape(&o));
                    }
                }
            }
        }
        out.push_str(&body);
    }
    if !r.schema.is_empty() {
        let _ = writeln!(
            out,
            "\n### Schema ({} breaking, {} compatible)\n\n| | change |\n|---|---|",
            c.breaking, c.compatible
        );
        for s in &r.schema {
            let _ = writeln!(
                out,
                "| {} | {} |",
                if s.breaking {
                    "⚠️ breaking"
                } else {
                    "compatible"
                },
                escape(&schema_words(s))
            );
        }
    }
    if let Some(rp) = doc.replay {
        let _ = writeln!(
            out,
            "\n### Replay of {} ({} lines; rejected: old {}, new {})\n",
            code(
                &doc.events
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            ),
            rp.lines,
            rp.rejected.0,
            rp.rejected.1
        );
        let _ = writeln!(
            out,
            "| | old | new | only in old | only in new |\n|---|---|---|---|---|"
        );
        for (o, noun) in rp
            .alerts
            .iter()
            .map(|o| (o, "alerts"))
            .chain(rp.transitions.iter().map(|o| (o, "transitions")))
        {
            let _ = writeln!(
                out,
                "| {} {} ({noun}) | {} | {} | {} | {} |",
                o.kind,
                code(&o.name),
                o.old,
                o.new,
                o.only_old_total,
                o.only_new_total
            );
        }
        for o in rp.alerts.iter().chain(&rp.transitions) {
            for (label, samples) in [("only in old", &o.only_old), ("only in new", &o.only_new)] {
                if samples.is_empty() {
                    continue;
                }
                let _ = writeln!(
                    out,
                    "\n<details><summary>{} {}: {label}</summary>\n",
                    o.kind,
                    html(&o.name)
                );
                for s in samples {
                    let _ = writeln!(out, "- {}", escape(&record_words(&s.record)));
                    if !s.lines.is_empty() {
                        let _ = writeln!(out, "\n  ```json");
                        for (_, t) in &s.lines {
                            let _ = writeln!(out, "  {t}");
                        }
                        let _ = writeln!(out, "  ```");
                    }
                }
                let _ = writeln!(out, "\n</details>");
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// JSON

fn detail_json(d: &Detail) -> Json {
    json!({
        "at": d.at,
        "what": d.what,
        "change": d.kind(),
        "old": d.old,
        "new": d.new,
        "context": d.context.as_ref().map(|(o, n)| json!({"old": o, "new": n})),
        "breaking": d.breaking,
        "note": d.note,
        "condition": d.condition,
    })
}

fn witness_json(w: &Witness) -> Json {
    json!({
        "old": w.old,
        "new": w.new,
        "lines": w.lines,
        "events": w.lines.iter().map(|l| serde_json::from_str::<Json>(l).unwrap_or(Json::Null)).collect::<Vec<_>>(),
    })
}

fn condition_json(c: &ConditionChange, checked: Option<&Checked>) -> Json {
    let (status, reason, tried, space) = match &c.search {
        Search::Skipped(why) => ("skipped", Some(why.clone()), None, None),
        Search::Done { tried, space, .. } => {
            let found = checked.is_some_and(|k| !k.witnesses.is_empty());
            (
                if found { "found" } else { "not_found" },
                None,
                Some(*tried),
                Some(*space),
            )
        }
    };
    json!({
        "kind": c.tag.keyword(),
        "item": c.item,
        "at": c.at,
        "old": c.old,
        "new": c.new,
        "via": c.via,
        "equivalent": c.equivalent,
        "search": {"status": status, "reason": reason, "tried": tried, "space": space},
        "witnesses": checked.map(|k| k.witnesses.iter().map(witness_json).collect::<Vec<_>>()).unwrap_or_default(),
        "unverified": checked.map_or(0, |k| k.unverified),
    })
}

fn outputs_json(o: &Outputs) -> Json {
    let sample = |v: &[vigil_diff::replay::Sample]| -> Vec<Json> {
        v.iter()
            .map(|s| {
                json!({
                    "record": s.record,
                    "lines": s.lines.iter().map(|(n, t)| json!({"line": n, "text": t})).collect::<Vec<_>>(),
                })
            })
            .collect()
    };
    json!({
        "kind": o.kind,
        "name": o.name,
        "old": o.old,
        "new": o.new,
        "only_old": o.only_old_total,
        "only_new": o.only_new_total,
        "only_old_sample": sample(&o.only_old),
        "only_new_sample": sample(&o.only_new),
        "hours": o.hours.iter().map(|(hour, old, new)| json!({"hour": hour, "old": old, "new": new})).collect::<Vec<_>>(),
    })
}

/// The page of `--format html`: the JSON report inside it, drawn by its own script.
pub fn html_page(doc: &Doc<'_>) -> String {
    // Inside a <script> element only `</` could end it early: JSON allows `<\/`.
    let report = json(doc).replace("</", "<\\/");
    PAGE.replace("/*PAGE_JS*/", crate::cmd::PAGE_JS)
        .replace("/*REPORT*/null", report.trim_end())
}

const PAGE: &str = include_str!("page.html");

pub fn json(doc: &Doc<'_>) -> String {
    let r = doc.report;
    let c = counts(r);
    let items: Vec<Json> = r
        .items
        .iter()
        .map(|i| {
            json!({
                "kind": i.tag.keyword(),
                "name": i.name,
                "status": status_key(&i.status),
                "renamed_from": match &i.status { Status::Renamed { from } => Some(from.to_string()), _ => None },
                "via": match &i.status { Status::Affected { via } => via.iter().map(|v| v.to_string()).collect(), _ => Vec::new() },
                "semantic": i.semantic,
                "text": i.text,
                "details": i.details.iter().map(detail_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let conditions: Vec<Json> = r
        .conditions
        .iter()
        .enumerate()
        .map(|(k, cnd)| condition_json(cnd, doc.checked.get(k)))
        .collect();
    let schema: Vec<Json> = r
        .schema
        .iter()
        .map(|s| {
            json!({
                "kind": s.tag.keyword(),
                "item": s.item,
                "change": s.change,
                "member": s.member,
                "old": s.old,
                "new": s.new,
                "breaking": s.breaking,
            })
        })
        .collect();
    let replay = doc.replay.map(|rp| {
        json!({
            "events": doc.events.map(|p| p.display().to_string()),
            "lines": rp.lines,
            "rejected": {"old": rp.rejected.0, "new": rp.rejected.1},
            "alerts": rp.alerts.iter().map(outputs_json).collect::<Vec<_>>(),
            "transitions": rp.transitions.iter().map(outputs_json).collect::<Vec<_>>(),
            "differs": rp.differs(),
        })
    });
    let doc_json = json!({
        "format": 1,
        "old": {"source": doc.old, "fingerprint": r.old.fingerprint, "errors": r.old.errors},
        "new": {"source": doc.new, "fingerprint": r.new.fingerprint, "errors": r.new.errors},
        "changed": r.changed() || doc.replay.is_some_and(Replay::differs),
        "summary": {
            "added": c.added, "removed": c.removed, "renamed": c.renamed, "changed": c.changed,
            "affected": c.affected, "breaking": c.breaking, "compatible": c.compatible,
        },
        "items": items,
        "conditions": conditions,
        "schema": schema,
        "replay": replay,
    });
    let mut s = serde_json::to_string_pretty(&doc_json).unwrap_or_default();
    s.push('\n');
    s
}
