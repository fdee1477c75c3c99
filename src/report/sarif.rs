//! SARIF 2.1.0 for code-scanning services, with rule metadata from the registry.
//!
//! The log is written from borrowed, typed structs: a report of 50,000
//! resources built as a `serde_json::Value` tree took three times the memory
//! and time of the JSON report. Fields are declared in alphabetical order, the
//! order SARIF consumers and our snapshots have always seen.

use super::Report;
use crate::rules::REGISTRY;
use serde::Serialize;

pub fn render(report: &Report) -> String {
    let rules = REGISTRY
        .iter()
        .map(|rule| {
            let meta = rule.meta;
            Rule {
                default_configuration: Level { level: "error" },
                full_description: Text { text: meta.summary },
                help: Help {
                    markdown: meta.doc,
                    text: meta.summary,
                },
                help_uri: super::rule_doc_url(meta.id),
                id: meta.id,
                name: meta.name,
                properties: RuleProperties {
                    category: meta.category.as_str(),
                    severity: meta.severity.as_str(),
                },
                short_description: Text { text: meta.summary },
            }
        })
        .collect();
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for file in &report.files {
        if let Some(error) = &file.error {
            let location = match file.error_position() {
                Some(p) => Location::at(p.file, Some(p.line), Some(p.column)),
                None => Location::at(&file.file, None, None),
            };
            notifications.push(Notification {
                level: "error",
                locations: [location],
                message: Text {
                    text: error.to_string(),
                },
            });
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
            let mut location = Location::at(at.file, Some(at.line), Some(at.column));
            location.logical_locations = Some([Logical {
                fully_qualified_name: &finding.resource,
                kind: "resource",
            }]);
            results.push(SarifResult {
                level: if finding.failing { "error" } else { "warning" },
                locations: [location],
                message: Text {
                    text: format!("{} Help: {}", finding.message, finding.help),
                },
                partial_fingerprints: Fingerprints {
                    souverain_v1: super::fingerprint(&[finding.rule, &finding.resource, attribute]),
                },
                properties: ResultProperties {
                    category: finding.category.as_str(),
                    verdict: finding.verdict.as_str(),
                },
                rule_id: finding.rule,
                rule_index: index,
                suppressions: finding.waiver.as_ref().map(|waiver| {
                    [Suppression {
                        justification: &waiver.reason,
                        kind: "inSource",
                    }]
                }),
            });
        }
    }
    for note in report.all_notes() {
        notifications.push(Notification {
            level: "note",
            locations: [Location::at(note.file, note.line, None)],
            message: Text {
                text: note.message.to_string(),
            },
        });
    }
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        runs: [Run {
            invocations: [Invocation {
                execution_successful: report.summary().errors == 0,
                tool_execution_notifications: notifications,
            }],
            results,
            tool: Tool {
                driver: Driver {
                    information_uri: "https://github.com/souverain/souverain",
                    name: "souverain",
                    rules,
                    version: env!("CARGO_PKG_VERSION"),
                },
            },
        }],
        version: "2.1.0",
    };
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<'a>; 1],
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    invocations: [Invocation<'a>; 1],
    results: Vec<SarifResult<'a>>,
    tool: Tool,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    information_uri: &'static str,
    name: &'static str,
    rules: Vec<Rule>,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    default_configuration: Level,
    full_description: Text<&'static str>,
    help: Help,
    help_uri: String,
    id: &'static str,
    name: &'static str,
    properties: RuleProperties,
    short_description: Text<&'static str>,
}

#[derive(Serialize)]
struct Level {
    level: &'static str,
}

#[derive(Serialize)]
struct Help {
    markdown: &'static str,
    text: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    category: &'static str,
    severity: &'static str,
}

#[derive(Serialize)]
struct Text<T> {
    text: T,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
struct Notification<'a> {
    level: &'static str,
    locations: [Location<'a>; 1],
    message: Text<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    level: &'static str,
    locations: [Location<'a>; 1],
    message: Text<String>,
    partial_fingerprints: Fingerprints,
    properties: ResultProperties,
    rule_id: &'a str,
    rule_index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressions: Option<[Suppression<'a>; 1]>,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "souverain/v1")]
    souverain_v1: String,
}

#[derive(Serialize)]
struct ResultProperties {
    category: &'static str,
    verdict: &'static str,
}

#[derive(Serialize)]
struct Suppression<'a> {
    justification: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    logical_locations: Option<[Logical<'a>; 1]>,
    physical_location: Physical<'a>,
}

impl<'a> Location<'a> {
    /// A place in `uri`; the region when the line is known.
    fn at(uri: &'a str, line: Option<usize>, column: Option<usize>) -> Self {
        Location {
            logical_locations: None,
            physical_location: Physical {
                artifact_location: Artifact { uri },
                region: line.map(|start_line| Region {
                    start_column: column,
                    start_line,
                }),
            },
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical<'a> {
    artifact_location: Artifact<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct Artifact<'a> {
    uri: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<usize>,
    start_line: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Logical<'a> {
    fully_qualified_name: &'a str,
    kind: &'static str,
}
