//! Property tests (proptest): invariants that must hold for every input of a
//! shape, checked on generated Terraform plans and the same resources as
//! Terraform source, through the real readers, the policy's catalogue and
//! the rules.
//!
//! The plans are built from the embedded policy itself: every cloud provider,
//! its resource types, its location attributes (nested ones too) and its
//! locations, spelled as users may write them (any case, padded). A property
//! that fails prints the plan it failed on; its smallest form then becomes a
//! named test below the properties.

mod common;

use common::policy;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;
use serde_json::{Map, Value, json};
use souverain::input::{hcl, tfplan};
use souverain::model::{Finding, LocationKind, Verdict};
use souverain::path::{AttrPath, Segment};
use souverain::policy::{LocationAttribute, Normalize, ProviderEntry, ProviderKind};
use souverain::{Engine, FileReport};

const RULE: &str = "SOV101";
/// The profile's only allowed country.
const PROFILE: &str = "strict";
const FRANCE: &str = "FR";

fn config() -> Config {
    // 256 cases unless `PROPTEST_CASES` says more (docs/fuzzing.md).
    Config {
        // A failure is kept as a named test in this file, not as a seed file.
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// Normalisation

fn normalize_modes() -> impl Strategy<Value = Normalize> {
    prop_oneof![
        Just(Normalize::Lowercase),
        Just(Normalize::LowercaseNoSpaces)
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn location_normalisation_is_idempotent(mode in normalize_modes(), value in any::<String>()) {
        let once = mode.apply(&value);
        prop_assert_eq!(mode.apply(&once), once);
    }

    #[test]
    fn a_location_is_found_the_same_before_and_after_normalisation(
        (cloud, value) in cloud().prop_flat_map(|(_, entry)| (Just(entry), spelled_location(entry)))
    ) {
        let normalised = cloud.normalize.apply(&value);
        prop_assert_eq!(
            cloud.find_location(&value).map(|l| &l.id),
            cloud.find_location(&normalised).map(|l| &l.id)
        );
        prop_assert!(cloud.find_location(&value).is_some(), "{value:?} is a spelling of a catalogue id");
    }

    #[test]
    fn provider_source_normalisation_is_idempotent(
        source in "((registry\\.terraform\\.io|registry\\.opentofu\\.org|example\\.com|-)/)?([a-z-]{0,6}/)?[a-z-]{0,8}"
    ) {
        let once = tfplan::provider_source(&source);
        prop_assert_eq!(tfplan::provider_source(&once), once);
    }

    #[test]
    fn module_path_normalisation_is_idempotent(path in "((\\.\\.?|[a-z]{1,3})/){0,6}[a-z]{0,3}") {
        let once = hcl::join(".", &path);
        prop_assert_eq!(hcl::join(".", &once), once);
    }
}

// ---------------------------------------------------------------------------
// Locations

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_resource_only_in_french_locations_never_gets_a_location_violation(
        spec in resource(Places::French),
        form in form(),
    ) {
        let (plan, report) = scan(form, std::slice::from_ref(&spec));
        let violations: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.rule == RULE && f.verdict == Verdict::Violation)
            .collect();
        prop_assert!(violations.is_empty(), "{violations:#?}\nin\n{plan}");
    }

    #[test]
    fn an_unknown_location_never_passes(
        spec in resource_with_an_unknown_location(),
        form in form(),
    ) {
        let (plan, report) = scan(form, std::slice::from_ref(&spec));
        prop_assert!(
            report.findings.iter().any(|f| f.rule == RULE),
            "no {RULE} finding for a resource with an unknown location:\n{plan}"
        );
    }

    #[test]
    fn adding_an_unrelated_resource_never_changes_another_resources_findings(
        specs in proptest::collection::vec(resource(Places::Any), 1..5),
        extra in resource(Places::Any),
        form in form(),
    ) {
        let (plan, before) = scan(form, &specs);
        let mut more = specs.clone();
        more.push(extra);
        let (plan_after, after) = scan(form, &more);
        for (i, spec) in specs.iter().enumerate() {
            let address = spec.address(i);
            prop_assert_eq!(
                findings_of(&before, &address),
                findings_of(&after, &address),
                "{} changed when a resource was added:\n{}\nthen\n{}", address, plan, plan_after
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Kubernetes manifests

/// One document of a generated manifest stream. Names are unique per index;
/// ACK buckets read their region from their Namespace when it is in the
/// stream: the one relation between documents.
#[derive(Debug, Clone)]
enum Document {
    Namespace {
        name: String,
        region: Option<&'static str>,
    },
    Deployment {
        namespace: String,
        region: Option<&'static str>,
    },
    StorageClass {
        encrypted: Option<&'static str>,
        zone: Option<&'static str>,
    },
    CrossplaneVolume {
        region: Option<&'static str>,
        encrypted: Option<bool>,
    },
    AckBucket {
        namespace: String,
        region: Option<&'static str>,
    },
}

/// Location values a manifest may name: French on some cloud, foreign,
/// ambiguous across clouds, unknown to the catalogue.
const KUBERNETES_PLACES: &[&str] = &[
    "eu-west-3",
    "eu-west-3a",
    "francecentral",
    "europe-west9",
    "us-east-1",
    "us-east-2c",
    "westeurope",
    "zz-nowhere-9",
];

fn kubernetes_place() -> impl Strategy<Value = Option<&'static str>> {
    proptest::option::of(select(KUBERNETES_PLACES))
}

fn namespace() -> impl Strategy<Value = String> {
    (0..3u8).prop_map(|n| format!("ns{n}"))
}

fn document() -> impl Strategy<Value = Document> {
    prop_oneof![
        (namespace(), kubernetes_place())
            .prop_map(|(name, region)| Document::Namespace { name, region }),
        (namespace(), kubernetes_place())
            .prop_map(|(namespace, region)| Document::Deployment { namespace, region }),
        (
            proptest::option::of(select(&["true", "false"][..])),
            kubernetes_place()
        )
            .prop_map(|(encrypted, zone)| Document::StorageClass { encrypted, zone }),
        (kubernetes_place(), proptest::option::of(any::<bool>()))
            .prop_map(|(region, encrypted)| Document::CrossplaneVolume { region, encrypted }),
        (namespace(), kubernetes_place())
            .prop_map(|(namespace, region)| Document::AckBucket { namespace, region }),
    ]
}

/// A document related to none of the others: in a namespace of its own.
fn unrelated_document() -> impl Strategy<Value = Document> {
    document().prop_map(|document| match document {
        Document::Namespace { region, .. } => Document::Namespace {
            name: "unrelated".into(),
            region,
        },
        Document::Deployment { region, .. } => Document::Deployment {
            namespace: "unrelated".into(),
            region,
        },
        Document::AckBucket { region, .. } => Document::AckBucket {
            namespace: "unrelated".into(),
            region,
        },
        other => other,
    })
}

/// The stream as YAML, one document each; document `i` is named `r{i}`.
fn manifests(documents: &[Document]) -> String {
    let mut out = String::new();
    for (i, document) in documents.iter().enumerate() {
        let name = format!("r{i}");
        out.push_str("---\n");
        out.push_str(&match document {
            Document::Namespace { name, region } => format!(
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n{}",
                region.map_or(String::new(), |r| format!(
                    "  annotations:\n    services.k8s.aws/region: {r}\n"
                ))
            ),
            Document::Deployment { namespace, region } => format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {namespace}\n\
                 spec:\n  template:\n    spec:\n{}      containers:\n        - name: app\n          image: app:1\n",
                region.map_or(String::new(), |r| format!(
                    "      nodeSelector:\n        topology.kubernetes.io/region: {r}\n"
                ))
            ),
            Document::StorageClass { encrypted, zone } => format!(
                "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: {name}\n\
                 provisioner: ebs.csi.aws.com\n{}{}",
                encrypted.map_or(String::new(), |e| format!(
                    "parameters:\n  encrypted: \"{e}\"\n"
                )),
                zone.map_or(String::new(), |z| format!(
                    "allowedTopologies:\n  - matchLabelExpressions:\n      - key: topology.ebs.csi.aws.com/zone\n        values: [{z}]\n"
                ))
            ),
            Document::CrossplaneVolume { region, encrypted } => format!(
                "apiVersion: ec2.aws.upbound.io/v1beta1\nkind: EBSVolume\nmetadata:\n  name: {name}\n\
                 spec:\n  forProvider:\n    size: 10\n{}{}",
                region.map_or(String::new(), |r| format!("    region: {r}\n")),
                encrypted.map_or(String::new(), |e| format!("    encrypted: {e}\n"))
            ),
            Document::AckBucket { namespace, region } => format!(
                "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata:\n  name: {name}\n  namespace: {namespace}\n{}\
                 spec:\n  name: bucket-{i}\n",
                region.map_or(String::new(), |r| format!(
                    "  annotations:\n    services.k8s.aws/region: {r}\n"
                ))
            ),
        });
    }
    out
}

fn scan_manifests(documents: &[Document]) -> (String, FileReport) {
    let text = manifests(documents);
    let engine = Engine::new(policy(), Some(PROFILE)).expect("the strict profile");
    let report = engine.scan("manifests.yaml", text.as_bytes());
    assert!(report.error.is_none(), "{:?}\nin\n{text}", report.error);
    (text, report)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn adding_an_unrelated_manifest_never_changes_another_objects_findings(
        documents in proptest::collection::vec(document(), 1..6),
        extra in unrelated_document(),
    ) {
        let (text, before) = scan_manifests(&documents);
        let mut more = documents.clone();
        more.push(extra);
        let (text_after, after) = scan_manifests(&more);
        let addresses: std::collections::BTreeSet<&str> =
            before.findings.iter().map(|f| f.resource.as_str()).collect();
        for address in addresses {
            prop_assert_eq!(
                findings_of(&before, address),
                findings_of(&after, address),
                "{} changed when a document was added:\n{}\nthen\n{}", address, text, text_after
            );
        }
        prop_assert!(after.resources >= before.resources);
    }

    #[test]
    fn a_manifest_pinned_only_in_france_never_gets_a_location_violation(
        // A workload may run on any cloud; an AWS object needs an AWS id.
        pinned in select(&["eu-west-3", "francecentral", "europe-west9", "eu-west-3a"][..]),
        aws in select(&["eu-west-3", "EU-WEST-3"][..]),
        namespace in namespace(),
    ) {
        let documents = [
            Document::Deployment { namespace: namespace.clone(), region: Some(pinned) },
            Document::Namespace { name: namespace.clone(), region: Some(aws) },
            Document::AckBucket { namespace, region: None },
            Document::CrossplaneVolume { region: Some(aws), encrypted: Some(true) },
        ];
        let (text, report) = scan_manifests(&documents);
        let violations: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.rule == RULE && f.verdict == Verdict::Violation)
            .collect();
        prop_assert!(violations.is_empty(), "{violations:#?}\nin\n{text}");
    }
}

/// The findings on one resource, as reported (spans are positions in the
/// file, which an added resource moves).
fn findings_of(report: &FileReport, address: &str) -> Vec<Value> {
    report
        .findings
        .iter()
        .filter(|f| f.resource == address)
        .map(|f| serde_json::to_value(f).expect("a finding serialises"))
        .collect()
}

// ---------------------------------------------------------------------------
// Generated resources

/// A value of an attribute: known in the plan, or known only after apply
/// (set in the configuration from another resource's attribute).
#[derive(Debug, Clone)]
enum Setting {
    Known(Value),
    Unknown,
}

/// One resource of a generated plan, with its own provider configuration.
#[derive(Debug, Clone)]
struct Spec {
    source: &'static str,
    resource_type: String,
    attributes: Vec<(AttrPath, Setting)>,
    provider: Vec<(AttrPath, Setting)>,
}

impl Spec {
    fn address(&self, index: usize) -> String {
        format!("{}.r{index}", self.resource_type)
    }
}

#[derive(Debug, Clone, Copy)]
enum Places {
    /// Locations of France only, in any spelling the catalogue accepts.
    French,
    /// French, foreign, unknown to the catalogue, or known only after apply.
    Any,
}

/// The cloud providers of the catalogue that have a location in France.
fn clouds() -> Vec<(&'static str, &'static ProviderEntry)> {
    policy()
        .providers()
        .filter(|(_, p)| p.kind == ProviderKind::Cloud)
        .filter(|(_, p)| p.locations.iter().any(|l| l.country == FRANCE))
        // A variant's catalogue (S3NS) is reached through its provider's
        // settings, never written as a provider source of its own.
        .filter(|(source, _)| {
            !policy()
                .providers()
                .any(|(_, p)| p.variants.iter().any(|v| v.catalogue == *source))
        })
        .collect()
}

fn cloud() -> impl Strategy<Value = (&'static str, &'static ProviderEntry)> {
    select(clouds())
}

/// Resource types of a cloud that have a location: those the catalogue
/// names (for location or encryption attributes) and a generic one. Account
/// defaults (`aws_ebs_encryption_by_default`) are left out: they are related
/// to every volume of the account by design.
fn resource_types(source: &str, entry: &ProviderEntry) -> Vec<String> {
    let prefix = format!("{}_", source.rsplit('/').next().unwrap_or(source));
    let mut types: Vec<String> = entry
        .resource_locations
        .iter()
        .flat_map(|a| a.types.iter().cloned())
        .chain(
            policy()
                .encryption
                .keys()
                .filter(|t| t.starts_with(&prefix))
                .cloned(),
        )
        .chain([format!("{prefix}thing")])
        .filter(|t| {
            !entry
                .global_resources
                .as_ref()
                .is_some_and(|g| g.is_match(t))
        })
        // A service that copies data worldwide is outside France by design.
        .filter(|t| {
            !entry
                .worldwide_resources
                .as_ref()
                .is_some_and(|w| w.types.is_match(t))
        })
        .filter(|t| {
            !policy()
                .encryption
                .values()
                .filter_map(|rule| rule.account_default.as_ref())
                .any(|default| &default.resource == t)
        })
        .collect();
    types.sort();
    types.dedup();
    types
}

/// Location attributes the generator writes: read as they are (no `extract`
/// pattern, which needs values of its own shape) and, for resources, of this
/// type.
fn location_attributes<'a>(
    attributes: &'a [LocationAttribute],
    resource_type: Option<&str>,
) -> Vec<&'a LocationAttribute> {
    attributes
        .iter()
        .filter(|a| {
            // A conditional attribute (`when`) is read only with its
            // condition, which the generator does not write.
            a.extract.is_none()
                && a.when.is_none()
                && resource_type
                    .is_none_or(|t| a.types.is_empty() || a.types.iter().any(|x| x == t))
        })
        .collect()
}

