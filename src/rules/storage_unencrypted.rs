//! SOV201 `storage-unencrypted`.

use super::{Context, Draft, RuleMeta, Subject};
use crate::model::{Category, Severity, Verdict};
use crate::path::{self, Probe};
use crate::policy::{EncryptionCheck, EncryptionOutcome, EncryptionRule};

pub static META: RuleMeta = RuleMeta {
    id: "SOV201",
    name: "storage-unencrypted",
    category: Category::Encryption,
    severity: Severity::High,
    summary: "A volume, bucket or database is (or may be) stored unencrypted.",
    doc: r#"## What it does
For each resource type the policy lists (`policies/encryption.yaml`), reads the attributes that
say whether data is encrypted at rest. It knows platform defaults (Azure and Google always
encrypt; S3 encrypts new objects since 2023-01-05), the difference between an unset attribute
(`null` in the plan) and one known only after apply, string booleans (`"true"`), and
account-wide defaults: an EBS volume whose `encrypted` is unknown is encrypted when an
`aws_ebs_encryption_by_default { enabled = true }` for the same region is in the same plan.
An explicit opt-out is a **violation**; what the plan cannot tell is **undetermined**.
Resource types the policy does not list are not guessed at.

## Why it matters
SecNumCloud 3.2 (chapter 10, cryptography) and ANSSI's hygiene guide require data at rest to be
encrypted; GDPR article 32 names encryption as an appropriate measure, and the CNIL expects it
for personal data in the cloud. An unencrypted volume leaks with every snapshot, backup and
decommissioned disk.

## Example
```hcl
resource "aws_db_instance" "main" {
  engine            = "postgres"
  storage_encrypted = false
}
```

## Use instead
```hcl
resource "aws_db_instance" "main" {
  engine            = "postgres"
  storage_encrypted = true
  kms_key_id        = aws_kms_key.db.arn # a key you control
}
```

## Configuration
- `encryption.<resource_type>`: `checks` (attribute `path` with `equals`, `matches` or `set`),
  `absent` and `unknown` outcomes, and an optional `account_default`.
- `profiles.<name>.undetermined`: `fail` (default) or `warn`.
"#,
};

/// What the policy's encryption checks say of the subject; `None` when the
/// policy does not list its type (it is not storage, or not known to be).
pub fn at_rest(subject: &Subject, ctx: &Context) -> Option<Judgement> {
    let rule = ctx.policy.encryption.get(&subject.resource.resource_type)?;
    Some(evaluate(rule, subject, ctx))
}

pub fn check(subject: &Subject, ctx: &Context, out: &mut Vec<Draft>) {
    let resource = subject.resource;
    let Some(rule) = ctx.policy.encryption.get(&resource.resource_type) else {
        return;
    };
    let Judgement {
        outcome,
        detail,
        attribute,
    } = evaluate(rule, subject, ctx);
    let verdict = match outcome {
        EncryptionOutcome::Encrypted => return,
        EncryptionOutcome::Unencrypted => Verdict::Violation,
        EncryptionOutcome::Undetermined => Verdict::Undetermined,
    };
    let fix: Vec<String> = rule
        .checks
        .iter()
        .chain(rule.parts.iter().flat_map(|p| &p.checks))
        .map(|c| match (c.equals.first(), &c.matches) {
            (Some(value), _) => format!("`{} = {value}`", c.path),
            (None, Some(pattern)) => format!(
                "`{}` matching `{}`",
                c.path,
                crate::policy::pattern_text(pattern)
            ),
            (None, None) => format!("`{}`", c.path),
        })
        .collect();
    let mut help = Vec::new();
    if !fix.is_empty() {
        help.push(format!("set {}", fix.join(" or ")));
    }
    if let Some(default) = &rule.account_default {
        help.push(format!(
            "enable `{}` ({} = {}) in the same region",
            default.resource,
            default.path,
            default.equals.join("|")
        ));
    }
    let mut help = help.join(", or ");
    if let Some(note) = &rule.note {
        if !help.is_empty() {
            help.push_str(". ");
        }
        help.push_str(note);
    }
    let message = match verdict {
        Verdict::Violation => format!("{} is not encrypted at rest: {detail}", resource.address),
        Verdict::Undetermined => format!(
            "{} may not be encrypted at rest: {detail}",
            resource.address
        ),
    };
    out.push(Draft {
        verdict,
        message,
        help,
        location: None,
        attribute,
    });
}

/// What the encryption attributes of a resource say, and which one says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub outcome: EncryptionOutcome,
    /// Why, e.g. "`server_side_encryption_configuration` is set".
    pub detail: String,
    /// The attribute that decided, to point the finding at it.
    pub attribute: Option<String>,
}

/// The resource's own storage judged by the rule's checks, then every part
/// present (an instance's extra block devices): the worst of them decides,
/// so one unencrypted device makes the resource unencrypted.
fn evaluate(rule: &EncryptionRule, subject: &Subject, ctx: &Context) -> Judgement {
    let resource = subject.resource;
    let mut judgement = judge(&rule.checks, rule.absent, rule.unknown, rule, subject, ctx);
    for part in &rule.parts {
        let present = path::read(&resource.attributes, &resource.unknown, &part.block)
            .iter()
            .any(|r| match r.probe {
                Probe::Set(serde_json::Value::Array(items)) => !items.is_empty(),
                Probe::Set(serde_json::Value::Object(map)) => !map.is_empty(),
                _ => false,
            });
        if present {
            let of_part = judge(&part.checks, part.absent, part.unknown, rule, subject, ctx);
            if rank(of_part.outcome) > rank(judgement.outcome) {
                judgement = of_part;
            }
        }
    }
    judgement
}

