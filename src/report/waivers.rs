//! The waivers file (`.souverain.yaml`): findings accepted by rule and
//! resource or path, each with a reason and an expiry, kept beside the code
//! when a comment in it is not possible (generated plans, vendored
//! manifests) or not wanted.
//!
//! ```yaml
//! waivers:
//!   - rule: SOV101                      # id or name; a list is accepted
//!     resource: module.partner.*        # resource address, `*` for any characters
//!     path: infra/partner/**            # file, relative to this file; `*` stays in a directory
//!     reason: Partner API in Frankfurt, DPO decision 2026-07
//!     expires: 2027-06-30
//! ```
//!
//! A waiver needs a reason and a resource or a path: a rule waived
//! everywhere is `--ignore`. Expired waivers stop applying and are
//! reported; so are waivers that matched nothing.

use super::{Report, RunNote};
use crate::model::Waived;
use crate::rules;
use serde_json::Value;

/// A parsed waivers file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaiversFile {
    /// As named to the user (for its line numbers in messages).
    pub name: String,
    pub waivers: Vec<FileWaiver>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileWaiver {
    pub rules: Vec<&'static str>,
    pub resource: Option<String>,
    pub path: Option<String>,
    pub reason: String,
    pub expires: Option<String>,
    /// 1-based line of the waiver in the file.
    pub line: usize,
}

impl WaiversFile {
    /// Reads the file; every problem is listed with its line.
    pub fn parse(name: &str, text: &str) -> Result<Self, Vec<String>> {
        let document = crate::yaml::parse(text).map_err(|e| {
            vec![format!(
                "{name}:{}: invalid YAML: {}",
                e.line.unwrap_or(1),
                e.message
            )]
        })?;
        let at = |pointer: &str| document.line_of(pointer).unwrap_or(1);
        let mut problems = Vec::new();
        let mut waivers = Vec::new();
        let root = document.value.as_object();
        if let Some(key) = root.and_then(|o| o.keys().find(|k| *k != "waivers")) {
            problems.push(format!(
                "{name}:{}: unknown key `{key}` (the file holds `waivers`)",
                at(&format!("/{key}"))
            ));
        }
        let Some(list) = document.value.get("waivers").and_then(Value::as_array) else {
            problems.push(format!("{name}:1: expected `waivers:`, a list of waivers"));
            return Err(problems);
        };
        for (index, entry) in list.iter().enumerate() {
            let pointer = format!("/waivers/{index}");
            let line = at(&pointer);
            let mut problem = |field: &str, message: String| {
                let field_line = at(&format!("{pointer}/{field}"));
                problems.push(format!("{name}:{field_line}: {message}"));
            };
            let Some(entry) = entry.as_object() else {
                problem(
                    "",
                    "a waiver is a mapping with rule, resource or path, reason, expires".into(),
                );
                continue;
            };
            for key in entry.keys() {
                if !["rule", "resource", "path", "reason", "expires"].contains(&key.as_str()) {
                    problem(
                        key,
                        format!(
                            "unknown key `{key}` (expected rule, resource, path, reason, expires)"
                        ),
                    );
                }
            }
            let names: Vec<&str> = match entry.get("rule") {
                Some(Value::String(rule)) => vec![rule.as_str()],
                Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if names.is_empty() {
                problem("rule", "a waiver names its rule (`rule: SOV101`)".into());
            }
            let mut ids = Vec::new();
            for rule in names {
                match rules::id_of(rule) {
                    Ok(id) => ids.push(id),
                    Err(message) => problem("rule", message),
                }
            }
            let text = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_string);
            let reason = text("reason").filter(|r| !r.trim().is_empty());
            if reason.is_none() {
                problem("reason", "a waiver says why (`reason: …`)".into());
            }
            let (resource, path) = (text("resource"), text("path"));
            if resource.is_none() && path.is_none() {
                problem(
                    "",
                    "a waiver names a `resource` or a `path`; to turn a rule off everywhere, use --ignore".into(),
                );
            }
            let expires = text("expires");
            if let Some(date) = &expires
                && !crate::is_date(date)
            {
                problem("expires", format!("`{date}` is not a date: use YYYY-MM-DD"));
            }
            waivers.push(FileWaiver {
                rules: ids,
                resource,
                path,
                reason: reason.unwrap_or_default(),
                expires,
                line,
            });
        }
        if problems.is_empty() {
            Ok(Self {
                name: name.to_string(),
                waivers,
            })
        } else {
            Err(problems)
        }
    }

