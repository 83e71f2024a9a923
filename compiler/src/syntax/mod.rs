//! Source text to syntax trees: the item splitter, the pest grammar and the tree it builds.
//!
//! A file is first cut into items by `split` (it knows strings, comments and brackets), then
//! each item is parsed on its own. Parsing never fails: a file always gives a `ParsedFile`,
//! with syntax diagnostics beside the items that parsed.

pub mod ast;
mod nesting;
mod parser;
mod split;

use std::sync::Arc;

pub use nesting::{MAX_DEPTH, MAX_NESTING};
pub use parser::{parse_expr, parse_file};
pub use split::{Comment, CommentKind};

use crate::diagnostics::Diag;

pub use vigil_ir::Span;

/// What kind of item a chunk of source is, known from its first keyword even when the rest of
/// the item does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemTag {
    Timezone,
    Unit,
    Calendar,
    Enum,
    Event,
    List,
    Map,
    Zone,
    Const,
    Fn,
    Rule,
    Workflow,
    Test,
}

impl ItemTag {
    pub const ALL: [ItemTag; 13] = [
        ItemTag::Timezone,
        ItemTag::Unit,
        ItemTag::Calendar,
        ItemTag::Enum,
        ItemTag::Event,
        ItemTag::List,
        ItemTag::Map,
        ItemTag::Zone,
        ItemTag::Const,
        ItemTag::Fn,
        ItemTag::Rule,
        ItemTag::Workflow,
        ItemTag::Test,
    ];

    pub fn keyword(self) -> &'static str {
        match self {
            ItemTag::Timezone => "timezone",
            ItemTag::Unit => "unit",
            ItemTag::Calendar => "calendar",
            ItemTag::Enum => "enum",
            ItemTag::Event => "event",
            ItemTag::List => "list",
            ItemTag::Map => "map",
            ItemTag::Zone => "zone",
            ItemTag::Const => "const",
            ItemTag::Fn => "fn",
            ItemTag::Rule => "rule",
            ItemTag::Workflow => "workflow",
            ItemTag::Test => "test",
        }
    }

    pub fn from_keyword(word: &str) -> Option<ItemTag> {
        ItemTag::ALL.into_iter().find(|t| t.keyword() == word)
    }

    /// Whether items of this kind share the rule set's one namespace (SPEC §1).
    pub fn is_named(self) -> bool {
        !matches!(self, ItemTag::Timezone | ItemTag::Test)
    }
}

/// One item of a file: where it is, what it is, and its tree if it parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedItem {
    pub tag: ItemTag,
    /// The name, read from the source even when the item does not parse (so references to a
    /// broken item do not cascade into "unknown name" errors). Tests use their title.
    pub name: Option<ast::Ident>,
    /// Byte offset of the item's first keyword in the file.
    pub offset: u32,
    /// Span of the item in the file, trailing comments and blanks excluded.
    pub span: Span,
    /// The `///` lines above the item, without the slashes.
    pub docs: Option<String>,
    pub tree: Option<Arc<ast::Item>>,
    /// Syntax errors, with spans relative to `offset`.
    pub errors: Vec<Diag>,
}

/// A whole file, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedFile {
    pub items: Vec<ParsedItem>,
    pub comments: Vec<Comment>,
    /// Syntax errors outside any item (text before the first item), spans absolute.
    pub errors: Vec<Diag>,
}
