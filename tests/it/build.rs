//! `build` against a fake `docker` (tests/fake-docker/docker): every argv shape, every failure
//! path and exit code, and the reports. The real engine is exercised in `engine.rs`.

use crate::fake::{Fake, builds};
use crate::support;

#[test]
fn dry_run_prints_pasteable_commands_and_runs_nothing() {
    let dir = support::fixture("example-workspace");
    let fake = Fake::new();
    let out = fake.run(
        dir.path(),
        "ok",
        &[
            "build",
            "--dry-run",
            "--network",
            "host",
            "--cache-from",
            "type=local,src=/tmp/c",
            "--",
            "--progress",
            "plain",
        ],
    );
    assert!(out.status.success(), "{}", support::stderr(&out));
    assert_eq!(
        fake.calls(dir.path()),
        "",
        "a dry run calls no docker at all"
    );
    let fake_docker = support::repo_root()
        .join("tests/fake-docker/docker")
        .display()
        .to_string();
    let printed = support::stdout(&out)
        .replace(&dir.path().display().to_string(), "[ws]")
        .replace(&fake_docker, "docker");
    insta::assert_snapshot!("build-dry-run-load", printed);
    for line in printed.lines() {
        let words = shell_words::split(line).expect("every line is valid shell");
        // `NAME=value` assignments, then the program.
        let program = words.iter().find(|w| !w.contains('=')).unwrap();
        assert_eq!(program, "docker", "{line}");
    }
    assert!(
        dir.path().join("target/distroless/Dockerfile").is_file(),
        "the Dockerfile the commands name exists"
    );
    assert!(
        dir.path()
            .join("target/distroless/Dockerfile.dockerignore")
            .is_file()
    );
}

