//! The glibc of a cc base the oci backend is not told by its name (`oci-layout:`, a base of the
//! user's own): read from the base's `libc.so.6`, so that a binary built against this machine's
//! newer glibc is linked for the base's (through zig) or refused, never written into an image it
//! cannot start in.

use std::path::Path;

use crate::support;

/// An OCI layout of a glibc base the name says nothing of: one layer whose
/// `lib/x86_64-linux-gnu/libc.so.6` links to `libc-<glibc>.so`, as Debian 11's (2.31) does.
fn glibc_base(dir: &Path, glibc: &str) {
    let mut tar = tar::Builder::new(Vec::new());
    support::append_symlink(
        &mut tar,
        "lib/x86_64-linux-gnu/libc.so.6",
        &format!("libc-{glibc}.so"),
    );
    let mut file = tar::Header::new_gnu();
    file.set_size(4);
    file.set_mode(0o755);
    tar.append_data(
        &mut file,
        format!("lib/x86_64-linux-gnu/libc-{glibc}.so"),
        &b"\x7fELF"[..],
    )
    .unwrap();
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"User": "65532", "WorkingDir": "/"}
    });
    support::write_oci_layout(dir, config, &tar.into_inner().unwrap());
}

/// example-workspace's `web` as a cc image on such a base.
fn web_on_glibc(glibc: &str) -> tempfile::TempDir {
    let dir = support::fixture("example-workspace");
    let base = dir.path().join("glibc-base");
    glibc_base(&base, glibc);
    let manifest = dir.path().join("crates/web/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap().replace(
        "[package.metadata.distroless]\n",
        &format!(
            "[package.metadata.distroless]\nruntime = \"cc\"\nruntime-image = \"oci-layout:{}\"\n",
            base.display()
        ),
    );
    std::fs::write(&manifest, text).unwrap();
    dir
}

fn build(dir: &Path, path: Option<&std::ffi::OsStr>) -> std::process::Output {
    let mut cmd = support::command(dir);
    cmd.args(["build", "--backend", "oci", "-p", "web", "-v", "--output"])
        .arg(format!(
            "type=oci,dest={}/out/{{image}},tar=false",
            dir.display()
        ));
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    cmd.output().unwrap()
}

/// With zig, the build links for the base's glibc, read from the base: this machine's glibc is
/// newer (2.36 on Debian 12), and a plain `cargo build` would need `GLIBC_2.34`.
#[test]
fn a_cc_build_on_a_base_whose_glibc_the_name_does_not_say_links_for_the_bases_glibc() {
    if support::tool("cargo-zigbuild").is_none() {
        return;
    }
    let dir = web_on_glibc("2.31");
    let out = build(dir.path(), None);
    let stderr = support::stderr(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Reading glibc 2.31 in base oci-layout:"),
        "{stderr}"
    );
    assert!(stderr.contains("(cargo zigbuild)"), "{stderr}");
    let binary = dir
        .path()
        .join("target/x86_64-unknown-linux-gnu/release/web");
    let linkage =
        cargo_distroless::linkage::Linkage::read(&std::fs::read(&binary).unwrap()).unwrap();
    let needs = linkage.glibc.expect("a glibc binary");
    assert!(
        cargo_distroless::plan::verify::version_cmp(&needs, "2.31").is_le(),
        "the binary needs GLIBC_{needs}, newer than the base's 2.31"
    );
}

/// Without zig, the binary this machine's glibc makes does not fit the base: refused, naming
/// both versions, and no image is written.
#[test]
fn a_cc_binary_needing_a_newer_glibc_than_its_bases_is_refused_without_zig() {
    // cargo, rustc and rustup, and the C compiler that drives the link: no cargo-zigbuild.
    let bin = tempfile::tempdir().unwrap();
    for tool in ["cargo", "rustc", "rustup", "cc"] {
        let found = support::tool(tool).unwrap_or_else(|| panic!("`{tool}` is on PATH"));
        std::os::unix::fs::symlink(found, bin.path().join(tool)).unwrap();
    }
    let dir = web_on_glibc("2.31");
    let out = build(dir.path(), Some(bin.path().as_os_str()));
    let stderr = support::stderr(&out);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("(cargo build)"), "{stderr}");
    assert!(
        stderr.contains("error: `web` does not fit its base `oci-layout:"),
        "{stderr}"
    );
    assert!(
        stderr.contains(", newer than glibc 2.31 in `oci-layout:"),
        "{stderr}"
    );
    assert!(!dir.path().join("out/web").exists(), "no image written");
}

/// A base whose glibc is as new as this machine's, or newer: `cargo build` links as the
/// Dockerfile's builder does, with the system's compiler and headers, even with zig installed
/// (zig's clang misses Debian's multiarch headers: openssl-sys fails on `opensslconf.h`).
#[test]
fn a_cc_build_on_a_base_with_this_machines_glibc_or_newer_does_not_go_through_zig() {
    if support::tool("cargo-zigbuild").is_none() {
        return;
    }
    let dir = web_on_glibc("2.99");
    let out = build(dir.path(), None);
    let stderr = support::stderr(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Reading glibc 2.99 in base oci-layout:"),
        "{stderr}"
    );
    assert!(stderr.contains("(cargo build)"), "{stderr}");
}

/// A cc binary linked against this machine's system libraries (cc-openssl: libssl-dev) cannot run
/// on a base with an older glibc, whatever zig pins: refused before anything compiles, naming the
/// package and both glibc versions (zig would fail in openssl-sys's build script, on headers).
#[test]
fn a_cc_build_linking_this_machines_libraries_onto_an_older_glibc_is_refused_before_compiling() {
    let dir = support::fixture("cc-openssl");
    let base = dir.path().join("glibc-base");
    glibc_base(&base, "2.31");
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        format!(
            "{text}\n[package.metadata.distroless]\nruntime-image = \"oci-layout:{}\"\n",
            base.display()
        ),
    )
    .unwrap();
    let out = support::command(dir.path())
        .args(["build", "--backend", "oci", "--output"])
        .arg(format!(
            "type=oci,dest={}/out/{{image}},tar=false",
            dir.path().display()
        ))
        .output()
        .unwrap();
    let stderr = support::stderr(&out);
    assert_eq!(out.status.code(), Some(3), "an environment error: {stderr}");
    assert!(
        stderr.contains("error: `tls-client` links against this machine's `libssl-dev`, whose libraries need its glibc "),
        "{stderr}"
    );
    assert!(stderr.contains(", and the base has glibc 2.31"), "{stderr}");
    assert!(
        stderr.contains(
            "help: build with `--backend buildx`, whose builder runs the base's Debian release"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("Compiling"), "nothing compiled: {stderr}");
    assert!(!dir.path().join("out").exists());
}
