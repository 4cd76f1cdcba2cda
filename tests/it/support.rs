//! Test helpers: fixture copies, running the binary, and tools the suite needs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_cargo-distroless");

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fixture names, each a workspace under `tests/fixtures/`.
pub const FIXTURES: &[&str] = &[
    "single-crate",
    "multi-bin",
    "cc-openssl",
    "static-ring",
    "arm64",
    "assets",
    "git2-static",
    "feature-split",
    "cfg-target",
    "openssl-vendored",
    "prost-protoc",
    "member-c",
    "rdkafka-bundled",
    "build-script-git",
    "pcap-system",
    "pulse-runpath",
];

/// `plan --format json` of a directory, parsed.
pub fn plan_json(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let out = run(dir, &[&["plan", "--format", "json"], extra].concat());
    assert!(out.status.success(), "plan failed: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("plan JSON")
}

fn fixture_source(name: &str) -> PathBuf {
    if name == "example-workspace" {
        repo_root().join("example-workspace")
    } else {
        repo_root().join("tests/fixtures").join(name)
    }
}

/// A private copy of a fixture (so tests may write into it), without any `target/`.
pub fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix(&format!("cd-{name}-"))
        .tempdir()
        .unwrap();
    copy_dir(&fixture_source(name), dir.path());
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" {
            continue;
        }
        let ty = entry.file_type().unwrap();
        if ty.is_dir() {
            copy_dir(&entry.path(), &to.join(&name));
        } else if ty.is_file() {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

/// Runs `cargo-distroless distroless <args>` in `dir`.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    command(dir).args(args).output().unwrap()
}

/// `cargo-distroless distroless` in `dir`, isolated from the caller's cargo settings that would
/// change what is generated (an outside `CARGO_TARGET_DIR` moves `target/distroless`).
pub fn command(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("distroless")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CARGO_TERM_COLOR")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR");
    cmd
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The running cargo's version, which fixtures without a pinned Rust version fall back to.
pub fn cargo_version() -> String {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .arg("--version")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string()
}

/// Where a third-party checker lives. Under `tests/run-all.sh` (which installs them) a missing
/// tool fails the test; under a plain `cargo test` the check is skipped with a note.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var_os("CARGO_DISTROLESS_REQUIRE_TOOLS").is_some() {
            panic!(
                "`{name}` is required by the full test suite but is not on PATH (tests/run-all.sh installs it)"
            );
        }
        eprintln!(
            "note: `{name}` is not installed; skipping its check (run tests/run-all.sh for the full suite)"
        );
    }
    found
}

/// hadolint at warning level with the project's config, which documents each ignored rule.
pub fn hadolint(dockerfile: &Path) {
    let Some(hadolint) = tool("hadolint") else {
        return;
    };
    let out = Command::new(hadolint)
        .arg("--config")
        .arg(repo_root().join(".hadolint.yaml"))
        .arg("--failure-threshold")
        .arg("warning")
        .arg("--no-color")
        .arg(dockerfile)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hadolint found problems in {}:\n{}{}",
        dockerfile.display(),
        stdout(&out),
        stderr(&out)
    );
}

/// A free port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A registry on loopback for the duration of a test (Debian's `docker-registry`, distribution 2.8).
pub struct Registry {
    child: std::process::Child,
    pub port: u16,
    /// Its storage, config and log.
    dir: tempfile::TempDir,
}

impl Registry {
    pub fn start() -> Registry {
        Registry::start_with(None)
    }

    /// A registry that wants `user`/`password` (htpasswd, bcrypt made by Python's crypt).
    pub fn start_with_auth(user: &str, password: &str) -> Registry {
        Registry::start_with(Some((user, password)))
    }

