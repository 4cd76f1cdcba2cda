//! The oci backend with an engine present: its docker archives load, and the images behave like
//! the buildx ones (smoke test, uid 65532, no shell, serving; a cc image with its libraries).
//! The bases are the engine's stand-ins, copied to OCI layouts with skopeo: no registry needed.
//! `#[ignore]`d like the rest of the engine suite; `tests/run-all.sh` runs them.

use std::path::Path;
use std::process::Command;

use crate::engine::{
    Container, docker_ok, engine_lock, has_path, http_get, image_files, version_of,
};
use crate::support;

/// A base from the engine as an OCI layout: `docker save`, then `skopeo copy docker-archive:…
/// oci:DIR` (Debian 12's skopeo speaks too old a daemon API to read the engine directly).
fn layout_of(image: &str, dir: &Path) {
    let skopeo = support::tool("skopeo").expect("skopeo");
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("base.tar");
    docker_ok(&["image", "save", "-o", archive.to_str().unwrap(), image]);
    let out = Command::new(skopeo)
        .arg("copy")
        .arg(format!("docker-archive:{}", archive.display()))
        .arg(format!("oci:{}", dir.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "skopeo copy failed: {}",
        support::stderr(&out)
    );
}

/// Points the fixture at `dir` (whose `[package.metadata.distroless]` table is its manifest's
/// last) to the engine's cc base, copied to an OCI layout; the layout lives as long as the
/// directory returned.
fn on_a_cc_base_layout(dir: &Path) -> tempfile::TempDir {
    let bases = tempfile::tempdir().unwrap();
    layout_of(
        "gcr.io/distroless/cc-debian12:nonroot",
        &bases.path().join("cc"),
    );
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        format!(
            "{text}runtime-image = \"oci-layout:{}\"\n",
            bases.path().join("cc").display()
        ),
    )
    .unwrap();
    bases
}

fn build(dir: &Path, package: &str) -> serde_json::Value {
    let out = support::command(dir)
        .args([
            "build",
            "--backend",
            "oci",
            "--load",
            "-p",
            package,
            "--message-format",
            "json",
        ])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::stderr(&out));
    serde_json::from_str(support::stdout(&out).trim()).unwrap()
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn oci_backend_images_load_run_as_nonroot_without_a_shell_and_serve() {
    let _guard = engine_lock();
    let dir = support::fixture("example-workspace");
    let bases = tempfile::tempdir().unwrap();
    layout_of(
        "gcr.io/distroless/static-debian12:nonroot",
        &bases.path().join("static"),
    );
    layout_of(
        "gcr.io/distroless/cc-debian12:nonroot",
        &bases.path().join("cc"),
    );
    for (package, kind) in [("web", "static"), ("tls-probe", "cc")] {
        let manifest = dir.path().join(format!("crates/{package}/Cargo.toml"));
        let mut text = std::fs::read_to_string(&manifest).unwrap();
        if !text.contains("[package.metadata.distroless]") {
            text.push_str("\n[package.metadata.distroless]\n");
        }
        text = text.replace(
            "[package.metadata.distroless]\n",
            &format!(
                "[package.metadata.distroless]\nimage = \"oci-test/{{bin}}\"\nruntime-image = \"oci-layout:{}\"\n",
                bases.path().join(kind).display()
            ),
        );
        std::fs::write(&manifest, text).unwrap();
    }

    let web = build(dir.path(), "web");
    assert_eq!(web["output"], "load");
    assert_eq!(web["smoke_test"], "passed");
    assert_eq!(
        version_of("oci-test/web:0.3.1").trim(),
        "web 0.3.1 (x86_64-unknown-linux-musl)"
    );
    let port = support::free_port();
    let container = Container(
        docker_ok(&[
            "run",
            "-d",
            "--rm",
            "--network",
            "host",
            "oci-test/web:0.3.1",
            "--port",
            &port.to_string(),
            "--static-dir",
            "/srv/static",
        ])
        .trim()
        .to_string(),
    );
    let root = http_get(port, "/");
    let asset = http_get(port, "/static/index.html");
    let top = docker_ok(&["top", &container.0, "-eo", "pid,uid,comm"]);
    drop(container);
    assert!(root.starts_with("HTTP/1.1 200 OK"), "{root}");
    assert!(asset.contains("served from a distroless image"), "{asset}");
    assert!(
        top.lines()
            .skip(1)
            .all(|l| l.split_whitespace().nth(1) == Some("65532")),
        "{top}"
    );
    let files = image_files("oci-test/web:0.3.1");
    assert!(!has_path(&files, "bin/sh"), "no shell");
    assert!(has_path(&files, "etc/ssl/certs/ca-certificates.crt"));

    let tls = build(dir.path(), "tls-probe");
    assert_eq!(tls["runtime"], "cc");
    assert_eq!(tls["smoke_test"], "passed");
    let out = docker_ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "oci-test/tls-probe:0.3.1",
    ]);
    assert!(out.contains("tls ok"), "{out}");
    let labels = docker_ok(&[
        "image",
        "inspect",
        "oci-test/tls-probe:0.3.1",
        "--format",
        "{{json .Config.Labels}}",
    ]);
    assert!(
        labels.contains("\"org.opencontainers.image.base.digest\":\"sha256:"),
        "{labels}"
    );
}

/// A cc binary that needs a library no cc base has (`pcap` links libpcap.so.0.8): the oci
/// backend carries it from this machine, as the Dockerfile's builder carries it from its own,
/// and the image runs.
#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn oci_backend_carries_the_libraries_a_cc_binary_needs_and_the_image_runs() {
    let _guard = engine_lock();
    let dir = support::fixture("pcap-system");
    let _bases = on_a_cc_base_layout(dir.path());
    let report = build(dir.path(), "netdevs");
    assert_eq!(report["runtime"], "cc");
    assert_eq!(report["smoke_test"], "passed");
    let files = image_files("netdevs:0.1.0");
    assert!(
        has_path(&files, "usr/lib/x86_64-linux-gnu/libpcap.so.0.8"),
        "{files:?}"
    );
    let out = docker_ok(&["run", "--rm", "--network", "none", "netdevs:0.1.0"]);
    assert!(out.starts_with("netdevs 0.1.0: "), "{out}");
    assert!(out.split_whitespace().any(|d| d == "lo"), "{out}");
}

/// libpulse.so.0 needs libpulsecommon-16.1.so from its RUNPATH (`pulseaudio/`): the oci backend
/// carried libpulse without it, and the image stopped at start ("cannot open shared object
/// file"). It looks where the loader looks now, and the image runs.
#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn oci_backend_carries_what_a_library_s_runpath_finds_and_the_image_runs() {
    let _guard = engine_lock();
    let dir = support::fixture("pulse-runpath");
    let _bases = on_a_cc_base_layout(dir.path());
    let report = build(dir.path(), "pulsever");
    assert_eq!(report["runtime"], "cc");
    assert_eq!(report["smoke_test"], "passed");
    let files = image_files("pulsever:0.1.0");
    for lib in ["libpulse.so.0", "libpulsecommon-16.1.so"] {
        assert!(
            has_path(&files, &format!("usr/lib/x86_64-linux-gnu/{lib}")),
            "{lib} in {files:?}"
        );
    }
    let out = docker_ok(&["run", "--rm", "--network", "none", "pulsever:0.1.0"]);
    assert!(out.starts_with("pulsever 0.1.0: libpulse 16."), "{out}");
}
