//! Owns what we know about crates that bring native code: how each one gets its library, read
//! from its build script. Data only; [`super::runtime`] applies it to one build's graph.
//!
//! Three kinds, from how the build script behaves on a Linux target with nothing set:
//! - *system only*: it finds the library on the system (pkg-config, a `-config` tool, or plain
//!   `-l`) and fails without it, unless a feature makes it build its own copy. A musl build
//!   cannot use Debian's glibc libraries, so the image is cc.
//! - *system first*: it looks for the library with pkg-config and builds its bundled copy when
//!   none is found. pkg-config refuses to answer for another target (host gnu, target musl) unless
//!   told to, and the static builder installs no `-dev` package for it, so the bundled copy wins;
//!   where the crate has its own switch (`LIBZ_SYS_STATIC=1`), the static builder sets it too.
//! - *bundled*: it always compiles the C (or C++) it carries ([`super::bundled_crates`] holds those
//!   that have no other way).
//!
//! Each entry names the version whose build script was read (December 2026, from the crate
//! files on crates.io). A newer version that changes its behaviour needs a new entry; the binary
//! check after the build catches what a stale entry gets wrong.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SysKind {
    SystemOnly,
    SystemFirst,
    Bundled,
}

impl SysKind {
    pub fn describe(self) -> &'static str {
        match self {
            SysKind::SystemOnly => "system only",
            SysKind::SystemFirst => "system first, bundled fallback",
            SysKind::Bundled => "bundled",
        }
    }
}

pub struct SysCrate {
    pub krate: &'static str,
    /// The version whose build script the entry was checked against.
    pub read: &'static str,
    /// The library it links, as a file-name stem (`libssl`).
    pub library: &'static str,
    /// How it behaves with none of `bundled_features` / `system_features` on.
    pub default: SysKind,
    /// Features (of this crate) that make it compile its own copy.
    pub bundled_features: &'static [&'static str],
    /// Build dependencies whose presence means it compiles its own copy (`openssl-src`).
    pub bundled_build_deps: &'static [&'static str],
    /// Features that make it use the system library only.
    pub system_features: &'static [&'static str],
    /// Debian `-dev` package a cc builder installs to link the system library.
    pub dev_package: Option<&'static str>,
    /// `KEY=value` the static builder sets so that the bundled copy wins.
    pub static_env: &'static [&'static str],
    /// Builder tools its bundled build needs beyond a C compiler.
    pub tools: &'static [&'static str],
    /// Its bundled build compiles C++, so a musl build of it cannot be static. A bundled build
    /// that cannot for another reason is in [`super::bundled_crates::gnu_only`].
    pub cxx: bool,
    /// How to make a system-only build static.
    pub advice: &'static str,
}

/// No features, build dependencies or tools: an entry's empty list.
pub(super) const NONE: &[&str] = &[];

/// freetype-sys. build.rs (0.23.0): pkg-config `freetype2` at least 24.3.18, unwrapped (it
/// fails without one; not for Android), unless feature `bundled`, which compiles the FreeType
/// and libpng it carries as C, libpng with `-I libz-sys/src/zlib`, a directory the published
/// crate lacks: its `zlib.h` comes from the system's include path, which musl-gcc does not
/// search ("fatal error: zlib.h: No such file or directory", tried here). So `bundled` makes no
/// static image, and a glibc build of it finds `zlib.h` in the cc builder (libfreetype-dev
/// brings zlib1g-dev). martin's font rendering, through freetype-rs. Older versions behave
/// otherwise: [`super::sys_crates_history`], whose entries take this one's fields.
pub(super) const FREETYPE_SYS: SysCrate = SysCrate {
    krate: "freetype-sys",
    read: "0.23.0",
    library: "libfreetype",
    default: SysKind::SystemOnly,
    bundled_features: NONE,
    bundled_build_deps: NONE,
    system_features: NONE,
    dev_package: Some("libfreetype-dev"),
    static_env: NONE,
    tools: NONE,
    cxx: false,
    advice: "lock freetype-sys 0.22 and enable its `bundled` feature, which compiles FreeType as C (0.23's `bundled` build needs the system's zlib.h, which a musl build cannot use)",
};

