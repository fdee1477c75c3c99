//! The JSON report: a stable contract for tools (documented in docs/json-report.md).
//! Fields are only ever added; `version` changes if one is removed or changes meaning.

use super::{FileReport, Report, Summary};
use crate::model::{Category, Location, Severity, Verdict, Waived};
use serde::Serialize;

pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    profile: &'a str,
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonError<'a>>,
    notes: Vec<JsonNote<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct JsonNote<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    name: &'a str,
    category: Category,
    severity: Severity,
    verdict: Verdict,
    failing: bool,
    resource: &'a str,
    resource_type: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
    help: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waiver: Option<&'a Waived>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
    message: String,
}

pub fn render(report: &Report) -> String {
    let findings = report
        .files
        .iter()
        .flat_map(|file| file.findings.iter().map(move |f| (file, f)))
        .map(|(file, f)| {
            let at = file.position(f.span);
            JsonFinding {
                rule: f.rule,
                name: f.name,
                category: f.category,
                severity: f.severity,
                verdict: f.verdict,
                failing: f.failing,
                resource: &f.resource,
                resource_type: &f.resource_type,
                file: at.file,
                line: at.line,
                column: at.column,
                message: &f.message,
                help: &f.help,
                location: f.location.as_ref(),
                waiver: f.waiver.as_ref(),
            }
        })
        .collect();
    let errors = report.files.iter().filter_map(error).collect();
    let notes = report
        .all_notes()
        .map(|note| JsonNote {
            file: note.file,
            line: note.line,
            message: note.message,
        })
        .collect();
    let json = JsonReport {
        version: VERSION,
        profile: &report.profile,
        findings,
        errors,
        notes,
        summary: report.summary(),
    };
    // Serializing plain structs of strings and numbers cannot fail.
    let mut out = serde_json::to_string_pretty(&json).unwrap_or_default();
    out.push('\n');
    out
}

fn error(file: &FileReport) -> Option<JsonError<'_>> {
    let message = file.error.as_ref()?.to_string();
    let position = file.error_position();
    Some(JsonError {
        file: position.as_ref().map_or(&file.file, |p| p.file),
        line: position.as_ref().map(|p| p.line),
        column: position.as_ref().map(|p| p.column),
        message,
    })
}
