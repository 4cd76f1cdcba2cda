//! `cargo distroless inspect` on real ELF files built here by gcc, and on an OCI image layout
//! written here around one of them (no engine needed). The engine suite inspects images that
//! `build` made.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support;

fn gcc(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let src = dir.join("main.c");
    std::fs::write(
        &src,
        "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n",
    )
    .unwrap();
    let out = dir.join(name);
    let status = Command::new("gcc")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .args(args)
        .status()
        .expect("gcc on PATH");
    assert!(status.success());
    out
}

fn inspect(dir: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let out = support::run(
        dir,
        &[&["inspect", "--message-format", "json"], args].concat(),
    );
    let json = serde_json::from_str(support::stdout(&out).trim()).unwrap_or_default();
    (out.status.code(), json, support::stderr(&out))
}

#[test]
fn a_static_binary_is_reported_static_and_fits_a_static_base() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = gcc(tmp.path(), "hello", &["-static", "-s"]);
    let (code, json, err) = inspect(tmp.path(), &[bin.to_str().unwrap(), "--base", "static"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json["is_static"], true);
    assert_eq!(json["interpreter"], serde_json::Value::Null);
    assert_eq!(json["needed"], serde_json::json!([]));
    assert_eq!(json["stripped"], true);
    assert_eq!(json["fits"], true);
}

#[test]
fn a_dynamic_binary_does_not_fit_a_static_base_and_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = gcc(tmp.path(), "hello", &[]);
    let (code, json, _) = inspect(tmp.path(), &[bin.to_str().unwrap(), "--base", "static"]);
    assert_eq!(code, Some(1), "a misfit is a failed check");
    assert_eq!(json["is_static"], false);
    assert_eq!(json["libc"], "glibc");
    assert_eq!(json["needed"], serde_json::json!(["libc.so.6"]));
    assert!(
        json["misfits"][0]["problem"]
            .as_str()
            .unwrap()
            .starts_with("it is dynamically linked (interpreter: /lib64/ld-linux-x86-64.so.2"),
        "{json:#}"
    );
    // glibc 2.34+ (Debian 12 built it) does not fit Debian 11's base, and fits Debian 12's.
    let (code, json, _) = inspect(
        tmp.path(),
        &[
            bin.to_str().unwrap(),
            "--base",
            "gcr.io/distroless/cc-debian11",
        ],
    );
    assert_eq!(code, Some(1));
    assert!(
        json["misfits"][0]["problem"]
            .as_str()
            .unwrap()
            .contains("newer than glibc 2.31"),
        "{json:#}"
    );
    let (code, _, err) = inspect(tmp.path(), &[bin.to_str().unwrap(), "--base", "cc"]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn what_is_not_a_binary_or_an_image_is_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "hello\n").unwrap();
    let out = support::run(tmp.path(), &["inspect", "notes.txt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        support::stderr(&out).contains("error: `notes.txt` is not an ELF binary"),
        "{}",
        support::stderr(&out)
    );
}

/// Writes an OCI image layout with one gzip layer holding `bin` at `usr/local/bin/<name>`, on
/// distroless/static by its label.
fn oci_layout(dir: &Path, bin: &Path, name: &str) {
    oci_layout_on(
        dir,
        bin,
        name,
        "gcr.io/distroless/static-debian12:nonroot",
        None,
    );
}

/// [`oci_layout`] with another base label, and a `libc.so.6` linking to `libc` when given (what
/// a glibc base of Debian 11 or older has).
fn oci_layout_on(dir: &Path, bin: &Path, name: &str, base: &str, libc: Option<&str>) {
    let mut tar = tar::Builder::new(Vec::new());
    let data = std::fs::read(bin).unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o755);
    header.set_cksum();
    tar.append_data(&mut header, format!("usr/local/bin/{name}"), &data[..])
        .unwrap();
    if let Some(libc) = libc {
        support::append_symlink(&mut tar, "lib/x86_64-linux-gnu/libc.so.6", libc);
    }
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": [format!("/usr/local/bin/{name}")],
                   "Labels": {"org.opencontainers.image.base.name": base}}
    });
    support::write_oci_layout(dir, config, &tar.into_inner().unwrap());
}

#[test]
fn the_entrypoint_of_an_oci_layout_is_read_and_checked_against_its_base_label() {
    let tmp = tempfile::tempdir().unwrap();
    let dynamic = gcc(tmp.path(), "svc", &[]);
    let layout = tmp.path().join("layout");
    oci_layout(&layout, &dynamic, "svc");
    let (code, json, err) = inspect(tmp.path(), &["layout"]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(json["path"], "/usr/local/bin/svc");
    assert_eq!(json["base"], "gcr.io/distroless/static-debian12:nonroot");
    assert_eq!(
        json["fits"], false,
        "a glibc binary on the static base it names"
    );
    // The same layout around a static binary fits.
    let fixed = tempfile::tempdir().unwrap();
    let bin = gcc(fixed.path(), "svc", &["-static"]);
    oci_layout(&fixed.path().join("layout"), &bin, "svc");
    let (code, json, err) = inspect(fixed.path(), &["layout"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json["is_static"], true);
}

/// An image's binary is checked against the glibc the image itself has, read from its
/// `libc.so.6`, where its base's name says no Debian release (a base of the user's own).
#[test]
fn an_images_own_glibc_is_what_its_binary_is_checked_against() {
    let tmp = tempfile::tempdir().unwrap();
    // Built here, against this machine's glibc (2.34 or newer: `__libc_start_main@GLIBC_2.34`).
    let dynamic = gcc(tmp.path(), "svc", &[]);
    let base = "registry.example/acme/glibc-base:1";
    oci_layout_on(
        &tmp.path().join("old"),
        &dynamic,
        "svc",
        base,
        Some("libc-2.31.so"),
    );
    let (code, json, err) = inspect(tmp.path(), &["old"]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(json["base"], base);
    assert!(
        json["misfits"][0]["problem"]
            .as_str()
            .is_some_and(|p| p.contains(&format!("newer than glibc 2.31 in `{base}`"))),
        "{json:#}"
    );
    // A libc as new as this machine's: it fits.
    oci_layout_on(
        &tmp.path().join("new"),
        &dynamic,
        "svc",
        base,
        Some("libc-2.99.so"),
    );
    let (code, json, err) = inspect(tmp.path(), &["new"]);
    assert_eq!(code, Some(0), "{err}: {json:#}");
    // `--base` asks about that base, not the image's own libc.
    let (code, json, _) = inspect(
        tmp.path(),
        &["new", "--base", "gcr.io/distroless/cc-debian11"],
    );
    assert_eq!(code, Some(1), "{json:#}");
}