/// A location id of `entry`, as written by someone: any case, maybe padded,
/// and, where the catalogue ignores spaces (Azure), maybe spaced.
fn spelled_location(entry: &'static ProviderEntry) -> impl Strategy<Value = String> {
    let ids: Vec<&'static str> = entry.locations.iter().map(|l| l.id.as_str()).collect();
    select(ids).prop_flat_map(move |id| spelled(id, entry.normalize))
}

fn french_location(entry: &'static ProviderEntry) -> BoxedStrategy<String> {
    let ids: Vec<&'static str> = entry
        .locations
        .iter()
        .filter(|l| l.country == FRANCE)
        .map(|l| l.id.as_str())
        .collect();
    select(ids)
        .prop_flat_map(move |id| spelled(id, entry.normalize))
        .boxed()
}

fn foreign_location(entry: &'static ProviderEntry) -> BoxedStrategy<String> {
    let ids: Vec<&'static str> = entry
        .locations
        .iter()
        .filter(|l| l.country != FRANCE)
        .map(|l| l.id.as_str())
        .collect();
    if ids.is_empty() {
        return uncatalogued_location(entry);
    }
    select(ids).prop_map(str::to_string).boxed()
}

/// A value that looks like a location but that the catalogue does not know.
fn uncatalogued_location(entry: &'static ProviderEntry) -> BoxedStrategy<String> {
    "[a-z]{2,6}-[a-z]{3,8}-[0-9]{1,2}"
        .prop_filter("not a catalogue location", move |v| {
            entry.find_location(v).is_none()
        })
        .boxed()
}

