//! The service on loopback, driven over HTTP/1.1 by a minimal client on a tokio `TcpStream`:
//! events in, alerts out as server-sent events, health, list and rule reloads with the
//! engine's state kept.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use vigil_service::{Options, Service, router};

/// Every network step is bounded; the whole test too.
const STEP: Duration = Duration::from_secs(20);

struct Reply {
    status: u16,
    json: Value,
}

fn parse_head(head: &str) -> (u16, bool) {
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    (status, chunked)
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = body.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..eol]).unwrap_or("0").trim(), 16)
                .unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = eol + 2;
        out.extend_from_slice(&body[start..(start + size).min(body.len())]);
        body = &body[(start + size + 2).min(body.len())..];
    }
}

async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Reply {
    let exchange = async {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some(ct) = content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).await.expect("write");
        s.write_all(body).await.expect("write");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.expect("read");
        raw
    };
    let raw = tokio::time::timeout(STEP, exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {path} timed out"));
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let (status, chunked) = parse_head(&head);
    let body = &raw[split + 4..];
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_vec()
    };
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{method} {path}: body is not JSON ({e}): {head}"));
    Reply { status, json }
}

/// A subscription to `GET /alerts`.
struct Events {
    reader: BufReader<TcpStream>,
    chunked: bool,
    buf: String,
}

impl Events {
    async fn open(addr: SocketAddr) -> Events {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        let req =
            format!("GET /alerts HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n");
        s.write_all(req.as_bytes()).await.expect("write");
        let mut reader = BufReader::new(s);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            tokio::time::timeout(STEP, reader.read_line(&mut line))
                .await
                .expect("response head in time")
                .expect("read");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push_str(&line);
        }
        let (status, chunked) = parse_head(&head);
        assert_eq!(status, 200, "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: text/event-stream"),
            "{head}"
        );
        Events {
            reader,
            chunked,
            buf: String::new(),
        }
    }

    async fn fill(&mut self) {
        if self.chunked {
            let mut size = String::new();
            self.reader.read_line(&mut size).await.expect("chunk size");
            let n = usize::from_str_radix(size.trim(), 16).expect("hex chunk size");
            assert!(n > 0, "the event stream ended");
            let mut data = vec![0; n + 2];
            self.reader.read_exact(&mut data).await.expect("chunk");
            data.truncate(n);
            self.buf.push_str(&String::from_utf8(data).expect("UTF-8"));
        } else {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).await.expect("read");
            assert!(n > 0, "the event stream ended");
            self.buf.push_str(&line);
        }
    }

    /// The next event that is not a comment: (event name, data parsed as JSON, id).
    async fn next(&mut self) -> (String, Value, Option<String>) {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut event, mut data, mut id) = (String::from("message"), String::new(), None);
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().to_string());
                    }
                }
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                let json = serde_json::from_str(&data).expect("event data is JSON");
                return (event, json, id);
            }
            tokio::time::timeout(STEP, self.fill())
                .await
                .expect("a server-sent event in time");
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A private copy of the rules library, so the test can edit its list files.
struct RulesCopy(PathBuf);

