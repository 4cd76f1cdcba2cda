//! The daemonless backend without any engine: cargo on this machine, the image assembled
//! in-process. What it writes is read back by independent tools (skopeo, umoci), pushed to a
//! real registry on loopback and pulled by digest, built twice for the same digest, and used as a
//! registry base for another build. The engine suite loads its docker archives and runs them.

use std::path::Path;
use std::process::Command;

use crate::support;

/// example-workspace with `web` on the built-in static base (no registry is reachable here).
pub(crate) fn workspace() -> tempfile::TempDir {
    let dir = support::fixture("example-workspace");
    let manifest = dir.path().join("crates/web/Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str("runtime-image = \"builtin:static\"\n");
    std::fs::write(&manifest, text).unwrap();
    dir
}

/// Points `web`'s `runtime-image` somewhere else.
pub(crate) fn set_web_base(dir: &Path, base: &str) {
    let manifest = dir.join("crates/web/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap().replace(
        "runtime-image = \"builtin:static\"",
        &format!("runtime-image = \"{base}\""),
    );
    std::fs::write(&manifest, text).unwrap();
}

/// `build --backend oci -p web ARGS`, whatever its outcome.
pub(crate) fn try_build(dir: &Path, extra: &[&str]) -> std::process::Output {
    support::command(dir)
        .args(["build", "--backend", "oci", "-p", "web"])
        .args(extra)
        .output()
        .unwrap()
}

pub(crate) fn build(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let out = support::command(dir)
        .args([
            "build",
            "--backend",
            "oci",
            "-p",
            "web",
            "--message-format",
            "json",
        ])
        .args(extra)
        // Not a git checkout: the time comes from here, as a release pipeline would set it.
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::stderr(&out));
    serde_json::from_str(support::stdout(&out).trim()).expect("one JSON report")
}

/// `skopeo ARGS` (an `inspect`), parsed.
pub(crate) fn skopeo_json(skopeo: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&tool_ok(skopeo, args)).unwrap()
}

pub(crate) fn tool_ok(program: &Path, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{} {} failed: {}",
        program.display(),
        args.join(" "),
        support::stderr(&out)
    );
    support::stdout(&out)
}

