//! The serving certificate: read from PEM files, checked (the key must match
//! the certificate), and swapped in place when the files change, so that
//! cert-manager renewals need no restart. Connections already open keep the
//! certificate they started with.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tokio_rustls::rustls::crypto::{CryptoProvider, ring};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{ServerConfig, version};

/// Where the certificate chain and its private key are.
#[derive(Debug, Clone)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl CertFiles {
    /// The files' bytes, to tell whether they changed.
    pub fn read(&self) -> Result<(Vec<u8>, Vec<u8>), String> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
        };
        Ok((read(&self.cert)?, read(&self.key)?))
    }

    /// Parses and checks the PEM contents of [`CertFiles::read`].
    pub fn load(&self, cert: &[u8], key: &[u8]) -> Result<Arc<CertifiedKey>, String> {
        let chain = CertificateDer::pem_slice_iter(cert)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{}: not a PEM certificate chain: {e}", self.cert.display()))?;
        if chain.is_empty() {
            return Err(format!(
                "{}: no CERTIFICATE block in the file",
                self.cert.display()
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key)
            .map_err(|e| format!("{}: not a PEM private key: {e}", self.key.display()))?;
        let certified = CertifiedKey::from_der(chain, key, &provider()).map_err(|e| {
            format!(
                "{} and {} do not make a usable certificate: {e}",
                self.cert.display(),
                self.key.display()
            )
        })?;
        Ok(Arc::new(certified))
    }
}

fn provider() -> CryptoProvider {
    ring::default_provider()
}

/// Hands every new connection the current certificate.
#[derive(Debug)]
pub struct CurrentCert(RwLock<Arc<CertifiedKey>>);

impl CurrentCert {
    pub fn new(key: Arc<CertifiedKey>) -> Arc<Self> {
        Arc::new(Self(RwLock::new(key)))
    }

    pub fn replace(&self, key: Arc<CertifiedKey>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = key;
    }
}

impl ResolvesServerCert for CurrentCert {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.read().unwrap_or_else(|e| e.into_inner()).clone())
    }
}

/// TLS 1.2 and 1.3 (the API server speaks both), HTTP/2 and HTTP/1.1
/// offered by ALPN.
pub fn server_config(cert: Arc<CurrentCert>) -> Arc<ServerConfig> {
    let mut config = ServerConfig::builder_with_provider(Arc::new(provider()))
        .with_protocol_versions(&[&version::TLS13, &version::TLS12])
        .expect("ring supports TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_cert_resolver(cert);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}
