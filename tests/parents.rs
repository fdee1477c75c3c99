//! Estates with child resources (`testdata/parents/estates.yaml`): each is
//! written as Terraform source and as a plan, once with its parents in France
//! and once with them moved outside. A child is where its parent is: no
//! location finding in the first, a violation naming the parent in the
//! second, in both forms. Children whose parent is not in the input are
//! undetermined, and say which parent they need.

mod common;

use serde_json::{Map, Value, json};
use souverain::model::{Finding, Verdict};
use souverain::{Engine, FileReport, Selection};
use std::collections::BTreeMap;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Estate {
    name: String,
    provider: String,
    #[serde(default)]
    provider_settings: Map<String, Value>,
    /// What `$LOCATION` is in the French estate, and once moved.
    inside: String,
    outside: String,
    resources: Vec<Block>,
    /// Module calls: module name to its arguments and outputs.
    #[serde(default)]
    modules: BTreeMap<String, Module>,
    /// Addresses that are where the estate's parents are.
    children: Vec<String>,
    /// Whether the children are located through their parent (else through
    /// the provider configuration, as every resource of the estate is).
    #[serde(default = "yes")]
    through_parent: bool,
    /// Addresses whose parent is not in the input.
    #[serde(default)]
    orphans: Vec<String>,
    /// Addresses the location rule does not apply to.
    #[serde(default)]
    unlocated: Vec<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Block {
    /// `type.name`, or `module.NAME.type.name`.
    address: String,
    #[serde(default)]
    attributes: Map<String, Value>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Module {
    #[serde(default)]
    arguments: Map<String, Value>,
    #[serde(default)]
    outputs: Map<String, Value>,
}

impl Block {
    /// The module it is in (`None` at the root), its type and its name.
    fn parts(&self) -> (Option<&str>, &str, &str) {
        let parts: Vec<&str> = self.address.split('.').collect();
        match parts.as_slice() {
            ["module", module, kind, name] => (Some(module), kind, name),
            [kind, name] => (None, kind, name),
            _ => panic!("unsupported address {}", self.address),
        }
    }
}

fn yes() -> bool {
    true
}

fn estates() -> Vec<Estate> {
    common::read_yaml("testdata/parents/estates.yaml")
}

fn local_name(estate: &Estate) -> &str {
    estate.provider.rsplit('/').next().expect("a source")
}

/// `{ref: EXPR}` is a reference; `$LOCATION` the estate's location.
fn reference(value: &Value) -> Option<&str> {
    value.get("ref").and_then(Value::as_str)
}

fn placed(value: &Value, location: &str) -> Value {
    match value {
        Value::String(text) => Value::String(text.replace("$LOCATION", location)),
        Value::Array(items) => Value::Array(items.iter().map(|v| placed(v, location)).collect()),
        Value::Object(map) if reference(value).is_none() => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), placed(v, location)))
                .collect(),
        ),
        other => other.clone(),
    }
}

// --- Terraform source -------------------------------------------------------

fn hcl_value(value: &Value) -> String {
    match reference(value) {
        Some(expression) => expression.to_string(),
        None => value.to_string(),
    }
}

fn hcl_body(attributes: &Map<String, Value>, location: &str, indent: &str) -> String {
    let mut out = String::new();
    for (key, value) in attributes {
        let value = placed(value, location);
        match &value {
            Value::Array(items)
                if !items.is_empty()
                    && items
                        .iter()
                        .all(|i| i.is_object() && reference(i).is_none()) =>
            {
                for item in items {
                    let inner = format!("{indent}  ");
                    let body = hcl_body(item.as_object().expect("an object"), location, &inner);
                    out.push_str(&format!("{indent}{key} {{\n{body}{indent}}}\n"));
                }
            }
            other => out.push_str(&format!("{indent}{key} = {}\n", hcl_value(other))),
        }
    }
    out
}

