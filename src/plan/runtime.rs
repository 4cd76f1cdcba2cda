//! Owns the static-or-cc decision for one build: which linked crates bring native code, how
//! each gets its library ([`super::sys_crates`]), and so whether the binary can be a static musl
//! binary or needs glibc and shared libraries at run time. Every verdict keeps its evidence.
//!
//! The rule for crates the table does not know (documented in the README, and warned about by
//! name; the workspace's own crates are judged by it too, without the warning): a linked crate is
//! judged by the build dependencies cargo gives its build script:
//! - it can search for a system library (`pkg-config`, `system-deps`, or a helper library that
//!   depends on one, as `tectonic_dep_support`): taken as *system only*,
//!   so cc, whatever its name (`pcap`, `libxml`). The conservative side: a cc image of a crate
//!   that could have been static still runs, a static build of one that cannot fails. Crates
//!   known to ask pkg-config only where a library is, to `dlopen` it at run time (`x11-dl`,
//!   `wayland-sys` without its linking features), are in [`super::not_linked::RUN_TIME_LOADED`].
//!   A crate whose every search compiles the library it carries where the search fails
//!   (sqlite3-src's `find_library("sqlite3").is_err()`; see `workspace::probe_fallback`) is
//!   *system first*: pkg-config finds nothing for a musl target, so it builds static.
//! - it compiles C (`cc`, `cmake`) and searches nothing: *bundled*, static with a C compiler.
//!   Crates known to use their `cc` (or `bindgen`) only on another OS or behind a feature
//!   (`backtrace` before 0.3.69: Android only) are in [`super::not_linked::IDLE_BUILD_DEPS`].
//! - a `*-sys` crate that does neither but declares `links`, or links a library of its own name
//!   by a literal (`#[link(name = "seccomp")]`; see `workspace::build_script::own_library_links`):
//!   it links a library by name, so *system only*. Other crates use `links` only to stay unique
//!   in a graph or to pass metadata to dependants (`rayon-core`, `aws-lc-rs`): no native code of
//!   their own.
//!
//! C++ never goes static: Debian has no C++ compiler for musl targets, so a crate compiling C++
//! makes the image cc (libstdc++ is in the cc base). An unknown crate compiles C++ when its
//! build script gets `cxx-build`/`cpp_build`, or gets `cc`/`cmake` and ships C++ sources.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::build_programs::{self, Need};
use super::bundled_crates;
use super::judge::{UNKNOWN_PREFIX, each, has_any, judge_known, judge_unknown};
use super::not_linked;
use super::sys_crates::{self, C_BUILD_DEPS, SYSTEM_PROBES, SysKind};
use super::tool_crates;
use crate::config::{PackageSettings, RuntimeChoice};
use crate::error::{Error, Result};
use crate::workspace::resolve::{BuildGraph, Crate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Runtime {
    Static,
    Cc,
}

impl Runtime {
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Static => "static",
            Runtime::Cc => "cc",
        }
    }
}

/// How one linked crate with native code gets it, in this build.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct NativeCrate {
    pub name: String,
    pub version: String,
    pub kind: SysKind,
    /// In this build it links a system library dynamically (so the image is cc).
    pub dynamic: bool,
    /// It compiles C++: the builder gets g++, and the image is cc (no musl C++ compiler).
    pub cxx: bool,
    /// Its bundled build makes no musl binary for another reason than C++, so the image is cc:
    /// what it does, said after its name ([`bundled_crates::gnu_only`]'s `how`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gnu_only: Option<String>,
    /// The library, when it links one from the system (`libssl`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
    /// From the table (true), or from the rule for unknown crates (false).
    pub known: bool,
    /// Why, in words: which feature or build dependency decided it.
    pub evidence: String,
    /// How to make it static, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
    /// Debian `-dev` packages a cc builder installs to link it.
    #[serde(skip)]
    pub dev_packages: Vec<String>,
    /// The crates that pulled it in, from the image's package down.
    pub via: Vec<String>,
    /// Shared libraries it opens with `dlopen` in this build (`libfontconfig.so.1`), which the
    /// binary check carries though no NEEDED entry names them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub opens: Vec<String>,
}

