//! The Kubewarden policy driven through a real waPC host (`wapc` with
//! `wasmtime-provider`, what Kubewarden's policy-server runs policies on):
//! settings validation, a Pod in Virginia rejected with its message, a
//! French one accepted, warn mode, and every AdmissionReview of the corpus
//! and of testdata answered exactly as the native engine answers.
//!
//! Needs the module built for wasm32-wasip1 at
//! `$SOUVERAIN_KUBEWARDEN_MODULE` (`.ci/run` builds it and sets it; under
//! `CI=true` its absence fails).

use serde_json::{Value, json};
use souverain::admission::{Mode, decide};
use souverain::{Engine, Policy};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use wapc::WapcHost;
use wasmtime_provider::wasmtime;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The module, compiled once for all tests (compiling takes seconds;
/// instantiating, as policy-server does per request, is cheap).
fn compiled() -> Option<&'static (wasmtime::Engine, wasmtime::Module)> {
    static MODULE: OnceLock<Option<(wasmtime::Engine, wasmtime::Module)>> = OnceLock::new();
    MODULE
        .get_or_init(|| {
            // Relative to the workspace, where `cargo` and `make` run.
            let path = std::env::var_os("SOUVERAIN_KUBEWARDEN_MODULE").map(|p| workspace().join(p));
            let path = match path {
                Some(path) if path.is_file() => path,
                other => {
                    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
                    assert!(
                        !in_ci,
                        "SOUVERAIN_KUBEWARDEN_MODULE does not name the built module: {other:?}"
                    );
                    eprintln!("SOUVERAIN_KUBEWARDEN_MODULE not set: waPC tests skipped");
                    return None;
                }
            };
            let engine = wasmtime::Engine::default();
            let module = wasmtime::Module::from_file(&engine, &path).expect("module compiles");
            Some((engine, module))
        })
        .as_ref()
}

fn host() -> Option<WapcHost> {
    let (engine, module) = compiled()?;
    let provider = wasmtime_provider::WasmtimeEngineProviderBuilder::new()
        .engine(engine.clone())
        .module(module.clone())
        .build()
        .expect("waPC provider");
    Some(WapcHost::new(Box::new(provider), None).expect("waPC host initialises"))
}

fn call(host: &WapcHost, function: &str, payload: &Value) -> Value {
    let bytes = host
        .call(function, payload.to_string().as_bytes())
        .unwrap_or_else(|e| panic!("{function} failed: {e}"));
    serde_json::from_slice(&bytes).expect("JSON answer")
}

fn request_of(path: &Path) -> Value {
    let review: Value =
        serde_json::from_slice(&std::fs::read(path).expect("readable")).expect("JSON");
    review["request"].clone()
}

/// What a client sees of a decision: allowed, the denial, the warnings.
type Answer = (bool, Option<String>, Vec<String>);

/// The native engine's decision, as the policy must give it.
fn native(settings: &Value, request: &Value) -> Answer {
    let mut policy = Policy::shared_default().unwrap().clone();
    if let Some(extension) = settings.get("policy") {
        policy
            .extend("policy", &serde_json::to_string_pretty(extension).unwrap())
            .unwrap();
    }
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400;
    let engine = Engine::new(&policy, settings["profile"].as_str())
        .unwrap()
        .with_today(&souverain::civil_date(days));
    let mode = serde_json::from_value(settings["mode"].clone()).unwrap_or(Mode::Enforce);
    let decision = decide(
        &engine.scan("request.json", request.to_string().as_bytes()),
        &mode.into(),
    );
    (decision.allowed, decision.message, decision.warnings)
}

fn as_decision(response: &Value) -> Answer {
    (
        response["accepted"].as_bool().expect("accepted"),
        response["message"].as_str().map(String::from),
        response["warnings"]
            .as_array()
            .map(|w| w.iter().map(|s| s.as_str().unwrap().to_string()).collect())
            .unwrap_or_default(),
    )
}

#[test]
fn protocol_version_is_v1() {
    let Some(host) = host() else { return };
    assert_eq!(call(&host, "protocol_version", &json!({})), json!("v1"));
}