impl RulesCopy {
    fn new() -> RulesCopy {
        let dir = std::env::temp_dir().join(format!("vigil-service-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
        copy_dir(&rules, &dir);
        RulesCopy(dir)
    }
}

impl Drop for RulesCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const EVENTS: &str = r#"{"type":"CallRecord","time":"2022-06-13T10:00:00+08:00","call_id":"C1","caller":"+8617000000001","callee":"+8613800000000","callee_age":72,"duration":300}
{"type":"CheckpointPass","time":"2022-06-13T10:01:00+08:00","plate":"粤B8K2X7","checkpoint":"梅林查报站","vehicle_class":"car"}
{"type":"CheckpointPass","time":"2022-06-13T10:02:00+08:00","plate":"粤B0TEST1","checkpoint":"梅林查报站"
{"type":"CheckpointPass","time":"2022-06-13T10:03:00+08:00","plate":"粤B0TEST1","checkpoint":"南头查报站","vehicle_class":"car"}
{"type":"HitVerified","time":"2022-06-13T10:03:30+08:00","plate":"粤B8K2X7","officer":"查报站 王警官","confirmed":false}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_over_http() {
    tokio::time::timeout(Duration::from_secs(120), scenario())
        .await
        .expect("the scenario finishes within two minutes");
}

async fn reply_ruleset(addr: SocketAddr) -> Value {
    request(addr, "GET", "/health", None, b"").await.json["ruleset"].clone()
}

async fn scenario() {
    let rules = RulesCopy::new();
    let service = Service::new(Options {
        paths: vec![rules.0.clone()],
        lateness_ms: 0,
    })
    .expect("the rules library compiles");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("address");
    let server = tokio::spawn(async move {
        axum::serve(listener, router(service)).await.expect("serve");
    });

    // Health before any event.
    let health = request(addr, "GET", "/health", None, b"").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json["status"], "ok");
    assert!(
        health.json["ruleset"]
            .as_str()
            .is_some_and(|f| f.starts_with("sha256:"))
    );
    assert_eq!(health.json["accepted"], 0);
    assert_eq!(health.json["watermark"], Value::Null);

    let mut alerts = Events::open(addr).await;

    // JSON Lines: two alerts, a rejected line, a plate not (yet) watched, and the desk finding
    // the watched plate's hit a misread (its disposal case starts and ends).
    let reply = request(
        addr,
        "POST",
        "/events",
        Some("application/x-ndjson"),
        EVENTS.as_bytes(),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    assert_eq!(reply.json["accepted"], 4, "{}", reply.json);
    assert_eq!(reply.json["records"], 4, "{}", reply.json);
    assert_eq!(reply.json["rejected"][0]["line"], 3);
    assert_eq!(reply.json["rejected"][0]["reason"], "not_json");
    assert_eq!(reply.json["watermark"], "2022-06-13T02:03:30Z");

    let (event, record, id) = alerts.next().await;
    assert_eq!(event, "alert");
    assert_eq!(record["rule"], "flagged_number_contact");
    assert_eq!(record["key"], "+8613800000000");
    assert_eq!(id.as_deref(), record["id"].as_str());
    let (event, record, _) = alerts.next().await;
    assert_eq!(event, "alert");
    assert_eq!(record["rule"], "watchlist_plate_hit");
    assert_eq!(record["key"], "粤B8K2X7");
    assert_eq!(record["time"], "2022-06-13T10:01:00+08:00");
    for to in ["verifying", "misread"] {
        let (event, record, _) = alerts.next().await;
        assert_eq!(event, "transition");
        assert_eq!(record["workflow"], "plate_hit_disposal");
        assert_eq!(record["to"], to);
    }

    // One JSON object (pretty-printed): the stop-payment workflow starts.
    let request_json = r#"{
      "type": "StopPaymentRequested",
      "time": "2022-06-13T10:10:00+08:00",
      "case_id": "SZFZ-2022-00001",
      "account": "6222024000012345678",
      "bank": "工商银行深圳分行"
    }"#;
    let reply = request(
        addr,
        "POST",
        "/events",
        Some("application/json"),
        request_json.as_bytes(),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    assert_eq!(reply.json["records"], 2, "{}", reply.json);
    let (event, record, id) = alerts.next().await;
    assert_eq!(event, "transition");
    assert_eq!(record["workflow"], "emergency_stop_payment");
    assert_eq!(record["to"], "requested");
    assert_eq!(id, None);
    let (event, record, _) = alerts.next().await;
    assert_eq!(event, "alert");
    assert_eq!(record["workflow"], "emergency_stop_payment");
    assert_eq!(record["to"][0], "bank_liaison");

    // The plate is added to the watchlist file; the lists are reloaded.
    let list = rules.0.join("checkpoints/lists/watchlist_plates.txt");
    let mut text = std::fs::read_to_string(&list).expect("list file");
    text.push_str("粤B0TEST1\n");
    std::fs::write(&list, text).expect("write list");
    let reply = request(addr, "POST", "/reload", None, b"").await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    assert_eq!(reply.json["lists"]["watchlist_plates"], 6, "{}", reply.json);
    assert_eq!(reply.json["lists"]["fraud_numbers"], 6, "{}", reply.json);

    // An array of events: the newly watched plate alerts; the flagged number calling again is
    // still suppressed for its callee (state survived the reload).
    let batch = r#"[
      {"type":"CheckpointPass","time":"2022-06-13T10:30:00+08:00","plate":"粤B0TEST1","checkpoint":"皇岗路北卡口","vehicle_class":"car"},
      {"type":"HitVerified","time":"2022-06-13T10:31:00+08:00","plate":"粤B0TEST1","officer":"查报站 王警官","confirmed":false},
      {"type":"CallRecord","time":"2022-06-13T10:40:00+08:00","call_id":"C1","caller":"+8617000000001","callee":"+8613800000000","callee_age":72,"duration":360}
    ]"#;
    let reply = request(
        addr,
        "POST",
        "/events",
        Some("application/json"),
        batch.as_bytes(),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    assert_eq!(reply.json["accepted"], 3, "{}", reply.json);
    assert_eq!(reply.json["records"], 3, "{}", reply.json);
    let (_, record, _) = alerts.next().await;
    assert_eq!(record["rule"], "watchlist_plate_hit");
    assert_eq!(record["key"], "粤B0TEST1");
    for to in ["verifying", "misread"] {
        let (_, record, _) = alerts.next().await;
        assert_eq!(record["to"], to);
    }

    // A body whose every line is rejected is a bad request.
    let reply = request(
        addr,
        "POST",
        "/events",
        Some("application/x-ndjson"),
        b"{\"type\":\"Nope\",\"time\":0}\n",
    )
    .await;
    assert_eq!(reply.status, 400, "{}", reply.json);
    assert_eq!(reply.json["rejected"][0]["reason"], "unknown_type");

    // Rules: a broken rule set is refused with its diagnostics and the running one kept; a
    // good one is swapped in with the engine's state.
    let broken = rules.0.join("broken.vigil");
    std::fs::write(
        &broken,
        "rule broken {\n  when x: NoSuchEvent\n  alert anti_fraud\n}\n",
    )
    .expect("write");
    let reply = request(addr, "POST", "/reload?rules=true", None, b"").await;
    assert_eq!(reply.status, 422, "{}", reply.json);
    assert!(
        reply.json["error"]
            .as_str()
            .is_some_and(|e| e.contains("NoSuchEvent")),
        "{}",
        reply.json
    );
    std::fs::remove_file(&broken).expect("remove");
    let before = request(addr, "GET", "/health", None, b"").await.json["ruleset"].clone();
    let library = vigil_compiler::load::compile_paths(std::slice::from_ref(&rules.0))
        .expect("the library compiles")
        .rules
        .len();
    std::fs::write(
        rules.0.join("extra.vigil"),
        "rule test_plate_seen {\n  when c: CheckpointPass where c.plate == \"粤B0TEST2\"\n  alert checkpoint_desk message \"{c.plate} at {c.checkpoint}\"\n}\n",
    )
    .expect("write");
    let reply = request(addr, "POST", "/reload?rules=true", None, b"").await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    assert_eq!(reply.json["previous"], before, "{}", reply.json);
    assert_ne!(reply.json["ruleset"], before, "{}", reply.json);
    assert_eq!(reply.json["rules"], library + 1, "{}", reply.json);
    assert_eq!(reply.json["records"], 0, "{}", reply.json);

    // The new rule runs; the flagged number's suppression (a day per resident) survived the
    // reload.
    let after = r#"{"type":"CheckpointPass","time":"2022-06-13T10:45:00+08:00","plate":"粤B0TEST2","checkpoint":"南头查报站","vehicle_class":"car"}
{"type":"CallRecord","time":"2022-06-13T10:50:00+08:00","call_id":"C1","caller":"+8617000000001","callee":"+8613800000000","callee_age":72,"duration":420}
"#;
    let reply = request(addr, "POST", "/events", None, after.as_bytes()).await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    assert_eq!(reply.json["records"], 1, "{}", reply.json);
    let (_, record, _) = alerts.next().await;
    assert_eq!(record["rule"], "test_plate_seen");
    assert_eq!(record["message"], "粤B0TEST2 at 南头查报站");
    assert_eq!(record["ruleset"], reply_ruleset(addr).await);

    let health = request(addr, "GET", "/health", None, b"").await;
    assert_eq!(health.json["accepted"], 10, "{}", health.json);
    assert_eq!(health.json["rejected"], 2, "{}", health.json);
    assert_eq!(health.json["alerts"], 5, "{}", health.json);
    assert_eq!(health.json["suppressed"], 2, "{}", health.json);
    assert_eq!(health.json["transitions"], 5, "{}", health.json);
    assert_eq!(health.json["workflow_instances"], 1, "{}", health.json);
    assert_eq!(health.json["subscribers"], 1, "{}", health.json);
    assert_eq!(health.json["watermark"], "2022-06-13T02:50:00Z");

    server.abort();
}
