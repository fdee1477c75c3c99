//! The answer to a Kubernetes admission request, made from the report of the
//! object under review. The Kubewarden policy and `souverain serve` both
//! answer through [`decide`], so a cluster gets the same decision whichever
//! way it runs souverain.

use crate::model::{Finding, Verdict};
use crate::report::FileReport;
use crate::rules;

/// What a failing finding does to the request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Deny, with a message listing each finding and its fix.
    #[default]
    Enforce,
    /// Allow, with each finding as a warning shown to the client.
    Warn,
    /// Allow silently; the host logs and counts what would have been denied.
    Audit,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
            Mode::Audit => "audit",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "enforce" => Ok(Mode::Enforce),
            "warn" => Ok(Mode::Warn),
            "audit" => Ok(Mode::Audit),
            _ => Err(format!(
                "unknown mode `{text}`: expected enforce, warn or audit"
            )),
        }
    }
}

/// The mode of each rule: one for all, and exceptions by rule (a team rolls
/// out the provider rule in `warn` while locations are already enforced).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Modes {
    pub default: Mode,
    /// Rule id (`SOV301`) and its mode; the rule ids are checked on entry.
    by_rule: Vec<(&'static str, Mode)>,
}

impl From<Mode> for Modes {
    fn from(default: Mode) -> Self {
        Self {
            default,
            by_rule: Vec::new(),
        }
    }
}

impl Modes {
    /// Sets the mode of one rule, named by id or name.
    pub fn set(&mut self, rule: &str, mode: Mode) -> Result<(), String> {
        let id = rules::id_of(rule)?;
        self.by_rule.retain(|(known, _)| *known != id);
        self.by_rule.push((id, mode));
        Ok(())
    }

    /// Reads `RULE=MODE` (`SOV301=warn`, `provider-not-qualified=audit`).
    pub fn set_from(&mut self, assignment: &str) -> Result<(), String> {
        let (rule, mode) = assignment
            .split_once('=')
            .ok_or_else(|| format!("`{assignment}`: expected RULE=MODE, as in SOV301=warn"))?;
        self.set(rule.trim(), mode.trim().parse()?)
    }

    pub fn of(&self, rule: &str) -> Mode {
        self.by_rule
            .iter()
            .find(|(id, _)| *id == rule)
            .map_or(self.default, |(_, mode)| *mode)
    }
}

/// What became of one finding in the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Failing under an enforced rule: the request is denied.
    Denied,
    /// Failing under a rule in `warn`: allowed, said to the client.
    Warned,
    /// Failing under a rule in `audit`: allowed silently, for the host to log.
    Audited,
    /// Failing, but the object already failed the same way before this
    /// update: allowed with a warning, so that scaling or relabelling a
    /// workload admitted before the policy is not blocked.
    Existing,
    /// Undetermined, and the profile does not fail on it: a warning.
    Tolerated,
    /// Accepted by a waiver written on the object.
    Waived,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Denied => "denied",
            Outcome::Warned => "warned",
            Outcome::Audited => "audited",
            Outcome::Existing => "existing",
            Outcome::Tolerated => "tolerated",
            Outcome::Waived => "waived",
        }
    }
}

/// The response fields of an AdmissionReview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Why the request is denied; set only when it is.
    pub message: Option<String>,
    /// Shown by kubectl and client libraries, whatever the decision.
    pub warnings: Vec<String>,
    /// Each finding's rule and what became of it, for the host's logs and
    /// metrics.
    pub outcomes: Vec<(&'static str, Outcome)>,
}

/// Decides on one request from the report of its object.
///
/// Failing findings deny when their rule is enforced, warn in `warn`, and
/// say nothing in `audit` (the host logs them from [`Decision::outcomes`]).
/// Findings that do not fail the profile (undetermined ones, under a lenient
/// profile) are warnings in every mode except audit, so that users learn
/// what souverain could not check. Waived findings say nothing: the waiver
/// was written on the object. A request that cannot be read is denied when
/// the default mode enforces: souverain cannot vouch for what it did not
/// read.
pub fn decide(report: &FileReport, modes: &Modes) -> Decision {
    decide_update(report, None, modes)
}

