//! The transport on NATS JetStream (`SCALEOUT.md` §2–3, phase 0): the input stream
//! `<NAME>_IN` on subject `<name>.in`, where producers publish one or more JSON lines per
//! message; the output stream `<NAME>_OUT` with subjects `<name>.records`,
//! `<name>.unit.<unit>` and `<name>.rejects`, each message carrying its mark in the
//! `Vigil-Mark` header, a `Nats-Msg-Id` of subject and mark, and the subject's expected last
//! sequence (a writer that is behind is refused by the server); checkpoints in the KV bucket
//! `<NAME>_CKPT` by revision, their snapshots in the object store `<NAME>_SNAP`.
//!
//! One server of a deployment is active at a time: it holds the lease in the KV bucket
//! `<NAME>_LEASE`, whose entries expire after the lease's time to live unless renewed; a
//! standby waits until it can create the entry.
//!
//! The worker is synchronous: each call here runs on a runtime of its own.

use std::future::IntoFuture;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use async_nats::jetstream::{self, kv, object_store, stream};
use futures_util::StreamExt;
use tokio::io::AsyncReadExt;

use vigil_ir::Program;
use vigil_runtime::partition::Target;
use vigil_runtime::{NotFound, Rulesets};

use crate::log::{Checkpoint, Checkpoints, Error, Input, Message, Output, Published, Subject};

/// What a connection works as: the one worker of a whole run, or a part of a run split over
/// key groups (issue 23).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// One engine over the input: checkpoint `worker`, records on `<name>.records`.
    Whole,
    /// The router: reads the input, publishes batches on `<name>.kg.<target>` and rejects;
    /// checkpoint `router`.
    Router,
    /// The worker of one target: reads `<name>.kg.<target>` from `<NAME>_KG`, publishes
    /// records on `<name>.records.<target>` and units' copies on
    /// `<name>.unit.<unit>.<target>`; checkpoint `group-<target>`.
    Group(Target),
}

impl Role {
    /// The key of this role's checkpoint (and of its lease, in a split run).
    pub fn key(&self) -> String {
        match self {
            Role::Whole => KEY.into(),
            Role::Router => "router".into(),
            Role::Group(t) => format!("group-{}", t.name()),
        }
    }
}

/// A connection to one Vigil deployment's streams, buckets and store, named after `name`.
pub struct JetStream {
    rt: tokio::runtime::Runtime,
    js: jetstream::Context,
    role: Role,
    /// What this role reads: the input stream, or the router's batches (`<NAME>_KG`).
    input: stream::Stream,
    output: stream::Stream,
    /// The router's batches (`<NAME>_KG`), where a router publishes them.
    routes: Option<stream::Stream>,
    checkpoints: kv::Store,
    snapshots: object_store::ObjectStore,
    name: String,
    /// The input as it is being read: an ordered consumer and the position it is at.
    reader: Mutex<Option<Reader>>,
    /// The object of the checkpoint last loaded or saved here, deleted once a newer one is
    /// committed (the store would otherwise keep every snapshot ever taken).
    snapshot: Mutex<Option<String>>,
    /// Each output subject's last message (sequence and mark) as this connection last saw or
    /// wrote it: a publish needs it for its expected last sequence, and asking the server
    /// each time would double the round trips. A stale entry is harmless: the server refuses
    /// the publish, the entry is dropped, and the worker reads the subject again.
    last: Mutex<std::collections::HashMap<Subject, (u64, u64)>>,
    /// Names this connection's snapshot objects apart from any other writer's, so that one
    /// refused at its compare-and-set can remove its own.
    writer: String,
}

/// The object a rule set's bundle is stored as.
pub(crate) fn ruleset_object(fingerprint: &str) -> String {
    format!("ruleset-{}", fingerprint.replace(':', "-"))
}

/// The object store of deployment `name` that holds its snapshots and rule sets.
pub(crate) fn ruleset_store(name: &str) -> String {
    format!("{}_SNAP", name.to_uppercase())
}

/// An ordered consumer of the input stream (no acknowledgements: the position is in the
/// checkpoint), and the last position it delivered.
struct Reader {
    at: u64,
    messages: pull::Ordered,
}

/// A handle on a `JetStream` connection: the worker's input, output and checkpoints at once.
#[derive(Clone)]
pub struct Nats(Arc<JetStream>);

const MARK: &str = "Vigil-Mark";
const KEY: &str = "worker";
/// The key under which a split run's identity is recorded, beside the checkpoints.
const PLACEMENT: &str = "placement";

fn transport(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Transport(format!("{what}: {e}"))
}

/// The lease of the active server: renew it well within its time to live.
pub struct Lease {
    nats: Nats,
    bucket: kv::Store,
    key: String,
    holder: String,
    revision: u64,
}

