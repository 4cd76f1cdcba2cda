//! `build`'s failures against a fake `docker` (tests/fake-docker/docker): each one's exit code,
//! its message and `help:` line, and what is refused before anything is built.

use std::process::Command;

use crate::fake::{Fake, builds};
use crate::support;

/// `build ARGS` against the fake in `mode`: it exits with `code`, and stderr holds each needle
/// and a `help:` line.
fn fails(mode: &str, args: &[&str], code: i32, needles: &[&str]) -> (tempfile::TempDir, Fake) {
    let dir = support::fixture("example-workspace");
    let fake = Fake::new();
    let out = fake.run(dir.path(), mode, args);
    let err = support::stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "mode {mode}: expected exit {code}:\n{err}"
    );
    for n in needles {
        assert!(err.contains(n), "mode {mode}: stderr lacks {n:?}:\n{err}");
    }
    assert!(err.contains("help: "), "{err}");
    (dir, fake)
}

#[test]
fn docker_missing_is_an_environment_error() {
    let dir = support::fixture("single-crate");
    let out = Command::new(support::BIN)
        .args(["distroless", "build", "--backend", "buildx"])
        .current_dir(dir.path())
        .env("CARGO_DISTROLESS_DOCKER", "/nonexistent/docker")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(support::stderr(&out).contains("`/nonexistent/docker` was not found"));
    assert!(support::stderr(&out).contains("help: install Docker"));
}

#[test]
fn buildx_missing() {
    let (dir, fake) = fails(
        "no-buildx",
        &["build", "-p", "web", "--backend", "buildx"],
        3,
        &[
            "the docker buildx plugin is not available",
            "'buildx' is not a docker command",
        ],
    );
    assert!(builds(&fake.calls(dir.path())).is_empty());
}

#[test]
fn buildx_too_old() {
    let (dir, fake) = fails(
        "old-buildx",
        &["build", "-p", "web"],
        3,
        &["docker buildx 0.9.1 is too old", "0.10.0 or newer"],
    );
    assert!(builds(&fake.calls(dir.path())).is_empty());
}

#[test]
fn daemon_down() {
    let (dir, fake) = fails(
        "daemon-down",
        &["build", "-p", "web", "--backend", "buildx"],
        3,
        &[
            "the Docker engine does not answer",
            "Cannot connect to the Docker daemon",
            "DOCKER_HOST",
        ],
    );
    assert!(builds(&fake.calls(dir.path())).is_empty());
}

#[test]
fn build_failure_quotes_the_failing_step_and_keeps_the_dockerfile() {
    let (dir, _) = fails(
        "build-fails",
        &["build", "-p", "web"],
        4,
        &[
            "building image `web` failed",
            "error[E0425]: cannot find value",
            "ERROR: failed to solve",
            "target/distroless/Dockerfile",
        ],
    );
    assert!(dir.path().join("target/distroless/Dockerfile").is_file());
}

#[test]
fn a_link_that_finds_no_library_names_it_and_the_way_out() {
    let (_, _) = fails(
        "link-fails",
        &["build", "-p", "web"],
        4,
        &[
            "error: building image `web` failed: the linker found no libxcb (`-lxcb`)",
            "help: a crate links libxcb from the system, which a static musl build cannot: set `runtime = \"cc\"`",
        ],
    );
}

#[test]
fn multi_platform_load_on_the_docker_driver_is_refused_before_building() {
    let (dir, fake) = fails(
        "ok",
        &[
            "build",
            "-p",
            "web",
            "--platform",
            "linux/amd64",
            "--platform",
            "linux/arm64",
        ],
        3,
        &["cannot load a multi-platform image", "--push", "type=oci"],
    );
    assert!(
        builds(&fake.calls(dir.path())).is_empty(),
        "nothing is built after a failed check"
    );
    // With the containerd image store the same build goes ahead.
    let out = fake.run(
        dir.path(),
        "containerd",
        &[
            "build",
            "-p",
            "web",
            "--platform",
            "linux/amd64",
            "--platform",
            "linux/arm64",
        ],
    );
    assert!(out.status.success(), "{}", support::stderr(&out));
    assert!(
        support::stderr(&out).contains("skipped (not the engine's platform)")
            || !support::stderr(&out).contains("Testing"),
        "no smoke test for a multi-platform image"
    );
}

#[test]
fn oci_output_on_the_docker_driver_is_refused() {
    fails(
        "ok",
        &["build", "-p", "web", "--output", "type=oci,dest=web.tar"],
        3,
        &["cannot export an OCI archive"],
    );
}

