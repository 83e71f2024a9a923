//! Printing syntax trees in the canonical style, as lines that remember where in the source
//! they came from (so comments can be put back next to the code they were next to).

use crate::syntax::Span;
use crate::syntax::ast::*;

pub(crate) const WIDTH: usize = 100;

/// The display width of `s`: wide (CJK) characters count two columns.
pub(crate) fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let c = c as u32;
            let wide = matches!(c, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
            if wide { 2 } else { 1 }
        })
        .sum()
}
const INDENT: usize = 2;

/// One output line: indentation level, text, and the source offset (relative to the item) of
/// the code it starts with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub indent: usize,
    pub text: String,
    pub anchor: u32,
}

#[derive(Default)]
pub(crate) struct Printer {
    pub lines: Vec<Line>,
}

impl Printer {
    fn line(&mut self, indent: usize, anchor: u32, text: impl Into<String>) {
        self.lines.push(Line {
            indent,
            text: text.into(),
            anchor,
        });
    }

    /// The closing brace of a block whose span ends at `span.end`.
    fn close(&mut self, indent: usize, span: Span) {
        self.line(indent, span.end.saturating_sub(1), "}");
    }

    pub fn item(&mut self, item: &Item) {
        let at = item.span.start;
        match &item.kind {
            ItemKind::Timezone(tz) => self.line(0, at, format!("timezone {}", string(tz))),
            ItemKind::Unit(u) => self.unit(u, item.span),
            ItemKind::Calendar(c) => self.line(
                0,
                at,
                format!("calendar {} = file({})", c.name.name, string(&c.path)),
            ),
            ItemKind::Zone(z) => self.line(
                0,
                at,
                format!("zone {} = geojson({})", z.name.name, string(&z.path)),
            ),
            ItemKind::Enum(e) => {
                let variants: Vec<&str> = e.variants.iter().map(|v| v.name.as_str()).collect();
                let one = format!("enum {} {{ {} }}", e.name.name, variants.join(", "));
                if variants.is_empty() {
                    self.line(0, at, format!("enum {} {{}}", e.name.name));
                } else if width(&one) <= WIDTH {
                    self.line(0, at, one);
                } else {
                    self.line(0, at, format!("enum {} {{", e.name.name));
                    for v in &e.variants {
                        self.line(1, v.span.start, format!("{},", v.name));
                    }
                    self.close(0, item.span);
                }
            }
            ItemKind::Event(e) => {
                if e.fields.is_empty() {
                    self.line(0, at, format!("event {} {{}}", e.name.name));
                } else {
                    self.line(0, at, format!("event {} {{", e.name.name));
                    for f in &e.fields {
                        self.line(1, f.span.start, format!("{}: {},", f.name.name, f.ty));
                    }
                    self.close(0, item.span);
                }
            }
            ItemKind::List(l) => {
                let source = match &l.source {
                    ListSource::File(p) => format!("file({})", string(p)),
                    ListSource::Literal(e) => expr(e),
                };
                self.line(0, at, format!("list {} = {source}", l.name.name));
            }
            ItemKind::Map(m) => {
                let head = format!("map {}: {} -> {} =", m.name.name, m.key, m.value);
                match &m.source {
                    MapSource::File(p) => self.line(0, at, format!("{head} file({})", string(p))),
                    MapSource::Literal(entries, _) if entries.is_empty() => {
                        self.line(0, at, format!("{head} {{}}"))
                    }
                    MapSource::Literal(entries, _) => {
                        let texts: Vec<String> = entries
                            .iter()
                            .map(|(k, v)| format!("{}: {}", expr(k), expr(v)))
                            .collect();
                        let one = format!("{head} {{ {} }}", texts.join(", "));
                        if width(&one) <= WIDTH {
                            self.line(0, at, one);
                        } else {
                            self.line(0, at, format!("{head} {{"));
                            for ((k, _), text) in entries.iter().zip(texts) {
                                self.line(1, k.span.start, format!("{text},"));
                            }
                            self.close(0, item.span);
                        }
                    }
                }
            }
            ItemKind::Const(c) => {
                let ty =
                    c.ty.as_ref()
                        .map(|t| format!(": {}", t))
                        .unwrap_or_default();
                self.line(
                    0,
                    at,
                    format!("const {}{ty} = {}", c.name.name, expr(&c.value)),
                );
            }
            ItemKind::Fn(f) => {
                let params: Vec<String> = f
                    .params
                    .iter()
                    .map(|p| format!("{}: {}", p.name.name, p.ty))
                    .collect();
                let head = format!("fn {}({}) -> {} =", f.name.name, params.join(", "), f.ret);
                self.condition(0, at, &head, &f.body);
            }
            ItemKind::Rule(r) => self.rule(r, item.span),
            ItemKind::Workflow(w) => self.workflow(w, item.span),
            ItemKind::Test(t) => self.test(t, item.span),
        }
    }

