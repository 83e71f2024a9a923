//! The `LanguageServer` implementation: edits are applied in arrival order under the state's
//! mutex; reads run on a snapshot in a blocking thread, where salsa's cancellation becomes
//! `ContentModified` and a panic becomes an error response (the server keeps serving);
//! diagnostics are computed by one background task after edits settle.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, Notify};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::handlers;
use crate::publish;
use crate::state::{Snapshot, State};

/// How the server behaves. `Default` is what `vigil lsp` uses.
#[derive(Debug, Clone)]
pub struct Config {
    /// The program (and leading arguments) that runs tests for the code lens; the server
    /// appends `test FILES --filter TITLE --format json`. By default the running executable,
    /// which is `vigil` under `vigil lsp`.
    pub test_command: Vec<String>,
    /// How long edits must pause before diagnostics are computed, so that a burst of
    /// keystrokes is checked once. A computation that an edit overtakes is cancelled.
    pub debounce: Duration,
    /// The time (milliseconds since the epoch) for "rule expired" warnings, as `vigil check`
    /// uses the clock; `None` leaves them out.
    pub now: Option<i64>,
    /// Answer the `vigil/debug/*` requests (tests use them to look inside).
    pub debug_methods: bool,
}

impl Default for Config {
    fn default() -> Config {
        let exe = std::env::current_exe()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "vigil".into());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_millis()).ok());
        Config {
            test_command: vec![exe],
            debounce: Duration::from_millis(5),
            now,
            debug_methods: false,
        }
    }
}

struct Inner {
    client: Client,
    config: Config,
    state: Arc<Mutex<State>>,
    /// Bumped by every edit; the diagnostics task publishes only results of the latest.
    generation: AtomicU64,
    dirty: Notify,
    worker: std::sync::Once,
    /// Set when the server is dropped: the diagnostics task, which holds the state, ends.
    closed: AtomicBool,
    /// The client announced `window/showDocument` (LSP 3.16): diagrams open in the editor.
    show_document: AtomicBool,
}

/// The Vigil language server. Create it with `crate::service`.
pub struct Backend {
    inner: Arc<Inner>,
}