/// What one build's graph needs from the builder and the runtime.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NativeNeeds {
    /// Every linked crate with native code, sorted by name.
    pub crates: Vec<NativeCrate>,
    /// Crates that compile C/C++ into the binary (a C compiler for the target is installed).
    pub compiles_c: Vec<String>,
    /// Builder tools beyond a C compiler (cmake, perl, make).
    pub build_tools: BTreeSet<String>,
    /// `KEY=value` a static build sets so that bundled copies win (`LIBZ_SYS_STATIC=1`).
    pub static_env: BTreeSet<String>,
    /// Crates the table does not know, judged by the documented rule.
    pub unknown: Vec<String>,
    /// `(crate, program)`: a build script of the workspace runs a program that the builder may
    /// lack and that [`build_programs`] cannot map to a package.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_programs: Vec<(String, String)>,
    /// sqlx links with its `macros` feature: its query macros may want a database while
    /// compiling (see [`super::sqlx`]).
    #[serde(skip)]
    pub sqlx_macros: bool,
    /// The version of `rocket` it links, if any: Rocket listens on 127.0.0.1 unless told
    /// otherwise (see [`super::frameworks`]).
    #[serde(skip)]
    pub rocket: Option<String>,
    /// It links a server framework (see [`super::runtime_files::SERVER_FRAMEWORKS`]).
    #[serde(skip)]
    pub serves: bool,
    /// The workspace's own crates (and other path dependencies) in the build, by name, each
    /// with the features cargo turns on for it.
    #[serde(skip)]
    pub local_crates: BTreeMap<String, BTreeSet<String>>,
}

impl NativeCrate {
    /// It links no system library, yet its build cannot make a musl binary.
    pub fn bundled_not_static(&self) -> bool {
        self.cxx || self.gnu_only.is_some()
    }

    /// What keeps its bundled build from a musl binary, in a few words (`builds for gnu targets
    /// only`), for tables and warnings.
    pub fn not_static_in_brief(&self) -> &'static str {
        if self.gnu_only.is_some() {
            "builds for gnu targets only"
        } else {
            "compiles C++"
        }
    }
}

impl NativeNeeds {
    pub fn dynamic(&self) -> impl Iterator<Item = &NativeCrate> {
        self.crates.iter().filter(|c| c.dynamic)
    }
    /// Crates that link no system library but whose build makes no musl binary (C++, or a
    /// bundled build for gnu targets only).
    pub fn bundled_not_static(&self) -> impl Iterator<Item = &NativeCrate> {
        self.crates.iter().filter(|c| c.bundled_not_static())
    }
    /// `-dev` packages a cc build of this graph links against.
    pub fn dev_packages(&self) -> BTreeSet<String> {
        self.dynamic()
            .flat_map(|c| c.dev_packages.iter().cloned())
            .collect()
    }
    pub fn merge(&mut self, other: NativeNeeds) {
        for c in other.crates {
            if !self
                .crates
                .iter()
                .any(|x| x.name == c.name && x.version == c.version)
            {
                self.crates.push(c);
            }
        }
        self.crates.sort();
        self.compiles_c.extend(other.compiles_c);
        self.compiles_c.sort();
        self.compiles_c.dedup();
        self.build_tools.extend(other.build_tools);
        self.static_env.extend(other.static_env);
        self.unknown.extend(other.unknown);
        self.unknown.sort();
        self.unknown.dedup();
        self.unknown_programs.extend(other.unknown_programs);
        self.unknown_programs.sort();
        self.unknown_programs.dedup();
        self.sqlx_macros |= other.sqlx_macros;
        self.rocket = self.rocket.take().or(other.rocket);
        self.serves |= other.serves;
        for (name, features) in other.local_crates {
            self.local_crates.entry(name).or_default().extend(features);
        }
    }
}

