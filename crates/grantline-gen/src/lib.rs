//! Seeded synthetic workloads for Grantline: a policy set of any size and
//! identities to evaluate against it, for benchmarks and load tests.
//!
//! ```
//! use grantline_gen::{GenConfig, Workload};
//!
//! let workload = Workload::generate(&GenConfig { rules: 200, identities: 50, seed: 7 });
//! let files = workload.policy_files();
//! assert_eq!(files[0].0, "schema.grant");
//! assert_eq!(files.last().map(|f| f.0.as_str()), Some("rules-001.grant"));
//! assert_eq!(workload.identities_json_lines().lines().count(), 50);
//! ```
//!
//! `grantline gen --rules N --identities M [--seed S] --out DIR` writes the
//! same files to a folder ([`Workload::write_to`]).
//!
//! # What is generated
//!
//! **The schema** (`schema.grant`) is that of a mid-sized company, in the
//! style of the example policies: `employee_id`, `employment` (full-time,
//! part-time, contractor, intern), `status` (active, on-leave, terminated),
//! `department` (12 values, two of them quoted multi-word names), an
//! optional `team` (25 values, only in Engineering, Data Science and
//! Security), `country` (20 ISO codes including `IN`), `site` (14 offices,
//! each in one country, and `remote`), the `manager` flag, `level` (1–10),
//! `start_date`, an optional `end_date`, `groups` (a list drawn from 30 group
//! names) and `cost_center` (`CC-1203`: six per department). No value is
//! declared twice, even up to case, so every value word of a rule is
//! unambiguous. The time zone is UTC.
//!
//! **The catalogue** (`catalogue.grant`) holds 8 fixed entitlements (SSO,
//! chat, remote access, …) and `max(50, N / 5)` application entitlements
//! `appK.user`, `appK.viewer`, … in `max(12, ⌈entitlements / 10⌉)`
//! applications, each owned by `"appK-owners"` and mostly used by one
//! department (application K by department K mod 12). One entitlement in
//! ten is a sensitive `appK.admin` with `at most 90 days`. Two fixed roles
//! (`baseline`, `remote-access`) and `max(4, N / 50)` roles `bundle-NNNN`
//! bundle 2–6 entitlements, mostly of one department's applications (one
//! role in ten also includes an earlier role), and `max(1, N / 1000)`
//! `separate` statements pair an application's admin with another of its
//! entitlements.
//!
//! **The rules** (`rules-001.grant`, … with 1,000 rules a file), named
//! `r00001`, `r00002`, …, start with a preamble of 8 rules every company has:
//! baseline tools for active employees, `terminated denies everything`,
//! on-leave people lose remote access, contractors get access `from
//! start_date until end_date` and lose everything without an end date, and
//! contractors and interns are denied some admin rights. The other rules:
//!
//! - **Conditions** have one to four predicates (4% one, 24% two, 42%
//!   three, 30% four), in the short form (`full-time in Sales in the US with
//!   manager status`, `in DE or GB`, `not contractor`) or the explicit form
//!   (`where country in {US, CA} and level >= 6`), mixed. Like a real
//!   company's, most rules are about a department and/or a country: 50% a
//!   department and a country (one in ten a list of two or three
//!   countries), 15% a team (with a country, seniority or its department),
//!   10% a department and a site, 6% a country with seniority (`level >=
//!   7`, `manager`, `(level >= 8 or manager)`), 4% a department with
//!   seniority, 8% a department and a group (`groups contains "…"`), 7%
//!   cost centers with a country. Rules with one predicate are about a team
//!   or a cost center only. The other predicates are modifiers: `active`,
//!   the employment (`full-time`, `not contractor`, `employment in
//!   {full-time, part-time}`, `contractor where end_date <= …`), a level,
//!   the manager flag, a start date comparison, a group, `country not in
//!   {US, …}`, `not in Legal`. Departments and countries are drawn with much
//!   flatter weights than people have, so every department and country has
//!   rules and an identity matches a few rules in a thousand (see
//!   *Matching* below).
//! - **Effects** grant one to three items (55% / 30% / 15%), mostly
//!   entitlements of the department's applications, 12% a role, 5% an
//!   admin entitlement. About 2% of the rules deny, each for one
//!   department: its contractors or interns lose admin rights, its on-leave
//!   people lose remote access, or, outside the US and a few more countries,
//!   it loses reports and exports.
//! - **Clauses**: 10% of the grants have a window (`from 2026-01-01 until
//!   2027-06-30`, `until 2027-03-31`, `from start_date for 90 days`, `until
//!   end_date`, `from start_date until end_date`, `from 2026-09-01`, `for
//!   30 days`), about 5% `requires approval [by "appK-owners"]` (40% of the
//!   grants of an admin entitlement, 2.5% of the others).
//!
//! The text is in the canonical layout of `grantline fmt`, no line is longer
//! than 100 columns, and the whole policy set compiles without any
//! diagnostic.
//!
//! **The identities** (`identities.json`, an array with one object a line,
//! and `identities.jsonl`, one object a line) are drawn from the same
//! tables with the weights of people: 78% full-time, 7% part-time, 11%
//! contractors, 4% interns; 95% active, 3% on leave, 2% terminated; 26% in
//! Engineering and 14% in Sales down to 2% in Legal; 30% in the US, 12% in
//! India, 10% in Germany, …; a team for 95% of the people of a department
//! that has teams; three in four people of a country with offices in one of
//! them, everyone else `remote`; levels mostly 3 to 6, with managers more
//! likely at higher levels; zero to five groups, the common ones more
//! often; a cost center of their department. Dates are drawn around
//! [`REFERENCE_DATE`] (2026-12-01): contractors' and interns' contracts
//! around it, terminated people's end dates in the year before it, 3% of
//! employees with an end date in the 90 days after it, about 1% of them
//! starting in the month after it. Some optional attributes are missing:
//! `team` outside the departments with teams (and for 5% within them),
//! `end_date` for employees and for 5% of contractors, and now and then
//! `manager` (meaning false) or `groups` (meaning empty). Every required
//! attribute is present.
//!
//! **Matching.** Evaluated at 2026-12-01, the rules that apply to an
//! identity (`Evaluator::applying_rules`: grants that hold with an open
//! window, denies that apply) number about 3 at N = 100 (mostly the
//! preamble), 6 at N = 1,000 (median 5, p99 15) and 45 at N = 10,000
//! (median 39, p99 about 120); an identity then holds about 13 and 76
//! entitlements. `cargo run --release -p grantline-gen --example measure --
//! RULES IDENTITIES [SEED] [OUT]` prints these figures and the generation
//! and compile times.
//!
//! # Determinism
//!
//! The output is a pure function of ([`GenConfig::rules`],
//! [`GenConfig::identities`], [`GenConfig::seed`]): the same configuration
//! gives byte-identical files on every platform, every run and every
//! version of the dependencies. The random numbers come from the crate's
//! own SplitMix64 with integer-only draws (no floating point, no hash map
//! iteration order, no system time), the JSON is written from structs with
//! a fixed field order, and dates are calendar arithmetic. The catalogue,
//! the rules and the identities each use their own stream derived from the
//! seed, so the identities of a seed do not depend on the number of rules,
//! and the first `M` identities of a seed are the same for every larger
//! `M`. A change to the generator that changes its output for a given
//! seed is a breaking change for benchmark baselines: say so when making
//! one.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