impl Lease {
    /// Renews the lease; `Fenced` when it expired and another server holds it now. Expired
    /// with nobody else holding it (NATS was away longer than its time to live), it is taken
    /// again: the lease only keeps a standby waiting, and what keeps two servers from
    /// publishing twice is the output's and the checkpoint's compare-and-set.
    pub fn renew(&mut self) -> Result<(), Error> {
        let s = &self.nats.0;
        let value = self.holder.clone().into_bytes();
        self.revision = s.rt.block_on(async {
            match self
                .bucket
                .update(&self.key, value.clone().into(), self.revision)
                .await
            {
                Ok(revision) => Ok(revision),
                Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                    match self.bucket.create(&self.key, value.into()).await {
                        Ok(revision) => Ok(revision),
                        Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Err(
                            Error::Fenced("the lease expired and another server took it".into()),
                        ),
                        Err(e) => Err(transport("lease", e)),
                    }
                }
                Err(e) => Err(transport("lease", e)),
            }
        })?;
        Ok(())
    }
}

impl Lease {
    /// Gives the lease up, so that a standby takes over without waiting for it to expire.
    pub fn release(self) -> Result<(), Error> {
        let s = &self.nats.0;
        s.rt.block_on(
            self.bucket
                .delete_expect_revision(&self.key, Some(self.revision)),
        )
        .map_err(|e| transport("lease", e))
    }
}

