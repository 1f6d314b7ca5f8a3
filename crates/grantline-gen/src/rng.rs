//! The generator's own pseudo-random numbers: SplitMix64.
//!
//! SplitMix64 (Steele, Lea and Flood, 2014) is a 64-bit generator defined
//! entirely by wrapping integer arithmetic, so a seed gives the same stream
//! on every platform, compiler and version of this crate's dependencies.
//! Every draw below is integer-only (no floating point), and ranges use the
//! widening multiply of Lemire's method, so they too are the same everywhere.
//! Changing this file changes every generated workload: don't, or say so in
//! the change log.

/// A SplitMix64 stream.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// An independent stream for one part of the workload (catalogue, rules,
    /// identities), so that the identities of a seed do not depend on the
    /// number of rules and the other way round.
    pub(crate) fn stream(seed: u64, stream: u64) -> Rng {
        let mut mixer = Rng::new(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        Rng::new(mixer.next_u64())
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`; 0 when `n` is 0.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let wide = u128::from(self.next_u64()) * u128::from(n);
        // The high half is < n, so it fits in usize.
        (wide >> 64) as usize
    }

    /// Uniform in `low..=high` (`low` when `high < low`).
    pub(crate) fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = high.abs_diff(low).saturating_add(1);
        let wide = u128::from(self.next_u64()) * u128::from(span);
        low.wrapping_add((wide >> 64) as i64)
    }

    /// True with probability `per_mille / 1000`.
    pub(crate) fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < per_mille as usize
    }

    /// An index drawn with the given integer weights (0 if all are 0).
    pub(crate) fn weighted(&mut self, weights: impl Iterator<Item = u32> + Clone) -> usize {
        let total: u64 = weights.clone().map(u64::from).sum();
        if total == 0 {
            return 0;
        }
        let mut point = self.below(total as usize) as u64;
        for (index, weight) in weights.enumerate() {
            let weight = u64::from(weight);
            if point < weight {
                return index;
            }
            point -= weight;
        }
        0
    }

    /// A uniformly chosen element.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn splitmix64_matches_the_reference_stream() {
        // Reference values of SplitMix64 from seed 1234567 (the test vector
        // of the reference C implementation by Sebastiano Vigna).
        let mut rng = Rng::new(1_234_567);
        let first: Vec<u64> = (0..5).map(|_| rng.next_u64()).collect();
        assert_eq!(
            first,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821,
            ]
        );
    }

    #[test]
    fn ranges_stay_in_range() {
        let mut rng = Rng::new(7);
        for n in 1..50 {
            assert!(rng.below(n) < n);
            let x = rng.between(-3, 3);
            assert!((-3..=3).contains(&x));
        }
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.between(5, 5), 5);
    }
}
