//! The native engine, in process: parsing the embedded policy (paid once per
//! process), one scan per input format with the policy loaded, then each
//! stage (parse, resolve and rules, render) on large generated inputs
//! (benches/support/generate.rs).
//!
//! `cargo bench --bench engine`; figures in docs/performance.md and docs/wasm.md.

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use souverain::input::hcl::{HclOptions, MemoryTree};
use souverain::{Engine, Policy};
use std::hint::black_box;
use std::path::Path;

fn read(path: &str) -> Vec<u8> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn policy(c: &mut Criterion) {
    c.bench_function("policy/embedded", |b| {
        b.iter(|| Policy::embedded().expect("embedded policy"))
    });
}

fn scan(c: &mut Criterion) {
    let policy = Policy::embedded().expect("embedded policy");
    let engine = Engine::new(&policy, None).expect("default profile");
    let mut group = c.benchmark_group("scan");
    for (name, path) in [
        ("plan/estate.json", "testdata/examples/estate.json"),
        (
            "manifest/statefulset.yaml",
            "testdata/k8s/fail/statefulset-affinity-outside-france.yaml",
        ),
        (
            "admission/pod.json",
            "testdata/admission/pod-us-east-1.json",
        ),
    ] {
        let bytes = read(path);
        group.bench_function(name, |b| b.iter(|| engine.scan(path, black_box(&bytes))));
    }
    let mut tree = MemoryTree::default();
    let module = "testdata/hcl/waivers";
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(module)).unwrap() {
        let path = entry.unwrap().path();
        let name = format!("{module}/{}", path.file_name().unwrap().to_string_lossy());
        tree.files.insert(name.clone(), read(&name));
    }
    let options = HclOptions::default();
    group.bench_function("hcl/waivers", |b| {
        b.iter(|| engine.scan_module(module, module, None, &tree, &options))
    });
    group.finish();
}

/// Each stage on generated plans of 1k and 10k resources, manifests and a
/// Terraform tree: throughput in input bytes.
fn stages(c: &mut Criterion) {
    use criterion::Throughput;
    use souverain::input::{self, KeptAttributes};
    let policy = Policy::embedded().expect("embedded policy");
    let engine = Engine::new(&policy, None).expect("default profile");
    let kept = policy.read_attributes();
    for resources in [1_000, 10_000] {
        let plan = support::generate::plan(resources);
        let mut group = c.benchmark_group(format!("plan-{resources}"));
        group.throughput(Throughput::Bytes(plan.len() as u64));
        group.sample_size(20);
        let limits = souverain::Limits::default();
        group.bench_function("parse", |b| {
            b.iter(|| {
                input::parse(
                    "plan.json",
                    black_box(plan.as_bytes()),
                    &policy.kubernetes,
                    kept,
                    &limits,
                )
            })
        });
        group.bench_function("parse, every attribute", |b| {
            b.iter(|| {
                input::parse(
                    "plan.json",
                    black_box(plan.as_bytes()),
                    &policy.kubernetes,
                    &KeptAttributes::All,
                    &limits,
                )
            })
        });
        let parsed = input::parse(
            "plan.json",
            plan.as_bytes(),
            &policy.kubernetes,
            kept,
            &limits,
        )
        .unwrap_or_else(|_| panic!("the generated plan reads"));
        group.bench_function("resolve and rules", |b| {
            b.iter(|| engine.evaluate(black_box(&parsed.resources)))
        });
        let report =
            souverain::Report::new("strict", vec![engine.scan("plan.json", plan.as_bytes())]);
        group.bench_function("render json", |b| {
            b.iter(|| souverain::report::json::render(black_box(&report)))
        });
        group.bench_function("render sarif", |b| {
            b.iter(|| souverain::report::sarif::render(black_box(&report)))
        });
        group.bench_function("scan", |b| {
            b.iter(|| engine.scan("plan.json", black_box(plan.as_bytes())))
        });
        group.finish();
    }
    let manifests = support::generate::manifests(1_000);
    let mut group = c.benchmark_group("manifests-1000");
    group.throughput(Throughput::Bytes(manifests.len() as u64));
    group.sample_size(20);
    group.bench_function("scan", |b| {
        b.iter(|| engine.scan("all.yaml", black_box(manifests.as_bytes())))
    });
    group.finish();
    let mut tree = MemoryTree::default();
    let files = support::generate::hcl_tree(1_000);
    let bytes: usize = files.iter().map(|(_, text)| text.len()).sum();
    for (path, text) in files {
        tree.files.insert(format!("gen/{path}"), text.into_bytes());
    }
    let options = HclOptions::default();
    let mut group = c.benchmark_group("hcl-1000");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function("scan", |b| {
        b.iter(|| engine.scan_module("gen", "gen", None, &tree, &options))
    });
    group.finish();
}

criterion_group!(benches, policy, scan, stages);
criterion_main!(benches);
