//! The generated Dockerfile's caching on a real engine: a source edit and a version bump leave
//! the dependency (cook) layer cached and recompile only the workspace, and an undo or a branch
//! switch (older mtimes, BuildKit's reused `COPY` layer) never leaves a stale binary.
//! `#[ignore]`d like the rest of the engine suite; `tests/run-all.sh` runs them.

use std::process::Command;

use crate::engine::{buildx, docker_ok, engine_lock, initialised, version_of};
use crate::support;

/// Compiling lines of a build log, as `name vX.Y.Z`.
fn compiled(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| {
            l.split_once("Compiling ")
                .map(|(_, rest)| rest.split(" (").next().unwrap().to_string())
        })
        .collect()
}

/// A number no earlier run used, to make every state a test builds new content.
fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn cook_cached(log: &str) -> bool {
    step_cached(log, "[builder-cook-static 2/2] RUN") == Some(true)
}

/// Whether the step whose `--progress plain` title contains `needle` was `CACHED`, or `None`
/// when no such step ran (`#21 [builder-cook-static 2/2] RUN ...` followed by `#21 CACHED`).
fn step_cached(log: &str, needle: &str) -> Option<bool> {
    let step = log
        .lines()
        .find(|l| l.contains(needle))
        .and_then(|l| l.split_whitespace().next())?;
    Some(log.lines().any(|l| l == format!("{step} CACHED")))
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn source_edits_version_bumps_and_image_settings_keep_the_dependency_layer_cached() {
    let _guard = engine_lock();
    let dir = initialised(&[]);
    // Every state built here must be new content on every run: BuildKit serves content it has
    // built before from its own cache without running cargo (correctly), which would leave the
    // target cache holding some other state and nothing to count.
    let unique = unique();
    let common_lib = dir.path().join("crates/common/src/lib.rs");
    let lib = std::fs::read_to_string(&common_lib).unwrap();
    std::fs::write(&common_lib, format!("{lib}// run {unique}\n")).unwrap();
    buildx(dir.path(), Some("web"), "cd-test/web:cache", &[]);

    // 1. Edit one binary's source.
    let main = dir.path().join("crates/web/src/main.rs");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, format!("{text}// edit {unique}\n")).unwrap();
    let log = buildx(dir.path(), Some("web"), "cd-test/web:cache", &[]);
    assert!(
        cook_cached(&log),
        "cook step must be CACHED after a source edit:\n{log}"
    );
    assert_eq!(
        compiled(&log),
        ["web v0.3.1"],
        "only the edited crate compiles:\n{log}"
    );

    // 1b. An edit whose file carries an old mtime (`cp -p`, a tarball, or a `COPY . .` layer
    // BuildKit reuses from an earlier build) is still seen: freshness follows content.
    let version_line = "common::version_line(\"web\", env!(\"CARGO_PKG_VERSION\"))";
    let text = std::fs::read_to_string(&main).unwrap();
    assert!(text.contains(version_line));
    std::fs::write(
        &main,
        text.replacen(
            version_line,
            &version_line.replace("\"web\"", "\"web-edited\""),
            1,
        ) + &format!("// old mtime {unique}\n"),
    )
    .unwrap();
    let touched = Command::new("touch")
        .args(["-d", "2001-01-01"])
        .arg(&main)
        .status()
        .unwrap();
    assert!(touched.success());
    let log = buildx(dir.path(), Some("web"), "cd-test/web:cache", &[]);
    assert_eq!(
        compiled(&log),
        ["web v0.3.1"],
        "an old-mtime edit must still recompile:\n{log}"
    );
    let version = version_of("cd-test/web:cache");
    assert_eq!(
        version.trim(),
        "web-edited 0.3.1 (x86_64-unknown-linux-musl)",
        "the edited code is what runs"
    );
    std::fs::write(&main, text).unwrap();

    // 2. A version bump as cargo makes it: the manifest and Cargo.lock both change.
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let bumped = format!("0.4.{}", unique % 100_000);
    std::fs::write(
        &manifest,
        text.replace("version = \"0.3.1\"", &format!("version = \"{bumped}\"")),
    )
    .unwrap();
    let update = Command::new("cargo")
        .args(["update", "--workspace", "--offline"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(update.status.success(), "{}", support::stderr(&update));
    let lock = std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap();
    assert!(
        lock.contains(&format!("name = \"web\"\nversion = \"{bumped}\"")),
        "cargo refreshed the lock file"
    );
    let log = buildx(dir.path(), Some("web"), "cd-test/web:cache", &[]);
    assert!(
        cook_cached(&log),
        "cook step must be CACHED after a version bump:\n{log}"
    );
    // The binary changed (its version string): its layer is new, and the assets' layers, which
    // come before it, stay cached rather than being copied and exported again.
    assert_eq!(
        step_cached(
            &log,
            "COPY --from=builder-static /out/bin/web /usr/local/bin/web"
        ),
        Some(false),
        "the new binary is copied:\n{log}"
    );
    assert_eq!(
        step_cached(
            &log,
            "COPY --chown=65532:65532 crates/web/static /srv/static"
        ),
        Some(true),
        "the assets' layer stays cached after a bump:\n{log}"
    );
    let mut crates = compiled(&log);
    crates.sort();
    assert_eq!(
        crates,
        [
            format!("common v{bumped}"),
            format!("tools v{bumped}"),
            format!("web v{bumped}")
        ],
        "no dependency compiles after a bump:\n{log}"
    );
    let version = version_of("cd-test/web:cache");
    assert_eq!(
        version.trim(),
        format!("web {bumped} (x86_64-unknown-linux-musl)"),
        "the new version is what runs"
    );

    // 2b. A change to this tool's settings in a manifest (`[package.metadata.distroless]`, here
    // its `env`): cargo builds nothing from it, and the cook step stays cached (it re-ran the
    // whole cook, minutes on a real service, when the skeleton kept the table).
    let web_manifest = dir.path().join("crates/web/Cargo.toml");
    let text = std::fs::read_to_string(&web_manifest).unwrap();
    let greeting = "WEB_GREETING = \"hello from a distroless image\"";
    assert!(text.contains(greeting), "{text}");
    std::fs::write(
        &web_manifest,
        text.replace(greeting, &format!("{greeting}, CD_RUN = \"{unique}\"")),
    )
    .unwrap();
    let log = buildx(dir.path(), Some("web"), "cd-test/web:cache", &[]);
    assert!(
        cook_cached(&log),
        "cook step must be CACHED after an image setting changes:\n{log}"
    );

    // 3. A dependency change in Cargo.lock does rebuild dependencies. (On a machine that built
    // this exact lock before, BuildKit may serve that cook layer from its cache: still a
    // different dependency layer, which is what the image must show.)
    let layers = |image: &str| {
        docker_ok(&[
            "image",
            "inspect",
            image,
            "--format",
            "{{json .RootFS.Layers}}",
        ])
    };
    let before = layers("cd-test/web:cache");
    let update = Command::new("cargo")
        .args(["update", "-p", "httparse", "--precise", "1.9.5"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(update.status.success(), "{}", support::stderr(&update));
    let log = buildx(dir.path(), Some("web"), "cd-test/web:cache", &[]);
    if !cook_cached(&log) {
        assert!(
            compiled(&log).contains(&"httparse v1.9.5".to_string()),
            "the cook step compiles the changed dependency:\n{log}"
        );
    }
    assert_ne!(
        layers("cd-test/web:cache"),
        before,
        "a dependency change must change the image"
    );
    assert!(log.contains("[builder-cook-static 2/2] RUN"), "{log}");
}

/// `cargo distroless build` hands BuildKit the dependency skeleton it made on the host, in place
/// of the Dockerfile's `builder-skeleton` stage. The two must be the same files, bytes and modes,
/// or the cook layer a plain `docker build` made would not serve the tool's builds (and the other
/// way round): compared here on a workspace with every shape of version the masking touches, and
/// then the cook layer the stage's skeleton made must be the one the tool's build uses.
#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn the_skeleton_made_on_the_host_is_the_stages_byte_for_byte() {
    let _guard = engine_lock();
    let dir = initialised(&[]);
    let unique = unique();
    // New content on every run, so the cook below is built here, from the stage's skeleton,
    // and not found from an earlier run.
    // The root manifest with CRLF line ends, as git's autocrlf checks it out on Windows: its
    // `[workspace.package]` version is masked all the same.
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let text = new_skeleton(&text, unique).replace('\n', "\r\n");
    std::fs::write(&manifest, text).unwrap();
    // A path dependency written as a table, with a version line the masking drops; and lints
    // the skeleton's empty `fn main() {}` would fail (tectonic's `missing_docs = "deny"`), left
    // out of it like the metadata tables.
    let web = dir.path().join("crates/web/Cargo.toml");
    support::replace_in(&web, "common.workspace = true\n", "");
    let text = std::fs::read_to_string(&web).unwrap();
    std::fs::write(
        &web,
        format!("{text}\n[dependencies.common]\npath = \"../common\"\nversion = \"0.3\"\n\n[lints.rust]\nmissing_docs = \"deny\"\n"),
    )
    .unwrap();
    let init = support::run(dir.path(), &["init", "--force"]);
    assert!(init.status.success(), "{}", support::stderr(&init));

    // The tool's skeleton (a dry run writes it, with the Dockerfile it would build), and the
    // stage's, exported from the engine out of that same Dockerfile.
    let dry = support::run(dir.path(), &["build", "-p", "web", "--dry-run"]);
    assert!(dry.status.success(), "{}", support::stderr(&dry));
    let dockerfile =
        std::fs::read_to_string(dir.path().join("target/distroless/Dockerfile")).unwrap();
    std::fs::write(
        dir.path().join("Dockerfile.export"),
        format!("{dockerfile}\nFROM scratch AS skeleton-export\nCOPY --from=builder-skeleton /skeleton/workspace/ /\n"),
    )
    .unwrap();
    let exported = tempfile::tempdir().unwrap();
    let output = format!("--output=type=local,dest={}", exported.path().display());
    buildx(
        dir.path(),
        Some("skeleton-export"),
        "",
        &["-f", "Dockerfile.export", &output],
    );
    let ours = dir
        .path()
        .join("target/distroless/skeleton/skeleton/workspace");
    let (stage_tree, our_tree) = (tree(exported.path()), tree(&ours));
    assert!(
        our_tree.iter().any(|(p, _, c)| p == "crates/web/Cargo.toml"
            && c.ends_with("[dependencies.common]\npath = \"../common\"\n")
            && !c.contains("lints")),
        "the table's version line is dropped, and the lints table: {our_tree:?}"
    );
    assert!(
        our_tree.iter().any(|(p, _, c)| p == "Cargo.toml"
            && c.contains("[workspace.package]\r\nversion = \"0.0.0\"\n")),
        "the CRLF manifest's version is masked: {our_tree:?}"
    );
    assert_eq!(
        stage_tree, our_tree,
        "the host's skeleton differs from the stage's"
    );

    // The stage's skeleton cooked (plain docker build), then the tool's build: cook cached.
    let log = buildx(
        dir.path(),
        Some("web"),
        "cd-test/web:skeleton",
        &["-f", "target/distroless/Dockerfile"],
    );
    assert!(!cook_cached(&log), "new content must cook:\n{log}");
    let log = tool_build_web(dir.path());
    assert!(
        log.contains("[context builder-skeleton]"),
        "the tool hands over its skeleton:\n{log}"
    );
    assert!(
        cook_cached(&log),
        "the cook layer from the stage's skeleton serves the tool's build:\n{log}"
    );
}

/// The example workspace's root manifest with a skeleton no earlier run had: a
/// `[workspace.package]` description, which the masking keeps (it drops comments and blank
/// lines, and this tool's tables) and which no dependency is built with.
fn new_skeleton(manifest: &str, unique: u128) -> String {
    // At the end of the table, so that its `version` line stays the table's first.
    let next = "\n[workspace.dependencies]";
    assert!(manifest.contains(next), "{manifest}");
    manifest.replacen(next, &format!("description = \"run {unique}\"\n{next}"), 1)
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn the_cook_step_finds_the_crates_and_index_fetched_ahead() {
    let _guard = engine_lock();
    let dir = initialised(&[]);
    // A skeleton no earlier run had, so the fetch and cook steps both run here.
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, new_skeleton(&text, unique())).unwrap();
    // This project's index cache, emptied: an index the cook step finds there was fetched by
    // this build's fetch stage. (The crates themselves may be cached by earlier tests.)
    let dockerfile = std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    let index_id = dockerfile
        .split("id=")
        .map(|rest| rest.split(',').next().unwrap())
        .find(|id| id.ends_with("-index-$TARGETARCH$TARGETVARIANT"))
        .expect("an index cache mount")
        .replace(
            "$TARGETARCH$TARGETVARIANT",
            docker_ok(&["version", "--format", "{{.Server.Arch}}"]).trim(),
        );
    std::fs::write(
        dir.path().join("Dockerfile.clear"),
        format!(
            "FROM debian:bookworm-slim\nRUN --mount=type=cache,id={index_id},target=/index,sharing=locked \\\n    echo {} && find /index -mindepth 1 -delete\n",
            unique()
        ),
    )
    .unwrap();
    buildx(dir.path(), None, "", &["-f", "Dockerfile.clear"]);

    let log = tool_build_web(dir.path());
    let fetch = step_lines(&log, "RUN --mount=type=bind,from=builder-skeleton");
    assert!(
        fetch.iter().any(|l| l.contains("Updating crates.io index")),
        "the fetch stage ran and filled the emptied index:\n{log}"
    );
    let cook = step_lines(&log, "[builder-cook-static 2/2] RUN");
    assert!(
        cook.iter().any(|l| l.contains("Compiling")),
        "the cook step ran:\n{log}"
    );
    assert!(
        !cook
            .iter()
            .any(|l| l.contains("Updating") || l.contains("Download")),
        "the cook step fetched nothing itself:\n{}",
        cook.join("\n")
    );
}

/// `cargo distroless build -p web` with BuildKit's plain log, which it returns; it must pass.
fn tool_build_web(dir: &std::path::Path) -> String {
    tool_build(dir, &["-p", "web"])
}

/// `cargo distroless build <args>` without the smoke test, with BuildKit's plain log, which it
/// returns; it must pass.
fn tool_build(dir: &std::path::Path, args: &[&str]) -> String {
    let mut all = vec!["build"];
    all.extend_from_slice(args);
    all.extend([
        "--network",
        "host",
        "--no-smoke-test",
        "--",
        "--progress",
        "plain",
    ]);
    let out = support::run(dir, &all);
    let log = support::stderr(&out);
    assert!(out.status.success(), "{log}");
    log
}

/// The lines of the step whose `--progress plain` title contains `needle` (`#21 ...`).
fn step_lines<'a>(log: &'a str, needle: &str) -> Vec<&'a str> {
    let Some(step) = log
        .lines()
        .find(|l| l.contains(needle))
        .and_then(|l| l.split_whitespace().next())
    else {
        return Vec::new();
    };
    let prefix = format!("{step} ");
    log.lines().filter(|l| l.starts_with(&prefix)).collect()
}

/// Every file and directory under `root` (not `root` itself): path, mode in octal, contents.
fn tree(root: &std::path::Path) -> Vec<(String, String, String)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let mode = format!("{:o}", meta.permissions().mode() & 0o7777);
            if meta.is_dir() {
                out.push((rel, mode, String::new()));
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.push((rel, mode, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
    out.sort();
    out
}

/// A workspace whose `.cargo/config.toml` replaces crates.io with `cargo vendor`'s directory:
/// the cook stage builds the dependencies from `vendor/`, which the skeleton must carry. Before
/// it did, the cook step failed with "failed to read root of directory source: /src/vendor".
/// An edit afterwards keeps the cook layer and recompiles only the package.
#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_vendored_workspace_cooks_from_its_vendor_directory() {
    let _guard = engine_lock();
    let dir = tempfile::Builder::new()
        .prefix("cd-vendored-")
        .tempdir()
        .unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"vendored\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nitoa = \"=1.0.15\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("src")).unwrap();
    let main = root.join("src/main.rs");
    std::fs::write(
        &main,
        "fn main() { println!(\"vendored {}\", itoa::Buffer::new().format(42u8)); }\n",
    )
    .unwrap();
    // The builder's Rust: the channel the example workspace pins (the one the base images have).
    std::fs::copy(
        support::repo_root().join("example-workspace/rust-toolchain.toml"),
        root.join("rust-toolchain.toml"),
    )
    .unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let vendor = Command::new(&cargo)
        .args(["vendor", "--versioned-dirs", "vendor"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(vendor.status.success(), "{}", support::stderr(&vendor));
    std::fs::create_dir_all(root.join(".cargo")).unwrap();
    std::fs::write(root.join(".cargo/config.toml"), &vendor.stdout).unwrap();

    let out = support::run(root, &["build", "--network", "host", "-v"]);
    let log = support::stderr(&out);
    assert!(out.status.success(), "{log}");
    assert_eq!(
        docker_ok(&["run", "--rm", "--network", "none", "vendored:latest"]).trim(),
        "vendored 42"
    );
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, format!("{text}// edit {}\n", unique())).unwrap();
    let log = tool_build(root, &[]);
    assert!(cook_cached(&log), "{log}");
    assert_eq!(compiled(&log), ["vendored v0.1.0"], "{log}");
}
