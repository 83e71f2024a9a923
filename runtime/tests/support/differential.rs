//! The differential generator and comparison of `runtime/tests/differential.rs`, shared with
//! the `jit` fuzz target (`fuzz/fuzz_targets/jit.rs`): random well-typed rule sets over random
//! events, run in the JIT, the interpreter and the coverage engine.

use std::fmt::Write as _;
use std::sync::Arc;

use proptest::prelude::*;
use vigil_compiler::load::compile_sources as compile;
use vigil_runtime::{Engine, EngineConfig, EngineKind};

const SCHEMA: &str = r#"
timezone "Asia/Shanghai"
unit desk
unit patrol
enum Category { a, b, c, d }
event E { s: str, t: str?, i: int, j: int?, f: float, g: float?, d: duration, b: bool, c: Category, p: point?, h: bool?, u: unit?, ss: set<str>?, sk: set<int>? }
map lim: str -> int = { "x": 1, "zé": -4, "": 9223372036854775807 }
map label: Category -> str = { a: "x", b: "zé", d: "" }
map who: int -> unit = { 0: patrol, 7: desk, -1: patrol }
map ok: str -> bool = { "x": true, "y": false }
map ratio: int -> float = { 1: 1.5, 2: -2.25 }
event F { s: str, i: int }
event G { k: int, m: int, i: int }
list names = ["x", "y", "zé", ""]
list codes = [1, 2, 3]
zone square = geojson("square.geojson")
"#;

const ZONE: &str = r#"{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]]]}"#;

pub const CASES: u32 = 2000;

/// A generated expression of a given type, as Vigil source.
fn int_expr(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        Just("e.i".to_string()),
        Just("(e.j ?? 0)".to_string()),
        Just("len(e.s)".to_string()),
        (-5i64..5).prop_map(|n| n.to_string()),
        Just("9223372036854775807".to_string()),
        Just("(0 - 9223372036854775807 - 1)".to_string()),
        Just("hour(e.time)".to_string()),
        Just("weekday(e.time)".to_string()),
        Just("minute(e.time)".to_string()),
        Just("seconds(e.d)".to_string()),
        // An absent condition takes the `else` branch; an absent branch makes the value absent.
        Just("(if e.h then e.i else 0)".to_string()),
        Just("(if e.b then e.j else e.i)".to_string()),
        // Map lookups (SPEC v0.2): absent without an entry.
        Just("(lim[e.s] ?? 0)".to_string()),
        Just("(lim[e.t ?? \"zé\"] ?? e.i)".to_string()),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let sub = int_expr(depth - 1);
    prop_oneof![
        3 => leaf,
        1 => (sub.clone(), prop::sample::select(vec!["+", "-", "*", "/", "%"]), sub.clone())
            .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
        1 => sub.clone().prop_map(|a| format!("abs({a})")),
        1 => sub.clone().prop_map(|a| format!("-{a}")),
        1 => (sub.clone(), sub.clone()).prop_map(|(a, b)| format!("min({a}, {b})")),
        1 => float_expr(depth - 1).prop_map(|f| format!("int({f})")),
        // Only the branch taken is evaluated: an overflow in the other must not count.
        // (The conditions are leaves: `bool_expr` builds `int_expr(1)`, which must not build it
        // back.)
        1 => (
            prop::sample::select(vec!["e.b", "not e.b", "e.h", "e.i > 0", "e.j > 2", "e.c == a"]),
            sub.clone(),
            sub.clone()
        )
            .prop_map(|(c, a, b)| format!("(if {c} then {a} else {b})")),
    ]
    .boxed()
}

fn float_expr(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        Just("e.f".to_string()),
        Just("(e.g ?? 0.5)".to_string()),
        Just("(ratio[e.i] ?? 0.5)".to_string()),
        prop::sample::select(vec!["0.0", "1.5", "-2.25", "1000000000000000000000.0"])
            .prop_map(String::from),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let sub = float_expr(depth - 1);
    prop_oneof![
        3 => leaf,
        1 => (sub.clone(), prop::sample::select(vec!["+", "-", "*", "/", "%"]), sub.clone())
            .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
        1 => int_expr(depth - 1).prop_map(|i| format!("float({i})")),
        1 => (sub.clone(), sub).prop_map(|(a, b)| format!("max({a}, {b})")),
    ]
    .boxed()
}