#[test]
fn an_oci_layout_is_read_by_skopeo_and_umoci_and_two_builds_share_a_digest() {
    let a = workspace();
    let out_a = a.path().join("out");
    let report = build(
        a.path(),
        &[
            "--output",
            &format!("type=oci,dest={}/{{image}},tar=false", out_a.display()),
        ],
    );
    assert_eq!(report["runtime"], "static");
    assert_eq!(report["output"], format!("oci:{}/web", out_a.display()));
    // Sizes of compressed layers, said so beside the binary's own bytes (which may be more).
    assert_eq!(report["size_kind"], "compressed");
    let human = support::command(a.path())
        .args(["build", "--backend", "oci", "-p", "web", "--output"])
        .arg(format!(
            "type=oci,dest={}/{{image}},tar=false",
            out_a.display()
        ))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    let line = support::stderr(&human);
    let line = line
        .lines()
        .find(|l| l.contains("Built web"))
        .unwrap_or_default()
        .to_string();
    assert!(
        line.contains(&format!(
            "{} compressed (base ",
            cargo_distroless::commands::build::human_size(report["size"].as_u64().unwrap())
        )) && line.contains(" unpacked)"),
        "{line}"
    );
    // Linked as the Dockerfile's builder links it: with the toolchain's lld, not GNU ld.
    let binary = a
        .path()
        .join("target/x86_64-unknown-linux-musl/release/web");
    assert!(
        crate::oci_host::linker_of(&binary).is_some_and(|l| l.contains("Linker: LLD")),
        "{:?}",
        crate::oci_host::linker_of(&binary)
    );
    let digest = report["digest"].as_str().unwrap().to_string();
    assert!(digest.starts_with("sha256:"));
    let layout = out_a.join("web");
    assert!(layout.join("index.json").is_file() && layout.join("oci-layout").is_file());
    assert!(
        !out_a.join("web.partial").exists(),
        "no half-written layout left behind"
    );

    if let Some(skopeo) = support::tool("skopeo") {
        let inspected = skopeo_json(
            &skopeo,
            &["inspect", &format!("oci:{}:0.3.1", layout.display())],
        );
        assert_eq!(inspected["Digest"], digest.as_str());
        assert_eq!(
            inspected["Labels"]["org.opencontainers.image.version"],
            "0.3.1"
        );
        assert_eq!(
            inspected["Labels"]["org.opencontainers.image.base.name"],
            "builtin:static"
        );
        assert_eq!(inspected["Created"], "2023-11-14T22:13:20Z");
        let config = skopeo_json(
            &skopeo,
            &[
                "inspect",
                "--config",
                &format!("oci:{}:latest", layout.display()),
            ],
        );
        assert_eq!(config["config"]["User"], "65532:65532");
        assert_eq!(
            config["config"]["Entrypoint"],
            serde_json::json!(["/usr/local/bin/web"])
        );
        assert_eq!(
            config["config"]["Cmd"],
            serde_json::json!(["--port", "8080", "--static-dir", "/srv/static"])
        );
        assert!(config["config"]["ExposedPorts"]["8080/tcp"].is_object());
    }
    if let Some(umoci) = support::tool("umoci") {
        let bundle = a.path().join("bundle");
        tool_ok(
            &umoci,
            &[
                "unpack",
                "--rootless",
                "--image",
                &format!("{}:0.3.1", layout.display()),
                bundle.to_str().unwrap(),
            ],
        );
        let rootfs = bundle.join("rootfs");
        assert!(rootfs.join("usr/local/bin/web").is_file());
        assert!(rootfs.join("srv/static/index.html").is_file());
        assert!(rootfs.join("etc/ssl/certs/ca-certificates.crt").is_file());
        assert!(
            std::fs::read_to_string(rootfs.join("etc/passwd"))
                .unwrap()
                .contains("nonroot:x:65532:65532")
        );
        assert!(!rootfs.join("bin/sh").exists(), "no shell");
    }

    // A second clean copy, built from nothing: the same digest.
    let b = workspace();
    let out_b = b.path().join("out");
    let again = build(
        b.path(),
        &[
            "--output",
            &format!("type=oci,dest={}/web.tar", out_b.display()),
        ],
    );
    assert_eq!(
        again["digest"],
        digest.as_str(),
        "two clean builds of the same sources"
    );
    // A changed source gives another image.
    let main = b.path().join("crates/web/src/main.rs");
    let text = std::fs::read_to_string(&main).unwrap();
    assert!(text.contains("\"--port needs a number\""));
    std::fs::write(
        &main,
        text.replace(
            "\"--port needs a number\"",
            "\"--port needs a port number\"",
        ),
    )
    .unwrap();
    let changed = build(
        b.path(),
        &[
            "--output",
            &format!("type=oci,dest={}/web.tar", out_b.display()),
        ],
    );
    assert_ne!(changed["digest"], digest.as_str());
}

