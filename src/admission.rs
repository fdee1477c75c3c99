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
    let failing: Vec<&Finding> = report.findings.iter().filter(|f| f.failing).collect();
    let passing_unsure = report
        .findings
        .iter()
        .filter(|f| !f.failing && f.waiver.is_none() && f.verdict == Verdict::Undetermined);
    let mut warnings: Vec<String> = match mode {
        Mode::Audit => Vec::new(),
        Mode::Enforce | Mode::Warn => passing_unsure.map(warning).collect(),
    };
    if let Some(error) = &report.error {
        let reason = format!("souverain could not read the request: {error}");
        return match mode {
            Mode::Enforce => Decision {
                allowed: false,
                message: Some(reason),
                warnings,
            },
            Mode::Warn => {
                warnings.push(reason);
                Decision {
                    allowed: true,
                    message: None,
                    warnings,
                }
            }
            Mode::Audit => Decision {
                allowed: true,
                message: None,
                warnings,
            },
        };
    }
    match mode {
        Mode::Enforce if !failing.is_empty() => Decision {
            allowed: false,
            message: Some(denial(&failing)),
            warnings,
        },
        Mode::Warn => {
            warnings.splice(0..0, failing.iter().map(|f| warning(f)));
            Decision {
                allowed: true,
                message: None,
                warnings,
            }
        }
        Mode::Enforce | Mode::Audit => Decision {
            allowed: true,
            message: None,
            warnings,
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
