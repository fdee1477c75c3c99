//! Connections and routes: TLS, HTTP/1.1 and HTTP/2, the limits of
//! [`super::Limits`], and the answer of each route with its status code.

use super::State;
use super::review::{self, Verdict};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_io_timeout::TimeoutStream;
use tokio_rustls::TlsAcceptor;

/// The open connections of every listener, to bound them and to drain them
/// at shutdown.
#[derive(Clone)]
pub struct Connections {
    state: Arc<State>,
    open: Arc<Semaphore>,
    graceful: Arc<Mutex<Option<GracefulShutdown>>>,
}

impl Connections {
    pub fn new(state: Arc<State>) -> Self {
        let open = Arc::new(Semaphore::new(state.limits.max_connections));
        Self {
            state,
            open,
            graceful: Arc::new(Mutex::new(Some(GracefulShutdown::new()))),
        }
    }

    /// Accepts connections until the task is aborted; with `tls`, each one
    /// starts with a handshake.
    pub async fn accept(self, listener: TcpListener, tls: Option<TlsAcceptor>) {
        loop {
            let permit = match self.open.clone().acquire_owned().await {
                Ok(permit) => permit,
                Err(_) => return,
            };
            let (tcp, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, most likely: back off rather
                    // than spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let Some(watcher) = self
                .graceful
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
                .map(GracefulShutdown::watcher)
            else {
                return;
            };
            let state = self.state.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let limits = &state.limits;
                let service_state = state.clone();
                let service = hyper::service::service_fn(move |request| {
                    route(request, service_state.clone())
                });
                let mut builder = auto::Builder::new(TokioExecutor::new());
                builder
                    .http1()
                    .timer(TokioTimer::new())
                    .header_read_timeout(limits.read_timeout)
                    .max_buf_size(64 * 1024);
                builder.http2().max_concurrent_streams(64);
                let result =
                    match tls {
                        Some(tls) => {
                            let stream =
                                match tokio::time::timeout(limits.read_timeout, tls.accept(tcp))
                                    .await
                                {
                                    Ok(Ok(stream)) => stream,
                                    Ok(Err(error)) => {
                                        tracing::debug!(%peer, %error, "TLS handshake failed");
                                        return;
                                    }
                                    Err(_) => {
                                        tracing::debug!(%peer, "TLS handshake timed out");
                                        return;
                                    }
                                };
                            let io = TokioIo::new(Box::pin(timed(stream, limits)));
                            watcher
                                .watch(builder.serve_connection(io, service).into_owned())
                                .await
                        }
                        None => {
                            let io = TokioIo::new(Box::pin(timed(tcp, limits)));
                            watcher
                                .watch(builder.serve_connection(io, service).into_owned())
                                .await
                        }
                    };
                if let Err(error) = result {
                    tracing::debug!(%peer, %error, "connection ended with an error");
                }
                drop(permit);
            });
        }
    }

    /// Asks every open connection to finish its requests and close, and
    /// waits for them at most `within`.
    pub async fn drain(&self, within: Duration) {
        let graceful = self
            .graceful
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(graceful) = graceful
            && tokio::time::timeout(within, graceful.shutdown())
                .await
                .is_err()
        {
            tracing::warn!(
                ?within,
                "connections still open after the drain timeout: closed"
            );
        }
    }
}

/// A stream whose reads stop after the idle timeout and whose writes stop
/// after the write timeout.
fn timed<S>(stream: S, limits: &super::Limits) -> TimeoutStream<S>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite,
{
    let mut stream = TimeoutStream::new(stream);
    stream.set_read_timeout(Some(limits.idle_timeout));
    stream.set_write_timeout(Some(limits.write_timeout));
    stream
}

type Answer = Response<Full<Bytes>>;