fn str_expr() -> BoxedStrategy<String> {
    prop_oneof![
        Just("e.s".to_string()),
        Just("e.t".to_string()),
        Just("(e.t ?? \"x\")".to_string()),
        prop::sample::select(vec!["\"x\"", "\"zé\"", "\"\"", "\"yy\""]).prop_map(String::from),
        Just("min(e.s, \"y\")".to_string()),
        Just("(label[e.c] ?? \"y\")".to_string()),
    ]
    .boxed()
}

fn bool_expr(depth: u32) -> BoxedStrategy<String> {
    let cmp = prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">="]);
    let leaf = prop_oneof![
        (int_expr(1), cmp.clone(), int_expr(1)).prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        (float_expr(1), cmp.clone(), float_expr(1)).prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        (str_expr(), cmp.clone(), str_expr()).prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        (
            Just("e.d"),
            cmp.clone(),
            prop::sample::select(vec!["30m", "1h", "0s"])
        )
            .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        // Bool fields, required and optional: the plan indexes `e.b`, `not e.b` and `e.h`
        // (never `not e.h`, which holds when `h` is absent).
        prop::sample::select(vec!["e.b", "not e.b", "e.h", "not e.h"]).prop_map(String::from),
        prop::sample::select(vec![
            "e.c == a",
            "e.c != b",
            "e.c in [a, c]",
            "e.c not in [d]"
        ])
        .prop_map(String::from),
        prop::sample::select(vec![
            "e.s in names",
            "e.t in names",
            "e.t not in names",
            "e.i in codes",
            "e.j not in codes",
            "e.s in [\"x\", \"q\"]",
            "e.t not in [\"x\"]",
            "exists(e.t)",
            "exists(e.p)",
            "within(e.p, square)",
            "contains(e.s, \"z\")",
            "starts_with(e.s, \"y\")",
            "ends_with(e.t ?? \"\", \"é\")",
            "matches(e.s, \"^[xy]+$\")",
            "distance(e.p ?? point(1.0, 1.0), point(2.0, 2.0)) < 200000.0",
            "distance(e.p, point(5.0, 5.0)) < 300000.0",
            "distance(e.p ?? point(0.0, 0.0), point(6.0, 6.0)) >= 400000.0",
            "distance(e.p ?? point(1.0, 1.0), point(2.0, 9.0)) <= e.f * 100000.0",
            "distance(e.p, point(11.0, 3.0)) > 500000.0",
            "e.time - e.time == 0s",
            "workday(e.time)",
            "not workday(e.time)",
            "e.p == point(5.0, 5.0)",
            // Units and maps (SPEC v0.2).
            "e.u == patrol",
            "e.u != desk",
            "(e.u ?? desk) == who[e.j ?? 0]",
            "(who[e.i] ?? desk) == patrol",
            "(ok[e.s] ?? false)",
            "exists(lim[e.s])",
            "lim[e.t] == 1",
            // Set fields (SPEC v0.2); an absent set holds nothing.
            "\"x\" in e.ss",
            "e.s not in e.ss",
            "e.i in e.sk",
            "e.j not in e.sk",
            "len(e.ss ?? []) >= 2",
            "len(e.sk) == 0",
            "intersects(e.ss, names)",
            "intersects(codes, e.sk ?? [1])",
            "intersects(e.ss, [\"zé\", \"q\"])",
            "intersects(e.sk, e.sk ?? [])",
        ])
        .prop_map(String::from),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let sub = bool_expr(depth - 1);
    prop_oneof![
        3 => leaf,
        1 => (sub.clone(), prop::sample::select(vec!["and", "or"]), sub.clone()).prop_map(|(a, op, b)| format!("({a} {op} {b})")),
        1 => sub.prop_map(|a| format!("not ({a})")),
    ]
    .boxed()
}

#[derive(Debug, Clone)]
pub struct Case {
    pub rules: String,
    pub events: Vec<String>,
}

