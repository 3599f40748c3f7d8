//! `RAPPORT_RELAY_CA`: a PEM file of certificates to trust for the relay's TLS, for a
//! self-hosted relay whose certificate no public authority signed (the NAT tests' relay is
//! one). Read when the iroh endpoint binds; a file that cannot be used is logged and ignored,
//! since the LAN works without it.

/// The variable naming the file.
pub const VAR: &str = "RAPPORT_RELAY_CA";

/// The extra relay roots (DER), none when the variable is unset or unusable.
pub(crate) fn relay_roots() -> Vec<Vec<u8>> {
    let Some(path) = std::env::var_os(VAR) else {
        return Vec::new();
    };
    let read = std::fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|pem| rapport_net::certificates_from_pem(&pem).map_err(|e| e.to_string()));
    match read {
        Ok(roots) => roots,
        Err(e) => {
            tracing::warn!(
                file = %std::path::Path::new(&path).display(),
                error = %e,
                "{VAR} is unusable: set it to a PEM file of the relay's certificate"
            );
            Vec::new()
        }
    }
}

/// `RAPPORT_RELAY_ONLY=1` on `rapport serve`: every iroh packet through the relay, none
/// directly, so peers never learn this device's IP addresses (at the relay's speed).
pub(crate) fn relay_only() -> bool {
    std::env::var_os("RAPPORT_RELAY_ONLY").is_some_and(|v| v == "1")
}
