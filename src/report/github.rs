//! GitHub Actions workflow commands: one annotation per finding, shown on
//! the pull request's diff at the file and line
//! (`::error file=…,line=…,col=…,title=…::message`).

use super::Report;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for file in &report.files {
        if let Some(error) = &file.error {
            let mut properties = vec![("title", "souverain could not read this input".to_string())];
            match file.error_position() {
                Some(p) => {
                    properties.push(("file", p.file.to_string()));
                    properties.push(("line", p.line.to_string()));
                    properties.push(("col", p.column.to_string()));
                }
                None => properties.push(("file", file.file.clone())),
            }
            command(&mut out, "error", &properties, &error.to_string());
        }
        // A waived finding was accepted on purpose: a diff annotation would
        // only be noise. It stays in the other formats.
        for finding in file.findings.iter().filter(|f| f.waiver.is_none()) {
            let at = file.position(finding.span);
            let level = if finding.failing { "error" } else { "warning" };
            let title = format!(
                "{} {} ({})",
                finding.rule,
                finding.name,
                finding.verdict.as_str()
            );
            let properties = [
                ("file", at.file.to_string()),
                ("line", at.line.to_string()),
                ("col", at.column.to_string()),
                ("title", title),
            ];
            let message = format!("{}\nFix: {}", finding.message, finding.help);
            command(&mut out, level, &properties, &message);
        }
    }
    for note in report.all_notes() {
        let mut properties = vec![("file", note.file.to_string())];
        if let Some(line) = note.line {
            properties.push(("line", line.to_string()));
        }
        command(&mut out, "notice", &properties, note.message);
    }
    out
}

fn command(out: &mut String, level: &str, properties: &[(&str, String)], message: &str) {
    let properties: Vec<String> = properties
        .iter()
        .map(|(key, value)| format!("{key}={}", escape_property(value)))
        .collect();
    let _ = writeln!(
        out,
        "::{level} {}::{}",
        properties.join(","),
        escape_data(message)
    );
}

/// The runner's escaping of a command's message.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value also escapes the separators `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_properties_are_escaped_as_the_runner_reads_them() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
