//! The requirement map: every normative sentence of the FTP RFCs
//! (`requirements/rfc*.yaml`), per side the cases that test it, why it
//! cannot be tested from the wire, or what a case would need; its
//! cross-check against the suites' `covers:` lists; the coverage figures.
//!
//! Modules: `raw` (the serde on-disk form), `load` (stage-2 checks),
//! `check` (map against suites), `summary` (figures, text and JSON).

mod check;
mod load;
mod raw;
mod summary;

use crate::verdict::{Loc, Role};

pub use check::check;
pub use load::{load_dir, load_file};
pub use summary::{summary, uncovered, Summary, Tally};

/// The whole map, every file of it, in file order.
#[derive(Debug, Clone, Default)]
pub struct Map {
    pub requirements: Vec<Requirement>,
}

/// One normative sentence of an RFC.
#[derive(Debug, Clone)]
pub struct Requirement {
    /// `rfc959-4.1.1-pass`.
    pub id: String,
    pub rfc: u32,
    pub section: String,
    pub keyword: String,
    pub quote: String,
    /// The sides that the sentence binds: one, or both.
    pub sides: Vec<Side>,
    pub loc: Loc,
}

impl Requirement {
    /// The side of `role`, if the sentence binds that implementation.
    pub fn side(&self, role: Role) -> Option<&Side> {
        self.sides.iter().find(|s| s.role == role)
    }
}

/// One side (server or client) of a requirement.
#[derive(Debug, Clone)]
pub struct Side {
    pub role: Role,
    pub status: Status,
    pub loc: Loc,
}

/// How one side is tested.
#[derive(Debug, Clone)]
pub enum Status {
    /// These cases test it.
    Cases(Vec<CaseRef>),
    /// No case can test it from the wire.
    Untestable { kind: Kind, why: Option<String> },
    /// Testable, without a case yet: what a case would need.
    Gap(String),
}

/// A case named by a requirement: `suite::case`.
#[derive(Debug, Clone)]
pub struct CaseRef {
    pub suite: String,
    pub case: String,
    pub loc: Loc,
}

impl CaseRef {
    /// `suite::case`, as trial names and reports write it.
    pub fn name(&self) -> String {
        format!("{}::{}", self.suite, self.case)
    }
}

macro_rules! kinds {
    ($($kind:ident: $name:literal, $why:literal;)*) => {
        /// Why a side cannot be tested from the wire.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind {
            $($kind,)*
        }

        impl Kind {
            /// Every kind, in the order the docs list them.
            pub const ALL: &[Kind] = &[$(Kind::$kind,)*];

            /// The name written after `untestable:`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Kind::$kind => $name,)*
                }
            }

            /// What the kind means, when the entry gives no `why`.
            pub fn why(self) -> &'static str {
                match self {
                    $(Kind::$kind => $why,)*
                }
            }
        }
    };
}

kinds! {
    Definition: "def",
        "a definition, an example or a remark: it asks nothing a peer could be seen to do or fail on the wire";
    Interface: "interface",
        "about a client program's user interface or its user, not about what it sends";
    Local: "local",
        "about how an implementation stores, converts or computes internally; the wire shows only the result";
    Permission: "permission",
        "a permission: a peer that never uses it conforms, and no peer under test is the one that must tolerate it";
    Policy: "policy",
        "a choice of site policy or configuration, not a protocol behaviour a case can require";
    Provoke: "provoke",
        "needs a condition at the peer (busy, a missing resource) that nothing on the wire can cause";
    Setup: "setup",
        "needs a peer, host or file store set up in a way the harness and its targets are not";
    Mechanism: "mechanism",
        "belongs to a security mechanism other than TLS (GSSAPI, Kerberos, ADAT, MIC/CONF/ENC); the harness speaks AUTH TLS only";
    ThirdParty: "thirdparty",
        "concerns transfers between two servers under one client; the harness runs one target at a time";
    Slow: "slow",
        "needs a wait longer than a case may take";
    Unobservable: "unobservable",
        "what it forbids leaves no trace on the wire";
    Judgement: "judgement",
        "leaves the choice to the implementation's judgement; no case knows the right answer";
}

impl Kind {
    /// The kind called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == name)
    }
}
