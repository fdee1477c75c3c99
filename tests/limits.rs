//! Inputs that ask for unbounded work fail with an error naming the limit
//! (docs/limits.md), and the other inputs of the run are still scanned.

mod common;

use souverain::input::hcl_limits;

/// Each file of testdata/fuzz-regressions/hcl that goes over a limit, and the limit.
const OVER_A_LIMIT: &[(&str, &str)] = &[
    ("count-of-a-hundred-million.tf", "MAX_INSTANCES"),
    ("string-doubled-forty-times.tf", "MAX_VALUE_BYTES"),
    ("replace-empty-string-squared.tf", "MAX_VALUE_BYTES"),
    (
        "three-nested-for-over-two-thousand.tf",
        "MAX_EVALUATION_STEPS",
    ),
];

#[test]
fn terraform_that_asks_for_unbounded_evaluation_fails_naming_the_limit() {
    for (file, limit) in OVER_A_LIMIT {
        let report = common::scan(
            common::root()
                .join("testdata/fuzz-regressions/hcl")
                .join(file),
        );
        let error = report
            .error
            .as_ref()
            .unwrap_or_else(|| panic!("{file} accepted"));
        let message = error.to_string();
        assert!(message.contains(limit), "{file}: {message}");
        assert!(message.contains("docs/limits.md"), "{file}: {message}");
        assert_eq!(report.resources, 0, "{file}: nothing half-read is reported");
    }
}

#[test]
fn a_limit_hit_by_one_input_is_not_carried_to_the_next() {
    let bomb = common::root().join("testdata/fuzz-regressions/hcl/count-of-a-hundred-million.tf");
    assert!(common::scan(&bomb).error.is_some());
    let fine = common::scan(common::root().join("testdata/hcl/waivers/main.tf"));
    assert!(fine.error.is_none(), "{:?}", fine.error);
    assert!(
        hcl_limits::take().is_none(),
        "the limit was collected with its input"
    );
}

#[test]
fn count_and_for_each_up_to_the_limit_are_evaluated() {
    let at_limit = format!(
        "resource \"aws_ebs_volume\" \"v\" {{\n  count = {}\n  availability_zone = \"eu-west-3a\"\n  encrypted = true\n}}\n",
        hcl_limits::MAX_INSTANCES
    );
    let engine = souverain::Engine::new(common::policy(), None).unwrap();
    let report = engine.scan("main.tf", at_limit.as_bytes());
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(report.resources, hcl_limits::MAX_INSTANCES);

    let over = at_limit.replace(
        &hcl_limits::MAX_INSTANCES.to_string(),
        &(hcl_limits::MAX_INSTANCES + 1).to_string(),
    );
    let report = engine.scan("main.tf", over.as_bytes());
    let message = report.error.as_ref().expect("over the limit").to_string();
    assert!(message.contains("MAX_INSTANCES"), "{message}");
    assert_eq!(
        report.error_position().expect("the block's position").line,
        1
    );
}
