//! Planning remembers cargo's resolution between runs (`target/distroless/cache/tree/`): a
//! rebuild after a source edit asks `cargo tree` nothing, and any change to what the resolution
//! reads (a manifest, the lock file, the features asked for) asks again.

use std::path::Path;

use crate::support;

/// A `$CARGO` for the tool that logs each cargo command line (an empty log to start with), and
/// that log.
fn logging_cargo(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let log = dir.join("cargo-calls.log");
    let _ = std::fs::remove_file(&log);
    let wrapper = dir.join("cargo-wrapper.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec cargo \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    (wrapper, log)
}

/// `plan --format json` with `$CARGO` logging each cargo command: the plan, and how many
/// `cargo tree` runs it took.
fn plan(dir: &Path, extra: &[&str]) -> (serde_json::Value, usize) {
    let (wrapper, log) = logging_cargo(dir);
    let out = support::command(dir)
        .args([&["plan", "--format", "json", "--backend", "buildx"], extra].concat())
        .env("CARGO", &wrapper)
        .env("CARGO_DISTROLESS_DOCKER", "/nonexistent/docker")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::stderr(&out));
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    let trees = calls.lines().filter(|l| l.starts_with("tree ")).count();
    (serde_json::from_str(&support::stdout(&out)).unwrap(), trees)
}

#[test]
fn an_unchanged_workspace_is_planned_without_asking_cargo_tree_again() {
    let dir = support::fixture("example-workspace");
    let (first, trees) = plan(dir.path(), &[]);
    assert!(trees >= 1, "the first plan asks cargo");
    // A source edit changes nothing cargo's resolution reads: same plan, no `cargo tree`.
    let main_rs = dir.path().join("crates/web/src/main.rs");
    let text = std::fs::read_to_string(&main_rs).unwrap();
    std::fs::write(&main_rs, text + "\n// an edit\n").unwrap();
    let (second, trees) = plan(dir.path(), &[]);
    assert_eq!(trees, 0, "answered from the cache");
    assert_eq!(first, second);
    // Other features are another question.
    let (_, trees) = plan(dir.path(), &["--no-default-features"]);
    assert!(trees >= 1, "a new query asks cargo");
    // A member's manifest changed: ask again.
    let manifest = dir.path().join("crates/common/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text + "\n# a change\n").unwrap();
    let (_, trees) = plan(dir.path(), &[]);
    assert!(trees >= 1, "a changed manifest asks cargo");
    let (_, trees) = plan(dir.path(), &[]);
    assert_eq!(trees, 0);
    // So does the lock file.
    let lock = dir.path().join("Cargo.lock");
    let text = std::fs::read_to_string(&lock).unwrap();
    std::fs::write(&lock, text + "\n").unwrap();
    let (_, trees) = plan(dir.path(), &[]);
    assert!(trees >= 1, "a changed lock file asks cargo");
    // A cache entry that cannot be read is asked again, not trusted.
    let cache = dir.path().join("target/distroless/cache/tree");
    for entry in std::fs::read_dir(&cache).unwrap() {
        std::fs::write(entry.unwrap().path(), "garbage that is no tree\n|||\n").unwrap();
    }
    let (garbled, trees) = plan(dir.path(), &[]);
    assert!(trees >= 1, "an unreadable entry asks cargo");
    assert_eq!(garbled["images"], first["images"]);
}

/// `version = "0.3.1"` of `[workspace.package]` made `0.3.<patch>`.
fn bump(dir: &Path, patch: u32) {
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let bumped = text.replacen(
        "version = \"0.3.1\"",
        &format!("version = \"0.3.{patch}\""),
        1,
    );
    assert_ne!(text, bumped, "the fixture's workspace version is 0.3.1");
    std::fs::write(&manifest, bumped).unwrap();
}

/// [`bump`], then the lock refreshed (`cargo update --workspace`, as cargo-release does it).
fn bump_refreshed(dir: &Path, patch: u32) {
    bump(dir, patch);
    let status = std::process::Command::new("cargo")
        .args(["update", "--workspace", "--offline", "-q"])
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success());
}

fn lock_names(dir: &Path, version: &str) -> bool {
    std::fs::read_to_string(dir.join("Cargo.lock"))
        .unwrap()
        .contains(&format!("name = \"web\"\nversion = \"{version}\""))
}

