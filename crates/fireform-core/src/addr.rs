//! Resource addresses: `kind/name`, the key of a resource in plans, state and references.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ResourceKind;

/// The address of a resource: its kind and its name, written `deployment/shared-base`.
///
/// Addresses order by kind (in [`ResourceKind::ALL`] order), then by name, which is the order
/// of every listing fireform prints.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceAddr {
    /// The kind of the resource.
    pub kind: ResourceKind,
    /// The name of the resource: the Fireworks resource id where the API lets the client
    /// choose one.
    pub name: String,
}

impl ResourceAddr {
    /// Builds an address from its parts. The name is not validated.
    pub fn new(kind: ResourceKind, name: impl Into<String>) -> ResourceAddr {
        ResourceAddr { kind, name: name.into() }
    }
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.addr_prefix(), self.name)
    }
}

/// Why a string is not a resource address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddrParseError {
    /// There is no `/` between kind and name.
    #[error(
        "`{0}` is not an address; addresses are written `kind/name`, e.g. `deployment/shared-base`"
    )]
    MissingSlash(String),
    /// The part before `/` is not a known kind prefix.
    #[error("unknown resource kind `{0}` in address")]
    UnknownKind(String),
    /// The name breaks the id rule.
    #[error(
        "`{0}` is not a valid name: use 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit"
    )]
    InvalidName(String),
}

impl FromStr for ResourceAddr {
    type Err = AddrParseError;

    fn from_str(text: &str) -> Result<ResourceAddr, AddrParseError> {
        let (prefix, name) =
            text.split_once('/').ok_or_else(|| AddrParseError::MissingSlash(text.to_owned()))?;
        let kind = ResourceKind::from_addr_prefix(prefix)
            .ok_or_else(|| AddrParseError::UnknownKind(prefix.to_owned()))?;
        if !is_valid_id(name) {
            return Err(AddrParseError::InvalidName(name.to_owned()));
        }
        Ok(ResourceAddr::new(kind, name))
    }
}

impl Serialize for ResourceAddr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ResourceAddr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ResourceAddr, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Whether `id` is a valid Fireworks resource id under fireform's conservative rule
/// `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`.
pub fn is_valid_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    let allowed = |byte: &u8| byte.is_ascii_lowercase() || byte.is_ascii_digit();
    match bytes {
        [] => false,
        [only] => allowed(only),
        [first, middle @ .., last] => {
            bytes.len() <= 63
                && allowed(first)
                && allowed(last)
                && middle.iter().all(|byte| allowed(byte) || *byte == b'-')
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays() {
        let addr: ResourceAddr = "lora-addon/support-v1".parse().expect("valid address");
        assert_eq!(addr, ResourceAddr::new(ResourceKind::LoraAddon, "support-v1"));
        assert_eq!(addr.to_string(), "lora-addon/support-v1");
    }

    #[test]
    fn rejects_bad_addresses() {
        assert_eq!(
            "deployment".parse::<ResourceAddr>(),
            Err(AddrParseError::MissingSlash("deployment".into()))
        );
        assert_eq!(
            "deploy/x".parse::<ResourceAddr>(),
            Err(AddrParseError::UnknownKind("deploy".into()))
        );
        assert_eq!(
            "dataset/Bad".parse::<ResourceAddr>(),
            Err(AddrParseError::InvalidName("Bad".into()))
        );
    }

    #[test]
    fn id_rule() {
        for good in ["a", "0", "a-b", "abc123", &"a".repeat(63)] {
            assert!(is_valid_id(good), "{good}");
        }
        for bad in ["", "-a", "a-", "A", "a_b", "a.b", &"a".repeat(64)] {
            assert!(!is_valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn orders_by_kind_then_name() {
        let mut addrs: Vec<ResourceAddr> = ["dataset/b", "deployment/z", "dataset/a"]
            .iter()
            .map(|text| text.parse().expect("valid address"))
            .collect();
        addrs.sort();
        let texts: Vec<String> = addrs.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["deployment/z", "dataset/a", "dataset/b"]);
    }

    #[test]
    fn serde_as_string() {
        let addr = ResourceAddr::new(ResourceKind::Dataset, "chats");
        let json = serde_json::to_string(&addr).expect("serialises");
        assert_eq!(json, r#""dataset/chats""#);
        let back: ResourceAddr = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, addr);
    }
}
