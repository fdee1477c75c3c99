//! The answer to a Kubernetes admission request, made from the report of the
//! object under review. The Kubewarden policy and `souverain serve` both
//! answer through [`decide`], so a cluster gets the same decision whichever
//! way it runs souverain.

use crate::model::{Finding, Verdict};
use crate::report::FileReport;

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

/// The response fields of an AdmissionReview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Why the request is denied; set only when it is.
    pub message: Option<String>,
    /// Shown by kubectl and client libraries, whatever the decision.
    pub warnings: Vec<String>,
}

/// Decides on one request from the report of its object.
///
/// Failing findings deny in [`Mode::Enforce`]. Findings that do not fail the
/// profile (undetermined ones, under a lenient profile) are warnings in every
/// mode except audit, so that users learn what souverain could not check.
/// Waived findings say nothing: the waiver was written on the object. A
/// request that cannot be read is denied when enforcing: souverain cannot
/// vouch for what it did not read.
pub fn decide(report: &FileReport, mode: Mode) -> Decision {
    // A report with an error has no findings: the two never come together.
    let unreadable = report
        .error
        .as_ref()
        .map(|error| format!("souverain could not read the request: {error}"));
    let failing: Vec<&Finding> = report.findings.iter().filter(|f| f.failing).collect();
    let tolerated = report
        .findings
        .iter()
        .filter(|f| !f.failing && f.waiver.is_none() && f.verdict == Verdict::Undetermined)
        .map(warning);
    match mode {
        Mode::Enforce => {
            let message = unreadable.or_else(|| (!failing.is_empty()).then(|| denial(&failing)));
            Decision {
                allowed: message.is_none(),
                message,
                warnings: tolerated.collect(),
            }
        }
        Mode::Warn => Decision {
            allowed: true,
            message: None,
            warnings: unreadable
                .into_iter()
                .chain(failing.iter().map(|f| warning(f)))
                .chain(tolerated)
                .collect(),
        },
        Mode::Audit => Decision {
            allowed: true,
            message: None,
            warnings: Vec::new(),
        },
    }
}

/// One line per finding, each with its fix: the API server prints this after
/// `admission webhook "…" denied the request:`.
fn denial(failing: &[&Finding]) -> String {
    let mut message = format!(
        "souverain: {} finding{} must be fixed",
        failing.len(),
        if failing.len() == 1 { "" } else { "s" }
    );
    for finding in failing {
        message.push_str(&format!(
            "\n- [{} {}] {} Fix: {}",
            finding.rule,
            finding.name,
            sentence(&finding.message),
            sentence(&finding.help)
        ));
    }
    message
}

fn warning(finding: &Finding) -> String {
    format!(
        "souverain [{} {}, {}] {}",
        finding.rule,
        finding.name,
        finding.verdict.as_str(),
        finding.message
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
