//! Finding the workspace in a repository as it is laid out: one whose workspace is in a
//! subdirectory (or in several), one that holds another workspace below it with the binaries, a
//! member in a submodule a plain clone left empty.

use crate::cli::rejects;
use crate::support;

/// A repository whose Rust lives in a subdirectory (tensorzero's `crates/`): the error names it.
#[test]
fn no_manifest_here_points_at_the_workspace_below() {
    let dir = tempfile::tempdir().unwrap();
    let crates = dir.path().join("crates");
    std::fs::create_dir_all(crates.join("core")).unwrap();
    std::fs::write(
        crates.join("Cargo.toml"),
        "[workspace]\nmembers = [\"core\"]\n",
    )
    .unwrap();
    std::fs::write(
        crates.join("core/Cargo.toml"),
        "[package]\nname = \"core\"\n",
    )
    .unwrap();
    rejects(
        dir.path(),
        &[],
        &[
            "error: no `Cargo.toml` in this directory or any parent",
            "manifests below it: crates/Cargo.toml, crates/core/Cargo.toml",
            "help: run it in the workspace's directory, or pass `--manifest-path crates/Cargo.toml`",
        ],
    );
}

#[test]
fn a_member_in_a_submodule_left_empty_says_to_check_it_out() {
    // rustdesk-server cloned without `--recursive`: its member `libs/hbb_common` is a submodule,
    // and `cargo metadata` fails before any plan, saying only that it cannot read the manifest.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    support::write_file(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"libs/common\"]\n\n[package]\nname = \"server\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ncommon = { path = \"libs/common\" }\n",
    );
    support::write_file(root, "src/main.rs", "fn main() {}\n");
    support::write_file(
        root,
        ".gitmodules",
        "[submodule \"libs/common\"]\n\tpath = libs/common\n\turl = https://example.invalid/common.git\n",
    );
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::create_dir_all(root.join("libs/common")).unwrap();
    for cwd in [root.to_path_buf(), root.join("libs")] {
        let out = support::run(&cwd, &["init"]);
        let err = support::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("error: `cargo metadata` failed to read the workspace"),
            "{err}"
        );
        assert!(
            err.contains("help: git submodule `libs/common` (in `.gitmodules`) is not checked out, and cargo reads from it: run `git submodule update --init --recursive`"),
            "{err}"
        );
        assert!(!root.join("Dockerfile").exists());
    }
    // Without `.gitmodules` naming it, an empty member is the manifest error it is.
    std::fs::remove_file(root.join(".gitmodules")).unwrap();
    let err = support::stderr(&support::run(root, &["init"]));
    assert!(err.contains("help: fix the manifest error above"), "{err}");
}

#[test]
fn a_library_workspace_points_at_the_workspace_below_it_with_the_binaries() {
    // axum: the root workspace is libraries only; `examples/Cargo.toml` is a workspace of its own.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    support::write_file(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"core\"]\nresolver = \"2\"\n",
    );
    support::write_file(
        root,
        "core/Cargo.toml",
        "[package]\nname = \"core-lib\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    support::write_file(root, "core/src/lib.rs", "");
    let out = support::run(root, &["init"]);
    let err = support::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error: nothing to build: no selected package has a binary"),
        "{err}"
    );
    assert!(err.contains("help: add a `[[bin]]` target"), "{err}");
    support::write_file(
        root,
        "examples/Cargo.toml",
        "[workspace]\nmembers = [\"*\"]\nexclude = [\"target\"]\n",
    );
    let out = support::run(root, &["init"]);
    let err = support::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("help: `examples/Cargo.toml` is a workspace of its own, which this one does not build: pass `--manifest-path examples/Cargo.toml` to build its binaries"),
        "{err}"
    );
    assert!(!root.join("Dockerfile").exists());
}

/// svix-webhooks: no root manifest, and two workspaces below it, `bridge/` and `server/`: the
/// hint names the server's, not the one that sorts first. The same for a library workspace with
/// both below it.
#[test]
fn among_several_workspaces_below_the_servers_is_named_first() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for member in ["bridge", "server"] {
        support::write_file(
            root,
            &format!("{member}/Cargo.toml"),
            &format!("[workspace]\nmembers = [\"svix-{member}\"]\n"),
        );
    }
    rejects(
        root,
        &[],
        &[
            "manifests below it: server/Cargo.toml, bridge/Cargo.toml",
            "help: run it in the workspace's directory, or pass `--manifest-path server/Cargo.toml`",
        ],
    );
    support::write_file(root, "Cargo.toml", "[workspace]\nmembers = [\"core\"]\n");
    support::write_file(
        root,
        "core/Cargo.toml",
        "[package]\nname = \"core-lib\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    support::write_file(root, "core/src/lib.rs", "");
    rejects(
        root,
        &[],
        &["help: `server/Cargo.toml` is a workspace of its own, which this one does not build"],
    );
}
