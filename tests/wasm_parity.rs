//! The WASM module gives the same verdicts as the native engine: for every
//! file of the corpus and of testdata/, its JSON report equals the native
//! one byte for byte. And a runaway scan stops at its limits.
//!
//! Needs the feature `wasm-host` and the module built for wasm32-wasip1,
//! found at `$SOUVERAIN_WASM_MODULE` (`.ci/run` builds it and sets it).
#![cfg(feature = "wasm-host")]

mod common;

use souverain::ScanRequest;
use souverain::wasm_host::{Limits, WasmEngine, WasmError};
use std::path::PathBuf;
use std::time::Duration;

fn module() -> Option<PathBuf> {
    let path = std::env::var_os("SOUVERAIN_WASM_MODULE").map(PathBuf::from);
    match path {
        Some(path) if path.is_file() => Some(path),
        other => {
            let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
            assert!(
                !in_ci,
                "SOUVERAIN_WASM_MODULE does not name the built module: {other:?}"
            );
            eprintln!("SOUVERAIN_WASM_MODULE not set: WASM parity skipped");
            None
        }
    }
}

fn engine(limits: Limits) -> Option<WasmEngine> {
    let module = module()?;
    let cache = std::env::temp_dir().join("souverain-wasm-cache");
    Some(WasmEngine::load(&module, Some(&cache), limits).expect("module loads"))
}

#[test]
fn wasm_reports_equal_native_reports_byte_for_byte() {
    let Some(wasm) = engine(Limits::default()) else {
        return;
    };
    let mut files = common::files_under(&common::root().join("testdata"));
    if let Some(corpus) = common::corpus() {
        files.extend(
            common::files_under(&corpus)
                .into_iter()
                .filter(|p| !p.ends_with("PROVENANCE.tsv")),
        );
    }
    let mut compared = 0;
    for path in files {
        let bytes = std::fs::read(&path).expect("readable");
        let request = ScanRequest {
            name: path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("input")
                .to_string(),
            today: Some("2026-11-23".into()),
            ..ScanRequest::default()
        };
        let native = souverain::scan_json(&request, &bytes).expect("native scan");
        let from_wasm = wasm
            .scan(&request, &bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            native == from_wasm,
            "{}: the reports differ",
            path.display()
        );
        compared += 1;
    }
    assert!(compared > 200, "only {compared} files compared");
}

#[test]
fn profiles_and_policies_cross_the_abi() {
    let Some(wasm) = engine(Limits::default()) else {
        return;
    };
    let bytes = std::fs::read(
        common::root().join("testdata/location-outside-france/fail/azurerm-west-europe.json"),
    )
    .expect("fixture");
    let request = ScanRequest {
        name: "plan.json".into(),
        profile: Some("eea".into()),
        ..ScanRequest::default()
    };
    let report: serde_json::Value =
        serde_json::from_str(&wasm.scan(&request, &bytes).expect("scan")).expect("json");
    assert_eq!(report["profile"], "eea");
    assert_eq!(report["summary"]["violations"], 0);
    let invalid = ScanRequest {
        name: "plan.json".into(),
        policy: Some("profiles: {broken: {}}\n".into()),
        ..ScanRequest::default()
    };
    let Err(WasmError::Rejected(error)) = wasm.scan(&invalid, &bytes) else {
        panic!("an invalid policy is rejected");
    };
    assert!(error.contains("\"issues\""), "{error}");
}

#[test]
fn runaway_and_oversized_inputs_hit_the_limits() {
    let Some(hurried) = engine(Limits {
        time: Duration::from_millis(1),
        ..Limits::default()
    }) else {
        return;
    };
    // 20,000 resources: seconds of work for the module, far over one tick.
    let mut plan: serde_json::Value = serde_json::from_slice(
        &std::fs::read(common::root().join("testdata/examples/estate.json")).expect("fixture"),
    )
    .expect("JSON");
    let changes = plan["resource_changes"]
        .as_array()
        .expect("changes")
        .clone();
    let many: Vec<serde_json::Value> = (0..20_000)
        .map(|i| {
            let mut change = changes[i % changes.len()].clone();
            change["address"] = format!("{}_{i}", change["address"].as_str().unwrap()).into();
            change
        })
        .collect();
    plan["resource_changes"] = many.into();
    let large = plan.to_string().into_bytes();
    let request = ScanRequest {
        name: "estate.json".into(),
        ..ScanRequest::default()
    };
    let started = std::time::Instant::now();
    let result = hurried.scan(&request, &large);
    assert!(
        matches!(result, Err(WasmError::Timeout { .. })),
        "{:?}",
        result.map(|r| r.len())
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stopped after {:?}",
        started.elapsed()
    );

    let Some(small) = engine(Limits {
        memory_bytes: 64 << 20,
        ..Limits::default()
    }) else {
        return;
    };
    let oversized = vec![b' '; 80 << 20];
    let result = small.scan(&request, &oversized);
    assert!(
        matches!(result, Err(WasmError::Memory { .. })),
        "{result:?}"
    );
    // A normal scan still works in the same engine afterwards.
    let plan = std::fs::read(common::root().join("testdata/examples/estate.json")).unwrap();
    assert!(small.scan(&request, &plan).is_ok());
}

/// Threads loading the module into one empty cache at once all get a
/// working module (each writes its compiled copy aside, then renames it).
#[test]
fn concurrent_loads_share_the_cache_safely() {
    let Some(module) = module() else {
        return;
    };
    let cache = std::env::temp_dir().join(format!("souverain-cache-race-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let plan = std::fs::read(common::root().join("testdata/examples/estate.json")).unwrap();
    let request = ScanRequest {
        name: "estate.json".into(),
        ..ScanRequest::default()
    };
    std::thread::scope(|scope| {
        let loads: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| WasmEngine::load(&module, Some(&cache), Limits::default())))
            .collect();
        for load in loads {
            let engine = load.join().unwrap().expect("module loads");
            assert!(engine.scan(&request, &plan).is_ok());
        }
    });
    let entries: Vec<_> = std::fs::read_dir(&cache).unwrap().flatten().collect();
    assert_eq!(
        entries.len(),
        1,
        "one compiled module, no partial files left"
    );
    std::fs::remove_dir_all(&cache).unwrap();
}
