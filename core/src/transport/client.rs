//! The Redis client of a configuration: URL, TLS trust, and error text without the password.

use crate::config::Config;
use crate::error::{Error, Result};

/// A redis client for `config`. Fails with [`Error::InvalidArgument`] for a URL or TLS
/// root certificate that cannot be used.
pub(crate) fn open_client(config: &Config) -> Result<redis::Client> {
    open_client_for(config, &config.url)
}

/// A redis client for `url` with the TLS trust of `config` (a Sentinel's or the master's
/// URL under a `redis+sentinel://` configuration).
pub(crate) fn open_client_for(config: &Config, url: &str) -> Result<redis::Client> {
    install_tls_provider();
    let bad_url = |e: redis::RedisError| {
        Error::InvalidArgument(format!(
            "bad Redis URL {}: {e}",
            crate::config::redact_url(url)
        ))
    };
    match &config.tls_root_cert {
        None => redis::Client::open(url).map_err(bad_url),
        Some(pem) => {
            check_root_cert(pem)?;
            redis::Client::build_with_tls(
                url,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem.clone()),
                },
            )
            .map_err(bad_url)
        }
    }
}

/// redis-rs takes PEM text without a certificate in it as an empty trust store (and every
/// server then fails with "unknown issuer"); say what is wrong with the option instead.
fn check_root_cert(pem: &[u8]) -> Result<()> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut certificates = 0;
    for certificate in CertificateDer::pem_slice_iter(pem) {
        certificate.map_err(|e| {
            Error::InvalidArgument(format!("the TLS root certificate is not valid PEM: {e}"))
        })?;
        certificates += 1;
    }
    if certificates == 0 {
        return Err(Error::InvalidArgument(
            "the TLS root certificate has no PEM CERTIFICATE block".into(),
        ));
    }
    Ok(())
}

fn install_tls_provider() {
    // rediss:// needs a process-wide rustls provider; another library may have set one.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Makes sure no error text carries a password of the configuration (Redis or the driver
/// may echo a URL).
pub(crate) fn scrub_passwords(err: Error, passwords: &[String]) -> Error {
    if passwords.is_empty() {
        return err;
    }
    let scrub = |mut text: String| {
        for password in passwords {
            text = text.replace(password.as_str(), "***");
        }
        text
    };
    match err {
        Error::InvalidArgument(m) => Error::InvalidArgument(scrub(m)),
        Error::Connection(m) => Error::Connection(scrub(m)),
        Error::Timeout(m) => Error::Timeout(scrub(m)),
        Error::Redis(m) => Error::Redis(scrub(m)),
        Error::Protocol(m) => Error::Protocol(scrub(m)),
        Error::LeaseInDoubt(m) => Error::LeaseInDoubt(scrub(m)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_that_do_not_parse_never_show_the_password() {
        for url in [
            "redis://user:s3cret@127.0.0.1:99999",
            "redis://user:s3cret@bad host:6379",
            "redis://user:s3cret@[::1:6379",
            "user:s3cret@127.0.0.1:6379",
            "redis://:s3cret@127.0.0.1:99999/0",
            "redis://s3cret@127.0.0.1:99999",
        ] {
            let shown = crate::config::redact_url(url);
            assert!(!shown.contains("s3cret"), "{url} -> {shown}");
            let err = open_client(&Config::new(url)).err().map(|e| e.to_string());
            if let Some(err) = err {
                assert!(!err.contains("s3cret"), "{url} -> {err}");
            }
        }
    }

    #[test]
    fn a_root_cert_without_a_certificate_is_an_invalid_argument() {
        for pem in [
            "not a certificate",
            "",
            "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
        ] {
            let config =
                Config::new("rediss://127.0.0.1:6400").with_tls_root_cert(pem.as_bytes().to_vec());
            let err = open_client(&config).err();
            assert!(
                matches!(&err, Some(Error::InvalidArgument(m)) if m.contains("TLS root certificate")),
                "{pem:?} -> {err:?}"
            );
        }
    }
}
