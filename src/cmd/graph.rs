//! `vigil graph`: the rule graph and each workflow's state diagram, as Mermaid, DOT or SVG.

use std::path::PathBuf;
use std::process::ExitCode;

use vigil_compiler::db::{item_syntax, items, program};
use vigil_compiler::diagram::{self, Diagram};
use vigil_compiler::syntax::ast::ItemKind;

#[derive(clap::Args)]
pub struct Args {
    /// Rule set: .vigil files and directories (searched recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Draw only this workflow's state diagram.
    #[arg(long, value_name = "NAME", conflicts_with = "rules")]
    workflow: Option<String>,
    /// Draw only the rule graph (which rule reads, emits or starts what).
    #[arg(long)]
    rules: bool,
    /// `mermaid`: Markdown with one ```mermaid block per diagram, to paste into a pull
    /// request (one bare diagram with --workflow or --rules); `dot`: Graphviz, one digraph
    /// per diagram; `svg`: one picture, laid out by Vigil (with --workflow or --rules).
    #[arg(long, value_enum, default_value = "mermaid")]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Mermaid,
    Dot,
    Svg,
}

pub fn run(args: Args) -> ExitCode {
    let loaded = match vigil_compiler::load::load(&args.paths) {
        Ok(l) => l,
        Err(e) => return super::fail(e),
    };
    let (db, ruleset) = (&loaded.db, loaded.ruleset);
    // A rule set with errors is refused, as by `vigil run`: a diagram of it would mislead.
    if program(db, ruleset).is_none() {
        return match super::compile(&args.paths) {
            Err(code) => code,
            Ok(_) => super::fail("the rule set did not compile"),
        };
    }
    if args.format == Format::Svg && args.workflow.is_none() && !args.rules {
        return super::fail(
            "--format svg draws one picture: add --workflow NAME or --rules".to_string(),
        );
    }
    let trees: Vec<_> = items(db, ruleset)
        .iter()
        .filter_map(|id| item_syntax(db, *id).clone())
        .collect();
    let all: Vec<&vigil_compiler::syntax::ast::Item> = trees.iter().map(|t| &**t).collect();
    let workflows = all.iter().filter_map(|i| match &i.kind {
        ItemKind::Workflow(w) => Some(w),
        _ => None,
    });
    let mut diagrams: Vec<Diagram> = Vec::new();
    match &args.workflow {
        Some(name) => match workflows.clone().find(|w| w.name.name == name.as_str()) {
            Some(w) => diagrams.push(diagram::workflow(w)),
            None => {
                let names: Vec<String> = workflows.map(|w| w.name.name.to_string()).collect();
                return super::fail(format!(
                    "no workflow `{name}` in the rule set (it has: {})",
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ));
            }
        },
        None => {
            diagrams.push(diagram::rule_graph(&all));
            if !args.rules {
                diagrams.extend(workflows.map(diagram::workflow));
            }
        }
    }
    let single = diagrams.len() == 1;
    let mut out = String::new();
    for d in &diagrams {
        match args.format {
            Format::Dot => out.push_str(&diagram::dot(d)),
            Format::Svg => out.push_str(&diagram::svg(d)),
            Format::Mermaid if single => out.push_str(&diagram::mermaid(d)),
            Format::Mermaid => {
                out.push_str(&format!("## {}\n\n```mermaid\n", d.title));
                out.push_str(&diagram::mermaid(d));
                out.push_str("```\n\n");
            }
        }
    }
    print!("{out}");
    ExitCode::SUCCESS
}
