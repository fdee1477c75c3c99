//! Inputs: bytes in, [`Resource`]s out, with spans into the decoded text.
//! Each module knows one format and nothing of policies.

pub mod admission;
pub mod decode;
pub mod hcl;
mod hcl_functions;
pub mod hcl_limits;
mod json_syntax;
pub mod k8s;
pub mod reference;
pub mod tfplan;
pub mod waiver;

use crate::limits::Limits;
use crate::model::{Resource, Span};
use crate::report::Source;
pub use decode::DecodeError;

/// A file could not be evaluated. Violations are never errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The text is not well-formed; `span` is where the problem is.
    #[error("{message}")]
    Syntax { span: Span, message: String },
    /// Well-formed, but not a document souverain reads.
    #[error("{0}")]
    NotAPlan(String),
    #[error("{0}")]
    Unsupported(String),
    /// The input could not be read at all (an I/O error at the edge).
    #[error("cannot read: {0}")]
    Unreadable(String),
    /// The input asks for more work than a limit allows (docs/limits.md).
    #[error("{message}")]
    Limit { message: String, span: Option<Span> },
}

impl InputError {
    /// A serde_json error on `text`, which starts at `base` in the file.
    fn json(error: &serde_json::Error, text: &str, base: usize) -> Self {
        let full = error.to_string();
        // serde_json appends its own (relative) position; ours is absolute.
        let message = match full.rfind(" at line ") {
            Some(i) => full[..i].to_string(),
            None => full,
        };
        let message = if error.is_eof() {
            format!("{message} (is the file truncated?)")
        } else {
            format!("invalid JSON: {message}")
        };
        let offset = base + offset_of(text, error.line(), error.column());
        Self::Syntax {
            span: Span {
                file: 0,
                start: offset,
                end: offset,
            },
            message,
        }
    }

    /// Where the error is, if it has a position.
    pub fn span(&self) -> Option<Span> {
        match self {
            InputError::Syntax { span, .. } => Some(*span),
            InputError::Limit { span, .. } => *span,
            _ => None,
        }
    }
}

/// Byte offset of a 1-based line and column in `text`.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// The formats souverain recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    TerraformPlanJson,
    TerraformHcl,
    Yaml,
}

impl Format {
    /// The format a file name suggests, for directory walks; `None` for files
    /// souverain does not read. Explicitly named files are read whatever their name.
    pub fn from_name(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".tf") || lower.ends_with(".tf.json") || lower.ends_with(".tfvars") {
            Some(Format::TerraformHcl)
        } else if lower.ends_with(".json") {
            Some(Format::TerraformPlanJson)
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Some(Format::Yaml)
        } else {
            None
        }
    }
}

/// The resources of one input, and the sources their spans point into.
pub struct Parsed {
    pub sources: Vec<Source>,
    pub resources: Vec<Resource>,
    /// What the reader could not follow or chose to say (remote modules...).
    pub notes: Vec<Note>,
    /// Local module directories read as part of this input.
    pub modules: Vec<String>,
}

/// Information about how an input was read; not a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub message: String,
    pub span: Option<Span>,
}

/// An input that could not be evaluated, with the sources its error may point into.
pub struct Failed {
    pub sources: Vec<Source>,
    pub error: InputError,
}

/// Which top-level attributes of a plan's resources are kept: those a path
/// of the policy reads ([`crate::Policy::read_attributes`]). Plans carry
/// far more (tags, user data, IAM documents as strings, computed ids);
/// skipping them unparsed is most of what reading a plan costs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum KeptAttributes {
    #[default]
    All,
    Only(std::collections::BTreeSet<String>),
}

impl KeptAttributes {
    pub fn keeps(&self, key: &str) -> bool {
        match self {
            KeptAttributes::All => true,
            KeptAttributes::Only(keys) => keys.contains(key),
        }
    }

    /// Parses the attributes in `text`: an object, of which only the kept
    /// keys, or null for none.
    pub fn parse(&self, text: &str) -> Result<serde_json::Value, serde_json::Error> {
        use serde::de::DeserializeSeed;
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let value = Attributes(self).deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(value)
    }
}

/// A resource's attributes: an object with only the kept keys, the other
/// values skipped unbuilt. Null (every attribute unknown until apply) is an
/// empty object.
pub(crate) struct Attributes<'k>(pub &'k KeptAttributes);

impl<'de> serde::de::DeserializeSeed<'de> for Attributes<'_> {
    type Value = serde_json::Value;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Attributes<'_> {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object of attributes, or null")
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Object(serde_json::Map::new()))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Object(serde_json::Map::new()))
    }

    fn visit_some<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kept = serde_json::Map::new();
        while let Some(Key(key)) = map.next_key()? {
            if self.0.keeps(&key) {
                kept.insert(key.into_owned(), map.next_value()?);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(serde_json::Value::Object(kept))
    }
}

