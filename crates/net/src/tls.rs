//! TLS pinned to device ids. There is no certificate authority: a device's certificate is
//! self-signed, and what we check is that blake3 of its public key is a device we trust. The
//! check runs inside the rustls verifiers, so an untrusted peer never gets past the handshake
//! and never sees a byte of application data. The handshake signature is still verified with
//! rustls' own code, proving the peer holds the private key.

use crate::NetError;
use rapport_identity::DeviceIdentity;
use rapport_model::DeviceId;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};
use std::fmt;
use std::sync::Arc;

/// ALPN protocol id: refuses anything that is not a Rapport peer early.
pub(crate) const ALPN: &[u8] = b"rapport/1";

/// Decides whether a device id is trusted. Read on every handshake, so a roster change takes
/// effect without a restart.
pub type TrustCheck = Arc<dyn Fn(&DeviceId) -> bool + Send + Sync>;

/// The device id in a certificate: blake3 of its SubjectPublicKeyInfo.
pub fn device_id_of_cert(der: &CertificateDer<'_>) -> Option<DeviceId> {
    let cert = webpki::EndEntityCert::try_from(der).ok()?;
    Some(DeviceId::from_spki(cert.subject_public_key_info().as_ref()))
}

pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

struct PinnedVerifier {
    trust: TrustCheck,
    provider: Arc<CryptoProvider>,
}

impl fmt::Debug for PinnedVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinnedVerifier")
    }
}

impl PinnedVerifier {
    fn check(&self, der: &CertificateDer<'_>) -> Result<(), Error> {
        let id = device_id_of_cert(der)
            .ok_or(Error::InvalidCertificate(CertificateError::BadEncoding))?;
        if (self.trust)(&id) {
            Ok(())
        } else {
            Err(Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn tls13(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn tls12(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        // QUIC is TLS 1.3 only; this exists to satisfy the trait and is still a real check.
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        self.check(end_entity)
            .map(|()| ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes()
    }
}

impl ClientCertVerifier for PinnedVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        self.check(end_entity)
            .map(|()| ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes()
    }
}

fn cert_and_key(
    identity: &DeviceIdentity,
) -> (Vec<CertificateDer<'static>>, PrivatePkcs8KeyDer<'static>) {
    (
        vec![CertificateDer::from(identity.cert_der().to_vec())],
        PrivatePkcs8KeyDer::from(identity.key_der().to_vec()),
    )
}

/// TLS for accepting connections: clients must present a trusted device certificate.
pub(crate) fn server_config(
    identity: &DeviceIdentity,
    trust: TrustCheck,
) -> Result<rustls::ServerConfig, NetError> {
    let provider = provider();
    let verifier = Arc::new(PinnedVerifier {
        trust,
        provider: provider.clone(),
    });
    let (certs, key) = cert_and_key(identity);
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| NetError::Tls(crate::error::TransportError::new(e)))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key.into())
        .map_err(|e| NetError::Tls(crate::error::TransportError::new(e)))?;
    config.alpn_protocols = vec![ALPN.to_vec()];
    Ok(config)
}

/// TLS for dialing: the server must be a device that `trust` accepts.
pub(crate) fn client_config(
    identity: &DeviceIdentity,
    trust: TrustCheck,
) -> Result<rustls::ClientConfig, NetError> {
    let provider = provider();
    let verifier = Arc::new(PinnedVerifier {
        trust,
        provider: provider.clone(),
    });
    let (certs, key) = cert_and_key(identity);
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| NetError::Tls(crate::error::TransportError::new(e)))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_auth_cert(certs, key.into())
        .map_err(|e| NetError::Tls(crate::error::TransportError::new(e)))?;
    config.alpn_protocols = vec![ALPN.to_vec()];
    Ok(config)
}
