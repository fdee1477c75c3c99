//! Location cases of the catalogue (`testdata/location-outside-france/cases.yaml`):
//! each is written as a plan (`terraform show -json`) and as Terraform source,
//! and both must give the case's SOV101 verdict under every profile it names.
//! They pin the facts review found wrong: locations hidden in ARNs and ids,
//! per-type defaults, services that copy data worldwide, provider variants.

mod common;

use serde_json::{Map, Value, json};
use souverain::model::Verdict;
use souverain::{Engine, FileReport, Selection};
use std::collections::BTreeMap;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// What the case shows, for failure messages.
    name: String,
    /// The provider source, e.g. `hashicorp/aws`.
    provider: String,
    #[serde(default)]
    provider_settings: Map<String, Value>,
    #[serde(rename = "type")]
    resource_type: String,
    #[serde(default)]
    attributes: Map<String, Value>,
    /// Profile name to `pass`, `violation` or `undetermined`.
    verdicts: BTreeMap<String, Expected>,
}

#[derive(serde::Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Expected {
    Pass,
    Violation,
    Undetermined,
}

fn cases() -> Vec<Case> {
    common::read_yaml("testdata/location-outside-france/cases.yaml")
}

fn local_name(case: &Case) -> &str {
    case.provider.rsplit('/').next().expect("a source")
}

fn plan(case: &Case) -> Vec<u8> {
    let full_name = format!("registry.terraform.io/{}", case.provider);
    let settings: Map<String, Value> = case
        .provider_settings
        .iter()
        .map(|(k, v)| (k.clone(), json!({"constant_value": v})))
        .collect();
    serde_json::to_vec(&json!({
        "format_version": "1.2",
        "resource_changes": [{
            "address": format!("{}.case", case.resource_type),
            "mode": "managed", "type": case.resource_type, "name": "case",
            "provider_name": full_name,
            "change": {"actions": ["create"], "after": case.attributes, "after_unknown": {}}
        }],
        "configuration": {
            "provider_config": {local_name(case): {
                "name": local_name(case), "full_name": full_name, "expressions": settings
            }},
            "root_module": {"resources": [{
                "address": format!("{}.case", case.resource_type),
                "mode": "managed", "type": case.resource_type, "name": "case",
                "provider_config_key": local_name(case)
            }]}
        }
    }))
    .expect("JSON")
}

fn source(case: &Case) -> String {
    let local = local_name(case);
    let mut out = format!(
        "terraform {{\n  required_providers {{\n    {local} = {{ source = \"{}\" }}\n  }}\n}}\n\nprovider \"{local}\" {{\n",
        case.provider
    );
    body(&case.provider_settings, 1, &mut out);
    out.push_str(&format!(
        "}}\n\nresource \"{}\" \"case\" {{\n",
        case.resource_type
    ));
    body(&case.attributes, 1, &mut out);
    out.push_str("}\n");
    out
}

/// A nested block is a list of objects, anything else an attribute.
fn body(attributes: &Map<String, Value>, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    for (key, value) in attributes {
        match value {
            Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
                for item in items {
                    out.push_str(&format!("{indent}{key} {{\n"));
                    body(item.as_object().expect("an object"), depth + 1, out);
                    out.push_str(&format!("{indent}}}\n"));
                }
            }
            other => out.push_str(&format!("{indent}{key} = {other}\n")),
        }
    }
}

fn verdict(report: &FileReport, what: &str) -> Expected {
    assert!(report.error.is_none(), "{what}: {:?}", report.error);
    let found: Vec<Verdict> = report
        .findings
        .iter()
        .filter(|f| f.rule == "SOV101")
        .map(|f| f.verdict)
        .collect();
    if found.contains(&Verdict::Violation) {
        Expected::Violation
    } else if found.contains(&Verdict::Undetermined) {
        Expected::Undetermined
    } else {
        Expected::Pass
    }
}

#[test]
fn every_location_case_gives_its_verdict_in_plan_and_source() {
    let mut failures = Vec::new();
    let cases = cases();
    for case in &cases {
        for (profile, expected) in &case.verdicts {
            let mut selection = Selection::default();
            selection.select("SOV101").expect("SOV101");
            let engine = Engine::new(common::policy(), Some(profile))
                .expect("a profile of the policy")
                .with_selection(selection);
            let from_plan = engine.scan("plan.json", &plan(case));
            let mut tree = souverain::input::hcl::MemoryTree::default();
            tree.files
                .insert("case/main.tf".into(), source(case).into_bytes());
            let from_source = common::scan_source(&engine, "case", &tree);
            for (form, report) in [("plan", from_plan), ("source", from_source)] {
                let got = verdict(&report, &case.name);
                if got != *expected {
                    let messages: Vec<&str> =
                        report.findings.iter().map(|f| f.message.as_str()).collect();
                    failures.push(format!(
                        "{} ({profile}, {form}): expected {expected:?}, got {got:?} {messages:?}",
                        case.name
                    ));
                }
            }
        }
    }
    assert!(cases.len() >= 10, "only {} cases", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
