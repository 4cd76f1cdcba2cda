//! Bad input: each case exits 2 with a cargo-style message naming the file/key/flag, a `help:`
//! line, and writes nothing (`init` is the command, so "nothing" is checked on disk).

use std::path::Path;

use crate::support;

/// Runs `init <args>` and checks: exit code 2, every needle in stderr, a help line, no files.
pub(crate) fn rejects(dir: &Path, args: &[&str], needles: &[&str]) -> String {
    let lock_before = std::fs::read(dir.join("Cargo.lock")).ok();
    let out = support::run(dir, &[&["init"], args].concat());
    let err = support::stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit code 2 for {args:?}, got {:?}\nstderr:\n{err}",
        out.status.code()
    );
    assert!(
        err.starts_with("error: "),
        "errors start like cargo's:\n{err}"
    );
    for needle in needles {
        assert!(err.contains(needle), "stderr lacks {needle:?}:\n{err}");
    }
    assert!(
        err.contains("help: ") || err.contains("For more information, try '--help'"),
        "no help line:\n{err}"
    );
    assert!(
        !dir.join("Dockerfile").exists(),
        "Dockerfile was written despite the error"
    );
    assert!(
        !dir.join(".dockerignore").exists(),
        ".dockerignore was written despite the error"
    );
    assert_eq!(
        std::fs::read(dir.join("Cargo.lock")).ok(),
        lock_before,
        "Cargo.lock changed"
    );
    err
}

pub(crate) fn edit(dir: &Path, file: &str, f: impl FnOnce(String) -> String) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(path, f(text)).unwrap();
}

pub(crate) fn append(dir: &Path, file: &str, text: &str) {
    edit(dir, file, |t| t + text);
}

#[test]
fn malformed_toml() {
    let dir = support::fixture("single-crate");
    append(
        dir.path(),
        "Cargo.toml",
        "\n[package.metadata.distroless\nruntime = \"static\"\n",
    );
    rejects(dir.path(), &[], &["`cargo metadata` failed", "Cargo.toml"]);
}

#[test]
fn unknown_key_suggests_the_right_one() {
    let dir = support::fixture("single-crate");
    append(
        dir.path(),
        "Cargo.toml",
        "\n[package.metadata.distroless]\nplatfroms = [\"linux/amd64\"]\n",
    );
    rejects(
        dir.path(),
        &[],
        &[
            "unknown key `platfroms` in `[package.metadata.distroless]` of `Cargo.toml`",
            "help: did you mean `platforms`?",
        ],
    );
}

#[test]
fn mistyped_key() {
    let dir = support::fixture("arm64");
    edit(dir.path(), "Cargo.toml", |t| {
        t.replace(
            "platforms = [\"linux/amd64\", \"linux/arm64\"]",
            "platforms = \"linux/amd64\"",
        )
    });
    rejects(
        dir.path(),
        &[],
        &[
            "invalid value for `platforms` in `[workspace.metadata.distroless]` of `Cargo.toml`",
            "help: `platforms` takes an array",
        ],
    );
}

#[test]
fn bad_enum_value() {
    let dir = support::fixture("single-crate");
    append(
        dir.path(),
        "Cargo.toml",
        "\n[package.metadata.distroless]\nvariant = \"slim\"\n",
    );
    rejects(
        dir.path(),
        &[],
        &["`variant`", "unknown variant `slim`", "\"debug-nonroot\""],
    );
}

#[test]
fn unknown_bin_lists_the_available_ones() {
    let dir = support::fixture("multi-bin");
    let err = rejects(
        dir.path(),
        &["--bin", "sever"],
        &[
            "`--bin` names binary `sever`",
            "available binaries: devtool (package `jobs`), server (package `jobs`), worker (package `jobs`)",
        ],
    );
    assert!(err.contains("did you mean `server`?"), "{err}");
}

#[test]
fn unknown_package() {
    let dir = support::fixture("arm64");
    rejects(
        dir.path(),
        &["-p", "ap"],
        &[
            "package `ap` is not a member of the workspace",
            "members: app, lib",
            "did you mean `app`?",
        ],
    );
}

#[test]
fn package_without_binaries() {
    let dir = support::fixture("arm64");
    rejects(
        dir.path(),
        &["-p", "lib"],
        &[
            "package `lib` has no binaries",
            "help: choose a package with a `[[bin]]` target: app",
        ],
    );
}