/// A key, borrowed from the text when it has no escapes.
pub(crate) struct Key<'de>(pub std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(key)))
            }
            fn visit_str<E>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(key.to_string())))
            }
        }
        deserializer.deserialize_str(Visit)
    }
}

/// Decodes and parses one file. `name` is only used to recognise formats
/// that cannot be told from their content. A `.tf` file is read as a module of
/// its own (its sibling files are not seen: scan the directory for those).
pub fn parse(
    name: &str,
    bytes: &[u8],
    kubernetes: &crate::policy::KubernetesMap,
    kept: &KeptAttributes,
    limits: &Limits,
) -> Result<Parsed, Failed> {
    parse_owned(name, bytes.to_vec(), kubernetes, kept, limits)
}

/// [`parse`], keeping `bytes` as the source text when they are UTF-8
/// rather than copying them.
pub fn parse_owned(
    name: &str,
    bytes: Vec<u8>,
    kubernetes: &crate::policy::KubernetesMap,
    kept: &KeptAttributes,
    limits: &Limits,
) -> Result<Parsed, Failed> {
    if is_hcl(name, &bytes) {
        let mut tree = hcl::MemoryTree::default();
        tree.files.insert(hcl::join(".", name), bytes);
        return hcl::parse_module(
            ".",
            Some(&hcl::join(".", name)),
            &tree,
            &hcl::HclOptions::default(),
            limits,
        );
    }
    let source = match decode::decode_owned(bytes) {
        Ok(text) => Source::from_text(name, text),
        Err(e) => {
            return Err(Failed {
                sources: Vec::new(),
                error: e.into(),
            });
        }
    };
    let parsed = parse_text(name, source.text(), kubernetes, kept, limits);
    let sources = vec![source];
    match parsed {
        Ok((resources, notes)) => Ok(Parsed {
            sources,
            resources,
            notes,
            modules: Vec::new(),
        }),
        Err(error) => Err(Failed { sources, error }),
    }
}

/// Where an unrendered Helm template action (`{{ ... }}`) starts, if the text
/// has one outside a quoted string at the start of a line or after a colon.
fn helm_template_at(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_start();
        let indent = line.len() - content.len();
        if content.starts_with("{{") {
            return Some(offset + indent);
        }
        if let Some(i) = content.find(": {{") {
            return Some(offset + indent + i + 2);
        }
        offset += line.len();
    }
    None
}

/// A `.tf` file, or text (e.g. on stdin) that starts like Terraform source.
fn is_hcl(name: &str, bytes: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".tf") || lower.ends_with(".tf.json") {
        return true;
    }
    // Only the first word that is not in a comment counts: a plan is one
    // long line, and validating or splitting all of it here would cost as
    // much as reading it.
    let mut rest = bytes;
    loop {
        rest = rest.trim_ascii_start();
        if !(rest.starts_with(b"#") || rest.starts_with(b"//") || rest.starts_with(b"/*")) {
            break;
        }
        match rest.iter().position(|&b| b == b'\n') {
            Some(end) => rest = &rest[end + 1..],
            None => return false,
        }
    }
    let length = rest
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    let (word, after) = rest.split_at(length);
    let after = after
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .map_or(&[][..], |i| &after[i..]);
    matches!(
        word,
        b"resource"
            | b"provider"
            | b"variable"
            | b"module"
            | b"terraform"
            | b"locals"
            | b"data"
            | b"output"
    ) && (after.starts_with(b"\"") || after.starts_with(b"{"))
}

