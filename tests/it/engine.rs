//! Real-engine tests: what only a real build can prove. Marked `#[ignore]` so a plain
//! `cargo test` skips them; `tests/run-all.sh` (and CI) runs them with `--include-ignored` after
//! making an engine reachable at `$DOCKER_HOST` and the base images available.
//!
//! Builds are serialised (one lock for the whole module): the machine has 2 cores, and parallel
//! cargo builds inside BuildKit only slow each other down.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::support;

pub(crate) fn engine_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("docker CLI on PATH")
}

pub(crate) fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    assert!(
        out.status.success(),
        "docker {} failed:\n{}{}",
        args.join(" "),
        support::stdout(&out),
        support::stderr(&out)
    );
    support::stdout(&out)
}

/// `docker buildx build` of `target` in `dir` with plain progress; returns the build log.
pub(crate) fn buildx(dir: &Path, target: Option<&str>, tag: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "buildx",
        "build",
        "--progress",
        "plain",
        "--network",
        "host",
    ];
    if let Some(t) = target {
        args.extend(["--target", t]);
    }
    if !extra
        .iter()
        .any(|a| a.starts_with("--output") || *a == "--push")
    {
        args.push("--load");
    }
    if !tag.is_empty() {
        args.extend(["-t", tag]);
    }
    args.extend(extra);
    args.push(".");
    let out = Command::new("docker")
        .args(&args)
        .current_dir(dir)
        .output()
        .unwrap();
    let log = support::stderr(&out) + &support::stdout(&out);
    assert!(out.status.success(), "build of {target:?} failed:\n{log}");
    log
}

/// A copy of example-workspace with `init` run on it (hadolint-checked). One per test that
/// edits it; the shared one is for tests that only read.
pub(crate) fn initialised(extra: &[&str]) -> tempfile::TempDir {
    let dir = support::fixture("example-workspace");
    let out = support::run(dir.path(), &[&["init"], extra].concat());
    assert!(
        out.status.success(),
        "init failed: {}",
        support::stderr(&out)
    );
    support::hadolint(&dir.path().join("Dockerfile"));
    dir
}

/// The example-workspace images, built once for every test that only inspects them: `web` and
/// `tls-probe` through `cargo distroless build` (which smoke-tests them), the default image and
/// `example-tools` through a plain `docker buildx build` on the files `init` wrote.
struct Built {
    _dir: tempfile::TempDir,
    reports: Vec<serde_json::Value>,
}

fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = initialised(&[]);
        let out = support::run(
            dir.path(),
            &[
                "build",
                "-p",
                "web",
                "-p",
                "tls-probe",
                "--network",
                "host",
                "--message-format",
                "json",
            ],
        );
        assert!(
            out.status.success(),
            "cargo distroless build failed:\n{}",
            support::stderr(&out)
        );
        let reports = support::stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect();
        buildx(dir.path(), None, "cd-test/default:latest", &[]);
        buildx(
            dir.path(),
            Some("example-tools"),
            "cd-test/tools:latest",
            &[],
        );
        Built { _dir: dir, reports }
    })
}

