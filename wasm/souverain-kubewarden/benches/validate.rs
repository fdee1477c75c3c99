//! The Kubewarden policy under a waPC host, as policy-server runs it: a new
//! instance per request (policy-server rehydrates a pre-instantiated module),
//! then `validate` on a Pod pinned to Virginia; and a request on a warm
//! instance.
//!
//! `make kubewarden && SOUVERAIN_KUBEWARDEN_MODULE=target/wasm32-wasip1/release/souverain_kubewarden.wasm \
//!  cargo bench -p souverain-kubewarden --bench validate`; figures in docs/kubewarden.md.

use criterion::{Criterion, criterion_group, criterion_main};
use std::path::Path;
use wapc::WapcHost;
use wasmtime_provider::{WasmtimeEngineProviderBuilder, wasmtime};

fn validate(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let module = root.join(
        std::env::var_os("SOUVERAIN_KUBEWARDEN_MODULE")
            .expect("set SOUVERAIN_KUBEWARDEN_MODULE to the module `make kubewarden` builds"),
    );
    let engine = wasmtime::Engine::default();
    let module = wasmtime::Module::from_file(&engine, module).expect("module compiles");
    let pre = WasmtimeEngineProviderBuilder::new()
        .engine(engine)
        .module(module)
        .build_pre()
        .expect("pre-instantiated module");
    let review: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("testdata/admission/pod-us-east-1.json")).expect("fixture"),
    )
    .expect("JSON");
    let payload = serde_json::json!({"settings": {}, "request": review["request"]}).to_string();

    let mut group = c.benchmark_group("kubewarden");
    group.bench_function("new instance + validate/pod", |b| {
        b.iter(|| {
            let provider = pre.rehydrate(None).expect("instance");
            let host = WapcHost::new(Box::new(provider), None).expect("host");
            host.call("validate", payload.as_bytes()).expect("response")
        })
    });
    let host = WapcHost::new(Box::new(pre.rehydrate(None).expect("instance")), None).expect("host");
    host.call("validate", payload.as_bytes()).expect("response");
    group.bench_function("warm instance validate/pod", |b| {
        b.iter(|| host.call("validate", payload.as_bytes()).expect("response"))
    });
    group.finish();
}

criterion_group!(benches, validate);
criterion_main!(benches);
