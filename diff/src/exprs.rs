//! Comparing conditions as written: conjuncts, their alignment, and the smallest part of a
//! changed clause that differs (the threshold in `c.duration >= 30m → c.duration >= 20m`).

use std::collections::BTreeSet;

use smol_str::SmolStr;

use vigil_compiler::fmt::expr_text;
use vigil_compiler::syntax::ast::{self, BinaryOp, Expr, ExprKind};

/// The operands of a condition's top-level `and` chain (parentheses around an `and` are looked
/// through, since they change nothing).
pub(crate) fn conjuncts(e: &Expr) -> Vec<&Expr> {
    fn walk<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
        match &e.kind {
            ExprKind::Binary(BinaryOp::And, l, r) => {
                walk(l, out);
                walk(r, out);
            }
            ExprKind::Paren(inner) if matches!(inner.kind, ExprKind::Binary(BinaryOp::And, ..)) => {
                walk(inner, out)
            }
            _ => out.push(e),
        }
    }
    let mut out = Vec::new();
    walk(e, &mut out);
    out
}

/// How two lists line up: their elements, one from each list or one from either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step<'a, T> {
    Same(&'a T, &'a T),
    Changed(&'a T, &'a T),
    Removed(&'a T),
    Added(&'a T),
}

/// Aligns `old` with `new` by a longest common subsequence; between two common elements,
/// removed and added elements are paired in order as changes.
pub(crate) fn align<'a, T: PartialEq>(old: &'a [T], new: &'a [T]) -> Vec<Step<'a, T>> {
    align_by(old, new, |a, b| a == b)
}

/// [`align`], with `same` telling which elements are alike.
// PANIC SAFETY: `lcs` has `n + 1` rows of `m + 1` entries each, and it is only read at
// `[i][j]`, `[i + 1][j]`, `[i][j + 1]` and `[i + 1][j + 1]` with `i < n` and `j < m`.
#[allow(clippy::indexing_slicing)]
pub(crate) fn align_by<'a, T>(
    old: &'a [T],
    new: &'a [T],
    same: impl Fn(&T, &T) -> bool,
) -> Vec<Step<'a, T>> {
    let (n, m) = (old.len(), new.len());
    // lcs[i][j]: the longest common subsequence of old[i..] and new[j..].
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for (i, a) in old.iter().enumerate().rev() {
        for (j, b) in new.iter().enumerate().rev() {
            lcs[i][j] = if same(a, b) {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    let mut gap_old = Vec::new();
    let mut gap_new = Vec::new();
    let flush = |out: &mut Vec<Step<'a, T>>, go: &mut Vec<&'a T>, gn: &mut Vec<&'a T>| {
        let k = go.len().min(gn.len());
        for (a, b) in go.iter().zip(gn.iter()).take(k) {
            out.push(Step::Changed(*a, *b));
        }
        for a in go.iter().skip(k) {
            out.push(Step::Removed(*a));
        }
        for b in gn.iter().skip(k) {
            out.push(Step::Added(*b));
        }
        go.clear();
        gn.clear();
    };
    loop {
        match (old.get(i), new.get(j)) {
            (None, None) => break,
            (Some(a), Some(b)) if same(a, b) => {
                flush(&mut out, &mut gap_old, &mut gap_new);
                out.push(Step::Same(a, b));
                i += 1;
                j += 1;
            }
            (Some(a), None) => {
                gap_old.push(a);
                i += 1;
            }
            (Some(a), Some(_)) if lcs[i + 1][j] >= lcs[i][j + 1] => {
                gap_old.push(a);
                i += 1;
            }
            (_, Some(b)) => {
                gap_new.push(b);
                j += 1;
            }
        }
    }
    flush(&mut out, &mut gap_old, &mut gap_new);
    out
}

/// The smallest difference inside two changed clauses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Focus {
    /// One sub-expression differs: its old and new text, and what kind of thing it is.
    Part {
        what: &'static str,
        old: String,
        new: String,
    },
    /// Only the operator differs.
    Operator { old: String, new: String },
    /// The clauses differ in more than one place.
    Whole,
}

fn is_literal(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Duration(_)
            | ExprKind::Time(_)
            | ExprKind::Bool(_)
            | ExprKind::Str(_)
            | ExprKind::Set(_)
    ) || matches!(&e.kind, ExprKind::Unary(ast::UnaryOp::Neg, inner) if is_literal(inner))
}