/// A running container, removed when the test ends, whether its assertions pass or not.
pub(crate) struct Container(pub(crate) String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

/// What the image's entrypoint prints for `--version`, run without a network.
pub(crate) fn version_of(image: &str) -> String {
    docker_ok(&["run", "--rm", "--network", "none", image, "--version"])
}

pub(crate) fn http_get(port: u16, path: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // The server may not listen yet, or may reset a connection made while it starts.
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let mut body = String::new();
            if write!(s, "GET {path} HTTP/1.1\r\nhost: localhost\r\n\r\n").is_ok()
                && s.read_to_string(&mut body).is_ok()
                && !body.is_empty()
            {
                return body;
            }
        }
        assert!(Instant::now() < deadline, "nothing answered on port {port}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The paths in an image's filesystem, from `docker export`.
pub(crate) fn image_files(image: &str) -> Vec<String> {
    let id = docker_ok(&["create", image]).trim().to_string();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("docker export {id} | tar -tv"))
        .output()
        .unwrap();
    docker_ok(&["rm", &id]);
    assert!(out.status.success());
    support::stdout(&out).lines().map(str::to_string).collect()
}

pub(crate) fn has_path(listing: &[String], path: &str) -> bool {
    listing
        .iter()
        .any(|l| l.ends_with(&format!(" {path}")) || l.contains(&format!(" {path} -> ")))
}

fn image_size(image: &str) -> u64 {
    docker_ok(&["image", "inspect", image, "--format", "{{.Size}}"])
        .trim()
        .parse()
        .unwrap()
}

fn file_size_in_image(listing: &[String], path: &str) -> u64 {
    let line = listing
        .iter()
        .find(|l| l.ends_with(&format!(" {path}")))
        .unwrap_or_else(|| panic!("{path} not in image"));
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn static_image_serves_http_as_nonroot_without_a_shell() {
    let _guard = engine_lock();
    let reports = &built().reports;
    let web = reports
        .iter()
        .find(|r| r["image"] == "web")
        .expect("a report for web");
    assert_eq!(web["smoke_test"], "passed");
    assert_eq!(
        web["references"],
        serde_json::json!(["web:0.3.1", "web:0.3", "web:latest"])
    );
    assert!(web["digest"].as_str().unwrap().starts_with("sha256:"));
    let version = version_of("web:0.3.1");
    assert_eq!(version.trim(), "web 0.3.1 (x86_64-unknown-linux-musl)");

    let port = support::free_port();
    let container = Container(
        docker_ok(&[
            "run",
            "-d",
            "--rm",
            "--network",
            "host",
            "web:0.3.1",
            "--port",
            &port.to_string(),
            "--static-dir",
            "/srv/static",
        ])
        .trim()
        .to_string(),
    );
    let id = &container.0;
    let root = http_get(port, "/");
    let asset = http_get(port, "/static/index.html");
    let top = docker_ok(&["top", id, "-eo", "pid,uid,comm"]);
    drop(container);
    assert!(
        root.starts_with("HTTP/1.1 200 OK") && root.contains("hello from a distroless image"),
        "{root}"
    );
    assert!(
        asset.contains("served from a distroless image"),
        "the asset is readable by uid 65532: {asset}"
    );
    let uids: Vec<&str> = top
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert!(
        !uids.is_empty() && uids.iter().all(|u| *u == "65532"),
        "process must run as uid 65532:\n{top}"
    );

    let files = image_files("web:0.3.1");
    assert!(
        !has_path(&files, "bin/sh"),
        "a non-debug image has no shell"
    );
    assert!(
        has_path(&files, "etc/ssl/certs/ca-certificates.crt"),
        "CA certificates present"
    );
    assert!(
        files.iter().any(|l| l.contains(" usr/share/zoneinfo/")),
        "tzdata present"
    );
    assert!(
        files
            .iter()
            .any(|l| l.contains("65532/65532") && l.ends_with(" srv/static/index.html")),
        "assets owned by 65532:\n{}",
        files.join("\n")
    );

    // Size bound (benchmark issue): static image <= stripped binary + 2.0 MB.
    let binary = file_size_in_image(&files, "usr/local/bin/web");
    let size = image_size("web:0.3.1");
    assert!(
        size <= binary + 2_000_000,
        "static image {size} B > binary {binary} B + 2.0 MB"
    );
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn cc_image_loads_openssl_and_stays_small() {
    let _guard = engine_lock();
    built();
    let out = docker_ok(&["run", "--rm", "--network", "none", "tls-probe:0.3.1"]);
    assert!(out.contains("tls ok"), "{out}");
    let version = version_of("tls-probe:0.3.1");
    assert_eq!(version.trim(), "tls-probe 0.3.1 (x86_64-unknown-linux-gnu)");
    let files = image_files("tls-probe:0.3.1");
    assert!(!has_path(&files, "bin/sh"));
    let user = docker_ok(&[
        "image",
        "inspect",
        "tls-probe:0.3.1",
        "--format",
        "{{.Config.User}}",
    ]);
    assert_eq!(user.trim(), "65532:65532");
    // cc image <= distroless cc base + stripped binary + 64 KiB.
    let base = image_size("gcr.io/distroless/cc-debian12:nonroot");
    let binary = file_size_in_image(&files, "usr/local/bin/tls-probe");
    let size = image_size("tls-probe:0.3.1");
    assert!(
        size <= base + binary + 64 * 1024,
        "cc image {size} B > base {base} + binary {binary} + 64 KiB"
    );
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn plain_docker_build_makes_the_default_image_and_a_target_one_with_both_binaries() {
    let _guard = engine_lock();
    built();
    // The last stage, what `docker build .` makes: `web`, the service (see `default_image`).
    assert_eq!(
        version_of("cd-test/default:latest").trim(),
        "web 0.3.1 (x86_64-unknown-linux-musl)"
    );
    assert_eq!(
        docker_ok(&[
            "run",
            "--rm",
            "--network",
            "none",
            "cd-test/tools:latest",
            "ferris"
        ])
        .trim(),
        "hello, ferris!"
    );
    let count = docker_ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "/usr/local/bin/count",
        "cd-test/tools:latest",
        "a",
        "bb",
    ]);
    assert_eq!(count.trim(), "2 arguments, 3 characters");
    let labels = docker_ok(&[
        "image",
        "inspect",
        "cd-test/tools:latest",
        "--format",
        "{{json .Config.Labels}}",
    ]);
    let labels: serde_json::Value = serde_json::from_str(&labels).unwrap();
    assert_eq!(labels["org.opencontainers.image.version"], "0.3.1");
    assert_eq!(
        labels["org.opencontainers.image.licenses"],
        "MIT OR Apache-2.0"
    );
    assert_eq!(
        labels["org.opencontainers.image.vendor"],
        "cargo-distroless example"
    );
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn container_structure_tests_pass() {
    let _guard = engine_lock();
    built();
    let Some(cst) = support::tool("container-structure-test") else {
        return;
    };
    for (image, config) in [
        ("web:0.3.1", "structure-web.yaml"),
        ("tls-probe:0.3.1", "structure-tls-probe.yaml"),
    ] {
        let out = Command::new(&cst)
            .args(["test", "--image", image, "--config"])
            .arg(support::repo_root().join("tests/engine").join(config))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "container-structure-test on {image}:\n{}{}",
            support::stdout(&out),
            support::stderr(&out)
        );
    }
}

/// Builds `stage` for linux/arm64, exports it with `--output type=local`, and returns `bin`,
/// checked to be an aarch64 ELF.
fn arm64_binary(dir: &Path, stage: &str, bin: &str) -> Vec<u8> {
    let out = tempfile::tempdir().unwrap();
    let dest = format!("--output=type=local,dest={}", out.path().display());
    buildx(dir, Some(stage), "", &["--platform", "linux/arm64", &dest]);
    let bytes = std::fs::read(out.path().join(bin)).unwrap();
    let elf =
        object::read::elf::ElfFile64::<object::Endianness>::parse(&*bytes).expect("an ELF64 file");
    use object::Object;
    assert_eq!(
        elf.architecture(),
        object::Architecture::Aarch64,
        "{bin} from {stage}"
    );
    bytes
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn arm64_cross_build_produces_an_aarch64_binary() {
    let _guard = engine_lock();
    let dir = initialised(&["--platform", "linux/amd64", "--platform", "linux/arm64"]);
    let bytes = arm64_binary(dir.path(), "builder-binaries-static", "web");
    // Run it under user-mode emulation (only here, never in the compile step).
    if let Some(version) = support::arm64_version(&bytes) {
        assert_eq!(version, "web 0.3.1 (aarch64-unknown-linux-musl)");
    }
    // The cc path crosses too: Debian's aarch64 gcc, `dpkg --add-architecture arm64` and
    // `libssl-dev:arm64` for openssl-sys.
    let bytes = arm64_binary(dir.path(), "builder-binaries-cc", "tls-probe");
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(
        has(b"/lib/ld-linux-aarch64.so.1"),
        "a glibc aarch64 executable"
    );
    assert!(has(b"libssl.so.3"), "linked against the arm64 libssl");
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn push_then_pull_by_digest_and_run() {
    let _guard = engine_lock();
    let registry = support::Registry::start();
    let dir = initialised(&[]);
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let with_registry = text.replace(
        "[workspace.metadata.distroless]\n",
        &format!(
            "[workspace.metadata.distroless]\nregistry = \"localhost:{}/example\"\n",
            registry.port
        ),
    );
    std::fs::write(&manifest, with_registry).unwrap();
    let out = support::run(
        dir.path(),
        &[
            "build",
            "--push",
            "-p",
            "web",
            "--network",
            "host",
            // The engine's containerd store attaches attestations; BuildKit's SBOM scanner is an
            // image this machine cannot pull, so provenance only.
            "--sbom",
            "false",
            "--message-format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", support::stderr(&out));
    let report: serde_json::Value = serde_json::from_str(support::stdout(&out).trim()).unwrap();
    let digest = report["digest"]
        .as_str()
        .expect("the pushed digest is reported")
        .to_string();
    assert!(digest.starts_with("sha256:"));
    let repo = format!("localhost:{}/example/web", registry.port);
    let by_digest = format!("{repo}@{digest}");
    docker(&["image", "rm", "-f", &format!("{repo}:0.3.1"), &by_digest]);
    docker_ok(&["pull", &by_digest]);
    let version = version_of(&by_digest);
    assert_eq!(version.trim(), "web 0.3.1 (x86_64-unknown-linux-musl)");
    if let Some(skopeo) = support::tool("skopeo") {
        let raw = crate::oci::skopeo_json(
            &skopeo,
            &[
                "inspect",
                "--raw",
                "--tls-verify=false",
                &format!("docker://{repo}:0.3.1"),
            ],
        );
        let kinds: Vec<&str> = raw["manifests"]
            .as_array()
            .expect("an index: the image and its provenance")
            .iter()
            .map(|m| {
                m["annotations"]["vnd.docker.reference.type"]
                    .as_str()
                    .unwrap_or("image")
            })
            .collect();
        assert_eq!(kinds, ["image", "attestation-manifest"], "{raw:#}");
        for tag in ["0.3.1", "0.3", "latest"] {
            let out = Command::new(&skopeo)
                .args([
                    "inspect",
                    "--tls-verify=false",
                    &format!("docker://{repo}:{tag}"),
                ])
                .output()
                .unwrap();
            assert!(
                support::stdout(&out).contains(&digest),
                "tag {tag} points at the pushed digest:\n{}{}",
                support::stdout(&out),
                support::stderr(&out)
            );
        }
    }
    docker(&["image", "rm", "-f", &by_digest]);
}
