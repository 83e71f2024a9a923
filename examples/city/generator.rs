//! A deterministic generator of a synthetic event stream for a city operations centre in
//! Shenzhen (UTC+08:00), written for the rules library in `rules/`.
//!
//! The stream has every event type of `rules/common/` with daily rhythms (quiet nights, rush
//! hours, evening events), background traffic that must not trigger any rule (including
//! near-misses just on the safe side of each threshold), small out-of-order arrivals (at most
//! [`MAX_DISORDER_MS`]), a few malformed lines each day, and planted situations that the rules
//! and workflows must catch. [`generate`] returns the planted situations so that a run over
//! the stream can be checked against them.
//!
//! Only the standard library is used: the pseudo-random numbers come from SplitMix64, seeded
//! per domain and per day, so the same configuration always gives byte-identical output and
//! changing one domain leaves the others' events unchanged.
//!
//! Shared by the `city` example (`examples/city/main.rs`) and the test `tests/city.rs`.

#![allow(dead_code)]

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::fmt::Write as _;

pub const SEC: i64 = 1_000;
pub const MIN: i64 = 60 * SEC;
pub const HOUR: i64 = 60 * MIN;
pub const DAY: i64 = 24 * HOUR;
/// Shenzhen's offset from UTC.
pub const OFFSET: i64 = 8 * HOUR;
/// Events arrive at most this much after events with later times (the run's `--lateness`
/// must be at least this).
pub const MAX_DISORDER_MS: i64 = 5 * SEC;
/// The lateness the README and the test run with (`--lateness 10s`).
pub const LATENESS: &str = "10s";
pub const LATENESS_MS: i64 = 10 * SEC;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    /// Number of days.
    pub days: u32,
    /// Seed of every random choice.
    pub seed: u64,
    /// The first day's local midnight, in epoch milliseconds.
    pub start: i64,
}

impl Config {
    /// `days` days from Monday 13 June 2022 (a span without public holidays).
    pub fn new(days: u32, seed: u64) -> Config {
        Config {
            days,
            seed,
            start: parse_date("2022-06-13").unwrap_or(0),
        }
    }
}

/// `YYYY-MM-DD` as the epoch milliseconds of that day's local midnight.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if it.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m, d) * DAY - OFFSET)
}

/// One planted situation: the record that must appear in the run's output.
#[derive(Debug, Clone, PartialEq)]
pub struct Planted {
    /// `alert` or `transition`.
    pub kind: &'static str,
    /// For an alert: the rule, or the workflow with `state`; for a transition: the workflow.
    pub rule: Option<&'static str>,
    pub workflow: Option<&'static str>,
    /// The state of a workflow alert, or the state a transition enters.
    pub state: Option<&'static str>,
    /// The alert's or instance's key; `None` for a rule without a key.
    pub key: Option<String>,
    /// The record's time lies in `[from, until]`.
    pub from: i64,
    pub until: i64,
    /// What was planted, in words.
    pub situation: String,
}

impl Planted {
    /// One JSON line (no newline).
    pub fn to_json(&self) -> String {
        let mut o = String::from("{\"kind\":");
        push_json_str(&mut o, self.kind);
        if let Some(r) = self.rule {
            o.push_str(",\"rule\":");
            push_json_str(&mut o, r);
        }
        if let Some(w) = self.workflow {
            o.push_str(",\"workflow\":");
            push_json_str(&mut o, w);
        }
        if let Some(s) = self.state {
            o.push_str(if self.kind == "transition" {
                ",\"to\":"
            } else {
                ",\"state\":"
            });
            push_json_str(&mut o, s);
        }
        o.push_str(",\"key\":");
        match &self.key {
            Some(k) => push_json_str(&mut o, k),
            None => o.push_str("null"),
        }
        o.push_str(",\"from\":");
        push_json_str(&mut o, &rfc3339(self.from));
        o.push_str(",\"until\":");
        push_json_str(&mut o, &rfc3339(self.until));
        o.push_str(",\"situation\":");
        push_json_str(&mut o, &self.situation);
        o.push('}');
        o
    }
}

/// Counts of what was written.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Lines written (events, malformed and blank lines).
    pub lines: u64,
    /// Well-formed events by type.
    pub events: BTreeMap<&'static str, u64>,
    /// Malformed lines (each the runtime must reject), and blank lines.
    pub malformed: u64,
    pub blank: u64,
    /// Events written after an event with a later time.
    pub out_of_order: u64,
}

/// Generates the stream: each line (without newline) goes to `sink`, in arrival order.
/// Returns the planted situations, sorted by time, and the counts.
pub fn generate(cfg: &Config, sink: &mut dyn FnMut(&str)) -> (Vec<Planted>, Summary) {
    let mut g = Gen::new(cfg, sink);
    g.plan();
    for day in 0..cfg.days {
        g.background(day);
        if day + 1 == cfg.days {
            g.closing();
        }
        let next = g.day_start(day + 1);
        g.out.flush_before(next);
    }
    g.out.flush_before(i64::MAX);
    let mut planted = std::mem::take(&mut g.planted);
    planted.sort_by_key(|p| (p.from, p.until));
    let summary = std::mem::take(&mut g.out.summary);
    (planted, summary)
}

// ---------------------------------------------------------------------------------------------
// Time

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The local day number (days since 1970-01-01 in local time).
fn local_day(ms: i64) -> i64 {
    (ms + OFFSET).div_euclid(DAY)
}

/// Local hour of day.
pub fn hour(ms: i64) -> i64 {
    (ms + OFFSET).rem_euclid(DAY) / HOUR
}

/// ISO weekday (Monday 1 to Sunday 7) in local time.
pub fn weekday(ms: i64) -> i64 {
    (local_day(ms) + 3).rem_euclid(7) + 1
}

/// RFC 3339 in +08:00, with milliseconds only when there are some.
pub fn rfc3339(ms: i64) -> String {
    let local = ms + OFFSET;
    let (y, m, d) = civil_from_days(local.div_euclid(DAY));
    let in_day = local.rem_euclid(DAY);
    let (h, mi, s, milli) = (
        in_day / HOUR,
        in_day / MIN % 60,
        in_day / SEC % 60,
        in_day % SEC,
    );
    if milli == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}+08:00")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}+08:00")
    }
}

/// `YYYYMMDD` of the local day of `ms`.
fn ymd(ms: i64) -> String {
    let (y, m, d) = civil_from_days(local_day(ms));
    format!("{y:04}{m:02}{d:02}")
}

/// Working days of the rule set's calendar (`rules/common/calendars/`): weekends are rest days
/// unless listed as `workday`, listed `holiday`s are rest days.
struct Calendar {
    days: HashMap<i64, bool>,
}

impl Calendar {
    fn new() -> Calendar {
        let text = include_str!("../../rules/common/calendars/cn-2021-2022.txt");
        let mut days = HashMap::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let mut parts = line.split_whitespace();
            let (Some(date), Some(kind)) = (parts.next(), parts.next()) else {
                continue;
            };
            if let Some(ms) = parse_date(date) {
                days.insert(local_day(ms), kind == "workday");
            }
        }
        Calendar { days }
    }

    fn is_workday(&self, day: i64) -> bool {
        match self.days.get(&day) {
            Some(w) => *w,
            None => (day + 3).rem_euclid(7) < 5,
        }
    }

    /// SPEC §5: the end of the `n`-th working day after the day of `entered`.
    fn due(&self, entered: i64, n: u32) -> i64 {
        let mut day = local_day(entered);
        let mut counted = 0;
        while counted < n {
            day += 1;
            if self.is_workday(day) {
                counted += 1;
            }
        }
        (day + 1) * DAY - OFFSET
    }
}

// ---------------------------------------------------------------------------------------------
// Random numbers

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, and good enough for synthetic data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator for one domain and day of a run.
    /// A stream of its own for one thing (an incident, a case), named by its id: what it
    /// draws does not depend on how many other things came before.
    fn of(seed: u64, domain: u64, id: &str) -> Rng {
        let tag = id.bytes().fold(2_166_136_261_u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(16_777_619)
        });
        Rng::stream(seed, domain, tag)
    }

    fn stream(seed: u64, domain: u64, day: u32) -> Rng {
        let mut r = Rng(seed ^ domain.wrapping_mul(0xA076_1D64_78BD_642F));
        let a = r.next_u64();
        Rng(a ^ u64::from(day).wrapping_mul(0xE703_7ED1_A0B4_28DB))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// Uniform in `lo..hi` (`lo` when the range is empty).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo) as u64) as i64
    }

    fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }

    fn gauss(&mut self) -> f64 {
        let u1 = self.f64().max(1e-12);
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 30.0 {
            return (lambda + lambda.sqrt() * self.gauss()).round().max(0.0) as u64;
        }
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = self.f64();
        while p > limit {
            k += 1;
            p *= self.f64();
        }
        k
    }

    /// `n` digits.
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize]))
            .collect()
    }
}

// Domains: each has its own random stream per day.
const D_CALLS: u64 = 1;
const D_FRAUD: u64 = 2;
const D_INCIDENTS: u64 = 3;
const D_SURGE: u64 = 4;
const D_REPEAT: u64 = 5;
const D_VIOLENT: u64 = 6;
const D_MISSING: u64 = 7;
const D_AIS: u64 = 8;
const D_RADAR: u64 = 9;
const D_CHECKPOINTS: u64 = 10;
const D_VENUE: u64 = 11;
const D_SCHOOLS: u64 = 12;
const D_POLICE_MEDIATION: u64 = 13;
const D_PEOPLE_MEDIATION: u64 = 14;
const D_MALFORMED: u64 = 15;
const D_DISORDER: u64 = 16;
const D_WARNINGS: u64 = 17;
const D_TRANSFERS: u64 = 18;
const D_WATCH: u64 = 19;

/// Relative activity by local hour: quiet nights, morning and evening rush hours.
const ACTIVITY: [f64; 24] = [
    0.25, 0.15, 0.1, 0.08, 0.08, 0.15, 0.4, 0.9, 1.6, 1.5, 1.3, 1.3, 1.2, 1.2, 1.3, 1.3, 1.4, 1.6,
    1.7, 1.5, 1.2, 1.0, 0.7, 0.4,
];

/// Calls by local hour.
const CALL_ACTIVITY: [f64; 24] = [
    0.15, 0.08, 0.05, 0.05, 0.05, 0.1, 0.3, 0.7, 1.2, 1.5, 1.6, 1.5, 1.2, 1.3, 1.5, 1.5, 1.4, 1.3,
    1.2, 1.1, 1.0, 0.8, 0.5, 0.3,
];

/// Incidents by local hour: evenings and nights are busier.
const INCIDENT_ACTIVITY: [f64; 24] = [
    0.9, 0.7, 0.5, 0.4, 0.3, 0.3, 0.4, 0.6, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.2, 1.3,
    1.4, 1.5, 1.5, 1.4, 1.2,
];

/// A time in `[day0 + lo_h, day0 + hi_h)` drawn from an hourly profile, at whole seconds.
fn time_in(rng: &mut Rng, day0: i64, lo_h: i64, hi_h: i64, profile: &[f64; 24]) -> i64 {
    let total: f64 = (lo_h..hi_h).map(|h| profile[h as usize % 24]).sum();
    let mut x = rng.f64() * total;
    for h in lo_h..hi_h {
        let w = profile[h as usize % 24];
        if x < w {
            return day0 + h * HOUR + rng.range(0, 3600) * SEC;
        }
        x -= w;
    }
    day0 + lo_h * HOUR + rng.range(0, 3600) * SEC
}

// ---------------------------------------------------------------------------------------------
// Output

fn push_json_str(o: &mut String, s: &str) {
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
}

/// How a source writes its times.
#[derive(Clone, Copy)]
enum Stamp {
    Rfc3339,
    EpochMs,
}

/// One JSON object under construction.
struct J {
    ty: &'static str,
    time: i64,
    s: String,
    close: &'static str,
}

impl J {
    fn new(ty: &'static str, time: i64, stamp: Stamp) -> J {
        let mut s = String::with_capacity(192);
        s.push_str("{\"type\":\"");
        s.push_str(ty);
        s.push_str("\",\"time\":");
        match stamp {
            Stamp::Rfc3339 => push_json_str(&mut s, &rfc3339(time)),
            Stamp::EpochMs => {
                let _ = write!(s, "{time}");
            }
        }
        J {
            ty,
            time,
            s,
            close: "}",
        }
    }

    /// A CloudEvents envelope (structured mode): the fields go under `data`.
    fn cloud(ty: &'static str, time: i64, id: &str, source: &str) -> J {
        let mut s = String::with_capacity(256);
        s.push_str("{\"specversion\":\"1.0\",\"id\":");
        push_json_str(&mut s, id);
        s.push_str(",\"source\":");
        push_json_str(&mut s, source);
        s.push_str(",\"type\":\"");
        s.push_str(ty);
        s.push_str("\",\"time\":");
        push_json_str(&mut s, &rfc3339(time));
        s.push_str(",\"datacontenttype\":\"application/json\",\"data\":{");
        J {
            ty,
            time,
            s,
            close: "}}",
        }
    }

    fn sep(&mut self) {
        if !self.s.ends_with('{') {
            self.s.push(',');
        }
    }

    fn key(&mut self, k: &str) {
        self.sep();
        self.s.push('"');
        self.s.push_str(k);
        self.s.push_str("\":");
    }

    fn str(mut self, k: &str, v: &str) -> J {
        self.key(k);
        push_json_str(&mut self.s, v);
        self
    }

    fn int(mut self, k: &str, v: i64) -> J {
        self.key(k);
        let _ = write!(self.s, "{v}");
        self
    }

    fn float(mut self, k: &str, v: f64, decimals: usize) -> J {
        self.key(k);
        let _ = write!(self.s, "{v:.decimals$}");
        self
    }

    fn bool(mut self, k: &str, v: bool) -> J {
        self.key(k);
        self.s.push_str(if v { "true" } else { "false" });
        self
    }

    fn null(mut self, k: &str) -> J {
        self.key(k);
        self.s.push_str("null");
        self
    }

    fn point(mut self, k: &str, lat: f64, lon: f64) -> J {
        self.key(k);
        let _ = write!(self.s, "{{\"lat\":{lat:.5},\"lon\":{lon:.5}}}");
        self
    }

    fn raw(mut self, k: &str, v: &str) -> J {
        self.key(k);
        self.s.push_str(v);
        self
    }

    fn line(mut self) -> String {
        self.s.push_str(self.close);
        self.s
    }
}

/// A line waiting for its arrival: (arrival, creation number, the event's time unless the
/// line is malformed, the line).
type Pending = (i64, u64, Option<i64>, String);

/// Lines waiting for their arrival, in (arrival, creation) order.
struct Out<'a> {
    /// (arrival, creation, event time for events, line)
    heap: BinaryHeap<Reverse<Pending>>,
    seq: u64,
    start: i64,
    end: i64,
    disorder: Rng,
    sink: &'a mut dyn FnMut(&str),
    summary: Summary,
    max_time_written: i64,
}

