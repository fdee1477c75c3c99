//! How much evaluation one Terraform input may ask for (docs/limits.md).
//!
//! Terraform source is code: a few lines can ask for a billion instances
//! (`count = 1000000000`), a string doubled forty times, or `for`
//! expressions nested over the same list. Such input fails with an error
//! naming the limit instead of exhausting the machine.
//!
//! Evaluation runs inside hcl-rs and through many helpers that treat a failed
//! expression as unknown; a limit must fail the whole input instead, so the
//! first limit hit is recorded for the thread and collected by
//! [`super::hcl::parse_module`] when the input is read.

use super::InputError;
use crate::limits::{self, Limits};
use crate::model::Span;
use hcl::Value;
use hcl::edit::expr::{Expression as EditExpr, ForExpr};
use hcl::edit::template::ForTemplateExpr;
use hcl::edit::visit::{Visit, visit_expr};
use hcl::eval::{Context, Evaluate};
use std::cell::{Cell, RefCell};

/// A limit an input went over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exceeded {
    /// The limit's name, as `--limit` and docs/limits.md give it.
    pub limit: &'static str,
    pub max: usize,
    /// What went over, e.g. "`count` of aws_s3_bucket.b is 100000000".
    pub what: String,
    pub span: Option<Span>,
}

impl From<Exceeded> for InputError {
    fn from(exceeded: Exceeded) -> Self {
        InputError::Limit {
            message: format!(
                "{}, {}",
                exceeded.what,
                limits::over(exceeded.limit, exceeded.max)
            ),
            span: exceeded.span,
        }
    }
}

thread_local! {
    static EXCEEDED: RefCell<Option<Exceeded>> = const { RefCell::new(None) };
    // hcl-rs calls functions (`replace`) through plain `fn` pointers, with no
    // context of ours: the limits of the input being read are here.
    static ACTIVE: Cell<Option<Limits>> = const { Cell::new(None) };
    // Where the expressions evaluated next are written, for the error of a
    // limit they go over: evaluation itself knows no file.
    static AT: Cell<Option<Span>> = const { Cell::new(None) };
}

/// Starts reading an input under `limits`: forgets any limit recorded by an
/// earlier input on this thread.
pub fn reset(limits: Limits) {
    EXCEEDED.with(|e| e.borrow_mut().take());
    ACTIVE.with(|a| a.set(Some(limits)));
    AT.with(|a| a.set(None));
}

/// Says where the expressions evaluated next are written (their block or
/// attribute; `None` for `--var` values), so that a limit they go over
/// points there.
pub fn evaluating_at(span: Option<Span>) {
    AT.with(|a| a.set(span));
}

/// The limits of the input being read.
pub fn active() -> Limits {
    ACTIVE.with(Cell::get).unwrap_or_default()
}

/// The first limit hit since [`reset`].
pub fn take() -> Option<Exceeded> {
    EXCEEDED.with(|e| e.borrow_mut().take())
}

/// Records a limit hit (the first one is kept) and returns its message, for
/// the evaluation error it also is.
pub fn exceeded(mut exceeded: Exceeded) -> String {
    let message = format!("{}: over the limit {}", exceeded.what, exceeded.limit);
    exceeded.span = exceeded.span.or_else(|| AT.with(Cell::get));
    EXCEEDED.with(|e| {
        e.borrow_mut().get_or_insert(exceeded);
    });
    message
}

/// Checks, before evaluating `expr`, that its `for` iterations stay within
/// the `terraform-evaluation-steps` limit.
pub fn check_steps(ctx: &Context, expr: &EditExpr) -> Result<(), String> {
    let max = active().terraform_evaluation_steps;
    let mut steps = Steps {
        ctx,
        max: max as u64,
        multiplier: 1,
        enclosing: 1,
        total: 0,
    };
    steps.visit_expr(expr);
    if steps.total > steps.max {
        return Err(exceeded(Exceeded {
            limit: "terraform-evaluation-steps",
            max,
            what: format!(
                "an expression iterates at least {} times in its `for` expressions",
                steps.total
            ),
            span: None,
        }));
    }
    Ok(())
}

/// Checks the size of an evaluated value against the
/// `terraform-value-bytes` limit.
pub fn check_size(value: &Value) -> Result<(), String> {
    let max = active().terraform_value_bytes;
    let size = size_of(value, max);
    if size > max {
        return Err(exceeded(Exceeded {
            limit: "terraform-value-bytes",
            max,
            what: format!("an expression evaluates to a value of more than {max} bytes"),
            span: None,
        }));
    }
    Ok(())
}

/// The size of `value`, counted up to a little past `stop`.
fn size_of(value: &Value, stop: usize) -> usize {
    let mut size = 0;
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        size += match value {
            Value::String(s) => s.len(),
            Value::Array(items) => {
                pending.extend(items);
                1
            }
            Value::Object(map) => {
                for (key, item) in map {
                    size += key.len();
                    pending.push(item);
                }
                1
            }
            _ => 1,
        };
        if size > stop {
            break;
        }
    }
    size
}

/// Counts the iterations of an expression's `for` expressions: each runs
/// once per iteration of the ones around it. A collection is measured by
/// evaluating it; one that depends on an enclosing iteration variable cannot
/// be, and is counted at the size of the enclosing collection.
struct Steps<'c, 'a> {
    ctx: &'c Context<'a>,
    /// The limit: counting stops past it.
    max: u64,
    /// Iterations of the enclosing `for`s, multiplied.
    multiplier: u64,
    /// Length of the innermost enclosing collection.
    enclosing: u64,
    total: u64,
}

impl Steps<'_, '_> {
    fn length(&self, collection: &EditExpr) -> u64 {
        if self.total > self.max {
            return self.enclosing;
        }
        match hcl::Expression::from(collection.clone()).evaluate(self.ctx) {
            Ok(Value::Array(items)) => items.len() as u64,
            Ok(Value::Object(map)) => map.len() as u64,
            _ => self.enclosing,
        }
    }

    /// Counts a loop over `collection` whose body `visit_body` visits.
    fn iterate(&mut self, collection: &EditExpr, visit_body: impl FnOnce(&mut Self)) {
        // The collection itself is evaluated once per enclosing iteration.
        self.visit_expr(collection);
        let length = self.length(collection).max(1);
        let saved = (self.multiplier, self.enclosing);
        self.multiplier = self.multiplier.saturating_mul(length);
        self.enclosing = length;
        self.total = self.total.saturating_add(self.multiplier);
        visit_body(self);
        (self.multiplier, self.enclosing) = saved;
    }
}

impl Visit for Steps<'_, '_> {
    fn visit_expr(&mut self, expr: &EditExpr) {
        if self.total <= self.max {
            visit_expr(self, expr);
        }
    }

    fn visit_for_expr(&mut self, node: &ForExpr) {
        self.iterate(&node.intro.collection_expr, |steps| {
            if let Some(key) = &node.key_expr {
                steps.visit_expr(key);
            }
            steps.visit_expr(&node.value_expr);
            if let Some(cond) = &node.cond {
                steps.visit_expr(&cond.expr);
            }
        });
    }

    fn visit_for_template_expr(&mut self, node: &ForTemplateExpr) {
        self.iterate(&node.collection_expr, |steps| {
            steps.visit_template(&node.template);
        });
    }
}
