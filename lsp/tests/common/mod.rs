//! An in-process client for protocol tests: JSON-RPC with `Content-Length` framing over an
//! in-memory duplex, a server per test, and a scratch workspace on disk.

#![allow(dead_code)]

pub mod edits;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{
    AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf,
};

/// A scratch folder of `.vigil` files, removed when dropped.
pub struct Workspace {
    pub root: PathBuf,
}

impl Workspace {
    pub fn new(name: &str, files: &[(&str, &str)]) -> Workspace {
        let root = std::env::temp_dir().join(format!("vigil-lsp-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        for (path, text) in files {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        Workspace { root }
    }

    pub fn uri(&self, path: &str) -> String {
        format!("file://{}", self.root.join(path).display())
    }

    pub fn root_uri(&self) -> String {
        format!("file://{}", self.root.display())
    }

    pub fn path(&self, path: &str) -> PathBuf {
        self.root.join(path)
    }

    /// A response or notification as pretty JSON with the workspace's location replaced by
    /// `file:///ws`, for snapshots.
    pub fn redact(&self, v: &Value) -> String {
        serde_json::to_string_pretty(v)
            .unwrap()
            .replace(&self.root_uri(), "file:///ws")
            .replace(&self.root.display().to_string(), "/ws")
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The zero-based line and UTF-16 column of the `nth` occurrence of `needle` in `text`,
/// moved `delta` characters to the right.
pub fn pos(text: &str, needle: &str, nth: usize, delta: usize) -> Value {
    let offset = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("`{needle}` #{nth} not found"))
        .0;
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let col_text = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let col = col_text.encode_utf16().count() + delta;
    json!({"line": line, "character": col})
}

pub struct Client {
    rd: BufReader<ReadHalf<DuplexStream>>,
    wr: WriteHalf<DuplexStream>,
    next_id: i64,
    /// Notifications (and server requests) received while waiting for something else.
    pub notes: Vec<Value>,
    pub server: tokio::task::JoinHandle<()>,
    /// The `initialize` result.
    pub init: Value,
}

impl Client {
    /// Starts a server with `config` (debug requests on) and initializes it with `root`.
    pub async fn start(root: Option<&Workspace>, config: vigil_lsp::Config) -> Client {
        Client::start_with(root.map(Workspace::root_uri), config).await
    }

    /// Starts a server with `config` (debug requests on) on the workspace folder `root`.
    pub async fn start_at(root: &Path, config: vigil_lsp::Config) -> Client {
        Client::start_with(Some(format!("file://{}", root.display())), config).await
    }

    async fn start_with(root_uri: Option<String>, mut config: vigil_lsp::Config) -> Client {
        config.debug_methods = true;
        let (client_end, server_end) = tokio::io::duplex(1 << 22);
        let (srv_rd, srv_wr) = tokio::io::split(server_end);
        let (rd, wr) = tokio::io::split(client_end);
        let server = tokio::spawn(vigil_lsp::serve(srv_rd, srv_wr, config));
        let mut c = Client {
            rd: BufReader::new(rd),
            wr,
            next_id: 0,
            notes: Vec::new(),
            server,
            init: Value::Null,
        };
        let folders = match root_uri {
            Some(uri) => json!([{"uri": uri, "name": "ws"}]),
            None => Value::Null,
        };
        let init = c
            .request(
                "initialize",
                json!({"capabilities": {}, "workspaceFolders": folders}),
            )
            .await;
        assert!(init["result"]["capabilities"].is_object(), "{init}");
        c.init = init["result"].clone();
        c.notify("initialized", json!({})).await;
        c
    }

    pub async fn send_raw(&mut self, body: &[u8]) {
        let head = format!("Content-Length: {}\r\n\r\n", body.len());
        self.wr.write_all(head.as_bytes()).await.unwrap();
        self.wr.write_all(body).await.unwrap();
        self.wr.flush().await.unwrap();
    }

    async fn send(&mut self, msg: Value) {
        self.send_raw(msg.to_string().as_bytes()).await;
    }

    async fn recv_raw(&mut self) -> Value {
        let mut len = None;
        loop {
            let mut line = String::new();
            assert!(
                self.rd.read_line(&mut line).await.unwrap() > 0,
                "server closed the stream"
            );
            if line.trim_end().is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length:") {
                len = Some(v.trim().parse::<usize>().unwrap());
            }
        }
        let mut buf = vec![0u8; len.expect("missing Content-Length")];
        self.rd.read_exact(&mut buf).await.unwrap();
        serde_json::from_slice(&buf).unwrap()
    }

    /// The next message; requests from the server are answered with `null`.
    async fn recv(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(20), self.recv_raw())
                .await
                .expect("no message from the server within 20 s");
            if msg.get("method").is_some() && msg.get("id").is_some() {
                let id = msg["id"].clone();
                self.send(json!({"jsonrpc": "2.0", "id": id, "result": null}))
                    .await;
                self.notes.push(msg);
                continue;
            }
            return msg;
        }
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .await;
    }

    /// Sends a request and returns its id without waiting.
    pub async fn send_request(&mut self, method: &str, params: Option<Value>) -> i64 {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"jsonrpc": "2.0", "id": id, "method": method});
        if let Some(p) = params {
            msg["params"] = p;
        }
        self.send(msg).await;
        id
    }

    /// Waits for the response to request `id`.
    pub async fn response(&mut self, id: i64) -> Value {
        loop {
            let msg = self.recv().await;
            if msg.get("method").is_some() {
                self.notes.push(msg);
            } else if msg["id"] == json!(id) {
                return msg;
            } else {
                self.notes.push(msg);
            }
        }
    }

    /// Sends a request and waits for the whole response (`result` or `error`).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, Some(params)).await;
        self.response(id).await
    }

    /// The `result` of a request, failing on an error response.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        let r = self.request(method, params).await;
        assert!(r.get("error").is_none(), "{method}: {r}");
        r["result"].clone()
    }

    /// Waits for the next `publishDiagnostics` for `uri` and returns its params.
    pub async fn diagnostics(&mut self, uri: &str) -> Value {
        loop {
            let hit = self.notes.iter().position(|n| {
                n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri
            });
            if let Some(i) = hit {
                return self.notes.remove(i)["params"].clone();
            }
            let msg = self.recv().await;
            self.notes.push(msg);
        }
    }

    /// Waits for the `publishDiagnostics` of `uri` at document version `version`.
    pub async fn diagnostics_at(&mut self, uri: &str, version: i32) -> Value {
        loop {
            let d = self.diagnostics(uri).await;
            if d["version"] == json!(version) {
                return d;
            }
        }
    }

    /// Drops the notifications received so far.
    pub fn clear(&mut self) {
        self.notes.clear();
    }

    pub async fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "vigil", "version": 1, "text": text}}),
        )
        .await;
    }

    pub async fn change(&mut self, uri: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        )
        .await;
    }

    pub async fn shutdown(mut self) {
        let r = self.request("shutdown", Value::Null).await;
        assert_eq!(r["result"], Value::Null, "{r}");
        self.notify("exit", Value::Null).await;
        tokio::time::timeout(Duration::from_secs(10), self.server)
            .await
            .expect("server did not stop")
            .unwrap();
    }
}

/// A position request's params.
pub fn at(uri: &str, pos: Value) -> Value {
    json!({"textDocument": {"uri": uri}, "position": pos})
}

pub fn doc(uri: &str) -> Value {
    json!({"textDocument": {"uri": uri}})
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}
