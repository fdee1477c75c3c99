//! Terraform and OpenTofu plan JSON (`terraform show -json PLAN`), format
//! versions 0.1 to 1.2 (Terraform 0.12 to 1.14).
//!
//! Resources come from `resource_changes` (from `planned_values` when a
//! document has none); deletions, reads and data sources are not deployments.
//! For each resource the provider configuration it uses is found through
//! `provider_config_key` and its settings resolved: constants, root variables
//! (`variables`), module arguments and module variable defaults. Older plans
//! (Terraform < 0.15) name keys after the module call (`child:aws`) and do not
//! list inherited configurations; those are found by walking up the modules.

use crate::model::{Action, Provenance, ProvenanceKind, ProviderSettings, Resource, Span};
use crate::path::{self, Segment};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::reference::{self, Target};
use super::{Attributes, InputError, KeptAttributes, Key};

#[derive(Deserialize)]
struct PlanDoc<'a> {
    format_version: Option<String>,
    #[serde(default)]
    variables: BTreeMap<String, PlanVariable>,
    #[serde(borrow, default)]
    resource_changes: Option<Vec<&'a RawValue>>,
    /// Read only when there are no `resource_changes` (it repeats them).
    #[serde(borrow, default)]
    planned_values: Option<&'a RawValue>,
    #[serde(borrow, default)]
    configuration: Option<Configuration<'a>>,
    /// Present in `terraform show -json` of a state, not of a plan.
    #[serde(borrow, default)]
    values: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "apiVersion")]
    api_version: Option<&'a RawValue>,
    /// With `apiVersion`, `uid` and `operation`: what tells Kubernetes JSON
    /// from a plan, read in the same pass.
    #[serde(default)]
    kind: Option<Value>,
    #[serde(borrow, default)]
    uid: Option<&'a RawValue>,
    #[serde(borrow, default)]
    operation: Option<&'a RawValue>,
}

/// A JSON document read once: a plan, or Kubernetes JSON recognised by its
/// top-level keys.
pub struct Document<'a> {
    doc: PlanDoc<'a>,
    text: &'a str,
    base: usize,
}

impl<'a> Document<'a> {
    /// Reads the document; `base` is the offset of `text` in the file
    /// (non-zero when it was unwrapped from noise).
    pub fn read(text: &'a str, base: usize) -> Result<Self, InputError> {
        let doc = serde_json::from_str(text).map_err(|e| InputError::json(&e, text, base))?;
        Ok(Self { doc, text, base })
    }

    /// The top-level keys of an AdmissionReview or of a bare admission request.
    pub fn peek(&self) -> super::admission::PeekKeys {
        let present = |raw: Option<&RawValue>| raw.map(|_| serde::de::IgnoredAny);
        super::admission::PeekKeys {
            api_version: present(self.doc.api_version),
            kind: self.doc.kind.clone(),
            uid: present(self.doc.uid),
            operation: present(self.doc.operation),
        }
    }
}

#[derive(Deserialize)]
struct PlanVariable {
    value: Option<Value>,
}

#[derive(Deserialize)]
struct ValuesDoc<'a> {
    #[serde(borrow)]
    root_module: Option<ValuesModule<'a>>,
}

#[derive(Deserialize)]
struct ValuesModule<'a> {
    #[serde(borrow, default)]
    resources: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    child_modules: Vec<ValuesModule<'a>>,
}

/// A resource change with only what is read: `after` and `after_unknown`
/// hold the kept attributes, everything else (`before`, sensitivity maps,
/// replace paths) is skipped unbuilt. Read by [`ChangeSeed`] in one pass.
struct ResourceChange {
    address: String,
    mode: Option<String>,
    resource_type: String,
    name: String,
    provider_name: String,
    actions: Vec<String>,
    after: Value,
    after_unknown: Value,
}

/// Reads a [`ResourceChange`], pruning its attributes as it goes: a derived
/// `Deserialize` could not take the [`KeptAttributes`], so the attributes
/// would be kept raw and parsed a second time.
struct ChangeSeed<'k>(&'k KeptAttributes);

