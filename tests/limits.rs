//! Inputs that ask for unbounded work fail with an error naming the limit,
//! the line that asks, and how to raise it (docs/limits.md); the other
//! inputs of the run are still scanned, and a raised limit lets the input
//! through.

mod common;

use souverain::input::hcl_limits;
use souverain::{Engine, Limits};
use std::process::Command;

/// Each file of testdata/fuzz-regressions/hcl that goes over a limit, the
/// limit, and the line that asks for the work.
const OVER_A_LIMIT: &[(&str, &str, usize)] = &[
    ("count-of-a-hundred-million.tf", "terraform-instances", 1),
    ("string-doubled-forty-times.tf", "terraform-value-bytes", 23),
    (
        "replace-empty-string-squared.tf",
        "terraform-value-bytes",
        3,
    ),
    (
        "three-nested-for-over-two-thousand.tf",
        "terraform-evaluation-steps",
        3,
    ),
];

#[test]
fn terraform_that_asks_for_unbounded_evaluation_fails_naming_the_limit_and_the_line() {
    for (file, limit, line) in OVER_A_LIMIT {
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
        let value = Limits::default()
            .get(limit)
            .expect("a limit of the registry");
        assert!(
            message.contains(&format!("over the limit {limit} = {value}:")),
            "{file}: {message}"
        );
        assert!(
            message.contains(&format!("`--limit {limit}=N`")),
            "{file}: {message}"
        );
        assert!(message.contains("docs/limits.md"), "{file}: {message}");
        assert_eq!(report.resources, 0, "{file}: nothing half-read is reported");
        let position = report
            .error_position()
            .unwrap_or_else(|| panic!("{file}: no position"));
        assert_eq!(position.line, *line, "{file}: {message}");
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

fn volumes(count: usize) -> String {
    format!(
        "resource \"aws_ebs_volume\" \"v\" {{\n  count = {count}\n  availability_zone = \"eu-west-3a\"\n  encrypted = true\n}}\n"
    )
}

#[test]
fn count_up_to_the_limit_is_evaluated_and_a_raised_limit_lets_more_through() {
    let max = Limits::default().terraform_instances;
    let engine = Engine::new(common::policy(), None).unwrap();
    let report = engine.scan("main.tf", volumes(max).as_bytes());
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(report.resources, max);

    let report = engine.scan("main.tf", volumes(max + 1).as_bytes());
    let message = report.error.as_ref().expect("over the limit").to_string();
    assert!(message.contains("terraform-instances"), "{message}");
    assert_eq!(
        report.error_position().expect("the block's position").line,
        1
    );

    let mut raised = Limits::default();
    raised.set("terraform-instances", max + 1).unwrap();
    let report = engine
        .with_limits(raised)
        .scan("main.tf", volumes(max + 1).as_bytes());
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(report.resources, max + 1);
}

#[test]
fn modules_that_nest_without_end_fail_at_the_call() {
    let mut tree = souverain::input::hcl::MemoryTree::default();
    tree.files.insert(
        "main.tf".into(),
        b"module \"again\" {\n  source = \"./m\"\n}\n".to_vec(),
    );
    tree.files.insert(
        "m/main.tf".into(),
        b"module \"again\" {\n  source = \"./\"\n}\n".to_vec(),
    );
    let engine = Engine::new(common::policy(), None).unwrap();
    let options = souverain::input::hcl::HclOptions::default();
    let report = engine.scan_module(".", ".", None, &tree, &options);
    let message = report.error.as_ref().expect("over the limit").to_string();
    assert!(
        message.contains("over the limit terraform-module-depth = 16"),
        "{message}"
    );
    assert_eq!(report.error_position().expect("the call").line, 1);
}

#[test]
fn yaml_over_a_limit_fails_naming_it_and_a_raised_limit_lets_it_through() {
    let deep = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep}}\ndata: {{x: \"{}\"}}\nnested: {}{}\n",
        "y",
        "[".repeat(100),
        "]".repeat(100)
    );
    let engine = Engine::new(common::policy(), None).unwrap();
    let report = engine.scan("deep.yaml", deep.as_bytes());
    let message = report.error.as_ref().expect("over the limit").to_string();
    assert!(
        message.contains("over the limit yaml-depth = 64"),
        "{message}"
    );
    assert!(message.contains("`--limit yaml-depth=N`"), "{message}");
    assert_eq!(report.error_position().expect("where").line, 5);

    let mut raised = Limits::default();
    raised.set("yaml-depth", 200).unwrap();
    let report = engine
        .with_limits(raised)
        .scan("deep.yaml", deep.as_bytes());
    assert!(report.error.is_none(), "{:?}", report.error);
}

#[test]
fn the_cli_raises_a_limit_and_refuses_an_unknown_one() {
    let bomb = common::root().join("testdata/fuzz-regressions/hcl/count-of-a-hundred-million.tf");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_souverain"))
            .args(args)
            .output()
            .expect("souverain runs")
    };
    let refused = run(&["scan", bomb.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&refused.stdout);
    assert!(stdout.contains("--limit terraform-instances=N"), "{stdout}");

    let unknown = run(&["scan", "--limit", "instances=5", bomb.to_str().unwrap()]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("unknown limit `instances`") && stderr.contains("terraform-instances"),
        "{stderr}"
    );

    let example = common::root().join("testdata/hcl/waivers/main.tf");
    let lowered = run(&[
        "scan",
        "--limit",
        "terraform-value-bytes=4",
        example.to_str().unwrap(),
    ]);
    assert_eq!(lowered.status.code(), Some(2), "a lowered limit applies");
    let stdout = String::from_utf8_lossy(&lowered.stdout);
    assert!(stdout.contains("terraform-value-bytes = 4"), "{stdout}");
}
