//! The one TLS configuration both the REST client and the notification
//! WebSocket use.
//!
//! Three modes: the platform's trust store (the default; PMS's own
//! `*.plex.direct` certificate verifies against it), only the certificates of
//! a `ca_file` (a self-signed or custom PMS certificate), or no verification
//! at all, which is accepted only for loopback and private addresses — on
//! those the risk is a local attacker, who could read the token file anyway.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_platform_verifier::ConfigVerifierExt;

/// How to verify the server's certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// PEM file with the certificates to trust instead of the platform's.
    pub ca_file: Option<PathBuf>,
    /// Skip verification (loopback / private hosts only; checked by the
    /// config and again by [`build_client_config`]).
    pub insecure_skip_verify: bool,
}

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read CA file {path}: {detail}")]
    CaFile { path: PathBuf, detail: String },
    #[error("CA file {path} holds no usable certificate")]
    EmptyCaFile { path: PathBuf },
    #[error("insecure_skip_verify is only allowed for loopback or private addresses, not `{host}`")]
    InsecurePublicHost { host: String },
    #[error("cannot load the platform's trusted certificates: {0}")]
    Platform(String),
}

/// Builds the shared configuration for a server at `url`.
pub fn build_client_config(
    settings: &TlsSettings,
    url: &url::Url,
) -> Result<ClientConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    if settings.insecure_skip_verify {
        if !allows_insecure(url) {
            return Err(TlsError::InsecurePublicHost {
                host: url.host_str().unwrap_or("").to_owned(),
            });
        }
        let config = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Platform(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoChainCheck(provider)))
            .with_no_client_auth();
        return Ok(config);
    }
    if let Some(path) = &settings.ca_file {
        let mut roots = RootCertStore::empty();
        let certs = CertificateDer::pem_file_iter(path).map_err(|e| TlsError::CaFile {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        for cert in certs {
            let cert = cert.map_err(|e| TlsError::CaFile {
                path: path.clone(),
                detail: e.to_string(),
            })?;
            roots.add(cert).map_err(|e| TlsError::CaFile {
                path: path.clone(),
                detail: e.to_string(),
            })?;
        }
        if roots.is_empty() {
            return Err(TlsError::EmptyCaFile { path: path.clone() });
        }
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Platform(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        return Ok(config);
    }
    // The platform verifier looks up the process-wide provider; another part
    // of the process may have installed one already, which is fine.
    if CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    }
    ClientConfig::with_platform_verifier().map_err(|e| TlsError::Platform(e.to_string()))
}

/// True when the URL's host is loopback, RFC 1918, link-local, ULA or
/// `localhost`: the only hosts where skipping verification is accepted.
pub fn allows_insecure(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Accepts any certificate chain but still checks handshake signatures, so
/// the connection is at least bound to the key the server presented.
#[derive(Debug)]
struct NoChainCheck(Arc<CryptoProvider>);

impl ServerCertVerifier for NoChainCheck {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn insecure_is_allowed_only_on_private_hosts() {
        for ok in [
            "https://127.0.0.1:32400",
            "https://10.1.2.3:32400",
            "https://192.168.1.10",
            "https://172.16.0.1",
            "https://[::1]:32400",
            "https://[fd00::5]",
            "https://localhost:32400",
        ] {
            assert!(allows_insecure(&url(ok)), "{ok}");
        }
        for bad in [
            "https://8.8.8.8",
            "https://172.32.0.1",
            "https://plex.example.com",
            "https://192-168-1-10.abc.plex.direct:32400",
            "https://[2001:db8::1]",
        ] {
            assert!(!allows_insecure(&url(bad)), "{bad}");
        }
    }

    #[test]
    fn insecure_for_a_public_host_is_refused() {
        let s = TlsSettings {
            ca_file: None,
            insecure_skip_verify: true,
        };
        let err = build_client_config(&s, &url("https://plex.example.com")).unwrap_err();
        assert!(err.to_string().contains("plex.example.com"), "{err}");
        assert!(build_client_config(&s, &url("https://127.0.0.1:32400")).is_ok());
    }

    #[test]
    fn ca_file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let s = TlsSettings {
            ca_file: Some(path.clone()),
            insecure_skip_verify: false,
        };
        let err = build_client_config(&s, &url("https://10.0.0.2")).unwrap_err();
        assert!(err.to_string().contains("ca.pem"), "{err}");
    }
}
