#![doc = include_str!("../../../docs/library.md")]

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use grantline_eval::Evaluator;

pub use grantline_compiler::{LoadError, PolicyTest, Severity};

mod checks;
pub mod testing;

#[cfg(feature = "wasm")]
pub use checks::SandboxLimits;

/// The examples of `docs/testing.md`, run as doctests.
#[doc = include_str!("../../../docs/testing.md")]
#[cfg(doctest)]
pub struct TestingGuide;
pub use grantline_eval::{
    AttributeValue, CheckError, CheckOutcome, CheckResult, Decision, DeniedEntitlement, DenyReason,
    Explanation, FailedCondition, FieldError, GrantStatus, GrantedEntitlement, Identity,
    IdentityError, IndexStats, IrValidationError, Reason, Reasons, RuleExplanation, RuleName,
    RuleOutcome, RuleRef, SeparationConflict, StrictJson, UnknownEntitlement, UpcomingGrant,
    Verdict, Warning,
};
pub use grantline_ir::{IrError, PolicySet, SourceLocation, IR_VERSION};
pub use grantline_syntax::{Diagnostic, SourceMap};

/// Human-readable renderings of decisions, explanations and diagnostics.
pub mod render {
    pub use grantline_eval::render::{decision_text, explanation_text};
    pub use grantline_syntax::{
        render_human as diagnostics_human, render_json as diagnostics_json,
    };
}

/// Everything that can go wrong while loading policies into an [`Engine`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The policy files could not be read.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The policies have errors; every one of them is in the list.
    #[error("{}", summarize(.0))]
    Compile(Vec<Diagnostic>),
    /// A compiled IR document could not be read.
    #[error(transparent)]
    Ir(#[from] IrError),
    /// A compiled IR document is inconsistent (hand-edited or corrupted).
    #[error(transparent)]
    InvalidIr(#[from] IrValidationError),
    /// A custom check's module could not be loaded for evaluation: missing,
    /// changed since the policies were compiled, or not a check module.
    #[error("check `{check}` ({module}): {message}")]
    Check {
        check: String,
        module: String,
        message: String,
    },
    /// The policies declare custom checks and this build has no sandbox to
    /// run them (the `wasm` feature of the `grantline` crate is off).
    #[error("the policies declare custom checks ({checks}); enable the `wasm` feature of the `grantline` crate to run them")]
    ChecksUnavailable { checks: String },
    /// The WebAssembly sandbox could not be set up with these limits.
    #[error("cannot set up the check sandbox: {message}")]
    Sandbox { message: String },
}

impl Error {
    /// The diagnostics of a compile error (empty for other errors).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Compile(diagnostics) => diagnostics,
            _ => &[],
        }
    }
}

fn summarize(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let first = diagnostics
        .iter()
        .find(|d| d.is_error())
        .map(|d| match d.location() {
            Some(at) => format!(": {}:{}:{}: {}", at.file, at.line, at.column, d.message),
            None => format!(": {}", d.message),
        })
        .unwrap_or_default();
    let plural = if errors == 1 { "" } else { "s" };
    format!("the policies have {errors} error{plural}{first}")
}

/// Settings of an [`Engine`] to load: see [`Engine::builder`].
#[derive(Default)]
pub struct EngineBuilder {
    checks: checks::CheckSetup,
}

impl EngineBuilder {
    /// The limits every custom check call runs under (instructions, memory,
    /// stack, module and input sizes); defaults in `docs/custom-checks.md`.
    #[cfg(feature = "wasm")]
    pub fn sandbox_limits(mut self, limits: SandboxLimits) -> Self {
        self.checks.limits = limits;
        self
    }

    /// The module of check `name` (WebAssembly binary or text), used instead
    /// of the file its `check` declaration names: for modules shipped inside
    /// the program.
    pub fn check_module(mut self, name: &str, module: Vec<u8>) -> Self {
        self.checks.modules.insert(name.to_string(), module);
        self
    }

    /// [`Engine::from_path`] with these settings.
    pub fn from_path(self, path: impl AsRef<Path>) -> Result<Engine, Error> {
        let sources = grantline_compiler::load_path(path.as_ref())?;
        self.from_sources(&sources)
    }

    /// [`Engine::from_source`] with these settings.
    pub fn from_source(self, name: &str, text: &str) -> Result<Engine, Error> {
        let mut sources = SourceMap::new();
        sources.add(name, text);
        self.from_sources(&sources)
    }

    /// [`Engine::from_sources`] with these settings.
    pub fn from_sources(self, sources: &SourceMap) -> Result<Engine, Error> {
        let compiled = checks::compile(sources, &self.checks)?;
        match compiled.policy {
            Some(policy) => Ok(Engine {
                evaluator: checks::evaluator(policy, &self.checks)?,
                warnings: compiled.diagnostics,
                tests: compiled.tests,
            }),
            None => Err(Error::Compile(compiled.diagnostics)),
        }
    }

