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
fn source_edit_and_version_bump_keep_the_dependency_layer_cached() {
    let _guard = engine_lock();
    let dir = initialised(&[]);
    // Every state built here must be new content on every run: BuildKit serves content it has
    // built before from its own cache without running cargo (correctly), which would leave the
    // target cache holding some other state and nothing to count.
    let unique = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
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
