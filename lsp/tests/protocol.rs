//! Protocol tests: a real server over an in-memory duplex, one per feature, with snapshots of
//! the responses (`cargo insta review` to accept changes).

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Client, Workspace, at, doc, pos};
use serde_json::{Value, json};

const SCHEMA: &str = r#"timezone "Asia/Shanghai"

/// The duty desk.
unit desk "值班台"
unit patrol "巡逻队"

/// Kinds of incident.
enum Category { noise, theft, fraud }

/// A reported incident.
event Incident { incident_id: str, category: Category, address: str, loss: int? }
event CaseOpened { case_id: str, kind: str }
event Contacted { case_id: str }

list watched = ["12 Main St", "3 Harbour Rd"]

/// Losses above this are serious.
const BIG_LOSS = 10000
const COOL_DOWN = 90m

/// Whether a loss is serious.
fn serious(loss: int) -> bool = loss >= BIG_LOSS
"#;

const RULES: &str = r#"/// Thefts with a serious loss.
rule big_theft {
  title "Big theft"
  severity high
  when i: Incident where i.category == theft and serious(i.loss ?? 0)
  alert desk, patrol message "theft at {i.address}"
  suppress by i.address for COOL_DOWN
}

rule watched_address {
  when i: Incident where i.address in watched
    group by i.address within 1h having count() >= 3
  alert desk
}

rule quiet_burst {
  when sequence by case_id within 30m
    CaseOpened
    then not Contacted
  alert patrol
}

workflow mediation {
  start on o: CaseOpened by o.case_id
  state intake {
    on Contacted by case_id -> done
    after 2h -> overdue
  }
  final done
  final overdue
}

test "a big theft alerts" {
  events {
    Incident { time: 2022-01-04T09:00:00+08:00, incident_id: "I1", category: theft, address: "x", loss: 20000 }
  }
  expect alert big_theft count 1
}
"#;

/// A semantic token, decoded: one-based line and column, its text, type and modifier bits.
#[derive(Debug)]
struct Token {
    line: usize,
    col: usize,
    text: String,
    kind: String,
    modifiers: u64,
}

