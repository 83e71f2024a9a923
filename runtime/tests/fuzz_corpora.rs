//! The fuzz targets' checks (`vigil_runtime::fuzzing`) over the inputs kept in
//! `fuzz/regressions/<target>/` (what a fuzzer found, or minimized seeds), and over seeds
//! built here, so that `cargo test` replays them without a fuzzer.

// Test code: a failed unwrap or assertion stops the test right there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use vigil_runtime::fuzzing::{self, SEMANTICS_LINES};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn program() -> Arc<vigil_ir::Program> {
    vigil_compiler::load::compile_paths(&[root().join("tests/semantics")])
        .unwrap_or_else(|e| panic!("{e:?}"))
}

fn lines() -> Vec<&'static [u8]> {
    SEMANTICS_LINES.iter().map(|l| l.as_bytes()).collect()
}

/// The files kept for `target`, sorted.
fn kept(target: &str) -> Vec<Vec<u8>> {
    let dir = root().join("fuzz/regressions").join(target);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).expect("reads"))
        .collect()
}

#[test]
fn decode_keeps_its_properties_on_the_kept_inputs_and_seeds() {
    let program = program();
    let mut inputs = kept("decode");
    inputs.push(SEMANTICS_LINES.join("\n").into_bytes());
    // Every line twice, the second time a minute later and out of order, and cut short.
    let mut mangled = Vec::new();
    for l in SEMANTICS_LINES {
        mangled.extend_from_slice(l.replace("19:0", "19:1").as_bytes());
        mangled.push(b'\n');
        mangled.extend_from_slice(&l.as_bytes()[..l.len() / 2]);
        mangled.push(b'\n');
    }
    inputs.push(mangled);
    for input in &inputs {
        fuzzing::decode(&program, input);
    }
}

fn kinds() -> Arc<vigil_ir::Program> {
    vigil_compiler::load::compile_paths(&[root().join("fuzz/kinds.vigil")])
        .unwrap_or_else(|e| panic!("{e:?}"))
}

