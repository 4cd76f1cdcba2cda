//! The builder's Rust against what the compiled crates ask for (`rust-version`, edition, lock
//! format), read by real cargo on a small workspace made here: a member `app` that declares an
//! older `rust-version` than the library it depends on, as tokei 15.0.0 (1.71, with `clap-cargo`
//! at 1.86 in its lock) and diesel_cli 2.3.14 (1.86, `time` at 1.88) are published.

use std::path::Path;
use std::process::Command;

use crate::support;

/// `app` (a binary, `rust-version = app_rust`, edition `app_edition`) depending on the member
/// `core` (a library, `rust-version = "1.88"`) and the proc-macro member `derive` (1.60), with a
/// lock file cargo wrote.
fn workspace(app_rust: Option<&str>, app_edition: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("cd-floor-")
        .tempdir()
        .unwrap();
    let root = dir.path();
    let write = |path: &str, text: &str| support::write_file(root, path, text);
    write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"app\", \"core\", \"derive\"]\nresolver = \"2\"\n",
    );
    let rust_version = app_rust
        .map(|v| format!("rust-version = \"{v}\"\n"))
        .unwrap_or_default();
    write(
        "app/Cargo.toml",
        &format!(
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"{app_edition}\"\n{rust_version}\n[dependencies]\ncore = {{ path = \"../core\", package = \"floor-core\" }}\nderive = {{ path = \"../derive\", package = \"floor-derive\" }}\n"
        ),
    );
    write("app/src/main.rs", "fn main() { core::hello(); }\n");
    write(
        "core/Cargo.toml",
        "[package]\nname = \"floor-core\"\nversion = \"0.2.0\"\nedition = \"2021\"\nrust-version = \"1.88\"\n",
    );
    write("core/src/lib.rs", "pub fn hello() {}\n");
    write(
        "derive/Cargo.toml",
        "[package]\nname = \"floor-derive\"\nversion = \"0.3.0\"\nedition = \"2021\"\nrust-version = \"1.60\"\n\n[lib]\nproc-macro = true\n",
    );
    write("derive/src/lib.rs", "");
    let lock = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["generate-lockfile", "--offline"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(lock.status.success(), "{}", support::stderr(&lock));
    dir
}

/// `cargo distroless <command>` where the pinned toolchain is not installed (rustup must not
/// fetch it), which must fail with an input error: its stderr.
fn input_error(dir: &Path, command: &str) -> String {
    let out = support::command(dir)
        .arg(command)
        .env("RUSTUP_AUTO_INSTALL", "0")
        .output()
        .unwrap();
    let err = support::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    err
}

fn pin(dir: &Path, channel: &str) {
    std::fs::write(
        dir.join("rust-toolchain.toml"),
        format!("[toolchain]\nchannel = \"{channel}\"\n"),
    )
    .unwrap();
}

#[test]
fn a_dependency_newer_than_the_member_sets_the_builder_s_rust() {
    let dir = workspace(Some("1.70"), "2021");
    let plan = support::plan_json(dir.path(), &[]);
    assert_eq!(plan["rust"]["version"], "1.88", "{:#}", plan["rust"]);
    assert_eq!(plan["rust"]["builder_image"], "rust:1.88-slim-bookworm");
    assert_eq!(
        plan["rust"]["reason"],
        "the oldest that builds every crate it compiles: `floor-core` 0.2.0 declares `rust-version = \"1.88\"`"
    );
    // The member's own `rust-version`, when it is the highest, is still the answer (and said so).
    let dir = workspace(Some("1.90"), "2021");
    let plan = support::plan_json(dir.path(), &[]);
    assert_eq!(plan["rust"]["version"], "1.90");
    assert_eq!(plan["rust"]["reason"], "`rust-version` of package `app`");
}

#[test]
fn a_proc_macro_counts_though_nothing_of_it_is_linked() {
    let dir = workspace(Some("1.70"), "2021");
    let manifest = dir.path().join("derive/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("\"1.60\"", "\"1.91\"")).unwrap();
    let plan = support::plan_json(dir.path(), &[]);
    assert_eq!(plan["rust"]["version"], "1.91", "{:#}", plan["rust"]);
    assert!(
        plan["rust"]["reason"]
            .as_str()
            .unwrap()
            .contains("`floor-derive` 0.3.0 declares"),
        "{:#}",
        plan["rust"]
    );
}