fn parse_text(
    name: &str,
    text: &str,
    kubernetes: &crate::policy::KubernetesMap,
    kept: &KeptAttributes,
    limits: &Limits,
) -> Result<(Vec<Resource>, Vec<Note>), InputError> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".tfvars") {
        return Err(InputError::NotAPlan(
            "a variables file is read with its module: scan the module directory, or pass it with --var-file".into(),
        ));
    }
    if lower.ends_with(".hcl") {
        return Err(InputError::NotAPlan(
            "not a Terraform configuration (.tf) or plan: `.hcl` files such as `.tfquery.hcl` declare no infrastructure".into(),
        ));
    }

    let trimmed = text.trim_start();
    // JSON cannot hold a Helm template; a template may start with `{{`.
    let json = trimmed.starts_with('{') && !trimmed.starts_with("{{");
    if let Some(offset) = (!json).then(|| helm_template_at(text)).flatten() {
        return Err(InputError::Syntax {
            span: Span {
                file: 0,
                start: offset,
                end: offset + 2,
            },
            message: "an unrendered Helm template: render it first (`helm template CHART | souverain scan -`)".into(),
        });
    }
    if json {
        // Kubernetes JSON says `apiVersion` and `kind` at the top; plans
        // never do. One pass reads the plan and those keys.
        let document = tfplan::Document::read(text, 0)?;
        let peek = document.peek();
        if admission::looks_like(&peek) {
            return admission::parse(text, 0, kubernetes, limits);
        }
        if peek.api_version.is_some() && peek.kind.is_some() {
            return Ok((k8s::parse(text, 0, kubernetes, limits)?, Vec::new()));
        }
        return Ok((tfplan::resources(document, kept)?, Vec::new()));
    }
    if let Some((start, end)) = decode::unwrap_setup_terraform(text) {
        return Ok((tfplan::parse(&text[start..end], start, kept)?, Vec::new()));
    }
    if trimmed.is_empty() && !matches!(Format::from_name(name), Some(Format::Yaml)) {
        return Err(InputError::NotAPlan("empty input".into()));
    }
    // Everything else is read as YAML manifests (an empty one has none).
    match k8s::parse(text, 0, kubernetes, limits) {
        Ok(resources) => Ok((resources, Vec::new())),
        Err(InputError::NotAPlan(_) | InputError::Syntax { .. })
            if !matches!(Format::from_name(name), Some(Format::Yaml)) =>
        {
            Err(InputError::NotAPlan(
                "not a Terraform plan, Terraform source or Kubernetes manifest".into(),
            ))
        }
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_attributes_parse_only_the_keys_a_policy_reads() {
        let kept = KeptAttributes::Only(["region".to_string(), "t\"x".to_string()].into());
        let text = r#"{"region": "eu-west-3", "tags": {"a": [1, {"b": null}]}, "t\"x": 1}"#;
        assert_eq!(
            kept.parse(text).unwrap(),
            serde_json::json!({"region": "eu-west-3", "t\"x": 1})
        );
        assert_eq!(kept.parse("null").unwrap(), serde_json::json!({}));
        assert!(
            kept.parse("\"eu-west-3\"").is_err(),
            "attributes are an object"
        );
        assert!(
            kept.parse(r#"{"tags": [}"#).is_err(),
            "skipped values are still checked"
        );
        assert!(
            kept.parse(r#"{"region": 1} x"#).is_err(),
            "trailing text is refused"
        );
        assert_eq!(
            KeptAttributes::All.parse(text).unwrap(),
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
    }

    fn error_of(name: &str, bytes: &[u8]) -> InputError {
        match parse(
            name,
            bytes,
            &crate::policy::KubernetesMap::default(),
            &KeptAttributes::All,
            &Limits::default(),
        ) {
            Err(failed) => failed.error,
            Ok(_) => panic!("{name} accepted"),
        }
    }

    #[test]
    fn offsets_follow_lines_and_columns() {
        let text = "ab\ncde\nf";
        assert_eq!(offset_of(text, 1, 1), 0);
        assert_eq!(offset_of(text, 2, 3), 5);
        assert_eq!(offset_of(text, 3, 1), 7);
        assert_eq!(offset_of(text, 9, 9), text.len());
    }

    #[test]
    fn syntax_errors_point_into_the_file() {
        let text = "{\n  \"resource_changes\": [,]\n}";
        let err = error_of("plan.json", text.as_bytes());
        let offset = err.span().expect("span").start;
        assert_eq!(crate::model::LineIndex::new(text).position(offset).0, 2);
        assert!(err.to_string().starts_with("invalid JSON"), "{err}");
    }

    #[test]
    fn unrendered_helm_templates_are_refused_with_their_line() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n";
        let err = error_of("pod.yaml", text.as_bytes());
        assert!(
            err.to_string().contains("unrendered Helm template"),
            "{err}"
        );
        let offset = err.span().expect("span").start;
        assert_eq!(crate::model::LineIndex::new(text).position(offset), (4, 9));
        // A `{{` inside a quoted value is data, not a template.
        assert_eq!(helm_template_at("a: \"{{ x }}\"\n"), None);
    }

    #[test]
    fn names_the_document_when_it_is_not_a_plan() {
        let state = error_of(
            "x.json",
            br#"{"format_version":"1.0","values":{"root_module":{}}}"#,
        );
        assert!(state.to_string().contains("Terraform state"), "{state}");
        let not_plan = error_of("x.json", br#"{"name":"pkg"}"#);
        assert!(
            not_plan.to_string().contains("not a Terraform plan"),
            "{not_plan}"
        );
        let not_json = error_of("x.txt", b"hello");
        assert!(
            not_json.to_string().contains("Kubernetes manifest"),
            "{not_json}"
        );
    }
}
