//! Policy data: where each provider puts locations and which are French,
//! which offers are qualified, which resource types must be encrypted and how
//! to tell, and the profiles that decide what fails.
//!
//! The data lives in `policies/*.yaml`, is embedded in the binary and is
//! validated against `policies/schema.json`; a user file with the same shape
//! extends or overrides it entry by entry (providers by source, encryption
//! rules by resource type, offers by id, profiles by name).

use crate::model::{Category, LocationKind};
use crate::path::{AttrPath, PathError};
use crate::yaml;
use regex_lite::Regex;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// Declares the embedded policy files once, in load order: as written
/// ([`EMBEDDED`]) and as the JSON build.rs made of each (`EMBEDDED_JSON`).
macro_rules! embedded_policy {
    ($($name:literal),+ $(,)?) => {
        /// The embedded policy files, in load order.
        pub const EMBEDDED: &[(&str, &str)] = &[$((
            concat!("policies/", $name, ".yaml"),
            include_str!(concat!("../../policies/", $name, ".yaml")),
        )),+];

        /// [`EMBEDDED`] as JSON, converted by build.rs: reading it skips
        /// YAML parsing and the schema, which the YAML went through in a
        /// test (`embedded_json_is_the_checked_yaml`).
        const EMBEDDED_JSON: &[(&str, &str)] = &[$((
            concat!("policies/", $name, ".yaml"),
            include_str!(concat!(env!("OUT_DIR"), "/", $name, ".json")),
        )),+];
    };
}

embedded_policy!(
    "providers",
    "qualified",
    "encryption",
    "profiles",
    "kubernetes"
);

/// The JSON Schema every policy file must satisfy.
pub const SCHEMA: &str = include_str!("../../policies/schema.json");

/// One problem in a policy file, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyIssue {
    pub file: String,
    pub line: Option<usize>,
    /// JSON pointer of the offending node, e.g. `/providers/hashicorp~1aws/locations/0`.
    pub pointer: String,
    pub message: String,
}

impl std::fmt::Display for PolicyIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message)?,
            None => write!(f, "{}: {}", self.file, self.message)?,
        }
        if !self.pointer.is_empty() {
            write!(f, " (at {})", self.pointer)?;
        }
        Ok(())
    }
}

/// A policy could not be loaded; every problem found is listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid policy: {} problem(s)", issues.len())]
pub struct PolicyError {
    pub issues: Vec<PolicyIssue>,
}

/// How trustworthy a fact is, as tagged in the research behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Read in the vendor's or authority's own source.
    Verified,
    /// From third-party material.
    ThirdParty,
    /// Inferred or from memory; to be reviewed.
    Uncertain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// Deploys into a cloud: located, encrypted, qualified or not.
    Cloud,
    /// Runs in a Kubernetes cluster: located by topology values that belong
    /// to whichever cloud the cluster is in; qualification is the cluster's.
    Cluster,
    /// Deploys nothing anywhere (null, random, tls...) or deploys into
    /// something declared elsewhere (kubernetes, helm): no rule applies.
    NotInfrastructure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalize {
    /// Case-insensitive ids (AWS, Google incl. GCS upper case, OVH).
    Lowercase,
    /// Azure: "France Central" == "francecentral".
    LowercaseNoSpaces,
}

impl Normalize {
    pub fn apply(self, value: &str) -> String {
        self.chars(value).collect()
    }

    /// The normalized characters, without building a string: lookups compare
    /// a value with every location of the catalogue.
    fn chars(self, value: &str) -> impl Iterator<Item = char> + '_ {
        value
            .trim()
            .chars()
            .flat_map(char::to_lowercase)
            .filter(move |c| self == Normalize::Lowercase || !c.is_whitespace())
    }
}

/// Where a resource (or its provider configuration) states a location.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationAttribute {
    #[serde(deserialize_with = "de_path")]
    pub path: AttrPath,
    pub kind: LocationKind,
    /// Only for these resource types (all when empty).
    #[serde(default)]
    pub types: Vec<String>,
    /// A further location (replica, backup, replication destination): it
    /// counts in addition to where the resource itself is.
    #[serde(default)]
    pub replica: bool,
    /// A regex whose first group extracts the location from the value
    /// (e.g. the region inside an endpoint URL or an ARN). Matched without
    /// regard to case: ids are normalised only once extracted.
    #[serde(default, deserialize_with = "de_opt_regex_ignoring_case")]
    pub extract: Option<Regex>,
    /// The value the provider or its API uses when the attribute is unset
    /// (`google_bigquery_dataset.location` is `US`), whatever the provider
    /// configuration's region.
    pub default: Option<String>,
    /// Unset, the location is not the provider's region but something the
    /// input cannot show (project settings, the nearest multi-region): why.
    pub undetermined_when_unset: Option<String>,
    /// The attribute counts only when this condition holds (a backup
    /// location, only when backups are enabled).
    pub when: Option<Condition>,
    /// Where a per-type fact (a default, a replica) was read.
    pub source: Option<String>,
}

impl LocationAttribute {
    /// Whether the attribute is read on `resource_type` (every type when
    /// `types` is empty).
    pub fn applies_to(&self, resource_type: &str) -> bool {
        self.types.is_empty() || self.types.iter().any(|t| t == resource_type)
    }
}

/// A condition on a resource's attributes: the value at `path` is one of
/// `equals` (as text, case-insensitive).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    #[serde(deserialize_with = "de_path")]
    pub path: AttrPath,
    pub equals: Vec<String>,
}

