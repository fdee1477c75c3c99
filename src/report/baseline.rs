//! Baselines: adopt souverain on an estate that already has findings by
//! recording them (`souverain baseline create`), then failing only on new
//! ones (`souverain scan --baseline FILE`).
//!
//! A finding is recorded by a fingerprint of its input, rule, resource and
//! attribute at fault, never its line: a baseline survives edits that move
//! code around, and a finding comes back when the resource changes in a
//! way that matters (another attribute at fault, another resource).

use super::{FileReport, Report};
use crate::model::{Finding, Waived};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub profile: String,
    /// What was accepted; the fields besides the fingerprint are for the
    /// humans who review the file.
    pub findings: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: String,
    pub resource: String,
    pub file: String,
    pub message: String,
}

impl Baseline {
    /// The failing findings of a report.
    pub fn of(report: &Report) -> Self {
        let mut findings: Vec<Entry> = report
            .files
            .iter()
            .flat_map(|file| file.findings.iter().map(move |f| (file, f)))
            .filter(|(_, finding)| finding.failing)
            .map(|(file, finding)| Entry {
                fingerprint: fingerprint(file, finding),
                rule: finding.rule.to_string(),
                resource: finding.resource.clone(),
                file: file.file.clone(),
                message: finding.message.clone(),
            })
            .collect();
        // Sorted for reviewers; the fingerprint last, so that duplicates
        // are adjacent for dedup.
        findings.sort_by(|a, b| {
            (&a.file, &a.resource, &a.rule, &a.fingerprint).cmp(&(
                &b.file,
                &b.resource,
                &b.rule,
                &b.fingerprint,
            ))
        });
        findings.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        Self {
            version: VERSION,
            profile: report.profile.clone(),
            findings,
        }
    }

    /// Reads a baseline file's JSON.
    pub fn parse(text: &str) -> Result<Self, String> {
        let baseline: Baseline =
            serde_json::from_str(text).map_err(|e| format!("not a souverain baseline: {e}"))?;
        if baseline.version != VERSION {
            return Err(format!(
                "baseline version {} (this souverain reads version {VERSION}); recreate it with `souverain baseline create`",
                baseline.version
            ));
        }
        Ok(baseline)
    }

    pub fn render(&self) -> String {
        let mut out = serde_json::to_string_pretty(self).expect("a baseline serializes");
        out.push('\n');
        out
    }

    /// Marks the findings of `report` that the baseline holds as accepted
    /// (they stay in the report, no longer failing, like waived ones), and
    /// returns the entries that matched nothing: findings fixed since.
    pub fn apply<'b>(&'b self, report: &mut Report, name: &str) -> Vec<&'b Entry> {
        let index: HashMap<&str, usize> = self
            .findings
            .iter()
            .enumerate()
            .map(|(i, e)| (e.fingerprint.as_str(), i))
            .collect();
        let mut used = vec![false; self.findings.len()];
        for file in &mut report.files {
            let prints: Vec<String> = file
                .findings
                .iter()
                .map(|finding| fingerprint(file, finding))
                .collect();
            for (finding, print) in file.findings.iter_mut().zip(prints) {
                if finding.waiver.is_some() {
                    continue;
                }
                if let Some(&entry) = index.get(print.as_str()) {
                    used[entry] = true;
                    finding.failing = false;
                    finding.waiver = Some(Waived {
                        reason: format!("in the baseline {name}"),
                        expires: None,
                    });
                }
            }
        }
        self.findings
            .iter()
            .zip(used)
            .filter(|(_, used)| !used)
            .map(|(entry, _)| entry)
            .collect()
    }
}

/// Input, rule, resource and the attribute at fault: what identifies a
/// finding whatever line it is on.
pub fn fingerprint(file: &FileReport, finding: &Finding) -> String {
    let attribute = finding
        .location
        .as_ref()
        .map_or("", |l| l.attribute.as_str());
    super::fingerprint(&[&file.file, finding.rule, &finding.resource, attribute])
}
