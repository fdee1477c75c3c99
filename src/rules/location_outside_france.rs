//! SOV101 `location-outside-france`.

use super::{Context, Draft, RuleMeta, Subject, allowed_label};
use crate::model::{Category, Location, ProvenanceKind, Severity, Verdict};
use crate::policy::{ProviderEntry, ProviderKind};

pub static META: RuleMeta = RuleMeta {
    id: "SOV101",
    name: "location-outside-france",
    category: Category::Region,
    severity: Severity::High,
    summary: "A resource is (or may be) located outside France.",
    doc: r#"## What it does
Finds every location a resource names — its region or zone, the region of the provider
configuration it uses (through modules, aliases and variables), replicas and replication
destinations — and checks each against the policy's catalogue of locations. A location in a
country the profile does not allow is a **violation**. A location that cannot be known before
apply (a region computed from another resource, a provider region set only through the
environment) is **undetermined**, never a pass.

A resource with no location of its own (a storage container, a database of a server, a key
vault secret, a subnet) is where the parent it names is: the catalogue's `parents` say through
which attributes. A parent outside France makes the child a violation too, naming the parent; a
parent the input does not hold leaves the child undetermined. Resources that hold no data and
have no location (firewall rules, IAM bindings, peerings, routes, DNS records: the catalogue's
`unlocated_resources`) are not checked for location.

## Why it matters
French public bodies must keep their data on French soil: the State doctrine "cloud au centre"
(circulaire n°6404/SG of 31 May 2023), article 31 of the SREN law (loi n° 2024-449) and
SecNumCloud 3.2 (data stored and processed in the EU, under EU law) all start from where data
physically is. GDPR transfers outside the EU need a legal basis the CNIL checks. A bucket in
`us-east-1` or a multi-region `EU` bucket is outside France.

## Example
```hcl
provider "aws" {
  region = "us-east-1"
}
resource "aws_s3_bucket" "data" {
  bucket = "data"
}
```

## Use instead
```hcl
provider "aws" {
  region = "eu-west-3" # Europe (Paris)
}
```
French locations per provider are in `policies/providers.yaml`: `eu-west-3` (AWS),
`francecentral` (Azure), `europe-west9` (Google), `u-france-east1` (S3NS), `GRA`/`SBG`/`RBX`/
`EU-WEST-PAR` (OVHcloud), `fr-par` (Scaleway), `eu-west-2`/`cloudgouv-eu-west-1` (Outscale),
`eu-paris-1`/`eu-marseille-1` (OCI), `eu-west-0` (Flexible Engine).

## Configuration
- `profiles.<name>.allowed_countries`: where resources may be (`[FR]` in `strict`; EEA countries in `eea`).
- `profiles.<name>.undetermined`: `fail` (default) or `warn` for locations unknown before apply.
- `providers.<source>`: add a provider, its location attributes and locations with their country.
"#,
};

