//! Durability (issue 5): a run with `--state` killed with SIGKILL at 20 random points and
//! started again each time ends with outputs byte-identical to an uninterrupted run.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const EVENTS: usize = 200_000;

/// A deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Windows, sequences with absences and workflows over 200,000 events, with some disorder
/// (inside the lateness) and a few bad lines.
fn write_events(path: &Path) {
    let mut rng = Rng(7);
    let mut out = String::with_capacity(EVENTS * 90);
    let mut t: i64 = 1_637_800_000_000;
    for i in 0..EVENTS {
        t += 500 + rng.below(4_000) as i64;
        let jitter = rng.below(5_000) as i64;
        let time = t - jitter;
        let id = rng.below(40);
        let line = match rng.below(20) {
            0 if i % 997 == 0 => "not json".to_string(),
            0..=5 => {
                let cat = ["noise", "theft", "violence"][rng.below(3) as usize];
                format!(
                    r#"{{"type":"Incident","time":{time},"id2":"I{id}","category":"{cat}","address":"A{}"}}"#,
                    rng.below(60)
                )
            }
            6..=10 => format!(
                r#"{{"type":"Contact","time":{time},"track":"T{id}","identified":{}}}"#,
                rng.below(3) == 0
            ),
            11..=12 => format!(r#"{{"type":"Identified","time":{time},"track":"T{id}"}}"#),
            13..=15 => format!(r#"{{"type":"Ack","time":{time},"id2":"I{id}"}}"#),
            _ => {
                let role = ["police", "medic", "fire"][rng.below(3) as usize];
                format!(r#"{{"type":"Arrived","time":{time},"id2":"I{id}","role":"{role}"}}"#)
            }
        };
        out.push_str(&line);
        out.push('\n');
    }
    std::fs::write(path, out).expect("events");
}

fn vigil() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigil"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

struct Paths {
    out: PathBuf,
    rejects: PathBuf,
    deliver: PathBuf,
}

impl Paths {
    /// `dir/<name>.jsonl`, `dir/<name>.rejects` and `dir/<name>-deliver`.
    fn named(dir: &Path, name: &str) -> Paths {
        Paths {
            out: dir.join(format!("{name}.jsonl")),
            rejects: dir.join(format!("{name}.rejects")),
            deliver: dir.join(format!("{name}-deliver")),
        }
    }
}

fn run_args(c: &mut Command, events: &Path, p: &Paths) {
    c.args([
        "run",
        "tests/fixtures/crash",
        "--lateness",
        "5s",
        "--until",
        "end",
        "--events",
    ])
    .arg(events)
    .arg("--out")
    .arg(&p.out)
    .arg("--rejects")
    .arg(&p.rejects)
    .arg("--deliver")
    .arg(&p.deliver)
    .stdout(Stdio::null())
    .stderr(Stdio::null());
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

/// Asserts that the durable run's records, rejects and unit feeds are the reference run's.
fn assert_same_outputs(durable: &Paths, reference: &Paths, context: &str) {
    let (got, expected) = (read(&durable.out), read(&reference.out));
    assert_eq!(
        got.len(),
        expected.len(),
        "{context}: the records differ in length"
    );
    assert!(got == expected, "{context}: the records differ");
    assert_eq!(
        read(&durable.rejects),
        read(&reference.rejects),
        "{context}"
    );
    for unit in ["desk", "medics"] {
        let name = format!("{unit}.jsonl");
        assert!(
            read(&durable.deliver.join(&name)) == read(&reference.deliver.join(&name)),
            "{context}: {name} differs"
        );
    }
}

/// A fresh scratch folder `vigil-<name>-<pid>` with the events written, and the outputs of
/// an uninterrupted run over them.
fn scratch_with_reference(name: &str) -> (PathBuf, PathBuf, Paths) {
    let dir = std::env::temp_dir().join(format!("vigil-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let events = dir.join("events.jsonl");
    write_events(&events);
    let reference = Paths::named(&dir, "ref");
    let mut c = vigil();
    run_args(&mut c, &events, &reference);
    assert!(c.status().expect("runs").success());
    (dir, events, reference)
}

#[test]
fn killed_twenty_times_the_durable_run_ends_byte_identical() {
    let started = Instant::now();
    let (dir, events, reference) = scratch_with_reference("crash");
    let full = started.elapsed();
    let expected = read(&reference.out);
    assert!(
        expected.len() > 100_000,
        "the reference run produced too little output"
    );

    let durable = Paths::named(&dir, "out");
    let state = dir.join("state");
    let mut rng = Rng(42);
    let mut killed_mid_run = 0;
    for _ in 0..20 {
        let mut c = vigil();
        run_args(&mut c, &events, &durable);
        c.arg("--state")
            .arg(&state)
            .args(["--checkpoint-every", "5000"]);
        let mut child = c.spawn().expect("spawns");
        // Each run gets a random slice of the work before it is killed, so the 20 kills land
        // all along the input (a resumed run also redoes what followed its last checkpoint).
        let slice = (full.as_millis() as u64 / 8).max(40);
        let wait = Duration::from_millis(30 + rng.below(slice));
        std::thread::sleep(wait);
        if child.try_wait().expect("status").is_none() {
            killed_mid_run += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    let mut c = vigil();
    run_args(&mut c, &events, &durable);
    c.arg("--state")
        .arg(&state)
        .args(["--checkpoint-every", "5000"]);
    assert!(c.status().expect("runs").success());

    assert!(
        killed_mid_run >= 10,
        "only {killed_mid_run} of 20 kills hit a running process"
    );
    assert_same_outputs(&durable, &reference, "killed twenty times");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 26: a durable run started again after lines were appended to its input (a log that
/// grows) goes on as if it had never stopped; an input that is not the one it read is refused.
#[test]
fn a_durable_run_over_a_growing_file_goes_on_as_one_run() {
    let dir = std::env::temp_dir().join(format!("vigil-grow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let whole = dir.join("whole.jsonl");
    write_events(&whole);
    let text = std::fs::read_to_string(&whole).expect("events");
    let lines: Vec<&str> = text.lines().collect();
    let half = lines.len() / 2;
    let first: String = lines[..half].iter().map(|l| format!("{l}\n")).collect();
    let rest: String = lines[half..].iter().map(|l| format!("{l}\n")).collect();

    let reference = Paths::named(&dir, "ref");
    let mut c = vigil();
    run_args(&mut c, &whole, &reference);
    assert!(c.status().expect("runs").success());

    let growing = dir.join("growing.jsonl");
    let durable = Paths::named(&dir, "out");
    let state = dir.join("state");
    let durable_run = |expect_success: bool| {
        let mut c = vigil();
        run_args(&mut c, &growing, &durable);
        c.arg("--state").arg(&state).stderr(Stdio::piped());
        let out = c.output().expect("runs");
        assert_eq!(
            out.status.success(),
            expect_success,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    std::fs::write(&growing, &first).expect("first half");
    durable_run(true);
    let after_first = read(&durable.out);
    // Started again with nothing new: the same outputs.
    durable_run(true);
    assert!(
        read(&durable.out) == after_first,
        "a rerun changed the output"
    );
    // The log grows: the run goes on over the new lines only, as if it had never stopped.
    std::fs::write(&growing, format!("{first}{rest}")).expect("whole");
    durable_run(true);
    let expected = read(&reference.out);
    assert!(expected.len() > after_first.len());
    assert!(
        read(&durable.out) == expected,
        "the grown run differs from one run over the whole file"
    );
    assert_eq!(read(&durable.rejects), read(&reference.rejects));
    for unit in ["desk", "medics"] {
        let name = format!("{unit}.jsonl");
        assert!(
            read(&durable.deliver.join(&name)) == read(&reference.deliver.join(&name)),
            "{name} differs from one run over the whole file"
        );
    }

    // Another file in its place is refused, and so is a shorter one; the state stays usable.
    std::fs::write(&growing, format!("{rest}{first}")).expect("other");
    let err = durable_run(false);
    assert!(
        err.contains("is not the input the state was built from"),
        "{err}"
    );
    std::fs::write(&growing, &first).expect("shorter");
    let err = durable_run(false);
    assert!(err.contains("is shorter"), "{err}");
    std::fs::write(&growing, format!("{first}{rest}")).expect("whole again");
    durable_run(true);
    assert!(
        read(&durable.out) == expected,
        "the state was damaged by a refused run"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 26: the disk fills up in the middle of a durable run (here a file size limit, which
/// answers writes past it with "File too large" as a full disk answers "No space left"). The
/// run stops with an error that names the file; started again with room, it ends with outputs
/// byte-identical to an uninterrupted run. The limits fall on opening the state, in the outputs
/// early and late, and in a state that outgrows the room between two checkpoints.
#[test]
fn a_disk_that_fills_up_stops_the_run_and_a_restart_with_room_ends_byte_identical() {
    let (dir, events, reference) = scratch_with_reference("full");

    for (n, limit) in [40_000u64, 3_000_000, 10_000_000].into_iter().enumerate() {
        let durable = Paths::named(&dir, &format!("out{n}"));
        let state = dir.join(format!("state{n}"));
        let durable_run = |limit: Option<u64>| {
            let mut c = vigil();
            run_args(&mut c, &events, &durable);
            c.arg("--state")
                .arg(&state)
                .args(["--checkpoint-every", "5000"])
                .stderr(Stdio::piped());
            if let Some(limit) = limit {
                limit_file_size(&mut c, limit);
            }
            c.output().expect("runs")
        };
        let o = durable_run(Some(limit));
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(2), "limit {limit}: {err}");
        assert!(err.contains("File too large"), "limit {limit}: {err}");
        assert!(
            err.contains(&format!("{}", dir.display())),
            "limit {limit}: the error names no file of the run: {err}"
        );
        let o = durable_run(None);
        assert!(
            o.status.success(),
            "limit {limit}, restarted: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_same_outputs(&durable, &reference, &format!("limit {limit}, restarted"));
    }

    // A state that outgrows the room while the outputs stay small: a checkpoint cannot be
    // saved, the run stops naming the state directory, and the last committed one is used.
    let rules = dir.join("keys.vigil");
    std::fs::write(
        &rules,
        "unit desk\nevent Ping { k: str, n: int }\n\
         rule every_thousandth {\n  when p: Ping where p.n % 1000 == 0\n  alert desk\n}\n\
         rule keys {\n  when p: Ping\n    group by p.k within 1d having count() >= 1000\n  alert desk\n}\n",
    )
    .expect("rules");
    let pings = dir.join("pings.jsonl");
    let lines: String = (0..100_000i64)
        .map(|n| {
            let time = 1_637_800_000_000 + n * 100;
            format!("{{\"type\":\"Ping\",\"time\":{time},\"k\":\"key-{n}\",\"n\":{n}}}\n")
        })
        .collect();
    std::fs::write(&pings, lines).expect("pings");
    let keys_run = |out: &Path, state: Option<&Path>, limit: Option<u64>| {
        let mut c = vigil();
        c.arg("run")
            .arg(&rules)
            .arg("--events")
            .arg(&pings)
            .arg("--out")
            .arg(out)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(state) = state {
            c.arg("--state")
                .arg(state)
                .args(["--checkpoint-every", "5000"]);
        }
        if let Some(limit) = limit {
            limit_file_size(&mut c, limit);
        }
        c.output().expect("runs")
    };
    let reference = dir.join("keys-ref.jsonl");
    assert!(keys_run(&reference, None, None).status.success());
    let expected = read(&reference);
    assert_eq!(expected.iter().filter(|b| **b == b'\n').count(), 100);
    let (out, state) = (dir.join("keys.jsonl"), dir.join("keys-state"));
    let o = keys_run(&out, Some(&state), Some(1_000_000));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "cannot save a checkpoint in `{}`",
            state.display()
        )) && err.contains("File too large"),
        "{err}"
    );
    let o = keys_run(&out, Some(&state), None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        read(&out) == expected,
        "the run restarted after its state filled the disk differs"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `c` with writes past `limit` bytes in any file failing with EFBIG ("File too large"),
/// as a full disk fails them with ENOSPC.
fn limit_file_size(c: &mut Command, limit: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only async-signal-safe calls (setrlimit, signal), on a
    // value the closure owns.
    unsafe {
        c.pre_exec(move || {
            let rl = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &rl) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // Ignored (rather than killed by SIGXFSZ), a write past the limit fails with EFBIG.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
}

/// A run killed while it creates its state (redb writing a new file's header) can be started
/// again: the store is created under another name and renamed whole. Before, a kill at the
/// wrong moment left a `state.redb` that no restart could open ("magic number mismatch").
#[test]
fn killed_while_creating_its_state_the_run_starts_again() {
    let dir = std::env::temp_dir().join(format!("vigil-create-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let events = dir.join("events.jsonl");
    write_events(&events);
    // A short input: what matters is the start of each run.
    let head: String = std::fs::read_to_string(&events)
        .expect("events")
        .lines()
        .take(2000)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&events, head).expect("events");
    let durable = Paths::named(&dir, "out");
    let mut rng = Rng(9);
    for attempt in 0..30 {
        let state = dir.join(format!("state{attempt}"));
        let start = |c: &mut Command| {
            run_args(c, &events, &durable);
            c.arg("--state").arg(&state);
        };
        let mut c = vigil();
        start(&mut c);
        let mut child = c.spawn().expect("spawns");
        std::thread::sleep(Duration::from_millis(rng.below(60)));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let mut c = vigil();
        start(&mut c);
        c.stderr(Stdio::piped());
        let o = c.output().expect("runs");
        assert!(
            o.status.success(),
            "attempt {attempt}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // What a kill in the middle of creating leaves now: a half-written file under the other
    // name, which the next run removes before creating the store again.
    let state = dir.join("state-leftover");
    std::fs::create_dir_all(&state).expect("state dir");
    std::fs::write(state.join("state.redb.new"), b"half a header").expect("leftover");
    let mut c = vigil();
    run_args(&mut c, &events, &durable);
    c.arg("--state").arg(&state).stderr(Stdio::piped());
    let o = c.output().expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(state.join("state.redb").exists() && !state.join("state.redb.new").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