impl<'de> DeserializeSeed<'de> for ChangeSeed<'_> {
    type Value = ResourceChange;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<ResourceChange, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ChangeSeed<'_> {
    type Value = ResourceChange;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a resource change")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ResourceChange, A::Error> {
        let (mut address, mut resource_type, mut body) = (None, None, None);
        let (mut mode, mut name, mut provider_name) = (None, String::new(), String::new());
        while let Some(Key(key)) = map.next_key()? {
            match key.as_ref() {
                "address" => address = Some(map.next_value()?),
                "mode" => mode = map.next_value()?,
                "type" => resource_type = Some(map.next_value()?),
                "name" => name = map.next_value()?,
                "provider_name" => provider_name = map.next_value()?,
                "change" => body = Some(map.next_value_seed(ChangeBodySeed(self.0))?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let (actions, after, after_unknown) =
            body.ok_or_else(|| A::Error::missing_field("change"))?;
        Ok(ResourceChange {
            address: address.ok_or_else(|| A::Error::missing_field("address"))?,
            mode,
            resource_type: resource_type.ok_or_else(|| A::Error::missing_field("type"))?,
            name,
            provider_name,
            actions,
            after,
            after_unknown,
        })
    }
}

/// The `change` of a resource change: its actions, `after` and
/// `after_unknown` (absent or null: no attributes).
struct ChangeBodySeed<'k>(&'k KeptAttributes);

impl<'de> DeserializeSeed<'de> for ChangeBodySeed<'_> {
    type Value = (Vec<String>, Value, Value);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ChangeBodySeed<'_> {
    type Value = (Vec<String>, Value, Value);

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a change with `actions`, `after` and `after_unknown`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut actions = Vec::new();
        let mut after = Value::Object(Map::new());
        let mut after_unknown = Value::Object(Map::new());
        while let Some(Key(key)) = map.next_key()? {
            match key.as_ref() {
                "actions" => actions = map.next_value()?,
                "after" => after = map.next_value_seed(Attributes(self.0))?,
                "after_unknown" => after_unknown = map.next_value_seed(Attributes(self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((actions, after, after_unknown))
    }
}

#[derive(Deserialize)]
struct PlannedResource<'a> {
    address: String,
    #[serde(default)]
    mode: Option<String>,
    #[serde(rename = "type")]
    resource_type: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    provider_name: String,
    #[serde(borrow, default)]
    values: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct Configuration<'a> {
    #[serde(default)]
    provider_config: BTreeMap<String, ProviderConfig>,
    #[serde(default)]
    #[serde(borrow)]
    root_module: ConfigModule<'a>,
}

#[derive(Deserialize)]
struct ProviderConfig {
    #[serde(default)]
    module_address: Option<String>,
    #[serde(default)]
    expressions: Map<String, Value>,
}

#[derive(Deserialize, Default)]
struct ConfigModule<'a> {
    #[serde(default)]
    #[serde(borrow)]
    resources: Vec<ConfigResource<'a>>,
    #[serde(default)]
    #[serde(borrow)]
    module_calls: BTreeMap<String, ModuleCall<'a>>,
    #[serde(default)]
    variables: BTreeMap<String, ConfigVariable>,
    #[serde(default)]
    outputs: BTreeMap<String, ConfigOutput>,
}

#[derive(Deserialize)]
struct ConfigOutput {
    #[serde(default)]
    expression: Option<Value>,
}

#[derive(Deserialize)]
struct ConfigResource<'a> {
    #[serde(default)]
    mode: Option<String>,
    #[serde(rename = "type")]
    resource_type: String,
    name: String,
    #[serde(default)]
    provider_config_key: Option<String>,
    #[serde(borrow, default)]
    expressions: Option<RawExpressions<'a>>,
}

/// A resource's `expressions`, kept raw: they hold every argument, tags and
/// policy documents included, and only the kept attributes are ever read
/// (once, when the resource is deployed).
struct RawExpressions<'a>(&'a RawValue);

impl<'de: 'a, 'a> Deserialize<'de> for RawExpressions<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <&RawValue>::deserialize(deserializer)?;
        if raw.get().starts_with('{') {
            Ok(Self(raw))
        } else {
            Err(D::Error::invalid_type(
                serde::de::Unexpected::Other(raw.get()),
                &"an object of expressions",
            ))
        }
    }
}

impl RawExpressions<'_> {
    /// The expressions of the kept attributes.
    fn kept(&self, kept: &KeptAttributes) -> Map<String, Value> {
        match kept.parse(self.0.get()) {
            Ok(Value::Object(expressions)) => expressions,
            // Checked to be a JSON object when read.
            _ => Map::new(),
        }
    }
}

#[derive(Deserialize)]
struct ModuleCall<'a> {
    #[serde(default)]
    expressions: Map<String, Value>,
    #[serde(default)]
    #[serde(borrow)]
    module: ConfigModule<'a>,
}