fn spelled(id: &'static str, normalize: Normalize) -> impl Strategy<Value = String> {
    let n = id.chars().count();
    (
        proptest::collection::vec(any::<bool>(), n),
        proptest::collection::vec(any::<bool>(), n),
        "[ \t]{0,2}",
        "[ \t]{0,2}",
    )
        .prop_map(move |(upper, spaces, lead, trail)| {
            let mut out = lead;
            for (i, c) in id.chars().enumerate() {
                if normalize == Normalize::LowercaseNoSpaces && spaces[i] && i > 0 {
                    out.push(' ');
                }
                out.push(if upper[i] {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                });
            }
            out + &trail
        })
}

/// What one location attribute holds, or `None` when it is left unset.
fn place(
    entry: &'static ProviderEntry,
    attribute: &LocationAttribute,
    places: Places,
) -> BoxedStrategy<Option<Setting>> {
    let known = |s: BoxedStrategy<String>| s.prop_map(|v| Some(Setting::Known(json!(v))));
    // Unset, such an attribute has a place of its own (BigQuery's `US`) or
    // none at all: a French resource sets it.
    let must_be_set = attribute.default.is_some() || attribute.undetermined_when_unset.is_some();
    match places {
        Places::French if must_be_set => known(french_location(entry)).boxed(),
        Places::French => prop_oneof![Just(None), known(french_location(entry))].boxed(),
        Places::Any => prop_oneof![
            2 => Just(None),
            2 => known(french_location(entry)),
            1 => known(foreign_location(entry)),
            1 => known(uncatalogued_location(entry)),
            1 => Just(Some(Setting::Unknown)),
        ]
        .boxed(),
    }
}

