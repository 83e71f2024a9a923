//! "Did you mean ...?": the closest known name to a misspelt one.

/// Edit distance with adjacent transpositions (optimal string alignment), on chars; any
/// distance over `bound` may come back as `bound + 1`.
// PANIC SAFETY: `i` runs over `1..=a.len()` and `j` over `1..=b.len()`. The three rows have
// `b.len() + 1` entries, read at `0`, `j`, `j - 1`, `j - 2` (only when `j > 1`) and `b.len()`;
// `a` is read at `i - 1` and `i - 2` (only when `i > 1`), and `b` at `j - 1` and `j - 2` (only
// when `j > 1`).
#[allow(clippy::indexing_slicing)]
fn distance(a: &str, b: &str, bound: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    let mut prev_min = 0;
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(prev2[j - 2] + 1);
            }
            cur[j] = best;
        }
        // Every later cell adds to a cell of this row or the one before: when both rows are
        // over the bound, so is the distance.
        let cur_min = cur.iter().copied().min().unwrap_or(0);
        if cur_min > bound && prev_min > bound {
            return bound + 1;
        }
        prev_min = cur_min;
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `name`, if it is close enough to be a plausible misspelling
/// (case-insensitive equality always is).
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    plausible(name, candidates)
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// The plausible misspellings of `name` among `candidates`, closest first, at most `n`.
pub fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<&'a str> {
    let mut found: Vec<(usize, &str)> = plausible(name, candidates).collect();
    found.sort_unstable();
    found.into_iter().take(n).map(|(_, c)| c).collect()
}

/// Each candidate that is a plausible misspelling of `name`, with its distance.
fn plausible<'a, 'n, I: IntoIterator<Item = &'a str>>(
    name: &'n str,
    candidates: I,
) -> impl Iterator<Item = (usize, &'a str)> + use<'a, 'n, I> {
    let lower = name.to_lowercase();
    let lower_chars = lower.chars().count();
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(move |c| *c != name)
        .filter_map(move |c| {
            let c_lower = c.to_lowercase();
            let related = (c.len() >= 3 && lower.starts_with(&c_lower))
                || (c.len() > 3
                    && lower.len() >= 3
                    && (c.contains(&lower) || lower.contains(&c_lower)));
            // The distance is at least the difference in length: a name that far off is
            // only a candidate when related, and then its distance ranks it. (A file whose
            // every rule names a missing type asks this of thousands of names per error.)
            if !related && c_lower.chars().count().abs_diff(lower_chars) > limit {
                return None;
            }
            let d = if c_lower == lower {
                0
            } else {
                // A related name is ranked by its distance, however far; another only counts
                // within the limit.
                distance(
                    &lower,
                    &c_lower,
                    if related { usize::MAX - 1 } else { limit },
                )
            };
            (d <= limit || related).then_some((d, c))
        })
}

/// The help line for a misspelt name: "did you mean `x`?".
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    suggest(name, candidates).map(|s| format!("did you mean `{s}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_ranks_the_plausible_names_and_suggest_takes_the_first() {
        let names = ["fraud_calls", "other_rule", "fraud_call", "fraud"];
        assert_eq!(
            closest("fraud_cal", names, 3),
            ["fraud_call", "fraud_calls", "fraud"]
        );
        assert_eq!(closest("fraud_cal", names, 1), ["fraud_call"]);
        assert_eq!(suggest("fraud_cal", names), Some("fraud_call"));
        assert!(closest("zzz", names, 3).is_empty());
    }

    #[test]
    fn a_bounded_distance_is_exact_within_its_bound() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "abc",
            "acb",
            "callee",
            "caller",
            "callee_age",
        ];
        for a in words {
            for b in words {
                let exact = distance(a, b, usize::MAX - 1);
                for bound in 0..4 {
                    let bounded = distance(a, b, bound);
                    if exact <= bound {
                        assert_eq!(bounded, exact, "{a:?} {b:?} within {bound}");
                    } else {
                        assert!(bounded > bound, "{a:?} {b:?} over {bound}");
                    }
                }
            }
        }
        assert_eq!(distance("ab", "ba", 5), 1, "a transposition is one edit");
    }

    #[test]
    fn finds_close_names_only() {
        let fields = ["caller", "callee", "callee_age", "duration", "region"];
        assert_eq!(suggest("calee_age", fields), Some("callee_age"));
        assert_eq!(suggest("durtaion", fields), Some("duration"));
        assert_eq!(suggest("Region", fields), Some("region"));
        assert_eq!(suggest("zzz", fields), None);
    }
}
