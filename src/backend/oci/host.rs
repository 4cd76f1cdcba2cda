//! Owns compiling a build group on this machine, for one platform: the same `cargo build`
//! arguments as the Dockerfile (`--locked`, profile, `--package`s, features, `--bin`s, symbols
//! stripped, the static switches), into the workspace's own target directory so rebuilds are
//! incremental. Static builds of crates that compile C, and every cross build, go through
//! `cargo zigbuild` (zig is the C compiler and linker for any target); cc builds through zig
//! also pin the glibc of the base (`x86_64-unknown-linux-gnu.2.36`).
//!
//! Then each binary is checked against its base with [`crate::linkage`] before any image is
//! made: a static plan needs a static binary, a cc binary must not need a newer glibc or a
//! library the base lacks.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};

use super::linker;
use crate::error::{Error, Result};
use crate::link_errors;
use crate::linkage::Linkage;
use crate::plan::verify::version_cmp;
use crate::plan::{BuildGroup, GroupPlatform, Runtime};
use crate::process::{self, Invocation};
use crate::shell::Shell;

/// The docker arch of this machine (`amd64`, `arm64`).
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm",
        other => other,
    }
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

fn has_zigbuild(root: &Utf8Path) -> bool {
    // `cargo zigbuild` takes no `--version`; the binary cargo would run does.
    process::capture(&Invocation::new("cargo-zigbuild").arg("--version").cwd(root))
        .is_ok_and(|o| o.success())
}

/// The toolchain's sysroot, as the workspace's toolchain (its `rust-toolchain.toml`) sees it.
fn toolchain_sysroot(root: &Utf8Path) -> Option<Utf8PathBuf> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let out = process::capture(
        &Invocation::new(rustc)
            .args(["--print", "sysroot"])
            .cwd(root),
    )
    .ok()?;
    let path = out.stdout.trim();
    (out.success() && !path.is_empty()).then(|| Utf8PathBuf::from(path))
}

/// A host build compiles with the workspace's own toolchain, not the builder's: refuse it before
/// compiling when that toolchain is at or above the plan's ceiling (a locked crate it rejects),
/// where the image build would get the newest Rust below it.
pub fn check_rust_below(root: &Utf8Path, ceiling: &crate::plan::RustCeilingPlan) -> Result<()> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let Ok(out) = process::capture(&Invocation::new(rustc).arg("--version").cwd(root)) else {
        return Ok(());
    };
    // `rustc 1.95.0 (59807616e 2026-04-14)`
    let Some(version) = out.stdout.split_whitespace().nth(1) else {
        return Ok(());
    };
    let Ok(fails_from) = semver::Version::parse(&format!("{}.0", ceiling.fails_from)) else {
        return Ok(());
    };
    let core = version.split('-').next().unwrap_or(version);
    if crate::workspace::rust_floor::pin_satisfies(core, &fails_from) != Some(true) {
        return Ok(());
    }
    Err(Error::input(format!(
        "this machine's Rust {version}, which `--backend oci` compiles with, cannot build this workspace: {}",
        ceiling.why
    ))
    .with_help(format!(
        "{}, or compile with Rust {newest}: `rustup toolchain install {newest}`, then run with `RUSTUP_TOOLCHAIN={newest}`",
        ceiling.fix,
        newest = ceiling.newest
    )))
}

/// Whether the sysroot holds `triple`'s standard library (what `rustup target add` installs).
fn has_target(sysroot: &Utf8Path, triple: &str) -> bool {
    sysroot
        .join("lib/rustlib")
        .join(triple)
        .join("lib")
        .is_dir()
}

/// Whether a failed `cargo zigbuild` failed for want of the subcommand: cargo's `no such
/// command`, or a pyenv shim of a Python version that does not have it.
fn zigbuild_missing(output: &str) -> bool {
    output.contains("no such command: `zigbuild`")
        || output.contains("cargo-zigbuild: command not found")
}

/// How a native static build compiles C without zig: with the C compiler the user named for
/// the triple (`CC_<triple>` in the environment), or else with the one the plan's builder uses
/// (`musl-gcc`, from `musl-tools`) when this machine has it on `PATH`. Then the host build runs
/// `cargo build` as the Dockerfile does: the same compiler as the image's builder (under zig,
/// autotools jemalloc can make an empty archive), and every rebuild skips zigbuild's wrappers,
/// 0.5 s here, where pip's `cargo-zigbuild` runs `python3 -m ziglang` for its version check,
/// each C compile and the link.
#[derive(Debug, Clone, PartialEq, Eq)]
enum MuslCc {
    /// `CC_<triple>` is set: cargo's build scripts read it as it is.
    Chosen(String),
    /// The builder's compiler, found here: set `var` to `program`.
    Builder { var: String, program: String },
}

