//! Admission decisions (`souverain::admission::decide`), shared by the
//! Kubewarden policy and the webhook: what each mode answers for a French
//! Pod, a Pod in Virginia, a waived one, an unreadable review and a finding
//! the profile only warns about.

mod common;

use souverain::admission::{Decision, Mode, Modes, Outcome, decide, decide_update};
use souverain::{Engine, Policy};

fn decision(path: &str, mode: Mode) -> Decision {
    decide(&common::scan(path), &mode.into())
}

fn silently_allowed() -> Decision {
    Decision {
        allowed: true,
        message: None,
        warnings: Vec::new(),
        outcomes: Vec::new(),
    }
}

#[test]
fn a_pod_outside_france_is_denied_with_each_finding_and_its_fix() {
    let decision = decision("testdata/admission/pod-us-east-1.json", Mode::Enforce);
    assert!(!decision.allowed);
    let message = decision.message.expect("a denial says why");
    assert!(
        message.starts_with("souverain: 1 finding must be fixed\n- [SOV101 location-outside-france] Pod/default/web is in `us-east-1`"),
        "{message}"
    );
    assert!(
        message.contains(" Fix: pin to a location in France"),
        "{message}"
    );
    assert!(decision.warnings.is_empty(), "{:?}", decision.warnings);
}

#[test]
fn a_french_pod_is_allowed_without_warnings() {
    for mode in [Mode::Enforce, Mode::Warn, Mode::Audit] {
        let decision = decision("testdata/admission/pod-paris.json", mode);
        assert_eq!(decision, silently_allowed(), "{mode:?}");
    }
}

#[test]
fn warn_mode_allows_and_says_each_finding() {
    let decision = decision("testdata/admission/pod-us-east-1.json", Mode::Warn);
    assert!(decision.allowed);
    assert_eq!(decision.message, None);
    assert_eq!(decision.warnings.len(), 1, "{:?}", decision.warnings);
    assert!(
        decision.warnings[0]
            .starts_with("souverain [SOV101 location-outside-france, violation] Pod/default/web"),
        "{:?}",
        decision.warnings
    );
}

#[test]
fn audit_mode_allows_silently() {
    let decision = decision("testdata/admission/pod-us-east-1.json", Mode::Audit);
    assert!(decision.allowed);
    assert_eq!((decision.message, decision.warnings), (None, Vec::new()));
    assert_eq!(
        decision.outcomes,
        [("SOV101", Outcome::Audited)],
        "counted, not said"
    );
}

#[test]
fn a_delete_deploys_nothing_and_is_allowed() {
    assert!(decision("testdata/admission/delete.json", Mode::Enforce).allowed);
}

#[test]
fn a_waived_finding_neither_denies_nor_warns() {
    let report = common::scan("testdata/k8s/pass/waived-by-annotation.yaml");
    assert_eq!(
        report
            .findings
            .iter()
            .filter(|f| f.waiver.is_some())
            .count(),
        1
    );
    let decision = decide(&report, &Mode::Enforce.into());
    assert!(decision.allowed);
    assert!(decision.warnings.is_empty(), "{:?}", decision.warnings);
}

#[test]
fn an_unreadable_review_is_denied_when_enforcing_and_said_when_warning() {
    let enforce = decision("testdata/admission/wrong-version.json", Mode::Enforce);
    assert!(!enforce.allowed);
    assert_eq!(
        enforce.message.as_deref(),
        Some(
            "souverain could not read the request: AdmissionReview of apiVersion `admission.k8s.io/v2`: expected admission.k8s.io/v1"
        )
    );
    let warn = decision("testdata/admission/wrong-version.json", Mode::Warn);
    assert!(warn.allowed);
    assert_eq!(warn.warnings, [enforce.message.unwrap()]);
    assert!(decision("testdata/admission/wrong-version.json", Mode::Audit).allowed);
}

#[test]
fn an_undetermined_finding_the_profile_tolerates_is_a_warning() {
    let mut policy = Policy::shared_default().unwrap().clone();
    policy
        .extend(
            "lenient.yaml",
            "profiles:\n  lenient:\n    description: undetermined warns\n    allowed_countries: [FR]\n    families: [region]\n    undetermined: warn\n",
        )
        .unwrap();
    let engine = Engine::new(&policy, Some("lenient")).unwrap();
    let path = "testdata/k8s/undetermined/pod-pinned-to-ambiguous-region.yaml";
    let report = engine.scan(path, &std::fs::read(common::root().join(path)).unwrap());
    assert!(
        report.findings.iter().all(|f| !f.failing),
        "{:?}",
        report.findings
    );
    for mode in [Mode::Enforce, Mode::Warn] {
        let decision = decide(&report, &mode.into());
        assert!(decision.allowed, "{mode:?}");
        assert_eq!(
            decision.warnings.len(),
            1,
            "{mode:?}: {:?}",
            decision.warnings
        );
        assert!(
            decision.warnings[0].contains("SOV101 location-outside-france, undetermined"),
            "{:?}",
            decision.warnings
        );
    }
    assert!(decide(&report, &Mode::Audit.into()).warnings.is_empty());
}

#[test]
fn each_rule_can_have_its_own_mode() {
    let report = common::scan("testdata/k8s/fail/storageclass-ebs-unencrypted-us-zone.yaml");
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule).collect();
    assert!(
        rules.contains(&"SOV101") && rules.contains(&"SOV201"),
        "{rules:?}"
    );
    let mut modes = Modes::from(Mode::Enforce);
    modes.set_from("storage-unencrypted=warn").unwrap();
    let decision = decide(&report, &modes);
    assert!(!decision.allowed);
    let message = decision.message.unwrap();
    assert!(message.contains("[SOV101 "), "{message}");
    assert!(!message.contains("[SOV201 "), "{message}");
    assert!(
        decision.warnings.iter().all(|w| w.contains("[SOV201 ")) && !decision.warnings.is_empty(),
        "{:?}",
        decision.warnings
    );
    modes.set_from("SOV101=audit").unwrap();
    modes.set_from("provider-not-qualified=audit").unwrap();
    let decision = decide(&report, &modes);
    assert!(decision.allowed, "{:?}", decision.message);
    assert!(decision.outcomes.contains(&("SOV101", Outcome::Audited)));
    assert!(decision.outcomes.contains(&("SOV201", Outcome::Warned)));
}

#[test]
fn an_update_is_denied_only_for_what_it_introduces() {
    let paris = common::scan("testdata/admission/pod-paris.json");
    let virginia = common::scan("testdata/admission/pod-us-east-1.json");
    let enforce = Modes::from(Mode::Enforce);

    let moved = decide_update(&virginia, Some(&paris), &enforce);
    assert!(!moved.allowed, "moving a Paris pod to Virginia is denied");
    assert_eq!(moved.outcomes, [("SOV101", Outcome::Denied)]);

    let unchanged = decide_update(&virginia, Some(&virginia), &enforce);
    assert!(unchanged.allowed, "{:?}", unchanged.message);
    assert_eq!(unchanged.outcomes, [("SOV101", Outcome::Existing)]);
    assert_eq!(unchanged.warnings.len(), 1);
    assert!(
        unchanged.warnings[0].starts_with(
            "souverain [SOV101 location-outside-france, already before this update] Pod/default/web"
        ),
        "{:?}",
        unchanged.warnings
    );
}
