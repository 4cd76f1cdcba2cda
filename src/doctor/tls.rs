//! Owns `doctor`'s TLS checks: where the binary will look for CA certificates in an image that
//! has exactly one bundle, Debian's `/etc/ssl/certs/ca-certificates.crt` (distroless static and
//! cc, and our scratch runtime). The system OpenSSL on a static image never gets this far: the
//! plan refuses it (`runtime::decide_runtime`), and `doctor` reports that error as it is.
//!
//! Facts behind them (read from the crates, December 2026):
//! - `openssl-src` (what openssl-sys's `vendored` feature builds) configures OpenSSL with
//!   `--openssldir=/usr/local/ssl` unless `OPENSSL_CONFIG_DIR` is set at build time; that OpenSSL
//!   looks for CAs in `/usr/local/ssl/cert.pem` and `/usr/local/ssl/certs`, which no distroless
//!   image has, so every verified connection fails with "certificate verify failed".
//! - `native-tls` on Linux calls `openssl_probe::probe()`, which finds the Debian bundle; so does
//!   `rustls-native-certs`. Code that uses the `openssl` crate directly gets no probing.

use std::collections::BTreeSet;

use super::{Finding, Severity};
use crate::plan::ImagePlan;

/// The one CA bundle every runtime we build has.
pub const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// CA locations of other distributions that code hard-codes and that no Debian-based image has.
const FOREIGN_CA_PATHS: &[&str] = &[
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/tls/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/etc/ssl/ca-bundle.pem",
    "/usr/local/ssl/cert.pem",
    "/usr/local/share/certs/ca-root-nss.crt",
    "/etc/ssl/certs/ca-bundle.crt",
];

/// What the TLS checks need to know about one image.
pub struct TlsFacts<'a> {
    pub image: &'a ImagePlan,
    /// Every crate the image's binary links, by name.
    pub linked: &'a BTreeSet<String>,
    /// `.cargo/config.toml`'s text (its `[env]` reaches build scripts).
    pub cargo_config: &'a str,
    /// The package's Rust sources, read.
    pub sources: &'a [(String, String)],
}

pub fn check(facts: &TlsFacts, findings: &mut Vec<Finding>) {
    let image = facts.image;
    let openssl = image.native.iter().find(|n| n.name == "openssl-sys");
    let env_sets = |key: &str| image.env.contains_key(key);
    if let Some(sys) = openssl.filter(|n| !n.dynamic)
        && !facts.linked.contains("openssl-probe")
        && !env_sets("SSL_CERT_FILE")
        && !env_sets("SSL_CERT_DIR")
        && !facts.cargo_config.contains("OPENSSL_CONFIG_DIR")
    {
        findings.push(Finding {
            code: "openssl-certs",
            severity: Severity::Warning,
            image: image.name.clone(),
            message: "a vendored OpenSSL will look for CA certificates where the image has none".into(),
            evidence: format!(
                "`openssl-sys {}` builds its own OpenSSL (`vendored`){}, configured with `--openssldir=/usr/local/ssl`, and nothing links `openssl-probe` (native-tls does) to point it at `{CA_BUNDLE}`: verified TLS connections fail with \"certificate verify failed\"",
                sys.version,
                via(&sys.via)
            ),
            fix: format!("set `env = {{ SSL_CERT_FILE = \"{CA_BUNDLE}\" }}` in its `[package.metadata.distroless]`, or call `openssl_probe::init_openssl_env_vars` at start"),
        });
    }
    if let Some(path) = image.env.get("SSL_CERT_FILE")
        && path != CA_BUNDLE
        && !image.assets.iter().any(|a| &a.dest == path)
    {
        findings.push(Finding {
            code: "ca-path",
            severity: Severity::Warning,
            image: image.name.clone(),
            message: "`SSL_CERT_FILE` names a file the image does not have".into(),
            evidence: format!("the image's `env` sets `SSL_CERT_FILE = \"{path}\"`; its runtime has only `{CA_BUNDLE}`, and no asset is copied to `{path}`"),
            fix: format!("set `SSL_CERT_FILE = \"{CA_BUNDLE}\"`, or add the bundle as an asset with `dest = \"{path}\"`"),
        });
    }
    if openssl.is_some() && env_sets("SSL_CERT_DIR") && !env_sets("SSL_CERT_FILE") {
        findings.push(Finding {
            code: "ca-path",
            severity: Severity::Warning,
            image: image.name.clone(),
            message: "OpenSSL is pointed at a certificate directory with no hashed links".into(),
            evidence: "the image's `env` sets `SSL_CERT_DIR` and links OpenSSL, which looks a directory up by `<subject-hash>.0` links; the runtime's `/etc/ssl/certs` holds only `ca-certificates.crt`".into(),
            fix: format!("set `SSL_CERT_FILE = \"{CA_BUNDLE}\"` instead"),
        });
    }
    for (file, text) in facts.sources {
        let hit = text.lines().enumerate().find_map(|(i, line)| {
            let code = line.split("//").next().unwrap_or_default();
            FOREIGN_CA_PATHS
                .iter()
                .find(|p| code.contains(&format!("\"{p}\"")))
                .map(|p| (i + 1, *p))
        });
        if let Some((line, path)) = hit {
            findings.push(Finding {
                code: "ca-path",
                severity: Severity::Warning,
                image: image.name.clone(),
                message: format!("the code reads CA certificates from `{path}`, which the image does not have"),
                evidence: format!("{file}:{line}: `{path}` is where another distribution keeps its bundle; distroless (Debian) keeps it at `{CA_BUNDLE}`"),
                fix: format!("read `SSL_CERT_FILE` with `{CA_BUNDLE}` as the default, or use `rustls-native-certs` / `openssl-probe`, which find it"),
            });
            break;
        }
    }
}

fn via(chain: &[String]) -> String {
    if chain.is_empty() {
        String::new()
    } else {
        format!(" (through {})", chain.join(" -> "))
    }
}