/// Settings for some attributes, each left unset or given a place.
fn settings(
    attributes: Vec<&'static LocationAttribute>,
    entry: &'static ProviderEntry,
    places: Places,
) -> impl Strategy<Value = Vec<(AttrPath, Setting)>> {
    let each: Vec<_> = attributes
        .into_iter()
        .map(|a| place(entry, a, places).prop_map(move |s| s.map(|s| (a.path.clone(), s))))
        .collect();
    each.prop_map(|settings| settings.into_iter().flatten().collect())
}

/// Encryption attributes of the type, each unset, true, false or unknown.
fn encryption(resource_type: &str) -> BoxedStrategy<Vec<(AttrPath, Setting)>> {
    let Some(rule) = policy().encryption.get(resource_type) else {
        return Just(Vec::new()).boxed();
    };
    let each: Vec<_> = rule
        .checks
        .iter()
        .map(|check| {
            let path = check.path.clone();
            prop_oneof![
                Just(None),
                Just(Some(Setting::Known(json!(true)))),
                Just(Some(Setting::Known(json!(false)))),
                Just(Some(Setting::Known(json!("kms-key-1")))),
                Just(Some(Setting::Unknown)),
            ]
            .prop_map(move |s| s.map(|s| (path.clone(), s)))
        })
        .collect();
    each.prop_map(|s| s.into_iter().flatten().collect()).boxed()
}

