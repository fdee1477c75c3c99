//! YAML to JSON with the position of every node: schema errors (which speak
//! in JSON pointers) point at the policy line to edit, and Kubernetes
//! findings at the manifest line of the offending field.
//!
//! YAML 1.2 core schema (`NO` and `y` stay strings) and explicit limits, so a
//! hostile input (alias bombs, deep nesting, document storms) is refused
//! with an error that names the limit instead of exhausting the machine.

use crate::limits::Limits;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;
use std::collections::HashMap;
use std::fmt;

/// A YAML node with the positions of its children.
enum Node {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(String, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Number::from_f64(v)
            .map(Node::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<(String, Spanned<Node>)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format!("duplicate key `{key}`")));
            }
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}

/// Where a node is: 1-based line, and byte offset when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodePosition {
    pub line: usize,
    pub offset: Option<usize>,
    /// Byte length of the node's text, when known.
    pub len: Option<usize>,
}

/// A YAML document as JSON, with the position of each node keyed by JSON pointer.
pub struct LocatedJson {
    pub value: Value,
    positions: HashMap<String, NodePosition>,
}

impl LocatedJson {
    /// A document read by something else (a JSON request body): every
    /// position is unknown.
    pub fn unlocated(value: Value) -> Self {
        Self {
            value,
            positions: HashMap::new(),
        }
    }

    /// The position of the node at `pointer`, or of its nearest located ancestor.
    pub fn position_of(&self, pointer: &str) -> Option<NodePosition> {
        let mut pointer = pointer;
        loop {
            if let Some(position) = self.positions.get(pointer) {
                return Some(*position);
            }
            pointer = &pointer[..pointer.rfind('/')?];
        }
    }

    /// The line of the node at `pointer`, or of its nearest located ancestor.
    pub fn line_of(&self, pointer: &str) -> Option<usize> {
        self.position_of(pointer).map(|p| p.line)
    }
}

/// A YAML error with its position.
#[derive(Debug)]
pub struct YamlError {
    pub line: Option<usize>,
    pub offset: Option<usize>,
    pub message: String,
    /// The limit the input went over (docs/limits.md), when that is the error.
    pub limit: Option<&'static str>,
}

fn options(limits: &Limits) -> serde_saphyr::Options {
    // YAML 1.2 core booleans only: `NO` (Norway) and `y` stay strings.
    let mut options = serde_saphyr::options! { strict_booleans: true };
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = limits.yaml_depth;
    budget.flow_nesting_limit = limits.yaml_depth;
    budget.max_documents = limits.yaml_documents;
    budget.max_nodes = limits.yaml_nodes;
    budget.max_events = limits.yaml_nodes.saturating_mul(2);
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = limits.yaml_alias_replay;
    options
}

fn error(e: serde_saphyr::Error, limits: &Limits) -> YamlError {
    let location = e.location();
    let over = over_limit(&e, limits);
    let message = match &over {
        Some((name, value, what)) => format!("{what}, {}", crate::limits::over(name, *value)),
        None => {
            let raw = e.to_string();
            let first = raw.lines().next().unwrap_or("invalid YAML");
            // serde-saphyr prefixes "error: line L column C: "; the position
            // is reported separately.
            first
                .split_once(": ")
                .filter(|(head, _)| head.starts_with("error"))
                .map_or(first, |(_, rest)| rest)
                .trim_start_matches(|c: char| c != ':' && !c.is_alphabetic())
                .to_string()
        }
    };
    YamlError {
        line: location.map(|l| l.line() as usize),
        offset: location
            .and_then(|l| l.span().byte_offset())
            .map(|o| o as usize),
        message,
        limit: over.map(|(name, _, _)| name),
    }
}

/// The limit of ours a YAML error is, with its value and what went over.
fn over_limit(
    mut e: &serde_saphyr::Error,
    limits: &Limits,
) -> Option<(&'static str, usize, String)> {
    use serde_saphyr::Error;
    use serde_saphyr::budget::BudgetBreach;
    while let Error::WithSnippet { error, .. } | Error::AliasError { error, .. } = e {
        e = error;
    }
    let too_deep = || {
        (
            "yaml-depth",
            limits.yaml_depth,
            format!("YAML nests deeper than {} levels", limits.yaml_depth),
        )
    };
    match e {
        Error::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => Some(too_deep()),
            BudgetBreach::Documents { .. } => Some((
                "yaml-documents",
                limits.yaml_documents,
                format!(
                    "the YAML stream has more than {} documents",
                    limits.yaml_documents
                ),
            )),
            BudgetBreach::Nodes { .. } => Some((
                "yaml-nodes",
                limits.yaml_nodes,
                format!("the YAML stream has more than {} nodes", limits.yaml_nodes),
            )),
            BudgetBreach::Events { .. } => Some((
                "yaml-nodes",
                limits.yaml_nodes,
                "the YAML stream has too many parser events for its node limit".to_string(),
            )),
            _ => None,
        },
        Error::AliasReplayLimitExceeded { .. } => Some((
            "yaml-alias-replay",
            limits.yaml_alias_replay,
            format!(
                "YAML aliases expand to more than {} events (an alias bomb?)",
                limits.yaml_alias_replay
            ),
        )),
        // Deep nesting may also stop on a recursion limit, reported as text only.
        _ => e.to_string().contains("recursion limit").then(too_deep),
    }
}