fn strip(e: &Expr) -> &Expr {
    match &e.kind {
        ExprKind::Paren(inner) => strip(inner),
        _ => e,
    }
}

/// Where two changed clauses differ, if in one place.
pub(crate) fn focus(old: &Expr, new: &Expr) -> Focus {
    match focus_in(old, new, None) {
        Focus::Part { old: o, .. } if o == expr_text(strip(old)) => Focus::Whole,
        f => f,
    }
}

fn focus_in(old: &Expr, new: &Expr, parent: Option<BinaryOp>) -> Focus {
    let (a, b) = (strip(old), strip(new));
    let part = |what: &'static str| Focus::Part {
        what,
        old: expr_text(a),
        new: expr_text(b),
    };
    let leaf = || {
        let simple = |e: &Expr| is_literal(e) || matches!(e.kind, ExprKind::Name(_));
        let ordering = matches!(
            parent,
            Some(BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge)
        );
        if ordering && simple(a) && simple(b) {
            part("threshold")
        } else if is_literal(a) && is_literal(b) {
            if matches!(a.kind, ExprKind::Set(_)) {
                part("set")
            } else {
                part("value")
            }
        } else if matches!(a.kind, ExprKind::Name(_)) && matches!(b.kind, ExprKind::Name(_)) {
            part("name")
        } else {
            part("expression")
        }
    };
    match (&a.kind, &b.kind) {
        (ExprKind::Binary(o1, l1, r1), ExprKind::Binary(o2, l2, r2)) => {
            let same_l = expr_text(l1) == expr_text(l2);
            let same_r = expr_text(r1) == expr_text(r2);
            if o1 != o2 {
                if same_l && same_r {
                    return Focus::Operator {
                        old: o1.as_str().into(),
                        new: o2.as_str().into(),
                    };
                }
                return leaf();
            }
            match (same_l, same_r) {
                (true, false) => focus_in(r1, r2, Some(*o1)),
                (false, true) => focus_in(l1, l2, Some(*o1)),
                _ => leaf(),
            }
        }
        (ExprKind::Unary(o1, x), ExprKind::Unary(o2, y)) if o1 == o2 => focus_in(x, y, parent),
        (ExprKind::Field(x, f1), ExprKind::Field(y, f2)) => {
            if f1.name == f2.name {
                focus_in(x, y, parent)
            } else if expr_text(x) == expr_text(y) {
                Focus::Part {
                    what: "field",
                    old: f1.name.to_string(),
                    new: f2.name.to_string(),
                }
            } else {
                leaf()
            }
        }
        (ExprKind::Call(f1, xs), ExprKind::Call(f2, ys)) if f1.name == f2.name => {
            if xs.len() != ys.len() {
                return leaf();
            }
            let differing: Vec<(&Expr, &Expr)> = xs
                .iter()
                .zip(ys)
                .filter(|(x, y)| expr_text(x) != expr_text(y))
                .collect();
            match differing.as_slice() {
                [(x, y)] => focus_in(x, y, parent),
                _ => leaf(),
            }
        }
        _ => leaf(),
    }
}

/// Every name an expression refers to: constants, lists, zones, enum values, functions.
pub(crate) fn names(e: &Expr, out: &mut BTreeSet<SmolStr>) {
    vigil_compiler::ide::walk_expr(e, &mut |x| match &x.kind {
        ExprKind::Name(n) | ExprKind::Call(n, _) => {
            out.insert(n.name.clone());
        }
        _ => {}
    });
}

/// The names in a message template's `{...}` parts (approximately: every identifier-like word
/// inside braces), so a rule whose message uses a changed constant is seen as affected.
pub(crate) fn template_names(raw: &str, out: &mut BTreeSet<SmolStr>) {
    let mut depth = 0usize;
    let mut word = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') && depth == 0 => {
                chars.next();
            }
            '{' => depth += 1,
            '}' if depth > 0 => {
                depth -= 1;
                if !word.is_empty() {
                    out.insert(SmolStr::new(std::mem::take(&mut word)));
                }
            }
            c if depth > 0 && (c.is_alphanumeric() || c == '_') => word.push(c),
            _ if depth > 0 && !word.is_empty() => {
                out.insert(SmolStr::new(std::mem::take(&mut word)));
            }
            _ => {}
        }
    }
}