/// The document's semantic tokens with the relative encoding decoded.
async fn tokens(c: &mut Client, uri: &str, text: &str) -> Vec<Token> {
    let tokens = c.call("textDocument/semanticTokens/full", doc(uri)).await;
    let legend = c.init["capabilities"]["semanticTokensProvider"]["legend"].clone();
    let data: Vec<u64> = tokens["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let lines: Vec<&str> = text.lines().collect();
    let (mut line, mut col) = (0usize, 0usize);
    let mut out = Vec::new();
    for t in data.chunks(5) {
        if t[0] > 0 {
            line += t[0] as usize;
            col = t[1] as usize;
        } else {
            col += t[1] as usize;
        }
        out.push(Token {
            line: line + 1,
            col: col + 1,
            text: lines[line].chars().skip(col).take(t[2] as usize).collect(),
            kind: legend["tokenTypes"][t[3] as usize]
                .as_str()
                .unwrap()
                .to_string(),
            modifiers: t[4],
        });
    }
    out
}

fn workspace(name: &str) -> Workspace {
    Workspace::new(name, &[("schema.vigil", SCHEMA), ("rules.vigil", RULES)])
}

async fn start(ws: &Workspace) -> Client {
    Client::start(Some(ws), vigil_lsp::Config::default()).await
}

#[tokio::test]
async fn fixture_is_clean() {
    let ws = workspace("clean");
    let mut c = start(&ws).await;
    let uri = ws.uri("rules.vigil");
    c.open(&uri, RULES).await;
    let d = c.diagnostics_at(&uri, 1).await;
    assert_eq!(d["diagnostics"], json!([]), "{}", ws.redact(&d));
    let s = c.diagnostics(&ws.uri("schema.vigil")).await;
    assert_eq!(s["diagnostics"], json!([]), "{}", ws.redact(&s));
    c.shutdown().await;
}

#[tokio::test]
async fn initialize_announces_every_feature() {
    let ws = workspace("init");
    let mut c = start(&ws).await;
    insta::assert_snapshot!("initialize", ws.redact(&c.init));
    // A second `initialize` is refused.
    let r = c.request("initialize", json!({"capabilities": {}})).await;
    assert!(r.get("error").is_some(), "{r}");
    c.shutdown().await;
}

/// Diagnostics on open have the codes `vigil check` reports, and go away when fixed.
#[tokio::test]
async fn diagnostics_on_open_and_change() {
    let ws = workspace("diag");
    let mut c = start(&ws).await;
    let uri = ws.uri("rules.vigil");
    let broken = RULES
        .replace("i.address in watched", "i.adress in watched")
        .replace("alert desk\n}", "alert dsk\n}");
    c.open(&uri, &broken).await;
    let d = c.diagnostics_at(&uri, 1).await;
    insta::assert_snapshot!("diagnostics_on_open", ws.redact(&d));
    c.change(&uri, 2, RULES).await;
    let d = c.diagnostics_at(&uri, 2).await;
    assert_eq!(d["diagnostics"], json!([]));
    assert_eq!(d["version"], json!(2));
    c.shutdown().await;
}

/// A buffer that was never saved takes its diagnostics with it when closed.
#[tokio::test]
async fn closing_an_unsaved_buffer_clears_its_diagnostics() {
    let ws = workspace("unsaved");
    let mut c = start(&ws).await;
    let uri = ws.uri("scratch.vigil");
    c.open(&uri, "}").await;
    let d = c.diagnostics_at(&uri, 1).await;
    assert_eq!(
        d["diagnostics"][0]["code"],
        json!("vigil::not_an_item"),
        "{d}"
    );
    c.notify("textDocument/didClose", doc(&uri)).await;
    let d = c.diagnostics(&uri).await;
    assert_eq!(d["diagnostics"], json!([]), "{d}");
    c.shutdown().await;
}

/// Changing an event schema in one file updates the diagnostics of the files that use it.
#[tokio::test]
async fn schema_change_updates_other_files() {
    let ws = workspace("schema");
    let mut c = start(&ws).await;
    let rules = ws.uri("rules.vigil");
    let schema = ws.uri("schema.vigil");
    c.open(&schema, SCHEMA).await;
    c.diagnostics_at(&schema, 1).await;
    assert_eq!(c.diagnostics(&rules).await["diagnostics"], json!([]));
    c.clear();
    let changed = SCHEMA.replace("address: str,", "location: str,");
    c.change(&schema, 2, &changed).await;
    let d = c.diagnostics(&rules).await;
    insta::assert_snapshot!("schema_change_other_file", ws.redact(&d));
    c.shutdown().await;
}

/// A duplicate name points at the first definition; a typo gets a "did you mean" quick fix.
#[tokio::test]
async fn related_information_and_quick_fix() {
    let ws = workspace("fix");
    let mut c = start(&ws).await;
    let uri = ws.uri("rules.vigil");
    let text = format!(
        "{}\nrule extra {{\n  when i: Incident where i.adress == \"x\"\n  alert desk\n}}\n\nconst BIG_LOSS = 5\n",
        RULES
    );
    c.open(&uri, &text).await;
    let d = c.diagnostics_at(&uri, 1).await;
    insta::assert_snapshot!("related_information", ws.redact(&d));
    let p = pos(&text, "adress", 0, 0);
    let actions = c
        .call(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": p, "end": p}, "context": {"diagnostics": []}}),
        )
        .await;
    insta::assert_snapshot!("quick_fix", ws.redact(&actions));
    c.shutdown().await;
}

/// Editing one rule's body re-checks only that rule (salsa's event log, read through the
/// server).
#[tokio::test]
async fn editing_one_rule_rechecks_only_it() {
    let ws = workspace("incr");
    let mut c = start(&ws).await;
    let uri = ws.uri("rules.vigil");
    c.open(&uri, RULES).await;
    c.diagnostics_at(&uri, 1).await;
    c.call("vigil/debug/executedQueries", Value::Null).await;
    let edited = RULES.replace("count() >= 3", "count() >= 4");
    c.change(&uri, 2, &edited).await;
    c.diagnostics_at(&uri, 2).await;
    let executed = c.call("vigil/debug/executedQueries", Value::Null).await;
    let checked: Vec<&str> = executed
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e[0] == "check_item")
        .map(|e| e[1].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(checked, ["watched_address"], "{executed}");
    // What the rule consumes and emits did not change, so the rule-set checks (duplicates,
    // cycles) are not run again, and only the edited file's diagnostics are rebuilt.
    let ran = |q: &str| {
        executed
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e[0] == q)
            .count()
    };
    assert_eq!(ran("ruleset_checks"), 0, "{executed}");
    assert_eq!(ran("file_diagnostics"), 1, "{executed}");
    assert_eq!(ran("parse"), 1, "{executed}");
    c.shutdown().await;
}