pub const SYS_CRATES: &[SysCrate] = &[
    // build/main.rs: `vendored` (or the `aws-lc` features) builds OpenSSL; otherwise
    // find_normal locates the system one and panics without it.
    SysCrate {
        krate: "openssl-sys",
        read: "0.9.118",
        library: "libssl",
        default: SysKind::SystemOnly,
        bundled_features: &["vendored", "aws-lc", "aws-lc-fips"],
        bundled_build_deps: &["openssl-src"],
        system_features: NONE,
        dev_package: Some("libssl-dev"),
        static_env: NONE,
        tools: NONE,
        cxx: false,
        advice: "enable the `vendored` feature of the `openssl` crate (or use rustls)",
    },
    // build.rs: `bundled`/`bundled_without_openssl` build libpq from pq-src; else pg_config or
    // pkg-config.
    SysCrate {
        krate: "pq-sys",
        read: "0.7.8",
        library: "libpq",
        default: SysKind::SystemOnly,
        bundled_features: &["bundled", "bundled_without_openssl"],
        bundled_build_deps: &["pq-src"],
        system_features: NONE,
        dev_package: Some("libpq-dev"),
        static_env: NONE,
        tools: NONE,
        cxx: false,
        advice: "enable the `bundled` feature of `pq-sys` (diesel: `postgres_backend` plus `pq-sys/bundled`)",
    },
    // build.rs: `bundled` builds from mysqlclient-src (cmake); else pkg-config (mysqlclient,
    // then mariadb).
    SysCrate {
        krate: "mysqlclient-sys",
        read: "0.5.2",
        library: "libmysqlclient",
        default: SysKind::SystemOnly,
        bundled_features: &["bundled"],
        bundled_build_deps: &["mysqlclient-src"],
        system_features: NONE,
        dev_package: Some("default-libmysqlclient-dev"),
        static_env: NONE,
        tools: &["cmake"],
        cxx: true,
        advice: "enable the `bundled` feature of `mysqlclient-sys`",
    },
    // build.rs: bundled features compile sqlite3.c; else pkg-config, then plain `-lsqlite3`.
    SysCrate {
        krate: "libsqlite3-sys",
        read: "0.40.0",
        library: "libsqlite3",
        default: SysKind::SystemOnly,
        bundled_features: &[
            "bundled",
            "bundled-sqlcipher",
            "bundled-sqlcipher-vendored-openssl",
        ],
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("libsqlite3-dev"),
        static_env: NONE,
        tools: NONE,
        cxx: false,
        advice: "enable the `bundled` feature of `rusqlite` (or of `libsqlite3-sys`)",
    },
    // build.rs: pkg-config `dbus-1` unless `vendored`.
    SysCrate {
        krate: "libdbus-sys",
        read: "0.2.7",
        library: "libdbus-1",
        default: SysKind::SystemOnly,
        bundled_features: &["vendored"],
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("libdbus-1-dev"),
        static_env: NONE,
        tools: NONE,
        cxx: false,
        advice: "enable the `vendored` feature of `dbus`",
    },
    // src/functions.rs: `#[link(name = "odbc")]` on the extern block, no build script link, no
    // pkg-config: the system unixODBC unless `vendored-unix-odbc` (which turns on `static` and
    // builds it in the unix-odbc crate). sqlpage 0.47 links it through odbc-api.
    SysCrate {
        krate: "odbc-sys",
        read: "0.31.0",
        library: "libodbc",
        default: SysKind::SystemOnly,
        bundled_features: &["vendored-unix-odbc"],
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("unixodbc-dev"),
        static_env: NONE,
        tools: NONE,
        cxx: false,
        advice: "enable the `vendored-unix-odbc` feature of `odbc-sys`, which builds unixODBC from source",
    },
    // build.rs: pkg-config `alsa` or panic; `links = "alsa"`, but the library is libasound.
    SysCrate {
        krate: "alsa-sys",
        read: "0.3.1",
        library: "libasound",
        default: SysKind::SystemOnly,
        bundled_features: NONE,
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("libasound2-dev"),
        static_env: NONE,
        tools: NONE,
        cxx: false,
        advice: "turn off the dependency that brings ALSA in (it has no static build here; a server rarely plays sound)",
    },
    // build.rs, on Linux: the default `linux-static-hidraw` compiles hidapi's hid.c with cc and
    // links libudev found with pkg-config (`linux-static-libusb`: libusb-1.0; the shared ones:
    // Debian's libhidapi). `linux-native` compiles nothing and links nothing itself (see
    // not_linked.rs); its `udev` dependency links libudev through libudev-sys.
    SysCrate {
        krate: "hidapi",
        read: "2.6.6",
        library: "libudev",
        default: SysKind::SystemOnly,
        bundled_features: NONE,
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("libudev-dev"),
        static_env: NONE,
        tools: NONE,
        cxx: false,
        advice: "use hidapi's Rust-only `linux-native-basic-udev` backend (its default features off), as probe-rs does,",
    },
    // src/ffi/base.rs: `#[link(name="xcb")]`, and each extension its feature turns on links its
    // own library (`xfixes`, which x11-clipboard 0.3 asks for: libxcb-xfixes). No pkg-config, no
    // `links` key, no bundled copy; before 1.0 the build script generates the bindings with
    // python3 (see tool_crates::SCRIPT_TOOLS). libxcb-xfixes0-dev depends on libxcb1-dev, so it covers both.
    SysCrate {
        krate: "xcb",
        read: "0.8.2",
        library: "libxcb",
        default: SysKind::SystemOnly,
        bundled_features: NONE,
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("libxcb-xfixes0-dev"),
        static_env: NONE,
        tools: NONE,
        cxx: false,
        advice: "replace the X11 clipboard (`clipboard` 0.5 -> x11-clipboard -> xcb) with `arboard`, which speaks X11 in Rust,",
    },
    // build.rs (through pyo3-build-config 0.29): runs the `python3` it finds to learn the
    // version, and links libpython unless it builds an extension module (`extension-module`, a
    // cdylib: never an image's binary). A binary that embeds Python (syncstorage-rs'
    // `py_verifier`) links it; there is no static libpython for musl.
    SysCrate {
        krate: "pyo3-ffi",
        read: "0.29.0",
        library: "libpython3",
        default: SysKind::SystemOnly,
        bundled_features: NONE,
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("python3-dev"),
        static_env: NONE,
        tools: NONE,
        cxx: false,
        advice: "turn off the feature that embeds Python (pyo3 has no static libpython)",
    },
    // build.rs: with `vendored`, downloads hwloc's release with ureq and builds it with the
    // autotools crate; otherwise pkg-config `hwloc` (2.x). iggy's server (hwlocality, vendored).
    SysCrate {
        krate: "hwlocality-sys",
        read: "0.7.1",
        library: "libhwloc",
        default: SysKind::SystemOnly,
        bundled_features: &["vendored"],
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("libhwloc-dev"),
        static_env: NONE,
        tools: NONE,
        cxx: false,
        advice: "enable the `vendored` feature of `hwlocality-sys` (its build downloads and compiles hwloc)",
    },
    // build.rs: compiles its libbpf with `make` (`vendored-libbpf`, on by default) and links
    // libelf and zlib from the system (`rustc-link-lib=elf`, `=z`) unless `vendored` builds
    // them too, with autoreconf, autopoint, flex, bison and gawk. Its script checks that `make`
    // and `pkg-config` run either way (see tool_crates::SCRIPT_TOOLS). libelf-dev depends on
    // zlib1g-dev. eBPF tools through libbpf-rs (below).
    SysCrate {
        krate: "libbpf-sys",
        read: "1.5.0+v1.5.0",
        library: "libelf",
        default: SysKind::SystemOnly,
        bundled_features: &["vendored"],
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("libelf-dev"),
        static_env: NONE,
        tools: &["autoconf", "autopoint", "flex", "bison", "gawk"],
        cxx: false,
        advice: "enable the `vendored` feature of `libbpf-rs` (or of `libbpf-sys`), which builds libelf and zlib too",
    },
    // build.rs: pkg-config `libudev`, no bundled copy.
    SysCrate {
        krate: "libudev-sys",
        read: "0.1.4",
        library: "libudev",
        default: SysKind::SystemOnly,
        bundled_features: NONE,
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("libudev-dev"),
        static_env: NONE,
        tools: NONE,
        cxx: false,
        advice: "turn off the dependency that brings libudev in (it has no static build; serialport: its `libudev` feature)",
    },
    // build.rs: unless `vendored`/`zlib-ng-compat` (or LIBGIT2_NO_VENDOR=1), try pkg-config
    // `libgit2` in a version range, else build the bundled libgit2 with cc.
    SysCrate {
        krate: "libgit2-sys",
        read: "0.18.8+1.9.7",
        library: "libgit2",
        default: SysKind::SystemFirst,
        bundled_features: &["vendored", "zlib-ng-compat"],
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("libgit2-dev"),
        static_env: NONE,
        tools: NONE,
        cxx: false,
        advice: "enable the `vendored-libgit2` feature of `git2`",
    },
    // Beside its older behaviours, which build on it.
    FREETYPE_SYS,
    // build.rs: `LIBZ_SYS_STATIC=1` (read with option_env!, so when the build script compiles)
    // or `static` skips pkg-config; else pkg-config `zlib`, falling back to the bundled zlib.
    SysCrate {
        krate: "libz-sys",
        read: "1.1.33",
        library: "libz",
        default: SysKind::SystemFirst,
        bundled_features: &["static", "zlib-ng"],
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("zlib1g-dev"),
        static_env: &["LIBZ_SYS_STATIC=1"],
        tools: NONE,
        cxx: false,
        advice: "enable the `static` feature of `libz-sys`",
    },
    // build.rs: pkg-config only with `use-pkg-config` (or SODIUM_USE_PKG_CONFIG set), a
    // prebuilt one with SODIUM_LIB_DIR; otherwise it runs the bundled libsodium's configure and
    // make with the target's C compiler and links the result statically.
    SysCrate {
        krate: "libsodium-sys",
        read: "0.2.7",
        library: "libsodium",
        default: SysKind::Bundled,
        bundled_features: NONE,
        bundled_build_deps: NONE,
        system_features: &["use-pkg-config"],
        dev_package: Some("libsodium-dev"),
        static_env: NONE,
        tools: &["make"],
        cxx: false,
        advice: "turn off the `use-pkg-config` feature of `libsodium-sys`",
    },
    // build.rs: the same as libsodium-sys, from the fork's own sources: `use-pkg-config` (or
    // SODIUM_USE_PKG_CONFIG) links the system libsodium; otherwise configure and make build the
    // LATEST.tar.gz it ships (`fetch-latest` downloads a newer one) and link it statically.
    SysCrate {
        krate: "libsodium-sys-stable",
        read: "1.24.0",
        library: "libsodium",
        default: SysKind::Bundled,
        bundled_features: NONE,
        bundled_build_deps: NONE,
        system_features: &["use-pkg-config"],
        dev_package: Some("libsodium-dev"),
        static_env: NONE,
        tools: &["make"],
        cxx: false,
        advice: "turn off the `use-pkg-config` feature of `libsodium-sys-stable`",
    },
    // src/build.rs: `static` (or LCMS2_STATIC) compiles the vendored Little CMS with cc; else,
    // with `dynamic`, pkg-config `lcms2`, and where that finds none, with `static-fallback`
    // (on by default, as `dynamic` is), the vendored copy. Without `static-fallback` it would be
    // system only; the binary check catches that rare set.
    SysCrate {
        krate: "lcms2-sys",
        read: "4.0.5",
        library: "liblcms2",
        default: SysKind::SystemFirst,
        bundled_features: &["static"],
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("liblcms2-dev"),
        static_env: &["LCMS2_STATIC=1"],
        tools: NONE,
        cxx: false,
        advice: "enable the `static` feature of `lcms2-sys`",
    },
    // build.rs: `pkg_config::find_library("liblmdb")`, else compiles the bundled mdb.c and
    // midl.c with cc.
    SysCrate {
        krate: "lmdb-rkv-sys",
        read: "0.11.2",
        library: "liblmdb",
        default: SysKind::SystemFirst,
        bundled_features: NONE,
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("liblmdb-dev"),
        static_env: NONE,
        tools: NONE,
        cxx: false,
        advice: "it builds its bundled LMDB when pkg-config finds none",
    },
    // build.rs: vcpkg (Windows only), then pkg-config only when LIBSSH2_SYS_USE_PKG_CONFIG is
    // set; otherwise it always builds the bundled libssh2.
    SysCrate {
        krate: "libssh2-sys",
        read: "0.3.4",
        library: "libssh2",
        default: SysKind::Bundled,
        bundled_features: NONE,
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("libssh2-1-dev"),
        static_env: NONE,
        tools: NONE,
        cxx: false,
        advice: "unset `LIBSSH2_SYS_USE_PKG_CONFIG`",
    },
    // build.rs: without `static-curl`, curl-config/pkg-config `libcurl`, else builds the
    // bundled curl.
    SysCrate {
        krate: "curl-sys",
        read: "0.4.91+curl-8.22.0",
        library: "libcurl",
        default: SysKind::SystemFirst,
        bundled_features: &["static-curl"],
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("libcurl4-openssl-dev"),
        static_env: NONE,
        tools: NONE,
        cxx: false,
        advice: "enable the `static-curl` feature of `curl`",
    },
    // build.rs: with `dynamic-linking`, pkg-config `rdkafka` (and exit without it); otherwise
    // it copies its bundled librdkafka and runs `./configure` and `make libs`, which also build
    // the C++ wrapper library (configure stops at "c++: command not found"). Only the C library
    // is linked. With `cmake-build` it builds with the `cmake` crate (an optional build
    // dependency, so the plan sees it and installs cmake), and C++ for the target (see
    // [`CXX_WITH_FEATURE`]).
    SysCrate {
        krate: "rdkafka-sys",
        read: "4.10.0+2.12.1",
        library: "librdkafka",
        default: SysKind::Bundled,
        bundled_features: NONE,
        bundled_build_deps: NONE,
        system_features: &["dynamic-linking", "dynamic_linking"],
        dev_package: Some("librdkafka-dev"),
        static_env: NONE,
        tools: &["make", "g++"],
        cxx: false,
        advice: "turn off the `dynamic-linking` feature of `rdkafka`",
    },
    // build.rs (1.6.8): GMP, and with `mpfr`/`mpc` (its defaults) MPFR and MPC, built from the
    // sources it carries by their own `configure` and `make`, which need m4; for the host's
    // target only (see [`super::bundled_crates::GNU_ONLY`], which makes it cc), and C only. With
    // `use-system-libs` it links the system's: libmpc-dev depends on libmpfr-dev and
    // libgmp-dev, so it brings all three. rug's, in kalker 2.2.
    SysCrate {
        krate: "gmp-mpfr-sys",
        read: "1.6.8",
        library: "libgmp",
        default: SysKind::Bundled,
        bundled_features: NONE,
        bundled_build_deps: NONE,
        system_features: &["use-system-libs"],
        dev_package: Some("libmpc-dev"),
        static_env: NONE,
        tools: &["m4", "make"],
        cxx: false,
        advice: "turn off the `use-system-libs` feature of `gmp-mpfr-sys` (then it builds GMP for gnu targets only: a cc image, with GMP linked in)",
    },
    // build.rs: compiles zstd with cc (or cmake); pkg-config only with the `pkg-config`
    // feature, and then it panics without a system libzstd.
    SysCrate {
        krate: "zstd-sys",
        read: "2.1.3+zstd.1.5.7",
        library: "libzstd",
        default: SysKind::Bundled,
        bundled_features: NONE,
        bundled_build_deps: NONE,
        system_features: &["pkg-config"],
        dev_package: Some("libzstd-dev"),
        static_env: NONE,
        tools: NONE,
        cxx: false,
        advice: "turn off the `pkg-config` feature of `zstd-sys`",
    },
    // build.rs: unless `static`, pkg-config `bzip2`, else builds the bundled copy.
    SysCrate {
        krate: "bzip2-sys",
        read: "0.1.13+1.0.8",
        library: "libbz2",
        default: SysKind::SystemFirst,
        bundled_features: &["static"],
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("libbz2-dev"),
        static_env: NONE,
        tools: NONE,
        cxx: false,
        advice: "enable the `static` feature of `bzip2-sys`",
    },
    // build.rs: unless `static` or LZMA_API_STATIC, pkg-config `liblzma`, else bundled.
    SysCrate {
        krate: "lzma-sys",
        read: "0.1.20",
        library: "liblzma",
        default: SysKind::SystemFirst,
        bundled_features: &["static"],
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("liblzma-dev"),
        static_env: &["LZMA_API_STATIC=1"],
        tools: NONE,
        cxx: false,
        advice: "enable the `static` feature of `lzma-sys`",
    },
    // build.rs: PCRE2_SYS_STATIC, else static on musl targets, else pkg-config `libpcre2-8`
    // with the bundled copy as fallback.
    SysCrate {
        krate: "pcre2-sys",
        read: "0.2.10",
        library: "libpcre2-8",
        default: SysKind::SystemFirst,
        bundled_features: NONE,
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: Some("libpcre2-dev"),
        static_env: &["PCRE2_SYS_STATIC=1"],
        tools: NONE,
        cxx: false,
        advice: "set `PCRE2_SYS_STATIC=1`",
    },
];