/// Worse outcomes rank higher.
fn rank(outcome: EncryptionOutcome) -> u8 {
    match outcome {
        EncryptionOutcome::Encrypted => 0,
        EncryptionOutcome::Undetermined => 1,
        EncryptionOutcome::Unencrypted => 2,
    }
}

/// Encrypted if any check passes; otherwise undetermined if any check could
/// still pass; otherwise unencrypted, said through an explicit opt-out when
/// there is one. Within a check every reading (every block of a list) must
/// pass. Unset and unknown attributes mean what the check says, else what
/// the rule says; no checks at all: what an unset configuration means.
fn judge(
    checks: &[EncryptionCheck],
    absent: EncryptionOutcome,
    unknown: EncryptionOutcome,
    rule: &EncryptionRule,
    subject: &Subject,
    ctx: &Context,
) -> Judgement {
    let resource = subject.resource;
    let mut judgements = Vec::new();
    let mut explicit_opt_out = None;
    for check in checks {
        let mut failed = None;
        let mut unknown_at = None;
        let mut absent_at = None;
        for reading in path::read(&resource.attributes, &resource.unknown, &check.path) {
            let slot = match reading.probe {
                Probe::Set(value) if check.accepts(value) => continue,
                Probe::Set(value) => (&mut failed, format!("`{}` is {value}", reading.path)),
                Probe::Unknown => (
                    &mut unknown_at,
                    format!("`{}` is known only after apply", reading.path),
                ),
                Probe::Absent => (&mut absent_at, format!("`{}` is not set", reading.path)),
            };
            slot.0.get_or_insert((slot.1, reading.path));
        }
        let (outcome, (detail, attribute)) = match (failed, unknown_at, absent_at) {
            (Some(found), _, _) => {
                explicit_opt_out.get_or_insert(judgements.len());
                (EncryptionOutcome::Unencrypted, found)
            }
            (None, Some(found), _) => (check.unknown.unwrap_or(unknown), found),
            (None, None, Some(found)) => (check.absent.unwrap_or(absent), found),
            (None, None, None) => (
                check.when_met.unwrap_or(EncryptionOutcome::Encrypted),
                (format!("`{}` is set", check.path), check.path.to_string()),
            ),
        };
        judgements.push(Judgement {
            outcome,
            detail,
            attribute: Some(attribute),
        });
    }
    let pick = |wanted| judgements.iter().position(|j| j.outcome == wanted);
    let decided = pick(EncryptionOutcome::Encrypted)
        .or_else(|| pick(EncryptionOutcome::Undetermined))
        .or(explicit_opt_out)
        .or_else(|| pick(EncryptionOutcome::Unencrypted));
    let judgement = match decided {
        Some(index) => judgements.swap_remove(index),
        None if checks.is_empty() => Judgement {
            outcome: absent,
            detail: match absent {
                EncryptionOutcome::Encrypted => "encrypted by the platform".into(),
                _ => format!(
                    "its configuration says nothing of encryption ({} default)",
                    rule.default.as_str().replace('_', "-")
                ),
            },
            attribute: None,
        },
        None => Judgement {
            outcome: EncryptionOutcome::Undetermined,
            detail: "no check could be read".into(),
            attribute: None,
        },
    };
    // An account-wide default settles what the resource leaves open, never
    // an explicit opt-out.
    if judgement.outcome != EncryptionOutcome::Encrypted
        && explicit_opt_out.is_none()
        && let Some(default) = &rule.account_default
        && let Some(by_default) = account_default_on(default, subject, ctx)
    {
        return Judgement {
            outcome: EncryptionOutcome::Encrypted,
            detail: by_default,
            attribute: None,
        };
    }
    judgement
}

/// The address of a resource enabling the account default in the same
/// provider and region as `subject`, if there is one in the input.
fn account_default_on(
    default: &crate::policy::AccountDefault,
    subject: &Subject,
    ctx: &Context,
) -> Option<String> {
    // Zones and regions compare by the catalogue location they resolve to:
    // a volume in `eu-west-3a` is in the region of a default set for `eu-west-3`.
    let region = |s: &Subject| {
        let value = s.locations.first()?.value.as_deref()?;
        let resolved = s
            .provider
            .and_then(|p| p.find_location(value))
            .map(|l| l.id.as_str());
        Some(resolved.unwrap_or(value).to_string())
    };
    let ours = region(subject);
    ctx.subjects
        .iter()
        .filter(|other| {
            other.resource.resource_type == default.resource
                && other.source == subject.source
                && region(other) == ours
        })
        .find(|other| {
            path::read(&other.resource.attributes, &other.resource.unknown, &default.path)
                .iter()
                .all(|r| matches!(r.probe, Probe::Set(v) if path::scalar_text(v).is_some_and(|t| default.equals.iter().any(|e| e.eq_ignore_ascii_case(&t)))))
        })
        .map(|other| format!("encrypted by default through {}", other.resource.address))
}