impl Nats {
    /// Waits until this server holds the deployment's lease (`holder` names it in the
    /// bucket), trying every quarter of `ttl`: a standby takes over once the active server
    /// stopped renewing.
    pub fn acquire(&self, holder: &str, ttl: std::time::Duration) -> Result<Lease, Error> {
        loop {
            // NATS away (restarting, say) is waited for like a lease held by another server.
            match self.try_acquire(KEY, holder, ttl) {
                Ok(Some(lease)) => return Ok(lease),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "the lease: {e}; trying again"),
            }
            std::thread::sleep(ttl / 4);
        }
    }

    /// The lease `key` if nobody holds it now (`None`: another server does).
    pub fn try_acquire(
        &self,
        key: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<Option<Lease>, Error> {
        let s = &self.0;
        let taken = s.rt.block_on(async {
            let bucket = self.lease_bucket(ttl).await?;
            let value = holder.to_string().into_bytes();
            match bucket.create(key, value.into()).await {
                Ok(revision) => Ok(Some((bucket, revision))),
                Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Ok(None),
                Err(e) => Err(transport("lease", e)),
            }
        })?;
        Ok(taken.map(|(bucket, revision)| Lease {
            nats: self.clone(),
            bucket,
            key: key.to_string(),
            holder: holder.to_string(),
            revision,
        }))
    }

    /// The keys of the leases held now whose names start with `prefix`.
    pub fn leases(&self, prefix: &str, ttl: std::time::Duration) -> Result<Vec<String>, Error> {
        let s = &self.0;
        s.rt.block_on(async {
            let bucket = self.lease_bucket(ttl).await?;
            let mut keys = bucket.keys().await.map_err(|e| transport("leases", e))?;
            let mut out = Vec::new();
            while let Some(key) = keys.next().await {
                let key = key.map_err(|e| transport("leases", e))?;
                if key.starts_with(prefix) {
                    out.push(key);
                }
            }
            Ok(out)
        })
    }

    /// Who holds the lease `key` now, as its holder wrote itself (`host:pid`).
    pub fn holder(&self, key: &str, ttl: std::time::Duration) -> Result<Option<String>, Error> {
        let s = &self.0;
        s.rt.block_on(async {
            let bucket = self.lease_bucket(ttl).await?;
            let entry = bucket.get(key).await.map_err(|e| transport("lease", e))?;
            Ok(entry.map(|v| String::from_utf8_lossy(&v).into_owned()))
        })
    }

    /// The bucket of the deployment's leases, whose entries live `ttl` unless renewed.
    async fn lease_bucket(&self, ttl: std::time::Duration) -> Result<kv::Store, Error> {
        let s = &self.0;
        let name = format!("{}_LEASE", s.name.to_uppercase());
        let config = kv::Config {
            bucket: name.clone(),
            max_age: ttl,
            history: 1,
            ..Default::default()
        };
        match s.js.create_key_value(config).await {
            Ok(b) => Ok(b),
            // The bucket exists with another time to live (`--lease` changed): the new one
            // holds from now on.
            Err(_) => {
                let mut stream =
                    s.js.get_stream(format!("KV_{name}"))
                        .await
                        .map_err(|e| transport("lease bucket", e))?;
                let mut config = stream
                    .info()
                    .await
                    .map_err(|e| transport("lease bucket", e))?
                    .config
                    .clone();
                if config.max_age != ttl {
                    config.max_age = ttl;
                    config.duplicate_window = config.duplicate_window.min(ttl);
                    s.js.update_stream(config)
                        .await
                        .map_err(|e| transport("lease bucket", e))?;
                }
                s.js.get_key_value(name)
                    .await
                    .map_err(|e| transport("lease bucket", e))
            }
        }
    }

    /// Connects to `url` and creates what is missing: streams, bucket and store for `name`
    /// (upper-cased for their names, lower-cased for the subjects). A user and password in
    /// the URL (`nats://user:password@host:port`, as `vigil serve nats-config` wrote them)
    /// log in; `$VIGIL_NATS_PASSWORD`, when set, is the password instead, so that it need not
    /// show in the process list.
    pub fn connect(url: &str, name: &str) -> Result<Nats, Error> {
        Nats::connect_as(url, name, Role::Whole)
    }

    /// Connects as `role` of a run split over key groups (`connect` is `Role::Whole`).
    pub fn connect_as(url: &str, name: &str, role: Role) -> Result<Nats, Error> {
        // The connection's own thread reads the socket and buffers the input consumer's
        // messages while the engine works on the last batch: a runtime of the calling thread
        // would only read while the worker waits on it.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("vigil-nats")
            .enable_all()
            .build()
            .map_err(|e| transport("runtime", e))?;
        let (upper, lower) = (name.to_uppercase(), name.to_lowercase());
        let (js, input, output, routes, checkpoints, snapshots) = rt.block_on(async {
            let client = login(url)?
                .connect(url)
                .await
                .map_err(|e| transport("connect", e))?;
            let js = jetstream::new(client);
            let input = js
                .get_or_create_stream(stream::Config {
                    name: format!("{upper}_IN"),
                    subjects: vec![format!("{lower}.in")],
                    ..Default::default()
                })
                .await
                .map_err(|e| transport("input stream", e))?;
            // A split run's subjects (`<name>.records.<target>`, `<name>.unit.<u>.<target>`)
            // are in the same stream, added to one made before they existed.
            let output = with_subjects(
                &js,
                stream::Config {
                    name: format!("{upper}_OUT"),
                    subjects: vec![
                        format!("{lower}.records"),
                        format!("{lower}.rejects"),
                        format!("{lower}.unit.*"),
                        format!("{lower}.records.*"),
                        format!("{lower}.unit.*.*"),
                    ],
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| transport("output stream", e))?;
            // The router's batches: read by a target's worker, written by the router.
            let routes = match role {
                Role::Router | Role::Group(_) => Some(
                    js.get_or_create_stream(stream::Config {
                        name: format!("{upper}_KG"),
                        subjects: vec![format!("{lower}.kg.*")],
                        ..Default::default()
                    })
                    .await
                    .map_err(|e| transport("key group stream", e))?,
                ),
                Role::Whole => None,
            };
            let (input, routes) = match (&role, routes) {
                (Role::Group(_), Some(kg)) => (kg, None),
                (_, routes) => (input, routes),
            };
            let checkpoints = js
                .create_key_value(kv::Config {
                    bucket: format!("{upper}_CKPT"),
                    ..Default::default()
                })
                .await
                .map_err(|e| transport("checkpoint bucket", e))?;
            let snapshots = js
                .create_object_store(object_store::Config {
                    bucket: ruleset_store(&upper),
                    ..Default::default()
                })
                .await
                .map_err(|e| transport("snapshot store", e))?;
            Ok::<_, Error>((js, input, output, routes, checkpoints, snapshots))
        })?;
        Ok(Nats(Arc::new(JetStream {
            rt,
            js,
            role,
            input,
            output,
            routes,
            checkpoints,
            snapshots,
            name: lower,
            reader: Mutex::new(None),
            snapshot: Mutex::new(None),
            last: Mutex::default(),
            writer: unique(),
        })))
    }

    /// Creates each unit's durable pull consumer on the output stream, named after the unit
    /// and filtered to its subject, from the first message on: a unit that was away reads
    /// what it missed (`vigil serve nats-config` lets each unit use its own consumer only).
    pub fn unit_consumers<'a>(&self, units: impl Iterator<Item = &'a str>) -> Result<(), Error> {
        let s = &self.0;
        for unit in units {
            let config = jetstream::consumer::pull::Config {
                durable_name: Some(unit.to_string()),
                // In a split run, the unit's copies from every target.
                filter_subject: match s.role {
                    Role::Group(_) => format!("{}.unit.{unit}.*", s.name),
                    _ => self.subject(&Subject::Unit(unit.to_string())),
                },
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ..Default::default()
            };
            s.rt.block_on(s.output.get_or_create_consumer(unit, config))
                .map_err(|e| transport(&format!("the consumer of unit `{unit}`"), e))?;
        }
        Ok(())
    }

    /// The names of the snapshots in the store (for checks and tools).
    pub fn snapshot_objects(&self) -> Result<Vec<String>, Error> {
        let s = &self.0;
        s.rt.block_on(async {
            let mut list = s
                .snapshots
                .list()
                .await
                .map_err(|e| transport("snapshots", e))?;
            let mut names = Vec::new();
            while let Some(info) = list.next().await {
                let name = info.map_err(|e| transport("snapshots", e))?.name;
                if name.starts_with("snapshot-") {
                    names.push(name);
                }
            }
            Ok(names)
        })
    }

    /// Stores a rule set's bundle under its fingerprint (beside the snapshots), where the
    /// `$reload` lines that name it find it: before such a line is published, so that every
    /// server and every replay of the input can carry it out.
    pub fn store_ruleset(&self, program: &Program) -> Result<(), Error> {
        let s = &self.0;
        let bundle = vigil_ir::bundle::encode(program);
        s.rt.block_on(async {
            let mut data: &[u8] = &bundle;
            s.snapshots
                .put(ruleset_object(&program.fingerprint).as_str(), &mut data)
                .await
                .map(|_| ())
                .map_err(|e| transport("rule set", e))
        })
    }

    /// The bundle of the rule set `fingerprint`, as `store_ruleset` left it.
    pub fn ruleset_bundle(&self, fingerprint: &str) -> Result<Vec<u8>, Error> {
        let s = &self.0;
        s.rt.block_on(async {
            let mut bundle = Vec::new();
            let mut reader = s
                .snapshots
                .get(ruleset_object(fingerprint).as_str())
                .await
                .map_err(|e| match e.kind() {
                    object_store::GetErrorKind::NotFound => Error::State(format!(
                        "rule set {fingerprint} is not stored (`vigil serve reload` stores it)"
                    )),
                    _ => transport("rule set", e),
                })?;
            reader
                .read_to_end(&mut bundle)
                .await
                .map_err(|e| transport("rule set", e))?;
            Ok(bundle)
        })
    }

    /// The rule sets stored here, for the engine's `$reload` lines.
    pub fn rulesets(&self) -> Rulesets {
        let nats = self.clone();
        Rulesets::new(move |fingerprint| {
            let bundle = nats.ruleset_bundle(fingerprint).map_err(|e| match e {
                Error::State(why) => NotFound::Missing(why),
                e => NotFound::Unavailable(e.to_string()),
            })?;
            vigil_ir::bundle::decode(&bundle)
                .map(Arc::new)
                .map_err(|e| NotFound::Missing(format!("the stored bundle of {fingerprint}: {e}")))
        })
    }

    /// The position of the last message this role reads (0: none): the input stream's, or
    /// for a target of a split run, its batches'.
    pub fn input_last(&self) -> Result<u64, Error> {
        let s = &self.0;
        if let Role::Group(t) = &s.role {
            let name = self.subject(&Subject::Route(*t));
            return s.rt.block_on(async {
                match s.input.get_last_raw_message_by_subject(&name).await {
                    Ok(m) => Ok(m.sequence),
                    Err(e) if e.kind() == stream::LastRawMessageErrorKind::NoMessageFound => Ok(0),
                    Err(e) => Err(transport("last message", e)),
                }
            });
        }
        s.rt.block_on(async {
            let mut input = s.input.clone();
            let info = input
                .info()
                .await
                .map_err(|e| transport("input stream", e))?;
            Ok(info.state.last_sequence)
        })
    }

    /// Checks that the deployment runs as this server would, and records it the first time:
    /// with `identity` (`Partition::identity`), split over key groups with that rule set,
    /// placement and group count; without, one engine. A server of another kind or placement
    /// would group keys otherwise than the state it finds, so it refuses to join.
    pub fn join(&self, identity: Option<&str>) -> Result<(), Error> {
        let s = &self.0;
        let kind = |key: &'static str| async move {
            match s.checkpoints.entry(key).await {
                Ok(Some(e)) if e.operation == kv::Operation::Put => Ok(Some(e.value)),
                Ok(_) => Ok(None),
                Err(e) => Err(transport("checkpoint", e)),
            }
        };
        s.rt.block_on(async {
            let Some(identity) = identity else {
                return match kind(PLACEMENT).await? {
                    Some(p) => Err(Error::State(format!(
                        "deployment `{}` runs split over key groups ({}): start `vigil serve \
                         --groups N` with its group count",
                        s.name,
                        String::from_utf8_lossy(&p)
                    ))),
                    None => Ok(()),
                };
            };
            if kind(KEY).await?.is_some() {
                return Err(Error::State(format!(
                    "deployment `{}` runs one engine (it has the checkpoint `{KEY}`): a run \
                     split over key groups needs a deployment of its own (--stream)",
                    s.name
                )));
            }
            let value = identity.to_string().into_bytes();
            match s.checkpoints.create(PLACEMENT, value.into()).await {
                Ok(_) => Ok(()),
                Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
                    let have = kind(PLACEMENT).await?.unwrap_or_default();
                    if have == identity.as_bytes() {
                        Ok(())
                    } else {
                        Err(Error::State(format!(
                            "deployment `{}` runs as {}, not {identity}: a server with another \
                             rule set, placement or group count refuses to join (start a new \
                             deployment with --stream)",
                            s.name,
                            String::from_utf8_lossy(&have)
                        )))
                    }
                }
                Err(e) => Err(transport("checkpoint", e)),
            }
        })
    }

    /// Publishes one input message (what a producer, a ticker or `POST /events` does);
    /// returns its position.
    pub fn publish_input(&self, payload: Vec<u8>) -> Result<u64, Error> {
        let s = &self.0;
        s.rt.block_on(async {
            let ack =
                s.js.publish(format!("{}.in", s.name), payload.into())
                    .await
                    .map_err(|e| transport("publish", e))?;
            let ack = ack.await.map_err(|e| transport("publish ack", e))?;
            Ok(ack.sequence)
        })
    }

    fn subject(&self, subject: &Subject) -> String {
        let name = &self.0.name;
        match (subject, &self.0.role) {
            (Subject::Records, Role::Group(t)) => format!("{name}.records.{}", t.name()),
            (Subject::Records, _) => format!("{name}.records"),
            (Subject::Rejects, _) => format!("{name}.rejects"),
            (Subject::Unit(u), Role::Group(t)) => format!("{name}.unit.{u}.{}", t.name()),
            (Subject::Unit(u), _) => format!("{name}.unit.{u}"),
            (Subject::Route(t), _) => format!("{name}.kg.{}", t.name()),
        }
    }

    /// Every line published on `subject`, in order (for checks and tools; reads the whole
    /// subject).
    pub fn lines(&mut self, subject: &Subject) -> Result<Vec<String>, Error> {
        let s = &self.0;
        let name = self.subject(subject);
        s.rt.block_on(async {
            let mut out = Vec::new();
            let mut seq = 1;
            loop {
                match self
                    .stream_of(subject)
                    .get_first_raw_message_by_subject(&name, seq)
                    .await
                {
                    Ok(m) => {
                        out.extend(
                            String::from_utf8_lossy(&m.payload)
                                .lines()
                                .map(str::to_string),
                        );
                        seq = m.sequence + 1;
                    }
                    Err(e) if e.kind() == stream::RawMessageErrorKind::NoMessageFound => break,
                    Err(e) => return Err(transport("read", e)),
                }
            }
            Ok(out)
        })
    }

    /// The stream `subject` is stored in.
    fn stream_of(&self, subject: &Subject) -> &stream::Stream {
        let s = &self.0;
        match (subject, &s.routes) {
            (Subject::Route(_), Some(routes)) => routes,
            _ => &s.output,
        }
    }

    /// The subject's last message: its sequence and mark.
    fn last_message(&self, subject: &Subject) -> Result<Option<(u64, u64)>, Error> {
        let s = &self.0;
        let name = self.subject(subject);
        s.rt.block_on(async {
            match self
                .stream_of(subject)
                .get_last_raw_message_by_subject(&name)
                .await
            {
                Ok(m) => {
                    let mark = m
                        .headers
                        .get(MARK)
                        .and_then(|v| v.as_str().parse().ok())
                        .unwrap_or(0);
                    Ok(Some((m.sequence, mark)))
                }
                Err(e) if e.kind() == stream::LastRawMessageErrorKind::NoMessageFound => Ok(None),
                Err(e) => Err(transport("last message", e)),
            }
        })
    }
}