impl Condition {
    /// Whether every reading of the path is set to one of the values.
    pub fn holds(&self, values: &serde_json::Value, unknown: &serde_json::Value) -> bool {
        let readings = crate::path::read(values, unknown, &self.path);
        !readings.is_empty()
            && readings.iter().all(|r| match r.probe {
                crate::path::Probe::Set(value) => crate::path::scalar_text(value)
                    .is_some_and(|t| self.equals.iter().any(|e| e.eq_ignore_ascii_case(&t))),
                _ => false,
            })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultLocation {
    pub value: String,
    pub kind: LocationKind,
    /// What decides before the default when the input pins nothing
    /// (`SCW_DEFAULT_REGION`, the active profile): the default is then only
    /// a guess, and the location is undetermined.
    #[serde(default)]
    pub environment: Vec<String>,
    pub source: String,
    pub confidence: Confidence,
}

/// A location id of a provider, with its country and its zones.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationEntry {
    pub id: String,
    /// ISO 3166-1 alpha-2; `EU` for a location spread over the EU, `WORLD`
    /// for one anywhere; `BE+GB` for one in each of these countries.
    pub country: String,
    pub name: String,
    /// Other ids that resolve to this location: its zones, sub-regions or
    /// alternative spellings (anchored regex, matched after normalisation).
    #[serde(default, deserialize_with = "de_opt_pattern")]
    pub matches: Option<Pattern>,
    pub confidence: Confidence,
    pub source: String,
}

impl LocationEntry {
    /// Whether every country the location spans is one of `allowed`.
    pub fn is_within(&self, allowed: &BTreeSet<String>) -> bool {
        self.country.split('+').all(|c| allowed.contains(c))
    }
}

/// Another catalogue that applies when the provider is configured for
/// another universe (the google provider with `universe_domain =
/// "s3nsapis.fr"` deploys to S3NS, whose `global` is in France).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// Provider settings that select the variant, all of them.
    pub when: BTreeMap<String, String>,
    /// The catalogue entry (a provider key of the policy) that applies.
    pub catalogue: String,
    pub confidence: Confidence,
    pub source: String,
}

/// Resource types of services that serve or copy data worldwide (a CDN's
/// edge caches): located outside France whatever the profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Worldwide {
    #[serde(deserialize_with = "de_regex")]
    pub types: Regex,
    /// Only when this holds (a backend with `enable_cdn = true`).
    pub when: Option<Condition>,
    /// Why, for the finding's message.
    pub reason: String,
    pub confidence: Confidence,
    pub source: String,
}

/// The attributes through which a child resource names its parent (a
/// storage container its account, a subnet its network): a child with no
/// location of its own is where its parent is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentRule {
    /// Tried in order; the first the resource sets names the parent.
    pub attributes: Vec<String>,
    /// The child types the rule is for (anchored regex); every type when unset.
    #[serde(default, deserialize_with = "de_opt_regex")]
    pub types: Option<Regex>,
    pub confidence: Confidence,
    pub source: String,
}

impl ParentRule {
    pub fn applies_to(&self, resource_type: &str) -> bool {
        self.types
            .as_ref()
            .is_none_or(|t| t.is_match(resource_type))
    }
}

/// Resource types the location rule does not apply to: they hold no data
/// and have no location of their own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unlocated {
    #[serde(deserialize_with = "de_regex")]
    pub types: Regex,
    /// Why, for the inventory.
    pub reason: String,
    pub confidence: Confidence,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderEntry {
    pub name: String,
    pub kind: ProviderKind,
    /// Other sources that share this entry (e.g. `hashicorp/google-beta`).
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default = "default_normalize")]
    pub normalize: Normalize,
    #[serde(default)]
    pub resource_locations: Vec<LocationAttribute>,
    #[serde(default)]
    pub provider_locations: Vec<LocationAttribute>,
    pub default_location: Option<DefaultLocation>,
    /// Resource types that have no location (global services).
    #[serde(default, deserialize_with = "de_opt_regex")]
    pub global_resources: Option<Regex>,
    /// Resource types that serve or copy data worldwide.
    pub worldwide_resources: Option<Worldwide>,
    /// Where a resource with no location of its own takes its parent's.
    #[serde(default)]
    pub parents: Vec<ParentRule>,
    /// Resource types that hold no data and have no location of their own
    /// (rules, bindings, peerings): the location rule does not apply.
    #[serde(default)]
    pub unlocated_resources: Vec<Unlocated>,
    /// Other catalogues selected by provider settings.
    #[serde(default)]
    pub variants: Vec<Variant>,
    #[serde(default)]
    pub locations: Vec<LocationEntry>,
    pub note: Option<String>,
}

fn default_normalize() -> Normalize {
    Normalize::Lowercase
}

impl ProviderEntry {
    /// The catalogue entry a location value names, by id or by zone.
    pub fn find_location(&self, value: &str) -> Option<&LocationEntry> {
        let wanted = self.normalize.apply(value);
        self.locations
            .iter()
            .find(|l| self.normalize.chars(&l.id).eq(wanted.chars()))
            .or_else(|| {
                self.locations
                    .iter()
                    .find(|l| l.matches.as_ref().is_some_and(|m| m.is_match(&wanted)))
            })
    }

