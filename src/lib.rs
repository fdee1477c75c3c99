//! souverain: keeps infrastructure inside France.
//!
//! One way through: bytes → decoded text → format → [`model::Resource`]s →
//! locations ([`locate`]) → rules over facts and [`Policy`] →
//! [`model::Finding`]s → [`Report`] → a renderer in [`report`].
//!
//! Built with `default-features = false` the library does no I/O (no files,
//! network, clock or environment) and compiles to `wasm32-wasip1`; the CLI
//! reads files and calls [`Engine::scan`] on their bytes.
//!
//! ```
//! let policy = souverain::Policy::embedded().expect("embedded policy");
//! let engine = souverain::Engine::new(&policy, None).expect("default profile");
//! let plan = br#"{"format_version":"1.2","resource_changes":[{"address":"aws_s3_bucket.b",
//!   "mode":"managed","type":"aws_s3_bucket","name":"b",
//!   "provider_name":"registry.terraform.io/hashicorp/aws",
//!   "change":{"actions":["create"],"after":{"region":"us-east-1"},"after_unknown":{}}}]}"#;
//! let file = engine.scan("plan.json", plan);
//! assert!(file.findings.iter().any(|f| f.rule == "SOV101"));
//! ```

pub mod admission;
pub mod coverage;
pub mod input;
pub mod inventory;
pub mod limits;
pub mod locate;
pub mod model;
pub mod path;
pub mod policy;
pub mod report;
pub mod rules;
#[cfg(feature = "wasm-host")]
pub mod wasm_host;
#[cfg(feature = "webhook")]
pub mod webhook;
pub mod yaml;

pub use limits::Limits;
pub use policy::{Policy, PolicyError, Profile};

/// How to scan one input when everything arrives as text: the WASM module's
/// ABI and its native twin, so both produce the same bytes.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// The input's name in the report (it is never opened).
    pub name: String,
    /// A profile of the policy; the policy's default when absent.
    #[serde(default)]
    pub profile: Option<String>,
    /// A policy file (YAML) extending the embedded policy.
    #[serde(default)]
    pub policy: Option<String>,
    /// Today's date, for waiver expiry.
    #[serde(default)]
    pub today: Option<String>,
    /// Limits raised or lowered, by name (`{"terraform-instances": 50000}`;
    /// docs/limits.md).
    #[serde(default)]
    pub limits: std::collections::BTreeMap<String, usize>,
}

/// Scans one input and renders the JSON report (docs/json-report.md). An
/// invalid request, policy or profile gives `Err` with a JSON object
/// `{"error": message, "issues": [...]}` describing it.
pub fn scan_json(request: &ScanRequest, input: &[u8]) -> Result<String, String> {
    let fatal = |message: String, issues: Vec<String>| {
        serde_json::json!({ "error": message, "issues": issues }).to_string()
    };
    let policy =
        Policy::shared_extended(request.policy.as_deref().map(|text| ("policy.yaml", text)))
            .map_err(|e| fatal(e.to_string(), issues_of(&e)))?;
    let mut engine = Engine::new(&policy, request.profile.as_deref())
        .map_err(|e| fatal(e.to_string(), Vec::new()))?;
    if let Some(today) = &request.today {
        engine = engine.with_today(today);
    }
    let mut limits = Limits::default();
    for (name, value) in &request.limits {
        limits.set(name, *value).map_err(|e| fatal(e, Vec::new()))?;
    }
    engine = engine.with_limits(limits);
    let file = engine.scan(&request.name, input);
    let report = Report::new(engine.profile_name(), vec![file]);
    Ok(report::json::render(&report))
}

fn issues_of(error: &PolicyError) -> Vec<String> {
    error.issues.iter().map(ToString::to_string).collect()
}

