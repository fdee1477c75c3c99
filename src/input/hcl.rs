//! Terraform HCL source, evaluated the way Terraform would before a plan.
//!
//! A directory is a module: all its `.tf` files together. Variables take, from
//! weakest to strongest, their default, `terraform.tfvars`, `*.auto.tfvars` in
//! name order, `--var-file` files in order and `--var` values. Locals,
//! templates, conditionals and the functions of [`super::hcl_functions`] are
//! evaluated; whatever cannot be (resource attributes, data sources, missing
//! functions) is **unknown**, exactly like `after_unknown` in a plan, so the
//! rules read source and plans alike and an unknown location is undetermined.
//!
//! Provider blocks and aliases, `required_providers` sources, provider
//! inheritance and the `providers = {}` map of local module calls are
//! followed; local modules (`source = "./..."`) are read through the
//! [`SourceTree`], so this module does no I/O itself. Remote modules are not
//! followed and say so in a note. `count` and `for_each` expand to addresses
//! when their keys are known; `dynamic` blocks expand when their collection is.

use super::hcl_functions;
use super::hcl_limits::{self, Exceeded};
use super::json_syntax;
use super::reference::{self, Target};
use super::{Failed, InputError, Note, Parsed, decode};
use crate::limits::Limits;
use crate::model::{Action, Provenance, ProvenanceKind, ProviderSettings, Resource, Span, Waiver};
use crate::report::Source;
use hcl::edit::Span as _;
use hcl::edit::expr::{Expression as EditExpr, ObjectKey, TraversalOperator};
use hcl::edit::structure::{Attribute, Block, Body};
use hcl::edit::visit_mut::{VisitMut, visit_expr_mut};
use hcl::eval::{Context, Evaluate};
use hcl::{Map as HclMap, Value};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Where module sources come from: the file system in the CLI, memory in
/// tests and in the WASM module.
pub trait SourceTree {
    /// Paths of the files directly in `dir` (as `dir/name`), sorted.
    fn list(&self, dir: &str) -> Result<Vec<String>, String>;
    fn read(&self, path: &str) -> Result<Vec<u8>, String>;
}

/// Files held in memory, keyed by path (`dir/name`).
#[derive(Debug, Default, Clone)]
pub struct MemoryTree {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl SourceTree for MemoryTree {
    fn list(&self, dir: &str) -> Result<Vec<String>, String> {
        Ok(self
            .files
            .keys()
            .filter(|path| parent(path) == normalize(dir))
            .cloned()
            .collect())
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        self.files
            .get(&normalize(path))
            .cloned()
            .ok_or_else(|| format!("{path}: no such file"))
    }
}

/// Values given on the command line.
#[derive(Debug, Default, Clone)]
pub struct HclOptions {
    /// `--var-file` paths, in order.
    pub var_files: Vec<String>,
    /// `--var name=value`, in order.
    pub vars: Vec<(String, String)>,
}

/// Reads the module in `dir`. With `only_file`, the module is that one file
/// (a file scanned on its own, or standard input).
pub fn parse_module(
    dir: &str,
    only_file: Option<&str>,
    tree: &dyn SourceTree,
    options: &HclOptions,
    limits: &Limits,
) -> Result<Parsed, Failed> {
    let mut reader = Reader {
        tree,
        sources: Vec::new(),
        texts: Vec::new(),
        notes: Vec::new(),
        resources: Vec::new(),
        modules: Vec::new(),
        json_blocks: BTreeMap::new(),
        outputs: BTreeMap::new(),
    };
    hcl_limits::reset(*limits);
    let result = reader
        .root(dir, only_file, options)
        .and_then(|()| hcl_limits::take().map_or(Ok(()), |exceeded| Err(exceeded.into())));
    match result {
        Ok(()) => Ok(Parsed {
            sources: reader.sources,
            resources: reader.resources,
            notes: reader.notes,
            modules: reader.modules,
        }),
        Err(error) => Err(Failed {
            sources: reader.sources,
            error,
        }),
    }
}

struct Reader<'t> {
    tree: &'t dyn SourceTree,
    sources: Vec<Source>,
    /// The text of each source, for comments and positions.
    texts: Vec<String>,
    notes: Vec<Note>,
    resources: Vec<Resource>,
    /// Local module directories followed.
    modules: Vec<String>,
    /// Positions of blocks read from `.tf.json` files, whose structures carry
    /// none: by source, then block ident and labels.
    json_blocks: BTreeMap<(usize, Vec<String>), Span>,
    /// What each module output refers to, by absolute output address
    /// (`module.db.server_id`).
    outputs: BTreeMap<String, Vec<String>>,
}

/// One parsed file of a module.
struct File {
    source: usize,
    body: Body,
}

/// A variable's value and where it came from, in words.
#[derive(Clone)]
struct VarValue {
    value: Option<Value>,
    origin: String,
    /// The resources its argument refers to, by absolute address.
    references: Vec<String>,
}

/// What an expression is evaluated against in one module instance.
#[derive(Clone, Default)]
struct Scope {
    /// `module.a["x"].module.b`, empty at the root.
    address: String,
    dir: String,
    root_dir: String,
    // The maps are shared (`Rc`): every instance of a `count` or `for_each`
    // gets a scope of its own, and copying them made reading N instances
    // cost N² (docs/performance.md).
    vars: Rc<BTreeMap<String, VarValue>>,
    locals: Rc<HclMap<String, Value>>,
    /// Provider configurations by key (`aws`, `aws.paris`).
    providers: Rc<BTreeMap<String, ProviderSettings>>,
    /// Local provider names to sources (`aws` → `hashicorp/aws`).
    sources: Rc<BTreeMap<String, String>>,
    /// Known attributes of this module's resources, by type then name.
    resources: Rc<HclMap<String, Value>>,
    /// `each` and `count` of the instance being evaluated.
    each: Option<(Value, Value)>,
    count: Option<Value>,
    depth: usize,
}