/// A producer of one deployment's input: publishes and nothing else, so a feed's user
/// (`vigil serve nats-config`) is enough. It connects with that user's inbox prefix, where
/// the stream's acknowledgements come back.
pub struct Feed {
    rt: tokio::runtime::Runtime,
    client: async_nats::Client,
    js: jetstream::Context,
    subject: String,
    /// This feed's messages are `<run>:<n>` for JetStream's duplicate window: a message
    /// published again after a lost acknowledgement is stored once.
    run: String,
    sent: std::cell::Cell<u64>,
}

/// Tries per message before the feed gives up (NATS away for about half a minute).
const TRIES: u32 = 8;

impl Feed {
    pub fn connect(url: &str, name: &str) -> Result<Feed, Error> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| transport("runtime", e))?;
        let options = login(url)?;
        let addr: async_nats::ServerAddr = url.parse().map_err(|e| transport("the URL", e))?;
        let options = match addr.username() {
            Some(user) => options.custom_inbox_prefix(crate::access::Access::inbox_prefix(user)),
            None => options,
        };
        // The context starts a task: it is made on the runtime.
        let (client, js) = rt.block_on(async {
            let client = options
                .connect(url)
                .await
                .map_err(|e| transport("connect", e))?;
            let js = jetstream::new(client.clone());
            Ok::<_, Error>((client, js))
        })?;
        Ok(Feed {
            rt,
            client,
            js,
            subject: format!("{}.in", name.to_lowercase()),
            run: unique(),
            sent: std::cell::Cell::new(0),
        })
    }

    /// Publishes `messages` in order, up to 256 unacknowledged at a time, and returns once the
    /// stream stored them all; `done` is told each stored message. A message whose
    /// acknowledgement does not come (NATS restarted, say) is published again with the same
    /// id, and so is every one after it, one at a time: the stream keeps each once. (If the
    /// connection broke with messages in flight, a later one may have been stored before an
    /// earlier one lost with the connection: within lateness, the engine puts them back in
    /// time order.)
    pub fn publish(
        &self,
        messages: impl IntoIterator<Item = Vec<u8>>,
        mut done: impl FnMut(),
    ) -> Result<(), Error> {
        let mut messages = messages.into_iter();
        self.rt.block_on(async {
            // A connection that broke while the feed was idle is noticed here, not by the
            // first acknowledgement's timeout.
            let _ = self.client.flush().await;
            // Pipelined while every acknowledgement comes.
            let mut pending = std::collections::VecDeque::new();
            let mut broken = false;
            while !broken && let Some(payload) = messages.next() {
                if pending.len() >= 256
                    && let Some((id, first, Some(ack))) = pending.pop_front()
                {
                    match stored(ack).await {
                        Ok(()) => done(),
                        Err(_) => {
                            broken = true;
                            pending.push_front((id, first, None));
                        }
                    }
                }
                let id = self.next_id();
                let ack = self.send(&id, &payload).await.ok();
                pending.push_back((id, payload, ack));
            }
            // Then in order, each acknowledged or published again.
            while let Some((id, payload, ack)) = pending.pop_front() {
                if !broken
                    && let Some(ack) = ack
                    && stored(ack).await.is_ok()
                {
                    done();
                    continue;
                }
                broken = true;
                self.again(&id, &payload).await?;
                done();
            }
            for payload in messages {
                let id = self.next_id();
                self.again(&id, &payload).await?;
                done();
            }
            Ok(())
        })
    }

    fn next_id(&self) -> String {
        self.sent.set(self.sent.get() + 1);
        format!("{}:{}", self.run, self.sent.get())
    }

    async fn send(
        &self,
        id: &str,
        payload: &[u8],
    ) -> Result<jetstream::context::PublishAckFuture, Error> {
        let message = jetstream::message::PublishMessage::build()
            .payload(payload.to_vec().into())
            .message_id(id);
        self.js
            .send_publish(self.subject.clone(), message)
            .await
            .map_err(|e| transport("publish", e))
    }

    /// Publishes one message until it is stored, waiting a little longer after each failure,
    /// `TRIES` times at most.
    async fn again(&self, id: &str, payload: &[u8]) -> Result<(), Error> {
        let mut last = Error::Transport("publish: no acknowledgement".into());
        for n in 0..TRIES {
            let result = match self.send(id, payload).await {
                Ok(ack) => stored(ack).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => return Ok(()),
                Err(Error::Transport(why)) if why.starts_with("no stream") => {
                    return Err(Error::Transport(why));
                }
                Err(e) => last = e,
            }
            tokio::time::sleep(std::time::Duration::from_millis(250 << n.min(4))).await;
        }
        Err(last)
    }
}