fn resource(places: Places) -> impl Strategy<Value = Spec> {
    cloud()
        .prop_flat_map(|(source, entry)| {
            (
                Just(source),
                Just(entry),
                select(resource_types(source, entry)),
            )
        })
        .prop_flat_map(move |(source, entry, resource_type)| {
            let own = location_attributes(&entry.resource_locations, Some(&resource_type));
            let provider = location_attributes(&entry.provider_locations, None);
            (
                Just(source),
                settings(own, entry, places),
                settings(provider, entry, places),
                encryption(&resource_type),
                Just(resource_type),
            )
        })
        .prop_map(
            |(source, mut attributes, provider, encryption, resource_type)| {
                attributes.extend(encryption);
                Spec {
                    source,
                    resource_type,
                    attributes,
                    provider,
                }
            },
        )
}

/// A French resource with one location that cannot be known: an attribute
/// known only after apply, a value the catalogue does not know, or no
/// location at all (and no documented default). An unknown zone is not such
/// a location when the region is known: the zone is in it.
fn resource_with_an_unknown_location() -> impl Strategy<Value = Spec> {
    (
        resource(Places::French),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_filter_map(
            "a location that can be made unknown",
            |(mut spec, pick, uncatalogued)| {
                let entry = policy()
                    .provider(spec.source)
                    .expect("a catalogue provider");
                let own: Vec<&LocationAttribute> =
                    location_attributes(&entry.resource_locations, Some(&spec.resource_type))
                        .into_iter()
                        .filter(|a| uncatalogued || a.kind != LocationKind::Zone)
                        .collect();
                let setting = if uncatalogued {
                    Setting::Known(json!("zz-nowhere-9"))
                } else {
                    Setting::Unknown
                };
                if own.is_empty() || pick.index(4) == 0 {
                    // Nowhere on the resource; the provider's location is the
                    // unknown one (or, with no documented default, absent).
                    // An attribute with a documented default (Clever Cloud's
                    // `region`) is then known: nothing can be made unknown.
                    if location_attributes(&entry.resource_locations, Some(&spec.resource_type))
                        .iter()
                        .any(|a| a.default.is_some())
                    {
                        return None;
                    }
                    spec.attributes
                        .retain(|(path, _)| !is_location(entry, path));
                    spec.provider.clear();
                    match location_attributes(&entry.provider_locations, None).first() {
                        Some(attribute) => spec.provider.push((attribute.path.clone(), setting)),
                        // Cloud Temple: only a documented default, which is known.
                        None if entry.default_location.is_some() => return None,
                        None => {}
                    }
                } else {
                    let attribute = pick.get(&own);
                    // A known zone bounds an unknown region (the zone is in it):
                    // an unknown place of the resource itself is its only one.
                    // A replica's place is another place, whatever the others.
                    spec.attributes.retain(|(path, _)| {
                        path != &attribute.path
                            && (attribute.replica || !is_own_location(entry, path))
                    });
                    spec.attributes.push((attribute.path.clone(), setting));
                }
                Some(spec)
            },
        )
}

fn is_location(entry: &ProviderEntry, path: &AttrPath) -> bool {
    entry.resource_locations.iter().any(|a| &a.path == path)
}

fn is_own_location(entry: &ProviderEntry, path: &AttrPath) -> bool {
    entry
        .resource_locations
        .iter()
        .any(|a| &a.path == path && !a.replica)
}

// ---------------------------------------------------------------------------
// Plans

/// The node at `segments` in `tree`, made on the way: objects for keys and
/// one-element lists for `[*]` (a nested block), stepping into what an
/// earlier call made.
fn reach<'t>(tree: &'t mut Value, segments: &[Segment]) -> &'t mut Value {
    let Some((first, rest)) = segments.split_first() else {
        return tree;
    };
    let next = match first {
        Segment::Key(key) => {
            if !tree.is_object() {
                *tree = Value::Object(Map::new());
            }
            tree.as_object_mut()
                .expect("an object")
                .entry(key.clone())
                .or_insert(Value::Null)
        }
        Segment::Each | Segment::Index(_) => {
            let index = match first {
                Segment::Index(i) => *i,
                _ => 0,
            };
            if !tree.is_array() {
                *tree = Value::Array(Vec::new());
            }
            let list = tree.as_array_mut().expect("a list");
            while list.len() <= index {
                list.push(Value::Null);
            }
            &mut list[index]
        }
    };
    reach(next, rest)
}

