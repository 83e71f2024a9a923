//! Dependency graphs (petgraph): `fn`/`const` references, the rule graph (rules consume event
//! types and emit others), and each workflow's states.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graphmap::DiGraphMap;
use smol_str::SmolStr;

use super::scope::Scope;
use crate::diagnostics::{DeadEndState, Diag, UnreachableState};
use crate::syntax::Span;
use crate::syntax::ast::{self, ExprKind};

/// Names an expression mentions: bare names and called functions.
pub(crate) fn mentioned(e: &ast::Expr, out: &mut BTreeSet<SmolStr>) {
    match &e.kind {
        ExprKind::Name(n) => {
            out.insert(n.name.clone());
        }
        ExprKind::Call(f, args) => {
            out.insert(f.name.clone());
            args.iter().for_each(|a| mentioned(a, out));
        }
        ExprKind::Field(b, _) => mentioned(b, out),
        ExprKind::Set(items) => items.iter().for_each(|a| mentioned(a, out)),
        ExprKind::Unary(_, a) | ExprKind::Paren(a) => mentioned(a, out),
        ExprKind::Binary(_, a, b) => {
            mentioned(a, out);
            mentioned(b, out);
        }
        ExprKind::If(c, a, b) => {
            mentioned(c, out);
            mentioned(a, out);
            mentioned(b, out);
        }
        _ => {}
    }
}

/// The `fn`/`const` reference graph over the given definitions (name → body).
fn fn_const_graph<'a>(defs: &'a BTreeMap<SmolStr, Vec<&'a ast::Expr>>) -> DiGraphMap<&'a str, ()> {
    let mut g = DiGraphMap::new();
    for (name, bodies) in defs {
        g.add_node(name.as_str());
        let mut refs = BTreeSet::new();
        for b in bodies {
            mentioned(b, &mut refs);
        }
        for r in refs {
            if let Some((target, _)) = defs.get_key_value(&r) {
                g.add_edge(name.as_str(), target.as_str(), ());
            }
        }
    }
    g
}

/// Cycles among `fn`s and `const`s, each as the names in order (first repeated at the end).
pub fn fn_const_cycles(defs: &BTreeMap<SmolStr, Vec<&ast::Expr>>) -> Vec<Vec<SmolStr>> {
    let g = fn_const_graph(defs);
    cycles(&g)
}

fn cycles(g: &DiGraphMap<&str, ()>) -> Vec<Vec<SmolStr>> {
    let mut out = Vec::new();
    for scc in tarjan_scc(g) {
        let is_cycle = scc.len() > 1 || scc.first().is_some_and(|n| g.contains_edge(n, n));
        if !is_cycle {
            continue;
        }
        // Walk the cycle from its smallest name so the message is stable.
        let members: BTreeSet<&str> = scc.iter().copied().collect();
        let Some(&start) = members.iter().next() else {
            continue;
        };
        let mut path = vec![SmolStr::new(start)];
        let mut cur = start;
        let mut visited = BTreeSet::from([start]);
        loop {
            let next = g
                .neighbors(cur)
                .filter(|n| members.contains(n))
                .min_by_key(|n| (visited.contains(n) && *n != start, *n));
            match next {
                Some(n) if n == start => {
                    path.push(SmolStr::new(start));
                    break;
                }
                Some(n) if visited.insert(n) => {
                    path.push(SmolStr::new(n));
                    cur = n;
                }
                _ => {
                    path.push(SmolStr::new(start));
                    break;
                }
            }
        }
        out.push(path);
    }
    out.sort();
    out
}