#[test]
fn settings_validation_accepts_profiles_and_rejects_bad_policies() {
    let Some(host) = host() else { return };
    let valid = |settings: Value| call(&host, "validate_settings", &settings);
    assert_eq!(valid(json!({}))["valid"], json!(true));
    assert_eq!(
        valid(json!({"profile": "eea", "mode": "warn"}))["valid"],
        json!(true)
    );

    let refused_saying = |settings: Value, expected: &[&str]| {
        let answer = valid(settings);
        assert_eq!(answer["valid"], json!(false), "{answer}");
        let message = answer["message"].as_str().unwrap();
        for part in expected {
            assert!(message.contains(part), "{part:?} not in {message}");
        }
    };
    refused_saying(
        json!({"profile": "moon"}),
        &["unknown profile `moon`", "strict"],
    );
    refused_saying(
        json!({"policy": "profiles:\n  x:\n    families: [weather]\n"}),
        &["policy:3:", "weather"],
    );

    // An unknown key is a typo, not something to ignore.
    let typo = host.call("validate_settings", br#"{"profil": "eea"}"#);
    let refused = match &typo {
        Ok(bytes) => serde_json::from_slice::<Value>(bytes).unwrap()["valid"] == json!(false),
        Err(error) => error.to_string().contains("unknown field `profil`"),
    };
    assert!(refused, "{typo:?}");
}

#[test]
fn a_pod_in_virginia_is_rejected_and_a_french_one_accepted() {
    let Some(host) = host() else { return };
    let testdata = workspace().join("testdata/admission");
    let settings = json!({});

    let rejected = call(
        &host,
        "validate",
        &json!({"settings": settings, "request": request_of(&testdata.join("pod-us-east-1.json"))}),
    );
    assert_eq!(rejected["accepted"], json!(false), "{rejected}");
    let message = rejected["message"].as_str().unwrap();
    assert!(
        message.contains("[SOV101 location-outside-france] Pod/default/web is in `us-east-1`")
            && message.contains("Fix: pin to a location in France"),
        "{message}"
    );

    let accepted = call(
        &host,
        "validate",
        &json!({"settings": settings, "request": request_of(&testdata.join("pod-paris.json"))}),
    );
    assert_eq!(accepted["accepted"], json!(true), "{accepted}");
    assert_eq!(accepted["message"], Value::Null);
}

#[test]
fn warn_mode_accepts_with_the_finding_as_a_warning() {
    let Some(host) = host() else { return };
    let request = request_of(&workspace().join("testdata/admission/pod-us-east-1.json"));
    let response = call(
        &host,
        "validate",
        &json!({"settings": {"mode": "warn"}, "request": request}),
    );
    assert_eq!(response["accepted"], json!(true), "{response}");
    let warnings = response["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{response}");
    assert!(
        warnings[0].as_str().unwrap().contains("SOV101"),
        "{response}"
    );
}

/// Each manifest of testdata/k8s/{pass,fail} (one object per file) as the
/// object of a CREATE request, under the `france` profile (placement and
/// encryption, what a manifest's author controls): the pass ones accepted,
/// the fail ones rejected, all as the native engine decides.
#[test]
fn manifests_as_admission_requests_follow_their_directory() {
    let Some(host) = host() else { return };
    let settings = json!({"profile": "france"});
    let mut checked = 0;
    for (dir, accepted) in [("pass", true), ("fail", false)] {
        for path in files_in(&workspace().join("testdata/k8s").join(dir)) {
            let text = std::fs::read_to_string(&path).unwrap();
            let documents = souverain::yaml::parse_documents(&text).expect("valid YAML");
            let object = match documents.as_slice() {
                [document] if document.value["kind"] != "List" => &document.value,
                _ => continue, // several objects: never one admission request
            };
            let request = json!({
                "uid": "00000000-0000-0000-0000-000000000001",
                "kind": {"group": "", "version": "v1", "kind": object["kind"]},
                "operation": "CREATE",
                "object": object,
            });
            let response = call(
                &host,
                "validate",
                &json!({"settings": settings, "request": request}),
            );
            assert_eq!(
                response["accepted"],
                json!(accepted),
                "{}: {response}",
                path.display()
            );
            assert_eq!(
                as_decision(&response),
                native(&settings, &request),
                "{}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 14, "only {checked} manifests checked");
}

/// Every AdmissionReview with a request, of the corpus and of testdata: the
/// policy answers exactly as the native engine, under each mode.
#[test]
fn every_admission_review_is_answered_as_natively() {
    let Some(host) = host() else { return };
    let mut dirs = vec![workspace().join("testdata/admission")];
    match corpus() {
        Some(corpus) => dirs.push(corpus.join("admission")),
        None => eprintln!("corpus not found: only testdata compared"),
    }
    let mut compared = 0;
    for dir in dirs {
        for path in files_in(&dir) {
            let Ok(review) = serde_json::from_slice::<Value>(&std::fs::read(&path).unwrap()) else {
                continue; // not JSON: the API server never sends it
            };
            let Some(request) = review.get("request").filter(|r| r.is_object()) else {
                continue;
            };
            for mode in ["enforce", "warn", "audit"] {
                let settings = json!({"mode": mode});
                let response = call(
                    &host,
                    "validate",
                    &json!({"settings": settings, "request": request}),
                );
                assert_eq!(
                    as_decision(&response),
                    native(&settings, request),
                    "{} ({mode})",
                    path.display()
                );
            }
            compared += 1;
        }
    }
    assert!(compared >= 4, "only {compared} reviews compared");
}

/// The files of a directory, sorted.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
}

/// The shared corpus: `$SOUVERAIN_CORPUS`, else `../shared/corpus`; under
/// `CI=true` it must be there.
fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("SOUVERAIN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/corpus"));
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        dir.is_dir() || !in_ci,
        "corpus not found at {} (set SOUVERAIN_CORPUS)",
        dir.display()
    );
    dir.is_dir().then_some(dir)
}