#[test]
fn push_shape_carries_attestations_cache_and_metadata() {
    let dir = support::fixture("multi-bin");
    let fake = Fake::new();
    let out = fake.run(
        dir.path(),
        "containerd",
        &[
            "build",
            "--push",
            "--bin",
            "server",
            "--cache-to",
            "type=registry,ref=ghcr.io/acme/cache,mode=max",
            "--sbom",
            "false",
            "--builder",
            "ci",
            "--message-format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", support::stderr(&out));
    let calls = fake.calls(dir.path());
    insta::assert_snapshot!("build-push-calls", calls);
    let report: serde_json::Value =
        serde_json::from_str(support::stdout(&out).trim()).expect("one JSON object per image");
    assert_eq!(report["reason"], "image-built");
    assert_eq!(
        report["digest"],
        "sha256:1111111111111111111111111111111111111111111111111111111111111111"
    );
    assert_eq!(report["references"][0], "ghcr.io/acme/jobs-server:0.9.0");
    assert_eq!(report["output"], "push");
    assert_eq!(report["smoke_test"], "not run (image not loaded)");
}

#[test]
fn attestations_are_dropped_with_a_warning_where_the_builder_cannot_store_them() {
    let dir = support::fixture("multi-bin");
    let fake = Fake::new();
    let out = fake.run(dir.path(), "ok", &["build", "--push", "--bin", "server"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    assert!(
        support::stderr(&out)
            .contains("warning: the `docker` driver cannot attach provenance or SBOM attestations"),
        "{}",
        support::stderr(&out)
    );
    let calls = fake.calls(dir.path());
    assert!(
        builds(&calls)[0].contains("--push --provenance=false --sbom=false"),
        "{calls}"
    );
}

/// The stop check tells a command from a service: a program that exits by itself is "not a
/// service"; one that only a SIGKILL stops is reported slow and warned about, with the fix.
#[test]
fn the_stop_check_tells_commands_from_services_that_ignore_sigterm() {
    let dir = support::fixture("example-workspace");
    let fake = Fake::new();
    let args = ["build", "-p", "web", "--message-format", "json"];
    let out = fake.run(dir.path(), "ok", &args);
    assert!(out.status.success(), "{}", support::stderr(&out));
    let report: serde_json::Value = serde_json::from_str(support::stdout(&out).trim()).unwrap();
    assert_eq!(report["stop"], "not a service (it exits by itself)");
    assert!(
        !fake.calls(dir.path()).contains("stop --time"),
        "a command is not stopped"
    );

    let out = fake.run(dir.path(), "ignores-sigterm", &args);
    let err = support::stderr(&out);
    assert!(out.status.success(), "{err}");
    let report: serde_json::Value = serde_json::from_str(support::stdout(&out).trim()).unwrap();
    let stop = report["stop"].as_str().unwrap();
    assert!(
        stop.starts_with("slow: 3.") && stop.ends_with("exit 137 (ignores SIGTERM)"),
        "{stop}"
    );
    assert!(err.contains("warning: image `web` took 3."), "{err}");
    assert!(err.contains("init = \"tini\""), "{err}");
}

#[test]
fn load_reports_sizes_and_runs_the_smoke_test() {
    let dir = support::fixture("example-workspace");
    let fake = Fake::new();
    let out = fake.run(
        dir.path(),
        "ok",
        &["build", "-p", "web", "--message-format", "json"],
    );
    assert!(out.status.success(), "{}", support::stderr(&out));
    let report: serde_json::Value = serde_json::from_str(support::stdout(&out).trim()).unwrap();
    assert_eq!(report["size"], 2300000);
    assert_eq!(report["binary_size"], 508000);
    assert_eq!(report["base_size"], 1800000);
    assert_eq!(report["smoke_test"], "passed");
    let calls = fake.calls(dir.path());
    let order: Vec<String> = calls
        .lines()
        .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        order[..2],
        ["info --format", "buildx build"],
        "one `docker info` is the whole preflight of a single-platform load:\n{calls}"
    );
    assert!(calls.contains("run --rm --name"), "the probe runs");
    assert!(
        calls.contains("--entrypoint /usr/local/bin/web web:0.3.1 --version"),
        "{calls}"
    );
    assert!(
        calls.contains("--entrypoint /bin/sh"),
        "the shell check runs:\n{calls}"
    );
    // human format: a summary on stderr, nothing on stdout
    let human = fake.run(dir.path(), "ok", &["build", "-p", "web"]);
    assert!(support::stdout(&human).is_empty());
    assert!(
        support::stderr(&human).contains("Built web sha256:1111111111"),
        "{}",
        support::stderr(&human)
    );
    assert!(
        support::stderr(&human).contains("2.3 MB (binary 508.0 kB + base 1.8 MB)"),
        "{}",
        support::stderr(&human)
    );
}

#[test]
fn size_budget_reports_what_is_big() {
    let dir = support::fixture("example-workspace");
    let manifest = dir.path().join("crates/web/Cargo.toml");
    std::fs::write(
        &manifest,
        std::fs::read_to_string(&manifest).unwrap() + "size-budget = \"2MB\"\n",
    )
    .unwrap();
    let fake = Fake::new();
    let out = fake.run(dir.path(), "ok", &["build", "-p", "web"]);
    let err = support::stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("image `web` is 2.3 MB, over its size budget of 2.0 MB"),
        "{err}"
    );
    assert!(
        err.contains("1.8 MB  the base image gcr.io/distroless/static-debian12:nonroot"),
        "{err}"
    );
    assert!(
        err.contains("508.0 kB  COPY --from=builder-static /out/bin/web /usr/local/bin/web"),
        "{err}"
    );
    let ok = fake.run_env(
        dir.path(),
        "ok",
        &["build", "-p", "web"],
        &[("FAKE_DOCKER_SIZE", "1900000")],
    );
    assert!(ok.status.success(), "{}", support::stderr(&ok));
}

#[test]
fn a_used_registry_without_its_token_is_bad_input_before_anything_runs() {
    let dir = support::fixture("private-sources");
    let fake = Fake::new();
    let out = fake.run_env(
        dir.path(),
        "ok",
        &["build"],
        &[("CARGO_REGISTRIES_ACME_TOKEN", "")],
    );
    let err = support::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("`Cargo.lock` uses registry `acme` (from `.cargo/config.toml`), but `CARGO_REGISTRIES_ACME_TOKEN` is not set"), "{err}");
    assert!(
        err.contains("help: export `CARGO_REGISTRIES_ACME_TOKEN`"),
        "{err}"
    );
    assert_eq!(fake.calls(dir.path()), "");
}

#[test]
fn ssh_git_sources_need_an_agent() {
    let dir = support::fixture("private-sources");
    let fake = Fake::new();
    let mut cmd = support::command(dir.path());
    cmd.arg("build")
        .env(
            "CARGO_DISTROLESS_DOCKER",
            support::repo_root().join("tests/fake-docker/docker"),
        )
        .env("FAKE_DOCKER_LOG", fake.log.path())
        .env("CARGO_REGISTRIES_ACME_TOKEN", "t0ken")
        .env_remove("SSH_AUTH_SOCK");
    let out = cmd.output().unwrap();
    let err = support::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("git dependencies over ssh (git.acme.invalid), but no SSH agent is running"),
        "{err}"
    );
    assert_eq!(fake.calls(dir.path()), "");
}

