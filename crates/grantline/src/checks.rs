//! Custom checks: compiling and loading the WebAssembly modules a policy
//! set declares (`check NAME from "…"`), with the `wasm` feature. Without
//! it, a policy set that declares checks cannot be loaded: its rules would
//! all fail closed, and that is better said once, up front.

use std::collections::HashMap;
#[cfg(feature = "wasm")]
use std::sync::Arc;

use grantline_compiler::{Compilation, ModuleProblem, ModuleValidator};
use grantline_eval::Evaluator;
use grantline_ir::PolicySet;
use grantline_syntax::SourceMap;

use crate::Error;

/// The sandbox's limits (instructions, memory, stack, sizes) and their
/// defaults; see `docs/custom-checks.md`.
#[cfg(feature = "wasm")]
pub use grantline_sandbox::Limits as SandboxLimits;

/// How an engine gets its checks: the sandbox's limits and the modules
/// registered by name instead of read from their paths.
#[derive(Default)]
pub(crate) struct CheckSetup {
    #[cfg(feature = "wasm")]
    pub(crate) limits: SandboxLimits,
    pub(crate) modules: HashMap<String, Vec<u8>>,
    /// Made when first needed, then shared by compiling and evaluating, so
    /// that each module is compiled once.
    #[cfg(feature = "wasm")]
    sandbox: std::sync::OnceLock<grantline_sandbox::Sandbox>,
}

impl CheckSetup {
    /// The setup of [`crate::compile`] and [`crate::evaluator`]: default
    /// limits, one sandbox for the whole process.
    pub(crate) fn shared() -> &'static CheckSetup {
        static SHARED: std::sync::OnceLock<CheckSetup> = std::sync::OnceLock::new();
        SHARED.get_or_init(CheckSetup::default)
    }

    #[cfg(feature = "wasm")]
    fn sandbox(&self) -> Result<&grantline_sandbox::Sandbox, Error> {
        if let Some(sandbox) = self.sandbox.get() {
            return Ok(sandbox);
        }
        let sandbox = grantline_sandbox::Sandbox::new(self.limits.clone()).map_err(|error| {
            Error::Sandbox {
                message: error.to_string(),
            }
        })?;
        Ok(self.sandbox.get_or_init(|| sandbox))
    }

    /// The module registered for check `name`, or the bytes of its file.
    fn module_bytes(&self, name: &str, path: &std::path::Path) -> Result<Vec<u8>, ModuleProblem> {
        match self.modules.get(name) {
            Some(bytes) => Ok(bytes.clone()),
            None => std::fs::read(path).map_err(|error| grantline_compiler::unreadable(&error)),
        }
    }
}

/// Compiles `sources`, each check module validated by the sandbox (with the
/// `wasm` feature) or only read (without it).
pub(crate) fn compile(sources: &SourceMap, setup: &CheckSetup) -> Result<Compilation, Error> {
    #[cfg(feature = "wasm")]
    {
        let sandbox = setup.sandbox()?;
        Ok(grantline_compiler::compile_with(
            sources,
            &SandboxValidator { sandbox, setup },
        ))
    }
    #[cfg(not(feature = "wasm"))]
    {
        Ok(grantline_compiler::compile_with(
            sources,
            &Registered { setup },
        ))
    }
}

/// The evaluator of `policy`, its checks loaded into a sandbox.
pub(crate) fn evaluator(policy: PolicySet, setup: &CheckSetup) -> Result<Evaluator, Error> {
    if policy.checks.is_empty() {
        return Ok(Evaluator::new(policy)?);
    }
    #[cfg(feature = "wasm")]
    {
        let sandbox = setup.sandbox()?;
        let mut modules = HashMap::new();
        for check in &policy.checks {
            let path = std::path::Path::new(&check.module);
            let failed = |message: String| Error::Check {
                check: check.name.clone(),
                module: check.module.clone(),
                message,
            };
            let bytes = setup
                .module_bytes(&check.name, path)
                .map_err(|problem| failed(problem.message))?;
            let digest = grantline_compiler::sha256(&bytes);
            if !check.sha256.is_empty() && digest != check.sha256 {
                return Err(failed(format!(
                    "the module changed since the policies were compiled (now {digest}, compiled with {}); compile them again",
                    check.sha256
                )));
            }
            let module = sandbox
                .load(&bytes)
                .map_err(|error| failed(error.to_string()))?;
            modules.insert(check.name.clone(), module);
        }
        Ok(Evaluator::with_checks(
            policy,
            Arc::new(SandboxChecks { modules }),
        )?)
    }
    #[cfg(not(feature = "wasm"))]
    {
        let _ = setup;
        let names: Vec<&str> = policy.checks.iter().map(|c| c.name.as_str()).collect();
        Err(Error::ChecksUnavailable {
            checks: names.join(", "),
        })
    }
}

/// Without the sandbox: a registered module or a readable file.
#[cfg(not(feature = "wasm"))]
struct Registered<'s> {
    setup: &'s CheckSetup,
}

#[cfg(not(feature = "wasm"))]
impl ModuleValidator for Registered<'_> {
    fn validate(&self, name: &str, path: &std::path::Path) -> Result<String, ModuleProblem> {
        let bytes = self.setup.module_bytes(name, path)?;
        Ok(grantline_compiler::sha256(&bytes))
    }
}

/// Validates modules at compile time by loading them into the sandbox.
#[cfg(feature = "wasm")]
struct SandboxValidator<'s> {
    sandbox: &'s grantline_sandbox::Sandbox,
    setup: &'s CheckSetup,
}

#[cfg(feature = "wasm")]
impl ModuleValidator for SandboxValidator<'_> {
    fn validate(&self, name: &str, path: &std::path::Path) -> Result<String, ModuleProblem> {
        let bytes = self.setup.module_bytes(name, path)?;
        self.sandbox
            .load(&bytes)
            .map_err(|error| ModuleProblem {
                message: error.to_string(),
                hint: "a check module exports `memory`, `grantline_alloc` and `grantline_check` and imports nothing but `grantline.log`; see docs/custom-checks.md".to_string(),
            })?;
        Ok(grantline_compiler::sha256(&bytes))
    }
}

/// Runs checks in the sandbox: one fresh instance per call.
#[cfg(feature = "wasm")]
struct SandboxChecks {
    modules: HashMap<String, grantline_sandbox::CheckModule>,
}

#[cfg(feature = "wasm")]
impl grantline_eval::CheckRunner for SandboxChecks {
    fn run(&self, name: &str, input: &str) -> Result<grantline_eval::CheckPass, String> {
        let module = self
            .modules
            .get(name)
            .ok_or_else(|| format!("check `{name}` has no module loaded"))?;
        let output = module
            .call(input.as_bytes())
            .map_err(|failure| failure.to_string())?;
        Ok(grantline_eval::CheckPass {
            passed: output.passed,
            log: output.log,
        })
    }
}
