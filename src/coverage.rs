//! What the policy knows, resource type by resource type: where each type's
//! location is read, its encryption rule and default, and the sources those
//! facts rest on (`souverain coverage`, docs/coverage.md). What is not listed
//! here is checked only through its provider's generic location attributes,
//! and never for encryption.

use crate::model::LocationKind;
use crate::policy::{
    Confidence, EncryptionDefault, EncryptionOutcome, EncryptionRule, LocationAttribute, Policy,
    ProviderEntry, ProviderKind,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// The catalogue seen from its resource types and providers.
#[derive(Debug, Serialize)]
pub struct Coverage {
    pub summary: Summary,
    pub providers: Vec<ProviderCoverage>,
    pub resource_types: Vec<TypeCoverage>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub providers: usize,
    pub resource_types: usize,
    pub with_encryption_rule: usize,
}

/// A provider of the catalogue and what applies to all its types.
#[derive(Debug, Serialize)]
pub struct ProviderCoverage {
    pub source: String,
    pub name: String,
    pub kind: &'static str,
    /// Location ids in France.
    pub french_locations: Vec<String>,
    /// Every location id the catalogue knows for it.
    pub known_locations: usize,
    /// Attributes read on every resource type (those not limited to types).
    pub resource_locations: Vec<LocationRead>,
    /// Provider configuration settings a resource inherits its location from.
    pub provider_locations: Vec<LocationRead>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_location: Option<String>,
    /// Regex of the types without a location (global services).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_resources: Option<String>,
    /// Regex of the types that serve or copy data worldwide.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worldwide_resources: Option<String>,
    /// Attributes through which a resource with no location names the
    /// parent it is located by.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parent_attributes: Vec<String>,
    /// Regexes of the types that hold no data and have no location.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unlocated_resources: Vec<String>,
}

/// One resource type the policy has a fact about.
#[derive(Debug, Serialize)]
pub struct TypeCoverage {
    #[serde(rename = "type")]
    pub resource_type: String,
    /// The provider source whose catalogue applies (by the type's prefix).
    pub provider: Option<String>,
    /// Where the type's location is read, type-specific attributes first.
    pub locations: Vec<LocationRead>,
    pub encryption: Option<EncryptionCoverage>,
    /// The source of the type's own facts (its encryption rule, else its
    /// type-specific location attribute).
    pub source: Option<String>,
    pub confidence: Option<Confidence>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LocationRead {
    pub path: String,
    pub kind: LocationKind,
    /// A further location (replica, copy, destination).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replica: bool,
    /// The value used when the attribute is unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Only when this holds, e.g. `settings[*].backup_configuration[*].enabled = true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct EncryptionCoverage {
    pub default: EncryptionDefault,
    /// Encrypted when any passes, e.g. `encrypted = true`.
    pub checks: Vec<String>,
    /// Further storage that must be encrypted too, e.g. `ebs_block_device`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<String>,
    pub absent: EncryptionOutcome,
    pub unknown: EncryptionOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_default: Option<String>,
    pub source: String,
    pub confidence: Confidence,
}

impl Coverage {
    pub fn of(policy: &Policy) -> Self {
        let providers: Vec<ProviderCoverage> = policy
            .providers()
            .map(|(source, entry)| provider_coverage(source, entry))
            .collect();
        let mut types: BTreeMap<String, TypeCoverage> = BTreeMap::new();
        for (resource_type, rule) in &policy.encryption {
            let provider = provider_of(policy, resource_type);
            // A Kubernetes volume is located by its topology, not by the
            // attributes of its cloud's Terraform resources.
            let locations = match (resource_type.contains('/'), provider) {
                (true, _) => vec![LocationRead {
                    path: "(topology labels: allowedTopologies, node affinity)".into(),
                    kind: LocationKind::Zone,
                    replica: false,
                    default: None,
                    when: None,
                }],
                (false, Some((_, entry))) => locations_of(entry, resource_type),
                (false, None) => Vec::new(),
            };
            types.insert(
                resource_type.clone(),
                TypeCoverage {
                    resource_type: resource_type.clone(),
                    locations,
                    provider: provider.map(|(source, _)| source.to_string()),
                    encryption: Some(encryption_coverage(rule)),
                    source: Some(rule.source.clone()),
                    confidence: Some(rule.confidence),
                },
            );
        }
        for (source, entry) in policy.providers() {
            for attribute in &entry.resource_locations {
                for resource_type in &attribute.types {
                    types
                        .entry(resource_type.clone())
                        .or_insert_with(|| TypeCoverage {
                            resource_type: resource_type.clone(),
                            provider: Some(source.to_string()),
                            locations: locations_of(entry, resource_type),
                            encryption: None,
                            source: attribute.source.clone(),
                            confidence: None,
                        });
                }
            }
        }
        let resource_types: Vec<TypeCoverage> = types.into_values().collect();
        Coverage {
            summary: Summary {
                providers: providers.len(),
                resource_types: resource_types.len(),
                with_encryption_rule: resource_types
                    .iter()
                    .filter(|t| t.encryption.is_some())
                    .count(),
            },
            providers,
            resource_types,
        }
    }

    /// One line per resource type, for a terminal.
    pub fn text(&self) -> String {
        let mut out = format!(
            "{} resource types known to the policy, {} with an encryption rule, over {} providers\n\n",
            self.summary.resource_types, self.summary.with_encryption_rule, self.summary.providers
        );
        for t in &self.resource_types {
            let encryption = t.encryption.as_ref().map_or_else(
                || "no encryption rule".to_string(),
                |e| format!("encryption: {} default", e.default.as_str()),
            );
            let locations: Vec<String> = t.locations.iter().map(describe).collect();
            out.push_str(&format!(
                "{:<48} {:<28} {encryption}; location: {}\n",
                t.resource_type,
                t.provider.as_deref().unwrap_or("(no provider)"),
                if locations.is_empty() {
                    "none read".to_string()
                } else {
                    locations.join(", ")
                }
            ));
        }
        out
    }

    /// docs/coverage.md: generated, and checked by a test.
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "<!-- Generated from the policy (policies/*.yaml). Do not edit: run\n     `UPDATE_DOCS=1 cargo test --test docs` after changing the policy. -->\n# Coverage\n\n",
        );
        out.push_str(&format!(
            "What the embedded policy knows: {} resource types, {} of them with an encryption rule, over {} providers. \
             A resource type that is not listed is located through its provider's generic attributes and \
             is **not judged for encryption** (`souverain coverage` prints this list; `--format json` for tools).\n\n",
            self.summary.resource_types, self.summary.with_encryption_rule, self.summary.providers
        ));
        out.push_str("Encryption defaults: `platform` encrypted unless opted out · `opt_in` unencrypted unless enabled · `account` an account-wide setting decides · `engine_dependent` depends on the engine or mode · `undocumented` no documented default found. Outcomes say what an unset attribute (`absent`) and one known only after apply (`unknown`) mean.\n\n");
        out.push_str("## Providers\n\n| provider | kind | French locations | location read from | provider settings | parent named by | global types | worldwide types | types without location |\n|---|---|---|---|---|---|---|---|---|\n");
        for p in &self.providers {
            let reads: Vec<String> = p.resource_locations.iter().map(describe).collect();
            let settings: Vec<String> = p.provider_locations.iter().map(describe).collect();
            let mut settings = settings.join(", ");
            if let Some(default) = &p.default_location {
                if !settings.is_empty() {
                    settings.push_str("; ");
                }
                settings.push_str(&format!("default `{default}`"));
            }
            let unlocated: Vec<String> = p
                .unlocated_resources
                .iter()
                .map(|u| format!("`{}`", cell(u)))
                .collect();
            out.push_str(&format!(
                "| `{}` ({}) | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                p.source,
                cell(&p.name),
                p.kind,
                code_list(&p.french_locations),
                cell(&reads.join(", ")),
                cell(&settings),
                code_list(&p.parent_attributes),
                p.global_resources
                    .as_deref()
                    .map(|g| format!("`{}`", cell(g)))
                    .unwrap_or_default(),
                p.worldwide_resources
                    .as_deref()
                    .map(|g| format!("`{}`", cell(g)))
                    .unwrap_or_default(),
                unlocated.join(" "),
            ));
        }
        out.push_str("\n## Resource types\n\n| type | provider | location | encryption default | encrypted when | unset / unknown | confidence | source |\n|---|---|---|---|---|---|---|---|\n");
        for t in &self.resource_types {
            let locations: Vec<String> = t.locations.iter().map(describe).collect();
            let (default, when, outcomes) = match &t.encryption {
                Some(e) => {
                    let mut when = e.checks.join(" or ");
                    if !e.parts.is_empty() {
                        when.push_str(&format!("; and each {}", e.parts.join(", ")));
                    }
                    if let Some(account) = &e.account_default {
                        when.push_str(&format!("; or {account}"));
                    }
                    (
                        format!("`{}`", e.default.as_str()),
                        when,
                        format!("{} / {}", outcome(e.absent), outcome(e.unknown)),
                    )
                }
                None => ("not judged".into(), String::new(), String::new()),
            };
            out.push_str(&format!(
                "| `{}` | {} | {} | {default} | {} | {outcomes} | {} | {} |\n",
                t.resource_type,
                t.provider
                    .as_deref()
                    .map(|p| format!("`{p}`"))
                    .unwrap_or_default(),
                cell(&locations.join(", ")),
                cell(&when),
                t.confidence.map(confidence).unwrap_or_default(),
                cell(t.source.as_deref().unwrap_or_default()),
            ));
        }
        out
    }
}