/// One YAML document, under the default limits.
pub fn parse(text: &str) -> Result<LocatedJson, YamlError> {
    parse_within(text, &Limits::default())
}

/// One YAML document.
pub fn parse_within(text: &str, limits: &Limits) -> Result<LocatedJson, YamlError> {
    let root: Spanned<Node> =
        serde_saphyr::from_str_with_options(text, options(limits)).map_err(|e| error(e, limits))?;
    Ok(located(root))
}

/// Every document of a stream, empty ones included (as `null`), under the
/// default limits.
pub fn parse_documents(text: &str) -> Result<Vec<LocatedJson>, YamlError> {
    parse_documents_within(text, &Limits::default())
}

/// Every document of a stream, empty ones included (as `null`).
pub fn parse_documents_within(text: &str, limits: &Limits) -> Result<Vec<LocatedJson>, YamlError> {
    let documents: Vec<Spanned<Node>> =
        serde_saphyr::from_str_multiple_with_options(text, options(limits))
            .map_err(|e| error(e, limits))?;
    Ok(documents.into_iter().map(located).collect())
}

fn located(root: Spanned<Node>) -> LocatedJson {
    let mut positions = HashMap::new();
    let value = convert(root, String::new(), &mut positions);
    LocatedJson { value, positions }
}

fn convert(
    node: Spanned<Node>,
    pointer: String,
    positions: &mut HashMap<String, NodePosition>,
) -> Value {
    positions.insert(
        pointer.clone(),
        NodePosition {
            line: node.referenced.line() as usize,
            offset: node.referenced.span().byte_offset().map(|o| o as usize),
            len: node.referenced.span().byte_len().map(|l| l as usize),
        },
    );
    match node.value {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Number(n) => Value::Number(n),
        Node::String(s) => Value::String(s),
        Node::Seq(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| convert(item, format!("{pointer}/{i}"), positions))
                .collect(),
        ),
        Node::Map(entries) => {
            let mut map = Map::new();
            for (key, item) in entries {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                let child = convert(item, format!("{pointer}/{escaped}"), positions);
                map.insert(key, child);
            }
            Value::Object(map)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_nested_nodes_by_json_pointer() {
        let doc = parse("a:\n  b:\n    - x\n    - y\nc/d: 1\n").expect("valid yaml");
        // YAML 1.1 would read `y` as true.
        assert_eq!(doc.value["a"]["b"][1], "y");
        assert_eq!(doc.line_of("/a/b/1"), Some(4));
        assert_eq!(doc.line_of("/c~1d"), Some(5));
        // An unknown child falls back to its parent.
        assert_eq!(doc.line_of("/a/b/7"), doc.line_of("/a/b"));
    }

    #[test]
    fn norway_is_a_country_not_a_boolean() {
        let doc = parse("countries: [FR, NO]\nflag: yes\n").expect("valid yaml");
        assert_eq!(doc.value["countries"][1], "NO");
        assert_eq!(doc.value["flag"], "yes");
    }

    #[test]
    fn multiple_documents_keep_their_byte_offsets() {
        let text = "a: 1\n---\n# only a comment\n---\nkind: Pod\n";
        let documents = parse_documents(text).expect("valid stream");
        let kinds: Vec<_> = documents
            .iter()
            .map(|d| d.value.get("kind").cloned())
            .collect();
        assert!(kinds.contains(&Some(Value::from("Pod"))));
        let pod = documents
            .iter()
            .find(|d| d.value.get("kind").is_some())
            .expect("pod");
        let offset = pod
            .position_of("/kind")
            .and_then(|p| p.offset)
            .expect("offset");
        assert_eq!(&text[offset..offset + 3], "Pod");
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused_by_the_limits() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let previous = format!("*a{}", i - 1);
            bomb.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                vec![previous; 10].join(", ")
            ));
        }
        let err = parse(&bomb).err().expect("refused");
        assert!(
            err.message
                .contains("over the limit yaml-alias-replay = 100000")
                && err.message.contains("--limit yaml-alias-replay=N"),
            "{}",
            err.message
        );
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let err = parse(&deep).err().expect("refused");
        assert!(
            err.message.contains("over the limit yaml-depth = 64"),
            "{}",
            err.message
        );
        let mut raised = Limits::default();
        raised.set("yaml-depth", 256).expect("a limit");
        assert!(parse_within(&deep, &raised).is_ok());
        let documents = "---\n".repeat(20);
        raised.set("yaml-documents", 10).expect("a limit");
        let err = parse_documents_within(&documents, &raised)
            .err()
            .expect("refused");
        assert!(
            err.message.contains("yaml-documents = 10"),
            "{}",
            err.message
        );
        raised.set("yaml-nodes", 10).expect("a limit");
        let err = parse_within("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]", &raised)
            .err()
            .expect("refused");
        assert!(err.message.contains("yaml-nodes = 10"), "{}", err.message);
    }

    #[test]
    fn rejects_duplicate_keys_with_a_line() {
        let err = parse("a: 1\nb: 2\na: 3\n").err().expect("duplicate key");
        assert!(
            err.message.contains("duplicate mapping key: a"),
            "{}",
            err.message
        );
        assert_eq!(err.line, Some(3));
    }
}
