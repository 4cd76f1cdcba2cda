//! Owns what a host build checks on this machine before compiling: the toolchain the workspace
//! pins, the commands build scripts run (`protoc`, `make`, `git`), the libclang bindgen loads,
//! and the `-dev` packages a cc build links against. Each is what the Dockerfile's builder
//! installs; a host build takes them from this machine, and without this check cargo compiles
//! for a minute and stops in a build script.

use crate::error::{Error, Result};
use crate::plan::build_programs;
use crate::process::{self, Invocation};

/// Every check, in the order a user fixes them.
pub fn check(packages: &[String]) -> Result<()> {
    check_build_tools(packages)?;
    check_libclang(packages)?;
    check_dev_packages(packages)
}

/// Fails when the workspace pins a toolchain (`rust-toolchain.toml`) that is not installed here
/// and rustup will not install on its own (`RUSTUP_AUTO_INSTALL=0`, or an install that failed):
/// planning read the workspace with the default toolchain instead, but a host build compiles
/// with the pinned one, and rustup's own refusal surfaces only later, in `rustup target list`,
/// with a help about the target. sozu pins 1.88.0 in `rust-toolchain`.
pub fn check_pinned_toolchain(triples: &[&str]) -> Result<()> {
    let Some((pinned, _)) = crate::workspace::toolchain_fallback() else {
        return Ok(());
    };
    let mut targets: Vec<&str> = triples.to_vec();
    targets.sort_unstable();
    targets.dedup();
    // Said only where it is the reason: rustup installs a pinned toolchain itself by default.
    let auto_install_off = if std::env::var_os("RUSTUP_AUTO_INSTALL").is_some_and(|v| v == "0") {
        " (or unset `RUSTUP_AUTO_INSTALL=0`, which keeps rustup from installing it itself)"
    } else {
        ""
    };
    Err(Error::environment(format!(
        "the workspace pins the toolchain `{pinned}`, which `--backend oci` compiles with, and it is not installed here"
    ))
    .with_help(format!(
        "install it: `rustup toolchain install {pinned} --profile minimal --target {}`{auto_install_off}; or build with `--backend buildx`, whose builder installs it",
        targets.join(",")
    )))
}

/// The commands the plan's builder packages give build scripts, which a host build takes from
/// this machine: (Debian package, commands any one of which will do, a variable that replaces
/// them). Packages without one here are not checked: `musl-tools` (`host::compile` uses its
/// `musl-gcc` where this machine has it, zig where not) and `-dev` libraries (below).
const BUILD_TOOLS: &[(&str, &[&str], Option<&str>)] = &[
    ("protobuf-compiler", &["protoc"], Some("PROTOC")),
    ("make", &["make"], None),
    ("perl", &["perl"], None),
    ("g++", &["c++", "g++"], None),
    ("cmake", &["cmake"], None),
    // v8's build script downloads its archive with python3 when it finds one, else curl.
    ("curl", &["curl", "python3"], None),
];

/// Fails before anything compiles when a build script will want a command this machine lacks:
/// otherwise cargo compiles for minutes and stops at the first build script that runs it.
fn check_build_tools(packages: &[String]) -> Result<()> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let on_path = |cmd: &str| std::env::split_paths(&path).any(|dir| dir.join(cmd).is_file());
    // The packages a build script of the workspace needs for a program it runs (git), beside
    // those the build-time crates need.
    let programs: Vec<(&str, Vec<&str>, Option<&str>)> = packages
        .iter()
        .filter(|p| !BUILD_TOOLS.iter().any(|(package, _, _)| package == p))
        .map(|p| {
            (
                p.as_str(),
                build_programs::programs_of(p).collect::<Vec<_>>(),
                None,
            )
        })
        .filter(|(_, commands, _)| !commands.is_empty())
        .collect();
    let missing: Vec<(&str, &str)> = BUILD_TOOLS
        .iter()
        .map(|(package, commands, var)| (*package, commands.to_vec(), *var))
        .chain(programs)
        .filter(|(package, _, _)| packages.iter().any(|p| p == package))
        .filter(|(_, _, var)| var.is_none_or(|v| std::env::var_os(v).is_none()))
        .filter(|(_, commands, _)| !commands.iter().any(|c| on_path(c)))
        .map(|(package, commands, _)| (package, commands[0]))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let commands: Vec<String> = missing.iter().map(|(_, c)| format!("`{c}`")).collect();
    let packages: Vec<&str> = missing.iter().map(|(p, _)| *p).collect();
    Err(Error::environment(format!(
        "this build runs {} in build scripts, and {} not on `PATH`",
        commands.join(", "),
        if missing.len() == 1 { "it is" } else { "they are" }
    ))
    .with_help(format!(
        "install {} (Debian and Ubuntu: `apt-get install {}`), or build with `--backend buildx`, whose builder installs {}",
        if missing.len() == 1 { "it" } else { "them" },
        packages.join(" "),
        if missing.len() == 1 { "it" } else { "them" },
    )))
}

/// Where bindgen (through clang-sys) looks for libclang when neither `LIBCLANG_PATH` nor
/// `llvm-config` says: the system library directories and Debian's per-version LLVM trees.
const LIBCLANG_DIRS: &[&str] = &[
    "/usr/lib",
    "/usr/lib64",
    "/usr/local/lib",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
];

