//! Where a resource is: every location it names, each with its provenance.
//!
//! The resource's own attributes come first. When none gives a location,
//! its parent's do (a storage container is where its account is), then the
//! provider configuration it uses (an unknown zone is bounded by that
//! region), then the provider's documented default; failing all, the
//! location is undetermined (a location with no value), never absent.
//! Replica and replication locations always count in addition.

use crate::model::{Location, LocationKind, Provenance, ProvenanceKind, Resource, Span};
use crate::path::{self, Probe};
use crate::policy::{LocationAttribute, ParentRule, ProviderEntry, Worldwide};
use serde_json::Value;

/// The locations of a resource that names no parent the input holds.
pub fn locations(resource: &Resource, provider: &ProviderEntry) -> Vec<Location> {
    locations_with_parent(resource, provider, |_| Vec::new())
}

/// The locations of a resource; `parents` gives the resources of the input
/// at an address (without instance keys) with their locations, asked only
/// when the resource states no location of its own.
pub fn locations_with_parent<'r>(
    resource: &Resource,
    provider: &ProviderEntry,
    parents: impl Fn(&str) -> Vec<(&'r Resource, Vec<Location>)>,
) -> Vec<Location> {
    let applies = |a: &&LocationAttribute| a.applies_to(&resource.resource_type);
    // What the input states (a Kubernetes annotation) is the resource's own.
    let mut own: Vec<Location> = resource.locations.clone();
    let mut replicas = Vec::new();
    let mut unknown_configured = Vec::new();

    for attribute in provider.resource_locations.iter().filter(applies) {
        if let Some(condition) = &attribute.when
            && !condition.holds(&resource.attributes, &resource.unknown)
        {
            continue;
        }
        for reading in path::read(&resource.attributes, &resource.unknown, &attribute.path) {
            let top = reading.path.split(['.', '[']).next().unwrap_or_default();
            let configured = resource
                .configured
                .get(&reading.path)
                .or_else(|| resource.configured.get(top));
            let location = match reading.probe {
                Probe::Set(value) => {
                    let provenance = configured
                        .cloned()
                        .unwrap_or_else(|| computed_from_provider(resource, &reading.path));
                    let span = Some(resource.span_of(&reading.path));
                    located(value, attribute, reading.path, provenance, span)
                }
                // Unknown because the configuration sets it from something
                // known only at apply: genuinely undetermined. Unknown and not
                // configured: the provider computes it from its own region,
                // which the provider configuration tells. An unknown zone is
                // bounded by the provider's region (a zone taken from a data
                // source of that region), so it falls back the same way.
                // A replica's place is never the provider's region: unknown,
                // it is undetermined whatever the resource's own place.
                Probe::Unknown if attribute.replica => {
                    let detail = match configured {
                        Some(provenance) => {
                            format!("{} (known only after apply)", provenance.detail)
                        }
                        None => format!("`{}` is known only after apply", reading.path),
                    };
                    replicas.push(unknown_location(resource, attribute, reading.path, detail));
                    continue;
                }
                // Unset (or computed, so unknown in a plan), the place is
                // decided by something the input does not show.
                // (Configured is the attribute itself, not the block it is in.)
                Probe::Unknown | Probe::Absent
                    if !resource.configured.contains_key(&reading.path)
                        && attribute.undetermined_when_unset.is_some() =>
                {
                    let why = attribute
                        .undetermined_when_unset
                        .as_deref()
                        .unwrap_or_default();
                    let location = unknown_location(
                        resource,
                        attribute,
                        reading.path,
                        format!("`{}` is not set: {why}", attribute.path),
                    );
                    if attribute.replica {
                        replicas.push(location);
                    } else {
                        own.push(location);
                    }
                    continue;
                }
                Probe::Unknown => match configured {
                    Some(provenance) if attribute.kind != LocationKind::Zone => {
                        let detail = format!("{} (known only after apply)", provenance.detail);
                        unknown_configured.push(unknown_location(
                            resource,
                            attribute,
                            reading.path,
                            detail,
                        ));
                        continue;
                    }
                    _ => continue,
                },
                // Unset, an attribute with a documented default is there
                // all the same (a BigQuery dataset without `location` is in
                // `US`, not in the provider's region).
                Probe::Absent => match &attribute.default {
                    Some(default) => Location {
                        value: Some(default.clone()),
                        kind: attribute.kind,
                        span: Some(resource.span),
                        provenance: Provenance::new(
                            ProvenanceKind::ProviderDefault,
                            format!(
                                "`{}` is not set, and {} then uses `{default}`{}",
                                attribute.path,
                                resource.resource_type,
                                attribute
                                    .source
                                    .as_deref()
                                    .map(|s| format!(" ({s})"))
                                    .unwrap_or_default()
                            ),
                        ),
                        attribute: attribute.path.to_string(),
                    },
                    None => continue,
                },
            };
            if attribute.replica {
                replicas.push(location);
            } else {
                own.push(location);
            }
        }
    }

    if own.iter().all(|l| l.value.is_none()) {
        own.extend(unknown_configured);
    }
    if own.is_empty()
        && let Some(rule) = provider.parent_rule(&resource.resource_type)
    {
        own = from_parent(resource, rule, parents);
    }
    if own.is_empty() {
        own = from_provider(resource, provider);
    }
    if own.is_empty()
        && let Some(default) = &provider.default_location
        && !default.environment.is_empty()
    {
        own.push(Location {
            value: None,
            kind: default.kind,
            attribute: "(none)".into(),
            provenance: Provenance::new(
                ProvenanceKind::Unknown,
                format!(
                    "nothing in {} sets it, so {} decides at apply time, and only without it is the location `{}`",
                    resource.form.noun(),
                    default.environment.join(" or "),
                    default.value
                ),
            ),
            span: None,
        });
    }
    if own.is_empty()
        && let Some(default) = &provider.default_location
    {
        own.push(Location {
            value: Some(default.value.clone()),
            kind: default.kind,
            attribute: "(provider default)".into(),
            provenance: Provenance::new(
                ProvenanceKind::ProviderDefault,
                format!("the provider's documented default ({})", default.source),
            ),
            span: None,
        });
    }
    if own.is_empty() {
        own.push(Location {
            value: None,
            kind: LocationKind::Region,
            attribute: "(none)".into(),
            provenance: Provenance::new(ProvenanceKind::Unknown, nowhere(resource, provider)),
            span: None,
        });
    }
    own.extend(replicas);
    dedup(own)
}