    /// The parent rule for a resource type, if any.
    pub fn parent_rule(&self, resource_type: &str) -> Option<&ParentRule> {
        self.parents.iter().find(|r| r.applies_to(resource_type))
    }

    /// Why the location rule does not apply to a resource type, if it does not.
    pub fn unlocated(&self, resource_type: &str) -> Option<&Unlocated> {
        self.unlocated_resources
            .iter()
            .find(|u| u.types.is_match(resource_type))
    }

    /// Location ids in `country`, for help texts.
    pub fn locations_in<'a>(
        &'a self,
        countries: &'a BTreeSet<String>,
    ) -> impl Iterator<Item = &'a LocationEntry> {
        self.locations.iter().filter(|l| l.is_within(countries))
    }
}

/// A qualified offer: a provider used in given locations (and with given
/// provider settings), with the evidence for its qualification.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualifiedOffer {
    pub name: String,
    pub providers: Vec<String>,
    /// Location ids (of the provider's catalogue) the offer covers; every
    /// location of a resource must be one of them. Empty: any location.
    #[serde(default)]
    pub locations: Vec<String>,
    /// Provider settings that select the offer, e.g. `universe_domain: s3nsapis.fr`.
    #[serde(default)]
    pub provider_settings: BTreeMap<String, String>,
    pub qualification: String,
    pub since: Option<String>,
    /// The last day the qualification is known to hold (a SecNumCloud visa
    /// lasts three years); past it the offer no longer proves qualification.
    pub qualified_until: Option<String>,
    pub source: String,
    pub verified_on: String,
    pub confidence: Confidence,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EncryptionOutcome {
    Encrypted,
    Unencrypted,
    Undetermined,
}

/// What a resource type does when its configuration says nothing about
/// encryption at rest: the documented default the rule's `absent` encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EncryptionDefault {
    /// The service encrypts unless explicitly opted out (or always).
    Platform,
    /// Unencrypted unless the configuration enables it.
    OptIn,
    /// Follows an account- or region-wide setting (EBS encryption by default).
    Account,
    /// Depends on an engine, version or mode the input may not show.
    EngineDependent,
    /// No documented default was found.
    Undocumented,
}

impl EncryptionDefault {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::OptIn => "opt_in",
            Self::Account => "account",
            Self::EngineDependent => "engine_dependent",
            Self::Undocumented => "undocumented",
        }
    }

    /// The outcome an unset configuration must have under this default.
    pub fn implied_absent(self) -> EncryptionOutcome {
        match self {
            Self::Platform => EncryptionOutcome::Encrypted,
            Self::OptIn => EncryptionOutcome::Unencrypted,
            Self::Account | Self::EngineDependent | Self::Undocumented => {
                EncryptionOutcome::Undetermined
            }
        }
    }
}

/// How one attribute says "encrypted".
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptionCheck {
    #[serde(deserialize_with = "de_path")]
    pub path: AttrPath,
    /// Encrypted when the value (as text, case-insensitive) is one of these.
    #[serde(default)]
    pub equals: Vec<String>,
    /// Encrypted when the value matches.
    #[serde(default, deserialize_with = "de_opt_regex")]
    pub matches: Option<Regex>,
    /// Encrypted when the value is set at all (e.g. a key id).
    #[serde(default)]
    pub set: bool,
    /// What this attribute left unset means, when it differs from the
    /// rule's (a key id that, unset, leaves the other checks to decide).
    pub absent: Option<EncryptionOutcome>,
    /// What this attribute known only after apply means, when it differs.
    pub unknown: Option<EncryptionOutcome>,
    /// What the check being met means, when it is not `encrypted` (a cluster
    /// restored from a snapshot is as encrypted as the snapshot: undetermined).
    pub when_met: Option<EncryptionOutcome>,
}

impl EncryptionCheck {
    pub fn accepts(&self, value: &serde_json::Value) -> bool {
        if self.set {
            return !value.is_null();
        }
        let Some(text) = crate::path::scalar_text(value) else {
            return false;
        };
        self.equals.iter().any(|e| e.eq_ignore_ascii_case(&text))
            || self.matches.as_ref().is_some_and(|m| m.is_match(&text))
    }
}

/// An account-wide setting that encrypts by default, e.g.
/// `aws_ebs_encryption_by_default { enabled = true }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountDefault {
    pub resource: String,
    #[serde(deserialize_with = "de_path")]
    pub path: AttrPath,
    pub equals: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptionRule {
    /// The documented default, which `absent` encodes.
    pub default: EncryptionDefault,
    /// Encrypted when any check passes; no checks: `absent` decides.
    #[serde(default)]
    pub checks: Vec<EncryptionCheck>,
    /// What an attribute left unset means.
    pub absent: EncryptionOutcome,
    /// What an attribute known only after apply means.
    pub unknown: EncryptionOutcome,
    pub account_default: Option<AccountDefault>,
    /// Further storage of the same resource (an instance's extra block
    /// devices) that must be encrypted too, each judged when present.
    #[serde(default)]
    pub parts: Vec<EncryptionPart>,
    pub confidence: Confidence,
    pub source: String,
    pub note: Option<String>,
}

