//! The hooks of .pre-commit-hooks.yaml run by the real pre-commit (from
//! PyPI), as a user's repository runs them: a scratch git repository whose
//! .pre-commit-config.yaml points at a snapshot of this repository, with a
//! failing and a passing change. pre-commit installs the hooks with cargo,
//! so the test builds souverain once more: it runs when
//! `SOUVERAIN_PRE_COMMIT_TEST=1` (`.ci/run` sets it) and under `CI=true`,
//! where a missing pre-commit is a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn wanted() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let asked = std::env::var("SOUVERAIN_PRE_COMMIT_TEST").is_ok_and(|v| v == "1");
    if !(ci || asked) {
        eprintln!("pre-commit test skipped: set SOUVERAIN_PRE_COMMIT_TEST=1 to run it");
    }
    ci || asked
}

struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("souverain-pre-commit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let scratch = Self { dir };
        scratch.git(&["init", "-q", "-b", "main"]);
        scratch
    }

    fn git(&self, args: &[&str]) {
        let status = Command::new("git")
            .args(["-c", "user.name=test", "-c", "user.email=test@example.fr"])
            .args(args)
            .current_dir(&self.dir)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    fn write(&self, path: &str, fixture: &str) {
        let target = self.dir.join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(common::root().join(fixture), target).unwrap();
    }

    /// `pre-commit run <hook> <args>` with the hooks of `hooks` at `rev`.
    fn run_hook(&self, hooks: &Snapshot, hook: &str, args: &[&str]) -> Output {
        std::fs::write(
            self.dir.join(".pre-commit-config.yaml"),
            format!(
                "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: souverain\n      - id: souverain-manifests\n",
                hooks.dir.display(),
                hooks.rev
            ),
        )
        .unwrap();
        self.git(&["add", "-A"]);
        let build = common::root().join("target");
        Command::new("pre-commit")
            .args(["run", hook])
            .args(args)
            .current_dir(&self.dir)
            // pre-commit's environments and cargo's build, kept between
            // runs; a quick build profile, since speed is not tested here.
            .env("PRE_COMMIT_HOME", build.join("pre-commit-home"))
            .env("CARGO_TARGET_DIR", build.join("pre-commit-build"))
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_LTO", "off")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
            .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
            .output()
            .expect("pre-commit is installed (pip install pre-commit)")
    }
}

/// This repository's files (tracked, and new ones not ignored) committed
/// in a repository of their own, so that pre-commit installs the hooks of
/// the working tree once. A fixed date makes the same files the same
/// revision, which pre-commit has already installed on the next run.
struct Snapshot {
    dir: PathBuf,
    rev: String,
}

impl Snapshot {
    fn of_this_repository() -> Self {
        let dir = common::root().join("target/pre-commit-hooks-repo");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let listed = Command::new("git")
            .args([
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ])
            .current_dir(common::root())
            .output()
            .unwrap();
        for file in listed.stdout.split(|b| *b == 0).filter(|f| !f.is_empty()) {
            let relative = std::str::from_utf8(file).unwrap();
            let from = common::root().join(relative);
            if !from.is_file() {
                continue; // deleted in the working tree
            }
            let to = dir.join(relative);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(from, to).unwrap();
        }
        let git = |args: &[&str]| {
            let output = Command::new("git")
                .args([
                    "-c",
                    "user.name=snapshot",
                    "-c",
                    "user.email=snapshot@example.fr",
                ])
                .args(args)
                .current_dir(&dir)
                .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
                .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
                .output()
                .unwrap();
            assert!(output.status.success(), "git {args:?}");
            String::from_utf8(output.stdout).unwrap().trim().to_string()
        };
        git(&["init", "-q", "-b", "main"]);
        git(&["add", "-A"]);
        git(&["commit", "-q", "-m", "snapshot"]);
        let rev = git(&["rev-parse", "HEAD"]);
        Self { dir, rev }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn copy_dir(from: &Path, scratch: &Scratch, to: &str) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let relative = path.strip_prefix(common::root()).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        scratch.write(&format!("{to}/{name}"), relative.to_str().unwrap());
    }
}

#[test]
fn the_hooks_fail_a_bad_change_and_pass_a_good_one() {
    if !wanted() {
        return;
    }
    let hooks = Snapshot::of_this_repository();
    let scratch = Scratch::new();
    // A CI workflow: YAML that is not a manifest, skipped.
    std::fs::create_dir_all(scratch.dir.join(".github/workflows")).unwrap();
    std::fs::write(
        scratch.dir.join(".github/workflows/ci.yml"),
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps: []\n",
    )
    .unwrap();
    scratch.write(
        "k8s/app.yaml",
        "testdata/k8s/pass/deployment-pinned-to-paris.yaml",
    );
    scratch.git(&["add", "-A"]);
    scratch.git(&["commit", "-q", "-m", "a French deployment"]);

    let passing = scratch.run_hook(
        &hooks,
        "souverain-manifests",
        &["--files", "k8s/app.yaml", ".github/workflows/ci.yml"],
    );
    assert!(passing.status.success(), "{}", text(&passing));

    scratch.write(
        "k8s/jobs.yaml",
        "testdata/k8s/fail/cronjob-beta-label-us.yaml",
    );
    let failing = scratch.run_hook(&hooks, "souverain-manifests", &["--files", "k8s/jobs.yaml"]);
    assert_eq!(failing.status.code(), Some(1), "{}", text(&failing));
    assert!(text(&failing).contains("SOV101"), "{}", text(&failing));

    // The repository hook reads Terraform a module at a time: the region
    // of terraform.tfvars decides.
    std::fs::remove_file(scratch.dir.join("k8s/jobs.yaml")).unwrap();
    copy_dir(
        &common::root().join("testdata/hcl/tfvars-override"),
        &scratch,
        "infra",
    );
    let module = scratch.run_hook(&hooks, "souverain", &["--all-files"]);
    assert_eq!(module.status.code(), Some(1), "{}", text(&module));
    assert!(text(&module).contains("infra"), "{}", text(&module));
    std::fs::remove_dir_all(scratch.dir.join("infra")).unwrap();
    let clean = scratch.run_hook(&hooks, "souverain", &["--all-files"]);
    assert!(clean.status.success(), "{}", text(&clean));
}
