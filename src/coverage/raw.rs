//! The on-disk form of a requirement file (`requirements/rfc*.yaml`):
//! serde structs that mirror the YAML, unknown keys rejected; `load`
//! checks them and builds the serde-free types of `super`.

use serde::Deserialize;

/// One requirement file: the requirements of one RFC.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    /// The RFC number (`959`).
    pub rfc: u32,
    pub title: String,
    pub requirements: Vec<RawRequirement>,
}

/// One normative sentence.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequirement {
    /// `rfc<number>-<section>-<topic>`, unique across the map.
    pub id: String,
    pub section: String,
    /// The requirement word (`must`, `should-not`, `may`...).
    pub keyword: String,
    /// The sentence, verbatim; `...` marks a cut.
    pub quote: String,
    pub direction: RawDirection,
    pub server: Option<RawSide>,
    pub client: Option<RawSide>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RawDirection {
    Server,
    Client,
    Both,
}

/// What tests one side: exactly one of `cases`, `untestable` (with an
/// optional `why`) or `gap`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSide {
    /// `suite::case` ids.
    pub cases: Option<Vec<String>>,
    /// Why no case can test it from the wire: a kind of `super::Kind`.
    pub untestable: Option<String>,
    /// The reason in words, when the kind's own text is not enough.
    pub why: Option<String>,
    /// Testable, no case yet: what a case would need.
    pub gap: Option<String>,
}