/// A build script running bindgen loads libclang: without one, cargo compiles for a while and
/// stops at bindgen's panic. `LIBCLANG_PATH` is taken as an answer. An `llvm-config` is not: a
/// Debian machine with LLVM's development files but no libclang has one (and libclang-cpp,
/// which bindgen cannot use), and bindgen fails there.
fn check_libclang(packages: &[String]) -> Result<()> {
    if !packages.iter().any(|p| p == "libclang-dev") || std::env::var_os("LIBCLANG_PATH").is_some()
    {
        return Ok(());
    }
    let llvm_dirs = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("llvm-"))
        .map(|e| e.path().join("lib"));
    let dirs: Vec<std::path::PathBuf> = LIBCLANG_DIRS
        .iter()
        .map(std::path::PathBuf::from)
        .chain(llvm_dirs)
        .collect();
    if has_libclang(&dirs) {
        return Ok(());
    }
    Err(Error::environment(
        "this build runs bindgen in build scripts, which loads libclang, and none was found (`LIBCLANG_PATH` is not set)",
    )
    .with_help(
        "install it (Debian and Ubuntu: `apt-get install libclang-dev`) or set `LIBCLANG_PATH` to the directory that has it, or build with `--backend buildx`, whose builder installs it",
    ))
}

/// Whether one of the directories has a libclang shared library, named as clang-sys looks for
/// it (`libclang.so`, `libclang-14.so.1`, `libclang.so.16`); not `libclang-cpp.so.14`, LLVM's C++
/// library, which has no C API for bindgen.
fn has_libclang(dirs: &[std::path::PathBuf]) -> bool {
    dirs.iter().any(|dir| {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let versioned = name
                    .strip_prefix("libclang-")
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
                (name.starts_with("libclang.so") || versioned) && name.contains(".so")
            })
    })
}

/// The `-dev` packages a cc build links against (`libpq-dev`), asked of dpkg on a Debian or
/// Ubuntu machine: a missing one stops the build now, naming it, instead of in its crate's
/// build script after the rest has compiled (diesel_cli: 34 s, then mysqlclient-sys's panic).
/// A machine without dpkg is not asked. libclang has its own check.
fn check_dev_packages(packages: &[String]) -> Result<()> {
    let wanted: Vec<&str> = packages
        .iter()
        .map(String::as_str)
        .filter(|p| p.ends_with("-dev") && *p != "libclang-dev")
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let query = Invocation::new("dpkg-query")
        .args(["-W", "-f", "${Package} ${db:Status-Abbrev}\\n"])
        .args(wanted.iter().copied());
    let Ok(answer) = process::capture(&query) else {
        return Ok(()); // no dpkg: not a Debian machine
    };
    let missing = missing_packages(&wanted, &answer.stdout);
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    Err(Error::environment(format!(
        "this build links against {}, and dpkg says {} not installed",
        missing.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", "),
        if missing.len() == 1 { "it is" } else { "they are" }
    ))
    .with_help(format!(
        "install {} (`apt-get install {list}`), or build with `--backend buildx`, whose builder installs {}",
        if missing.len() == 1 { "it" } else { "them" },
        if missing.len() == 1 { "it" } else { "them" },
    )))
}

/// The wanted packages dpkg does not list as installed (`ii`), from its `-W` answer: one
/// `name:arch status` line per package it knows (a multiarch one carries its architecture).
fn missing_packages<'a>(wanted: &[&'a str], answer: &str) -> Vec<&'a str> {
    let installed: Vec<&str> = answer
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(_, status)| status.trim_end().starts_with("ii"))
        .map(|(name, _)| name.split(':').next().unwrap_or(name))
        .collect();
    wanted
        .iter()
        .copied()
        .filter(|p| !installed.contains(p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_s_answer_gives_the_packages_not_installed() {
        // dpkg-query -W on this machine's kind: a multiarch package, one removed with its
        // configuration left (`rc`), one it has never heard of (no line at all).
        let answer = "libpq-dev ii \nlibsqlite3-dev:amd64 ii \nlibssl-dev rc \n";
        let wanted = [
            "libpq-dev",
            "libsqlite3-dev",
            "libssl-dev",
            "default-libmysqlclient-dev",
        ];
        assert_eq!(
            missing_packages(&wanted, answer),
            ["libssl-dev", "default-libmysqlclient-dev"]
        );
    }

    #[test]
    fn libclang_is_found_by_the_names_clang_sys_loads() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = [dir.path().to_path_buf()];
        std::fs::write(dir.path().join("libclang-14.a"), "").unwrap();
        std::fs::write(dir.path().join("libclangBasic.so"), "").unwrap();
        // Debian's llvm-14 has it beside no libclang (this machine's case).
        std::fs::write(dir.path().join("libclang-cpp.so.14"), "").unwrap();
        assert!(!has_libclang(&dirs));
        std::fs::write(dir.path().join("libclang-14.so.1"), "").unwrap();
        assert!(has_libclang(&dirs));
        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join("libclang.so.16"), "").unwrap();
        assert!(has_libclang(&[other.path().to_path_buf()]));
    }
}
