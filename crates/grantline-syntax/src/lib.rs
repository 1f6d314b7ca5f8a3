//! The Grantline policy language: grammar (`grammar/grantline.pest`), parser,
//! syntax tree with source spans, and the diagnostic type that every later
//! stage reports through.
//!
//! ```
//! use grantline_syntax::{parse_file, SourceMap};
//!
//! let mut sources = SourceMap::new();
//! let file = sources.add("example.grant", "rule r: anyone active grants slack");
//! let parsed = parse_file(&sources, file).unwrap();
//! assert_eq!(parsed.statements.len(), 1);
//! ```

pub mod ast;
pub mod diagnostic;
mod parser;
pub mod source;
mod syntax_error;

pub use diagnostic::{
    render, render_human, render_json, Diagnostic, Format, Label, Location, Severity,
};
pub use parser::parse_file;
pub use source::{FileId, LineColumn, SourceFile, SourceMap, Span};
pub use syntax_error::{MAX_NESTING, RESERVED_WORDS, SYNTAX_ERROR};