/// Storage inside a resource judged on its own, e.g. `ebs_block_device`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptionPart {
    /// The block whose presence makes the part apply.
    #[serde(deserialize_with = "de_path")]
    pub block: AttrPath,
    pub checks: Vec<EncryptionCheck>,
    pub absent: EncryptionOutcome,
    pub unknown: EncryptionOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UndeterminedIs {
    Fail,
    Warn,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub description: String,
    /// Countries (ISO 3166-1 alpha-2) where resources may be.
    pub allowed_countries: BTreeSet<String>,
    /// Rule families that apply.
    pub families: BTreeSet<Category>,
    pub undetermined: UndeterminedIs,
}

/// How Kubernetes objects state locations, and which clouds they deploy to.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesMap {
    pub topology_labels: Option<TopologyLabels>,
    pub require_pinning: Option<bool>,
    #[serde(default)]
    pub provisioners: BTreeMap<String, Provisioner>,
    #[serde(default)]
    pub operators: BTreeMap<String, Operator>,
    /// Every Terraform resource type the policy has a fact about (a location
    /// attribute, a parent rule, an encryption rule): what a Kind may be
    /// named after. Derived on every merge.
    #[serde(skip)]
    pub known_types: BTreeSet<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopologyLabels {
    pub region: Vec<String>,
    pub zone: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provisioner {
    pub provider: String,
    pub confidence: Confidence,
    pub source: String,
}

/// A Kubernetes operator whose CRDs declare cloud resources.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    pub name: String,
    /// API group suffixes, e.g. `.aws.upbound.io`.
    pub groups: Vec<String>,
    pub provider: String,
    /// Where the resource's arguments are, e.g. `spec.forProvider`.
    #[serde(deserialize_with = "de_path")]
    pub attributes: AttrPath,
    #[serde(default)]
    pub snake_case: bool,
    /// An annotation carrying the region, on the object or its Namespace.
    pub region_annotation: Option<String>,
    /// Kind (or `Kind.group-prefix`) to the Terraform resource type whose
    /// encryption rule applies.
    #[serde(default)]
    pub kinds: BTreeMap<String, String>,
    /// Kinds that configure the operator itself (`ProviderConfig`): not
    /// cloud resources.
    #[serde(default)]
    pub not_resources: Vec<String>,
    /// Arguments the CRD defaults when they are absent, per Kind.
    #[serde(default)]
    pub defaults: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    pub confidence: Confidence,
    pub source: String,
}

impl Operator {
    /// Whether the operator serves `group`: a group ending in one of its
    /// suffixes, or the suffix itself (`azure.upbound.io` for ResourceGroup).
    pub fn handles(&self, group: &str) -> bool {
        self.groups.iter().any(|suffix| {
            group.ends_with(suffix.as_str()) || group == suffix.trim_start_matches('.')
        })
    }

    /// The Terraform type for a Kind of `group`: `Instance.rds` before
    /// `Instance`; else the name upjet, ACK, ASO and Config Connector mostly
    /// derive it from (`docdb` + `Cluster` is `aws_docdb_cluster`, `Vault`
    /// alone `azurerm_key_vault` is not), when the policy knows that type.
    pub fn terraform_type(
        &self,
        kind: &str,
        group: &str,
        known: &BTreeSet<String>,
    ) -> Option<String> {
        let prefix = group.split('.').next().unwrap_or_default();
        if let Some(mapped) = self
            .kinds
            .get(&format!("{kind}.{prefix}"))
            .or_else(|| self.kinds.get(kind))
        {
            return Some(mapped.clone());
        }
        let local = self.provider.rsplit('/').next().unwrap_or_default();
        let kind = crate::path::snake_case(kind);
        [
            format!("{local}_{prefix}_{kind}"),
            format!("{local}_{kind}"),
        ]
        .into_iter()
        .find(|candidate| known.contains(candidate))
    }
}

impl KubernetesMap {
    pub fn region_labels(&self) -> &[String] {
        self.topology_labels.as_ref().map_or(&[], |t| &t.region)
    }

    pub fn zone_labels(&self) -> &[String] {
        self.topology_labels.as_ref().map_or(&[], |t| &t.zone)
    }

    pub fn operator_for(&self, group: &str) -> Option<&Operator> {
        self.operators.values().find(|o| o.handles(group))
    }

    fn extend(&mut self, other: KubernetesMap) {
        if other.topology_labels.is_some() {
            self.topology_labels = other.topology_labels;
        }
        if other.require_pinning.is_some() {
            self.require_pinning = other.require_pinning;
        }
        self.provisioners.extend(other.provisioners);
        self.operators.extend(other.operators);
    }
}

/// One policy file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    providers: BTreeMap<String, ProviderEntry>,
    #[serde(default)]
    qualified_offers: BTreeMap<String, QualifiedOffer>,
    #[serde(default)]
    encryption: BTreeMap<String, EncryptionRule>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
    default_profile: Option<String>,
    offer_review_days: Option<u32>,
    #[serde(default)]
    kubernetes: KubernetesMap,
}

/// The merged policy data.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    providers: BTreeMap<String, ProviderEntry>,
    pub qualified_offers: BTreeMap<String, QualifiedOffer>,
    pub encryption: BTreeMap<String, EncryptionRule>,
    pub profiles: BTreeMap<String, Profile>,
    pub default_profile: String,
    /// An offer checked longer ago than this many days is said to be stale.
    pub offer_review_days: Option<u32>,
    pub kubernetes: KubernetesMap,
    /// Derived from the entries on every merge: what plan readers keep.
    read_attributes: crate::input::KeptAttributes,
}

