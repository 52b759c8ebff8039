//! How connections to the shared database are protected, per the address's `sslmode` (libpq's
//! meanings): rustls, checking the server's certificate against `state_ca_file` for
//! `verify-ca`, and its name too for `verify-full`; `prefer` and `require` encrypt without
//! checking who answers, as libpq does. Nothing here connects: it makes the connector.

use crate::config::{PgTls, PostgresConfig};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::sync::Arc;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The connector every connection to the database uses.
pub type Connector = MakeRustlsConnect;

/// The stream a connection runs over (TLS or not, as the server and `sslmode` agreed).
pub type Stream =
    <Connector as tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>>::Stream;

/// The tokio-postgres mode for `tls`: the verifying modes require TLS; the checking is ours.
pub fn ssl_mode(tls: PgTls) -> SslMode {
    match tls {
        PgTls::Disable => SslMode::Disable,
        PgTls::Prefer => SslMode::Prefer,
        PgTls::Require | PgTls::VerifyCa | PgTls::VerifyFull => SslMode::Require,
    }
}

/// The connector for `cfg` in mode `tls`, or why not (an unreadable or empty CA file).
pub fn connector(cfg: &PostgresConfig, tls: PgTls) -> Result<Connector, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS for the database: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = if tls.verifies() {
        let webpki =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots(cfg)?), provider.clone())
                .build()
                .map_err(|e| format!("cannot use the database's CA file: {e}"))?;
        if tls == PgTls::VerifyCa {
            Arc::new(AnyName(webpki))
        } else {
            webpki
        }
    } else {
        Arc::new(Unchecked(provider))
    };
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// The certificate authorities in `state_ca_file`.
fn roots(cfg: &PostgresConfig) -> Result<RootCertStore, String> {
    let Some(path) = &cfg.ca_file else {
        return Err("`sslmode=verify-ca` and `verify-full` need `state_ca_file`".into());
    };
    let mut roots = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?;
    for cert in certs {
        let cert = cert.map_err(|e| format!("the CA file {} is not PEM: {e}", path.display()))?;
        roots.add(cert).map_err(|e| {
            format!(
                "the CA file {} holds a bad certificate: {e}",
                path.display()
            )
        })?;
    }
    if roots.is_empty() {
        return Err(format!(
            "the CA file {} holds no certificate",
            path.display()
        ));
    }
    Ok(roots)
}

/// `prefer` and `require`: the connection is encrypted and the handshake's signatures are
/// checked, but not who signed the certificate (libpq's meaning of these modes).
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
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

/// `verify-ca`: the certificate must chain to the CA file, whatever host it names.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
