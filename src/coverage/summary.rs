//! The coverage figures: per RFC and side, how many requirement sides a
//! case tests among the testable ones; as a text table or JSON, and the
//! list of testable sides without a case.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{json, Value};

use super::{Kind, Map, Status};
use crate::verdict::Role;

/// The counts of one RFC and side (or of a total).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Sides with at least one case.
    pub covered: usize,
    /// Testable sides without a case.
    pub gaps: usize,
    /// Sides no case can test from the wire.
    pub untestable: usize,
}

impl Tally {
    pub fn testable(&self) -> usize {
        self.covered + self.gaps
    }

    /// Covered share of the testable sides, in percent (0 with none).
    pub fn percent(&self) -> f64 {
        if self.testable() == 0 {
            return 0.0;
        }
        100.0 * self.covered as f64 / self.testable() as f64
    }

    fn add(&mut self, other: Tally) {
        self.covered += other.covered;
        self.gaps += other.gaps;
        self.untestable += other.untestable;
    }
}

/// The figures of a map.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Per RFC, per side.
    pub rows: BTreeMap<(u32, Role), Tally>,
    /// Untestable sides per kind.
    pub kinds: BTreeMap<Kind, usize>,
}

/// Counts every side of `map`.
pub fn summary(map: &Map) -> Summary {
    let mut out = Summary::default();
    for req in &map.requirements {
        for side in &req.sides {
            let tally = out.rows.entry((req.rfc, side.role)).or_default();
            match &side.status {
                Status::Cases(_) => tally.covered += 1,
                Status::Gap(_) => tally.gaps += 1,
                Status::Untestable { kind, .. } => {
                    tally.untestable += 1;
                    *out.kinds.entry(*kind).or_default() += 1;
                }
            }
        }
    }
    out
}

impl Summary {
    /// The total of one side over every RFC.
    pub fn role_total(&self, role: Role) -> Tally {
        let mut t = Tally::default();
        for (_, tally) in self.rows.iter().filter(|((_, r), _)| *r == role) {
            t.add(*tally);
        }
        t
    }

    /// The total of both sides.
    pub fn total(&self) -> Tally {
        let mut t = self.role_total(Role::Server);
        t.add(self.role_total(Role::Client));
        t
    }

    /// The figures as an aligned text table, one line per RFC and side.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let head = (
            "RFC",
            "side",
            "covered",
            "testable",
            "share",
            "gaps",
            "untestable",
        );
        let _ = writeln!(
            out,
            "{:<8} {:<7} {:>8} {:>9} {:>7} {:>5} {:>11}",
            head.0, head.1, head.2, head.3, head.4, head.5, head.6
        );
        for ((rfc, role), t) in &self.rows {
            out += &line(&format!("{rfc}"), role.as_str(), t);
        }
        out += &line("all", "server", &self.role_total(Role::Server));
        out += &line("all", "client", &self.role_total(Role::Client));
        out += &line("all", "both", &self.total());
        let kinds: Vec<String> = self
            .kinds
            .iter()
            .map(|(k, n)| format!("{} {n}", k.name()))
            .collect();
        let _ = writeln!(out, "untestable by kind: {}", kinds.join(", "));
        out
    }

    /// The figures as JSON.
    pub fn json(&self) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|((rfc, role), t)| {
                let mut v = tally_json(t);
                v["rfc"] = json!(rfc);
                v["side"] = json!(role.as_str());
                v
            })
            .collect();
        let kinds: BTreeMap<&str, usize> = self.kinds.iter().map(|(k, n)| (k.name(), *n)).collect();
        json!({
            "rows": rows,
            "server": tally_json(&self.role_total(Role::Server)),
            "client": tally_json(&self.role_total(Role::Client)),
            "total": tally_json(&self.total()),
            "untestable_kinds": kinds,
        })
    }
}

fn line(rfc: &str, side: &str, t: &Tally) -> String {
    let share = match t.testable() {
        0 => "-".to_string(),
        _ => format!("{:.1}%", t.percent()),
    };
    format!(
        "{:<8} {:<7} {:>8} {:>9} {:>7} {:>5} {:>11}\n",
        rfc,
        side,
        t.covered,
        t.testable(),
        share,
        t.gaps,
        t.untestable
    )
}

fn tally_json(t: &Tally) -> Value {
    json!({
        "covered": t.covered,
        "testable": t.testable(),
        "gaps": t.gaps,
        "untestable": t.untestable,
        "percent": (t.testable() > 0).then(|| (t.percent() * 10.0).round() / 10.0),
    })
}

/// The testable sides without a case: `id side section: what a case needs`.
pub fn uncovered(map: &Map) -> Vec<(String, Role, String, String)> {
    let mut out = Vec::new();
    for req in &map.requirements {
        for side in &req.sides {
            if let Status::Gap(need) = &side.status {
                out.push((req.id.clone(), side.role, req.section.clone(), need.clone()));
            }
        }
    }
    out
}