impl Policy {
    /// What a report must say of the offers' evidence on `today`: an offer
    /// past its `qualified_until` no longer proves qualification, and one
    /// checked longer ago than `offer_review_days` may be out of date.
    pub fn offer_notes(&self, today: &str) -> Vec<String> {
        let Some(today_days) = crate::days_from_civil(today) else {
            return Vec::new();
        };
        let mut notes = Vec::new();
        for (id, offer) in &self.qualified_offers {
            let until = offer.qualified_until.as_deref();
            if let Some(until) = until.filter(|u| crate::days_from_civil(u) < Some(today_days)) {
                notes.push(format!(
                    "qualified offer `{id}` ({}): its {} visa ran until {until}; check the ANSSI list and update `qualified_until`",
                    offer.name, offer.qualification
                ));
                continue;
            }
            let (Some(days), Some(verified)) = (
                self.offer_review_days,
                crate::days_from_civil(&offer.verified_on),
            ) else {
                continue;
            };
            if today_days - verified > i64::from(days) {
                notes.push(format!(
                    "qualified offer `{id}` ({}) was last checked on {}, over {days} days ago (`offer_review_days`); check it against the ANSSI list and update `verified_on`",
                    offer.name, offer.verified_on
                ));
            }
        }
        notes
    }

    /// The embedded default policy, read from its build-time JSON.
    pub fn embedded() -> Result<Policy, PolicyError> {
        let mut policy = Policy::default();
        for (name, json) in EMBEDDED_JSON {
            let file: PolicyFile = serde_json::from_str(json).map_err(|e| PolicyError {
                issues: vec![PolicyIssue {
                    file: name.to_string(),
                    line: None,
                    pointer: String::new(),
                    message: format!("embedded policy does not load (a build bug): {e}"),
                }],
            })?;
            policy.merge(file);
        }
        policy.check_complete("embedded policy")?;
        Ok(policy)
    }

    /// The embedded policy read from its YAML through every check a policy
    /// file gets (schema, regexes, paths): what [`Policy::embedded`] skips.
    pub fn embedded_checked() -> Result<Policy, PolicyError> {
        let mut policy = Policy::default();
        for (name, text) in EMBEDDED {
            policy.extend(name, text)?;
        }
        policy.check_complete("embedded policy")?;
        Ok(policy)
    }

