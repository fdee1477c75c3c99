//! The native engine, in process: parsing the embedded policy (paid once per
//! process), then one scan per input format with the policy loaded.
//!
//! `cargo bench --bench engine`; figures in docs/wasm.md ("What changed these figures").

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

criterion_group!(benches, policy, scan);
criterion_main!(benches);
