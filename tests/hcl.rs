//! Terraform HCL source: each case of testdata/hcl, HCL/plan pairs of
//! testdata/pairs, and the CLI on modules.

mod common;

use souverain::input::hcl::HclOptions;
use souverain::model::Verdict;
use souverain::{Engine, FileReport};
use std::process::Command;

/// Scans `testdata/<dir>/<case>` as a module, as the CLI would.
fn scan_case(dir: &str, case: &str, options: &HclOptions) -> FileReport {
    let base = common::root().join("testdata").join(dir);
    let tree = common::memory_tree(&base, &base.join(case));
    let engine = Engine::new(common::policy(), None)
        .expect("profile")
        .with_today("2026-11-23");
    engine.scan_module(case, case, None, &tree, options)
}

fn case(name: &str) -> FileReport {
    let report = scan_case("hcl", name, &HclOptions::default());
    assert!(report.error.is_none(), "{name}: {:?}", report.error);
    report
}

fn region_value(report: &FileReport, resource: &str) -> Option<String> {
    common::findings(report, "location-outside-france", resource)
        .first()
        .and_then(|f| f.location.as_ref())
        .and_then(|l| l.value.clone())
}

#[test]
fn provider_alias_passed_through_a_module_call() {
    let report = case("alias-through-module");
    assert!(
        common::verdicts(
            &report,
            "location-outside-france",
            "module.documents.aws_s3_bucket.this"
        )
        .is_empty()
    );
    assert_eq!(
        region_value(&report, "module.logs.aws_s3_bucket.this").as_deref(),
        Some("us-east-1")
    );
    // The module's own directory is read through the calls, not as a root.
    assert_eq!(report.modules, vec!["alias-through-module/modules/bucket"]);
}

#[test]
fn messages_name_the_configuration_not_a_plan() {
    let report = case("no-provider-region");
    let findings = common::findings(&report, "location-outside-france", "aws_s3_bucket.archive");
    let message = &findings.first().expect("an undetermined location").message;
    assert!(
        message.contains("sets no location the configuration shows") && !message.contains("plan"),
        "{message}"
    );
    // Only the attributes the type has are listed, each once.
    assert!(!message.contains("replica"), "{message}");
}

#[test]
fn tfvars_override_the_default_and_say_so() {
    let report = case("tfvars-override");
    assert!(common::verdicts(&report, "location-outside-france", "aws_ebs_volume.data").is_empty());
    let override_us = HclOptions {
        vars: vec![("region".into(), "us-east-1".into())],
        ..HclOptions::default()
    };
    let report = scan_case("hcl", "tfvars-override", &override_us);
    let found = common::findings(&report, "location-outside-france", "aws_ebs_volume.data");
    assert_eq!(found.len(), 1, "{found:#?}");
    let location = found[0].location.as_ref().expect("location");
    assert_eq!(location.value.as_deref(), Some("us-east-1a"));
    assert!(
        location.provenance.detail.contains("set by --var"),
        "{}",
        location.provenance.detail
    );
}

#[test]
fn var_file_wins_over_terraform_tfvars() {
    let base = common::root().join("testdata/hcl");
    let mut tree = common::memory_tree(&base, &base.join("tfvars-override"));
    tree.files
        .insert("us.tfvars".into(), b"region = \"us-west-2\"\n".to_vec());
    let options = HclOptions {
        var_files: vec!["us.tfvars".into()],
        ..HclOptions::default()
    };
    let engine = Engine::new(common::policy(), None).expect("profile");
    let report = engine.scan_module("m", "tfvars-override", None, &tree, &options);
    assert_eq!(
        region_value(&report, "aws_ebs_volume.data").as_deref(),
        Some("us-west-2a")
    );
}

#[test]
fn locals_maps_and_functions_resolve_locations() {
    let report = case("locals-map");
    assert!(
        common::verdicts(&report, "location-outside-france", "aws_s3_bucket.primary").is_empty()
    );
    assert_eq!(
        region_value(&report, "aws_s3_bucket.recovery").as_deref(),
        Some("eu-central-1")
    );
}

#[test]
fn a_region_from_a_data_source_is_undetermined() {
    let report = case("unknown-region");
    assert_eq!(
        common::verdicts(&report, "location-outside-france", "aws_sqs_queue.jobs"),
        vec![Verdict::Undetermined]
    );
}

#[test]
fn count_and_for_each_expand_to_addresses() {
    let report = case("expansion");
    let addresses: Vec<&str> = report
        .findings
        .iter()
        .map(|f| f.resource.as_str())
        .collect();
    for address in [
        "azurerm_resource_group.site[\"paris\"]",
        "azurerm_resource_group.site[\"amsterdam\"]",
        "azurerm_managed_disk.scratch[0]",
        "azurerm_managed_disk.scratch[1]",
    ] {
        assert!(addresses.contains(&address), "{address} in {addresses:?}");
    }
    assert_eq!(
        common::verdicts(
            &report,
            "location-outside-france",
            "azurerm_resource_group.site[\"amsterdam\"]"
        ),
        vec![Verdict::Violation]
    );
    // The disks read the resource group's location through a reference.
    assert!(
        common::verdicts(
            &report,
            "location-outside-france",
            "azurerm_managed_disk.scratch[0]"
        )
        .is_empty()
    );
}

#[test]
fn dynamic_blocks_are_seen_by_the_encryption_rule_with_their_line() {
    let report = case("dynamic-blocks");
    let found = common::findings(&report, "storage-unencrypted", "aws_launch_template.app");
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .message
            .contains("block_device_mappings[1].ebs[0].encrypted"),
        "{}",
        found[0].message
    );
    assert_eq!(
        report.position(found[0].span).line,
        15,
        "points at the dynamic block"
    );
}

