//! The rules, one per file, in one folder per group.

mod analysis;
mod explosion;
mod population;
mod provisioning;

use crate::registry::Rule;

/// Every rule (unordered; the registry sorts them by code).
pub(crate) fn all() -> Vec<&'static dyn Rule> {
    let mut rules = Vec::new();
    rules.extend(explosion::rules());
    rules.extend(provisioning::rules());
    rules.extend(analysis::rules());
    rules.extend(population::rules());
    rules
}
