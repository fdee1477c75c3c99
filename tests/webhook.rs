//! `souverain serve` on loopback, driven by a real HTTPS client (hyper over
//! rustls) with a certificate made for the test: the corpus's
//! AdmissionReviews and ours answered as the library decides, malformed,
//! oversized and slow requests answered and survived, the policy and the
//! certificate reloaded, metrics and probes.

#![cfg(feature = "webhook")]

mod common;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use souverain::admission::{Mode, Modes, decide_update};
use souverain::webhook::review::Rules;
use souverain::webhook::tls::CertFiles;
use souverain::webhook::{Config, Limits, Server};
use souverain::{Engine, Policy};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto::ring};

/// An HTTPS client of a server on loopback, trusting `trusted`.
struct Client {
    runtime: tokio::runtime::Runtime,
    addr: std::net::SocketAddr,
    trusted: Vec<CertificateDer<'static>>,
}

/// A server on a loopback port, stopped when dropped, and its client.
struct Harness {
    client: Client,
    metrics_addr: std::net::SocketAddr,
    dir: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    stopped: Option<tokio::task::JoinHandle<()>>,
}

impl std::ops::Deref for Harness {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl std::ops::DerefMut for Harness {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

struct Reply {
    status: StatusCode,
    content_type: String,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {} {}", self.status, self.body))
    }

    /// The response of a 200 AdmissionReview.
    fn response(&self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        self.json()["response"].clone()
    }
}

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// A self-signed certificate for `localhost`, as PEM (certificate, key).
fn certificate(name: &str) -> (String, String, CertificateDer<'static>) {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem(), cert.der().clone())
}

fn config(dir: &Path) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        metrics_listen: Some("127.0.0.1:0".parse().unwrap()),
        cert: CertFiles {
            cert: dir.join("tls.crt"),
            key: dir.join("tls.key"),
        },
        policy_file: None,
        profile: None,
        rules: Rules {
            modes: Modes::from(Mode::Enforce),
            excluded_namespaces: vec!["kube-system".into()],
            deny_existing_violations: false,
        },
        limits: Limits {
            read_timeout: Duration::from_millis(800),
            ..Limits::default()
        },
        reload_interval: Duration::from_millis(100),
        shutdown_delay: Duration::from_millis(300),
    }
}

