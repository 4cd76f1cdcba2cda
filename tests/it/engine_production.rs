//! Images that behave in production, on the real engine: how they stop. A server without a
//! SIGTERM handler runs as PID 1, where SIGTERM does nothing: the build measures the stop and
//! warns; `init = "tini"` puts a static init in front, and the same server stops at once.

use crate::engine::engine_lock;
use crate::support;

fn build_web(dir: &std::path::Path) -> (serde_json::Value, String) {
    let out = support::run(
        dir,
        &[
            "build",
            "-p",
            "web",
            "--backend",
            "buildx",
            "--network",
            "host",
            "--load",
            "--message-format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", support::stderr(&out));
    (
        serde_json::from_str(support::stdout(&out).trim()).unwrap(),
        support::stderr(&out),
    )
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
    // tini is PID 1 and the server its child; `--version` still reaches the binary.
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
fn the_oci_backend_refuses_tini_before_compiling() {
    let dir = crate::oci::workspace();
    support::replace_in(
        &dir.path().join("crates/web/Cargo.toml"),
        "[package.metadata.distroless]\n",
        "[package.metadata.distroless]\ninit = \"tini\"\n",
    );
    let out = crate::oci::try_build(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", support::stderr(&out));
    let err = support::stderr(&out);
    assert!(
        err.contains("`init = \"tini\"`, which the oci backend does not add yet"),
        "{err}"
    );
    assert!(!err.contains("Compiling"), "{err}");
}