/// Lines of `fuzz/kinds.vigil`'s event types at the edges of SPEC §7's decoding rules.
const KINDS_LINES: &[&str] = &[
    r#"{"type":"Every","time":"2021-11-25T19:00:00Z","b":true,"i":3,"f":2.5,"s":"x","t":"2021-11-25T19:00:00.123456+08:00","d":"PT1M30.5S","p":{"lat":1,"lon":2},"e":"low","u":"desk"}"#,
    r#"{"type":"Every","time":1637866800000,"b":false,"i":3.0,"f":-0.0,"s":"","t":1637866800000,"d":4.35,"p":{"lon":-180,"lat":90},"e":"high","id":"e1","u":"patrol"}"#,
    r#"{"type":"Every","time":"2016-12-31T23:59:60Z","b":true,"i":3e0,"f":1e300,"s":"\u00e9","t":"0001-01-01T00:00:00Z","d":"P1D","p":{"lat":0,"lon":0},"e":"low","u":"desk"}"#,
    r#"{"type":"Every","time":"2021-11-25T19:00:00+24:00","b":true,"i":3,"f":1,"s":"x","t":1,"d":1,"p":{"lat":0,"lon":0},"e":"low","u":"desk"}"#,
    r#"{"type":"Every","time":"2021-11-25T19:00:00Z","b":true,"i":3.5,"f":1,"s":"x","t":1,"d":"P1DT","p":{"lat":0,"lon":0},"e":"mid"}"#,
    r#"{"type":"Every","time":"2021-11-25T19:00:00Z","b":true,"i":9223372036854775808,"f":1,"s":"x","t":1,"d":"PT1.5H30M","p":{"lat":91,"lon":0},"e":"low","u":"desk"}"#,
    r#"{"type":"Every","time":"10000-01-01T00:00:00Z","b":1,"i":3,"f":"1","s":2,"t":true,"d":[],"p":[1,2],"e":1}"#,
    r#"{"type":"Every","time":"9999-12-31T23:59:59.999-00:01","b":true,"i":-9223372036854775808,"f":1,"s":"x","t":253402300799999,"d":-1.0019,"p":{"lat":0,"lon":0},"e":"low","id":5,"u":"desk"}"#,
    r#"{"type":"Every","time":"0001-01-01T00:00:00+00:01","i":3}"#,
    r#"{"type":"Every","time":"2021-11-25T19:00:00Z","b":true,"i":3,"f":2.5,"s":"x","t":1,"d":1,"p":{"lat":1,"lon":2},"e":"low","u":"nobody"}"#,
    r#"{"type":"Every","time":"2021-11-25T19:00:00Z","b":true,"i":3,"f":2.5,"s":"x","t":1,"d":1,"p":{"lat":1,"lon":2},"e":"low","u":0}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","u":"patrol","e":"high"}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","u":"Desk"}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","ss":["b","a","b"],"si":[3,1,3.0],"se":["high","low"],"su":["patrol","desk"]}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","ss":[],"si":[],"se":[],"su":[]}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","ss":["a",null]}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","si":[1.5]}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","se":["mid"],"su":"desk"}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","ss":"a","si":{"a":1}}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","ss":[["a"]],"su":[1]}"#,
    r#"{"type":"Every","time":null,"b":null}"#,
    r#"{"type":null,"time":"2021-11-25T19:00:00Z"}"#,
    r#"{"type":7,"time":"2021-11-25T19:00:00Z"}"#,
    r#"{"type":"Nope","time":"2021-11-25T19:00:00Z"}"#,
    r#"{"time":"2021-11-25T19:00:00Z"}"#,
    r#"{"type":"$tick","time":"2021-11-25T19:00:00Z","anything":[1]}"#,
    r#"{"type":"$tick","time":"2021-02-29T19:00:00Z"}"#,
    r#"{"type":"$tick"}"#,
    r#"{"type":"Maybe","time":1.6e12}"#,
    r#"{"type":"Maybe","time":1637866800000.5}"#,
    r#"{"type":"Maybe","time":"2021-11-25t19:00:00z","b":null,"i":null,"f":null,"s":null,"t":null,"d":null,"p":null,"e":null,"id":null}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","data":{"i":1,"s":"in data"},"s":"top","id":"ce-1","specversion":"1.0"}"#,
    r#"{"data":{"i":"wrong"},"type":"Maybe","time":"2021-11-25T19:00:00Z"}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","data":"not an object","d":"PT0S"}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","d":"P"}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","d":"PT"}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","d":"P1W"}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","d":"PT1S1M"}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","d":1e-4}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","d":9223372036854775.807}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","t":"2021-11-25T19:00:00"}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00.Z"}"#,
    r#"{"type":"Maybe","time":"2021-13-25T19:00:00Z"}"#,
    r#"{"type":"Maybe","time":"2021-11-25T24:00:00Z"}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","i":9007199254740993.0,"d":1e-400}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","f":1e400}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","i":1e99999999999999999999999}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","d":-0.0009,"i":-9.2233720368547758080e18}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","s":"\ud800"}"#,
    r#"{"type":"Maybe","time":"2021-11-25T19:00:00Z","s":"\ud83d\ude00"}"#,
    "",
    " \t\r",
    "\u{c}",
    "[1,2]",
    "\"a string\"",
    "{\"type\":\"Maybe\",",
    "{\"type\":\"Maybe\",\"time\":0}x",
];

#[test]
fn the_decoder_answers_every_line_as_the_spec_does() {
    for program in [kinds(), program()] {
        let mut inputs = kept("decode");
        inputs.push(KINDS_LINES.join("\n").into_bytes());
        inputs.push(SEMANTICS_LINES.join("\n").into_bytes());
        for input in &inputs {
            fuzzing::decode_like_the_spec(&program, input);
        }
    }
}

