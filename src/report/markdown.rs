//! A Markdown summary for `$GITHUB_STEP_SUMMARY` and pull-request comments:
//! the outcome in the heading, the counts, then one table row per finding
//! with where it is and how to fix it.

use super::{FileReport, Report, plural};
use crate::model::Finding;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let s = report.summary();
    let mut out = String::new();
    let heading = match (s.errors, s.failing) {
        (0, 0) => "souverain: passed".to_string(),
        (0, failing) => format!("souverain: {failing} failing finding{}", plural(failing)),
        (errors, failing) => format!(
            "souverain: {failing} failing finding{}, {errors} input{} not read",
            plural(failing),
            plural(errors)
        ),
    };
    let _ = writeln!(out, "## {heading}\n");
    let _ = writeln!(
        out,
        "Profile `{}` · {} input{} · {} resource{} · {} failing · {} not failing (undetermined, tolerated) · {} waived\n",
        report.profile,
        s.files,
        plural(s.files),
        s.resources,
        plural(s.resources),
        s.failing,
        s.findings - s.failing - s.waived,
        s.waived
    );
    let active: Vec<_> = report
        .files
        .iter()
        .flat_map(|file| file.findings.iter().map(move |f| (file, f)))
        .filter(|(_, f)| f.waiver.is_none())
        .collect();
    if !active.is_empty() {
        out.push_str("| | Rule | Resource | Where | Finding | Fix |\n|---|---|---|---|---|---|\n");
        // Failing findings first, each group in report order.
        let mut ordered = active.clone();
        ordered.sort_by_key(|(_, f)| !f.failing);
        for (file, finding) in ordered {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                if finding.failing { "❌" } else { "⚠️" },
                what_and_where(file, finding),
                cell(&finding.message),
                cell(&finding.help)
            );
        }
        out.push('\n');
    }
    let waived: Vec<_> = report
        .files
        .iter()
        .flat_map(|file| file.findings.iter().map(move |f| (file, f)))
        .filter_map(|(file, f)| f.waiver.as_ref().map(|w| (file, f, w)))
        .collect();
    if !waived.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Waived ({})</summary>\n\n| Rule | Resource | Where | Reason | Expires |\n|---|---|---|---|---|",
            waived.len()
        );
        for (file, finding, waiver) in waived {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                what_and_where(file, finding),
                cell(&waiver.reason),
                waiver.expires.as_deref().unwrap_or("never")
            );
        }
        out.push_str("\n</details>\n\n");
    }
    let notes: Vec<String> = report
        .all_notes()
        .map(|note| match note.line {
            Some(line) => format!("- `{}:{line}`: {}", cell(note.file), cell(note.message)),
            None => format!("- `{}`: {}", cell(note.file), cell(note.message)),
        })
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Notes ({})</summary>\n\n{}\n\n</details>\n",
            notes.len(),
            notes.join("\n")
        );
    }
    let unread: Vec<_> = report.files.iter().filter(|f| f.error.is_some()).collect();
    if !unread.is_empty() {
        out.push_str("### Inputs that could not be read\n\n");
        for file in unread {
            let at = match file.error_position() {
                Some(p) => format!("{}:{}:{}", p.file, p.line, p.column),
                None => file.file.clone(),
            };
            let error = file
                .error
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            let _ = writeln!(out, "- `{}`: {}", cell(&at), cell(&error));
        }
        out.push('\n');
    }
    out
}

/// The rule, resource and position cells of a finding's row.
fn what_and_where(file: &FileReport, finding: &Finding) -> String {
    let at = file.position(finding.span);
    format!(
        "{} {} | `{}` | `{}:{}`",
        finding.rule,
        finding.name,
        cell(&finding.resource),
        cell(at.file),
        at.line
    )
}

/// Text for a table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}
