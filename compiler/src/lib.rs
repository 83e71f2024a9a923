//! Vigil's language front end: source text to a checked, typed IR.
//!
//! The pipeline is a set of salsa queries (`db`): `parse_file` → item index → per-item
//! checking → lowering to `ir::Program`. The CLI and the language server run the same queries.
//! The compiler does no I/O: list, zone and calendar contents arrive through `db::Db::resource`.

// pest runs without its `std` feature (whose stack guard costs an eighth of parsing; the
// bound on nesting is `syntax::nesting`), and the parser it derives then names `alloc`.
extern crate alloc;

pub mod check;
pub mod db;
pub mod diagnostics;
pub mod diagram;
pub mod fmt;
pub mod ide;
pub mod line_index;
pub mod load;
mod lower;
pub mod syntax;