    /// The embedded policy, parsed once per process. It is validated by a
    /// test, so failing here means a broken build.
    pub fn shared_default() -> Result<&'static Policy, PolicyError> {
        static DEFAULT: OnceLock<Result<Policy, PolicyError>> = OnceLock::new();
        DEFAULT
            .get_or_init(Policy::embedded)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The embedded policy, extended by a policy file when one is given:
    /// borrowed when there is none, so a host that scans many inputs parses
    /// the embedded policy once.
    pub fn shared_extended(
        extension: Option<(&str, &str)>,
    ) -> Result<std::borrow::Cow<'static, Policy>, PolicyError> {
        let embedded = Policy::shared_default()?;
        match extension {
            None => Ok(std::borrow::Cow::Borrowed(embedded)),
            Some((file, text)) => {
                let mut copy = embedded.clone();
                copy.extend(file, text)?;
                Ok(std::borrow::Cow::Owned(copy))
            }
        }
    }

    /// Adds a policy file on top: its entries replace same-named ones.
    pub fn extend(&mut self, file: &str, text: &str) -> Result<(), PolicyError> {
        self.merge(parse_file(file, text)?);
        self.check_complete(file)
    }

    /// A file's entries replace same-named ones.
    fn merge(&mut self, file: PolicyFile) {
        self.providers.extend(file.providers);
        self.qualified_offers.extend(file.qualified_offers);
        self.encryption.extend(file.encryption);
        self.profiles.extend(file.profiles);
        self.kubernetes.extend(file.kubernetes);
        self.kubernetes.known_types = self.known_types();
        if let Some(default) = file.default_profile {
            self.default_profile = default;
        }
        if file.offer_review_days.is_some() {
            self.offer_review_days = file.offer_review_days;
        }
        self.read_attributes = self.attributes_read();
    }

    fn check_complete(&self, file: &str) -> Result<(), PolicyError> {
        if self.default_profile.is_empty() || self.profiles.contains_key(&self.default_profile) {
            return Ok(());
        }
        Err(PolicyError {
            issues: vec![PolicyIssue {
                file: file.to_string(),
                line: None,
                pointer: "/default_profile".into(),
                message: format!("default profile `{}` is not defined", self.default_profile),
            }],
        })
    }

    pub fn profile(&self, name: Option<&str>) -> Option<(&str, &Profile)> {
        let name = name.unwrap_or(&self.default_profile);
        self.profiles
            .get_key_value(name)
            .map(|(k, v)| (k.as_str(), v))
    }

    /// Every provider of the catalogue, by source (`hashicorp/aws`).
    pub fn providers(&self) -> impl Iterator<Item = (&str, &ProviderEntry)> {
        self.providers.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The catalogue entry for a provider source, by source or alias.
    pub fn provider(&self, source: &str) -> Option<&ProviderEntry> {
        self.provider_entry(source).map(|(_, entry)| entry)
    }

    /// The catalogue's own source and entry for a source or alias. Registry
    /// addresses are case-insensitive (`cloud-temple/cloudtemple`).
    pub fn provider_entry(&self, source: &str) -> Option<(&str, &ProviderEntry)> {
        self.providers
            .get_key_value(source)
            .or_else(|| {
                self.providers.iter().find(|(key, entry)| {
                    key.eq_ignore_ascii_case(source)
                        || entry.aliases.iter().any(|a| a.eq_ignore_ascii_case(source))
                })
            })
            .map(|(key, entry)| (key.as_str(), entry))
    }

    /// The catalogue that applies to a provider configured with `settings`:
    /// a variant's when its settings all match (S3NS for the google
    /// provider with `universe_domain = "s3nsapis.fr"`), else `entry`.
    pub fn catalogue_for<'a>(
        &'a self,
        entry: &'a ProviderEntry,
        settings: &crate::model::ProviderSettings,
    ) -> &'a ProviderEntry {
        entry
            .variants
            .iter()
            .find(|variant| {
                variant.when.iter().all(|(setting, wanted)| {
                    settings
                        .values
                        .get(setting)
                        .and_then(crate::path::scalar_text)
                        .is_some_and(|value| value.eq_ignore_ascii_case(wanted))
                })
            })
            .and_then(|variant| self.providers.get(&variant.catalogue))
            .unwrap_or(entry)
    }

    /// Every resource type the policy has a fact about.
    fn known_types(&self) -> BTreeSet<String> {
        let mut known: BTreeSet<String> = self.encryption.keys().cloned().collect();
        for provider in self.providers.values() {
            for attribute in &provider.resource_locations {
                known.extend(attribute.types.iter().cloned());
            }
        }
        known
    }

    /// The top-level resource attributes some path of the policy reads
    /// (location attributes, encryption checks, account defaults): a plan
    /// reader may skip the others.
    pub fn read_attributes(&self) -> &crate::input::KeptAttributes {
        &self.read_attributes
    }

    fn attributes_read(&self) -> crate::input::KeptAttributes {
        let root = |path: &AttrPath| match path.segments().first() {
            Some(crate::path::Segment::Key(key)) => Some(key.clone()),
            _ => None,
        };
        let locations = self
            .providers
            .values()
            .flat_map(|p| &p.resource_locations)
            .flat_map(|l| std::iter::once(&l.path).chain(l.when.as_ref().map(|c| &c.path)))
            .chain(
                self.providers
                    .values()
                    .filter_map(|p| p.worldwide_resources.as_ref()?.when.as_ref())
                    .map(|c| &c.path),
            );
        let encryption = self.encryption.values().flat_map(|rule| {
            rule.checks
                .iter()
                .chain(rule.parts.iter().flat_map(|p| &p.checks))
                .map(|c| &c.path)
                .chain(rule.parts.iter().map(|p| &p.block))
                .chain(rule.account_default.as_ref().map(|d| &d.path))
        });
        let parents: Vec<String> = self
            .providers
            .values()
            .flat_map(|p| &p.parents)
            .flat_map(|r| r.attributes.iter().cloned())
            .collect();
        // A path that does not start with a name could read any attribute.
        match locations
            .chain(encryption)
            .map(root)
            .collect::<Option<BTreeSet<String>>>()
        {
            Some(mut roots) => {
                roots.extend(parents);
                crate::input::KeptAttributes::Only(roots)
            }
            None => crate::input::KeptAttributes::All,
        }
    }

    /// Every catalogue entry that knows `value`, with the cloud's name: a
    /// topology value of a cluster may belong to any cloud.
    pub fn locations_anywhere<'a>(
        &'a self,
        value: &'a str,
    ) -> impl Iterator<Item = (&'a ProviderEntry, &'a LocationEntry)> {
        self.providers
            .values()
            .filter(|p| p.kind == ProviderKind::Cloud)
            .filter_map(move |p| p.find_location(value).map(|l| (p, l)))
    }
}

fn parse_file(file: &str, text: &str) -> Result<PolicyFile, PolicyError> {
    let issue = |line, pointer: &str, message: String| PolicyIssue {
        file: file.to_string(),
        line,
        pointer: pointer.to_string(),
        message,
    };
    let doc = yaml::parse(text).map_err(|e| PolicyError {
        issues: vec![issue(e.line, "", e.message)],
    })?;
    let validator = schema_validator().map_err(|message| PolicyError {
        issues: vec![issue(None, "", message)],
    })?;
    let mut issues: Vec<PolicyIssue> = validator
        .iter_errors(&doc.value)
        .map(|e| {
            let pointer = e.instance_path().to_string();
            issue(doc.line_of(&pointer), &pointer, e.to_string())
        })
        .collect();
    if !issues.is_empty() {
        issues.sort_by_key(|i| i.line);
        return Err(PolicyError { issues });
    }
    // The schema has checked the shape; what is left are values the schema
    // cannot judge (regexes, paths), reported with their position too.
    serde_path_to_error::deserialize(&doc.value).map_err(|e| {
        let pointer = json_pointer(e.path());
        let message = e.into_inner().to_string();
        PolicyError {
            issues: vec![issue(doc.line_of(&pointer), &pointer, message)],
        }
    })
}

fn json_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    pointer
}

