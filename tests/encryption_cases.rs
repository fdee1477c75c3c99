//! Every encryption rule of the embedded policy against cases read in the
//! provider's documentation (`testdata/storage-unencrypted/cases.yaml`):
//! each case is written as a plan (`terraform show -json`) and as Terraform
//! source (a StorageClass or PersistentVolume for Kubernetes volume keys),
//! and both must give the case's verdict for SOV201.
//!
//! Every rule needs a case that passes, and one that fails unless the rule
//! can never say "unencrypted" (a platform that always encrypts).

mod common;

use serde_json::{Map, Value, json};
use souverain::model::Verdict;
use souverain::policy::EncryptionOutcome;
use souverain::{Engine, FileReport, Selection};
use std::collections::BTreeMap;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Cases {
    #[serde(default)]
    pass: Vec<Map<String, Value>>,
    #[serde(default)]
    fail: Vec<Map<String, Value>>,
    #[serde(default)]
    undetermined: Vec<Map<String, Value>>,
}

fn cases() -> BTreeMap<String, Cases> {
    common::read_yaml("testdata/storage-unencrypted/cases.yaml")
}

fn engine() -> Engine<'static> {
    let mut selection = Selection::default();
    selection.select("SOV201").expect("SOV201");
    Engine::new(common::policy(), Some("france"))
        .expect("france")
        .with_selection(selection)
}

/// The SOV201 verdict of a report: `None` when it has no such finding.
fn verdict(report: &FileReport, what: &str) -> Option<Verdict> {
    assert!(report.error.is_none(), "{what}: {:?}", report.error);
    let found: Vec<Verdict> = report
        .findings
        .iter()
        .filter(|f| f.rule == "SOV201")
        .map(|f| f.verdict)
        .collect();
    assert!(found.len() <= 1, "{what}: {found:?}");
    found.first().copied()
}

fn provider_source(resource_type: &str) -> String {
    souverain::coverage::provider_of(common::policy(), resource_type)
        .map(|(source, _)| source.to_string())
        .unwrap_or_else(|| panic!("no provider in the catalogue for {resource_type}"))
}

fn plan(resource_type: &str, attributes: &Map<String, Value>) -> Vec<u8> {
    let source = provider_source(resource_type);
    let address = format!("{resource_type}.case");
    serde_json::to_vec(&json!({
        "format_version": "1.2",
        "resource_changes": [{
            "address": address,
            "mode": "managed",
            "type": resource_type,
            "name": "case",
            "provider_name": format!("registry.terraform.io/{source}"),
            "change": {"actions": ["create"], "after": attributes, "after_unknown": {}}
        }]
    }))
    .expect("JSON")
}

/// Terraform source: a nested block is a list of objects, an object is an
/// attribute (a map or a plugin-framework nested attribute).
fn source(resource_type: &str, attributes: &Map<String, Value>) -> String {
    let provider = provider_source(resource_type);
    let local = resource_type.split('_').next().expect("a prefix");
    let mut out = format!(
        "terraform {{\n  required_providers {{\n    {local} = {{ source = \"{provider}\" }}\n  }}\n}}\n\nresource \"{resource_type}\" \"case\" {{\n"
    );
    body(attributes, 1, &mut out);
    out.push_str("}\n");
    out
}

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
            _ => out.push_str(&format!("{indent}{key} = {}\n", expression(value))),
        }
    }
}

fn expression(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{} = {}", Value::String(k.clone()), expression(v)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(expression).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// A StorageClass, or a CSI PersistentVolume, whose parameters are the case's.
fn manifest(key: &str, attributes: &Map<String, Value>) -> Vec<u8> {
    let (kind, driver) = key.split_once('/').expect("Kind/driver");
    let parameters = attributes.get("parameters").cloned().unwrap_or(json!({}));
    let object = match kind {
        "StorageClass" => json!({
            "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": "case"}, "provisioner": driver, "parameters": parameters
        }),
        "PersistentVolume" => json!({
            "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "case"},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                     "csi": {"driver": driver, "volumeHandle": "v-1", "volumeAttributes": parameters}}
        }),
        other => panic!("no manifest for {other}"),
    };
    serde_json::to_vec(&object).expect("JSON")
}

#[test]
fn every_encryption_rule_gives_the_verdict_of_its_documented_cases() {
    let cases = cases();
    let policy = common::policy();
    let engine = engine();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (resource_type, rule) in &policy.encryption {
        let Some(of_type) = cases.get(resource_type) else {
            failures.push(format!("{resource_type}: no cases in cases.yaml"));
            continue;
        };
        if of_type.pass.is_empty() {
            failures.push(format!("{resource_type}: no passing case"));
        }
        let can_fail = !rule.checks.is_empty()
            || !rule.parts.is_empty()
            || rule.absent == EncryptionOutcome::Unencrypted;
        if can_fail && of_type.fail.is_empty() {
            failures.push(format!("{resource_type}: no failing case"));
        }
        let expectations = [
            (None, &of_type.pass),
            (Some(Verdict::Violation), &of_type.fail),
            (Some(Verdict::Undetermined), &of_type.undetermined),
        ];
        for (expected, attributes) in expectations {
            for attributes in attributes {
                let what = format!("{resource_type} {}", Value::Object(attributes.clone()));
                let readings: Vec<(&str, Option<Verdict>)> = if resource_type.contains('/') {
                    let report = engine.scan("case.json", &manifest(resource_type, attributes));
                    vec![("manifest", verdict(&report, &what))]
                } else {
                    let from_plan = engine.scan("plan.json", &plan(resource_type, attributes));
                    let mut tree = souverain::input::hcl::MemoryTree::default();
                    tree.files.insert(
                        "case/main.tf".into(),
                        source(resource_type, attributes).into_bytes(),
                    );
                    let from_source = common::scan_source(&engine, "case", &tree);
                    vec![
                        ("plan", verdict(&from_plan, &what)),
                        ("source", verdict(&from_source, &what)),
                    ]
                };
                for (form, got) in readings {
                    checked += 1;
                    if got != expected {
                        failures.push(format!(
                            "{what} as {form}: expected {expected:?}, got {got:?}"
                        ));
                    }
                }
            }
        }
    }
    for resource_type in cases.keys() {
        if !policy.encryption.contains_key(resource_type) {
            failures.push(format!(
                "{resource_type}: cases for a type the policy does not know"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        checked >= 2 * policy.encryption.len(),
        "only {checked} readings"
    );
}
