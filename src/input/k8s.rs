//! Kubernetes manifests: multi-document YAML or JSON (Helm and Kustomize
//! output), `kind: List`, and the object of an AdmissionReview.
//!
//! - Workloads are located by their pins: `nodeSelector` and required node
//!   affinity (`In`) on the topology labels of the policy. Preferred affinity
//!   is a preference, not a pin.
//! - StorageClasses and CSI PersistentVolumes belong to their provisioner's
//!   cloud; their parameters (a PV's `volumeAttributes`) are read by the
//!   encryption rules, their allowed topologies locate them.
//! - Cloud resources declared as CRDs (Crossplane, ACK, Azure Service
//!   Operator, Config Connector) belong to their operator's cloud; their
//!   arguments, snake_cased, are read like Terraform attributes.
//!
//! Waivers are annotations: `souverain.io/ignore: SOV101 reason="..."`.

use super::{InputError, waiver};
use crate::limits::Limits;
use crate::model::{
    Action, Location, LocationKind, Provenance, ProvenanceKind, ProviderSettings, Resource, Span,
};
use crate::path::snake_case;
use crate::policy::KubernetesMap;
use crate::yaml::{self, LocatedJson};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The annotation carrying waivers, one per line.
pub const WAIVER_ANNOTATION: &str = "souverain.io/ignore";

/// Pod spec of each workload kind, as a JSON pointer from the object.
const WORKLOADS: &[(&str, &str)] = &[
    ("Pod", "/spec"),
    ("Deployment", "/spec/template/spec"),
    ("StatefulSet", "/spec/template/spec"),
    ("DaemonSet", "/spec/template/spec"),
    ("ReplicaSet", "/spec/template/spec"),
    ("ReplicationController", "/spec/template/spec"),
    ("Job", "/spec/template/spec"),
    ("CronJob", "/spec/jobTemplate/spec/template/spec"),
];

/// The built-in kinds read, as (API group, kind, resource): what an
/// admission configuration must send to souverain, besides the cloud CRDs
/// of the policy's operators (docs/webhook.md, docs/kubewarden.md, deploy/).
pub const BUILT_IN_KINDS: &[(&str, &str, &str)] = &[
    ("", "Pod", "pods"),
    ("", "ReplicationController", "replicationcontrollers"),
    ("", "PersistentVolume", "persistentvolumes"),
    ("apps", "Deployment", "deployments"),
    ("apps", "StatefulSet", "statefulsets"),
    ("apps", "DaemonSet", "daemonsets"),
    ("apps", "ReplicaSet", "replicasets"),
    ("batch", "Job", "jobs"),
    ("batch", "CronJob", "cronjobs"),
    ("storage.k8s.io", "StorageClass", "storageclasses"),
];

/// The provider source of workloads and of volumes of unknown provisioners.
pub const CLUSTER: &str = "kubernetes/cluster";

/// Reads a manifest stream. `source` indexes the text among the input's files.
pub fn parse(
    text: &str,
    source: usize,
    map: &KubernetesMap,
    limits: &Limits,
) -> Result<Vec<Resource>, InputError> {
    let documents =
        yaml::parse_documents_within(text, limits).map_err(|e| yaml_error(e, text, source))?;
    let lines = LineStarts::new(text);
    let mut objects: Vec<(usize, String)> = Vec::new();
    for (index, document) in documents.iter().enumerate() {
        match &document.value {
            Value::Null => {}
            Value::Object(object) if object.get("kind").and_then(Value::as_str) == Some("List") => {
                let count = object
                    .get("items")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                objects.extend((0..count).map(|i| (index, format!("/items/{i}"))));
            }
            _ => objects.push((index, String::new())),
        }
    }
    let is_object = |(index, pointer): &(usize, String)| {
        let value = documents[*index].value.pointer(pointer);
        value
            .and_then(|v| v.get("kind"))
            .and_then(Value::as_str)
            .is_some()
            && value
                .and_then(|v| v.get("apiVersion"))
                .and_then(Value::as_str)
                .is_some()
    };
    // YAML that never mentions `apiVersion` or `kind` is someone else's file
    // (a CI workflow, a compose file); one that does is a manifest to fix.
    let mentions_kind = |(index, pointer): &(usize, String)| {
        let value = documents[*index].value.pointer(pointer);
        value.is_some_and(|v| v.get("kind").is_some() || v.get("apiVersion").is_some())
    };
    if !objects.is_empty() && !objects.iter().any(mentions_kind) {
        return Err(InputError::NotAPlan(
            "YAML without `apiVersion` and `kind`: not a Kubernetes manifest".into(),
        ));
    }
    if let Some((index, pointer)) = objects.iter().find(|o| !is_object(o)) {
        let at = lines.span(&documents[*index], pointer, source);
        return Err(InputError::Syntax {
            span: at,
            message: format!(
                "document {} is not a Kubernetes object: it needs a string `apiVersion` and `kind`",
                index + 1
            ),
        });
    }
    let namespaces = namespace_annotations(&documents, &objects);
    let reader = Reader {
        map,
        lines: &lines,
        source,
        namespaces: &namespaces,
    };
    let read: Vec<(Resource, &Value)> = objects
        .iter()
        .filter_map(|(index, pointer)| {
            let resource = reader.object(&documents[*index], pointer)?;
            Some((resource, documents[*index].value.pointer(pointer)?))
        })
        .collect();
    Ok(with_crossplane_parents(read, map))
}