/// Hover: declarations with docs, unit display names, enum values, folded constants, field
/// and expression types, durations.
#[tokio::test]
async fn hover() {
    let ws = workspace("hover");
    let mut c = start(&ws).await;
    let uri = ws.uri("rules.vigil");
    let schema = ws.uri("schema.vigil");
    c.open(&uri, RULES).await;
    let mut out = Vec::new();
    let cases = [
        (
            &uri,
            RULES,
            "Incident where i.category",
            0,
            0,
            "event type (docs)",
        ),
        (&uri, RULES, "i.category", 0, 3, "field"),
        (&uri, RULES, "i.category", 0, 0, "binding"),
        (&uri, RULES, "theft and", 0, 1, "enum value"),
        (&uri, RULES, "desk, patrol", 0, 1, "unit"),
        (&uri, RULES, "COOL_DOWN", 0, 1, "constant"),
        (&uri, RULES, "serious(", 0, 1, "fn"),
        (&uri, RULES, "i.loss ?? 0", 0, 7, "coalesce expression"),
        (&uri, RULES, "30m", 0, 1, "duration literal"),
        (&uri, RULES, "-> done", 0, 4, "state"),
        (&uri, RULES, "watched\n", 0, 1, "list"),
        (&uri, RULES, "big_theft count", 0, 1, "rule from a test"),
        (&schema, SCHEMA, "loss >= BIG", 0, 1, "fn parameter"),
        (
            &schema,
            SCHEMA,
            "BIG_LOSS = 10000",
            0,
            1,
            "constant declaration",
        ),
    ];
    for (u, text, needle, nth, delta, what) in cases {
        let h = c
            .call("textDocument/hover", at(u, pos(text, needle, nth, delta)))
            .await;
        out.push(json!({"case": what, "hover": h}));
    }
    insta::assert_snapshot!("hover", ws.redact(&Value::Array(out)));
    c.shutdown().await;
}

/// Go to definition and find references work for every kind of name, across files.
#[tokio::test]
async fn definition_and_references() {
    let ws = workspace("nav");
    let mut c = start(&ws).await;
    let uri = ws.uri("rules.vigil");
    let schema = ws.uri("schema.vigil");
    c.open(&uri, RULES).await;
    let mut out = Vec::new();
    let cases = [
        (&uri, RULES, "Incident where i.category", 0, 1, "event"),
        (&uri, RULES, "i.category", 0, 3, "field"),
        (&uri, RULES, "theft and", 0, 1, "variant"),
        (&uri, RULES, "desk, patrol", 0, 1, "unit"),
        (&uri, RULES, "watched\n", 0, 1, "list"),
        (&uri, RULES, "COOL_DOWN", 0, 1, "const"),
        (&uri, RULES, "serious(", 0, 1, "fn"),
        (&uri, RULES, "big_theft count", 0, 1, "rule"),
        (&uri, RULES, "-> done", 0, 4, "state"),
        (&uri, RULES, "i.address}", 0, 0, "binding"),
        (&schema, SCHEMA, "loss >= BIG", 0, 1, "fn parameter"),
        (&schema, SCHEMA, "Category,", 0, 1, "enum"),
    ];
    for (u, text, needle, nth, delta, what) in cases {
        let p = pos(text, needle, nth, delta);
        let def = c.call("textDocument/definition", at(u, p.clone())).await;
        let mut params = at(u, p);
        params["context"] = json!({"includeDeclaration": true});
        let refs = c.call("textDocument/references", params).await;
        out.push(json!({"case": what, "definition": def, "references": refs}));
    }
    insta::assert_snapshot!("definition_and_references", ws.redact(&Value::Array(out)));
    c.shutdown().await;
}

