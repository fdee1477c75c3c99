//! The fuzz harness (`fuzz/harness.rs`) run by the test suite:
//! - every input a fuzzer once crashed on, saved in
//!   `testdata/fuzz-regressions/<target>/`, is replayed by its target;
//! - every seed the fuzzers start from (testdata and the shared corpus) is
//!   run by the targets of its kind, so the harness's checks hold on real
//!   inputs and not only on the fuzzers' mutations.
//!
//! The harness answers AdmissionReviews through the webhook's code, so this
//! test needs the `webhook` feature (a default one).
#![cfg(feature = "webhook")]

mod common;

// The tests use every function of the harness but not every constant alike.
#[allow(dead_code)]
#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn target(name: &str) -> harness::Target {
    harness::TARGETS
        .iter()
        .find(|(target, _)| *target == name)
        .unwrap_or_else(|| panic!("no fuzz target `{name}`"))
        .1
}

fn run(name: &str, file: &Path) {
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let outcome = std::panic::catch_unwind(|| target(name)(&bytes));
    assert!(
        outcome.is_ok(),
        "fuzz target {name} fails on {}",
        file.display()
    );
}

#[test]
fn crashes_found_by_fuzzing_stay_fixed() {
    let dir = common::root().join("testdata/fuzz-regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).expect("testdata/fuzz-regressions") {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        for file in common::files_under(&entry.path()) {
            run(&name, &file);
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no regression input under {}", dir.display());
}

/// The fuzz targets a seed file feeds: by extension, as `fuzz/seed.sh` sorts them.
fn targets_of(file: &Path) -> &'static [&'static str] {
    let path = file.to_string_lossy();
    match file.extension().and_then(|e| e.to_str()) {
        _ if path.contains("/policies/") => &["policy"],
        Some("json") if path.contains("admission") => &["admission_review", "scan"],
        Some("json") => &["plan_json", "scan"],
        Some("tf") => &["hcl", "scan"],
        Some("yaml" | "yml") => &["manifests", "scan"],
        _ => &[],
    }
}

/// The first byte that makes the `scan` target name its input as `seed` is
/// named (an index into `harness::SCAN_NAMES`).
fn scan_name_byte(seed: &Path) -> u8 {
    let name = match seed.extension().and_then(|e| e.to_str()) {
        Some("tf") => "main.tf",
        Some("yaml" | "yml") => "manifests.yaml",
        _ if seed.to_string_lossy().contains("admission") => "review.json",
        _ => "plan.json",
    };
    let index = harness::SCAN_NAMES.iter().position(|n| *n == name);
    index.expect("a name the scan target gives") as u8
}

fn seeds() -> Vec<PathBuf> {
    let root = common::root();
    let mut seeds = common::files_under(&root.join("testdata"));
    seeds.extend(common::files_under(&root.join("policies")));
    if let Some(corpus) = common::corpus() {
        seeds.extend(common::files_under(&corpus));
    }
    seeds.retain(|seed| !seed.starts_with(root.join("testdata/fuzz-regressions")));
    seeds
}

#[test]
fn every_seed_passes_the_checks_of_its_fuzz_targets() {
    let mut runs = 0;
    for seed in seeds() {
        for name in targets_of(&seed) {
            if *name == "scan" {
                // `scan` reads its first byte as the choice of file name.
                let mut bytes = vec![scan_name_byte(&seed)];
                bytes.extend(std::fs::read(&seed).unwrap());
                let outcome = std::panic::catch_unwind(|| harness::scan(&bytes));
                assert!(
                    outcome.is_ok(),
                    "fuzz target scan fails on {}",
                    seed.display()
                );
            } else {
                run(name, &seed);
            }
            runs += 1;
        }
    }
    assert!(runs > 300, "only {runs} seed runs: is the corpus there?");
}
