//! Owns the table of platforms we can build for: docker's `linux/arm64` on one side, Rust's target
//! triples and Debian's cross toolchains on the other.
//!
//! The compile step never runs under QEMU: the builder runs on `$BUILDPLATFORM` and cross-compiles
//! with Debian's `gcc-<gnu-triple>` cross compilers (linker, and C compiler for `-sys` crates).

use serde::Serialize;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Platform {
    /// Docker's name: `linux/amd64`.
    pub name: &'static str,
    /// BuildKit's `TARGETARCH`: `amd64`.
    pub arch: &'static str,
    /// BuildKit's `TARGETVARIANT`, empty when none: `v7` for `linux/arm/v7`.
    pub variant: &'static str,
    /// The Rust target for a static (musl) binary, when Rust has one with a std we can use.
    pub musl_triple: Option<&'static str>,
    /// The Rust target for a glibc binary.
    pub gnu_triple: &'static str,
    /// The GNU toolchain prefix Debian's cross compilers use: `aarch64-linux-gnu`.
    pub gnu_prefix: &'static str,
    /// Debian's architecture name: `arm64`, `armhf`, `ppc64el`.
    pub debian_arch: &'static str,
}

pub const PLATFORMS: &[Platform] = &[
    Platform {
        name: "linux/amd64",
        arch: "amd64",
        variant: "",
        musl_triple: Some("x86_64-unknown-linux-musl"),
        gnu_triple: "x86_64-unknown-linux-gnu",
        gnu_prefix: "x86_64-linux-gnu",
        debian_arch: "amd64",
    },
    Platform {
        name: "linux/arm64",
        arch: "arm64",
        variant: "",
        musl_triple: Some("aarch64-unknown-linux-musl"),
        gnu_triple: "aarch64-unknown-linux-gnu",
        gnu_prefix: "aarch64-linux-gnu",
        debian_arch: "arm64",
    },
    Platform {
        name: "linux/arm/v7",
        arch: "arm",
        variant: "v7",
        musl_triple: Some("armv7-unknown-linux-musleabihf"),
        gnu_triple: "armv7-unknown-linux-gnueabihf",
        gnu_prefix: "arm-linux-gnueabihf",
        debian_arch: "armhf",
    },
    Platform {
        name: "linux/ppc64le",
        arch: "ppc64le",
        variant: "",
        musl_triple: None,
        gnu_triple: "powerpc64le-unknown-linux-gnu",
        gnu_prefix: "powerpc64le-linux-gnu",
        debian_arch: "ppc64el",
    },
    Platform {
        name: "linux/s390x",
        arch: "s390x",
        variant: "",
        musl_triple: None,
        gnu_triple: "s390x-unknown-linux-gnu",
        gnu_prefix: "s390x-linux-gnu",
        debian_arch: "s390x",
    },
];

impl Platform {
    /// Parses docker's platform syntax. `linux/arm64/v8` is `linux/arm64`, as docker treats it.
    pub fn parse(text: &str) -> Result<Platform> {
        let normalized = match text.trim() {
            "linux/arm64/v8" => "linux/arm64",
            "linux/arm" | "linux/armhf" => "linux/arm/v7",
            "amd64" | "x86_64" | "linux/x86_64" => "linux/amd64",
            "arm64" | "aarch64" | "linux/aarch64" => "linux/arm64",
            other => other,
        };
        PLATFORMS
            .iter()
            .copied()
            .find(|p| p.name == normalized)
            .ok_or_else(|| {
                let known: Vec<&str> = PLATFORMS.iter().map(|p| p.name).collect();
                Error::input(format!("invalid platform `{text}`")).with_help(format!(
                    "use docker's `os/arch[/variant]` form; supported: {}",
                    known.join(", ")
                ))
            })
    }

    /// A planned platform by its exact name (plans hold only names `parse` normalised).
    pub fn find(name: &str) -> Option<&'static Platform> {
        PLATFORMS.iter().find(|p| p.name == name)
    }

    /// Debian's cross C compiler package for this platform: `gcc-aarch64-linux-gnu`.
    pub fn cross_gcc_package(&self) -> String {
        format!("gcc-{}", self.gnu_prefix.replace('_', "-"))
    }

    /// Debian's cross libc headers package: `libc6-dev-arm64-cross`.
    pub fn cross_libc_package(&self) -> String {
        format!("libc6-dev-{}-cross", self.debian_arch)
    }
}

/// `x86_64-unknown-linux-musl` as cargo spells it in environment variables:
/// `CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER`.
pub fn triple_env_upper(triple: &str) -> String {
    triple.replace(['-', '.'], "_").to_uppercase()
}

/// `x86_64-unknown-linux-musl` as cc-rs spells it: `CC_x86_64_unknown_linux_musl`.
pub fn triple_env_lower(triple: &str) -> String {
    triple.replace(['-', '.'], "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_names_and_aliases_parse() {
        assert_eq!(
            Platform::parse("linux/amd64").unwrap().musl_triple,
            Some("x86_64-unknown-linux-musl")
        );
        assert_eq!(
            Platform::parse("linux/arm64/v8").unwrap().name,
            "linux/arm64"
        );
        assert_eq!(
            Platform::parse("linux/arm/v7").unwrap().gnu_triple,
            "armv7-unknown-linux-gnueabihf"
        );
    }

    #[test]
    fn unknown_platforms_list_the_supported_ones() {
        let err = Platform::parse("windows/amd64").unwrap_err();
        assert_eq!(err.message, "invalid platform `windows/amd64`");
        assert!(err.help.unwrap().contains("linux/arm64"));
    }

    #[test]
    fn debian_package_names() {
        let p = Platform::parse("linux/amd64").unwrap();
        assert_eq!(p.cross_gcc_package(), "gcc-x86-64-linux-gnu");
        assert_eq!(
            Platform::parse("linux/arm64").unwrap().cross_libc_package(),
            "libc6-dev-arm64-cross"
        );
        assert_eq!(
            triple_env_upper("aarch64-unknown-linux-musl"),
            "AARCH64_UNKNOWN_LINUX_MUSL"
        );
    }
}