impl Drop for Backend {
    /// Without this the diagnostics task would wait for edits forever, holding the database:
    /// every server a process runs and ends (an embedding service, the tests) would leak one.
    fn drop(&mut self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        self.inner.dirty.notify_one();
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

impl Backend {
    pub(crate) fn new(client: Client, config: Config) -> Backend {
        let now = config.now;
        Backend {
            inner: Arc::new(Inner {
                client,
                config,
                state: Arc::new(Mutex::new(State::new(now))),
                generation: AtomicU64::new(0),
                dirty: Notify::new(),
                worker: std::sync::Once::new(),
                closed: AtomicBool::new(false),
                show_document: AtomicBool::new(false),
            }),
        }
    }

    /// Runs a read on a snapshot off the async runtime.
    async fn read<P, R>(&self, params: P, f: fn(&Snapshot, P) -> Result<R>) -> Result<R>
    where
        P: Send + 'static,
        R: Send + 'static,
    {
        let snap = self.inner.state.lock().await.snapshot();
        let job = tokio::task::spawn_blocking(move || {
            salsa::Cancelled::catch(AssertUnwindSafe(|| f(&snap, params)))
        });
        match job.await {
            Ok(Ok(result)) => result,
            Ok(Err(_cancelled)) => Err(Error::content_modified()),
            Err(e) if e.is_panic() => {
                let msg = panic_message(&*e.into_panic());
                self.inner
                    .client
                    .log_message(MessageType::ERROR, format!("internal error: {msg}"))
                    .await;
                Err(Error {
                    code: ErrorCode::InternalError,
                    message: format!("internal error: {msg}").into(),
                    data: None,
                })
            }
            Err(_) => Err(Error::internal_error()),
        }
    }

    /// Applies an edit. Taking the lock is the first await, so edits apply in arrival order;
    /// the salsa write blocks until running reads have been cancelled, so it runs off the
    /// async runtime too.
    async fn write<P: Send + 'static>(&self, params: P, f: fn(&mut State, P)) {
        let guard = self.inner.state.clone().lock_owned().await;
        let job = tokio::task::spawn_blocking(move || {
            let mut guard = guard;
            std::panic::catch_unwind(AssertUnwindSafe(|| f(&mut guard, params)))
        });
        let failure = match job.await {
            Ok(Ok(())) => None,
            Ok(Err(p)) => Some(panic_message(&*p)),
            Err(_) => Some("the edit was not applied".to_string()),
        };
        if let Some(msg) = failure {
            self.inner
                .client
                .log_message(
                    MessageType::ERROR,
                    format!("internal error in an edit: {msg}"),
                )
                .await;
        }
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        self.inner.dirty.notify_one();
    }

    fn start_worker(&self) {
        let inner = self.inner.clone();
        self.inner.worker.call_once(|| {
            tokio::spawn(diagnostics_loop(inner));
        });
    }

    /// `vigil/invalidMessage`: stands for a message that could not be decoded.
    async fn invalid_message(&self) {
        self.inner
            .client
            .log_message(
                MessageType::WARNING,
                "ignored a message that is not JSON-RPC",
            )
            .await;
    }

    /// `vigil/debug/panic`: a request that panics (tests check the server survives).
    async fn debug_panic(&self) -> Result<serde_json::Value> {
        if !self.inner.config.debug_methods {
            return Err(Error::method_not_found());
        }
        // PANIC SAFETY: a panic is what this debug method is for: the tests check that a
        // panicking read answers an error and leaves the server running.
        #[allow(clippy::panic)]
        self.read((), |_, ()| panic!("requested panic")).await
    }

    /// `vigil/debug/slowRead`: a read that runs until an edit cancels it (at most 10 s).
    async fn debug_slow_read(&self) -> Result<serde_json::Value> {
        if !self.inner.config.debug_methods {
            return Err(Error::method_not_found());
        }
        self.read((), |snap, ()| {
            let start = std::time::Instant::now();
            while start.elapsed() < Duration::from_secs(10) {
                salsa::Database::unwind_if_revision_cancelled(&snap.db);
                std::thread::sleep(Duration::from_millis(2));
            }
            Ok(serde_json::json!("finished"))
        })
        .await
    }

    /// `vigil/debug/executedQueries`: the queries salsa executed since the last call, with
    /// the item names for `check_item`.
    async fn debug_executed(&self) -> Result<serde_json::Value> {
        if !self.inner.config.debug_methods {
            return Err(Error::method_not_found());
        }
        self.read((), |snap, ()| {
            use salsa::plumbing::AsId;
            let executed = snap.db.take_executed();
            let mut names = HashMap::new();
            for set in &snap.ws.sets {
                for id in vigil_compiler::db::items(&snap.db, set.ruleset) {
                    names.insert(id.as_id(), id.name(&snap.db).to_string());
                }
            }
            let list: Vec<serde_json::Value> = executed
                .into_iter()
                .map(|(query, key)| match (query.as_str(), names.get(&key)) {
                    ("check_item", Some(name)) => serde_json::json!([query, name]),
                    _ => serde_json::json!([query]),
                })
                .collect();
            Ok(serde_json::Value::Array(list))
        })
        .await
    }
}

/// Registers the custom requests on a service builder.
pub(crate) fn with_custom_methods(
    b: tower_lsp_server::LspServiceBuilder<Backend>,
) -> tower_lsp_server::LspServiceBuilder<Backend> {
    b.custom_method("vigil/debug/panic", Backend::debug_panic)
        .custom_method("vigil/debug/slowRead", Backend::debug_slow_read)
        .custom_method("vigil/debug/executedQueries", Backend::debug_executed)
        .custom_method("vigil/invalidMessage", Backend::invalid_message)
}

/// What a file's diagnostics were last published with: the list and the document version.
type Published = (Vec<Diagnostic>, Option<i32>);

/// Computes diagnostics once edits settle and publishes those that changed.
async fn diagnostics_loop(inner: Arc<Inner>) {
    let mut published: HashMap<String, (Uri, Published)> = HashMap::new();
    loop {
        inner.dirty.notified().await;
        if inner.closed.load(Ordering::SeqCst) {
            return;
        }
        loop {
            let seen = inner.generation.load(Ordering::SeqCst);
            tokio::time::sleep(inner.config.debounce).await;
            if inner.generation.load(Ordering::SeqCst) == seen {
                break;
            }
        }
        let (snap, versions, generation) = {
            let state = inner.state.lock().await;
            let generation = inner.generation.load(Ordering::SeqCst);
            (state.snapshot(), state.open.clone(), generation)
        };
        let job = tokio::task::spawn_blocking(move || {
            salsa::Cancelled::catch(AssertUnwindSafe(|| publish::compute(&snap)))
        });
        let files = match job.await {
            Ok(Ok(files)) => files,
            // An edit overtook the computation; its notification is pending.
            Ok(Err(_cancelled)) => continue,
            Err(e) => {
                let msg = if e.is_panic() {
                    panic_message(&*e.into_panic())
                } else {
                    "cancelled".into()
                };
                inner
                    .client
                    .log_message(
                        MessageType::ERROR,
                        format!("internal error in diagnostics: {msg}"),
                    )
                    .await;
                continue;
            }
        };
        if inner.generation.load(Ordering::SeqCst) != generation {
            continue;
        }
        // A file that left the rule sets (a closed buffer that was never saved) keeps the
        // diagnostics it was last published with in the editor unless they are cleared.
        let gone: Vec<String> = published
            .keys()
            .filter(|k| !files.iter().any(|(key, _, _)| key == *k))
            .cloned()
            .collect();
        for key in gone {
            if let Some((uri, (diags, _))) = published.remove(&key)
                && !diags.is_empty()
            {
                inner
                    .client
                    .publish_diagnostics(uri, Vec::new(), None)
                    .await;
            }
        }
        for (key, uri, diags) in files {
            let version = versions.get(&key).copied();
            let entry = (diags, version);
            if published.get(&key).map(|(_, e)| e) != Some(&entry) {
                inner
                    .client
                    .publish_diagnostics(uri.clone(), entry.0.clone(), version)
                    .await;
                published.insert(key, (uri, entry));
            }
        }
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, p: InitializeParams) -> Result<InitializeResult> {
        let show = p
            .capabilities
            .window
            .as_ref()
            .and_then(|w| w.show_document.as_ref())
            .is_some_and(|s| s.support);
        self.inner.show_document.store(show, Ordering::Relaxed);
        let roots = handlers::initialize::roots(&p);
        self.write(roots, |state, roots| {
            for r in roots {
                state.add_root(&r);
            }
        })
        .await;
        Ok(handlers::initialize::result())
    }

    async fn initialized(&self, _: InitializedParams) {
        self.start_worker();
        self.inner.dirty.notify_one();
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, p: DidOpenTextDocumentParams) {
        self.write(p, handlers::did_open::apply).await;
    }

    async fn did_change(&self, p: DidChangeTextDocumentParams) {
        self.write(p, handlers::did_change::apply).await;
    }

    async fn did_close(&self, p: DidCloseTextDocumentParams) {
        self.write(p, handlers::did_close::apply).await;
    }

    async fn did_change_watched_files(&self, p: DidChangeWatchedFilesParams) {
        self.write(p, handlers::did_change_watched_files::apply)
            .await;
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {
        // Lists, zones and calendars may have changed on disk.
        self.write((), |state, ()| state.db.reload_resources())
            .await;
    }

    async fn hover(&self, p: HoverParams) -> Result<Option<Hover>> {
        self.read(p, handlers::hover::run).await
    }

    async fn goto_definition(
        &self,
        p: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        self.read(p, handlers::definition::run).await
    }

    async fn references(&self, p: ReferenceParams) -> Result<Option<Vec<Location>>> {
        self.read(p, handlers::references::run).await
    }

    async fn prepare_rename(
        &self,
        p: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        self.read(p, handlers::prepare_rename::run).await
    }

    async fn rename(&self, p: RenameParams) -> Result<Option<WorkspaceEdit>> {
        self.read(p, handlers::rename::run).await
    }

    async fn completion(&self, p: CompletionParams) -> Result<Option<CompletionResponse>> {
        self.read(p, handlers::completion::run).await
    }

    async fn document_symbol(
        &self,
        p: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.read(p, handlers::document_symbol::run).await
    }

    async fn symbol(&self, p: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        self.read(p, handlers::workspace_symbol::run).await
    }

    async fn formatting(&self, p: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        self.read(p, handlers::formatting::run).await
    }

    async fn semantic_tokens_full(
        &self,
        p: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        self.read(p, handlers::semantic_tokens::run).await
    }

    async fn inlay_hint(&self, p: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        self.read(p, handlers::inlay_hint::run).await
    }

    async fn folding_range(&self, p: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        self.read(p, handlers::folding_range::run).await
    }

    async fn code_action(&self, p: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        self.read(p, handlers::code_action::run).await
    }

    async fn code_lens(&self, p: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        self.read(p, handlers::code_lens::run).await
    }

    async fn execute_command(&self, p: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        if handlers::execute_command::is_diagram(&p) {
            let (path, mermaid) = self
                .read(p, |snap, p| handlers::execute_command::diagram(snap, &p))
                .await?;
            // Shown in the editor where the client can (LSP 3.16); the reply carries it too.
            if self.inner.show_document.load(Ordering::Relaxed)
                && let Some(uri) = Uri::from_file_path(&path)
            {
                let client = self.inner.client.clone();
                tokio::spawn(async move {
                    let _ = client
                        .show_document(ShowDocumentParams {
                            uri,
                            external: None,
                            take_focus: Some(true),
                            selection: None,
                        })
                        .await;
                });
            }
            return Ok(Some(serde_json::json!({
                "path": path.to_string_lossy(),
                "mermaid": mermaid,
            })));
        }
        let program = self.inner.config.test_command.clone();
        let job = self
            .read((p, program), |snap, (p, program)| {
                handlers::execute_command::prepare(snap, &p, &program)
            })
            .await?;
        let (job, outcome) = tokio::task::spawn_blocking(move || {
            let outcome = handlers::execute_command::execute(&job);
            (job, outcome)
        })
        .await
        .map_err(|_| Error::internal_error())?;
        let (run, value) = outcome.map_err(|msg| Error {
            code: ErrorCode::ServerError(-32000),
            message: msg.into(),
            data: None,
        })?;
        let state = self.inner.state.lock().await;
        state
            .tests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((job.key.clone(), job.title.clone()), run);
        drop(state);
        let client = self.inner.client.clone();
        tokio::spawn(async move {
            let _ = client.code_lens_refresh().await;
        });
        Ok(Some(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that ends takes its diagnostics task, and with it the database, along.
    #[tokio::test]
    async fn the_diagnostics_task_ends_with_the_server() {
        let (service, _socket) = crate::service(Config::default());
        let backend = service.inner();
        backend.start_worker();
        backend.inner.dirty.notify_one();
        let inner = Arc::downgrade(&backend.inner);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(inner.upgrade().is_some());
        drop(service);
        for _ in 0..100 {
            if inner.upgrade().is_none() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the diagnostics task still holds the server's state");
    }
}
