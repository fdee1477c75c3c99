//! The sovereignty inventory: what the engine worked out about each resource
//! (provider and offer, locations with where they came from, encryption at
//! rest), for `souverain report`. These are facts read through the policy,
//! whatever the profile: the findings say which of them fail.

use crate::model::{Action, Location, Span};
use crate::policy::{Confidence, EncryptionOutcome, ProviderKind};
use crate::rules::{self, Context, Offering, Subject};
use std::ops::Range;

/// One resource of an input.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub address: String,
    pub resource_type: String,
    pub action: Action,
    /// The resource block, manifest or plan entry.
    pub span: Span,
    pub provider: Provider,
    /// Every location the resource is in, or replicated to.
    pub places: Vec<Place>,
    /// Why the location rule does not apply, when it does not (the resource
    /// holds no data and has no location of its own).
    pub unlocated: Option<String>,
    pub encryption: Encryption,
    pub offer: Offer,
    /// Its findings: indexes into the report's `findings`, which keep
    /// resource order (waivers and baselines mark findings, never drop them).
    pub findings: Range<usize>,
}

/// The provider that deploys the resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    /// As the catalogue names it (`hashicorp/aws`), else as the input does.
    pub source: String,
    /// The catalogue's name (`Amazon Web Services`); `None` when the policy
    /// does not know the provider.
    pub name: Option<String>,
    pub kind: Option<ProviderKind>,
}

/// A location of the resource and what the catalogue knows of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub location: Location,
    /// The catalogue entries the value names: one for a cloud resource; for
    /// a Kubernetes object, every cloud that uses the value.
    pub known_as: Vec<KnownLocation>,
}

/// A location of the catalogue, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownLocation {
    /// The cloud's name (`Amazon Web Services`).
    pub cloud: String,
    pub id: String,
    pub name: String,
    /// ISO 3166-1 alpha-2, or `EU`.
    pub country: String,
    pub confidence: Confidence,
    pub source: String,
}

/// Whether the resource's data is encrypted at rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encryption {
    /// The policy lists no encryption check for the type: it stores no data,
    /// or it is not known to.
    NotApplicable,
    /// What the checks found, and why.
    Judged {
        outcome: EncryptionOutcome,
        detail: String,
    },
}

/// The SecNumCloud-qualified offer the resource is deployed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offer {
    /// Not cloud infrastructure (a Kubernetes object, a `random_*`).
    NotApplicable,
    Qualified(QualifiedOffer),
    /// An offer may cover it, but the input does not say enough: why.
    Undetermined(String),
    /// No offer of the policy covers it: why, offer by offer (empty when
    /// the provider has none).
    NotQualified(Vec<String>),
}

/// A qualified offer, with the evidence for its qualification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedOffer {
    /// Its id in the policy (`outscale-cloudgouv`).
    pub id: String,
    pub name: String,
    pub qualification: String,
    pub source: String,
    pub verified_on: String,
    pub confidence: Confidence,
}

/// The inventory entry of a subject, read with the same context as the
/// rules, whose findings are `findings`.
pub fn entry(subject: &Subject, ctx: &Context, findings: Range<usize>) -> Entry {
    let resource = subject.resource;
    let provider = subject.provider;
    let unlocated = subject.unlocated.map(|u| u.reason.clone());
    let places = subject
        .locations
        .iter()
        .filter(|_| unlocated.is_none())
        .map(|location| {
            let known_as = match (&location.value, provider) {
                (None, _) | (_, None) => Vec::new(),
                (Some(value), Some(p)) if p.kind == ProviderKind::Cluster => ctx
                    .policy
                    .locations_anywhere(value)
                    .map(|(cloud, l)| known(&cloud.name, l))
                    .collect(),
                (Some(value), Some(p)) => p
                    .find_location(value)
                    .map(|l| known(&p.name, l))
                    .into_iter()
                    .collect(),
            };
            Place {
                location: location.clone(),
                known_as,
            }
        })
        .collect();
    let encryption = match rules::encryption_at_rest(subject, ctx) {
        Some(judgement) => Encryption::Judged {
            outcome: judgement.outcome,
            detail: judgement.detail,
        },
        None => Encryption::NotApplicable,
    };
    let offer = match rules::qualified_offering(subject, ctx.policy) {
        Offering::NotApplicable => Offer::NotApplicable,
        Offering::Qualified(id, offer) => Offer::Qualified(QualifiedOffer {
            id: id.to_string(),
            name: offer.name.clone(),
            qualification: offer.qualification.clone(),
            source: offer.source.clone(),
            verified_on: offer.verified_on.clone(),
            confidence: offer.confidence,
        }),
        Offering::Undetermined(why) => Offer::Undetermined(why),
        Offering::NotQualified(why) => Offer::NotQualified(why),
    };
    Entry {
        address: resource.address.clone(),
        resource_type: resource.resource_type.clone(),
        action: resource.action,
        span: resource.span,
        provider: Provider {
            source: subject.source.to_string(),
            name: provider.map(|p| p.name.clone()),
            kind: provider.map(|p| p.kind),
        },
        places,
        unlocated,
        encryption,
        offer,
        findings,
    }
}

