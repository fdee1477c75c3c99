//! What each fuzz target does with its input. Shared, with `#[path]`, by the
//! fuzz targets (`fuzz/fuzz_targets/`) and by the regression tests
//! (`tests/fuzz_regressions.rs`), so a crashing input saved in
//! `testdata/fuzz-regressions/<target>/` is replayed exactly as it was found.
//!
//! A target does not only look for panics: it checks what must hold for any
//! input, so a fuzzer also finds silent bugs. An input is either evaluated or
//! reported as an error, never neither; every position points into its file;
//! every output format renders, and the machine-readable ones parse back.

use souverain::{Engine, FileReport, Policy, Report, report};

/// The date the engine is told, so waivers expire the same way every run.
const TODAY: &str = "2026-11-24";

/// What a fuzz target runs on one input.
pub type Target = fn(&[u8]);

/// Every target by name, for the regression tests.
pub const TARGETS: &[(&str, Target)] = &[
    ("plan_json", plan_json),
    ("hcl", hcl),
    ("manifests", manifests),
    ("admission_review", admission_review),
    ("policy", policy),
    ("scan", scan),
];

fn policy_default() -> &'static Policy {
    Policy::shared_default().expect("the embedded policy loads")
}

/// A Terraform plan (or any JSON): the plan reader and the rules.
pub fn plan_json(data: &[u8]) {
    scan_as("plan.json", data);
}

/// One Terraform file, read as a module of its own.
pub fn hcl(data: &[u8]) {
    scan_as("main.tf", data);
}

/// A multi-document YAML stream of Kubernetes manifests.
pub fn manifests(data: &[u8]) {
    scan_as("manifests.yaml", data);
}

/// A request body as the admission webhook receives it: answered, or refused
/// as malformed, never a panic. An answer echoes the request's uid.
pub fn admission_review(data: &[u8]) {
    use souverain::webhook::review::{Judge, Rules, review};
    let judge = Judge::new(policy_default().clone(), None).expect("the default profile exists");
    let rules = Rules {
        modes: souverain::admission::Mode::Enforce.into(),
        excluded_namespaces: vec!["kube-system".into()],
        deny_existing_violations: false,
    };
    if let Ok(reviewed) = review(data, &judge, &rules, TODAY) {
        serde_json::to_vec(&reviewed.response).expect("the answer serialises");
        let response = reviewed.response.response.as_ref();
        let response = response.expect("an answer has a response");
        assert_eq!(
            response.uid, reviewed.uid,
            "the answer names the request it answers"
        );
    }
}

/// A policy file extending the embedded policy: loaded, or refused with
/// issues; a policy that loads scans a plan without panicking.
pub fn policy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut policy = policy_default().clone();
    match policy.extend("fuzz-policy.yaml", text) {
        Ok(()) => {
            for profile in policy.profiles.keys().cloned().collect::<Vec<_>>() {
                let engine = Engine::new(&policy, Some(&profile)).expect("a listed profile");
                check(engine.scan("plan.json", PLAN.as_bytes()));
            }
        }
        Err(error) => assert!(!error.issues.is_empty(), "a refused policy says why"),
    }
}

/// A small plan with a region, an alias and an unencrypted volume, for
/// policies under test.
const PLAN: &str = include_str!("../testdata/examples/estate.json");

/// The names the `scan` target gives its input, picked by its first byte.
pub const SCAN_NAMES: [&str; 5] = ["plan.json", "main.tf", "manifests.yaml", "review.json", "-"];

/// The whole scan as the CLI runs it: the first byte picks how the input is
/// named (which decides HCL against the rest), the others are the file. The
/// report renders in every format.
pub fn scan(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let name = SCAN_NAMES[usize::from(pick) % SCAN_NAMES.len()];
    let engine = Engine::new(policy_default(), None)
        .expect("the default profile exists")
        .with_today(TODAY)
        .with_inventory();
    render_all(&check(engine.scan(name, bytes)));
}

fn scan_as(name: &str, data: &[u8]) {
    let engine = Engine::new(policy_default(), None)
        .expect("the default profile exists")
        .with_today(TODAY);
    check(engine.scan(name, data));
}

/// What holds for the report of any input; the one-input report.
fn check(scanned: FileReport) -> Report {
    if scanned.error.is_some() {
        assert!(
            scanned.findings.is_empty() && scanned.resources == 0,
            "an input that failed reports no findings as if it were partly clean"
        );
    }
    if let Some(position) = scanned.error_position() {
        assert!(position.line >= 1 && position.column >= 1);
    }
    for finding in &scanned.findings {
        let source = scanned
            .sources
            .get(finding.span.file)
            .expect("a finding's span names one of the report's sources");
        assert!(
            finding.span.start <= finding.span.end && finding.span.end <= source.text().len(),
            "a finding's span lies inside its file"
        );
        let at = scanned.position(finding.span);
        assert!(at.line >= 1 && at.column >= 1);
    }
    for note in &scanned.notes {
        if let Some(span) = note.span {
            assert!(span.end <= scanned.sources[span.file].text().len());
        }
    }
    let failed = scanned.error.is_some();
    let report = Report::new("fuzz", vec![scanned]);
    if failed {
        assert_eq!(report.exit_code(), 2, "an input that failed exits 2");
    }
    report
}

/// Every format renders; JSON and SARIF parse back, JUnit and the HTML
/// inventory are well-formed XML.
fn render_all(report: &Report) {
    for json in [report::json::render(report), report::sarif::render(report)] {
        serde_json::from_str::<serde_json::Value>(&json).expect("JSON output parses back");
    }
    for xml in [
        report::junit::render(report),
        report::inventory::html(report, TODAY),
    ] {
        let options = roxmltree::ParsingOptions {
            allow_dtd: true, // the HTML page's <!DOCTYPE html>
            ..Default::default()
        };
        roxmltree::Document::parse_with_options(&xml, options).expect("XML output is well-formed");
    }
    report::text::render(report);
    report::markdown::render(report);
    report::github::render(report);
    report::inventory::markdown(report, TODAY);
}