#[test]
fn a_version_bump_made_as_cargo_makes_it_is_planned_from_the_cache_with_the_new_version() {
    let dir = support::fixture("example-workspace");
    let (first, trees) = plan(dir.path(), &[]);
    assert!(trees >= 1);
    // A bump with the lock refreshed (`cargo update --workspace`, as cargo-release does it).
    bump_refreshed(dir.path(), 2);
    assert!(lock_names(dir.path(), "0.3.2"));
    let (bumped, trees) = plan(dir.path(), &[]);
    assert_eq!(trees, 0, "a version bump changes nothing cargo links");
    let tags = bumped["images"][0]["tags"].to_string();
    assert!(
        tags.contains("0.3.2"),
        "the plan has the new version: {tags}"
    );
    assert_ne!(first["images"], bumped["images"]);
}

#[test]
fn a_bump_the_lock_file_has_not_seen_yet_asks_cargo_which_refreshes_it() {
    let dir = support::fixture("example-workspace");
    let (_, trees) = plan(dir.path(), &[]);
    assert!(trees >= 1);
    bump(dir.path(), 7);
    assert!(lock_names(dir.path(), "0.3.1"), "not refreshed yet");
    let (_, trees) = plan(dir.path(), &[]);
    assert!(
        trees >= 1,
        "a stale lock file is not answered from the cache"
    );
    assert!(
        lock_names(dir.path(), "0.3.7"),
        "cargo refreshed the lock file"
    );
}

/// `build --backend oci` of `web` into an OCI layout, with `$CARGO` logging each cargo command
/// line: the SBOM the build attached, and the cargo commands it ran (`build` aside).
fn oci_build_sbom(dir: &Path) -> (serde_json::Value, Vec<String>) {
    let (wrapper, log) = logging_cargo(dir);
    let layout = dir.join("out");
    let _ = std::fs::remove_dir_all(&layout);
    let out = support::command(dir)
        .args(["build", "--backend", "oci", "-p", "web", "--output"])
        .arg(format!("type=oci,dest={},tar=false", layout.display()))
        .env("CARGO", &wrapper)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::stderr(&out));
    let blob = |digest: &str| -> serde_json::Value {
        let hex = digest.strip_prefix("sha256:").unwrap();
        serde_json::from_slice(&std::fs::read(layout.join("blobs/sha256").join(hex)).unwrap())
            .unwrap()
    };
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let attestation = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["vnd.docker.reference.type"] == "attestation-manifest")
        .expect("an attestation manifest");
    let manifest = blob(attestation["digest"].as_str().unwrap());
    let statement = blob(manifest["layers"][0]["digest"].as_str().unwrap());
    let calls = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with("build "))
        .map(str::to_string)
        .collect();
    (statement["predicate"].clone(), calls)
}

/// Whether cargo was asked only for the workspace's own metadata (`--no-deps`): no graph, no
/// dependency's facts.
fn only_workspace_metadata(calls: &[String]) -> bool {
    calls
        .iter()
        .all(|c| c.starts_with("metadata ") && c.contains("--no-deps"))
}

/// The SBOM's component for `name`: its version and license.
fn component(bom: &serde_json::Value, name: &str) -> (String, String) {
    let c = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no `{name}` in {bom:#}"));
    (
        c["version"].as_str().unwrap().to_string(),
        c["licenses"][0]["expression"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    )
}

#[test]
fn an_oci_builds_sbom_is_made_from_the_cache_after_an_edit_and_a_bump() {
    let dir = crate::oci::workspace();
    let (first, calls) = oci_build_sbom(dir.path());
    let asks = |calls: &[String], what: &str| calls.iter().any(|c| c.starts_with(what));
    assert!(asks(&calls, "tree "), "{calls:?}");
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("metadata ") && !c.contains("--no-deps")),
        "the first SBOM reads the licenses from cargo metadata: {calls:?}"
    );
    assert_eq!(
        component(&first, "common"),
        ("0.3.1".into(), "MIT OR Apache-2.0".into())
    );
    // A source edit: the SBOM asks cargo neither for the graph nor for the licenses.
    let main_rs = dir.path().join("crates/web/src/main.rs");
    let text = std::fs::read_to_string(&main_rs).unwrap();
    std::fs::write(&main_rs, text + "\n// an edit\n").unwrap();
    let (edited, calls) = oci_build_sbom(dir.path());
    assert!(
        only_workspace_metadata(&calls),
        "only the workspace's own metadata: {calls:?}"
    );
    assert_eq!(edited, first);
    // A bump with the lock refreshed: still from the cache, and the members at their new version,
    // with their license.
    bump_refreshed(dir.path(), 2);
    let (bumped, calls) = oci_build_sbom(dir.path());
    assert!(
        only_workspace_metadata(&calls),
        "a bump changes nothing cargo links: {calls:?}"
    );
    assert_eq!(
        component(&bumped, "common"),
        ("0.3.2".into(), "MIT OR Apache-2.0".into())
    );
    assert_eq!(bumped["metadata"]["component"]["version"], "0.3.2");
}