/// `YYYY-MM-DD` with plausible month and day.
fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let number = |s: &str, len: usize, max: u32| {
        s.len() == len
            && s.chars().all(|c| c.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|n| (1..=max).contains(&n))
    };
    matches!(parts.as_slice(), [y, m, d] if number(y, 4, 9999) && number(m, 2, 12) && number(d, 2, 31))
}
/// Days since 1970-01-01 to `YYYY-MM-DD` (Howard Hinnant's civil_from_days).
pub fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `YYYY-MM-DD` to days since 1970-01-01 (Howard Hinnant's days_from_civil);
/// `None` for text that is not such a date.
pub fn days_from_civil(text: &str) -> Option<i64> {
    if !is_date(text) {
        return None;
    }
    let mut parts = text.split('-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (parts.next()??, parts.next()??, parts.next()??);
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

pub use report::{FileReport, Report};

use model::Finding;
pub use model::Severity;
use policy::{ProviderEntry, ProviderKind};
use rules::{Context, REGISTRY, Subject};

/// The profile asked for does not exist in the policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile `{name}`; the policy defines: {}", known.join(", "))]
pub struct UnknownProfile {
    pub name: String,
    pub known: Vec<String>,
}

/// A policy with one of its profiles selected, ready to scan inputs.
pub struct Engine<'p> {
    policy: &'p Policy,
    profile_name: &'p str,
    profile: &'p Profile,
    /// `YYYY-MM-DD`, for waiver expiry; the library has no clock of its own.
    today: Option<String>,
    selection: Selection,
    /// Whether reports carry the inventory of their resources.
    inventory: bool,
    /// What one input may ask of the readers (docs/limits.md).
    limits: Limits,
}

/// Which rules run, and which of their findings fail the run (`--select`,
/// `--ignore`, `--fail-on`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Only these rules run (ids); every rule when empty.
    select: Vec<&'static str>,
    /// These rules never run (ids).
    ignore: Vec<&'static str>,
    /// Findings of a lower severity are reported but do not fail.
    pub fail_on: model::Severity,
}

impl Default for Selection {
    fn default() -> Self {
        Self {
            select: Vec::new(),
            ignore: Vec::new(),
            fail_on: model::Severity::Low,
        }
    }
}

impl Selection {
    /// Runs only `rule` (and the others selected so far), by id or name.
    pub fn select(&mut self, rule: &str) -> Result<(), String> {
        let id = rules::id_of(rule)?;
        self.select.push(id);
        Ok(())
    }

    /// Never runs `rule`, by id or name.
    pub fn ignore(&mut self, rule: &str) -> Result<(), String> {
        let id = rules::id_of(rule)?;
        self.ignore.push(id);
        Ok(())
    }

    pub fn runs(&self, id: &str) -> bool {
        (self.select.is_empty() || self.select.contains(&id)) && !self.ignore.contains(&id)
    }
}

/// What the rules said about the resources of one input.
pub struct Evaluation {
    pub findings: Vec<Finding>,
    /// About waivers: invalid, expired.
    pub notes: Vec<input::Note>,
    /// One entry per resource, in input order, when the engine keeps an
    /// inventory ([`Engine::with_inventory`]); else empty.
    pub inventory: Vec<inventory::Entry>,
}

impl<'p> Engine<'p> {
    /// Selects `profile`, or the policy's default profile.
    pub fn new(policy: &'p Policy, profile: Option<&str>) -> Result<Self, UnknownProfile> {
        let (profile_name, profile) = policy.profile(profile).ok_or_else(|| UnknownProfile {
            name: profile.unwrap_or(&policy.default_profile).to_string(),
            known: policy.profiles.keys().cloned().collect(),
        })?;
        Ok(Self {
            policy,
            profile_name,
            profile,
            today: None,
            selection: Selection::default(),
            inventory: false,
            limits: Limits::default(),
        })
    }

    /// Restricts the rules that run and the findings that fail.
    pub fn with_selection(mut self, selection: Selection) -> Self {
        self.selection = selection;
        self
    }

    /// Sets today's date (`YYYY-MM-DD`) so that expired waivers stop
    /// applying. Without it, expiry dates are not checked.
    pub fn with_today(mut self, today: &str) -> Self {
        self.today = Some(today.to_string());
        self
    }

    /// Keeps, in each report, the inventory of the resources scanned
    /// (`souverain report`); scans only for findings skip that work.
    pub fn with_inventory(mut self) -> Self {
        self.inventory = true;
        self
    }

    /// Reads inputs under `limits` instead of the defaults.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    pub fn profile_name(&self) -> &str {
        self.profile_name
    }

    /// Scans one input. `file` names it in the report; it is never opened.
    pub fn scan(&self, file: &str, bytes: &[u8]) -> FileReport {
        self.scan_owned(file, bytes.to_vec())
    }

    /// [`Engine::scan`], keeping `bytes` as the report's source text when
    /// they are UTF-8: a large plan is then in memory once.
    pub fn scan_owned(&self, file: &str, bytes: Vec<u8>) -> FileReport {
        self.report(
            file,
            input::parse_owned(
                file,
                bytes,
                &self.policy.kubernetes,
                self.policy.read_attributes(),
                &self.limits,
            ),
        )
    }

    /// Scans the object of an admission request, already parsed by the
    /// caller; `name` names it in the report. Nothing to deploy (no `kind`)
    /// gives an empty report.
    pub fn scan_object(&self, name: &str, object: serde_json::Value) -> FileReport {
        let resources: Vec<model::Resource> =
            input::admission::object(object, &self.policy.kubernetes)
                .into_iter()
                .collect();
        self.report(
            name,
            Ok(input::Parsed {
                sources: Vec::new(),
                resources,
                notes: Vec::new(),
                modules: Vec::new(),
            }),
        )
    }

    /// Scans the Terraform module in `dir` (or, with `only_file`, that one
    /// file), reading sources through `tree`.
    pub fn scan_module(
        &self,
        name: &str,
        dir: &str,
        only_file: Option<&str>,
        tree: &dyn input::hcl::SourceTree,
        options: &input::hcl::HclOptions,
    ) -> FileReport {
        self.report(
            name,
            input::hcl::parse_module(dir, only_file, tree, options, &self.limits),
        )
    }

    fn report(&self, name: &str, parsed: Result<input::Parsed, input::Failed>) -> FileReport {
        match parsed {
            Ok(parsed) => {
                let evaluation = self.evaluate(&parsed.resources);
                let mut report = FileReport::evaluated(
                    name,
                    parsed.sources,
                    parsed.resources.len(),
                    evaluation.findings,
                );
                report.notes = parsed.notes;
                report.notes.extend(evaluation.notes);
                report.inventory = evaluation.inventory;
                report.modules = parsed.modules;
                report
            }
            Err(failed) => FileReport::failed(name, failed.sources, failed.error),
        }
    }

    /// Runs every rule of the profile over the resources of one input, then
    /// applies the waivers written on them.
    pub fn evaluate(&self, resources: &[model::Resource]) -> Evaluation {
        let input = Input::new(resources);
        let subjects: Vec<Subject> = resources.iter().map(|r| self.subject(r, &input)).collect();
        let ctx = Context {
            policy: self.policy,
            profile: self.profile,
            subjects: &subjects,
        };
        let mut evaluation = Evaluation {
            findings: Vec::new(),
            notes: Vec::new(),
            inventory: Vec::new(),
        };
        for subject in &subjects {
            let first = evaluation.findings.len();
            for rule in REGISTRY.iter().filter(|r| self.selection.runs(r.meta.id)) {
                rule.run(subject, &ctx, &mut evaluation.findings);
            }
            for finding in &mut evaluation.findings[first..] {
                finding.failing &= finding.severity >= self.selection.fail_on;
            }
            self.apply_waivers(
                subject.resource,
                &mut evaluation.findings[first..],
                &mut evaluation.notes,
            );
            if self.inventory {
                let findings = first..evaluation.findings.len();
                evaluation
                    .inventory
                    .push(inventory::entry(subject, &ctx, findings));
            }
        }
        evaluation
    }

    /// A valid, unexpired waiver accepts the findings of the rules it names:
    /// they stay in the report, marked, and no longer fail. Invalid and
    /// expired waivers are said in notes and accept nothing.
    fn apply_waivers(
        &self,
        resource: &model::Resource,
        findings: &mut [Finding],
        notes: &mut Vec<input::Note>,
    ) {
        for waiver in &resource.waivers {
            let problem = match (&waiver.reason, &waiver.expires) {
                (None, _) => {
                    Some("has no reason (add `reason=\"...\"`); it is ignored".to_string())
                }
                (_, Some(date)) if !is_date(date) => Some(format!(
                    "has an invalid expiry `{date}` (use YYYY-MM-DD); it is ignored"
                )),
                (_, Some(date))
                    if self
                        .today
                        .as_deref()
                        .is_some_and(|today| today > date.as_str()) =>
                {
                    Some(format!("expired on {date}; its findings apply again"))
                }
                _ => None,
            };
            if let Some(problem) = problem {
                notes.push(input::Note {
                    message: format!("waiver on {} {problem}", resource.address),
                    span: Some(waiver.span),
                });
                continue;
            }
            let reason = waiver.reason.clone().unwrap_or_default();
            for finding in findings
                .iter_mut()
                .filter(|f| waiver.covers(f.rule, f.name))
            {
                finding.failing = false;
                finding.waiver = Some(model::Waived {
                    reason: reason.clone(),
                    expires: waiver.expires.clone(),
                });
            }
        }
    }

    fn subject<'a>(&'a self, resource: &'a model::Resource, input: &Input<'a>) -> Subject<'a> {
        let entry = self.policy.provider_entry(&resource.provider);
        let provider = self.catalogue(resource);
        let unlocated = provider
            .filter(|p| p.kind == ProviderKind::Cloud)
            .and_then(|p| p.unlocated(&resource.resource_type));
        Subject {
            resource,
            source: entry.map_or(resource.provider.as_str(), |(source, _)| source),
            provider,
            locations: self.located(resource, provider, input, 0),
            unlocated,
        }
    }

    /// The catalogue entry that applies to a resource (its provider's, or a
    /// variant's for its provider settings).
    fn catalogue(&self, resource: &model::Resource) -> Option<&ProviderEntry> {
        let (_, entry) = self.policy.provider_entry(&resource.provider)?;
        Some(
            self.policy
                .catalogue_for(entry, &resource.provider_settings),
        )
    }

    /// Where a resource is; `depth` counts the parents followed to get here.
    fn located<'a>(
        &'a self,
        resource: &'a model::Resource,
        provider: Option<&ProviderEntry>,
        input: &Input<'a>,
        depth: usize,
    ) -> Vec<model::Location> {
        match provider {
            Some(p) if p.kind == ProviderKind::Cloud => {
                let global = p
                    .global_resources
                    .as_ref()
                    .is_some_and(|global| global.is_match(&resource.resource_type));
                match &p.worldwide_resources {
                    Some(worldwide)
                        if worldwide.types.is_match(&resource.resource_type)
                            && worldwide.when.as_ref().is_none_or(|c| {
                                c.holds(&resource.attributes, &resource.unknown)
                            }) =>
                    {
                        vec![locate::worldwide(resource, worldwide)]
                    }
                    _ if global => Vec::new(),
                    _ => locate::locations_with_parent(resource, p, |address| {
                        input.parents(address, depth, |parent| {
                            self.located(parent, self.catalogue(parent), input, depth + 1)
                        })
                    }),
                }
            }
            // A workload is where it is pinned; unpinned, it runs wherever
            // the cluster is, unless the policy requires a pin.
            Some(p) if p.kind == ProviderKind::Cluster => {
                let mut pinned = resource.locations.clone();
                if pinned.is_empty() && self.policy.kubernetes.require_pinning == Some(true) {
                    pinned.push(model::Location {
                        value: None,
                        kind: model::LocationKind::Region,
                        attribute: "(nodeSelector or node affinity)".into(),
                        provenance: model::Provenance::new(
                            model::ProvenanceKind::Unknown,
                            "not pinned to a region or zone (the policy requires a pin)",
                        ),
                        span: None,
                    });
                }
                pinned
            }
            Some(_) | None => Vec::new(),
        }
    }
}

