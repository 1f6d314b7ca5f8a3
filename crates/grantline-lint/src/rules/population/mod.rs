//! Rules that need a population (`--people`): what the policy set does to
//! real people.

mod gl107_few_matches;
mod gl108_access_bundles;
mod gl206_widely_held;

use crate::registry::Rule;

pub(crate) fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &gl107_few_matches::FewMatches,
        &gl108_access_bundles::AccessBundles,
        &gl206_widely_held::WidelyHeld,
    ]
}