    fn unit(&mut self, u: &Unit, span: Span) {
        let display = u
            .display
            .as_ref()
            .map(|d| format!(" {}", string(d)))
            .unwrap_or_default();
        match &u.sees {
            None => self.line(0, span.start, format!("unit {}{display}", u.name.name)),
            Some(sees) if sees.is_empty() => {
                self.line(0, span.start, format!("unit {}{display} {{}}", u.name.name))
            }
            Some(sees) => {
                self.line(0, span.start, format!("unit {}{display} {{", u.name.name));
                for s in sees {
                    let fields: Vec<&str> = s.fields.iter().map(|f| f.name.as_str()).collect();
                    self.line(
                        1,
                        s.span.start,
                        format!("sees {}.{{{}}}", s.event.name, fields.join(", ")),
                    );
                }
                self.close(0, span);
            }
        }
    }

    /// `head cond`, breaking a long condition at its top-level `and`/`or`, one operand per
    /// continuation line.
    fn condition(&mut self, indent: usize, anchor: u32, head: &str, cond: &Expr) {
        let one = format!("{head} {}", expr(cond));
        if width(&one) + indent * INDENT <= WIDTH {
            self.line(indent, anchor, one);
            return;
        }
        let (op, operands) = flatten(cond);
        let Some((first, rest)) = operands.split_first() else {
            self.line(indent, anchor, one);
            return;
        };
        self.line(indent, anchor, format!("{head} {}", expr(first)));
        for o in rest {
            self.line(
                indent + 2,
                o.span.start,
                format!("{} {}", op.as_str(), expr(o)),
            );
        }
    }

    fn rule(&mut self, r: &Rule, span: Span) {
        self.line(0, span.start, format!("rule {} {{", r.name.name));
        for c in &r.clauses {
            match c {
                RuleClause::Title(t) => self.line(1, t.span.start, format!("title {}", string(t))),
                RuleClause::Severity(s) => {
                    self.line(1, s.span.start, format!("severity {}", expr(s)))
                }
                RuleClause::Mode(m) => self.line(1, m.span.start, format!("mode {}", m.name)),
                RuleClause::Expires(e) => {
                    self.line(1, e.span.start, format!("expires {}", expr(e)))
                }
                RuleClause::Tags(tags, s) => {
                    let t: Vec<String> = tags.iter().map(string).collect();
                    self.line(1, s.start, format!("tags [{}]", t.join(", ")));
                }
                RuleClause::Suppress(s) => {
                    let by =
                        s.by.as_ref()
                            .map(|b| format!(" by {}", expr(b)))
                            .unwrap_or_default();
                    self.line(
                        1,
                        s.span.start,
                        format!("suppress{by} for {}", expr(&s.duration)),
                    );
                }
                RuleClause::When(p) => self.pattern(p),
                RuleClause::Action(a) => self.action(1, a),
            }
        }
        self.close(0, span);
    }