fn native_musl_cc(gp: &GroupPlatform) -> Option<MuslCc> {
    let (var, program) = gp
        .native
        .env
        .iter()
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.starts_with("CC_"))?;
    if std::env::var_os(var).is_some() {
        return Some(MuslCc::Chosen(var.to_string()));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .any(|dir| dir.join(program).is_file())
        .then(|| MuslCc::Builder {
            var: var.to_string(),
            program: program.to_string(),
        })
}

/// This machine's glibc, for a native build: the newest `GLIBC_` version its `libc.so.6`
/// defines. `None` where it has none there (a musl or non-Debian layout).
fn host_glibc(gp: &GroupPlatform) -> Option<String> {
    [
        format!("/lib/{}/libc.so.6", gp.gnu_prefix),
        format!("/usr/lib/{}/libc.so.6", gp.gnu_prefix),
        "/lib64/libc.so.6".to_string(),
        "/usr/lib64/libc.so.6".to_string(),
    ]
    .iter()
    .find_map(|p| std::fs::read(p).ok())
    .and_then(|data| crate::linkage::glibc_defined(&data))
}

/// Why this build needs `cargo zigbuild`, and how to get it.
fn zigbuild_needed(gp: &GroupPlatform, cross: bool) -> Error {
    let why = if cross {
        format!(
            "building for {} on {} is a cross build",
            gp.platform,
            host_arch()
        )
    } else {
        format!(
            "{} compile{} C, and a static build needs a C compiler and libc for musl",
            gp.compiles_c
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if gp.compiles_c.len() == 1 { "s" } else { "" }
        )
    };
    let help = if cross {
        "install it with `pip install ziglang cargo-zigbuild`, or build with `--backend buildx`"
    } else {
        "install `musl-gcc`, the musl C compiler the Dockerfile's builder uses (Debian and Ubuntu: `apt-get install musl-tools`), or `cargo zigbuild` (`pip install ziglang cargo-zigbuild`), or build with `--backend buildx`"
    };
    Error::environment(format!("`cargo zigbuild` is needed: {why}")).with_help(help)
}

/// Makes sure the toolchain the workspace uses has the target's standard library. A sysroot
/// that holds it answers without asking rustup (0.03 s on every build).
fn ensure_target(
    root: &Utf8Path,
    triple: &str,
    sysroot: Option<&Utf8Path>,
    shell: &Shell,
) -> Result<()> {
    if sysroot.is_some_and(|s| has_target(s, triple)) {
        return Ok(());
    }
    let installed = process::capture(
        &Invocation::new("rustup")
            .args(["target", "list", "--installed"])
            .cwd(root),
    );
    let out = match installed {
        Ok(out) if out.success() => out,
        Ok(out) => {
            return Err(
                Error::environment("`rustup target list --installed` failed")
                    .with_detail(format!("  {}", out.stderr.trim()))
                    .with_help(format!(
                        "install the target yourself: `rustup target add {triple}`"
                    )),
            );
        }
        Err(_) => {
            // No rustup: the toolchain is what it is; cargo will say if the target is missing.
            shell.verbose_status(
                "Skipping",
                format!("`rustup target add {triple}`: rustup is not installed"),
            );
            return Ok(());
        }
    };
    if out.stdout.lines().any(|l| l.trim() == triple) {
        return Ok(());
    }
    shell.status(
        "Installing",
        format!("the `{triple}` target (rustup target add)"),
    );
    let added = process::capture(
        &Invocation::new("rustup")
            .args(["target", "add", triple])
            .cwd(root),
    )
    .map_err(|e| Error::environment(format!("could not run `rustup target add {triple}`: {e}")))?;
    if !added.success() {
        return Err(
            Error::environment(format!("`rustup target add {triple}` failed"))
                .with_detail(format!("  {}", added.stderr.trim()))
                .with_help("check the network, or install the target by hand"),
        );
    }
    Ok(())
}

