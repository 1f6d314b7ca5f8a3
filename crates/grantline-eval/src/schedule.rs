//! The instants at which a person's decision can change with time alone.
//!
//! Conditions do not depend on the instant; windows do. A decision can only
//! change where a window of a rule with effect for the identity opens or
//! closes (an entitlement's `at most` cap included), so a provisioning plan
//! that evaluates the identity at each of those instants sees every future
//! change: a grant that opens, one that closes, a deny that begins or ends.

use chrono::{DateTime, Utc};

use crate::compile::CEffect;
use crate::{cap_end, decide, Evaluator, Identity, WindowEval};

impl Evaluator {
    /// The instants after `after`, ascending and without repeats, at which
    /// a window of a rule with effect for `identity` opens or closes: a
    /// grant whose condition is true, a deny whose condition is not false.
    /// Between two consecutive instants (and after the last) the decision
    /// changes only through custom checks, which see the evaluation instant.
    ///
    /// Uses the index: only the rules [`examined_rules`](Self::examined_rules)
    /// lists can have effect.
    pub fn window_instants(&self, identity: &Identity, after: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let (values, _, _) = self.adopt_checked(identity, after);
        let compiled = &self.compiled;
        let tz = compiled.timezone;
        let mut instants = Vec::new();
        decide::with_scratch(|s| {
            self.find_candidates(&values, s);
            for index in s.candidates.iter().map(|&rule| rule as usize) {
                // No effect (a grant whose condition is not true, a deny
                // whose condition is false): its window changes nothing.
                if self
                    .effective_truth(index, &values, Some(&s.codes))
                    .is_none()
                {
                    continue;
                }
                let Some(rule) = compiled.rules.get(index) else {
                    continue;
                };
                let WindowEval::Known { from, close, .. } = rule.window.eval(&values, tz) else {
                    // A missing window attribute: the same at every instant.
                    continue;
                };
                instants.extend(from.map(|(opens, _)| opens));
                instants.extend(close);
                // The `at most` caps of the granted entitlements, counted
                // from the window's first day.
                if let (CEffect::Grant(targets), Some((_, first_day))) = (&rule.effect, from) {
                    instants.extend(targets.iter().filter_map(|target| {
                        let cap = compiled
                            .entitlements
                            .get(target.entitlement)?
                            .max_duration?;
                        cap_end(tz, first_day, cap)
                    }));
                }
            }
        });
        instants.retain(|instant| *instant > after);
        instants.sort_unstable();
        instants.dedup();
        instants
    }
}