impl Scope {
    /// A context with the variables that `reads` names and nothing else:
    /// values are copied into an hcl-rs context, so declaring every local and
    /// every resource for each expression cost the size of the module each time.
    fn context_for(&self, reads: &Reads) -> Context<'static> {
        let mut ctx = Context::new();
        hcl_functions::declare(&mut ctx);
        if reads.roots.contains("var") {
            let vars: HclMap<String, Value> = self
                .vars
                .iter()
                .filter(|(name, _)| reads.everything || reads.vars.contains(*name))
                .filter_map(|(k, v)| v.value.clone().map(|value| (k.clone(), value)))
                .collect();
            ctx.declare_var("var", Value::Object(vars));
        }
        if reads.roots.contains("local") {
            let locals: HclMap<String, Value> = self
                .locals
                .iter()
                .filter(|(name, _)| reads.everything || reads.locals.contains(*name))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            ctx.declare_var("local", Value::Object(locals));
        }
        if reads.roots.contains("path") {
            let mut path = HclMap::new();
            path.insert("module".into(), Value::from(self.dir.as_str()));
            path.insert("root".into(), Value::from(self.root_dir.as_str()));
            path.insert("cwd".into(), Value::from(self.root_dir.as_str()));
            ctx.declare_var("path", Value::Object(path));
        }
        if reads.roots.contains("terraform") {
            let mut terraform = HclMap::new();
            terraform.insert("workspace".into(), Value::from("default"));
            ctx.declare_var("terraform", Value::Object(terraform));
        }
        for (resource_type, by_name) in self.resources.iter() {
            if reads.roots.contains(resource_type) {
                ctx.declare_var(resource_type.clone(), by_name.clone());
            }
        }
        if let Some((key, value)) = &self.each {
            let mut each = HclMap::new();
            each.insert("key".into(), key.clone());
            each.insert("value".into(), value.clone());
            ctx.declare_var("each", Value::Object(each));
        }
        if let Some(index) = &self.count {
            let mut count = HclMap::new();
            count.insert("index".into(), index.clone());
            ctx.declare_var("count", Value::Object(count));
        }
        ctx
    }

    fn evaluate(&self, expr: &EditExpr) -> Result<Value, String> {
        evaluate_in(&self.context_for(&Reads::of([expr])), expr)
    }
}

/// The variables some expressions read: their roots (`var`, `local`,
/// `aws_s3_bucket`...), and which variables and locals by name.
#[derive(Default)]
struct Reads {
    roots: std::collections::BTreeSet<String>,
    vars: std::collections::BTreeSet<String>,
    locals: std::collections::BTreeSet<String>,
    /// A `var` or `local` read whole (`local` alone, `local[name]`).
    everything: bool,
}

impl Reads {
    fn of<'e>(exprs: impl IntoIterator<Item = &'e EditExpr>) -> Self {
        let mut reads = Reads::default();
        for expr in exprs {
            hcl::edit::visit::Visit::visit_expr(&mut reads, expr);
        }
        reads
    }
}

impl hcl::edit::visit::Visit for Reads {
    fn visit_expr(&mut self, expr: &EditExpr) {
        match expr {
            EditExpr::Variable(root) => {
                // Not under a traversal: `local` or `var` is read whole.
                self.everything |= matches!(root.as_str(), "var" | "local");
                self.roots.insert(root.as_str().to_string());
            }
            other => hcl::edit::visit::visit_expr(self, other),
        }
    }

    fn visit_traversal(&mut self, traversal: &hcl::edit::expr::Traversal) {
        let EditExpr::Variable(root) = &traversal.expr else {
            return hcl::edit::visit::visit_traversal(self, traversal);
        };
        self.roots.insert(root.as_str().to_string());
        if matches!(root.as_str(), "var" | "local") {
            match traversal.operators.first().map(|op| op.value()) {
                Some(TraversalOperator::GetAttr(name)) => {
                    let names = if root.as_str() == "var" {
                        &mut self.vars
                    } else {
                        &mut self.locals
                    };
                    names.insert(name.as_str().to_string());
                }
                _ => self.everything = true,
            }
        }
        for operator in &traversal.operators {
            self.visit_traversal_operator(operator);
        }
    }
}

/// Evaluates an expression; `try` and `can` are settled first because their
/// arguments are allowed to fail.
/// Expressions over the limits of `hcl_limits` are not evaluated; the input
/// then fails.
fn evaluate_in(ctx: &Context, expr: &EditExpr) -> Result<Value, String> {
    hcl_limits::check_steps(ctx, expr)?;
    let mut expr = expr.clone();
    TryRewriter { ctx }.visit_expr_mut(&mut expr);
    let value = hcl::Expression::from(expr)
        .evaluate(ctx)
        .map_err(|e| e.to_string())?;
    hcl_limits::check_size(&value)?;
    Ok(value)
}

struct TryRewriter<'c, 'a> {
    ctx: &'c Context<'a>,
}

impl VisitMut for TryRewriter<'_, '_> {
    fn visit_expr_mut(&mut self, expr: &mut EditExpr) {
        // Innermost first, so nested `try` calls are settled before outer ones.
        visit_expr_mut(self, expr);
        let EditExpr::FuncCall(call) = expr else {
            return;
        };
        if !call.name.namespace.is_empty() {
            return;
        }
        let settled = match call.name.name.as_str() {
            "try" => call
                .args
                .iter()
                .find_map(|arg| hcl::Expression::from(arg.clone()).evaluate(self.ctx).ok()),
            "can" => call.args.iter().next().map(|arg| {
                Value::Bool(
                    hcl::Expression::from(arg.clone())
                        .evaluate(self.ctx)
                        .is_ok(),
                )
            }),
            _ => return,
        };
        if let Some(value) = settled {
            *expr = EditExpr::from(hcl::Expression::from(value));
        }
    }
}