#[test]
fn missing_lock_file() {
    let dir = support::fixture("single-crate");
    std::fs::remove_file(dir.path().join("Cargo.lock")).unwrap();
    rejects(
        dir.path(),
        &[],
        &["has no `Cargo.lock`", "help: run `cargo generate-lockfile`"],
    );
    assert!(
        !dir.path().join("Cargo.lock").exists(),
        "cargo-distroless must not create the lock file itself"
    );
}

#[test]
fn invalid_platform() {
    let dir = support::fixture("single-crate");
    rejects(
        dir.path(),
        &["--platform", "windows/amd64"],
        &["invalid platform `windows/amd64`", "linux/arm64"],
    );
}

#[test]
fn invalid_image_name() {
    let dir = support::fixture("single-crate");
    append(
        dir.path(),
        "Cargo.toml",
        "\n[package.metadata.distroless]\nimage = \"Hello_Svc\"\n",
    );
    rejects(
        dir.path(),
        &[],
        &[
            "`Hello_Svc:1.4.2` is not a valid image reference",
            "lowercase",
        ],
    );
}

#[test]
fn invalid_registry() {
    let dir = support::fixture("single-crate");
    append(
        dir.path(),
        "Cargo.toml",
        "\n[package.metadata.distroless]\nregistry = \"https://ghcr.io/acme\"\n",
    );
    rejects(dir.path(), &[], &["is not a valid image reference"]);
}

#[test]
fn invalid_tag_template() {
    let dir = support::fixture("single-crate");
    append(
        dir.path(),
        "Cargo.toml",
        "\n[package.metadata.distroless]\ntags = [\"v{verison}\"]\n",
    );
    rejects(
        dir.path(),
        &[],
        &[
            "invalid value `v{verison}` for `tags`",
            "unknown placeholder `{verison}`",
        ],
    );
}

#[test]
fn invalid_tag_characters() {
    let dir = support::fixture("single-crate");
    append(
        dir.path(),
        "Cargo.toml",
        "\n[package.metadata.distroless]\ntags = [\"release/{version}\"]\n",
    );
    rejects(
        dir.path(),
        &[],
        &["invalid value `release/{version}` for `tags`"],
    );
}

fn asset_case(src: &str, needles: &[&str], prepare: impl FnOnce(&Path)) {
    let dir = support::fixture("single-crate");
    prepare(dir.path());
    append(
        dir.path(),
        "Cargo.toml",
        &format!(
            "\n[package.metadata.distroless]\nassets = [{{ src = {src:?}, dest = \"/srv/x\" }}]\n"
        ),
    );
    rejects(dir.path(), &[], needles);
}

#[test]
fn asset_with_dot_dot_escapes() {
    asset_case(
        "../outside",
        &["asset `../outside` is outside the workspace"],
        |_| {},
    );
}

#[test]
fn asset_absolute_path() {
    asset_case(
        "/etc/passwd",
        &["asset `/etc/passwd` is outside the workspace"],
        |_| {},
    );
}

#[test]
fn asset_symlink_out_of_the_workspace() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "x").unwrap();
    let target = outside.path().to_path_buf();
    asset_case(
        "linked",
        &["asset `linked` is outside the workspace"],
        move |dir| {
            std::os::unix::fs::symlink(&target, dir.join("linked")).unwrap();
        },
    );
}

#[test]
fn asset_missing() {
    asset_case("nope", &["asset `nope` does not exist"], |_| {});
}

#[test]
fn asset_non_utf8_path() {
    use std::os::unix::ffi::OsStrExt;
    asset_case("static", &["is not valid UTF-8"], |dir| {
        std::fs::create_dir(dir.join("static")).unwrap();
        std::fs::write(
            dir.join("static")
                .join(std::ffi::OsStr::from_bytes(b"caf\xe9.txt")),
            "x",
        )
        .unwrap();
    });
}

