//! The engine over every file of the shared corpus of third-party inputs
//! (`$SOUVERAIN_CORPUS` or `../shared/corpus`): no panic; every plan gives a
//! report; what is not a plan gives a clear error; known facts hold.

mod common;

use souverain::model::Verdict;
use souverain::{Engine, FileReport};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

/// Corpus plans that are not valid plans, and what their error must say.
const NOT_PLANS: &[(&str, &str)] = &[
    ("checkov__corrupted-tfplan.json", "Terraform state"),
    ("tfjson__invalid__plan.json", "invalid JSON"),
];

/// Corpus manifests and AdmissionReviews that cannot be evaluated, and what
/// their error must say.
const NOT_MANIFESTS: &[(&str, &str)] = &[
    ("checkov__parser_helm.yaml", "unrendered Helm template"),
    (
        "kubeconform__duplicate_property.yaml",
        "duplicate mapping key",
    ),
    (
        "kubeconform__missing_kind_value.yaml",
        "is not a Kubernetes object",
    ),
    ("terrascan__empty.json", "empty input"),
    (
        "terrascan__invalid.json",
        "not a Terraform plan, Terraform source or Kubernetes manifest",
    ),
];

/// Corpus HCL entries that cannot be evaluated, and what their error must say.
const NOT_MODULES: &[(&str, &str)] = &[
    // Terraform itself rejects it: "Attribute redefined".
    ("checkov__example.tf", "invalid HCL"),
    (
        "scaleway__list-resource-03-by-zone.tfquery.hcl",
        "declare no infrastructure",
    ),
];

fn scan_corpus_file(engine: &Engine, path: &Path) -> FileReport {
    let bytes = std::fs::read(path).expect("readable corpus file");
    let name = path.display().to_string();
    catch_unwind(AssertUnwindSafe(|| engine.scan(&name, &bytes)))
        .unwrap_or_else(|_| panic!("panic on {name}"))
}

#[test]
fn every_corpus_file_gives_a_report_or_a_clear_error() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let engine = Engine::new(common::policy(), None)
        .expect("default profile")
        .with_inventory();
    let files: Vec<_> = common::files_under(&corpus)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "PROVENANCE.tsv"))
        .collect();
    assert!(
        files.len() > 150,
        "corpus looks incomplete: {} files",
        files.len()
    );
    let mut plans = 0;
    let mut reports = Vec::new();
    for path in &files {
        let report = scan_corpus_file(&engine, path);
        inventory_matches_findings(&report);
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let kind = path
            .strip_prefix(&corpus)
            .ok()
            .and_then(|p| p.iter().next())
            .and_then(|c| c.to_str());
        match (kind, &report.error) {
            (Some("hcl"), _) => {} // checked module by module below
            (Some("tfplan"), None) => {
                assert!(
                    !NOT_PLANS.iter().any(|(n, _)| *n == name),
                    "{name} should have been rejected"
                );
                plans += 1;
            }
            (Some("tfplan"), Some(error)) => {
                let expected = NOT_PLANS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .unwrap_or_else(|| panic!("valid plan {name} failed: {error}"));
                assert!(error.to_string().contains(expected.1), "{name}: {error}");
            }
            (Some("k8s" | "admission"), None) => {
                assert!(
                    !NOT_MANIFESTS.iter().any(|(n, _)| *n == name),
                    "{name} should have been rejected"
                );
            }
            (Some("k8s" | "admission"), Some(error)) => {
                let expected = NOT_MANIFESTS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .unwrap_or_else(|| panic!("{name} failed: {error}"));
                assert!(error.to_string().contains(expected.1), "{name}: {error}");
                if name.ends_with(".yaml") {
                    assert!(
                        report.error_position().is_some(),
                        "{name}: no line for {error}"
                    );
                }
            }
            (kind, _) => panic!("unexpected corpus folder {kind:?} for {}", path.display()),
        }
        reports.push(report);
    }
    assert!(plans >= 50, "only {plans} plans evaluated");
    // The inventory of the whole corpus renders, every resource in it.
    let report = souverain::Report::new(engine.profile_name(), reports);
    let markdown = souverain::report::inventory::markdown(&report, "2026-11-23");
    let html = souverain::report::inventory::html(&report, "2026-11-23");
    let rows = |text: &str, start: &str| text.lines().filter(|l| l.starts_with(start)).count();
    assert_eq!(
        rows(&markdown, "| `"),
        report.summary().resources,
        "one Markdown row per resource"
    );
    assert_eq!(
        html.matches("<tr><td><div class=\"fact plain\"><code>")
            .count(),
        report.summary().resources,
        "one HTML row per resource"
    );
}

/// One inventory entry per resource, whose findings are exactly the
/// resource's, in order.
fn inventory_matches_findings(report: &FileReport) {
    assert_eq!(report.inventory.len(), report.resources, "{}", report.file);
    let mut next = 0;
    for entry in &report.inventory {
        assert_eq!(entry.findings.start, next, "{}", report.file);
        next = entry.findings.end;
        for finding in &report.findings[entry.findings.clone()] {
            assert_eq!(finding.resource, entry.address, "{}", report.file);
        }
    }
    assert_eq!(next, report.findings.len(), "{}", report.file);
}