fn start(configure: impl FnOnce(&mut Config, &Path)) -> Harness {
    let dir = std::env::temp_dir().join(format!(
        "souverain-webhook-test-{}-{}",
        std::process::id(),
        NEXT_DIR.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key, der) = certificate("first");
    std::fs::write(dir.join("tls.crt"), cert).unwrap();
    std::fs::write(dir.join("tls.key"), key).unwrap();
    let mut config = config(&dir);
    configure(&mut config, &dir);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(Server::bind(config))
        .expect("the server starts");
    let addr = server.local_addr();
    let metrics_addr = server.metrics_addr().expect("a metrics listener");
    let (stop, stopped_signal) = tokio::sync::oneshot::channel::<()>();
    let stopped = runtime.spawn(server.run(async {
        let _ = stopped_signal.await;
    }));
    Harness {
        client: Client {
            runtime,
            addr,
            trusted: vec![der],
        },
        metrics_addr,
        dir,
        stop: Some(stop),
        stopped: Some(stopped),
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Client {
    fn client_config(&self, alpn: &[u8]) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        for cert in &self.trusted {
            roots.add(cert.clone()).unwrap();
        }
        let mut config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![alpn.to_vec()];
        Arc::new(config)
    }

    async fn tls(&self, alpn: &[u8]) -> tokio_rustls::client::TlsStream<TcpStream> {
        let tcp = TcpStream::connect(self.addr).await.unwrap();
        TlsConnector::from(self.client_config(alpn))
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .expect("TLS handshake with the server's certificate")
    }

    fn request(&self, request: Request<Full<Bytes>>) -> Reply {
        self.runtime.block_on(async {
            let tls = self.tls(b"http/1.1").await;
            let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
                .await
                .unwrap();
            tokio::spawn(connection);
            reply(sender.send_request(request).await.unwrap()).await
        })
    }

    fn post(&self, body: impl Into<Bytes>) -> Reply {
        self.request(
            Request::post("/validate")
                .header("host", "localhost")
                .header("content-type", "application/json")
                .body(Full::new(body.into()))
                .unwrap(),
        )
    }

    fn get(&self, path: &str) -> Reply {
        self.request(
            Request::get(path)
                .header("host", "localhost")
                .body(Full::default())
                .unwrap(),
        )
    }

    /// Writes a request by hand (`head`, then the body's pieces until the
    /// server stops reading) and returns what the server answered.
    fn exchange(&self, head: &[u8], body: impl Iterator<Item = Vec<u8>>) -> String {
        self.runtime.block_on(async {
            let mut tls = self.tls(b"http/1.1").await;
            tls.write_all(head).await.unwrap();
            for piece in body {
                let written = tokio::time::timeout(Duration::from_secs(2), tls.write_all(&piece));
                if !matches!(written.await, Ok(Ok(()))) {
                    break;
                }
            }
            let mut answer = Vec::new();
            let _ =
                tokio::time::timeout(Duration::from_secs(5), tls.read_to_end(&mut answer)).await;
            String::from_utf8_lossy(&answer).to_string()
        })
    }
}

impl Harness {
    /// `/metrics` over the plain HTTP listener.
    fn metrics(&self) -> String {
        self.runtime.block_on(async {
            let tcp = TcpStream::connect(self.metrics_addr).await.unwrap();
            let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
                .await
                .unwrap();
            tokio::spawn(connection);
            let request = Request::get("/metrics")
                .header("host", "localhost")
                .body(Full::<Bytes>::default())
                .unwrap();
            reply(sender.send_request(request).await.unwrap())
                .await
                .body
        })
    }

    /// Waits (at most five seconds) for `condition` to hold.
    fn eventually(&self, what: &str, mut condition: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !condition() {
            assert!(Instant::now() < deadline, "never happened: {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

async fn reply(response: hyper::Response<hyper::body::Incoming>) -> Reply {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        content_type,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture(name: &str) -> Vec<u8> {
    read(&common::root().join("testdata/admission").join(name))
}

/// An AdmissionRequest stored alone (as policy test suites keep them) in
/// the envelope the API server sends.
fn enveloped(document: Value) -> Value {
    if document["kind"] == "AdmissionReview" {
        document
    } else {
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": document})
    }
}

/// What the library decides on a review, reading it as a file (the CLI's
/// path), with the old object of an UPDATE read the same way.
fn library_decision(review: &Value, policy: &Policy, profile: Option<&str>) -> (bool, Vec<String>) {
    let engine = Engine::new(policy, profile).unwrap();
    let scan = |review: &Value| engine.scan("review.json", review.to_string().as_bytes());
    let report = scan(review);
    let request = &review["request"];
    let old = (request["operation"] == "UPDATE" && request["oldObject"].is_object()).then(|| {
        let mut old = review.clone();
        old["request"]["object"] = request["oldObject"].clone();
        scan(&old)
    });
    let decision = decide_update(&report, old.as_ref(), &Modes::from(Mode::Enforce));
    let said = decision
        .message
        .into_iter()
        .chain(decision.warnings)
        .collect();
    (decision.allowed, said)
}

/// What the webhook said: allowed, then the denial and the warnings.
fn webhook_decision(response: &Value) -> (bool, Vec<String>) {
    let message = response["status"]["message"]
        .as_str()
        .filter(|m| !m.is_empty())
        .map(String::from);
    let warnings = response["warnings"]
        .as_array()
        .map(|w| w.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    (
        response["allowed"].as_bool().expect("allowed"),
        message.into_iter().chain::<Vec<String>>(warnings).collect(),
    )
}

/// The fields admission.k8s.io/v1 requires of a request.
const REQUIRED: [&str; 5] = ["uid", "kind", "resource", "operation", "userInfo"];

#[test]
fn every_corpus_review_is_answered_as_the_library_decides() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let harness = start(|_, _| {});
    let files = common::files_under(&corpus.join("admission"));
    assert!(files.len() >= 15, "{} files", files.len());
    let (mut answered, mut refused) = (0, 0);
    for path in files {
        let bytes = read(&path);
        let reply_to = |body: Vec<u8>| harness.post(body);
        let Ok(document) = serde_json::from_slice::<Value>(&bytes) else {
            let reply = reply_to(bytes);
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", path.display());
            assert!(
                reply.body.contains("not an AdmissionReview"),
                "{}",
                reply.body
            );
            refused += 1;
            continue;
        };
        let review = enveloped(document);
        let reply = reply_to(review.to_string().into_bytes());
        let missing: Vec<&str> = REQUIRED
            .into_iter()
            .filter(|field| review["request"].get(field).is_none())
            .collect();
        if !missing.is_empty() {
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{}: {}",
                path.display(),
                reply.body
            );
            assert!(
                missing
                    .iter()
                    .any(|field| reply.body.contains(&format!("`{field}`"))),
                "{}: the reason names a missing field of {missing:?}: {}",
                path.display(),
                reply.body
            );
            refused += 1;
            continue;
        }
        let response = reply.response();
        assert_eq!(
            response["uid"],
            review["request"]["uid"],
            "{}",
            path.display()
        );
        assert_eq!(
            webhook_decision(&response),
            library_decision(&review, common::policy(), None),
            "{}",
            path.display()
        );
        answered += 1;
    }
    assert!(
        answered >= 14 && refused >= 5,
        "{answered} answered, {refused} refused"
    );
}

#[test]
fn our_reviews_get_the_expected_answers() {
    let harness = start(|_, _| {});
    let response = harness.post(fixture("pod-paris.json")).response();
    assert_eq!(response["allowed"], true);
    assert_eq!(response.get("warnings"), None);
    assert_eq!(response["uid"], "705ab4f5-6393-11e8-b7cc-42010a800003");

    let response = harness.post(fixture("pod-us-east-1.json")).response();
    assert_eq!(response["allowed"], false);
    assert_eq!(response["status"]["code"], 403);
    let message = response["status"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("souverain: 1 finding must be fixed\n- [SOV101 location-outside-france] Pod/default/web is in `us-east-1`"),
        "{message}"
    );
    assert!(
        message.contains(" Fix: pin to a location in France"),
        "{message}"
    );

    let response = harness.post(fixture("delete.json")).response();
    assert_eq!(
        (response["allowed"].clone(), response.get("warnings")),
        (json!(true), None)
    );

    let response = harness
        .post(fixture("update-moves-to-us-east-1.json"))
        .response();
    assert_eq!(
        response["allowed"], false,
        "moving to Virginia is new: denied"
    );

    let response = harness
        .post(fixture("update-already-in-us-east-1.json"))
        .response();
    assert_eq!(
        response["allowed"], true,
        "a pre-existing violation does not block"
    );
    assert!(
        response["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("souverain [SOV101 location-outside-france, already before this update]"),
        "{response}"
    );

    let response = harness.post(fixture("dry-run-us-east-1.json")).response();
    assert_eq!(
        response["allowed"], false,
        "a server-side dry run shows the denial"
    );

    let response = harness
        .post(fixture("kube-system-us-east-1.json"))
        .response();
    assert_eq!(
        (response["allowed"].clone(), response.get("warnings")),
        (json!(true), None)
    );

    let reply = harness.post(fixture("wrong-version.json"));
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.body.contains("apiVersion `admission.k8s.io/v2`"),
        "{}",
        reply.body
    );

    let metrics = harness.metrics();
    for series in [
        r#"souverain_admission_reviews_total{operation="CREATE",verdict="denied",dry_run="true"} 1"#,
        r#"souverain_admission_reviews_total{operation="CREATE",verdict="excluded",dry_run="false"} 1"#,
        r#"souverain_admission_reviews_total{operation="DELETE",verdict="not_applicable",dry_run="false"} 1"#,
        r#"souverain_admission_reviews_total{operation="UPDATE",verdict="allowed",dry_run="false"} 1"#,
        r#"souverain_admission_findings_total{rule="SOV101",outcome="denied"} 3"#,
        r#"souverain_admission_findings_total{rule="SOV101",outcome="existing"} 1"#,
        r#"souverain_http_responses_total{route="validate",status="400"} 1"#,
        r#"souverain_http_responses_total{route="validate",status="200"} 7"#,
        "souverain_admission_review_duration_seconds_count 8",
    ] {
        assert!(metrics.contains(series), "{series} not in\n{metrics}");
    }
}

/// The objects a manifest author writes, one per review: the pass ones
/// allowed, the fail ones denied, as the library decides.
#[test]
fn manifests_under_review_follow_their_directory() {
    let harness = start(|config, _| config.profile = Some("france".into()));
    let mut checked = 0;
    let mut covered = std::collections::BTreeSet::new();
    for (dir, allowed) in [("pass", true), ("fail", false)] {
        for path in common::files_under(&common::root().join("testdata/k8s").join(dir)) {
            let text = std::fs::read_to_string(&path).unwrap();
            let documents = souverain::yaml::parse_documents(&text).expect("valid YAML");
            let object = match documents.as_slice() {
                [document] if document.value["kind"] != "List" => &document.value,
                _ => continue, // several objects: never one admission request
            };
            let (group, version) = match object["apiVersion"].as_str().unwrap().rsplit_once('/') {
                Some((group, version)) => (group.to_string(), version.to_string()),
                None => (
                    String::new(),
                    object["apiVersion"].as_str().unwrap().to_string(),
                ),
            };
            let review = json!({
                "apiVersion": "admission.k8s.io/v1",
                "kind": "AdmissionReview",
                "request": {
                    "uid": format!("uid-{checked}"),
                    "kind": {"group": group, "version": version, "kind": object["kind"]},
                    "resource": {"group": group, "version": version, "resource": "things"},
                    "namespace": object["metadata"]["namespace"],
                    "operation": "CREATE",
                    "userInfo": {"username": "alice"},
                    "object": object,
                }
            });
            let response = harness.post(review.to_string()).response();
            assert_eq!(
                response["allowed"],
                allowed,
                "{}: {response}",
                path.display()
            );
            assert_eq!(
                webhook_decision(&response),
                library_decision(&review, common::policy(), Some("france")),
                "{}",
                path.display()
            );
            let family = match object["apiVersion"].as_str().unwrap() {
                v if v.contains(".upbound.io/") => "Crossplane".to_string(),
                _ => object["kind"].as_str().unwrap().to_string(),
            };
            covered.insert((family, allowed));
            checked += 1;
        }
    }
    assert!(checked >= 15, "{checked} manifests");
    for family in ["StatefulSet", "StorageClass", "Crossplane"] {
        for allowed in [true, false] {
            assert!(
                covered.contains(&(family.to_string(), allowed)),
                "no {family} {}",
                if allowed { "allowed" } else { "denied" }
            );
        }
    }
}

#[test]
fn bad_requests_are_answered_and_the_server_keeps_serving() {
    let harness = start(|_, _| {});
    let reply = harness.post("{\"apiVersion\": ");
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply
            .body
            .starts_with("the body is not an AdmissionReview: EOF"),
        "{}",
        reply.body
    );
    assert_eq!(reply.content_type, "text/plain; charset=utf-8");

    let reply = harness.post(r#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}"#);
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body, "the AdmissionReview has no `request`\n");

    let reply = harness.post(r#"{"apiVersion": "apps/v1", "kind": "Deployment", "request": null}"#);
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply
            .body
            .contains("got kind `Deployment` of apiVersion `apps/v1`"),
        "{}",
        reply.body
    );

    // 10 MB announced: refused before it is read.
    let chunk = vec![b' '; 1024 * 1024];
    let answer = harness.exchange(
        b"POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 10485760\r\n\r\n",
        std::iter::repeat_n(chunk, 10),
    );
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(
        answer.contains("larger than the limit of 7340032 bytes (--max-body-bytes)"),
        "{answer}"
    );

    let reply = harness.request(
        Request::post("/validate")
            .header("host", "localhost")
            .header("content-type", "application/yaml")
            .body(Full::new(Bytes::from_static(b"kind: AdmissionReview")))
            .unwrap(),
    );
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        harness.get("/validate").status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(harness.get("/mutate").status, StatusCode::NOT_FOUND);

    assert_eq!(
        harness.post(fixture("pod-paris.json")).response()["allowed"],
        true
    );
}

#[test]
fn a_body_without_a_length_is_cut_at_the_limit() {
    let harness = start(|config, _| config.limits.max_body_bytes = 64 * 1024);
    let chunk = format!("{:x}\r\n{}\r\n", 16 * 1024, " ".repeat(16 * 1024));
    // Up to 1 MiB, in chunks, with no length said.
    let answer = harness.exchange(
        b"POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
        std::iter::repeat_n(chunk.into_bytes(), 64),
    );
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert_eq!(
        harness.post(fixture("pod-paris.json")).response()["allowed"],
        true
    );
}

#[test]
fn a_slow_client_is_cut_off_and_others_are_served() {
    let harness = start(|_, _| {});
    let started = Instant::now();
    let (slow_body, slow_headers) = harness.runtime.block_on(async {
        // Headers sent, then a body that never comes.
        let mut body = harness.tls(b"http/1.1").await;
        body.write_all(
            b"POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"apiVersion\"",
        )
        .await
        .unwrap();
        // Half the headers, then nothing.
        let mut headers = harness.tls(b"http/1.1").await;
        headers.write_all(b"POST /validate HTTP/1.1\r\nhost: loc").await.unwrap();
        let read_all = |mut stream: tokio_rustls::client::TlsStream<TcpStream>| async move {
            let mut answer = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
            String::from_utf8_lossy(&answer).to_string()
        };
        let body = tokio::spawn(read_all(body));
        let headers = tokio::spawn(read_all(headers));
        (body.await.unwrap(), headers.await.unwrap())
    });
    assert!(slow_body.starts_with("HTTP/1.1 408 "), "{slow_body}");
    assert!(
        slow_body.contains("the body did not arrive within 800ms"),
        "{slow_body}"
    );
    // hyper closes a connection whose headers time out, with no answer.
    assert!(!slow_headers.contains(" 200 "), "{slow_headers}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        harness.post(fixture("pod-paris.json")).response()["allowed"],
        true
    );
    assert!(
        harness
            .metrics()
            .contains(r#"souverain_http_responses_total{route="validate",status="408"} 1"#)
    );
}

#[test]
fn http2_is_offered() {
    let harness = start(|_, _| {});
    let response = harness.runtime.block_on(async {
        let tls = harness.tls(b"h2").await;
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let (mut sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                .await
                .unwrap();
        tokio::spawn(connection);
        let request = Request::post("https://localhost/validate")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(fixture("pod-us-east-1.json"))))
            .unwrap();
        reply(sender.send_request(request).await.unwrap()).await
    });
    assert_eq!(response.response()["allowed"], false);
}

const POLICY_FR_ONLY: &str = "profiles:\n  team:\n    description: France only\n    allowed_countries: [FR]\n    families: [region]\n    undetermined: fail\n";
const POLICY_FR_US: &str = "profiles:\n  team:\n    description: France and the United States\n    allowed_countries: [FR, US]\n    families: [region]\n    undetermined: fail\n";

#[test]
fn a_changed_policy_is_reloaded_and_a_broken_one_refused() {
    let harness = start(|config, dir| {
        std::fs::write(dir.join("policy.yaml"), POLICY_FR_ONLY).unwrap();
        config.policy_file = Some(dir.join("policy.yaml"));
        config.profile = Some("team".into());
    });
    let allowed = || harness.post(fixture("pod-us-east-1.json")).response()["allowed"] == true;
    assert!(!allowed());

    std::fs::write(harness.dir.join("policy.yaml"), POLICY_FR_US).unwrap();
    harness.eventually("the new policy allows the United States", allowed);

    // A broken policy, then one without the profile: both refused, the last
    // good policy stays in use.
    std::fs::write(harness.dir.join("policy.yaml"), "profiles: [").unwrap();
    harness.eventually("the broken policy is refused", || {
        harness
            .metrics()
            .contains(r#"souverain_reloads_total{what="policy",outcome="failure"} 1"#)
    });
    assert!(
        harness
            .metrics()
            .contains(r#"souverain_last_reload_successful{what="policy"} 0"#)
    );
    assert!(allowed(), "the last good policy is kept");
    std::fs::write(
        harness.dir.join("policy.yaml"),
        POLICY_FR_ONLY.replace("team", "other"),
    )
    .unwrap();
    harness.eventually("a policy without the profile is refused", || {
        harness
            .metrics()
            .contains(r#"souverain_reloads_total{what="policy",outcome="failure"} 2"#)
    });
    assert!(allowed(), "the last good policy is kept");

    std::fs::write(harness.dir.join("policy.yaml"), POLICY_FR_ONLY).unwrap();
    harness.eventually("France only again", || !allowed());
    assert!(
        harness
            .metrics()
            .contains(r#"souverain_last_reload_successful{what="policy"} 1"#)
    );
}

#[test]
fn a_renewed_certificate_is_served_to_new_connections() {
    let mut harness = start(|_, _| {});
    let served = |harness: &Harness| {
        harness.runtime.block_on(async {
            let tls = harness.tls(b"http/1.1").await;
            tls.get_ref().1.peer_certificates().unwrap()[0].clone()
        })
    };
    let first = served(&harness);
    assert_eq!(first, harness.trusted[0]);
    let (cert, key, der) = certificate("second");
    harness.trusted.push(der.clone());
    // A key that does not match is refused: the first certificate stays.
    std::fs::write(harness.dir.join("tls.crt"), &cert).unwrap();
    harness.eventually("the mismatched pair is refused", || {
        harness
            .metrics()
            .contains(r#"souverain_reloads_total{what="certificate",outcome="failure"} 1"#)
    });
    assert_eq!(served(&harness), first);
    std::fs::write(harness.dir.join("tls.key"), &key).unwrap();
    harness.eventually("the renewed certificate is served", || {
        served(&harness) == der
    });
    assert_eq!(
        harness.post(fixture("pod-paris.json")).response()["allowed"],
        true
    );
}

#[test]
fn probes_answer_and_readiness_fails_during_shutdown() {
    let mut harness = start(|_, _| {});
    assert_eq!(harness.get("/healthz").status, StatusCode::OK);
    assert_eq!(harness.get("/readyz").status, StatusCode::OK);
    let metrics = harness.get("/metrics");
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics
            .content_type
            .starts_with("application/openmetrics-text")
    );
    assert!(metrics.body.ends_with("# EOF\n"), "{}", metrics.body);

    let _ = harness.stop.take().unwrap().send(());
    harness.eventually("/readyz fails", || {
        harness.get("/readyz").status == StatusCode::SERVICE_UNAVAILABLE
    });
    assert_eq!(
        harness.post(fixture("pod-us-east-1.json")).response()["allowed"],
        false,
        "reviews are still answered during the shutdown delay"
    );
    let stopped = harness.stopped.take().unwrap();
    harness
        .runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(5), stopped).await })
        .expect("the server stops after the delay")
        .unwrap();
}

/// The binary itself: JSON logs on stderr (one object per line, with the
/// review's fields), and SIGTERM ends it cleanly after the shutdown delay.
#[test]
fn the_binary_logs_json_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let dir = std::env::temp_dir().join(format!("souverain-webhook-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key, der) = certificate("binary");
    std::fs::write(dir.join("tls.crt"), cert).unwrap();
    std::fs::write(dir.join("tls.key"), key).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_souverain"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .args(["--shutdown-delay", "0.2"])
        .arg("--tls-cert")
        .arg(dir.join("tls.crt"))
        .arg("--tls-key")
        .arg(dir.join("tls.key"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut next = || -> Value {
        let line = lines.next().expect("a log line").unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    };
    let serving = next();
    assert_eq!(serving["message"], "souverain webhook serving", "{serving}");
    let addr: std::net::SocketAddr = serving["listen"].as_str().unwrap().parse().unwrap();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client {
        runtime,
        addr,
        trusted: vec![der],
    };
    let response = client.post(fixture("pod-us-east-1.json")).response();
    assert_eq!(response["allowed"], false);
    let review = next();
    assert_eq!(review["level"], "INFO");
    assert_eq!(review["message"], "review");
    assert_eq!(review["verdict"], "denied");
    assert_eq!(review["object"], "Pod/default/web");
    assert_eq!(review["findings"], "SOV101:denied");
    assert!(
        review["said"]
            .as_str()
            .unwrap()
            .starts_with("souverain: 1 finding must be fixed\n")
    );

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let messages: Vec<String> = lines
        .map(|l| serde_json::from_str::<Value>(&l.unwrap()).unwrap()["message"].to_string())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("shutting down")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("stopped")),
        "{messages:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
