//! Real-engine proof that the build context holds what the generated Dockerfile reads, when the
//! workspace's own `.dockerignore` keeps out everything it does not name (sentry-cli's `**`, then
//! `!src/`, `!Cargo.toml`…, written for its own Dockerfile). `#[ignore]`d like the rest of the
//! engine suite; `tests/run-all.sh` runs them.

use crate::engine::{buildx, docker_ok, engine_lock, version_of};
use crate::support;

/// Pins the one Rust version the engine suite has a builder image for (example-workspace's).
fn pin_engine_rust(root: &std::path::Path) {
    std::fs::copy(
        support::repo_root().join("example-workspace/rust-toolchain.toml"),
        root.join("rust-toolchain.toml"),
    )
    .unwrap();
}

/// `cargo distroless build --network host <extra>` in `root`, which must succeed.
fn build(root: &std::path::Path, extra: &[&str]) {
    let mut args = vec!["build", "--network", "host"];
    args.extend(extra);
    let out = support::run(root, &args);
    assert!(out.status.success(), "{}", support::stderr(&out));
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn an_allowlist_dockerignore_still_lets_in_what_the_image_build_reads() {
    let _guard = engine_lock();
    let dir = support::fixture("single-crate");
    let root = dir.path();
    // The one Rust version the engine suite has a builder image for, pinned in a file the
    // allowlist does not name; the code embeds a README it does not name either.
    pin_engine_rust(root);
    support::write_file(root, "README.md", "hello-svc, a service\n");
    support::write_file(
        root,
        "src/main.rs",
        "const README: &str = include_str!(\"../README.md\");\nfn main() {\n    if std::env::args().nth(1).as_deref() == Some(\"--version\") {\n        println!(\"hello-svc {} ({} bytes of readme)\", env!(\"CARGO_PKG_VERSION\"), README.len());\n        return;\n    }\n    println!(\"hello\");\n}\n",
    );
    support::write_file(
        root,
        ".dockerignore",
        "**\n\n!src/\n!Cargo.toml\n!Cargo.lock\n",
    );
    let out = support::run(root, &["init"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    let ignore = std::fs::read_to_string(root.join(".dockerignore")).unwrap();
    assert!(
        ignore.contains("\n!README.md\n") && ignore.contains("\n!rust-toolchain.toml\n"),
        "{ignore}"
    );
    // A plain `docker buildx build .` reads the root `.dockerignore`.
    buildx(root, None, "allowlist-context:plain", &[]);
    assert_eq!(
        version_of("allowlist-context:plain").trim(),
        "hello-svc 1.4.2 (21 bytes of readme)"
    );
    // `cargo distroless build` writes its own ignore file beside its Dockerfile.
    build(root, &[]);
    assert_eq!(
        version_of("hello-svc:1.4.2").trim(),
        "hello-svc 1.4.2 (21 bytes of readme)"
    );
}

/// A list of what to keep out (`**/*.md`, `Cargo.lock`) that keeps out what the build reads: a
/// member's README its code embeds, the lock. BuildKit reads the user's lines and our block
/// together; the build succeeds only if its reading agrees with ours on what is let in again.
#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_blocklist_dockerignore_still_lets_in_what_the_image_build_reads() {
    let _guard = engine_lock();
    let dir = support::fixture("arm64");
    let root = dir.path();
    support::replace_in(
        &root.join("Cargo.toml"),
        "platforms = [\"linux/amd64\", \"linux/arm64\"]",
        "",
    );
    pin_engine_rust(root);
    support::write_file(root, "lib/README.md", "The lib.\n");
    support::write_file(
        root,
        "lib/src/lib.rs",
        "#![doc = include_str!(\"../README.md\")]\npub const README: &str = include_str!(\"../README.md\");\n",
    );
    support::write_file(
        root,
        "app/src/main.rs",
        "fn main() {\n    println!(\"app {} ({} bytes of lib readme)\", env!(\"CARGO_PKG_VERSION\"), lib::README.len());\n}\n",
    );
    support::write_file(root, ".dockerignore", "**/*.md\nCargo.lock\n");
    build(root, &[]);
    assert_eq!(
        version_of("app:3.0.0").trim(),
        "app 3.0.0 (9 bytes of lib readme)"
    );
}

/// Our reading of a `.dockerignore` (`render::ignore_rules`, which decides what the block names
/// again) against BuildKit's own: a context of tricky paths, sent with `COPY . /ctx/` and
/// exported, must hold exactly the files the rules do not keep out.
#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn buildkit_keeps_out_exactly_what_our_reading_of_the_ignore_file_says() {
    use cargo_distroless::render::ignore_rules::IgnoreRules;
    let _guard = engine_lock();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let files = [
        "README.md",
        "docs/guide.md",
        "docs/keep.md",
        "crates/core/README.md",
        "crates/core/src/lib.rs",
        "crates/core/tests/it.rs",
        "crates/core/tests/fixture.rs",
        "src/gen/a.rs",
        "src/x/gen/b.rs",
        "src/main.rs",
        "a.txt",
        "b.txt",
        "c.txt",
        "notes.log",
        "deep/er/x.log",
        "deep/er/y.log",
        "Cargo.lock",
        "v1.2-rc.txt",
        "v1x2-rc.txt",
        "target2/x",
        "tests/top.rs",
        ".env",
        ".hidden/file",
        "keep/.hidden",
    ];
    for f in files {
        support::write_file(root, f, "x\n");
    }
    let ignore = "# comment\n*.md\n!docs/keep.md\ndocs\n**/tests\n!crates/core/tests/fixture.rs\nsrc/**/gen\n[ab].txt\n**/*.log\n!deep/er/x.log\nv1.?-*\n/target2/\n.*\n./Cargo.lock\n";
    support::write_file(root, ".dockerignore", ignore);
    support::write_file(root, "Dockerfile", "FROM scratch\nCOPY . /ctx/\n");
    let out = tempfile::tempdir().unwrap();
    let dest = format!("type=local,dest={}", out.path().display());
    buildx(root, None, "", &["--output", &dest]);
    let rules = IgnoreRules::parse(ignore);
    let mismatches: Vec<String> = files
        .iter()
        .filter(|f| out.path().join("ctx").join(f).exists() == rules.excludes(f))
        .map(|f| {
            format!(
                "{f}: BuildKit {}, ours {}",
                if out.path().join("ctx").join(f).exists() {
                    "sent it"
                } else {
                    "kept it out"
                },
                if rules.excludes(f) {
                    "keeps it out"
                } else {
                    "sends it"
                }
            )
        })
        .collect();
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    // Not a vacuous agreement: some of each.
    assert!(out.path().join("ctx/crates/core/tests/fixture.rs").exists());
    assert!(!out.path().join("ctx/docs/keep.md").exists());
}

/// A fork kept in the repository and named by `[patch.crates-io]` is no member, but cargo loads
/// it in the cook step: the skeleton carries it whole and its lock entry keeps its version (the
/// cook step failed on `failed to read /src/patches/itoa/Cargo.toml`, then on a lock to update).
/// An edit to the fork reaches the image.
#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn a_patch_path_in_the_repository_is_built_and_its_edits_reach_the_image() {
    let _guard = engine_lock();
    let dir = support::fixture("single-crate");
    let root = dir.path();
    pin_engine_rust(root);
    support::write_file(
        root,
        "patches/itoa/Cargo.toml",
        "[package]\nname = \"itoa\"\nversion = \"1.0.99\"\nedition = \"2018\"\n",
    );
    support::write_file(root, "patches/itoa/src/lib.rs", "pub fn x() -> u8 { 7 }\n");
    support::replace_in(
        &root.join("Cargo.toml"),
        "[dependencies]",
        "[dependencies]\nitoa = \"1\"\n\n[patch.crates-io]\nitoa = { path = \"patches/itoa\" }\n",
    );
    support::write_file(
        root,
        "src/main.rs",
        "fn main() {\n    println!(\"patched {}\", itoa::x());\n}\n",
    );
    support::generate_lockfile(root);
    build(root, &["--no-smoke-test"]);
    let run = || docker_ok(&["run", "--rm", "--network", "none", "hello-svc:1.4.2"]);
    assert_eq!(run().trim(), "patched 7");
    support::write_file(root, "patches/itoa/src/lib.rs", "pub fn x() -> u8 { 8 }\n");
    build(root, &["--no-smoke-test"]);
    assert_eq!(run().trim(), "patched 8");
}