#[derive(Deserialize)]
struct ConfigVariable {
    #[serde(default)]
    default: Option<Value>,
}

/// Reads the resources of a plan. `text` is the whole document; `base` is the
/// offset of `text` in the file (non-zero when it was unwrapped from noise).
pub fn parse(text: &str, base: usize, kept: &KeptAttributes) -> Result<Vec<Resource>, InputError> {
    resources(Document::read(text, base)?, kept)
}

/// The resources of a document read as a plan, with the attributes `kept`.
pub fn resources(document: Document, kept: &KeptAttributes) -> Result<Vec<Resource>, InputError> {
    let Document { doc, text, base } = document;
    classify(&doc)?;
    let configuration = doc.configuration.unwrap_or_default();
    let plan = Plan {
        variables: &doc.variables,
        configuration: &configuration,
        config_index: index_config(&configuration.root_module),
        settings: RefCell::new(HashMap::new()),
    };
    let span_of = |raw: &RawValue| {
        let start = base + (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        Span {
            file: 0,
            start,
            end: start + raw.get().len(),
        }
    };

    // An attributes object with only what the policy reads; absent or null
    // is empty.
    let attributes = |raw: Option<&RawValue>| -> Result<Value, InputError> {
        match raw {
            None => Ok(Value::Object(Map::new())),
            Some(raw) => kept
                .parse(raw.get())
                .map_err(|e| InputError::json(&e, raw.get(), span_of(raw).start)),
        }
    };
    let mut resources = Vec::new();
    if let Some(changes) = &doc.resource_changes {
        for raw in changes {
            let mut deserializer = serde_json::Deserializer::from_str(raw.get());
            let change = ChangeSeed(kept)
                .deserialize(&mut deserializer)
                .map_err(|e| InputError::json(&e, raw.get(), span_of(raw).start))?;
            let Some(action) = deployed_action(&change.actions) else {
                continue;
            };
            if change.mode.as_deref() == Some("data") {
                continue;
            }
            // `after` is null when every attribute is unknown until apply;
            // the resource is deployed all the same.
            resources.push(plan.resource(
                kept,
                change.address,
                change.resource_type,
                change.name,
                &change.provider_name,
                action,
                change.after,
                change.after_unknown,
                span_of(raw),
            ));
        }
    } else if let Some(raw) = doc.planned_values {
        let values: ValuesDoc = serde_json::from_str(raw.get())
            .map_err(|e| InputError::json(&e, raw.get(), span_of(raw).start))?;
        let Some(root) = values.root_module.as_ref() else {
            return Ok(resources);
        };
        let mut stack = vec![root];
        while let Some(module) = stack.pop() {
            for raw in &module.resources {
                let planned: PlannedResource = serde_json::from_str(raw.get())
                    .map_err(|e| InputError::json(&e, raw.get(), span_of(raw).start))?;
                if planned.mode.as_deref() == Some("data") {
                    continue;
                }
                resources.push(plan.resource(
                    kept,
                    planned.address,
                    planned.resource_type,
                    planned.name,
                    &planned.provider_name,
                    Action::Planned,
                    attributes(planned.values)?,
                    Value::Object(Map::new()),
                    span_of(raw),
                ));
            }
            stack.extend(module.child_modules.iter().rev());
        }
    }
    Ok(resources)
}

/// Tells a plan from the other JSON documents users pass by mistake.
fn classify(doc: &PlanDoc) -> Result<(), InputError> {
    if doc.resource_changes.is_some() || doc.planned_values.is_some() {
        return Ok(());
    }
    if doc.values.is_some() {
        return Err(InputError::NotAPlan(
            "this is Terraform state (`terraform show -json` without a plan file), not a plan; \
             run `terraform plan -out plan.bin && terraform show -json plan.bin`"
                .into(),
        ));
    }
    if doc.api_version.is_some() {
        return Err(InputError::NotAPlan(
            "this is a Kubernetes object, not a Terraform plan; Kubernetes input is not supported yet".into(),
        ));
    }
    if doc.configuration.is_some() || doc.format_version.is_some() {
        // A plan with no changes and no resources: nothing is deployed.
        return Ok(());
    }
    Err(InputError::NotAPlan(
        "JSON without `resource_changes`, `planned_values` or `configuration`: not a Terraform plan; \
         produce one with `terraform show -json PLANFILE`"
            .into(),
    ))
}

/// What a change deploys; `None` for deletions, reads and forgets.
fn deployed_action(actions: &[String]) -> Option<Action> {
    let has = |a: &str| actions.iter().any(|x| x == a);
    if has("create") && has("delete") {
        Some(Action::Replace)
    } else if has("create") {
        Some(Action::Create)
    } else if has("update") {
        Some(Action::Update)
    } else if has("no-op") {
        Some(Action::NoOp)
    } else {
        None
    }
}

/// `registry.terraform.io/hashicorp/aws` → `hashicorp/aws`; legacy names
/// (`aws` in Terraform 0.12, `-/aws` in 0.13) → `hashicorp/aws`, as Terraform
/// itself upgrades them.
pub fn provider_source(provider_name: &str) -> String {
    let parts: Vec<&str> = provider_name.split('/').collect();
    match parts.as_slice() {
        [name] => format!("hashicorp/{name}"),
        ["-", name] => format!("hashicorp/{name}"),
        [host, "-", name] if is_public_registry(host) => format!("hashicorp/{name}"),
        [host, namespace, name] if is_public_registry(host) => format!("{namespace}/{name}"),
        _ => provider_name.to_string(),
    }
}

fn is_public_registry(host: &str) -> bool {
    matches!(host, "registry.terraform.io" | "registry.opentofu.org")
}

/// `module.a["x"].module.b[0].aws_s3_bucket.c` → `["a", "b"]`.
pub fn module_path(address: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        let end = after.find(['.', '[']).unwrap_or(after.len());
        names.push(after[..end].to_string());
        rest = &after[end..];
        if rest.starts_with('[') {
            rest = skip_index(rest);
        }
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    names
}

/// Skips a `[...]` instance key, honouring quotes and escapes in string keys.
pub(crate) fn skip_index(text: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ']' if !in_string => return &text[i + 1..],
            _ => {}
        }
    }
    ""
}

