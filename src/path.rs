//! Attribute paths such as `root_block_device[*].encrypted` and how to read
//! them from planned values, telling apart set, absent and unknown.
//!
//! Terraform renders a nested block as a list even when it holds one element,
//! while plugin-framework providers render nested attributes as objects. A path
//! therefore steps into every element when a key meets a list, and treats an
//! object as a one-element list when `[*]` meets it: the same policy path reads
//! both shapes.

use serde_json::Value;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
    Each,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid attribute path `{path}`: {reason}")]
pub struct PathError {
    pub path: String,
    pub reason: &'static str,
}

impl AttrPath {
    /// Parses `a.b[*].c`, `a[0]`, `metadata["__system__encrypted"]`.
    pub fn parse(text: &str) -> Result<Self, PathError> {
        let err = |reason| PathError {
            path: text.to_string(),
            reason,
        };
        let mut segments = Vec::new();
        let mut rest = text;
        let mut expect_key = true;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('[') {
                let close = after.find(']').ok_or_else(|| err("unclosed `[`"))?;
                let inner = &after[..close];
                if inner == "*" {
                    segments.push(Segment::Each);
                } else if let Some(quoted) =
                    inner.strip_prefix('"').and_then(|s| s.strip_suffix('"'))
                {
                    segments.push(Segment::Key(quoted.to_string()));
                } else {
                    let index = inner
                        .parse()
                        .map_err(|_| err("expected `[*]`, `[N]` or `[\"key\"]`"))?;
                    segments.push(Segment::Index(index));
                }
                rest = &after[close + 1..];
                expect_key = false;
            } else if let Some(after) = rest.strip_prefix('.') {
                if expect_key {
                    return Err(err("empty key"));
                }
                rest = after;
                expect_key = true;
            } else {
                if !expect_key {
                    return Err(err("expected `.` or `[` between segments"));
                }
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                segments.push(Segment::Key(rest[..end].to_string()));
                rest = &rest[end..];
                expect_key = false;
            }
        }
        if segments.is_empty() || expect_key {
            return Err(err("empty key"));
        }
        Ok(Self { segments })
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_segments(f, &self.segments)
    }
}

/// The text of a concrete path, as readings report it (`api[0].region`).
pub fn concrete(segments: &[Segment]) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = write_segments(&mut s, segments);
    s
}

fn write_segments(f: &mut impl fmt::Write, segments: &[Segment]) -> fmt::Result {
    for (i, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Key(key)
                if key
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-') =>
            {
                if i > 0 {
                    f.write_char('.')?;
                }
                f.write_str(key)?;
            }
            Segment::Key(key) => write!(f, "[\"{key}\"]")?,
            Segment::Index(index) => write!(f, "[{index}]")?,
            Segment::Each => f.write_str("[*]")?,
        }
    }
    Ok(())
}

/// What a path reads at one concrete place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Probe<'a> {
    Set(&'a Value),
    /// Known after apply.
    Unknown,
    /// Not set (absent or null).
    Absent,
}

/// One concrete place a path reached, e.g. `root_block_device[0].encrypted`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading<'a> {
    pub path: String,
    pub probe: Probe<'a>,
}

/// Reads `path` from planned values and their unknown markers. Returns one
/// reading per concrete place; a path through an absent or empty list yields a
/// single `Absent` reading at the list.
pub fn read<'a>(values: &'a Value, unknown: &Value, path: &AttrPath) -> Vec<Reading<'a>> {
    let mut out = Vec::new();
    let mut at = Vec::new();
    walk(
        Some(values),
        Some(unknown),
        path.segments(),
        &mut at,
        &mut out,
    );
    out
}

