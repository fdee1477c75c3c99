//! The rules and their registry. One file per rule: its metadata, its
//! documentation (rendered by `souverain explain` and into docs/rules.md) and
//! its check. Rules read facts and policy; they never parse input.

mod location_outside_france;
mod provider_not_qualified;
mod storage_unencrypted;

pub use provider_not_qualified::{Offering, offering as qualified_offering};
pub use storage_unencrypted::{Judgement as EncryptionJudgement, at_rest as encryption_at_rest};

use crate::model::{Category, Finding, Location, Resource, Severity, Verdict};
use crate::policy::{Policy, Profile, ProviderEntry, UndeterminedIs, Unlocated};

/// What the registry knows of a rule.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable id, never reused.
    pub id: &'static str,
    /// Kebab-case name of the bad pattern.
    pub name: &'static str,
    pub category: Category,
    pub severity: Severity,
    /// One line.
    pub summary: &'static str,
    /// Markdown: What it does / Why it matters / Example / Use instead / Configuration.
    pub doc: &'static str,
}

/// A resource with what the engine worked out about it.
pub struct Subject<'a> {
    pub resource: &'a Resource,
    /// The provider source as the catalogue names it (legacy addresses such
    /// as `hashicorp/ovh` resolved), else as the input names it.
    pub source: &'a str,
    /// The provider's catalogue entry, if the policy knows the provider.
    pub provider: Option<&'a ProviderEntry>,
    /// Where it is; empty when the provider deploys nothing anywhere or the
    /// resource type is a global service.
    pub locations: Vec<Location>,
    /// Set when the resource holds no data and has no location of its own
    /// (a firewall rule, an IAM binding): the location rule does not apply.
    pub unlocated: Option<&'a Unlocated>,
}

/// What rules may read besides the subject.
pub struct Context<'a> {
    pub policy: &'a Policy,
    pub profile: &'a Profile,
    /// Every resource of the same input, for account-wide settings.
    pub subjects: &'a [Subject<'a>],
}

type Check = fn(&Subject, &Context, &mut Vec<Draft>);

/// A finding before the registry stamps it with the rule's metadata.
pub struct Draft {
    pub verdict: Verdict,
    pub message: String,
    pub help: String,
    pub location: Option<Location>,
    /// The attribute at fault, to point at it; the location's own span wins.
    pub attribute: Option<String>,
}

pub struct Rule {
    pub meta: &'static RuleMeta,
    check: Check,
}

/// Every rule, in id order.
pub static REGISTRY: &[Rule] = &[
    Rule {
        meta: &location_outside_france::META,
        check: location_outside_france::check,
    },
    Rule {
        meta: &storage_unencrypted::META,
        check: storage_unencrypted::check,
    },
    Rule {
        meta: &provider_not_qualified::META,
        check: provider_not_qualified::check,
    },
];

/// A rule by id (`SOV101`) or name (`location-outside-france`).
pub fn find(key: &str) -> Option<&'static Rule> {
    REGISTRY
        .iter()
        .find(|r| r.meta.id.eq_ignore_ascii_case(key) || r.meta.name == key)
}

/// The id of a rule named by id or name, or an error listing the rules.
pub fn id_of(key: &str) -> Result<&'static str, String> {
    find(key).map(|r| r.meta.id).ok_or_else(|| {
        let known: Vec<String> = REGISTRY
            .iter()
            .map(|r| format!("{} ({})", r.meta.id, r.meta.name))
            .collect();
        format!("unknown rule `{key}`; the rules are {}", known.join(", "))
    })
}

impl Rule {
    pub fn run(&self, subject: &Subject, ctx: &Context, out: &mut Vec<Finding>) {
        if !ctx.profile.families.contains(&self.meta.category) {
            return;
        }
        let mut drafts = Vec::new();
        (self.check)(subject, ctx, &mut drafts);
        out.extend(drafts.into_iter().map(|d| {
            Finding {
                rule: self.meta.id,
                name: self.meta.name,
                category: self.meta.category,
                severity: self.meta.severity,
                verdict: d.verdict,
                failing: d.verdict == Verdict::Violation
                    || ctx.profile.undetermined == UndeterminedIs::Fail,
                resource: subject.resource.address.clone(),
                resource_type: subject.resource.resource_type.clone(),
                message: d.message,
                help: d.help,
                span: d
                    .location
                    .as_ref()
                    .and_then(|l| l.span)
                    .or_else(|| d.attribute.as_deref().map(|a| subject.resource.span_of(a)))
                    .unwrap_or(subject.resource.span),
                location: d.location,
                waiver: None,
            }
        }));
    }
}

/// "France" for the strict profiles, the country list otherwise.
pub fn allowed_label(profile: &Profile) -> String {
    let countries: Vec<&str> = profile
        .allowed_countries
        .iter()
        .map(String::as_str)
        .collect();
    if countries == ["FR"] {
        "France".into()
    } else {
        format!("the allowed countries ({})", countries.join(", "))
    }
}

impl RuleMeta {
    /// The rule's documentation as Markdown, its title at heading `level`
    /// (1 for `souverain explain`, 2 inside the rules reference).
    pub fn markdown(&self, level: usize) -> String {
        let title = "#".repeat(level);
        // Rule docs use `##` sections; nest them under the title.
        let section = "#".repeat(level + 1);
        let doc = self.doc.replace("\n## ", &format!("\n{section} "));
        let doc = match doc.strip_prefix("## ") {
            Some(rest) => format!("{section} {rest}"),
            None => doc,
        };
        format!(
            "{title} {}\n\n`{}` · category `{}` · default severity `{}`\n\n{}\n\n{doc}",
            self.id,
            self.name,
            self.category.as_str(),
            self.severity.as_str(),
            self.summary,
        )
    }
}

/// The rules reference page (docs/rules.md), generated from the registry so
/// it cannot drift from the code; a test fails when the file is stale.
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "<!-- Generated from the rule registry (src/rules). Do not edit: run\n     `UPDATE_DOCS=1 cargo test --test docs` after changing a rule. -->\n# Rules\n\n| id | name | category | severity | summary |\n|---|---|---|---|---|\n",
    );
    for rule in REGISTRY {
        let m = rule.meta;
        out.push_str(&format!(
            "| [{}](#{}) | `{}` | {} | {} | {} |\n",
            m.id,
            m.id.to_lowercase(),
            m.name,
            m.category.as_str(),
            m.severity.as_str(),
            m.summary
        ));
    }
    for rule in REGISTRY {
        out.push('\n');
        out.push_str(&rule.meta.markdown(2));
    }
    out
}