fn module_address(path: &[String]) -> String {
    path.iter()
        .map(|m| format!("module.{m}"))
        .collect::<Vec<_>>()
        .join(".")
}

type ConfigKey = (Vec<String>, bool, String, String);

fn index_config<'a>(root: &'a ConfigModule<'a>) -> HashMap<ConfigKey, &'a ConfigResource<'a>> {
    let mut index = HashMap::new();
    let mut stack: Vec<(Vec<String>, &ConfigModule)> = vec![(Vec::new(), root)];
    while let Some((path, module)) = stack.pop() {
        for resource in &module.resources {
            let data = resource.mode.as_deref() == Some("data");
            index.insert(
                (
                    path.clone(),
                    data,
                    resource.resource_type.clone(),
                    resource.name.clone(),
                ),
                resource,
            );
        }
        for (name, call) in &module.module_calls {
            let mut child = path.clone();
            child.push(name.clone());
            stack.push((child, &call.module));
        }
    }
    index
}

struct Plan<'a> {
    variables: &'a BTreeMap<String, PlanVariable>,
    configuration: &'a Configuration<'a>,
    config_index: HashMap<ConfigKey, &'a ConfigResource<'a>>,
    /// Provider settings by configuration key and module path: resolved
    /// once, shared by the resources that use them.
    settings: RefCell<SettingsCache>,
}

/// Provider settings by configuration key and module path.
type SettingsCache = HashMap<(String, Vec<String>), Arc<ProviderSettings>>;

/// A value resolved from an expression, with the chain that led to it.
struct Resolved {
    value: Option<Value>,
    /// E.g. `var.region = "eu-west-3"`, or why it could not be resolved.
    chain: String,
}