/// Compiles `group` for `gp` and returns each binary's path. `base_glibc` is the glibc of the
/// runtime base, which a cc build through zig links against.
pub fn compile(
    root: &Utf8Path,
    target_dir: &Utf8Path,
    group: &BuildGroup,
    gp: &GroupPlatform,
    base_glibc: Option<&str>,
    auditable: bool,
    shell: &Shell,
) -> Result<BTreeMap<String, Utf8PathBuf>> {
    let cross = gp.arch != host_arch();
    let static_c = group.runtime == Runtime::Static && !gp.compiles_c.is_empty();
    let musl_cc = if static_c && !cross {
        native_musl_cc(gp)
    } else {
        None
    };
    let zig_needed = cross || (static_c && musl_cc.is_none());
    // A native cc build needs zig only to link for an older glibc than this machine's: where the
    // base's is as new, `cargo build` links as the Dockerfile's builder does, with the system's
    // compiler and headers (zig's clang does not search Debian's multiarch include directory:
    // openssl-sys fails there on `openssl/opensslconf.h`). Whether zigbuild is installed is
    // asked only then: the check runs a Python entry point, 0.05-0.1 s on every build. Where zig
    // is needed anyway, cargo's own failure to find the subcommand says it is missing, before
    // anything compiles.
    let glibc = base_glibc;
    let machine_glibc = host_glibc(gp);
    let host_glibc_newer = match (machine_glibc.as_deref(), glibc) {
        (Some(host), Some(base)) => version_cmp(host, base).is_gt(),
        _ => true,
    };
    // Linked against this machine's system libraries, built for its newer glibc, a cc binary
    // cannot run on an older base whatever its own link pins: say so before compiling, where
    // zig would fail in a build script (its clang misses Debian's multiarch headers) or the
    // carried libraries' check after minutes.
    if group.runtime == Runtime::Cc
        && !cross
        && host_glibc_newer
        && let (Some(base), Some(host)) = (glibc, machine_glibc.as_deref())
    {
        let linked: Vec<&str> = gp
            .native
            .packages
            .iter()
            .map(String::as_str)
            .filter(|p| p.ends_with("-dev") && *p != "libclang-dev")
            .collect();
        if !linked.is_empty() {
            return Err(Error::environment(format!(
                "{} link{} against this machine's {}, whose libraries need its glibc {host}, and the base has glibc {base}",
                group.bins.iter().map(|b| format!("`{b}`")).collect::<Vec<_>>().join(", "),
                if group.bins.len() == 1 { "s" } else { "" },
                linked.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", "),
            ))
            .with_help(format!(
                "build with `--backend buildx`, whose builder runs the base's Debian release, or choose a base with glibc {host} or newer"
            )));
        }
    }
    let use_zig = zig_needed
        || (group.runtime == Runtime::Cc
            && glibc.is_some()
            && host_glibc_newer
            && has_zigbuild(root));
    let sysroot = toolchain_sysroot(root);
    ensure_target(root, &gp.triple, sysroot.as_deref(), shell)?;
    // zig links a glibc binary against the version named after the triple: the base's.
    let target_arg = match (group.runtime, use_zig, glibc) {
        (Runtime::Cc, true, Some(v)) => format!("{}.{v}", gp.triple),
        _ => gp.triple.clone(),
    };
    let mut inv = Invocation::new(cargo());
    if auditable {
        // `cargo auditable <cmd>` runs `cargo <cmd>` with itself as the rustc wrapper, so it
        // works for zigbuild as for build.
        if !process::capture(
            &Invocation::new(cargo())
                .args(["auditable", "--version"])
                .cwd(root),
        )
        .is_ok_and(|o| o.success())
        {
            return Err(Error::environment(
                "`auditable = true` needs `cargo auditable`, and it is not installed",
            )
            .with_help(format!(
                "install it with `cargo install --locked cargo-auditable --version {}`",
                crate::config::defaults::CARGO_AUDITABLE_VERSION
            )));
        }
        inv = inv.arg("auditable");
    }
    inv = if use_zig {
        inv.arg("zigbuild")
    } else {
        inv.arg("build")
    };
    inv = inv
        .args(group.cargo_args.iter().cloned())
        .arg("--target")
        .arg(target_arg)
        .cwd(root)
        .env(group.strip_env.clone(), "symbols")
        .env("CARGO_TARGET_DIR", target_dir.as_str());
    for kv in &gp.build_env {
        if let Some((k, v)) = kv.split_once('=') {
            inv = inv.env(k, v);
        }
    }
    if let Some(MuslCc::Builder { var, program }) = &musl_cc {
        // With the kernel's headers, as the builder's musl-gcc has them.
        let dir = target_dir
            .join(crate::config::defaults::BUILD_DIR)
            .join("musl-gcc");
        match super::musl_headers::wrapper(program, &gp.gnu_prefix, &dir) {
            Some(wrapper) => inv = inv.env(var, wrapper.as_str()),
            None => inv = inv.env(var, program),
        }
    }
    // The plan's linker for a static build here, as the builder sets it. A linker the user
    // chose wins: the variable itself, or one in a cargo config or rustflags on this machine
    // (the plan saw only the workspace's own config). zig is its own linker.
    if let (Some(var), Some(sysroot)) = (&gp.native.rust_lld_linker, &sysroot)
        && group.runtime == Runtime::Static
        && !use_zig
        && std::env::var_os(var).is_none()
        && !crate::workspace::host_configures_linker(root)
    {
        let dir = target_dir
            .join(crate::config::defaults::BUILD_DIR)
            .join("linker");
        match linker::rust_lld_wrapper(sysroot, &dir) {
            Some(wrapper) => {
                shell.verbose_status("Linking", format!("with the toolchain's lld ({var}={wrapper})"));
                inv = inv.env(var.clone(), wrapper.as_str());
            }
            None => shell.verbose_status(
                "Linking",
                "with the system linker: `cc -fuse-ld=lld` with the toolchain's lld did not link here",
            ),
        }
    }
    shell.status(
        "Compiling",
        format!(
            "{} for {} on this machine ({})",
            group.bins.join(", "),
            gp.platform,
            match (&musl_cc, use_zig) {
                (_, true) => "cargo zigbuild".to_string(),
                (Some(MuslCc::Builder { program, .. }), false) =>
                    format!("cargo build, C with `{program}`"),
                (Some(MuslCc::Chosen(var)), false) => format!("cargo build, C with `${var}`"),
                (None, false) => "cargo build".to_string(),
            }
        ),
    );
    let (code, tail) = process::stream(&inv)
        .map_err(|e| Error::environment(format!("could not run `{}`: {e}", inv.shell_quoted())))?;
    if code != Some(0) {
        if use_zig && zigbuild_missing(&tail) {
            return Err(zigbuild_needed(gp, cross));
        }
        let missing = link_errors::missing_libraries(&tail);
        if !missing.is_empty() {
            let bins: Vec<String> = group.bins.iter().map(|b| format!("`{b}`")).collect();
            let failed = format!("compiling {} on this machine failed", bins.join(", "));
            return Err(link_errors::error(&failed, group.runtime, &missing));
        }
        let quoted: Vec<String> = tail
            .lines()
            .filter(|l| l.starts_with("error") || l.contains("could not compile"))
            .take(8)
            .map(|l| format!("  {l}"))
            .collect();
        return Err(Error::build(format!("`{}` failed", inv.shell_quoted()))
            .with_detail(quoted.join("\n"))
            .with_help(
                "fix the build error above; it is the same `cargo build` the Dockerfile runs",
            ));
    }
    let dir = target_dir.join(&gp.triple).join(&group.profile_dir);
    let mut out = BTreeMap::new();
    for bin in &group.bins {
        let path = dir.join(bin);
        if !path.is_file() {
            return Err(
                Error::build(format!("cargo finished, but `{path}` is not there"))
                    .with_help("check `[[bin]]` names and `target-dir` settings"),
            );
        }
        out.insert(bin.clone(), path);
    }
    Ok(out)
}