#[test]
fn a_pin_older_than_a_compiled_crate_needs_is_an_error_before_anything_is_written() {
    let dir = workspace(Some("1.70"), "2021");
    pin(dir.path(), "1.80");
    let err = input_error(dir.path(), "init");
    assert!(
        err.contains("error: Rust 1.80 (the channel pinned in `rust-toolchain.toml`) cannot build this workspace: `floor-core` 0.2.0 declares `rust-version = \"1.88\"`"),
        "{err}"
    );
    assert!(
        err.contains("help: pin `channel` in `rust-toolchain.toml` to `1.88` or newer"),
        "{err}"
    );
    assert!(
        !dir.path().join("Dockerfile").exists(),
        "nothing half-written"
    );

    // A pin without a patch is that release's newest: 1.88 builds what asks for 1.88.
    pin(dir.path(), "1.88");
    let plan = support::plan_json(dir.path(), &[]);
    assert_eq!(plan["rust"]["version"], "1.88");

    // The same check for the version set in the workspace's own table.
    std::fs::remove_file(dir.path().join("rust-toolchain.toml")).unwrap();
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        format!("{text}\n[workspace.metadata.distroless]\nrust-version = \"1.87\"\n"),
    )
    .unwrap();
    let out = support::run(dir.path(), &["plan"]);
    let err = support::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "help: set `rust-version` in `[workspace.metadata.distroless]` to `1.88` or newer"
        ),
        "{err}"
    );
}

#[test]
fn an_edition_counts_where_no_rust_version_is_declared() {
    let dir = workspace(None, "2024");
    pin(dir.path(), "1.84");
    let err = input_error(dir.path(), "plan");
    // floor-core's 1.88 is the highest; an edition 2024 member alone would ask for 1.85.
    assert!(err.contains("`floor-core` 0.2.0 declares"), "{err}");
    let core = dir.path().join("core/Cargo.toml");
    let text = std::fs::read_to_string(&core).unwrap();
    std::fs::write(&core, text.replace("rust-version = \"1.88\"\n", "")).unwrap();
    let err = input_error(dir.path(), "plan");
    assert!(
        err.contains("`app` 0.1.0 is edition 2024, which Rust 1.85 introduced"),
        "{err}"
    );
    // A member's own edition has no dependency to hold back.
    assert!(!err.contains("cargo update -p"), "{err}");
}

/// rathole 0.5.0's lock holds `time` 0.3.29, compiled with `formatting` for its build script
/// (through vergen): Rust 1.80 and later reject it (E0282). Nothing pinned: the builder gets
/// 1.79 and the reason names the way out; a pin at 1.80 or later is refused before any build.
#[test]
fn a_locked_crate_that_newer_rust_rejects_caps_the_builders_rust() {
    let dir = support::fixture("old-time");
    let out = support::run(dir.path(), &["plan"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first = stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("Rust 1.79 in `rust:1.79-slim-bookworm`: the newest that builds every crate it compiles: `time` 0.3.29 (feature `formatting`) does not compile with Rust 1.80 or later"),
        "{stdout}"
    );
    assert!(
        first.contains("`cargo update -p time --precise 0.3.35`"),
        "{first}"
    );
    support::write_file(
        dir.path(),
        "rust-toolchain.toml",
        "[toolchain]\nchannel = \"1.80.0\"\n",
    );
    let err = input_error(dir.path(), "plan");
    assert!(
        err.contains("error: Rust 1.80.0 (the channel pinned in `rust-toolchain.toml`) cannot build this workspace: `time` 0.3.29"),
        "{err}"
    );
    assert!(
        err.contains("help: `cargo update -p time --precise 0.3.35` (the first release that compiles with newer Rust), or pin Rust 1.79 or older"),
        "{err}"
    );
    // A host build compiles with this machine's Rust (the one running these tests, 1.80 or
    // later): refused before anything compiles, with the toolchain to use instead.
    std::fs::remove_file(dir.path().join("rust-toolchain.toml")).unwrap();
    let out = support::run(dir.path(), &["build", "--backend", "oci"]);
    let err = support::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "which `--backend oci` compiles with, cannot build this workspace: `time` 0.3.29"
        ),
        "{err}"
    );
    assert!(
        err.contains("`rustup toolchain install 1.79`, then run with `RUSTUP_TOOLCHAIN=1.79`"),
        "{err}"
    );
    assert!(!err.contains("Compiling"), "{err}");
}