/// Rename changes every occurrence in every file; it refuses names that are taken or that
/// are not identifiers.
#[tokio::test]
async fn rename() {
    let ws = workspace("rename");
    let mut c = start(&ws).await;
    let uri = ws.uri("rules.vigil");
    c.open(&uri, RULES).await;
    let p = pos(RULES, "i.address}", 0, 3);
    let prepare = c
        .call("textDocument/prepareRename", at(&uri, p.clone()))
        .await;
    let mut params = at(&uri, p.clone());
    params["newName"] = json!("street");
    let edit = c.call("textDocument/rename", params).await;
    insta::assert_snapshot!(
        "rename_field",
        ws.redact(&json!({"prepare": prepare, "edit": edit}))
    );
    let mut refused = Vec::new();
    for (needle, delta, name) in [
        ("i.address}", 3, "loss"),
        ("i.address}", 3, "not a name"),
        ("i.address}", 3, "and"),
        ("serious(", 1, "BIG_LOSS"),
        ("theft and", 1, "fraud"),
        ("-> done", 4, "overdue"),
        ("i.address}", 0, "desk"),
    ] {
        let mut params = at(&uri, pos(RULES, needle, 0, delta));
        params["newName"] = json!(name);
        let r = c.request("textDocument/rename", params).await;
        refused.push(json!({"at": needle, "new": name, "error": r["error"]}));
    }
    let time = c
        .request(
            "textDocument/prepareRename",
            at(&ws.uri("rules.vigil"), pos(RULES, "time:", 0, 1)),
        )
        .await;
    refused.push(json!({"at": "time", "prepare": time}));
    insta::assert_snapshot!("rename_refused", ws.redact(&Value::Array(refused)));
    c.shutdown().await;
}

/// Completion offers what fits the context.
#[tokio::test]
async fn completion_by_context() {
    let ws = workspace("complete");
    let mut c = start(&ws).await;
    let uri = ws.uri("rules.vigil");
    let cases = [
        (
            "fields after `x.`",
            "rule r {\n  when i: Incident where i.",
            None,
        ),
        (
            "enum values where an enum is expected",
            "rule r {\n  when i: Incident where i.category == ",
            None,
        ),
        (
            "units after `alert`",
            "rule r {\n  when i: Incident\n  alert ",
            None,
        ),
        (
            "more units after `alert a,`",
            "rule r {\n  when i: Incident\n  alert desk, ",
            None,
        ),
        (
            "states after `->`",
            "workflow w {\n  start on o: CaseOpened by o.case_id\n  state a {\n    on Contacted by case_id -> ",
            Some("\n  }\n  final b\n}\n"),
        ),
        ("event types after `:`", "rule r {\n  when i: ", None),
        (
            "a workflow's variables in a condition",
            "workflow w {\n  start on o: CaseOpened by o.case_id\n  var tries: int = 0\n  state a {\n    on Contacted where ",
            Some(" -> b\n  }\n  final b\n}\n"),
        ),
        (
            "lists after `in`",
            "rule r {\n  when i: Incident where i.address in ",
            None,
        ),
        ("keywords in a rule", "rule r {\n  ", Some("\n}\n")),
        ("keywords at the top level", "", None),
        (
            "fields in an emit",
            "rule r {\n  when i: Incident\n  emit Contacted { ",
            None,
        ),
        (
            "a prefix is completed",
            "rule r {\n  when i: Incident where i.cat",
            None,
        ),
    ];
    let mut out = Vec::new();
    for (i, (what, before, after)) in cases.iter().enumerate() {
        let text = format!("{before}{}", after.unwrap_or(""));
        let file = format!("c{i}.vigil");
        let u = ws.uri(&file);
        c.open(&u, &text).await;
        let p = pos(&format!("{before}\u{1}"), "\u{1}", 0, 0);
        let r = c.call("textDocument/completion", at(&u, p)).await;
        let labels: Vec<String> = r
            .as_array()
            .unwrap()
            .iter()
            .map(|i| format!("{} ({})", i["label"].as_str().unwrap(), i["kind"]))
            .collect();
        out.push(json!({"case": what, "items": labels}));
    }
    let _ = uri;
    insta::assert_snapshot!("completion", ws.redact(&Value::Array(out)));
    c.shutdown().await;
}

/// The outline of a file, and symbols across the workspace.
#[tokio::test]
async fn symbols() {
    let ws = workspace("symbols");
    let mut c = start(&ws).await;
    let uri = ws.uri("rules.vigil");
    c.open(&uri, RULES).await;
    let outline = c
        .call("textDocument/documentSymbol", doc(&ws.uri("schema.vigil")))
        .await;
    insta::assert_snapshot!("document_symbols", ws.redact(&outline));
    let found = c.call("workspace/symbol", json!({"query": "theft"})).await;
    insta::assert_snapshot!("workspace_symbols", ws.redact(&found));
    c.shutdown().await;
}