fn schema_validator() -> Result<&'static jsonschema::Validator, String> {
    static VALIDATOR: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            let schema: serde_json::Value = serde_json::from_str(SCHEMA)
                .map_err(|e| format!("policy schema is not JSON: {e}"))?;
            jsonschema::validator_for(&schema).map_err(|e| format!("policy schema is invalid: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn de_path<'de, D: serde::Deserializer<'de>>(d: D) -> Result<AttrPath, D::Error> {
    let text = String::deserialize(d)?;
    AttrPath::parse(&text).map_err(|e: PathError| serde::de::Error::custom(e))
}

/// The pattern as written in the policy, without the anchors added at load.
pub fn pattern_text(regex: &Regex) -> &str {
    let text = regex.as_str();
    text.strip_prefix("^(?:")
        .and_then(|t| t.strip_suffix(")$"))
        .unwrap_or(text)
}

/// An anchored location pattern, with the literal prefixes one of which
/// every match starts with: most values are ruled out by a prefix test,
/// without running the regex (a lookup tries every location of a provider).
#[derive(Debug, Clone)]
pub struct Pattern {
    regex: Regex,
    /// `None` when an alternative has no literal prefix.
    prefixes: Option<Vec<String>>,
}

impl Pattern {
    pub fn is_match(&self, text: &str) -> bool {
        let possible = self
            .prefixes
            .as_ref()
            .is_none_or(|prefixes| prefixes.iter().any(|p| text.starts_with(p.as_str())));
        possible && self.regex.is_match(text)
    }
}

/// The literal start of each top-level alternative of `pattern`, or `None`
/// if one has none (it may start with a class, a group or a flag).
fn literal_prefixes(pattern: &str) -> Option<Vec<String>> {
    let mut alternatives = vec![String::new()];
    let (mut depth, mut in_class, mut literal) = (0usize, false, true);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
                literal = false;
            }
            '[' if !in_class => (in_class, literal) = (true, false),
            ']' if in_class => in_class = false,
            '(' if !in_class => (depth, literal) = (depth + 1, false),
            ')' if !in_class => depth = depth.saturating_sub(1),
            '|' if !in_class && depth == 0 => {
                alternatives.push(String::new());
                literal = true;
            }
            _ if !literal || in_class || depth > 0 => {}
            '.' | '*' | '+' | '?' | '{' | '^' | '$' => {
                // A quantifier makes the character before it optional.
                if matches!(c, '*' | '?' | '{')
                    && let Some(current) = alternatives.last_mut()
                {
                    current.pop();
                }
                literal = false;
            }
            c => {
                if let Some(current) = alternatives.last_mut() {
                    current.push(c);
                }
            }
        }
    }
    alternatives
        .iter()
        .all(|a| !a.is_empty())
        .then_some(alternatives)
}

fn de_opt_pattern<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Pattern>, D::Error> {
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    let regex = Regex::new(&format!("^(?:{text})$"))
        .map_err(|e| serde::de::Error::custom(format!("invalid regex `{text}`: {e}")))?;
    Ok(Some(Pattern {
        regex,
        prefixes: literal_prefixes(&text),
    }))
}

fn de_regex<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Regex, D::Error> {
    de_opt_regex(d)?.ok_or_else(|| serde::de::Error::custom("a regex is required"))
}

fn de_opt_regex_ignoring_case<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Regex>, D::Error> {
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    Regex::new(&format!("(?i)^(?:{text})$"))
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("invalid regex `{text}`: {e}")))
}

