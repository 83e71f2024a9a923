//! Random sessions against the server: bytes decoded into opens, closes, full and incremental
//! edits and requests on a copy of the rules library, then a check that the diagnostics the
//! server published last equal those of a fresh check of the same texts (what `vigil check`
//! reports), at the same places. The fuzz target `fuzz/fuzz_targets/lsp.rs` and the test
//! `lsp/tests/edits.rs` both run `session`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use vigil_compiler::db::{Database, RuleSet, SourceFile, ruleset_diagnostics};
use vigil_compiler::diagnostics::Level;
use vigil_compiler::load::{Depth, vigil_files};

use super::{Client, at, doc};

/// The "rule expired" clock of both the server and the fresh check.
const NOW: i64 = 1_800_000_000_000;

/// Operations a session runs at most.
const MAX_OPS: usize = 48;

/// Text the edits insert: pieces of the language, other scripts, and nothing.
const PIECES: &[&str] = &[
    "",
    " ",
    "\n",
    "rule ",
    "r2 {\n  when e: Incident where e.loss > 100\n  alert police\n}\n",
    "when ",
    "where ",
    "within 10m",
    "alert ",
    "emit ",
    "start ",
    "workflow ",
    "state ",
    "after 5m -> ",
    "final ",
    "event E { a: int, b: str? }\n",
    "enum Level { low, high }\n",
    "unit u \"U\"\n",
    "test \"t\" {\n  events {\n  }\n  expect no alerts\n}\n",
    "{",
    "}",
    "(",
    ")",
    "\"",
    ":",
    ",",
    ".",
    "->",
    "==",
    " and ",
    " or not ",
    "count() >= 3",
    "by e.key",
    "10m",
    "// note\n",
    "é",
    "中文",
    "😀",
    "\u{0}",
    "\t",
];

/// Methods asked at a position of an open document.
const AT_POSITION: &[&str] = &[
    "textDocument/hover",
    "textDocument/completion",
    "textDocument/definition",
    "textDocument/references",
    "textDocument/prepareRename",
    "textDocument/rename",
];

/// Methods asked of a whole open document.
const WHOLE: &[&str] = &[
    "textDocument/formatting",
    "textDocument/semanticTokens/full",
    "textDocument/documentSymbol",
    "textDocument/foldingRange",
    "textDocument/inlayHint",
    "textDocument/codeAction",
    "textDocument/codeLens",
];

/// The session's input, read a byte at a time; zeros once it runs out.
struct Input<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    fn u16(&mut self) -> usize {
        usize::from(self.byte()) << 8 | usize::from(self.byte())
    }

    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[usize::from(self.byte()) % items.len()]
    }
}

/// A scratch copy of the rules library, removed when dropped.
struct Library {
    root: PathBuf,
}

