//! "Did you mean …?": the nearest known name to a misspelt one.

/// The candidate most similar to `input`, if any is similar enough to be a likely typo.
/// A case-insensitive exact match always wins.
pub(crate) fn nearest<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let lowered = input.to_ascii_lowercase().replace(['_', '-'], "");
    let mut best: Option<(f64, &'a str)> = None;
    for candidate in candidates {
        if candidate == input {
            continue;
        }
        if candidate.to_ascii_lowercase().replace(['_', '-'], "") == lowered {
            return Some(candidate);
        }
        let score = strsim::jaro_winkler(input, candidate);
        // Jaro-Winkler favours shared prefixes (`US_MARS_1` vs `US_TEXAS_1`); also ask for a
        // small edit distance unless one name extends the other (`minReplica`).
        let extends = candidate.starts_with(input) || input.starts_with(candidate);
        let close = extends || strsim::normalized_damerau_levenshtein(input, candidate) >= 0.65;
        if score >= 0.8 && close && best.is_none_or(|(best_score, _)| score > best_score) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// `did you mean `x`?` for the nearest candidate.
pub fn did_you_mean<'a, I>(input: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    nearest(input, candidates).map(|candidate| format!("did you mean `{candidate}`?"))
}

/// A list of values for a note, `a`, `b`, `c`, cut after `limit` entries.
pub(crate) fn one_of(values: &[&str], limit: usize) -> String {
    let mut listed: Vec<String> =
        values.iter().take(limit).map(|value| format!("`{value}`")).collect();
    if values.len() > limit {
        listed.push(format!("… ({} more)", values.len() - limit));
    }
    listed.join(", ")
}

/// A valid id close to `name`: lowercase, other characters turned into hyphens, trimmed.
pub(crate) fn id_from(name: &str) -> Option<String> {
    let mut id: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    while id.contains("--") {
        id = id.replace("--", "-");
    }
    let id: String = id.trim_matches('-').chars().take(63).collect();
    let id = id.trim_end_matches('-').to_owned();
    fireform_core::is_valid_id(&id).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_typos() {
        let fields = ["minReplicaCount", "maxReplicaCount", "acceleratorType"];
        assert_eq!(nearest("minReplica", fields), Some("minReplicaCount"));
        assert_eq!(nearest("acceleratortype", fields), Some("acceleratorType"));
        assert_eq!(nearest("zzz", fields), None);
        assert_eq!(nearest("Deploymnet", ["Deployment", "Dataset"]), Some("Deployment"));
        assert_eq!(nearest("US_MARS_1", ["US_TEXAS_1", "US_OHIO_1"]), None);
        assert_eq!(
            nearest("NVIDIA_H100", ["NVIDIA_H100_80GB", "NVIDIA_H200_141GB"]),
            Some("NVIDIA_H100_80GB")
        );
        assert_eq!(nearest("outputModl", ["name", "id", "outputModel"]), Some("outputModel"));
    }

    #[test]
    fn ids() {
        assert_eq!(id_from("Shared_Base"), Some("shared-base".into()));
        assert_eq!(id_from("-x-"), Some("x".into()));
        assert_eq!(id_from("!!!"), None);
    }
}