fn event_line() -> impl Strategy<Value = (i64, String)> {
    (
        0i64..5_000,
        prop::sample::select(vec!["x", "y", "zé", "", "xyx", "q\\\"uote"]),
        prop::option::of(prop::sample::select(vec!["x", "zé", "w"])),
        prop::sample::select(vec![
            0i64,
            1,
            -1,
            2,
            7,
            9_223_372_036_854_775_807,
            -9_223_372_036_854_775_808,
        ]),
        prop::option::of(prop::sample::select(vec![0i64, 3, -4])),
        prop::sample::select(vec!["0.0", "1.5", "-3.5", "1e300"]),
        prop::option::of(prop::sample::select(vec!["0.0", "2.5"])),
        prop::sample::select(vec![0i64, 600, 3600, 7200]),
        any::<bool>(),
        prop::sample::select(vec!["a", "b", "c", "d"]),
        prop::option::of((0.0f64..12.0, 0.0f64..12.0)),
        (
            prop::option::of(any::<bool>()),
            prop::option::of(prop::sample::select(vec!["desk", "patrol"])),
            prop::option::of(prop::collection::vec(
                prop::sample::select(vec!["x", "zé", "", "q"]),
                0..4,
            )),
            prop::option::of(prop::collection::vec(
                prop::sample::select(vec![-1i64, 0, 1, 3, 9_223_372_036_854_775_807]),
                0..4,
            )),
        ),
    )
        .prop_map(|(dt, s, t, i, j, f, g, d, b, c, p, (h, u, ss, sk))| {
            let mut line = format!(
                r#"{{"type":"E","time":{},"s":"{s}","i":{i},"f":{f},"d":{d},"b":{b},"c":"{c}""#,
                1_637_800_000_000i64 + dt * 1000
            );
            if let Some(t) = t {
                let _ = write!(line, r#","t":"{t}""#);
            }
            if let Some(j) = j {
                let _ = write!(line, r#","j":{j}"#);
            }
            if let Some(g) = g {
                let _ = write!(line, r#","g":{g}"#);
            }
            if let Some((lat, lon)) = p {
                let _ = write!(line, r#","p":{{"lat":{lat},"lon":{lon}}}"#);
            }
            if let Some(h) = h {
                let _ = write!(line, r#","h":{h}"#);
            }
            if let Some(u) = u {
                let _ = write!(line, r#","u":"{u}""#);
            }
            if let Some(ss) = ss {
                let members: Vec<String> = ss.iter().map(|m| format!("\"{m}\"")).collect();
                let _ = write!(line, r#","ss":[{}]"#, members.join(","));
            }
            if let Some(sk) = sk {
                let members: Vec<String> = sk.iter().map(ToString::to_string).collect();
                let _ = write!(line, r#","sk":[{}]"#, members.join(","));
            }
            line.push('}');
            (dt, line)
        })
}

/// An `F` event: the second step of the generated sequences.
fn f_line() -> impl Strategy<Value = (i64, String)> {
    (
        0i64..5_000,
        prop::sample::select(vec!["x", "y", "zé", ""]),
        prop::sample::select(vec![-1i64, 0, 5, 9_223_372_036_854_775_807]),
    )
        .prop_map(|(dt, s, i)| {
            let time = 1_637_800_000_000i64 + dt * 1000;
            (
                dt,
                format!(r#"{{"type":"F","time":{time},"s":"{s}","i":{i}}}"#),
            )
        })
}

/// A `G` event. `G.i` is field 2 like `E.i`, but at another word of the row: a condition on
/// one that reads like one on the other (`e.i >= 1`) must not share its code.
fn g_line() -> impl Strategy<Value = (i64, String)> {
    (0i64..5_000, -3i64..4, -3i64..4).prop_map(|(dt, k, i)| {
        let time = 1_637_800_000_000i64 + dt * 1000;
        (
            dt,
            format!(r#"{{"type":"G","time":{time},"k":{k},"m":{k},"i":{i}}}"#),
        )
    })
}

/// A condition that reads alike on an `E` and a `G` (binding `e`): one rule of each type has
/// it. (`e.i % 5`, not `e.i`: a bare `e.i >= 2` is a range test, which has no compiled code.)
fn alike_cond() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">="]),
        -3i64..4,
    )
        .prop_map(|(op, n)| format!("e.i % 5 {op} {n}"))
}

/// Conditions whose first conjunct bounds an integer field (`e.i >= 2`, `30m > e.d`): with
/// several alike, the plan tests them as a range group, a binary search over their bounds.
fn range_conds() -> impl Strategy<Value = Vec<String>> {
    let bound = prop_oneof![
        (
            prop::sample::select(vec!["e.i", "e.j"]),
            prop::sample::select(vec![
                "-3",
                "-1",
                "0",
                "1",
                "2",
                "7",
                "9223372036854775807",
                "-9223372036854775807"
            ])
        ),
        (
            Just("e.d"),
            prop::sample::select(vec!["0s", "10m", "1h", "2h"])
        ),
    ];
    let cond = (
        bound,
        prop::sample::select(vec!["<", "<=", ">", ">="]),
        any::<bool>(),
        prop::option::of(bool_expr(0)),
    )
        .prop_map(|((field, constant), op, flipped, rest)| {
            let first = if flipped {
                format!("{constant} {op} {field}")
            } else {
                format!("{field} {op} {constant}")
            };
            match rest {
                Some(rest) => format!("{first} and {rest}"),
                None => first,
            }
        });
    proptest::collection::vec(cond, 0..6)
}

/// A window's `having`. Count-only forms are judged on the window's length (mirrored ones
/// too); the last two go through the interpreter.
fn having() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "count() >= 2",
        "count() > 2",
        "count() == 3",
        "count() != 1",
        "count() < 2",
        "count() <= 1",
        "2 <= count()",
        "3 > count()",
        "count() >= 2 and count() < 4",
        "count() + 0 >= 2",
    ])
}

pub fn case() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec(bool_expr(2), 1..5),
        bool_expr(1),
        // The first steps of three sequences: two gated by the dispatch plan (their type fills
        // no other step), one offered every event.
        [bool_expr(1), bool_expr(1), bool_expr(1)],
        // Two window rules grouping alike: they share their groups (`windows.rs`).
        (having(), bool_expr(1), having()),
        proptest::collection::vec(
            prop_oneof![3 => event_line(), 1 => f_line(), 1 => g_line()],
            1..25,
        ),
        (alike_cond(), range_conds()),
    )
        .prop_map(|(conds, window_cond, [q1, q2, q3], (having, cond2, having2), mut events, (g, ranges))| {
            let mut rules = String::new();
            for (k, c) in ranges.iter().enumerate() {
                let _ = writeln!(rules, "rule b{k} {{\n  when e: E where {c}\n  alert desk message \"{{e.i}} {{e.d}}\"\n}}");
            }
            for (k, c) in conds.iter().enumerate() {
                let _ = writeln!(rules, "rule r{k} {{\n  when e: E where {c}\n  alert desk message \"{{e.s}} {{e.i}}\"\n}}");
            }
            let _ = writeln!(
                rules,
                "rule re {{\n  when e: E where {g}\n  alert desk message \"{{e.i}}\"\n}}"
            );
            let _ = writeln!(
                rules,
                "rule rg {{\n  when e: G where {g} and e.m > -3\n  alert desk message \"{{e.i}}\"\n}}"
            );
            let _ = writeln!(
                rules,
                "rule w {{\n  when e: E where {window_cond}\n    group by e.c within 1h having {having}\n  alert desk message \"{{key}} {{count()}}\"\n}}"
            );
            let _ = writeln!(
                rules,
                "rule w2 {{\n  when e: E where {cond2}\n    group by e.c within 1h having {having2}\n  alert desk message \"{{key}} {{count()}} {{e.i}}\"\n}}"
            );
            let _ = writeln!(
                rules,
                "rule q1 {{\n  when sequence by s within 1h\n    e: E where {q1}\n    then f: F where f.i > e.i\n  alert desk message \"{{key}} {{e.i}} {{f.i}}\"\n}}"
            );
            let _ = writeln!(
                rules,
                "rule q2 {{\n  when sequence by s within 30m\n    e: E where {q2}\n    then not F\n  alert desk message \"{{key}} {{e.c}}\"\n}}"
            );
            let _ = writeln!(
                rules,
                "rule q3 {{\n  when sequence by s within 1h\n    e: E where {q3}\n    then g: E where g.i != e.i\n  alert desk message \"{{key}} {{g.i}}\"\n}}"
            );
            events.sort_by_key(|(t, _)| *t);
            Case {
                rules,
                events: events.into_iter().map(|(_, l)| l).collect(),
            }
        })
}

/// A directory holding the zone file, written once (tests run in parallel).
fn zone_dir() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("vigil-diff-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("square.geojson"), ZONE).expect("zone file");
        dir
    })
}