mod catalogue;
mod identities;
mod rng;
mod rules;
mod schema;
mod text;

pub use identities::{IdentityRecord, REFERENCE_DATE};

use catalogue::Catalogue;
use rng::Rng;

/// The seed `grantline gen` uses when none is given.
pub const DEFAULT_SEED: u64 = 42;

/// Rules per `rules-NNN.grant` file.
pub const RULES_PER_FILE: usize = 1000;

const CATALOGUE_STREAM: u64 = 1;
const RULES_STREAM: u64 = 2;
const IDENTITIES_STREAM: u64 = 3;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenConfig {
    /// The number of rules (`N`); the catalogue grows with it.
    pub rules: usize,
    /// The number of identities (`M`).
    pub identities: usize,
    /// The same seed gives the same workload, byte for byte.
    pub seed: u64,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            rules: 1000,
            identities: 1000,
            seed: DEFAULT_SEED,
        }
    }
}

/// A generated policy set and identities.
#[derive(Debug, Clone)]
pub struct Workload {
    config: GenConfig,
    catalogue: Catalogue,
    /// Each rule's text, ending with a newline.
    rules: Vec<String>,
    identities: Vec<IdentityRecord>,
}

impl Workload {
    /// Generates the workload of `config`; deterministic (see the crate
    /// documentation).
    pub fn generate(config: &GenConfig) -> Workload {
        let catalogue = Catalogue::generate(
            config.rules,
            &mut Rng::stream(config.seed, CATALOGUE_STREAM),
        );
        let rules = rules::generate(
            config.rules,
            &catalogue,
            &mut Rng::stream(config.seed, RULES_STREAM),
        );
        let mut rng = Rng::stream(config.seed, IDENTITIES_STREAM);
        let identities = (0..config.identities)
            .map(|index| identities::identity(index, &mut rng))
            .collect();
        Workload {
            config: *config,
            catalogue,
            rules,
            identities,
        }
    }