    fn pattern(&mut self, p: &Pattern) {
        match p {
            Pattern::Single(s) => {
                let anchor = s.span.start.saturating_sub(0);
                self.event_match(1, anchor, "when", &s.event);
                if let Some(g) = &s.group {
                    self.line(
                        2,
                        g.span.start,
                        format!(
                            "group by {} within {} having {}",
                            expr(&g.key),
                            expr(&g.within),
                            expr(&g.having)
                        ),
                    );
                }
            }
            Pattern::Sequence(s) => {
                self.line(
                    1,
                    s.span.start,
                    format!("when sequence by {} within {}", s.key.name, expr(&s.within)),
                );
                for (i, step) in s.steps.iter().enumerate() {
                    let mut head = String::new();
                    if i > 0 {
                        head.push_str("then ");
                    }
                    if step.absent {
                        head.push_str("not ");
                    }
                    self.event_match_with(2, step.span.start, head.trim_end(), &step.event);
                }
            }
        }
    }

    fn event_match(&mut self, indent: usize, anchor: u32, keyword: &str, m: &EventMatch) {
        self.event_match_with(indent, anchor, keyword, m);
    }

    fn event_match_with(&mut self, indent: usize, anchor: u32, keyword: &str, m: &EventMatch) {
        let (head, cond) = match_head(keyword, m);
        match cond {
            Some((c, tail)) => {
                // `where` comes last unless `by` follows it.
                if tail.is_empty() {
                    self.condition(indent, anchor, &head, c);
                } else {
                    self.line(indent, anchor, format!("{head} {}{tail}", expr(c)));
                }
            }
            None => self.line(indent, anchor, head),
        }
    }

    fn action(&mut self, indent: usize, a: &Action) {
        match a {
            Action::Alert(al) => self.line(indent, al.span.start, alert_text(al)),
            Action::Start(w, s) => self.line(indent, s.start, format!("start {}", w.name)),
            Action::Set(s) => self.line(indent, s.span.start, set_text(s)),
            Action::Emit(e) => {
                let fields: Vec<String> = e
                    .fields
                    .iter()
                    .map(|f| format!("{}: {}", f.name.name, expr(&f.value)))
                    .collect();
                let each = e
                    .each
                    .as_ref()
                    .map(|each| format!(" for {} in {}", each.name.name, expr(&each.set)))
                    .unwrap_or_default();
                let one = format!("emit {} {{ {} }}{each}", e.ty.name, fields.join(", "));
                if fields.is_empty() {
                    self.line(
                        indent,
                        e.span.start,
                        format!("emit {} {{}}{each}", e.ty.name),
                    );
                } else if width(&one) + indent * INDENT <= WIDTH {
                    self.line(indent, e.span.start, one);
                } else {
                    self.line(indent, e.span.start, format!("emit {} {{", e.ty.name));
                    for f in &e.fields {
                        self.line(
                            indent + 1,
                            f.name.span.start,
                            format!("{}: {},", f.name.name, expr(&f.value)),
                        );
                    }
                    self.line(indent, e.span.end.saturating_sub(1), format!("}}{each}"));
                }
            }
        }
    }

    /// Actions after a transition: on the transition's line when they fit, else one per line.
    fn with_actions(&mut self, indent: usize, anchor: u32, head: String, actions: &[Action]) {
        let texts: Vec<Option<String>> = actions
            .iter()
            .map(|a| match a {
                Action::Alert(al) => Some(alert_text(al)),
                Action::Start(w, _) => Some(format!("start {}", w.name)),
                Action::Set(s) => Some(set_text(s)),
                Action::Emit(_) => None,
            })
            .collect();
        if texts.iter().all(Option::is_some) {
            let joined: Vec<String> = texts.into_iter().flatten().collect();
            let one = if joined.is_empty() {
                head.clone()
            } else {
                format!("{head} {}", joined.join(" "))
            };
            if width(&one) + indent * INDENT <= WIDTH || actions.len() <= 1 {
                self.line(indent, anchor, one);
                return;
            }
        }
        self.line(indent, anchor, head);
        for a in actions {
            self.action(indent + 2, a);
        }
    }