async fn stored(ack: jetstream::context::PublishAckFuture) -> Result<(), Error> {
    use jetstream::context::PublishErrorKind;
    ack.await.map(|_| ()).map_err(|e| match e.kind() {
        PublishErrorKind::StreamNotFound => Error::Transport(
            "no stream takes the input: `vigil serve` creates it when it first starts".into(),
        ),
        _ => transport("publish ack", e),
    })
}

/// The stream of `config`, created, or given the subjects of `config` it lacks.
async fn with_subjects(
    js: &jetstream::Context,
    config: stream::Config,
) -> Result<stream::Stream, String> {
    let mut existing = match js.get_stream(&config.name).await {
        Ok(s) => s,
        Err(_) => {
            return js
                .get_or_create_stream(config)
                .await
                .map_err(|e| e.to_string());
        }
    };
    let mut now = existing
        .info()
        .await
        .map_err(|e| e.to_string())?
        .config
        .clone();
    let missing: Vec<String> = (config.subjects.iter())
        .filter(|s| !now.subjects.contains(s))
        .cloned()
        .collect();
    if missing.is_empty() {
        return Ok(existing);
    }
    now.subjects.extend(missing);
    js.update_stream(now).await.map_err(|e| e.to_string())?;
    js.get_stream(&config.name).await.map_err(|e| e.to_string())
}