#[test]
fn remote_modules_are_reported_as_not_followed() {
    let report = case("remote-module");
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.message.contains("terraform-aws-modules/vpc/aws")),
        "{:?}",
        report.notes
    );
    assert_eq!(report.resources, 1);
}

#[test]
fn waivers_need_a_reason_and_expire() {
    let report = case("waivers");
    let waived = common::findings(
        &report,
        "provider-not-qualified",
        "outscale_volume.accepted",
    );
    assert!(waived[0].waiver.is_some() && !waived[0].failing);
    let expired = common::findings(&report, "provider-not-qualified", "outscale_volume.expired");
    assert!(expired[0].waiver.is_none() && expired[0].failing);
    let unjustified = common::findings(
        &report,
        "provider-not-qualified",
        "outscale_volume.unjustified",
    );
    assert!(unjustified[0].waiver.is_none() && unjustified[0].failing);
    let notes: Vec<&str> = report.notes.iter().map(|n| n.message.as_str()).collect();
    assert!(
        notes.iter().any(|n| n.contains("expired on 2020-01-31")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("has no reason")),
        "{notes:?}"
    );
    assert_eq!(report.findings.iter().filter(|f| f.failing).count(), 2);
}

#[test]
fn malformed_file_gives_its_file_and_line() {
    let report = scan_case("hcl", "malformed", &HclOptions::default());
    let error = report.error.as_ref().expect("error");
    assert!(error.to_string().starts_with("invalid HCL"), "{error}");
    let at = report.error_position().expect("position");
    assert_eq!((at.file, at.line), ("malformed/broken.tf", 6));
}

/// HCL written by hand for plan fixtures of testdata/: same findings.
#[test]
fn hcl_pairs_match_their_plans() {
    for (pair, plan) in [
        (
            "provider-region-from-variable-default",
            "location-outside-france/fail/provider-region-from-variable-default.json",
        ),
        (
            "provider-region-through-module-argument",
            "location-outside-france/pass/provider-region-through-module-argument.json",
        ),
        (
            "aws-v6-resource-region-override",
            "location-outside-france/fail/aws-v6-resource-region-override.json",
        ),
        (
            "ebs-encrypted-unknown-with-account-default",
            "storage-unencrypted/pass/ebs-encrypted-unknown-with-account-default.json",
        ),
        (
            "gcs-eu-multi-region",
            "location-outside-france/fail/gcs-eu-multi-region.json",
        ),
        (
            "outscale-cloudgouv",
            "provider-not-qualified/pass/outscale-cloudgouv.json",
        ),
        (
            "module-provider-placeholder",
            "location-outside-france/pass/module-provider-placeholder.json",
        ),
        (
            "module-provider-placeholder-us",
            "location-outside-france/fail/module-provider-placeholder-us.json",
        ),
        (
            "replica-known-region-computed-key",
            "location-outside-france/fail/replica-known-region-computed-key.json",
        ),
        (
            "scaleway-region-from-environment",
            "location-outside-france/undetermined/scaleway-region-from-environment.json",
        ),
        (
            "scaleway-region-pinned",
            "location-outside-france/pass/scaleway-region-pinned.json",
        ),
        (
            "replica-known-location-computed-id",
            "location-outside-france/pass/replica-known-location-computed-id.json",
        ),
    ] {
        let from_hcl = scan_case("pairs", pair, &HclOptions::default());
        let from_plan = common::scan(format!("testdata/{plan}"));
        assert!(from_hcl.error.is_none(), "{pair}: {:?}", from_hcl.error);
        assert_eq!(
            common::finding_summary(&from_hcl),
            common::finding_summary(&from_plan),
            "{pair}"
        );
    }
}

#[test]
fn cli_scans_a_module_directory_with_snippets() {
    let output = Command::new(env!("CARGO_BIN_EXE_souverain"))
        .args(["scan", "testdata/hcl/locals-map"])
        .current_dir(common::root())
        .env("SOUVERAIN_TODAY", "2026-11-23")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
}

#[test]
fn cli_reports_a_malformed_module_with_exit_2_and_still_scans_the_rest() {
    let output = Command::new(env!("CARGO_BIN_EXE_souverain"))
        .args(["scan", "testdata/hcl/malformed", "testdata/hcl/locals-map"])
        .current_dir(common::root())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("error: testdata/hcl/malformed/broken.tf:6:1: invalid HCL"),
        "{stdout}"
    );
    assert!(
        stdout.contains("aws_s3_bucket.recovery"),
        "other module still reported: {stdout}"
    );
}

#[test]
fn hcl_is_read_from_stdin() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_souverain"))
        .args(["scan", "-", "--format", "json"])
        .current_dir(common::root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let source = "# a module piped in\nprovider \"aws\" {\n  region = \"us-east-1\"\n}\n\nresource \"aws_db_instance\" \"db\" {\n  engine = \"postgres\"\n}\n";
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(source.as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(rules, ["SOV101", "SOV201", "SOV301"]);
    assert_eq!(
        report["findings"][1]["line"], 6,
        "the unencrypted database block"
    );
}

#[test]
fn a_computed_argument_of_a_replica_block_hides_not_its_written_region() {
    let report = common::scan(
        "testdata/location-outside-france/fail/replica-known-region-computed-key.json",
    );
    let findings = common::findings(
        &report,
        "location-outside-france",
        "aws_dynamodb_table.orders",
    );
    let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`replica[0].region_name` on the resource: \"us-east-1\"")),
        "{messages:?}"
    );
    assert!(
        !messages.iter().any(|m| m.contains("apply")),
        "{messages:?}"
    );
}
