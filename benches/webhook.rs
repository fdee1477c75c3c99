//! One AdmissionReview through the webhook's answer, in process: JSON body
//! in, JSON response out, without the network (bench/webhook-load.sh
//! measures the server). The CLI's path over the same file is beside it.
//!
//! `cargo bench --bench webhook`; figures in docs/webhook.md.

use criterion::{Criterion, criterion_group, criterion_main};
use souverain::admission::{Mode, Modes};
use souverain::webhook::review::{Judge, Rules, review};
use souverain::{Engine, Policy};
use std::hint::black_box;
use std::path::Path;

fn read(path: &str) -> Vec<u8> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn answer(c: &mut Criterion) {
    let policy = Policy::embedded().expect("embedded policy");
    let judge = Judge::new(policy.clone(), None).expect("default profile");
    let rules = Rules {
        modes: Modes::from(Mode::Enforce),
        excluded_namespaces: vec!["kube-system".into()],
        deny_existing_violations: false,
    };
    let engine = Engine::new(&policy, None).expect("default profile");
    let mut group = c.benchmark_group("review");
    for (name, path) in [
        ("allowed-pod", "testdata/admission/pod-paris.json"),
        ("denied-pod", "testdata/admission/pod-us-east-1.json"),
        (
            "update-existing",
            "testdata/admission/update-already-in-us-east-1.json",
        ),
    ] {
        let body = read(path);
        group.bench_function(format!("webhook/{name}"), |b| {
            b.iter(|| {
                let reviewed = review(black_box(&body), &judge, &rules, "2026-11-23").unwrap();
                serde_json::to_vec(&reviewed.response).unwrap()
            })
        });
        group.bench_function(format!("cli-reader/{name}"), |b| {
            b.iter(|| engine.scan(path, black_box(&body)))
        });
    }
    group.finish();
}

criterion_group!(benches, answer);
criterion_main!(benches);