/// Whether an object is of the kind an attribute names (`key_vault` for
/// `key_vault_id`): its Terraform type, or its group and kind
/// (`keyvault` + `Vault`), ends with the kind's last word and holds it whole.
fn is_kind(kind_word: &str, candidate: &Resource, object: &Value) -> bool {
    let last = kind_word.rsplit('_').next().unwrap_or(kind_word);
    let whole = kind_word.replace('_', "");
    let kind = object.get("kind").and_then(Value::as_str).map(snake_case);
    let group = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .and_then(|v| v.split(['.', '/']).next());
    let by_group = kind
        .zip(group)
        .map(|(kind, group)| format!("{group}_{kind}"));
    by_group
        .iter()
        .chain(std::iter::once(&candidate.resource_type))
        .any(|name| name.ends_with(last) && name.replace('_', "").contains(&whole))
}

/// Crossplane (upjet) objects name their parent as `serverIdRef: {name}` or
/// `serverIdSelector: {matchLabels}`, resolved by the controller to the
/// `server_id` of an object of the parent's kind: the objects of the same
/// input that match, and whose Terraform type is named by the attribute
/// (`azurerm_postgresql_flexible_server` for `server_id`), are its parents.
fn with_crossplane_parents(read: Vec<(Resource, &Value)>, map: &KubernetesMap) -> Vec<Resource> {
    let labels = |object: &Value| {
        object
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .cloned()
    };
    let name = |object: &Value| {
        object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    // By resource: the parent attribute, the argument that names it, the parents.
    type Named = BTreeMap<String, (String, Vec<String>)>;
    let mut found: Vec<Named> = vec![BTreeMap::new(); read.len()];
    for (i, (_, object)) in read.iter().enumerate() {
        let Some(group) = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .and_then(|v| v.rsplit_once('/'))
            .map(|(group, _)| group)
        else {
            continue;
        };
        let Some(operator) = map.operator_for(group).filter(|o| o.snake_case) else {
            continue;
        };
        let pointer = format!("/{}", operator.attributes.to_string().replace('.', "/"));
        let Some(arguments) = object.pointer(&pointer).and_then(Value::as_object) else {
            continue;
        };
        for (key, value) in arguments {
            let (stem, by_name) = match (key.strip_suffix("Ref"), key.strip_suffix("Selector")) {
                (Some(stem), _) => (stem, true),
                (_, Some(stem)) => (stem, false),
                _ => continue,
            };
            let attribute = snake_case(stem);
            let kind_word = attribute
                .strip_suffix("_id")
                .or_else(|| attribute.strip_suffix("_name"))
                .unwrap_or(&attribute)
                .to_string();
            let parents: Vec<String> = read
                .iter()
                .enumerate()
                .filter(|(j, (candidate, object))| {
                    *j != i && is_kind(&kind_word, candidate, object)
                })
                .filter(|(_, (_, candidate))| {
                    if by_name {
                        value
                            .get("name")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                            == name(candidate)
                    } else {
                        let wanted = value.get("matchLabels").and_then(Value::as_object);
                        let have = labels(candidate).unwrap_or_default();
                        wanted.is_some_and(|w| w.iter().all(|(k, v)| have.get(k) == Some(v)))
                    }
                })
                .map(|(_, (candidate, _))| candidate.address.clone())
                .collect();
            let argument = format!("{}.{key}", operator.attributes);
            found[i]
                .entry(attribute)
                .or_insert_with(|| (argument, Vec::new()))
                .1
                .extend(parents);
        }
    }
    read.into_iter()
        .zip(found)
        .map(|((mut resource, _), references)| {
            for (attribute, (argument, parents)) in references {
                resource
                    .configured
                    .entry(attribute.clone())
                    .or_insert_with(|| {
                        Provenance::new(ProvenanceKind::Literal, format!("`{argument}`"))
                    });
                let key = argument.rsplit('.').next().unwrap_or_default();
                if let Some(span) = resource.attribute_spans.get(&snake_case(key)).copied() {
                    resource
                        .attribute_spans
                        .entry(attribute.clone())
                        .or_insert(span);
                }
                if !parents.is_empty() {
                    resource.references.insert(attribute, parents);
                }
            }
            resource
        })
        .collect()
}

/// The resource of the object at `pointer` of an already parsed document
/// (the object of an AdmissionReview).
pub fn object_at(
    document: &LocatedJson,
    pointer: &str,
    text: &str,
    source: usize,
    map: &KubernetesMap,
) -> Option<Resource> {
    let lines = LineStarts::new(text);
    let namespaces = BTreeMap::new();
    Reader {
        map,
        lines: &lines,
        source,
        namespaces: &namespaces,
    }
    .object(document, pointer)
}

pub(super) fn yaml_error(e: yaml::YamlError, text: &str, source: usize) -> InputError {
    let offset = e
        .offset
        .or_else(|| e.line.map(|line| LineStarts::new(text).start(line)))
        .unwrap_or(0);
    let span = Span {
        file: source,
        start: offset,
        end: offset,
    };
    match e.limit {
        Some(_) => InputError::Limit {
            message: e.message,
            span: Some(span),
        },
        None => InputError::Syntax {
            span,
            message: format!("invalid YAML: {}", e.message),
        },
    }
}

/// Annotations of the Namespaces declared in the input, by name (ACK reads
/// the region from a resource's Namespace).
fn namespace_annotations(
    documents: &[LocatedJson],
    objects: &[(usize, String)],
) -> BTreeMap<String, Map<String, Value>> {
    objects
        .iter()
        .filter_map(|(index, pointer)| documents[*index].value.pointer(pointer))
        .filter(|o| o.get("kind").and_then(Value::as_str) == Some("Namespace"))
        .filter_map(|o| {
            let name = o.pointer("/metadata/name")?.as_str()?.to_string();
            let annotations = o.pointer("/metadata/annotations")?.as_object()?.clone();
            Some((name, annotations))
        })
        .collect()
}

struct LineStarts {
    starts: Vec<usize>,
}

impl LineStarts {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    fn start(&self, line: usize) -> usize {
        self.starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0)
    }

    /// The span of the node at `pointer` (or its nearest located ancestor).
    fn span(&self, document: &LocatedJson, pointer: &str, file: usize) -> Span {
        let start = document
            .position_of(pointer)
            .map(|p| p.offset.unwrap_or_else(|| self.start(p.line)))
            .unwrap_or(0);
        Span {
            file,
            start,
            end: start,
        }
    }
}

