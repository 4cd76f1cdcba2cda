//! A member named like a crate the lock takes from crates.io (actix/examples' `mysql` example
//! beside the `mysql` crate it uses): cargo's `-p <name>` is ambiguous for it ("specification
//! `mysql` is ambiguous"), so the plan, the Dockerfile and a host build select it by
//! `name@version`, with the skeleton's 0.0.0 in the cook step.

use crate::support;

/// The example workspace, with a member `httparse` (a binary) beside the `httparse` crate from
/// crates.io that `web` uses.
fn shadowing_workspace() -> tempfile::TempDir {
    let dir = crate::oci::workspace();
    support::write_file(
        dir.path(),
        "crates/httparse/Cargo.toml",
        "[package]\nname = \"httparse\"\nversion = \"0.9.0\"\nedition = \"2021\"\n",
    );
    support::write_file(
        dir.path(),
        "crates/httparse/src/main.rs",
        "fn main() { println!(\"parsed\"); }\n",
    );
    support::generate_lockfile(dir.path());
    dir
}

#[test]
fn a_member_named_like_a_locked_crate_is_planned_rendered_and_built_by_name_and_version() {
    let dir = shadowing_workspace();
    let root = dir.path();
    let plan = support::plan_json(root, &["-p", "httparse", "-p", "web"]);
    let names: Vec<&str> = plan["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"httparse"), "{names:?}");
    let out = support::run(root, &["dockerfile", "-p", "httparse"]);
    let dockerfile = support::stdout(&out);
    assert!(out.status.success(), "{}", support::stderr(&out));
    // The cook step builds the skeleton (every member at 0.0.0), the last step the sources.
    assert!(
        dockerfile.contains("--locked --profile release --package httparse@0.0.0 --bin httparse"),
        "{dockerfile}"
    );
    assert!(
        dockerfile.contains("--locked --profile release --package httparse@0.9.0 --bin httparse"),
        "{dockerfile}"
    );
    // A host build runs the same `cargo build`, which cargo accepts (onto a base made here).
    crate::cli::append(
        root,
        "crates/httparse/Cargo.toml",
        "\n[package.metadata.distroless]\nruntime-image = \"builtin:static\"\n",
    );
    let out = support::command(root)
        .args(["build", "--backend", "oci", "-p", "httparse"])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    let stderr = support::stderr(&out);
    assert!(out.status.success(), "{stderr}");
    // Into an engine where one answers (the suite's), else an OCI layout: built either way.
    assert!(stderr.contains("Built httparse sha256:"), "{stderr}");
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_member_named_like_a_locked_crate_builds_in_the_engine_and_after_a_version_bump() {
    // What only BuildKit proves: the cook step's `-p httparse@0.0.0` matches the skeleton's
    // masked member, and the last step's `-p httparse@<version>` the real one, before and
    // after a bump.
    let _guard = crate::engine::engine_lock();
    let dir = shadowing_workspace();
    let root = dir.path();
    let build = || {
        let out = support::run(
            root,
            &[
                "build",
                "--network",
                "host",
                "--no-smoke-test",
                "-p",
                "httparse",
            ],
        );
        assert!(out.status.success(), "{}", support::stderr(&out));
    };
    build();
    let run = |image: &str| crate::engine::docker_ok(&["run", "--rm", "--network", "none", image]);
    assert_eq!(run("httparse:0.9.0").trim(), "parsed");
    support::replace_in(
        &root.join("crates/httparse/Cargo.toml"),
        "version = \"0.9.0\"",
        "version = \"0.9.1\"",
    );
    support::replace_in(
        &root.join("crates/httparse/src/main.rs"),
        "parsed",
        "bumped",
    );
    support::generate_lockfile(root);
    build();
    assert_eq!(run("httparse:0.9.1").trim(), "bumped");
}
