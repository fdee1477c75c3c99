//! The facts the engine reasons about, independent of the input format.
//!
//! Input modules turn bytes into [`Resource`]s; rules turn resources into
//! [`Finding`]s. Nothing here knows about files on disk: positions are byte
//! offsets into the source text, turned into lines only when rendering.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A byte range in one of the source files of an input (`file` indexes the
/// input's files: a plan is one file, a Terraform module several).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Span {
    pub file: usize,
    pub start: usize,
    pub end: usize,
}

/// Line starts of a text, to turn byte offsets into 1-based line and column.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    /// The byte range of 1-based `line` (its line break included) in a
    /// text of `len` bytes.
    pub fn line_range(&self, line: usize, len: usize) -> Option<(usize, usize)> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let end = self.starts.get(line).copied().unwrap_or(len);
        Some((start, end))
    }

    /// 1-based line and column (column counted in bytes) of `offset`.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&start| start <= offset).max(1);
        let column = offset - self.starts[line - 1] + 1;
        (line, column)
    }
}

/// Where a value came from, so a message can explain itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvenanceKind {
    /// Written as a literal on the resource (or planned by Terraform from it).
    Literal,
    /// Came from a variable, possibly through module arguments.
    Variable,
    /// Came from the provider configuration the resource uses.
    ProviderBlock,
    /// The provider's documented default when nothing is configured.
    ProviderDefault,
    /// The location of the parent resource the resource names (a storage
    /// container's account).
    Parent,
    /// Not known before apply, or not resolvable from the input.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    pub kind: ProvenanceKind,
    /// Human-readable chain, e.g. "provider `aws` (module.net), region = var.region = \"eu-west-3\"".
    pub detail: String,
}

impl Provenance {
    pub fn new(kind: ProvenanceKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }
}

/// Whether a location attribute names a region, a zone inside a region, or
/// something the provider calls a location (region, zone or multi-region).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationKind {
    Region,
    Zone,
    Location,
}

/// One place a resource lives in (or is replicated to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The value as written; `None` when it is not known before apply.
    pub value: Option<String>,
    pub kind: LocationKind,
    /// The attribute path it was read from, e.g. `region`, `replica[0].region_name`.
    pub attribute: String,
    pub provenance: Provenance,
    /// Where the location is stated (the attribute, or the provider setting),
    /// when the input has positions for it.
    #[serde(skip)]
    pub span: Option<Span>,
}

/// What Terraform will do with a resource. Deletions and reads are filtered
/// out by the input module; what is left is deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Replace,
    NoOp,
    /// A plan without `resource_changes` (planned values only).
    Planned,
}

/// Settings of the provider configuration a resource uses, resolved as far as
/// the input allows (constants, variables, module arguments). `values` and
/// `unknown` mirror a resource's planned values so the same attribute paths
/// read both.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProviderSettings {
    /// The provider configuration key, e.g. `aws.paris` or `module.net:aws`;
    /// `None` when the input holds no configuration for the resource.
    pub key: Option<String>,
    pub values: Value,
    pub unknown: Value,
    /// Where each setting came from, by concrete path (`region`, `api[0].region`).
    pub provenance: BTreeMap<String, Provenance>,
    /// Where each setting is written, by concrete path, when known.
    #[serde(skip)]
    pub spans: BTreeMap<String, Span>,
}

/// The form of input a resource was read from, for messages that speak of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// A plan (`terraform show -json`).
    #[default]
    Plan,
    /// Terraform source (a module directory or a `.tf` file).
    Source,
    /// A Kubernetes manifest or an AdmissionReview's object.
    Manifest,
}

impl Form {
    /// How a message names the input: "the plan", "the configuration", "the manifest".
    pub fn noun(self) -> &'static str {
        match self {
            Form::Plan => "the plan",
            Form::Source => "the configuration",
            Form::Manifest => "the manifest",
        }
    }
}