#[test]
fn cache_export_on_the_docker_driver_is_refused_unless_inline() {
    let (dir, fake) = fails(
        "ok",
        &[
            "build",
            "-p",
            "web",
            "--cache-to",
            "type=local,dest=/tmp/cache,mode=max",
        ],
        3,
        &[
            "cannot export build cache `type=local,dest=/tmp/cache,mode=max`",
            "type=inline",
        ],
    );
    assert!(builds(&fake.calls(dir.path())).is_empty());
    let out = fake.run(
        dir.path(),
        "ok",
        &["build", "-p", "web", "--cache-to", "type=inline"],
    );
    assert!(out.status.success(), "{}", support::stderr(&out));
    let out = fake.run(
        dir.path(),
        "containerd",
        &["build", "-p", "web", "--cache-to", "type=local,dest=/tmp/c"],
    );
    assert!(out.status.success(), "{}", support::stderr(&out));
}

#[test]
fn push_without_a_registry_is_bad_input() {
    let (dir, fake) = fails(
        "ok",
        &["build", "--push", "-p", "web"],
        2,
        &[
            "`--push` needs a registry, but image `web` is just `web`",
            "registry = ",
        ],
    );
    assert_eq!(fake.calls(dir.path()), "", "nothing runs");
}

#[test]
fn invalid_tag_template_is_bad_input() {
    let dir = support::fixture("single-crate");
    let manifest = dir.path().join("Cargo.toml");
    std::fs::write(
        &manifest,
        std::fs::read_to_string(&manifest).unwrap()
            + "\n[package.metadata.distroless]\ntags = [\"{sha}\"]\n",
    )
    .unwrap();
    let fake = Fake::new();
    let out = fake.run(dir.path(), "ok", &["build"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(support::stderr(&out).contains("unknown placeholder `{sha}`"));
    assert_eq!(fake.calls(dir.path()), "");
}

#[test]
fn smoke_test_failures_fail_the_build() {
    fails(
        "probe-fails",
        &["build", "-p", "web"],
        4,
        &["smoke test of image `web` failed", "libssl.so.3"],
    );
    fails(
        "shell-present",
        &["build", "-p", "web"],
        4,
        &["it has a shell at `/bin/sh`"],
    );
    fails(
        "root-user",
        &["build", "-p", "web"],
        4,
        &["it runs as user `0:0`, not `65532:65532`"],
    );
    // and it can be skipped
    let dir = support::fixture("example-workspace");
    let out = Fake::new().run(
        dir.path(),
        "probe-fails",
        &["build", "-p", "web", "--no-smoke-test"],
    );
    assert!(out.status.success(), "{}", support::stderr(&out));
}

#[test]
fn a_binary_that_takes_no_version_flag_passes_the_smoke_test_with_help_and_is_told_so() {
    // sniffglue 0.16.2 in the corpus: clap without `version`, so `--version` exits 2.
    let dir = support::fixture("example-workspace");
    let fake = Fake::new();
    let out = fake.run(
        dir.path(),
        "no-version-flag",
        &["build", "-p", "web", "--message-format", "json"],
    );
    let err = support::stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("`web --version` exited with 2") && err.contains("smoke-test = [\"--help\"]"),
        "{err}"
    );
    let report: serde_json::Value = serde_json::from_str(support::stdout(&out).trim()).unwrap();
    let smoke = report["smoke_test"].as_str().unwrap();
    assert!(smoke.starts_with("passed (with `--help`"), "{smoke}");
    let calls = fake.calls(dir.path());
    assert!(
        calls.contains("--entrypoint /usr/local/bin/web web:0.3.1 --help"),
        "{calls}"
    );
    // A binary refusing both still fails, on the probe it was given.
    fails(
        "rejects-flags",
        &["build", "-p", "web"],
        4,
        &[
            "`web --version` exited with 2",
            "unexpected argument '--version'",
        ],
    );
    // and one that cannot start is not given a second try.
    let (dir, fake) = fails("probe-fails", &["build", "-p", "web"], 4, &["libssl.so.3"]);
    assert!(!fake.calls(dir.path()).contains("--help"));
}

#[test]
fn a_server_that_ignores_the_version_flag_passes_the_smoke_test_with_a_warning() {
    // axum's examples read no arguments: `--version` starts the server, which runs on. That it
    // runs is what the probe asks; the build used to wait 30 s and fail.
    let dir = support::fixture("example-workspace");
    let fake = Fake::new();
    let started = std::time::Instant::now();
    let out = fake.run(
        dir.path(),
        "ignores-args",
        &["build", "-p", "web", "--message-format", "json"],
    );
    let err = support::stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("`web --version` was still running after 10 s in image `web`: it started and ignored the flag")
            && err.contains("help: set `smoke-test = false` in `[package.metadata.distroless]` of `crates/web/Cargo.toml`"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(25));
    let report: serde_json::Value = serde_json::from_str(support::stdout(&out).trim()).unwrap();
    assert_eq!(
        report["smoke_test"],
        "passed (it kept running: it takes no `--version`)"
    );
}