#[test]
fn registry_tokens_go_in_as_secrets_on_the_fetching_steps_only() {
    let dir = support::fixture("single-crate");
    std::fs::create_dir(dir.path().join(".cargo")).unwrap();
    std::fs::write(
        dir.path().join(".cargo/config.toml"),
        "[registries.acme]\nindex = \"sparse+https://cargo.acme.invalid/index/\"\n",
    )
    .unwrap();
    let fake = Fake::new();
    let out = fake.run_env(
        dir.path(),
        "ok",
        &["build", "--dry-run"],
        &[("CARGO_REGISTRIES_ACME_TOKEN", "s3cret-value")],
    );
    assert!(out.status.success(), "{}", support::stderr(&out));
    let printed = support::stdout(&out);
    assert!(
        printed.contains("--secret 'id=cargo-registry-acme,env=CARGO_REGISTRIES_ACME_TOKEN'"),
        "{printed}"
    );
    assert!(
        !printed.contains("s3cret-value"),
        "the token itself never appears in a command"
    );
    let dockerfile =
        std::fs::read_to_string(dir.path().join("target/distroless/Dockerfile")).unwrap();
    assert_eq!(
        dockerfile
            .matches("--mount=type=secret,id=cargo-registry-acme")
            .count(),
        3,
        "the fetch, cook and build steps, nothing else:\n{dockerfile}"
    );
    assert!(
        dockerfile
            .contains("CARGO_REGISTRIES_ACME_TOKEN=\"$(cat /run/secrets/cargo-registry-acme)\"")
    );
    assert!(
        !dockerfile.contains("ARG CARGO_REGISTRIES")
            && !dockerfile.contains("ENV CARGO_REGISTRIES")
    );
    support::hadolint(&dir.path().join("target/distroless/Dockerfile"));
    // Unused by the lock and not set: no secret, no error.
    let out = fake.run_env(
        dir.path(),
        "ok",
        &["build", "--dry-run"],
        &[("CARGO_REGISTRIES_ACME_TOKEN", "")],
    );
    assert!(out.status.success(), "{}", support::stderr(&out));
    assert!(!support::stdout(&out).contains("--secret"));
}

/// A fixture planned through the library, as `init` plans it, for tests that change the plan
/// before rendering.
fn planned_fixture(name: &str) -> (tempfile::TempDir, cargo_distroless::pipeline::Planned) {
    use cargo_distroless::pipeline;
    let dir = support::fixture(name);
    let manifest = camino::Utf8PathBuf::from_path_buf(dir.path().join("Cargo.toml")).unwrap();
    let request = pipeline::Request {
        load: cargo_distroless::workspace::LoadOptions {
            manifest_path: Some(manifest),
            locked: false,
        },
        ..Default::default()
    };
    let planned = pipeline::plan(&request).unwrap();
    (dir, planned)
}

#[test]
fn ssh_git_hosts_render_an_agent_mount_and_known_hosts() {
    let (dir, mut planned) = planned_fixture("single-crate");
    // What plan::build sets for a lock file with a `git+ssh://` source: its hosts, and no fetch
    // stage ahead of the toolchain (that stage has no known hosts).
    planned.plan.ssh_git_hosts = vec!["github.com".to_string()];
    planned.plan.prefetch = false;
    let dockerfile = cargo_distroless::render::dockerfile(&planned.plan).unwrap();
    assert!(!dockerfile.contains("AS builder-fetch-"), "{dockerfile}");
    assert_eq!(
        dockerfile.matches("--mount=type=ssh").count(),
        2,
        "{dockerfile}"
    );
    assert!(dockerfile.contains("CARGO_NET_GIT_FETCH_WITH_CLI=true"));
    assert!(dockerfile.contains("ssh-keyscan -H github.com >> /etc/ssh/ssh_known_hosts"));
    let path = dir.path().join("Dockerfile.ssh");
    std::fs::write(&path, dockerfile).unwrap();
    support::hadolint(&path);
}

#[test]
fn crates_are_fetched_in_a_stage_the_cook_step_waits_for() {
    let (_dir, planned) = planned_fixture("single-crate");
    let plan = planned.plan;
    assert!(plan.prefetch, "no git source needs ssh here");
    let dockerfile = cargo_distroless::render::dockerfile(&plan).unwrap();
    assert!(
        dockerfile.contains("AS builder-fetch-static"),
        "{dockerfile}"
    );
    assert!(
        dockerfile.contains("--mount=type=bind,from=builder-fetch-static,source=/fetched"),
        "the cook step waits for the fetch:\n{dockerfile}"
    );
    // The SSH case (no fetch stage) is ssh_git_hosts_render_an_agent_mount_and_known_hosts.
}