#[test]
fn outputs_the_oci_backend_cannot_write_and_cc_on_the_static_base_are_refused_before_compiling() {
    let dir = workspace();
    let out = support::command(dir.path())
        .args([
            "build",
            "--backend",
            "oci",
            "-p",
            "web",
            "--output",
            "type=local,dest=out",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = support::stderr(&out);
    assert!(
        err.contains("the oci backend writes `type=oci` and `type=docker` outputs, not `local`"),
        "{err}"
    );
    assert!(!err.contains("Compiling"), "nothing compiled: {err}");

    let manifest = dir.path().join("crates/tls-probe/Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str("\n[package.metadata.distroless]\nruntime-image = \"builtin:static\"\n");
    std::fs::write(&manifest, text).unwrap();
    let out = support::command(dir.path())
        .args([
            "build",
            "--backend",
            "oci",
            "-p",
            "tls-probe",
            "--output",
            "type=oci,dest=out.tar",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", support::stderr(&out));
    assert!(
        support::stderr(&out)
            .contains("is cc, and `builtin:static` is a base for static binaries only")
    );
    assert!(!dir.path().join("out.tar").exists());
}

#[test]
fn a_corrupt_oci_layout_base_is_a_clear_error_and_nothing_is_written() {
    let dir = workspace();
    let layout = dir.path().join("base");
    std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    std::fs::write(
        layout.join("index.json"),
        r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":10}]}"#,
    )
    .unwrap();
    set_web_base(dir.path(), "oci-layout:base");
    let out = try_build(dir.path(), &["--output", "type=oci,dest=out,tar=false"]);
    assert_eq!(out.status.code(), Some(2), "{}", support::stderr(&out));
    let err = support::stderr(&out);
    assert!(err.contains("is not a usable OCI image layout"), "{err}");
    assert!(err.contains("help: make one with `skopeo copy"), "{err}");
    assert!(!dir.path().join("out").exists() && !dir.path().join("out.partial").exists());
}

/// The file `path` from the last layer of the manifest for `arch` in an OCI layout directory.
fn file_from_layout(layout: &Path, arch: &str, path: &str) -> Vec<u8> {
    use std::io::Read;
    let blob = |digest: &str| {
        std::fs::read(
            layout
                .join("blobs/sha256")
                .join(digest.trim_start_matches("sha256:")),
        )
        .unwrap()
    };
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let top: serde_json::Value =
        serde_json::from_slice(&blob(index["manifests"][0]["digest"].as_str().unwrap())).unwrap();
    let entry = top["manifests"]
        .as_array()
        .expect("an image index over the platforms")
        .iter()
        .find(|m| m["platform"]["architecture"] == arch)
        .unwrap_or_else(|| panic!("no {arch} in {top:#}"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&blob(entry["digest"].as_str().unwrap())).unwrap();
    let last = manifest["layers"].as_array().unwrap().last().unwrap();
    let gz = blob(last["digest"].as_str().unwrap());
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&gz[..]));
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_string_lossy() == path {
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            return data;
        }
    }
    panic!("{path} is not in the {arch} image");
}

#[test]
fn a_multi_platform_image_is_an_index_with_an_aarch64_binary_that_runs_under_qemu() {
    if support::tool("cargo-zigbuild").is_none() {
        return;
    }
    let dir = workspace();
    let out = dir.path().join("out");
    let report = build(
        dir.path(),
        &[
            "--platform",
            "linux/amd64",
            "--platform",
            "linux/arm64",
            "--output",
            &format!("type=oci,dest={}/{{image}},tar=false", out.display()),
        ],
    );
    assert_eq!(
        report["platforms"],
        serde_json::json!(["linux/amd64", "linux/arm64"])
    );
    let bytes = file_from_layout(&out.join("web"), "arm64", "usr/local/bin/web");
    let elf =
        object::read::elf::ElfFile64::<object::Endianness>::parse(&*bytes).expect("an ELF64 file");
    use object::Object;
    assert_eq!(elf.architecture(), object::Architecture::Aarch64);
    let linkage = cargo_distroless::linkage::Linkage::read(&bytes).unwrap();
    assert!(linkage.is_static, "{linkage:?}");
    // An arm64-only image as the base of an amd64 build: refused, naming the platform.
    let arm_only = dir.path().join("arm-only");
    build(
        dir.path(),
        &[
            "--platform",
            "linux/arm64",
            "--output",
            &format!("type=oci,dest={},tar=false", arm_only.display()),
        ],
    );
    let other = workspace();
    set_web_base(other.path(), &format!("oci-layout:{}", arm_only.display()));
    let refused = try_build(other.path(), &["--output", "type=oci,dest=out.tar"]);
    assert_eq!(
        refused.status.code(),
        Some(2),
        "{}",
        support::stderr(&refused)
    );
    assert!(
        support::stderr(&refused).contains("has no image for linux/amd64"),
        "{}",
        support::stderr(&refused)
    );
    if let Some(version) = support::arm64_version(&bytes) {
        assert_eq!(version, "web 0.3.1 (aarch64-unknown-linux-musl)");
    }
}

#[test]
fn a_base_on_disk_cannot_go_into_a_dockerfile() {
    let dir = workspace();
    let out = support::run(dir.path(), &["init"]);
    assert_eq!(out.status.code(), Some(2));
    let err = support::stderr(&out);
    assert!(
        err.contains("image `web` has `runtime-image = \"builtin:static\"`, which only the oci backend can build from"),
        "{err}"
    );
    assert!(!dir.path().join("Dockerfile").exists());
}

/// A tiny tmpfs, unmounted when dropped (root only; `None` where mounting is not allowed).
struct FullDisk(tempfile::TempDir);

impl FullDisk {
    fn mount() -> Option<FullDisk> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(dir.path())
            .output()
            .ok()?
            .status
            .success();
        ok.then_some(FullDisk(dir))
    }
}

impl Drop for FullDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).output();
    }
}

#[test]
fn a_full_disk_is_a_clear_error_and_leaves_nothing_half_written() {
    let Some(disk) = FullDisk::mount() else {
        eprintln!("note: cannot mount a tmpfs here; the full-disk check is skipped");
        return;
    };
    let dir = workspace();
    for spec in [
        format!("type=oci,dest={}/web.tar", disk.0.path().display()),
        format!("type=oci,dest={}/web,tar=false", disk.0.path().display()),
    ] {
        let out = try_build(dir.path(), &["--output", &spec]);
        let err = support::stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(err.contains("help: the disk is full"), "{err}");
        let left: Vec<_> = std::fs::read_dir(disk.0.path()).unwrap().collect();
        assert!(left.is_empty(), "nothing half-written: {left:?}");
    }
}

