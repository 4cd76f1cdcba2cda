//! Owns the crates whose build edges say more than they do on Linux, so the rule for unknown
//! crates ([`super::judge`]) would read native code into a build that has none: those that ask
//! pkg-config only where a library is, to load it at run time, and those whose build script
//! gets a `cc` or `bindgen` it uses only on another OS. Data only, as [`super::sys_crates`].

use super::sys_crates::NONE;
use crate::workspace::resolve::Crate;

/// A crate whose build script may ask pkg-config only where a library lives, to load it with
/// `dlopen` at run time: then it links nothing, and the rule for unknown crates, which takes a
/// pkg-config search for a link, would make the image cc for nothing.
pub struct RunTimeLoaded {
    pub krate: &'static str,
    /// The version whose build script the entry was checked against.
    pub read: &'static str,
    /// When it links the library at build time (none of `dlopen` on).
    pub links: LinksWhen,
    /// Features that make it load the library at run time instead.
    pub dlopen: &'static [&'static str],
}

pub enum LinksWhen {
    Never,
    Always,
    /// With any of these features on.
    WithAny(&'static [&'static str]),
}

pub const RUN_TIME_LOADED: &[RunTimeLoaded] = &[
    // build.rs: pkg-config `get_variable(.., "libdir")` for each X library, to find it for
    // dlopen; links only libdl.
    RunTimeLoaded {
        krate: "x11-dl",
        read: "2.21.0",
        links: LinksWhen::Never,
        dlopen: NONE,
    },
    // build.rs: with `dlopen` only the library's directory; otherwise `probe("x11")`, a link.
    RunTimeLoaded {
        krate: "tiny-xlib",
        read: "0.2.5",
        links: LinksWhen::Always,
        dlopen: &["dlopen"],
    },
    // build.rs: links only with one of its four C backends on (the default has
    // `linux-static-hidraw`); `linux-native` and `linux-native-basic-udev` are Rust.
    RunTimeLoaded {
        krate: "hidapi",
        read: "2.6.6",
        links: LinksWhen::WithAny(&[
            "linux-static-hidraw",
            "linux-static-libusb",
            "linux-shared-hidraw",
            "linux-shared-libusb",
        ]),
        dlopen: NONE,
    },
    // build.rs (0.16.1): `#[cfg(not(feature = "dlopen"))]` around its one pkg-config
    // `find("xkbcommon")`, a link; with `dlopen` (smithay-clipboard's default) it links nothing.
    // Later versions have no build script.
    RunTimeLoaded {
        krate: "smithay-client-toolkit",
        read: "0.16.1",
        links: LinksWhen::Always,
        dlopen: &["dlopen"],
    },
    // build.rs: with `runtime-linking` (which wasmtime-wasi-nn turns on through `openvino`) it
    // links nothing and loads OpenVINO with libloading when asked; otherwise it finds and links
    // the OpenVINO C API.
    RunTimeLoaded {
        krate: "openvino-sys",
        read: "0.11.0",
        links: LinksWhen::Always,
        dlopen: &["runtime-linking"],
    },
    // build.rs: returns at once with `dlopen`; else probes (links) wayland-client, -cursor,
    // -egl or -server for the features of those names. wayland-backend's pure-Rust default
    // turns on none of them.
    RunTimeLoaded {
        krate: "wayland-sys",
        read: "0.31.11",
        links: LinksWhen::WithAny(&["client", "cursor", "egl", "server"]),
        dlopen: &["dlopen"],
    },
];

/// The entry for `name` when, with these features on, it links nothing.
pub fn links_nothing(
    name: &str,
    features: &std::collections::BTreeSet<String>,
) -> Option<&'static RunTimeLoaded> {
    let on = |fs: &[&str]| fs.iter().any(|f| features.contains(*f));
    RUN_TIME_LOADED
        .iter()
        .find(|c| c.krate == name)
        .filter(|c| {
            on(c.dlopen)
                || match c.links {
                    LinksWhen::Never => true,
                    LinksWhen::Always => false,
                    LinksWhen::WithAny(features) => !on(features),
                }
        })
}

/// A crate whose build script gets build dependencies it leaves unused when it builds on and
/// for Linux, unless a feature asks for them: read, the script gates them on another OS. Without
/// the entry the edge alone counts: a `cc` gives the Dockerfile's builder a musl C compiler and
/// makes the oci backend need zig, a `bindgen` installs libclang, for a binary with neither in
/// it. `anyhow`'s `backtrace` feature on a lockfile from before 2023 pulls such a `backtrace`
/// into plain services.
pub struct IdleBuildDeps {
    pub krate: &'static str,
    /// The version whose build script the entry was checked against.
    pub read: &'static str,
    /// The first version that leaves them unused (`0.0.0`: every version that has them).
    pub since: &'static str,
    /// The build dependencies it leaves unused on Linux.
    pub idle: &'static [&'static str],
    /// Features (optional dependencies among them) that make it use them after all.
    pub unless_any: &'static [&'static str],
    /// The target architectures (a triple's first part) it leaves them unused for; empty: all.
    pub on_arches: &'static [&'static str],
}

