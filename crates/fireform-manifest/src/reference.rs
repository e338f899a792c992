//! The reference syntax: a string that is exactly `${kind/name}` or `${kind/name.attribute}`.
//!
//! Parsing only: whether the target exists and whether the attribute fits the field are the
//! checker's business. Strings without `${` are plain strings; a string containing `${` that
//! is not exactly one well-formed reference is an error, never silently plain text.

use fireform_core::{AddrParseError, Reference, ResourceAddr};

/// What a string value is, as far as references go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// No `${` in it.
    Plain,
    /// A well-formed reference.
    Reference(Reference),
    /// Contains `${` but is not a reference; the text says why.
    Malformed(String),
}

/// Reads a string value.
pub(crate) fn parse(text: &str) -> Parsed {
    if !text.contains("${") {
        return Parsed::Plain;
    }
    let trimmed = text.trim();
    let Some(inner) = trimmed.strip_prefix("${") else {
        return Parsed::Malformed(
            "a reference must be the whole value; text around `${…}` is not supported".to_owned(),
        );
    };
    let Some(inner) = inner.strip_suffix('}') else {
        return Parsed::Malformed(if inner.contains('}') {
            "a reference must be the whole value; text around `${…}` is not supported".to_owned()
        } else {
            "the reference is missing its closing `}`".to_owned()
        });
    };
    if inner.contains("${") || inner.contains('}') {
        return Parsed::Malformed("a value may hold only one reference".to_owned());
    }
    let inner = inner.trim();
    let (addr_text, attribute) = match inner.split_once('.') {
        Some((addr, attribute)) => (addr, Some(attribute)),
        None => (inner, None),
    };
    if let Some(attribute) = attribute
        && (attribute.is_empty()
            || !attribute.chars().all(|c| c.is_ascii_alphanumeric())
            || !attribute.starts_with(|c: char| c.is_ascii_lowercase()))
    {
        return Parsed::Malformed(format!(
            "`{attribute}` is not an attribute name; write `${{kind/name.attribute}}`, e.g. `${{supervised-fine-tuning-job/support-v1.outputModel}}`"
        ));
    }
    match addr_text.parse::<ResourceAddr>() {
        Ok(target) => {
            Parsed::Reference(Reference { target, attribute: attribute.map(str::to_owned) })
        }
        Err(AddrParseError::MissingSlash(_)) => Parsed::Malformed(format!(
            "`{addr_text}` is not an address; references are written `${{kind/name}}`, e.g. `${{dataset/support-chats}}`"
        )),
        Err(error) => Parsed::Malformed(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fireform_core::ResourceKind;

    #[test]
    fn plain_and_references() {
        assert_eq!(parse("accounts/fireworks/models/x"), Parsed::Plain);
        assert_eq!(
            parse("${dataset/chats}"),
            Parsed::Reference(Reference {
                target: ResourceAddr::new(ResourceKind::Dataset, "chats"),
                attribute: None
            })
        );
        assert_eq!(
            parse("${supervised-fine-tuning-job/tune.outputModel}"),
            Parsed::Reference(Reference {
                target: ResourceAddr::new(ResourceKind::SupervisedFineTuningJob, "tune"),
                attribute: Some("outputModel".into())
            })
        );
    }

    #[test]
    fn malformed() {
        for bad in [
            "${dataset/chats",
            "prefix-${dataset/chats}",
            "${dataset/chats}-suffix",
            "${chats}",
            "${deploy/x}",
            "${dataset/Chats}",
            "${dataset/chats.}",
            "${dataset/chats.output-model}",
            "${dataset/a}${dataset/b}",
        ] {
            assert!(matches!(parse(bad), Parsed::Malformed(_)), "{bad}");
        }
    }
}