#[test]
fn every_hcl_corpus_entry_is_evaluated_as_a_module_or_refused_with_a_reason() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let engine = Engine::new(common::policy(), None).expect("default profile");
    let hcl = corpus.join("hcl");
    let mut evaluated = 0;
    for entry in std::fs::read_dir(&hcl).expect("hcl corpus").flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let tree = common::memory_tree(&hcl, &path);
        let options = souverain::input::hcl::HclOptions::default();
        // As the CLI does: a file alone, or every directory holding `.tf` files.
        let module_dirs: Vec<String> = tree
            .files
            .keys()
            .filter(|f| f.ends_with(".tf"))
            .filter_map(|f| f.rsplit_once('/').map(|(dir, _)| dir.to_string()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let reports: Vec<FileReport> = catch_unwind(AssertUnwindSafe(|| {
            if path.is_dir() {
                module_dirs
                    .iter()
                    .map(|dir| engine.scan_module(dir, dir, None, &tree, &options))
                    .collect()
            } else {
                vec![engine.scan(&name, &std::fs::read(&path).expect("readable"))]
            }
        }))
        .unwrap_or_else(|_| panic!("panic on {name}"));
        assert!(!reports.is_empty(), "{name}: no module found");
        for report in reports {
            match (&report.error, NOT_MODULES.iter().find(|(n, _)| *n == name)) {
                (None, None) => evaluated += 1,
                (Some(error), Some((_, expected))) => {
                    assert!(error.to_string().contains(expected), "{name}: {error}");
                    if let Some(at) = report.error_position() {
                        assert!(at.line > 0, "{name}: error without a line");
                    }
                }
                (Some(error), None) => panic!("{}: {error}", report.file),
                (None, Some(_)) => panic!("{name} should have been refused"),
            }
        }
    }
    assert!(evaluated >= 45, "only {evaluated} HCL entries evaluated");
}

/// The same configuration as HCL and as its plan gives the same findings:
/// the six fugue/regula pairs of the corpus.
#[test]
fn hcl_and_its_plan_give_the_same_findings() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let engine = Engine::new(common::policy(), None).expect("default profile");
    for pair in [
        "account_secure_transfer_infra",
        "bucket_sse_infra",
        "cryptokey_rotate_infra",
        "firewall_no_inbound_all_infra",
        "resource_view_07_infra",
        "volume_encrypted_infra",
    ] {
        let read = |path: std::path::PathBuf| std::fs::read(&path).expect("pair file");
        let from_hcl = engine.scan(
            "main.tf",
            &read(corpus.join(format!("hcl/regula__{pair}.tf"))),
        );
        let from_plan = engine.scan(
            "plan.json",
            &read(corpus.join(format!("tfplan/regula__{pair}.json"))),
        );
        assert!(
            from_hcl.error.is_none() && from_plan.error.is_none(),
            "{pair}"
        );
        assert_eq!(
            common::finding_summary(&from_hcl),
            common::finding_summary(&from_plan),
            "{pair}"
        );
    }
}

fn corpus_plan(name: &str) -> Option<FileReport> {
    let corpus = common::corpus()?;
    let engine = Engine::new(common::policy(), None).expect("default profile");
    Some(scan_corpus_file(&engine, &corpus.join("tfplan").join(name)))
}

#[test]
fn ebs_volumes_encrypted_true_false_and_unknown() {
    let Some(report) = corpus_plan("regula__volume_encrypted_infra.json") else {
        return;
    };
    assert_eq!(
        common::verdicts(&report, "storage-unencrypted", "aws_ebs_volume.bad"),
        vec![Verdict::Violation]
    );
    assert!(common::verdicts(&report, "storage-unencrypted", "aws_ebs_volume.good").is_empty());
    assert_eq!(
        common::verdicts(&report, "storage-unencrypted", "aws_ebs_volume.missing"),
        vec![Verdict::Undetermined]
    );
}

#[test]
fn utf16_and_wrapped_plans_are_read() {
    for (name, resources) in [
        ("checkov__tfplan_win_utf16.json", 1),
        ("checkov__plan_with_utf_16_encoding__tfplan.json", 3),
        ("infracost__plan_with_terraform_wrapper.json", 2),
    ] {
        let Some(report) = corpus_plan(name) else {
            return;
        };
        assert!(report.error.is_none(), "{name}: {:?}", report.error);
        assert_eq!(report.resources, resources, "{name}");
    }
}

#[test]
fn s3_buckets_are_encrypted_by_default_and_us_multi_region_is_outside_france() {
    let Some(report) = corpus_plan("regula__bucket_sse_infra.json") else {
        return;
    };
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.name == "storage-unencrypted")
    );
    let Some(report) = corpus_plan("regula__resource_view_07_infra.json") else {
        return;
    };
    let bucket = common::findings(
        &report,
        "location-outside-france",
        "google_storage_bucket.example",
    );
    assert_eq!(bucket.len(), 1);
    assert_eq!(
        bucket[0].location.as_ref().and_then(|l| l.value.as_deref()),
        Some("US")
    );
}

#[test]
fn utility_providers_give_no_findings() {
    let Some(report) = corpus_plan("tfjson__110_sensitive_values__plan.json") else {
        return;
    };
    assert_eq!(report.resources, 7);
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}
