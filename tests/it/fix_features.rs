//! A cc verdict's advice names the package's own feature when it has one that builds the system
//! library from source (vaultwarden's `vendored_openssl = ["openssl/vendored"]`), checked with
//! cargo's resolver: the advice is only given when turning that feature on makes the crate
//! bundled.

use crate::cli::{append, edit, rejects};
use crate::support;

/// openssl-vendored's fixture with `vendored` moved behind features of the package, as projects
/// offer it: one that turns it on through another, one that turns on something else.
fn openssl_behind_features() -> tempfile::TempDir {
    let dir = support::fixture("openssl-vendored");
    edit(dir.path(), "Cargo.toml", |t| {
        t.replace(
            "openssl = { version = \"0.10\", features = [\"vendored\"] }",
            "openssl = \"0.10\"",
        )
    });
    append(
        dir.path(),
        "Cargo.toml",
        "\n[features]\ndefault = []\nvendored-tls = [\"openssl/vendored\"]\nrelease-build = [\"vendored-tls\", \"extras\"]\nextras = []\n",
    );
    dir
}

fn runtime_reason(dir: &std::path::Path, args: &[&str]) -> String {
    let plan = support::plan_json(dir, args);
    plan["images"][0]["runtime_reason"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The cc verdict gives the table's advice, and does not name `feature`.
fn assert_not_offered(dir: &std::path::Path, feature: &str) {
    let reason = runtime_reason(dir, &[]);
    assert!(
        reason.contains("enable the `vendored` feature of the `openssl` crate (or use rustls)"),
        "{reason}"
    );
    assert!(!reason.contains(feature), "{reason}");
}

#[test]
fn a_cc_verdict_names_the_packages_own_feature_that_builds_the_library_from_source() {
    let dir = openssl_behind_features();
    let plan = support::plan_json(dir.path(), &[]);
    let image = &plan["images"][0];
    assert_eq!(image["runtime"], "cc", "{image:#}");
    let reason = image["runtime_reason"].as_str().unwrap();
    assert!(
        reason.contains("turn on `vendored-tls`, a feature of `ossl-version` that builds it from source (`features = [\"vendored-tls\"]` in `[package.metadata.distroless]` of `Cargo.toml`, or `--features vendored-tls`) for a static image"),
        "{reason}"
    );
    // What it names works: with it on, the image is static.
    let plan = support::plan_json(dir.path(), &["--features", "vendored-tls"]);
    assert_eq!(plan["images"][0]["runtime"], "static", "{plan:#}");
    // Forcing static says the same.
    rejects(
        dir.path(),
        &["--runtime", "static"],
        &["help: turn on `vendored-tls`, a feature of `ossl-version`"],
    );
}

#[test]
fn a_feature_that_only_looks_like_the_fix_is_not_offered() {
    // `vendored` of another crate (a path dependency whose feature does nothing): the manifest
    // reads like a fix, and cargo's resolver says openssl-sys is still built against libssl.
    let dir = support::fixture("cc-openssl");
    support::write_file(
        dir.path(),
        "shim/Cargo.toml",
        "[package]\nname = \"shim\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[features]\nvendored = []\n",
    );
    support::write_file(dir.path(), "shim/src/lib.rs", "");
    edit(dir.path(), "Cargo.toml", |t| {
        t.replace(
            "openssl-sys = \"0.9\"",
            "openssl-sys = \"0.9\"\nshim = { path = \"shim\" }",
        )
    });
    append(
        dir.path(),
        "Cargo.toml",
        "\n[features]\nlooks-vendored = [\"shim/vendored\"]\n",
    );
    support::update_workspace_lock(dir.path());
    assert_not_offered(dir.path(), "looks-vendored");
}

#[test]
fn a_feature_that_also_brings_in_another_system_library_is_not_offered() {
    // `static-build` vendors OpenSSL and also turns on a crate that links a system library:
    // the image would stay cc, for another reason.
    let dir = support::fixture("openssl-vendored");
    edit(dir.path(), "Cargo.toml", |t| {
        t.replace(
            "openssl = { version = \"0.10\", features = [\"vendored\"] }",
            "openssl = \"0.10\"\nfoo-sys = { path = \"foo-sys\", optional = true }",
        )
    });
    append(
        dir.path(),
        "Cargo.toml",
        "\n[features]\nstatic-build = [\"openssl/vendored\", \"dep:foo-sys\"]\n",
    );
    support::write_file(
        dir.path(),
        "foo-sys/Cargo.toml",
        "[package]\nname = \"foo-sys\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlinks = \"foo\"\nbuild = \"build.rs\"\n",
    );
    support::write_file(dir.path(), "foo-sys/src/lib.rs", "");
    support::write_file(
        dir.path(),
        "foo-sys/build.rs",
        "fn main() {\n    println!(\"cargo:rustc-link-lib=foo\");\n}\n",
    );
    support::update_workspace_lock(dir.path());
    assert_not_offered(dir.path(), "static-build");
    // With it on, the plan says why: foo-sys.
    let reason = runtime_reason(dir.path(), &["--features", "static-build"]);
    assert!(reason.contains("`foo-sys`"), "{reason}");
}

#[test]
fn a_default_feature_with_a_pure_rust_twin_is_named_to_swap() {
    // sea-orm-cli's shape: its default `runtime-tokio-native-tls` brings in OpenSSL, and its
    // `runtime-tokio-rustls` does not. Nothing can be added; a default can be swapped.
    let dir = support::fixture("openssl-vendored");
    edit(dir.path(), "Cargo.toml", |t| {
        t.replace(
            "openssl = { version = \"0.10\", features = [\"vendored\"] }",
            "openssl = { version = \"0.10\", optional = true }",
        )
    });
    append(
        dir.path(),
        "Cargo.toml",
        "\n[features]\ndefault = [\"cli\", \"native-tls\"]\ncli = []\nnative-tls = [\"dep:openssl\"]\nrustls = []\n",
    );
    support::update_workspace_lock(dir.path());
    let reason = runtime_reason(dir.path(), &[]);
    assert!(
        reason.contains("build `ossl-version` without its default `native-tls`, with `rustls` instead: `no-default-features = true` and `features = [\"cli\", \"rustls\"]` in `[package.metadata.distroless]` of `Cargo.toml`"),
        "{reason}"
    );
    // Done as it says: static.
    let plan = support::plan_json(
        dir.path(),
        &["--no-default-features", "--features", "cli,rustls"],
    );
    assert_eq!(plan["images"][0]["runtime"], "static", "{plan:#}");
}