impl Library {
    fn copy(from: &Path) -> Library {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("vigil-lsp-edits-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        copy_dir(from, &root);
        Library { root }
    }
}

impl Drop for Library {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// One document as the client sees it.
struct Document {
    path: String,
    uri: String,
    /// The text on disk, `None` for the scratch file that is only ever in the editor.
    disk: Option<String>,
    /// The editor's text and version while open.
    open: Option<(String, i32)>,
}

impl Document {
    /// The text a check reads: the editor's while open, else the disk's.
    fn text(&self) -> Option<&str> {
        match &self.open {
            Some((t, _)) => Some(t),
            None => self.disk.as_deref(),
        }
    }
}

/// Runs the session `bytes` describe on a copy of `library` (a folder of `.vigil` files),
/// then checks the published diagnostics against a fresh check.
pub async fn session(library: &Path, bytes: &[u8]) {
    let lib = Library::copy(library);
    let mut docs: Vec<Document> = vigil_files(&lib.root, Depth::Below)
        .files
        .into_iter()
        .map(|p| Document {
            uri: format!("file://{}", p.display()),
            disk: Some(std::fs::read_to_string(&p).unwrap()),
            path: p.to_string_lossy().into_owned(),
            open: None,
        })
        .collect();
    let scratch = lib.root.join("scratch.vigil");
    docs.push(Document {
        uri: format!("file://{}", scratch.display()),
        path: scratch.to_string_lossy().into_owned(),
        disk: None,
        open: None,
    });
    let config = vigil_lsp::Config {
        debounce: Duration::from_millis(1),
        now: Some(NOW),
        ..vigil_lsp::Config::default()
    };
    let mut c = Client::start_at(&lib.root, config).await;
    let mut input = Input { bytes, at: 0 };
    for _ in 0..MAX_OPS {
        if input.done() {
            break;
        }
        let k = usize::from(input.byte()) % docs.len();
        step(&mut c, &mut input, &mut docs[k]).await;
    }
    settle(&mut c, &mut docs).await;
    let published = last_published(&c.notes);
    let expected = fresh_check(&docs);
    for d in &docs {
        let got = published.get(&d.uri).cloned().unwrap_or_default();
        let want = expected.get(&d.path).cloned().unwrap_or_default();
        assert_eq!(
            got,
            want,
            "published diagnostics of {} differ from a fresh check of:\n{}",
            d.path,
            d.text().unwrap_or("(no text)")
        );
    }
    c.shutdown().await;
}

/// One operation on document `d`.
async fn step(c: &mut Client, input: &mut Input<'_>, d: &mut Document) {
    match (input.byte() % 4, &mut d.open) {
        (0, None) => {
            let text = match &d.disk {
                Some(t) => t.clone(),
                None => input.pick(PIECES).to_string(),
            };
            c.open(&d.uri, &text).await;
            d.open = Some((text, 1));
        }
        (0, Some(_)) => {
            c.notify("textDocument/didClose", doc(&d.uri)).await;
            d.open = None;
        }
        (1, Some((text, version))) => {
            *version += 1;
            let start = char_boundary(text, input.u16() % (text.len() + 1));
            let end = char_boundary(text, start + usize::from(input.byte() % 24));
            let piece = *input.pick(PIECES);
            let change = if input.byte().is_multiple_of(2) {
                json!({"range": {"start": position(text, start), "end": position(text, end)}, "text": piece})
            } else {
                let mut whole = text.clone();
                whole.replace_range(start..end, piece);
                json!({"text": whole})
            };
            text.replace_range(start..end, piece);
            c.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": d.uri, "version": *version}, "contentChanges": [change]}),
            )
            .await;
        }
        (2, Some((text, _))) => {
            let method = *input.pick(AT_POSITION);
            let pos = position(text, char_boundary(text, input.u16() % (text.len() + 1)));
            let mut params = at(&d.uri, pos);
            if method.ends_with("/rename") {
                params["newName"] = json!(input.pick(&["x", "loss2", "rule", "中", ""]));
            }
            if method.ends_with("/references") {
                params["context"] = json!({"includeDeclaration": true});
            }
            answered(c, method, params).await;
        }
        (3, Some(_)) => {
            let method = *input.pick(WHOLE);
            let mut params = doc(&d.uri);
            let whole = json!({"start": {"line": 0, "character": 0}, "end": {"line": 9999, "character": 0}});
            match method {
                "textDocument/formatting" => {
                    params["options"] = json!({"tabSize": 2, "insertSpaces": true});
                }
                "textDocument/inlayHint" => params["range"] = whole,
                "textDocument/codeAction" => {
                    params["range"] = whole;
                    params["context"] = json!({"diagnostics": []});
                }
                _ => {}
            }
            answered(c, method, params).await;
        }
        _ => {
            let query = input.pick(&["", "call", "中", "zzz"]).to_string();
            answered(c, "workspace/symbol", json!({"query": query})).await;
        }
    }
}

/// Sends a request and checks that it gets an answer that is not an internal error.
async fn answered(c: &mut Client, method: &str, params: Value) {
    let r = c.request(method, params).await;
    assert!(
        r.get("result").is_some() || r["error"]["code"] != json!(-32603),
        "{method} failed inside the server: {r}"
    );
}

/// Brings the server to rest: every open document is sent again at a new version (one is
/// opened if none is), the diagnostics of those versions awaited, then a quiet spell, so that
/// the last publication of every file is the one of the final texts.
async fn settle(c: &mut Client, docs: &mut [Document]) {
    if docs.iter().all(|d| d.open.is_none())
        && let Some(d) = docs.first_mut()
        && let Some(text) = d.disk.clone()
    {
        c.open(&d.uri, &text).await;
        d.open = Some((text, 1));
    }
    let mut waiting: Vec<(String, i32)> = Vec::new();
    for d in docs.iter_mut() {
        if let Some((text, version)) = &mut d.open {
            *version += 1;
            c.change(&d.uri, *version, text).await;
            waiting.push((d.uri.clone(), *version));
        }
    }
    // The versions are new, so a publication at one of them is of the final texts.
    loop {
        let notes = &c.notes;
        let done = waiting.iter().all(|(uri, v)| {
            notes.iter().any(|n| {
                n["method"] == "textDocument/publishDiagnostics"
                    && n["params"]["uri"] == json!(uri)
                    && n["params"]["version"] == json!(v)
            })
        });
        if done {
            break;
        }
        let msg = c.recv().await;
        c.notes.push(msg);
    }
    while let Ok(msg) = tokio::time::timeout(Duration::from_millis(100), c.recv()).await {
        c.notes.push(msg);
    }
}

/// A diagnostic as compared: range, severity, code and message.
type Seen = (Value, Value, Value, String);

/// The diagnostics each URI was last published with.
fn last_published(notes: &[Value]) -> BTreeMap<String, Vec<Seen>> {
    let mut last = BTreeMap::new();
    for n in notes {
        if n["method"] != "textDocument/publishDiagnostics" {
            continue;
        }
        let uri = n["params"]["uri"].as_str().unwrap_or_default().to_string();
        let mut diags: Vec<Seen> = n["params"]["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                (
                    d["range"].clone(),
                    d["severity"].clone(),
                    d["code"].clone(),
                    d["message"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        diags.sort_by_key(|d| format!("{d:?}"));
        last.insert(uri, diags);
    }
    last
}

/// The diagnostics of a fresh database of the final texts, by path, as the editor would show
/// them (LSP ranges worked out here, not by the server's conversion).
fn fresh_check(docs: &[Document]) -> BTreeMap<String, Vec<Seen>> {
    let db = Database::with_disk();
    let files: Vec<SourceFile> = docs
        .iter()
        .filter_map(|d| Some(SourceFile::new(&db, d.path.clone(), Arc::from(d.text()?))))
        .collect();
    let ruleset = RuleSet::new(&db, files, Some(NOW));
    let mut out: BTreeMap<String, Vec<Seen>> = BTreeMap::new();
    for l in ruleset_diagnostics(&db, ruleset) {
        let span = l.diag.span();
        let mut message = l.diag.to_string();
        if let Some(help) = miette::Diagnostic::help(&l.diag) {
            message.push_str("\nhelp: ");
            message.push_str(&help.to_string());
        }
        let severity = match l.level() {
            Level::Error => 1,
            Level::Warning => 2,
        };
        out.entry(l.path.clone()).or_default().push((
            json!({"start": position(&l.text, span.start as usize), "end": position(&l.text, span.end as usize)}),
            json!(severity),
            json!(l.diag.code_str()),
            message,
        ));
    }
    for diags in out.values_mut() {
        diags.sort_by_key(|d| format!("{d:?}"));
    }
    out
}

/// The LSP position (line, UTF-16 column) of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> Value {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count();
    let column: usize = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .map(char::len_utf16)
        .sum();
    json!({"line": line, "character": column})
}

/// `at`, or the next character boundary of `text` after it.
fn char_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}
