//! Owns the crates known to compile only the C (or C++) they carry, by name and by family: the
//! *bundled* kind of [`super::sys_crates`], kept apart from the crates that link a system library
//! so each table stays readable; and the crates whose bundled build makes no musl binary
//! ([`GNU_ONLY`]), with the warning for the one that builds for the builder's own architecture
//! only. [`super::sys_crates::find`] looks in both tables.

use super::runtime::NativeNeeds;
use super::sys_crates::{NONE, SysCrate, SysKind};
use crate::workspace::resolve::BuildGraph;

pub const BUNDLED: &[SysCrate] = &[
    // build.rs: compiles the bundled oniguruma unless RUSTONIG_SYSTEM_LIBONIG or
    // RUSTONIG_DYNAMIC_LIBONIG is set (pkg-config is a build dependency, used only then).
    bundled("onig_sys", "69.9.3", NONE, false),
    // build.rs: compiles the bundled nghttp2 with cc, no pkg-config.
    bundled("libnghttp2-sys", "0.1.13+1.68.1", NONE, false),
    // The bundled ones: their build scripts always compile what they carry.
    bundled("ring", "0.17.14", NONE, false),
    bundled("aws-lc-sys", "0.47.0", NONE, false),
    bundled("aws-lc-fips-sys", "0.14.4", &["cmake", "golang"], false),
    bundled("openssl-src", "400.0.2+4.0.3", &["perl", "make"], false),
    // src/lib.rs: LuaJIT's own makefile builds it (mlua-sys's `vendored` with `luajit`).
    bundled("luajit-src", "210.7.4+c6ffc14", &["make"], false),
    bundled("tikv-jemalloc-sys", "0.7.1+5.3.1", &["make"], false),
    bundled("jemalloc-sys", "0.5.4+5.3.0-patched", &["make"], false),
    bundled("libmimalloc-sys", "0.1.49", NONE, false),
    bundled("lz4-sys", "1.11.1+lz4-1.10.0", NONE, false),
    bundled("libz-ng-sys", "1.1.33", &["cmake"], false),
    bundled("liblzma-sys", "0.4.9", NONE, false),
    bundled("librocksdb-sys", "0.19.0+11.8.1", NONE, true),
    bundled("snmalloc-sys", "0.7.6", &["cmake"], true),
    bundled("link-cplusplus", "1.0.12", NONE, true),
    // build.rs: the x86 and NEON SIMD implementations in C (or assembly) unless `pure`, which
    // only saves the compiler.
    bundled("blake3", "1.8.2", NONE, false),
    // build.rs: assembles the stack-switching routine for the target with cc (stacker's base).
    bundled("psm", "0.1.30", NONE, false),
    // build.rs: compiles the LMDB it carries (mdb.c, midl.c); heed's, in meilisearch.
    bundled("lmdb-master-sys", "0.2.6", NONE, false),
    // build.rs: compiles the libwebp it vendors, no search.
    bundled("libwebp-sys", "0.9.6", NONE, false),
    bundled("cxx", "1.0.205", NONE, true),
    // build.rs: compiles the libsecp256k1 it carries with cc, no search (bitcoin and nostr
    // crates; nostr-rs-relay locks three versions of it).
    bundled("secp256k1-sys", "0.14.1", NONE, false),
    // build.rs: compiles the blst it carries (C and assembly) with cc; it links a prebuilt
    // `libblst.a` only when one sits in the crate's own directory, which a published crate has
    // not (Ethereum clients, through c-kzg and bls crates).
    bundled("blst", "0.3.17", NONE, false),
    // build.rs: compiles the capstone it carries with cc unless `check_only`; bindgen only with
    // `use_bindgen` (wasmtime-cli's disassembler).
    bundled("capstone-sys", "0.18.0", NONE, false),
    // build.rs: compiles Intel's ittnotify C it carries, no search (wasmtime's VTune support).
    bundled("ittapi-sys", "0.4.0", NONE, false),
    // build/main.rs: copies the BoringSSL it vendors, `git init`s it to `git apply` its patches,
    // and builds it with cmake (C++ since 2024); bindgen for the bindings. redlib's, via wreq.
    bundled("boring-sys2", "5.0.0-alpha.13", &["cmake", "git"], true),
    // build.rs: compiles the libdeflate it vendors; with `dynamic` it asks pkg-config for
    // exactly 1.24 first and compiles its copy when none is found (oxipng's, in crates.io).
    bundled("libdeflate-sys", "1.25.2", NONE, false),
    // build.rs: with `runtime`, on a host Cranelift compiles for, compiles its C helpers
    // (setjmp/longjmp for traps) with cc; no search.
    bundled("wasmtime", "48.0.8", NONE, false),
    // build.rs: cmake builds protobuf (C++14) for the host, where a build script runs its protoc.
    bundled("protobuf-src", "2.1.1+27.1", &["cmake", "g++"], true),
    // See [`GNU_ONLY`]: C++ (g++ brings the libstdc++ it links without its own libc++),
    // downloaded with curl, which a Rust builder image lacks.
    bundled("v8", "150.4.0", &["curl"], true),
];