fn source(estate: &Estate, location: &str) -> souverain::input::hcl::MemoryTree {
    let local = local_name(estate);
    let required = format!(
        "terraform {{\n  required_providers {{\n    {local} = {{ source = \"{}\" }}\n  }}\n}}\n\n",
        estate.provider
    );
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let root = files.entry("estate/main.tf".into()).or_default();
    root.push_str(&required);
    root.push_str(&format!(
        "provider \"{local}\" {{\n{}}}\n\n",
        hcl_body(&estate.provider_settings, location, "  ")
    ));
    for (name, module) in &estate.modules {
        let root = files.get_mut("estate/main.tf").expect("root");
        root.push_str(&format!(
            "module \"{name}\" {{\n  source = \"./{name}\"\n{}}}\n\n",
            hcl_body(&module.arguments, location, "  ")
        ));
        let child = files.entry(format!("estate/{name}/main.tf")).or_default();
        child.push_str(&required);
        for argument in module.arguments.keys() {
            child.push_str(&format!("variable \"{argument}\" {{}}\n"));
        }
        for (output, value) in &module.outputs {
            child.push_str(&format!(
                "output \"{output}\" {{\n  value = {}\n}}\n",
                hcl_value(value)
            ));
        }
    }
    for block in &estate.resources {
        let (module, kind, name) = block.parts();
        let file = match module {
            Some(module) => format!("estate/{module}/main.tf"),
            None => "estate/main.tf".into(),
        };
        files.entry(file).or_default().push_str(&format!(
            "resource \"{kind}\" \"{name}\" {{\n{}}}\n\n",
            hcl_body(&block.attributes, location, "  ")
        ));
    }
    let mut tree = souverain::input::hcl::MemoryTree::default();
    for (path, text) in files {
        tree.files.insert(path, text.into_bytes());
    }
    tree
}

// --- Plan JSON --------------------------------------------------------------

/// A configuration expression as Terraform writes it.
fn expression(value: &Value) -> Value {
    match reference(value) {
        Some(expression) => {
            let mut references = vec![expression.to_string()];
            // Terraform also lists the object the attribute is read from.
            if let Some((object, _)) = expression.rsplit_once('.')
                && object.contains('.')
                && !object.starts_with("var.")
            {
                references.push(object.to_string());
            }
            json!({"references": references})
        }
        None => json!({"constant_value": value}),
    }
}

fn expressions(attributes: &Map<String, Value>, location: &str) -> Value {
    Value::Object(
        attributes
            .iter()
            .map(|(k, v)| (k.clone(), expression(&placed(v, location))))
            .collect(),
    )
}

fn plan(estate: &Estate, location: &str) -> Vec<u8> {
    let local = local_name(estate);
    let full_name = format!("registry.terraform.io/{}", estate.provider);
    let mut changes = Vec::new();
    let mut root_resources = Vec::new();
    let mut module_resources: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    // As Terraform plans it: a reference to a configured attribute of
    // another resource of the same module is known (`location =
    // azurerm_resource_group.rg.location`); an id is known only after apply.
    let configured = |address: &str, attribute: &str| -> Option<Value> {
        let block = estate.resources.iter().find(|b| b.address == address)?;
        let value = placed(block.attributes.get(attribute)?, location);
        reference(&value).is_none().then_some(value)
    };
    for block in &estate.resources {
        let (module, kind, name) = block.parts();
        let mut after = Map::new();
        let mut unknown = Map::new();
        for (key, value) in &block.attributes {
            let value = placed(value, location);
            let known = match reference(&value) {
                Some(expression) => expression.rsplit_once('.').and_then(|(object, attribute)| {
                    let object = match module {
                        Some(module) => format!("module.{module}.{object}"),
                        None => object.to_string(),
                    };
                    configured(&object, attribute)
                }),
                None => Some(value),
            };
            match known {
                Some(value) => {
                    after.insert(key.clone(), value);
                }
                None => {
                    unknown.insert(key.clone(), Value::Bool(true));
                }
            }
        }
        changes.push(json!({
            "address": block.address, "mode": "managed", "type": kind, "name": name,
            "provider_name": full_name,
            "change": {"actions": ["create"], "after": after, "after_unknown": unknown}
        }));
        let config = json!({
            "address": format!("{kind}.{name}"), "mode": "managed", "type": kind, "name": name,
            "provider_config_key": local,
            "expressions": expressions(&block.attributes, location)
        });
        match module {
            Some(module) => module_resources.entry(module).or_default().push(config),
            None => root_resources.push(config),
        }
    }
    let module_calls: Map<String, Value> = estate
        .modules
        .iter()
        .map(|(name, module)| {
            let variables: Map<String, Value> = module
                .arguments
                .keys()
                .map(|k| (k.clone(), json!({})))
                .collect();
            let outputs: Map<String, Value> = module
                .outputs
                .iter()
                .map(|(k, v)| (k.clone(), json!({"expression": expression(v)})))
                .collect();
            let call = json!({
                "source": format!("./{name}"),
                "expressions": expressions(&module.arguments, location),
                "module": {
                    "resources": module_resources.remove(name.as_str()).unwrap_or_default(),
                    "variables": variables,
                    "outputs": outputs
                }
            });
            (name.clone(), call)
        })
        .collect();
    serde_json::to_vec(&json!({
        "format_version": "1.2",
        "resource_changes": changes,
        "configuration": {
            "provider_config": {local: {
                "name": local, "full_name": full_name,
                "expressions": expressions(&estate.provider_settings, location)
            }},
            "root_module": {"resources": root_resources, "module_calls": module_calls}
        }
    }))
    .expect("JSON")
}