/// Formatting gives what `vigil fmt` writes.
#[tokio::test]
async fn formatting() {
    let ws = workspace("fmt");
    let mut c = start(&ws).await;
    let uri = ws.uri("rules.vigil");
    let messy = "rule   r {\n when i : Incident where i.loss>3\n      alert desk }\n";
    c.open(&uri, messy).await;
    let edits = c
        .call(
            "textDocument/formatting",
            json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
        )
        .await;
    let expected = vigil_compiler::fmt::format_file(messy).unwrap();
    assert_eq!(edits[0]["newText"], json!(expected));
    insta::assert_snapshot!("formatting", ws.redact(&edits));
    c.shutdown().await;
}

/// Semantic tokens, inlay hints and folding ranges of the rules file.
#[tokio::test]
async fn tokens_hints_and_folding() {
    let ws = workspace("tokens");
    let mut c = start(&ws).await;
    let uri = ws.uri("rules.vigil");
    c.open(&uri, RULES).await;
    let rows: Vec<String> = tokens(&mut c, &uri, RULES)
        .await
        .into_iter()
        .map(|t| format!("{}:{} {} {} {}", t.line, t.col, t.text, t.kind, t.modifiers))
        .collect();
    insta::assert_snapshot!("semantic_tokens", rows.join("\n"));
    let hints = c
        .call(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 999, "character": 0}}}),
        )
        .await;
    let schema_hints = c
        .call(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": ws.uri("schema.vigil")}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 999, "character": 0}}}),
        )
        .await;
    insta::assert_snapshot!(
        "inlay_hints",
        ws.redact(&json!({"rules": hints, "schema": schema_hints}))
    );
    let folds = c.call("textDocument/foldingRange", doc(&uri)).await;
    insta::assert_snapshot!("folding_ranges", ws.redact(&folds));
    c.shutdown().await;
}

/// A code lens on each test runs it (here through a stand-in for `vigil test`) and then
/// shows the outcome.
#[tokio::test]
async fn code_lens_runs_tests() {
    let ws = workspace("lens");
    let script = ws.path("fake-vigil.sh");
    let args_file = ws.path("args.txt");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" > '{}'\necho '{{\"test\":\"other\",\"passed\":true,\"failures\":[]}}'\necho '{{\"test\":\"a big theft alerts\",\"location\":\"rules.vigil:37\",\"passed\":false,\"failures\":[{{\"line\":41,\"expectation\":\"expect alert big_theft count 1\",\"detail\":\"found 0\",\"actual\":[]}}]}}'\n",
            args_file.display()
        ),
    )
    .unwrap();
    let config = vigil_lsp::Config {
        test_command: vec!["sh".into(), script.display().to_string()],
        ..vigil_lsp::Config::default()
    };
    let mut c = Client::start(Some(&ws), config).await;
    let uri = ws.uri("rules.vigil");
    c.open(&uri, RULES).await;
    let lenses = c.call("textDocument/codeLens", doc(&uri)).await;
    let command = lenses[0]["command"].clone();
    let result = c
        .call(
            "workspace/executeCommand",
            json!({"command": command["command"], "arguments": command["arguments"]}),
        )
        .await;
    let args = std::fs::read_to_string(&args_file).unwrap();
    assert!(
        args.starts_with("test ") && args.contains("--filter a big theft alerts --format json"),
        "{args}"
    );
    assert!(
        args.contains("rules.vigil") && args.contains("schema.vigil"),
        "{args}"
    );
    let after = c.call("textDocument/codeLens", doc(&uri)).await;
    insta::assert_snapshot!(
        "code_lens",
        ws.redact(&json!({"before": lenses, "run": result, "after": after}))
    );
    c.shutdown().await;
}