/// Looks at every crate linked into one build.
pub fn native_needs(graph: &BuildGraph) -> NativeNeeds {
    let mut needs = NativeNeeds::default();
    for c in graph.crates() {
        if not_linked::links_nothing(&c.name, &c.features).is_some() {
            continue; // it loads its library at run time, or has no part of it on
        }
        let c = &*not_linked::used_build_deps(c, &graph.triple);
        let verdict = match sys_crates::find(&c.name, &c.version) {
            Some(entry) => {
                let v = judge_known(c, entry);
                if !v.dynamic {
                    needs
                        .build_tools
                        .extend(entry.tools.iter().map(|t| t.to_string()));
                    if v.kind == SysKind::SystemFirst {
                        needs
                            .static_env
                            .extend(entry.static_env.iter().map(|e| e.to_string()));
                    }
                }
                Some(v)
            }
            None => {
                let mut v = judge_unknown(c);
                let family = bundled_crates::bundling_family(&c.name);
                match (&mut v, family) {
                    // A grammar of a family known to compile only what it carries: the rule's
                    // verdict, told as known, with no warning.
                    (Some(n), Some(what)) if n.kind == SysKind::Bundled && !c.local => {
                        n.known = true;
                        n.evidence = if n.cxx {
                            format!("{what}, C++ among it")
                        } else {
                            what.to_string()
                        };
                    }
                    (Some(_), _) if !c.local => needs.unknown.push(c.name.clone()),
                    _ => {}
                }
                // Its search runs the pkg-config program, whether or not its module's package
                // is known (one Debian lacks goes in `apt-packages`, and then the search
                // still wants the program): wiremix's builder had neither.
                if v.as_ref().is_some_and(|n| n.dynamic) && has_any(&c.build_deps, SYSTEM_PROBES) {
                    needs.build_tools.insert("pkg-config".to_string());
                }
                v
            }
        };
        let compiles =
            verdict.as_ref().is_some_and(|v| !v.dynamic) || has_any(&c.build_deps, C_BUILD_DEPS);
        if compiles {
            needs.compiles_c.push(c.name.clone());
            // The `cmake` crate runs cmake, known crate or not: rdkafka-sys's `cmake-build`
            // and libz-sys's `zlib-ng` turn it on, and a known crate whose script leaves it
            // unused on Linux (aws-lc-sys) has it taken away by `used_build_deps` above.
            if c.build_deps.contains("cmake") {
                needs.build_tools.insert("cmake".to_string());
            }
        }
        needs
            .build_tools
            .extend(script_tools(c).iter().map(|p| p.to_string()));
        // bindgen in a build script loads libclang at build time.
        if c.build_deps.contains("bindgen") {
            needs.build_tools.insert("libclang-dev".to_string());
        }
        if let Some(v) = verdict {
            needs.crates.push(v);
        }
    }
    needs.build_tools.extend(build_time_tools(graph));
    for c in graph.linked.values().chain(graph.build_time.values()) {
        for program in &c.runs_programs {
            match build_programs::need(program) {
                Need::Present => {}
                Need::Package(package) => {
                    needs.build_tools.insert(package.to_string());
                }
                Need::Unknown => needs
                    .unknown_programs
                    .push((c.name.clone(), program.clone())),
            }
        }
    }
    // The `cmake` crate configures with cmake's default generator, Unix Makefiles, and Debian's
    // cmake only recommends make, which the builder's `--no-install-recommends` leaves out:
    // redlib's boring-sys2 stopped at "CMake was unable to find a build program corresponding
    // to "Unix Makefiles"".
    if needs.build_tools.contains("cmake") {
        needs.build_tools.insert("make".to_string());
    }
    needs.unknown_programs.sort();
    needs.unknown_programs.dedup();
    needs.sqlx_macros = graph
        .linked
        .values()
        .any(|c| c.name == "sqlx" && c.features.contains("macros"));
    for c in graph.crates().filter(|c| c.local) {
        needs
            .local_crates
            .entry(c.name.clone())
            .or_default()
            .extend(c.features.iter().cloned());
    }
    needs.serves = graph
        .crates()
        .any(|c| super::runtime_files::SERVER_FRAMEWORKS.contains(&c.name.as_str()));
    needs.rocket = graph
        .linked
        .values()
        .find(|c| c.name == "rocket")
        .map(|c| c.version.clone());
    needs.crates.sort();
    needs.compiles_c.sort();
    needs.compiles_c.dedup();
    needs.unknown.sort();
    needs.unknown.dedup();
    needs
}

