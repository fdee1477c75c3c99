//! Human-readable output, in the style of compilers: what, where, how to fix.

use super::Report;
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
        for finding in &file.findings {
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
            let _ = writeln!(out, "   = help: {}\n", finding.help);
        }
    }
    let s = report.summary();
    let outcome = if s.findings == 0 && s.errors == 0 {
        "no findings".to_string()
    } else {
        format!(
            "{} violation{}, {} undetermined ({} failing), {} error{}",
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

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
