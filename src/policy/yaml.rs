//! YAML to JSON with the line of every node, so schema errors (which speak in
//! JSON pointers) can point at the policy file line a user has to edit.

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

/// A YAML document as JSON, with the line of each node keyed by JSON pointer.
pub struct LocatedJson {
    pub value: Value,
    lines: HashMap<String, usize>,
}

impl LocatedJson {
    /// The line of the node at `pointer`, or of its nearest located ancestor.
    pub fn line_of(&self, pointer: &str) -> Option<usize> {
        let mut pointer = pointer;
        loop {
            if let Some(line) = self.lines.get(pointer) {
                return Some(*line);
            }
            pointer = &pointer[..pointer.rfind('/')?];
        }
    }
}

/// A YAML syntax error with its line.
#[derive(Debug)]
pub struct YamlError {
    pub line: Option<usize>,
    pub message: String,
}

pub fn parse(text: &str) -> Result<LocatedJson, YamlError> {
    // YAML 1.2 core booleans only: `NO` (Norway) and `y` stay strings.
    let options = serde_saphyr::options! { strict_booleans: true };
    let root: Spanned<Node> =
        serde_saphyr::from_str_with_options(text, options).map_err(|e| YamlError {
            line: e.location().map(|l| l.line() as usize),
            message: e
                .to_string()
                .lines()
                .next()
                .unwrap_or("invalid YAML")
                .to_string(),
        })?;
    let mut lines = HashMap::new();
    let value = convert(root, String::new(), &mut lines);
    Ok(LocatedJson { value, lines })
}

fn convert(node: Spanned<Node>, pointer: String, lines: &mut HashMap<String, usize>) -> Value {
    lines.insert(pointer.clone(), node.referenced.line() as usize);
    match node.value {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Number(n) => Value::Number(n),
        Node::String(s) => Value::String(s),
        Node::Seq(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| convert(item, format!("{pointer}/{i}"), lines))
                .collect(),
        ),
        Node::Map(entries) => {
            let mut map = Map::new();
            for (key, item) in entries {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                let child = convert(item, format!("{pointer}/{escaped}"), lines);
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