/// A name no other process or connection uses: the time in nanoseconds and the process.
fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{}", std::process::id())
}

/// The client options for `url`: its user and password, if it names them.
pub(crate) fn login(url: &str) -> Result<async_nats::ConnectOptions, Error> {
    let addr: async_nats::ServerAddr = url.parse().map_err(|e| transport("the URL", e))?;
    let options = async_nats::ConnectOptions::new();
    let Some(user) = addr.username() else {
        return Ok(options);
    };
    let password = std::env::var("VIGIL_NATS_PASSWORD")
        .ok()
        .or_else(|| addr.password().map(str::to_string))
        .unwrap_or_default();
    Ok(options.user_and_password(user.to_string(), password))
}

impl Input for Nats {
    /// Reads through an ordered consumer, which the server feeds in batches, started at the
    /// position asked for (again, when another one is asked for). Waits up to 20 ms for the
    /// first message, then takes what has arrived.
    fn read(&mut self, after: u64, max: usize) -> Result<Vec<Message>, Error> {
        let s = &self.0;
        let mut reader = s.reader.lock().unwrap_or_else(PoisonError::into_inner);
        s.rt.block_on(async {
            let r = match reader.take() {
                Some(r) if r.at == after => reader.insert(r),
                _ => {
                    let filter_subject = match &s.role {
                        Role::Group(t) => self.subject(&Subject::Route(*t)),
                        Role::Whole | Role::Router => String::new(),
                    };
                    let config = pull::OrderedConfig {
                        deliver_policy: DeliverPolicy::ByStartSequence {
                            start_sequence: after + 1,
                        },
                        filter_subject,
                        ..Default::default()
                    };
                    let consumer = s
                        .input
                        .create_consumer(config)
                        .await
                        .map_err(|e| transport("input consumer", e))?;
                    let messages = consumer
                        .messages()
                        .await
                        .map_err(|e| transport("input consumer", e))?;
                    reader.insert(Reader {
                        at: after,
                        messages,
                    })
                }
            };
            let mut out = Vec::new();
            let mut wait = Duration::from_millis(20);
            while out.len() < max {
                let Ok(next) = tokio::time::timeout(wait, r.messages.next()).await else {
                    break;
                };
                let m = match next {
                    Some(Ok(m)) => m,
                    Some(Err(e)) => return Err(transport("read", e)),
                    None => return Err(transport("read", "the input consumer ended")),
                };
                let seq = m.info().map_err(|e| transport("read", e))?.stream_sequence;
                if seq <= r.at {
                    continue;
                }
                r.at = seq;
                out.push(Message {
                    seq,
                    payload: m.payload.to_vec(),
                });
                wait = Duration::ZERO;
            }
            Ok(out)
        })
        .inspect_err(|_| *reader = None)
    }
}

