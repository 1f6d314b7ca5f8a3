//! One renderer per output format: text (rustc-like, with the source
//! line), JSON, and SARIF 2.1.0 for code-scanning tools.

mod json;
mod sarif;
mod text;

pub use json::render_json;
pub use sarif::{render_sarif, SarifRoot, POLICY_ROOT, SARIF_SCHEMA, SARIF_VERSION};
pub use text::{render_text, to_diagnostic};
