//! The coverage report of `vigil test --coverage`.

use vigil_ir::{Program, Transition};
use vigil_runtime::coverage::{Both, Coverage, Owner};

/// Prints, per rule and workflow, each transition and clause and whether the tests saw it
/// both ways, then totals.
pub fn print(program: &Program, c: &Coverage, color: bool) {
    let mark = |seen: bool| match (seen, color) {
        (true, true) => "\x1b[32m✓\x1b[0m",
        (false, true) => "\x1b[31m✗\x1b[0m",
        (true, false) => "✓",
        (false, false) => "✗",
    };
    let mut source = super::source::Sources::default();
    let mut totals = [(0usize, 0usize); 3];
    println!("\ncoverage (✓ seen, ✗ not seen)");
    for (r, rule) in program.rules.iter_enumerated() {
        let b = c.rules.get(&r).copied().unwrap_or_default();
        totals[0].1 += 1;
        totals[0].0 += usize::from(b.complete());
        println!(
            "  rule {} ({}:{})  fired {}  quiet {}",
            rule.name,
            rule.origin.file,
            rule.origin.line,
            mark(b.yes),
            mark(b.no)
        );
        clauses(
            c,
            Owner::Rule(r),
            &rule.exprs,
            &rule.origin,
            &mut source,
            &mut totals[2],
            &mark,
        );
    }
    for (w, wf) in program.workflows.iter_enumerated() {
        println!(
            "  workflow {} ({}:{})",
            wf.name, wf.origin.file, wf.origin.line
        );
        let name = |i: vigil_ir::StateId| wf.states.get(i).map_or("?", |s| s.name.as_str());
        for (i, timer) in wf.timers.iter().enumerate() {
            let what = match timer.target {
                Some(t) => format!("any state -> {} {}", name(t), timer.label),
                None => format!("{} (escalation)", timer.label),
            };
            let b = c.workflow_timers.get(&(w, i)).copied().unwrap_or_default();
            report_transition(&what, b, &mut totals[1], &mark);
        }
        for (s, state) in wf.states.iter_enumerated() {
            for (t, tr) in state.transitions.iter().enumerate() {
                let what = match tr {
                    Transition::On {
                        trigger, target, ..
                    } => {
                        let ty = program
                            .event(trigger.event)
                            .map_or("?", |e| e.name.as_str());
                        format!("{} -> {} on {ty}", state.name, name(*target))
                    }
                    Transition::Await { target, .. } => {
                        format!("{} -> {} by await", state.name, name(*target))
                    }
                };
                let b = c.transitions.get(&(w, s, t)).copied().unwrap_or_default();
                report_transition(&what, b, &mut totals[1], &mark);
            }
            for (i, timer) in state.timers.iter().enumerate() {
                let what = match timer.target {
                    Some(t) => format!("{} -> {} {}", state.name, name(t), timer.label),
                    None => format!("{} {} (escalation)", state.name, timer.label),
                };
                let b = c
                    .transitions
                    .get(&(w, s, state.transitions.len() + i))
                    .copied()
                    .unwrap_or_default();
                report_transition(&what, b, &mut totals[1], &mark);
            }
        }
        clauses(
            c,
            Owner::Workflow(w),
            &wf.exprs,
            &wf.origin,
            &mut source,
            &mut totals[2],
            &mark,
        );
    }
    println!(
        "  seen both ways: {} of {} rules, {} of {} transitions, {} of {} clauses",
        totals[0].0, totals[0].1, totals[1].0, totals[1].1, totals[2].0, totals[2].1
    );
}

fn report_transition(
    what: &str,
    b: Both,
    total: &mut (usize, usize),
    mark: &dyn Fn(bool) -> &'static str,
) {
    total.1 += 1;
    total.0 += usize::from(b.complete());
    println!(
        "    {what:<58} taken {}  not taken {}",
        mark(b.yes),
        mark(b.no)
    );
}

fn clauses(
    c: &Coverage,
    owner: Owner,
    arena: &vigil_ir::ExprArena,
    origin: &vigil_ir::Origin,
    source: &mut super::source::Sources,
    total: &mut (usize, usize),
    mark: &dyn Fn(bool) -> &'static str,
) {
    for (o, id) in c.all_clauses.iter().filter(|(o, _)| *o == owner) {
        let b = c.clauses.get(&(*o, *id)).copied().unwrap_or_default();
        total.1 += 1;
        total.0 += usize::from(b.complete());
        let (line, text) = source.snippet(origin, arena, *id);
        println!(
            "    {line:>4}: {text:<52} true {}  false {}",
            mark(b.yes),
            mark(b.no)
        );
    }
}