impl Output for Nats {
    fn last(&mut self, subject: &Subject) -> Result<u64, Error> {
        Ok(self.cached_last(subject)?.1)
    }

    fn publish(&mut self, subject: &Subject, message: Published) -> Result<(), Error> {
        let mut results = self.publish_all(vec![(subject.clone(), message)]);
        results.pop().unwrap_or(Ok(()))
    }

    /// All messages are written to the connection before the first acknowledgement is
    /// awaited: one round trip for the lot, where one each would cost a round trip each.
    fn publish_all(&mut self, messages: Vec<(Subject, Published)>) -> Vec<Result<(), Error>> {
        let sent: Vec<_> = messages
            .into_iter()
            .map(|(subject, message)| {
                let mark = message.mark;
                let ack = self.send_chained(&subject, message);
                (subject, mark, ack)
            })
            .collect();
        sent.into_iter()
            .map(|(subject, mark, ack)| {
                let acked = ack.and_then(|ack| {
                    self.0
                        .rt
                        .block_on(ack.into_future())
                        .map_err(NotStored::Refused)
                });
                match acked {
                    Ok(ack) => {
                        self.remember(&subject, Some((ack.sequence, mark)));
                        Ok(())
                    }
                    Err(e) => {
                        self.remember(&subject, None);
                        Err(e.into_error(&subject))
                    }
                }
            })
            .collect()
    }
}

/// Why a publish was not stored.
enum NotStored {
    /// Before it was sent, or sending failed.
    Unsent(Error),
    /// The server's acknowledgement was an error.
    Refused(jetstream::context::PublishError),
}

impl NotStored {
    fn into_error(self, subject: &Subject) -> Error {
        match self {
            NotStored::Unsent(e) => e,
            // Another writer appended since we looked: we are behind.
            NotStored::Refused(e) if e.to_string().contains("wrong last sequence") => {
                Error::Fenced(format!("{subject:?}: {e}"))
            }
            NotStored::Refused(e) => transport("publish ack", e),
        }
    }
}

impl Nats {
    /// Sends `message` after the subject's last one (its expected last sequence), without
    /// waiting for the acknowledgement.
    fn send_chained(
        &self,
        subject: &Subject,
        message: Published,
    ) -> Result<jetstream::context::PublishAckFuture, NotStored> {
        let (seq, mark) = self.cached_last(subject).map_err(NotStored::Unsent)?;
        if message.mark <= mark {
            return Err(NotStored::Unsent(Error::Fenced(format!(
                "{subject:?}: message {} is not after {mark}",
                message.mark
            ))));
        }
        let name = self.subject(subject);
        let publish = jetstream::message::PublishMessage::build()
            .payload(message.lines.into())
            .header(MARK, message.mark.to_string().as_str())
            .message_id(format!("{name}:{}", message.mark))
            .expected_last_subject_sequence(seq);
        let s = &self.0;
        s.rt.block_on(s.js.send_publish(name, publish))
            .map_err(|e| NotStored::Unsent(transport("publish", e)))
    }
}

impl Nats {
    /// The subject's last sequence and mark ((0, 0): none), from the cache if it has them.
    fn cached_last(&self, subject: &Subject) -> Result<(u64, u64), Error> {
        let cached = self
            .0
            .last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(subject)
            .copied();
        if let Some(last) = cached {
            return Ok(last);
        }
        let last = self.last_message(subject)?.unwrap_or((0, 0));
        self.remember(subject, Some(last));
        Ok(last)
    }

