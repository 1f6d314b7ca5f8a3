//! "Did you mean" for commands, attributes, values and rules.

/// Edit distance in characters.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let delete = previous.get(j + 1).copied().unwrap_or(0) + 1;
            let insert = current.last().copied().unwrap_or(0) + 1;
            current.push(substitute.min(delete).min(insert));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

/// The candidates closest to `word`: case-only differences first, then
/// candidates it begins, then by edit distance; at most three, none too far
/// to be a plausible typo.
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
            if candidate_lower.starts_with(&lower) && lower.chars().count() >= 2 {
                return Some((1, candidate));
            }
            let distance = levenshtein(&lower, &candidate_lower);
            (distance <= limit).then_some((distance + 1, candidate))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    // A case-only difference or a completion beats any typo.
    if scored.first().is_some_and(|(score, _)| *score <= 1) {
        scored.retain(|(score, _)| *score <= 1);
    }
    scored
        .into_iter()
        .take(3)
        .map(|(_, candidate)| candidate.to_string())
        .collect()
}

/// "; did you mean `a`?", "; did you mean `a` or `b`?" or nothing.
pub fn did_you_mean(suggestions: &[String]) -> String {
    let quoted: Vec<String> = suggestions.iter().map(|s| format!("`{s}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => format!("; did you mean {one}?"),
        [init @ .., last] => format!("; did you mean {} or {last}?", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_prefixes_and_case_differences() {
        let commands = [":eval", ":explain", ":help", ":set", ":unset"];
        assert_eq!(closest(":evl", commands), vec![":eval"]);
        assert_eq!(closest(":exp", commands), vec![":explain"]);
        assert_eq!(closest(":EVAL", commands), vec![":eval"]);
        assert!(closest(":frobnicate", commands).is_empty());
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }

    #[test]
    fn formats_one_or_several() {
        assert_eq!(did_you_mean(&[]), "");
        assert_eq!(did_you_mean(&["a".into()]), "; did you mean `a`?");
        assert_eq!(
            did_you_mean(&["a".into(), "b".into(), "c".into()]),
            "; did you mean `a`, `b` or `c`?"
        );
    }
}