#[test]
fn directory_asset_with_unreadable_mode() {
    let dir = support::fixture("single-crate");
    std::fs::create_dir(dir.path().join("static")).unwrap();
    append(
        dir.path(),
        "Cargo.toml",
        "\n[package.metadata.distroless]\nassets = [{ src = \"static\", dest = \"/srv\", mode = \"0644\" }]\n",
    );
    rejects(
        dir.path(),
        &[],
        &[
            "is a directory, and mode `0644` would make it unreadable",
            "0755",
        ],
    );
}

#[test]
fn contradictory_workspace_and_package() {
    let dir = support::fixture("arm64");
    rejects(
        dir.path(),
        &["--workspace", "-p", "app"],
        &["`--workspace` and `--package` contradict each other"],
    );
}

#[test]
fn contradictory_check_and_force() {
    let dir = support::fixture("single-crate");
    rejects(
        dir.path(),
        &["--check", "--force"],
        &["cannot be used with"],
    );
}

#[test]
fn contradictory_feature_settings() {
    let dir = support::fixture("single-crate");
    append(
        dir.path(),
        "Cargo.toml",
        "\n[package.metadata.distroless]\nall-features = true\nno-default-features = true\n",
    );
    rejects(
        dir.path(),
        &[],
        &["`all-features` and `no-default-features` both apply to package `hello-svc`"],
    );
}

#[test]
fn contradictory_rust_version_and_builder_image() {
    let dir = support::fixture("arm64");
    append(
        dir.path(),
        "Cargo.toml",
        "rust-version = \"1.88\"\nbuilder-image = \"rust:1.88-slim-bookworm\"\n",
    );
    rejects(
        dir.path(),
        &[],
        &["`rust-version` and `builder-image` are both set"],
    );
}

#[test]
fn forcing_static_against_openssl_explains_the_way_out() {
    let dir = support::fixture("cc-openssl");
    rejects(
        dir.path(),
        &["--runtime", "static"],
        &[
            "`--runtime` forces a static image, but `openssl-sys` links libssl dynamically",
            "help: enable the `vendored` feature of the `openssl` crate (or use rustls) for a static image",
        ],
    );
}

#[test]
fn debian_13_builder_with_a_debian_12_cc_runtime_is_refused() {
    let dir = support::fixture("cc-openssl");
    append(
        dir.path(),
        "Cargo.toml",
        "\n[workspace]\n\n[workspace.metadata.distroless]\nbuilder-image = \"rust:1.88\"\n",
    );
    rejects(
        dir.path(),
        &[],
        &["are not the same Debian release", "GLIBC", "-slim-bookworm"],
    );
}

#[test]
fn package_key_in_the_workspace_table() {
    let dir = support::fixture("arm64");
    append(dir.path(), "Cargo.toml", "single-image = true\n");
    rejects(
        dir.path(),
        &[],
        &[
            "`single-image` in `[workspace.metadata.distroless]` of `Cargo.toml` is not allowed there",
            "move `single-image` to `[package.metadata.distroless]`",
        ],
    );
}

#[test]
fn apt_package_names_cannot_inject_shell() {
    let dir = support::fixture("single-crate");
    append(
        dir.path(),
        "Cargo.toml",
        "\n[package.metadata.distroless]\napt-packages = [\"curl; rm -rf /\"]\n",
    );
    rejects(
        dir.path(),
        &[],
        &["invalid value `curl; rm -rf /` for `apt-packages`"],
    );
}

#[test]
fn missing_manifest_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.lock"), "").unwrap();
    rejects(
        dir.path(),
        &["--manifest-path", "nowhere/Cargo.toml"],
        &["manifest path `nowhere/Cargo.toml` does not exist"],
    );
}

#[test]
fn duplicate_image_names() {
    let dir = support::fixture("multi-bin");
    edit(dir.path(), "Cargo.toml", |t| {
        t.replace("image = \"jobs-{bin}\"", "image = \"jobs\"")
    });
    rejects(
        dir.path(),
        &[],
        &["two images are both named", "use `{bin}` in `image`"],
    );
}

