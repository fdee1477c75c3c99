//! Helpers shared by the integration tests.
#![allow(dead_code)]

use souverain::model::{Finding, Verdict};

use souverain::{Engine, FileReport, Policy};
use std::path::{Path, PathBuf};

pub fn policy() -> &'static Policy {
    Policy::shared_default().expect("embedded policy")
}

/// Scans a file under the default profile; `path` is relative to the crate root.
pub fn scan(path: impl AsRef<Path>) -> FileReport {
    scan_with(path, None)
}

pub fn scan_with(path: impl AsRef<Path>, profile: Option<&str>) -> FileReport {
    let full = root().join(path.as_ref());
    let bytes =
        std::fs::read(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()));
    let engine = Engine::new(policy(), profile).expect("profile");
    engine.scan(&path.as_ref().display().to_string(), &bytes)
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Findings of one rule (by name) on one resource.
pub fn findings<'a>(report: &'a FileReport, rule: &str, resource: &str) -> Vec<&'a Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.name == rule && f.resource == resource)
        .collect()
}

pub fn verdicts(report: &FileReport, rule: &str, resource: &str) -> Vec<Verdict> {
    findings(report, rule, resource)
        .iter()
        .map(|f| f.verdict)
        .collect()
}

/// The shared corpus: `$SOUVERAIN_CORPUS`, else `../shared/corpus`. Under
/// `CI=true` a missing corpus fails the run instead of skipping.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("SOUVERAIN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/corpus"));
    if dir.is_dir() {
        return Some(dir);
    }
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        !in_ci,
        "corpus not found at {} (set SOUVERAIN_CORPUS); CI must not skip it",
        dir.display()
    );
    eprintln!(
        "corpus not found at {}: skipped (set SOUVERAIN_CORPUS)",
        dir.display()
    );
    None
}

/// Every file under `dir`, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A directory (or one file) of the disk, loaded into memory as the engine's
/// source tree, with paths relative to `base`.
pub fn memory_tree(base: &Path, entry: &Path) -> souverain::input::hcl::MemoryTree {
    let mut tree = souverain::input::hcl::MemoryTree::default();
    let files = if entry.is_dir() {
        files_under(entry)
    } else {
        vec![entry.to_path_buf()]
    };
    for file in files {
        let relative = file
            .strip_prefix(base)
            .expect("under base")
            .display()
            .to_string();
        tree.files
            .insert(relative, std::fs::read(&file).expect("readable"));
    }
    tree
}

/// What a report says, order aside: (resource, rule, verdict) triples, to
/// compare two reports of the same configuration.
pub fn finding_summary(report: &FileReport) -> Vec<(String, &'static str, Verdict)> {
    let mut summary: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.resource.clone(), f.rule, f.verdict))
        .collect();
    summary.sort();
    summary
}

/// Scans the Terraform module `dir` of an in-memory tree with default options.
pub fn scan_source(
    engine: &Engine,
    dir: &str,
    tree: &souverain::input::hcl::MemoryTree,
) -> FileReport {
    engine.scan_module(
        dir,
        dir,
        None,
        tree,
        &souverain::input::hcl::HclOptions::default(),
    )
}

/// A YAML file of the repository (cases, estates), parsed.
pub fn read_yaml<T: serde::de::DeserializeOwned>(relative: &str) -> T {
    let path = root().join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{relative}: {e}"));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{relative}: {e}"))
}
