//! JUnit XML, for CI systems that show test reports (GitLab, Jenkins,
//! Azure Pipelines): one test suite per input, one test case per finding;
//! a failing finding is a failure, a waived one skipped, an input that
//! could not be read an error. An input without findings is one passing
//! case, so that it shows as checked.

use super::{FileReport, Report, xml_escape};
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let summary = report.summary();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let cases: usize = report.files.iter().map(case_count).sum();
    let skipped: usize = report
        .files
        .iter()
        .map(|f| f.findings.iter().filter(|x| x.waiver.is_some()).count())
        .sum();
    let _ = writeln!(
        out,
        "<testsuites name=\"souverain\" tests=\"{cases}\" failures=\"{}\" errors=\"{}\" skipped=\"{skipped}\">",
        summary.failing, summary.errors
    );
    for file in &report.files {
        let failures = file.findings.iter().filter(|f| f.failing).count();
        let errors = usize::from(file.error.is_some());
        let skipped = file.findings.iter().filter(|f| f.waiver.is_some()).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">",
            xml_escape(&file.file),
            case_count(file)
        );
        let _ = writeln!(
            out,
            "    <properties><property name=\"profile\" value=\"{}\"/></properties>",
            xml_escape(&report.profile)
        );
        if let Some(error) = &file.error {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{0}\" name=\"read {0}\">\n      <error message=\"{1}\" type=\"input\">{1}</error>\n    </testcase>",
                xml_escape(&file.file),
                xml_escape(&error.to_string())
            );
        } else if file.findings.is_empty() {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{0}\" name=\"{1} resource(s): no findings\"/>",
                xml_escape(&file.file),
                file.resources
            );
        }
        for finding in &file.findings {
            let at = file.position(finding.span);
            let name = format!("{} {}: {}", finding.rule, finding.name, finding.resource);
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\">",
                xml_escape(&file.file),
                xml_escape(&name),
                xml_escape(at.file),
                at.line
            );
            let body = format!(
                "{}\nFix: {}\nAt: {}:{}:{}",
                finding.message, finding.help, at.file, at.line, at.column
            );
            if let Some(waiver) = &finding.waiver {
                let _ = writeln!(
                    out,
                    "      <skipped message=\"waived: {}\"/>",
                    xml_escape(&waiver.reason)
                );
            } else if finding.failing {
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                    xml_escape(&finding.message),
                    finding.verdict.as_str(),
                    xml_escape(&body)
                );
            } else {
                // Undetermined, and the profile does not fail on it.
                let _ = writeln!(out, "      <system-out>{}</system-out>", xml_escape(&body));
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn case_count(file: &FileReport) -> usize {
    file.findings.len().max(1)
}