/// A panic in one request is an error response and the server keeps serving; a read that an
/// edit overtakes answers `ContentModified`; garbage does not stop the server.
#[tokio::test]
async fn robustness() {
    let ws = workspace("robust");
    let mut c = start(&ws).await;
    let uri = ws.uri("rules.vigil");
    c.open(&uri, RULES).await;
    c.diagnostics_at(&uri, 1).await;

    let r = c.request("vigil/debug/panic", Value::Null).await;
    assert_eq!(r["error"]["code"], json!(-32603), "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("requested panic")
    );

    let slow = c.send_request("vigil/debug/slowRead", None).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    c.change(&uri, 2, &RULES.replace("count() >= 3", "count() >= 5"))
        .await;
    let r = c.response(slow).await;
    assert_eq!(r["error"]["code"], json!(-32801), "{r}");

    c.send_raw(b"{ this is not json").await;
    c.send_raw(b"{\"jsonrpc\": \"2.0\", \"id\": 99, \"method\": \"textDocument/hover\", \"params\": {\"nonsense\": 1}}").await;
    let r = c.response(99).await;
    assert_eq!(r["error"]["code"], json!(-32602), "{r}");
    let unknown = c
        .call(
            "textDocument/hover",
            at("file:///nowhere.vigil", json!({"line": 0, "character": 0})),
        )
        .await;
    assert_eq!(unknown, Value::Null);
    let far = c
        .call(
            "textDocument/hover",
            at(&uri, json!({"line": 9999, "character": 9999})),
        )
        .await;
    assert_eq!(far, Value::Null);
    let garbage = "rule { when : where -> \"unterminated\n}}}} workflow test ¿¿ \u{0}";
    c.change(&uri, 3, garbage).await;
    let d = c.diagnostics_at(&uri, 3).await;
    assert!(!d["diagnostics"].as_array().unwrap().is_empty());
    for method in [
        "textDocument/semanticTokens/full",
        "textDocument/foldingRange",
        "textDocument/documentSymbol",
    ] {
        let r = c.request(method, doc(&uri)).await;
        assert!(r.get("error").is_none(), "{method}: {r}");
    }
    for ch in 0..20 {
        let r = c
            .request(
                "textDocument/completion",
                at(&uri, json!({"line": 0, "character": ch})),
            )
            .await;
        assert!(r.get("error").is_none(), "{r}");
        let r = c
            .request(
                "textDocument/hover",
                at(&uri, json!({"line": 1, "character": ch})),
            )
            .await;
        assert!(r.get("error").is_none(), "{r}");
    }
    // Still serving.
    c.change(&uri, 4, RULES).await;
    assert_eq!(c.diagnostics_at(&uri, 4).await["diagnostics"], json!([]));
    c.shutdown().await;
}

const PLACES: &str = r#"zone harbour = geojson("harbour.geojson")
calendar workdays = file("days.txt")
event Boat { boat_id: str, position: point }
unit coast "Coast guard"

rule boat_in_harbour {
  when b: Boat where within(b.position, harbour)
  alert coast
  start escort
}

workflow escort {
  start on b: Boat by b.boat_id
  state moving {
    after 2 workdays -> done
  }
  final done
}

test "a boat is escorted" {
  events {
    Boat { time: 2022-01-04T09:00:00+08:00, boat_id: "B1", position: point(22.5, 113.9) }
  }
  expect transition escort "B1" to moving
}
"#;

const HARBOUR: &str = r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
"geometry": {"type": "Polygon", "coordinates": [[[113.8, 22.4], [114.0, 22.4], [114.0, 22.6], [113.8, 22.4]]]}}]}"#;

/// Zones, calendars and workflows are found too, and the list of places is clean.
#[tokio::test]
async fn zones_calendars_and_workflows() {
    let ws = Workspace::new(
        "places",
        &[
            ("places.vigil", PLACES),
            ("harbour.geojson", HARBOUR),
            ("days.txt", "2022-01-03 holiday\n"),
        ],
    );
    let mut c = start(&ws).await;
    let uri = ws.uri("places.vigil");
    c.open(&uri, PLACES).await;
    let d = c.diagnostics_at(&uri, 1).await;
    assert_eq!(d["diagnostics"], json!([]), "{}", ws.redact(&d));
    let mut out = Vec::new();
    for (needle, nth, delta, what) in [
        ("harbour)", 0, 1, "zone"),
        ("workdays =", 0, 1, "calendar"),
        ("escort\n}", 0, 1, "workflow from a rule"),
        ("escort \"B1\"", 0, 1, "workflow from a test"),
        ("to moving", 0, 4, "state from a test"),
    ] {
        let p = pos(PLACES, needle, nth, delta);
        let def = c.call("textDocument/definition", at(&uri, p.clone())).await;
        let mut params = at(&uri, p.clone());
        params["context"] = json!({"includeDeclaration": true});
        let refs = c.call("textDocument/references", params).await;
        let hover = c.call("textDocument/hover", at(&uri, p)).await;
        out.push(json!({"case": what, "definition": def, "references": refs, "hover": hover["contents"]["value"]}));
    }
    insta::assert_snapshot!("zones_calendars_workflows", ws.redact(&Value::Array(out)));
    c.shutdown().await;
}