pub const IDLE_BUILD_DEPS: &[IdleBuildDeps] = &[
    // build.rs: `cc` runs only in `build_android`, called when CARGO_CFG_TARGET_OS is
    // "android" (0.3.69 dropped the build dependency).
    IdleBuildDeps {
        krate: "backtrace",
        read: "0.3.67",
        since: "0.0.0",
        idle: &["cc"],
        unless_any: NONE,
        on_arches: NONE,
    },
    // build.rs: the client and server log shims are compiled only with CARGO_FEATURE_LOG, the
    // optional `log` dependency.
    IdleBuildDeps {
        krate: "wayland-backend",
        read: "0.3.14",
        since: "0.0.0",
        idle: &["cc"],
        unless_any: &["log"],
        on_arches: NONE,
    },
    // build.rs: compiles its C only when TARGET contains "windows"; psm does the work on Linux.
    // chumsky, markdown-it and rustc's parsers pull it into services (lemmy).
    IdleBuildDeps {
        krate: "stacker",
        read: "0.1.23",
        since: "0.0.0",
        idle: &["cc"],
        unless_any: NONE,
        on_arches: NONE,
    },
    // build.rs: the `main` that runs bindgen is `#[cfg(target_os = "macos")]` (the build host);
    // on Linux it is empty. pueue 4 depends on it for Linux and macOS.
    IdleBuildDeps {
        krate: "libproc",
        read: "0.14.11",
        since: "0.0.0",
        idle: &["bindgen"],
        unless_any: NONE,
        on_arches: NONE,
    },
    // build.rs: `cc` expands `src/android-api.c` only when CARGO_CFG_TARGET_OS is "android".
    // sentry's debug-images pull it into services (crates.io).
    IdleBuildDeps {
        krate: "findshlibs",
        read: "0.10.2",
        since: "0.0.0",
        idle: &["cc"],
        unless_any: NONE,
        on_arches: NONE,
    },
    // build.rs: compiles `src/windows.c` on Windows only; elsewhere the stack switch is inline
    // assembly in the crate (wasmtime, through opa-wasm in matrix-authentication-service).
    IdleBuildDeps {
        krate: "wasmtime-internal-fiber",
        read: "48.0.8",
        since: "0.0.0",
        idle: &["cc"],
        unless_any: NONE,
        on_arches: NONE,
    },
    // builder/main.rs: cmake builds AWS-LC only where its cc builder cannot (FIPS, no
    // pregenerated bindings, `AWS_LC_SYS_CMAKE_BUILDER=1`), and that builder has covered x86_64
    // and aarch64 Linux, gnu and musl, since 0.15; before it, cmake always. `cmake` is not
    // optional, so without the entry every rustls service on aws-lc-rs would install cmake.
    // Other architectures came later, one by one (0.47 has arm and ppc64le, not riscv64 or
    // s390x), so for them cmake stays.
    IdleBuildDeps {
        krate: "aws-lc-sys",
        read: "0.47.0",
        since: "0.15.0",
        idle: &["cmake"],
        unless_any: &["bindgen", "fips", "ssl", "asan"],
        on_arches: &["x86_64", "aarch64"],
    },
];

/// The build dependencies of `crate_` its build script uses on Linux for the target `triple`:
/// all of them, less those [`IDLE_BUILD_DEPS`] knows it leaves unused with these features
/// there. An empty `triple` (not known) is taken to be on every architecture an entry names.
pub fn used_build_deps<'c>(crate_: &'c Crate, triple: &str) -> std::borrow::Cow<'c, Crate> {
    let arch = triple.split('-').next().unwrap_or_default();
    let idle = IDLE_BUILD_DEPS.iter().find(|e| {
        e.krate == crate_.name
            && !e.unless_any.iter().any(|f| crate_.features.contains(*f))
            && at_least(&crate_.version, e.since)
            && (e.on_arches.is_empty() || arch.is_empty() || e.on_arches.contains(&arch))
    });
    match idle {
        Some(e) if e.idle.iter().any(|d| crate_.build_deps.contains(*d)) => {
            let mut used = crate_.clone();
            used.build_deps.retain(|d| !e.idle.contains(&d.as_str()));
            std::borrow::Cow::Owned(used)
        }
        _ => std::borrow::Cow::Borrowed(crate_),
    }
}

/// Whether `version` is `since` or later; a version that does not parse is taken to be.
fn at_least(version: &str, since: &str) -> bool {
    match (
        semver::Version::parse(version),
        semver::Version::parse(since),
    ) {
        (Ok(v), Ok(since)) => v >= since,
        _ => true,
    }
}
