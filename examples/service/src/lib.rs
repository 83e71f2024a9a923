//! A small HTTP service that embeds the Vigil runtime: events in over HTTP, alerts and workflow
//! transitions out as server-sent events.
//!
//! | endpoint | does |
//! |---|---|
//! | `POST /events` | one event (`Content-Type: application/json`: an object, or an array of objects) or JSON Lines (any other type); answers what was accepted and why lines were rejected |
//! | `GET /alerts` | server-sent events: every record the engine writes from now on (`event: alert`, `transition`, ...; `data:` the record's JSON line; `id:` the alert id) |
//! | `GET /health` | the rule set's fingerprint, counters, watermark |
//! | `POST /reload` | reads the rule set's list files again (`Engine::reload_lists`); state is kept |
//! | `POST /reload?rules=true` | compiles the rule set's files again and swaps them in (`Engine::reload`), keeping the state; 422 with the diagnostics when they do not compile |
//!
//! The engine sits behind a mutex; each request's events are pushed, and the records they
//! produce broadcast, while it is held, so subscribers see records in the engine's order.
//! Event time alone moves the engine (SPEC §7): deadlines fire when later events arrive.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::broadcast;
use vigil_runtime::{Engine, EngineConfig, Pushed, Record};

/// The largest request body accepted by `POST /events`.
pub const BODY_LIMIT: usize = 64 << 20;
/// Records kept for a slow subscriber before it is told it missed some.
const CHANNEL_CAPACITY: usize = 4096;

/// How the service was started.
#[derive(Debug, Clone)]
pub struct Options {
    /// The rule set: `.vigil` files and directories.
    pub paths: Vec<PathBuf>,
    /// `--lateness` in milliseconds.
    pub lateness_ms: i64,
}

/// One record as sent to subscribers.
#[derive(Debug, Clone)]
pub struct Published {
    /// `alert`, `transition`, `overflow` or `orphan`.
    pub kind: &'static str,
    /// The alert id, for `id:`.
    pub id: Option<String>,
    /// The record's JSON line.
    pub json: Arc<str>,
}

/// The shared state of the service.
pub struct Service {
    options: Options,
    engine: Mutex<Engine>,
    records: broadcast::Sender<Published>,
}

impl Service {
    /// Compiles the rule set and starts an engine.
    pub fn new(options: Options) -> Result<Arc<Service>, String> {
        let program =
            vigil_compiler::load::compile_paths(&options.paths).map_err(|e| e.to_string())?;
        let engine = Engine::new(
            program,
            EngineConfig {
                lateness: options.lateness_ms,
                ..EngineConfig::default()
            },
        );
        let (records, _) = broadcast::channel(CHANNEL_CAPACITY);
        Ok(Arc::new(Service {
            options,
            engine: Mutex::new(engine),
            records,
        }))
    }

    fn engine(&self) -> MutexGuard<'_, Engine> {
        // A panic while pushing leaves the engine as it was between two events; keep serving.
        self.engine.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Pushes `lines` and publishes the records they produce.
    fn ingest(&self, lines: Vec<Vec<u8>>) -> Value {
        let mut engine = self.engine();
        let (mut accepted, mut blank, mut produced) = (0u64, 0u64, 0u64);
        let mut rejected = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            match engine.push_line(line) {
                Pushed::Accepted | Pushed::Reloaded(_) | Pushed::Unavailable(_) => accepted += 1,
                Pushed::Blank => blank += 1,
                Pushed::Rejected(r) => rejected.push(json!({
                    "line": i + 1,
                    "reason": r.kind.as_str(),
                    "detail": r.detail,
                })),
            }
            produced += self.publish(&mut engine);
        }
        json!({
            "accepted": accepted,
            "blank": blank,
            "rejected": rejected,
            "records": produced,
            "watermark": time_json(engine.watermark()),
        })
    }

    /// Sends the engine's new records to the subscribers; returns how many there were.
    fn publish(&self, engine: &mut Engine) -> u64 {
        let records = engine.take_records();
        for r in &records {
            let (kind, id) = match r {
                Record::Alert(a) => ("alert", Some(a.id.clone())),
                Record::Transition(_) => ("transition", None),
                Record::Overflow(_) => ("overflow", None),
                Record::Orphan(_) => ("orphan", None),
            };
            // No subscriber is not an error: records are not kept for later ones.
            let _ = self.records.send(Published {
                kind,
                id,
                json: Arc::from(engine.to_json(r)),
            });
        }
        records.len() as u64
    }

    fn health(&self) -> Value {
        let engine = self.engine();
        let program = engine.program();
        let stats = engine.stats();
        json!({
            "status": "ok",
            "ruleset": program.fingerprint,
            "rules": program.rules.len(),
            "workflows": program.workflows.len(),
            "lists": program.lists.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
            "lines": engine.lines(),
            "accepted": stats.accepted,
            "rejected": stats.rejected_total(),
            "alerts": stats.alerts,
            "suppressed": stats.suppressed,
            "transitions": stats.transitions,
            "workflow_instances": engine.live_instances(),
            "pending_deadlines": engine.pending_deadlines(),
            "watermark": time_json(engine.watermark()),
            "subscribers": self.records.receiver_count(),
        })
    }

    /// Reads every list and map file of the running rule set, then replaces their contents.
    /// Nothing changes when one file cannot be read or a map file does not parse.
    fn reload_lists(&self) -> Result<Value, (StatusCode, String)> {
        let files: Vec<(String, String)> = {
            let engine = self.engine();
            engine
                .program()
                .lists
                .iter()
                .filter_map(|l| l.path.clone().map(|p| (l.name.to_string(), p)))
                .collect()
        };
        let mut lists = Vec::new();
        for (name, path) in files {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("list `{name}`: cannot read `{path}`: {e}"),
                )
            })?;
            lists.push((name, list_entries(&text)));
        }
        let map_files: Vec<(String, String)> = {
            let engine = self.engine();
            engine
                .program()
                .maps
                .iter()
                .filter_map(|m| m.path.clone().map(|p| (m.name.to_string(), p)))
                .collect()
        };
        let mut maps = Vec::new();
        for (name, path) in map_files {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("map `{name}`: cannot read `{path}`: {e}"),
                )
            })?;
            maps.push((name, text));
        }
        let counts: serde_json::Map<String, Value> = lists
            .iter()
            .map(|(n, v)| (n.clone(), json!(v.len())))
            .collect();
        let map_names: Vec<String> = maps.iter().map(|(n, _)| n.clone()).collect();
        let mut engine = self.engine();
        // Maps first: a map file that does not parse leaves the maps and the lists in force.
        engine
            .reload_maps(maps)
            .map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e))?;
        let unknown = engine.reload_lists(lists);
        Ok(json!({ "lists": counts, "maps": map_names, "unknown": unknown }))
    }

    /// Compiles the rule set's files again (list files included) and swaps the new program
    /// into the running engine, keeping its state (`Engine::reload`): windows, partial
    /// matches and suppression of rules whose pattern did not change, and the workflow
    /// instances; an instance whose state is gone is reported in an `orphan` record.
    fn reload_rules(&self) -> Result<Value, (StatusCode, String)> {
        // Compiling takes a while; events keep flowing meanwhile.
        let program = vigil_compiler::load::compile_paths(&self.options.paths).map_err(|e| {
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("the rule set does not compile; the running one is kept:\n{e}"),
            )
        })?;
        let mut engine = self.engine();
        let previous = engine.program().fingerprint.clone();
        let fingerprint = program.fingerprint.clone();
        let (rules, workflows) = (program.rules.len(), program.workflows.len());
        engine.reload(program).map_err(|e| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the engine's state could not be carried over; the running rule set is kept: {e}"),
            )
        })?;
        let records = self.publish(&mut engine);
        Ok(json!({
            "ruleset": fingerprint,
            "previous": previous,
            "rules": rules,
            "workflows": workflows,
            "records": records,
        }))
    }
}