/// The binary's linkage, checked against what the plan promised and the base it goes onto
/// (its glibc, when known, and the libraries the image has).
pub fn check(
    path: &Utf8Path,
    runtime: Runtime,
    base: &str,
    base_glibc: Option<&str>,
    base_libraries: &std::collections::BTreeSet<String>,
) -> Result<Linkage> {
    let data = std::fs::read(path)
        .map_err(|e| Error::environment(format!("could not read `{path}`: {e}")))?;
    let linkage = Linkage::read(&data).map_err(|why| Error::build(format!("`{path}` is {why}")))?;
    let misfits = linkage.fits_with(runtime, base, base_glibc, base_libraries);
    if let Some(first) = misfits.first() {
        let name = path.file_name().unwrap_or(path.as_str());
        let mut err = Error::build(format!("`{name}` does not fit its base `{base}`"));
        for m in &misfits {
            err = err.with_detail(format!("  {}", m.problem));
        }
        let help = if runtime == Runtime::Cc
            && linkage.glibc.is_some()
            && first.problem.contains("GLIBC")
        {
            format!(
                "{}; with `cargo zigbuild` installed (`pip install ziglang cargo-zigbuild`) the build pins the base's glibc, or use `--backend buildx`, which builds on the base's Debian release",
                first.help
            )
        } else {
            first.help.clone()
        };
        return Err(err.with_help(help));
    }
    Ok(linkage)
}