fn walk<'a>(
    value: Option<&'a Value>,
    unknown: Option<&Value>,
    rest: &[Segment],
    at: &mut Vec<Segment>,
    out: &mut Vec<Reading<'a>>,
) {
    let here = concrete;
    if unknown == Some(&Value::Bool(true)) {
        out.push(Reading {
            path: here(at),
            probe: Probe::Unknown,
        });
        return;
    }
    let value = match value {
        None | Some(Value::Null) => {
            out.push(Reading {
                path: here(at),
                probe: Probe::Absent,
            });
            return;
        }
        Some(v) => v,
    };
    let Some((segment, tail)) = rest.split_first() else {
        out.push(Reading {
            path: here(at),
            probe: Probe::Set(value),
        });
        return;
    };
    match (segment, value) {
        (Segment::Key(key), Value::Object(map)) => {
            at.push(segment.clone());
            walk(
                map.get(key),
                unknown.and_then(|u| u.get(key)),
                tail,
                at,
                out,
            );
            at.pop();
        }
        // A key applied to a list of blocks reads it in every block.
        (Segment::Key(_), Value::Array(items)) | (Segment::Each, Value::Array(items)) => {
            let rest = if matches!(segment, Segment::Each) {
                tail
            } else {
                rest
            };
            if items.is_empty() {
                out.push(Reading {
                    path: here(at),
                    probe: Probe::Absent,
                });
            }
            for (i, item) in items.iter().enumerate() {
                at.push(Segment::Index(i));
                walk(Some(item), unknown.and_then(|u| u.get(i)), rest, at, out);
                at.pop();
            }
        }
        (Segment::Index(i), Value::Array(items)) => {
            at.push(segment.clone());
            walk(
                items.get(*i),
                unknown.and_then(|u| u.get(*i)),
                tail,
                at,
                out,
            );
            at.pop();
        }
        // `[*]` or `[0]` on a single object: the object is the one element.
        (Segment::Each | Segment::Index(0), Value::Object(_)) => {
            walk(Some(value), unknown, tail, at, out)
        }
        // Anything else does not have the shape the path expects.
        _ => out.push(Reading {
            path: here(at),
            probe: Probe::Absent,
        }),
    }
}

/// A scalar as the text policies compare against: booleans, numbers and
/// strings alike (`true`, `"true"` and `"1"` are all values providers use).
/// `kmsKeyId` → `kms_key_id`: upjet CRDs camelCase Terraform's names.
pub fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let chars: Vec<char> = key.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let after_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let before_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let after_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if after_lower || (after_upper && before_lower) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(*c);
        }
    }
    out
}

pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn readings(values: Value, unknown: Value, path: &str) -> Vec<(String, Probe<'static>)> {
        let values: &'static Value = Box::leak(Box::new(values));
        let path = AttrPath::parse(path).expect("valid path");
        read(values, &unknown, &path)
            .into_iter()
            .map(|r| (r.path, r.probe))
            .collect()
    }

    #[test]
    fn parse_round_trips_through_display() {
        for text in [
            "region",
            "a.b[*].c",
            "replica[0].region_name",
            "metadata[\"k8s.io/zone\"]",
        ] {
            let path = AttrPath::parse(text).expect("valid");
            assert_eq!(path.to_string(), text);
        }
    }

    #[test]
    fn parse_rejects_malformed_paths() {
        for text in ["", "a.", ".a", "a..b", "a[", "a[x]", "a[0]b"] {
            assert!(AttrPath::parse(text).is_err(), "{text} should be rejected");
        }
    }

    #[test]
    fn reads_set_absent_and_unknown() {
        assert_eq!(
            readings(json!({"encrypted": true}), json!({}), "encrypted"),
            vec![("encrypted".into(), Probe::Set(&Value::Bool(true)))]
        );
        assert_eq!(
            readings(json!({"encrypted": null}), json!({}), "encrypted"),
            vec![("encrypted".into(), Probe::Absent)]
        );
        assert_eq!(
            readings(json!({}), json!({"encrypted": true}), "encrypted"),
            vec![("encrypted".into(), Probe::Unknown)]
        );
    }

    #[test]
    fn steps_into_every_block_of_a_list() {
        let got = readings(
            json!({"ebs": [{"encrypted": true}, {"encrypted": false}]}),
            json!({"ebs": [{}, {}]}),
            "ebs[*].encrypted",
        );
        assert_eq!(
            got[0],
            ("ebs[0].encrypted".into(), Probe::Set(&Value::Bool(true)))
        );
        assert_eq!(
            got[1],
            ("ebs[1].encrypted".into(), Probe::Set(&Value::Bool(false)))
        );
    }

    #[test]
    fn block_list_and_nested_object_read_the_same() {
        let as_list = readings(
            json!({"encryption": [{"enabled": true}]}),
            json!({}),
            "encryption.enabled",
        );
        let as_object = readings(
            json!({"encryption": {"enabled": true}}),
            json!({}),
            "encryption[*].enabled",
        );
        assert_eq!(as_list.len(), 1);
        assert_eq!(as_list[0].1, Probe::Set(&Value::Bool(true)));
        assert_eq!(as_object[0].1, Probe::Set(&Value::Bool(true)));
    }

    #[test]
    fn empty_block_list_is_absent_and_unknown_block_is_unknown() {
        assert_eq!(
            readings(json!({"rbd": []}), json!({}), "rbd[*].encrypted")[0].1,
            Probe::Absent
        );
        assert_eq!(
            readings(json!({}), json!({"rbd": true}), "rbd[*].encrypted")[0].1,
            Probe::Unknown
        );
    }
}
