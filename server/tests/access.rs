//! The users `vigil serve nats-config` writes, on a real `nats-server` started with them: each
//! unit reads its own copies, live or from its consumer, and nothing else; a feed only
//! publishes input; nobody but the server publishes records.

// Test code: a failed unwrap, index or assertion stops the test right there.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream;
use futures_util::StreamExt;
use vigil_server::access::{Access, Credentials};
use vigil_server::jetstream::Nats;
use vigil_server::testing::NatsServer;
use vigil_server::{Subject, Worker};

const RULES: &str = "unit desk\n\
    unit patrol {\n  sees Incident.{case}\n}\n\
    event Incident { case: str, caller: str }\n\
    rule raised {\n  when i: Incident\n  alert desk, patrol message \"case {i.case}\"\n}\n\
    rule caller_known {\n  when i: Incident where i.caller == \"13800000000\"\n  alert desk message \"known caller {i.caller}\"\n}\n";

/// A client of `user`, with its inbox prefix; the server's complaints go to `errors`.
async fn client(
    url: &str,
    c: &Credentials,
    errors: &Arc<Mutex<Vec<String>>>,
) -> async_nats::Client {
    let errors = errors.clone();
    async_nats::ConnectOptions::new()
        .user_and_password(c.user.clone(), c.password.clone())
        .custom_inbox_prefix(Access::inbox_prefix(&c.user))
        .request_timeout(Some(Duration::from_secs(2)))
        .event_callback(move |event| {
            let errors = errors.clone();
            async move {
                if let async_nats::Event::ServerError(e) = event {
                    errors.lock().unwrap().push(e.to_string().to_lowercase());
                }
            }
        })
        .connect(url)
        .await
        .expect("connects")
}

/// What arrives on `sub` within half a second.
/// The lines of the messages that arrive (a message holds one or more).
async fn drain(sub: &mut async_nats::Subscriber) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(500), sub.next()).await {
        out.extend(
            String::from_utf8_lossy(&m.payload)
                .lines()
                .map(str::to_string),
        );
    }
    out
}

