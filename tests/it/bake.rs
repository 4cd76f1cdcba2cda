//! `cargo distroless bake`: the file (snapshot), its drift check, and buildx reading it (engine).

use crate::support;

#[test]
fn the_bake_file_has_a_target_per_image_and_checks_for_drift() {
    let dir = support::fixture("example-workspace");
    let out = support::run(dir.path(), &["bake", "--print"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    insta::assert_snapshot!("example-workspace.docker-bake.hcl", support::stdout(&out));

    let out = support::run(dir.path(), &["bake"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    let path = dir.path().join("docker-bake.hcl");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        support::stdout(&support::run(dir.path(), &["bake", "--print"]))
    );
    let out = support::run(dir.path(), &["bake", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", support::stderr(&out));
    // A changed tag template: the committed file is stale.
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "tags = [\"{version}\", \"{major}.{minor}\", \"latest\"]",
        "tags = [\"{version}\"]",
    );
    let out = support::run(dir.path(), &["bake", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        support::stdout(&out)
            .contains("-  tags       = [\"web:0.3.1\", \"web:0.3\", \"web:latest\"]")
    );
    assert!(support::stderr(&out).contains("help: run `cargo distroless bake`"));
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn buildx_bake_reads_the_file() {
    let dir = support::fixture("example-workspace");
    assert!(support::run(dir.path(), &["init"]).status.success());
    assert!(support::run(dir.path(), &["bake"]).status.success());
    let out = std::process::Command::new("docker")
        .args(["buildx", "bake", "--print"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::stderr(&out));
    let printed: serde_json::Value = serde_json::from_str(&support::stdout(&out)).unwrap();
    assert_eq!(
        printed["group"]["default"]["targets"],
        serde_json::json!(["example-tools", "tls-probe", "web"])
    );
    assert_eq!(printed["target"]["web"]["target"], "web");
    assert_eq!(printed["target"]["web"]["tags"][0], "web:0.3.1");

    // And it builds: `docker buildx bake` of the default group on the engine, as a bake-based CI
    // action would run it (its own network: the engine's default bridge); each image runs.
    let _guard = crate::engine::engine_lock();
    let out = std::process::Command::new("docker")
        .args(["buildx", "bake", "--load"])
        .args(["--set", "web.tags=bake-test/web:0.3.1"])
        .args(["--set", "tls-probe.tags=bake-test/tls-probe:0.3.1"])
        .args(["--set", "example-tools.tags=bake-test/example-tools:0.3.1"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::stderr(&out));
    assert_eq!(
        crate::engine::version_of("bake-test/web:0.3.1").trim(),
        "web 0.3.1 (x86_64-unknown-linux-musl)"
    );
    for image in ["tls-probe", "example-tools"] {
        let reference = format!("bake-test/{image}:0.3.1");
        assert!(
            !crate::engine::version_of(&reference).trim().is_empty(),
            "{image}"
        );
        let _ = std::process::Command::new("docker")
            .args(["image", "rm", "-f", &reference])
            .output();
    }
    let _ = std::process::Command::new("docker")
        .args(["image", "rm", "-f", "bake-test/web:0.3.1"])
        .output();
}
