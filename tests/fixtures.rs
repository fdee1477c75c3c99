//! Every fixture in `testdata/<rule>/{pass,fail,undetermined}` gives what its
//! directory says for that rule: no finding, a violation, or an undetermined
//! finding and no violation.

mod common;

use souverain::model::Verdict;
use souverain::rules::REGISTRY;

#[test]
fn rule_fixtures_match_their_directory() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for rule in REGISTRY {
        let name = rule.meta.name;
        for expectation in ["pass", "fail", "undetermined"] {
            let dir = common::root().join("testdata").join(name).join(expectation);
            let files = if dir.is_dir() {
                common::files_under(&dir)
            } else {
                Vec::new()
            };
            if expectation != "undetermined" {
                assert!(
                    !files.is_empty(),
                    "{name} needs {expectation} fixtures in {}",
                    dir.display()
                );
            }
            for file in files {
                let relative = file
                    .strip_prefix(common::root())
                    .expect("under root")
                    .to_path_buf();
                let report = common::scan(&relative);
                assert!(
                    report.error.is_none(),
                    "{}: {:?}",
                    relative.display(),
                    report.error
                );
                let of_rule: Vec<_> = report.findings.iter().filter(|f| f.name == name).collect();
                let violations = of_rule
                    .iter()
                    .filter(|f| f.verdict == Verdict::Violation)
                    .count();
                let undetermined = of_rule.len() - violations;
                let ok = match expectation {
                    "pass" => of_rule.is_empty(),
                    "fail" => violations > 0,
                    _ => undetermined > 0 && violations == 0,
                };
                if !ok {
                    failures.push(format!(
                        "{}: expected {expectation}, got {:?}",
                        relative.display(),
                        of_rule
                            .iter()
                            .map(|f| (&f.verdict, &f.message))
                            .collect::<Vec<_>>()
                    ));
                }
                checked += 1;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 30, "only {checked} fixtures checked");
}
