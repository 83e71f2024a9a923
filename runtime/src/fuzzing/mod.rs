//! What the fuzz targets (`fuzz/`) check, here so that the tests replaying their corpora
//! (`runtime/tests/fuzz_corpora.rs`) check the same: every input a fuzzer kept stays a test in
//! `cargo test`, which needs no fuzzer. Each check fails an assertion when its property does
//! not hold, as a fuzz target must; it never panics otherwise, whatever the bytes.

pub mod reference;

use std::sync::Arc;

use sha2::{Digest, Sha256};
use vigil_ir::Program;

use crate::{Decoded, Engine, EngineConfig, Line, LineDecoder, Pushed};

/// Arbitrary bytes as input lines: the decoder gives every line an answer, the engine takes
/// them with a lateness, and its state survives a snapshot exactly.
pub fn decode(program: &Arc<Program>, bytes: &[u8]) {
    let mut decoder = LineDecoder::new(program);
    for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let decoded = decoder.decode(Line::Bytes(line), n as u64 + 1);
        if let Decoded::Row(row) = &decoded {
            assert!(
                vigil_ir::time::in_range(row.time),
                "an accepted row's time is out of range"
            );
        }
    }
    let config = EngineConfig {
        lateness: 60_000,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(program.clone(), config.clone());
    let mut accepted = 0u64;
    for line in bytes.split(|b| *b == b'\n') {
        if engine.push_line(line) == Pushed::Accepted {
            accepted += 1;
        }
    }
    let s = engine.stats();
    assert_eq!(
        accepted,
        s.accepted + s.ticks,
        "every accepted line is counted once"
    );
    let bytes = engine.snapshot();
    let mut again = Engine::new(program.clone(), config);
    let restored = again.restore(&bytes);
    assert!(
        restored.is_ok(),
        "a snapshot does not restore: {restored:?}"
    );
    assert!(
        again.snapshot() == bytes,
        "a restored engine snapshots differently"
    );
    engine.finish();
    engine.advance_to(i64::MAX);
    for r in engine.take_records() {
        let json = engine.to_json(&r);
        assert!(
            serde_json::from_str::<serde_json::Value>(&json).is_ok(),
            "a record is not JSON: {json}"
        );
    }
}

/// Arbitrary bytes as input lines of `program`'s event types: the decoder gives each the
/// answer SPEC §7 gives it (`reference`): the same event, or a reject for a reason that applies.
// PANIC SAFETY: a check fails by panicking: that is how a fuzzer learns of it.
#[allow(clippy::panic)]
pub fn decode_like_the_spec(program: &Program, bytes: &[u8]) {
    let mut decoder = LineDecoder::new(program);
    let layouts = crate::row::Layout::all(program);
    for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let got = decoder.decode(Line::Bytes(line), n as u64 + 1);
        let want = reference::decode(program, line);
        let text = String::from_utf8_lossy(line);
        match (&want, &got) {
            (reference::Answer::Unspecified(_), _) | (reference::Answer::Blank, Decoded::Blank) => {
            }
            (reference::Answer::Tick(a), Decoded::Tick(b)) => {
                assert_eq!(a, b, "the tick's time differs: {text}");
            }
            (reference::Answer::Rejected(reasons), Decoded::Rejected(r)) => assert!(
                reasons.contains(&r.kind),
                "rejected as {} ({}), but the SPEC's reasons are {reasons:?}: {text}",
                r.kind.as_str(),
                r.detail
            ),
            (reference::Answer::Event { ty, time, fields }, Decoded::Row(row)) => {
                assert_eq!(
                    (*ty, *time),
                    (row.ty, row.time),
                    "type or time differs: {text}"
                );
                let layout = layouts.get(row.ty as usize);
                let got: Vec<vigil_ir::Value> = (0..fields.len())
                    .map(|i| layout.map_or(vigil_ir::Value::Absent, |l| row.value(l, i as u16)))
                    .collect();
                assert_eq!(fields, &got, "the fields differ: {text}");
            }
            _ => panic!("the SPEC says {want:?}, the decoder {got:?}: {text}"),
        }
    }
}

