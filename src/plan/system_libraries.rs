//! Owns what the builder's Debian release rules out: a locked `-sys` crate whose build script
//! cannot read the system library Debian 12 ships. openssl-sys before 0.9.64 expands OpenSSL's
//! version macro in a C file its build script preprocesses, and OpenSSL 3.0's macro does not
//! paste (`pasting "RUST_VERSION_OPENSSL_" and "(" does not give a valid preprocessing token`):
//! a lock from before mid-2021 that links the system OpenSSL fails in the cook step.
//!
//! Measured with `cargo check` of openssl-sys alone against Debian 12's libssl-dev 3.0.19:
//! 0.9.40, 0.9.58, 0.9.60, 0.9.61, 0.9.62 and 0.9.63 fail; 0.9.64 to 0.9.67 build.

use semver::Version;

use super::runtime::NativeCrate;
use crate::error::{Error, Result};

/// A crate whose releases before `supported_from` cannot build against `library` as the
/// builder's Debian ships it.
struct TooOld {
    name: &'static str,
    supported_from: Version,
    library: &'static str,
    fallback: &'static str,
}

const TOO_OLD: &[TooOld] = &[TooOld {
    name: "openssl-sys",
    supported_from: Version::new(0, 9, 64),
    library: "OpenSSL 3.0",
    fallback: "or enable the `vendored` feature of the `openssl` crate, which compiles its own copy",
}];

/// Refuses a build that links a system library through a crate too old to read it, before
/// anything is built. `crates` are one build's native crates (only those linking the system's
/// library, `dynamic`, count: a vendored copy is the crate's own).
pub fn check(crates: &[NativeCrate], debian: &str) -> Result<()> {
    for c in crates.iter().filter(|c| c.dynamic) {
        let Some(rule) = TOO_OLD.iter().find(|r| r.name == c.name) else {
            continue;
        };
        let supported = &rule.supported_from;
        if Version::parse(&c.version).is_ok_and(|v| v >= *supported) {
            continue;
        }
        return Err(Error::input(format!(
            "`{}` {} cannot build against {} in the Debian `{debian}` builder: its build script reads it from {supported} on",
            c.name, c.version, rule.library
        ))
        .with_detail(format!("  pulled in by {}", c.via.join(" -> ")))
        .with_help(format!(
            "`cargo update -p {} --precise {supported}` (or later), {}",
            c.name, rule.fallback
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::sys_crates::SysKind;

    fn openssl(version: &str, dynamic: bool) -> NativeCrate {
        NativeCrate {
            name: "openssl-sys".into(),
            version: version.into(),
            kind: SysKind::SystemOnly,
            dynamic,
            cxx: false,
            gnu_only: None,
            library: Some("libssl".into()),
            known: true,
            evidence: String::new(),
            advice: None,
            dev_packages: vec!["libssl-dev".into()],
            via: vec!["svc".into(), "native-tls".into()],
            opens: Vec::new(),
        }
    }

    #[test]
    fn openssl_sys_before_0_9_64_linking_the_systems_openssl_is_refused() {
        let err = check(&[openssl("0.9.63", true)], "bookworm").unwrap_err();
        let text = format!("{err:?}");
        assert!(
            text.contains("`openssl-sys` 0.9.63 cannot build against OpenSSL 3.0"),
            "{text}"
        );
        assert!(
            text.contains("cargo update -p openssl-sys --precise 0.9.64"),
            "{text}"
        );
        assert!(check(&[openssl("0.9.64", true)], "bookworm").is_ok());
        // Vendored: its own OpenSSL, whatever the release.
        assert!(check(&[openssl("0.9.40", false)], "bookworm").is_ok());
    }
}