    fn start_with(auth: Option<(&str, &str)>) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = dir.path().join("config.yml");
        let mut text = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        );
        if let Some((user, password)) = auth {
            let hash = Command::new("python3")
                .args(["-W", "ignore", "-c", &format!("import crypt; print(crypt.crypt({password:?}, crypt.mksalt(crypt.METHOD_BLOWFISH)))")])
                .output()
                .unwrap();
            let htpasswd = dir.path().join("htpasswd");
            std::fs::write(&htpasswd, format!("{user}:{}", stdout(&hash).trim())).unwrap();
            text.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: test\n    path: {}\n",
                htpasswd.display()
            ));
        }
        std::fs::write(&config, text).unwrap();
        // Its errors are kept (level: error): a test that fails on a registry's answer (a 500
        // once, in the release test) prints them when it unwinds.
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new("/usr/bin/docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .expect("docker-registry (tests/engine/install-tools.sh installs it)");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "registry did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Registry { child, port, dir }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log =
                std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default();
            eprintln!("the registry's log (errors):\n{log}");
        }
    }
}

/// Runs an aarch64 binary's `--version` under qemu-user (when installed): the one place an
/// arm64 binary runs here, never in a compile step. `None` when qemu is not there.
pub fn arm64_version(bytes: &[u8]) -> Option<String> {
    let qemu = tool("qemu-aarch64-static")?;
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::write(&bin, bytes).unwrap();
    std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let run = Command::new(qemu)
        .arg(&bin)
        .arg("--version")
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    Some(stdout(&run).trim().to_string())
}

/// Replaces `from` with `to` in a file (a fixture's manifest), which must contain it.
pub fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

/// Writes `text` to `root/path`, making its directories: for scratch workspaces.
pub fn write_file(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// `cargo update --workspace`: the lock file takes in what a test added to the workspace (a
/// path dependency, an optional one), and nothing else moves. Not `--offline`: on a fresh
/// machine (CI) the registry index is not cached yet, and offline resolution finds no `openssl`.
pub fn update_workspace_lock(root: &Path) {
    let updated = std::process::Command::new("cargo")
        .args(["update", "--workspace", "-q"])
        .current_dir(root)
        .status()
        .unwrap();
    assert!(updated.success());
}

/// `cargo generate-lockfile` for a scratch workspace with no dependencies.
pub fn generate_lockfile(root: &Path) {
    let lock = std::process::Command::new("cargo")
        .args(["generate-lockfile", "--offline"])
        .current_dir(root)
        .status()
        .unwrap();
    assert!(lock.success());
}

/// Writes an OCI image layout at `dir` of one image: `config` (its `rootfs` is filled in) and
/// one gzip layer holding `layer`, a tar.
pub fn write_oci_layout(dir: &Path, mut config: serde_json::Value, layer: &[u8]) {
    use sha2::Digest;
    use std::io::Write;
    let hex = |bytes: &[u8]| format!("{:x}", sha2::Sha256::digest(bytes));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(layer).unwrap();
    let blob = gz.finish().unwrap();
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| -> String {
        let d = hex(bytes);
        std::fs::write(blobs.join(&d), bytes).unwrap();
        format!("sha256:{d}")
    };
    let layer_digest = put(&blob);
    config["rootfs"] =
        serde_json::json!({"type": "layers", "diff_ids": [format!("sha256:{}", hex(layer))]});
    let config = config.to_string();
    let config_digest = put(config.as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": blob.len()}]
    })
    .to_string();
    let manifest_digest = put(manifest.as_bytes());
    std::fs::write(
        dir.join("index.json"),
        serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest, "size": manifest.len()}]}).to_string(),
    )
    .unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

/// Appends a symlink `path` -> `target` to a layer being written.
pub fn append_symlink(tar: &mut tar::Builder<Vec<u8>>, path: &str, target: &str) {
    let mut link = tar::Header::new_gnu();
    link.set_entry_type(tar::EntryType::Symlink);
    link.set_size(0);
    link.set_mode(0o777);
    tar.append_link(&mut link, path, target).unwrap();
}

/// A stand-in for a server framework at `vendor/axum` (a path dependency named `axum`): the plan
/// knows a server by the crate names in its graph, and a path crate needs no registry.
pub fn axum_stand_in(root: &Path) {
    write_file(
        root,
        "vendor/axum/Cargo.toml",
        "[package]\nname = \"axum\"\nversion = \"0.8.0\"\nedition = \"2021\"\n",
    );
    write_file(root, "vendor/axum/src/lib.rs", "");
}