/// Entries of a list file as the compiler reads them: one per line, `#` comments and blank
/// lines skipped.
fn list_entries(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn time_json(ms: i64) -> Value {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) if ms > i64::MIN / 2 => Value::String(t.to_string()),
        _ => Value::Null,
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

/// The routes, over `service`.
pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/events", post(post_events))
        .route("/alerts", get(get_alerts))
        .route("/health", get(get_health))
        .route("/reload", post(post_reload))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(service)
}

/// The body's events: a JSON object or array of objects for `application/json`, else JSON
/// Lines (a final line without newline included).
fn split_events(headers: &HeaderMap, body: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().unwrap_or("").trim() == "application/json");
    if is_json {
        if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            let items: Vec<Box<serde_json::value::RawValue>> = serde_json::from_slice(body)
                .map_err(|e| format!("the body is not a JSON array: {e}"))?;
            return Ok(items
                .into_iter()
                .map(|v| v.get().as_bytes().to_vec())
                .collect());
        }
        // One object, possibly over several lines: the engine reads JSON, not lines.
        return Ok(vec![body.to_vec()]);
    }
    let mut lines: Vec<Vec<u8>> = body
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
        .collect();
    if body.ends_with(b"\n") {
        lines.pop();
    }
    Ok(lines)
}

async fn post_events(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lines = match split_events(&headers, &body) {
        Ok(l) => l,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let report = tokio::task::spawn_blocking(move || service.ingest(lines)).await;
    match report {
        Ok(report) => {
            let all_rejected = report.get("accepted").is_some_and(|a| *a == 0)
                && report
                    .get("rejected")
                    .and_then(|r| r.as_array())
                    .is_some_and(|r| !r.is_empty());
            let status = if all_rejected {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            (status, axum::Json(report)).into_response()
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn get_alerts(State(service): State<Arc<Service>>) -> Response {
    let rx = service.records.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let event = match rx.recv().await {
            Ok(p) => {
                let mut e = Event::default().event(p.kind).data(&*p.json);
                if let Some(id) = p.id {
                    e = e.id(id);
                }
                e
            }
            Err(broadcast::error::RecvError::Lagged(n)) => Event::default()
                .event("lagged")
                .data(format!("{{\"missed\":{n}}}")),
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok::<_, std::convert::Infallible>(event), rx))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

async fn get_health(State(service): State<Arc<Service>>) -> Response {
    axum::Json(service.health()).into_response()
}

async fn post_reload(State(service): State<Arc<Service>>, uri: Uri) -> Response {
    let rules = uri.query().is_some_and(|q| {
        q.split('&')
            .any(|p| matches!(p, "rules" | "rules=true" | "rules=1"))
    });
    let result = tokio::task::spawn_blocking(move || {
        let reloaded = if rules {
            service.reload_rules()
        } else {
            service.reload_lists()
        };
        match reloaded {
            Ok(v) => axum::Json(v).into_response(),
            Err((status, e)) => error(status, e),
        }
    })
    .await;
    result.unwrap_or_else(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}