/// The provider whose catalogue covers a resource type: Terraform names a
/// type after its provider's local name (`aws_`, `azurerm_`), which is the
/// last part of the source; a Kubernetes volume key (`StorageClass/<driver>`)
/// belongs to its provisioner's cloud.
pub fn provider_of<'p>(
    policy: &'p Policy,
    resource_type: &str,
) -> Option<(&'p str, &'p ProviderEntry)> {
    if let Some((_, provisioner)) = resource_type.split_once('/') {
        let provider = &policy.kubernetes.provisioners.get(provisioner)?.provider;
        return policy.provider_entry(provider);
    }
    let prefix = resource_type.split('_').next()?;
    policy.providers().find(|(source, entry)| {
        entry.kind == ProviderKind::Cloud
            && source.rsplit('/').next() == Some(prefix)
            && entry.variants.iter().all(|v| v.catalogue != *source)
    })
}

fn provider_coverage(source: &str, entry: &ProviderEntry) -> ProviderCoverage {
    let french = ["FR".to_string()].into_iter().collect();
    ProviderCoverage {
        source: source.to_string(),
        name: entry.name.clone(),
        kind: match entry.kind {
            ProviderKind::Cloud => "cloud",
            ProviderKind::Cluster => "cluster",
            ProviderKind::NotInfrastructure => "not infrastructure",
        },
        french_locations: entry.locations_in(&french).map(|l| l.id.clone()).collect(),
        known_locations: entry.locations.len(),
        resource_locations: entry
            .resource_locations
            .iter()
            .filter(|a| a.types.is_empty())
            .map(read_of)
            .collect(),
        provider_locations: entry.provider_locations.iter().map(read_of).collect(),
        default_location: entry.default_location.as_ref().map(|d| d.value.clone()),
        global_resources: entry
            .global_resources
            .as_ref()
            .map(|r| crate::policy::pattern_text(r).to_string()),
        worldwide_resources: entry
            .worldwide_resources
            .as_ref()
            .map(|w| crate::policy::pattern_text(&w.types).to_string()),
        parent_attributes: entry
            .parents
            .iter()
            .flat_map(|r| r.attributes.iter().cloned())
            .collect(),
        unlocated_resources: entry
            .unlocated_resources
            .iter()
            .map(|u| crate::policy::pattern_text(&u.types).to_string())
            .collect(),
    }
}