/// The one location of a service that serves or copies data worldwide: the
/// catalogue's `worldwide` entry, whatever region its configuration names.
pub fn worldwide(resource: &Resource, worldwide: &Worldwide) -> Location {
    Location {
        value: Some(WORLDWIDE.into()),
        kind: LocationKind::Location,
        attribute: "(service)".into(),
        provenance: Provenance::new(
            ProvenanceKind::Literal,
            format!("{}: {}", resource.resource_type, worldwide.reason),
        ),
        span: None,
    }
}

/// The location id of the catalogue entry for worldwide services.
pub const WORLDWIDE: &str = "worldwide";

/// Where the parent the resource names is: its locations, told as the
/// parent's; undetermined when the parent is not in the input. Empty when
/// the resource names no parent.
fn from_parent<'r>(
    resource: &Resource,
    rule: &ParentRule,
    parents: impl Fn(&str) -> Vec<(&'r Resource, Vec<Location>)>,
) -> Vec<Location> {
    let set = |attribute: &&String| {
        resource.references.contains_key(*attribute)
            || resource.configured.contains_key(*attribute)
            || resource
                .attributes
                .get(attribute)
                .is_some_and(|v| !v.is_null())
            || resource
                .unknown
                .get(attribute)
                .is_some_and(|v| v == &Value::Bool(true))
    };
    let Some(attribute) = rule.attributes.iter().find(set) else {
        return Vec::new();
    };
    let span = Some(resource.span_of(attribute));
    let referenced = resource.references.get(attribute);
    // A data source reads a parent declared elsewhere: not in the input.
    let found: Vec<_> = referenced
        .into_iter()
        .flatten()
        .filter(|address| !address.starts_with("data.") && !address.contains(".data."))
        .flat_map(|address| parents(address))
        .collect();
    if found.is_empty() {
        let named = match (referenced, resource.attributes.get(attribute)) {
            (Some(addresses), _) => format!(" ({})", addresses.join(", ")),
            (None, Some(value)) if !value.is_null() => format!(" (`{value}`)"),
            _ => String::new(),
        };
        return vec![Location {
            value: None,
            kind: LocationKind::Region,
            attribute: attribute.clone(),
            provenance: Provenance::new(
                ProvenanceKind::Parent,
                format!(
                    "it is where its parent is, and the parent named by `{attribute}`{named} is not in the input"
                ),
            ),
            span,
        }];
    }
    found
        .into_iter()
        .flat_map(|(parent, locations)| {
            locations.into_iter().map(move |location| Location {
                value: location.value,
                kind: location.kind,
                attribute: attribute.clone(),
                provenance: Provenance::new(
                    ProvenanceKind::Parent,
                    format!("parent {}: {}", parent.address, location.provenance.detail),
                ),
                span,
            })
        })
        .collect()
}

