//! Real-engine proof of the static-or-cc decision and of the binary check in the Dockerfile:
//! the libgit2 fixture builds static and runs, and so do a vendored OpenSSL, a build script
//! that runs protoc, a member that compiles C and a bundled librdkafka; the SQLite fixture
//! builds cc and carries its library, and so does libpulse, with the library its RUNPATH
//! finds; a static build that comes out dynamic fails the build with the check's message; a
//! library linked in a way no plan sees (a name a build script makes) fails a static build by
//! name, and the cc build the message asks for carries it. A lock that Rust 1.80 and later reject builds
//! with the Rust the plan caps the builder at.
//! `#[ignore]`d like the rest of the engine suite; `tests/run-all.sh` runs them.

use std::path::Path;

use crate::engine::{docker_ok, engine_lock};
use crate::support;

/// A fixture copy that builds with example-workspace's pinned toolchain: the one Rust version the
/// engine suite has a builder image for (stand-ins are made per version).
fn fixture(name: &str) -> tempfile::TempDir {
    let dir = support::fixture(name);
    std::fs::copy(
        support::repo_root().join("example-workspace/rust-toolchain.toml"),
        dir.path().join("rust-toolchain.toml"),
    )
    .unwrap();
    dir
}

fn build(dir: &Path, package: &str) -> std::process::Output {
    support::run(
        dir,
        &[
            "build",
            "-p",
            package,
            "--network",
            "host",
            "--message-format",
            "json",
        ],
    )
}

fn inspect(image: &str) -> serde_json::Value {
    let out = support::run(
        Path::new("."),
        &["inspect", image, "--message-format", "json"],
    );
    assert!(out.status.success(), "{}", support::stderr(&out));
    serde_json::from_str(support::stdout(&out).trim()).unwrap()
}

/// Builds `package` of a fixture on the engine, checks that its image is static, and returns
/// what the image prints when run without a network.
fn static_image_prints(fixture_name: &str, package: &str, image: &str) -> String {
    static_image_prints_in(&fixture(fixture_name), package, image)
}

/// The same, of the workspace in `dir`.
fn static_image_prints_in(dir: &tempfile::TempDir, package: &str, image: &str) -> String {
    let out = build(dir.path(), package);
    assert!(out.status.success(), "{}", support::stderr(&out));
    let report: serde_json::Value = serde_json::from_str(support::stdout(&out).trim()).unwrap();
    assert_eq!(report["runtime"], "static");
    let linkage = inspect(image);
    assert_eq!(linkage["is_static"], true, "{linkage:#}");
    assert_eq!(linkage["needed"], serde_json::json!([]));
    assert_eq!(linkage["fits"], true);
    // Linked as the builder promises: with `cc` and the toolchain's lld, not musl's GNU ld.
    let bin = image.split(':').next().unwrap();
    let container = docker_ok(&["create", image]);
    let copy = tempfile::tempdir().unwrap();
    let copied = copy.path().join(bin);
    docker_ok(&[
        "cp",
        &format!("{}:/usr/local/bin/{bin}", container.trim()),
        copied.to_str().unwrap(),
    ]);
    docker_ok(&["rm", container.trim()]);
    let comment = crate::oci_host::linker_of(&copied).unwrap_or_default();
    assert!(comment.contains("Linker: LLD"), "{comment}");
    docker_ok(&["run", "--rm", "--network", "none", image])
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn libgit2_via_git2_builds_a_static_image_that_runs() {
    let _guard = engine_lock();
    let printed = static_image_prints("git2-static", "git-stamp", "git-stamp:0.1.0");
    assert!(
        printed.starts_with("git-stamp 0.1.0 (libgit2 1.9.") && printed.contains("vendored: true"),
        "{printed}"
    );
}

/// openssl-src, the build dependency `vendored` gives openssl-sys, runs OpenSSL's Configure
/// (perl with modules perl-base lacks) and make: neither is in a `rust:*-slim` builder, and a
/// plan that looked only at linked crates installed neither.
#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn vendored_openssl_builds_a_static_image_that_runs() {
    let _guard = engine_lock();
    let printed = static_image_prints("openssl-vendored", "ossl-version", "ossl-version:0.1.0");
    assert!(
        printed.starts_with("ossl-version 0.1.0 (OpenSSL 3."),
        "{printed}"
    );
}