#[test]
fn bundles_are_refused_or_run_on_the_kept_inputs_and_seeds() {
    let program = program();
    let bundle = vigil_ir::bundle::encode(&program);
    let mut inputs = kept("bundle");
    inputs.push(bundle.clone());
    // Cut at every 97th byte, and with each 101st byte changed.
    for at in (0..bundle.len()).step_by(97) {
        inputs.push(bundle[..at].to_vec());
    }
    for at in (0..bundle.len()).step_by(101) {
        let mut changed = bundle.clone();
        changed[at] ^= 0x5a;
        inputs.push(changed);
    }
    for input in &inputs {
        fuzzing::bundle(input, &lines());
    }
}

#[test]
fn changed_checkpoints_are_restored_or_refused_on_the_kept_inputs_and_seeds() {
    let program = program();
    let mut inputs = kept("snapshot");
    // One byte at a time through the first 8 KiB of the checkpoint, set to 0xff and to 0.
    for at in (0..8192u16).step_by(7) {
        let [hi, lo] = at.to_be_bytes();
        inputs.push(vec![hi, lo, 0xff]);
        inputs.push(vec![hi, lo, 0]);
    }
    for input in &inputs {
        fuzzing::snapshot(&program, input, &lines());
    }
}

/// The reference decoder itself, on lines whose answer SPEC §7 spells out.
#[test]
fn the_reference_decoder_reads_the_spec() {
    use fuzzing::reference::{Answer, decode};
    use vigil_ir::Value;
    use vigil_runtime::RejectKind::*;
    let kinds = kinds();
    let maybe = |fields: &str| {
        let line = format!(r#"{{"type":"Maybe","time":"2021-11-25T19:00:00Z"{fields}}}"#);
        decode(&kinds, line.as_bytes())
    };
    let field = |fields: &str, i: usize| match maybe(fields) {
        Answer::Event { fields, .. } => fields[i].clone(),
        other => panic!("{fields}: {other:?}"),
    };
    assert_eq!(
        field(r#","i":9007199254740993.0"#, 1),
        Value::Int(9_007_199_254_740_993)
    );
    assert_eq!(field(r#","i":30e-1"#, 1), Value::Int(3));
    assert_eq!(field(r#","d":4.35"#, 5), Value::Duration(4350));
    assert_eq!(field(r#","d":-1.0019"#, 5), Value::Duration(-1001));
    assert_eq!(field(r#","d":"PT1M30.5S""#, 5), Value::Duration(90_500));
    assert_eq!(
        field(r#","t":"2016-12-31T23:59:60+08:00""#, 4),
        Value::Time(1_483_199_999_999)
    );
    assert_eq!(field(r#","id":"x""#, 13), Value::str("x"));
    assert_eq!(field(r#","u":"patrol""#, 8), Value::Unit(1));
    assert_eq!(
        field(r#","si":[3,1,3.0]"#, 10),
        Value::Set(std::sync::Arc::new(vigil_ir::SetValue::new(vec![
            Value::Int(1),
            Value::Int(3)
        ])))
    );
    for (fields, reason) in [
        (r#","i":3.5"#, WrongType),
        (r#","f":1e400"#, WrongType),
        (r#","d":"P1DT""#, WrongType),
        (r#","d":"PT1.5H30M""#, WrongType),
        (r#","t":"2021-11-25T19:00:00+24:00""#, BadTime),
        (r#","t":"10000-01-01T00:00:00Z""#, BadTime),
        (r#","id":7"#, WrongType),
    ] {
        assert_eq!(maybe(fields), Answer::Rejected(vec![reason]), "{fields}");
    }
    assert_eq!(decode(&kinds, b" \t\r"), Answer::Blank);
    assert_eq!(decode(&kinds, b"[1]"), Answer::Rejected(vec![NotJson]));
    assert_eq!(
        decode(&kinds, br#"{"type":"$tick","time":0}"#),
        Answer::Tick(0)
    );
}
