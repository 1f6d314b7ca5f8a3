//! `grantline test`: run the `test` blocks of the policies.

use std::path::Path;

use grantline::testing::TestReport;
use grantline::Engine;

use crate::{print_out, Failure};

pub fn run(policies: &Path, coverage: bool, _color: bool) -> Result<(), Failure> {
    let sources = grantline_compiler::load_path(policies)
        .map_err(|error| Failure::Policy(vec![error.to_diagnostic()]))?;
    let engine = Engine::from_sources(&sources).map_err(|error| match error {
        grantline::Error::Compile(diagnostics) => Failure::Policy(diagnostics),
        other => Failure::Input(other.to_string()),
    })?;
    let report = engine.run_tests();
    print_out(&render(&report, coverage))?;
    if report.failed() > 0 {
        return Err(Failure::Reported);
    }
    Ok(())
}

/// The report as people read it: one line a test, the failed expectations
/// with expected against actual, optionally the coverage, and a summary
/// line `N passed, N failed` last.
pub fn render(report: &TestReport, coverage: bool) -> String {
    let mut out = String::new();
    for result in &report.results {
        let verdict = if result.passed() { "ok" } else { "FAILED" };
        out.push_str(&format!(
            "test \"{}\" ({}) ... {verdict}\n",
            result.name, result.source
        ));
        if let Some(error) = &result.error {
            for line in error.lines() {
                out.push_str(&format!(
                    "    the identity does not fit the schema: {line}\n"
                ));
            }
        }
        for failure in &result.failures {
            out.push_str(&format!(
                "    {} ({})\n      expected: {}\n      actual:   {}\n",
                failure.expectation, failure.source, failure.expected, failure.actual
            ));
        }
    }
    if report.results.is_empty() {
        out.push_str("no test blocks found\n");
    }
    if coverage {
        let total = report.coverage.len();
        out.push_str(&format!(
            "\ncoverage: {} of {total} rule{} exercised ({:.1}%)\n",
            report.covered_rules(),
            if total == 1 { "" } else { "s" },
            report.coverage_ratio() * 100.0
        ));
        for rule in report.coverage.iter().filter(|r| !r.exercised) {
            out.push_str(&format!(
                "  not exercised: {} ({})\n",
                rule.rule, rule.source
            ));
        }
    }
    out.push_str(&format!(
        "\n{} passed, {} failed",
        report.passed(),
        report.failed()
    ));
    out
}