/// A crate whose bundled build cannot make a musl binary for another reason than C++ (whether
/// or not it also compiles C++, which its table entry's `cxx` says), so the image is cc: the
/// judge records `how` on its verdict ([`super::runtime::NativeCrate::gnu_only`]), where the
/// plan's reason, table and warnings read it.
pub struct GnuOnly {
    pub krate: &'static str,
    /// What its build script does, said after the crate's name.
    pub how: &'static str,
    /// Where its build script refuses a target of another architecture than the builder's (as
    /// a multi-platform image cross-compiles all but one of its platforms), the feature that
    /// lets it.
    pub cross_feature: Option<&'static str>,
}

const GNU_ONLY: &[GnuOnly] = &[
    // build.rs: downloads librusty_v8 for `$TARGET` from the rusty_v8 release on github.com,
    // with deno or python3 if found, else `curl`, whose absence panics; the release publishes
    // gnu, darwin and windows archives only (rusty_v8's ci.yml, June 2026), so a musl build
    // stops there, and building V8 from source takes hours. deno's, through deno_core.
    GnuOnly {
        krate: "v8",
        how: "links the prebuilt V8 archive its build script downloads from github.com, which rusty_v8 publishes for gnu targets only",
        cross_feature: None,
    },
    // build.rs (1.6.8): unless `use-system-libs`, runs GMP's, MPFR's and MPC's own `configure`
    // and `make` (with m4), and panics "Cross compilation from {host} to {target} not
    // supported!" where the target is not the host (x86_64 to i686 aside) unless `force-cross`:
    // a musl target, from a gnu builder, is another target. rug's (kalker 2.2).
    GnuOnly {
        krate: "gmp-mpfr-sys",
        how: "builds GMP with its own `configure` and `make`, for the builder's own target only: its build script refuses a musl target unless its `force-cross` feature is on",
        cross_feature: Some("force-cross"),
    },
];

/// Why `name`'s bundled build makes no musl binary, when it is not (only) C++ ([`GNU_ONLY`]).
pub fn gnu_only(name: &str) -> Option<&'static GnuOnly> {
    GNU_ONLY.iter().find(|g| g.krate == name)
}

/// The warning for an image of several `platforms` that links a crate whose bundled build
/// refuses a target of another architecture than the builder's: on one machine, all platforms
/// but its own cross-compile, and gmp-mpfr-sys panics "Cross compilation from … not supported!"
/// there, after the rest of the build.
pub(super) fn refused_cross_build(
    needs: &NativeNeeds,
    graph: &BuildGraph,
    platforms: &[String],
) -> Option<String> {
    if platforms.len() < 2 {
        return None;
    }
    let (native, feature) = needs.crates.iter().filter(|c| !c.dynamic).find_map(|c| {
        let feature = gnu_only(&c.name)?.cross_feature?;
        let linked = graph.crates().find(|g| g.name == c.name)?;
        (!linked.features.contains(feature)).then_some((c, feature))
    })?;
    Some(format!(
        "`{}` (via {}) builds its library for the builder's own architecture only, and this image is for {}: a builder cross-compiles all but its own, where `{}`'s build script stops with \"Cross compilation … not supported\"; build each platform on a runner of its architecture (`build --platform`, then `merge`; see `matrix`), or turn on its `{feature}` feature",
        native.name,
        native.via.join(" -> "),
        platforms.join(", "),
        native.name,
    ))
}

const fn bundled(
    krate: &'static str,
    read: &'static str,
    tools: &'static [&'static str],
    cxx: bool,
) -> SysCrate {
    SysCrate {
        krate,
        read,
        library: "",
        default: SysKind::Bundled,
        bundled_features: NONE,
        bundled_build_deps: NONE,
        system_features: NONE,
        dev_package: None,
        static_env: NONE,
        tools,
        cxx,
        advice: "",
    }
}

/// Families of crates, by name, whose build scripts compile only the C (or C++) they carry:
/// each is judged by the rule for unknown crates (which reads its C++ and any library search),
/// and when that finds it bundles, it is known. atuin has four tree-sitter crates, difftastic
/// forty: a warning for each said nothing the user could act on.
const BUNDLING_FAMILIES: &[(&str, &str)] = &[
    // tree-sitter's build.rs compiles lib.c; each grammar's compiles the generated parser.c and
    // its scanner (scanner.cc in grammars before 2023).
    (
        "tree-sitter",
        "tree-sitter's runtime: its build script compiles the C it carries",
    ),
    (
        "tree-sitter-",
        "a tree-sitter grammar: its build script compiles the parser it carries",
    ),
];

/// What [`BUNDLING_FAMILIES`] says of a crate, when it belongs to one.
pub fn bundling_family(name: &str) -> Option<&'static str> {
    BUNDLING_FAMILIES
        .iter()
        .find(|(family, _)| match family.strip_suffix('-') {
            Some(_) => name.starts_with(family),
            None => name == *family,
        })
        .map(|(_, what)| *what)
}
