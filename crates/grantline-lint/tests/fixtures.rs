#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Every rule has a fixture folder `tests/fixtures/<CODE>/` with
//! `triggers.grant` (a policy set the rule must report on) and `clean.grant`
//! (a close policy set it must not report on), and optionally `people.json`
//! (a population, JSON array or JSON Lines) and `lint.toml`. Each is linted
//! with only that rule selected; the text output of `triggers` is a
//! snapshot.

use std::path::{Path, PathBuf};

use grantline_lint::{lint, render, rules, LintConfig, LintInput, LintReport};
use grantline_syntax::SourceMap;

const AT: &str = "2026-12-01T09:00:00Z";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Lints `file` of the fixture folder `code` with only `code` selected.
fn lint_fixture(code: &str, file: &str) -> (LintReport, SourceMap) {
    let folder = fixtures().join(code);
    let text =
        std::fs::read_to_string(folder.join(file)).unwrap_or_else(|e| panic!("{code}/{file}: {e}"));
    let mut sources = SourceMap::new();
    sources.add(file, text);
    let compiled = grantline_compiler::compile(&sources);
    assert!(
        compiled.diagnostics.iter().all(|d| !d.is_error()),
        "{code}/{file} does not compile:\n{}",
        grantline_syntax::render_human(&compiled.diagnostics, false)
    );
    let policy = compiled.policy.unwrap();
    let evaluator = grantline_eval::Evaluator::new(policy.clone()).unwrap();
    let mut config = match std::fs::read_to_string(folder.join("lint.toml")) {
        Ok(text) => LintConfig::parse("lint.toml", &text).unwrap(),
        Err(_) => LintConfig::default(),
    };
    config.select = vec![code.to_string()];
    let people = std::fs::read(folder.join("people.json")).ok().map(|bytes| {
        let mapping = grantline_hr::Mapping::default();
        let reader = grantline_hr::read(
            &evaluator,
            bytes.as_slice(),
            "people.json",
            grantline_hr::Format::Json,
            &mapping,
            None,
        )
        .unwrap();
        reader
            .map(|record| {
                record
                    .unwrap_or_else(|e| panic!("{code}/people.json: {e}"))
                    .identity
            })
            .collect::<Vec<_>>()
    });
    let report = lint(&LintInput {
        policy: &policy,
        evaluator: &evaluator,
        sources: &sources,
        config: &config,
        at: AT.parse().unwrap(),
        people: people.as_deref(),
    });
    (report, sources)
}

#[test]
fn every_rule_triggers_on_its_fixture_and_not_on_the_clean_one() {
    let mut failures = Vec::new();
    for info in rules() {
        let code = info.code;
        if !fixtures().join(code).is_dir() {
            failures.push(format!("{code}: no fixture folder tests/fixtures/{code}"));
            continue;
        }
        let (report, sources) = lint_fixture(code, "triggers.grant");
        if !report.findings.iter().any(|f| f.code == code) {
            failures.push(format!("{code}: triggers.grant gives no finding"));
        }
        insta::with_settings!({ snapshot_suffix => code, prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("triggers", render::render_text(&report, &sources, false));
        });
        let (report, sources) = lint_fixture(code, "clean.grant");
        if !report.findings.is_empty() {
            failures.push(format!(
                "{code}: clean.grant gives findings:\n{}",
                render::render_text(&report, &sources, false)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