/// The resources an expression in `scope` refers to, by absolute address
/// without instance keys: through variables to their module arguments. A
/// child module's output stays `module.NAME.OUTPUT` until every module is
/// read ([`Reader::resolve_outputs`]).
fn referenced(expr: &EditExpr, scope: &Scope) -> Vec<String> {
    struct Collect(Vec<String>);
    impl hcl::edit::visit::Visit for Collect {
        fn visit_traversal(&mut self, traversal: &hcl::edit::expr::Traversal) {
            if let EditExpr::Variable(root) = &traversal.expr {
                let mut text = root.as_str().to_string();
                for op in &traversal.operators {
                    if let TraversalOperator::GetAttr(name) = op.value() {
                        text.push('.');
                        text.push_str(name.as_str());
                    }
                }
                self.0.push(text);
            }
            hcl::edit::visit::visit_traversal(self, traversal);
        }
    }
    let mut collect = Collect(Vec::new());
    hcl::edit::visit::Visit::visit_expr(&mut collect, expr);
    let module = reference::without_keys(&scope.address);
    let mut out: Vec<String> = Vec::new();
    for text in collect.0 {
        let found = match reference::target(&text) {
            Some(Target::Resource(address)) => vec![reference::absolute(&module, &address)],
            Some(Target::ModuleOutput {
                module: child,
                output,
            }) => {
                vec![reference::absolute(
                    &module,
                    &format!("module.{child}.{output}"),
                )]
            }
            Some(Target::Variable(name)) => scope
                .vars
                .get(&name)
                .map(|v| v.references.clone())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        reference::add_new(&mut out, found);
    }
    out
}

/// `var.NAME...` → `NAME`.
fn var_reference(expr: &EditExpr) -> Option<String> {
    let EditExpr::Traversal(traversal) = expr else {
        return None;
    };
    let EditExpr::Variable(root) = &traversal.expr else {
        return None;
    };
    if root.as_str() != "var" {
        return None;
    }
    match traversal.operators.first().map(|op| op.value()) {
        Some(TraversalOperator::GetAttr(name)) => Some(name.as_str().to_string()),
        _ => None,
    }
}

/// The variables and locals an expression reads (`var.region`,
/// `local.regions`), in order of first use.
fn variables_used(expr: &EditExpr) -> Vec<String> {
    struct Collect(Vec<String>);
    impl hcl::edit::visit::Visit for Collect {
        fn visit_traversal(&mut self, traversal: &hcl::edit::expr::Traversal) {
            if let EditExpr::Variable(root) = &traversal.expr
                && matches!(root.as_str(), "var" | "local")
                && let Some(TraversalOperator::GetAttr(name)) =
                    traversal.operators.first().map(|op| op.value())
            {
                let reference = format!("{}.{}", root.as_str(), name.as_str());
                if !self.0.contains(&reference) {
                    self.0.push(reference);
                }
            }
            hcl::edit::visit::visit_traversal(self, traversal);
        }
    }
    let mut collect = Collect(Vec::new());
    hcl::edit::visit::Visit::visit_expr(&mut collect, expr);
    collect.0
}

/// A provider reference: a traversal in native syntax, a string in JSON
/// syntax (`"provider": "aws.paris"`).
fn reference_text(expr: &EditExpr) -> Option<String> {
    match expr {
        EditExpr::String(text) => Some(text.as_str().to_string()),
        other => traversal_text(other),
    }
}

/// `aws.paris` or `aws` written as a traversal (provider references).
fn traversal_text(expr: &EditExpr) -> Option<String> {
    match expr {
        EditExpr::Variable(name) => Some(name.as_str().to_string()),
        EditExpr::Traversal(traversal) => {
            let mut text = traversal_text(&traversal.expr)?;
            for op in &traversal.operators {
                match op.value() {
                    TraversalOperator::GetAttr(name) => {
                        text.push('.');
                        text.push_str(name.as_str());
                    }
                    _ => return None,
                }
            }
            Some(text)
        }
        _ => None,
    }
}

fn to_json(value: &Value) -> Json {
    serde_json::to_value(value).unwrap_or(Json::Null)
}

impl Reader<'_> {
    /// Records a note once (resources are evaluated in several passes).
    fn note(&mut self, message: String, span: Option<Span>) {
        let note = Note { message, span };
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    fn root(
        &mut self,
        dir: &str,
        only_file: Option<&str>,
        options: &HclOptions,
    ) -> Result<(), InputError> {
        let files = match only_file {
            Some(file) => vec![self.parse_file(file)?],
            None => self.parse_dir(dir)?,
        };
        if files.is_empty() {
            return Err(InputError::NotAPlan(format!("no `.tf` file in {dir}")));
        }
        let declared = declared_variables(&files);
        let mut vars: BTreeMap<String, VarValue> = BTreeMap::new();
        // Defaults, weakest.
        for (name, (default, at)) in &declared {
            if let Some(default) = default {
                let origin = format!("default in {}", self.at(*at));
                hcl_limits::evaluating_at(Some(*at));
                match Scope::default().evaluate(default) {
                    Ok(value) => vars.insert(
                        name.clone(),
                        VarValue {
                            value: Some(value),
                            origin,
                            references: Vec::new(),
                        },
                    ),
                    Err(_) => vars.insert(
                        name.clone(),
                        VarValue {
                            value: None,
                            origin,
                            references: Vec::new(),
                        },
                    ),
                };
            }
        }
        // Then variable files, in Terraform's order.
        let mut var_files = Vec::new();
        if only_file.is_none() {
            let listed = self.tree.list(dir).map_err(InputError::Unsupported)?;
            let tfvars = join(dir, "terraform.tfvars");
            if listed.contains(&tfvars) {
                var_files.push(tfvars);
            }
            var_files.extend(listed.into_iter().filter(|p| p.ends_with(".auto.tfvars")));
        }
        var_files.extend(options.var_files.iter().cloned());
        for path in var_files {
            let file = self.parse_file(&path)?;
            for attribute in file.body.attributes() {
                let name = attribute.key.as_str().to_string();
                let at = span_of(attribute.span(), file.source);
                let origin = format!("set in {}", self.at(at));
                hcl_limits::evaluating_at(Some(at));
                let value = Scope::default().evaluate(&attribute.value).ok();
                vars.insert(
                    name,
                    VarValue {
                        value,
                        origin,
                        references: Vec::new(),
                    },
                );
            }
        }
        hcl_limits::evaluating_at(None);
        for (name, raw) in &options.vars {
            // `--var` values are HCL when they parse as such, else strings.
            let value = hcl::edit::parser::parse_expr(raw)
                .ok()
                .and_then(|e| Scope::default().evaluate(&e).ok())
                .unwrap_or_else(|| Value::from(raw.as_str()));
            vars.insert(
                name.clone(),
                VarValue {
                    value: Some(value),
                    origin: "set by --var".into(),
                    references: Vec::new(),
                },
            );
        }
        for name in declared.keys() {
            vars.entry(name.clone()).or_insert_with(|| VarValue {
                value: None,
                origin: "no value given (Terraform would ask for it)".into(),
                references: Vec::new(),
            });
        }
        let scope = Scope {
            dir: dir.to_string(),
            root_dir: dir.to_string(),
            vars: vars.into(),
            ..Scope::default()
        };
        self.module(&files, scope)?;
        self.resolve_outputs();
        Ok(())
    }

    fn parse_dir(&mut self, dir: &str) -> Result<Vec<File>, InputError> {
        let listed = self.tree.list(dir).map_err(InputError::Unsupported)?;
        let mut files = Vec::new();
        for path in listed {
            if path.ends_with(".tf") {
                files.push(self.parse_file(&path)?);
            } else if path.ends_with(".tf.json") {
                self.note(format!("{path}: Terraform JSON syntax is not read yet; its resources are not checked"), None);
            }
        }
        Ok(files)
    }

    fn parse_file(&mut self, path: &str) -> Result<File, InputError> {
        let bytes = self.tree.read(path).map_err(InputError::Unsupported)?;
        let source = self.sources.len();
        let text = decode::decode(&bytes)?.into_owned();
        self.sources.push(Source::new(path, &text));
        self.texts.push(text);
        let text = &self.texts[source];
        if path.ends_with(".json") {
            let (body, blocks) = json_syntax::body(text, source)?;
            self.json_blocks
                .extend(blocks.into_iter().map(|(key, span)| ((source, key), span)));
            return Ok(File { source, body });
        }
        let body = hcl::edit::parser::parse_body(text).map_err(|e| {
            let offset = super::offset_of(text, e.location().line(), e.location().column());
            InputError::Syntax {
                span: Span {
                    file: source,
                    start: offset,
                    end: offset,
                },
                message: format!("invalid HCL: {}", e.message()),
            }
        })?;
        Ok(File { source, body })
    }

    /// Where a block is: from the parser, or for JSON syntax from the offsets
    /// recorded when converting it.
    fn block_span(&self, block: &Block, source: usize) -> Span {
        if block.span().is_some() {
            return span_of(block.span(), source);
        }
        let key: Vec<String> = std::iter::once(block.ident.as_str().to_string())
            .chain(block.labels.iter().map(|l| l.as_str().to_string()))
            .collect();
        self.json_blocks
            .get(&(source, key))
            .copied()
            .unwrap_or_else(|| span_of(None, source))
    }

    /// ` at file:line` of an attribute, or nothing when the input has no
    /// position for it (JSON syntax).
    fn attribute_at(&self, attribute: &Attribute, source: usize) -> String {
        match attribute.span() {
            Some(range) => format!(" at {}", self.at(span_of(Some(range), source))),
            None => String::new(),
        }
    }

    /// `file:line` of a span, for provenance texts.
    fn at(&self, span: Span) -> String {
        match self.sources.get(span.file) {
            Some(source) => {
                let line = crate::model::LineIndex::new(&self.texts[span.file])
                    .position(span.start)
                    .0;
                format!("{}:{line}", source.name)
            }
            None => "?".into(),
        }
    }

    /// Evaluates one module instance: locals, providers, resources, calls.
    fn module(&mut self, files: &[File], mut scope: Scope) -> Result<(), InputError> {
        scope.locals = evaluate_locals(files, &scope).into();
        let sources = required_providers(files, &scope);
        Rc::make_mut(&mut scope.sources).extend(sources);

        for (file, block) in blocks_named(files, "provider") {
            hcl_limits::evaluating_at(Some(self.block_span(block, file.source)));
            let Some(name) = block.labels.first().map(|l| l.as_str().to_string()) else {
                continue;
            };
            let alias = block
                .body
                .get_attribute("alias")
                .and_then(|a| scope.evaluate(&a.value).ok())
                .and_then(|v| v.as_str().map(str::to_string));
            let key = match alias {
                Some(alias) => format!("{name}.{alias}"),
                None => name.clone(),
            };
            let label = if scope.address.is_empty() {
                format!(
                    "provider `{key}` ({})",
                    self.at(self.block_span(block, file.source))
                )
            } else {
                format!(
                    "provider `{key}` in {} ({})",
                    scope.address,
                    self.at(self.block_span(block, file.source))
                )
            };
            let settings = self.settings(&block.body, file.source, &scope, &label, &key);
            Rc::make_mut(&mut scope.providers).insert(key, settings);
        }

        // Resources read each other's configured attributes (a storage
        // account's `location = azurerm_resource_group.rg.location`), as a
        // plan would show them. Evaluate in passes until nothing changes.
        let mut resources = Vec::new();
        for _ in 0..MAX_REFERENCE_PASSES {
            resources.clear();
            for (file, block) in blocks_named(files, "resource") {
                hcl_limits::evaluating_at(Some(self.block_span(block, file.source)));
                resources.extend(self.resource(block, file.source, &scope));
            }
            let known = resource_values(&resources);
            if known == *scope.resources {
                break;
            }
            scope.resources = known.into();
            scope.locals = evaluate_locals(files, &scope).into();
        }
        self.resources
            .extend(resources.into_iter().map(|(resource, _)| resource));

        for (file, block) in blocks_named(files, "module") {
            self.module_call(block, file.source, &scope)?;
        }
        Ok(())
    }

    /// A provider block's settings as a value tree, with provenance and spans.
    fn settings(
        &self,
        body: &Body,
        source: usize,
        scope: &Scope,
        label: &str,
        key: &str,
    ) -> ProviderSettings {
        let mut settings = ProviderSettings {
            key: Some(key.to_string()),
            values: Json::Object(Map::new()),
            unknown: Json::Object(Map::new()),
            provenance: BTreeMap::new(),
            spans: BTreeMap::new(),
        };
        let evaluated = self.body(body, source, scope, "", None);
        settings.values = evaluated.values;
        settings.unknown = evaluated.unknown;
        for (path, (kind, detail)) in evaluated.described {
            settings
                .provenance
                .insert(path, Provenance::new(kind, format!("{label}: {detail}")));
        }
        settings.spans = evaluated.spans;
        settings
    }

    /// The instances of a resource block, each with its instance key.
    fn resource(
        &mut self,
        block: &Block,
        source: usize,
        scope: &Scope,
    ) -> Vec<(Resource, InstanceKey)> {
        let (Some(resource_type), Some(name)) = (block.labels.first(), block.labels.get(1)) else {
            return Vec::new();
        };
        let (resource_type, name) = (
            resource_type.as_str().to_string(),
            name.as_str().to_string(),
        );
        let base = if scope.address.is_empty() {
            format!("{resource_type}.{name}")
        } else {
            format!("{}.{resource_type}.{name}", scope.address)
        };
        let block_span = self.block_span(block, source);

        let provider_key = block
            .body
            .get_attribute("provider")
            .and_then(|a| reference_text(&a.value))
            .unwrap_or_else(|| {
                resource_type
                    .split('_')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            });
        let local_name = provider_key
            .split('.')
            .next()
            .unwrap_or_default()
            .to_string();
        let provider = scope
            .sources
            .get(&local_name)
            .cloned()
            .unwrap_or_else(|| format!("hashicorp/{local_name}"));
        let settings = std::sync::Arc::new(
            scope
                .providers
                .get(&provider_key)
                .cloned()
                .unwrap_or_else(|| ProviderSettings {
                    key: None,
                    values: Json::Object(Map::new()),
                    unknown: Json::Object(Map::new()),
                    provenance: BTreeMap::new(),
                    spans: BTreeMap::new(),
                }),
        );

        let mut out = Vec::new();
        for (address, instance) in self.instances(&block.body, scope, &base, block_span) {
            let key = match (&instance.count, &instance.each) {
                (Some(index), _) => InstanceKey::Index(index.as_u64().unwrap_or_default() as usize),
                (None, Some((key, _))) => {
                    InstanceKey::Key(key.as_str().unwrap_or_default().to_string())
                }
                (None, None) => InstanceKey::Single,
            };
            let evaluated = self.body(&block.body, source, &instance, "", None);
            // Attributes in nested blocks count as their block's too: a
            // block the configuration writes is not computed by the provider.
            let mut configured = BTreeMap::new();
            for (path, (kind, detail)) in &evaluated.described {
                let provenance = Provenance::new(kind.clone(), detail.clone());
                let top = path.split(['.', '[']).next().unwrap_or(path);
                if top != path {
                    configured
                        .entry(top.to_string())
                        .or_insert_with(|| provenance.clone());
                }
                configured.insert(path.clone(), provenance);
            }
            let references = block
                .body
                .attributes()
                .filter(|a| !META_ARGUMENTS.contains(&a.key.as_str()))
                .map(|a| (a.key.as_str().to_string(), referenced(&a.value, &instance)))
                .filter(|(_, r)| !r.is_empty())
                .collect();
            let resource = Resource {
                address,
                resource_type: resource_type.clone(),
                provider: provider.clone(),
                action: Action::Planned,
                attributes: evaluated.values,
                unknown: evaluated.unknown,
                configured,
                provider_settings: settings.clone(),
                span: block_span,
                attribute_spans: evaluated.spans,
                waivers: waivers_above(&self.texts[source], block_span),
                locations: Vec::new(),
                references,
                form: crate::model::Form::Source,
            };
            out.push((resource, key));
        }
        out
    }

    /// The instances `count` or `for_each` make, each with its address and
    /// scope; one instance when neither is set or their value is unknown.
    fn instances(
        &mut self,
        body: &Body,
        scope: &Scope,
        base: &str,
        span: Span,
    ) -> Vec<(String, Scope)> {
        if let Some(count) = body.get_attribute("count") {
            let max = hcl_limits::active().terraform_instances;
            return match scope.evaluate(&count.value).ok().and_then(|v| v.as_u64()) {
                Some(n) if n > max as u64 => {
                    hcl_limits::exceeded(Exceeded {
                        limit: "terraform-instances",
                        max,
                        what: format!("`count` of {base} is {n}"),
                        span: Some(span),
                    });
                    Vec::new()
                }
                Some(n) => (0..n)
                    .map(|i| {
                        let mut instance = scope.clone();
                        instance.count = Some(Value::from(i));
                        (format!("{base}[{i}]"), instance)
                    })
                    .collect(),
                None => {
                    self.note(
                        format!("{base}: `count` is not known before apply; checked once"),
                        Some(span),
                    );
                    vec![(base.to_string(), scope.clone())]
                }
            };
        }
        if let Some(for_each) = body.get_attribute("for_each") {
            let items: Option<Vec<(String, Value)>> = match scope.evaluate(&for_each.value) {
                Ok(Value::Object(map)) => Some(map.into_iter().collect()),
                Ok(Value::Array(items)) => items
                    .into_iter()
                    .map(|item| item.as_str().map(|key| (key.to_string(), item.clone())))
                    .collect(),
                _ => None,
            };
            let max = hcl_limits::active().terraform_instances;
            return match items {
                Some(items) if items.len() > max => {
                    hcl_limits::exceeded(Exceeded {
                        limit: "terraform-instances",
                        max,
                        what: format!("`for_each` of {base} has {} items", items.len()),
                        span: Some(span),
                    });
                    Vec::new()
                }
                Some(items) => items
                    .into_iter()
                    .map(|(key, value)| {
                        let mut instance = scope.clone();
                        instance.each = Some((Value::from(key.as_str()), value));
                        (format!("{base}[{}]", Json::String(key)), instance)
                    })
                    .collect(),
                None => {
                    self.note(
                        format!("{base}: `for_each` is not known before apply; checked once"),
                        Some(span),
                    );
                    vec![(base.to_string(), scope.clone())]
                }
            };
        }
        vec![(base.to_string(), scope.clone())]
    }

    /// Evaluates a block body into planned-value and unknown trees, as in a
    /// plan, with the provenance and span of each attribute.
    /// `iterator` is the variable of an enclosing `dynamic` block, if any.
    fn body(
        &self,
        body: &Body,
        source: usize,
        scope: &Scope,
        prefix: &str,
        iterator: Option<&(String, Value)>,
    ) -> Evaluated {
        let mut out = Evaluated::default();
        let mut ctx = scope.context_for(&Reads::of(body.attributes().map(|a| &a.value)));
        if let Some((name, value)) = iterator {
            ctx.declare_var(name.clone(), value.clone());
        }
        let mut values = Map::new();
        let mut unknown = Map::new();
        for attribute in body.attributes() {
            let key = attribute.key.as_str();
            if META_ARGUMENTS.contains(&key) {
                continue;
            }
            let path = format!("{prefix}{key}");
            if attribute.span().is_some() {
                out.spans
                    .insert(path.clone(), span_of(attribute.span(), source));
            }
            match evaluate_in(&ctx, &attribute.value) {
                Ok(value) => {
                    out.described
                        .insert(path, self.describe(attribute, &value, source, scope));
                    values.insert(key.to_string(), to_json(&value));
                }
                Err(_) => {
                    out.described.insert(
                        path,
                        (
                            ProvenanceKind::Unknown,
                            format!(
                                "`{key}`{} is not known before apply",
                                self.attribute_at(attribute, source)
                            ),
                        ),
                    );
                    unknown.insert(key.to_string(), Json::Bool(true));
                }
            }
        }
        // Nested blocks become lists of objects, as in plan JSON.
        let mut blocks: BTreeMap<String, (Vec<Json>, Vec<Json>, bool)> = BTreeMap::new();
        for block in body.blocks() {
            let ident = block.ident.as_str();
            if META_BLOCKS.contains(&ident) {
                continue;
            }
            if ident == "dynamic" {
                let Some(name) = block.labels.first().map(|l| l.as_str().to_string()) else {
                    continue;
                };
                out.spans
                    .entry(format!("{prefix}{name}"))
                    .or_insert(span_of(block.span(), source));
                let entry = blocks.entry(name.clone()).or_default();
                match self.dynamic(block, source, scope, &format!("{prefix}{name}"), iterator) {
                    Some(items) => {
                        for (v, u) in items {
                            entry.0.push(v);
                            entry.1.push(u);
                        }
                    }
                    None => entry.2 = true,
                }
                continue;
            }
            out.spans
                .entry(format!("{prefix}{ident}"))
                .or_insert(span_of(block.span(), source));
            let entry = blocks.entry(ident.to_string()).or_default();
            let index = entry.0.len();
            let inner = self.body(
                &block.body,
                source,
                scope,
                &format!("{prefix}{ident}[{index}]."),
                iterator,
            );
            entry.0.push(inner.values);
            entry.1.push(inner.unknown);
            out.spans.extend(inner.spans);
            out.described.extend(inner.described);
        }
        for (name, (block_values, block_unknown, is_unknown)) in blocks {
            if is_unknown {
                unknown.insert(name, Json::Bool(true));
            } else {
                values.insert(name.clone(), Json::Array(block_values));
                unknown.insert(name, Json::Array(block_unknown));
            }
        }
        out.values = Json::Object(values);
        out.unknown = Json::Object(unknown);
        out
    }

    /// Expands a `dynamic` block; `None` when its collection is unknown.
    fn dynamic(
        &self,
        block: &Block,
        source: usize,
        scope: &Scope,
        path: &str,
        outer: Option<&(String, Value)>,
    ) -> Option<Vec<(Json, Json)>> {
        let name = block.labels.first()?.as_str().to_string();
        let iterator = block
            .body
            .get_attribute("iterator")
            .and_then(|a| traversal_text(&a.value))
            .unwrap_or(name);
        let for_each = &block.body.get_attribute("for_each")?.value;
        let mut ctx = scope.context_for(&Reads::of([for_each]));
        if let Some((outer_name, outer_value)) = outer {
            ctx.declare_var(outer_name.clone(), outer_value.clone());
        }
        let collection = evaluate_in(&ctx, for_each).ok()?;
        let items: Vec<(Value, Value)> = match collection {
            Value::Object(map) => map.into_iter().map(|(k, v)| (Value::from(k), v)).collect(),
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Value::from(i), v))
                .collect(),
            _ => return None,
        };
        let content = block.body.get_blocks("content").next()?;
        let mut out = Vec::new();
        for (i, (key, value)) in items.into_iter().enumerate() {
            let mut object = HclMap::new();
            object.insert("key".into(), key);
            object.insert("value".into(), value);
            let variable = (iterator.clone(), Value::Object(object));
            let evaluated = self.body(
                &content.body,
                source,
                scope,
                &format!("{path}[{i}]."),
                Some(&variable),
            );
            out.push((evaluated.values, evaluated.unknown));
        }
        Some(out)
    }

    /// What an attribute's value is and where it came from, in words.
    fn describe(
        &self,
        attribute: &Attribute,
        value: &Value,
        source: usize,
        scope: &Scope,
    ) -> (ProvenanceKind, String) {
        let key = attribute.key.as_str();
        let at = self.attribute_at(attribute, source);
        let shown = to_json(value);
        let used = variables_used(&attribute.value);
        if used.is_empty() {
            return (ProvenanceKind::Literal, format!("`{key}` = {shown}{at}"));
        }
        let origins: Vec<String> = used
            .iter()
            .map(|reference| {
                match reference
                    .strip_prefix("var.")
                    .and_then(|var| scope.vars.get(var))
                {
                    Some(v) => format!("{reference} {}", v.origin),
                    None => reference.clone(),
                }
            })
            .collect();
        (
            ProvenanceKind::Variable,
            format!("`{key}` = {shown}{at}, from {}", origins.join(", ")),
        )
    }

    fn module_call(
        &mut self,
        block: &Block,
        source: usize,
        scope: &Scope,
    ) -> Result<(), InputError> {
        let Some(name) = block.labels.first().map(|l| l.as_str().to_string()) else {
            return Ok(());
        };
        let span = self.block_span(block, source);
        hcl_limits::evaluating_at(Some(span));
        let call_address = if scope.address.is_empty() {
            format!("module.{name}")
        } else {
            format!("{}.module.{name}", scope.address)
        };
        let module_source = block
            .body
            .get_attribute("source")
            .and_then(|a| scope.evaluate(&a.value).ok())
            .and_then(|v| v.as_str().map(str::to_string));
        let is_local = |s: &String| s.starts_with("./") || s.starts_with("../");
        let Some(module_source) = module_source.clone().filter(is_local) else {
            self.note(format!(
                    "{call_address}: remote module {} is not followed; its resources are not checked (scan the plan to cover them)",
                    module_source.map(|s| format!("`{s}`")).unwrap_or_else(|| "with an unknown source".into())
                ), Some(span));
            return Ok(());
        };
        let max = hcl_limits::active().terraform_module_depth;
        if scope.depth >= max {
            // Usually a module that calls itself: reading on would never end,
            // and skipping it would report its resources as clean.
            return Err(Exceeded {
                limit: "terraform-module-depth",
                max,
                what: format!("{call_address}: local modules nest deeper than {max}"),
                span: Some(span),
            }
            .into());
        }
        let dir = join(&scope.dir, &module_source);
        if !self.modules.contains(&dir) {
            self.modules.push(dir.clone());
        }
        let files = self.parse_dir(&dir)?;
        if files.is_empty() {
            self.note(
                format!("{call_address}: no `.tf` file in {dir}; not followed"),
                Some(span),
            );
            return Ok(());
        }
        let declared = declared_variables(&files);

        // Providers: the defaults are inherited; `providers = {}` maps others.
        let mut providers: BTreeMap<String, ProviderSettings> = scope
            .providers
            .iter()
            .filter(|(key, _)| !key.contains('.'))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(map) = block.body.get_attribute("providers")
            && let EditExpr::Object(object) = &map.value
        {
            for (key, value) in object.iter() {
                let child_key = match key {
                    ObjectKey::Ident(ident) => Some(ident.as_str().to_string()),
                    ObjectKey::Expression(expr) => traversal_text(expr),
                };
                let parent_key = reference_text(value.expr());
                if let (Some(child_key), Some(parent_key)) = (child_key, parent_key) {
                    match scope.providers.get(&parent_key) {
                        Some(provider) => {
                            providers.insert(child_key, provider.clone());
                        }
                        None => {
                            providers.remove(&child_key);
                        }
                    }
                }
            }
        }

        for (address, instance) in self.instances(&block.body, scope, &call_address, span) {
            let mut vars = BTreeMap::new();
            for (var, (default, at)) in &declared {
                let argument = block.body.get_attribute(var);
                let value = match argument {
                    Some(argument) => {
                        hcl_limits::evaluating_at(Some(span_of(argument.span(), source)));
                        let origin = match var_reference(&argument.value)
                            .and_then(|v| instance.vars.get(&v).map(|o| (v, o)))
                        {
                            Some((parent_var, o)) => {
                                format!("argument of {address} = var.{parent_var} ({})", o.origin)
                            }
                            None => format!(
                                "argument of {address} at {}",
                                self.at(span_of(argument.span(), source))
                            ),
                        };
                        VarValue {
                            value: instance.evaluate(&argument.value).ok(),
                            origin,
                            references: referenced(&argument.value, &instance),
                        }
                    }
                    None => VarValue {
                        value: default.as_ref().and_then(|d| {
                            hcl_limits::evaluating_at(Some(*at));
                            Scope::default().evaluate(d).ok()
                        }),
                        origin: format!("default in {}", self.at(*at)),
                        references: Vec::new(),
                    },
                };
                vars.insert(var.clone(), value);
            }
            let child = Scope {
                address,
                dir: dir.clone(),
                root_dir: scope.root_dir.clone(),
                vars: vars.into(),
                locals: Default::default(),
                resources: Default::default(),
                providers: Rc::new(providers.clone()),
                sources: scope.sources.clone(),
                each: None,
                count: None,
                depth: scope.depth + 1,
            };
            for (_, output) in blocks_named(&files, "output") {
                let (Some(label), Some(value)) =
                    (output.labels.first(), output.body.get_attribute("value"))
                else {
                    continue;
                };
                let key = format!(
                    "{}.{}",
                    reference::without_keys(&child.address),
                    label.as_str()
                );
                let found = referenced(&value.value, &child);
                reference::add_new(self.outputs.entry(key).or_default(), found);
            }
            self.module(&files, child)?;
        }
        Ok(())
    }

    /// Replaces the module outputs among resources' references with what
    /// the outputs refer to, through outputs of outputs.
    fn resolve_outputs(&mut self) {
        const MAX_DEPTH: usize = 32;
        for resource in &mut self.resources {
            for addresses in resource.references.values_mut() {
                for _ in 0..MAX_DEPTH {
                    if !addresses.iter().any(|a| self.outputs.contains_key(a)) {
                        break;
                    }
                    let mut resolved = Vec::new();
                    for address in addresses.drain(..) {
                        let next = match self.outputs.get(&address) {
                            Some(found) => found.clone(),
                            None => vec![address],
                        };
                        reference::add_new(&mut resolved, next);
                    }
                    *addresses = resolved;
                }
            }
        }
    }
}