    fn remember(&self, subject: &Subject, last: Option<(u64, u64)>) {
        let mut cache = self.0.last.lock().unwrap_or_else(PoisonError::into_inner);
        match last {
            Some(last) => cache.insert(subject.clone(), last),
            None => cache.remove(subject),
        };
    }
}

impl Checkpoints for Nats {
    fn load(&mut self) -> Result<Option<(Checkpoint, u64)>, Error> {
        let s = &self.0;
        s.rt.block_on(async {
            let Some(entry) = s
                .checkpoints
                .entry(s.role.key())
                .await
                .map_err(|e| transport("checkpoint", e))?
            else {
                return Ok(None);
            };
            if entry.operation != kv::Operation::Put {
                return Ok(None);
            }
            let meta: serde_json::Value = serde_json::from_slice(&entry.value)
                .map_err(|e| Error::State(format!("corrupt checkpoint: {e}")))?;
            let field = |k: &str| meta.get(k).and_then(serde_json::Value::as_u64);
            let (Some(seq), Some(records), Some(fingerprint), Some(object)) = (
                field("seq"),
                field("records"),
                meta.get("fingerprint").and_then(|v| v.as_str()),
                meta.get("snapshot").and_then(|v| v.as_str()),
            ) else {
                return Err(Error::State(
                    "corrupt checkpoint: a field is missing".into(),
                ));
            };
            let mut snapshot = Vec::new();
            let mut reader = s
                .snapshots
                .get(object)
                .await
                .map_err(|e| transport("snapshot", e))?;
            reader
                .read_to_end(&mut snapshot)
                .await
                .map_err(|e| transport("snapshot", e))?;
            *s.snapshot.lock().unwrap_or_else(PoisonError::into_inner) = Some(object.to_string());
            Ok(Some((
                Checkpoint {
                    seq,
                    records,
                    fingerprint: fingerprint.to_string(),
                    snapshot,
                },
                entry.revision,
            )))
        })
    }

    fn save(&mut self, cp: &Checkpoint, revision: Option<u64>) -> Result<u64, Error> {
        let s = &self.0;
        // The snapshot first, under a name of its own; the KV revision is the commit point.
        let object = format!(
            "snapshot-{}-{}-{}",
            cp.seq,
            revision.map_or(0, |r| r + 1),
            s.writer
        );
        let meta = serde_json::json!({
            "seq": cp.seq,
            "records": cp.records,
            "fingerprint": cp.fingerprint,
            "snapshot": object,
        })
        .to_string();
        s.rt.block_on(async {
            let mut data: &[u8] = &cp.snapshot;
            s.snapshots
                .put(object.as_str(), &mut data)
                .await
                .map_err(|e| transport("snapshot", e))?;
            match revision {
                None => s
                    .checkpoints
                    .create(s.role.key(), meta.into())
                    .await
                    .map_err(|e| match e.kind() {
                        kv::CreateErrorKind::AlreadyExists => {
                            Error::Fenced("a checkpoint was written first".into())
                        }
                        _ => transport("checkpoint", e),
                    }),
                Some(r) => s
                    .checkpoints
                    .update(s.role.key(), meta.into(), r)
                    .await
                    .map_err(|e| match e.kind() {
                        kv::UpdateErrorKind::WrongLastRevision => {
                            Error::Fenced(format!("the checkpoint is no longer at revision {r}"))
                        }
                        _ => transport("checkpoint", e),
                    }),
            }
        })
        .inspect_err(|e| {
            // Refused, so not committed: the object is ours alone (its name says so). After a
            // transport error the commit may have happened with its answer lost: it stays.
            if matches!(e, Error::Fenced(_)) {
                let _ = s.rt.block_on(s.snapshots.delete(&object));
            }
        })
        .inspect(|_| {
            // Committed: the previous snapshot is no one's any more. (A server starting just
            // now may have read the previous checkpoint; its read of the object fails, and it
            // starts again from this one.)
            let mut last = s.snapshot.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(old) = last.replace(object.clone())
                && old != object
                && let Err(e) = s.rt.block_on(s.snapshots.delete(&old))
            {
                tracing::warn!(object = %old, error = %e, "the old snapshot stays in the store: {e}");
            }
            // A target's batches before its checkpoint are read by nobody again (a worker
            // that starts loads this checkpoint or a later one, or is fenced at its first
            // save). The one at the checkpoint stays: a router going on from an older
            // checkpoint of its own reads the subject's last mark there, and skips what it
            // routes again.
            if let Role::Group(t) = &s.role
                && cp.seq > 1
            {
                let subject = self.subject(&Subject::Route(*t));
                let purged = s.rt.block_on(async {
                    s.input
                        .purge()
                        .filter(subject.as_str())
                        .sequence(cp.seq)
                        .await
                });
                if let Err(e) = purged {
                    tracing::warn!(%subject, error = %e, "the batches before the checkpoint stay: {e}");
                }
            }
        })
    }
}