fn from_provider(resource: &Resource, provider: &ProviderEntry) -> Vec<Location> {
    let settings = &resource.provider_settings;
    let mut out = Vec::new();
    for attribute in &provider.provider_locations {
        for reading in path::read(&settings.values, &settings.unknown, &attribute.path) {
            let provenance = settings.provenance.get(&reading.path).cloned();
            let span = settings.spans.get(&reading.path).copied();
            match reading.probe {
                Probe::Set(value) => {
                    let provenance = provenance.unwrap_or_else(|| {
                        Provenance::new(ProvenanceKind::ProviderBlock, "provider configuration")
                    });
                    out.push(located(value, attribute, reading.path, provenance, span));
                }
                Probe::Unknown => out.push(Location {
                    value: None,
                    kind: attribute.kind,
                    attribute: reading.path,
                    provenance: provenance.unwrap_or_else(|| {
                        Provenance::new(ProvenanceKind::Unknown, "provider configuration")
                    }),
                    span,
                }),
                Probe::Absent => {}
            }
        }
    }
    // A known setting makes an unknown alternative irrelevant (e.g. Outscale's
    // deprecated top-level `region` beside `api.region`).
    if out.iter().any(|l| l.value.is_some()) {
        out.retain(|l| l.value.is_some());
    }
    out
}

fn located(
    value: &Value,
    attribute: &LocationAttribute,
    at: String,
    provenance: Provenance,
    span: Option<Span>,
) -> Location {
    let text = path::scalar_text(value).unwrap_or_else(|| value.to_string());
    let text = match &attribute.extract {
        Some(extract) => match extract
            .captures(&text)
            .and_then(|c| c.get(1))
            .filter(|m| !m.as_str().is_empty())
        {
            Some(found) => found.as_str().to_string(),
            // An id with no location in it (an S3 ARN has no region) tells
            // nothing: undetermined, not a location "nobody knows".
            None => {
                return Location {
                    value: None,
                    kind: attribute.kind,
                    provenance: Provenance::new(
                        ProvenanceKind::Unknown,
                        format!(
                            "`{at}` = `{text}` names no location ({})",
                            provenance.detail
                        ),
                    ),
                    attribute: at,
                    span,
                };
            }
        },
        None => text,
    };
    Location {
        value: Some(text),
        kind: attribute.kind,
        attribute: at,
        provenance,
        span,
    }
}

/// A location of the resource known only after apply.
fn unknown_location(
    resource: &Resource,
    attribute: &LocationAttribute,
    at: String,
    detail: String,
) -> Location {
    Location {
        value: None,
        kind: attribute.kind,
        span: Some(resource.span_of(&at)),
        attribute: at,
        provenance: Provenance::new(ProvenanceKind::Unknown, detail),
    }
}

/// Provenance of a value the provider filled in itself (AWS v6 `region`).
fn computed_from_provider(resource: &Resource, at: &str) -> Provenance {
    match resource.provider_settings.provenance.get(at) {
        Some(from_provider) => Provenance::new(
            ProvenanceKind::ProviderBlock,
            format!("{}, inherited by the resource", from_provider.detail),
        ),
        None => Provenance::new(
            ProvenanceKind::Literal,
            format!("`{at}` in the planned values"),
        ),
    }
}

fn nowhere(resource: &Resource, provider: &ProviderEntry) -> String {
    let settings_hint = match &resource.provider_settings.key {
        Some(key) => format!(
            "provider `{key}` sets no location {} shows",
            resource.form.noun()
        ),
        None => format!(
            "{} has no configuration for its provider",
            resource.form.noun()
        ),
    };
    let mut attributes: Vec<String> = Vec::new();
    let paths = provider
        .resource_locations
        .iter()
        .filter(|a| a.applies_to(&resource.resource_type))
        .map(|a| a.path.to_string());
    crate::input::reference::add_new(&mut attributes, paths);
    if attributes.is_empty() {
        format!("{settings_hint}; it may come from the environment at apply time")
    } else {
        format!(
            "no location on the resource ({}) and {settings_hint}; it may come from the environment at apply time",
            attributes.join(", ")
        )
    }
}

fn dedup(mut locations: Vec<Location>) -> Vec<Location> {
    let mut seen = std::collections::BTreeSet::new();
    locations.retain(|l| seen.insert((l.value.clone(), l.attribute.clone())));
    locations
}
