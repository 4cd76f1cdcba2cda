//! Images that behave in production, on the real engine: how they stop. A server without a
//! SIGTERM handler runs as PID 1, where SIGTERM does nothing: the build measures the stop and
//! warns; `init = "tini"` puts a static init in front, and the same server stops at once.

use crate::engine::engine_lock;
use crate::support;

/// `build -p web` with `extra` on the engine, loaded: every image's report, and stderr.
fn build_web_with(dir: &std::path::Path, extra: &[&str]) -> (Vec<serde_json::Value>, String) {
    let mut args = vec![
        "build",
        "-p",
        "web",
        "--backend",
        "buildx",
        "--network",
        "host",
    ];
    args.extend(["--load", "--message-format", "json"]);
    args.extend(extra);
    let out = support::run(dir, &args);
    assert!(out.status.success(), "{}", support::stderr(&out));
    let reports = support::stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (reports, support::stderr(&out))
}

fn build_web(dir: &std::path::Path) -> (serde_json::Value, String) {
    let (mut reports, stderr) = build_web_with(dir, &[]);
    (reports.remove(0), stderr)
}

/// "0.4 s, exit 143" or "slow: 3.1 s, exit 137 (…)" → (seconds, exit code).
fn stop_of(report: &serde_json::Value) -> (f64, i64) {
    let stop = report["stop"].as_str().unwrap();
    let numbers: Vec<&str> = stop
        .trim_start_matches("slow: ")
        .split([' ', ','])
        .filter(|w| w.parse::<f64>().is_ok())
        .collect();
    (numbers[0].parse().unwrap(), numbers[1].parse().unwrap())
}