/// [`decide`] for an UPDATE, given the report of the object as it was: a
/// failing finding the old object had too (same rule, same message) is
/// [`Outcome::Existing`], allowed with a warning. Only what the update
/// introduces is denied.
pub fn decide_update(report: &FileReport, old: Option<&FileReport>, modes: &Modes) -> Decision {
    let existed = |finding: &Finding| {
        old.is_some_and(|old| {
            old.findings
                .iter()
                .any(|o| o.failing && o.rule == finding.rule && o.message == finding.message)
        })
    };
    let mut denied = Vec::new();
    let mut warnings = Vec::new();
    let mut outcomes = Vec::new();
    if let Some(error) = &report.error {
        // A report with an error has no findings: the two never come together.
        let reason = format!("souverain could not read the request: {error}");
        match modes.default {
            Mode::Enforce => denied.push(reason),
            Mode::Warn => warnings.push(reason),
            Mode::Audit => {}
        }
    }
    for finding in &report.findings {
        let outcome = match (finding.failing, modes.of(finding.rule)) {
            (true, Mode::Audit) => Outcome::Audited,
            (true, _) if existed(finding) => Outcome::Existing,
            (true, Mode::Enforce) => Outcome::Denied,
            (true, Mode::Warn) => Outcome::Warned,
            (false, _) if finding.waiver.is_some() => Outcome::Waived,
            (false, mode) if finding.verdict == Verdict::Undetermined && mode != Mode::Audit => {
                Outcome::Tolerated
            }
            (false, _) => continue,
        };
        match outcome {
            Outcome::Denied => denied.push(line(finding)),
            Outcome::Warned => warnings.push(warning(finding, finding.verdict.as_str())),
            Outcome::Existing => warnings.push(warning(finding, "already before this update")),
            Outcome::Tolerated => warnings.push(warning(finding, finding.verdict.as_str())),
            Outcome::Audited | Outcome::Waived => {}
        }
        outcomes.push((finding.rule, outcome));
    }
    let message = match (report.error.is_some(), denied.len()) {
        (_, 0) => None,
        (true, _) => denied.pop(),
        (false, count) => Some(format!(
            "souverain: {count} finding{} must be fixed\n{}",
            if count == 1 { "" } else { "s" },
            denied.join("\n")
        )),
    };
    Decision {
        allowed: message.is_none(),
        message,
        warnings,
        outcomes,
    }
}

/// One line of a denial, with its fix: the API server prints the denial
/// after `admission webhook "…" denied the request:`.
fn line(finding: &Finding) -> String {
    format!(
        "- [{} {}] {} Fix: {}",
        finding.rule,
        finding.name,
        sentence(&finding.message),
        sentence(&finding.help)
    )
}

fn warning(finding: &Finding, why: &str) -> String {
    format!(
        "souverain [{} {}, {why}] {}",
        finding.rule, finding.name, finding.message
    )
}

/// Closed with a full stop, so that a finding and its fix read as two
/// sentences on one line.
fn sentence(text: &str) -> String {
    let text = text.trim_end();
    if text.ends_with(['.', '!', '?']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_modes_are_read_by_id_or_name_and_checked() {
        let mut modes = Modes::from(Mode::Enforce);
        modes.set_from("SOV301=warn").unwrap();
        modes.set_from("storage-unencrypted = audit").unwrap();
        assert_eq!(modes.of("SOV301"), Mode::Warn);
        assert_eq!(modes.of("SOV201"), Mode::Audit);
        assert_eq!(modes.of("SOV101"), Mode::Enforce);
        modes.set_from("sov301=enforce").unwrap();
        assert_eq!(modes.of("SOV301"), Mode::Enforce, "the last setting wins");
        let unknown = modes.set_from("SOV999=warn").unwrap_err();
        assert!(unknown.contains("unknown rule `SOV999`"), "{unknown}");
        assert!(
            unknown.contains("SOV101 (location-outside-france)"),
            "{unknown}"
        );
        let bad = modes.set_from("SOV101=block").unwrap_err();
        assert!(bad.contains("expected enforce, warn or audit"), "{bad}");
        assert!(modes.set_from("SOV101").unwrap_err().contains("RULE=MODE"));
    }
}
