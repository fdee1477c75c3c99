//! Terraform's JSON configuration syntax (`.tf.json`, as CDK for Terraform
//! writes it) turned into the same structures as native syntax, so one
//! evaluator reads both. Attribute values are JSON, which is valid HCL
//! expression syntax; strings keep their `${...}` templates, evaluated as
//! Terraform does. Blocks are positioned by their byte offset in the file.

use super::InputError;
use crate::model::Span;
use hcl::edit::Decorated;
use hcl::edit::Ident;
use hcl::edit::expr::Expression;
use hcl::edit::structure::{Attribute, Block, BlockLabel, Body};
use serde_json::value::RawValue;
use std::collections::BTreeMap;

type Object<'a> = BTreeMap<String, &'a RawValue>;

/// Block ident and labels (`["resource", "aws_s3_bucket", "b"]`) with the
/// block's position.
pub type BlockSpans = Vec<(Vec<String>, Span)>;

/// The body of a `.tf.json` file and the position of each block, keyed by
/// block ident and labels.
pub fn body(text: &str, source: usize) -> Result<(Body, BlockSpans), InputError> {
    let mut converter = Converter {
        text,
        source,
        body: Body::new(),
        spans: Vec::new(),
    };
    let top: Object = parse(text, text, source)?;
    for (kind, raw) in top {
        match kind.as_str() {
            "resource" | "data" => {
                for (resource_type, by_name) in converter.object(raw)? {
                    for (name, value) in converter.object(by_name)? {
                        converter.blocks(&kind, &[&resource_type, &name], value)?;
                    }
                }
            }
            "provider" | "variable" | "module" | "output" => {
                for (name, value) in converter.object(raw)? {
                    converter.blocks(&kind, &[&name], value)?;
                }
            }
            "locals" | "terraform" => converter.blocks(&kind, &[], raw)?,
            _ => {}
        }
    }
    Ok((converter.body, converter.spans))
}

fn parse<'a, T: serde::Deserialize<'a>>(
    raw: &'a str,
    text: &str,
    source: usize,
) -> Result<T, InputError> {
    serde_json::from_str(raw).map_err(|e| {
        let base = (raw.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        match InputError::json(&e, raw, base) {
            InputError::Syntax { span, message } => InputError::Syntax {
                span: Span {
                    file: source,
                    ..span
                },
                message: format!("{message} (Terraform JSON syntax)"),
            },
            other => other,
        }
    })
}

struct Converter<'t> {
    text: &'t str,
    source: usize,
    body: Body,
    spans: BlockSpans,
}

impl<'t> Converter<'t> {
    fn object(&self, raw: &'t RawValue) -> Result<Object<'t>, InputError> {
        parse(raw.get(), self.text, self.source)
    }

    fn span(&self, raw: &RawValue) -> Span {
        let start = (raw.get().as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        Span {
            file: self.source,
            start,
            end: start + raw.get().len(),
        }
    }

    /// One block, or several when the JSON value is an array of objects.
    fn blocks(
        &mut self,
        ident: &str,
        labels: &[&str],
        raw: &'t RawValue,
    ) -> Result<(), InputError> {
        let bodies: Vec<&RawValue> = if raw.get().trim_start().starts_with('[') {
            parse(raw.get(), self.text, self.source)?
        } else {
            vec![raw]
        };
        for raw_body in bodies {
            let mut block = Block::new(Decorated::new(ident_of(ident)));
            block.labels = labels
                .iter()
                .map(|l| BlockLabel::from(l.to_string()))
                .collect();
            block.body = self.block_body(ident, raw_body)?;
            let key = std::iter::once(ident.to_string())
                .chain(labels.iter().map(|l| l.to_string()))
                .collect();
            self.spans.push((key, self.span(raw_body)));
            self.body.push(block);
        }
        Ok(())
    }

    fn block_body(&mut self, ident: &str, raw: &'t RawValue) -> Result<Body, InputError> {
        let mut body = Body::new();
        for (key, value) in self.object(raw)? {
            // `//` keys are comments in JSON syntax.
            if key == "//" {
                continue;
            }
            // Nested blocks the evaluator looks into: `required_providers`
            // in `terraform`, `content` is not used (no `dynamic` in JSON).
            if ident == "terraform" && key == "required_providers" {
                let mut nested = Block::new(Decorated::new(ident_of(&key)));
                nested.body = self.block_body(&key, value)?;
                body.push(nested);
                continue;
            }
            let Ok(name) = Ident::try_from(key.as_str()) else {
                continue;
            };
            let expression = expression(value.get()).map_err(|message| InputError::Syntax {
                span: self.span(value),
                message: format!("invalid expression in Terraform JSON syntax: {message}"),
            })?;
            body.push(Attribute::new(Decorated::new(name), expression));
        }
        Ok(body)
    }
}

fn ident_of(text: &str) -> Ident {
    Ident::try_from(text).unwrap_or_else(|_| Ident::new_sanitized(text))
}

/// A JSON value as an HCL expression: JSON is HCL expression syntax, and
/// strings keep their `${...}` templates.
fn expression(json: &str) -> Result<Expression, String> {
    hcl::edit::parser::parse_expr(json).map_err(|e| e.message().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_providers_and_templates_convert() {
        let text = r#"{
  "provider": {"aws": [{"region": "us-east-1"}, {"alias": "paris", "region": "eu-west-3"}]},
  "variable": {"name": {"default": "docs"}},
  "resource": {"aws_s3_bucket": {"docs": {"bucket": "${var.name}-bucket", "provider": "aws.paris", "//": "comment"}}},
  "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws"}}}
}"#;
        let (body, spans) = body(text, 3).expect("converts");
        let providers: Vec<_> = body
            .blocks()
            .filter(|b| b.ident.as_str() == "provider")
            .collect();
        assert_eq!(providers.len(), 2);
        let bucket = body
            .blocks()
            .find(|b| b.ident.as_str() == "resource")
            .expect("resource");
        assert_eq!(
            bucket.labels.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
            ["aws_s3_bucket", "docs"]
        );
        assert!(bucket.body.get_attribute("//").is_none());
        let (_, span) = spans
            .iter()
            .find(|(k, _)| k[0] == "resource")
            .expect("span");
        assert_eq!(span.file, 3);
        assert!(text[span.start..].starts_with("{\"bucket\""));
        let terraform = body
            .blocks()
            .find(|b| b.ident.as_str() == "terraform")
            .expect("terraform");
        assert!(
            terraform
                .body
                .get_blocks("required_providers")
                .next()
                .is_some()
        );
    }

    #[test]
    fn malformed_json_points_at_its_line() {
        let text = "{\n  \"resource\": {\n    \"aws_s3_bucket\": {\"b\": {\"bucket\": }}\n  }\n}";
        let Err(InputError::Syntax { span, .. }) = body(text, 0) else {
            panic!("accepted");
        };
        assert_eq!(crate::model::LineIndex::new(text).position(span.start).0, 3);
    }
}