/// The plan of `specs` as `terraform show -json` writes it: each resource
/// with its planned values, its configuration, and a provider configuration
/// of its own (an alias).
fn plan(specs: &[Spec]) -> String {
    let mut changes = Vec::new();
    let mut configured = Vec::new();
    let mut providers = Map::new();
    for (i, spec) in specs.iter().enumerate() {
        let local_name = spec.source.rsplit('/').next().expect("a source");
        let alias = format!("r{i}");
        let key = format!("{local_name}.{alias}");
        let full_name = format!("registry.terraform.io/{}", spec.source);
        let (after, after_unknown, expressions) = written(&spec.attributes);
        let (_, _, provider_expressions) = written(&spec.provider);
        changes.push(json!({
            "address": spec.address(i),
            "mode": "managed",
            "type": spec.resource_type,
            "name": alias,
            "provider_name": full_name,
            "change": {
                "actions": ["create"],
                "before": null,
                "after": after,
                "after_unknown": after_unknown,
            },
        }));
        configured.push(json!({
            "address": spec.address(i),
            "mode": "managed",
            "type": spec.resource_type,
            "name": alias,
            "provider_config_key": key,
            "expressions": expressions,
        }));
        providers.insert(
            key,
            json!({
                "name": local_name,
                "full_name": full_name,
                "alias": alias,
                "expressions": provider_expressions,
            }),
        );
    }
    serde_json::to_string_pretty(&json!({
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "resource_changes": changes,
        "configuration": {
            "provider_config": providers,
            "root_module": {"resources": configured},
        },
    }))
    .expect("a plan serialises")
}