/// The single-crate fixture declaring `rust-version = "1.60"`, its lock in format 3 (which cargo
/// 1.60 reads): nothing in it asks for a newer Rust.
fn declaring_rust_1_60() -> tempfile::TempDir {
    let dir = support::fixture("single-crate");
    let root = dir.path();
    support::replace_in(
        &root.join("Cargo.toml"),
        "rust-version = \"1.85\"",
        "rust-version = \"1.60\"",
    );
    support::replace_in(&root.join("Cargo.lock"), "version = 4", "version = 3");
    dir
}

/// A member that declares `rust-version = "1.60"`, with nothing that asks for more (a lock in
/// format 3): no `rust:1.60-slim-bookworm` image exists, so the builder gets 1.67, the oldest
/// Rust published on Debian 12, and the plan says so.
#[test]
fn a_declared_version_older_than_any_builder_image_is_raised_to_the_oldest() {
    let dir = declaring_rust_1_60();
    let root = dir.path();
    let plan = support::plan_json(root, &[]);
    assert_eq!(plan["rust"]["version"], "1.67", "{:#}", plan["rust"]);
    assert_eq!(plan["rust"]["builder_image"], "rust:1.67-slim-bookworm");
    assert_eq!(
        plan["rust"]["reason"],
        "`rust-version` of package `hello-svc` (1.60), raised to 1.67: the oldest Rust with a `rust:<version>-slim-bookworm` image"
    );
}

/// A toolchain file pinning a Rust older than any `rust:<version>-slim-bookworm` image: the
/// plan named `rust:1.60.0-slim-bookworm`, which does not exist, and the build stopped at its
/// first `FROM`. The oldest image runs it instead (its rustup installs the pin from the copied
/// file); the same version in `[workspace.metadata.distroless]` names no file to install from.
#[test]
fn a_pin_older_than_any_builder_image_runs_on_the_oldest_or_is_refused() {
    let dir = declaring_rust_1_60();
    let root = dir.path();
    support::write_file(
        root,
        "rust-toolchain.toml",
        "[toolchain]\nchannel = \"1.60.0\"\n",
    );
    // Not installed here, and not to be downloaded: the plan reads the workspace with the
    // default toolchain and says so.
    let out = support::command(root)
        .args(["plan", "--format", "json"])
        .env("RUSTUP_AUTO_INSTALL", "0")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["rust"]["version"], "1.60.0", "{:#}", plan["rust"]);
    assert_eq!(plan["rust"]["builder_image"], "rust:1.67-slim-bookworm");
    assert_eq!(
        plan["rust"]["reason"],
        "the channel pinned in `rust-toolchain.toml`, installed by rustup in `rust:1.67-slim-bookworm`: no `rust:1.60.0-slim-bookworm` image exists"
    );
    let init = support::command(root)
        .arg("init")
        .env("RUSTUP_AUTO_INSTALL", "0")
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", support::stderr(&init));
    let text = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    assert!(
        text.contains(
            "FROM --platform=$BUILDPLATFORM rust:1.67-slim-bookworm AS builder-toolchain"
        ) && text.contains("COPY rust-toolchain.toml ./"),
        "{text}"
    );

    std::fs::remove_file(root.join("rust-toolchain.toml")).unwrap();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        format!("{manifest}\n[workspace.metadata.distroless]\nrust-version = \"1.60\"\n"),
    )
    .unwrap();
    let err = input_error(root, "plan");
    assert!(
        err.contains("error: no `rust:1.60-slim-bookworm` image exists for `rust-version = \"1.60\"` in `[workspace.metadata.distroless]` of `Cargo.toml`: the oldest is `rust:1.67-slim-bookworm`"),
        "{err}"
    );
    assert!(
        err.contains("help: set `rust-version` to \"1.67\" or newer"),
        "{err}"
    );
}
