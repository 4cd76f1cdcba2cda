//! Owns what the builder must have for the programs the workspace's own build scripts run
//! (`Command::new("git")`, read by `workspace::build_script`) and the linkers its
//! `.cargo/config.toml` names (`workspace::link_config`): the Debian package that provides
//! each program a `rust:*-slim` builder lacks, and which programs it already has.

/// Program → the Debian (bookworm) package that provides it. The oci backend looks for the same
/// programs on `PATH` before compiling.
pub const PACKAGES: &[(&str, &str)] = &[
    ("git", "git"),
    ("protoc", "protobuf-compiler"),
    ("make", "make"),
    ("cmake", "cmake"),
    ("ninja", "ninja-build"),
    ("perl", "perl"),
    ("python3", "python3"),
    ("python", "python-is-python3"),
    ("node", "nodejs"),
    ("npm", "npm"),
    ("c++", "g++"),
    ("g++", "g++"),
    ("clang", "clang"),
    // Linkers a `.cargo/config.toml` chooses (`-fuse-ld=lld`, `-fuse-ld=mold`).
    ("ld.lld", "lld"),
    ("lld", "lld"),
    ("mold", "mold"),
    ("ld.mold", "mold"),
    ("pkg-config", "pkg-config"),
    ("flatc", "flatbuffers-compiler"),
    ("capnp", "capnproto"),
    ("m4", "m4"),
    ("curl", "curl"),
    ("wget", "wget"),
    ("unzip", "unzip"),
    ("zip", "zip"),
    ("xxd", "xxd"),
    ("nasm", "nasm"),
    ("yasm", "yasm"),
    ("bison", "bison"),
    ("flex", "flex"),
    ("gperf", "gperf"),
    ("patch", "patch"),
    ("autoreconf", "autoconf"),
    ("go", "golang-go"),
    // Documentation and translations a build script makes: meli's `cli-docs` (on by default)
    // renders its manual pages with `mandoc`, or `man -l`; ripasso-cursive compiles its `.po`
    // files with `msgfmt`.
    ("mandoc", "mandoc"),
    ("man", "man-db"),
    ("msgfmt", "gettext"),
    ("xgettext", "gettext"),
    ("scdoc", "scdoc"),
    ("help2man", "help2man"),
    ("pandoc", "pandoc"),
    ("asciidoctor", "asciidoctor"),
    ("glib-compile-resources", "libglib2.0-dev-bin"),
    ("wayland-scanner", "libwayland-bin"),
];

/// Programs every `rust:*-slim` builder has: the toolchain, its C compiler and binutils, and
/// what Debian's minimal system carries. A build script that runs one needs nothing installed.
const IN_BUILDER: &[&str] = &[
    "cargo",
    "rustc",
    "rustup",
    "rustdoc",
    "cc",
    "gcc",
    "cpp",
    "ld",
    "ld.bfd",
    "ld.gold",
    "ar",
    "as",
    "nm",
    "objcopy",
    "strip",
    "ranlib",
    "sh",
    "bash",
    "env",
    "echo",
    "cat",
    "cp",
    "mv",
    "rm",
    "mkdir",
    "ln",
    "ls",
    "touch",
    "chmod",
    "sed",
    "grep",
    "find",
    "xargs",
    "tar",
    "gzip",
    "uname",
    "date",
    "test",
    "true",
    "false",
    "readlink",
    "realpath",
    "sort",
    "head",
    "tail",
    "tr",
    "cut",
    "wc",
    "install",
    "id",
    "hostname",
    "whoami",
    "dirname",
    "basename",
    "pwd",
    "sha256sum",
    "md5sum",
];

/// Programs only another OS has (macOS's `xcrun`, Windows's `cmd`): a build script can run one
/// only behind a `cfg` or a target check, so on a Linux builder it never does.
const OTHER_OS: &[&str] = &[
    "xcrun",
    "xcodebuild",
    // Swift has Linux builds, but a Rust build script runs it for Apple frameworks (mise 2026.10
    // compiles a Secure Enclave helper with it when the target is macOS).
    "swiftc",
    "plutil",
    "actool",
    "ibtool",
    "sw_vers",
    "lipo",
    "codesign",
    "security",
    "install_name_tool",
    "otool",
    "cmd",
    "cmd.exe",
    "powershell",
    "powershell.exe",
    "pwsh",
    "reg",
    "where",
    "vswhere",
    "vswhere.exe",
    "cl",
    "cl.exe",
    "lib.exe",
    "link.exe",
    "msbuild",
    "rc.exe",
    "windres",
];

/// What the builder needs for one program a build script runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// Nothing: the builder image has it, or only another OS does (never run on Linux).
    Present,
    /// This Debian package.
    Package(&'static str),
    /// A program this table does not know: the user names its package in `apt-packages`.
    Unknown,
}

/// Whether only another OS has the program (a build script or a binary runs it behind a `cfg`).
pub fn only_on_another_os(program: &str) -> bool {
    OTHER_OS.contains(&program)
}

pub fn need(program: &str) -> Need {
    if IN_BUILDER.contains(&program) || OTHER_OS.contains(&program) {
        return Need::Present;
    }
    match PACKAGES.iter().find(|(p, _)| *p == program) {
        Some((_, package)) => Need::Package(package),
        None => Need::Unknown,
    }
}

/// The Debian packages for the linkers `.cargo/config.toml` names for `triple`, with a warning for
/// each program no package is known for (a path to a private linker, a versioned `clang-17`).
pub fn link_packages(
    ws: &crate::workspace::Workspace,
    triple: &str,
    packages: &[String],
    warnings: &mut Vec<String>,
) -> Vec<String> {
    let config = ws
        .cargo_config
        .as_ref()
        .map(|p| p.as_str())
        .unwrap_or(".cargo/config.toml");
    let mut found = Vec::new();
    for program in crate::workspace::link_config::for_triple(&ws.link_programs, triple) {
        match need(&program) {
            Need::Present => {}
            Need::Package(package) => found.push(package.to_string()),
            Need::Unknown => warnings.push(format!(
                "`{config}` links {} for `{triple}` with `{program}`, which cargo-distroless cannot map to a Debian package for the builder; if the build fails there for want of it, name its package in `apt-packages`",
                packages.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
            )),
        }
    }
    found
}

/// The programs that provide a package, for the oci backend's look on `PATH`.
pub fn programs_of(package: &str) -> impl Iterator<Item = &'static str> + '_ {
    PACKAGES
        .iter()
        .filter(move |(_, p)| *p == package)
        .map(|(program, _)| *program)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_map_to_packages_or_to_the_builder() {
        assert_eq!(need("git"), Need::Package("git"));
        assert_eq!(need("protoc"), Need::Package("protobuf-compiler"));
        // meli 0.9's and ripasso-cursive 0.8's build scripts.
        assert_eq!(need("mandoc"), Need::Package("mandoc"));
        assert_eq!(need("man"), Need::Package("man-db"));
        assert_eq!(need("msgfmt"), Need::Package("gettext"));
        assert_eq!(need("cc"), Need::Present);
        assert_eq!(need("bash"), Need::Present);
        assert_eq!(need("bazel"), Need::Unknown);
        // winres-style scripts run `rc.exe` only when targeting Windows.
        assert_eq!(need("xcrun"), Need::Present);
        assert_eq!(need("swiftc"), Need::Present);
        assert_eq!(need("rc.exe"), Need::Present);
        assert_eq!(programs_of("g++").collect::<Vec<_>>(), ["c++", "g++"]);
    }
}
