//! Real-engine tests of the read-only questions of a `--load` build (`docker info` before it, the
//! checks' inspections and histories after it): asked of the engine's API over its socket (no
//! docker CLI start), with the answers the CLI gives; and a history read when the engine has
//! dropped the image's unpacked snapshot.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::engine::{docker_ok, engine_lock, initialised};
use crate::support;

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_load_build_asks_the_engine_api_and_learns_what_the_cli_says() {
    let _guard = engine_lock();
    let dir = initialised(&[]);
    // `docker` on PATH is a wrapper that logs each call, then runs the real CLI.
    let real = support::stdout(
        &Command::new("sh")
            .args(["-c", "command -v docker"])
            .output()
            .unwrap(),
    );
    let bin = dir.path().join("wrapped-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.path().join("docker-calls.log");
    let wrapper = bin.join("docker");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            real.trim()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = support::command(dir.path())
        .args([
            "build",
            "-p",
            "web",
            "--network",
            "host",
            "--message-format",
            "json",
            "-v",
        ])
        .env("PATH", path)
        .env_remove("CARGO_DISTROLESS_DOCKER")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::stderr(&out));
    let report: serde_json::Value =
        serde_json::from_str(support::stdout(&out).lines().next().unwrap()).unwrap();
    assert_eq!(report["smoke_test"], "passed");

    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        calls.lines().any(|c| c.starts_with("run ")),
        "the wrapper ran the smoke test: {calls}"
    );
    assert!(
        !calls.lines().any(|c| c.starts_with("buildx")),
        "the build ran the buildx plugin itself, not through the CLI: {calls}"
    );
    assert!(
        !calls
            .lines()
            .any(|c| c.starts_with("image inspect") || c.starts_with("history")),
        "inspections and histories went to the API, not the CLI: {calls}"
    );
    assert!(
        !calls.lines().any(|c| c.starts_with("info")),
        "the preflight asked the API, not `docker info`: {calls}"
    );
    // What the preflight learnt is what the CLI says.
    let stderr = support::stderr(&out);
    let engine_line = stderr
        .lines()
        .find(|l| l.trim_start().starts_with("Engine"))
        .expect("-v prints the engine");
    let server = docker_ok(&["version", "--format", "{{.Server.Version}}"]);
    let buildx = docker_ok(&["buildx", "version"]);
    // `github.com/docker/buildx 0.13.1+ds1 …`: the version's x.y.z, as the tool reads it.
    let buildx: String = buildx
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_start_matches('v')
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    assert!(
        engine_line.contains(&format!(
            "{} on linux/amd64, buildx {buildx},",
            server.trim()
        )),
        "{engine_line} (server {server}, buildx {buildx})"
    );

    // What the CLI says of the same image.
    let size: u64 = docker_ok(&["image", "inspect", "web:0.3.1", "--format", "{{.Size}}"])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(report["size"].as_u64(), Some(size));
    let history = docker_ok(&[
        "history",
        "--no-trunc",
        "--human=false",
        "--format",
        "{{.Size}}\t{{.CreatedBy}}",
        "web:0.3.1",
    ]);
    let binary: u64 = history
        .lines()
        .find(|l| l.contains("COPY") && l.contains("/usr/local/bin/web"))
        .and_then(|l| l.split('\t').next())
        .and_then(|s| s.trim().parse().ok())
        .expect("the binary's layer in the history");
    assert!(binary > 0);
    assert_eq!(report["binary_size"].as_u64(), Some(binary));
    let base: u64 = docker_ok(&[
        "image",
        "inspect",
        "gcr.io/distroless/static-debian12:nonroot",
        "--format",
        "{{.Size}}",
    ])
    .trim()
    .parse()
    .unwrap();
    assert_eq!(report["base_size"].as_u64(), Some(base));
}

/// The engine's containerd socket: beside the Docker socket `tests/engine/start-engine.sh`
/// starts (its state directory holds both), else where a system's dockerd or containerd keeps it.
fn containerd_socket() -> std::path::PathBuf {
    let host = std::env::var("DOCKER_HOST").unwrap_or_default();
    let docker_sock = std::path::Path::new(host.trim_start_matches("unix://"));
    let candidates = [
        docker_sock
            .parent()
            .map(|dir| dir.join("exec/containerd/containerd.sock")),
        Some("/run/docker/containerd/containerd.sock".into()),
        Some("/run/containerd/containerd.sock".into()),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|socket| socket.exists())
        .unwrap_or_else(|| panic!("no containerd socket for the engine at `{host}`"))
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn an_image_whose_unpacked_snapshot_the_engine_dropped_still_has_its_layers_read() {
    let _guard = engine_lock();
    // What CI once met after an oci backend `--load`: the containerd store kept the image but
    // not its unpacked snapshot, and `docker history` failed. Made here on purpose by removing
    // the snapshot of a fresh image with containerd's own CLI.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY stamp /stamp\n",
    )
    .unwrap();
    let stamp = format!("{:?}\n", std::time::SystemTime::now());
    std::fs::write(dir.path().join("stamp"), stamp).unwrap();
    let reference = "snapshot-test/dropped:1";
    docker_ok(&["build", "-q", "-t", reference, dir.path().to_str().unwrap()]);
    let layers: Vec<String> = serde_json::from_str(&docker_ok(&[
        "image",
        "inspect",
        reference,
        "--format",
        "{{json .RootFS.Layers}}",
    ]))
    .unwrap();
    // The snapshot's name is the chain id of the layers (OCI image spec, "ChainID").
    let chain = layers
        .iter()
        .skip(1)
        .fold(layers[0].clone(), |chain, diff| {
            use sha2::Digest;
            format!(
                "sha256:{:x}",
                sha2::Sha256::digest(format!("{chain} {diff}"))
            )
        });
    let removed = Command::new("ctr")
        .arg("--address")
        .arg(containerd_socket())
        .args([
            "--namespace",
            "moby",
            "snapshots",
            "--snapshotter",
            "overlayfs",
            "rm",
        ])
        .arg(&chain)
        .output()
        .unwrap();
    assert!(removed.status.success(), "{}", support::stderr(&removed));
    let broken = Command::new("docker")
        .args(["history", "-q", reference])
        .output()
        .unwrap();
    assert!(
        !broken.status.success() && support::stderr(&broken).contains("does not exist"),
        "the snapshot's removal should break `docker history`: {}",
        support::stderr(&broken)
    );

    let read = cargo_distroless::backend::buildx::history(reference);
    let _ = Command::new("docker")
        .args(["image", "rm", "-f", reference])
        .output();
    let layers = read.unwrap();
    assert!(
        layers[0].1.contains("COPY stamp /stamp") && layers[0].0 > 0,
        "{layers:?}"
    );
}
