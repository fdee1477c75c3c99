//! The waiver syntax, shared by Terraform comments and Kubernetes
//! annotations: `souverain:ignore RULE[,RULE] reason="..." [expires=YYYY-MM-DD]`.

use crate::model::{Span, Waiver};

/// Reads one waiver from `text` (a comment's or annotation's text), which
/// starts at `offset` in source `file`; `None` when it is not a waiver.
pub fn parse(comment: &str, offset: usize, file: usize) -> Option<Waiver> {
    let rest = comment.strip_prefix("souverain:ignore")?;
    let rest = rest.trim_start();
    let (rules, mut rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let mut waiver = Waiver {
        rules: rules
            .split(',')
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect(),
        reason: None,
        expires: None,
        span: Span {
            file,
            start: offset,
            end: offset + comment.len(),
        },
    };
    while let Some((key, after)) = rest.trim_start().split_once('=') {
        let (value, remaining) = match after.strip_prefix('"') {
            Some(quoted) => match quoted.split_once('"') {
                Some((value, remaining)) => (value, remaining),
                None => (quoted, ""),
            },
            None => after.split_once(char::is_whitespace).unwrap_or((after, "")),
        };
        match key.trim() {
            "reason" => waiver.reason = Some(value.trim().to_string()).filter(|r| !r.is_empty()),
            "expires" => waiver.expires = Some(value.trim().to_string()),
            _ => {}
        }
        rest = remaining;
    }
    Some(waiver)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_rules_reason_and_expiry() {
        let waiver = super::parse(
            r#"souverain:ignore SOV101,SOV201 reason="Contract 42" expires=2027-01-31"#,
            10,
            2,
        )
        .expect("a waiver");
        assert_eq!(waiver.rules, ["SOV101", "SOV201"]);
        assert_eq!(waiver.reason.as_deref(), Some("Contract 42"));
        assert_eq!(waiver.expires.as_deref(), Some("2027-01-31"));
        assert_eq!((waiver.span.file, waiver.span.start), (2, 10));
        assert!(super::parse("just a comment", 0, 0).is_none());
        assert_eq!(
            super::parse(r#"souverain:ignore SOV101 reason="""#, 0, 0).and_then(|w| w.reason),
            None
        );
    }
}