    fn workflow(&mut self, w: &Workflow, span: Span) {
        self.line(0, span.start, format!("workflow {} {{", w.name.name));
        for c in &w.clauses {
            match c {
                WorkflowClause::Title(t) => {
                    self.line(1, t.span.start, format!("title {}", string(t)))
                }
                WorkflowClause::Start(m, s) => {
                    let (head, cond) = match_head("start on", m);
                    let text = match cond {
                        Some((c, tail)) => format!("{head} {}{tail}", expr(c)),
                        None => head,
                    };
                    self.line(1, s.start, text);
                }
                WorkflowClause::State(s) => self.state(s),
                WorkflowClause::After(a) => self.after(1, a),
                WorkflowClause::Var(v) => self.line(
                    1,
                    v.span.start,
                    format!("var {}: {} = {}", v.name.name, v.ty, expr(&v.init)),
                ),
            }
        }
        self.close(0, span);
    }

    /// `after D [where c] [-> s]` and its actions, in a state or at workflow level.
    fn after(&mut self, indent: usize, a: &AfterClause) {
        let delay = match &a.delay {
            Delay::Duration(e) => expr(e),
            Delay::Workdays(n, _) => format!("{n} workdays"),
        };
        let cond = a
            .cond
            .as_ref()
            .map(|c| format!(" where {}", expr(c)))
            .unwrap_or_default();
        let arrow = a
            .target
            .as_ref()
            .map(|t| format!(" -> {}", t.name))
            .unwrap_or_default();
        let head = format!("after {delay}{cond}{arrow}");
        self.with_actions(indent, a.span.start, head, &a.actions);
    }

    fn state(&mut self, s: &State) {
        let keyword = if s.is_final { "final" } else { "state" };
        if !s.has_body {
            self.line(1, s.span.start, format!("{keyword} {}", s.name.name));
            return;
        }
        if s.clauses.is_empty() {
            self.line(1, s.span.start, format!("{keyword} {} {{}}", s.name.name));
            return;
        }
        self.line(1, s.span.start, format!("{keyword} {} {{", s.name.name));
        for c in &s.clauses {
            match c {
                StateClause::OnEnter(actions, span) => {
                    self.with_actions(2, span.start, "on enter".into(), actions);
                }
                StateClause::On(t) => {
                    let (head, cond) = match_head("on", &t.event);
                    let head = match cond {
                        Some((c, tail)) => format!("{head} {}{tail}", expr(c)),
                        None => head,
                    };
                    self.with_actions(
                        2,
                        t.span.start,
                        format!("{head} -> {}", t.target.name),
                        &t.actions,
                    );
                }
                StateClause::After(a) => self.after(2, a),
                StateClause::Await(a) => {
                    let quorum = match a.quorum {
                        Quorum::All => "all".to_string(),
                        Quorum::Any(k, _) => format!("any {k}"),
                    };
                    let items: Vec<String> = a
                        .items
                        .iter()
                        .map(|m| {
                            let (head, cond) = match_head("", m);
                            match cond {
                                Some((c, tail)) => {
                                    format!("{} {}{tail}", head.trim_start(), expr(c))
                                }
                                None => head.trim_start().to_string(),
                            }
                        })
                        .collect();
                    let one = format!(
                        "await {quorum} of {} -> {}",
                        items.join(", "),
                        a.target.name
                    );
                    if width(&one) + 2 * INDENT <= WIDTH {
                        self.with_actions(2, a.span.start, one, &a.actions);
                    } else {
                        self.line(2, a.span.start, format!("await {quorum} of"));
                        let last = items.len().saturating_sub(1);
                        for (i, (text, m)) in items.iter().zip(&a.items).enumerate() {
                            let sep = if i == last { "" } else { "," };
                            self.line(4, m.span.start, format!("{text}{sep}"));
                        }
                        self.with_actions(
                            3,
                            a.target.span.start,
                            format!("-> {}", a.target.name),
                            &a.actions,
                        );
                    }
                }
            }
        }
        self.close(1, s.span);
    }

