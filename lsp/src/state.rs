//! The server's state: one salsa database holding every rule set of the workspace, and the
//! map from documents to source files.
//!
//! A folder of `.vigil` files is one rule set (as `vigil check DIR`): each workspace folder is
//! loaded from disk at start, and a document opened outside them brings in its own folder.
//! Open documents override the disk. Edits go through `State` behind the server's mutex; reads
//! run on a `Snapshot`, a clone of the database that a later edit cancels.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use salsa::Setter;
use tower_lsp_server::ls_types::Uri;
use vigil_compiler::db::{Database, RuleSet, SourceFile};
use vigil_compiler::load::{Depth, vigil_files};

/// A rule set and the folder it was loaded from.
#[derive(Debug, Clone)]
pub(crate) struct Set {
    /// `None` for a document that is not a file (an unsaved buffer).
    pub root: Option<PathBuf>,
    pub ruleset: RuleSet,
}

/// A document the server knows: its file and the rule set it belongs to.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    pub uri: Uri,
    pub file: SourceFile,
    pub ruleset: RuleSet,
}

/// Which files belong to which rule set. Replaced (not mutated) when files come and go, so
/// snapshots share it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Workspace {
    pub sets: Vec<Set>,
    /// By key: the file path for `file:` URIs, else the URI text. `SourceFile::path` is the key.
    pub docs: HashMap<String, Doc>,
}

/// The outcome of the last run of each `test` block, by (file key, title).
pub(crate) type TestResults = Arc<Mutex<HashMap<(String, String), TestRun>>>;

/// What running one test gave.
#[derive(Debug, Clone)]
pub(crate) struct TestRun {
    pub passed: bool,
    pub summary: String,
}

/// A read-only view for one request.
pub(crate) struct Snapshot {
    pub db: Database,
    pub ws: Arc<Workspace>,
    pub tests: TestResults,
}

impl Snapshot {
    /// The document `uri` names, if the server knows it.
    pub(crate) fn doc(&self, uri: &Uri) -> Option<&Doc> {
        self.ws.docs.get(&key(uri))
    }

    /// The URI to show for `file`.
    pub(crate) fn uri_of(&self, file: SourceFile) -> Option<Uri> {
        self.ws.docs.get(file.path(&self.db)).map(|d| d.uri.clone())
    }
}

/// The key of a document: its path for `file:` URIs (decoded, so clients that encode
/// differently agree), else the URI itself.
pub(crate) fn key(uri: &Uri) -> String {
    if uri.scheme().as_str() == "file"
        && let Some(p) = uri.to_file_path()
    {
        return p.to_string_lossy().into_owned();
    }
    uri.as_str().to_string()
}

pub(crate) struct State {
    pub db: Database,
    pub ws: Arc<Workspace>,
    /// Open documents and their versions.
    pub open: HashMap<String, i32>,
    pub tests: TestResults,
    now: Option<i64>,
}

impl State {
    pub(crate) fn new(now: Option<i64>) -> State {
        State {
            db: Database::with_disk(),
            ws: Arc::default(),
            open: HashMap::new(),
            tests: Arc::default(),
            now,
        }
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            db: self.db.clone(),
            ws: self.ws.clone(),
            tests: self.tests.clone(),
        }
    }

    /// Loads a workspace folder: every `.vigil` file below it is one rule set.
    pub(crate) fn add_root(&mut self, root: &Path) {
        if self.ws.sets.iter().any(|s| s.root.as_deref() == Some(root)) {
            return;
        }
        // An unreadable folder leaves out what is in it: the editor works on the rest.
        let paths = vigil_files(root, Depth::Below).files;
        self.load_set(Some(root.to_path_buf()), paths);
    }

    fn load_set(&mut self, root: Option<PathBuf>, paths: Vec<PathBuf>) -> RuleSet {
        let mut files = Vec::new();
        let mut docs = Vec::new();
        for p in paths {
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            let k = p.to_string_lossy().into_owned();
            if self.ws.docs.contains_key(&k) {
                continue;
            }
            let Some(uri) = Uri::from_file_path(&p) else {
                continue;
            };
            let file = SourceFile::new(&self.db, k.clone(), Arc::from(text));
            files.push(file);
            docs.push((k, uri, file));
        }
        let ruleset = RuleSet::new(&self.db, files, self.now);
        let ws = Arc::make_mut(&mut self.ws);
        ws.sets.push(Set { root, ruleset });
        for (k, uri, file) in docs {
            ws.docs.insert(k, Doc { uri, file, ruleset });
        }
        ruleset
    }

    /// Sets a document's text (opening it brings its folder in if it is new).
    pub(crate) fn set_text(&mut self, uri: &Uri, text: &str) {
        let k = key(uri);
        if let Some(doc) = self.ws.docs.get(&k).cloned() {
            if **doc.file.text(&self.db) != *text {
                doc.file.set_text(&mut self.db).to(Arc::from(text));
            }
            if doc.uri != *uri {
                // Answer with the client's spelling of the URI from now on.
                Arc::make_mut(&mut self.ws).docs.insert(
                    k,
                    Doc {
                        uri: uri.clone(),
                        ..doc
                    },
                );
            }
            return;
        }
        let path = PathBuf::from(&k);
        let is_file = uri.scheme().as_str() == "file";
        let owner = is_file
            .then(|| {
                self.ws
                    .sets
                    .iter()
                    .filter_map(|s| Some((s.root.as_deref()?, s.ruleset)))
                    .filter(|(root, _)| path.starts_with(root))
                    .max_by_key(|(root, _)| root.as_os_str().len())
                    .map(|(_, rs)| rs)
            })
            .flatten();
        let ruleset = match owner {
            Some(rs) => rs,
            None if is_file => {
                // A document outside the workspace: its folder (not below) is its rule set.
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                let mut paths = vigil_files(&dir, Depth::Here).files;
                paths.retain(|p| *p != path);
                self.load_set(Some(dir), paths)
            }
            None => self.load_set(None, Vec::new()),
        };
        let file = SourceFile::new(&self.db, k.clone(), Arc::from(text));
        let mut files = ruleset.files(&self.db).clone();
        let pos = files.partition_point(|f| *f.path(&self.db) < k);
        files.insert(pos, file);
        ruleset.set_files(&mut self.db).to(files);
        Arc::make_mut(&mut self.ws).docs.insert(
            k,
            Doc {
                uri: uri.clone(),
                file,
                ruleset,
            },
        );
    }

    /// A document was closed: the file on disk counts again, or the document leaves its rule
    /// set if there is none.
    pub(crate) fn close(&mut self, uri: &Uri) {
        let k = key(uri);
        self.open.remove(&k);
        match std::fs::read_to_string(&k) {
            Ok(text) if uri.scheme().as_str() == "file" => self.set_text(uri, &text),
            _ => self.forget(uri),
        }
    }

    /// The document leaves its rule set (its file was deleted).
    pub(crate) fn forget(&mut self, uri: &Uri) {
        let k = key(uri);
        let Some(doc) = self.ws.docs.get(&k).cloned() else {
            return;
        };
        let mut files = doc.ruleset.files(&self.db).clone();
        files.retain(|f| *f != doc.file);
        doc.ruleset.set_files(&mut self.db).to(files);
        Arc::make_mut(&mut self.ws).docs.remove(&k);
    }

    /// Whether `path` is known or lies in a folder the server loaded.
    pub(crate) fn in_workspace(&self, path: &str) -> bool {
        self.ws.docs.contains_key(path)
            || self
                .ws
                .sets
                .iter()
                .filter_map(|s| s.root.as_deref())
                .any(|root| Path::new(path).starts_with(root))
    }
}