fn known(cloud: &str, location: &crate::policy::LocationEntry) -> KnownLocation {
    KnownLocation {
        cloud: cloud.to_string(),
        id: location.id.clone(),
        name: location.name.clone(),
        country: location.country.clone(),
        confidence: location.confidence,
        source: location.source.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, Policy};

    fn change(address: &str, provider: &str, after: &str) -> String {
        let (kind, name) = address.split_once('.').unwrap();
        format!(
            r#"{{"address":"{address}","mode":"managed","type":"{kind}","name":"{name}",
            "provider_name":"registry.terraform.io/{provider}",
            "change":{{"actions":["create"],"after":{after},"after_unknown":{{}}}}}}"#
        )
    }

    fn inventory() -> crate::FileReport {
        let changes = [
            change(
                "outscale_volume.citizens",
                "outscale/outscale",
                r#"{"subregion_name":"cloudgouv-eu-west-1a","size":40}"#,
            ),
            change(
                "aws_ebs_volume.data",
                "hashicorp/aws",
                r#"{"availability_zone":"us-east-1a","encrypted":false}"#,
            ),
            change(
                "random_id.suffix",
                "hashicorp/random",
                r#"{"byte_length":4}"#,
            ),
            change("example_thing.x", "example/example", "{}"),
        ];
        let plan = format!(
            r#"{{"format_version":"1.2","resource_changes":[{}]}}"#,
            changes.join(",")
        );
        let policy = Policy::embedded().unwrap();
        let engine = Engine::new(&policy, None).unwrap().with_inventory();
        engine.scan("plan.json", plan.as_bytes())
    }

    #[test]
    fn an_entry_per_resource_with_its_offer_locations_and_encryption() {
        let report = inventory();
        assert!(report.error.is_none(), "{:?}", report.error);
        let [outscale, aws, random, unknown] = report.inventory.as_slice() else {
            panic!("{:#?}", report.inventory);
        };

        assert!(
            matches!(&outscale.offer, Offer::Qualified(o) if o.id == "outscale-cloudgouv"),
            "{:?}",
            outscale.offer
        );
        let [place] = outscale.places.as_slice() else {
            panic!("{:?}", outscale.places)
        };
        assert_eq!(
            place.location.value.as_deref(),
            Some("cloudgouv-eu-west-1a")
        );
        assert_eq!(place.known_as.len(), 1);
        assert_eq!(place.known_as[0].id, "cloudgouv-eu-west-1");
        assert_eq!(place.known_as[0].country, "FR");

        assert_eq!(aws.provider.name.as_deref(), Some("Amazon Web Services"));
        assert!(matches!(&aws.offer, Offer::NotQualified(why) if why.is_empty()));
        assert_eq!(aws.places[0].known_as[0].country, "US");
        assert!(
            matches!(&aws.encryption, Encryption::Judged { outcome: EncryptionOutcome::Unencrypted, detail } if detail.contains("encrypted")),
            "{:?}",
            aws.encryption
        );

        assert_eq!(random.offer, Offer::NotApplicable);
        assert!(random.places.is_empty());
        assert_eq!(random.encryption, Encryption::NotApplicable);

        assert_eq!(unknown.provider.name, None);
        assert_eq!(unknown.provider.kind, None);
    }

    #[test]
    fn finding_ranges_cover_each_resource_s_findings_in_order() {
        let report = inventory();
        let mut next = 0;
        for entry in &report.inventory {
            assert_eq!(entry.findings.start, next);
            next = entry.findings.end;
            for finding in &report.findings[entry.findings.clone()] {
                assert_eq!(finding.resource, entry.address);
            }
        }
        assert_eq!(next, report.findings.len());
        let aws = &report.inventory[1];
        let rules: Vec<&str> = report.findings[aws.findings.clone()]
            .iter()
            .map(|f| f.rule)
            .collect();
        assert_eq!(rules, ["SOV101", "SOV201", "SOV301"]);
    }

    #[test]
    fn scans_without_inventory_keep_none() {
        let policy = Policy::embedded().unwrap();
        let engine = Engine::new(&policy, None).unwrap();
        let report = engine.scan(
            "plan.json",
            format!(
                r#"{{"format_version":"1.2","resource_changes":[{}]}}"#,
                change("random_id.suffix", "hashicorp/random", "{}")
            )
            .as_bytes(),
        );
        assert_eq!(report.resources, 1);
        assert!(report.inventory.is_empty());
    }
}