/// A deployable resource, as seen by the rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    /// The address in the input, e.g. `module.net.aws_subnet.a[0]`.
    pub address: String,
    pub resource_type: String,
    /// Provider source, normalised: `hashicorp/aws`, `ovh/ovh`.
    pub provider: String,
    pub action: Action,
    /// Planned attribute values (`change.after`).
    pub attributes: Value,
    /// Which of them are unknown until apply (`change.after_unknown`).
    pub unknown: Value,
    /// Attributes set in the configuration, with where their value came
    /// from: by top-level name, and by concrete path (`replica[0].region_name`)
    /// where the input tells them apart (Terraform source).
    pub configured: BTreeMap<String, Provenance>,
    /// Shared by every resource of the same provider configuration.
    pub provider_settings: Arc<ProviderSettings>,
    /// The resource block (or plan entry).
    pub span: Span,
    /// Where top-level attributes and blocks are written, when known.
    #[serde(skip)]
    pub attribute_spans: BTreeMap<String, Span>,
    /// Waivers written on the resource in the input (inline comments).
    #[serde(skip)]
    pub waivers: Vec<Waiver>,
    /// Locations the input states directly, with their provenance
    /// (Kubernetes topology pins, an ACK region annotation).
    pub locations: Vec<Location>,
    /// The resources each top-level attribute's expression refers to, by
    /// absolute address without instance keys (`module.db.azurerm_mssql_server.s`,
    /// `data.azurerm_key_vault.kv`), followed through module variables and
    /// outputs: how a child finds its parent.
    #[serde(skip)]
    pub references: BTreeMap<String, Vec<String>>,
    /// The form of input it was read from.
    #[serde(skip)]
    pub form: Form,
}

/// A decision, written next to a resource, to accept its findings of some
/// rules for a reason, possibly until a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    /// Rule ids or names.
    pub rules: Vec<String>,
    pub reason: Option<String>,
    /// `YYYY-MM-DD`, last day the waiver applies.
    pub expires: Option<String>,
    pub span: Span,
}

impl Waiver {
    pub fn covers(&self, rule: &str, name: &str) -> bool {
        self.rules
            .iter()
            .any(|r| r.eq_ignore_ascii_case(rule) || r == name || r == "all")
    }
}

/// The waiver a finding is accepted under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waived {
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

impl Resource {
    /// The span of the attribute at `path` (by its top-level name), else of the resource.
    pub fn span_of(&self, path: &str) -> Span {
        let top = path.split(['.', '[']).next().unwrap_or_default();
        self.attribute_spans.get(top).copied().unwrap_or(self.span)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Region,
    Encryption,
    Provider,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Region => "region",
            Category::Encryption => "encryption",
            Category::Provider => "provider",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A violation is proven; undetermined means the input does not say, which is
/// never a silent pass: the profile decides whether it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Violation,
    Undetermined,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Violation => "violation",
            Verdict::Undetermined => "undetermined",
        }
    }
}

/// What a rule says about one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub name: &'static str,
    pub category: Category,
    pub severity: Severity,
    pub verdict: Verdict,
    /// Whether this finding fails the run under the active profile.
    pub failing: bool,
    pub resource: String,
    pub resource_type: String,
    pub message: String,
    pub help: String,
    /// The location at fault, for region findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Set when a waiver accepts the finding; it then does not fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Waived>,
    #[serde(skip)]
    pub span: Span,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_maps_offsets_to_lines_and_columns() {
        let index = LineIndex::new("ab\ncd\n\nef");
        assert_eq!(index.position(0), (1, 1));
        assert_eq!(index.position(1), (1, 2));
        assert_eq!(index.position(3), (2, 1));
        assert_eq!(index.position(6), (3, 1));
        assert_eq!(index.position(8), (4, 2));
    }

    #[test]
    fn line_ranges_include_the_line_break() {
        let index = LineIndex::new("ab\ncd\n\nef");
        assert_eq!(index.line_range(1, 9), Some((0, 3)));
        assert_eq!(index.line_range(3, 9), Some((6, 7)));
        assert_eq!(index.line_range(4, 9), Some((7, 9)));
        assert_eq!(index.line_range(5, 9), None);
        assert_eq!(index.line_range(0, 9), None);
    }
}