impl<'a> Plan<'a> {
    #[allow(clippy::too_many_arguments)]
    fn resource(
        &self,
        kept: &KeptAttributes,
        address: String,
        resource_type: String,
        name: String,
        provider_name: &str,
        action: Action,
        attributes: Value,
        unknown: Value,
        span: Span,
    ) -> Resource {
        let modules = module_path(&address);
        let config = self
            .config_index
            .get(&(modules.clone(), false, resource_type.clone(), name))
            .copied();
        let mut configured = BTreeMap::new();
        let mut references = BTreeMap::new();
        if let Some(config) = config {
            // Provenance is only ever told of attributes the policy reads.
            let expressions = config.expressions.as_ref().map(|raw| raw.kept(kept));
            for (attribute, expression) in expressions.iter().flatten() {
                let mut referenced = Vec::new();
                self.referenced(expression, &modules, 0, &mut referenced);
                if !referenced.is_empty() {
                    references.insert(attribute.clone(), referenced);
                }
                if let Value::Array(blocks) = expression {
                    // A nested block: each argument has its own expression,
                    // and one computed at apply hides none of the others.
                    self.configure_blocks(attribute, blocks, &modules, &mut configured);
                    continue;
                }
                configured.insert(
                    attribute.clone(),
                    self.provenance(attribute, expression, &modules),
                );
            }
        }
        let provider_type = provider_name.rsplit('/').next().unwrap_or(provider_name);
        let key = config
            .and_then(|c| c.provider_config_key.clone())
            .unwrap_or_else(|| provider_type.to_string());
        Resource {
            address,
            resource_type,
            provider: provider_source(provider_name),
            action,
            attributes,
            unknown,
            configured,
            provider_settings: self.shared_settings(key, modules),
            span,
            attribute_spans: BTreeMap::new(),
            waivers: Vec::new(),
            locations: Vec::new(),
            references,
            form: crate::model::Form::Plan,
        }
    }

    /// Where the value of a resource argument at `at` comes from.
    fn provenance(&self, at: &str, expression: &Value, scope: &[String]) -> Provenance {
        let resolved = self.resolve(expression, scope);
        let kind = if resolved.chain.starts_with("var.") {
            ProvenanceKind::Variable
        } else {
            ProvenanceKind::Literal
        };
        Provenance::new(kind, format!("`{at}` on the resource: {}", resolved.chain))
    }

    /// The provenance of every argument of the nested blocks at `name`, by
    /// concrete path (`replica[0].region_name`), and of the blocks as a whole.
    fn configure_blocks(
        &self,
        name: &str,
        blocks: &[Value],
        scope: &[String],
        configured: &mut BTreeMap<String, Provenance>,
    ) {
        configured.entry(name.to_string()).or_insert_with(|| {
            Provenance::new(
                ProvenanceKind::Literal,
                format!("`{name}` blocks on the resource"),
            )
        });
        for (i, block) in blocks.iter().enumerate() {
            let Value::Object(arguments) = block else {
                continue;
            };
            for (argument, expression) in arguments {
                let at = format!("{name}[{i}].{argument}");
                match expression {
                    Value::Array(inner) => self.configure_blocks(&at, inner, scope, configured),
                    _ => {
                        let provenance = self.provenance(&at, expression, scope);
                        configured.insert(at, provenance);
                    }
                }
            }
        }
    }

    /// The resources an expression in the module at `scope` refers to, by
    /// absolute address: through the module's variables to the arguments of
    /// its call, and through child modules' outputs to their expressions.
    fn referenced(
        &self,
        expression: &Value,
        scope: &[String],
        depth: usize,
        out: &mut Vec<String>,
    ) {
        const MAX_DEPTH: usize = 32;
        let Some(references) = expression.get("references").and_then(Value::as_array) else {
            return;
        };
        if depth > MAX_DEPTH {
            return;
        }
        for text in references.iter().filter_map(Value::as_str) {
            match reference::target(text) {
                Some(Target::Resource(address)) => {
                    reference::add_new(out, [reference::absolute(&module_address(scope), &address)])
                }
                Some(Target::Variable(name)) if !scope.is_empty() => {
                    if let Some(argument) = self
                        .module_call(scope)
                        .and_then(|c| c.expressions.get(&name))
                    {
                        self.referenced(argument, &scope[..scope.len() - 1], depth + 1, out);
                    }
                }
                Some(Target::ModuleOutput { module, output }) => {
                    let mut child = scope.to_vec();
                    child.push(module);
                    let expression = self
                        .module_call(&child)
                        .and_then(|c| c.module.outputs.get(&output))
                        .and_then(|o| o.expression.as_ref());
                    if let Some(expression) = expression {
                        self.referenced(expression, &child, depth + 1, out);
                    }
                }
                Some(Target::Variable(_)) | None => {}
            }
        }
    }

    /// The settings of provider configuration `key` seen from `modules`.
    fn shared_settings(&self, key: String, modules: Vec<String>) -> Arc<ProviderSettings> {
        let mut cache = self.settings.borrow_mut();
        let settings = cache
            .entry((key, modules))
            .or_insert_with_key(|(key, modules)| Arc::new(self.provider_settings(key, modules)));
        Arc::clone(settings)
    }