/// What the crates compiled only to run build scripts need in the builder. None of them is in
/// the binary, so the static-or-cc judgement never meets them, but their build fails without
/// it: `openssl-src` (under openssl-sys's `vendored`) runs OpenSSL's Configure with perl and
/// make, prost-build runs protoc, a crate built with the `cmake` crate needs cmake.
fn build_time_tools(graph: &BuildGraph) -> BTreeSet<String> {
    let mut tools = BTreeSet::new();
    let crates = || graph.build_time.values();
    for c in crates() {
        // Compiled for the machine that builds, not for the image's target: the builder's
        // architecture is not known here, and "" stands for any.
        let c = &*not_linked::used_build_deps(c, "");
        // Its bundled build needs its tools; linking the system's library for a program that
        // runs in the builder needs the library's `-dev` package there, whatever the image's
        // runtime (below's build script runs libbpf-cargo, which links libelf).
        // A crate that loads its library at run time, or has no part of it on, links nothing
        // here either: probe-rs-espressif's build script gets hidapi with its Rust backend.
        let links = not_linked::links_nothing(&c.name, &c.features).is_none();
        if let Some(entry) = sys_crates::find(&c.name, &c.version).filter(|_| links) {
            if judge_known(c, entry).dynamic {
                tools.extend(entry.dev_package.map(str::to_string));
            } else {
                tools.extend(entry.tools.iter().map(|t| t.to_string()));
            }
        }
        tools.extend(script_tools(c).iter().map(|t| t.to_string()));
        if c.build_deps.contains("cmake") {
            tools.insert("cmake".to_string());
        }
        if let Some((_, packages)) = tool_crates::TOOL_CRATES.iter().find(|(n, _)| *n == c.name) {
            tools.extend(packages.iter().map(|p| p.to_string()));
        }
    }
    // protobuf-codegen runs protoc unless every script that gets it asks for `.pure()`; one
    // that reaches it some other way (through a crate of its own) is taken to run protoc.
    let codegen_users: Vec<_> = graph
        .linked
        .values()
        .chain(crates())
        .filter(|c| c.build_deps.contains("protobuf-codegen"))
        .collect();
    let codegen_is_pure =
        !codegen_users.is_empty() && codegen_users.iter().all(|c| c.pure_protobuf_codegen);
    let runs_protoc = crates().any(|c| {
        tool_crates::PROTOC_USERS.iter().any(|(name, from)| {
            c.name == *name
                && semver::Version::parse(&c.version).is_ok_and(|v| v >= *from)
                && !(c.name == "protobuf-codegen" && codegen_is_pure)
        })
    });
    let brings_protoc = crates().any(|c| tool_crates::PROTOC_PROVIDERS.contains(&c.name.as_str()));
    if runs_protoc && !brings_protoc {
        tools.insert("protobuf-compiler".to_string());
    }
    tools
}

/// The packages of the programs `c`'s own build script runs from the `PATH` (see
/// [`tool_crates::SCRIPT_TOOLS`]), whether it is linked or built for a build script.
fn script_tools(c: &Crate) -> &'static [&'static str] {
    tool_crates::SCRIPT_TOOLS
        .iter()
        .find(|(name, below, _)| {
            c.name == *name && semver::Version::parse(&c.version).is_ok_and(|v| v < *below)
        })
        .map_or(&[], |(_, _, packages)| *packages)
}

/// One sentence on why the runtime is what it is, naming the crates and the way out.
pub fn auto_reason(needs: &NativeNeeds) -> (Runtime, String) {
    let dynamic: Vec<&NativeCrate> = needs.dynamic().collect();
    let not_static: Vec<&NativeCrate> = needs.bundled_not_static().collect();
    if dynamic.is_empty() && not_static.is_empty() {
        let mut reason = "static: no linked crate needs a system library".to_string();
        let fallback: Vec<String> = needs
            .crates
            .iter()
            .filter(|c| c.kind == SysKind::SystemFirst)
            .map(|c| format!("`{}`", c.name))
            .collect();
        if !fallback.is_empty() {
            reason.push_str(&format!(
                "; {} build{} the bundled copy",
                fallback.join(", "),
                if fallback.len() == 1 { "s" } else { "" }
            ));
        }
        if !needs.compiles_c.is_empty() {
            reason.push_str(&format!(
                "; {} compile{} C into the binary, so the builder gets a musl C compiler",
                list(&needs.compiles_c),
                if needs.compiles_c.len() == 1 { "s" } else { "" }
            ));
        }
        return (Runtime::Static, reason);
    }
    let mut parts: Vec<String> = dynamic
        .iter()
        .map(|d| {
            let how = if d.known { "links" } else { "is taken to link" };
            format!(
                "`{}` {how} {} dynamically; {} for a static image",
                d.name,
                d.library.as_deref().unwrap_or("a system library"),
                d.advice.as_deref().unwrap_or("find a bundled build")
            )
        })
        .collect();
    for c in not_static {
        parts.push(match &c.gnu_only {
            Some(how) => format!("`{}` {how}", c.name),
            None => format!(
                "`{}` compiles C++, and Debian has no C++ compiler for musl targets",
                c.name
            ),
        });
    }
    (Runtime::Cc, format!("cc because {}", parts.join("; ")))
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    quoted.join(", ")
}

