//! "Did you mean" suggestions.

/// The candidates closest to `word`: case-only differences first, then by
/// edit distance, at most three, none too far to be a plausible typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let lower = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter(|candidate| *candidate != word)
        .filter_map(|candidate| {
            let candidate_lower = candidate.to_lowercase();
            if candidate_lower == lower {
                return Some((0, candidate));
            }
            let distance = strsim::levenshtein(&lower, &candidate_lower);
            let is_prefix = candidate_lower.starts_with(&lower) && lower.chars().count() >= 3;
            (distance <= limit || is_prefix).then_some((distance + 1, candidate))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, candidate)| candidate.to_string())
        .collect()
}

/// "did you mean `a` or `b`?" or nothing.
pub fn did_you_mean(suggestions: &[String]) -> Option<String> {
    let quoted: Vec<String> = suggestions.iter().map(|s| format!("`{s}`")).collect();
    match quoted.as_slice() {
        [] => None,
        [one] => Some(format!("did you mean {one}?")),
        [init @ .., last] => Some(format!("did you mean {} or {last}?", init.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_case_only_differences_and_close_typos() {
        let candidates = ["Sales", "Legal", "Finance", "Engineering"];
        assert_eq!(closest("sales", candidates), vec!["Sales"]);
        assert_eq!(closest("Enginering", candidates), vec!["Engineering"]);
        assert!(closest("Marketing", candidates).is_empty());
    }

    #[test]
    fn formats_one_or_several() {
        assert_eq!(did_you_mean(&[]), None);
        assert_eq!(did_you_mean(&["a".into()]).unwrap(), "did you mean `a`?");
        assert_eq!(
            did_you_mean(&["a".into(), "b".into(), "c".into()]).unwrap(),
            "did you mean `a`, `b` or `c`?"
        );
    }
}
