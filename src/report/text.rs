//! Human-readable output, in the style of compilers: what, where, how to fix.

use super::{Report, plural};
use crate::model::Verdict;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for file in &report.files {
        if let Some(error) = &file.error {
            let at = match file.error_position() {
                Some(p) => format!("{}:{}:{}", p.file, p.line, p.column),
                None => file.file.clone(),
            };
            let _ = writeln!(out, "error: {at}: {error}\n");
        }
        for note in &file.notes {
            match note.span {
                Some(span) => {
                    let at = file.position(span);
                    let _ = writeln!(
                        out,
                        "note: {}:{}:{}: {}",
                        at.file, at.line, at.column, note.message
                    );
                }
                None => {
                    let _ = writeln!(out, "note: {}", note.message);
                }
            }
        }
        if !file.notes.is_empty() {
            out.push('\n');
        }
        for finding in file.findings.iter().filter(|f| f.waiver.is_none()) {
            let level = if finding.failing { "error" } else { "warning" };
            let tag = match finding.verdict {
                Verdict::Violation => "",
                Verdict::Undetermined => " (undetermined)",
            };
            let at = file.position(finding.span);
            let _ = writeln!(
                out,
                "{level}[{}] {}{tag}: {}",
                finding.rule, finding.name, finding.message
            );
            let _ = writeln!(out, "  --> {}:{}:{}", at.file, at.line, at.column);
            if let Some(line) = file
                .line_text(finding.span)
                .filter(|_| file.shows_snippets())
            {
                let width = finding.span.end.saturating_sub(finding.span.start);
                snippet(&mut out, at.line, at.column, width, line);
            }
            let _ = writeln!(out, "   = help: {}\n", finding.help);
        }
    }
    for note in &report.notes {
        match note.line {
            Some(line) => writeln!(out, "note: {}:{line}: {}", note.file, note.message),
            None => writeln!(out, "note: {}: {}", note.file, note.message),
        }
        .unwrap_or_default();
    }
    if !report.notes.is_empty() {
        out.push('\n');
    }
    let s = report.summary();
    let outcome = if s.findings == 0 && s.errors == 0 {
        "no findings".to_string()
    } else {
        let waived = if s.waived > 0 {
            format!(", {} waived", s.waived)
        } else {
            String::new()
        };
        format!(
            "{} violation{}, {} undetermined ({} failing){waived}, {} error{}",
            s.violations,
            plural(s.violations),
            s.undetermined,
            s.failing,
            s.errors,
            plural(s.errors)
        )
    };
    let _ = writeln!(
        out,
        "souverain: {} file{}, {} resource{}: {outcome} [profile {}]",
        s.files,
        plural(s.files),
        s.resources,
        plural(s.resources),
        report.profile
    );
    out
}

/// The line with carets under the span (up to the end of the line), as
/// compilers print it.
fn snippet(out: &mut String, line: usize, column: usize, width: usize, text: &str) {
    let gutter = line.to_string().len();
    let pad = " ".repeat(gutter);
    let caret_at: String = text
        .chars()
        .take(column.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{line} | {}", text.trim_end());

    let text = text.trim_end();
    let rest = text
        .chars()
        .count()
        .saturating_sub(column.saturating_sub(1));
    let carets = "^".repeat(width.min(rest).max(1));
    let _ = writeln!(out, "{pad} | {caret_at}{carets}");
}