    /// [`Engine::from_ir`] with these settings.
    pub fn from_ir(self, policy: PolicySet) -> Result<Engine, Error> {
        Ok(Engine {
            evaluator: checks::evaluator(policy, &self.checks)?,
            warnings: Vec::new(),
            tests: Vec::new(),
        })
    }

    /// [`Engine::from_ir_json`] with these settings.
    pub fn from_ir_json(self, text: &str) -> Result<Engine, Error> {
        self.from_ir(PolicySet::from_json(text)?)
    }
}

/// Compiles `sources` as the `grantline` command does: custom check
/// modules validated in the sandbox when the `wasm` feature is on.
pub fn compile(sources: &SourceMap) -> Result<grantline_compiler::Compilation, Error> {
    checks::compile(sources, checks::CheckSetup::shared())
}

/// The evaluator of a compiled policy set, its custom checks loaded into the
/// sandbox (`wasm` feature), for tools that work with the evaluator itself.
pub fn evaluator(policy: PolicySet) -> Result<Evaluator, Error> {
    checks::evaluator(policy, checks::CheckSetup::shared())
}

/// A loaded policy set, ready to evaluate identities.
///
/// An `Engine` is immutable and `Sync`: share one across threads and call
/// [`Engine::evaluate`] concurrently.
#[derive(Debug)]
pub struct Engine {
    evaluator: Evaluator,
    warnings: Vec<Diagnostic>,
    tests: Vec<PolicyTest>,
}

impl Engine {
    /// Compiles a policy folder (every `*.grant` file below it) or one file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Engine, Error> {
        Engine::builder().from_path(path)
    }

    /// Compiles policy text held in memory; `name` appears in diagnostics.
    pub fn from_source(name: &str, text: &str) -> Result<Engine, Error> {
        Engine::builder().from_source(name, text)
    }

    /// Compiles several in-memory files as one policy set.
    pub fn from_sources(sources: &SourceMap) -> Result<Engine, Error> {
        Engine::builder().from_sources(sources)
    }

    /// Loads a compiled policy set, validating it first. No parser involved.
    pub fn from_ir(policy: PolicySet) -> Result<Engine, Error> {
        Engine::builder().from_ir(policy)
    }

    /// Loads a compiled IR document as written by `grantline compile`.
    pub fn from_ir_json(text: &str) -> Result<Engine, Error> {
        Engine::builder().from_ir_json(text)
    }

    /// An engine with settings: the sandbox limits of custom checks, and
    /// check modules registered by name instead of read from their paths.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The compiled policy set.
    pub fn policy(&self) -> &PolicySet {
        self.evaluator.policy()
    }

    /// Compiler warnings of the loaded policies (never errors).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The policy set's time zone, in which policy dates are whole days.
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.evaluator.timezone()
    }

    /// The first instant of a date in the policy time zone: what `--at
    /// 2026-12-01` means.
    pub fn day_start(&self, date: NaiveDate) -> DateTime<Utc> {
        self.evaluator.day_start(date)
    }

    /// Checks one identity record (a JSON object) against the schema. Every
    /// bad field is reported, each by name.
    pub fn identity(&self, record: &serde_json::Value) -> Result<Identity, IdentityError> {
        self.evaluator.identity_from_json(record)
    }

    /// Every entitlement the identity holds at `at`, with reasons, windows,
    /// approvals, denials and warnings. Never panics; deterministic.
    ///
    /// Examines only the rules the rule index cannot rule out for this
    /// identity, so its cost grows with the rules that match rather than
    /// with the rules written; the decision is exactly
    /// [`evaluate_plain`](Self::evaluate_plain)'s.
    pub fn evaluate(&self, identity: &Identity, at: DateTime<Utc>) -> Decision {
        self.evaluator.evaluate(identity, at)
    }

    /// The reference evaluation, examining every rule in source order: the
    /// definition [`evaluate`](Self::evaluate) is tested against, and a
    /// baseline for benchmarks.
    pub fn evaluate_plain(&self, identity: &Identity, at: DateTime<Utc>) -> Decision {
        self.evaluator.evaluate_plain(identity, at)
    }

    /// The instants after `after` at which the identity's decision can change
    /// with time alone (a window of a rule with effect for it opens or
    /// closes), ascending: when to evaluate it again. Custom checks, which
    /// see the evaluation instant, are the one exception.
    pub fn window_instants(&self, identity: &Identity, after: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        self.evaluator.window_instants(identity, after)
    }

    /// How the rule index files the rules: under a pair of attribute values,
    /// under one, or examined for every identity.
    pub fn index_stats(&self) -> IndexStats {
        self.evaluator.index_stats()
    }

    /// An estimate of the heap bytes the loaded policy set takes (the IR, its
    /// resolved form and the rule index; compiler warnings and policy tests
    /// not included).
    pub fn heap_size_estimate(&self) -> usize {
        self.evaluator.heap_size_estimate()
    }

    /// Why `entitlement` is or is not granted to the identity at `at`.
    pub fn explain(
        &self,
        identity: &Identity,
        entitlement: &str,
        at: DateTime<Utc>,
    ) -> Result<Explanation, UnknownEntitlement> {
        self.evaluator.explain(identity, entitlement, at)
    }
}
