//! Kubernetes manifests and AdmissionReviews: fixtures in testdata/k8s
//! (pass, fail, undetermined for the location and encryption rules) and
//! testdata/admission, plus the YAML safety limits through the CLI.

mod common;

use souverain::FileReport;
use souverain::model::Verdict;
use std::process::Command;

/// Region and encryption findings: what a manifest's author controls (the
/// provider rule speaks of the cloud, tested with the plans).
fn placement_and_encryption(report: &FileReport) -> Vec<(&str, Verdict, bool)> {
    report
        .findings
        .iter()
        .filter(|f| f.rule != "SOV301")
        .map(|f| (f.rule, f.verdict, f.failing))
        .collect()
}

fn scan(path: &str) -> FileReport {
    let report = common::scan(path);
    assert!(report.error.is_none(), "{path}: {:?}", report.error);
    report
}

#[test]
fn manifest_fixtures_match_their_directory() {
    let mut checked = 0;
    for expectation in ["pass", "fail", "undetermined"] {
        let dir = common::root().join("testdata/k8s").join(expectation);
        for file in common::files_under(&dir) {
            let relative = file
                .strip_prefix(common::root())
                .expect("under root")
                .display()
                .to_string();
            let report = scan(&relative);
            let found = placement_and_encryption(&report);
            let failing_violations = found
                .iter()
                .filter(|(_, v, failing)| *v == Verdict::Violation && *failing)
                .count();
            let undetermined = found
                .iter()
                .filter(|(_, v, _)| *v == Verdict::Undetermined)
                .count();
            let ok = match expectation {
                "pass" => found.iter().all(|(_, _, failing)| !failing),
                "fail" => failing_violations > 0,
                _ => undetermined > 0 && failing_violations == 0,
            };
            assert!(ok, "{relative}: expected {expectation}, got {found:?}");
            checked += 1;
        }
    }
    assert!(checked >= 18, "only {checked} fixtures");
}

#[test]
fn findings_point_at_the_pinned_value() {
    let path = "testdata/k8s/fail/statefulset-affinity-outside-france.yaml";
    let report = scan(path);
    let found = common::findings(&report, "location-outside-france", "StatefulSet/db");
    assert_eq!(
        found.len(),
        1,
        "only us-east-1a; preferred affinity is not a pin: {found:#?}"
    );
    let at = report.position(found[0].span);
    assert_eq!(at.line, 20);
    let text = std::fs::read_to_string(common::root().join(path)).expect("fixture");
    let line = text.lines().nth(at.line - 1).expect("line");
    assert_eq!(
        &line[at.column - 1..at.column - 1 + "us-east-1a".len()],
        "us-east-1a"
    );
}

#[test]
fn list_items_and_documents_get_their_own_addresses() {
    let report = scan("testdata/k8s/fail/list-and-documents.yaml");
    assert_eq!(report.resources, 2);
    assert!(common::findings(&report, "location-outside-france", "Pod/ok").is_empty());
    let moved = common::findings(&report, "location-outside-france", "Pod/moved");
    assert_eq!(moved.len(), 1);
    assert_eq!(report.position(moved[0].span).line, 16);
}

#[test]
fn a_value_that_means_france_on_one_cloud_only_is_undetermined() {
    let report = scan("testdata/k8s/undetermined/pod-pinned-to-ambiguous-region.yaml");
    let found = common::findings(&report, "location-outside-france", "Pod/worker");
    assert_eq!(found[0].verdict, Verdict::Undetermined);
    assert!(
        found[0].message.contains("FR for 3DS Outscale"),
        "{}",
        found[0].message
    );
    assert!(
        found[0].message.contains("GB for Amazon Web Services"),
        "{}",
        found[0].message
    );
}

#[test]
fn cloud_crds_read_like_terraform_resources() {
    let report = scan("testdata/k8s/fail/crossplane-ebs-volume-us.yaml");
    let encryption = common::findings(&report, "storage-unencrypted", "EBSVolume/data");
    assert_eq!(encryption.len(), 1, "EBSVolume maps to aws_ebs_volume");
    assert!(
        encryption[0].message.contains("`encrypted` is false"),
        "{}",
        encryption[0].message
    );
    assert_eq!(
        report.position(encryption[0].span).line,
        10,
        "points at spec.forProvider.encrypted"
    );
    let regions: Vec<_> = common::findings(&report, "location-outside-france", "EBSVolume/data")
        .iter()
        .filter_map(|f| f.location.as_ref()?.value.clone())
        .collect();
    assert_eq!(regions, ["us-west-1", "us-west-1c"]);
}

