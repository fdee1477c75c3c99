//! SARIF 2.1.0 for code-scanning services, with rule metadata from the registry.

use super::Report;
use crate::rules::REGISTRY;
use serde_json::{Value, json};

pub fn render(report: &Report) -> String {
    let rules: Vec<Value> = REGISTRY
        .iter()
        .map(|rule| {
            let meta = rule.meta;
            json!({
                "id": meta.id,
                "name": meta.name,
                "shortDescription": {"text": meta.summary},
                "fullDescription": {"text": meta.summary},
                "help": {"text": meta.summary, "markdown": meta.doc},
                "helpUri": super::rule_doc_url(meta.id),
                "defaultConfiguration": {"level": "error"},
                "properties": {"category": meta.category.as_str(), "severity": meta.severity.as_str()}
            })
        })
        .collect();
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for file in &report.files {
        if let Some(error) = &file.error {
            let location = match file.error_position() {
                Some(p) => json!({"physicalLocation": {
                    "artifactLocation": {"uri": p.file},
                    "region": {"startLine": p.line, "startColumn": p.column}
                }}),
                None => json!({"physicalLocation": {"artifactLocation": {"uri": file.file}}}),
            };
            notifications.push(json!({
                "level": "error",
                "message": {"text": error.to_string()},
                "locations": [location]
            }));
        }
        for finding in &file.findings {
            let at = file.position(finding.span);
            let index = REGISTRY
                .iter()
                .position(|r| r.meta.id == finding.rule)
                .unwrap_or(0);
            let attribute = finding
                .location
                .as_ref()
                .map(|l| l.attribute.as_str())
                .unwrap_or("");
            results.push(json!({
                "ruleId": finding.rule,
                "ruleIndex": index,
                "level": if finding.failing { "error" } else { "warning" },
                "message": {"text": format!("{} Help: {}", finding.message, finding.help)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": at.file},
                        "region": {"startLine": at.line, "startColumn": at.column}
                    },
                    "logicalLocations": [{"fullyQualifiedName": finding.resource, "kind": "resource"}]
                }],
                "partialFingerprints": {
                    "souverain/v1": super::fingerprint(&[finding.rule, &finding.resource, attribute])
                },
                "properties": {"verdict": finding.verdict.as_str(), "category": finding.category.as_str()}
            }));
            if let Some(waiver) = &finding.waiver
                && let Some(result) = results.last_mut()
            {
                result["suppressions"] =
                    json!([{"kind": "inSource", "justification": waiver.reason}]);
            }
        }
    }
    for note in report.all_notes() {
        let mut location = json!({"physicalLocation": {"artifactLocation": {"uri": note.file}}});
        if let Some(line) = note.line {
            location["physicalLocation"]["region"] = json!({"startLine": line});
        }
        notifications.push(json!({
            "level": "note",
            "message": {"text": note.message},
            "locations": [location]
        }));
    }
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "souverain",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/souverain/souverain",
                "rules": rules
            }},
            "invocations": [{
                "executionSuccessful": report.summary().errors == 0,
                "toolExecutionNotifications": notifications
            }],
            "results": results
        }]
    });
    let mut out = serde_json::to_string_pretty(&sarif).unwrap_or_default();
    out.push('\n');
    out
}
