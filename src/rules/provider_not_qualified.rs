//! SOV301 `provider-not-qualified`.

use super::{Context, Draft, RuleMeta, Subject};
use crate::model::{Category, Severity, Verdict};
use crate::path::{self, Probe};
use crate::policy::{Policy, ProviderKind, QualifiedOffer};

pub static META: RuleMeta = RuleMeta {
    id: "SOV301",
    name: "provider-not-qualified",
    category: Category::Provider,
    severity: Severity::Medium,
    summary: "A resource is deployed with a cloud offer that is not SecNumCloud-qualified.",
    doc: r#"## What it does
Matches each resource against the qualified offers of the policy (`policies/qualified.yaml`).
Qualification belongs to an offer, not to a company: an offer is a provider used in given
locations, sometimes with a provider setting that selects it (S3NS runs the Google provider with
`universe_domain = "s3nsapis.fr"` in `u-france-east1`; Outscale's qualified region is
`cloudgouv-eu-west-1`, not `eu-west-2`). Every location of the resource must be covered. A
resource of no qualified offer is a **violation**; one whose location or settings cannot be known
before apply is **undetermined**.

## Why it matters
For data "d'une sensibilité particulière", the State doctrine "cloud au centre" (circulaire
n°6404/SG, 31 May 2023, rule R9) and article 31 of the SREN law require a commercial cloud offer
qualified SecNumCloud by ANSSI, which also makes it immune to extra-EU laws. Each entry carries
its source and the date it was last checked (`verified_on`); check them against the ANSSI list
before relying on them.

## Example
```hcl
provider "outscale" {
  api { region = "eu-west-2" } # in France, but not the qualified region
}
resource "outscale_volume" "data" {
  subregion_name = "eu-west-2a"
  size           = 40
}
```

## Use instead
```hcl
provider "outscale" {
  api { region = "cloudgouv-eu-west-1" }
}
resource "outscale_volume" "data" {
  subregion_name = "cloudgouv-eu-west-1a"
  size           = 40
}
```

## Configuration
- `qualified_offers.<id>`: `providers`, `locations`, `provider_settings`, `qualification`,
  `source`, `verified_on`, `confidence`. Add your own offers (e.g. a private SecNumCloud
  contract) in a policy file passed with `--policy`.
- Use the `france` or `eea` profile to leave this rule out.
"#,
};

enum Match {
    Covered,
    Undetermined(String),
    No(String),
}

/// Which qualified offer, if any, a resource is deployed on.
#[derive(Debug, Clone)]
pub enum Offering<'p> {
    /// Not cloud infrastructure (a Kubernetes object, a `random_*`): no offer applies.
    NotApplicable,
    /// Covered by this offer (its id in the policy, and the offer).
    Qualified(&'p str, &'p QualifiedOffer),
    /// An offer may cover it, but the input does not say enough.
    Undetermined(String),
    /// No offer covers it: why, offer by offer (empty when the provider has none).
    NotQualified(Vec<String>),
}

/// The offer of the policy that covers every location and provider setting
/// of the subject: the first in id order.
pub fn offering<'p>(subject: &Subject, policy: &'p Policy) -> Offering<'p> {
    if subject.provider.is_some_and(|p| {
        matches!(
            p.kind,
            ProviderKind::NotInfrastructure | ProviderKind::Cluster
        )
    }) {
        return Offering::NotApplicable;
    }
    let mut undetermined = None;
    let mut mismatches = Vec::new();
    let offers = policy
        .qualified_offers
        .iter()
        .filter(|(_, offer)| offer.providers.iter().any(|p| p == subject.source));
    for (id, offer) in offers {
        match matches(offer, subject) {
            Match::Covered => return Offering::Qualified(id, offer),
            Match::Undetermined(why) => {
                undetermined = undetermined.or(Some(format!("{}: {why}", offer.name)))
            }
            Match::No(why) => mismatches.push(format!("{} ({why})", offer.name)),
        }
    }
    match undetermined {
        Some(why) => Offering::Undetermined(why),
        None => Offering::NotQualified(mismatches),
    }
}

pub fn check(subject: &Subject, ctx: &Context, out: &mut Vec<Draft>) {
    let resource = subject.resource;
    let (verdict, message) = match offering(subject, ctx.policy) {
        Offering::NotApplicable | Offering::Qualified(..) => return,
        Offering::Undetermined(why) => (
            Verdict::Undetermined,
            format!(
                "{} may not be on a qualified offer: {why}",
                resource.address
            ),
        ),
        Offering::NotQualified(mismatches) if mismatches.is_empty() => (
            Verdict::Violation,
            format!(
                "{} is deployed with `{}`, which has no SecNumCloud-qualified offer in the policy",
                resource.address, subject.source
            ),
        ),
        Offering::NotQualified(mismatches) => (
            Verdict::Violation,
            format!(
                "{} is deployed with `{}` outside its qualified offer: {}",
                resource.address,
                subject.source,
                mismatches.join("; ")
            ),
        ),
    };
    let qualified: Vec<&str> = ctx
        .policy
        .qualified_offers
        .values()
        .map(|o| o.name.as_str())
        .collect();
    let help = format!(
        "deploy with a qualified offer ({}), or declare your own qualified contract in a policy file",
        qualified.join("; ")
    );
    out.push(Draft {
        verdict,
        message,
        help,
        location: None,
        attribute: None,
    });
}

fn matches(offer: &QualifiedOffer, subject: &Subject) -> Match {
    let settings = &subject.resource.provider_settings;
    for (setting, wanted) in &offer.provider_settings {
        let Ok(at) = path::AttrPath::parse(setting) else {
            return Match::No(format!("invalid setting path `{setting}`"));
        };
        let readings = path::read(&settings.values, &settings.unknown, &at);
        match readings.first().map(|r| r.probe) {
            Some(Probe::Set(value))
                if path::scalar_text(value).as_deref() == Some(wanted.as_str()) => {}
            Some(Probe::Unknown) => {
                return Match::Undetermined(format!(
                    "provider `{setting}` is not known from the input"
                ));
            }
            _ => return Match::No(format!("needs provider `{setting} = \"{wanted}\"`")),
        }
    }
    if offer.locations.is_empty() {
        return Match::Covered;
    }
    let Some(provider) = subject.provider else {
        return Match::Undetermined("the provider is not in the location catalogue".into());
    };
    for location in &subject.locations {
        let Some(value) = &location.value else {
            return Match::Undetermined(format!(
                "location `{}` is undetermined",
                location.attribute
            ));
        };
        let covered = provider.find_location(value).is_some_and(|entry| {
            offer
                .locations
                .iter()
                .any(|id| provider.normalize.apply(id) == provider.normalize.apply(&entry.id))
        });
        if !covered {
            return Match::No(format!(
                "`{value}` is not in {}",
                offer.locations.join(", ")
            ));
        }
    }
    Match::Covered
}