pub(super) fn decide_runtime(
    settings: &PackageSettings,
    needs: &NativeNeeds,
    warnings: &mut Vec<String>,
) -> Result<(Runtime, String)> {
    match settings.runtime {
        RuntimeChoice::Auto => Ok(auto_reason(needs)),
        RuntimeChoice::Cc => Ok((
            Runtime::Cc,
            format!("cc because {} says `runtime = \"cc\"`", where_set(settings)),
        )),
        RuntimeChoice::Static | RuntimeChoice::Scratch => {
            let scratch = settings.runtime == RuntimeChoice::Scratch;
            if let Some(d) = needs.dynamic().find(|d| d.known) {
                return Err(Error::input(format!(
                    "{} forces a {} image, but `{}` links {} dynamically",
                    where_set(settings),
                    if scratch {
                        "scratch (static)"
                    } else {
                        "static"
                    },
                    d.name,
                    d.library.as_deref().unwrap_or("a system library")
                ))
                .with_detail(format!("  {} {}: {}", d.name, d.version, d.evidence))
                .with_help(format!(
                    "{} for a static image, or use `runtime = \"cc\"`",
                    d.advice.as_deref().unwrap_or("find a bundled build")
                )));
            }
            for d in needs.dynamic() {
                warnings.push(format!("`{}` is taken to link {} dynamically, but the runtime is forced to static; a build failure at link time, or the binary check after it, means it does", d.name, d.library.as_deref().unwrap_or("a system library")));
            }
            for d in needs.bundled_not_static() {
                warnings.push(match &d.gnu_only {
                    Some(how) => format!("`{}` {how} and the runtime is forced to static, so expect the build to fail", d.name),
                    None => format!("`{}` compiles C++ and the runtime is forced to static: Debian has no C++ compiler for musl targets, so expect the build to fail", d.name),
                });
            }
            Ok((
                Runtime::Static,
                format!(
                    "static because {} says `runtime = \"{}\"`",
                    where_set(settings),
                    if scratch { "scratch" } else { "static" }
                ),
            ))
        }
    }
}

pub(super) fn where_set(settings: &PackageSettings) -> String {
    match &settings.runtime_origin {
        crate::config::Origin::Cli => "`--runtime`".to_string(),
        origin @ (crate::config::Origin::Workspace { manifest }
        | crate::config::Origin::Package { manifest, .. }
        | crate::config::Origin::Bin { manifest, .. }) => {
            format!("`{}` of `{manifest}`", origin.table())
        }
        crate::config::Origin::Default => "the default".to_string(),
    }
}

#[cfg(test)]
#[path = "runtime_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "runtime_table_tests.rs"]
mod table_tests;

#[cfg(test)]
#[path = "builder_tools_tests.rs"]
mod builder_tools_tests;

/// The plan's warnings about one image's needs: crates the table does not know, and programs a
/// build script of the workspace runs that no package is known for (unless the image names
/// packages of its own in `apt-packages`, which is where such a program goes).
pub fn warnings(needs: &NativeNeeds, apt_packages: &[String]) -> Vec<String> {
    let mut warnings = Vec::new();
    // One warning per verdict, not per crate: difftastic's forty tree-sitter grammars all
    // compile C and search for nothing, and forty lines saying so hide the one that matters.
    let mut by_reason: BTreeMap<String, Vec<&NativeCrate>> = BTreeMap::new();
    for name in &needs.unknown {
        if let Some(n) = needs.crates.iter().find(|n| &n.name == name) {
            let reason = n.evidence.trim_start_matches(UNKNOWN_PREFIX);
            by_reason.entry(reason.to_string()).or_default().push(n);
        }
    }
    for (reason, crates) in by_reason {
        let via = |n: &NativeCrate| n.via.join(" -> ");
        warnings.push(match crates.as_slice() {
            [one] => format!(
                "`{}` (pulled in by {}) is not in cargo-distroless's table of native crates: {reason}; the build checks the binary",
                one.name,
                via(one)
            ),
            many => {
                const SHOWN: usize = 6;
                let mut names: Vec<String> =
                    many.iter().take(SHOWN).map(|n| format!("`{}`", n.name)).collect();
                if many.len() > SHOWN {
                    names.push(format!("and {} more", many.len() - SHOWN));
                }
                let pulled = if many.iter().all(|n| n.via == many[0].via) {
                    format!(" (pulled in by {})", via(many[0]))
                } else {
                    String::new()
                };
                format!(
                    "{} crates are not in cargo-distroless's table of native crates: {}{pulled}; {}; the build checks the binary",
                    many.len(),
                    names.join(", "),
                    each(&reason)
                )
            }
        });
    }
    if apt_packages.is_empty() {
        for (krate, program) in &needs.unknown_programs {
            warnings.push(format!(
                "the build script of `{krate}` runs `{program}`, which cargo-distroless cannot map to a Debian package for the builder; if the build fails there for want of it, name its package in `apt-packages`"
            ));
        }
    }
    warnings
}