/// Waivers in the comment lines directly above a block:
/// `# souverain:ignore SOV101,SOV301 reason="..." expires=2027-06-30`.
fn waivers_above(text: &str, block: Span) -> Vec<Waiver> {
    let mut out = Vec::new();
    let mut end = text[..block.start.min(text.len())]
        .trim_end_matches([' ', '\t'])
        .len();
    while end > 0 {
        let line_start = text[..end.saturating_sub(1)]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let line = text[line_start..end].trim();
        let comment = line.strip_prefix('#').or_else(|| line.strip_prefix("//"));
        let Some(comment) = comment else { break };
        if let Some(waiver) = super::waiver::parse(comment.trim(), line_start, block.file) {
            out.push(waiver);
        }
        end = line_start.saturating_sub(1);
    }
    out
}

/// How many times resources are evaluated to let them read each other.
const MAX_REFERENCE_PASSES: usize = 4;

/// Which instance of a resource block: `count` index, `for_each` key, or the only one.
enum InstanceKey {
    Single,
    Index(usize),
    Key(String),
}

/// Known attribute values of resources as references see them:
/// `type.name.attr`, `type.name[0].attr`, `type.name["key"].attr`.
fn resource_values(resources: &[(Resource, InstanceKey)]) -> HclMap<String, Value> {
    let mut out: HclMap<String, Value> = HclMap::new();
    for (resource, key) in resources {
        let Some(name) = resource
            .address
            .rsplit_once(&format!("{}.", resource.resource_type))
            .map(|(_, rest)| rest.split('[').next().unwrap_or(rest).to_string())
        else {
            continue;
        };
        let value = hcl::to_value(&resource.attributes).unwrap_or(Value::Null);
        let by_name = out
            .entry(resource.resource_type.clone())
            .or_insert_with(|| Value::Object(HclMap::new()));
        let Value::Object(by_name) = by_name else {
            continue;
        };
        match key {
            InstanceKey::Single => {
                by_name.insert(name, value);
            }
            InstanceKey::Index(index) => {
                let entry = by_name
                    .entry(name)
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = entry {
                    if items.len() <= *index {
                        items.resize(*index + 1, Value::Null);
                    }
                    items[*index] = value;
                }
            }
            InstanceKey::Key(key) => {
                let entry = by_name
                    .entry(name)
                    .or_insert_with(|| Value::Object(HclMap::new()));
                if let Value::Object(items) = entry {
                    items.insert(key.clone(), value);
                }
            }
        }
    }
    out
}

