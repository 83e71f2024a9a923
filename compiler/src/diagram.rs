//! Pictures of a rule set, for people who would rather look than read (`vigil graph`, the
//! language server's diagram command): each workflow's state diagram, and the rule graph of
//! which rule reads, emits or starts what. Built from the syntax, so conditions read as the
//! author wrote them; rendered as Mermaid (pastes into a pull request), Graphviz DOT, or SVG
//! laid out here.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::fmt::expr_text;
use crate::syntax::ast::{
    self, Action, AfterClause, Delay, EventMatch, ItemKind, Quorum, RuleClause, StateClause,
    WorkflowClause,
};

/// A graph to draw: nodes and labelled edges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagram {
    pub title: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// An identifier unique in the diagram (a name of the rule set, or a fixed word).
    pub id: String,
    pub label: String,
    pub shape: Shape,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Where an instance begins.
    Start,
    State,
    /// A final state: the instance ends there.
    Final,
    /// "Whatever the state": where a workflow-level timer leaves from.
    AnyState,
    Event,
    Rule,
    Workflow,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: String,
    /// A timer (or, in the rule graph, an emitted event): drawn dashed.
    pub dashed: bool,
}

const START: &str = "start";
const ANY: &str = "any_state";

/// The state diagram of a workflow: its start, states (final ones marked), each transition
/// with its trigger or timer, and the workflow-level timers, which leave from "any state".
pub fn workflow(w: &ast::Workflow) -> Diagram {
    let mut d = Diagram {
        title: format!("workflow {}", w.name.name),
        nodes: vec![Node {
            id: START.into(),
            label: "start".into(),
            shape: Shape::Start,
        }],
        edges: Vec::new(),
    };
    let states: Vec<&ast::State> = w
        .clauses
        .iter()
        .filter_map(|c| match c {
            WorkflowClause::State(s) => Some(s),
            _ => None,
        })
        .collect();
    for s in &states {
        d.nodes.push(Node {
            id: s.name.name.to_string(),
            label: s.name.name.to_string(),
            shape: if s.is_final {
                Shape::Final
            } else {
                Shape::State
            },
        });
    }
    for c in &w.clauses {
        if let WorkflowClause::Start(m, _) = c
            && let Some(first) = states.first()
        {
            d.edges.push(Edge {
                from: START.into(),
                to: first.name.name.to_string(),
                label: format!("start on {}", event_label(m)),
                dashed: false,
            });
        }
    }
    for s in &states {
        let from = s.name.name.to_string();
        for c in &s.clauses {
            match c {
                StateClause::On(t) => d.edges.push(Edge {
                    from: from.clone(),
                    to: t.target.name.to_string(),
                    label: format!("on {}", event_label(&t.event)),
                    dashed: false,
                }),
                StateClause::Await(a) => {
                    let items: Vec<String> = a.items.iter().map(event_label).collect();
                    let quorum = match a.quorum {
                        Quorum::All => "all".to_string(),
                        Quorum::Any(k, _) => format!("any {k}"),
                    };
                    d.edges.push(Edge {
                        from: from.clone(),
                        to: a.target.name.to_string(),
                        label: format!("await {quorum} of {}", items.join(", ")),
                        dashed: false,
                    });
                }
                StateClause::After(a) => d.edges.push(timer_edge(&from, a)),
                StateClause::OnEnter(..) => {}
            }
        }
    }
    let level: Vec<&AfterClause> = w
        .clauses
        .iter()
        .filter_map(|c| match c {
            WorkflowClause::After(a) => Some(a),
            _ => None,
        })
        .collect();
    if !level.is_empty() {
        d.nodes.push(Node {
            id: ANY.into(),
            label: "any state (from the start)".into(),
            shape: Shape::AnyState,
        });
        for a in level {
            d.edges.push(timer_edge(ANY, a));
        }
    }
    d
}

/// A timer's edge: to its target, or back to its state when it only acts.
fn timer_edge(from: &str, a: &AfterClause) -> Edge {
    let delay = match &a.delay {
        Delay::Duration(e) => expr_text(e),
        Delay::Workdays(n, _) => format!("{n} workdays"),
    };
    let mut label = format!("after {delay}");
    if let Some(c) = &a.cond {
        let _ = write!(label, " where {}", expr_text(c));
    }
    let to = match &a.target {
        Some(t) => t.name.to_string(),
        None => {
            label.push_str(&actions_label(&a.actions));
            from.to_string()
        }
    };
    Edge {
        from: from.to_string(),
        to,
        label,
        dashed: true,
    }
}