#[test]
fn each_unit_reads_only_its_own_copies_and_only_the_server_publishes_records() {
    let program =
        Arc::new(vigil_compiler::load::compile_sources(&[("units.vigil", RULES)]).expect("rules"));
    let access = Access::new(&program, "vigil", |user| format!("{user}-secret"));
    let server = NatsServer::configured(&access.nats_config(&program.fingerprint)).expect("nats");
    let url = |c: &Credentials| {
        server
            .url
            .replacen("nats://", &format!("nats://{}:{}@", c.user, c.password), 1)
    };
    let unit = |name: &str| &access.units.iter().find(|(u, _)| u == name).unwrap().1;
    let patrol = unit("patrol");

    // Without credentials, nothing: the server refuses the connection.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert!(rt.block_on(async_nats::connect(&server.url)).is_err());

    let nats = Nats::connect(&url(&access.server), "vigil").expect("the server's user connects");
    nats.unit_consumers(["desk", "patrol"].into_iter())
        .expect("creates the consumers");
    let mut worker = Worker::start(
        program.clone(),
        common::config(),
        nats.clone(),
        nats.clone(),
        nats.clone(),
        1,
    )
    .expect("starts");

    let errors = Arc::new(Mutex::new(Vec::new()));
    let (mut own, mut other, mut records, mut input, mut inboxes, feed, patrol_client) = rt
        .block_on(async {
            let patrol_client = client(&server.url, patrol, &errors).await;
            let sub = |s: &'static str| patrol_client.subscribe(s);
            let subs = (
                sub("vigil.unit.patrol").await.unwrap(),
                sub("vigil.unit.desk").await.unwrap(),
                sub("vigil.records").await.unwrap(),
                sub("vigil.in").await.unwrap(),
                sub("_INBOX.>").await.unwrap(),
            );
            let feed = client(&server.url, &access.feed, &errors).await;
            let js = jetstream::new(feed.clone());
            for line in lines() {
                let ack = js.publish("vigil.in", line.into()).await.unwrap();
                ack.await.expect("the feed's input is stored");
            }
            // Neither a feed nor a unit can forge records or input.
            for client in [&feed, &patrol_client] {
                client
                    .publish("vigil.records", r#"{"kind":"forged"}"#.into())
                    .await
                    .unwrap();
                client.flush().await.unwrap();
            }
            patrol_client
                .publish("vigil.in", r#"{"type":"Incident"}"#.into())
                .await
                .unwrap();
            patrol_client.flush().await.unwrap();
            (subs.0, subs.1, subs.2, subs.3, subs.4, feed, patrol_client)
        });
    while worker.position() < 3 {
        worker.poll(10).expect("polls");
    }
    assert_eq!(worker.poll(10).expect("polls"), 0, "only the feed's input");

    rt.block_on(async {
        let live = drain(&mut own).await;
        assert_eq!(live.len(), 2, "{live:?} {:?}", errors.lock().unwrap());
        assert!(live.iter().all(|l| !l.contains("13800000000")), "{live:?}");
        for (what, sub) in [
            ("another unit's copies", &mut other),
            ("the records", &mut records),
            ("the input", &mut input),
            ("the server's replies", &mut inboxes),
        ] {
            assert_eq!(drain(sub).await, Vec::<String>::new(), "{what}");
        }

        // The unit's consumer holds its copies; another unit's consumer is out of reach.
        let js = jetstream::new(patrol_client.clone());
        let consumer: jetstream::consumer::PullConsumer = js
            .get_consumer_from_stream("patrol", "VIGIL_OUT")
            .await
            .expect("its own consumer");
        let mut messages = consumer
            .fetch()
            .max_messages(10)
            .expires(Duration::from_secs(1))
            .messages()
            .await
            .unwrap();
        let mut stored = Vec::new();
        while let Some(m) = messages.next().await {
            let m = m.unwrap();
            stored.extend(
                String::from_utf8_lossy(&m.payload)
                    .lines()
                    .map(str::to_string),
            );
            m.ack().await.expect("acknowledges");
        }
        assert_eq!(stored, live);
        let theirs: Result<jetstream::consumer::PullConsumer, _> =
            js.get_consumer_from_stream("desk", "VIGIL_OUT").await;
        assert!(theirs.is_err(), "patrol reached desk's consumer");
        // A feed reads nothing either.
        let mut feed_sub = feed.subscribe("vigil.unit.desk").await.unwrap();
        assert_eq!(drain(&mut feed_sub).await, Vec::<String>::new());
    });

    let errors = errors.lock().unwrap().clone();
    for denied in [
        "subscription to \"vigil.unit.desk\"",
        "subscription to \"vigil.records\"",
        "subscription to \"_inbox.>\"",
        "publish to \"vigil.records\"",
        "publish to \"vigil.in\"",
        "publish to \"$js.api.consumer.info.vigil_out.desk\"",
    ] {
        assert!(
            errors
                .iter()
                .any(|e| e.contains("permissions violation") && e.contains(denied)),
            "no violation for {denied}: {errors:?}"
        );
    }

    // What the server published is exactly the run's: two alerts to each of desk and patrol
    // (the second rule to desk only), and no forged record.
    let mut reader = Nats::connect(&url(&access.server), "vigil").unwrap();
    let want = common::reference(&program, lines().iter().map(String::as_str));
    assert_eq!(
        reader.lines(&Subject::Records).unwrap(),
        want[&Subject::Records]
    );
    assert_eq!(
        reader.lines(&Subject::Unit("desk".into())).unwrap().len(),
        4
    );
}

/// Two incidents, and a tick past the lateness that lets their alerts out.
fn lines() -> Vec<String> {
    let incident = |case: &str| {
        format!(
            r#"{{"type":"Incident","time":"2026-12-07T03:00:00Z","case":"{case}","caller":"13800000000"}}"#
        )
    };
    vec![
        incident("A"),
        incident("B"),
        r#"{"type":"$tick","time":"2026-12-07T03:01:00Z"}"#.to_string(),
    ]
}