    fn test(&mut self, t: &Test, span: Span) {
        let lateness = t
            .lateness
            .as_ref()
            .map(|l| format!(" lateness {}", expr(l)))
            .unwrap_or_default();
        self.line(
            0,
            span.start,
            format!("test {}{lateness} {{", string(&t.name)),
        );
        for c in &t.clauses {
            match c {
                TestClause::Events(steps, s) => {
                    if steps.is_empty() {
                        self.line(1, s.start, "events {}");
                        continue;
                    }
                    self.line(1, s.start, "events {");
                    for step in steps {
                        match step {
                            TestStep::AdvanceBy(e, s) => {
                                self.line(2, s.start, format!("advance {}", expr(e)))
                            }
                            TestStep::AdvanceTo(e, s) => {
                                self.line(2, s.start, format!("advance to {}", expr(e)))
                            }
                            TestStep::Event(ev) => {
                                let fields: Vec<String> = ev
                                    .fields
                                    .iter()
                                    .map(|f| format!("{}: {}", f.name.name, expr(&f.value)))
                                    .collect();
                                let one = format!("{} {{ {} }}", ev.ty.name, fields.join(", "));
                                if fields.is_empty() {
                                    self.line(2, ev.span.start, format!("{} {{}}", ev.ty.name));
                                } else if width(&one) + 2 * INDENT <= WIDTH {
                                    self.line(2, ev.span.start, one);
                                } else {
                                    self.line(2, ev.span.start, format!("{} {{", ev.ty.name));
                                    for f in &ev.fields {
                                        self.line(
                                            3,
                                            f.name.span.start,
                                            format!("{}: {},", f.name.name, expr(&f.value)),
                                        );
                                    }
                                    self.close(2, ev.span);
                                }
                            }
                        }
                    }
                    self.close(1, *s);
                }
                TestClause::Expect(e) => {
                    let (head, options) = expect_parts(e);
                    let one = options
                        .iter()
                        .fold(head.clone(), |acc, (_, o)| format!("{acc} {o}"));
                    if width(&one) + INDENT <= WIDTH {
                        self.line(1, e.span.start, one);
                    } else {
                        self.line(1, e.span.start, head);
                        for (anchor, o) in options {
                            self.line(3, anchor, o);
                        }
                    }
                }
            }
        }
        self.close(0, span);
    }
}

pub(crate) fn alert_text(a: &AlertAction) -> String {
    let to: Vec<String> = a.to.iter().map(expr).collect();
    let mut out = format!("alert {}", to.join(", "));
    let severity = a
        .severity
        .as_ref()
        .map(|s| format!(" severity {}", expr(s)));
    let message = a
        .message
        .as_ref()
        .map(|m| format!(" message {}", string(m)));
    let (first, second) = if a.message_first {
        (message, severity)
    } else {
        (severity, message)
    };
    out.push_str(&first.unwrap_or_default());
    out.push_str(&second.unwrap_or_default());
    out
}

/// An expectation's head (`expect alert r`) and its options, each with its source offset.
fn expect_parts(e: &Expect) -> (String, Vec<(u32, String)>) {
    let no = if e.negated { "no " } else { "" };
    let head = match &e.kind {
        ExpectKind::Alert(n) => format!("expect {no}alert {}", n.name),
        ExpectKind::Reject(n) => format!("expect {no}reject {}", n.name),
        ExpectKind::Transition { workflow, key, to } => {
            format!(
                "expect {no}transition {} {} to {}",
                workflow.name,
                expr(key),
                to.name
            )
        }
    };
    let options = e
        .options
        .iter()
        .map(|o| match o {
            ExpectOption::Key(v) => (v.span.start, format!("key {}", expr(v))),
            ExpectOption::Count(v) => (v.span.start, format!("count {}", expr(v))),
            ExpectOption::At(v) => (v.span.start, format!("at {}", expr(v))),
            ExpectOption::Message(s) => (s.span.start, format!("message {}", string(s))),
            ExpectOption::KeyNull(span) => (span.start, "key null".to_string()),
            ExpectOption::To(u) => (u.span.start, format!("to {}", u.name)),
        })
        .collect();
    (head, options)
}