/// What a timer without a target does: ` / alert shift_leader`.
fn actions_label(actions: &[Action]) -> String {
    let words: Vec<String> = actions
        .iter()
        .map(|a| match a {
            Action::Alert(al) => {
                let to: Vec<String> = al.to.iter().map(expr_text).collect();
                format!("alert {}", to.join(", "))
            }
            Action::Emit(e) if e.each.is_some() => format!("emit each {}", e.ty.name),
            Action::Emit(e) => format!("emit {}", e.ty.name),
            Action::Start(w, _) => format!("start {}", w.name),
            Action::Set(s) => format!("set {}", s.name.name),
        })
        .collect();
    if words.is_empty() {
        String::new()
    } else {
        format!(" / {}", words.join(", "))
    }
}

fn event_label(m: &EventMatch) -> String {
    match &m.cond {
        Some(c) => format!("{} where {}", m.ty.name, expr_text(c)),
        None => m.ty.name.to_string(),
    }
}

/// The rule graph: which event types each rule and workflow reads, which events they emit
/// and which workflows they start. Event types no rule or workflow reads or emits are left
/// out.
pub fn rule_graph(items: &[&ast::Item]) -> Diagram {
    let mut d = Diagram {
        title: "rule graph".into(),
        nodes: Vec::new(),
        edges: Vec::new(),
    };
    let mut events: BTreeSet<String> = BTreeSet::new();
    for item in items {
        match &item.kind {
            ItemKind::Rule(r) => {
                let name = r.name.name.to_string();
                let me = node_id("r", &name);
                d.nodes.push(Node {
                    id: me.clone(),
                    label: name,
                    shape: Shape::Rule,
                });
                for c in &r.clauses {
                    match c {
                        RuleClause::When(p) => {
                            let read: Vec<&EventMatch> = match p {
                                ast::Pattern::Single(s) => vec![&s.event],
                                ast::Pattern::Sequence(s) => {
                                    s.steps.iter().map(|st| &st.event).collect()
                                }
                            };
                            for m in read {
                                events.insert(m.ty.name.to_string());
                                d.edge(node_id("e", &m.ty.name), me.clone(), "", false);
                            }
                        }
                        RuleClause::Action(a) => d.produced(&mut events, &me, a),
                        _ => {}
                    }
                }
            }
            ItemKind::Workflow(w) => {
                let name = w.name.name.to_string();
                let me = node_id("w", &name);
                d.nodes.push(Node {
                    id: me.clone(),
                    label: name,
                    shape: Shape::Workflow,
                });
                for c in &w.clauses {
                    match c {
                        WorkflowClause::Start(m, _) => {
                            events.insert(m.ty.name.to_string());
                            d.edge(node_id("e", &m.ty.name), me.clone(), "start on", false);
                        }
                        // A workflow's emits and starts leave from its node.
                        WorkflowClause::State(s) => {
                            for sc in &s.clauses {
                                let actions = match sc {
                                    StateClause::OnEnter(a, _) => a,
                                    StateClause::On(t) => &t.actions,
                                    StateClause::After(a) => &a.actions,
                                    StateClause::Await(a) => &a.actions,
                                };
                                for a in actions {
                                    d.produced(&mut events, &me, a);
                                }
                            }
                        }
                        WorkflowClause::After(a) => {
                            for act in &a.actions {
                                d.produced(&mut events, &me, act);
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let mut event_nodes: Vec<Node> = events
        .into_iter()
        .map(|e| Node {
            id: node_id("e", &e),
            label: e,
            shape: Shape::Event,
        })
        .collect();
    event_nodes.append(&mut d.nodes);
    d.nodes = event_nodes;
    d
}

impl Diagram {
    fn edge(&mut self, from: String, to: String, label: &str, dashed: bool) {
        let e = Edge {
            from,
            to,
            label: label.to_string(),
            dashed,
        };
        if !self.edges.contains(&e) {
            self.edges.push(e);
        }
    }

    /// The events `a` emits and the workflows it starts, from node `me`.
    fn produced(&mut self, events: &mut BTreeSet<String>, me: &str, a: &Action) {
        match a {
            Action::Emit(e) => {
                events.insert(e.ty.name.to_string());
                let label = if e.each.is_some() {
                    "emits each"
                } else {
                    "emits"
                };
                self.edge(me.to_string(), node_id("e", &e.ty.name), label, true);
            }
            Action::Start(w, _) => {
                self.edge(me.to_string(), node_id("w", &w.name), "starts", true);
            }
            Action::Alert(_) | Action::Set(_) => {}
        }
    }
}

/// An identifier Mermaid and DOT both accept for any name (names may be non-ASCII): a kind
/// prefix and the name's characters, others escaped by their code.
fn node_id(kind: &str, name: &str) -> String {
    let mut id = format!("{kind}_");
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            id.push(c);
        } else {
            let _ = write!(id, "_u{:x}", c as u32);
        }
    }
    id
}

/// The diagram as Mermaid: `stateDiagram-v2` for a workflow, `flowchart LR` for the rule
/// graph.
pub fn mermaid(d: &Diagram) -> String {
    let is_states = d
        .nodes
        .iter()
        .any(|n| matches!(n.shape, Shape::Start | Shape::State | Shape::Final));
    let mut o = format!("---\ntitle: {}\n---\n", d.title);
    if is_states {
        o.push_str("stateDiagram-v2\n");
        for n in &d.nodes {
            match n.shape {
                Shape::AnyState => {
                    let _ = writeln!(o, "  state \"{}\" as {}", mermaid_text(&n.label), n.id);
                }
                Shape::Final => {
                    let _ = writeln!(o, "  {0} --> [*]", n.id);
                }
                _ => {}
            }
        }
        for e in &d.edges {
            let from = if e.from == START { "[*]" } else { &e.from };
            let _ = writeln!(o, "  {from} --> {} : {}", e.to, mermaid_text(&e.label));
        }
    } else {
        o.push_str("flowchart LR\n");
        for n in &d.nodes {
            let label = mermaid_text(&n.label);
            let _ = match n.shape {
                Shape::Event => writeln!(o, "  {}([\"{label}\"])", n.id),
                Shape::Workflow => writeln!(o, "  {}[[\"{label}\"]]", n.id),
                _ => writeln!(o, "  {}[\"{label}\"]", n.id),
            };
        }
        for e in &d.edges {
            let arrow = if e.dashed { "-.->" } else { "-->" };
            if e.label.is_empty() {
                let _ = writeln!(o, "  {} {arrow} {}", e.from, e.to);
            } else {
                let label = mermaid_text(&e.label);
                let _ = writeln!(o, "  {} {arrow}|\"{label}\"| {}", e.from, e.to);
            }
        }
    }
    o
}

/// Text inside a Mermaid label: quotes and the characters that end a label become entities.
fn mermaid_text(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => o.push_str("#quot;"),
            ':' => o.push_str("#58;"),
            ';' => o.push_str("#59;"),
            '\n' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// The diagram as Graphviz DOT, one `digraph`.
pub fn dot(d: &Diagram) -> String {
    let mut o = format!("digraph {} {{\n", dot_string(&d.title));
    o.push_str(
        "  rankdir=LR;\n  node [fontname=\"sans-serif\"];\n  edge [fontname=\"sans-serif\"];\n",
    );
    for n in &d.nodes {
        let shape = match n.shape {
            Shape::Start => "shape=point, width=0.15",
            Shape::State => "shape=box, style=rounded",
            Shape::Final => "shape=box, style=\"rounded,bold\", peripheries=2",
            Shape::AnyState => "shape=box, style=dashed",
            Shape::Event => "shape=ellipse",
            Shape::Rule => "shape=box",
            Shape::Workflow => "shape=box, style=\"rounded,filled\", fillcolor=\"#eef\"",
        };
        let _ = writeln!(
            o,
            "  {} [label={}, {shape}];",
            dot_string(&n.id),
            dot_string(&n.label)
        );
    }
    for e in &d.edges {
        let style = if e.dashed { ", style=dashed" } else { "" };
        let _ = writeln!(
            o,
            "  {} -> {} [label={}{style}];",
            dot_string(&e.from),
            dot_string(&e.to),
            dot_string(&e.label)
        );
    }
    o.push_str("}\n");
    o
}

fn dot_string(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// Row height, least gap between columns, margin and node height of the SVG layout, and the
/// height of one stacked loop label.
const ROW: f64 = 70.0;
const GAP: f64 = 160.0;
const LOOP_LINE: f64 = 13.0;
const PAD: f64 = 30.0;
const H: f64 = 34.0;

/// A node's box in the SVG: its centre and width.
struct Placed {
    x: f64,
    y: f64,
    w: f64,
}

/// How wide a label's box is: CJK characters are about twice as wide as ASCII.
fn label_width(label: &str) -> f64 {
    let units: f64 = label
        .chars()
        .map(|c| if c.is_ascii() { 7.2 } else { 13.0 })
        .sum();
    units.max(20.0) + 24.0
}

/// Columns by the longest distance from a node no edge enters (each node visited once, so
/// cycles end), rows in declaration order within a column. Returns the boxes and the size.
fn layout(d: &Diagram) -> (Vec<Placed>, f64, f64) {
    let n = d.nodes.len();
    let index = |id: &str| d.nodes.iter().position(|x| x.id == id);
    let edges: Vec<(usize, usize)> = d
        .edges
        .iter()
        .filter_map(|e| Some((index(&e.from)?, index(&e.to)?)))
        .collect();
    let mut column = vec![0usize; n];
    let mut seen = vec![false; n];
    let mut queue: std::collections::VecDeque<usize> = (0..n)
        .filter(|i| !edges.iter().any(|(a, b)| b == i && a != b))
        .collect();
    while let Some(i) = queue.pop_front() {
        match seen.get_mut(i) {
            Some(s) if !*s => *s = true,
            _ => continue,
        }
        let ci = column.get(i).copied().unwrap_or(0);
        for &(a, b) in &edges {
            if a == i && !seen.get(b).copied().unwrap_or(true) {
                if let Some(cb) = column.get_mut(b) {
                    *cb = (*cb).max(ci + 1);
                }
                queue.push_back(b);
            }
        }
    }
    let columns = column.iter().max().map_or(1, |m| m + 1);
    let mut widths = vec![0f64; columns];
    let mut rows = vec![0usize; columns];
    let mut cells = Vec::with_capacity(n);
    for (node, c) in d.nodes.iter().zip(&column) {
        let w = label_width(&node.label);
        if let Some(cw) = widths.get_mut(*c) {
            *cw = cw.max(w);
        }
        let row = rows.get_mut(*c).map_or(0, |r| {
            *r += 1;
            *r - 1
        });
        cells.push((*c, row, w));
    }
    // A gap wide enough for the labels of the edges that cross it.
    let mut gaps = vec![GAP; columns];
    for (e, (a, b)) in d.edges.iter().zip(&edges) {
        let (ca, cb) = (column.get(*a).copied(), column.get(*b).copied());
        if let (Some(ca), Some(cb)) = (ca, cb)
            && cb > ca
            && let Some(g) = gaps.get_mut(ca)
        {
            *g = g.max(label_width(&e.label) * 0.8 + 30.0);
        }
    }
    // Loop labels are centred over their node and may be wider than it: room on the left.
    let overhang = d
        .edges
        .iter()
        .zip(&edges)
        .filter(|(_, (a, b))| a == b && column.get(*a) == Some(&0))
        .map(|(e, (a, _))| {
            let w = d.nodes.get(*a).map_or(0.0, |n| label_width(&n.label));
            label_width(&e.label) * 0.4 - w / 2.0
        })
        .fold(0.0f64, f64::max);
    let mut x = PAD + overhang;
    let col_x: Vec<f64> = widths
        .iter()
        .zip(&gaps)
        .map(|(w, g)| {
            let here = x;
            x += w + g;
            here
        })
        .collect();
    let total_w = x - gaps.last().copied().unwrap_or(GAP) + PAD;
    // Loops rise above their node, their labels stacked: rows leave room for the most.
    let most_loops = (0..n)
        .map(|i| edges.iter().filter(|(a, b)| *a == i && *b == i).count())
        .max()
        .unwrap_or(0);
    let row = ROW + LOOP_LINE * most_loops.saturating_sub(1) as f64;
    let top = PAD
        + 40.0
        + if most_loops > 0 {
            30.0 + row - ROW
        } else {
            0.0
        };
    let max_rows = rows.iter().copied().max().unwrap_or(1);
    let total_h = top + max_rows as f64 * row + 60.0;
    let placed = cells
        .into_iter()
        .map(|(c, r, w)| Placed {
            x: col_x.get(c).copied().unwrap_or(PAD) + w / 2.0,
            y: top + r as f64 * row + H / 2.0,
            w,
        })
        .collect();
    (placed, total_w, total_h)
}

/// The diagram as a self-contained SVG, laid out by Vigil itself (no Graphviz at run time):
/// nodes in columns by their distance from the sources (the start, or events nobody emits),
/// edges as curves with their labels, backward edges bent below, loops above their node.
pub fn svg(d: &Diagram) -> String {
    let (placed, total_w, total_h) = layout(d);
    let index = |id: &str| d.nodes.iter().position(|n| n.id == id);
    let center = |i: usize| placed.get(i).map_or((0.0, 0.0, 0.0), |p| (p.x, p.y, p.w));
    let mut o = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{total_w:.0}\" height=\"{total_h:.0}\" viewBox=\"0 0 {total_w:.0} {total_h:.0}\" font-family=\"sans-serif\" font-size=\"12\">\n"
    );
    o.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#444\"/></marker></defs>\n");
    let _ = writeln!(
        o,
        "<text x=\"{PAD}\" y=\"{:.0}\" font-size=\"15\" font-weight=\"bold\">{}</text>",
        PAD + 6.0,
        xml(&d.title)
    );
    // Paths first, labels over them. A node's loops are drawn once, their labels stacked
    // above it; repeated edges between two nodes are bent apart.
    let mut labels: Vec<(f64, f64, &str)> = Vec::new();
    let mut loops: Vec<(usize, Vec<&str>, bool)> = Vec::new();
    let mut drawn: Vec<(usize, usize)> = Vec::new();
    for e in &d.edges {
        let (Some(a), Some(b)) = (index(&e.from), index(&e.to)) else {
            continue;
        };
        if a == b {
            match loops.iter_mut().find(|(n, _, _)| *n == a) {
                Some((_, ls, dashed)) => {
                    ls.push(&e.label);
                    *dashed &= e.dashed;
                }
                None => loops.push((a, vec![&e.label], e.dashed)),
            }
            continue;
        }
        let k = drawn.iter().filter(|p| **p == (a, b)).count() as f64;
        drawn.push((a, b));
        let ((ax, ay, aw), (bx, by, bw)) = (center(a), center(b));
        let (path, lx, ly) = if bx > ax {
            let (x1, x2) = (ax + aw / 2.0, bx - bw / 2.0);
            let mid = (x1 + x2) / 2.0;
            let bend = k * 16.0;
            (
                format!(
                    "M {x1:.1} {ay:.1} C {mid:.1} {:.1}, {mid:.1} {:.1}, {x2:.1} {by:.1}",
                    ay - bend,
                    by - bend
                ),
                mid,
                (ay + by) / 2.0 - 5.0 - bend,
            )
        } else {
            // Backward: leave below, come in below.
            let (y1, y2) = (ay + H / 2.0, by + H / 2.0);
            let low = y1.max(y2) + 40.0 + k * 16.0;
            (
                format!("M {ax:.1} {y1:.1} C {ax:.1} {low:.1}, {bx:.1} {low:.1}, {bx:.1} {y2:.1}"),
                (ax + bx) / 2.0,
                low - 8.0,
            )
        };
        let dash = if e.dashed {
            " stroke-dasharray=\"5 4\""
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "<path d=\"{path}\" fill=\"none\" stroke=\"#444\"{dash} marker-end=\"url(#arrow)\"/>"
        );
        if !e.label.is_empty() {
            labels.push((lx, ly, &e.label));
        }
    }
    for (node, ls, dashed) in &loops {
        let (x, y, _) = center(*node);
        let top = y - H / 2.0;
        let dash = if *dashed {
            " stroke-dasharray=\"5 4\""
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "<path d=\"M {:.1} {top:.1} C {:.1} {:.1}, {:.1} {:.1}, {:.1} {top:.1}\" fill=\"none\" stroke=\"#444\"{dash} marker-end=\"url(#arrow)\"/>",
            x - 12.0,
            x - 30.0,
            top - 34.0,
            x + 30.0,
            top - 34.0,
            x + 12.0
        );
        for (j, l) in ls.iter().enumerate() {
            labels.push((x, top - 30.0 - LOOP_LINE * j as f64, l));
        }
    }
    for (x, y, text) in labels {
        let w = label_width(text) * 0.8;
        let _ = writeln!(
            o,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"13\" fill=\"white\" opacity=\"0.85\"/><text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#333\">{}</text>",
            x - w / 2.0,
            y - 10.0,
            xml(text)
        );
    }
    for (i, n) in d.nodes.iter().enumerate() {
        let (x, y, w) = center(i);
        let (left, top) = (x - w / 2.0, y - H / 2.0);
        let shape = match n.shape {
            Shape::Start => format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"8\" fill=\"#222\"/>"),
            Shape::Event => format!(
                "<ellipse cx=\"{x:.1}\" cy=\"{y:.1}\" rx=\"{:.1}\" ry=\"{:.1}\" fill=\"#fff8e6\" stroke=\"#a60\"/>",
                w / 2.0,
                H / 2.0
            ),
            Shape::Final => format!(
                "<rect x=\"{left:.1}\" y=\"{top:.1}\" width=\"{w:.1}\" height=\"{H}\" rx=\"10\" fill=\"#eee\" stroke=\"#222\" stroke-width=\"3\"/>"
            ),
            Shape::AnyState => format!(
                "<rect x=\"{left:.1}\" y=\"{top:.1}\" width=\"{w:.1}\" height=\"{H}\" rx=\"10\" fill=\"#fff\" stroke=\"#666\" stroke-dasharray=\"4 3\"/>"
            ),
            Shape::Workflow => format!(
                "<rect x=\"{left:.1}\" y=\"{top:.1}\" width=\"{w:.1}\" height=\"{H}\" rx=\"10\" fill=\"#eef\" stroke=\"#336\"/>"
            ),
            Shape::State | Shape::Rule => format!(
                "<rect x=\"{left:.1}\" y=\"{top:.1}\" width=\"{w:.1}\" height=\"{H}\" rx=\"{}\" fill=\"#fff\" stroke=\"#222\"/>",
                if n.shape == Shape::State { 10 } else { 2 }
            ),
        };
        let _ = writeln!(o, "<g>{shape}");
        if n.shape != Shape::Start {
            let _ = writeln!(
                o,
                "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                y + 4.0,
                xml(&n.label)
            );
        }
        o.push_str("</g>\n");
    }
    o.push_str("</svg>\n");
    o
}

/// Text in SVG: the characters XML reserves, as entities.
fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &str) -> Vec<std::sync::Arc<ast::Item>> {
        let parsed = crate::syntax::parse_file(text);
        parsed.items.into_iter().filter_map(|i| i.tree).collect()
    }

    #[test]
    fn names_become_identifiers_both_formats_accept() {
        assert_eq!(node_id("e", "Call"), "e_Call");
        assert_eq!(node_id("w", "调解"), "w__u8c03_u89e3");
        assert_eq!(dot_string("a \"b\" \\"), "\"a \\\"b\\\" \\\\\"");
        assert_eq!(mermaid_text("x: \"y\"; z"), "x#58; #quot;y#quot;#59; z");
    }

    #[test]
    fn a_workflow_draws_its_start_states_finals_and_timers() {
        let src = "workflow w {\n  start on a: A by a.k\n  after 1m where visits(s) == 0 -> t\n  state s {\n    on B -> t\n    after 5m alert desk\n  }\n  final t\n}\n";
        let trees = items(src);
        let Some(ItemKind::Workflow(w)) = trees.first().map(|i| &i.kind) else {
            panic!("a workflow");
        };
        let m = mermaid(&workflow(w));
        assert!(m.contains("[*] --> s : start on A\n"), "{m}");
        assert!(m.contains("s --> t : on B\n"), "{m}");
        assert!(m.contains("s --> s : after 5m / alert desk\n"), "{m}");
        assert!(m.contains("t --> [*]\n"), "{m}");
        assert!(
            m.contains("any_state --> t : after 1m where visits(s) == 0\n"),
            "{m}"
        );
    }
}
