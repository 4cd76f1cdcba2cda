//! The daemonless backend's compile on this machine: the linker a static build uses (the
//! toolchain's lld, as the Dockerfile's builder; a linker the user chose wins), and what a build
//! that needs `cargo zigbuild`, or a command its build scripts run, says without it.

use std::path::Path;

use crate::oci::{build, workspace};
use crate::support;

/// The `.comment` section of an ELF file (compilers and linkers sign it: `Linker: LLD 20.1`).
pub(crate) fn linker_of(binary: &Path) -> Option<String> {
    use object::{Object, ObjectSection};
    let data = std::fs::read(binary).ok()?;
    let file = object::File::parse(&*data).ok()?;
    let comment = file.section_by_name(".comment")?.data().ok()?.to_vec();
    Some(String::from_utf8_lossy(&comment).replace('\0', "\n"))
}

#[test]
fn a_linker_chosen_in_a_cargo_config_above_the_workspace_wins_over_the_toolchains_lld() {
    // The workspace one level down, under a directory whose `.cargo/config.toml` names a linker
    // for the musl target: cargo reads it on this machine, though the workspace's own config
    // (all the plan and the Dockerfile's builder see) has none.
    let outer = tempfile::tempdir().unwrap();
    let ws = outer.path().join("ws");
    support::copy_dir(workspace().path(), &ws);
    let log = outer.path().join("linker.log");
    let linker = outer.path().join("my-linker");
    std::fs::write(
        &linker,
        format!(
            "#!/bin/sh\necho linked >> '{}'\nexec cc \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&linker, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(outer.path().join(".cargo")).unwrap();
    std::fs::write(
        outer.path().join(".cargo/config.toml"),
        format!(
            "[target.x86_64-unknown-linux-musl]\nlinker = \"{}\"\n",
            linker.display()
        ),
    )
    .unwrap();
    let out = ws.join("out");
    build(
        &ws,
        &[
            "--output",
            &format!("type=oci,dest={}/{{image}},tar=false", out.display()),
        ],
    );
    assert!(
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("linked")),
        "the configured linker linked the binary"
    );
    let binary = ws.join("target/x86_64-unknown-linux-musl/release/web");
    let comment = linker_of(&binary).unwrap_or_default();
    assert!(!comment.contains("Linker: LLD"), "{comment}");
}

/// A directory holding cargo, rustc and rustup alone, to be a test's whole `PATH`: whatever else
/// this machine has (pip's `cargo-zigbuild`, protoc) is not found.
fn rust_only_path() -> tempfile::TempDir {
    let bin = tempfile::tempdir().unwrap();
    for tool in ["cargo", "rustc", "rustup"] {
        let found = support::tool(tool).unwrap_or_else(|| panic!("`{tool}` is on PATH"));
        std::os::unix::fs::symlink(found, bin.path().join(tool)).unwrap();
    }
    bin
}

#[test]
fn a_cross_build_without_cargo_zigbuild_says_what_to_install() {
    let dir = workspace();
    // A PATH of cargo, rustc and rustup alone: wherever pip put `cargo-zigbuild` on this machine
    // (pyenv's shims, /usr/local/bin, ~/.local/bin), it is not found.
    let bin = rust_only_path();
    let path = bin.path().display().to_string();
    let out = support::command(dir.path())
        .args([
            "build",
            "--backend",
            "oci",
            "-p",
            "web",
            "--platform",
            "linux/arm64",
        ])
        .arg("--output")
        .arg(format!(
            "type=oci,dest={}/out/{{image}},tar=false",
            dir.path().display()
        ))
        .env("PATH", path)
        .output()
        .unwrap();
    let stderr = support::stderr(&out);
    assert_eq!(out.status.code(), Some(3), "an environment error: {stderr}");
    assert!(
        stderr.contains(
            "error: `cargo zigbuild` is needed: building for linux/arm64 on amd64 is a cross build"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: install it with `pip install ziglang cargo-zigbuild`"),
        "{stderr}"
    );
    assert!(!dir.path().join("out").exists(), "nothing written");
}

/// A build script that runs protoc, on a machine without it: the host build stops before it
/// compiles anything, naming the command and the package, instead of failing minutes later in
/// prost-build. `PROTOC` naming one is enough.
#[test]
fn a_host_build_whose_build_scripts_need_a_missing_command_says_so_before_compiling() {
    let dir = support::fixture("prost-protoc");
    // The `[package.metadata.distroless]` table is the manifest's last: a base on no registry.
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text + "runtime-image = \"builtin:static\"\n").unwrap();
    let bin = rust_only_path();
    let out = support::command(dir.path())
        .args(["build", "--backend", "oci"])
        .env("PATH", bin.path())
        .env_remove("PROTOC")
        .output()
        .unwrap();
    let stderr = support::stderr(&out);
    assert_eq!(out.status.code(), Some(3), "an environment error: {stderr}");
    assert!(
        stderr
            .contains("error: this build runs `protoc` in build scripts, and it is not on `PATH`"),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("help: install it (Debian and Ubuntu: `apt-get install protobuf-compiler`)"),
        "{stderr}"
    );
    assert!(!stderr.contains("Compiling"), "nothing compiled: {stderr}");
    assert!(!dir.path().join("target/distroless/oci").exists());
}

#[test]
fn a_host_build_whose_pinned_toolchain_is_not_installed_says_how_to_install_it_before_compiling() {
    // sozu pins 1.88.0 in `rust-toolchain`. Where rustup will not install it on its own, the
    // plan reads the workspace with the default toolchain, but a host build compiles with the
    // pinned one: refused before anything runs, with the command that installs it and the
    // target the build needs (rustup's own refusal came later, with a help about the target).
    let dir = workspace();
    support::write_file(
        dir.path(),
        "rust-toolchain.toml",
        "[toolchain]\nchannel = \"1.80.1\"\n",
    );
    // Run as the binary itself, as a CI step may: through rustup's `cargo` proxy, rustup stops
    // first (or installs the pin), and `cargo test` sets `RUSTUP_TOOLCHAIN`, which outranks the
    // file.
    let out = support::command(dir.path())
        .args(["build", "--backend", "oci", "-p", "web"])
        .env("RUSTUP_AUTO_INSTALL", "0")
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .unwrap();
    let stderr = support::stderr(&out);
    assert_eq!(out.status.code(), Some(3), "an environment error: {stderr}");
    assert!(
        stderr.contains("error: the workspace pins the toolchain `1.80.1-x86_64-unknown-linux-gnu`, which `--backend oci` compiles with, and it is not installed here"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: install it: `rustup toolchain install 1.80.1-x86_64-unknown-linux-gnu --profile minimal --target x86_64-unknown-linux-musl` (or unset `RUSTUP_AUTO_INSTALL=0`"),
        "{stderr}"
    );
    assert!(!stderr.contains("Compiling"), "nothing compiled: {stderr}");
    assert!(!dir.path().join("target/distroless/oci").exists());
}

/// A build script of the workspace's own that runs `git` needs git on this machine too: the
/// host build says so first, as for the tools of build-time crates.
#[test]
fn a_host_build_whose_own_build_script_runs_a_missing_git_says_so_before_compiling() {
    let dir = support::fixture("build-script-git");
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text + "runtime-image = \"builtin:static\"\n").unwrap();
    let bin = rust_only_path();
    let out = support::command(dir.path())
        .args(["build", "--backend", "oci"])
        .env("PATH", bin.path())
        .output()
        .unwrap();
    let stderr = support::stderr(&out);
    assert_eq!(out.status.code(), Some(3), "an environment error: {stderr}");
    assert!(
        stderr.contains("error: this build runs `git` in build scripts, and it is not on `PATH`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: install it (Debian and Ubuntu: `apt-get install git`)"),
        "{stderr}"
    );
    assert!(!stderr.contains("Compiling"), "nothing compiled: {stderr}");
}

/// A cc build links against `-dev` packages the Dockerfile's builder installs; on a Debian
/// machine without one, the host build says so before asking the network for the base or
/// compiling anything. dpkg is played by a script that knows no package, as dpkg-query answers
/// for one never installed.
#[test]
fn a_host_cc_build_missing_a_dev_package_says_so_before_anything_else() {
    let dir = support::fixture("pcap-system");
    let bin = rust_only_path();
    let dpkg = bin.path().join("dpkg-query");
    std::fs::write(
        &dpkg,
        "#!/bin/sh\nfor p in \"$@\"; do case \"$p\" in -*|*'$'*) ;; *) echo \"dpkg-query: no packages found matching $p\" >&2 ;; esac; done\nexit 1\n",
    )
    .unwrap();
    // pkg-config itself is there (its own check is the build-tools one).
    let pkg_config = bin.path().join("pkg-config");
    std::fs::write(&pkg_config, "#!/bin/sh\nexit 1\n").unwrap();
    for script in [&dpkg, &pkg_config] {
        let mut perms = std::fs::metadata(script).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(script, perms).unwrap();
    }
    let out = support::command(dir.path())
        .args(["build", "--backend", "oci"])
        .env("PATH", bin.path())
        .output()
        .unwrap();
    let stderr = support::stderr(&out);
    assert_eq!(out.status.code(), Some(3), "an environment error: {stderr}");
    assert!(
        stderr.contains(
            "error: this build links against `libpcap-dev`, and dpkg says it is not installed"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: install it (`apt-get install libpcap-dev`)"),
        "{stderr}"
    );
    assert!(!stderr.contains("Resolving"), "no base asked for: {stderr}");
    assert!(!stderr.contains("Compiling"), "nothing compiled: {stderr}");
}

/// member-c (its own build script compiles C with `cc`) on a base of no registry.
fn member_c() -> tempfile::TempDir {
    let dir = support::fixture("member-c");
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text + "runtime-image = \"builtin:static\"\n").unwrap();
    dir
}

/// member-c's C includes a kernel header too, as C libraries for Linux do (libusb's
/// `linux_usbfs.h` includes `linux/magic.h`), which Debian's musl-gcc does not have of its own:
/// both backends' builders give it the kernel's. The text is new on every run, so that no
/// object compiled before (the engine's target cache outlives a run) stands in for compiling it.
/// Returns the C as it was.
pub(crate) fn include_a_kernel_header(dir: &Path) -> String {
    let c = dir.join("src/add.c");
    let before = std::fs::read_to_string(&c).unwrap();
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::fs::write(
        &c,
        format!("#include <linux/magic.h>\n/* run {run} */\n{before}\nunsigned long tmpfs_magic(void) {{ return TMPFS_MAGIC; }}\n"),
    )
    .unwrap();
    before
}

/// An executable script at `path` that logs its arguments to `log`, then runs `program`.
fn logging_wrapper(path: &Path, log: &Path, program: &Path) {
    std::fs::write(
        path,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            program.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A static build whose crates compile C compiles it as the Dockerfile's builder does, with
/// `musl-gcc` and `cargo build`, where this machine has it, not through zig; a C compiler the
/// user named for the triple wins over it. Either way the binary is static and runs.
#[test]
fn a_static_build_that_compiles_c_uses_the_builders_musl_gcc_or_the_users_compiler() {
    let Some(musl_gcc) = support::tool("musl-gcc") else {
        return;
    };
    let dir = member_c();
    // `musl-gcc` first on PATH is a wrapper that says it ran.
    let tools = tempfile::tempdir().unwrap();
    let builders_log = tools.path().join("musl-gcc.log");
    logging_wrapper(&tools.path().join("musl-gcc"), &builders_log, &musl_gcc);
    let path = std::env::join_paths(
        std::iter::once(tools.path().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let binary = dir
        .path()
        .join("target/x86_64-unknown-linux-musl/release/cadd");
    let build = |extra_env: Option<(&str, &Path)>| {
        let mut cmd = support::command(dir.path());
        cmd.args(["build", "--backend", "oci", "--output"])
            .arg(format!(
                "type=oci,dest={}/out/{{image}},tar=false",
                dir.path().display()
            ))
            .env("PATH", &path)
            .env_remove("CC_x86_64_unknown_linux_musl");
        if let Some((k, v)) = extra_env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let stderr = support::stderr(&out);
        assert!(out.status.success(), "{stderr}");
        let linkage =
            cargo_distroless::linkage::Linkage::read(&std::fs::read(&binary).unwrap()).unwrap();
        assert!(linkage.is_static, "{linkage:?}");
        let ran = std::process::Command::new(&binary).output().unwrap();
        assert_eq!(support::stdout(&ran), "cadd 0.1.0 (5)\n");
        stderr
    };

    let plain_c = include_a_kernel_header(dir.path());
    let stderr = build(None);
    assert!(
        stderr.contains(
            "Compiling cadd for linux/amd64 on this machine (cargo build, C with `musl-gcc`)"
        ),
        "{stderr}"
    );
    let compiled = std::fs::read_to_string(&builders_log).unwrap_or_default();
    assert!(
        compiled.contains("add.c"),
        "musl-gcc compiled add.c: {compiled:?}"
    );
    assert!(
        linker_of(&binary)
            .unwrap_or_default()
            .contains("Linker: LLD"),
        "linked with the toolchain's lld, as the builder links"
    );

    // The user's own compiler for the triple: cargo's build script reads it, nothing overrides it
    // (nor adds headers to it: the C is back to what any musl compiler compiles).
    std::fs::write(dir.path().join("src/add.c"), plain_c).unwrap();
    let users_log = tools.path().join("my-cc.log");
    let my_cc = tools.path().join("my-cc");
    logging_wrapper(&my_cc, &users_log, &musl_gcc);
    std::fs::remove_file(&builders_log).unwrap();
    let stderr = build(Some(("CC_x86_64_unknown_linux_musl", &my_cc)));
    assert!(
        stderr.contains("(cargo build, C with `$CC_x86_64_unknown_linux_musl`)"),
        "{stderr}"
    );
    let compiled = std::fs::read_to_string(&users_log).unwrap_or_default();
    assert!(
        compiled.contains("add.c"),
        "the user's compiler compiled add.c: {compiled:?}"
    );
    assert!(!builders_log.exists(), "the builder's musl-gcc did not run");
}

/// Without `musl-gcc` or `cargo zigbuild`, a static build that compiles C says what to install
/// before it compiles anything: the builder's compiler first.
#[test]
fn a_static_build_that_compiles_c_without_a_musl_c_compiler_says_what_to_install() {
    let dir = member_c();
    let bin = rust_only_path();
    let out = support::command(dir.path())
        .args(["build", "--backend", "oci"])
        .env("PATH", bin.path())
        .env_remove("CC_x86_64_unknown_linux_musl")
        .output()
        .unwrap();
    let stderr = support::stderr(&out);
    assert_eq!(out.status.code(), Some(3), "an environment error: {stderr}");
    assert!(
        stderr.contains("error: `cargo zigbuild` is needed: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: install `musl-gcc`, the musl C compiler the Dockerfile's builder uses (Debian and Ubuntu: `apt-get install musl-tools`), or `cargo zigbuild`"),
        "{stderr}"
    );
    assert!(!dir.path().join("target/distroless/oci").exists());
}