/// The program of `case`: its rules over the generator's schema.
pub fn program(case: &Case) -> Result<Arc<vigil_ir::Program>, String> {
    let schema_path = zone_dir().join("schema.vigil");
    let schema_name = schema_path.to_string_lossy().into_owned();
    compile(&[(schema_name.as_str(), SCHEMA), ("rules.vigil", &case.rules)]).map(Arc::new)
}

/// Records (JSON) and error counts of `case` in one engine.
pub fn run(case: &Case, kind: EngineKind) -> Result<(Vec<String>, String), String> {
    let mut engine = Engine::new(
        program(case)?,
        EngineConfig {
            engine: kind,
            ..EngineConfig::default()
        },
    );
    if kind == EngineKind::Jit {
        let (compiled, total, _) = engine.jit_report()?;
        // Every construct the generator uses is one the JIT compiles: a conjunct left to the
        // interpreter would make the comparison vacuous.
        if compiled != total {
            return Err(format!(
                "only {compiled} of {total} conditions were compiled:\n{}",
                case.rules
            ));
        }
    }
    let mut out = Vec::new();
    for l in &case.events {
        engine.push_line(l.as_bytes());
        let recs = engine.take_records();
        out.extend(recs.iter().map(|r| engine.to_json(r)));
    }
    engine.finish();
    let recs = engine.take_records();
    out.extend(recs.iter().map(|r| engine.to_json(r)));
    Ok((
        out,
        format!(
            "{:?} {:?}",
            engine.stats().eval_errors,
            engine.stats().rejected
        ),
    ))
}

