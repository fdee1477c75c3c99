//! The WASM module under wasmtime, step by step: loading the precompiled
//! module, instantiating it, the first scan of an instance (which parses the
//! embedded policy), a scan on a warm instance; and the native engine on the
//! same input, for the ratio.
//!
//! `make wasm && SOUVERAIN_WASM_MODULE=target/wasm32-wasip1/release/souverain_wasm.wasm \
//!  cargo bench --features wasm-host --bench wasm`; figures in docs/wasm.md.

use criterion::{Criterion, criterion_group, criterion_main};
use souverain::wasm_host::{Limits, WasmEngine};
use souverain::{Engine, Policy, ScanRequest};
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn wasm(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let module = std::env::var_os("SOUVERAIN_WASM_MODULE")
        .map(|p| root.join(PathBuf::from(p)))
        .expect("set SOUVERAIN_WASM_MODULE to the module `make wasm` builds");
    let cache = std::env::temp_dir().join("souverain-bench-cache");
    // Compiles into the cache once, outside the measurements.
    let engine = WasmEngine::load(&module, Some(&cache), Limits::default()).expect("module");
    let path = "testdata/examples/estate.json";
    let input = std::fs::read(root.join(path)).expect("example");
    let request = ScanRequest {
        name: path.into(),
        ..ScanRequest::default()
    };

    let mut group = c.benchmark_group("wasm");
    group.bench_function("load precompiled", |b| {
        b.iter(|| WasmEngine::load(&module, Some(&cache), Limits::default()).expect("module"))
    });
    group.bench_function("instantiate", |b| {
        b.iter(|| engine.instantiate().expect("instance"))
    });
    group.bench_function("instantiate + first scan/estate.json", |b| {
        b.iter(|| engine.scan(&request, black_box(&input)).expect("report"))
    });
    let mut instance = engine.instantiate().expect("instance");
    instance.scan(&request, &input).expect("report");
    group.bench_function("warm scan/estate.json", |b| {
        b.iter(|| instance.scan(&request, black_box(&input)).expect("report"))
    });
    group.finish();

    let mut native = c.benchmark_group("native");
    native.bench_function("policy + first scan/estate.json", |b| {
        b.iter(|| {
            let policy = Policy::embedded().expect("policy");
            let engine = Engine::new(&policy, None).expect("profile");
            souverain::report::json::render(&souverain::Report::new(
                engine.profile_name(),
                vec![engine.scan(path, black_box(&input))],
            ))
        })
    });
    native.bench_function("warm scan/estate.json", |b| {
        b.iter(|| souverain::scan_json(&request, black_box(&input)).expect("report"))
    });
    native.finish();
}

criterion_group!(benches, wasm);
criterion_main!(benches);