/// Crates of the tables that compile C++ for the target only with a feature on, each with the
/// feature and what the build then does, for the plan's reason.
const CXX_WITH_FEATURE: &[(&str, &str, &str)] = &[
    // build.rs (4.10.0): `cmake-build` configures librdkafka's CMake project, which enables C++
    // and builds its C++ wrapper (src-cpp) for the target; `./configure` otherwise uses the
    // host's c++. For musl, cmake stopped at "failed to find tool x86_64-linux-musl-g++" (the
    // oci backend, here); rustus's rdkafka-sys 4.8 built for gnu with cmake and g++.
    (
        "rdkafka-sys",
        "cmake-build",
        "with `cmake-build` librdkafka's CMake build compiles its C++ wrapper for the target",
    ),
];

/// What `name`'s build compiles in C++ for the target with the features `on`, when a feature of
/// [`CXX_WITH_FEATURE`] makes it do so.
pub fn cxx_with_feature(
    name: &str,
    on: &std::collections::BTreeSet<String>,
) -> Option<&'static str> {
    CXX_WITH_FEATURE
        .iter()
        .find(|(krate, feature, _)| *krate == name && on.contains(*feature))
        .map(|(_, _, what)| *what)
}

/// The entry of `name` that holds for the locked `version`: an older behaviour's where its
/// build script has changed since ([`super::sys_crates_history`]), else the table's.
pub fn find(name: &str, version: &str) -> Option<&'static SysCrate> {
    super::sys_crates_history::older(name, version).or_else(|| newest(name))
}

/// The entry of `name` for its newest behaviour.
pub fn newest(name: &str) -> Option<&'static SysCrate> {
    SYS_CRATES
        .iter()
        .chain(super::bundled_crates::BUNDLED)
        .find(|c| c.krate == name)
}

/// Build dependencies that show a crate compiles C or C++.
pub const C_BUILD_DEPS: &[&str] = &["cc", "cmake", "autotools"];
/// Build dependencies that show it compiles C++ through a bridge.
pub const CXX_BUILD_DEPS: &[&str] = &["cxx-build", "cpp_build"];
/// Build dependencies that show it can look for a system library.
pub const SYSTEM_PROBES: &[&str] = crate::workspace::resolve::SYSTEM_PROBES;

#[cfg(test)]
#[path = "sys_crates_tests.rs"]
mod tests;