// --- The test ---------------------------------------------------------------

fn location_findings<'r>(report: &'r FileReport, address: &str) -> Vec<&'r Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.rule == "SOV101" && f.resource == address)
        .collect()
}

fn check(
    estate: &Estate,
    form: &str,
    moved: bool,
    report: &FileReport,
    failures: &mut Vec<String>,
) {
    let what = format!(
        "{} ({form}, {})",
        estate.name,
        if moved { "moved outside" } else { "in France" }
    );
    if let Some(error) = &report.error {
        failures.push(format!("{what}: {error:?}"));
        return;
    }
    let known: Vec<&str> = report
        .findings
        .iter()
        .map(|f| f.resource.as_str())
        .collect();
    for child in &estate.children {
        let findings = location_findings(report, child);
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        let ok = if moved {
            !findings.is_empty()
                && findings.iter().all(|f| {
                    f.verdict == Verdict::Violation
                        && (!estate.through_parent || f.message.contains("parent "))
                })
        } else {
            findings.is_empty()
        };
        if !ok {
            failures.push(format!(
                "{what}: {child}: {messages:?} (findings on {known:?})"
            ));
        }
    }
    for orphan in &estate.orphans {
        let findings = location_findings(report, orphan);
        let ok = !findings.is_empty()
            && findings.iter().all(|f| {
                f.verdict == Verdict::Undetermined && f.message.contains("is not in the input")
            });
        if !ok {
            let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
            failures.push(format!("{what}: orphan {orphan}: {messages:?}"));
        }
    }
    for unlocated in &estate.unlocated {
        let findings = location_findings(report, unlocated);
        if !findings.is_empty() {
            let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
            failures.push(format!("{what}: unlocated {unlocated}: {messages:?}"));
        }
    }
}

#[test]
fn children_are_where_their_parents_are_in_source_and_plan() {
    let mut selection = Selection::default();
    selection.select("SOV101").expect("SOV101");
    let engine = Engine::new(common::policy(), Some("france"))
        .expect("the france profile")
        .with_selection(selection);
    let estates = estates();
    let mut failures = Vec::new();
    let mut providers = std::collections::BTreeSet::new();
    for estate in &estates {
        providers.insert(estate.provider.as_str());
        for (moved, location) in [(false, &estate.inside), (true, &estate.outside)] {
            let tree = source(estate, location);
            let from_source = common::scan_source(&engine, "estate", &tree);
            check(estate, "source", moved, &from_source, &mut failures);
            let from_plan = engine.scan("plan.json", &plan(estate, location));
            check(estate, "plan", moved, &from_plan, &mut failures);
        }
    }
    // Every cloud of the catalogue with a French location a configuration
    // chooses has its estate (a variant, such as S3NS, is its provider's).
    let policy = common::policy();
    let variants: Vec<&str> = policy
        .providers()
        .flat_map(|(_, p)| p.variants.iter().map(|v| v.catalogue.as_str()))
        .collect();
    let missing: Vec<&str> = policy
        .providers()
        .filter(|(_, p)| p.kind == souverain::policy::ProviderKind::Cloud)
        .filter(|(_, p)| !p.resource_locations.is_empty() || !p.provider_locations.is_empty())
        .filter(|(_, p)| p.locations.iter().any(|l| l.country == "FR"))
        .filter(|(source, _)| !variants.contains(source))
        .map(|(source, _)| source)
        .filter(|source| !providers.contains(source))
        .collect();
    assert!(missing.is_empty(), "no estate for {missing:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_inventory_names_the_parent_and_says_what_has_no_location() {
    let engine = Engine::new(common::policy(), Some("france"))
        .expect("the france profile")
        .with_today("2026-12-04")
        .with_inventory();
    let estates = estates();
    let estate = estates
        .iter()
        .find(|e| e.provider == "hashicorp/azurerm" && !e.unlocated.is_empty())
        .expect("an Azure estate with an unlocated resource");
    let tree = source(estate, &estate.inside);
    let scanned = common::scan_source(&engine, "estate", &tree);
    let report = souverain::report::Report::new(engine.profile_name(), vec![scanned]);
    let markdown = souverain::report::inventory::markdown(&report, "2026-12-04");
    let row = |address: &str| -> &str {
        markdown
            .lines()
            .find(|line| line.starts_with(&format!("| `{address}`")))
            .unwrap_or_else(|| panic!("no row for {address} in\n{markdown}"))
    };
    let container = row("azurerm_storage_container.c");
    assert!(
        container.contains("parent azurerm_storage_account.sa")
            && container.contains("francecentral"),
        "{container}"
    );
    let assignment = row(&estate.unlocated[0]);
    assert!(
        assignment.contains("not applicable") && assignment.contains("holds no data"),
        "{assignment}"
    );
}