/// Planned values, unknown values and configuration expressions of settings.
fn written(settings: &[(AttrPath, Setting)]) -> (Value, Value, Value) {
    let mut values = json!({});
    let mut unknown = json!({});
    let mut expressions = json!({});
    for (path, setting) in settings {
        let at = path.segments();
        // A list attribute (`availability_zones[*]`) is one expression, a
        // list; a nested block (`replica[*].region_name`) is a list of
        // expression maps.
        let (expression_at, list) = match at.split_last() {
            Some((Segment::Each | Segment::Index(_), parent)) => (parent, true),
            _ => (at, false),
        };
        match setting {
            Setting::Known(value) => {
                *reach(&mut values, at) = value.clone();
                let constant = if list { json!([value]) } else { value.clone() };
                *reach(&mut expressions, expression_at) = json!({"constant_value": constant});
            }
            Setting::Unknown => {
                // Terraform omits an unknown value from `after`, but writes
                // the blocks around it; an unknown list is unknown whole.
                let holder = reach(&mut values, &expression_at[..expression_at.len() - 1]);
                if !holder.is_object() {
                    *holder = json!({});
                }
                *reach(&mut unknown, expression_at) = json!(true);
                *reach(&mut expressions, expression_at) = json!({"references": [
                    "data.terraform_remote_state.shared.outputs.place",
                    "data.terraform_remote_state.shared",
                ]});
            }
        }
    }
    (values, unknown, expressions)
}

