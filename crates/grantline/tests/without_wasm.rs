//! Without the `wasm` feature, policies that declare custom checks cannot
//! be loaded: said once, when loading, instead of every rule that needs a
//! check failing closed. (`cargo test -p grantline` runs this; in the whole
//! workspace the command line crate turns the feature on.)
#![cfg(not(feature = "wasm"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use grantline::{Engine, Error};

#[test]
fn policies_with_checks_need_the_sandbox() {
    let module = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../policies/checks/always-pass.wat"
    );
    let source = format!(
        "attribute level: number\nentitlement vpn\ncheck ok from \"{module}\"\nrule r: passing ok grants vpn\n"
    );
    let error = Engine::from_source("checks.grant", &source).unwrap_err();
    assert!(matches!(&error, Error::ChecksUnavailable { checks } if checks == "ok"));
    assert!(error.to_string().contains("enable the `wasm` feature"));
}

#[test]
fn policies_without_checks_load_as_before() {
    assert!(Engine::from_source("p.grant", "entitlement vpn\nrule r: anyone grants vpn\n").is_ok());
}