    pub fn config(&self) -> &GenConfig {
        &self.config
    }

    /// The number of rules.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// The number of entitlements in the catalogue.
    pub fn entitlement_count(&self) -> usize {
        self.catalogue.entitlement_count()
    }

    /// The number of roles.
    pub fn role_count(&self) -> usize {
        self.catalogue.role_count()
    }

    /// The identities, in order.
    pub fn identities(&self) -> &[IdentityRecord] {
        &self.identities
    }

    /// The identities as JSON values, ready for `Engine::identity`.
    pub fn identity_values(&self) -> Vec<serde_json::Value> {
        self.identities
            .iter()
            .map(|identity| serde_json::to_value(identity).unwrap_or(serde_json::Value::Null))
            .collect()
    }

    fn header(&self, what: &str) -> String {
        format!(
            "# Generated by grantline-gen (seed {}, {} rules): {what}.\n\n",
            self.config.seed, self.config.rules
        )
    }

    /// The policy files as `(file name, text)`: `schema.grant`,
    /// `catalogue.grant`, then `rules-001.grant`, `rules-002.grant`, … with
    /// [`RULES_PER_FILE`] rules each (none when there are no rules). The
    /// number in the name has at least three digits.
    pub fn policy_files(&self) -> Vec<(String, String)> {
        let mut files = vec![
            (
                "schema.grant".to_string(),
                schema::schema_file(
                    "# Generated by grantline-gen: the attributes (the same for every seed).\n\n",
                ),
            ),
            (
                "catalogue.grant".to_string(),
                self.catalogue
                    .file(&self.header("entitlements, roles and separations")),
            ),
        ];
        for (index, chunk) in self.rules.chunks(RULES_PER_FILE).enumerate() {
            let first = index * RULES_PER_FILE + 1;
            let last = first + chunk.len() - 1;
            let mut text = self.header(&format!(
                "rules {} to {}",
                rules::rule_name(first - 1),
                rules::rule_name(last - 1)
            ));
            for (i, rule) in chunk.iter().enumerate() {
                if i > 0 {
                    text.push('\n');
                }
                text.push_str(rule);
            }
            files.push((format!("rules-{:03}.grant", index + 1), text));
        }
        files
    }

    fn identity_line(identity: &IdentityRecord) -> String {
        serde_json::to_string(identity).unwrap_or_else(|_| "null".to_string())
    }

    /// One identity JSON object a line (JSON Lines), each line ending with a
    /// newline.
    pub fn identities_json_lines(&self) -> String {
        let mut out = String::new();
        for identity in &self.identities {
            out.push_str(&Self::identity_line(identity));
            out.push('\n');
        }
        out
    }

    /// A JSON array of the identities, one object a line.
    pub fn identities_json(&self) -> String {
        if self.identities.is_empty() {
            return "[]\n".to_string();
        }
        let mut out = String::from("[\n");
        for (index, identity) in self.identities.iter().enumerate() {
            let comma = if index + 1 < self.identities.len() {
                ","
            } else {
                ""
            };
            let _ = writeln!(out, "  {}{comma}", Self::identity_line(identity));
        }
        out.push_str("]\n");
        out
    }

    /// Writes the policy files, `identities.json` and `identities.jsonl`
    /// into `dir` (created if missing), overwriting files of the same names
    /// and leaving other files alone. Returns the paths written, in order.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let mut written = Vec::new();
        let identities = [
            ("identities.json".to_string(), self.identities_json()),
            ("identities.jsonl".to_string(), self.identities_json_lines()),
        ];
        for (name, text) in self.policy_files().into_iter().chain(identities) {
            let path = dir.join(&name);
            std::fs::write(&path, text)?;
            written.push(path);
        }
        Ok(written)
    }
}
