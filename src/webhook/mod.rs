//! `souverain serve`: a Kubernetes validating admission webhook
//! (docs/webhook.md).
//!
//! The answer to a review is [`review::review`], a pure function shared
//! with nothing else; this module is the HTTPS server around it: TLS with a
//! certificate reloaded from disk, limits on connections, body size and
//! time, the policy reloaded from disk (a bad one is refused and the last
//! good one kept), Prometheus metrics, probes and a graceful shutdown.

mod http;
pub mod metrics;
pub mod review;
pub mod tls;

use metrics::{Metrics, Reloadable};
use review::{Judge, Rules};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tls::{CertFiles, CurrentCert};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Everything `souverain serve` is told on its command line.
#[derive(Debug, Clone)]
pub struct Config {
    /// The HTTPS address (`POST /validate`, probes, metrics).
    pub listen: SocketAddr,
    /// A plain HTTP address for `/metrics`, `/healthz` and `/readyz`, for
    /// scrapers that do not speak TLS to pods.
    pub metrics_listen: Option<SocketAddr>,
    pub cert: CertFiles,
    /// A policy file extending the embedded policy; reloaded when it changes.
    pub policy_file: Option<PathBuf>,
    pub profile: Option<String>,
    pub rules: Rules,
    pub limits: Limits,
    /// How often the policy and certificate files are checked for changes.
    pub reload_interval: Duration,
    /// After SIGTERM, how long `/readyz` fails while requests are still
    /// served, so that the Service stops routing here before the listener
    /// closes.
    pub shutdown_delay: Duration,
}

/// Bounds on what one client can make the server hold.
#[derive(Debug, Clone)]
pub struct Limits {
    /// A larger body is refused with 413. The API server caps objects at
    /// 3 MiB; an UPDATE review carries the object twice.
    pub max_body_bytes: usize,
    /// TLS handshake, request headers, request body: each must arrive
    /// within this time.
    pub read_timeout: Duration,
    /// A response must be taken by the client within this time.
    pub write_timeout: Duration,
    /// A connection with nothing to read for this long is closed.
    pub idle_timeout: Duration,
    /// Open connections; more wait in the kernel's accept queue.
    pub max_connections: usize,
    /// Reviews read and answered at once; more wait their turn.
    pub max_in_flight: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 7 * 1024 * 1024,
            read_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(90),
            max_connections: 1024,
            max_in_flight: 16,
        }
    }
}

/// What cannot start: the server refuses to run on a bad policy or
/// certificate rather than answer with an unknown one.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Certificate(String),
    #[error("{0}")]
    Policy(String),
    #[error("cannot listen on {addr}: {error}")]
    Listen {
        addr: SocketAddr,
        error: std::io::Error,
    },
}

/// What every connection shares.
struct State {
    judge: RwLock<Arc<Judge>>,
    rules: Rules,
    limits: Limits,
    metrics: Metrics,
    in_flight: Semaphore,
    ready: AtomicBool,
}

impl State {
    fn judge(&self) -> Arc<Judge> {
        self.judge.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A bound, loaded server, ready to [`Server::run`].
pub struct Server {
    config: Config,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    state: Arc<State>,
    cert: Arc<CurrentCert>,
    /// The bytes the policy and certificate were last loaded from.
    seen: Seen,
}

#[derive(Default)]
struct Seen {
    policy: Option<Vec<u8>>,
    cert: (Vec<u8>, Vec<u8>),
}

impl Server {
    /// Loads the certificate and the policy and binds the listeners.
    pub async fn bind(config: Config) -> Result<Self, StartError> {
        let cert_bytes = config.cert.read().map_err(StartError::Certificate)?;
        let key = config
            .cert
            .load(&cert_bytes.0, &cert_bytes.1)
            .map_err(StartError::Certificate)?;
        let policy_bytes =
            match &config.policy_file {
                Some(path) => Some(std::fs::read(path).map_err(|e| {
                    StartError::Policy(format!("cannot read {}: {e}", path.display()))
                })?),
                None => None,
            };
        let judge = load_judge(&config, policy_bytes.as_deref()).map_err(StartError::Policy)?;
        let listen = |addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|error| StartError::Listen { addr, error })
        };
        let listener = listen(config.listen).await?;
        let metrics_listener = match config.metrics_listen {
            Some(addr) => Some(listen(addr).await?),
            None => None,
        };
        let state = Arc::new(State {
            judge: RwLock::new(Arc::new(judge)),
            rules: config.rules.clone(),
            limits: config.limits.clone(),
            metrics: Metrics::new(),
            in_flight: Semaphore::new(config.limits.max_in_flight),
            ready: AtomicBool::new(true),
        });
        Ok(Self {
            listener,
            metrics_listener,
            state,
            cert: CurrentCert::new(key),
            seen: Seen {
                policy: policy_bytes,
                cert: cert_bytes,
            },
            config,
        })
    }

