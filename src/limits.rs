//! How much one input may ask of souverain (docs/limits.md).
//!
//! souverain reads untrusted input (a pull request, an AdmissionReview) and
//! must neither hang nor exhaust the machine: an alias bomb, a billion
//! `count` instances or a string doubled forty times fails its input with an
//! error naming the limit. The defaults sit one to two orders of magnitude
//! above real configurations; `--limit NAME=N` raises one for an input that
//! really needs it.

/// The limits an input is read under. Every field is in [`LIMITS`], which
/// names it for `--limit` and documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Nesting of YAML collections.
    pub yaml_depth: usize,
    /// Documents in one YAML stream.
    pub yaml_documents: usize,
    /// Nodes (scalars, sequences, mappings) in one YAML stream.
    pub yaml_nodes: usize,
    /// Events replayed by YAML alias expansion, across the stream.
    pub yaml_alias_replay: usize,
    /// Instances one Terraform resource or module block may make with
    /// `count` or `for_each`.
    pub terraform_instances: usize,
    /// Iterations of `for` expressions and template `for` directives in one
    /// Terraform expression, nested ones multiplied.
    pub terraform_evaluation_steps: usize,
    /// Size of one evaluated Terraform value: its strings' bytes plus one
    /// per element.
    pub terraform_value_bytes: usize,
    /// Nesting of local Terraform modules.
    pub terraform_module_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            yaml_depth: 64,
            yaml_documents: 100_000,
            yaml_nodes: 10_000_000,
            yaml_alias_replay: 100_000,
            terraform_instances: 10_000,
            terraform_evaluation_steps: 1_000_000,
            terraform_value_bytes: 16 * 1024 * 1024,
            terraform_module_depth: 16,
        }
    }
}

/// One limit: its name for `--limit`, what it bounds, and its field.
pub struct Limit {
    pub name: &'static str,
    pub input: &'static str,
    pub bounds: &'static str,
    pub field: fn(&mut Limits) -> &mut usize,
}

/// Every limit, in the order docs/limits.md lists them.
pub static LIMITS: &[Limit] = &[
    Limit {
        name: "yaml-depth",
        input: "YAML (manifests, AdmissionReviews)",
        bounds: "nesting of collections",
        field: |l| &mut l.yaml_depth,
    },
    Limit {
        name: "yaml-documents",
        input: "YAML",
        bounds: "documents in one stream",
        field: |l| &mut l.yaml_documents,
    },
    Limit {
        name: "yaml-nodes",
        input: "YAML",
        bounds: "nodes (scalars, sequences, mappings) in one stream",
        field: |l| &mut l.yaml_nodes,
    },
    Limit {
        name: "yaml-alias-replay",
        input: "YAML",
        bounds: "events replayed by alias expansion (alias bombs)",
        field: |l| &mut l.yaml_alias_replay,
    },
    Limit {
        name: "terraform-instances",
        input: "Terraform `count` / `for_each`",
        bounds: "instances of one resource or module block",
        field: |l| &mut l.terraform_instances,
    },
    Limit {
        name: "terraform-evaluation-steps",
        input: "Terraform expressions",
        bounds: "iterations of `for` expressions and template `for` directives in one expression, nested ones multiplied",
        field: |l| &mut l.terraform_evaluation_steps,
    },
    Limit {
        name: "terraform-value-bytes",
        input: "Terraform expressions",
        bounds: "size of one evaluated value (string bytes, plus one per element)",
        field: |l| &mut l.terraform_value_bytes,
    },
    Limit {
        name: "terraform-module-depth",
        input: "Terraform modules",
        bounds: "nesting of local modules",
        field: |l| &mut l.terraform_module_depth,
    },
];

impl Limits {
    /// The value of the limit `name`.
    pub fn get(&self, name: &str) -> Option<usize> {
        // One accessor per limit serves both `get` and `set`.
        let mut copy = *self;
        find(name).map(|limit| *(limit.field)(&mut copy))
    }

    /// Sets the limit `name` to `value`.
    pub fn set(&mut self, name: &str, value: usize) -> Result<(), String> {
        let limit = find(name).ok_or_else(|| {
            let names: Vec<&str> = LIMITS.iter().map(|l| l.name).collect();
            format!(
                "unknown limit `{name}`; the limits are {}",
                names.join(", ")
            )
        })?;
        if value == 0 {
            return Err(format!("limit `{name}` must be at least 1"));
        }
        *(limit.field)(self) = value;
        Ok(())
    }

    /// Applies `NAME=N`, as `--limit` takes it.
    pub fn apply(&mut self, assignment: &str) -> Result<(), String> {
        let (name, value) = assignment
            .split_once('=')
            .ok_or_else(|| format!("expected NAME=N, got `{assignment}`"))?;
        let value = value
            .trim()
            .replace('_', "")
            .parse()
            .map_err(|_| format!("limit `{name}`: `{value}` is not a positive whole number"))?;
        self.set(name.trim(), value)
    }
}

fn find(name: &str) -> Option<&'static Limit> {
    LIMITS.iter().find(|l| l.name == name)
}

/// The end of every message of an input that went over a limit: which limit,
/// its value, and how to raise it.
pub fn over(name: &str, value: usize) -> String {
    format!(
        "over the limit {name} = {value}: refused rather than evaluated; if a real input needs \
         more, raise it with `--limit {name}=N` (docs/limits.md)"
    )
}

/// The table of docs/limits.md, generated from [`LIMITS`] and the defaults.
pub fn reference_table() -> String {
    let defaults = Limits::default();
    let mut table = String::from("| limit | input | bounds | default |\n|---|---|---|---|\n");
    for limit in LIMITS {
        let value = defaults.get(limit.name).unwrap_or_default();
        table.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            limit.name,
            limit.input,
            limit.bounds,
            thousands(value)
        ));
    }
    table
}

fn thousands(value: usize) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_limit_has_a_field_of_its_own() {
        let mut limits = Limits::default();
        for (i, limit) in LIMITS.iter().enumerate() {
            limits
                .set(limit.name, 1_000_000_000 + i)
                .expect("a known limit");
        }
        for (i, limit) in LIMITS.iter().enumerate() {
            assert_eq!(
                limits.get(limit.name),
                Some(1_000_000_000 + i),
                "{}",
                limit.name
            );
        }
    }

    #[test]
    fn assignments_are_parsed_and_checked() {
        let mut limits = Limits::default();
        limits.apply("terraform-instances=50_000").expect("valid");
        assert_eq!(limits.terraform_instances, 50_000);
        limits.apply(" yaml-depth = 128").expect("valid");
        assert_eq!(limits.yaml_depth, 128);
        assert!(limits.apply("yaml-depth").unwrap_err().contains("NAME=N"));
        assert!(
            limits
                .apply("yaml-depth=-1")
                .unwrap_err()
                .contains("whole number")
        );
        assert!(
            limits
                .apply("yaml-depth=0")
                .unwrap_err()
                .contains("at least 1")
        );
        let unknown = limits.apply("depth=3").unwrap_err();
        assert!(unknown.contains("unknown limit `depth`") && unknown.contains("yaml-depth"));
    }

    #[test]
    fn the_message_names_the_limit_and_how_to_raise_it() {
        assert_eq!(thousands(16_777_216), "16,777,216");
        assert_eq!(thousands(64), "64");
        let message = over("terraform-instances", 10_000);
        assert!(message.contains("terraform-instances = 10000"));
        assert!(message.contains("--limit terraform-instances=N"));
    }
}
