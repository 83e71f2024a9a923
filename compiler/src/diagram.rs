//! Pictures of a rule set, for people who would rather look than read (`vigil graph`, the
//! language server's diagram command): each workflow's state diagram, and the rule graph of
//! which rule reads, emits or starts what. Built from the syntax, so conditions read as the
//! author wrote them; rendered as Mermaid (pastes into a pull request) or Graphviz DOT.

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
                self.edge(me.to_string(), node_id("e", &e.ty.name), "emits", true);
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