impl Out<'_> {
    /// An event line; dropped when its time is outside the generated span. About 4% of the
    /// events arrive up to `MAX_DISORDER_MS` late.
    fn event(&mut self, j: J) {
        let (ty, time) = (j.ty, j.time);
        if time < self.start || time >= self.end {
            return;
        }
        let delay = if self.disorder.chance(0.04) {
            self.disorder.range(1, MAX_DISORDER_MS + 1)
        } else {
            0
        };
        *self.summary.events.entry(ty).or_insert(0) += 1;
        self.seq += 1;
        self.heap
            .push(Reverse((time + delay, self.seq, Some(time), j.line())));
    }

    /// A line that is not a well-formed event (or a blank line), arriving at `arrival`.
    fn malformed(&mut self, arrival: i64, line: String) {
        if arrival < self.start || arrival >= self.end {
            return;
        }
        if line.trim().is_empty() {
            self.summary.blank += 1;
        } else {
            self.summary.malformed += 1;
        }
        self.seq += 1;
        self.heap.push(Reverse((arrival, self.seq, None, line)));
    }

    fn flush_before(&mut self, t: i64) {
        while let Some(Reverse((arrival, _, _, _))) = self.heap.peek() {
            if *arrival >= t {
                break;
            }
            let Some(Reverse((_, _, time, line))) = self.heap.pop() else {
                break;
            };
            if let Some(time) = time {
                if time < self.max_time_written {
                    self.summary.out_of_order += 1;
                }
                self.max_time_written = self.max_time_written.max(time);
            }
            self.summary.lines += 1;
            (self.sink)(&line);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The city

struct District {
    name: &'static str,
    busy: bool,
    /// (police station, street office, roads)
    areas: &'static [(&'static str, &'static str, &'static [&'static str])],
}

const DISTRICTS: &[District] = &[
    District {
        name: "福田区",
        busy: true,
        areas: &[
            (
                "华强北派出所",
                "华强北街道",
                &["华强北路", "振华路", "燕南路", "深南中路"],
            ),
            (
                "福田派出所",
                "福田街道",
                &["福华三路", "金田路", "益田路", "福民路"],
            ),
            (
                "香蜜湖派出所",
                "香蜜湖街道",
                &["农林路", "侨香路", "香梅路"],
            ),
        ],
    },
    District {
        name: "罗湖区",
        busy: false,
        areas: &[
            ("东门派出所", "东门街道", &["解放路", "东门中路", "湖贝路"]),
            ("翠竹派出所", "翠竹街道", &["翠竹路", "太宁路", "爱国路"]),
        ],
    },
    District {
        name: "南山区",
        busy: true,
        areas: &[
            (
                "粤海派出所",
                "粤海街道",
                &["高新南七道", "科苑路", "海德三道", "后海大道"],
            ),
            (
                "南头派出所",
                "南头街道",
                &["南头街", "中山东街", "深南大道"],
            ),
            ("蛇口派出所", "招商街道", &["工业八路", "望海路", "太子路"]),
        ],
    },
    District {
        name: "盐田区",
        busy: false,
        areas: &[(
            "沙头角派出所",
            "沙头角街道",
            &["沙盐路", "海景二路", "东和路"],
        )],
    },
    District {
        name: "宝安区",
        busy: true,
        areas: &[
            ("新安派出所", "新安街道", &["翻身路", "新湖路", "创业二路"]),
            (
                "西乡派出所",
                "西乡街道",
                &["宝民二路", "西乡大道", "固戍一路"],
            ),
        ],
    },
    District {
        name: "龙岗区",
        busy: true,
        areas: &[
            ("布吉派出所", "布吉街道", &["大芬村", "布吉路", "吉华路"]),
            ("龙城派出所", "龙城街道", &["龙翔大道", "清林路", "黄阁路"]),
        ],
    },
    District {
        name: "龙华区",
        busy: false,
        areas: &[
            ("民治派出所", "民治街道", &["民康路", "人民路", "民治大道"]),
            ("大浪派出所", "大浪街道", &["华繁路", "浪荣路"]),
        ],
    },
    District {
        name: "坪山区",
        busy: false,
        areas: &[("坪山派出所", "坪山街道", &["东纵路", "坪山大道"])],
    },
    District {
        name: "光明区",
        busy: false,
        areas: &[("光明派出所", "光明街道", &["光明大街", "华夏路"])],
    },
    District {
        name: "大鹏新区",
        busy: false,
        areas: &[("大鹏派出所", "大鹏街道", &["鹏飞路", "中山路"])],
    },
];

/// `rules/preventable/incidents.vigil`: DISTRICT_DAILY_SURGE and BUSY_DISTRICT_DAILY_SURGE.
fn surge_threshold(d: &District) -> usize {
    if d.busy { 12 } else { 8 }
}

const PREVENTABLE: &[(&str, u32)] = &[
    ("theft", 25),
    ("ebike_theft", 20),
    ("dispute", 20),
    ("noise", 20),
    ("burglary", 8),
    ("fraud", 7),
];

fn weighted<'a>(rng: &mut Rng, xs: &'a [(&'a str, u32)]) -> &'a str {
    let total: u32 = xs.iter().map(|x| x.1).sum();
    let mut n = rng.below(u64::from(total)) as u32;
    for (name, w) in xs {
        if n < *w {
            return name;
        }
        n -= w;
    }
    xs[0].0
}

/// Lists of `rules/` that the background must avoid, and the planted situations use.
const FRAUD_NUMBERS: &[&str] = &[
    "+8617000000001",
    "+8617000000002",
    "+8617189023456",
    "+8616512345678",
    "+85262345678",
    "+63912345678",
];
const TRUSTED_CALLERS: &[&str] = &["+8675512345", "+8675588888000", "+8612333"];
const WATCHLIST_PLATES: &[&str] = &["粤B8K2X7", "粤B12345", "粤BD09876", "湘A7Q3M9", "赣B5E821"];
const EVENT_WATCHLIST: &[&str] = &[
    "9f2c4e7a1b3d5f60",
    "4a8b2c1d9e7f6a53",
    "c0ffee12ab34cd56",
    "77e1d3a9b5c2f804",
];
const AUTHORISED_VESSELS: &[(&str, &str)] = &[
    ("413900001", "大亚湾核电工作船1号"),
    ("413900002", "大亚湾核电工作船2号"),
];

const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "158", "159", "177", "180", "181", "185", "186", "187", "188", "189", "199",
];

const BANKS: &[(&str, &str)] = &[
    ("工商银行深圳分行", "ICBC"),
    ("建设银行深圳分行", "CCB"),
    ("农业银行深圳分行", "ABC"),
    ("中国银行深圳分行", "BOC"),
    ("招商银行深圳分行", "CMB"),
    ("平安银行深圳分行", "PAB"),
];

const ENTRY_CHECKPOINTS: &[&str] = &["梅林查报站", "南头查报站", "布吉查报站", "沙湾查报站"];
const INNER_CHECKPOINTS: &[&str] = &["皇岗路北卡口", "深南大道车公庙卡口", "北环大道香蜜湖卡口"];
const OTHER_CAMERAS: &[&str] = &[
    "滨海大道科苑卡口",
    "南坪快速大学城卡口",
    "机荷高速清湖卡口",
    "沈海高速鹤洲卡口",
];
const INSPECTION_POINT: &str = "清水河货车查验站";

/// Cameras at the Shenzhen Bay Sports Centre: (id, position, inside the security core area).
const CAMERAS: &[(&str, f64, f64, bool)] = &[
    ("SZB-CAM-01 北广场", 22.5195, 113.9440, true),
    ("SZB-CAM-02 东入口", 22.5170, 113.9472, true),
    ("SZB-CAM-03 南入口", 22.5146, 113.9440, true),
    ("SZB-CAM-04 西广场", 22.5170, 113.9410, true),
    ("SZB-CAM-05 春茧内场通道", 22.5172, 113.9442, true),
    ("SZB-CAM-06 体育场看台入口", 22.5160, 113.9455, true),
    ("SZB-CAM-07 后海地铁站C出口", 22.5210, 113.9380, false),
    ("SZB-CAM-08 滨海大道人行天桥", 22.5120, 113.9440, false),
];
const VENUE_GATES: &[&str] = &["北1号门", "北2号门", "东门", "南1号门", "南2号门", "西门"];

const SCHOOLS: &[&str] = &[
    "南山实验学校",
    "深圳湾学校",
    "荔园小学",
    "红岭中学",
    "翠园中学",
    "深圳小学",
    "宝安中学",
    "龙岗区实验学校",
    "福田外国语学校",
    "华富小学",
    "百花小学",
    "南头城小学",
];
const SCHOOL_GATES: &[&str] = &["正门", "东门", "北门", "西门"];
const GUARDS: &[&str] = &[
    "保安 王建国",
    "保安 李志强",
    "保安 陈伟",
    "校警 刘洋",
    "保安 黄海",
];

/// Radar watch areas inside `coastal_watch`: (track prefix, lat range, lon range).
type Range = (f64, f64);

/// The coastal stations that keep a watch, and the four crews of each (DOMAIN: 6-hour shifts).
const WATCH_STATIONS: &[&str] = &["大鹏海防站", "蛇口海防站"];
const CREWS: &[&str] = &["一班", "二班", "三班", "四班"];

const WATCH_AREAS: &[(&str, Range, Range)] = &[
    ("SZB", (22.45, 22.50), (113.90, 114.00)),
    ("MRS", (22.46, 22.54), (114.30, 114.48)),
    ("DYB", (22.50, 22.68), (114.58, 114.70)),
];

/// (place, description, terrain): the terrain decides which teams search
/// (`rules/missing_persons/search.vigil`).
const MISSING_PLACES: &[(&str, &str, &str)] = &[
    (
        "塘朗山郊野公园",
        "登山游客，男，34岁，手机电量不足，最后位置在塘朗山顶附近",
        "mountain",
    ),
    ("梧桐山风景区", "登山游客2人，偏离步道迷路", "mountain"),
    ("七娘山", "女，27岁，独自徒步，天黑未下山", "mountain"),
    ("羊台山森林公园", "男，71岁，晨练未归，患高血压", "forest"),
    ("马峦山郊野公园", "男，16岁，与同学走散", "forest"),
    ("东门老街", "男，79岁，患阿尔茨海默症，穿蓝色上衣", "urban"),
    ("深圳北站", "女，6岁，红色连衣裙，与家人走散", "urban"),
    ("大南山", "男，45岁，越野跑失联", "mountain"),
];
const SEARCH_TEAMS: &[&str] = &[
    "辖区派出所巡逻组",
    "市森林防火队",
    "山地救援队",
    "街道应急救援队",
    "蓝天救援队",
];

const DISPUTES: &[&str] = &[
    "邻里噪音纠纷引发推搡",
    "停车位纠纷",
    "电动车剐蹭赔偿纠纷",
    "租客押金纠纷",
    "酒后口角致轻微伤",
    "装修漏水纠纷",
    "宠物伤人赔偿纠纷",
];
const PEOPLE_DISPUTES: &[&str] = &[
    "宅基地相邻权纠纷",
    "物业费纠纷",
    "婚姻家庭赡养纠纷",
    "劳务报酬纠纷",
    "房屋租赁合同纠纷",
    "商铺经营噪音纠纷",
    "遗产继承纠纷",
];
const COMMITTEES: &[&str] = &[
    "粤海街道人民调解委员会",
    "新安街道人民调解委员会",
    "布吉街道人民调解委员会",
    "民治街道人民调解委员会",
    "东门街道人民调解委员会",
];

// ---------------------------------------------------------------------------------------------
// The generator

struct Gen<'a> {
    seed: u64,
    days: u32,
    start: i64,
    end: i64,
    out: Out<'a>,
    planted: Vec<Planted>,
    calendar: Calendar,
    /// Preventable incidents with a district, per district, and intervals in which a district
    /// gets no other preventable incident (around a planted surge).
    district_times: Vec<Vec<i64>>,
    district_blocked: Vec<Vec<(i64, i64)>>,
    /// Addresses used by preventable incidents, with the last time.
    addresses: HashMap<String, i64>,
    /// Plates of goods vehicles used so far (each goods vehicle makes one trip).
    truck_plates: HashSet<String>,
    /// Counters for identifiers.
    next_id: HashMap<&'static str, u64>,
    /// Parcel seizures so far, by outlet (`rules/logistics/seizures.vigil` counts them).
    outlet_seizures: HashMap<String, Vec<i64>>,
}

impl<'a> Gen<'a> {
    fn new(cfg: &Config, sink: &'a mut dyn FnMut(&str)) -> Gen<'a> {
        let end = cfg.start + i64::from(cfg.days) * DAY;
        Gen {
            seed: cfg.seed,
            days: cfg.days,
            start: cfg.start,
            end,
            out: Out {
                heap: BinaryHeap::new(),
                seq: 0,
                start: cfg.start,
                end,
                disorder: Rng::stream(cfg.seed, D_DISORDER, 0),
                sink,
                summary: Summary::default(),
                max_time_written: i64::MIN,
            },
            planted: Vec::new(),
            calendar: Calendar::new(),
            district_times: vec![Vec::new(); DISTRICTS.len()],
            district_blocked: vec![Vec::new(); DISTRICTS.len()],
            addresses: HashMap::new(),
            truck_plates: HashSet::new(),
            next_id: HashMap::new(),
            outlet_seizures: HashMap::new(),
        }
    }

    fn day_start(&self, day: u32) -> i64 {
        self.start + i64::from(day) * DAY
    }

    fn rng(&self, domain: u64, day: u32) -> Rng {
        Rng::stream(self.seed, domain, day)
    }

    /// A deadline or event at `t` is part of the stream and seen by the end of the run: the
    /// stream's last event is at `end - 1` ms (see `closing`), so at the end of the run the
    /// watermark is there and every deadline before `end` has fired, none after.
    fn fits(&self, t: i64) -> bool {
        t < self.end
    }

    /// The last event of the stream, 1 ms before its end: a work boat's position report.
    fn closing(&mut self) {
        let t = self.end - 1;
        let j = J::new("VesselPosition", t, Stamp::EpochMs)
            .str("mmsi", AUTHORISED_VESSELS[1].0)
            .str("name", AUTHORISED_VESSELS[1].1)
            .point("position", 22.6, 114.56)
            .float("speed_kn", 0.0, 1);
        self.out.event(j);
    }

    fn id(&mut self, counter: &'static str) -> u64 {
        let n = self.next_id.entry(counter).or_insert(0);
        *n += 1;
        *n
    }

    fn plant_alert(&mut self, rule: &'static str, key: Option<&str>, at: i64, what: String) {
        self.plant_alert_in(rule, key, at, at, what);
    }

    fn plant_alert_in(
        &mut self,
        rule: &'static str,
        key: Option<&str>,
        from: i64,
        until: i64,
        what: String,
    ) {
        if !self.fits(until) {
            return;
        }
        self.planted.push(Planted {
            kind: "alert",
            rule: Some(rule),
            workflow: None,
            state: None,
            key: key.map(str::to_string),
            from,
            until,
            situation: what,
        });
    }

    fn plant_workflow_alert(
        &mut self,
        workflow: &'static str,
        state: &'static str,
        key: &str,
        at: i64,
        what: String,
    ) {
        if !self.fits(at) {
            return;
        }
        self.planted.push(Planted {
            kind: "alert",
            rule: None,
            workflow: Some(workflow),
            state: Some(state),
            key: Some(key.to_string()),
            from: at,
            until: at,
            situation: what,
        });
    }

    fn plant_transition(
        &mut self,
        workflow: &'static str,
        to: &'static str,
        key: &str,
        at: i64,
        what: String,
    ) {
        if !self.fits(at) {
            return;
        }
        self.planted.push(Planted {
            kind: "transition",
            rule: None,
            workflow: Some(workflow),
            state: Some(to),
            key: Some(key.to_string()),
            from: at,
            until: at,
            situation: what,
        });
    }

    /// Every planted situation, for the whole span (their events wait in the output heap).
    fn plan(&mut self) {
        for day in 0..self.days {
            self.plant_surges(day);
        }
        for day in 0..self.days {
            self.plant_repeated_addresses(day);
            self.plant_fraud(day);
            self.plant_transfers(day);
            self.plant_dispute_referrals(day);
            self.plant_violent(day);
            self.plant_missing(day);
            self.plant_maritime(day);
            self.plant_checkpoints(day);
            self.plant_venue(day);
            self.plant_schools(day);
            self.plant_police_mediation(day);
            self.plant_people_mediation(day);
            self.plant_lodging(day);
            self.plant_seizures(day);
            self.plant_transport(day);
            self.plant_drones(day);
            self.plant_cyber(day);
            self.plant_help_calls(day);
        }
    }

    /// The background of one day.
    fn background(&mut self, day: u32) {
        self.calls(day);
        self.incidents(day);
        self.violent_background(day);
        self.missing_background(day);
        self.ais(day);
        self.radar(day);
        self.watch(day);
        self.guard_posts(day);
        self.priority_incidents(day);
        self.checkpoints(day);
        self.venue(day);
        self.schools(day);
        self.police_mediation_background(day);
        self.people_mediation_background(day);
        self.lodging(day);
        self.seizures(day);
        self.transport(day);
        self.drones(day);
        self.cyber(day);
        self.help_calls(day);
        self.malformed(day);
    }

    // -----------------------------------------------------------------------------------------
    // Anti-fraud

    fn mobile(rng: &mut Rng) -> String {
        format!("+86{}{}", rng.pick(MOBILE_PREFIXES), rng.digits(8))
    }

    fn call_id(&mut self, t: i64) -> String {
        let n = self.id("call");
        format!("C{}-{:07}", ymd(t), n)
    }

    #[allow(clippy::too_many_arguments)]
    fn call(
        &mut self,
        rng: &mut Rng,
        t: i64,
        call_id: &str,
        caller: &str,
        callee: &str,
        age: i64,
        duration_s: i64,
    ) {
        let mut j = J::new("CallRecord", t, Stamp::Rfc3339)
            .str("call_id", call_id)
            .str("caller", caller)
            .str("callee", callee)
            .int("callee_age", age);
        j = if rng.chance(0.15) {
            j.str(
                "duration",
                &format!("PT{}M{}S", duration_s / 60, duration_s % 60),
            )
        } else {
            j.int("duration", duration_s)
        };
        let r = rng.f64();
        j = if r < 0.6 {
            j.str("region", "深圳")
        } else if r < 0.75 {
            j.str(
                "region",
                rng.pick(&["广州", "东莞", "惠州", "香港", "境外"]),
            )
        } else if r < 0.95 {
            j
        } else {
            j.null("region")
        };
        self.out.event(j);
    }

    fn elderly_age(rng: &mut Rng) -> i64 {
        rng.range(62, 92)
    }

    fn plant_fraud(&mut self, day: u32) {
        let mut rng = self.rng(D_FRAUD, day);
        let mut warn = self.rng(D_WARNINGS, day);
        let d0 = self.day_start(day);
        // Each flagged number reaches at most one elderly resident a day, so no number works
        // through a list (caller_targets_elderly) by accident; the last one is the background's.
        let mut numbers: Vec<usize> = (0..FRAUD_NUMBERS.len()).collect();
        for i in (1..numbers.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            numbers.swap(i, j);
        }
        let number = |i: usize| FRAUD_NUMBERS[numbers[i]];

        // A long call (medium risk).
        let t = d0 + rng.range(8 * 3600, 21 * 3600) * SEC;
        let callee = Self::mobile(&mut rng);
        let age = Self::elderly_age(&mut rng);
        let dur = rng.range(31 * 60, 58 * 60);
        let id = self.call_id(t);
        self.call(&mut rng, t, &id, number(0), &callee, age, dur);
        self.plant_alert(
            "long_call_medium",
            Some(&callee),
            t,
            format!("{}岁居民与涉诈号码通话{}分钟", age, dur / 60),
        );
        self.dissuade(&mut warn, &callee, t, false);

        // A call reported while it goes on: medium at 40 minutes, high at 65, and at its end
        // (90 minutes, suppressed); or one report of a 90-minute call.
        let t = d0 + rng.range(9 * 3600, 19 * 3600) * SEC;
        let callee = Self::mobile(&mut rng);
        let age = Self::elderly_age(&mut rng);
        let id = self.call_id(t);
        if day.is_multiple_of(2) {
            self.call(&mut rng, t, &id, number(1), &callee, age, 40 * 60);
            self.call(
                &mut rng,
                t + 25 * MIN,
                &id,
                number(1),
                &callee,
                age,
                65 * 60,
            );
            self.call(
                &mut rng,
                t + 50 * MIN,
                &id,
                number(1),
                &callee,
                age,
                90 * 60,
            );
            self.plant_alert(
                "long_call_medium",
                Some(&callee),
                t,
                "冒充公检法诈骗电话进行中（40分钟）".into(),
            );
            self.plant_alert(
                "long_call_high",
                Some(&callee),
                t + 25 * MIN,
                "同一通话持续超过60分钟，升级为高风险（90分钟时的报告被抑制）".into(),
            );
            // Dissuaded at the callback, the resident stayed on the line: a new case at 65.
            self.dissuade(&mut warn, &callee, t, false);
            self.dissuade(&mut warn, &callee, t + 25 * MIN, true);
        } else {
            self.call(&mut rng, t, &id, number(1), &callee, age, 90 * 60);
            self.plant_alert(
                "long_call_high",
                Some(&callee),
                t,
                "涉诈号码与老年人通话90分钟".into(),
            );
            self.dissuade(&mut warn, &callee, t, true);
        }

        // A fraud confirmed after a callback: the stop-payment workflow.
        self.plant_stop_payment(&mut rng, day, number(2));

        // A flagged number, an elderly resident, 29 minutes 59 seconds: not long, but a flagged
        // number is low risk (an SMS) on its own.
        let t = d0 + rng.range(8 * 3600, 20 * 3600) * SEC;
        let callee = Self::mobile(&mut rng);
        let age = Self::elderly_age(&mut rng);
        let id = self.call_id(t);
        self.call(&mut rng, t, &id, number(3), &callee, age, 30 * 60 - 1);
        self.plant_alert(
            "flagged_number_contact",
            Some(&callee),
            t,
            "涉诈号码来电29分59秒：低风险，发送预警短信".into(),
        );

        // A new number working through elderly residents: 3 within the hour (a 4th after the
        // alert starts a new group).
        let caller = format!("+86167{}", rng.digits(8));
        let t = d0 + rng.range(9 * 3600, 18 * 3600) * SEC;
        let times = [
            t,
            t + rng.range(5, 20) * MIN,
            t + rng.range(25, 55) * MIN,
            t + rng.range(62, 80) * MIN,
        ];
        let n = if day % 2 == 1 { 4 } else { 3 };
        for (i, at) in times.iter().take(n).enumerate() {
            let callee = Self::mobile(&mut rng);
            let age = Self::elderly_age(&mut rng);
            let id = self.call_id(*at);
            let dur = rng.range(60, 400);
            self.call(&mut rng, *at, &id, &caller, &callee, age, dur);
            if i == 2 {
                self.plant_alert(
                    "caller_targets_elderly",
                    Some(&caller),
                    *at,
                    "陌生号码1小时内拨打3名老年居民".into(),
                );
            }
        }
        // Near-miss: three elderly residents, but over 70 minutes.
        let caller = format!("+86167{}", rng.digits(8));
        let t = d0 + rng.range(9 * 3600, 18 * 3600) * SEC;
        for at in [t, t + 35 * MIN, t + 70 * MIN] {
            let callee = Self::mobile(&mut rng);
            let age = Self::elderly_age(&mut rng);
            let id = self.call_id(at);
            let dur = rng.range(60, 400);
            self.call(&mut rng, at, &id, &caller, &callee, age, dur);
        }

        // The centre files a stop-payment itself for a younger victim.
        if day.is_multiple_of(2) {
            let t = d0 + rng.range(10 * 3600, 17 * 3600) * SEC;
            let account = format!("62{}", rng.digits(17));
            let (bank, code) = rng.pick(BANKS);
            let case = format!("SZFZ-2022-{:05}", 20_000 + self.id("fraud_case"));
            self.out.event(
                J::new("StopPaymentRequested", t, Stamp::Rfc3339)
                    .str("case_id", &case)
                    .str("account", &account)
                    .str("bank", bank),
            );
            self.plant_transition(
                "emergency_stop_payment",
                "requested",
                &account,
                t,
                "反诈中心直接发起的紧急止付（非老年受害人）".into(),
            );
            let confirmed = t + rng.range(10, 50) * MIN;
            self.out.event(
                J::new("StopPaymentConfirmed", confirmed, Stamp::Rfc3339)
                    .str("account", &account)
                    .str("bank_ref", &format!("{code}-ZF-{}", rng.digits(6))),
            );
            // Every other time the lead proves false the same day.
            if day.is_multiple_of(4) {
                let lifted = confirmed + rng.range(2, 6) * HOUR;
                self.out.event(
                    J::new("StopPaymentLifted", lifted, Stamp::Rfc3339)
                        .str("account", &account)
                        .str("reason", "受害人系自愿借款给亲属，经核实非诈骗"),
                );
                self.plant_transition(
                    "emergency_stop_payment",
                    "lifted",
                    &account,
                    lifted,
                    "核实后解除止付".into(),
                );
            } else {
                let frozen = self.freeze_time(&mut rng, confirmed);
                self.out.event(
                    J::new("AccountFrozen", frozen, Stamp::Rfc3339)
                        .str("account", &account)
                        .str(
                            "instrument",
                            &format!("深公（反诈）冻财字〔2022〕{}号", rng.range(1000, 9999)),
                        ),
                );
                self.plant_transition(
                    "emergency_stop_payment",
                    "frozen",
                    &account,
                    frozen,
                    "止付后48小时内完成冻结".into(),
                );
            }
        }
    }

    /// When the formal freeze follows a confirmed stop-payment: 3 to 30 hours later, or
    /// within 3 hours near the end of the span.
    /// The formal freeze of `account` some hours after the stop-payment was confirmed.
    fn freeze(&mut self, rng: &mut Rng, account: &str, confirmed: i64) {
        let frozen = self.freeze_time(rng, confirmed);
        self.out.event(
            J::new("AccountFrozen", frozen, Stamp::Rfc3339)
                .str("account", account)
                .str(
                    "instrument",
                    &format!("深公（反诈）冻财字〔2022〕{}号", rng.range(1000, 9999)),
                ),
        );
        self.plant_transition(
            "emergency_stop_payment",
            "frozen",
            account,
            frozen,
            "止付后完成冻结".into(),
        );
    }

    fn freeze_time(&self, rng: &mut Rng, confirmed: i64) -> i64 {
        let later = confirmed + rng.range(3, 30) * HOUR;
        if self.fits(later) {
            later
        } else {
            confirmed + rng.range(40, 180) * MIN
        }
    }

    /// The centre's answer to a warning at medium or high risk when all goes to plan: the
    /// resident answers the callback within 5 minutes and, at high risk, the community police
    /// are at the door within half an hour (`fraud_dissuasion`, nothing to plant).
    fn dissuade(&mut self, rng: &mut Rng, resident: &str, warned: i64, high: bool) {
        let answered = warned + rng.range(30, 270) * SEC;
        self.callback(rng, resident, answered, true);
        if high {
            let visit = answered + rng.range(8, 25) * MIN;
            self.home_visit(rng, resident, visit, true);
        }
    }

    fn callback(&mut self, rng: &mut Rng, resident: &str, at: i64, answered: bool) {
        self.out.event(
            J::new("CallbackAttempt", at, Stamp::Rfc3339)
                .str("resident", resident)
                .str(
                    "operator",
                    &format!("反诈中心 {}", rng.pick(&["陈警官", "林警官", "黄警官"])),
                )
                .bool("answered", answered),
        );
    }

    fn home_visit(&mut self, rng: &mut Rng, resident: &str, at: i64, dissuaded: bool) {
        self.out.event(
            J::new("HomeVisit", at, Stamp::Rfc3339)
                .str("resident", resident)
                .str(
                    "officer",
                    &format!(
                        "社区民警 {}",
                        rng.pick(&["张伟", "李娜", "王强", "刘芳", "陈杰"])
                    ),
                )
                .bool("dissuaded", dissuaded),
        );
    }

    fn family_consent(&mut self, rng: &mut Rng, resident: &str, at: i64) {
        let (relative, relation) = rng.pick(&[
            ("王女士", "女儿"),
            ("李先生", "儿子"),
            ("赵女士", "儿媳"),
            ("周先生", "女婿"),
        ]);
        self.out.event(
            J::new("FamilyConsent", at, Stamp::Rfc3339)
                .str("resident", resident)
                .str("relative", relative)
                .str("relation", relation),
        );
    }

    /// Unusual transfers held by the banks (the third trigger), and the ways a warning can go:
    /// a late callback, a missed redial, a resident who never answers, a late visit, a family
    /// agreeing to suspend the line, a visit that does not dissuade.
    fn plant_transfers(&mut self, day: u32) {
        let mut rng = self.rng(D_TRANSFERS, day);
        let d0 = self.day_start(day);
        let transfer = |g: &mut Self, rng: &mut Rng, t: i64, age: i64, amount: f64, new: bool| {
            let holder = Self::mobile(rng);
            let (bank, _) = rng.pick(BANKS);
            g.out.event(
                J::new("UnusualTransfer", t, Stamp::Rfc3339)
                    .str("transfer_id", &format!("TR{}{}", ymd(t), rng.digits(8)))
                    .str("account", &format!("62{}", rng.digits(17)))
                    .str("bank", bank)
                    .str("holder_phone", &holder)
                    .int("holder_age", age)
                    .float("amount", amount, 1)
                    .str("payee_account", &format!("62{}", rng.digits(17)))
                    .bool("new_payee", new),
            );
            holder
        };
        // Medium risk: a younger holder, 10,000 to 49,999 yuan to a new payee; answered.
        let t = d0 + rng.range(9 * 3600, 20 * 3600) * SEC;
        let amount = rng.range(10_000, 50_000) as f64;
        let age = rng.range(25, 60);
        let holder = transfer(self, &mut rng, t, age, amount, true);
        self.plant_alert(
            "unusual_transfer",
            Some(&holder),
            t,
            format!("向新收款人转账{amount}元：中风险"),
        );
        self.dissuade(&mut rng, &holder, t, false);
        // Near-misses: a large sum to a payee paid before; 9,999 yuan to a new one.
        let t = d0 + rng.range(9 * 3600, 20 * 3600) * SEC;
        let age = Self::elderly_age(&mut rng);
        transfer(self, &mut rng, t, age, 80_000.0, false);
        let t = d0 + rng.range(9 * 3600, 20 * 3600) * SEC;
        let age = Self::elderly_age(&mut rng);
        transfer(self, &mut rng, t, age, 9_999.0, true);

        // An elderly holder: high risk, a call and a visit, each way it can go by day.
        let t = d0 + rng.range(9 * 3600, 18 * 3600) * SEC;
        let age = Self::elderly_age(&mut rng);
        let amount = rng.range(12_000, 200_000) as f64;
        let holder = transfer(self, &mut rng, t, age, amount, true);
        self.plant_alert(
            "unusual_transfer",
            Some(&holder),
            t,
            format!("{age}岁储户向新收款人转账{amount}元：高风险"),
        );
        let h = holder.as_str();
        let mut variant = day % 7;
        if variant == 6 && !self.fits(t + 25 * HOUR) {
            variant = 5;
        }
        match variant {
            0 => {
                // Nobody calls for 7 minutes.
                self.plant_workflow_alert(
                    "fraud_dissuasion",
                    "calling",
                    h,
                    t + 5 * MIN,
                    "预警5分钟无人回拨".into(),
                );
                self.callback(&mut rng, h, t + 7 * MIN, true);
                self.home_visit(&mut rng, h, t + 25 * MIN, true);
            }
            1 => {
                // Unanswered at 2 minutes, redialled only at 8.
                self.callback(&mut rng, h, t + 2 * MIN, false);
                self.plant_workflow_alert(
                    "fraud_dissuasion",
                    "redialling",
                    h,
                    t + 7 * MIN,
                    "未接通5分钟未重拨".into(),
                );
                self.callback(&mut rng, h, t + 8 * MIN, true);
                self.home_visit(&mut rng, h, t + 30 * MIN, true);
            }
            2 => {
                // Three calls unanswered: the police go to the door.
                for m in [1, 3, 5] {
                    self.callback(&mut rng, h, t + m * MIN, false);
                }
                self.plant_transition(
                    "fraud_dissuasion",
                    "visiting",
                    h,
                    t + 5 * MIN,
                    "三次回拨未接通，转上门".into(),
                );
                self.home_visit(&mut rng, h, t + 22 * MIN, true);
            }
            3 => {
                // Answered, but the visit comes after 40 minutes.
                self.callback(&mut rng, h, t + MIN, true);
                self.plant_workflow_alert(
                    "fraud_dissuasion",
                    "visiting",
                    h,
                    t + 31 * MIN,
                    "上门劝阻30分钟未到位".into(),
                );
                self.home_visit(&mut rng, h, t + 41 * MIN, true);
            }
            4 => {
                // Still on the fraudsters' line: the daughter agrees to suspend it.
                self.callback(&mut rng, h, t + MIN, false);
                self.family_consent(&mut rng, h, t + 4 * MIN);
                self.plant_transition(
                    "fraud_dissuasion",
                    "suspended",
                    h,
                    t + 4 * MIN,
                    "家属同意保护性停机".into(),
                );
                self.home_visit(&mut rng, h, t + 20 * MIN, true);
                self.plant_transition(
                    "fraud_dissuasion",
                    "dissuaded",
                    h,
                    t + 20 * MIN,
                    "停机后上门劝阻成功".into(),
                );
                self.plant_workflow_alert(
                    "fraud_dissuasion",
                    "suspended",
                    h,
                    t + 20 * MIN,
                    "劝阻成功，通知运营商恢复通话".into(),
                );
            }
            5 => {
                // The visit does not dissuade; the family agrees an hour later.
                self.callback(&mut rng, h, t + MIN, true);
                self.home_visit(&mut rng, h, t + 15 * MIN, false);
                self.plant_transition(
                    "fraud_dissuasion",
                    "seeking_consent",
                    h,
                    t + 15 * MIN,
                    "上门未能劝阻，联系家属".into(),
                );
                self.family_consent(&mut rng, h, t + 60 * MIN);
                self.home_visit(&mut rng, h, t + 80 * MIN, true);
                self.plant_workflow_alert(
                    "fraud_dissuasion",
                    "suspended",
                    h,
                    t + 80 * MIN,
                    "停机后上门劝阻成功，通知运营商恢复通话".into(),
                );
            }
            _ => {
                // The visit does not dissuade, and no relative agrees within a day.
                self.callback(&mut rng, h, t + MIN, true);
                self.home_visit(&mut rng, h, t + 15 * MIN, false);
                self.plant_transition(
                    "fraud_dissuasion",
                    "unresolved",
                    h,
                    t + 15 * MIN + 24 * HOUR,
                    "24小时未获家属同意，报所领导".into(),
                );
            }
        }
    }

    fn plant_stop_payment(&mut self, rng: &mut Rng, day: u32, number: &str) {
        let d0 = self.day_start(day);
        let t = d0 + rng.range(9 * 3600, 16 * 3600) * SEC;
        let callee = Self::mobile(rng);
        let age = Self::elderly_age(rng);
        let id = self.call_id(t);
        // Odd days: a number not flagged yet (the rule also opens a match for any call to an
        // elderly resident).
        let caller = if day.is_multiple_of(2) {
            number.to_string()
        } else {
            format!("+86165{}", rng.digits(8))
        };
        let dur = rng.range(12 * 60, 28 * 60);
        self.call(rng, t, &id, &caller, &callee, age, dur);
        if day.is_multiple_of(2) {
            self.plant_alert(
                "flagged_number_contact",
                Some(&callee),
                t,
                "涉诈号码来电（未满30分钟）：发送预警短信".into(),
            );
        }
        let verdict = t + rng.range(40, 360) * MIN;
        let account = format!("62{}", rng.digits(17));
        let (bank, code) = rng.pick(BANKS);
        let case = format!("SZFZ-2022-{:05}", 10_000 + self.id("fraud_case"));
        // Every third day the victim gave several cards: each gets its own stop-payment, which
        // its bank confirms and a freeze follows.
        let mut more = self.rng(D_WARNINGS, 10_000 + day);
        let others: Vec<String> = (0..if day.is_multiple_of(3) {
            more.range(1, 5)
        } else {
            0
        })
            .map(|_| format!("62{}", more.digits(17)))
            .collect();
        let mut accounts = format!("[\"{account}\"");
        for a in &others {
            accounts.push_str(&format!(",\"{a}\""));
        }
        accounts.push(']');
        self.out.event(
            J::new("FraudVerdict", verdict, Stamp::Rfc3339)
                .str("call_id", &id)
                .str("case_id", &case)
                .bool("confirmed", true)
                .raw("accounts", &accounts)
                .str("bank", bank),
        );
        for a in &others {
            self.plant_transition(
                "emergency_stop_payment",
                "requested",
                a,
                verdict,
                format!("一案{}张银行卡：逐卡发起止付", others.len() + 1),
            );
            let confirmed = verdict + more.range(10, 90) * MIN;
            self.out.event(
                J::new("StopPaymentConfirmed", confirmed, Stamp::Rfc3339)
                    .str("account", a)
                    .str("bank_ref", &format!("{code}-ZF-{}", more.digits(6))),
            );
            self.plant_transition(
                "emergency_stop_payment",
                "receive_only",
                a,
                confirmed,
                "该卡银行确认止付".into(),
            );
            self.freeze(&mut more, a, confirmed);
        }
        self.plant_alert(
            "confirmed_fraud_call",
            Some(&id),
            verdict,
            format!("回访核实诈骗（{}岁居民已转账），发起紧急止付", age),
        );
        self.plant_transition(
            "emergency_stop_payment",
            "requested",
            &account,
            verdict,
            "核实诈骗后自动发起止付".into(),
        );
        // The bank's side: 0 confirms and freezes; 1 confirms late (reminder at 2 h); 2 never
        // confirms (escalated at 48 h); 3 confirms but no freeze follows (lapsed); 4 the lead
        // proves false (lifted).
        let mut variant = day % 5;
        if variant == 2 && !self.fits(verdict + 48 * HOUR) {
            variant = 1;
        }
        if variant == 3 && !self.fits(verdict + 50 * HOUR) {
            variant = 0;
        }
        let bank_ref = format!("{code}-ZF-{}", rng.digits(6));
        let confirm = |at: i64, out: &mut Out<'_>| {
            out.event(
                J::new("StopPaymentConfirmed", at, Stamp::Rfc3339)
                    .str("account", &account)
                    .str("bank_ref", &bank_ref),
            );
        };
        match variant {
            0 | 1 => {
                let confirmed = if variant == 0 {
                    verdict + rng.range(15, 50) * MIN
                } else {
                    self.plant_workflow_alert(
                        "emergency_stop_payment",
                        "requested",
                        &account,
                        verdict + 2 * HOUR,
                        "银行2小时未回执止付，提醒催办".into(),
                    );
                    verdict + rng.range(150, 300) * MIN
                };
                confirm(confirmed, &mut self.out);
                self.plant_transition(
                    "emergency_stop_payment",
                    "receive_only",
                    &account,
                    confirmed,
                    "银行确认止付".into(),
                );
                self.freeze(rng, &account, confirmed);
            }
            2 => {
                self.plant_workflow_alert(
                    "emergency_stop_payment",
                    "requested",
                    &account,
                    verdict + 2 * HOUR,
                    "银行2小时未回执止付，提醒催办".into(),
                );
                self.plant_transition(
                    "emergency_stop_payment",
                    "escalated",
                    &account,
                    verdict + 48 * HOUR,
                    "银行48小时未确认止付，升级协调".into(),
                );
                // The confirmation that comes too late is still recorded (the case passes
                // through `escalated`), and the freeze follows it.
                let late = verdict + 50 * HOUR;
                confirm(late, &mut self.out);
                self.plant_transition(
                    "emergency_stop_payment",
                    "receive_only",
                    &account,
                    late,
                    "升级协调后银行确认止付".into(),
                );
                self.freeze(rng, &account, late);
            }
            3 => {
                let confirmed = verdict + rng.range(20, 60) * MIN;
                confirm(confirmed, &mut self.out);
                self.plant_transition(
                    "emergency_stop_payment",
                    "lapsed",
                    &account,
                    confirmed + 48 * HOUR,
                    "止付48小时期满未冻结".into(),
                );
            }
            _ => {
                let confirmed = verdict + rng.range(20, 60) * MIN;
                confirm(confirmed, &mut self.out);
                let lifted = confirmed + rng.range(5, 20) * HOUR;
                self.out.event(
                    J::new("StopPaymentLifted", lifted, Stamp::Rfc3339)
                        .str("account", &account)
                        .str("reason", "经核查系正常经营往来，解除止付"),
                );
                self.plant_transition(
                    "emergency_stop_payment",
                    "lifted",
                    &account,
                    lifted,
                    "线索不实，解除止付".into(),
                );
            }
        }
    }

    /// The carrier feed: ordinary calls, long calls within families, the hotlines calling
    /// elderly residents, flagged numbers calling younger people, verdicts that do not confirm.
    fn calls(&mut self, day: u32) {
        let mut rng = self.rng(D_CALLS, day);
        let d0 = self.day_start(day);
        let mut callers = HashSet::new();
        let mut elderly_calls: Vec<(i64, String)> = Vec::new();
        for h in 0..24 {
            let n = rng.poisson(140.0 * CALL_ACTIVITY[h as usize]);
            for _ in 0..n {
                let t = d0 + h * HOUR + rng.range(0, 3600) * SEC;
                let mut caller = Self::mobile(&mut rng);
                while !callers.insert(caller.clone()) {
                    caller = Self::mobile(&mut rng);
                }
                let callee = Self::mobile(&mut rng);
                let age = if rng.chance(0.22) {
                    rng.range(60, 96)
                } else {
                    rng.range(18, 60)
                };
                let dur = if rng.chance(0.015) {
                    rng.range(30 * 60, 120 * 60)
                } else {
                    ((150.0_f64.ln() + 0.9 * rng.gauss()).exp() as i64).clamp(5, 1790)
                };
                let id = self.call_id(t);
                self.call(&mut rng, t, &id, &caller, &callee, age, dur);
                if age >= 60 && elderly_calls.len() < 64 {
                    elderly_calls.push((t, id));
                }
            }
        }
        // A family member calling both parents, one of them twice (two distinct residents).
        for _ in 0..3 {
            let caller = Self::mobile(&mut rng);
            let t = time_in(&mut rng, d0, 8, 21, &CALL_ACTIVITY);
            let parents = [Self::mobile(&mut rng), Self::mobile(&mut rng)];
            for (i, at) in [t, t + 10 * MIN, t + 40 * MIN].iter().enumerate() {
                let id = self.call_id(*at);
                let age = rng.range(70, 90);
                let dur = rng.range(120, 2400);
                self.call(&mut rng, *at, &id, &caller, &parents[i % 2], age, dur);
            }
        }
        // The social security hotline and a community health centre call elderly residents.
        for (caller, n, from_h) in [(TRUSTED_CALLERS[2], 8, 10), (TRUSTED_CALLERS[0], 5, 14)] {
            let mut t = d0 + from_h * HOUR + rng.range(0, 1800) * SEC;
            for _ in 0..n {
                let callee = Self::mobile(&mut rng);
                let age = Self::elderly_age(&mut rng);
                let id = self.call_id(t);
                let dur = rng.range(60, 600);
                self.call(&mut rng, t, &id, caller, &callee, age, dur);
                t += rng.range(3, 9) * MIN;
            }
        }
        // Flagged numbers calling younger people, some for a long time: each call is a
        // trigger of its own (an SMS, or a callback and at 60 minutes a visit).
        let mut warn = self.rng(D_WARNINGS, 20_000 + day);
        for _ in 0..5 {
            let t = time_in(&mut rng, d0, 8, 22, &CALL_ACTIVITY);
            let caller = rng.pick(FRAUD_NUMBERS);
            let callee = Self::mobile(&mut rng);
            let age = rng.range(20, 60);
            let dur = rng.range(60, 70 * 60);
            let id = self.call_id(t);
            self.call(&mut rng, t, &id, caller, &callee, age, dur);
            let (rule, what) = match dur {
                ..1800 => (
                    "flagged_number_contact",
                    "涉诈号码联系青年居民：发送预警短信",
                ),
                1800..3600 => ("long_call_medium", "涉诈号码与青年居民长时间通话"),
                _ => ("long_call_high", "涉诈号码与青年居民超长通话"),
            };
            self.plant_alert(rule, Some(&callee), t, what.into());
            if dur >= 1800 {
                self.dissuade(&mut warn, &callee, t, dur >= 3600);
            }
        }
        // Verdicts on elderly residents' calls: not a fraud, or a fraud with no money sent.
        for (i, (t, id)) in elderly_calls.iter().take(2).enumerate() {
            let at = t + rng.range(30, 300) * MIN;
            let case = format!("SZFZ-2022-{:05}", 30_000 + self.id("fraud_case"));
            let j = J::new("FraudVerdict", at, Stamp::Rfc3339)
                .str("call_id", id)
                .str("case_id", &case);
            let j = if i == 0 {
                j.bool("confirmed", false)
                    .raw("accounts", &format!("[\"62{}\"]", rng.digits(17)))
                    .str("bank", rng.pick(BANKS).0)
            } else {
                j.bool("confirmed", true).null("accounts")
            };
            self.out.event(j);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Incidents

    fn address(rng: &mut Rng, district: &District) -> (String, &'static str) {
        let (station, street, roads) = rng.pick(district.areas);
        let road = rng.pick(roads);
        let n = rng.range(1, 400);
        let a = if rng.chance(0.6) {
            format!(
                "{}{}{}{}号{}栋{}室",
                district.name,
                street,
                road,
                n,
                rng.range(1, 12),
                rng.range(101, 3300)
            )
        } else {
            format!("{}{}{}{}号", district.name, street, road, n)
        };
        (a, station)
    }

    fn incident_id(&mut self, t: i64) -> String {
        let n = self.id("incident");
        format!("SZ{}{:05}", ymd(t), n % 100_000)
    }

    /// Whether a preventable incident at `t` in district `d` keeps every 24-hour window of the
    /// district at least `margin` below its surge threshold, and is outside blocked intervals.
    fn district_allows(&self, d: usize, t: i64, margin: usize) -> bool {
        if self.district_blocked[d]
            .iter()
            .any(|(a, b)| *a <= t && t <= *b)
        {
            return false;
        }
        let near = self.district_times[d]
            .iter()
            .filter(|x| (t - **x).abs() < DAY)
            .count();
        near + 1 + margin <= surge_threshold(&DISTRICTS[d])
    }

    fn register_preventable(&mut self, d: usize, t: i64) {
        self.district_times[d].push(t);
    }

    /// A fresh address: no preventable incident there in the last 8 days.
    fn fresh_address(&mut self, rng: &mut Rng, d: usize, t: i64) -> (String, &'static str) {
        loop {
            let (a, station) = Self::address(rng, &DISTRICTS[d]);
            match self.addresses.get(&a) {
                Some(last) if (t - last).abs() < 8 * DAY => continue,
                _ => {
                    self.addresses.insert(a.clone(), t);
                    return (a, station);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn incident(
        &mut self,
        t: i64,
        id: &str,
        category: &str,
        address: &str,
        station: &str,
        district: Option<&str>,
    ) {
        self.incident_line(t, id, category, address, station, district);
        if category == "dispute" {
            self.dispose_dispute(t, id);
        }
    }

    /// An incident line alone (a planted dispute writes its own report).
    fn incident_line(
        &mut self,
        t: i64,
        id: &str,
        category: &str,
        address: &str,
        station: &str,
        district: Option<&str>,
    ) {
        let j = J::new("Incident", t, Stamp::Rfc3339)
            .str("incident_id", id)
            .str("category", category)
            .str("address", address)
            .str("station", station);
        let j = match district {
            Some(d) => j.str("district", d),
            None => j,
        };
        self.out.event(j);
    }

    /// The officers' report on a 110 dispute (`dispute_intake`), within 20 minutes to 3 hours:
    /// most settled on the spot, some taken into the station's mediation, a few no dispute.
    /// Drawn from a stream of the incident's own, so other domains' lines stay as they are.
    fn dispose_dispute(&mut self, t: i64, id: &str) {
        let mut rng = Rng::of(self.seed, D_DISPUTES, id);
        let at = t + rng.range(20, 180) * MIN;
        let j = J::new("DisputeDisposed", at, Stamp::Rfc3339).str("incident_id", id);
        let r = rng.f64();
        let j = if r < 0.75 {
            j.str("outcome", "settled_on_site")
        } else if r < 0.9 {
            j.str("outcome", "police_mediation")
                .str("case_id", &format!("治调-{}", rng.digits(6)))
        } else {
            j.str("outcome", "no_dispute")
        };
        self.emit(&mut rng, j);
    }

    /// The dispatch of an ordinary incident: acknowledged, a patrol on scene, cleared.
    fn dispatch(&mut self, rng: &mut Rng, t: i64, id: &str, station: &str) {
        let ack = t + rng.range(8, 90) * SEC;
        self.out.event(
            J::new("Acknowledged", ack, Stamp::Rfc3339)
                .str("incident_id", id)
                .str("dispatcher", &format!("接警员{:03}", rng.range(1, 60))),
        );
        let on_scene = ack + rng.range(4 * 60, 20 * 60) * SEC;
        self.out.event(
            J::new("UnitArrived", on_scene, Stamp::Rfc3339)
                .str("incident_id", id)
                .str("role", "police")
                .str(
                    "unit_name",
                    &format!("{}巡逻车{}", station, rng.range(1, 9)),
                ),
        );
        self.out.event(
            J::new(
                "Cleared",
                on_scene + rng.range(15, 120) * MIN,
                Stamp::Rfc3339,
            )
            .str("incident_id", id),
        );
    }

    /// District surges: 8 (or 12 in a busy district) preventable incidents within a day, with
    /// nothing else preventable in the district a day before and after; every third day a
    /// near-miss of one fewer.
    fn plant_surges(&mut self, day: u32) {
        let mut rng = self.rng(D_SURGE, day);
        let d0 = self.day_start(day);
        let quiet: Vec<usize> = (0..DISTRICTS.len())
            .filter(|i| !DISTRICTS[*i].busy)
            .collect();
        let busy: Vec<usize> = (0..DISTRICTS.len())
            .filter(|i| DISTRICTS[*i].busy)
            .collect();
        let (d, count, planted) = match day % 3 {
            0 => {
                let d = quiet[(day as usize / 3) % quiet.len()];
                (d, surge_threshold(&DISTRICTS[d]), true)
            }
            1 => {
                let d = busy[(day as usize / 3) % busy.len()];
                (d, surge_threshold(&DISTRICTS[d]), true)
            }
            _ => {
                let d = quiet[(day as usize / 3 + 2) % quiet.len()];
                (d, surge_threshold(&DISTRICTS[d]) - 1, false)
            }
        };
        let first = d0 + rng.range(7 * 3600, 9 * 3600) * SEC;
        let mut t = first;
        let mut times = Vec::new();
        for _ in 0..count {
            times.push(t);
            t += rng.range(25 * 60, 55 * 60) * SEC;
        }
        let last = *times.last().unwrap_or(&first);
        if !self.fits(last) {
            return;
        }
        if self.district_blocked[d]
            .iter()
            .any(|(a, b)| *a <= last + DAY && first - DAY <= *b)
        {
            return;
        }
        self.district_blocked[d].push((first - DAY, last + DAY));
        let district = &DISTRICTS[d];
        for at in &times {
            let (address, station) = self.fresh_address(&mut rng, d, *at);
            let id = self.incident_id(*at);
            let category = weighted(&mut rng, PREVENTABLE);
            self.incident(*at, &id, category, &address, station, Some(district.name));
            if rng.chance(0.5) {
                self.dispatch(&mut rng, *at, &id, station);
            }
        }
        if planted {
            let rule = if district.busy {
                "busy_district_daily_surge"
            } else {
                "district_daily_surge"
            };
            self.plant_alert(
                rule,
                Some(district.name),
                last,
                format!("{}单日可防性警情{}起", district.name, count),
            );
        }
    }

    /// An address with 3 preventable incidents within a week (the lead workflow follows), and
    /// every third day a near-miss.
    fn plant_repeated_addresses(&mut self, day: u32) {
        let mut rng = self.rng(D_REPEAT, day);
        let d0 = self.day_start(day);
        let span_left = self.end - d0;
        let t1 = d0 + rng.range(9 * 3600, 20 * 3600) * SEC;
        let times = if span_left > 3 * DAY {
            let t2 = t1 + rng.range(4 * 3600, 60 * 3600) * SEC;
            [t1, t2, t2 + rng.range(4 * 3600, 60 * 3600) * SEC]
        } else {
            // Near the end of the span: one bad night.
            let t1 = d0 + rng.range(17 * 3600, 19 * 3600) * SEC;
            let t2 = t1 + rng.range(40, 80) * MIN;
            [t1, t2, t2 + rng.range(40, 80) * MIN]
        };
        if !self.fits(times[2] + HOUR) {
            return;
        }
        // A district that can take them.
        let Some(d) = (0..DISTRICTS.len())
            .map(|i| (i + day as usize * 3 + 1) % DISTRICTS.len())
            .find(|d| times.iter().all(|t| self.district_allows(*d, *t, 3)))
        else {
            return;
        };
        let (address, station) = self.fresh_address(&mut rng, d, times[0]);
        let district = DISTRICTS[d].name;
        let kind = rng.pick(&[
            ["noise", "noise", "dispute"],
            ["ebike_theft", "ebike_theft", "theft"],
            ["dispute", "dispute", "dispute"],
            ["burglary", "theft", "burglary"],
        ]);
        for (i, at) in times.iter().enumerate() {
            self.register_preventable(d, *at);
            let id = self.incident_id(*at);
            let district = if i == 1 && rng.chance(0.3) {
                None
            } else {
                Some(district)
            };
            self.incident(*at, &id, kind[i], &address, station, district);
            self.dispatch(&mut rng, *at, &id, station);
        }
        self.addresses.insert(address.clone(), times[2]);
        let t3 = times[2];
        self.plant_alert(
            "repeated_preventable_address",
            Some(&address),
            t3,
            format!("同一地址7天内3起可防性警情（{}）", kind.join("、")),
        );
        self.plant_transition(
            "preventive_lead",
            "pushed",
            &address,
            t3,
            "线索推送至辖区派出所".into(),
        );
        self.lead(&mut rng, day, &address, t3);

        // Near-miss: three incidents over more than 7 days, or two and a traffic accident.
        if day % 3 == 2 {
            let t1 = d0 + rng.range(9 * 3600, 20 * 3600) * SEC;
            let spread = day.is_multiple_of(2);
            let times = if spread {
                [t1, t1 + 3 * DAY, t1 + 7 * DAY + rng.range(1, 20) * HOUR]
            } else {
                [t1, t1 + 5 * HOUR, t1 + 30 * HOUR]
            };
            if let Some(d) = (0..DISTRICTS.len())
                .map(|i| (i + day as usize * 7 + 4) % DISTRICTS.len())
                .find(|d| times.iter().all(|t| self.district_allows(*d, *t, 3)))
            {
                let (address, station) = self.fresh_address(&mut rng, d, t1);
                for (i, at) in times.iter().enumerate() {
                    let category = if !spread && i == 1 {
                        "traffic_accident"
                    } else {
                        self.register_preventable(d, *at);
                        "noise"
                    };
                    let id = self.incident_id(*at);
                    self.incident(
                        *at,
                        &id,
                        category,
                        &address,
                        station,
                        Some(DISTRICTS[d].name),
                    );
                }
                self.addresses.insert(address, times[2]);
            }
        }
    }

    /// The station works the lead: closed in time, found complex, contacted too late, or the
    /// feedback is late. A late step still counts (the lead passes through `overdue`), and
    /// every lead ends with its feedback and follow-up visit.
    fn lead(&mut self, rng: &mut Rng, day: u32, address: &str, pushed: i64) {
        let officer = format!(
            "社区民警 {}",
            rng.pick(&["张伟", "李娜", "王强", "刘芳", "陈杰"])
        );
        let contacted = |at: i64, out: &mut Out<'_>| {
            out.event(
                J::new("LeadContacted", at, Stamp::Rfc3339)
                    .str("address", address)
                    .str("officer", &officer),
            );
        };
        match day % 4 {
            2 => {
                let at = pushed + rng.range(65, 100) * MIN;
                contacted(at, &mut self.out);
                self.plant_transition(
                    "preventive_lead",
                    "overdue",
                    address,
                    pushed + HOUR,
                    "线索推送后1小时未联系当事人".into(),
                );
                self.plant_transition(
                    "preventive_lead",
                    "contacted",
                    address,
                    at,
                    "超时后联系当事人，线索继续办理".into(),
                );
                let feedback = at + rng.range(3, 20) * HOUR;
                self.lead_feedback_and_visit(rng, address, feedback);
            }
            3 => {
                let at = pushed + rng.range(10, 50) * MIN;
                contacted(at, &mut self.out);
                self.plant_transition(
                    "preventive_lead",
                    "contacted",
                    address,
                    at,
                    "民警已联系".into(),
                );
                self.plant_transition(
                    "preventive_lead",
                    "overdue",
                    address,
                    at + 24 * HOUR,
                    "简单线索24小时未反馈".into(),
                );
                self.lead_feedback_and_visit(rng, address, at + 30 * HOUR);
            }
            v => {
                let at = pushed + rng.range(10, 50) * MIN;
                contacted(at, &mut self.out);
                self.plant_transition(
                    "preventive_lead",
                    "contacted",
                    address,
                    at,
                    "民警1小时内联系当事人".into(),
                );
                let feedback = if v == 1 {
                    let complex = at + rng.range(2, 8) * HOUR;
                    self.out.event(
                        J::new("LeadMarkedComplex", complex, Stamp::Rfc3339)
                            .str("address", address),
                    );
                    self.plant_transition(
                        "preventive_lead",
                        "complex",
                        address,
                        complex,
                        "线索复杂，需多部门处置".into(),
                    );
                    complex + rng.range(40, 100) * HOUR
                } else {
                    at + rng.range(3, 20) * HOUR
                };
                self.lead_feedback_and_visit(rng, address, feedback);
            }
        }
    }

    /// The station's feedback on a lead at `feedback`, then the follow-up visit that closes it.
    fn lead_feedback_and_visit(&mut self, rng: &mut Rng, address: &str, feedback: i64) {
        self.out.event(
            J::new("LeadFeedback", feedback, Stamp::Rfc3339)
                .str("address", address)
                .str(
                    "summary",
                    rng.pick(&[
                        "楼上住户深夜装修，已调解并约定施工时间",
                        "出租屋电动车违规充电，已联合街道安全员整治",
                        "商铺夜间噪音，已约谈经营者",
                        "楼道监控缺失，已协调物业加装",
                    ]),
                ),
        );
        self.plant_transition(
            "preventive_lead",
            "follow_up",
            address,
            feedback,
            "核查反馈".into(),
        );
        let visit = feedback + rng.range(20, 140) * HOUR;
        self.out
            .event(J::new("LeadFollowUp", visit, Stamp::Rfc3339).str("address", address));
        self.plant_transition(
            "preventive_lead",
            "closed",
            address,
            visit,
            "回访后办结".into(),
        );
    }

    /// Ordinary incidents: preventable ones kept well below the surge thresholds at fresh
    /// addresses, traffic accidents and other calls, some without a district (geocoding
    /// failed).
    fn incidents(&mut self, day: u32) {
        let mut rng = self.rng(D_INCIDENTS, day);
        let d0 = self.day_start(day);
        for (d, district) in DISTRICTS.iter().enumerate() {
            let cap = if district.busy { 5 } else { 3 };
            let n = rng.range(1, cap + 1);
            for _ in 0..n {
                let t = time_in(&mut rng, d0, 0, 24, &INCIDENT_ACTIVITY);
                let with_district = rng.chance(0.92);
                if with_district {
                    if !self.district_allows(d, t, 2) {
                        continue;
                    }
                    self.register_preventable(d, t);
                }
                let (address, station) = self.fresh_address(&mut rng, d, t);
                let id = self.incident_id(t);
                let category = weighted(&mut rng, PREVENTABLE);
                let district = with_district.then_some(district.name);
                self.incident(t, &id, category, &address, station, district);
                if rng.chance(0.6) {
                    self.dispatch(&mut rng, t, &id, station);
                }
            }
        }
        let others = rng.poisson(30.0) + rng.poisson(15.0) + rng.poisson(2.0);
        for i in 0..others {
            let category = match i % 10 {
                0..=5 => "traffic_accident",
                6..=8 => "other",
                _ => "missing_person",
            };
            let t = time_in(&mut rng, d0, 0, 24, &ACTIVITY);
            let d = rng.below(DISTRICTS.len() as u64) as usize;
            let (address, station) = Self::address(&mut rng, &DISTRICTS[d]);
            let id = self.incident_id(t);
            let district = rng.chance(0.92).then_some(DISTRICTS[d].name);
            self.incident(t, &id, category, &address, station, district);
            if rng.chance(0.5) {
                self.dispatch(&mut rng, t, &id, station);
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Violent incidents: the 1-3-5 minute ring

    fn violent_incident(&mut self, rng: &mut Rng, t: i64) -> (String, String, &'static str) {
        let d = rng.below(DISTRICTS.len() as u64) as usize;
        let (address, station) = Self::address(rng, &DISTRICTS[d]);
        let id = self.incident_id(t);
        let district = rng.chance(0.95).then_some(DISTRICTS[d].name);
        self.incident(t, &id, "violence", &address, station, district);
        (id, address, station)
    }

    fn ack(&mut self, rng: &mut Rng, id: &str, at: i64) {
        self.out.event(
            J::new("Acknowledged", at, Stamp::Rfc3339)
                .str("incident_id", id)
                .str("dispatcher", &format!("接警员{:03}", rng.range(1, 60))),
        );
    }

    fn arrived(&mut self, rng: &mut Rng, id: &str, at: i64, role: &str, station: &str) {
        let unit = match role {
            "self_rescue" => format!("{}保安队", rng.pick(&["商场", "小区", "酒吧", "工厂"])),
            "mutual_aid" => format!("{}义警", rng.pick(&["平安", "红袖标", "网格员"])),
            _ => format!("{}巡逻车{}", station, rng.range(1, 9)),
        };
        self.out.event(
            J::new("UnitArrived", at, Stamp::Rfc3339)
                .str("incident_id", id)
                .str("role", role)
                .str("unit_name", &unit),
        );
    }

    /// A response to the incident reported at `t`: acknowledged at `ack`, the premises'
    /// security within a minute of the report, neighbours within 3, police `police_after` it
    /// (every clock of the 1-3-5 ring runs from the report).
    fn respond(
        &mut self,
        rng: &mut Rng,
        (id, station): (&str, &str),
        t: i64,
        ack: i64,
        police_after: i64,
    ) {
        self.ack(rng, id, ack);
        let self_rescue = t + rng.range(15, 55) * SEC;
        self.arrived(rng, id, self_rescue, "self_rescue", station);
        let mutual = t + rng.range(70, 170) * SEC;
        self.arrived(rng, id, mutual, "mutual_aid", station);
        let police = t + police_after;
        self.arrived(rng, id, police, "police", station);
        let cleared = police + rng.range(15, 90) * MIN;
        self.out
            .event(J::new("Cleared", cleared, Stamp::Rfc3339).str("incident_id", id));
    }

    fn plant_violent(&mut self, day: u32) {
        let mut rng = self.rng(D_VIOLENT, day);
        let d0 = self.day_start(day);
        // Acknowledged after more than a minute.
        let t = time_in(&mut rng, d0, 0, 24, &INCIDENT_ACTIVITY);
        let (id, _, station) = self.violent_incident(&mut rng, t);
        let ack = t + rng.range(70, 110) * SEC;
        let police = rng.range(120, 280) * SEC;
        self.respond(&mut rng, (&id, station), t, ack, police);
        self.plant_workflow_alert(
            "violent_incident_response",
            "raised",
            &id,
            t + MIN,
            "暴力警情1分钟未确认".into(),
        );
        // Police on scene 6 to 8 minutes after the report.
        if day.is_multiple_of(2) {
            let t = time_in(&mut rng, d0, 0, 24, &INCIDENT_ACTIVITY);
            let (id, _, station) = self.violent_incident(&mut rng, t);
            let ack = t + rng.range(15, 40) * SEC;
            let police = rng.range(6 * 60, 8 * 60) * SEC;
            self.respond(&mut rng, (&id, station), t, ack, police);
            self.plant_workflow_alert(
                "violent_incident_response",
                "dispatched",
                &id,
                t + 5 * MIN,
                "报警后5分钟警力未到场".into(),
            );
            self.plant_transition(
                "violent_incident_response",
                "on_scene",
                &id,
                t + police,
                "警力迟到后到场".into(),
            );
        }
        match day % 3 {
            0 => {
                // Never acknowledged, nobody arrives: the 1-, 3- and 5-minute alerts, then the
                // second-level response at 10 minutes.
                let t = time_in(&mut rng, d0, 0, 24, &INCIDENT_ACTIVITY);
                let (id, _, _) = self.violent_incident(&mut rng, t);
                for (after, what) in [
                    (MIN, "暴力警情1分钟未确认，无自救力量"),
                    (3 * MIN, "3分钟无互救力量"),
                    (5 * MIN, "5分钟警力未到场"),
                ] {
                    self.plant_workflow_alert(
                        "violent_incident_response",
                        "raised",
                        &id,
                        t + after,
                        what.into(),
                    );
                }
                self.plant_transition(
                    "violent_incident_response",
                    "second_level_response",
                    &id,
                    t + 10 * MIN,
                    "10分钟未确认，启动二级响应".into(),
                );
                self.ack(&mut rng, &id, t + 11 * MIN);
            }
            1 => {
                // The police arrive, but nobody from the premises or the neighbourhood: the
                // 1- and 3-minute rings.
                let t = time_in(&mut rng, d0, 0, 24, &INCIDENT_ACTIVITY);
                let (id, _, station) = self.violent_incident(&mut rng, t);
                let ack = t + rng.range(10, 40) * SEC;
                self.ack(&mut rng, &id, ack);
                self.arrived(&mut rng, &id, ack + 3 * MIN, "police", station);
                for (after, what) in [(MIN, "1分钟无自救力量"), (3 * MIN, "3分钟无互救力量")]
                {
                    self.plant_workflow_alert(
                        "violent_incident_response",
                        "dispatched",
                        &id,
                        t + after,
                        what.into(),
                    );
                }
            }
            _ => {}
        }
    }

    fn violent_background(&mut self, day: u32) {
        let mut rng = self.rng(D_VIOLENT, 10_000 + day);
        let d0 = self.day_start(day);
        let n = rng.range(3, 7);
        for _ in 0..n {
            let t = time_in(&mut rng, d0, 0, 24, &INCIDENT_ACTIVITY);
            let (id, _, station) = self.violent_incident(&mut rng, t);
            let ack = t + rng.range(5, 45) * SEC;
            let police = rng.range(100, 285) * SEC;
            self.respond(&mut rng, (&id, station), t, ack, police);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Missing persons

    fn missing_case(&mut self, t: i64) -> String {
        let n = self.id("missing");
        format!("MP{}{:03}", ymd(t), n % 1000)
    }

    fn report(&mut self, t: i64, case: &str, place: (&str, &str, &str)) {
        self.out.event(
            J::new("MissingPersonReport", t, Stamp::Rfc3339)
                .str("case_id", case)
                .str("location", place.0)
                .str("description", place.1)
                .str("terrain", place.2),
        );
    }

    fn dispatch_teams(&mut self, rng: &mut Rng, case: &str, first: i64) {
        let n = rng.range(1, 4);
        let mut at = first;
        for i in 0..n {
            self.out.event(
                J::new("SearchTeamDispatched", at, Stamp::Rfc3339)
                    .str("case_id", case)
                    .str(
                        "team",
                        SEARCH_TEAMS[(i as usize + rng.below(5) as usize) % 5],
                    ),
            );
            at += rng.range(5, 25) * MIN;
        }
    }

    fn found(&mut self, case: &str, at: i64, condition: &str) {
        self.out.event(
            J::new("PersonFound", at, Stamp::Rfc3339)
                .str("case_id", case)
                .str("condition", condition),
        );
    }

    fn plant_missing(&mut self, day: u32) {
        let mut rng = self.rng(D_MISSING, day);
        let d0 = self.day_start(day);
        // The 塘朗山 case: a hiker calls at 19:00 and is found after more than 5 hours of
        // search; earlier in the day when the span ends before the escalation.
        let dispatch_after = rng.range(10, 20) * MIN;
        let Some(t) = [19, 15, 13, 10]
            .iter()
            .map(|h| d0 + h * HOUR + rng.range(0, 600) * SEC)
            .find(|t| self.fits(t + dispatch_after + 5 * HOUR))
        else {
            return;
        };
        let case = self.missing_case(t);
        let place = MISSING_PLACES[day as usize % 5];
        self.report(t, &case, place);
        let first = t + dispatch_after;
        self.dispatch_teams(&mut rng, &case, first);
        self.plant_transition(
            "missing_person_search",
            "searching",
            &case,
            first,
            "派出搜救力量".into(),
        );
        self.plant_transition(
            "missing_person_search",
            "escalated",
            &case,
            first + 5 * HOUR,
            format!("{}搜救5小时未果，升级响应", place.0),
        );
        self.found(
            &case,
            first + 5 * HOUR + rng.range(5, 60) * MIN,
            "体力透支，已送医",
        );

        // Search teams dispatched more than 30 minutes after the report.
        if day % 2 == 1 || day == 0 {
            let t = d0 + rng.range(8 * 3600, 18 * 3600) * SEC;
            let case = self.missing_case(t);
            let place = MISSING_PLACES[5 + day as usize % 3];
            self.report(t, &case, place);
            let first = t + rng.range(35, 50) * MIN;
            self.dispatch_teams(&mut rng, &case, first);
            self.plant_workflow_alert(
                "missing_person_search",
                "reported",
                &case,
                t + 30 * MIN,
                "报警30分钟仍未派出搜救力量".into(),
            );
            let at = first + rng.range(60, 180) * MIN;
            self.found(&case, at, "身体无碍，已交家属");
            self.plant_transition(
                "missing_person_search",
                "found",
                &case,
                at,
                "找到当事人".into(),
            );
        }
    }

    fn missing_background(&mut self, day: u32) {
        let mut rng = self.rng(D_MISSING, 10_000 + day);
        let d0 = self.day_start(day);
        for _ in 0..rng.range(1, 4) {
            let t = time_in(&mut rng, d0, 6, 22, &INCIDENT_ACTIVITY);
            let case = self.missing_case(t);
            let place = rng.pick(MISSING_PLACES);
            self.report(t, &case, place);
            if rng.chance(0.2) {
                // Came home before any team left.
                self.found(&case, t + rng.range(10, 25) * MIN, "已自行回家");
                continue;
            }
            let first = t + rng.range(5, 25) * MIN;
            self.dispatch_teams(&mut rng, &case, first);
            self.found(&case, first + rng.range(30, 240) * MIN, "身体无碍");
        }
    }

    // -----------------------------------------------------------------------------------------
    // Maritime

    #[allow(clippy::too_many_arguments)]
    fn vessel_position(
        &mut self,
        rng: &mut Rng,
        t: i64,
        mmsi: &str,
        name: Option<&str>,
        lat: f64,
        lon: f64,
        speed: f64,
    ) {
        let j = J::new("VesselPosition", t, Stamp::EpochMs).str("mmsi", mmsi);
        let j = match name {
            Some(n) if rng.chance(0.9) => j.str("name", n),
            _ if rng.chance(0.5) => j.null("name"),
            _ => j,
        };
        self.out
            .event(j.point("position", lat, lon).float("speed_kn", speed, 1));
    }

    fn plant_maritime(&mut self, day: u32) {
        let mut rng = self.rng(D_RADAR, 10_000 + day);
        let d0 = self.day_start(day);
        // A fishing boat in the restricted waters for 15 minutes.
        let mmsi = format!("41256{:04}", 9000 + day % 1000);
        let name = (!day.is_multiple_of(3)).then(|| format!("粤惠渔{}", rng.digits(5)));
        let t = d0 + rng.range(5 * 3600, 21 * 3600) * SEC;
        let track = [
            (22.598, 114.592, false),
            (22.599, 114.581, false),
            (22.600, 114.571, true),
            (22.601, 114.565, true),
            (22.603, 114.562, true),
            (22.604, 114.569, true),
            (22.606, 114.580, false),
            (22.607, 114.590, false),
        ];
        let mut first_inside = None;
        for (i, (lat, lon, inside)) in track.iter().enumerate() {
            let at = t + i as i64 * 5 * MIN + rng.range(0, 20_000);
            if *inside && first_inside.is_none() {
                first_inside = Some(at);
            }
            let speed = rng.uniform(3.0, 7.5);
            self.vessel_position(&mut rng, at, &mmsi, name.as_deref(), *lat, *lon, speed);
        }
        if let Some(at) = first_inside {
            self.plant_alert(
                "restricted_zone_entry",
                Some(&mmsi),
                at,
                "未授权渔船驶入大亚湾核电站禁航区约15分钟".into(),
            );
        }
        // Unidentified radar contacts: a boat is sent after the alert and finds a vessel it
        // identifies, or one it boards; some days the dispatch or the arrival is late.
        let mut boats = self.rng(D_RADAR, 20_000 + day);
        for i in 0..2 {
            let (prefix, lat, lon) = rng.pick(WATCH_AREAS);
            let t = d0 + rng.range(0, 23 * 3600) * SEC + rng.range(0, 1000);
            let track = format!("{prefix}-{}-9{:02}", ymd(t), i);
            self.out.event(
                J::new("RadarContact", t, Stamp::EpochMs)
                    .str("track", &track)
                    .bool("identified", false)
                    .point(
                        "position",
                        rng.uniform(lat.0, lat.1),
                        rng.uniform(lon.0, lon.1),
                    ),
            );
            self.plant_alert(
                "unidentified_radar_contact",
                Some(&track),
                t + 15 * MIN,
                "雷达目标15分钟未识别".into(),
            );
            let alerted = t + 15 * MIN;
            self.interception(&mut boats, day, i, &track, alerted);
        }
    }

    /// What follows an unidentified contact's alert (`radar_contact_interception`): by day, a
    /// dispatch 15 minutes late (variant 0) or an arrival over 45 minutes (1) besides the
    /// usual dispatch within 10 and arrival within 45; then identified (even `day + i`) or
    /// boarded.
    fn interception(&mut self, rng: &mut Rng, day: u32, i: u32, track: &str, alerted: i64) {
        let variant = if i == 0 { day % 4 } else { 3 };
        let dispatched = if variant == 0 {
            self.plant_workflow_alert(
                "radar_contact_interception",
                "awaiting_dispatch",
                track,
                alerted + 10 * MIN,
                "告警10分钟未派艇".into(),
            );
            alerted + 15 * MIN
        } else {
            alerted + rng.range(2, 9) * MIN
        };
        let boat = format!("海巡 03{}", rng.range(10, 19));
        let crew = CREWS[(day as usize + i as usize) % CREWS.len()];
        self.out.event(
            J::new("PatrolDispatched", dispatched, Stamp::Rfc3339)
                .str("track", track)
                .str("boat", &boat)
                .str("crew", crew),
        );
        let on_scene = if variant == 1 {
            self.plant_workflow_alert(
                "radar_contact_interception",
                "en_route",
                track,
                dispatched + 45 * MIN,
                "巡逻艇45分钟未抵达目标".into(),
            );
            dispatched + 55 * MIN
        } else {
            dispatched + rng.range(15, 40) * MIN
        };
        self.out.event(
            J::new("PatrolOnScene", on_scene, Stamp::Rfc3339)
                .str("track", track)
                .str("boat", &boat),
        );
        let done = on_scene + rng.range(5, 50) * MIN;
        if (day + i).is_multiple_of(2) {
            self.out.event(
                J::new("VesselIdentified", done, Stamp::EpochMs)
                    .str("track", track)
                    .str("mmsi", &format!("4125{}", rng.digits(5))),
            );
        } else {
            self.out.event(
                J::new("VesselIntercepted", done, Stamp::Rfc3339)
                    .str("track", track)
                    .str("boat", &boat)
                    .str(
                        "outcome",
                        rng.pick(&["无证渔船，移交海警", "关闭AIS的货船，核查后放行"]),
                    ),
            );
            self.plant_transition(
                "radar_contact_interception",
                "intercepted",
                track,
                done,
                "巡逻艇拦截登临".into(),
            );
            self.plant_workflow_alert(
                "radar_contact_interception",
                "on_scene",
                track,
                done,
                "拦截结果报指挥中心".into(),
            );
        }
    }

    /// The coastal stations' watch: four handovers a day, four crews in turn. Planted: a
    /// relief 40 minutes late (every fifth day, at one station) and a crew kept on for a
    /// second shift (every fifth day, two days later, at the other).
    fn watch(&mut self, day: u32) {
        let mut rng = self.rng(D_WATCH, day);
        let d0 = self.day_start(day);
        for (s, station) in WATCH_STATIONS.iter().enumerate() {
            let mut previous: Option<i64> = None;
            for k in 0..4_i64 {
                let shift = i64::from(day) * 4 + k;
                let mut at = d0 + k * 6 * HOUR + rng.range(0, 8 * 60) * SEC;
                let mut crew = CREWS[(shift as usize + s) % CREWS.len()];
                if s == 0 && day % 5 == 2 && k == 2 {
                    // 40 minutes late: the morning crew's watch is uncovered from 6h15m on.
                    let from = previous.unwrap_or(at);
                    at = d0 + k * 6 * HOUR + 40 * MIN;
                    self.plant_alert(
                        "watch_not_relieved",
                        Some(station),
                        from + 6 * HOUR + 15 * MIN,
                        "交接班迟到40分钟".into(),
                    );
                }
                if s == 1 && day % 5 == 4 && k == 1 {
                    crew = CREWS[(shift as usize - 1 + s) % CREWS.len()];
                    self.plant_alert(
                        "watch_double_shift",
                        Some(station),
                        at,
                        "同一班组连续值守两个班次".into(),
                    );
                }
                self.out.event(
                    J::new("WatchHandover", at, Stamp::Rfc3339)
                        .str("station", station)
                        .str("crew", crew),
                );
                previous = Some(at);
            }
        }
    }

    /// AIS reports of the fleet every 8 to 15 minutes; the nuclear station's work boats inside
    /// the restricted waters, a boat passing just outside it.
    fn ais(&mut self, day: u32) {
        let mut rng = self.rng(D_AIS, day);
        let d0 = self.day_start(day);
        // (mmsi, name, lat range, lon range, speed range)
        let mut fleet: Vec<(String, String, Range, Range, Range)> = Vec::new();
        for i in 0..10 {
            fleet.push((
                format!("4125600{:02}", i),
                format!("粤惠渔{:05}", 10_000 + i * 137),
                (22.50, 22.68),
                (114.585, 114.70),
                (0.0, 8.0),
            ));
        }
        for i in 0..6 {
            fleet.push((
                format!("4125700{:02}", i),
                format!("粤深渔{:05}", 20_000 + i * 211),
                (22.46, 22.54),
                (114.30, 114.48),
                (0.0, 8.0),
            ));
        }
        for (i, name) in ["鹏星", "海上看深圳", "蛇口号", "海天", "深港1号", "前海2号"]
            .iter()
            .enumerate()
        {
            fleet.push((
                format!("4134500{:02}", i),
                (*name).to_string(),
                (22.45, 22.50),
                (113.90, 114.00),
                (8.0, 24.0),
            ));
        }
        for (i, name) in [
            "COSCO SHIPPING TAURUS",
            "MSC ISABELLA",
            "EVER GIVEN",
            "OOCL HONG KONG",
        ]
        .iter()
        .enumerate()
        {
            fleet.push((
                format!("47730{:04}", 1000 + i),
                (*name).to_string(),
                (22.30, 22.45),
                (113.70, 113.85),
                (6.0, 16.0),
            ));
        }
        for (mmsi, name) in AUTHORISED_VESSELS {
            fleet.push((
                (*mmsi).to_string(),
                (*name).to_string(),
                (22.588, 22.612),
                (114.551, 114.573),
                (0.0, 6.0),
            ));
        }
        for (mmsi, name, lat, lon, speed) in &fleet {
            let mut t = d0 + rng.range(0, 600_000);
            let (mut y, mut x) = (rng.uniform(lat.0, lat.1), rng.uniform(lon.0, lon.1));
            while t < d0 + DAY {
                y = (y + rng.uniform(-0.006, 0.006)).clamp(lat.0, lat.1);
                x = (x + rng.uniform(-0.006, 0.006)).clamp(lon.0, lon.1);
                let s = rng.uniform(speed.0, speed.1);
                self.vessel_position(&mut rng, t, mmsi, Some(name), y, x, s);
                t += rng.range(8 * 60_000, 15 * 60_000);
            }
        }
        // A boat passing just east of the restricted waters.
        let t = d0 + rng.range(6 * 3600, 18 * 3600) * SEC;
        for i in 0..6 {
            let at = t + i * 6 * MIN;
            let lat = 22.586 + 0.005 * i as f64;
            self.vessel_position(
                &mut rng,
                at,
                "412560777",
                Some("粤惠渔06677"),
                lat,
                114.578,
                5.2,
            );
        }
    }

    /// Radar contacts: correlated with AIS, identified by the watch within minutes, or
    /// outside the watched waters.
    fn radar(&mut self, day: u32) {
        let mut rng = self.rng(D_RADAR, day);
        let d0 = self.day_start(day);
        let mut n = 0;
        for h in 0..24 {
            for _ in 0..rng.poisson(7.0) {
                n += 1;
                let t = d0 + h * HOUR + rng.range(0, 3_600_000);
                let r = rng.f64();
                if r < 0.1 {
                    // South of Hong Kong: outside every watched polygon.
                    let track = format!("OUT-{}-{n:03}", ymd(t));
                    self.out.event(
                        J::new("RadarContact", t, Stamp::EpochMs)
                            .str("track", &track)
                            .bool("identified", false)
                            .point(
                                "position",
                                rng.uniform(22.15, 22.25),
                                rng.uniform(114.05, 114.20),
                            ),
                    );
                    continue;
                }
                let (prefix, lat, lon) = rng.pick(WATCH_AREAS);
                let track = format!("{prefix}-{}-{n:03}", ymd(t));
                let identified = r >= 0.3;
                self.out.event(
                    J::new("RadarContact", t, Stamp::EpochMs)
                        .str("track", &track)
                        .bool("identified", identified)
                        .point(
                            "position",
                            rng.uniform(lat.0, lat.1),
                            rng.uniform(lon.0, lon.1),
                        ),
                );
                if !identified {
                    // Within 2 to 12 minutes; one a day at 14 minutes 30 seconds.
                    let after = if n == 5 {
                        14 * MIN + 30 * SEC
                    } else {
                        rng.range(2 * 60_000, 12 * 60_000)
                    };
                    self.out.event(
                        J::new("VesselIdentified", t + after, Stamp::EpochMs)
                            .str("track", &track)
                            .str("mmsi", &format!("4125{}", rng.digits(5))),
                    );
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Checkpoints

    fn plate(rng: &mut Rng) -> String {
        const CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
        loop {
            let prefix = rng.pick(&[
                "粤B", "粤B", "粤B", "粤B", "粤B", "粤A", "粤S", "粤E", "湘A", "赣B", "桂A",
            ]);
            let body: String = if rng.chance(0.2) {
                format!("{}{}", rng.pick(&["D", "F"]), rng.digits(5))
            } else {
                (0..5)
                    .map(|i| {
                        if i == 4 {
                            char::from(b'0' + rng.below(10) as u8)
                        } else {
                            char::from(CHARS[rng.below(CHARS.len() as u64) as usize])
                        }
                    })
                    .collect()
            };
            let p = format!("{prefix}{body}");
            if !WATCHLIST_PLATES.contains(&p.as_str()) {
                return p;
            }
        }
    }

    fn truck_plate(&mut self, rng: &mut Rng) -> String {
        loop {
            let p = Self::plate(rng);
            if self.truck_plates.insert(p.clone()) {
                return p;
            }
        }
    }

    fn pass(&mut self, t: i64, plate: &str, checkpoint: &str, class: &str) {
        self.out.event(
            J::new("CheckpointPass", t, Stamp::Rfc3339)
                .str("plate", plate)
                .str("checkpoint", checkpoint)
                .str("vehicle_class", class),
        );
    }

    fn plant_checkpoints(&mut self, day: u32) {
        let mut rng = self.rng(D_CHECKPOINTS, 10_000 + day);
        let d0 = self.day_start(day);
        // Watchlisted plates: an entry checkpoint (alert), a camera minutes later
        // (suppressed), an inner checkpoint more than 15 minutes after the first (alert).
        for i in 0..2 {
            let plate = WATCHLIST_PLATES[(2 * day as usize + i) % WATCHLIST_PLATES.len()];
            let t = d0 + rng.range(7 * 3600, 21 * 3600) * SEC;
            let entry = rng.pick(ENTRY_CHECKPOINTS);
            self.pass(t, plate, entry, "car");
            self.plant_alert(
                "watchlist_plate_hit",
                Some(plate),
                t,
                format!("布控车辆经过{entry}"),
            );
            self.pass(
                t + rng.range(4, 10) * MIN,
                plate,
                rng.pick(OTHER_CAMERAS),
                "car",
            );
            let inner_at = t + rng.range(20, 45) * MIN;
            let inner = rng.pick(INNER_CHECKPOINTS);
            self.pass(inner_at, plate, inner, "car");
            self.plant_alert(
                "watchlist_plate_hit",
                Some(plate),
                inner_at,
                format!("布控车辆进入市区（{inner}）"),
            );
            self.work_hits(day, i, plate, t, inner_at);
        }
        // A goods vehicle that skips the inspection point.
        let plate = self.truck_plate(&mut rng);
        let class = if day.is_multiple_of(2) {
            "heavy_truck"
        } else {
            "hazmat"
        };
        let t = d0 + rng.range(6 * 3600, 20 * 3600) * SEC;
        let entry = rng.pick(ENTRY_CHECKPOINTS);
        self.pass(t, &plate, entry, class);
        self.pass(
            t + rng.range(10, 25) * MIN,
            &plate,
            rng.pick(OTHER_CAMERAS),
            class,
        );
        let inner_at = t + rng.range(35, 100) * MIN;
        self.pass(inner_at, &plate, rng.pick(INNER_CHECKPOINTS), class);
        self.plant_alert(
            "skipped_inspection",
            Some(&plate),
            inner_at,
            format!(
                "{}经{entry}入城未经查验站",
                if class == "hazmat" {
                    "危化品车"
                } else {
                    "重型货车"
                }
            ),
        );
    }

    /// Traffic through the checkpoints, busiest at rush hours; goods vehicles go through the
    /// inspection point; light trucks and buses need not; one truck reaches the centre after
    /// more than two hours.
    fn checkpoints(&mut self, day: u32) {
        let mut rng = self.rng(D_CHECKPOINTS, day);
        let d0 = self.day_start(day);
        let all: Vec<&str> = ENTRY_CHECKPOINTS
            .iter()
            .chain(INNER_CHECKPOINTS)
            .chain(OTHER_CAMERAS)
            .copied()
            .collect();
        for h in 0..24 {
            for _ in 0..rng.poisson(75.0 * ACTIVITY[h as usize]) {
                let t = d0 + h * HOUR + rng.range(0, 3600) * SEC;
                let r = rng.f64();
                if r < 0.1 {
                    // A goods vehicle entering the city.
                    let plate = self.truck_plate(&mut rng);
                    let class = if rng.chance(0.8) {
                        "heavy_truck"
                    } else {
                        "hazmat"
                    };
                    self.pass(t, &plate, rng.pick(ENTRY_CHECKPOINTS), class);
                    let inspected = t + rng.range(10, 40) * MIN;
                    self.pass(inspected, &plate, INSPECTION_POINT, class);
                    if rng.chance(0.6) {
                        let at = inspected + rng.range(15, 60) * MIN;
                        self.pass(at, &plate, rng.pick(INNER_CHECKPOINTS), class);
                    }
                    continue;
                }
                let plate = Self::plate(&mut rng);
                let class = if r < 0.15 {
                    "bus"
                } else if r < 0.25 {
                    "light_truck"
                } else {
                    "car"
                };
                let passes = rng.range(1, 4);
                let mut at = t;
                for _ in 0..passes {
                    self.pass(at, &plate, rng.pick(&all), class);
                    at += rng.range(8, 50) * MIN;
                }
            }
        }
        // Near-miss: a heavy truck reaches the centre 2 hours 10 minutes after entering.
        let plate = self.truck_plate(&mut rng);
        let t = d0 + rng.range(5 * 3600, 19 * 3600) * SEC;
        self.pass(t, &plate, rng.pick(ENTRY_CHECKPOINTS), "heavy_truck");
        self.pass(
            t + 130 * MIN,
            &plate,
            rng.pick(INNER_CHECKPOINTS),
            "heavy_truck",
        );
    }

    // -----------------------------------------------------------------------------------------
    // Large events at the Shenzhen Bay Sports Centre

    fn event_day(day: u32) -> bool {
        day.is_multiple_of(3)
    }

    fn density(&mut self, t: i64, camera: usize, value: f64) {
        let (id, lat, lon, _) = CAMERAS[camera];
        self.out.event(
            J::new("CrowdDensity", t, Stamp::EpochMs)
                .str("camera", id)
                .point("position", lat, lon)
                .float("persons_per_m2", value, 2),
        );
    }

    fn plant_venue(&mut self, day: u32) {
        if !Self::event_day(day) {
            return;
        }
        let mut rng = self.rng(D_VENUE, 10_000 + day);
        let d0 = self.day_start(day);
        // A watchlisted person at a gate (and scanned again at the same gate 90 s later).
        let first = d0 + 18 * HOUR + rng.range(0, 2400) * SEC;
        for i in 0..2 {
            let person = EVENT_WATCHLIST[(day as usize / 3 * 2 + i) % EVENT_WATCHLIST.len()];
            let gate = VENUE_GATES[(day as usize + i * 3) % VENUE_GATES.len()];
            let t = first + i as i64 * rng.range(20, 50) * MIN;
            let ticket = format!("T{}{}", ymd(t), rng.digits(6));
            for at in [t, t + 90 * SEC] {
                self.out.event(
                    J::new("EntranceCheck", at, Stamp::Rfc3339)
                        .str("gate", gate)
                        .str("person_ref", person)
                        .str("ticket", &ticket),
                );
            }
            self.plant_alert(
                "entrance_watchlist_match",
                Some(person),
                t,
                format!("布控人员在{gate}入场"),
            );
            self.plant_alert(
                "entrance_hold_gate",
                Some(gate),
                t,
                "通知入口安检员协助核查".into(),
            );
        }
    }

    /// Crowd density cameras (every minute on event evenings, every 10 minutes otherwise)
    /// and ticket checks at the gates; on event days one camera in the core area goes over
    /// the limit for six minutes.
    fn venue(&mut self, day: u32) {
        let mut rng = self.rng(D_VENUE, day);
        let d0 = self.day_start(day);
        if !Self::event_day(day) {
            for c in 0..CAMERAS.len() {
                let mut t = d0 + rng.range(0, 600_000);
                while t < d0 + DAY {
                    let v = rng.uniform(0.05, 0.4) * (ACTIVITY[hour(t) as usize] + 0.2);
                    self.density(t, c, v);
                    t += 10 * MIN;
                }
            }
            return;
        }
        let hot = day as usize / 3 % 6;
        let hot_from = d0 + 19 * HOUR + rng.range(0, 1800) * SEC;
        let mut planted_at = None;
        for (c, camera) in CAMERAS.iter().enumerate() {
            let inside = camera.3;
            let mut t = d0 + rng.range(0, 600_000);
            while t < d0 + DAY {
                let hours = (t - d0) as f64 / HOUR as f64;
                let step = if (17.0..22.75).contains(&hours) {
                    MIN
                } else {
                    10 * MIN
                };
                // Arrivals peak at 19:15, departures at 22:10.
                let arrive = (-((hours - 19.25) / 0.6).powi(2)).exp();
                let leave = (-((hours - 22.15) / 0.25).powi(2)).exp();
                let base = 0.3 + 3.2 * arrive + 2.9 * leave;
                let mut v = base * rng.uniform(0.85, 1.08);
                if inside {
                    v = v.min(3.85);
                } else {
                    // The metro exit and the footbridge are outside the core area and get
                    // more crowded than it.
                    v *= 1.3;
                }
                if c == hot && t >= hot_from && t < hot_from + 6 * MIN {
                    v = rng.uniform(4.05, 5.3);
                    planted_at.get_or_insert(t);
                }
                self.density(t, c, v);
                t += step;
            }
        }
        if let Some(at) = planted_at {
            self.plant_alert(
                "crowd_density_high",
                Some(CAMERAS[hot].0),
                at,
                "散场前核心区人群密度超过4人/平方米（约6分钟）".into(),
            );
        }
        // Ticket checks from 17:30 to 19:45.
        let mut t = d0 + 17 * HOUR + 30 * MIN;
        while t < d0 + 19 * HOUR + 45 * MIN {
            let hours = (t - d0) as f64 / HOUR as f64;
            let rate = 8.0 + 30.0 * (-((hours - 18.9) / 0.4).powi(2)).exp();
            for _ in 0..rng.poisson(rate) {
                let at = t + rng.range(0, 60_000);
                let person = loop {
                    let p = rng.hex(16);
                    if !EVENT_WATCHLIST.contains(&p.as_str()) {
                        break p;
                    }
                };
                self.out.event(
                    J::new("EntranceCheck", at, Stamp::Rfc3339)
                        .str("gate", rng.pick(VENUE_GATES))
                        .str("person_ref", &person)
                        .str("ticket", &format!("T{}{}", ymd(at), rng.digits(6))),
                );
            }
            t += MIN;
        }
    }

    // -----------------------------------------------------------------------------------------
    // Schools (the IoT platform sends CloudEvents)

    fn alarm(&mut self, rng: &mut Rng, t: i64, school: &str, gate: &str) {
        let id = format!("alarm-{}", rng.hex(12));
        self.out.event(
            J::cloud("GateAlarm", t, &id, "/iot/campus-alarm")
                .str("school", school)
                .str("gate", gate),
        );
    }

    fn guard(&mut self, rng: &mut Rng, t: i64, school: &str) {
        let id = format!("resp-{}", rng.hex(12));
        self.out.event(
            J::cloud("GuardResponse", t, &id, "/iot/campus-alarm")
                .str("school", school)
                .str("guard", rng.pick(GUARDS)),
        );
    }

    /// A working day of the calendar (`rules/schools/gates.vigil` reads `workday`).
    fn school_day(&self, day: u32) -> bool {
        self.calendar.is_workday(local_day(self.day_start(day)))
    }

    fn plant_schools(&mut self, day: u32) {
        if !self.school_day(day) {
            return;
        }
        let mut rng = self.rng(D_SCHOOLS, 10_000 + day);
        let d0 = self.day_start(day);
        let school = SCHOOLS[day as usize % SCHOOLS.len()];
        let t = d0 + rng.range(7 * 3600 + 1800, 17 * 3600 + 1800) * SEC;
        let gate = rng.pick(SCHOOL_GATES);
        self.alarm(&mut rng, t, school, gate);
        if !day.is_multiple_of(3) {
            let after = rng.range(4 * 60, 7 * 60) * SEC;
            self.guard(&mut rng, t + after, school);
        }
        self.plant_alert(
            "gate_alarm_unanswered",
            Some(school),
            t + 3 * MIN,
            "上课时间一键报警3分钟无人响应".into(),
        );
    }

    /// Alarms answered within 20 s to 2 min 58 s; alarms outside school hours, which go to
    /// the station at once.
    fn schools(&mut self, day: u32) {
        let mut rng = self.rng(D_SCHOOLS, day);
        let d0 = self.day_start(day);
        let planted = SCHOOLS[day as usize % SCHOOLS.len()];
        let others: Vec<&str> = SCHOOLS.iter().copied().filter(|s| *s != planted).collect();
        let mut order = others.clone();
        for i in (1..order.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            order.swap(i, j);
        }
        let mut schools = order.into_iter();
        if self.school_day(day) {
            for i in 0..rng.range(3, 7) {
                let Some(school) = schools.next() else { break };
                let t = d0 + rng.range(7 * 3600, 17 * 3600) * SEC;
                let gate = rng.pick(SCHOOL_GATES);
                self.alarm(&mut rng, t, school, gate);
                let after = if i == 0 {
                    rng.range(170, 179) * SEC
                } else {
                    rng.range(20, 150) * SEC
                };
                self.guard(&mut rng, t + after, school);
            }
        }
        // After hours or on a day off: no one on duty, the station is called at once.
        for _ in 0..rng.range(1, 3) {
            let Some(school) = schools.next() else { break };
            let t = if self.school_day(day) {
                d0 + rng.range(18 * 3600 + 600, 22 * 3600) * SEC
            } else {
                d0 + rng.range(8 * 3600, 20 * 3600) * SEC
            };
            let gate = rng.pick(SCHOOL_GATES);
            self.alarm(&mut rng, t, school, gate);
            self.plant_alert(
                "gate_alarm_out_of_hours",
                None,
                t,
                "非上课时间一键报警，直接推送派出所".into(),
            );
        }
    }

    // -----------------------------------------------------------------------------------------
    // Police-station mediation

    fn mediation_case(&mut self, t: i64) -> String {
        let n = self.id("police_mediation");
        format!("ZATJ-{}-{:03}", ymd(t), n % 1000)
    }

    #[allow(clippy::too_many_arguments)]
    fn accepted(
        &mut self,
        rng: &mut Rng,
        t: i64,
        case: &str,
        exclusion: Option<&str>,
        youngest: i64,
        guardian: bool,
    ) {
        let d = rng.below(DISTRICTS.len() as u64) as usize;
        let station = rng.pick(DISTRICTS[d].areas).0;
        self.out.event(
            J::new("MediationAccepted", t, Stamp::Rfc3339)
                .str("case_id", case)
                .str("station", station)
                .str("summary", rng.pick(DISPUTES))
                .bool("hired_violence", exclusion == Some("hired_violence"))
                .bool("gang_fight", exclusion == Some("gang_fight"))
                .bool("repeat_offender", exclusion == Some("repeat_offender"))
                .int("youngest_party_age", youngest)
                .bool("guardian_present", guardian),
        );
    }

    fn session(&mut self, t: i64, case: &str, agreement: bool) {
        self.out.event(
            J::new("MediationSession", t, Stamp::Rfc3339)
                .str("case_id", case)
                .bool("agreement", agreement),
        );
    }

    /// An appraisal requested at `requested` and delivered at `delivered`.
    fn appraisal(&mut self, case: &str, kind: &str, requested: i64, delivered: i64) {
        self.out.event(
            J::new("AppraisalRequested", requested, Stamp::Rfc3339)
                .str("case_id", case)
                .str("kind", kind),
        );
        self.out
            .event(J::new("AppraisalDelivered", delivered, Stamp::Rfc3339).str("case_id", case));
    }

    fn performance(&mut self, t: i64, case: &str, performed: bool) {
        self.out.event(
            J::new("AgreementPerformance", t, Stamp::Rfc3339)
                .str("case_id", case)
                .bool("performed", performed),
        );
    }

    /// Office hours of a working day at or after `t`.
    fn office_time(&self, rng: &mut Rng, day: u32) -> i64 {
        let d0 = self.day_start(day);
        d0 + rng.range(9 * 3600, 17 * 3600) * SEC
    }

    fn plant_police_mediation(&mut self, day: u32) {
        let mut rng = self.rng(D_POLICE_MEDIATION, 10_000 + day);
        let workday = self.calendar.is_workday(local_day(self.day_start(day)));
        // Excluded from mediation (a rule, not the workflow).
        let t = self.office_time(&mut rng, day);
        let case = self.mediation_case(t);
        let exclusion = rng.pick(&["hired_violence", "gang_fight", "repeat_offender"]);
        let age = rng.range(18, 60);
        self.accepted(&mut rng, t, &case, Some(exclusion), age, false);
        self.plant_alert(
            "mediation_excluded",
            None,
            t,
            format!("不适用治安调解的案件（{exclusion}）被受理"),
        );
        // A party under 16 without a guardian; the mediation itself succeeds.
        if day.is_multiple_of(2) {
            let t = self.office_time(&mut rng, day);
            let case = self.mediation_case(t);
            let age = rng.range(13, 16);
            self.accepted(&mut rng, t, &case, None, age, false);
            self.plant_alert(
                "minor_party_without_guardian",
                None,
                t,
                format!("{age}岁当事人无监护人在场"),
            );
            let s = t + rng.range(1, 4) * HOUR;
            self.session(s, &case, true);
            self.plant_transition(
                "police_mediation",
                "agreed",
                &case,
                s,
                "达成调解协议".into(),
            );
            self.performance(s + rng.range(1, 4) * DAY, &case, true);
        }
        if !workday {
            return;
        }
        // No session within 3 working days.
        if day % 2 == 1 {
            let t = self.office_time(&mut rng, day);
            let due = self.calendar.due(t, 3);
            if self.fits(due) {
                let case = self.mediation_case(t);
                let age = rng.range(18, 70);
                self.accepted(&mut rng, t, &case, None, age, false);
                self.plant_transition(
                    "police_mediation",
                    "overdue",
                    &case,
                    due,
                    "受理后3个工作日内未完成治安调解".into(),
                );
                self.session(due + rng.range(2, 30) * HOUR, &case, true);
            }
        }
        // Two sessions without agreement: the case goes to punishment.
        if day.is_multiple_of(3) {
            let t = self.office_time(&mut rng, day);
            let compressed = !self.fits(t + 5 * DAY);
            let t = if compressed {
                self.day_start(day) + rng.range(9 * 3600, 11 * 3600) * SEC
            } else {
                t
            };
            let case = self.mediation_case(t);
            let age = rng.range(18, 70);
            self.accepted(&mut rng, t, &case, None, age, false);
            let (s1, s2) = if compressed {
                let s1 = t + rng.range(2, 3) * HOUR;
                (s1, s1 + rng.range(3, 5) * HOUR)
            } else {
                let s1 = t + rng.range(4, 28) * HOUR;
                (s1, s1 + rng.range(1, 4) * DAY + rng.range(0, 6) * HOUR)
            };
            self.session(s1, &case, false);
            self.plant_transition(
                "police_mediation",
                "unresolved",
                &case,
                s1,
                "第一次调解未达成协议".into(),
            );
            self.session(s2, &case, false);
            self.plant_transition(
                "police_mediation",
                "referred",
                &case,
                s2,
                "两次调解不成，依法处罚并告知诉讼途径".into(),
            );
        }
        // An appraisal not delivered within 15 working days (in spans of a month). Its own
        // stream, so that the situations above stay as they were.
        if day % 5 == 2 {
            let mut rng = self.rng(D_POLICE_MEDIATION, 20_000 + day);
            let t = self.office_time(&mut rng, day);
            let requested = t + rng.range(1, 3) * HOUR;
            let due = self.calendar.due(requested, 15);
            if self.fits(due) {
                let case = self.mediation_case(t);
                let age = rng.range(18, 70);
                self.accepted(&mut rng, t, &case, None, age, false);
                self.plant_transition(
                    "police_mediation",
                    "appraisal",
                    &case,
                    requested,
                    "委托伤情鉴定".into(),
                );
                self.plant_workflow_alert(
                    "police_mediation",
                    "appraisal",
                    &case,
                    due,
                    "鉴定超过15个工作日未出具意见".into(),
                );
                let delivered = due + rng.range(4, 48) * HOUR;
                self.appraisal(&case, "伤情鉴定", requested, delivered);
                // Then mediated in time, as an ordinary case.
                let s = delivered + rng.range(2, 20) * HOUR;
                self.session(s, &case, true);
                self.performance(s + rng.range(1, 5) * DAY, &case, true);
            }
        }
    }

    /// Ordinary cases: an agreement at the first or second session, an appraisal first, a
    /// party declining; near-misses of the minor rule.
    fn police_mediation_background(&mut self, day: u32) {
        let mut rng = self.rng(D_POLICE_MEDIATION, day);
        let workday = self.calendar.is_workday(local_day(self.day_start(day)));
        let n = if workday {
            rng.range(3, 6)
        } else {
            rng.range(0, 2)
        };
        for i in 0..n {
            let t = self.office_time(&mut rng, day);
            let case = self.mediation_case(t);
            let (youngest, guardian) = match i {
                0 => (16, false),
                1 if day % 2 == 1 => (rng.range(12, 16), true),
                _ => (rng.range(18, 75), false),
            };
            self.accepted(&mut rng, t, &case, None, youngest, guardian);
            // The third case of a working day: a party declines mediation.
            let r = if i == 2 { 0.95 } else { rng.f64() };
            if r < 0.55 {
                let s = t + rng.range(3, 30) * HOUR;
                self.session(s, &case, true);
                self.performance(s + rng.range(1, 5) * DAY, &case, rng.chance(0.9));
            } else if r < 0.75 {
                let s1 = t + rng.range(3, 30) * HOUR;
                self.session(s1, &case, false);
                let s2 = s1 + rng.range(1, 5) * DAY;
                self.session(s2, &case, true);
                self.performance(s2 + rng.range(1, 5) * DAY, &case, true);
            } else if r < 0.9 {
                let a = t + rng.range(1, 3) * HOUR;
                let kind = rng.pick(&["伤情鉴定", "价格认定"]);
                let delivered = a + rng.range(2, 8) * DAY;
                self.appraisal(&case, kind, a, delivered);
                let s = delivered + rng.range(2, 20) * HOUR;
                self.session(s, &case, true);
                self.performance(s + rng.range(1, 5) * DAY, &case, true);
            } else {
                self.out.event(
                    J::new(
                        "MediationDeclined",
                        t + rng.range(1, 5) * HOUR,
                        Stamp::Rfc3339,
                    )
                    .str("case_id", &case)
                    .str("party", rng.pick(&["申请人", "被申请人"])),
                );
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // People's mediation

    fn people_case(&mut self, t: i64) -> String {
        let n = self.id("people_mediation");
        format!("RMTJ-{}-{:03}", ymd(t), n % 1000)
    }

    fn applied(&mut self, rng: &mut Rng, t: i64, case: &str) {
        let source = rng.pick(&[
            "application",
            "application",
            "committee_initiative",
            "police_referral",
            "court_referral",
        ]);
        self.out.event(
            J::new("PeopleMediationApplied", t, Stamp::Rfc3339)
                .str("case_id", case)
                .str("committee", rng.pick(COMMITTEES))
                .str("source", source)
                .str("summary", rng.pick(PEOPLE_DISPUTES)),
        );
        if source == "police_referral" {
            self.joint_visit(t, case);
        }
    }

    /// The four parties of a police-referred case's joint visit (`joint_mediation_visit`), each
    /// within 1 to 6 days of the referral, from a stream of the case's own.
    fn joint_visit(&mut self, referred: i64, case: &str) {
        let mut rng = Rng::of(self.seed, D_JOINT_VISITS, case);
        for (party, person) in [
            ("station_officer", "派出所社区民警"),
            ("street_duty_leader", "街道驻所值班领导"),
            ("lawyer", "驻所律师"),
            ("workstation", "社区工作站"),
        ] {
            let at = referred + rng.range(24, 144) * HOUR;
            let j = J::new("JointVisitAttended", at, Stamp::Rfc3339)
                .str("case_id", case)
                .str("party", party)
                .str("person", person);
            self.emit(&mut rng, j);
        }
    }

    fn people_event(&mut self, ty: &'static str, t: i64, case: &str) {
        self.out
            .event(J::new(ty, t, Stamp::Rfc3339).str("case_id", case));
    }

    fn visit(&mut self, t: i64, case: &str, performed: bool) {
        self.out.event(
            J::new("FollowUpVisit", t, Stamp::Rfc3339)
                .str("case_id", case)
                .bool("performed", performed),
        );
    }

    fn plant_people_mediation(&mut self, day: u32) {
        let mut rng = self.rng(D_PEOPLE_MEDIATION, 10_000 + day);
        // Extended, then no agreement within the extension.
        if day.is_multiple_of(4) {
            let t = self.office_time(&mut rng, day);
            let ext = t + rng.range(2, 6) * DAY;
            if self.fits(ext + 15 * DAY) {
                let case = self.people_case(t);
                self.applied(&mut rng, t, &case);
                self.people_event("PeopleMediationExtended", ext, &case);
                self.plant_transition(
                    "people_mediation",
                    "extended",
                    &case,
                    ext,
                    "双方同意延长调解期限".into(),
                );
                self.plant_transition(
                    "people_mediation",
                    "overdue",
                    &case,
                    ext + 15 * DAY,
                    "延长期满仍未结，提级至街道调解中心".into(),
                );
            }
        }
        // No agreement within 30 days (in spans over a month).
        if day % 5 == 1 {
            let t = self.office_time(&mut rng, day);
            if self.fits(t + 30 * DAY) {
                let case = self.people_case(t);
                self.applied(&mut rng, t, &case);
                self.plant_transition(
                    "people_mediation",
                    "overdue",
                    &case,
                    t + 30 * DAY,
                    "30日调解期满未结".into(),
                );
            }
        }
        // The follow-up visit finds the agreement not performed.
        if day % 3 == 2 {
            let t = self.office_time(&mut rng, day);
            let agreed = t + rng.range(2, 8) * DAY;
            let visit = agreed + rng.range(3, 12) * DAY;
            if self.fits(visit) {
                let case = self.people_case(t);
                self.applied(&mut rng, t, &case);
                self.people_event("PeopleMediationAgreement", agreed, &case);
                self.plant_transition(
                    "people_mediation",
                    "agreed",
                    &case,
                    agreed,
                    "调解协议签署生效".into(),
                );
                self.visit(visit, &case, false);
                self.plant_workflow_alert(
                    "people_mediation",
                    "agreed",
                    &case,
                    visit,
                    "回访发现协议未履行".into(),
                );
            }
        }
        // An agreement never visited within 30 days (in spans over a month).
        if day % 7 == 3 {
            let t = self.office_time(&mut rng, day);
            let agreed = t + rng.range(1, 4) * DAY;
            if self.fits(agreed + 30 * DAY) {
                let case = self.people_case(t);
                self.applied(&mut rng, t, &case);
                self.people_event("PeopleMediationAgreement", agreed, &case);
                self.plant_transition(
                    "people_mediation",
                    "follow_up_overdue",
                    &case,
                    agreed + 30 * DAY,
                    "协议签署后30日未回访".into(),
                );
            }
        }
    }

    /// Ordinary cases: agreements within 25 days and visits within 25 days of them; failures;
    /// extensions with agreements.
    fn people_mediation_background(&mut self, day: u32) {
        let mut rng = self.rng(D_PEOPLE_MEDIATION, day);
        for _ in 0..rng.range(1, 4) {
            let t = self.office_time(&mut rng, day);
            let case = self.people_case(t);
            self.applied(&mut rng, t, &case);
            let r = rng.f64();
            if r < 0.7 {
                let agreed = t + rng.range(2 * 24, 25 * 24) * HOUR;
                self.people_event("PeopleMediationAgreement", agreed, &case);
                self.visit(agreed + rng.range(3 * 24, 25 * 24) * HOUR, &case, true);
            } else if r < 0.85 {
                let failed = t + rng.range(3 * 24, 20 * 24) * HOUR;
                self.out.event(
                    J::new("PeopleMediationFailed", failed, Stamp::Rfc3339)
                        .str("case_id", &case)
                        .str("reason", rng.pick(&["一方拒绝继续调解", "双方分歧过大"])),
                );
            } else {
                let ext = t + rng.range(10 * 24, 25 * 24) * HOUR;
                self.people_event("PeopleMediationExtended", ext, &case);
                let agreed = ext + rng.range(2 * 24, 12 * 24) * HOUR;
                self.people_event("PeopleMediationAgreement", agreed, &case);
                self.visit(agreed + rng.range(3 * 24, 20 * 24) * HOUR, &case, true);
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Malformed lines

    /// A few lines a day that the runtime must reject (each with its reason), and a blank
    /// line it must skip.
    fn malformed(&mut self, day: u32) {
        let mut rng = self.rng(D_MALFORMED, day);
        let d0 = self.day_start(day);
        let mut at = || d0 + rng.range(600, 23 * 3600) * SEC;
        let (t1, t2, t3, t4, t5, t6, t7, t8) = (at(), at(), at(), at(), at(), at(), at(), at());
        // not_json: a line cut short by a restarting collector, and a proxy's error page.
        self.out.malformed(
            t1,
            format!(
                "{{\"type\":\"CallRecord\",\"time\":\"{}\",\"call_id\":\"C{}-00",
                rfc3339(t1),
                ymd(t1)
            ),
        );
        self.out.malformed(
            t2,
            "<html><body><h1>502 Bad Gateway</h1></body></html>".into(),
        );
        // unknown_type: the weather service's feed on the wrong topic.
        self.out.malformed(
            t3,
            format!(
                "{{\"type\":\"WeatherWarning\",\"time\":\"{}\",\"level\":\"orange\",\"hazard\":\"暴雨\",\"area\":\"南山区\"}}",
                rfc3339(t3)
            ),
        );
        // missing_field: an unreadable plate.
        self.out.malformed(
            t4,
            format!(
                "{{\"type\":\"CheckpointPass\",\"time\":\"{}\",\"checkpoint\":\"梅林查报站\",\"vehicle_class\":\"car\"}}",
                rfc3339(t4)
            ),
        );
        // bad_time: a local time without offset.
        let local = rfc3339(t5).replace('T', " ").replace("+08:00", "");
        self.out.malformed(
            t5,
            format!(
                "{{\"type\":\"Incident\",\"time\":\"{local}\",\"incident_id\":\"SZ{}99999\",\"category\":\"noise\",\"address\":\"罗湖区东门街道解放路1号\",\"station\":\"东门派出所\",\"district\":\"罗湖区\"}}",
                ymd(t5)
            ),
        );
        // wrong_type: an age written in words.
        self.out.malformed(
            t6,
            format!(
                "{{\"type\":\"CallRecord\",\"time\":\"{}\",\"call_id\":\"C{}-X001\",\"caller\":\"+8613800138000\",\"callee\":\"+8613900139000\",\"callee_age\":\"七十二\",\"duration\":600}}",
                rfc3339(t6),
                ymd(t6)
            ),
        );
        // late: a work boat's position that arrives three minutes late.
        self.out.malformed(
            t7,
            format!(
                "{{\"type\":\"VesselPosition\",\"time\":{},\"mmsi\":\"413900001\",\"name\":\"大亚湾核电工作船1号\",\"position\":{{\"lat\":22.6,\"lon\":114.56}},\"speed_kn\":2.5}}",
                t7 - 3 * MIN
            ),
        );
        self.out.malformed(t8, String::new());
    }
}

// ---------------------------------------------------------------------------------------------
// Six more domains: lodging, parcel seizures, transport hubs, drones, cyber defence, the
// volunteer platform (`rules/{special_trades,logistics,transport,drones,cyber,volunteers}/`).
//
// Each has its own random streams (planted: `10_000 + day`, background: `day`) and draws its
// arrival disorder from them too, so the older domains' lines are the same as before.

const D_LODGING: u64 = 20;
const D_LOGISTICS: u64 = 21;
const D_TRANSPORT: u64 = 22;
const D_DRONES: u64 = 23;
const D_CYBER: u64 = 24;
const D_VOLUNTEERS: u64 = 25;
const D_DISPUTES: u64 = 26;
const D_JOINT_VISITS: u64 = 27;
const D_PLATE_HITS: u64 = 28;
const D_GUARD_POSTS: u64 = 29;
const D_PRIORITY: u64 = 30;

/// The lines of a list file of `rules/` (comments and blank lines left out).
fn list_file(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect()
}

/// `rules/special_trades/lists/lodging_watchlist.txt`.
fn lodging_watchlist() -> Vec<&'static str> {
    list_file(include_str!(
        "../../rules/special_trades/lists/lodging_watchlist.txt"
    ))
}

/// `rules/drones/lists/event_airspace_days.txt`: the days of the Shenzhen Bay event airspace.
fn event_airspace_days() -> Vec<&'static str> {
    list_file(include_str!(
        "../../rules/drones/lists/event_airspace_days.txt"
    ))
}

/// `YYYY-MM-DD` of the local day of `ms`.
fn iso_date(ms: i64) -> String {
    let d = ymd(ms);
    format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..])
}

const NAMES: &[&str] = &[
    "王磊", "刘洋", "陈杰", "张伟", "李娜", "黄强", "周涛", "吴刚", "赵敏", "孙丽", "许峰", "钟明",
    "何静", "刘畅", "林芳", "邓华", "郑凯", "马骏",
];

/// Check-ins by local hour: afternoons and evenings.
const CHECKIN_ACTIVITY: [f64; 24] = [
    0.5, 0.3, 0.15, 0.08, 0.05, 0.05, 0.08, 0.15, 0.3, 0.4, 0.6, 0.9, 1.2, 1.4, 1.6, 1.6, 1.5, 1.5,
    1.6, 1.7, 1.6, 1.4, 1.1, 0.8,
];

/// Lodging premises: (premises id, name, kind, address, station).
const LODGINGS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "LG-FT-00211",
        "华强北商务酒店",
        "hotel",
        "福田区华强北街道振华路118号",
        "华强北派出所",
    ),
    (
        "LG-FT-00342",
        "会展中心酒店",
        "hotel",
        "福田区福田街道福华三路96号",
        "福田派出所",
    ),
    (
        "LG-LH-00017",
        "东门步行街酒店",
        "hotel",
        "罗湖区东门街道解放路2001号",
        "东门派出所",
    ),
    (
        "LG-NS-00156",
        "科技园假日酒店",
        "hotel",
        "南山区粤海街道科苑路15号",
        "粤海派出所",
    ),
    (
        "LG-BA-00388",
        "西乡商务酒店",
        "hotel",
        "宝安区西乡街道宝民二路168号",
        "西乡派出所",
    ),
    (
        "LG-LG-00420",
        "龙城广场酒店",
        "hotel",
        "龙岗区龙城街道龙翔大道312号",
        "龙城派出所",
    ),
    (
        "LG-YT-00031",
        "沙头角海景酒店",
        "hotel",
        "盐田区沙头角街道海景二路22号",
        "沙头角派出所",
    ),
    (
        "WYF-DP-00107",
        "大鹏所城民宿",
        "homestay",
        "大鹏新区大鹏街道鹏飞路66号",
        "大鹏派出所",
    ),
    (
        "WYF-LG-00456",
        "布吉大芬民宿",
        "homestay",
        "龙岗区布吉街道大芬村老围东9号",
        "布吉派出所",
    ),
    (
        "WYF-NS-00271",
        "南头古城民宿",
        "homestay",
        "南山区南头街道中山东街41号",
        "南头派出所",
    ),
    (
        "WYF-NS-00302",
        "蛇口海上世界民宿",
        "homestay",
        "南山区招商街道望海路59号",
        "蛇口派出所",
    ),
    (
        "WYF-FT-01932",
        "福田口岸悦居公寓",
        "short_let",
        "福田区福田街道福民路88号",
        "福田派出所",
    ),
    (
        "WYF-BA-00761",
        "新安公园旁公寓",
        "short_let",
        "宝安区新安街道创业二路102号",
        "新安派出所",
    ),
    (
        "WYF-LH-00912",
        "民治地铁站旁公寓",
        "short_let",
        "龙华区民治街道民康路112号",
        "民治派出所",
    ),
    (
        "WYF-FT-02210",
        "香蜜湖公寓",
        "short_let",
        "福田区香蜜湖街道侨香路288号",
        "香蜜湖派出所",
    ),
    (
        "WYF-LH-00913",
        "大浪商业中心公寓",
        "short_let",
        "龙华区大浪街道华繁路296号",
        "大浪派出所",
    ),
    (
        "WYF-PS-00088",
        "坪山中心公寓",
        "short_let",
        "坪山区坪山街道东纵路210号",
        "坪山派出所",
    ),
    (
        "WYF-GM-00054",
        "光明大街公寓",
        "short_let",
        "光明区光明街道光明大街35号",
        "光明派出所",
    ),
    (
        "WYF-LH-01201",
        "翠竹路公寓",
        "short_let",
        "罗湖区翠竹街道翠竹路1066号",
        "翠竹派出所",
    ),
];

/// Delivery companies: (name, waybill prefix).
const CARRIERS: &[(&str, &str)] = &[
    ("顺丰速运", "SF14"),
    ("中通快递", "ZT73"),
    ("圆通速递", "YT66"),
    ("韵达快递", "YD43"),
    ("申通快递", "STO77"),
    ("京东物流", "JD00"),
    ("极兔速递", "JT30"),
    ("中国邮政EMS", "EMS11"),
];

/// Prohibited items found in parcels, by frequency.
const PROHIBITED_ITEMS: &[(&str, u32)] = &[
    ("controlled_knife", 30),
    ("imitation_gun", 14),
    ("flammable_chemical", 20),
    ("wildlife_product", 8),
    ("toxic_chemical", 5),
    ("ammunition", 5),
    ("drugs", 12),
    ("explosive", 3),
];

/// Duty posts at transport hubs: (post, hub, hub kind, shift code, officers required). Post
/// names are unique in the city: `rules/transport/stations.vigil` keys the posts by name, and a
/// sign-on names the post only.
const POSTS: &[(&str, &str, &str, &str, i64)] = &[
    ("口岸联检大厅出口岗", "地铁1号线罗湖站", "metro", "LHK", 2),
    ("十一号线换乘通道岗", "地铁车公庙站", "metro", "CGM", 2),
    ("D出口安检岗", "地铁会展中心站", "metro", "HZZX", 1),
    ("三号线换乘大厅岗", "地铁老街站", "metro", "LJ", 2),
    ("五号线站厅岗", "地铁深圳北站", "metro", "SZBM", 2),
    ("进站口1号岗", "深圳火车站", "rail", "SZZ-JZ1", 3),
    ("出站口东侧岗", "深圳火车站", "rail", "SZZ-CZD", 2),
    ("西广场岗", "深圳北站", "rail", "SZB-XGC", 2),
    ("东广场进站岗", "深圳北站", "rail", "SZB-DGC", 2),
    ("福田站候车厅岗", "福田站", "rail", "FTZ-HC", 1),
    ("公交总站岗", "福田交通枢纽", "bus", "FTSN", 1),
    ("长途售票厅岗", "银湖汽车站", "bus", "YH", 1),
];

/// Hubs where suspicious items are reported: (hub, kind, places).
const ITEM_HUBS: &[(&str, &str, &[&str])] = &[
    (
        "地铁车公庙站",
        "metro",
        &["11号线站台中部", "换乘通道", "A出口扶梯旁"],
    ),
    (
        "地铁会展中心站",
        "metro",
        &["D出口扶梯旁", "站厅安检区", "1号线站台"],
    ),
    (
        "地铁老街站",
        "metro",
        &["换乘大厅", "B出口安检区", "3号线站台"],
    ),
    (
        "深圳火车站",
        "rail",
        &["2号候车室", "售票厅", "进站口安检区"],
    ),
    (
        "深圳北站",
        "rail",
        &["东广场候车厅", "西广场出站口", "B2层出租车场"],
    ),
    ("福田交通枢纽", "bus", &["公交总站候车区", "长途售票厅"]),
];

/// Critical information infrastructure on the monitoring platform: (id, name, operator).
const CII_SYSTEMS: &[(&str, &str, &str)] = &[
    (
        "CII-WATER-0003",
        "水务集团供水调度系统",
        "深圳市水务（集团）有限公司",
    ),
    (
        "CII-METRO-0011",
        "地铁综合监控系统",
        "深圳市地铁集团有限公司",
    ),
    (
        "CII-POWER-0002",
        "供电局配网自动化主站",
        "深圳供电局有限公司",
    ),
    (
        "CII-GAS-0001",
        "燃气集团SCADA系统",
        "深圳市燃气集团股份有限公司",
    ),
    ("CII-HOSP-0007", "市人民医院HIS系统", "深圳市人民医院"),
    (
        "CII-PORT-0002",
        "盐田港码头操作系统",
        "盐田国际集装箱码头有限公司",
    ),
    ("CII-BANK-0004", "农商银行网上银行系统", "深圳农村商业银行"),
    (
        "CII-AIR-0001",
        "宝安机场航班信息系统",
        "深圳市机场（集团）有限公司",
    ),
    (
        "CII-GOV-0012",
        "政务服务统一身份认证平台",
        "深圳市政务服务数据管理局",
    ),
];

/// Ordinary monitored systems (not critical infrastructure).
const SME_SYSTEMS: &[(&str, &str, &str)] = &[
    ("SME-0192-WEB", "某电商企业官网", "深圳某电子商务有限公司"),
    ("SME-0288-WEB", "某物流企业官网", "深圳某物流有限公司"),
    ("SME-0315-OA", "某科技公司办公系统", "深圳某科技有限公司"),
    (
        "SME-0407-WEB",
        "某连锁酒店预订网站",
        "深圳某酒店管理有限公司",
    ),
];

const LOW_ATTACKS: &[&str] = &["端口扫描", "弱口令探测", "目录遍历扫描"];
const MEDIUM_ATTACKS: &[&str] = &["漏洞探测", "异常登录", "Web扫描"];
const HIGH_ATTACKS: &[&str] = &["SQL注入", "暴力破解", "DDoS", "钓鱼邮件", "WebShell上传"];
const CRITICAL_ATTACKS: &[&str] = &["勒索病毒", "异常外联", "网页篡改"];

/// What callers on the volunteer platform report.
const HELP_KINDS: &[&str] = &["纠纷", "可疑人员", "突发疾病", "老人走失", "盗窃", "求助"];

/// An arrival `delay` after its time, for the lines of the domains above.
impl Out<'_> {
    fn event_delayed(&mut self, j: J, delay: i64) {
        let (ty, time) = (j.ty, j.time);
        if time < self.start || time >= self.end {
            return;
        }
        *self.summary.events.entry(ty).or_insert(0) += 1;
        self.seq += 1;
        self.heap
            .push(Reverse((time + delay, self.seq, Some(time), j.line())));
    }
}

impl Gen<'_> {
    /// An event of the domains below: about 4% arrive up to `MAX_DISORDER_MS` late, the delay
    /// drawn from the domain's own stream (also for events outside the span, so that the
    /// stream does not depend on where the span ends).
    fn emit(&mut self, rng: &mut Rng, j: J) {
        let delay = if rng.chance(0.04) {
            rng.range(1, MAX_DISORDER_MS + 1)
        } else {
            0
        };
        self.out.event_delayed(j, delay);
    }

    fn officer(rng: &mut Rng) -> &'static str {
        rng.pick(NAMES)
    }

    // -----------------------------------------------------------------------------------------
    // Lodging (`rules/special_trades/lodging.vigil`)

    /// A guest's hashed identity number that is not on the lodging watchlist.
    fn guest_ref(rng: &mut Rng, watchlist: &[&str]) -> String {
        loop {
            let g = rng.hex(16);
            if !watchlist.contains(&g.as_str()) {
                return g;
            }
        }
    }

    /// A registration at premises `p` (index into `LODGINGS`); returns the check-in id.
    fn checkin(&mut self, rng: &mut Rng, t: i64, p: usize, guest: &str, verified: bool) -> String {
        let (premises_id, name, kind, address, station) = LODGINGS[p];
        let n = self.id("checkin");
        let prefix = if kind == "hotel" { "LG" } else { "WYF" };
        let id = format!("{prefix}-{}-{:06}", ymd(t), n % 1_000_000);
        let room = if kind == "hotel" {
            format!("{}{:02}", rng.range(2, 22), rng.range(1, 30))
        } else if rng.chance(0.3) {
            format!(
                "{}-{}{:02}",
                rng.pick(&["A", "B"]),
                rng.range(3, 33),
                rng.range(1, 12)
            )
        } else {
            format!("{}{:02}", rng.range(2, 33), rng.range(1, 12))
        };
        self.emit(
            rng,
            J::new("GuestCheckIn", t, Stamp::Rfc3339)
                .str("checkin_id", &id)
                .str("premises_id", premises_id)
                .str("premises_name", name)
                .str("premises_kind", kind)
                .str("address", address)
                .str("station", station)
                .str("room", &room)
                .str("guest_ref", guest)
                .bool("id_verified", verified),
        );
        id
    }

    fn id_verified(&mut self, rng: &mut Rng, t: i64, checkin: &str) {
        let method = rng.pick(&["平台App人脸核验", "房东现场核验", "自助终端补录核验"]);
        self.emit(
            rng,
            J::new("GuestIdVerified", t, Stamp::Rfc3339)
                .str("checkin_id", checkin)
                .str("method", method),
        );
    }

    fn premises_inspected(&mut self, rng: &mut Rng, t: i64, checkin: &str) {
        let officer = format!("社区民警 {}", Self::officer(rng));
        let finding = rng.pick(&[
            "住客身份已核实",
            "住客身份已核实，责令经营者落实人证核验",
            "住客已退房，经营者未落实人证核验，依法处理",
        ]);
        self.emit(
            rng,
            J::new("PremisesInspected", t, Stamp::Rfc3339)
                .str("checkin_id", checkin)
                .str("officer", &officer)
                .str("finding", finding),
        );
    }

    fn hit_reviewed(&mut self, rng: &mut Rng, t: i64, checkin: &str, confirmed: bool) {
        let reviewer = format!("研判岗 {}", Self::officer(rng));
        self.emit(
            rng,
            J::new("LodgingHitReviewed", t, Stamp::Rfc3339)
                .str("checkin_id", checkin)
                .str("reviewer", &reviewer)
                .bool("confirmed", confirmed),
        );
    }

    fn hit_disposed(&mut self, rng: &mut Rng, t: i64, checkin: &str, p: usize, outcome: &str) {
        let officer = format!("{} 巡逻组 {}", LODGINGS[p].4, Self::officer(rng));
        self.emit(
            rng,
            J::new("LodgingHitDisposed", t, Stamp::Rfc3339)
                .str("checkin_id", checkin)
                .str("officer", &officer)
                .str("outcome", outcome),
        );
    }

    /// Planted, every day: a homestay or short-let guest let in without the identity check and
    /// still unverified two hours later (`short_let_identity_check` enters `unverified`), then
    /// by turns inspected by the community police within the day, verified late in the app,
    /// or not inspected within 24 hours (the leader's alert) and inspected after it; and a
    /// guest matching the watchlist (`lodging_watchlist_hit`), by turns confirmed and detained,
    /// not confirmed, reviewed late, disposed of late after the guest left, or gone before the
    /// officers came.
    fn plant_lodging(&mut self, day: u32) {
        const WF: &str = "short_let_identity_check";
        const HIT: &str = "lodging_watchlist_hit";
        let mut rng = self.rng(D_LODGING, 10_000 + day);
        let d0 = self.day_start(day);
        let watchlist = lodging_watchlist();
        let self_service: Vec<usize> = (0..LODGINGS.len())
            .filter(|p| LODGINGS[*p].2 != "hotel")
            .collect();
        // The unverified guest.
        let p = self_service[(day as usize * 5) % self_service.len()];
        let t = d0 + rng.range(13 * 3600, 23 * 3600) * SEC;
        let guest = Self::guest_ref(&mut rng, &watchlist);
        let id = self.checkin(&mut rng, t, p, &guest, false);
        let late = t + 2 * HOUR;
        self.plant_transition(
            WF,
            "unverified",
            &id,
            late,
            "网约房住客入住2小时未人证核验".into(),
        );
        match day % 3 {
            0 => {
                let at = late + rng.range(3 * 60, 20 * 60) * MIN;
                self.premises_inspected(&mut rng, at, &id);
                self.plant_transition(WF, "inspected", &id, at, "社区民警24小时内上门核查".into());
            }
            1 => {
                let at = late + rng.range(10, 180) * MIN;
                self.id_verified(&mut rng, at, &id);
                self.plant_transition(WF, "verified", &id, at, "超过2小时后补录人证核验".into());
            }
            _ => {
                let overdue = late + 24 * HOUR;
                self.plant_workflow_alert(
                    WF,
                    "unverified",
                    &id,
                    overdue,
                    "住客未核验24小时未上门核查，告知所领导".into(),
                );
                let at = overdue + rng.range(60, 360) * MIN;
                self.premises_inspected(&mut rng, at, &id);
                self.plant_transition(WF, "inspected", &id, at, "逾期后上门核查".into());
            }
        }

        // The watchlist hit, at any kind of premises, the guest verified at the desk.
        let p = (day as usize * 7 + 3) % LODGINGS.len();
        let t = d0 + rng.range(10 * 3600, 23 * 3600 + 1800) * SEC;
        let person = watchlist[day as usize % watchlist.len()];
        let id = self.checkin(&mut rng, t, p, person, true);
        self.plant_transition(HIT, "warned", &id, t, "住客命中在逃人员库".into());
        let variant = day % 5;
        let reviewed = if variant == 2 {
            self.plant_workflow_alert(
                HIT,
                "warned",
                &id,
                t + 5 * MIN,
                "比对预警5分钟未复核".into(),
            );
            t + rng.range(6 * 60, 12 * 60) * SEC
        } else {
            t + rng.range(60, 270) * SEC
        };
        if variant == 1 {
            self.hit_reviewed(&mut rng, reviewed, &id, false);
            self.plant_transition(HIT, "false_match", &id, reviewed, "人工复核排除".into());
            return;
        }
        self.hit_reviewed(&mut rng, reviewed, &id, true);
        self.plant_transition(HIT, "confirmed", &id, reviewed, "复核确认为在逃人员".into());
        match variant {
            3 => {
                self.plant_workflow_alert(
                    HIT,
                    "confirmed",
                    &id,
                    reviewed + 30 * MIN,
                    "确认后30分钟未处置".into(),
                );
                let at = reviewed + rng.range(35, 60) * MIN;
                self.hit_disposed(&mut rng, at, &id, p, "left_premises");
                self.plant_transition(HIT, "left_premises", &id, at, "到场时人员已离开".into());
            }
            4 => {
                let at = reviewed + rng.range(8, 28) * MIN;
                self.hit_disposed(&mut rng, at, &id, p, "left_premises");
                self.plant_transition(HIT, "left_premises", &id, at, "到场时人员已离开".into());
            }
            _ => {
                let at = reviewed + rng.range(8, 28) * MIN;
                self.hit_disposed(&mut rng, at, &id, p, "detained");
                self.plant_transition(HIT, "detained", &id, at, "30分钟内到场抓获".into());
            }
        }
    }

    /// Ordinary registrations: hotel guests verified at the front desk (a few without, which
    /// the hotel system refuses and the loop ignores), homestay and short-let guests verified
    /// at check-in or in the app within 2 hours (one a day just before the 2 hours), nobody on
    /// the watchlist.
    fn lodging(&mut self, day: u32) {
        let mut rng = self.rng(D_LODGING, day);
        let d0 = self.day_start(day);
        let watchlist = lodging_watchlist();
        let mut near_miss = true;
        for _ in 0..rng.range(8, 15) {
            let t = time_in(&mut rng, d0, 0, 24, &CHECKIN_ACTIVITY);
            let p = rng.below(LODGINGS.len() as u64) as usize;
            let guest = Self::guest_ref(&mut rng, &watchlist);
            if LODGINGS[p].2 == "hotel" {
                let verified = !rng.chance(0.03);
                self.checkin(&mut rng, t, p, &guest, verified);
                continue;
            }
            let verified = rng.chance(0.55);
            let id = self.checkin(&mut rng, t, p, &guest, verified);
            if !verified {
                let after = if std::mem::take(&mut near_miss) {
                    rng.range(110 * 60, 119 * 60)
                } else {
                    rng.range(2 * 60, 90 * 60)
                };
                self.id_verified(&mut rng, t + after * SEC, &id);
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Parcel seizures (`rules/logistics/seizures.vigil`)

    /// The outlet of carrier `c` in `area` (station, street office): (carrier, outlet name, the
    /// station that seizes there).
    fn outlet(c: usize, area: (&'static str, &'static str)) -> (usize, String, &'static str) {
        let (station, _) = area;
        let place = station.trim_end_matches("派出所");
        (c, format!("{}{place}网点", CARRIERS[c].0), station)
    }

    /// Every (station, street office) of `DISTRICTS`.
    fn areas() -> Vec<(&'static str, &'static str)> {
        DISTRICTS
            .iter()
            .flat_map(|d| d.areas.iter().map(|a| (a.0, a.1)))
            .collect()
    }

    /// Seizures at `outlet` from 30 days before `from` to 30 days after `until` (inclusive).
    fn outlet_near(&self, outlet: &str, from: i64, until: i64) -> usize {
        self.outlet_seizures.get(outlet).map_or(0, |v| {
            v.iter()
                .filter(|x| **x >= from - 30 * DAY && **x <= until + 30 * DAY)
                .count()
        })
    }

    /// An outlet where a seizure at `t` keeps every 30-day window at two seizures at most (no
    /// `outlet_repeated_seizures`): at most one other seizure there within 30 days either side.
    fn quiet_outlet(&self, rng: &mut Rng, t: i64) -> (usize, String, &'static str) {
        let areas = Self::areas();
        let mut last = Self::outlet(0, areas[0]);
        for _ in 0..500 {
            let c = rng.below(CARRIERS.len() as u64) as usize;
            last = Self::outlet(c, rng.pick(&areas));
            if self.outlet_near(&last.1, t, t) <= 1 {
                break;
            }
        }
        last
    }

    /// A seizure; returns its id.
    fn seizure(
        &mut self,
        rng: &mut Rng,
        t: i64,
        (c, outlet, station): &(usize, String, &'static str),
        item: &str,
        criminal: bool,
    ) -> String {
        let n = self.id("seizure");
        let d = ymd(t);
        let id = format!("JDCH-{}-{}-{:03}", &d[..4], &d[4..], n % 1000);
        let (carrier, prefix) = CARRIERS[*c];
        let waybill = format!("{prefix}{}", rng.digits(15 - prefix.len().min(5)));
        let mut j = J::new("ParcelSeized", t, Stamp::Rfc3339)
            .str("seizure_id", &id)
            .str("waybill", &waybill)
            .str("carrier", carrier)
            .str("outlet", outlet)
            .str("item_category", item)
            .str("station", station)
            .bool("criminal_case", criminal);
        if rng.chance(0.7) {
            j = j.str("sender_ref", &rng.hex(16));
        }
        self.emit(rng, j);
        self.outlet_seizures
            .entry(outlet.clone())
            .or_default()
            .push(t);
        id
    }

    fn parcel_event(&mut self, rng: &mut Rng, ty: &'static str, t: i64, id: &str) {
        let year = &ymd(t)[..4];
        let n = rng.range(100, 999);
        let j = J::new(ty, t, Stamp::Rfc3339).str("seizure_id", id);
        let j = match ty {
            "ParcelCaseHandedOver" => {
                j.str("transfer_no", &format!("深公（治）移字〔{year}〕{n}号"))
            }
            "ParcelCriminalCaseOpened" => {
                j.str("case_no", &format!("深公（刑）立字〔{year}〕{n}号"))
            }
            "PostalCaseFiled" => j.str("postal_case_no", &format!("深邮管立〔{year}〕{n}号")),
            "PostalCaseDeclined" => j.str(
                "reason",
                rng.pick(&[
                    "属林业主管部门管辖",
                    "经查寄件人为个人，移交应急管理部门",
                    "证据不足，退回补充调查",
                ]),
            ),
            _ => j
                .str("decision_no", &format!("深邮管罚〔{year}〕{n}号"))
                .int("fine_yuan", rng.range(3, 31) * 1000),
        };
        self.emit(rng, j);
    }

    /// The postal administration's part after a hand-over at `handed`: filed within the five
    /// working days and decided within 90 days of filing, or declined (before or after
    /// filing). Returns the time it filed, if it did.
    fn postal_follow_up(&mut self, rng: &mut Rng, id: &str, handed: i64) -> Option<i64> {
        let due = self.calendar.due(handed, 5);
        // Whole seconds from an hour after the hand-over to two hours before the deadline.
        let within = (due - handed) / SEC - 2 * 3600;
        if rng.chance(0.12) {
            let at = handed + rng.range(3600, within) * SEC;
            self.parcel_event(rng, "PostalCaseDeclined", at, id);
            return None;
        }
        let filed = handed + rng.range(3600, within) * SEC;
        self.parcel_event(rng, "PostalCaseFiled", filed, id);
        if rng.chance(0.1) {
            let at = filed + rng.range(3, 20) * DAY + rng.range(0, 8 * 3600) * SEC;
            self.parcel_event(rng, "PostalCaseDeclined", at, id);
        } else {
            let at = filed + rng.range(7, 60) * DAY + rng.range(0, 8 * 3600) * SEC;
            self.parcel_event(rng, "PostalPenaltyDecided", at, id);
        }
        Some(filed)
    }

    fn office_hours(rng: &mut Rng, d0: i64) -> i64 {
        d0 + rng.range(9 * 3600, 18 * 3600) * SEC
    }

    /// Planted: by turns a seizure handed over after the three days (the station's reminder),
    /// a hand-over the postal administration leaves unanswered for five working days (the
    /// reminder, then its filing and decision), a case it declines and returns; every fifth day
    /// a criminal case opened on a seized parcel (no hand-over); every tenth day an outlet
    /// where three seizures fall within a few days (`outlet_repeated_seizures`).
    fn plant_seizures(&mut self, day: u32) {
        const WF: &str = "parcel_seizure_handover";
        let mut rng = self.rng(D_LOGISTICS, 10_000 + day);
        let d0 = self.day_start(day);
        let t = Self::office_hours(&mut rng, d0);
        let outlet = self.quiet_outlet(&mut rng, t);
        let item = rng.pick(&["controlled_knife", "imitation_gun", "flammable_chemical"]);
        let id = self.seizure(&mut rng, t, &outlet, item, false);
        match day % 3 {
            0 => {
                self.plant_workflow_alert(WF, "seized", &id, t + 3 * DAY, "查获满3日未移交".into());
                let handed = t + 3 * DAY + rng.range(2 * 60, 20 * 60) * MIN;
                self.parcel_event(&mut rng, "ParcelCaseHandedOver", handed, &id);
                self.plant_transition(
                    WF,
                    "handed_over",
                    &id,
                    handed,
                    "逾期移交邮政管理部门".into(),
                );
                self.postal_follow_up(&mut rng, &id, handed);
            }
            1 => {
                let handed = t + rng.range(4 * 60, 30 * 60) * MIN;
                self.parcel_event(&mut rng, "ParcelCaseHandedOver", handed, &id);
                self.plant_transition(WF, "handed_over", &id, handed, "3日内移交".into());
                let due = self.calendar.due(handed, 5);
                self.plant_workflow_alert(
                    WF,
                    "handed_over",
                    &id,
                    due,
                    "邮政管理部门5个工作日未反馈立案".into(),
                );
                let filed = due + rng.range(1, 3) * DAY + rng.range(9 * 3600, 17 * 3600) * SEC;
                self.parcel_event(&mut rng, "PostalCaseFiled", filed, &id);
                self.plant_transition(WF, "filed", &id, filed, "催办后立案".into());
                let decided = filed + rng.range(5, 20) * DAY;
                self.parcel_event(&mut rng, "PostalPenaltyDecided", decided, &id);
                self.plant_transition(WF, "decided", &id, decided, "作出处罚决定".into());
            }
            _ => {
                let handed = t + rng.range(4 * 60, 48 * 60) * MIN;
                self.parcel_event(&mut rng, "ParcelCaseHandedOver", handed, &id);
                let due = self.calendar.due(handed, 5);
                let declined = handed + rng.range(3600, (due - handed) / SEC - 3600) * SEC;
                self.parcel_event(&mut rng, "PostalCaseDeclined", declined, &id);
                self.plant_transition(WF, "returned", &id, declined, "邮政管理部门退回案件".into());
            }
        }
        if day % 5 == 4 {
            let t = Self::office_hours(&mut rng, d0);
            let outlet = self.quiet_outlet(&mut rng, t);
            let item = rng.pick(&["ammunition", "imitation_gun", "toxic_chemical"]);
            let id = self.seizure(&mut rng, t, &outlet, item, false);
            let at = t + rng.range(6 * 60, 60 * 60) * MIN;
            self.parcel_event(&mut rng, "ParcelCriminalCaseOpened", at, &id);
            self.plant_transition(
                WF,
                "criminal_case",
                &id,
                at,
                "鉴定为枪支弹药部件，转刑事立案".into(),
            );
        }
        // In a 90-day span: a filed case left undecided for 90 days.
        if day == 1 {
            let t = Self::office_hours(&mut rng, d0);
            let handed = t + rng.range(4 * 60, 30 * 60) * MIN;
            let filed = handed + rng.range(2, 4) * DAY;
            if self.fits(filed + 90 * DAY) {
                let outlet = self.quiet_outlet(&mut rng, t);
                let id = self.seizure(&mut rng, t, &outlet, "controlled_knife", false);
                self.parcel_event(&mut rng, "ParcelCaseHandedOver", handed, &id);
                self.parcel_event(&mut rng, "PostalCaseFiled", filed, &id);
                self.plant_workflow_alert(
                    WF,
                    "filed",
                    &id,
                    filed + 90 * DAY,
                    "立案满90日未作出处罚决定".into(),
                );
            }
        }
        if day % 10 == 1 {
            let (second, third) = (rng.range(1, 4), rng.range(1, 5));
            let t1 = Self::office_hours(&mut rng, d0);
            let t2 = Self::office_hours(&mut rng, d0 + second * DAY);
            let t3 = Self::office_hours(&mut rng, d0 + (second + third) * DAY);
            if self.fits(t3) {
                let areas = Self::areas();
                let mut outlet = Self::outlet(0, areas[0]);
                for _ in 0..500 {
                    let c = rng.below(CARRIERS.len() as u64) as usize;
                    outlet = Self::outlet(c, rng.pick(&areas));
                    if self.outlet_near(&outlet.1, t1, t3) == 0 {
                        break;
                    }
                }
                for (k, at) in [t1, t2, t3].into_iter().enumerate() {
                    let item = weighted(&mut rng, PROHIBITED_ITEMS);
                    let criminal = matches!(item, "drugs" | "ammunition" | "explosive");
                    let id = self.seizure(&mut rng, at, &outlet, item, criminal);
                    if !criminal {
                        let handed = at + rng.range(3 * 60, 40 * 60) * MIN;
                        self.parcel_event(&mut rng, "ParcelCaseHandedOver", handed, &id);
                        self.postal_follow_up(&mut rng, &id, handed);
                    }
                    if k == 2 {
                        self.plant_alert(
                            "outlet_repeated_seizures",
                            Some(&outlet.1),
                            at,
                            "同一收寄网点数日内三次被查获违禁物品".into(),
                        );
                    }
                }
            }
        }
    }

    /// Ordinary seizures (none to three a day, at outlets that never reach three in 30 days):
    /// drugs, ammunition and explosives as criminal cases on the spot; the others handed over
    /// within three days (or turned into a criminal case), filed within five working days and
    /// decided, or declined and returned.
    fn seizures(&mut self, day: u32) {
        let mut rng = self.rng(D_LOGISTICS, day);
        let d0 = self.day_start(day);
        for _ in 0..rng.poisson(1.2).min(3) {
            let t = d0 + rng.range(8 * 3600, 21 * 3600) * SEC;
            let outlet = self.quiet_outlet(&mut rng, t);
            let item = weighted(&mut rng, PROHIBITED_ITEMS);
            let criminal = matches!(item, "drugs" | "ammunition" | "explosive") && rng.chance(0.85);
            let id = self.seizure(&mut rng, t, &outlet, item, criminal);
            if criminal {
                continue;
            }
            if rng.chance(0.08) {
                let at = t + rng.range(6 * 60, 60 * 60) * MIN;
                self.parcel_event(&mut rng, "ParcelCriminalCaseOpened", at, &id);
                continue;
            }
            // Within three days, one a week just before the end of the third.
            let handed = if day % 7 == 3 {
                t + 3 * DAY - rng.range(10, 50) * MIN
            } else {
                t + rng.range(2 * 60, 60 * 60) * MIN
            };
            self.parcel_event(&mut rng, "ParcelCaseHandedOver", handed, &id);
            self.postal_follow_up(&mut rng, &id, handed);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Transport hubs (`rules/transport/stations.vigil`)

    /// The peak shift left unstaffed on `day`: (post, morning).
    fn unstaffed_post(day: u32) -> (usize, bool) {
        ((day as usize * 5) % POSTS.len(), day.is_multiple_of(2))
    }

    fn shift_started(
        &mut self,
        rng: &mut Rng,
        t: i64,
        post: usize,
        tag: &str,
        peak: bool,
        on_post: i64,
    ) {
        let (name, hub, kind, code, required) = POSTS[post];
        let prefix = if kind == "rail" { "TL" } else { "GJ" };
        let shift = format!("{prefix}-{}-{code}-{tag}", &ymd(t)[4..]);
        self.emit(
            rng,
            J::new("DutyShiftStarted", t, Stamp::Rfc3339)
                .str("post", name)
                .str("hub", hub)
                .str("hub_kind", kind)
                .str("shift_id", &shift)
                .bool("peak", peak)
                .int("required_officers", if peak { required } else { 1 })
                .int("officers_on_post", on_post),
        );
    }

    fn sign_on(&mut self, rng: &mut Rng, t: i64, post: usize) {
        let officer = format!(
            "{} {}",
            rng.pick(&["民警", "民警", "辅警"]),
            Self::officer(rng)
        );
        self.emit(
            rng,
            J::new("PostSignOn", t, Stamp::Rfc3339)
                .str("post", POSTS[post].0)
                .str("officer", &officer),
        );
    }

    fn item_event(&mut self, rng: &mut Rng, ty: &'static str, t: i64, report: &str) {
        let j = J::new(ty, t, Stamp::Rfc3339).str("report_id", report);
        let j = match ty {
            "SuspiciousItemOnScene" => {
                let officer = format!("{} {}", rng.pick(&["民警", "辅警"]), Self::officer(rng));
                j.str("officer", &officer)
            }
            "SuspiciousItemClaimed" => j.str("owner_ref", &rng.hex(16)),
            _ => j,
        };
        self.emit(rng, j);
    }

    /// A suspicious item reported at hub `h`; returns the report id.
    fn item_reported(&mut self, rng: &mut Rng, t: i64, h: usize) -> String {
        let (hub, kind, places) = ITEM_HUBS[h];
        let n = self.id("suspicious_item");
        let id = format!("KY-{}-{:04}", ymd(t), n % 10_000);
        let reporter = rng.pick(&[
            "站务员 林芳",
            "乘客",
            "视频研判",
            "安检员 邓华",
            "保洁员 陈姨",
        ]);
        let location = rng.pick(places);
        self.emit(
            rng,
            J::new("SuspiciousItemReported", t, Stamp::Rfc3339)
                .str("report_id", &id)
                .str("hub", hub)
                .str("hub_kind", kind)
                .str("location", location)
                .str("reporter", reporter),
        );
        id
    }

    /// Planted, every day: one peak shift that starts with nobody on the post and nobody
    /// signed on 10 minutes later (`peak_duty_post_unstaffed`; the first officer comes 11 to
    /// 25 minutes after the start, or on every fourth day never); and a suspicious item, by
    /// turns reached after more than 5 minutes, cordoned off for over 30 minutes and found
    /// harmless, or cordoned off and found hazardous (investigation).
    fn plant_transport(&mut self, day: u32) {
        const WF: &str = "station_suspicious_item";
        let mut rng = self.rng(D_TRANSPORT, 10_000 + day);
        let d0 = self.day_start(day);
        let (post, morning) = Self::unstaffed_post(day);
        let start = d0
            + if morning {
                7 * HOUR + 30 * MIN
            } else {
                17 * HOUR + 30 * MIN
            };
        self.shift_started(
            &mut rng,
            start,
            post,
            if morning { "AM" } else { "PM" },
            true,
            0,
        );
        if day % 4 != 3 {
            let first = start + rng.range(11 * 60, 25 * 60) * SEC;
            self.sign_on(&mut rng, first, post);
        }
        self.plant_alert(
            "peak_duty_post_unstaffed",
            Some(POSTS[post].0),
            start + 10 * MIN,
            "高峰勤务开始10分钟岗位无人签到".into(),
        );

        let h = (day as usize * 5 + 1) % ITEM_HUBS.len();
        let t = time_in(&mut rng, d0, 7, 22, &ACTIVITY);
        let id = self.item_reported(&mut rng, t, h);
        match day % 3 {
            0 => {
                let on_scene = t + rng.range(6 * 60, 10 * 60) * SEC;
                self.item_event(&mut rng, "SuspiciousItemOnScene", on_scene, &id);
                self.plant_workflow_alert(
                    WF,
                    "reported",
                    &id,
                    t + 5 * MIN,
                    "可疑物品报告5分钟民警未到场".into(),
                );
                let at = on_scene + rng.range(2 * 60, 6 * 60) * SEC;
                self.emit(
                    &mut rng,
                    J::new("SuspiciousItemAssessed", at, Stamp::Rfc3339)
                        .str("report_id", &id)
                        .bool("dangerous", false),
                );
                self.plant_transition(WF, "closed", &id, at, "现场研判无危险".into());
            }
            variant => {
                let on_scene = t + rng.range(90, 270) * SEC;
                self.item_event(&mut rng, "SuspiciousItemOnScene", on_scene, &id);
                let assessed = on_scene + rng.range(60, 240) * SEC;
                self.emit(
                    &mut rng,
                    J::new("SuspiciousItemAssessed", assessed, Stamp::Rfc3339)
                        .str("report_id", &id)
                        .bool("dangerous", true),
                );
                self.plant_transition(
                    WF,
                    "cordoned",
                    &id,
                    assessed,
                    "研判为危险物品，警戒疏散".into(),
                );
                if variant == 1 {
                    let cleared = assessed + rng.range(35, 70) * MIN;
                    self.plant_workflow_alert(
                        WF,
                        "cordoned",
                        &id,
                        assessed + 30 * MIN,
                        "警戒持续30分钟".into(),
                    );
                    self.emit(
                        &mut rng,
                        J::new("SuspiciousItemCleared", cleared, Stamp::Rfc3339)
                            .str("report_id", &id)
                            .bool("hazardous", false),
                    );
                    self.plant_transition(
                        WF,
                        "closed",
                        &id,
                        cleared,
                        "排爆确认无害，恢复运营".into(),
                    );
                } else {
                    let cleared = assessed + rng.range(12 * 60, 29 * 60) * SEC;
                    self.emit(
                        &mut rng,
                        J::new("SuspiciousItemCleared", cleared, Stamp::Rfc3339)
                            .str("report_id", &id)
                            .bool("hazardous", true),
                    );
                    self.plant_transition(
                        WF,
                        "investigation",
                        &id,
                        cleared,
                        "排爆确认为危险物品，刑侦立案".into(),
                    );
                }
            }
        }
    }

    /// The duty posts' peak shifts (07:30 and 17:30) with officers signed on before the start,
    /// or the first within 10 minutes of it (one a day between 9 and 10 minutes); midday
    /// off-peak shifts at the rail and bus posts, some unstaffed; one to three suspicious items
    /// a day, claimed, found harmless, or cordoned off and cleared within half an hour.
    fn transport(&mut self, day: u32) {
        let mut rng = self.rng(D_TRANSPORT, day);
        let d0 = self.day_start(day);
        let planted = Self::unstaffed_post(day);
        let near_miss = (day as usize * 3 + 2) % POSTS.len();
        for (post, &(_, _, kind, _, required)) in POSTS.iter().enumerate() {
            for (morning, tag) in [(true, "AM"), (false, "PM")] {
                if (post, morning) == planted {
                    continue;
                }
                let start = d0
                    + if morning {
                        7 * HOUR + 30 * MIN
                    } else {
                        17 * HOUR + 30 * MIN
                    };
                if rng.chance(0.55) {
                    // Signed on before the shift began.
                    let early = rng.range(1, required + 1);
                    for _ in 0..early {
                        let at = start - rng.range(60, 15 * 60) * SEC;
                        self.sign_on(&mut rng, at, post);
                    }
                    self.shift_started(&mut rng, start, post, tag, true, early);
                    for _ in early..required {
                        let at = start + rng.range(30, 20 * 60) * SEC;
                        self.sign_on(&mut rng, at, post);
                    }
                } else {
                    self.shift_started(&mut rng, start, post, tag, true, 0);
                    let first = if post == near_miss && morning {
                        start + rng.range(9 * 60, 9 * 60 + 55) * SEC
                    } else {
                        start + rng.range(30, 9 * 60) * SEC
                    };
                    self.sign_on(&mut rng, first, post);
                    for _ in 1..required {
                        let at = first + rng.range(30, 10 * 60) * SEC;
                        self.sign_on(&mut rng, at, post);
                    }
                }
            }
            if kind != "metro" {
                // Off-peak: left to the patrols when nobody comes.
                let start = d0 + 13 * HOUR;
                let staffed = rng.chance(0.5);
                if staffed {
                    let at = start - rng.range(60, 10 * 60) * SEC;
                    self.sign_on(&mut rng, at, post);
                }
                self.shift_started(&mut rng, start, post, "MID", false, i64::from(staffed));
            }
        }

        for _ in 0..rng.range(1, 4) {
            let h = rng.below(ITEM_HUBS.len() as u64) as usize;
            let t = time_in(&mut rng, d0, 6, 23, &ACTIVITY);
            let id = self.item_reported(&mut rng, t, h);
            let r = rng.f64();
            if r < 0.3 {
                let at = t + rng.range(40, 4 * 60) * SEC;
                self.item_event(&mut rng, "SuspiciousItemClaimed", at, &id);
                continue;
            }
            let on_scene = t + rng.range(60, 4 * 60 + 50) * SEC;
            self.item_event(&mut rng, "SuspiciousItemOnScene", on_scene, &id);
            let at = on_scene + rng.range(60, 5 * 60) * SEC;
            if r < 0.5 {
                self.item_event(&mut rng, "SuspiciousItemClaimed", at, &id);
            } else if r < 0.9 {
                self.emit(
                    &mut rng,
                    J::new("SuspiciousItemAssessed", at, Stamp::Rfc3339)
                        .str("report_id", &id)
                        .bool("dangerous", false),
                );
            } else {
                self.emit(
                    &mut rng,
                    J::new("SuspiciousItemAssessed", at, Stamp::Rfc3339)
                        .str("report_id", &id)
                        .bool("dangerous", true),
                );
                let cleared = at + rng.range(10 * 60, 28 * 60) * SEC;
                self.emit(
                    &mut rng,
                    J::new("SuspiciousItemCleared", cleared, Stamp::Rfc3339)
                        .str("report_id", &id)
                        .bool("hazardous", false),
                );
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Drones (`rules/drones/no_fly.vigil`)

    fn drone_serial(rng: &mut Rng) -> String {
        const ALNUM: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
        let tail: String = (0..12)
            .map(|_| char::from(ALNUM[rng.below(ALNUM.len() as u64) as usize]))
            .collect();
        format!("1581F{tail}")
    }

    /// A drone track from `t0`: a report a second for `dense_s` seconds while it flies a few
    /// metres a second from (`lat`, `lon`), then, hovering, one every 20 to 40 seconds until
    /// `until` (if later). Returns the time of the last report.
    #[allow(clippy::too_many_arguments)]
    fn drone_track(
        &mut self,
        rng: &mut Rng,
        track: &str,
        t0: i64,
        dense_s: i64,
        until: i64,
        (lat, lon): (f64, f64),
        approved: bool,
        serial: Option<&str>,
    ) -> i64 {
        let (mut lat, mut lon) = (lat, lon);
        let (dlat, dlon) = (rng.uniform(-4e-5, 4e-5), rng.uniform(-4e-5, 4e-5));
        let mut alt = rng.range(40, 140);
        let pilot = (
            lat + rng.uniform(-0.004, 0.004),
            lon + rng.uniform(-0.004, 0.004),
        );
        let mut t = t0;
        let mut last = t0;
        while t < t0 + dense_s * SEC || t <= until {
            let mut j = J::new("DroneDetected", t, Stamp::EpochMs)
                .str("track_id", track)
                .point("position", lat, lon)
                .int("altitude_m", alt)
                .bool("approved_flight", approved);
            if let Some(s) = serial {
                j = j.str("serial", s).point("pilot_position", pilot.0, pilot.1);
            }
            self.emit(rng, j);
            last = t;
            // Flying while reported every second, then hovering.
            let step = if t - t0 < dense_s * SEC {
                lat += dlat;
                lon += dlon;
                SEC + rng.range(-50, 50)
            } else {
                rng.range(20, 41) * SEC
            };
            lat += rng.uniform(-1e-5, 1e-5);
            lon += rng.uniform(-1e-5, 1e-5);
            alt = (alt + rng.range(-2, 3)).clamp(20, 160);
            t += step;
        }
        last
    }

    fn drone_lost(&mut self, rng: &mut Rng, t: i64, track: &str) {
        self.emit(
            rng,
            J::new("DroneTrackLost", t, Stamp::EpochMs).str("track_id", track),
        );
    }

    fn drone_verified(&mut self, rng: &mut Rng, t: i64, track: &str, airport: bool, genuine: bool) {
        let officer = if airport {
            format!("机场分局 民警 {}", Self::officer(rng))
        } else {
            format!("无人机管控处置队 队员 {}", Self::officer(rng))
        };
        self.emit(
            rng,
            J::new("DroneVerified", t, Stamp::Rfc3339)
                .str("track_id", track)
                .str("officer", &officer)
                .bool("genuine", genuine),
        );
    }

    fn drone_disposed(&mut self, rng: &mut Rng, t: i64, track: &str, method: &str, found: bool) {
        self.emit(
            rng,
            J::new("DroneDisposed", t, Stamp::Rfc3339)
                .str("track_id", track)
                .str("method", method)
                .bool("pilot_found", found),
        );
    }

    /// Planted, every day: an unapproved drone in the airport's clearance zone
    /// (`no_fly_drone_response`), by turns verified and forced down with its pilot found,
    /// found to be a kite or a bird, verified late and disposed of late, lost before anyone
    /// verified it, or driven off with the pilot not found (both `untraced`); on the days of
    /// the event airspace list, a drone over the Shenzhen Bay Sports Centre verified and its
    /// pilot stopped.
    fn plant_drones(&mut self, day: u32) {
        const WF: &str = "no_fly_drone_response";
        let mut rng = self.rng(D_DRONES, 10_000 + day);
        let d0 = self.day_start(day);
        let t0 = d0 + rng.range(8 * 3600, 20 * 3600) * SEC;
        let track = format!("UAV-BA-{}-{:03}", &ymd(t0)[4..], 900 + day % 100);
        let position = (rng.uniform(22.60, 22.68), rng.uniform(113.78, 113.84));
        let serial = (!day.is_multiple_of(4)).then(|| Self::drone_serial(&mut rng));
        let dense = rng.range(20, 61);
        self.plant_transition(
            WF,
            "detected",
            &track,
            t0,
            "无人机闯入机场净空保护区".into(),
        );
        let variant = day % 5;
        // When the detection ends, and what ends the response.
        let verified = if variant == 2 {
            self.plant_workflow_alert(WF, "detected", &track, t0 + 5 * MIN, "5分钟未核实".into());
            t0 + rng.range(6 * 60, 9 * 60) * SEC
        } else {
            t0 + rng.range(60, 4 * 60 + 30) * SEC
        };
        match variant {
            1 => {
                self.drone_track(
                    &mut rng,
                    &track,
                    t0,
                    dense,
                    verified,
                    position,
                    false,
                    serial.as_deref(),
                );
                self.drone_verified(&mut rng, verified, &track, true, false);
                self.plant_transition(WF, "false_target", &track, verified, "核实为风筝".into());
                let lost = verified + rng.range(30, 300) * SEC;
                self.drone_lost(&mut rng, lost, &track);
            }
            3 => {
                let lost = verified;
                let last = self.drone_track(
                    &mut rng,
                    &track,
                    t0,
                    dense,
                    lost - 30 * SEC,
                    position,
                    false,
                    serial.as_deref(),
                );
                self.drone_lost(&mut rng, lost.max(last + SEC), &track);
                self.plant_transition(
                    WF,
                    "untraced",
                    &track,
                    lost.max(last + SEC),
                    "核实前目标消失".into(),
                );
            }
            _ => {
                let disposed = if variant == 2 {
                    self.plant_workflow_alert(
                        WF,
                        "verified",
                        &track,
                        verified + 15 * MIN,
                        "核实后15分钟未处置".into(),
                    );
                    verified + rng.range(17 * 60, 25 * 60) * SEC
                } else {
                    verified + rng.range(3 * 60, 13 * 60) * SEC
                };
                self.drone_track(
                    &mut rng,
                    &track,
                    t0,
                    dense,
                    disposed - 5 * SEC,
                    position,
                    false,
                    serial.as_deref(),
                );
                self.drone_verified(&mut rng, verified, &track, true, true);
                self.plant_transition(
                    WF,
                    "verified",
                    &track,
                    verified,
                    "核实为未经批准的飞行".into(),
                );
                let found = variant != 4;
                let method = if found {
                    "forced_landing"
                } else {
                    "driven_off"
                };
                self.drone_disposed(&mut rng, disposed, &track, method, found);
                self.plant_transition(
                    WF,
                    if found { "disposed" } else { "untraced" },
                    &track,
                    disposed,
                    if found {
                        "迫降并查获飞手".into()
                    } else {
                        "驱离，飞手未查获".into()
                    },
                );
                let lost = disposed + rng.range(5, 60) * SEC;
                self.drone_lost(&mut rng, lost, &track);
            }
        }

        // The event airspace, on its days only.
        let date = iso_date(d0);
        if event_airspace_days().contains(&date.as_str()) {
            let t0 = d0 + 19 * HOUR + rng.range(0, 3600) * SEC;
            let track = format!("UAV-SZW-{}-{:03}", &ymd(t0)[4..], 900 + day % 100);
            let position = (rng.uniform(22.508, 22.527), rng.uniform(113.935, 113.955));
            let verified = t0 + rng.range(60, 4 * 60) * SEC;
            let disposed = verified + rng.range(3 * 60, 12 * 60) * SEC;
            self.drone_track(
                &mut rng,
                &track,
                t0,
                40,
                disposed - 5 * SEC,
                position,
                false,
                None,
            );
            self.plant_transition(
                WF,
                "detected",
                &track,
                t0,
                "大型活动临时管控空域内无人机".into(),
            );
            self.drone_verified(&mut rng, verified, &track, false, true);
            self.plant_transition(
                WF,
                "verified",
                &track,
                verified,
                "核实为未经批准的飞行".into(),
            );
            self.drone_disposed(&mut rng, disposed, &track, "pilot_stopped", true);
            self.plant_transition(
                WF,
                "disposed",
                &track,
                disposed,
                "查获飞手，责令降落".into(),
            );
        }
    }

    /// Short tracks (20 to 60 seconds, then lost): approved inspection flights inside the
    /// airport's clearance zone, hobby flights over the city, one just outside the zone's
    /// eastern edge, and over the Shenzhen Bay Sports Centre on days without an event.
    fn drones(&mut self, day: u32) {
        let mut rng = self.rng(D_DRONES, day);
        let d0 = self.day_start(day);
        let event_day = event_airspace_days().contains(&iso_date(d0).as_str());
        let places: &[(&str, f64, f64, f64, f64)] = &[
            // (area code, lat range, lon range), the last two inside the airport's zone.
            ("FT", 22.530, 22.560, 114.040, 114.070),
            ("LH", 22.540, 22.560, 114.100, 114.130),
            ("DMS", 22.590, 22.600, 114.290, 114.310),
            ("XX", 22.575, 22.600, 113.878, 113.890),
            ("SZW", 22.508, 22.527, 113.935, 113.955),
            ("BA", 22.600, 22.680, 113.780, 113.840),
            ("BA", 22.620, 22.700, 113.760, 113.800),
        ];
        for i in 0..rng.range(2, 5) {
            let k = rng.below(places.len() as u64) as usize;
            let (code, la0, la1, lo0, lo1) = places[k];
            if code == "SZW" && event_day {
                continue;
            }
            let approved = code == "BA" || rng.chance(0.3);
            let t0 = d0 + rng.range(7 * 3600, 19 * 3600) * SEC;
            let track = format!("UAV-{code}-{}-{:03}", &ymd(t0)[4..], i + 1);
            let serial = rng.chance(0.7).then(|| Self::drone_serial(&mut rng));
            let dense = rng.range(20, 61);
            let position = (rng.uniform(la0, la1), rng.uniform(lo0, lo1));
            let last = self.drone_track(
                &mut rng,
                &track,
                t0,
                dense,
                t0,
                position,
                approved,
                serial.as_deref(),
            );
            let lost = last + rng.range(5, 30) * SEC;
            self.drone_lost(&mut rng, lost, &track);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Cyber defence (`rules/cyber/critical_systems.vigil`; the monitoring platform sends
    // CloudEvents)

    /// A public address of an attacker; never in 91.0.0.0/8, which the planted campaigns use.
    fn attacker_ip(rng: &mut Rng) -> String {
        let first = rng.pick(&[45, 58, 61, 103, 114, 117, 121, 185, 193, 203, 222]);
        format!(
            "{first}.{}.{}.{}",
            rng.range(0, 256),
            rng.range(0, 256),
            rng.range(1, 255)
        )
    }

    /// An attack alert on `system`; returns the alert id.
    #[allow(clippy::too_many_arguments)]
    fn cyber_alert(
        &mut self,
        rng: &mut Rng,
        t: i64,
        (system_id, name, operator): (&str, &str, &str),
        cii: bool,
        level: &str,
        attack: &str,
        source: Option<&str>,
    ) -> String {
        let n = self.id("cyber_alert");
        let id = format!("WA-{}-{:05}", ymd(t), n % 100_000);
        let mut j = J::cloud(
            "CyberAttackAlert",
            t,
            &format!("nsm-{}", rng.hex(12)),
            "/nsm/city-platform",
        )
        .str("alert_id", &id)
        .str("system_id", system_id)
        .str("system_name", name)
        .str("operator_org", operator)
        .bool("critical_infrastructure", cii)
        .str("threat_level", level)
        .str("attack_type", attack);
        if let Some(ip) = source {
            j = j.str("source_ip", ip);
        }
        self.emit(rng, j);
        id
    }

    fn cyber_event(&mut self, rng: &mut Rng, ty: &'static str, t: i64, id: &str) {
        let j = J::new(ty, t, Stamp::Rfc3339).str("alert_id", id);
        let j = match ty {
            "CyberAlertAcknowledged" => {
                j.str("analyst", &format!("网安值班 {}", Self::officer(rng)))
            }
            _ => j.str(
                "reason",
                rng.pick(&[
                    "运营者授权的漏洞扫描",
                    "误报：业务流量峰值",
                    "邮件网关已拦截，无用户点击",
                ]),
            ),
        };
        self.emit(rng, j);
    }

    fn operator_report(&mut self, rng: &mut Rng, t: i64, id: &str, confirmed: bool) {
        let summary = if confirmed {
            rng.pick(&[
                "已确认遭受攻击，受影响主机已断网隔离",
                "运维账号遭暴力破解，已封禁来源并重置口令",
                "服务器被植入恶意程序，已隔离取证",
            ])
        } else {
            rng.pick(&["经核查为正常业务流量", "经核查为本单位授权的安全测试"])
        };
        self.emit(
            rng,
            J::new("OperatorIncidentReport", t, Stamp::Rfc3339)
                .str("alert_id", id)
                .bool("confirmed", confirmed)
                .str("summary", summary),
        );
    }

    fn incident_update(&mut self, rng: &mut Rng, t: i64, id: &str, contained: bool) {
        let summary = if contained {
            rng.pick(&[
                "系统恢复运行，已提取样本溯源",
                "攻击已阻断，未发现数据外泄",
                "已加固，持续监测无异常",
            ])
        } else {
            rng.pick(&[
                "已清除恶意程序，正在从备份恢复",
                "正在排查横向移动痕迹",
                "已封堵攻击源，正在恢复业务",
            ])
        };
        self.emit(
            rng,
            J::new("CyberIncidentUpdate", t, Stamp::Rfc3339)
                .str("alert_id", id)
                .bool("contained", contained)
                .str("summary", summary),
        );
    }

    /// Progress reports from `from` (the confirmed report) at most 3 h 50 min apart, the last
    /// saying the incident is contained; returns its time.
    fn containment(&mut self, rng: &mut Rng, id: &str, from: i64) -> i64 {
        let mut at = from;
        let updates = rng.range(1, 4);
        for k in 0..updates {
            at += rng.range(40 * 60, 3 * 3600 + 50 * 60) * SEC;
            self.incident_update(rng, at, id, k + 1 == updates);
        }
        at
    }

    /// Planted, every day: a serious alert on a critical system, by turns acknowledged after
    /// 15 minutes, reported by the operator after the hour, left without a progress report
    /// for four hours, and both acknowledged late and reported late; then contained. Every
    /// third day a source probing three critical systems within the hour
    /// (`cii_attack_source_sweep`).
    fn plant_cyber(&mut self, day: u32) {
        const WF: &str = "cii_attack_response";
        let mut rng = self.rng(D_CYBER, 10_000 + day);
        let d0 = self.day_start(day);
        let system = CII_SYSTEMS[(day as usize * 2 + 1) % CII_SYSTEMS.len()];
        let t = d0 + rng.range(0, 20 * 3600) * SEC;
        let (level, attack) = if day.is_multiple_of(2) {
            ("critical", rng.pick(CRITICAL_ATTACKS))
        } else {
            ("high", rng.pick(HIGH_ATTACKS))
        };
        let source = rng.chance(0.6).then(|| Self::attacker_ip(&mut rng));
        let id = self.cyber_alert(&mut rng, t, system, true, level, attack, source.as_deref());
        let variant = day % 4;
        let ack = if variant == 0 || variant == 3 {
            self.plant_workflow_alert(WF, "raised", &id, t + 15 * MIN, "告警15分钟未签收".into());
            t + rng.range(17 * 60, 40 * 60) * SEC
        } else {
            t + rng.range(3 * 60, 10 * 60) * SEC
        };
        self.cyber_event(&mut rng, "CyberAlertAcknowledged", ack, &id);
        let reported = if variant == 1 || variant == 3 {
            self.plant_workflow_alert(WF, "notified", &id, t + HOUR, "运营者1小时内未报告".into());
            t + rng.range(65 * 60, 100 * 60) * SEC
        } else {
            ack + rng.range(10 * 60, 20 * 60) * SEC
        };
        self.operator_report(&mut rng, reported, &id, true);
        self.plant_transition(
            WF,
            "containment",
            &id,
            reported,
            "运营者报告确认事件".into(),
        );
        let contained = if variant == 2 {
            let update = reported + rng.range(60 * 60, 3 * 3600) * SEC;
            self.incident_update(&mut rng, update, &id, false);
            self.plant_workflow_alert(
                WF,
                "containment",
                &id,
                update + 4 * HOUR,
                "4小时未续报".into(),
            );
            let at = update + 4 * HOUR + rng.range(20 * 60, 90 * 60) * SEC;
            self.incident_update(&mut rng, at, &id, true);
            at
        } else {
            self.containment(&mut rng, &id, reported)
        };
        self.plant_transition(WF, "contained", &id, contained, "处置完毕".into());

        if day % 3 == 1 {
            let ip = format!("91.240.{}.{}", 100 + day % 150, rng.range(2, 254));
            let mut at = d0 + rng.range(3600, 22 * 3600) * SEC;
            let first = (day as usize * 3) % CII_SYSTEMS.len();
            for k in 0..3 {
                let system = CII_SYSTEMS[(first + k * 2) % CII_SYSTEMS.len()];
                self.cyber_alert(&mut rng, at, system, true, "medium", "漏洞探测", Some(&ip));
                if k == 2 {
                    self.plant_alert(
                        "cii_attack_source_sweep",
                        Some(&ip),
                        at,
                        "同一攻击源1小时内探测3个关键信息基础设施".into(),
                    );
                } else {
                    at += rng.range(5 * 60, 25 * 60) * SEC;
                }
            }
        }
    }

    /// The platform's background: port scans (low) on every kind of system, one scanner
    /// sweeping all critical systems at low level; medium probes from distinct sources, a
    /// source probing two critical systems and a company's site within the hour, another
    /// probing three critical systems over more than an hour; serious alerts on companies'
    /// systems (no response of this rule set); one to two serious alerts on critical systems
    /// handled in time: dismissed by the desk, reported by the operator before the desk
    /// acknowledged, or acknowledged within 15 minutes (one a day at 14 minutes) and reported
    /// within the hour as a false alarm or a real incident, contained through progress reports
    /// under four hours apart.
    fn cyber(&mut self, day: u32) {
        let mut rng = self.rng(D_CYBER, day);
        let d0 = self.day_start(day);
        let any = |rng: &mut Rng| -> ((&'static str, &'static str, &'static str), bool) {
            if rng.chance(0.5) {
                (rng.pick(CII_SYSTEMS), true)
            } else {
                (rng.pick(SME_SYSTEMS), false)
            }
        };
        for _ in 0..rng.range(6, 12) {
            let t = d0 + rng.range(0, 24 * 3600) * SEC;
            let (system, cii) = any(&mut rng);
            let source = rng.chance(0.8).then(|| Self::attacker_ip(&mut rng));
            let attack = rng.pick(LOW_ATTACKS);
            self.cyber_alert(&mut rng, t, system, cii, "low", attack, source.as_deref());
        }
        let scanner = Self::attacker_ip(&mut rng);
        let mut t = d0 + rng.range(0, 22 * 3600) * SEC;
        for system in CII_SYSTEMS {
            self.cyber_alert(
                &mut rng,
                t,
                *system,
                true,
                "low",
                "端口扫描",
                Some(&scanner),
            );
            t += rng.range(60, 200) * SEC;
        }
        for _ in 0..rng.range(2, 5) {
            let t = d0 + rng.range(0, 24 * 3600) * SEC;
            let (system, cii) = any(&mut rng);
            let source = rng.chance(0.8).then(|| Self::attacker_ip(&mut rng));
            let attack = rng.pick(MEDIUM_ATTACKS);
            self.cyber_alert(
                &mut rng,
                t,
                system,
                cii,
                "medium",
                attack,
                source.as_deref(),
            );
        }
        // Near misses of a campaign.
        let ip = Self::attacker_ip(&mut rng);
        let t = d0 + rng.range(0, 22 * 3600) * SEC;
        let k = rng.below(CII_SYSTEMS.len() as u64) as usize;
        for (i, at) in [t, t + rng.range(5, 25) * MIN, t + rng.range(30, 55) * MIN]
            .into_iter()
            .enumerate()
        {
            let (system, cii) = if i == 1 {
                (rng.pick(SME_SYSTEMS), false)
            } else {
                (CII_SYSTEMS[(k + i) % CII_SYSTEMS.len()], true)
            };
            self.cyber_alert(&mut rng, at, system, cii, "medium", "漏洞探测", Some(&ip));
        }
        if day.is_multiple_of(2) {
            let ip = Self::attacker_ip(&mut rng);
            let t = d0 + rng.range(0, 21 * 3600) * SEC;
            let k = rng.below(CII_SYSTEMS.len() as u64) as usize;
            for (i, at) in [t, t + 35 * MIN, t + 100 * MIN].into_iter().enumerate() {
                let system = CII_SYSTEMS[(k + i) % CII_SYSTEMS.len()];
                self.cyber_alert(&mut rng, at, system, true, "medium", "异常登录", Some(&ip));
            }
        }
        for _ in 0..rng.range(0, 3) {
            let t = d0 + rng.range(0, 24 * 3600) * SEC;
            let level = rng.pick(&["high", "critical"]);
            let attack = rng.pick(if level == "high" {
                HIGH_ATTACKS
            } else {
                CRITICAL_ATTACKS
            });
            let source = rng.chance(0.6).then(|| Self::attacker_ip(&mut rng));
            let system = rng.pick(SME_SYSTEMS);
            self.cyber_alert(&mut rng, t, system, false, level, attack, source.as_deref());
        }
        for i in 0..rng.range(1, 3) {
            let t = d0 + rng.range(0, 20 * 3600) * SEC;
            let level = rng.pick(&["high", "critical"]);
            let attack = rng.pick(if level == "high" {
                HIGH_ATTACKS
            } else {
                CRITICAL_ATTACKS
            });
            let source = rng.chance(0.6).then(|| Self::attacker_ip(&mut rng));
            let system = rng.pick(CII_SYSTEMS);
            let id = self.cyber_alert(&mut rng, t, system, true, level, attack, source.as_deref());
            let r = rng.f64();
            if r < 0.15 {
                let at = t + rng.range(3 * 60, 14 * 60) * SEC;
                self.cyber_event(&mut rng, "CyberAlertDismissed", at, &id);
                continue;
            }
            if r < 0.3 {
                let at = t + rng.range(4 * 60, 13 * 60) * SEC;
                self.operator_report(&mut rng, at, &id, true);
                self.containment(&mut rng, &id, at);
                continue;
            }
            let ack = if i == 0 {
                t + rng.range(14 * 60, 14 * 60 + 50) * SEC
            } else {
                t + rng.range(2 * 60, 13 * 60) * SEC
            };
            self.cyber_event(&mut rng, "CyberAlertAcknowledged", ack, &id);
            let at = t + rng.range(20 * 60, 58 * 60) * SEC;
            if r < 0.45 {
                self.operator_report(&mut rng, at, &id, false);
            } else if r < 0.55 {
                self.cyber_event(&mut rng, "CyberAlertDismissed", at, &id);
            } else {
                self.operator_report(&mut rng, at, &id, true);
                self.containment(&mut rng, &id, at);
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // The volunteer platform (`rules/volunteers/help_calls.vigil`)

    /// A caller's address, station and community grid.
    fn help_place(rng: &mut Rng) -> (String, &'static str, String) {
        let district = &DISTRICTS[rng.below(DISTRICTS.len() as u64) as usize];
        let (station, street, roads) = rng.pick(district.areas);
        let place = rng.pick(&[
            "便利店",
            "小区东门",
            "菜市场",
            "公交站",
            "城中村巷口",
            "商场",
        ]);
        let address = format!(
            "{}{}{}{}号{}",
            district.name,
            street,
            rng.pick(roads),
            rng.range(1, 400),
            place
        );
        let grid = format!(
            "{}社区第{}网格",
            street.trim_end_matches("街道"),
            rng.range(1, 9)
        );
        (address, station, grid)
    }

    /// A call for help; returns its id.
    fn help_call(&mut self, rng: &mut Rng, t: i64) -> String {
        let n = self.id("help_call");
        let id = format!("PA-{}-{:04}", ymd(t), n % 10_000);
        let (address, station, grid) = Self::help_place(rng);
        let kind = rng.pick(HELP_KINDS);
        self.emit(
            rng,
            J::new("HelpCall", t, Stamp::Rfc3339)
                .str("call_id", &id)
                .str("address", &address)
                .str("station", station)
                .str("grid", &grid)
                .str("kind", kind),
        );
        id
    }

    fn volunteer_arrived(&mut self, rng: &mut Rng, t: i64, call: &str, tier: &str) {
        let volunteer = format!("V-{:06}", rng.range(1, 40_000));
        self.emit(
            rng,
            J::new("VolunteerArrived", t, Stamp::Rfc3339)
                .str("call_id", call)
                .str("volunteer_id", &volunteer)
                .str("tier", tier),
        );
    }

    fn help_call_closed(&mut self, rng: &mut Rng, t: i64, call: &str, resolved: bool) {
        let j = J::new(
            if resolved {
                "HelpCallResolved"
            } else {
                "HelpCallCancelled"
            },
            t,
            Stamp::Rfc3339,
        )
        .str("call_id", call);
        let j = if resolved {
            j.str(
                "outcome",
                rng.pick(&[
                    "双方已劝开，调解完毕",
                    "已送医",
                    "可疑人员已离开，无异常",
                    "已协助找回",
                ]),
            )
        } else {
            j.str(
                "reason",
                rng.pick(&["误触", "已自行解决", "当事人已由家属接走"]),
            )
        };
        self.emit(rng, j);
    }

    /// Planted, every day: a call, by turns with the caller's own unit arriving after the
    /// minute (the duty desk's alert) and mutual aid in time; with self-rescue in time but no
    /// mutual aid at three minutes (`police_requested`), resolved by the police; and with
    /// nobody at all (both), a volunteer arriving after the hand-over, then withdrawn.
    fn plant_help_calls(&mut self, day: u32) {
        const WF: &str = "volunteer_help_call";
        let mut rng = self.rng(D_VOLUNTEERS, 10_000 + day);
        let d0 = self.day_start(day);
        let t = time_in(&mut rng, d0, 0, 24, &ACTIVITY);
        let id = self.help_call(&mut rng, t);
        match day % 3 {
            0 => {
                let own = t + rng.range(65, 110) * SEC;
                self.volunteer_arrived(&mut rng, own, &id, "self_rescue");
                self.plant_workflow_alert(WF, "open", &id, t + MIN, "1分钟内无自救力量到场".into());
                let mutual = t + rng.range(115, 170) * SEC;
                self.volunteer_arrived(&mut rng, mutual, &id, "mutual_aid");
                let at = t + rng.range(8, 30) * MIN;
                self.help_call_closed(&mut rng, at, &id, true);
                self.plant_transition(WF, "resolved", &id, at, "处置完毕".into());
            }
            1 => {
                let own = t + rng.range(20, 50) * SEC;
                self.volunteer_arrived(&mut rng, own, &id, "self_rescue");
                self.plant_transition(
                    WF,
                    "police_requested",
                    &id,
                    t + 3 * MIN,
                    "3分钟内无互救力量，转派警".into(),
                );
                let at = t + rng.range(10, 30) * MIN;
                self.help_call_closed(&mut rng, at, &id, true);
                self.plant_transition(WF, "resolved", &id, at, "民警到场处置完毕".into());
            }
            _ => {
                self.plant_workflow_alert(WF, "open", &id, t + MIN, "1分钟内无自救力量到场".into());
                self.plant_transition(
                    WF,
                    "police_requested",
                    &id,
                    t + 3 * MIN,
                    "3分钟内无人到场，转派警".into(),
                );
                let late = t + rng.range(4 * 60, 6 * 60) * SEC;
                self.volunteer_arrived(&mut rng, late, &id, "mutual_aid");
                let at = t + rng.range(8, 20) * MIN;
                self.help_call_closed(&mut rng, at, &id, false);
                self.plant_transition(WF, "cancelled", &id, at, "呼救人撤销".into());
            }
        }
    }

    /// Calls answered in time: the caller's own unit within the minute (one a day at 55 to 59
    /// seconds), one or two volunteers within three minutes (one a day at 2 min 50 s), then
    /// resolved or withdrawn; calls withdrawn before anyone came (误触).
    fn help_calls(&mut self, day: u32) {
        let mut rng = self.rng(D_VOLUNTEERS, day);
        let d0 = self.day_start(day);
        for i in 0..rng.range(5, 10) {
            let t = time_in(&mut rng, d0, 0, 24, &ACTIVITY);
            let id = self.help_call(&mut rng, t);
            if rng.chance(0.15) {
                let at = t + rng.range(10, 50) * SEC;
                self.help_call_closed(&mut rng, at, &id, false);
                continue;
            }
            let own = t + if i == 0 {
                rng.range(55, 59)
            } else {
                rng.range(15, 55)
            } * SEC;
            self.volunteer_arrived(&mut rng, own, &id, "self_rescue");
            let mutual = t + if i == 1 {
                rng.range(170, 178)
            } else {
                rng.range(60, 170)
            } * SEC;
            self.volunteer_arrived(&mut rng, mutual, &id, "mutual_aid");
            if rng.chance(0.4) {
                let more = mutual + rng.range(10, 120) * SEC;
                let tier = rng.pick(&["self_rescue", "mutual_aid"]);
                self.volunteer_arrived(&mut rng, more, &id, tier);
            }
            let resolved = rng.chance(0.85);
            let at = mutual + rng.range(3 * 60, 40 * 60) * SEC;
            self.help_call_closed(&mut rng, at, &id, resolved);
        }
    }
}

impl Gen<'_> {
    /// The desk and the officers after a watchlist plate's two hits (`plate_hit_disposal`):
    /// at the entry checkpoint the hit is verified and the driver checked and released before
    /// the vehicle reaches the city; at the inner checkpoint it is verified and the vehicle
    /// stopped. By day, one of them goes otherwise: a verification after 7 minutes, a disposal
    /// after 35, or a misread plate.
    fn work_hits(&mut self, day: u32, i: usize, plate: &str, entry: i64, inner: i64) {
        let mut rng = self.rng(D_PLATE_HITS, day * 2 + i as u32);
        let variant = if i == 0 { day % 4 } else { 3 };
        for (n, hit) in [entry, inner].into_iter().enumerate() {
            let late_check = variant == 0 && n == 0;
            let verified = if late_check {
                self.plant_workflow_alert(
                    "plate_hit_disposal",
                    "verifying",
                    plate,
                    hit + 5 * MIN,
                    "布控预警5分钟未核查".into(),
                );
                hit + 7 * MIN
            } else {
                hit + rng.range(40, 240) * SEC
            };
            let misread = variant == 2 && n == 0;
            let j = J::new("HitVerified", verified, Stamp::Rfc3339)
                .str("plate", plate)
                .str(
                    "officer",
                    &format!("查报站 {}", rng.pick(&["王警官", "赵警官", "孙警官"])),
                )
                .bool("confirmed", !misread);
            self.emit(&mut rng, j);
            if misread {
                self.plant_transition(
                    "plate_hit_disposal",
                    "misread",
                    plate,
                    verified,
                    "图像核查为误识别".into(),
                );
                continue;
            }
            let late_disposal = variant == 1 && n == 1;
            let disposed = if late_disposal {
                self.plant_workflow_alert(
                    "plate_hit_disposal",
                    "disposing",
                    plate,
                    verified + 30 * MIN,
                    "核查属实30分钟未处置".into(),
                );
                verified + 35 * MIN
            } else if n == 0 {
                // Before the vehicle reaches the inner checkpoint, 20 minutes on at the least.
                verified + rng.range(3, 12) * MIN
            } else {
                verified + rng.range(5, 25) * MIN
            };
            let outcome = if n == 0 {
                "查报站盘查，核查后放行并通报"
            } else {
                "市区卡口拦截，驾驶人带回核查"
            };
            let j = J::new("HitDisposed", disposed, Stamp::Rfc3339)
                .str("plate", plate)
                .str(
                    "officer",
                    &format!("交警 {}", rng.pick(&["李警官", "周警官"])),
                )
                .str("outcome", outcome);
            self.emit(&mut rng, j);
        }
    }

    /// The schools' peak-hour guard posts (`guard_post_unstaffed`) on school days: the platform
    /// opens the morning and afternoon peaks with the guards signed on so far; where none is
    /// yet, one signs on within 9 minutes. Planted every other school day: a post nobody takes.
    fn guard_posts(&mut self, day: u32) {
        let d0 = self.day_start(day);
        if !self.calendar.is_workday(local_day(d0)) {
            return;
        }
        let mut rng = self.rng(D_GUARD_POSTS, day);
        let empty = day
            .is_multiple_of(2)
            .then(|| (rng.below(SCHOOLS.len() as u64) as usize, rng.below(2)));
        for (k, (period, open)) in [
            ("早高峰", 7 * HOUR + 20 * MIN),
            ("晚高峰", 16 * HOUR + 20 * MIN),
        ]
        .into_iter()
        .enumerate()
        {
            for (n, school) in SCHOOLS.iter().enumerate() {
                let at = d0 + open + rng.range(0, 60) * SEC;
                let unstaffed = empty == Some((n, k as u64));
                let on_post = if unstaffed || rng.chance(0.12) {
                    0
                } else {
                    rng.range(1, 4)
                };
                let j = J::new("PeakPeriodStarted", at, Stamp::Rfc3339)
                    .str("school", school)
                    .str("period", period)
                    .int("guards_on_post", on_post);
                self.emit(&mut rng, j);
                if unstaffed {
                    self.plant_alert(
                        "guard_post_unstaffed",
                        Some(school),
                        at + 10 * MIN,
                        format!("{period}护学岗无人到岗"),
                    );
                } else if on_post == 0 {
                    let j = J::new(
                        "GuardPostSignOn",
                        at + rng.range(60, 540) * SEC,
                        Stamp::Rfc3339,
                    )
                    .str("school", school)
                    .str(
                        "guard",
                        &format!("保安 {}", rng.pick(&["周师傅", "吴师傅", "郑师傅"])),
                    );
                    self.emit(&mut rng, j);
                }
            }
        }
    }

    /// 110 disputes the officers refer to people's mediation (`dispute_intake` opens the case;
    /// its joint visit and mediation follow), every third day; and a dispute whose report comes
    /// after a day (every fifth).
    fn plant_dispute_referrals(&mut self, day: u32) {
        let mut rng = self.rng(D_DISPUTES, 10_000 + day);
        let d0 = self.day_start(day);
        if day.is_multiple_of(3) {
            let t = d0 + rng.range(9 * 3600, 21 * 3600) * SEC;
            let d = rng.below(DISTRICTS.len() as u64) as usize;
            // A fresh address and no district: a planted dispute must not make a repeat
            // address or a district's surge.
            let (address, station) = self.fresh_address(&mut rng, d, t);
            let id = format!("JJ{}{}", ymd(t), rng.digits(6));
            self.incident_line(t, &id, "dispute", &address, station, None);
            let referred = t + rng.range(60, 300) * MIN;
            let case = format!("RMTJ-JJ-{}-{}", ymd(t), rng.digits(4));
            let j = J::new("DisputeDisposed", referred, Stamp::Rfc3339)
                .str("incident_id", &id)
                .str("outcome", "people_mediation")
                .str("case_id", &case)
                .str("committee", rng.pick(COMMITTEES));
            self.emit(&mut rng, j);
            self.plant_transition(
                "dispute_intake",
                "referred",
                &id,
                referred,
                "110纠纷警情转人民调解".into(),
            );
            self.plant_transition(
                "joint_mediation_visit",
                "inviting",
                &case,
                referred,
                "转调解后约请联合走访".into(),
            );
            self.joint_visit(referred, &case);
            // Settled within the month; the follow-up visit finds it performed.
            let agreed = referred + rng.range(8, 25) * DAY;
            let j =
                J::new("PeopleMediationAgreement", agreed, Stamp::Rfc3339).str("case_id", &case);
            self.emit(&mut rng, j);
            let j = J::new(
                "FollowUpVisit",
                agreed + rng.range(5, 25) * DAY,
                Stamp::Rfc3339,
            )
            .str("case_id", &case)
            .bool("performed", true);
            self.emit(&mut rng, j);
        }
        if day % 5 == 1 {
            let t = d0 + rng.range(8 * 3600, 20 * 3600) * SEC;
            let d = rng.below(DISTRICTS.len() as u64) as usize;
            // A fresh address and no district: a planted dispute must not make a repeat
            // address or a district's surge.
            let (address, station) = self.fresh_address(&mut rng, d, t);
            let id = format!("JJ{}{}", ymd(t), rng.digits(6));
            self.incident_line(t, &id, "dispute", &address, station, None);
            self.plant_workflow_alert(
                "dispute_intake",
                "open",
                &id,
                t + 24 * HOUR,
                "纠纷警情24小时未反馈处置".into(),
            );
            let j = J::new("DisputeDisposed", t + 26 * HOUR, Stamp::Rfc3339)
                .str("incident_id", &id)
                .str("outcome", "settled_on_site");
            self.emit(&mut rng, j);
        }
    }
}

impl Gen<'_> {
    /// Priority-1 incidents (serious road accidents on the trunk roads), acknowledged within 4
    /// to 18 seconds (`important_incident_unacknowledged`); planted, one a day acknowledged
    /// only after 25 to 60 seconds.
    fn priority_incidents(&mut self, day: u32) {
        let mut rng = self.rng(D_PRIORITY, day);
        let d0 = self.day_start(day);
        let n = rng.range(4, 9);
        for k in 0..n {
            let t = time_in(&mut rng, d0, 0, 24, &INCIDENT_ACTIVITY);
            let d = rng.below(DISTRICTS.len() as u64) as usize;
            let (address, station) = Self::address(&mut rng, &DISTRICTS[d]);
            let id = format!("SZ{}P{:03}", ymd(t), k);
            let j = J::new("Incident", t, Stamp::Rfc3339)
                .str("incident_id", &id)
                .str("category", "traffic_accident")
                .str("address", &address)
                .str("station", station)
                .int("priority", 1);
            self.emit(&mut rng, j);
            let late = k == 0;
            let ack = if late {
                self.plant_alert(
                    "important_incident_unacknowledged",
                    Some(&id),
                    t + 20 * SEC,
                    "一级警情20秒未确认".into(),
                );
                t + rng.range(25, 61) * SEC
            } else {
                t + rng.range(4, 19) * SEC
            };
            let j = J::new("Acknowledged", ack, Stamp::Rfc3339)
                .str("incident_id", &id)
                .str("dispatcher", &format!("接警员{:03}", rng.range(1, 60)));
            self.emit(&mut rng, j);
        }
    }
}