/// prost-build runs protoc in the member's build script; a `rust:*-slim` builder has none.
#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_build_script_running_protoc_builds_and_runs() {
    let _guard = engine_lock();
    let printed = static_image_prints("prost-protoc", "greeter", "greeter:0.1.0");
    assert_eq!(printed.trim(), "greeter 0.1.0 (hello x3, 9 bytes)");
}

/// The workspace's own build script compiles C: the builder needs a musl C compiler for it, as
/// for any crate (cc-rs finds no `x86_64-linux-musl-gcc` in a `rust:*-slim` image), and the
/// kernel's headers beside musl's (its C includes `linux/magic.h`).
#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_member_compiling_c_builds_a_static_image_that_runs() {
    let _guard = engine_lock();
    let dir = fixture("member-c");
    crate::oci_host::include_a_kernel_header(dir.path());
    let printed = static_image_prints_in(&dir, "cadd", "cadd:0.1.0");
    assert_eq!(printed.trim(), "cadd 0.1.0 (5)");
}

/// A build script of the workspace's own that runs `git` (gitui's way of stamping a build):
/// `rust:*-slim` has no git, and the script's `Command::new("git")` fails in the final step.
#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_build_script_running_git_builds_a_static_image_that_runs() {
    let _guard = engine_lock();
    let printed = static_image_prints("build-script-git", "stamp", "stamp:0.1.0");
    // No repository in the build context (.dockerignore leaves .git out): git runs and finds
    // none, as in a build from a source tarball.
    assert!(
        printed
            .trim()
            .starts_with("stamp 0.1.0 (unknown, built with git version 2."),
        "{printed}"
    );
}

/// rdkafka-sys builds librdkafka with `./configure` and `make`, and configure stops without a
/// C++ compiler; a `rust:*-slim` builder has neither make nor g++.
#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn bundled_librdkafka_builds_a_static_image_that_runs() {
    let _guard = engine_lock();
    let printed = static_image_prints("rdkafka-bundled", "kconsumer", "kconsumer:0.1.0");
    assert!(
        printed.starts_with("kconsumer 0.1.0 (librdkafka 2."),
        "{printed}"
    );
}

/// A crate the table does not know that finds its library with pkg-config (`pcap`): the
/// builder gets the Debian package read off its build script's `probe("libpcap")`, and the cc
/// image carries the library.
#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn an_unknown_pkg_config_crate_gets_its_dev_package_and_a_cc_image_that_runs() {
    let _guard = engine_lock();
    let dir = fixture("pcap-system");
    let out = build(dir.path(), "netdevs");
    let err = support::stderr(&out);
    assert!(out.status.success(), "{err}");
    let report: serde_json::Value = serde_json::from_str(support::stdout(&out).trim()).unwrap();
    assert_eq!(report["runtime"], "cc");
    let linkage = inspect("netdevs:0.1.0");
    assert!(
        linkage["needed"]
            .as_array()
            .unwrap()
            .contains(&"libpcap.so.0.8".into()),
        "{linkage:#}"
    );
    let printed = docker_ok(&["run", "--rm", "--network", "none", "netdevs:0.1.0"]);
    assert!(printed.starts_with("netdevs 0.1.0: "), "{printed}");
    assert!(printed.split_whitespace().any(|d| d == "lo"), "{printed}");
}