    /// Finds the provider configuration for `key` and resolves its settings.
    fn provider_settings(&self, key: &str, modules: &[String]) -> ProviderSettings {
        let Some((found_key, config, inherited)) = self.find_provider_config(key, modules) else {
            return ProviderSettings {
                key: None,
                values: Value::Object(Map::new()),
                unknown: Value::Object(Map::new()),
                provenance: BTreeMap::new(),
                spans: BTreeMap::new(),
            };
        };
        let scope = config
            .module_address
            .as_deref()
            .map(module_path)
            .unwrap_or_default();
        let label = describe_provider(&found_key, inherited);
        let mut settings = ProviderSettings {
            key: Some(found_key),
            values: Value::Object(Map::new()),
            unknown: Value::Object(Map::new()),
            provenance: BTreeMap::new(),
            spans: BTreeMap::new(),
        };
        let mut at = Vec::new();
        let (values, unknown) = self.resolve_block(
            &config.expressions,
            &scope,
            &label,
            &mut at,
            &mut settings.provenance,
        );
        settings.values = values;
        settings.unknown = unknown;
        settings
    }

    fn find_provider_config(
        &self,
        key: &str,
        modules: &[String],
    ) -> Option<(String, &'a ProviderConfig, bool)> {
        let configs = &self.configuration.provider_config;
        // Terraform 0.13 to 1.2 write `module.x:aws` with no expressions for
        // a provider a child module only requires: a placeholder, whose
        // resources use the configuration of the nearest ancestor that has one.
        let placeholder = |config: &ProviderConfig| {
            config.module_address.is_some() && config.expressions.is_empty()
        };
        if let Some(config) = configs.get(key).filter(|c| !placeholder(c)) {
            return Some((key.to_string(), config, false));
        }
        // Older plans: `child:aws`, or a configuration inherited from a parent.
        let local = key.rsplit(':').next().unwrap_or(key);
        let inherited = (0..=modules.len()).rev().find_map(|depth| {
            let candidate = if depth == 0 {
                local.to_string()
            } else {
                format!("{}:{local}", module_address(&modules[..depth]))
            };
            configs
                .get_key_value(&candidate)
                .filter(|(_, c)| !placeholder(c))
                .map(|(k, c)| (k.clone(), c, true))
        });
        // No ancestor configures it: the placeholder, which sets nothing.
        inherited.or_else(|| {
            configs
                .get_key_value(key)
                .map(|(k, c)| (k.clone(), c, false))
        })
    }

    /// Resolves a provider block's expressions into a value tree and an
    /// unknown tree, recording each leaf's provenance.
    fn resolve_block(
        &self,
        expressions: &Map<String, Value>,
        scope: &[String],
        label: &str,
        at: &mut Vec<Segment>,
        provenance: &mut BTreeMap<String, Provenance>,
    ) -> (Value, Value) {
        let mut values = Map::new();
        let mut unknown = Map::new();
        for (name, expression) in expressions {
            at.push(Segment::Key(name.clone()));
            match expression {
                // A nested block: a list of expression maps.
                Value::Array(blocks) => {
                    let mut block_values = Vec::new();
                    let mut block_unknown = Vec::new();
                    for (i, block) in blocks.iter().enumerate() {
                        at.push(Segment::Index(i));
                        let (v, u) = match block {
                            Value::Object(inner) => {
                                self.resolve_block(inner, scope, label, at, provenance)
                            }
                            _ => (Value::Null, Value::Bool(false)),
                        };
                        at.pop();
                        block_values.push(v);
                        block_unknown.push(u);
                    }
                    values.insert(name.clone(), Value::Array(block_values));
                    unknown.insert(name.clone(), Value::Array(block_unknown));
                }
                Value::Object(_) => {
                    let resolved = self.resolve(expression, scope);
                    let concrete = path::concrete(at);
                    let kind = if resolved.value.is_none() {
                        ProvenanceKind::Unknown
                    } else {
                        ProvenanceKind::ProviderBlock
                    };
                    provenance.insert(
                        concrete.clone(),
                        Provenance::new(kind, format!("{label}: {concrete} = {}", resolved.chain)),
                    );
                    match resolved.value {
                        Some(value) => {
                            values.insert(name.clone(), value);
                        }
                        None => {
                            unknown.insert(name.clone(), Value::Bool(true));
                        }
                    }
                }
                _ => {}
            }
            at.pop();
        }
        (Value::Object(values), Value::Object(unknown))
    }