/// Resource arguments that are not attributes of the resource.
const META_ARGUMENTS: &[&str] = &[
    "count",
    "for_each",
    "provider",
    "depends_on",
    "alias",
    "source",
    "version",
];
const META_BLOCKS: &[&str] = &["lifecycle", "provisioner", "connection"];

#[derive(Default)]
struct Evaluated {
    values: Json,
    unknown: Json,
    /// By concrete path: provenance kind and words.
    described: BTreeMap<String, (ProvenanceKind, String)>,
    spans: BTreeMap<String, Span>,
}

fn span_of(range: Option<std::ops::Range<usize>>, file: usize) -> Span {
    let range = range.unwrap_or(0..0);
    Span {
        file,
        start: range.start,
        end: range.end,
    }
}

/// Every block of `ident` across a module's files, with its file.
fn blocks_named<'f>(
    files: &'f [File],
    ident: &'f str,
) -> impl Iterator<Item = (&'f File, &'f Block)> + 'f {
    files.iter().flat_map(move |file| {
        file.body
            .blocks()
            .filter(move |b| b.ident.as_str() == ident)
            .map(move |block| (file, block))
    })
}

/// Variables a module declares: default expression and the span of the block.
fn declared_variables(files: &[File]) -> BTreeMap<String, (Option<EditExpr>, Span)> {
    let mut out = BTreeMap::new();
    for (file, block) in blocks_named(files, "variable") {
        if let Some(name) = block.labels.first() {
            let default = block.body.get_attribute("default").map(|a| a.value.clone());
            out.insert(
                name.as_str().to_string(),
                (default, span_of(block.span(), file.source)),
            );
        }
    }
    out
}