/// Constants in an order where each comes after the constants (and functions' constants) it
/// uses; constants in a cycle are left out.
pub(crate) fn const_order<'a>(scope: &Scope, consts: &[&'a ast::Const]) -> Vec<&'a ast::Const> {
    let mut defs: BTreeMap<SmolStr, Vec<&ast::Expr>> = BTreeMap::new();
    for c in consts {
        defs.entry(c.name.name.clone()).or_default().push(&c.value);
    }
    for (name, f) in &scope.fns {
        defs.entry(name.clone()).or_default().push(&f.body);
    }
    let g = fn_const_graph(&defs);
    let in_cycle: BTreeSet<SmolStr> = cycles(&g).into_iter().flatten().collect();
    let mut order: Vec<&str> = match toposort(&g, None) {
        Ok(o) => o,
        Err(_) => {
            // Drop cycle members and sort what remains.
            let mut acyclic = g.clone();
            for n in &in_cycle {
                acyclic.remove_node(n.as_str());
            }
            toposort(&acyclic, None).unwrap_or_default()
        }
    };
    // Edges point from user to used: evaluate the used ones first.
    order.reverse();
    let by_name: BTreeMap<&str, &ast::Const> =
        consts.iter().map(|c| (c.name.name.as_str(), *c)).collect();
    order
        .into_iter()
        .filter(|n| !in_cycle.contains(*n))
        .filter_map(|n| by_name.get(n).copied())
        .collect()
}

/// One node of the rule graph: a rule or workflow with the event types it reads and emits.
pub struct Producer {
    pub name: SmolStr,
    pub span: Span,
    pub consumes: Vec<SmolStr>,
    pub emits: Vec<SmolStr>,
}

/// Cycles in "rule consumes type / rule emits type": each as rule, type, rule, type, ...
pub fn emit_cycles(producers: &[Producer]) -> Vec<Vec<SmolStr>> {
    // Node names: rules as-is, types prefixed so they cannot clash with rule names.
    let type_node = |t: &SmolStr| format!(":{t}");
    let names: Vec<String> = producers
        .iter()
        .flat_map(|p| p.consumes.iter().chain(&p.emits).map(type_node))
        .collect();
    let mut g: DiGraphMap<&str, ()> = DiGraphMap::new();
    let mut interned: BTreeMap<String, &str> = BTreeMap::new();
    for n in &names {
        interned.entry(n.clone()).or_insert(n.as_str());
    }
    for p in producers {
        g.add_node(p.name.as_str());
        for t in &p.consumes {
            if let Some(node) = interned.get(&type_node(t)) {
                g.add_edge(node, p.name.as_str(), ());
            }
        }
        for t in &p.emits {
            if let Some(node) = interned.get(&type_node(t)) {
                g.add_edge(p.name.as_str(), node, ());
            }
        }
    }
    cycles(&g)
        .into_iter()
        .map(|c| {
            // Start at a rule, not at an event type.
            let start = c.iter().position(|n| !n.starts_with(':')).unwrap_or(0);
            // The cycle without its last node, which repeats the first.
            let mut ring: Vec<SmolStr> = c.split_last().map_or_else(Vec::new, |(_, r)| r.to_vec());
            let by = start.min(ring.len().saturating_sub(1));
            ring.rotate_left(by);
            if let Some(first) = ring.first().cloned() {
                ring.push(first);
            }
            ring.into_iter()
                .map(|n| SmolStr::new(n.trim_start_matches(':')))
                .collect()
        })
        .collect()
}

pub(crate) struct StateNode {
    pub name: SmolStr,
    pub span: Span,
    pub is_final: bool,
}

/// Unreachable states and non-final states with no way out.
pub(crate) fn workflow_warnings(states: &[StateNode], edges: &[(usize, usize)]) -> Vec<Diag> {
    let mut g: DiGraphMap<usize, ()> = DiGraphMap::new();
    for i in 0..states.len() {
        g.add_node(i);
    }
    for (a, b) in edges {
        g.add_edge(*a, *b, ());
    }
    let mut reachable = BTreeSet::new();
    if !states.is_empty() {
        let mut dfs = petgraph::visit::Dfs::new(&g, 0);
        while let Some(n) = dfs.next(&g) {
            reachable.insert(n);
        }
    }
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, s) in states.iter().enumerate() {
        if !seen.insert(&s.name) {
            continue;
        }
        if !reachable.contains(&i) {
            out.push(
                UnreachableState {
                    span: s.span,
                    name: s.name.to_string(),
                }
                .into(),
            );
        } else if !s.is_final && g.neighbors(i).next().is_none() {
            out.push(
                DeadEndState {
                    span: s.span,
                    name: s.name.to_string(),
                }
                .into(),
            );
        }
    }
    out
}