/// `web:0.3.1` starts tini, which starts the server; `--version` still reaches the binary.
fn assert_tini_in_front_of_web() {
    let entrypoint = crate::engine::docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Entrypoint}}",
        "web:0.3.1",
    ]);
    assert_eq!(
        entrypoint.trim(),
        r#"["/usr/bin/tini","--","/usr/local/bin/web"]"#
    );
    assert_eq!(
        crate::engine::version_of("web:0.3.1").trim(),
        "web 0.3.1 (x86_64-unknown-linux-musl)"
    );
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_server_that_ignores_sigterm_is_warned_about_and_tini_makes_it_stop() {
    let _guard = engine_lock();
    let dir = support::fixture("example-workspace");
    // `web` installs no SIGTERM handler: as PID 1 it ignores `docker stop`.
    let (report, stderr) = build_web(dir.path());
    let (took, code) = stop_of(&report);
    assert!(took > 2.0, "{report:#}");
    assert_eq!(code, 137, "killed after the grace period");
    // It listens where it says, on every address: nothing to warn about.
    assert_eq!(report["listening"], serde_json::json!(["0.0.0.0:8080"]));
    assert!(!stderr.contains("listens on"), "{stderr}");
    assert!(stderr.contains("warning: image `web` took"), "{stderr}");
    assert!(stderr.contains("help: set `init = \"tini\"`"), "{stderr}");

    support::replace_in(
        &dir.path().join("crates/web/Cargo.toml"),
        "[package.metadata.distroless]\n",
        "[package.metadata.distroless]\ninit = \"tini\"\n",
    );
    let out = support::run(dir.path(), &["init"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    support::hadolint(&dir.path().join("Dockerfile"));
    let (report, stderr) = build_web(dir.path());
    let (took, code) = stop_of(&report);
    assert!(took < 2.0, "{report:#}");
    assert!(code == 0 || code == 143, "{report:#}");
    assert!(!stderr.contains("warning: image `web` took"), "{stderr}");
    assert_tini_in_front_of_web();
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_server_that_ignores_the_version_probe_is_seen_serving_and_passes() {
    // axum's examples read no arguments: `--version` starts the server. The probe is ended as
    // soon as the program is seen listening, and passes with a warning saying so.
    let _guard = engine_lock();
    let dir = crate::oci::workspace();
    let main = dir.path().join("crates/web/src/main.rs");
    support::replace_in(&main, "\"--version\" =>", "\"--no-such-flag\" =>");
    support::replace_in(
        &main,
        "other => return Err(format!(\"unknown argument `{other}`\")),",
        "_ => {}",
    );
    let out = crate::oci::try_build(dir.path(), &["--load", "--message-format", "json"]);
    let stderr = support::stderr(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: `web --version` was serving on 0.0.0.0:8080 in image `web`: it started and ignored the flag"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_str(&support::stdout(&out)).unwrap();
    assert_eq!(
        report["smoke_test"],
        "passed (it kept running: it takes no `--version`)"
    );
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_server_on_loopback_or_on_a_port_it_does_not_expose_is_warned_about() {
    let _guard = engine_lock();
    let manifest = |dir: &std::path::Path| dir.join("crates/web/Cargo.toml");
    let args = "args = [\"--port\", \"8080\", \"--static-dir\", \"/srv/static\"]";
    // On 127.0.0.1, as mini-redis-server binds: only a client inside the container reaches it.
    // The oci backend loads and checks the image as buildx does.
    let dir = crate::oci::workspace();
    support::replace_in(
        &manifest(dir.path()),
        args,
        "args = [\"--host\", \"127.0.0.1\", \"--port\", \"8080\", \"--static-dir\", \"/srv/static\"]",
    );
    let out = crate::oci::try_build(dir.path(), &["--load", "--message-format", "json"]);
    let stderr = support::stderr(&out);
    assert!(out.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&support::stdout(&out)).unwrap();
    assert_eq!(report["listening"], serde_json::json!(["127.0.0.1:8080"]));
    assert!(
        stderr.contains("warning: image `web` listens on 127.0.0.1:8080 only: no client outside its container reaches it"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "pass it with `args` in `[package.metadata.distroless]` of `crates/web/Cargo.toml`"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("but its program listens on"), "{stderr}");
    assert!(!stderr.contains("exposes none"), "{stderr}");

    // On every address, but on 9090 while the image exposes 8080.
    let dir = support::fixture("example-workspace");
    support::replace_in(
        &manifest(dir.path()),
        args,
        "args = [\"--port\", \"9090\", \"--static-dir\", \"/srv/static\"]",
    );
    let (report, stderr) = build_web(dir.path());
    assert_eq!(report["listening"], serde_json::json!(["0.0.0.0:9090"]));
    assert!(
        stderr.contains("warning: image `web` exposes 8080, but its program listens on 9090\nhelp: set `expose = [9090]` in `[package.metadata.distroless]` of `crates/web/Cargo.toml`"),
        "{stderr}"
    );
    assert!(!stderr.contains("only: no client outside"), "{stderr}");
    assert!(!stderr.contains("exposes none"), "{stderr}");

    // On every address, and the image exposes nothing: a note, with the key that documents it.
    let dir = crate::oci::workspace();
    support::replace_in(&manifest(dir.path()), "expose = [8080]\n", "");
    let out = crate::oci::try_build(dir.path(), &["--load"]);
    let stderr = support::stderr(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("note: image `web` listens on port 8080 and exposes none: `expose = [8080]` in `[package.metadata.distroless]` of `crates/web/Cargo.toml`"),
        "{stderr}"
    );
    assert!(!stderr.contains("warning: image `web` listens"), "{stderr}");
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn the_oci_backend_puts_debians_static_tini_in_front_too() {
    let _guard = engine_lock();
    let dir = crate::oci::workspace();
    support::replace_in(
        &dir.path().join("crates/web/Cargo.toml"),
        "[package.metadata.distroless]\n",
        "[package.metadata.distroless]\ninit = \"tini\"\n",
    );
    // Without an engine in between: tini comes from Debian's package index, not apt.
    let report = crate::oci::build(dir.path(), &["--load"]);
    let (took, code) = stop_of(&report);
    assert!(took < 2.0, "{report:#}");
    assert!(code == 0 || code == 143, "{report:#}");
    assert_tini_in_front_of_web();
    // The binary in the image is Debian's tini (its static build: the base has no libc).
    let tini = crate::engine::docker_ok(&[
        "run",
        "--rm",
        "--entrypoint",
        "/usr/bin/tini",
        "web:0.3.1",
        "--version",
    ]);
    assert!(tini.starts_with("tini version 0.19"), "{tini}");
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_scratch_image_is_the_binary_plus_what_it_needs_and_serves_as_nonroot() {
    let _guard = engine_lock();
    let dir = support::fixture("example-workspace");
    support::replace_in(
        &dir.path().join("crates/web/Cargo.toml"),
        "[package.metadata.distroless]\n",
        "[package.metadata.distroless]\nruntime = \"scratch\"\n",
    );
    let out = support::run(dir.path(), &["init"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    support::hadolint(&dir.path().join("Dockerfile"));
    let (report, _) = build_web(dir.path());
    assert_eq!(
        report["smoke_test"], "passed",
        "runs as 65532, no shell: {report:#}"
    );

    // Its whole filesystem: the binary, the assets, and under 300 KB besides.
    let container = crate::engine::docker_ok(&["create", "web:0.3.1"])
        .trim()
        .to_string();
    let _cleanup = crate::engine::Container(container.clone());
    let export = tempfile::NamedTempFile::new().unwrap();
    crate::engine::docker_ok(&["export", "-o", export.path().to_str().unwrap(), &container]);
    let mut archive = tar::Archive::new(std::fs::File::open(export.path()).unwrap());
    let mut files = std::collections::BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        if entry.header().entry_type().is_file() {
            files.insert(
                entry.path().unwrap().display().to_string(),
                entry.header().size().unwrap(),
            );
        }
    }
    let binary = files["usr/local/bin/web"];
    let assets: u64 = files
        .iter()
        .filter(|(p, _)| p.starts_with("srv/"))
        .map(|(_, s)| s)
        .sum();
    let rest: u64 = files.values().sum::<u64>() - binary - assets;
    assert!(
        rest <= 300 * 1024,
        "{rest} bytes besides the binary and assets: {files:#?}"
    );
    for needed in [
        "etc/passwd",
        "etc/group",
        "etc/ssl/certs/ca-certificates.crt",
    ] {
        assert!(files.contains_key(needed), "{needed}: {files:#?}");
    }

    // It serves, as uid 65532, and can read its CA bundle.
    let port = support::free_port();
    let id = crate::engine::docker_ok(&[
        "run",
        "-d",
        "--network",
        "host",
        "web:0.3.1",
        "--port",
        &port.to_string(),
        "--static-dir",
        "/etc/ssl/certs",
    ])
    .trim()
    .to_string();
    let _server = crate::engine::Container(id.clone());
    let root = crate::engine::http_get(port, "/");
    assert!(root.starts_with("HTTP/1.1 200 OK"), "{root}");
    let bundle = crate::engine::http_get(port, "/static/ca-certificates.crt");
    assert!(bundle.contains("-----BEGIN CERTIFICATE-----"), "{bundle}");
    let top = crate::engine::docker_ok(&["top", &id, "-eo", "pid,uid,comm"]);
    assert!(top.contains("65532"), "{top}");
}

#[test]
fn scratch_is_refused_for_a_cc_image_and_for_a_debug_variant() {
    let dir = support::fixture("example-workspace");
    let out = support::run(
        dir.path(),
        &["plan", "-p", "tls-probe", "--runtime", "scratch"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", support::stderr(&out));
    let err = support::stderr(&out);
    assert!(
        err.contains("forces a scratch (static) image, but `openssl-sys` links"),
        "{err}"
    );
    assert!(err.contains("help:"), "{err}");
    let out = support::run(
        dir.path(),
        &[
            "plan",
            "-p",
            "web",
            "--runtime",
            "scratch",
            "--variant",
            "debug",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", support::stderr(&out));
    assert!(support::stderr(&out).contains("is on scratch, which has no shell"));
}

#[test]
fn the_oci_backend_builds_scratch_images_from_its_built_in_base() {
    let dir = support::fixture("example-workspace");
    support::replace_in(
        &dir.path().join("crates/web/Cargo.toml"),
        "[package.metadata.distroless]\n",
        "[package.metadata.distroless]\nruntime = \"scratch\"\n",
    );
    let report = crate::oci::build(dir.path(), &["--output", "type=oci,dest=out,tar=false"]);
    assert_eq!(report["runtime"], "static");
    let out = support::run(dir.path(), &["inspect", "out", "--message-format", "json"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    let inspected: serde_json::Value = serde_json::from_str(&support::stdout(&out)).unwrap();
    assert_eq!(inspected["base"], "scratch");
    assert_eq!(inspected["fits"], true);
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_debug_twin_has_a_shell_and_the_same_binary() {
    let _guard = engine_lock();
    let dir = support::fixture("example-workspace");
    let (reports, _) = build_web_with(dir.path(), &["--debug"]);
    // The default image stays the Dockerfile's last stage: its twin comes just before it.
    let mut names: Vec<&str> = reports
        .iter()
        .map(|r| r["image"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["web", "web-debug"]);
    let twin_report = reports.iter().find(|r| r["image"] == "web-debug").unwrap();
    assert_eq!(twin_report["references"][0], "web:0.3.1-debug");
    assert_eq!(twin_report["smoke_test"], "passed");

    let shell = |image: &str| {
        std::process::Command::new("docker")
            .args([
                "run",
                "--rm",
                "--network",
                "none",
                "--entrypoint",
                "/busybox/sh",
                image,
            ])
            .args(["-c", "echo shell"])
            .output()
            .unwrap()
    };
    let twin = shell("web:0.3.1-debug");
    assert!(twin.status.success(), "{}", support::stderr(&twin));
    assert_eq!(support::stdout(&twin).trim(), "shell");
    assert!(
        !shell("web:0.3.1").status.success(),
        "the main image has no shell"
    );

    // The same binary on each base, byte for byte and with the same mode and time. (The layers
    // differ only in the parent directories' times, which BuildKit 0.13 sets when it copies;
    // `rewrite-timestamp` on a newer BuildKit makes the layers identical too.)
    // Compared by content and mode: on a BuildKit cache hit the copied file keeps the time of
    // the build that first made that layer, so times may differ between the two images.
    let binary = |image: &str| -> (Vec<u8>, u32) {
        let id = crate::engine::docker_ok(&["create", image])
            .trim()
            .to_string();
        let _container = crate::engine::Container(id.clone());
        let out = std::process::Command::new("docker")
            .args(["cp", &format!("{id}:/usr/local/bin/web"), "-"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", support::stderr(&out));
        let mut archive = tar::Archive::new(out.stdout.as_slice());
        let mut entry = archive.entries().unwrap().next().unwrap().unwrap();
        let mode = entry.header().mode().unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        (bytes, mode)
    };
    let (main, twin) = (binary("web:0.3.1"), binary("web:0.3.1-debug"));
    assert!(main.0.len() > 100_000);
    assert!(
        main == twin,
        "the twin carries the very same binary, with the same mode"
    );
}

#[test]
fn a_debug_twin_needs_a_distroless_base() {
    let dir = support::fixture("example-workspace");
    let out = support::run(
        dir.path(),
        &["plan", "-p", "web", "--debug", "--runtime", "scratch"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", support::stderr(&out));
    let err = support::stderr(&out);
    assert!(err.contains("asks for a debug twin"), "{err}");
    assert!(err.contains("help:"), "{err}");
}