/// Locals evaluated in dependency order: passes until none more resolves.
fn evaluate_locals(files: &[File], scope: &Scope) -> HclMap<String, Value> {
    let mut pending: Vec<(String, &EditExpr, Span)> = blocks_named(files, "locals")
        .flat_map(|(file, b)| {
            b.body.attributes().map(|a| {
                let at = span_of(a.span(), file.source);
                (a.key.as_str().to_string(), &a.value, at)
            })
        })
        .collect();
    let mut scope = scope.clone();
    loop {
        let before = pending.len();
        let ctx = scope.context_for(&Reads::of(pending.iter().map(|(_, expr, _)| *expr)));
        let mut resolved = Vec::new();
        pending.retain(|(name, expr, at)| {
            hcl_limits::evaluating_at(Some(*at));
            match evaluate_in(&ctx, expr) {
                Ok(value) => {
                    resolved.push((name.clone(), value));
                    false
                }
                Err(_) => true,
            }
        });
        Rc::make_mut(&mut scope.locals).extend(resolved);
        if pending.is_empty() || pending.len() == before {
            return Rc::unwrap_or_clone(scope.locals);
        }
    }
}

/// `terraform { required_providers { aws = { source = "hashicorp/aws" } } }`.
fn required_providers(files: &[File], scope: &Scope) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (file, terraform) in blocks_named(files, "terraform") {
        hcl_limits::evaluating_at(Some(span_of(terraform.span(), file.source)));
        for required in terraform
            .body
            .blocks()
            .filter(|b| b.ident.as_str() == "required_providers")
        {
            for attribute in required.body.attributes() {
                let source = scope.evaluate(&attribute.value).ok().and_then(|v| match v {
                    Value::Object(map) => map
                        .get("source")
                        .and_then(|s| s.as_str().map(str::to_string)),
                    _ => None,
                });
                if let Some(source) = source {
                    out.insert(
                        attribute.key.as_str().to_string(),
                        super::tfplan::provider_source(&source),
                    );
                }
            }
        }
    }
    out
}