/// Where a type's location is read: its own attributes, then the generic
/// ones; a worldwide or global type says so instead.
fn locations_of(entry: &ProviderEntry, resource_type: &str) -> Vec<LocationRead> {
    if let Some(worldwide) = &entry.worldwide_resources
        && worldwide.types.is_match(resource_type)
    {
        return vec![LocationRead {
            path: "(worldwide service)".into(),
            kind: LocationKind::Location,
            replica: false,
            default: None,
            when: None,
        }];
    }
    if entry
        .global_resources
        .as_ref()
        .is_some_and(|g| g.is_match(resource_type))
    {
        return Vec::new();
    }
    let specific = entry
        .resource_locations
        .iter()
        .filter(|a| a.types.iter().any(|t| t == resource_type));
    let generic = entry
        .resource_locations
        .iter()
        .filter(|a| a.types.is_empty());
    specific.chain(generic).map(read_of).collect()
}

fn read_of(attribute: &LocationAttribute) -> LocationRead {
    LocationRead {
        path: attribute.path.to_string(),
        kind: attribute.kind,
        replica: attribute.replica,
        default: attribute.default.clone(),
        when: attribute
            .when
            .as_ref()
            .map(|c| format!("{} = {}", c.path, c.equals.join("|"))),
    }
}

fn encryption_coverage(rule: &EncryptionRule) -> EncryptionCoverage {
    let check = |c: &crate::policy::EncryptionCheck| match (c.equals.first(), &c.matches) {
        (Some(value), _) => format!("{} = {value}", c.path),
        (None, Some(pattern)) => format!("{} ~ {}", c.path, crate::policy::pattern_text(pattern)),
        (None, None) => format!("{} set", c.path),
    };
    EncryptionCoverage {
        default: rule.default,
        checks: rule.checks.iter().map(check).collect(),
        parts: rule
            .parts
            .iter()
            .map(|p| {
                let checks: Vec<String> = p.checks.iter().map(check).collect();
                format!("{} ({})", p.block, checks.join(" or "))
            })
            .collect(),
        absent: rule.absent,
        unknown: rule.unknown,
        account_default: rule
            .account_default
            .as_ref()
            .map(|d| format!("{}.{} = {}", d.resource, d.path, d.equals.join("|"))),
        source: rule.source.clone(),
        confidence: rule.confidence,
    }
}

fn describe(read: &LocationRead) -> String {
    let mut text = format!("`{}`", read.path);
    if read.replica {
        text.push_str(" (replica)");
    }
    if let Some(default) = &read.default {
        text.push_str(&format!(" (unset: `{default}`)"));
    }
    if let Some(when) = &read.when {
        text.push_str(&format!(" (when {when})"));
    }
    text
}

fn outcome(outcome: EncryptionOutcome) -> &'static str {
    match outcome {
        EncryptionOutcome::Encrypted => "encrypted",
        EncryptionOutcome::Unencrypted => "unencrypted",
        EncryptionOutcome::Undetermined => "undetermined",
    }
}

fn confidence(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::Verified => "verified",
        Confidence::ThirdParty => "third party",
        Confidence::Uncertain => "uncertain",
    }
}

fn code_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A Markdown table cell: pipes escaped, line breaks flattened.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
