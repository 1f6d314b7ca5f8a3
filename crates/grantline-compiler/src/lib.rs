//! The Grantline compiler: policy files in, a versioned [`PolicySet`] out.
//!
//! It resolves every word against the declared schema, checks types, checks
//! that every granted entitlement is in the catalogue, expands roles (and
//! finds cycles), and reports every problem of a run at once as
//! [`Diagnostic`]s with file, line, column, the underlined span and a hint.
//!
//! ```
//! use grantline_compiler::compile;
//! use grantline_syntax::SourceMap;
//!
//! let mut sources = SourceMap::new();
//! sources.add("base.grant", r#"
//!     attribute status: active | terminated
//!     entitlement slack
//!     rule everyone: anyone active grants slack
//! "#);
//! let compiled = compile(&sources);
//! assert!(compiled.diagnostics.is_empty());
//! let policy = compiled.policy.unwrap();
//! assert_eq!(policy.rules[0].condition.to_string(), "status is active");
//! ```

use std::path::{Path, PathBuf};

use grantline_ir::PolicySet;
use grantline_syntax::{parse_file, Diagnostic, SourceMap};

mod checks;
pub mod codes;
mod conditions;
mod declarations;
pub mod policy_tests;
mod rules;
mod suggest;

pub use checks::{sha256, unreadable, ModuleProblem, ModuleValidator, ReadableModule};
pub use grantline_syntax::{render, render_human, render_json, Format, Severity};
pub use policy_tests::PolicyTest;

/// The result of compiling a policy set.
#[derive(Debug)]
pub struct Compilation {
    /// The IR, present only when there is no error.
    pub policy: Option<PolicySet>,
    /// The `test` blocks, compiled (empty when there is an error).
    pub tests: Vec<PolicyTest>,
    /// Every error and warning, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Compiles every file of `sources` as one policy set with one namespace.
///
/// Syntax errors of all files are reported together; the meaning of the
/// policies is checked once every file parses, so that a broken file does not
/// cause a cascade of unknown-name errors elsewhere.
///
/// Custom check modules (`check NAME from "…"`) must be readable; whether
/// they are valid check modules is left to the evaluator that loads them.
/// [`compile_with`] confirms that too, with the sandbox's validator.
pub fn compile(sources: &SourceMap) -> Compilation {
    compile_with(sources, &ReadableModule)
}

/// [`compile`], with `modules` confirming that each custom check's module
/// is usable; each problem is a diagnostic on its `check` line.
pub fn compile_with(sources: &SourceMap, modules: &dyn ModuleValidator) -> Compilation {
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for (id, _) in sources.files() {
        match parse_file(sources, id) {
            Ok(file) => files.push(file),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    if !diagnostics.is_empty() {
        return Compilation {
            policy: None,
            tests: Vec::new(),
            diagnostics,
        };
    }
    let mut context = Context {
        sources,
        diagnostics: Vec::new(),
        modules,
    };
    let mut declarations = declarations::collect(&mut context, &files);
    let (checks, check_index) = checks::collect(&mut context, &files);
    declarations.checks = checks;
    declarations.check_index = check_index;
    let rules = rules::compile_rules(&mut context, &declarations, &files);
    let separations = rules::compile_separations(&mut context, &declarations, &files);
    let tests = policy_tests::compile_tests(&mut context, &declarations, &files);
    let mut diagnostics = context.diagnostics;
    sort_diagnostics(&mut diagnostics);
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    let policy = (!has_errors).then(|| PolicySet {
        rules,
        separations,
        ..declarations.into_policy()
    });
    Compilation {
        tests: if policy.is_some() { tests } else { Vec::new() },
        policy,
        diagnostics,
    }
}

/// Shared state of one compilation: where diagnostics go.
pub(crate) struct Context<'a> {
    pub sources: &'a SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    /// Confirms that custom check modules are usable.
    pub modules: &'a dyn ModuleValidator,
}

impl Context<'_> {
    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }
}

fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| {
        d.primary
            .as_ref()
            .map(|p| (p.span.file, p.span.start))
            .unwrap_or((grantline_syntax::FileId(u32::MAX), 0))
    });
}

/// Reading policy files from disk.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no .grant files in {path}")]
    NoPolicies { path: PathBuf },
}

impl LoadError {
    /// The error as a diagnostic, so that the CLI renders every problem alike.
    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            LoadError::Io { .. } => Diagnostic::error(codes::IO, self.to_string()),
            LoadError::NoPolicies { .. } => Diagnostic::error(codes::NO_POLICIES, self.to_string())
                .with_help(
                    "policies are files ending in `.grant`; name the folder that holds them",
                ),
        }
    }
}

/// Reads a policy folder (every `*.grant` file below it, sorted by path) or a
/// single policy file. File names in diagnostics are the paths as found from
/// `path`, so `policies/sales.grant` when called with `policies`.
pub fn load_path(path: &Path) -> Result<SourceMap, LoadError> {
    let mut sources = SourceMap::new();
    add_path(&mut sources, path)?;
    Ok(sources)
}

/// Adds a folder or file to an existing source map (the REPL loads several).
pub fn add_path(sources: &mut SourceMap, path: &Path) -> Result<(), LoadError> {
    let io_error = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(io_error)?;
    let files = if metadata.is_dir() {
        let mut found = Vec::new();
        let mut visited = Vec::new();
        collect_grant_files(path, &mut found, &mut visited)?;
        found.sort();
        if found.is_empty() {
            return Err(LoadError::NoPolicies {
                path: path.to_path_buf(),
            });
        }
        found
    } else {
        vec![path.to_path_buf()]
    };
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|source| LoadError::Io {
            path: file.clone(),
            source,
        })?;
        sources.add(file.display().to_string(), text);
    }
    Ok(())
}

/// Collects `*.grant` files below `dir`, following symbolic links; a folder
/// reached twice (a link loop) is read once.
fn collect_grant_files(
    dir: &Path,
    found: &mut Vec<PathBuf>,
    visited: &mut Vec<PathBuf>,
) -> Result<(), LoadError> {
    let canonical = std::fs::canonicalize(dir).map_err(|source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    if visited.contains(&canonical) {
        return Ok(());
    }
    visited.push(canonical);
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| LoadError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        // `metadata` follows symbolic links, so a linked folder is read too.
        let metadata = std::fs::metadata(&path).map_err(|source| LoadError::Io {
            path: path.clone(),
            source,
        })?;
        if metadata.is_dir() {
            collect_grant_files(&path, found, visited)?;
        } else if path.extension().is_some_and(|ext| ext == "grant") {
            found.push(path);
        }
    }
    Ok(())
}
