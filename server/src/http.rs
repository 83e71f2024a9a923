//! `vigil serve --listen ADDR`: HTTP beside the stream.
//!
//! - `POST /events` publishes its body, one or more JSON lines, as one message into the
//!   input stream — the same log producers write to, so HTTP input is stored and replayable —
//!   and answers `202` with the message's position once the stream holds it. It needs the
//!   header `Authorization: Bearer <token>`; without a token configured it is off (`403`).
//! - `POST /reload` with a bundle (`vigil build`) as its body stores the bundle and publishes
//!   a `$reload` line naming it, as `vigil serve reload` does (same token): `202` with the
//!   line's position, `422` when the body is not a bundle.
//! - `GET /metrics`: `Metrics` in the Prometheus (OpenMetrics) text format.
//! - `GET /health`: `200` while the process runs, saying whether it is the active server.
//!
//! The server runs on a thread of its own with its own connection, so a slow client never
//! holds the engine up.

use std::net::SocketAddr;
use std::sync::Arc;

use async_nats::jetstream;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::log::Error;
use crate::metrics::Metrics;

struct Shared {
    js: jetstream::Context,
    subject: String,
    /// The object store bundles are stored in for `$reload` lines.
    store: String,
    token: Option<String>,
    metrics: Arc<Metrics>,
}

/// Listens on `addr` (port 0: any free one) and serves on a new thread; returns the address
/// it listens on. `url` and `name` are the deployment's, as for `Nats::connect`.
pub fn start(
    addr: &str,
    url: &str,
    name: &str,
    token: Option<String>,
    metrics: Arc<Metrics>,
) -> Result<SocketAddr, Error> {
    let fail = |what: &str, e: &dyn std::fmt::Display| Error::Transport(format!("{what}: {e}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail("runtime", &e))?;
    let (listener, js) = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| fail(&format!("--listen {addr}"), &e))?;
        let client = crate::jetstream::login(url)?
            .connect(url)
            .await
            .map_err(|e| fail("connect", &e))?;
        Ok::<_, Error>((listener, jetstream::new(client)))
    })?;
    let local = listener.local_addr().map_err(|e| fail("--listen", &e))?;
    let shared = Arc::new(Shared {
        js,
        subject: format!("{}.in", name.to_lowercase()),
        store: crate::jetstream::ruleset_store(name),
        token: token.filter(|t| !t.is_empty()),
        metrics,
    });
    let app = Router::new()
        .route("/events", post(events))
        .route("/reload", post(reload))
        .route("/metrics", get(metrics_text))
        .route("/health", get(health))
        .with_state(shared);
    std::thread::Builder::new()
        .name("vigil-http".into())
        .spawn(move || {
            if let Err(e) = rt.block_on(async { axum::serve(listener, app).await }) {
                tracing::error!(error = %e, "the HTTP server stopped: {e}");
            }
        })
        .map_err(|e| fail("thread", &e))?;
    Ok(local)
}

async fn events(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = refused(&s, &headers, "/events") {
        return refused;
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return (StatusCode::BAD_REQUEST, "no lines in the body\n").into_response();
    }
    stored(&s, body, "the input stream did not store the lines").await
}

async fn reload(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = refused(&s, &headers, "/reload") {
        return refused;
    }
    let program = match vigil_ir::bundle::decode(&body) {
        Ok(p) => p,
        Err(e) => {
            let why = format!("the body is not a bundle (vigil build -o FILE): {e}\n");
            return (StatusCode::UNPROCESSABLE_ENTITY, why).into_response();
        }
    };
    let fingerprint = &program.fingerprint;
    // The bundle first: a server never reads a `$reload` whose rule set is not there yet.
    let put = async {
        let store = s.js.get_object_store(&s.store).await?;
        let mut data: &[u8] = &body;
        let name = crate::jetstream::ruleset_object(fingerprint);
        store.put(name.as_str(), &mut data).await?;
        Ok::<_, async_nats::Error>(())
    };
    if let Err(e) = put.await {
        let why = format!("the bundle was not stored: {e}\n");
        return (StatusCode::SERVICE_UNAVAILABLE, why).into_response();
    }
    let line = vigil_runtime::reload_line(fingerprint);
    stored(
        &s,
        Bytes::from(line),
        "the input stream did not store the reload",
    )
    .await
}

/// The answer that refuses a request without the configured token (`None`: it has it).
fn refused(s: &Shared, headers: &HeaderMap, path: &str) -> Option<Response> {
    let Some(token) = &s.token else {
        let why = format!("POST {path} is off: start vigil serve with $VIGIL_HTTP_TOKEN set\n");
        return Some((StatusCode::FORBIDDEN, why).into_response());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let valid = given.is_some_and(|g| same(g.as_bytes(), token.as_bytes()));
    (!valid).then(|| {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a valid `Authorization: Bearer <token>` header is needed\n",
        )
            .into_response()
    })
}

/// Publishes `body` as one input message: `202` with its position once the stream holds it.
async fn stored(s: &Shared, body: Bytes, failed: &str) -> Response {
    let stored = async {
        let ack = s.js.publish(s.subject.clone(), body).await?;
        Ok::<_, async_nats::Error>(ack.await?.sequence)
    };
    match stored.await {
        Ok(seq) => (
            StatusCode::ACCEPTED,
            [(header::CONTENT_TYPE, "application/json")],
            format!("{{\"seq\":{seq}}}\n"),
        )
            .into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("{failed}: {e}\n")).into_response(),
    }
}

/// Compares in time that does not depend on where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

async fn metrics_text(State(s): State<Arc<Shared>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.text(),
    )
        .into_response()
}

async fn health(State(s): State<Arc<Shared>>) -> Response {
    let active = s.metrics.active.get() == 1;
    (
        [(header::CONTENT_TYPE, "application/json")],
        format!("{{\"status\":\"ok\",\"active\":{active}}}\n"),
    )
        .into_response()
}
