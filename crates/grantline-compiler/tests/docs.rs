//! Every example in the language reference compiles: the first ```grant
//! block of `docs/language.md` is the schema the others use; each later
//! ```grant block must compile together with it, and each ```grant-error
//! block must fail to.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use grantline_compiler::{compile, render_human};
use grantline_syntax::SourceMap;

struct Block {
    info: String,
    line: usize,
    text: String,
}

fn code_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (number, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        match current.take() {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    current = Some(Block {
                        info: info.trim().to_string(),
                        line: number + 1,
                        text: String::new(),
                    });
                }
            }
            Some(mut block) => {
                if trimmed.starts_with("```") {
                    blocks.push(block);
                } else {
                    block.text.push_str(line);
                    block.text.push('\n');
                    current = Some(block);
                }
            }
        }
    }
    blocks
}

#[test]
fn every_example_in_the_language_reference_compiles() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/language.md");
    let markdown = std::fs::read_to_string(path).unwrap();
    let blocks = code_blocks(&markdown);
    let mut grant_blocks = blocks.iter().filter(|b| b.info == "grant");
    let prelude = grant_blocks
        .next()
        .expect("a first ```grant block with the schema");
    let mut sources = SourceMap::new();
    sources.add(
        format!("language.md:{}", prelude.line),
        prelude.text.clone(),
    );
    let alone = compile(&sources);
    assert!(
        !alone.has_errors(),
        "{}",
        render_human(&alone.diagnostics, false)
    );

    let mut checked = 0;
    for block in &blocks {
        let expect_error = match block.info.as_str() {
            "grant" if block.line != prelude.line => false,
            "grant-error" => true,
            _ => continue,
        };
        let mut sources = SourceMap::new();
        sources.add(
            format!("language.md:{}", prelude.line),
            prelude.text.clone(),
        );
        sources.add(format!("language.md:{}", block.line), block.text.clone());
        let compiled = compile(&sources);
        if expect_error {
            assert!(
                compiled.has_errors(),
                "the error example at docs/language.md:{} compiles",
                block.line
            );
        } else {
            assert!(
                !compiled.has_errors(),
                "the example at docs/language.md:{} does not compile:\n{}",
                block.line,
                render_human(&compiled.diagnostics, false)
            );
        }
        checked += 1;
    }
    assert!(
        checked >= 10,
        "only {checked} examples found in docs/language.md"
    );
}

#[test]
fn every_diagnostic_code_is_documented() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/diagnostics.md");
    let doc = std::fs::read_to_string(path).unwrap();
    for (code, _) in grantline_compiler::codes::ALL {
        assert!(
            doc.contains(&format!("`{code}`")),
            "{code} is missing from docs/diagnostics.md"
        );
    }
}