async fn route(request: Request<Incoming>, state: Arc<State>) -> Result<Answer, Infallible> {
    let (name, answer) = match (request.method(), request.uri().path()) {
        (&Method::POST, "/validate") => ("validate", validate(request, &state).await),
        (&Method::GET, "/healthz") => ("healthz", text(StatusCode::OK, "ok\n")),
        (&Method::GET, "/readyz") => (
            "readyz",
            if state.ready.load(Ordering::SeqCst) {
                text(StatusCode::OK, "ready\n")
            } else {
                text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
            },
        ),
        (&Method::GET, "/metrics") => {
            let mut answer = Response::new(Full::from(state.metrics.render()));
            answer.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            );
            ("metrics", answer)
        }
        (_, "/validate" | "/healthz" | "/readyz" | "/metrics") => {
            let allow = if request.uri().path() == "/validate" {
                "POST"
            } else {
                "GET"
            };
            let mut answer = text(
                StatusCode::METHOD_NOT_ALLOWED,
                &format!("use {allow} for {}\n", request.uri().path()),
            );
            answer
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
            ("other", answer)
        }
        _ => (
            "other",
            text(
                StatusCode::NOT_FOUND,
                "not found: souverain serves POST /validate, GET /healthz, /readyz and /metrics\n",
            ),
        ),
    };
    state.metrics.responded(name, answer.status().as_u16());
    Ok(answer)
}

fn text(status: StatusCode, body: &str) -> Answer {
    let mut answer = Response::new(Full::from(body.to_string()));
    *answer.status_mut() = status;
    answer.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    answer
}

/// `POST /validate`: 200 with an AdmissionReview for every well-formed
/// review; 400, 408, 413 or 415 with the reason otherwise.
async fn validate(request: Request<Incoming>, state: &State) -> Answer {
    let started = Instant::now();
    let _counted = state.metrics.in_flight();
    let answer = read_and_review(request, state).await;
    state.metrics.review_took(started.elapsed());
    answer
}

async fn read_and_review(request: Request<Incoming>, state: &State) -> Answer {
    let limit = state.limits.max_body_bytes;
    let json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.split(';').next().unwrap_or_default().trim() == "application/json");
    if !json {
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "an AdmissionReview is sent as Content-Type: application/json\n",
        );
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return too_large(limit);
    }
    let Ok(_permit) = state.in_flight.acquire().await else {
        return text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n");
    };
    let body = Limited::new(request.into_body(), limit).collect();
    let body = match tokio::time::timeout(state.limits.read_timeout, body).await {
        Ok(Ok(body)) => body.to_bytes(),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => {
            return too_large(limit);
        }
        Ok(Err(error)) => {
            return text(
                StatusCode::BAD_REQUEST,
                &format!("cannot read the body: {error}\n"),
            );
        }
        Err(_) => {
            return text(
                StatusCode::REQUEST_TIMEOUT,
                &format!(
                    "the body did not arrive within {:?}\n",
                    state.limits.read_timeout
                ),
            );
        }
    };
    let judge = state.judge();
    match review::review(&body, &judge, &state.rules, &today()) {
        Ok(reviewed) => {
            state.metrics.reviewed(&reviewed);
            log(&reviewed);
            let json = serde_json::to_vec(&reviewed.response)
                .expect("an AdmissionReview always serializes");
            let mut answer = Response::new(Full::from(json));
            answer.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            answer
        }
        Err(malformed) => {
            tracing::warn!(reason = %malformed, "malformed AdmissionReview answered 400");
            text(StatusCode::BAD_REQUEST, &format!("{malformed}\n"))
        }
    }
}

fn too_large(limit: usize) -> Answer {
    text(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("the body is larger than the limit of {limit} bytes (--max-body-bytes)\n"),
    )
}

/// Reviews that found something are logged at info, with what was said;
/// clean ones at debug.
fn log(reviewed: &review::Reviewed) {
    // Flat strings, so that a JSON log line stays one level deep.
    let findings: Vec<String> = reviewed
        .outcomes
        .iter()
        .map(|(rule, outcome)| format!("{rule}:{}", outcome.as_str()))
        .collect();
    let findings = findings.join(",");
    let said = reviewed.said.join("\n");
    macro_rules! event {
        ($level:expr) => {
            tracing::event!(
                $level,
                uid = %reviewed.uid,
                operation = reviewed.operation,
                object = %reviewed.object,
                dry_run = reviewed.dry_run,
                verdict = reviewed.verdict.as_str(),
                findings = %findings,
                said = %said,
                "review"
            )
        };
    }
    if reviewed.outcomes.is_empty() && reviewed.verdict != Verdict::Denied {
        event!(tracing::Level::DEBUG);
    } else {
        event!(tracing::Level::INFO);
    }
}

/// Today's date in UTC, for waiver expiry.
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    crate::civil_date(days)
}