/// Arbitrary bytes as a bundle: refused with a reason, or a program that runs.
pub fn bundle(bytes: &[u8], lines: &[&[u8]]) {
    let Ok(program) = vigil_ir::bundle::decode(bytes) else {
        return;
    };
    let mut engine = Engine::new(Arc::new(program), EngineConfig::default());
    for line in lines {
        engine.push_line(line);
    }
    engine.advance_to(i64::MAX);
    let _ = engine.snapshot();
}

/// The snapshot of `program`'s engine after `lines`, with bytes changed as `edits` say
/// (triples: position high byte, low byte, value) and its checksum made right again, so that
/// the decoder behind the checksum is reached: restored or refused with a reason, and a
/// restored engine runs on over `lines` again.
pub fn snapshot(program: &Arc<Program>, edits: &[u8], lines: &[&[u8]]) {
    let mut engine = Engine::new(program.clone(), EngineConfig::default());
    for line in lines {
        engine.push_line(line);
    }
    let mut bytes = engine.snapshot();
    let Some(body) = bytes.len().checked_sub(32) else {
        return;
    };
    for triple in edits.chunks_exact(3) {
        if let [hi, lo, value] = *triple {
            let at = (usize::from(hi) << 8 | usize::from(lo)) % body.max(1);
            if let Some(b) = bytes.get_mut(at) {
                *b = value;
            }
        }
    }
    let sum = Sha256::digest(bytes.get(..body).unwrap_or_default());
    if let Some(tail) = bytes.get_mut(body..) {
        tail.copy_from_slice(&sum);
    }
    let mut restored = Engine::new(program.clone(), EngineConfig::default());
    if restored.restore(&bytes).is_err() {
        return;
    }
    for line in lines {
        restored.push_line(line);
    }
    restored.advance_to(i64::MAX);
    let _ = restored.snapshot();
}

/// Lines of the semantics suite's event types (`tests/semantics`): windows, sequences with
/// absences, and workflows with timers (workflow-level ones too), in 20 minutes of event
/// time, a tick and a bad line.
pub const SEMANTICS_LINES: &[&str] = &[
    r#"{"type":"Incident","time":"2021-11-25T19:00:00Z","incident_id":"i1","category":"theft","address":"A"}"#,
    r#"{"type":"Incident","time":"2021-11-25T19:01:00Z","incident_id":"i2","category":"theft","address":"A","loss":5000}"#,
    r#"{"type":"Contact","time":"2021-11-25T19:02:00Z","track":"T1","identified":false}"#,
    r#"{"type":"Ping","time":"2021-11-25T19:03:00Z","track":"T1","n":1}"#,
    r#"{"type":"Call","time":"2021-11-25T19:04:00Z","caller":"c","callee":"e","minutes":95}"#,
    r#"{"type":"CaseOpened","time":"2021-11-25T19:05:00Z","case_id":"c1","kind":"minor"}"#,
    r#"{"type":"CaseOpened","time":"2021-11-25T19:06:00Z","case_id":"c2","kind":"violent"}"#,
    r#"{"type":"Arrived","time":"2021-11-25T19:07:00Z","case_id":"c2","role":"medic"}"#,
    r#"{"type":"Pass","time":"2021-11-25T19:08:00Z","plate":"P1","checkpoint":"K1"}"#,
    r#"{"type":"Incident","time":"2021-11-25T19:09:00Z","incident_id":"i3","category":"violence","address":"A"}"#,
    r#"{"type":"Reported","time":"2021-11-25T19:09:30Z","incident_id":"r1"}"#,
    r#"{"type":"Acked","time":"2021-11-25T19:11:00Z","incident_id":"r1"}"#,
    r#"{"type":"$tick","time":"2021-11-25T19:15:00Z"}"#,
    "not json",
    r#"{"type":"Contacted","time":"2021-11-25T19:20:00Z","case_id":"c1"}"#,
];