/// The resources of one input by address, for children to find their parents.
struct Input<'a> {
    resources: &'a [model::Resource],
    /// Addresses without instance keys, to the instances at them.
    by_address: std::collections::HashMap<String, Vec<usize>>,
}

impl<'a> Input<'a> {
    /// A parent of a parent of... this deep is not followed (a cycle of
    /// references, which Terraform rejects, or a chain no real estate has).
    const MAX_PARENT_DEPTH: usize = 8;

    fn new(resources: &'a [model::Resource]) -> Self {
        let mut by_address: std::collections::HashMap<String, Vec<usize>> = Default::default();
        for (i, resource) in resources.iter().enumerate() {
            by_address
                .entry(input::reference::without_keys(&resource.address))
                .or_default()
                .push(i);
        }
        Self {
            resources,
            by_address,
        }
    }

    /// The instances at `address` with their locations, `located` by the caller.
    fn parents(
        &self,
        address: &str,
        depth: usize,
        located: impl Fn(&'a model::Resource) -> Vec<model::Location>,
    ) -> Vec<(&'a model::Resource, Vec<model::Location>)> {
        if depth >= Self::MAX_PARENT_DEPTH {
            return Vec::new();
        }
        self.by_address
            .get(address)
            .into_iter()
            .flatten()
            .map(|&i| {
                let parent = &self.resources[i];
                (parent, located(parent))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil_date(0), "1970-01-01");
        assert_eq!(super::civil_date(19_782), "2024-02-29");
        assert_eq!(super::civil_date(20_415), "2025-11-23");
        for days in [0, 59, 60, 19_782, 20_415, 36_524, 47_540] {
            let date = super::civil_date(days);
            assert_eq!(super::days_from_civil(&date), Some(days as i64), "{date}");
        }
        assert_eq!(super::days_from_civil("2025-13-01"), None);
    }

    #[test]
    fn a_scan_request_sets_limits_by_name() {
        let source = b"resource \"aws_ebs_volume\" \"v\" {\n  count = 3\n}\n";
        let request: super::ScanRequest =
            serde_json::from_str(r#"{"name": "main.tf", "limits": {"terraform-instances": 2}}"#)
                .expect("a request");
        let report = super::scan_json(&request, source).expect("a report");
        assert!(
            report.contains("over the limit terraform-instances = 2"),
            "{report}"
        );
        let request: super::ScanRequest =
            serde_json::from_str(r#"{"name": "main.tf", "limits": {"instances": 2}}"#)
                .expect("a request");
        let error = super::scan_json(&request, source).expect_err("an unknown limit");
        assert!(error.contains("unknown limit `instances`"), "{error}");
    }
}
