//! The builder's binary check, run on real ELF files on the host: the exact shell text the
//! Dockerfile includes ([`render::verify_snippet`]), given binaries that gcc builds here to be
//! static, dynamic, too new for a base's glibc, or in need of a library nobody has. The engine
//! suite proves the same text runs inside a real build.

use std::path::{Path, PathBuf};
use std::process::Command;

use cargo_distroless::plan::Runtime;
use cargo_distroless::plan::runtime::NativeCrate;
use cargo_distroless::plan::sys_crates::SysKind;
use cargo_distroless::plan::verify::BinaryCheck;
use cargo_distroless::render;

struct Outcome {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs the check on `bindir`, with `libdir` as the builder's library directory.
fn check(check: &BinaryCheck, bindir: &Path, rootfs: &Path, libdir: &Path) -> Outcome {
    let snippet = render::verify_snippet(check).unwrap();
    let script = format!(
        "set -o pipefail\ntrue \\\n{snippet} && verify_binaries {} {} {}\n",
        bindir.display(),
        rootfs.display(),
        libdir.display()
    );
    let out = Command::new("bash").arg("-c").arg(script).output().unwrap();
    Outcome {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn gcc(dir: &Path, name: &str, source: &str, args: &[&str]) -> PathBuf {
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, source).unwrap();
    let out_path = dir.join(name);
    let out = Command::new("gcc")
        .arg(&src)
        .arg("-o")
        .arg(&out_path)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("gcc on PATH");
    assert!(
        out.status.success(),
        "gcc failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out_path
}

const HELLO: &str = "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n";

fn dirs() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    let rootfs = tmp.path().join("rootfs");
    let lib = tmp.path().join("lib");
    for d in [&bin, &rootfs, &lib] {
        std::fs::create_dir_all(d).unwrap();
    }
    (tmp, bin, rootfs, lib)
}

fn sqlite() -> NativeCrate {
    NativeCrate {
        name: "libsqlite3-sys".into(),
        version: "0.30.1".into(),
        kind: SysKind::SystemOnly,
        dynamic: true,
        cxx: false,
        gnu_only: None,
        library: Some("libsqlite3".into()),
        known: true,
        evidence: String::new(),
        advice: None,
        dev_packages: Vec::new(),
        via: vec!["sqlcli".into()],
        opens: Vec::new(),
    }
}

fn static_check() -> BinaryCheck {
    BinaryCheck::new(
        Runtime::Static,
        &["gcr.io/distroless/static-debian12:nonroot".into()],
        &[&sqlite()],
    )
}

#[test]
fn a_static_binary_passes_the_static_check() {
    let (_tmp, bin, rootfs, lib) = dirs();
    gcc(&bin, "hello", HELLO, &["-static"]);
    let out = check(&static_check(), &bin, &rootfs, &lib);
    assert!(out.ok, "{}", out.stderr);
}

#[test]
fn a_dynamic_binary_planned_static_fails_with_what_it_needs() {
    let (_tmp, bin, rootfs, lib) = dirs();
    gcc(&bin, "web", HELLO, &[]);
    let out = check(&static_check(), &bin, &rootfs, &lib);
    assert!(!out.ok, "a glibc binary passed the static check");
    assert!(
        out.stderr.contains("error: `web` was planned static, but it is dynamically linked (interpreter: /lib64/ld-linux-x86-64.so.2; NEEDED: libc.so.6 )"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("help: set `runtime = \"cc\"`"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_cc_binary_needing_a_newer_glibc_than_the_base_fails_naming_the_version() {
    let (_tmp, bin, rootfs, lib) = dirs();
    // Built here on Debian 12 (glibc 2.36): every binary needs GLIBC_2.34 for
    // __libc_start_main, which Debian 11's glibc 2.31 does not have.
    gcc(&bin, "svc", HELLO, &[]);
    let old_base = BinaryCheck::new(Runtime::Cc, &["gcr.io/distroless/cc-debian11".into()], &[]);
    let out = check(&old_base, &bin, &rootfs, &lib);
    assert!(!out.ok, "a binary too new for glibc 2.31 passed");
    assert!(
        out.stderr.contains("error: `svc` needs GLIBC_2.34 (__libc_start_main@GLIBC_2.34 ), newer than glibc 2.31 in gcr.io/distroless/cc-debian11"),
        "{}",
        out.stderr
    );
    // The same binary fits Debian 12's base.
    let base = BinaryCheck::new(Runtime::Cc, &["gcr.io/distroless/cc-debian12".into()], &[]);
    let out = check(&base, &bin, &rootfs, &lib);
    assert!(out.ok, "{}", out.stderr);
}

#[test]
fn a_cc_binary_needing_a_library_nobody_has_fails_and_a_present_one_is_carried() {
    let (tmp, bin, rootfs, lib) = dirs();
    // libsqlite3.so.0 here is our own small library with that name, so the hint finds its crate.
    let shared = gcc(
        tmp.path(),
        "libsqlite3.so.0",
        "int answer(void) { return 42; }\n",
        &["-shared", "-fPIC", "-Wl,-soname,libsqlite3.so.0"],
    );
    gcc(
        &bin,
        "sqlcli",
        "int answer(void);\nint main(void) { return answer() == 42 ? 0 : 1; }\n",
        &[shared.to_str().unwrap()],
    );
    let cc = BinaryCheck::new(
        Runtime::Cc,
        &["gcr.io/distroless/cc-debian12:nonroot".into()],
        &[&sqlite()],
    );
    let out = check(&cc, &bin, &rootfs, &lib);
    assert!(!out.ok, "a binary needing a missing library passed");
    assert!(
        out.stderr.contains("error: `sqlcli` needs libsqlite3.so.0, which gcr.io/distroless/cc-debian12:nonroot does not have and the builder has no copy of in"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("libsqlite3.so.0 is linked by `libsqlite3-sys` 0.30.1 via sqlcli"),
        "{}",
        out.stderr
    );
    // With the library in the builder's library directory it is carried into the image.
    std::fs::copy(&shared, lib.join("libsqlite3.so.0")).unwrap();
    let out = check(&cc, &bin, &rootfs, &lib);
    assert!(out.ok, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("carrying libsqlite3.so.0 into the image (needed by sqlcli)")
    );
    let carried = rootfs
        .join(lib.strip_prefix("/").unwrap())
        .join("libsqlite3.so.0");
    assert!(carried.is_file(), "{} was not carried", carried.display());
}