/// Files created and deleted outside the editor join and leave the rule set.
#[tokio::test]
async fn watched_files_join_and_leave_the_rule_set() {
    let ws = workspace("watched");
    let mut c = start(&ws).await;
    let rules = ws.uri("rules.vigil");
    c.open(&rules, RULES).await;
    c.diagnostics_at(&rules, 1).await;
    let extra = ws.path("zz.vigil");
    std::fs::write(
        &extra,
        "rule big_theft {\n  when i: Incident\n  alert desk\n}\n",
    )
    .unwrap();
    let extra_uri = ws.uri("zz.vigil");
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": extra_uri, "type": 1}]}),
    )
    .await;
    let d = c.diagnostics(&extra_uri).await;
    let codes: Vec<&str> = d["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"vigil::duplicate_name"), "{d}");
    std::fs::remove_file(&extra).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": extra_uri, "type": 3}]}),
    )
    .await;
    // The symbol is gone from the workspace.
    let mut found = c
        .call("workspace/symbol", json!({"query": "big_theft"}))
        .await;
    for _ in 0..50 {
        if found.as_array().unwrap().len() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        found = c
            .call("workspace/symbol", json!({"query": "big_theft"}))
            .await;
    }
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    c.shutdown().await;
}

const WATCH: &str = r#"unit desk
event Shift { post: str, crew: str }
workflow watch {
  start on s: Shift by s.post
  var crew: str = s.crew
  after 6h where crew == "A" alert desk message "{crew} still on watch"
  state on_watch {
    on n: Shift -> on_watch set crew = n.crew
  }
}
"#;

/// Workflow variables (v0.2): definition, references, rename, hover and semantic tokens.
#[tokio::test]
async fn workflow_variables_navigate_and_rename() {
    let ws = Workspace::new("vars", &[("watch.vigil", WATCH)]);
    let mut c = start(&ws).await;
    let uri = ws.uri("watch.vigil");
    c.open(&uri, WATCH).await;
    let d = c.diagnostics_at(&uri, 1).await;
    assert_eq!(d["diagnostics"], json!([]), "{d}");
    let decl = pos(WATCH, "crew: str =", 0, 1);
    // From the use in the timer's condition to the declaration.
    let def = c
        .call(
            "textDocument/definition",
            at(&uri, pos(WATCH, "crew == \"A\"", 0, 1)),
        )
        .await;
    let target = if def.is_array() { def[0].clone() } else { def };
    assert_eq!(target["range"]["start"]["line"], decl["line"], "{target}");
    let mut params = at(&uri, pos(WATCH, "set crew", 0, 5));
    params["context"] = json!({"includeDeclaration": true});
    let refs = c.call("textDocument/references", params).await;
    // The declaration, the condition, the message and the `set`.
    assert_eq!(refs.as_array().map(Vec::len), Some(4), "{refs}");
    let mut params = at(&uri, decl.clone());
    params["newName"] = json!("on_duty");
    let edit = c.call("textDocument/rename", params).await;
    let edits = edit["changes"][&uri]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(edits.len(), 4, "{edit}");
    let hover = c
        .call("textDocument/hover", at(&uri, pos(WATCH, "set crew", 0, 5)))
        .await;
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(text.contains("var crew: str"), "{text}");
    c.shutdown().await;
}

const ROUTING: &str = r#"unit desk
unit harbour "港区派出所"
event Referral { address: str, station: unit? }
map station_of: str -> unit = { "滨海路8号": harbour }

rule referral {
  when r: Referral where r.station != station_of[r.address]
  alert r.station ?? station_of[r.address] ?? desk message "{r.address}"
}
"#;