    /// The HTTPS address, with the port the system chose for port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener")
    }

    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .map(|l| l.local_addr().expect("a bound listener"))
    }

    /// Serves until `shutdown` completes, then fails `/readyz` for the
    /// shutdown delay, stops accepting and lets open requests finish.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        let Server {
            config,
            listener,
            metrics_listener,
            state,
            cert,
            seen,
        } = self;
        // The bound addresses (port 0 becomes a real port).
        let listen = listener.local_addr().expect("a bound listener");
        let metrics_listen = metrics_listener
            .as_ref()
            .map(|l| l.local_addr().expect("a bound listener").to_string())
            .unwrap_or_else(|| "none".into());
        let tls = tokio_rustls::TlsAcceptor::from(tls::server_config(cert.clone()));
        let reloader = tokio::spawn(reload_forever(config.clone(), state.clone(), cert, seen));
        let connections = http::Connections::new(state.clone());
        let https = tokio::spawn(connections.clone().accept(listener, Some(tls)));
        let plain = metrics_listener.map(|l| tokio::spawn(connections.clone().accept(l, None)));
        tracing::info!(
            listen = %listen,
            metrics = %metrics_listen,
            profile = state.judge().profile.as_deref().unwrap_or("(default)"),
            mode = config.rules.modes.default.as_str(),
            excluded_namespaces = ?config.rules.excluded_namespaces,
            "souverain webhook serving"
        );
        shutdown.await;
        state.ready.store(false, Ordering::SeqCst);
        tracing::info!(delay = ?config.shutdown_delay, "shutting down: /readyz now fails");
        tokio::time::sleep(config.shutdown_delay).await;
        https.abort();
        if let Some(plain) = plain {
            plain.abort();
        }
        reloader.abort();
        connections.drain(config.limits.read_timeout).await;
        tracing::info!("stopped");
    }
}

/// The embedded policy, extended by the policy file's contents if any.
fn load_judge(config: &Config, policy: Option<&[u8]>) -> Result<Judge, String> {
    let extension = match (policy, &config.policy_file) {
        (Some(bytes), Some(path)) => Some((
            path.display().to_string(),
            String::from_utf8(bytes.to_vec())
                .map_err(|_| format!("{}: not UTF-8 text", path.display()))?,
        )),
        _ => None,
    };
    let policy = crate::Policy::shared_extended(
        extension
            .as_ref()
            .map(|(file, text)| (file.as_str(), text.as_str())),
    )
    .map_err(|e| {
        let mut message = e.to_string();
        for issue in &e.issues {
            message.push_str(&format!("\n  {issue}"));
        }
        message
    })?
    .into_owned();
    Judge::new(policy, config.profile.clone()).map_err(|e| e.to_string())
}

/// Checks the policy and certificate files every reload interval and swaps
/// in what changed. A change that does not load is logged and counted, and
/// the last good policy or certificate stays in use.
async fn reload_forever(config: Config, state: Arc<State>, cert: Arc<CurrentCert>, mut seen: Seen) {
    let mut ticks = tokio::time::interval(config.reload_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        if let Some(path) = &config.policy_file {
            match std::fs::read(path) {
                Ok(bytes) if seen.policy.as_deref() != Some(&bytes[..]) => {
                    match load_judge(&config, Some(&bytes)) {
                        Ok(judge) => {
                            *state.judge.write().unwrap_or_else(|e| e.into_inner()) =
                                Arc::new(judge);
                            tracing::info!(file = %path.display(), "policy reloaded");
                            state.metrics.reloaded(Reloadable::Policy, true);
                        }
                        Err(error) => {
                            tracing::error!(file = %path.display(), %error, "new policy refused; the last good one stays in use");
                            state.metrics.reloaded(Reloadable::Policy, false);
                        }
                    }
                    seen.policy = Some(bytes);
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(file = %path.display(), %error, "cannot read the policy file; the last good policy stays in use");
                }
            }
        }
        match config.cert.read() {
            Ok(bytes) if bytes != seen.cert => {
                match config.cert.load(&bytes.0, &bytes.1) {
                    Ok(key) => {
                        cert.replace(key);
                        tracing::info!(cert = %config.cert.cert.display(), "certificate reloaded");
                        state.metrics.reloaded(Reloadable::Certificate, true);
                    }
                    Err(error) => {
                        // cert-manager writes the certificate and the key one
                        // after the other: a mismatch may last one interval.
                        tracing::warn!(%error, "new certificate refused; the last good one stays in use");
                        state.metrics.reloaded(Reloadable::Certificate, false);
                    }
                }
                seen.cert = bytes;
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "cannot read the certificate; the last good one stays in use");
            }
        }
    }
}