#[test]
fn ack_region_comes_from_the_namespace_annotation() {
    let report = scan("testdata/k8s/pass/ack-bucket-region-from-namespace.yaml");
    assert!(
        common::findings(&report, "location-outside-france", "Bucket/archives/scans").is_empty()
    );
    let without = scan("testdata/k8s/undetermined/ack-bucket-without-region.yaml");
    assert_eq!(
        common::verdicts(&without, "location-outside-france", "Bucket/scans"),
        vec![Verdict::Undetermined]
    );
}

#[test]
fn config_connector_bucket_without_location_defaults_to_us() {
    let report = scan("testdata/k8s/fail/config-connector-bucket-default-us.yaml");
    let found = common::findings(&report, "location-outside-france", "StorageBucket/archives");
    let location = found[0].location.as_ref().expect("location");
    assert_eq!(location.value.as_deref(), Some("US"));
    assert!(
        location.provenance.detail.contains("defaults it to"),
        "{}",
        location.provenance.detail
    );
}

#[test]
fn waiver_annotations_accept_findings() {
    let report = scan("testdata/k8s/pass/waived-by-annotation.yaml");
    let found = common::findings(&report, "location-outside-france", "Pod/partner-sync");
    let waiver = found[0].waiver.as_ref().expect("waived");
    assert!(waiver.reason.contains("DPO decision"));
    assert!(!found[0].failing);
}

#[test]
fn admission_reviews_give_a_verdict() {
    let rejected = scan("testdata/admission/pod-us-east-1.json");
    assert_eq!(
        common::verdicts(&rejected, "location-outside-france", "Pod/default/web"),
        vec![Verdict::Violation]
    );
    let accepted = scan("testdata/admission/pod-paris.json");
    assert!(accepted.findings.is_empty(), "{:#?}", accepted.findings);
    let delete = scan("testdata/admission/delete.json");
    assert_eq!(
        delete.resources, 0,
        "DELETE deploys nothing, whatever the old object"
    );
    let wrong = common::scan("testdata/admission/wrong-version.json");
    assert!(
        wrong
            .error
            .expect("error")
            .to_string()
            .contains("admission.k8s.io/v1")
    );
}

#[test]
fn hostile_yaml_is_refused_with_the_limit_named_and_exit_2() {
    let dir = std::env::temp_dir().join(format!("souverain-k8s-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut bomb = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..12 {
        bomb.push_str(&format!(
            "  a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    let deep = format!(
        "apiVersion: v1\nkind: ConfigMap\ndata: {}{}\n",
        "[".repeat(100),
        "]".repeat(100)
    );
    for (name, text, limit) in [
        (
            "bomb.yaml",
            bomb,
            "over the limit yaml-alias-replay = 100000",
        ),
        ("deep.yaml", deep, "over the limit yaml-depth = 64"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        let output = Command::new(env!("CARGO_BIN_EXE_souverain"))
            .args(["scan", path.to_str().expect("utf8")])
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains(limit), "{name}: {stdout}");
    }
}

#[test]
fn manifest_text_output_snapshot() {
    let output = Command::new(env!("CARGO_BIN_EXE_souverain"))
        .args([
            "scan",
            "testdata/k8s/fail/statefulset-affinity-outside-france.yaml",
            "testdata/k8s/fail/storageclass-ebs-unencrypted-us-zone.yaml",
        ])
        .current_dir(common::root())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
}

#[test]
fn the_policy_can_require_workloads_to_be_pinned() {
    let mut policy = common::policy().clone();
    policy
        .extend("pinning.yaml", "kubernetes:\n  require_pinning: true\n")
        .expect("valid policy");
    let engine = souverain::Engine::new(&policy, None).expect("profile");
    let bytes =
        std::fs::read(common::root().join("testdata/k8s/pass/pod-unpinned.yaml")).expect("fixture");
    let report = engine.scan("pod-unpinned.yaml", &bytes);
    assert_eq!(
        common::verdicts(&report, "location-outside-france", "Pod/web"),
        vec![Verdict::Undetermined]
    );
    assert!(
        common::scan("testdata/k8s/pass/pod-unpinned.yaml")
            .findings
            .is_empty(),
        "off by default"
    );
}

#[test]
fn an_operator_family_s_own_group_holds_resources_and_its_configuration_is_none() {
    let report = scan("testdata/k8s/pass/crossplane-provider-config-and-resource-group.yaml");
    assert_eq!(report.resources, 1, "the ResourceGroup only");
    let sov101 = common::verdicts(&report, "location-outside-france", "ResourceGroup/records");
    assert!(sov101.is_empty(), "{sov101:?}");
}
