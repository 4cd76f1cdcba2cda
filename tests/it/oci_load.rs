//! `--backend oci --load` against the fake docker: the archive is loaded, checked to be there,
//! and loaded again when the engine loses the image between the load and the smoke test (the
//! containerd image store did so once in this project's CI); the smoke test never pulls a
//! same-named image from a registry in its place.

use crate::fake::Fake;
use crate::oci::workspace;
use crate::support;

fn load(fake: &Fake, dir: &std::path::Path, mode: &str) -> std::process::Output {
    fake.run(
        dir,
        mode,
        &[
            "build",
            "--backend",
            "oci",
            "--load",
            "-p",
            "web",
            "--message-format",
            "json",
        ],
    )
}

#[test]
fn an_image_the_engine_loses_is_loaded_again_and_never_pulled() {
    let dir = workspace();
    let fake = Fake::new();
    let out = load(&fake, dir.path(), "loses-image");
    assert!(out.status.success(), "{}", support::stderr(&out));
    let report: serde_json::Value = serde_json::from_str(support::stdout(&out).trim()).unwrap();
    assert_eq!(report["output"], "load");
    assert_eq!(report["smoke_test"], "passed");
    assert!(
        support::stderr(&out)
            .contains("warning: checking `web:0.3.1` failed in the engine (image `web:0.3.1` is gone from the engine"),
        "{}",
        support::stderr(&out)
    );
    let calls = fake.calls(dir.path());
    assert_eq!(
        calls.lines().filter(|l| l.starts_with("load ")).count(),
        2,
        "{calls}"
    );
    let runs: Vec<&str> = calls.lines().filter(|l| l.starts_with("run ")).collect();
    assert!(!runs.is_empty());
    assert!(
        runs.iter().all(|l| l.contains("--pull never")),
        "every container of the checks runs the local image only:\n{calls}"
    );
}

#[test]
fn an_image_the_engine_keeps_losing_is_an_environment_error() {
    let dir = workspace();
    let fake = Fake::new();
    let out = load(&fake, dir.path(), "lost-for-good");
    assert_eq!(out.status.code(), Some(3), "{}", support::stderr(&out));
    let err = support::stderr(&out);
    assert!(
        err.contains("error: image `web:0.3.1` is gone from the engine"),
        "{err}"
    );
    assert!(
        err.contains("No such image"),
        "the engine's words are quoted:\n{err}"
    );
    assert!(err.contains("help: build again"), "{err}");
    let calls = fake.calls(dir.path());
    assert_eq!(
        calls.lines().filter(|l| l.starts_with("load ")).count(),
        2,
        "{calls}"
    );
}