/// The Terraform source of `specs`: each resource with a provider
/// configuration of its own (an alias), as `plan` writes them.
fn source(specs: &[Spec]) -> String {
    // Each resource names its provider's source in a `terraform` block of
    // its own, so that adding a resource moves no line above it.
    let mut out = String::new();
    for (i, spec) in specs.iter().enumerate() {
        let local_name = spec.source.rsplit('/').next().expect("a source");
        let (_, _, provider) = written(&spec.provider);
        out.push_str(&format!(
            "terraform {{\n  required_providers {{\n    {local_name} = {{ source = \"{}\" }}\n  }}\n}}\n",
            spec.source
        ));
        out.push_str(&format!(
            "\nprovider \"{local_name}\" {{\n  alias = \"r{i}\"\n"
        ));
        write_body(&mut out, &provider, 1);
        out.push_str("}\n");
        let (_, _, attributes) = written(&spec.attributes);
        out.push_str(&format!(
            "\nresource \"{}\" \"r{i}\" {{\n  provider = {local_name}.r{i}\n",
            spec.resource_type
        ));
        write_body(&mut out, &attributes, 1);
        out.push_str("}\n");
    }
    out
}

/// Writes a tree of configuration expressions (as `written` makes them) as
/// HCL: lists of objects are nested blocks.
fn write_body(out: &mut String, body: &Value, depth: usize) {
    let indent = "  ".repeat(depth);
    for (key, node) in body.as_object().into_iter().flatten() {
        match node {
            Value::Array(blocks) => {
                for block in blocks {
                    out.push_str(&format!("{indent}{key} {{\n"));
                    write_body(out, block, depth + 1);
                    out.push_str(&format!("{indent}}}\n"));
                }
            }
            expression => {
                out.push_str(&format!("{indent}{key} = {}\n", hcl_expression(expression)));
            }
        }
    }
}

/// An expression of `written`'s tree: a constant, a reference, or an object
/// of those (`metadata.__system__encrypted`).
fn hcl_expression(expression: &Value) -> String {
    match (
        expression.get("constant_value"),
        expression.get("references"),
    ) {
        (Some(value), _) => hcl_literal(value),
        (None, Some(references)) => references[0].as_str().expect("a reference").to_string(),
        (None, None) => {
            let fields: Vec<String> = expression
                .as_object()
                .into_iter()
                .flatten()
                .map(|(key, value)| format!("{} = {}", hcl_string(key), hcl_expression(value)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
    }
}

fn hcl_literal(value: &Value) -> String {
    match value {
        Value::String(text) => hcl_string(text),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(hcl_literal).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

fn hcl_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out.replace("${", "$${").replace("%{", "%%{")
}

/// Which reader a property goes through.
#[derive(Debug, Clone, Copy)]
enum Form {
    /// `terraform show -json`.
    Plan,
    /// Terraform source, evaluated by souverain.
    Source,
}

fn form() -> impl Strategy<Value = Form> {
    prop_oneof![Just(Form::Plan), Just(Form::Source)]
}

fn scan(form: Form, specs: &[Spec]) -> (String, FileReport) {
    let (name, text) = match form {
        Form::Plan => ("plan.json", plan(specs)),
        Form::Source => ("main.tf", source(specs)),
    };
    let engine = Engine::new(policy(), Some(PROFILE)).expect("the strict profile");
    assert_eq!(
        engine_countries(),
        [FRANCE],
        "the properties assume the strict profile allows France only"
    );
    let report = engine.scan(name, text.as_bytes());
    assert!(report.error.is_none(), "{:?}\nin\n{text}", report.error);
    assert_eq!(
        report.resources,
        specs.len(),
        "every resource read:\n{text}"
    );
    (text, report)
}

fn engine_countries() -> Vec<&'static str> {
    let (_, profile) = policy().profile(Some(PROFILE)).expect("the strict profile");
    profile
        .allowed_countries
        .iter()
        .map(String::as_str)
        .collect()
}