struct Reader<'a> {
    map: &'a KubernetesMap,
    lines: &'a LineStarts,
    source: usize,
    namespaces: &'a BTreeMap<String, Map<String, Value>>,
}

/// A JSON pointer segment for a map key.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

impl Reader<'_> {
    fn span(&self, document: &LocatedJson, pointer: &str) -> Span {
        self.lines.span(document, pointer, self.source)
    }

    fn object(&self, document: &LocatedJson, pointer: &str) -> Option<Resource> {
        let object = document.value.pointer(pointer)?;
        let kind = object.get("kind")?.as_str()?;
        let api_version = object.get("apiVersion")?.as_str()?;
        let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
        let name = object
            .pointer("/metadata/name")
            .or_else(|| object.pointer("/metadata/generateName"))
            .and_then(Value::as_str)
            .unwrap_or("(unnamed)");
        let namespace = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str);
        let address = match namespace {
            Some(namespace) => format!("{kind}/{namespace}/{name}"),
            None => format!("{kind}/{name}"),
        };
        let mut resource = Resource {
            address,
            resource_type: kind.to_string(),
            provider: CLUSTER.to_string(),
            action: Action::Planned,
            attributes: Value::Object(Map::new()),
            unknown: Value::Object(Map::new()),
            configured: BTreeMap::new(),
            provider_settings: std::sync::Arc::new(ProviderSettings {
                key: None,
                values: Value::Object(Map::new()),
                unknown: Value::Object(Map::new()),
                provenance: BTreeMap::new(),
                spans: BTreeMap::new(),
            }),
            span: self.span(document, &format!("{pointer}/kind")),
            attribute_spans: BTreeMap::new(),
            waivers: self.waivers(document, pointer, object),
            locations: Vec::new(),
            references: BTreeMap::new(),
            form: crate::model::Form::Manifest,
        };

        if let Some((_, pod_spec)) = WORKLOADS
            .iter()
            .find(|(k, _)| *k == kind && group_is_core_or(group, &["apps", "batch"]))
        {
            let spec = format!("{pointer}{pod_spec}");
            self.node_selector(document, &spec, &mut resource);
            self.required_affinity(
                document,
                &format!(
                    "{spec}/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution"
                ),
                &mut resource,
            );
            return Some(resource);
        }
        match (kind, group) {
            ("StorageClass", "storage.k8s.io") => {
                let provisioner = object
                    .get("provisioner")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                self.volume(
                    document,
                    pointer,
                    &mut resource,
                    "StorageClass",
                    provisioner,
                    "/parameters",
                );
                self.each_term(
                    document,
                    &format!("{pointer}/allowedTopologies"),
                    "matchLabelExpressions",
                    "allowedTopologies",
                    &mut resource,
                );
                // Azure disk: `location` parameter.
                if let Some(location) = object
                    .pointer("/parameters/location")
                    .and_then(Value::as_str)
                {
                    self.pin(
                        &mut resource,
                        location,
                        LocationKind::Region,
                        "parameters.location",
                        document,
                        &format!("{pointer}/parameters/location"),
                    );
                }
                Some(resource)
            }
            ("PersistentVolume", "") => {
                let driver = object.pointer("/spec/csi/driver").and_then(Value::as_str)?;
                self.volume(
                    document,
                    pointer,
                    &mut resource,
                    "PersistentVolume",
                    driver,
                    "/spec/csi/volumeAttributes",
                );
                self.required_affinity(
                    document,
                    &format!("{pointer}/spec/nodeAffinity/required"),
                    &mut resource,
                );
                Some(resource)
            }
            _ => {
                let operator = self
                    .map
                    .operator_for(group)
                    .filter(|o| !o.not_resources.iter().any(|k| k == kind))?;
                resource.provider = operator.provider.clone();
                resource.resource_type = operator
                    .terraform_type(kind, group, &self.map.known_types)
                    .unwrap_or_else(|| format!("{kind}.{group}"));
                let arguments = format!(
                    "{pointer}/{}",
                    operator.attributes.to_string().replace('.', "/")
                );
                let mut attributes = document
                    .value
                    .pointer(&arguments)
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                for (key, value) in &attributes {
                    let span = self.span(document, &format!("{arguments}/{}", escape(key)));
                    let name = if operator.snake_case {
                        snake_case(key)
                    } else {
                        key.clone()
                    };
                    resource.attribute_spans.insert(name.clone(), span);
                    // Each value inside a list of blocks (a replica's region)
                    // says where it is written, not the whole list.
                    if let Value::Array(_) = value {
                        nested_provenance(
                            &format!("{}.{key}", operator.attributes),
                            &name,
                            value,
                            operator.snake_case,
                            &mut resource.configured,
                        );
                    }
                    resource.configured.insert(
                        name,
                        Provenance::new(
                            ProvenanceKind::Literal,
                            format!("`{}.{key}` = {value}", operator.attributes),
                        ),
                    );
                }
                for (key, default) in operator.defaults.get(kind).into_iter().flatten() {
                    if !attributes.contains_key(key) {
                        attributes.insert(key.clone(), default.clone());
                        let name = if operator.snake_case {
                            snake_case(key)
                        } else {
                            key.clone()
                        };
                        resource.configured.insert(
                            name,
                            Provenance::new(
                                ProvenanceKind::ProviderDefault,
                                format!(
                                    "`{}.{key}` not set: the CRD defaults it to {default}",
                                    operator.attributes
                                ),
                            ),
                        );
                    }
                }
                let attributes = Value::Object(attributes);
                resource.attributes = if operator.snake_case {
                    snake_case_keys(&attributes)
                } else {
                    attributes
                };
                if let Some(annotation) = &operator.region_annotation {
                    self.region_annotation(
                        document,
                        pointer,
                        object,
                        annotation,
                        namespace,
                        &mut resource,
                    );
                }
                Some(resource)
            }
        }
    }

    /// StorageClass or PersistentVolume of `driver`: its cloud, and its
    /// parameters as `parameters` for the encryption rules.
    fn volume(
        &self,
        document: &LocatedJson,
        pointer: &str,
        resource: &mut Resource,
        kind: &str,
        driver: &str,
        parameters: &str,
    ) {
        resource.resource_type = format!("{kind}/{driver}");
        if let Some(provisioner) = self.map.provisioners.get(driver) {
            resource.provider = provisioner.provider.clone();
        }
        let values = document
            .value
            .pointer(&format!("{pointer}{parameters}"))
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        let mut attributes = Map::new();
        attributes.insert("parameters".into(), values);
        resource.attributes = Value::Object(attributes);
        resource.attribute_spans.insert(
            "parameters".into(),
            self.span(document, &format!("{pointer}{parameters}")),
        );
    }

    fn node_selector(&self, document: &LocatedJson, spec: &str, resource: &mut Resource) {
        let Some(selector) = document
            .value
            .pointer(&format!("{spec}/nodeSelector"))
            .and_then(Value::as_object)
        else {
            return;
        };
        for (label, value) in selector {
            let (Some(kind), Some(value)) = (self.label_kind(label), value.as_str()) else {
                continue;
            };
            let at = format!("{spec}/nodeSelector/{}", escape(label));
            self.pin(
                resource,
                value,
                kind,
                &format!("nodeSelector `{label}`"),
                document,
                &at,
            );
        }
    }

    /// `nodeSelectorTerms[].matchExpressions[]` with operator `In`.
    fn required_affinity(&self, document: &LocatedJson, required: &str, resource: &mut Resource) {
        let terms = format!("{required}/nodeSelectorTerms");
        self.each_term(
            document,
            &terms,
            "matchExpressions",
            "required node affinity",
            resource,
        );
    }

    /// Each term of a list (`nodeSelectorTerms`, `allowedTopologies`): its
    /// `inner` list of label expressions. Terms are alternatives, so every
    /// value of every term is a place the object may be.
    fn each_term(
        &self,
        document: &LocatedJson,
        list: &str,
        inner: &str,
        what: &str,
        resource: &mut Resource,
    ) {
        let count = document
            .value
            .pointer(list)
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        for t in 0..count {
            self.label_expressions(document, &format!("{list}/{t}/{inner}"), what, resource);
        }
    }

    /// `[{key, operator?, values}]`: each value of a topology key (with
    /// operator `In`, or none as in allowedTopologies) is a location.
    fn label_expressions(
        &self,
        document: &LocatedJson,
        list: &str,
        what: &str,
        resource: &mut Resource,
    ) {
        let Some(expressions) = document.value.pointer(list).and_then(Value::as_array) else {
            return;
        };
        for (e, expression) in expressions.iter().enumerate() {
            let Some(key) = expression.get("key").and_then(Value::as_str) else {
                continue;
            };
            let Some(kind) = self.label_kind(key) else {
                continue;
            };
            if expression
                .get("operator")
                .and_then(Value::as_str)
                .is_some_and(|op| op != "In")
            {
                continue;
            }
            let values = expression
                .get("values")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for (v, value) in values.iter().enumerate() {
                let Some(value) = value.as_str() else {
                    continue;
                };
                let at = format!("{list}/{e}/values/{v}");
                self.pin(
                    resource,
                    value,
                    kind,
                    &format!("{what} `{key}`"),
                    document,
                    &at,
                );
            }
        }
    }

    fn label_kind(&self, label: &str) -> Option<LocationKind> {
        if self.map.region_labels().iter().any(|l| l == label) {
            Some(LocationKind::Region)
        } else if self.map.zone_labels().iter().any(|l| l == label) {
            Some(LocationKind::Zone)
        } else {
            None
        }
    }

    fn pin(
        &self,
        resource: &mut Resource,
        value: &str,
        kind: LocationKind,
        what: &str,
        document: &LocatedJson,
        pointer: &str,
    ) {
        let mut span = self.span(document, pointer);
        // Topology values are plain scalars: the value's length is its span's.
        span.end = span.end.max(span.start + value.len());
        resource.locations.push(Location {
            value: Some(value.to_string()),
            kind,
            attribute: what.to_string(),
            provenance: Provenance::new(
                ProvenanceKind::Literal,
                // No line here: the span carries the position, and in an
                // admission request a line of the request's JSON means nothing.
                format!("{what} = \"{value}\""),
            ),
            span: Some(span),
        });
    }

    /// ACK: the region annotation on the resource, else on its Namespace when
    /// the Namespace is in the same input; else the controller's flag decides,
    /// which the input does not tell.
    fn region_annotation(
        &self,
        document: &LocatedJson,
        pointer: &str,
        object: &Value,
        annotation: &str,
        namespace: Option<&str>,
        resource: &mut Resource,
    ) {
        if let Some(region) = object
            .pointer(&format!("/metadata/annotations/{}", escape(annotation)))
            .and_then(Value::as_str)
        {
            let at = format!("{pointer}/metadata/annotations/{}", escape(annotation));
            self.pin(
                resource,
                region,
                LocationKind::Region,
                &format!("annotation `{annotation}`"),
                document,
                &at,
            );
            return;
        }
        let namespace = namespace.unwrap_or("default");
        if let Some(region) = self
            .namespaces
            .get(namespace)
            .and_then(|a| a.get(annotation))
            .and_then(Value::as_str)
        {
            resource.locations.push(Location {
                value: Some(region.to_string()),
                kind: LocationKind::Region,
                attribute: format!("annotation `{annotation}`"),
                provenance: Provenance::new(
                    ProvenanceKind::ProviderBlock,
                    format!("annotation `{annotation}` = \"{region}\" on Namespace `{namespace}`"),
                ),
                span: None,
            });
        }
    }

    fn waivers(
        &self,
        document: &LocatedJson,
        pointer: &str,
        object: &Value,
    ) -> Vec<crate::model::Waiver> {
        let at = format!(
            "{pointer}/metadata/annotations/{}",
            escape(WAIVER_ANNOTATION)
        );
        let Some(text) = object
            .pointer(&format!(
                "/metadata/annotations/{}",
                escape(WAIVER_ANNOTATION)
            ))
            .and_then(Value::as_str)
        else {
            return Vec::new();
        };
        let span = self.span(document, &at);
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .filter_map(|line| {
                let mut waiver =
                    waiver::parse(&format!("souverain:ignore {line}"), span.start, self.source)?;
                // The text parsed is made up (prefixed); the waiver is
                // where the annotation is. Found by fuzzing: a span past
                // the end of the file.
                waiver.span = span;
                Some(waiver)
            })
            .collect()
    }
}