pub fn check(subject: &Subject, ctx: &Context, out: &mut Vec<Draft>) {
    let resource = subject.resource;
    let Some(provider) = subject.provider else {
        out.push(Draft {
            verdict: Verdict::Undetermined,
            message: format!(
                "{} uses provider `{}`, which the location catalogue does not know",
                resource.address, resource.provider
            ),
            help: format!(
                "add `{}` with its location attributes and locations to a policy file (`--policy`), \
                 or mark it `kind: not_infrastructure` if it deploys nothing",
                resource.provider
            ),
            location: None,
            attribute: None,
        });
        return;
    };
    if subject.unlocated.is_some() {
        return;
    }
    for location in &subject.locations {
        let Some(value) = &location.value else {
            out.push(Draft {
                verdict: Verdict::Undetermined,
                message: format!(
                    "{} has an undetermined location: {}",
                    resource.address, location.provenance.detail
                ),
                help: if location.provenance.kind == ProvenanceKind::Parent {
                    format!(
                        "scan the resource together with its parent (the whole configuration, or its plan), so the parent's location is known; the parent must be in {}",
                        allowed_label(ctx.profile)
                    )
                } else {
                    format!(
                        "set the location explicitly so it is known at plan time: {}",
                        suggestion(provider, location, ctx)
                    )
                },
                location: Some(location.clone()),
                attribute: None,
            });
            continue;
        };
        let described = if provider.kind == ProviderKind::Cluster {
            // The cloud is not known: every catalogue that knows the value
            // must agree.
            let known: Vec<_> = ctx.policy.locations_anywhere(value).collect();
            let allowed = |(_, l): &(&ProviderEntry, &crate::policy::LocationEntry)| {
                l.is_within(&ctx.profile.allowed_countries)
            };
            if !known.is_empty() && known.iter().all(allowed) {
                continue;
            }
            if known.iter().any(allowed) {
                let readings: Vec<String> = known
                    .iter()
                    .map(|(p, l)| format!("{} for {}", l.country, p.name))
                    .collect();
                out.push(Draft {
                    verdict: Verdict::Undetermined,
                    message: format!(
                        "{} is pinned to `{value}`, which is in different countries on different clouds ({}) (from {})",
                        resource.address,
                        readings.join(", "),
                        location.provenance.detail
                    ),
                    help: "pin with a value only one cloud uses (a zone such as `eu-west-3a`), or waive with the cluster's cloud in the reason".into(),
                    location: Some(location.clone()),
                    attribute: None,
                });
                continue;
            }
            match known.first() {
                Some((_, entry)) => format!("`{value}` ({}, {})", entry.name, entry.country),
                // The cloud is not known: a value no cloud uses (an AKS
                // fault domain `0`) says nothing of where the node is.
                None => {
                    out.push(not_a_location(
                        resource,
                        value,
                        location,
                        "any cloud of the catalogue",
                    ));
                    continue;
                }
            }
        } else {
            match provider.find_location(value) {
                Some(entry) if entry.is_within(&ctx.profile.allowed_countries) => continue,
                Some(entry) => format!("`{value}` ({}, {})", entry.name, entry.country),
                // A number is a zone or fault domain relative to a region,
                // not a place: it proves nothing either way.
                None if is_index(value) => {
                    out.push(not_a_location(resource, value, location, &provider.name));
                    continue;
                }
                // The French list is complete: an id it lacks is elsewhere,
                // in a country the catalogue does not say.
                None => format!("`{value}`, not a known location of {}", provider.name),
            }
        };
        out.push(Draft {
            verdict: Verdict::Violation,
            message: format!(
                "{} is in {described}, outside {} (from {})",
                resource.address,
                allowed_label(ctx.profile),
                location.provenance.detail
            ),
            help: suggestion(provider, location, ctx),
            location: Some(location.clone()),
            attribute: None,
        });
    }
}

/// Values such as `0` or `3`: zone or fault-domain numbers, relative to a region.
fn is_index(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())
}

/// An undetermined finding for a value that names no location.
fn not_a_location(
    resource: &crate::model::Resource,
    value: &str,
    location: &Location,
    whose: &str,
) -> Draft {
    Draft {
        verdict: Verdict::Undetermined,
        message: format!(
            "{} has an undetermined location: `{value}` is not a location id of {whose} (from {})",
            resource.address, location.provenance.detail
        ),
        help: "pin the resource with a region or zone id (`topology.kubernetes.io/region: eu-west-3`, `francecentral`, `europe-west9-a`); numbered zones and fault domains are relative to a region and say nothing of where it is".into(),
        location: Some(location.clone()),
        attribute: None,
    }
}

fn suggestion(provider: &ProviderEntry, location: &Location, ctx: &Context) -> String {
    let choices: Vec<String> = if provider.kind == ProviderKind::Cluster {
        return format!(
            "pin to a location in {} of the cluster's cloud (e.g. `topology.kubernetes.io/region: eu-west-3` on AWS, `francecentral` on Azure, `europe-west9` on Google)",
            allowed_label(ctx.profile)
        );
    } else {
        provider
            .locations_in(&ctx.profile.allowed_countries)
            .map(|l| format!("`{}` ({})", l.id, l.name))
            .collect()
    };
    let where_ = match location.provenance.kind {
        ProvenanceKind::ProviderBlock | ProvenanceKind::ProviderDefault => {
            "in the provider configuration".to_string()
        }
        ProvenanceKind::Unknown if location.attribute == "(none)" => {
            "on the provider or the resource".to_string()
        }
        ProvenanceKind::Parent => format!("on the parent named by `{}`", location.attribute),
        _ if location.attribute.contains('`') => format!("in {}", location.attribute),
        _ => format!("in `{}`", location.attribute),
    };
    if choices.is_empty() {
        format!(
            "{} has no location in {}: move the resource to a provider that has one",
            provider.name,
            allowed_label(ctx.profile)
        )
    } else {
        format!("use {} {where_}", choices.join(" or "))
    }
}