    /// Resolves a configuration expression (`constant_value` or `references`)
    /// in the module at `scope`.
    fn resolve(&self, expression: &Value, scope: &[String]) -> Resolved {
        if let Some(value) = expression.get("constant_value") {
            return Resolved {
                value: Some(value.clone()),
                chain: value.to_string(),
            };
        }
        let references: Vec<&str> = expression
            .get("references")
            .and_then(Value::as_array)
            .map(|refs| refs.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // Terraform lists the most specific traversal first
        // (`var.m["k"]` before `var.m`).
        match references.first() {
            Some(reference) if reference.starts_with("var.") => {
                self.resolve_variable(reference, scope)
            }
            Some(reference) => Resolved {
                value: None,
                chain: format!("{reference} (not known from the plan)"),
            },
            None => Resolved {
                value: None,
                chain: "an expression Terraform computes at apply time".into(),
            },
        }
    }

    fn resolve_variable(&self, reference: &str, scope: &[String]) -> Resolved {
        let after = &reference["var.".len()..];
        let name_end = after.find(['.', '[']).unwrap_or(after.len());
        let (name, accessor) = after.split_at(name_end);
        let accessor = accessor.strip_prefix('.').unwrap_or(accessor);
        let where_ = if scope.is_empty() {
            String::new()
        } else {
            format!(" in {}", module_address(scope))
        };

        let base = if scope.is_empty() {
            match self.variables.get(name).and_then(|v| v.value.clone()) {
                Some(value) => Resolved {
                    value: Some(value),
                    chain: String::new(),
                },
                None => Resolved {
                    value: None,
                    chain: "(no value in the plan's `variables`)".into(),
                },
            }
        } else {
            let (parent, call_name) = scope.split_at(scope.len() - 1);
            match self.module_call(scope) {
                Some(call) => match call.expressions.get(name) {
                    Some(argument) => {
                        let resolved = self.resolve(argument, parent);
                        Resolved {
                            value: resolved.value,
                            chain: format!(
                                "module.{} argument {name} = {}",
                                call_name[0], resolved.chain
                            ),
                        }
                    }
                    None => match call
                        .module
                        .variables
                        .get(name)
                        .and_then(|v| v.default.clone())
                    {
                        Some(default) => Resolved {
                            chain: format!("(default) {default}"),
                            value: Some(default),
                        },
                        None => Resolved {
                            value: None,
                            chain: "(no argument and no default)".into(),
                        },
                    },
                },
                None => Resolved {
                    value: None,
                    chain: "(module call not in the plan's configuration)".into(),
                },
            }
        };

        let value = match (base.value, accessor.is_empty()) {
            (Some(value), true) => Some(value),
            (Some(value), false) => index_value(&value, accessor),
            (None, _) => None,
        };
        let shown = match &value {
            Some(v) if base.chain.is_empty() => v.to_string(),
            Some(v) if accessor.is_empty() => base.chain.clone(),
            Some(v) => format!("{} → {v}", base.chain),
            None if base.chain.is_empty() => format!("(no `{accessor}` in the value)"),
            None => base.chain.clone(),
        };
        Resolved {
            value,
            chain: format!("{reference}{where_} = {shown}"),
        }
    }

    fn module_call(&self, scope: &[String]) -> Option<&'a ModuleCall<'a>> {
        let mut module = &self.configuration.root_module;
        let mut call = None;
        for name in scope {
            let next = module.module_calls.get(name)?;
            module = &next.module;
            call = Some(next);
        }
        call
    }
}

/// Reads `["k"]`, `.k` and `[0]` accessors of a variable reference.
fn index_value(value: &Value, accessor: &str) -> Option<Value> {
    let text = if accessor.starts_with('[') {
        format!("_{accessor}")
    } else {
        format!("_.{accessor}")
    };
    let parsed = path::AttrPath::parse(&text).ok()?;
    let mut current = value;
    for segment in &parsed.segments()[1..] {
        current = match segment {
            Segment::Key(k) => current.get(k)?,
            Segment::Index(i) => current.get(*i)?,
            Segment::Each => return None,
        };
    }
    Some(current.clone())
}

fn describe_provider(key: &str, inherited: bool) -> String {
    let (module, name) = match key.rsplit_once(':') {
        Some((module, name)) => (Some(module), name),
        None => (None, key),
    };
    let mut label = format!("provider `{name}`");
    if let Some(module) = module {
        label.push_str(&format!(" in {module}"));
    }
    if inherited {
        label.push_str(" (inherited)");
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_sources_are_normalised() {
        for (input, expected) in [
            ("registry.terraform.io/hashicorp/aws", "hashicorp/aws"),
            ("registry.opentofu.org/ovh/ovh", "ovh/ovh"),
            ("aws", "hashicorp/aws"),
            ("registry.terraform.io/-/aws", "hashicorp/aws"),
            ("example.com/acme/cloud", "example.com/acme/cloud"),
            (
                "terraform.io/builtin/terraform",
                "terraform.io/builtin/terraform",
            ),
        ] {
            assert_eq!(provider_source(input), expected, "{input}");
        }
    }

    #[test]
    fn module_paths_skip_instance_keys() {
        assert_eq!(module_path("aws_s3_bucket.b"), Vec::<String>::new());
        assert_eq!(module_path("module.a.aws_s3_bucket.b"), vec!["a"]);
        assert_eq!(
            module_path("module.a[\"x.]y\"].module.b[0].aws_s3_bucket.c[\"k\"]"),
            vec!["a", "b"]
        );
    }

    #[test]
    fn deleted_and_read_changes_are_not_deployments() {
        let actions = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(deployed_action(&actions(&["delete"])), None);
        assert_eq!(deployed_action(&actions(&["read"])), None);
        assert_eq!(deployed_action(&actions(&["forget"])), None);
        assert_eq!(
            deployed_action(&actions(&["delete", "create"])),
            Some(Action::Replace)
        );
        assert_eq!(deployed_action(&actions(&["no-op"])), Some(Action::NoOp));
    }

    fn read_change(text: &str) -> Result<ResourceChange, serde_json::Error> {
        let kept = KeptAttributes::Only(["region".to_string()].into());
        ChangeSeed(&kept).deserialize(&mut serde_json::Deserializer::from_str(text))
    }

    #[test]
    fn a_change_is_read_with_only_the_kept_attributes() {
        let change = read_change(
            r#"{"address": "aws_s3_bucket.b", "type": "aws_s3_bucket", "name": "b", "extra": [1],
                "change": {"actions": ["create"], "before": {"region": "us-east-1"},
                           "after": {"region": "eu-west-3", "tags": {"a": "b"}},
                           "after_unknown": {"arn": true}}}"#,
        )
        .unwrap();
        assert_eq!(change.address, "aws_s3_bucket.b");
        assert_eq!(change.actions, ["create"]);
        assert_eq!(change.after, serde_json::json!({"region": "eu-west-3"}));
        assert_eq!(change.after_unknown, serde_json::json!({}));

        // Every attribute unknown until apply: `after` is null.
        let unknown = read_change(
            r#"{"address": "a.b", "type": "a", "change": {"actions": ["create"], "after": null}}"#,
        )
        .unwrap();
        assert_eq!(unknown.after, serde_json::json!({}));

        for (text, error) in [
            (r#"{"type": "a", "change": {}}"#, "missing field `address`"),
            (
                r#"{"address": "a.b", "type": "a"}"#,
                "missing field `change`",
            ),
            (
                r#"{"address": "a.b", "type": "a", "change": {"after": "x"}}"#,
                "expected an object of attributes, or null",
            ),
            (
                r#"{"address": "a.b", "type": "a", "change": {"before": [}}"#,
                "expected value",
            ),
        ] {
            let err = read_change(text).err().expect(text).to_string();
            assert!(err.contains(error), "{text}: {err}");
        }
    }

    #[test]
    fn configured_expressions_must_be_an_object() {
        let plan = |expressions: &str| {
            format!(
                r#"{{"resource_changes": [], "configuration": {{"root_module": {{"resources": [
                    {{"type": "a", "name": "b", "expressions": {expressions}}}]}}}}}}"#
            )
        };
        let kept = KeptAttributes::Only(["region".to_string()].into());
        assert!(
            parse(
                &plan(r#"{"region": {"constant_value": "eu-west-3"}}"#),
                0,
                &kept
            )
            .is_ok()
        );
        let err = parse(&plan("[1]"), 0, &kept).expect_err("refused");
        assert!(
            err.to_string().contains("an object of expressions"),
            "{err}"
        );
    }

    #[test]
    fn variable_accessors_index_maps_and_lists() {
        let value = serde_json::json!({"fr": {"region": "eu-west-3"}, "list": ["a", "b"]});
        assert_eq!(
            index_value(&value, "[\"fr\"].region"),
            Some(serde_json::json!("eu-west-3"))
        );
        assert_eq!(index_value(&value, "list[1]"), Some(serde_json::json!("b")));
        assert_eq!(index_value(&value, "missing"), None);
    }
}