#[test]
fn exit_codes_and_help_for_usage_errors() {
    let dir = support::fixture("single-crate");
    let out = support::run(dir.path(), &["plan", "--runtime", "glibc"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(support::stderr(&out).contains("invalid value 'glibc'"));
}

#[test]
fn without_an_engine_auto_plans_the_daemonless_backend_and_says_why() {
    let dir = support::fixture("single-crate");
    let out = support::command(dir.path())
        .args(["plan"])
        .env("CARGO_DISTROLESS_DOCKER", "/nonexistent/docker")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::stderr(&out));
    assert!(
        support::stdout(&out).contains("Backend: oci: no Docker engine answers (`/nonexistent/docker` was not found): cargo builds on this machine"),
        "{}",
        support::stdout(&out)
    );
    let out = support::command(dir.path())
        .args(["plan", "--backend", "buildx"])
        .env("CARGO_DISTROLESS_DOCKER", "/nonexistent/docker")
        .output()
        .unwrap();
    assert!(support::stdout(&out).contains("Backend: buildx: `--backend buildx` asks for it"));
}

/// A crate built from outside the workspace root is outside a Dockerfile's build context: cargo
/// in the builder would fail with a bare "failed to load manifest". The oci backend builds on
/// this machine and needs no context.
#[test]
fn a_crate_outside_the_workspace_root_is_refused_for_a_dockerfile_but_not_for_the_oci_backend() {
    let outer = tempfile::tempdir().unwrap();
    let ws = outer.path().join("ws");
    support::copy_dir(
        &support::repo_root().join("tests/fixtures/single-crate"),
        &ws,
    );
    for name in ["shared", "patched"] {
        let dir = outer.path().join(name);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        )
        .unwrap();
        std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    }
    edit(&ws, "Cargo.toml", |t| {
        t.replace(
            "[dependencies]\n",
            "[dependencies]\nshared = { path = \"../shared\" }\n",
        ) + "\n[patch.crates-io]\npatched = { path = \"../patched\" }\n"
    });
    let lock = std::process::Command::new(env!("CARGO"))
        .args(["generate-lockfile", "--offline"])
        .current_dir(&ws)
        .output()
        .unwrap();
    assert!(lock.status.success(), "{}", support::stderr(&lock));
    let err = rejects(
        &ws,
        &[],
        &[
            "error: package `hello-svc` builds the crate at `",
            "/shared`, outside the workspace root `",
            "`[patch.crates-io]` entry `patched`: `",
            "help: move it under the workspace root",
            "`--backend oci`",
        ],
    );
    assert!(!err.contains("failed to load manifest"), "{err}");
    let out = support::run(&ws, &["dockerfile"]);
    assert_eq!(out.status.code(), Some(2), "{}", support::stderr(&out));
    assert!(support::stdout(&out).is_empty());
    let plan = support::plan_json(&ws, &["--backend", "oci"]);
    assert_eq!(plan["backend"]["backend"], "oci", "{plan:#}");
}

/// sqlx's query macros need a database or the query cache while compiling, and the Dockerfile's
/// builder has no database: the plan says so when the cache is missing, and is quiet once
/// `cargo sqlx prepare` has written it.
#[test]
fn sqlx_query_macros_without_a_query_cache_are_warned_about() {
    let dir = support::fixture("sqlx-queries");
    let warned = "warning: `src/main.rs` uses sqlx's query macros, which check SQL against a database while compiling, and this workspace has no query cache (`.sqlx/`)";
    let out = support::run(dir.path(), &["plan"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    assert!(
        support::stderr(&out).contains(warned),
        "{}",
        support::stderr(&out)
    );
    assert!(
        support::stderr(&out).contains("run `cargo sqlx prepare --workspace` and commit `.sqlx/`"),
        "{}",
        support::stderr(&out)
    );
    let build_env =
        |dir: &Path| support::plan_json(dir, &[])["groups"][0]["platforms"][0]["build_env"].clone();
    assert!(!build_env(dir.path()).to_string().contains("SQLX_OFFLINE"));
    std::fs::create_dir(dir.path().join(".sqlx")).unwrap();
    let out = support::run(dir.path(), &["plan"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    assert!(
        !support::stderr(&out).contains("sqlx"),
        "{}",
        support::stderr(&out)
    );
    // With the cache committed, both backends build from it: a `DATABASE_URL` in the
    // developer's `.env` does not send a host build to a database that may be down.
    let env = build_env(dir.path());
    assert!(env.to_string().contains("SQLX_OFFLINE=true"), "{env}");
    let out = support::run(dir.path(), &["dockerfile"]);
    assert!(support::stdout(&out).contains("SQLX_OFFLINE=true"));
}
