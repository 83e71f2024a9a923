//! Every conversion between the compiler's values and LSP types lives here (and nowhere
//! else), so a move to another version of the types crate touches one file. Messages are
//! never rebuilt: a diagnostic's text is the compiler's `Display`, as `vigil check` prints it.

use tower_lsp_server::ls_types as lsp;
use vigil_compiler::db::{Db, SourceFile};
use vigil_compiler::diagnostics::{Level, Located};
use vigil_compiler::ide::completion::{Completion, CompletionKind};
use vigil_compiler::ide::highlight::{InlayHint, Token, TokenKind};
use vigil_compiler::ide::symbols::{FoldKind, Symbol, SymbolKind};
use vigil_compiler::ide::{self, FileSpan};
use vigil_compiler::syntax::Span;

use crate::state::Snapshot;

/// The LSP range of `span` in `file`.
pub(crate) fn range(db: &dyn Db, file: SourceFile, span: Span) -> lsp::Range {
    let (l1, c1) = ide::position(db, file, span.start);
    let (l2, c2) = ide::position(db, file, span.end);
    lsp::Range::new(lsp::Position::new(l1, c1), lsp::Position::new(l2, c2))
}

/// The byte offset of an LSP position in `file` (clamped to the text).
pub(crate) fn offset(db: &dyn Db, file: SourceFile, pos: lsp::Position) -> u32 {
    ide::offset(db, file, pos.line, pos.character)
}

/// A location in any file of the workspace.
pub(crate) fn location(snap: &Snapshot, at: FileSpan) -> Option<lsp::Location> {
    Some(lsp::Location {
        uri: snap.uri_of(at.file)?,
        range: range(&snap.db, at.file, at.span),
    })
}