/// libpulse.so.0 needs libpulsecommon-16.1.so from its RUNPATH (`pulseaudio/`), where the
/// builder's check did not look: it stopped the build with "the builder has no copy of" a
/// library its `-dev` package had installed. Both are carried now, and the binary runs.
#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_library_found_through_another_s_runpath_is_carried_and_the_image_runs() {
    let _guard = engine_lock();
    let dir = fixture("pulse-runpath");
    let out = build(dir.path(), "pulsever");
    let err = support::stderr(&out);
    assert!(out.status.success(), "{err}");
    // The builder's log says what it carried only when its step runs (not from BuildKit's
    // cache), so the image itself is what is checked.
    let files = crate::engine::image_files("pulsever:0.1.0");
    assert!(
        crate::engine::has_path(&files, "usr/lib/x86_64-linux-gnu/libpulsecommon-16.1.so"),
        "{files:?}"
    );
    let printed = docker_ok(&["run", "--rm", "--network", "none", "pulsever:0.1.0"]);
    assert!(
        printed.starts_with("pulsever 0.1.0: libpulse 16."),
        "{printed}"
    );
}

/// libmariadb.so.3 (Debian's libmysqlclient) loads its authentication plugins with dlopen from
/// `libmariadb3/plugin/`, which no NEEDED entry names: diesel 2.3's image carried the library
/// without them, started, passed its smoke test, and failed to log in to a server that asks for
/// one ("Plugin client_ed25519 could not be loaded"). libfontconfig.so.1 reads `/etc/fonts` and
/// lists `/usr/share/fonts`: without them the fontconfig crate's binary crashed; and with the
/// crate's `dlopen` feature the library itself was left out, as no NEEDED entry names it. Each
/// library and its files go in now, and each binary does its work in the image.
#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_library_s_plugins_and_data_are_carried_with_it_and_work_in_the_image() {
    let _guard = engine_lock();
    let cases = [
        (
            "mariadb-plugins",
            "authcheck",
            "usr/lib/x86_64-linux-gnu/libmariadb3/plugin/caching_sha2_password.so",
            "authcheck 0.1.0: caching_sha2_password loaded (client 3.",
        ),
        (
            "fontconfig-fonts",
            "fontcheck",
            "usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "fontcheck: sans-serif is DejaVu Sans (/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf)",
        ),
    ];
    for (fixture_name, package, carried, printed_start) in cases {
        let dir = fixture(fixture_name);
        let out = build(dir.path(), package);
        let err = support::stderr(&out);
        assert!(out.status.success(), "{package}: {err}");
        let image = format!("{package}:0.1.0");
        let files = crate::engine::image_files(&image);
        assert!(
            crate::engine::has_path(&files, carried),
            "{carried}: {files:?}"
        );
        let printed = docker_ok(&["run", "--rm", "--network", "none", &image]);
        assert!(printed.starts_with(printed_start), "{printed}");
    }
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn system_sqlite_builds_a_cc_image_that_carries_libsqlite3() {
    let _guard = engine_lock();
    let dir = fixture("feature-split");
    let out = build(dir.path(), "sqlcli");
    let err = support::stderr(&out);
    assert!(out.status.success(), "{err}");
    let report: serde_json::Value = serde_json::from_str(support::stdout(&out).trim()).unwrap();
    assert_eq!(report["runtime"], "cc");
    let linkage = inspect("sqlcli:0.1.0");
    assert!(
        linkage["needed"]
            .as_array()
            .unwrap()
            .contains(&"libsqlite3.so.0".into()),
        "{linkage:#}"
    );
    let printed = docker_ok(&["run", "--rm", "--network", "none", "sqlcli:0.1.0"]);
    // Debian 12's SQLite (3.40), carried in from the builder, not the bundled copy (3.46) that
    // the other member's feature would have brought in had the build not named its package.
    assert!(
        printed.starts_with("sqlcli 0.1.0 (sqlite 3.40."),
        "{printed}"
    );
    let label = docker_ok(&[
        "image",
        "inspect",
        "sqlcli:0.1.0",
        "--format",
        "{{index .Config.Labels \"dev.cargo-distroless.system-libraries\"}}",
    ]);
    assert_eq!(label.trim(), "libsqlite3 (libsqlite3-sys 0.30.1)");
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_static_build_that_comes_out_dynamic_fails_the_build_with_the_check() {
    let _guard = engine_lock();
    let dir = fixture("single-crate");
    // A workspace setting that turns musl's static linking off: the plan cannot see it, the
    // binary shows it.
    std::fs::create_dir_all(dir.path().join(".cargo")).unwrap();
    std::fs::write(
        dir.path().join(".cargo/config.toml"),
        "[target.x86_64-unknown-linux-musl]\nrustflags = [\"-C\", \"target-feature=-crt-static\"]\n",
    )
    .unwrap();
    let out = support::run(dir.path(), &["build", "--network", "host"]);
    assert_eq!(out.status.code(), Some(4), "{}", support::stderr(&out));
    let err = support::stderr(&out);
    assert!(
        err.contains("error: the binaries of image `hello-svc` do not fit its base\n  `hello-svc` was planned static, but it is dynamically linked (interpreter: "),
        "{err}"
    );
    assert!(err.contains("crt-static"), "{err}");
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_library_linked_from_source_fails_a_static_build_by_name_and_cc_carries_it() {
    let _guard = engine_lock();
    let dir = fixture("single-crate");
    // A link no plan can see: the build script makes the library's name when it runs, and
    // nothing else names it (no pkg-config, no `links` key). The workspace's own
    // `#[link(name = "xcb")]` would be read (see `build_tools.rs`); a registry crate's name that
    // is not its own is not.
    std::fs::write(
        dir.path().join("build.rs"),
        "fn main() {\n    let library = [\"x\", \"cb\"].concat();\n    println!(\"cargo:rustc-link-lib={library}\");\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/main.rs"),
        r#"extern "C" {
    fn xcb_connect(display: *const std::ffi::c_char, screen: *mut i32) -> *mut std::ffi::c_void;
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--version") {
        println!("hello-svc {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    if std::env::var_os("DISPLAY").is_some() {
        unsafe { xcb_connect(std::ptr::null(), std::ptr::null_mut()) };
    }
    println!("hello");
}
"#,
    )
    .unwrap();
    let out = build(dir.path(), "hello-svc");
    assert_eq!(out.status.code(), Some(4), "{}", support::stderr(&out));
    let err = support::stderr(&out);
    assert!(
        err.contains(
            "error: building image `hello-svc` failed: the linker found no libxcb (`-lxcb`)\n"
        ),
        "{err}"
    );
    assert!(err.contains("set `runtime = \"cc\"`"), "{err}");
    // The way out the help gives: cc, with the library's -dev package in the builder.
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        format!("{text}\n[package.metadata.distroless]\nruntime = \"cc\"\napt-packages = [\"libxcb1-dev\"]\n"),
    )
    .unwrap();
    let out = build(dir.path(), "hello-svc");
    assert!(out.status.success(), "{}", support::stderr(&out));
    let linkage = inspect("hello-svc:1.4.2");
    assert_eq!(linkage["fits"], true, "{linkage:#}");
    assert!(
        linkage["needed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "libxcb.so.1"),
        "{linkage:#}"
    );
    let printed = docker_ok(&["run", "--rm", "--network", "none", "hello-svc:1.4.2"]);
    assert_eq!(printed.trim(), "hello");
}

/// A lock holding `time` 0.3.29 (with `formatting`, for the build script, as rathole 0.5.0's
/// through vergen) fails on any Rust from 1.80 (E0282). With nothing pinned the plan gives the
/// builder 1.79: the image builds and runs.
#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_lock_that_newer_rust_rejects_builds_with_the_rust_below_it() {
    let _guard = engine_lock();
    let dir = support::fixture("old-time");
    let out = support::run(dir.path(), &["build", "--network", "host"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    let printed = docker_ok(&["run", "--rm", "--network", "none", "stamp-svc:0.2.0"]);
    assert_eq!(printed.trim(), "built at 1970-01-01 0:00:00.0 +00:00:00");
}