fn de_opt_regex<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Regex>, D::Error> {
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    // Anchor the whole value: a location pattern that matched a substring
    // would accept `xeu-west-3a`.
    Regex::new(&format!("^(?:{text})$"))
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("invalid regex `{text}`: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON that build.rs made is the YAML, as every policy file is
    /// read: the same policy, field for field.
    #[test]
    fn embedded_json_is_the_checked_yaml() {
        let checked = Policy::embedded_checked().expect("embedded YAML passes every check");
        let fast = Policy::embedded().expect("embedded JSON loads");
        assert_eq!(format!("{fast:?}"), format!("{checked:?}"));
    }

    #[test]
    fn literal_prefixes_are_what_every_match_starts_with() {
        let prefixes = |p: &str| literal_prefixes(p);
        assert_eq!(
            prefixes("eu-west-3[a-z]|euw3-az[0-9]+"),
            Some(vec!["eu-west-3".into(), "euw3-az".into()])
        );
        assert_eq!(prefixes("gra[0-9]*"), Some(vec!["gra".into()]));
        assert_eq!(prefixes("fr-par-?1"), Some(vec!["fr-par".into()]));
        assert_eq!(prefixes("ab(c|d)e"), Some(vec!["ab".into()]));
        assert_eq!(prefixes("[a-z]+-west"), None);
        assert_eq!(prefixes("x|(?i)y"), None);
        assert_eq!(prefixes("a\\.b"), Some(vec!["a".into()]));
        // On the embedded policy, the prefix test never rules out a value
        // the regex accepts: each id followed by one more character.
        let policy = Policy::embedded().unwrap();
        let mut accepted = 0;
        for provider in policy.providers.values() {
            for location in &provider.locations {
                let Some(pattern) = &location.matches else {
                    continue;
                };
                for last in ('a'..='z').chain('0'..='9') {
                    let candidate = provider.normalize.apply(&format!("{}{last}", location.id));
                    let matched = pattern.regex.is_match(&candidate);
                    assert_eq!(pattern.is_match(&candidate), matched, "{candidate}");
                    accepted += usize::from(matched);
                }
            }
        }
        assert!(
            accepted > 50,
            "the candidates exercise the patterns: {accepted}"
        );
    }

    #[test]
    fn embedded_policy_is_valid_and_complete() {
        let policy = Policy::embedded().expect("embedded policy must validate");
        let (name, strict) = policy.profile(None).expect("default profile");
        assert_eq!(name, "strict");
        assert!(strict.allowed_countries.contains("FR"));
        assert_eq!(strict.families.len(), 3);
        assert!(policy.profile(Some("eea")).is_some());
        let operator = policy
            .kubernetes
            .operator_for("ec2.aws.upbound.io")
            .expect("Crossplane AWS");
        assert_eq!(operator.provider, "hashicorp/aws");
        assert_eq!(
            operator.terraform_type("Instance", "rds.aws.upbound.io", &BTreeSet::new()),
            Some("aws_db_instance".to_string())
        );
        let known = &policy.kubernetes.known_types;
        assert_eq!(
            operator.terraform_type("Cluster", "docdb.aws.upbound.io", known),
            Some("aws_docdb_cluster".to_string()),
            "named after its group and kind"
        );
        assert_eq!(
            operator.terraform_type("Widget", "docdb.aws.upbound.io", known),
            None
        );
        let azure = policy
            .kubernetes
            .operator_for("azure.upbound.io")
            .expect("the family's own group (ResourceGroup)");
        assert_eq!(azure.provider, "hashicorp/azurerm");
        assert!(
            policy
                .kubernetes
                .zone_labels()
                .iter()
                .any(|l| l == "topology.kubernetes.io/zone")
        );
    }

    #[test]
    fn every_embedded_fact_carries_a_source() {
        let policy = Policy::embedded().expect("valid");
        for (source, provider) in &policy.providers {
            for location in &provider.locations {
                assert!(
                    !location.source.trim().is_empty(),
                    "{source} {} has no source",
                    location.id
                );
            }
        }
        for (id, offer) in &policy.qualified_offers {
            assert!(
                !offer.source.is_empty() && !offer.verified_on.is_empty(),
                "{id}"
            );
        }
    }

    #[test]
    fn french_locations_resolve_by_id_and_zone_with_normalisation() {
        let policy = Policy::embedded().expect("valid");
        let aws = policy.provider("hashicorp/aws").expect("aws");
        assert_eq!(
            aws.find_location("eu-west-3").map(|l| l.country.as_str()),
            Some("FR")
        );
        assert_eq!(
            aws.find_location("eu-west-3b").map(|l| l.id.as_str()),
            Some("eu-west-3")
        );
        assert_eq!(
            aws.find_location("euw3-az2").map(|l| l.id.as_str()),
            Some("eu-west-3")
        );
        assert!(aws.find_location("xeu-west-3a").is_none());
        let azure = policy.provider("hashicorp/azurerm").expect("azurerm");
        assert_eq!(
            azure.find_location("France Central").map(|l| l.id.as_str()),
            Some("francecentral")
        );
        let google = policy
            .provider("hashicorp/google-beta")
            .expect("google-beta is an alias");
        assert_eq!(
            google
                .find_location("EUROPE-WEST9")
                .map(|l| l.country.as_str()),
            Some("FR")
        );
        assert_ne!(
            google.find_location("EU").map(|l| l.country.as_str()),
            Some("FR")
        );
    }

    #[test]
    fn invalid_policy_reports_every_problem_with_its_line() {
        let text = "providers:\n  acme/cloud:\n    name: Acme\n    kind: cloudy\n    locations:\n      - id: par\n        country: France\n        name: Paris\n        confidence: verified\n        source: x\nprofiles:\n  p:\n    description: d\n    allowed_countries: [FR]\n    families: [region]\n    undetermined: maybe\n";
        let err = parse_file("user.yaml", text).expect_err("invalid");
        let lines: Vec<_> = err.issues.iter().map(|i| i.line).collect();
        assert!(err.issues.len() >= 3, "{:#?}", err.issues);
        assert!(
            lines.contains(&Some(4)),
            "kind: cloudy at line 4: {:#?}",
            err.issues
        );
        assert!(
            lines.contains(&Some(7)),
            "country: France at line 7: {:#?}",
            err.issues
        );
        assert!(
            lines.contains(&Some(16)),
            "undetermined: maybe at line 16: {:#?}",
            err.issues
        );
    }

    #[test]
    fn invalid_regex_is_reported() {
        let text = "providers:\n  acme/cloud:\n    name: Acme\n    kind: cloud\n    global_resources: '('\n";
        let err = parse_file("user.yaml", text).expect_err("invalid regex");
        assert!(
            err.issues[0].message.contains("invalid regex"),
            "{:?}",
            err.issues
        );
    }

    #[test]
    fn user_file_overrides_and_extends() {
        let mut policy = Policy::embedded().expect("valid");
        let text = "profiles:\n  mine:\n    description: FR and BE\n    allowed_countries: [FR, BE]\n    families: [region]\n    undetermined: warn\ndefault_profile: mine\n";
        policy.extend("user.yaml", text).expect("valid user policy");
        let (name, profile) = policy.profile(None).expect("profile");
        assert_eq!(name, "mine");
        assert!(profile.allowed_countries.contains("BE"));
        assert!(
            policy.profile(Some("strict")).is_some(),
            "embedded profiles stay"
        );
    }

    #[test]
    fn unknown_default_profile_is_an_error() {
        let mut policy = Policy::embedded().expect("valid");
        let err = policy
            .extend("user.yaml", "default_profile: nope\n")
            .expect_err("error");
        assert!(err.issues[0].message.contains("`nope`"));
    }
}