#[test]
fn prebuilt_binaries_make_the_same_image_and_a_dynamic_one_is_refused() {
    let dir = workspace();
    let out = dir.path().join("out");
    let spec = format!("type=oci,dest={}/{{image}}.tar", out.display());
    let compiled = build(dir.path(), &["--output", &spec]);
    // The same binary from a `target/` tree built elsewhere: not compiled again, same image.
    let elsewhere = tempfile::tempdir().unwrap();
    let tree = elsewhere.path().join("x86_64-unknown-linux-musl/release");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::copy(
        dir.path()
            .join("target/x86_64-unknown-linux-musl/release/web"),
        tree.join("web"),
    )
    .unwrap();
    let fresh = workspace();
    let prebuilt = build(
        fresh.path(),
        &[
            "--binaries",
            elsewhere.path().to_str().unwrap(),
            "--output",
            &spec,
        ],
    );
    assert_eq!(prebuilt["digest"], compiled["digest"]);
    assert!(
        !fresh
            .path()
            .join("target/x86_64-unknown-linux-musl")
            .exists(),
        "nothing was compiled"
    );
    // The same binary from a cargo-dist artifacts directory: `<app>-<triple>.tar.xz` with the
    // binary under `<app>-<triple>/`, beside its checksum file and another target's archive.
    let dist = tempfile::tempdir().unwrap();
    let staging = dist.path().join("web-x86_64-unknown-linux-musl");
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::copy(tree.join("web"), staging.join("web")).unwrap();
    std::fs::write(staging.join("README.md"), "web\n").unwrap();
    let packed = Command::new("tar")
        .arg("-cJf")
        .arg(dist.path().join("web-x86_64-unknown-linux-musl.tar.xz"))
        .arg("-C")
        .arg(dist.path())
        .arg("web-x86_64-unknown-linux-musl")
        .status()
        .unwrap();
    assert!(packed.success());
    std::fs::remove_dir_all(&staging).unwrap();
    std::fs::write(
        dist.path()
            .join("web-x86_64-unknown-linux-musl.tar.xz.sha256"),
        "x\n",
    )
    .unwrap();
    std::fs::write(
        dist.path().join("web-aarch64-unknown-linux-musl.tar.xz"),
        "not this one",
    )
    .unwrap();
    let from_dist = build(
        fresh.path(),
        &[
            "--binaries",
            dist.path().to_str().unwrap(),
            "--output",
            &spec,
        ],
    );
    assert_eq!(
        from_dist["digest"], compiled["digest"],
        "cargo-dist's archive, the same image"
    );
    // A broken archive for the planned target is a clear error, not a panic.
    std::fs::write(
        dist.path().join("web-x86_64-unknown-linux-musl.tar.xz"),
        "broken",
    )
    .unwrap();
    let broken = try_build(
        fresh.path(),
        &[
            "--binaries",
            dist.path().to_str().unwrap(),
            "--output",
            &spec,
        ],
    );
    assert_eq!(
        broken.status.code(),
        Some(2),
        "{}",
        support::stderr(&broken)
    );
    assert!(support::stderr(&broken).contains("is not a readable archive"));
    // A glibc binary where the static one should be: checked against its base, refused.
    std::fs::copy(env!("CARGO_BIN_EXE_cargo-distroless"), tree.join("web")).unwrap();
    let refused = try_build(
        fresh.path(),
        &[
            "--binaries",
            elsewhere.path().to_str().unwrap(),
            "--output",
            &spec,
        ],
    );
    let err = support::stderr(&refused);
    assert_eq!(refused.status.code(), Some(4), "{err}");
    assert!(
        err.contains("`web` does not fit its base `builtin:static`"),
        "{err}"
    );
    assert!(err.contains("it is dynamically linked"), "{err}");
    // Missing binaries say where they were looked for.
    let empty = tempfile::tempdir().unwrap();
    let missing = try_build(
        fresh.path(),
        &[
            "--binaries",
            empty.path().to_str().unwrap(),
            "--output",
            &spec,
        ],
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(support::stderr(&missing).contains("has no `web` for linux/amd64"));
}