pub fn fixture(case: &Case) -> String {
    let mut s = String::from("--- rules\n");
    s.push_str(&case.rules);
    s.push_str("--- events\n");
    for e in &case.events {
        s.push_str(e);
        s.push('\n');
    }
    s
}

pub fn parse_fixture(text: &str) -> Case {
    let rules_start = text.find("--- rules\n").map_or(0, |i| i + 10);
    let events_at = text.find("--- events\n").unwrap_or(text.len());
    Case {
        rules: text[rules_start..events_at].to_string(),
        events: text[(events_at + 11).min(text.len())..]
            .lines()
            .map(str::to_string)
            .collect(),
    }
}

pub fn same(case: &Case) -> Result<(), String> {
    let jit = run(case, EngineKind::Jit)?;
    let interp = run(case, EngineKind::Interp)?;
    if jit != interp {
        return Err(format!(
            "the JIT and the interpreter disagree. Save this as runtime/tests/differential/<name>.case:\n{}\njit:    {:#?}\ninterp: {:#?}",
            fixture(case),
            jit,
            interp
        ));
    }
    // Coverage evaluates every clause in the interpreter, a count-only `having` too, and
    // offers a sequence every event of its types: the reference for the engines' shortcuts
    // that judge such a `having` on the window's length and gate a sequence's first step in
    // the dispatch plan. (Its error counts differ: it evaluates both sides of an `and`.)
    let coverage = run(case, EngineKind::Coverage)?;
    if coverage.0 != interp.0 {
        return Err(format!(
            "a shortcut (a having judged on the window's length, a sequence gated by the plan, or a range group of the plan) disagrees with full evaluation. Save this as runtime/tests/differential/<name>.case:\n{}\nshortcut:  {:#?}\nevaluated: {:#?}",
            fixture(case),
            interp.0,
            coverage.0
        ));
    }
    Ok(())
}
