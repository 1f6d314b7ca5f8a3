//! Every fixture under `tests/fixtures/invalid` is a policy file (or folder)
//! with at least one error. Its first line names the diagnostic code that must
//! be reported (`# expect: grantline::unknown-word`); the rendered diagnostics
//! are snapshot-tested in the human and the JSON format.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use grantline_compiler::{compile, load_path, render_human, render_json};

fn expected_code(path: &Path) -> String {
    let first_file = if path.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files.remove(0)
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(first_file).unwrap();
    text.lines()
        .next()
        .and_then(|line| line.strip_prefix("# expect: "))
        .expect("fixture must start with `# expect: CODE`")
        .trim()
        .to_string()
}

#[test]
fn invalid_policies_are_reported_with_their_snapshot() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    insta::glob!("fixtures/invalid/*", |path| {
        count += 1;
        // Load by the path relative to the crate so that snapshots do not
        // depend on where the repository is checked out.
        let relative = path.strip_prefix(manifest).unwrap();
        std::env::set_current_dir(manifest).unwrap();
        let sources = load_path(relative).unwrap();
        let compiled = compile(&sources);
        assert!(
            compiled.policy.is_none(),
            "{} compiled without error",
            relative.display()
        );
        let code = expected_code(path);
        assert!(
            compiled.diagnostics.iter().any(|d| d.code == code),
            "{}: expected {code}, got {:?}",
            relative.display(),
            compiled
                .diagnostics
                .iter()
                .map(|d| d.code)
                .collect::<Vec<_>>()
        );
        for diagnostic in &compiled.diagnostics {
            let location = diagnostic.location();
            assert!(
                location.is_some(),
                "{}: diagnostic without location",
                relative.display()
            );
        }
        insta::assert_snapshot!("human", render_human(&compiled.diagnostics, false));
        insta::assert_snapshot!("json", render_json(&compiled.diagnostics));
    });
    assert!(count >= 25, "only {count} invalid fixtures");
}
