//! The `souverain` binary as users run it: outputs, exit codes, errors.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn souverain(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_souverain"))
        .args(args)
        .current_dir(common::root())
        .output()
        .expect("runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const FAILING: &str =
    "testdata/location-outside-france/fail/provider-region-from-variable-default.json";
const CLEAN: &str = "testdata/provider-not-qualified/pass/s3ns-universe.json";

#[test]
fn exit_codes_say_clean_failing_or_error() {
    assert_eq!(souverain(&["scan", CLEAN]).status.code(), Some(0));
    assert_eq!(souverain(&["scan", FAILING]).status.code(), Some(1));
    assert_eq!(
        souverain(&["scan", "testdata/does-not-exist.json"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        souverain(&["scan", "--format", "yaml", CLEAN])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        souverain(&["scan", "--profile", "nope", CLEAN])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn a_bad_file_is_reported_and_the_others_still_scanned() {
    let dir = tempdir();
    let broken = dir.join("broken.json");
    std::fs::write(
        &broken,
        "{\n  \"resource_changes\": [\n    {\"address\": }\n  ]\n}\n",
    )
    .expect("write");
    let output = souverain(&[
        "scan",
        "--format",
        "json",
        broken.to_str().expect("utf8"),
        FAILING,
    ]);
    assert_eq!(output.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("json report");
    assert_eq!(report["errors"][0]["line"], 3);
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .expect("message")
            .starts_with("invalid JSON")
    );
    assert!(
        report["summary"]["violations"].as_u64().expect("count") > 0,
        "the good file is still reported"
    );
}

#[test]
fn stdin_is_read_with_a_dash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_souverain"))
        .args(["scan", "-", "--format", "json"])
        .current_dir(common::root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let plan = std::fs::read(common::root().join(FAILING)).expect("fixture");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&plan)
        .expect("write");
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("json");
    assert_eq!(report["findings"][0]["file"], "<stdin>");
}

#[test]
fn directories_are_walked_and_foreign_files_skipped() {
    let dir = tempdir();
    std::fs::copy(common::root().join(FAILING), dir.join("plan.json")).expect("copy");
    std::fs::write(dir.join("package.json"), "{\"name\": \"web\"}").expect("write");
    std::fs::write(dir.join("notes.txt"), "hello").expect("write");
    let output = souverain(&["scan", "--format", "json", dir.to_str().expect("utf8")]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("json");
    assert_eq!(report["summary"]["files"], 1);
    assert_eq!(report["errors"].as_array().map(Vec::len), Some(0));
}

#[test]
fn an_unreadable_file_in_a_directory_is_an_error_not_a_skip() {
    let dir = tempdir();
    std::fs::copy(common::root().join(CLEAN), dir.join("plan.json")).expect("copy");
    std::os::unix::fs::symlink("/nonexistent/plan.json", dir.join("gone.json")).expect("symlink");
    let output = souverain(&["scan", dir.to_str().expect("utf8")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stdout(&output).contains("gone.json: cannot read"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn invalid_policy_lists_every_problem_with_its_line() {
    let dir = tempdir();
    let policy = dir.join("policy.yaml");
    std::fs::write(
        &policy,
        "profiles:\n  mine:\n    description: x\n    allowed_countries: [France]\n    families: [region, storage]\n    undetermined: fail\n",
    )
    .expect("write");
    let output = souverain(&["scan", "--policy", policy.to_str().expect("utf8"), CLEAN]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("policy.yaml:4:"), "{err}");
    assert!(err.contains("policy.yaml:5:"), "{err}");
}

#[test]
fn user_policy_adds_a_qualified_offer() {
    let dir = tempdir();
    let policy = dir.join("contract.yaml");
    std::fs::write(
        &policy,
        "qualified_offers:\n  our-contract:\n    name: Our Outscale eu-west-2 contract\n    providers: [outscale/outscale]\n    locations: [eu-west-2]\n    qualification: SecNumCloud (contract 42)\n    source: procurement file 42\n    verified_on: \"2026-11-01\"\n    confidence: verified\n",
    )
    .expect("write");
    let fixture = "testdata/provider-not-qualified/fail/outscale-eu-west-2.json";
    assert_eq!(souverain(&["scan", fixture]).status.code(), Some(1));
    let output = souverain(&["scan", "--policy", policy.to_str().expect("utf8"), fixture]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn text_output_snapshot() {
    let output = souverain(&[
        "scan",
        FAILING,
        "testdata/storage-unencrypted/undetermined/ebs-encrypted-unknown.json",
    ]);
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn json_output_snapshot() {
    let output = souverain(&[
        "scan",
        "--format",
        "json",
        "testdata/location-outside-france/fail/aws-v6-resource-region-override.json",
    ]);
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn example_estate_text_snapshot() {
    let output = souverain(&["scan", "testdata/examples/estate.json"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn sarif_output_snapshot() {
    let output = souverain(&["scan", "--format", "sarif", "testdata/examples/estate.json"]);
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("sarif is json");
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn explain_and_rules_come_from_the_registry() {
    let output = souverain(&["explain", "SOV101"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("## Why it matters"));
    let by_name = souverain(&["explain", "storage-unencrypted"]);
    assert!(stdout(&by_name).starts_with("# SOV201"));
    assert_eq!(souverain(&["explain", "SOV999"]).status.code(), Some(2));
    let rules = stdout(&souverain(&["rules"]));
    for id in ["SOV101", "SOV201", "SOV301"] {
        assert!(rules.contains(id), "{rules}");
    }
}

fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "souverain-cli-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn several_formats_in_one_run_each_to_its_place() {
    let dir = tempdir();
    let sarif = dir.join("results.sarif");
    let summary = dir.join("summary.md");
    let sarif_arg = format!("sarif={}", sarif.display());
    let output = souverain(&[
        "scan",
        FAILING,
        "--format",
        "github",
        "--format",
        &sarif_arg,
        "--format",
        "markdown",
        "--output",
        summary.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stdout(&output).is_empty(),
        "--output takes what had no file"
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let summary = std::fs::read_to_string(&summary).unwrap();
    let (annotations, markdown) = summary
        .split_once("## souverain:")
        .expect("github then markdown");
    assert!(annotations.starts_with("::error file="), "{annotations}");
    assert!(markdown.starts_with(" 2 failing findings\n"), "{markdown}");

    let unknown = souverain(&["scan", CLEAN, "--format", "xml"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown)
            .contains("unknown format `xml`; expected text, json, sarif, junit, github, markdown"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn select_ignore_and_fail_on_decide_what_runs_and_what_fails() {
    let estate = "testdata/examples/estate.json";
    let rules_in = |args: &[&str]| -> (Option<i32>, Vec<String>, usize) {
        let mut all = vec!["scan", estate, "--format", "json"];
        all.extend_from_slice(args);
        let output = souverain(&all);
        let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        let findings = report["findings"].as_array().unwrap();
        let mut rules: Vec<String> = findings
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect();
        rules.sort();
        rules.dedup();
        let failing = findings.iter().filter(|f| f["failing"] == true).count();
        (output.status.code(), rules, failing)
    };
    let (_, all, failing_all) = rules_in(&[]);
    assert_eq!(all, ["SOV101", "SOV201", "SOV301"]);

    let (code, only, _) = rules_in(&["--select", "location-outside-france,SOV201"]);
    assert_eq!(
        (code, only),
        (Some(1), vec!["SOV101".to_string(), "SOV201".to_string()])
    );
    let (_, without, _) = rules_in(&["--ignore", "SOV301"]);
    assert_eq!(without, ["SOV101", "SOV201"]);

    // SOV301 is medium: above it, its findings are reported but do not fail.
    let (code, reported, failing_high) = rules_in(&["--fail-on", "high"]);
    assert_eq!(reported, all, "every finding is still reported");
    assert!(
        failing_high < failing_all && failing_high > 0,
        "{failing_high} of {failing_all}"
    );
    assert_eq!(code, Some(1));
    let (code, _, failing) = rules_in(&["--fail-on", "critical"]);
    assert_eq!((code, failing), (Some(0), 0));

    let bad = souverain(&["scan", estate, "--fail-on", "severe"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("expected low, medium, high or critical"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn a_baseline_accepts_what_was_there_and_fails_on_what_is_new() {
    let dir = tempdir();
    let plan = dir.join("plan.json");
    let baseline = dir.join("baseline.json");
    let original =
        std::fs::read_to_string(common::root().join("testdata/examples/estate.json")).unwrap();
    std::fs::write(&plan, &original).unwrap();
    let plan_arg = plan.to_str().unwrap();
    let baseline_arg = baseline.to_str().unwrap();

    let created = souverain(&["baseline", "create", plan_arg, "--output", baseline_arg]);
    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    let entries = recorded["findings"].as_array().unwrap().len();
    assert!(entries >= 5, "{recorded}");
    assert!(stderr(&created).contains(&format!("{entries} finding(s) recorded")));

    // Lines moved: the same findings, accepted.
    std::fs::write(&plan, format!("\n\n\n\n{original}")).unwrap();
    let scan = |args: &[&str]| {
        let mut all = vec!["scan", plan_arg, "--baseline", baseline_arg];
        all.extend_from_slice(args);
        souverain(&all)
    };
    let moved = scan(&["--format", "json"]);
    assert_eq!(moved.status.code(), Some(0), "{}", stdout(&moved));
    let report: serde_json::Value = serde_json::from_str(&stdout(&moved)).unwrap();
    assert_eq!(
        report["summary"]["waived"], entries,
        "{}",
        report["summary"]
    );
    assert!(
        report["findings"][0]["waiver"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("in the baseline "),
        "{}",
        report["findings"][0]
    );

    // A French bucket moved to Oregon: only that is new, and fails.
    let changed = original.replacen("\"region\": \"eu-west-3\"", "\"region\": \"us-west-2\"", 1);
    assert_ne!(changed, original);
    std::fs::write(&plan, changed).unwrap();
    let new = scan(&["--format", "json"]);
    assert_eq!(new.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&new)).unwrap();
    let failing: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["failing"] == true)
        .collect();
    assert_eq!(failing.len(), 1, "{failing:#?}");
    assert_eq!(failing[0]["rule"], "SOV101");
    assert_eq!(
        failing[0]["resource"],
        "module.documents.aws_s3_bucket.this"
    );

    // Fixed findings are said, so that the baseline is recreated.
    std::fs::write(
        &plan,
        r#"{"format_version": "1.2", "resource_changes": []}"#,
    )
    .unwrap();
    let fixed = scan(&[]);
    assert_eq!(fixed.status.code(), Some(0));
    assert!(
        stderr(&fixed).contains(&format!("{entries} finding(s) of the baseline")),
        "{}",
        stderr(&fixed)
    );

    std::fs::write(&baseline, "{\"version\": 7}").unwrap();
    let bad = scan(&[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("not a souverain baseline"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn a_waivers_file_is_found_applied_and_reports_expired_and_unused_waivers() {
    let dir = tempdir();
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::create_dir_all(dir.join("infra")).unwrap();
    std::fs::copy(
        common::root().join("testdata/examples/estate.json"),
        dir.join("infra/plan.json"),
    )
    .unwrap();
    std::fs::write(
        dir.join(".souverain.yaml"),
        "waivers:\n\
         \x20 - rule: provider-not-qualified\n\
         \x20   resource: module.documents.*\n\
         \x20   reason: documents migrate to Outscale in Q1\n\
         \x20   expires: 2099-01-01\n\
         \x20 - rule: SOV101\n\
         \x20   path: infra/*.json\n\
         \x20   resource: google_storage_bucket.archive\n\
         \x20   reason: archive moved in 2019\n\
         \x20   expires: 2020-01-01\n\
         \x20 - rule: SOV201\n\
         \x20   resource: nothing.matches\n\
         \x20   reason: left over\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_souverain"))
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap()
    };
    let output = run(&["scan", "infra/plan.json", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let finding = |rule: &str, resource: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule && f["resource"] == resource)
            .unwrap_or_else(|| panic!("{rule} on {resource}"))
            .clone()
    };
    let waived = finding("SOV301", "module.documents.aws_s3_bucket.this");
    assert_eq!(waived["failing"], false);
    assert_eq!(
        waived["waiver"]["reason"],
        "documents migrate to Outscale in Q1"
    );
    assert_eq!(
        finding("SOV301", "aws_db_instance.crm")["failing"],
        true,
        "another resource"
    );
    assert_eq!(
        finding("SOV101", "google_storage_bucket.archive")["failing"],
        true,
        "expired"
    );
    // Expired and unused waivers are notes of the report, in every format.
    let notes = report["notes"].as_array().unwrap();
    assert_eq!(
        notes,
        &[
            serde_json::json!({"file": ".souverain.yaml", "line": 6, "message": "waiver of SOV101 for google_storage_bucket.archive expired on 2020-01-01: its findings fail again"}),
            serde_json::json!({"file": ".souverain.yaml", "line": 11, "message": "waiver of SOV201 for nothing.matches matched no finding: remove it"}),
        ]
    );
    let text = stdout(&run(&["scan", "infra/plan.json"]));
    assert!(
        text.contains("note: .souverain.yaml:11: waiver of SOV201 for nothing.matches matched no finding: remove it"),
        "{text}"
    );

    std::fs::write(
        dir.join("broken.yaml"),
        "waivers:\n  - rule: SOV101\n    resource: x\n",
    )
    .unwrap();
    let broken = run(&["scan", "infra/plan.json", "--config", "broken.yaml"]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(
        stderr(&broken).contains("error: broken.yaml:2: a waiver says why"),
        "{}",
        stderr(&broken)
    );
}

#[test]
fn report_writes_the_inventory_as_markdown_or_html() {
    let dir = tempdir();
    let html = dir.join("inventory.html");
    let written = souverain(&[
        "report",
        "testdata/examples/estate.json",
        "--format",
        "html",
        "--output",
        html.to_str().unwrap(),
    ]);
    // Failing findings do not change the exit status: it is a document.
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    assert!(stdout(&written).is_empty());
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<code>aws_db_instance.crm</code>"), "{page}");

    let markdown = souverain(&["report", "testdata/examples/estate.json"]);
    assert_eq!(markdown.status.code(), Some(0));
    let text = stdout(&markdown);
    assert!(text.starts_with("# Sovereignty inventory\n"), "{text}");
    assert!(
        text.contains("| Located in France | 5 | 2 | 0 | 1 |"),
        "{text}"
    );

    // An input that cannot be read is in the inventory, and the status says so.
    let partial = souverain(&["report", "testdata/examples/estate.json", "nope.json"]);
    assert_eq!(partial.status.code(), Some(2));
    assert!(
        stdout(&partial).contains("❌ Not read:"),
        "{}",
        stdout(&partial)
    );
    assert!(stderr(&partial).contains("1 input(s) could not be read"));
}

#[test]
fn report_marks_what_the_waivers_file_accepts() {
    let dir = tempdir();
    std::fs::copy(
        common::root().join("testdata/examples/estate.json"),
        dir.join("plan.json"),
    )
    .unwrap();
    std::fs::write(
        dir.join("waivers.yaml"),
        "waivers:\n  - rule: SOV301\n    resource: aws_db_instance.crm\n    reason: Legacy CRM, migration planned\n",
    )
    .unwrap();
    let output = souverain(&[
        "report",
        dir.join("plan.json").to_str().unwrap(),
        "--config",
        dir.join("waivers.yaml").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("waived: Legacy CRM, migration planned"),
        "{}",
        stdout(&output)
    );
}