fn group_is_core_or(group: &str, allowed: &[&str]) -> bool {
    group.is_empty() || allowed.contains(&group)
}

/// The provenance of every scalar inside `value`, a list of blocks written at
/// `written` (`spec.forProvider.replica`), by the concrete attribute path the
/// policy reads (`replica[1].region_name`).
fn nested_provenance(
    written: &str,
    path: &str,
    value: &Value,
    snake: bool,
    configured: &mut BTreeMap<String, Provenance>,
) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let written = format!("{written}[{i}]");
                nested_provenance(&written, &format!("{path}[{i}]"), item, snake, configured);
            }
        }
        Value::Object(map) => {
            for (key, inner) in map {
                let name = if snake { snake_case(key) } else { key.clone() };
                let written = format!("{written}.{key}");
                nested_provenance(
                    &written,
                    &format!("{path}.{name}"),
                    inner,
                    snake,
                    configured,
                );
            }
        }
        scalar => {
            configured.insert(
                path.to_string(),
                Provenance::new(ProvenanceKind::Literal, format!("`{written}` = {scalar}")),
            );
        }
    }
}

fn snake_case_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (snake_case(k), snake_case_keys(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(snake_case_keys).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_becomes_terraform_names() {
        for (camel, snake) in [
            ("kmsKeyId", "kms_key_id"),
            ("region", "region"),
            ("storageEncrypted", "storage_encrypted"),
            ("diskSizeGb", "disk_size_gb"),
            ("availabilityZone", "availability_zone"),
            ("kmsKeyARN", "kms_key_arn"),
            ("sseAlgorithm", "sse_algorithm"),
        ] {
            assert_eq!(snake_case(camel), snake, "{camel}");
        }
    }

    #[test]
    fn every_workload_and_volume_kind_is_listed_for_admission() {
        let listed: Vec<&str> = BUILT_IN_KINDS.iter().map(|(_, kind, _)| *kind).collect();
        for (kind, _) in WORKLOADS {
            assert!(listed.contains(kind), "{kind}");
        }
        assert!(listed.contains(&"StorageClass") && listed.contains(&"PersistentVolume"));
    }
}
