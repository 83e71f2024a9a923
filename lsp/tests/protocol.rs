//! Protocol tests: a real server over an in-memory duplex, one per feature, with snapshots of
//! the responses (`cargo insta review` to accept changes).

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
    let d = c.diagnostics(&uri).await;
    assert_eq!(d["diagnostics"], json!([]), "{}", ws.redact(&d));
    let s = c.diagnostics(&ws.uri("schema.vigil")).await;
    assert_eq!(s["diagnostics"], json!([]), "{}", ws.redact(&s));
    c.shutdown().await;
}