/// `keyword [x:] Type [by ..]`, and the `where` condition with whatever follows it.
fn match_head<'a>(keyword: &str, m: &'a EventMatch) -> (String, Option<(&'a Expr, String)>) {
    let mut head = keyword.to_string();
    if !head.is_empty() {
        head.push(' ');
    }
    if let Some(b) = &m.binding {
        head.push_str(&format!("{}: ", b.name));
    }
    head.push_str(&m.ty.name);
    let by = m.by.as_ref().map(|b| format!(" by {}", expr(b)));
    match &m.cond {
        Some(c) if m.by_first => {
            head.push_str(&by.unwrap_or_default());
            head.push_str(" where");
            (head, Some((c, String::new())))
        }
        Some(c) => {
            head.push_str(" where");
            (head, Some((c, by.unwrap_or_default())))
        }
        None => {
            head.push_str(&by.unwrap_or_default());
            (head, None)
        }
    }
}

fn flatten(e: &Expr) -> (BinaryOp, Vec<&Expr>) {
    let ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), _, _) = &e.kind else {
        return (BinaryOp::And, vec![e]);
    };
    fn walk<'a>(e: &'a Expr, op: BinaryOp, out: &mut Vec<&'a Expr>) {
        match &e.kind {
            ExprKind::Binary(o, l, r) if *o == op => {
                walk(l, op, out);
                walk(r, op, out);
            }
            _ => out.push(e),
        }
    }
    let mut out = Vec::new();
    walk(e, *op, &mut out);
    (*op, out)
}

pub(crate) fn string(s: &StrLit) -> String {
    format!("\"{}\"", s.raw)
}

/// An expression on one line.
pub(crate) fn expr(e: &Expr) -> String {
    let mut out = String::new();
    write_expr(e, &mut out);
    out
}

fn write_expr(e: &Expr, out: &mut String) {
    match &e.kind {
        ExprKind::Int(t) | ExprKind::Float(t) | ExprKind::Duration(t) | ExprKind::Time(t) => {
            out.push_str(t)
        }
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::Str(s) => out.push_str(&string(s)),
        ExprKind::Name(n) => out.push_str(&n.name),
        ExprKind::Set(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(item, out);
            }
            out.push(']');
        }
        ExprKind::Field(b, f) => {
            write_expr(b, out);
            out.push('.');
            out.push_str(&f.name);
        }
        ExprKind::Index(m, k) => {
            write_expr(m, out);
            out.push('[');
            write_expr(k, out);
            out.push(']');
        }
        ExprKind::Call(f, args) => {
            out.push_str(&f.name);
            out.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(a, out);
            }
            out.push(')');
        }
        ExprKind::Unary(UnaryOp::Not, a) => {
            out.push_str("not ");
            write_expr(a, out);
        }
        ExprKind::Unary(UnaryOp::Neg, a) => {
            out.push('-');
            write_expr(a, out);
        }
        ExprKind::Paren(a) => {
            out.push('(');
            write_expr(a, out);
            out.push(')');
        }
        ExprKind::If(c, a, b) => {
            out.push_str("if ");
            write_expr(c, out);
            out.push_str(" then ");
            write_expr(a, out);
            out.push_str(" else ");
            write_expr(b, out);
        }
        ExprKind::Binary(op, l, r) => {
            write_expr(l, out);
            out.push(' ');
            out.push_str(op.as_str());
            out.push(' ');
            write_expr(r, out);
        }
    }
}

fn set_text(s: &SetAction) -> String {
    format!("set {} = {}", s.name.name, expr(&s.value))
}