/// A compiler diagnostic as the editor shows it: same code, same message (with the help
/// line), related information where the compiler knows another place.
pub(crate) fn diagnostic(
    snap: &Snapshot,
    file: SourceFile,
    located: &Located,
    related: Vec<(FileSpan, String)>,
) -> lsp::Diagnostic {
    let diag = &located.diag;
    let mut message = diag.to_string();
    if let Some(help) = miette::Diagnostic::help(diag) {
        message.push_str("\nhelp: ");
        message.push_str(&help.to_string());
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = related
        .into_iter()
        .filter_map(|(at, message)| {
            Some(lsp::DiagnosticRelatedInformation {
                location: location(snap, at)?,
                message,
            })
        })
        .collect();
    lsp::Diagnostic {
        range: range(&snap.db, file, diag.span()),
        severity: Some(match located.level() {
            Level::Error => lsp::DiagnosticSeverity::ERROR,
            Level::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(diag.code_str())),
        source: Some("vigil".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

pub(crate) fn markdown(text: String, range: Option<lsp::Range>) -> lsp::Hover {
    lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: text,
        }),
        range,
    }
}

pub(crate) fn completion(c: Completion) -> lsp::CompletionItem {
    use lsp::CompletionItemKind as K;
    let kind = match c.kind {
        CompletionKind::Keyword | CompletionKind::Severity => K::KEYWORD,
        CompletionKind::Event => K::STRUCT,
        CompletionKind::Field => K::FIELD,
        CompletionKind::Enum => K::ENUM,
        CompletionKind::Variant => K::ENUM_MEMBER,
        CompletionKind::Unit => K::MODULE,
        CompletionKind::State => K::VALUE,
        CompletionKind::List | CompletionKind::Zone => K::VARIABLE,
        CompletionKind::Map => K::STRUCT,
        CompletionKind::Const => K::CONSTANT,
        CompletionKind::Fn | CompletionKind::Builtin => K::FUNCTION,
        CompletionKind::Binding => K::VARIABLE,
        CompletionKind::Workflow | CompletionKind::Rule => K::CLASS,
        CompletionKind::Type => K::TYPE_PARAMETER,
    };
    lsp::CompletionItem {
        label: c.label,
        kind: Some(kind),
        detail: c.detail,
        ..Default::default()
    }
}

fn symbol_kind(k: SymbolKind) -> lsp::SymbolKind {
    use lsp::SymbolKind as S;
    match k {
        SymbolKind::Timezone => S::PROPERTY,
        SymbolKind::Unit => S::MODULE,
        SymbolKind::Calendar | SymbolKind::List | SymbolKind::Zone => S::VARIABLE,
        SymbolKind::Map => S::OBJECT,
        SymbolKind::Enum => S::ENUM,
        SymbolKind::Variant => S::ENUM_MEMBER,
        SymbolKind::Event => S::STRUCT,
        SymbolKind::Field => S::FIELD,
        SymbolKind::Const => S::CONSTANT,
        SymbolKind::Fn => S::FUNCTION,
        SymbolKind::Rule => S::CLASS,
        SymbolKind::Workflow => S::CLASS,
        SymbolKind::State => S::ENUM_MEMBER,
        SymbolKind::Variable => S::VARIABLE,
        SymbolKind::Test => S::METHOD,
    }
}

#[allow(deprecated)] // `deprecated` must still be filled in.
pub(crate) fn document_symbol(db: &dyn Db, s: Symbol) -> lsp::DocumentSymbol {
    let children: Vec<lsp::DocumentSymbol> = s
        .children
        .into_iter()
        .map(|c| document_symbol(db, c))
        .collect();
    lsp::DocumentSymbol {
        name: s.name,
        detail: s.detail,
        kind: symbol_kind(s.kind),
        tags: None,
        deprecated: None,
        range: range(db, s.file, s.full),
        selection_range: range(db, s.file, s.name_span),
        children: (!children.is_empty()).then_some(children),
    }
}

#[allow(deprecated)] // `deprecated` must still be filled in.
pub(crate) fn symbol_information(snap: &Snapshot, s: Symbol) -> Option<lsp::SymbolInformation> {
    Some(lsp::SymbolInformation {
        location: location(
            snap,
            FileSpan {
                file: s.file,
                span: s.name_span,
            },
        )?,
        name: s.name,
        kind: symbol_kind(s.kind),
        tags: None,
        deprecated: None,
        container_name: None,
    })
}

/// The legend the semantic tokens refer to, in `TokenKind::ALL` order.
pub(crate) fn token_legend() -> lsp::SemanticTokensLegend {
    let types = TokenKind::ALL
        .iter()
        .map(|k| match k {
            TokenKind::Type => lsp::SemanticTokenType::TYPE,
            TokenKind::Enum => lsp::SemanticTokenType::ENUM,
            TokenKind::EnumMember => lsp::SemanticTokenType::ENUM_MEMBER,
            TokenKind::Property => lsp::SemanticTokenType::PROPERTY,
            TokenKind::Namespace => lsp::SemanticTokenType::NAMESPACE,
            TokenKind::Function => lsp::SemanticTokenType::FUNCTION,
            TokenKind::Variable => lsp::SemanticTokenType::VARIABLE,
            TokenKind::Parameter => lsp::SemanticTokenType::PARAMETER,
            TokenKind::Label => lsp::SemanticTokenType::new("label"),
        })
        .collect();
    lsp::SemanticTokensLegend {
        token_types: types,
        token_modifiers: vec![
            lsp::SemanticTokenModifier::DECLARATION,
            lsp::SemanticTokenModifier::READONLY,
        ],
    }
}

/// Tokens as the protocol's relative encoding (they are sorted and single-line).
pub(crate) fn semantic_tokens(
    db: &dyn Db,
    file: SourceFile,
    tokens: &[Token],
) -> Vec<lsp::SemanticToken> {
    let mut out = Vec::with_capacity(tokens.len());
    let (mut prev_line, mut prev_col) = (0u32, 0u32);
    for t in tokens {
        let (line, col) = ide::position(db, file, t.span.start);
        let (end_line, end_col) = ide::position(db, file, t.span.end);
        if end_line != line || end_col <= col {
            continue;
        }
        let kind = TokenKind::ALL
            .iter()
            .position(|k| *k == t.kind)
            .unwrap_or(0);
        let delta_line = line - prev_line;
        let delta_start = if delta_line == 0 { col - prev_col } else { col };
        out.push(lsp::SemanticToken {
            delta_line,
            delta_start,
            length: end_col - col,
            token_type: u32::try_from(kind).unwrap_or(0),
            token_modifiers_bitset: u32::from(t.declaration) | (u32::from(t.readonly) << 1),
        });
        (prev_line, prev_col) = (line, col);
    }
    out
}

pub(crate) fn inlay_hint(db: &dyn Db, file: SourceFile, h: InlayHint) -> lsp::InlayHint {
    let (line, col) = ide::position(db, file, h.offset);
    lsp::InlayHint {
        position: lsp::Position::new(line, col),
        label: lsp::InlayHintLabel::String(h.label),
        kind: Some(lsp::InlayHintKind::TYPE),
        text_edits: None,
        tooltip: None,
        padding_left: None,
        padding_right: None,
        data: None,
    }
}

pub(crate) fn folding_range(
    db: &dyn Db,
    file: SourceFile,
    span: Span,
    kind: FoldKind,
) -> lsp::FoldingRange {
    let r = range(db, file, span);
    lsp::FoldingRange {
        start_line: r.start.line,
        end_line: r.end.line,
        kind: Some(match kind {
            FoldKind::Region => lsp::FoldingRangeKind::Region,
            FoldKind::Comment => lsp::FoldingRangeKind::Comment,
        }),
        ..Default::default()
    }
}

/// Edits grouped by document.
pub(crate) fn workspace_edit(
    snap: &Snapshot,
    edits: Vec<(FileSpan, String)>,
) -> lsp::WorkspaceEdit {
    let mut changes: std::collections::HashMap<lsp::Uri, Vec<lsp::TextEdit>> = Default::default();
    for (at, new_text) in edits {
        if let Some(loc) = location(snap, at) {
            changes.entry(loc.uri).or_default().push(lsp::TextEdit {
                range: loc.range,
                new_text,
            });
        }
    }
    lsp::WorkspaceEdit::new(changes)
}
