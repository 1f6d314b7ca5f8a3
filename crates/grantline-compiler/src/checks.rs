//! `check NAME from "module.wasm"`: custom checks, declared once and used in
//! rules as `passing NAME`. The module's path is relative to the policy file
//! that declares it; the compiler reads it, records its digest in the IR and
//! has a [`ModuleValidator`] confirm that it is a check module.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use grantline_ir as ir;
use grantline_syntax::ast::{CheckDecl, Statement};
use grantline_syntax::{ast, Diagnostic};
use sha2::{Digest, Sha256};

use crate::declarations::location;
use crate::{codes, Context};

/// What is wrong with a check module, for a diagnostic on its `check` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleProblem {
    /// What is wrong, as a sentence without the path.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

/// Confirms at compile time that a file is a usable check module: the
/// WebAssembly sandbox (`grantline-sandbox`) checks that it is valid,
/// imports only what the host offers and exports the check interface.
pub trait ModuleValidator {
    /// `Ok` with `sha256:` and the hex digest of the bytes of check
    /// `name`'s module, declared at `path`, or what is wrong with it.
    fn validate(&self, name: &str, path: &Path) -> Result<String, ModuleProblem>;
}

/// The validator of a compiler without the sandbox: the module must be a
/// readable file; whether it is a valid check is found when an evaluator
/// with a sandbox loads it (and a module that is not fails closed there).
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadableModule;

impl ModuleValidator for ReadableModule {
    fn validate(&self, _name: &str, path: &Path) -> Result<String, ModuleProblem> {
        let bytes = std::fs::read(path).map_err(|error| unreadable(&error))?;
        Ok(sha256(&bytes))
    }
}

/// The problem of a module file that cannot be read.
pub fn unreadable(error: &std::io::Error) -> ModuleProblem {
    let message = if error.kind() == std::io::ErrorKind::NotFound {
        "there is no module file at this path".to_string()
    } else {
        format!("the module cannot be read: {error}")
    };
    ModuleProblem {
        message,
        hint: "the path is relative to the folder of the policy file that declares the check"
            .to_string(),
    }
}

/// `sha256:` and the hex digest of `bytes`, as the IR records modules.
pub fn sha256(bytes: &[u8]) -> String {
    let mut text = String::from("sha256:");
    for byte in Sha256::digest(bytes) {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// The declared checks, in file order, each validated.
pub(crate) fn collect(
    context: &mut Context<'_>,
    files: &[ast::PolicyFile],
) -> (Vec<ir::Check>, HashMap<String, usize>) {
    let mut checks: Vec<ir::Check> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut first: HashMap<String, grantline_syntax::Span> = HashMap::new();
    for decl in files
        .iter()
        .flat_map(|f| f.statements.iter())
        .filter_map(|s| match s {
            Statement::Check(decl) => Some(decl),
            _ => None,
        })
    {
        if let Some(earlier) = first.get(&decl.name.text) {
            context.report(
                Diagnostic::error(
                    codes::DUPLICATE_NAME,
                    format!("check `{}` is declared twice", decl.name.text),
                )
                .at(context.sources, decl.name.span, "declared again here")
                .also(context.sources, *earlier, "first declared here")
                .with_help(
                    "every check name must be unique across all policy files; remove or rename one",
                ),
            );
            continue;
        }
        first.insert(decl.name.text.clone(), decl.name.span);
        if let Some(check) = check(context, decl) {
            index.insert(check.name.clone(), checks.len());
            checks.push(check);
        }
    }
    (checks, index)
}

fn check(context: &mut Context<'_>, decl: &CheckDecl) -> Option<ir::Check> {
    let written = &decl.module.text;
    if written.is_empty() {
        context.report(
            Diagnostic::error(codes::EMPTY_VALUE, "a module path cannot be empty")
                .at(context.sources, decl.module.span, "empty")
                .with_help("write the path of the .wasm or .wat file between the quotes"),
        );
        return None;
    }
    let path = resolve(context, decl, written);
    match context.modules.validate(&decl.name.text, &path) {
        Ok(sha256) => Some(ir::Check {
            name: decl.name.text.clone(),
            module: path.to_string_lossy().into_owned(),
            sha256,
            source: location(context.sources, decl.name.span),
        }),
        Err(problem) => {
            context.report(
                Diagnostic::error(
                    codes::CHECK_MODULE,
                    format!(
                        "check `{}`: {} ({})",
                        decl.name.text,
                        problem.message,
                        path.display()
                    ),
                )
                .at(context.sources, decl.module.span, "this module")
                .with_help(problem.hint),
            );
            None
        }
    }
}

/// The module's path: relative to the folder of the declaring file.
fn resolve(context: &Context<'_>, decl: &CheckDecl, written: &str) -> PathBuf {
    let written = Path::new(written);
    if written.is_absolute() {
        return written.to_path_buf();
    }
    let folder = context
        .sources
        .get(decl.span.file)
        .and_then(|file| Path::new(file.name()).parent().map(Path::to_path_buf))
        .unwrap_or_default();
    folder.join(written)
}
