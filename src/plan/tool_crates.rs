//! Owns what build-time crates need in the builder beyond a C compiler: programs their build
//! scripts run from the `PATH` (`protoc`, `nasm`, `python3`) and the crates that bring their own
//! protoc. Data only, as [`super::sys_crates`]; [`super::runtime`] turns it into Debian packages.

/// Build-time crates that run `protoc` from the `PATH` (or `$PROTOC`), each from the version on
/// which it does: prost-build carried protoc binaries before 0.11; protoc-rust always runs it;
/// protobuf-codegen 3 does unless every build script that gets it asks for `.pure()` (read in
/// `workspace::build_script::protobuf_codegen_is_pure`; librespot's does), so where one cannot
/// be read it is taken to (protobuf-compiler is 3 MB in the builder; a missing protoc fails the
/// build, and the oci backend refuses to start one without it).
pub const PROTOC_USERS: &[(&str, semver::Version)] = &[
    ("prost-build", semver::Version::new(0, 11, 0)),
    ("protoc-rust", semver::Version::new(0, 0, 0)),
    ("protobuf-codegen", semver::Version::new(3, 0, 0)),
];
/// Linked crates whose own build script runs a program from the `PATH` below a version, with the
/// Debian packages that ship it: a Rust builder image has no Python, and xcb before 1.0 generates
/// its bindings from XCB's XML with `python3 rs_client.py` (jless 0.9.0, through `clipboard`);
/// libbpf-sys builds libbpf with `make`, static image or not.
pub const SCRIPT_TOOLS: &[(&str, semver::Version, &[&str])] = &[
    ("xcb", semver::Version::new(1, 0, 0), &["python3"]),
    // Its build script panics unless `make` and `pkg-config` run (read in 1.5.0; 1.x all along).
    (
        "libbpf-sys",
        semver::Version::new(2, 0, 0),
        &["make", "pkg-config"],
    ),
];
/// Build-time crates that drive a program from the `PATH`, with the Debian packages that ship it.
/// A build script that uses one fails in a builder without it, and nothing in the script's own
/// text names the program: nasm-rs runs `nasm` (rav1e 0.8.1's `asm` feature, on by default, for
/// its x86 assembly), capnpc runs `capnp compile`, flatc-rust runs `flatc`, the autotools crate
/// runs `autoreconf` where no `configure` ships, then `configure` and `make`.
pub const TOOL_CRATES: &[(&str, &[&str])] = &[
    ("nasm-rs", &["nasm"]),
    ("capnpc", &["capnproto"]),
    ("flatc-rust", &["flatbuffers-compiler"]),
    ("autotools", &["autoconf", "automake", "libtool", "make"]),
];
/// Build-time crates that bring their own protoc, or stand in for it: a build script using one
/// points `PROTOC` at it, or (protox, a protobuf compiler in Rust; atuin 18) hands prost-build
/// the compiled file descriptors, so protoc never runs.
pub const PROTOC_PROVIDERS: &[&str] = &[
    "protoc-bin-vendored",
    "protobuf-src",
    "protoc-prebuilt",
    "protox",
];

/// Whether build dependency `dep` is a library's sources packaged as a crate (`lua-src`,
/// `zeromq-src`: the `*-src` convention openssl-src started), compiled into what uses it; not a
/// protoc provider, whose `protobuf-src` builds a program the build runs.
pub fn is_library_source(dep: &str) -> bool {
    dep.ends_with("-src") && !PROTOC_PROVIDERS.contains(&dep)
}