    /// Accepts the findings the waivers cover (waivers written in the code
    /// win). `relative` turns a finding's file name into its path relative
    /// to this file's directory; `today` (`YYYY-MM-DD`) decides expiry.
    /// Expired waivers that would have applied, and waivers that matched
    /// nothing, are noted in the report.
    pub fn apply(
        &self,
        report: &mut Report,
        today: Option<&str>,
        relative: &dyn Fn(&str) -> String,
    ) {
        let mut used = vec![false; self.waivers.len()];
        let mut expired_hit = vec![false; self.waivers.len()];
        for file in &mut report.files {
            let paths: Vec<String> = file
                .findings
                .iter()
                .map(|f| relative(file.position(f.span).file))
                .collect();
            for (finding, path) in file.findings.iter_mut().zip(paths) {
                if finding.waiver.is_some() {
                    continue;
                }
                let covering = self.waivers.iter().enumerate().find(|(_, w)| {
                    w.rules.contains(&finding.rule)
                        && w.resource
                            .as_deref()
                            .is_none_or(|g| glob(g, &finding.resource, true))
                        && w.path.as_deref().is_none_or(|g| glob(g, &path, false))
                });
                let Some((index, waiver)) = covering else {
                    continue;
                };
                let expired = match (&waiver.expires, today) {
                    (Some(date), Some(today)) => today > date.as_str(),
                    _ => false,
                };
                if expired {
                    expired_hit[index] = true;
                    continue;
                }
                used[index] = true;
                finding.failing = false;
                finding.waiver = Some(Waived {
                    reason: waiver.reason.clone(),
                    expires: waiver.expires.clone(),
                });
            }
        }
        for (index, waiver) in self.waivers.iter().enumerate() {
            let what = format!(
                "waiver of {} for {}",
                waiver.rules.join(", "),
                waiver
                    .resource
                    .as_deref()
                    .or(waiver.path.as_deref())
                    .unwrap_or_default()
            );
            let message = if expired_hit[index] {
                format!(
                    "{what} expired on {}: its findings fail again",
                    waiver.expires.as_deref().unwrap_or_default()
                )
            } else if !used[index] {
                format!("{what} matched no finding: remove it")
            } else {
                continue;
            };
            report.notes.push(RunNote {
                file: self.name.clone(),
                line: Some(waiver.line),
                message,
            });
        }
    }
}

/// `*` matches any characters (but `/` when `star_crosses_slash` is off),
/// `**` any characters, `?` one character.
pub fn glob(pattern: &str, text: &str, star_crosses_slash: bool) -> bool {
    fn go(p: &[char], t: &[char], cross: bool) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => {
                let (any, rest) = if p.get(1) == Some(&'*') {
                    (true, &p[2..])
                } else {
                    (cross, &p[1..])
                };
                // `**/` also matches no directory at all.
                if any && rest.first() == Some(&'/') && go(&rest[1..], t, cross) {
                    return true;
                }
                (0..=t.len())
                    .take_while(|&i| i == 0 || any || t[i - 1] != '/')
                    .any(|i| go(rest, &t[i..], cross))
            }
            Some('?') => !t.is_empty() && go(&p[1..], &t[1..], cross),
            Some(c) => t.first() == Some(c) && go(&p[1..], &t[1..], cross),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t, star_crosses_slash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_addresses_and_paths() {
        let cases = [
            (
                "module.partner.*",
                "module.partner.aws_s3_bucket.b",
                true,
                true,
            ),
            ("aws_s3_bucket.logs", "aws_s3_bucket.logs", true, true),
            ("aws_s3_bucket.logs", "aws_s3_bucket.logs2", true, false),
            ("Pod/*/web", "Pod/default/web", true, true),
            ("infra/*.tf", "infra/main.tf", false, true),
            ("infra/*.tf", "infra/legacy/main.tf", false, false),
            ("infra/**", "infra/legacy/main.tf", false, true),
            ("**/main.tf", "main.tf", false, true),
            ("**/main.tf", "a/b/main.tf", false, true),
            ("k8s/?.yaml", "k8s/a.yaml", false, true),
        ];
        for (pattern, text, cross, expected) in cases {
            assert_eq!(glob(pattern, text, cross), expected, "{pattern} ~ {text}");
        }
    }

    #[test]
    fn every_problem_of_a_file_is_listed_with_its_line() {
        let text = "waivers:\n  - rule: SOV999\n    resource: a.b\n  - rule: SOV101\n    path: x\n    expires: soon\n    color: red\n  - rule: SOV201\n    reason: everywhere\n";
        let problems = WaiversFile::parse(".souverain.yaml", text).unwrap_err();
        let expected = [
            ".souverain.yaml:2: unknown rule `SOV999`",
            ".souverain.yaml:2: a waiver says why",
            ".souverain.yaml:4: a waiver says why",
            ".souverain.yaml:6: `soon` is not a date",
            ".souverain.yaml:7: unknown key `color`",
            ".souverain.yaml:8: a waiver names a `resource` or a `path`",
        ];
        for prefix in expected {
            assert!(
                problems.iter().any(|p| p.starts_with(prefix)),
                "{prefix} missing from {problems:#?}"
            );
        }
    }
}
