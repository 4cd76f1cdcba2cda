//! Snapshots of what cargo-distroless generates for each fixture: the plan (JSON), the
//! Dockerfile and the .dockerignore. Every generated Dockerfile also passes hadolint.

use crate::support::{self, FIXTURES};

fn generate(name: &str, extra: &[&str]) -> (String, String, String) {
    let dir = support::fixture(name);
    // The backend is named, and no engine is reachable, so the snapshot does not depend on
    // whether an engine runs here (with one, the plan also says what its BuildKit does to
    // digests: tests/it/reproducible.rs).
    let plan = support::command(dir.path())
        .args([&["plan", "--format", "json", "--backend", "buildx"], extra].concat())
        .env("CARGO_DISTROLESS_DOCKER", "/nonexistent/docker")
        .output()
        .unwrap();
    assert!(
        plan.status.success(),
        "plan failed for {name}: {}",
        support::stderr(&plan)
    );
    let init = support::run(dir.path(), &[&["init"], extra].concat());
    assert!(
        init.status.success(),
        "init failed for {name}: {}",
        support::stderr(&init)
    );
    let dockerfile = std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    let ignore = std::fs::read_to_string(dir.path().join(".dockerignore")).unwrap();
    support::hadolint(&dir.path().join("Dockerfile"));
    // Fixtures that pin no Rust version fall back to the running cargo's: keep that out of the
    // snapshot so it does not depend on the machine.
    let version = support::cargo_version();
    let redact = |s: String| {
        s.replace(&format!("rust:{version}-"), "rust:[cargo-version]-")
            .replace(&format!("\"{version}\""), "\"[cargo-version]\"")
            .replace(&format!("Rust {version}:"), "Rust [cargo-version]:")
    };
    (redact(support::stdout(&plan)), redact(dockerfile), ignore)
}

#[test]
fn fixtures_generate_stable_files() {
    for name in FIXTURES.iter().copied().chain(["example-workspace"]) {
        let (plan, dockerfile, ignore) = generate(name, &[]);
        insta::assert_snapshot!(format!("{name}.plan.json"), plan);
        insta::assert_snapshot!(format!("{name}.Dockerfile"), dockerfile);
        insta::assert_snapshot!(format!("{name}.dockerignore"), ignore);
    }
}

#[test]
fn cli_platform_flag_overrides_config() {
    let (_, dockerfile, _) = generate(
        "single-crate",
        &["--platform", "linux/arm64", "--platform", "linux/amd64"],
    );
    insta::assert_snapshot!("single-crate-arm64.Dockerfile", dockerfile);
}

#[test]
fn generation_is_deterministic() {
    let (p1, d1, i1) = generate("example-workspace", &[]);
    let (p2, d2, i2) = generate("example-workspace", &[]);
    assert_eq!((p1, d1, i1), (p2, d2, i2));
}

#[test]
fn plan_table_names_every_image_and_reason() {
    let dir = support::fixture("example-workspace");
    // No engine, wherever the test runs: with one, the table also says what its BuildKit does
    // to digests (tests/it/reproducible.rs).
    let out = support::command(dir.path())
        .args(["plan", "--backend", "buildx"])
        .env("CARGO_DISTROLESS_DOCKER", "/nonexistent/docker")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::stderr(&out));
    insta::assert_snapshot!("example-workspace.plan.txt", support::stdout(&out));
}