/// Maps and units as values (v0.2): definition and references of a map and of a unit named in
/// an expression, rename of the map, hover, and the map's semantic token.
#[tokio::test]
async fn maps_and_units_navigate_and_rename() {
    let ws = Workspace::new("routing", &[("routing.vigil", ROUTING)]);
    let mut c = start(&ws).await;
    let uri = ws.uri("routing.vigil");
    c.open(&uri, ROUTING).await;
    let d = c.diagnostics_at(&uri, 1).await;
    assert_eq!(d["diagnostics"], json!([]), "{d}");
    // From a lookup to the map's declaration.
    let def = c
        .call(
            "textDocument/definition",
            at(&uri, pos(ROUTING, "station_of[r.address] ??", 0, 2)),
        )
        .await;
    let target = if def.is_array() { def[0].clone() } else { def };
    assert_eq!(target["range"]["start"]["line"], 3, "{target}");
    // From the unit used as a default to its declaration.
    let def = c
        .call(
            "textDocument/definition",
            at(&uri, pos(ROUTING, "?? desk", 0, 4)),
        )
        .await;
    let target = if def.is_array() { def[0].clone() } else { def };
    assert_eq!(target["range"]["start"]["line"], 0, "{target}");
    let mut params = at(&uri, pos(ROUTING, "map station_of", 0, 5));
    params["context"] = json!({"includeDeclaration": true});
    let refs = c.call("textDocument/references", params).await;
    // The declaration and the two lookups.
    assert_eq!(refs.as_array().map(Vec::len), Some(3), "{refs}");
    let mut params = at(&uri, pos(ROUTING, "map station_of", 0, 5));
    params["newName"] = json!("station_by_address");
    let edit = c.call("textDocument/rename", params).await;
    let edits = edit["changes"][&uri]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(edits.len(), 3, "{edit}");
    let hover = c
        .call(
            "textDocument/hover",
            at(&uri, pos(ROUTING, "station_of[r.address] ??", 0, 2)),
        )
        .await;
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(text.contains("map station_of: str -> unit"), "{text}");
    assert!(text.contains("1 entry"), "{text}");
    let hover = c
        .call(
            "textDocument/hover",
            at(&uri, pos(ROUTING, "?? desk", 0, 4)),
        )
        .await;
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(text.contains("unit desk"), "{text}");
    // The map reads as a read-only variable wherever it is looked up.
    let maps: Vec<Token> = tokens(&mut c, &uri, ROUTING)
        .await
        .into_iter()
        .filter(|t| t.text == "station_of")
        .collect();
    assert_eq!(maps.len(), 3, "{maps:?}");
    assert!(maps.iter().all(|t| t.kind == "variable"), "{maps:?}");
    c.shutdown().await;
}

/// A lens on each workflow draws its state diagram (`vigil.showDiagram`): a Markdown page
/// with a Mermaid block, from the open text.
#[tokio::test]
async fn a_workflow_lens_shows_its_diagram() {
    let ws = Workspace::new("diagram", &[("watch.vigil", WATCH)]);
    let mut c = start(&ws).await;
    let uri = ws.uri("watch.vigil");
    c.open(&uri, WATCH).await;
    let lenses = c.call("textDocument/codeLens", doc(&uri)).await;
    let lens = lenses
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["command"]["command"] == "vigil.showDiagram")
        .cloned()
        .unwrap_or_else(|| panic!("no diagram lens: {lenses}"));
    assert_eq!(lens["command"]["arguments"][1], "watch", "{lens}");
    let reply = c
        .call(
            "workspace/executeCommand",
            json!({"command": "vigil.showDiagram", "arguments": lens["command"]["arguments"]}),
        )
        .await;
    let mermaid = reply["mermaid"].as_str().unwrap_or_default();
    assert!(mermaid.contains("stateDiagram-v2"), "{reply}");
    assert!(mermaid.contains("[*] --> "), "{reply}");
    let page =
        std::fs::read_to_string(reply["path"].as_str().unwrap_or_default()).unwrap_or_default();
    assert!(
        page.starts_with("# workflow watch\n\n```mermaid\n"),
        "{page}"
    );
    let reply = c
        .request(
            "workspace/executeCommand",
            json!({"command": "vigil.showDiagram", "arguments": [uri.as_str(), "nope"]}),
        )
        .await;
    assert_eq!(reply["error"]["message"], "no workflow `nope`", "{reply}");
    c.shutdown().await;
}