fn parent(path: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, _)) => dir.to_string(),
        None => ".".to_string(),
    }
}

/// `a/b` + `../c` → `a/c`; `.` components dropped.
pub fn join(dir: &str, relative: &str) -> String {
    normalize(&format!("{dir}/{relative}"))
}

fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_and_normalise() {
        assert_eq!(join("envs/prod", "../../modules/net"), "modules/net");
        assert_eq!(join(".", "./modules/net"), "modules/net");
        assert_eq!(join("/repo/envs", "./x"), "/repo/envs/x");
        assert_eq!(join("a", ".."), ".");
        assert_eq!(parent("a/b/main.tf"), "a/b");
    }

    #[test]
    fn waivers_are_read_from_the_comments_above_a_block() {
        let text = "# unrelated\n\n# souverain:ignore SOV101,provider-not-qualified reason=\"Contract 42, until migration\" expires=2027-06-30\n// souverain:ignore SOV201\nresource \"a\" \"b\" {}\n";
        let start = text.find("resource").expect("block");
        let waivers = waivers_above(
            text,
            Span {
                file: 0,
                start,
                end: text.len(),
            },
        );
        assert_eq!(waivers.len(), 2);
        let with_reason = waivers
            .iter()
            .find(|w| w.reason.is_some())
            .expect("reasoned waiver");
        assert_eq!(with_reason.rules, vec!["SOV101", "provider-not-qualified"]);
        assert_eq!(
            with_reason.reason.as_deref(),
            Some("Contract 42, until migration")
        );
        assert_eq!(with_reason.expires.as_deref(), Some("2027-06-30"));
        let without = waivers
            .iter()
            .find(|w| w.reason.is_none())
            .expect("waiver without reason");
        assert_eq!(without.rules, vec!["SOV201"]);
        // A blank line ends the comment run: the waiver is not the block's.
        let detached = "# souverain:ignore SOV101 reason=\"x\"\n\nresource";
        let start = detached.find("resource").expect("block");
        assert!(
            waivers_above(
                detached,
                Span {
                    file: 0,
                    start,
                    end: detached.len()
                }
            )
            .is_empty()
        );
    }

    #[test]
    fn try_settles_the_first_argument_that_evaluates() {
        let ctx = Scope::default().context_for(&Reads::default());
        let expr = hcl::edit::parser::parse_expr(r#"try(var.missing.region, lower("EU-WEST-3"))"#)
            .expect("parses");
        assert_eq!(evaluate_in(&ctx, &expr), Ok(Value::from("eu-west-3")));
        let expr = hcl::edit::parser::parse_expr("can(var.missing)").expect("parses");
        assert_eq!(evaluate_in(&ctx, &expr), Ok(Value::Bool(false)));
    }
}
