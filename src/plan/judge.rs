//! Owns the verdict on one linked crate with native code: how it gets its library in this build
//! (bundled, from the system, or not at all), from the table in [`super::sys_crates`] where the
//! crate is known and from the documented rule for unknown crates (see [`super::runtime`]), each
//! with the evidence and the advice a user reads in the plan.

use std::collections::BTreeSet;

use super::pkg_config;
use super::runtime::NativeCrate;
use super::sys_crates::{self, C_BUILD_DEPS, CXX_BUILD_DEPS, SYSTEM_PROBES, SysKind};
use super::tool_crates;
use crate::workspace::resolve::Crate;

pub(super) fn has_any(set: &BTreeSet<String>, names: &[&str]) -> bool {
    names.iter().any(|n| set.contains(*n))
}

pub(super) fn judge_known(c: &Crate, entry: &sys_crates::SysCrate) -> NativeCrate {
    let on = |fs: &[&'static str]| fs.iter().find(|f| c.features.contains(**f)).copied();
    let dep = entry
        .bundled_build_deps
        .iter()
        .find(|d| c.build_deps.contains(**d))
        .copied();
    // Known once, here: the plan's reason, its table and its warnings read it from the verdict.
    let gnu_only = super::bundled_crates::gnu_only(&c.name);
    let (kind, evidence) = if let Some(f) = on(entry.system_features) {
        (
            SysKind::SystemOnly,
            format!("feature `{f}` makes it use the system {}", entry.library),
        )
    } else if let Some(f) = on(entry.bundled_features) {
        (
            SysKind::Bundled,
            format!("feature `{f}` makes it compile its own copy"),
        )
    } else if let Some(d) = dep {
        (
            SysKind::Bundled,
            format!("it builds with `{d}`, its own copy"),
        )
    } else {
        let why = match entry.default {
            SysKind::SystemOnly => format!(
                "without {} it links the system {}",
                feature_list(entry.bundled_features),
                entry.library
            ),
            SysKind::SystemFirst => format!(
                "looks for a system {} with pkg-config first and compiles its bundled copy where none is found: on a musl target, or in a builder without its `-dev` package",
                entry.library
            ),
            SysKind::Bundled => gnu_only
                .map_or("its build script always compiles what it carries", |g| {
                    g.how
                })
                .to_string(),
        };
        (entry.default, why)
    };
    let dynamic = kind == SysKind::SystemOnly;
    let cxx_with_feature = sys_crates::cxx_with_feature(&c.name, &c.features).filter(|_| !dynamic);
    let evidence = match cxx_with_feature {
        Some(what) => format!("{evidence}; {what}"),
        None => evidence,
    };
    NativeCrate {
        name: c.name.clone(),
        version: c.version.clone(),
        kind,
        dynamic,
        cxx: !dynamic && (entry.cxx || cxx_with_feature.is_some()),
        // Its bundled build's limit, which a system build (`use-system-libs`) does not have.
        gnu_only: gnu_only
            .filter(|_| kind == SysKind::Bundled)
            .map(|g| g.how.to_string()),
        library: (!entry.library.is_empty()).then(|| entry.library.to_string()),
        known: true,
        // The table was written from one version's build script; say which when this build
        // locks another, so that the two numbers side by side do not read as a mismatch.
        evidence: if c.version == entry.read {
            format!("{evidence} (build script of {} read)", entry.read)
        } else {
            format!(
                "{evidence} (build script of {} read; taken to hold for the locked {})",
                entry.read, c.version
            )
        },
        advice: dynamic.then(|| entry.advice.to_string()),
        dev_packages: entry.dev_package.map(str::to_string).into_iter().collect(),
        via: c.via.clone(),
        opens: Vec::new(),
    }
}

/// The system library an unknown crate is taken to link, for the plan's reason: what its
/// `links` key declares; else what the first (by name) pkg-config module it searches for names (the
/// Debian `-dev` package's stem, `libxml-2.0` → libxml2, as the binary's NEEDED entry will);
/// else the library of its own name it links (`vapoursynth`); else the crate's own name (syscallz
/// searches for `libseccomp`, not a "libsyscallz").
fn library_name(c: &Crate) -> String {
    let stem = match (&c.links, c.pkg_config_modules.first()) {
        (Some(links), _) => links.clone(),
        (None, Some(module)) => match pkg_config::dev_package(module) {
            Some(package) => package.trim_end_matches("-dev").to_string(),
            None => module.clone(),
        },
        (None, None) => match c.own_libraries.iter().next() {
            Some(own) => own.clone(),
            None => c
                .name
                .trim_end_matches("-sys")
                .trim_end_matches("_sys")
                .to_string(),
        },
    };
    if stem.starts_with("lib") {
        stem
    } else {
        format!("lib{stem}")
    }
}

fn feature_list(features: &[&str]) -> String {
    match features {
        [] => "a bundled build (it has none)".to_string(),
        [one] => format!("feature `{one}`"),
        many => format!(
            "any of features {}",
            many.iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A reason said of one crate (`it compiles C`), said of each of several.
pub(super) fn each(reason: &str) -> String {
    if let Some(rest) = reason.strip_prefix("its ") {
        format!("each one's {rest}")
    } else if let Some(rest) = reason.strip_prefix("it ") {
        format!("each {rest}")
    } else {
        format!("each: {reason}")
    }
}

/// The Debian package of a library-finding program such as `llvm-config`, as crate `c`'s build
/// script runs it. llvm-sys N wants LLVM N/10 exactly (`llvm-config-19` for 191), which
/// `llvm-dev` (Debian 12's LLVM 14) is not: its own versioned package, or none where Debian 12
/// has no such LLVM (bpf-linker 0.13's llvm-sys 231 wants LLVM 23).
fn config_program_package(c: &Crate, program: &str) -> Option<String> {
    if program == "llvm-config" && c.name == "llvm-sys" {
        let llvm = semver::Version::parse(&c.version).ok()?.major / 10;
        return DEBIAN_12_LLVM
            .contains(&llvm)
            .then(|| format!("llvm-{llvm}-dev"));
    }
    crate::workspace::library_search::LIBRARY_CONFIG_PROGRAMS
        .iter()
        .find(|(p, _)| *p == program)
        .map(|(_, package)| package.to_string())
}

/// The LLVM versions Debian 12 packages (`llvm-N-dev`).
const DEBIAN_12_LLVM: &[u64] = &[13, 14, 15, 16, 19];

/// How the evidence about a crate the table does not know begins.
pub(super) const UNKNOWN_PREFIX: &str = "not in cargo-distroless's table; ";

/// The documented rule for crates the table does not know, the workspace's own among them; `None`
/// when it brings no native code.
pub(super) fn judge_unknown(c: &Crate) -> Option<NativeCrate> {
    let compiles_c = has_any(&c.build_deps, C_BUILD_DEPS);
    // The C library's sources packaged as a crate (`lua-src`, `luajit-src`: the `*-src`
    // convention openssl-src started) among the build dependencies it actually gets: it compiles
    // that library, and `compiles_cxx` has read that crate's code too (`zeromq-src`: C++).
    let sources: Vec<String> = c
        .build_deps
        .iter()
        .filter(|d| tool_crates::is_library_source(d))
        .map(|d| format!("`{d}`"))
        .collect();
    let cxx = has_any(&c.build_deps, CXX_BUILD_DEPS)
        || ((compiles_c || !sources.is_empty()) && c.compiles_cxx);
    let probes = SYSTEM_PROBES
        .iter()
        .find(|p| c.build_deps.contains(**p))
        .copied();
    let config_program = c.config_programs.iter().next();
    let is_sys = c.links.is_some() || c.is_sys_named() || config_program.is_some();
    // A search for a system library counts on any crate, not only on `-sys` ones: `pcap` and
    // `libxml` link libpcap and libxml2 found with pkg-config, with no `links` key.
    if !(is_sys || compiles_c || cxx || probes.is_some() || !c.own_libraries.is_empty()) {
        return None;
    }
    // A member's build script is judged by the same rule: one compiling C++ or finding a
    // system library makes the image cc just the same. Only the words differ.
    let whose = if c.local {
        "a crate of this workspace"
    } else {
        UNKNOWN_PREFIX.trim_end_matches("; ")
    };
    let library = library_name(c);
    // The modules it searches for name the library, and the Debian package a cc builder needs
    // for its headers and `.pc` file.
    let modules: Vec<String> = c
        .pkg_config_modules
        .iter()
        .map(|m| match pkg_config::dev_package(m) {
            Some(package) => format!("`{m}`, Debian's `{package}`"),
            None => format!("`{m}`, whose Debian package goes in `apt-packages`"),
        })
        .collect();
    let dev_packages: Vec<String> = c
        .pkg_config_modules
        .iter()
        .filter_map(|m| pkg_config::dev_package(m))
        .map(str::to_string)
        .chain(
            c.config_programs
                .iter()
                .filter_map(|p| config_program_package(c, p)),
        )
        .chain(
            c.own_libraries
                .iter()
                .filter_map(|l| pkg_config::linked_library_package(l))
                .map(str::to_string),
        )
        .collect();
    // A source crate among its build dependencies, or its own `vendored`/`bundled` feature on:
    // it compiles the library it would otherwise search for. mlua-sys 0.13 with `vendored` (mise
    // 2026.10) builds Lua and calls pkg-config never.
    let vendoring = ["vendored", "bundled"]
        .into_iter()
        .find(|f| c.features.contains(*f));
    let linked_by_name = c.own_libraries.first().filter(|_| c.local);
    let (kind, evidence) = if vendoring.is_some() || !sources.is_empty() {
        let how = match (vendoring, sources.is_empty()) {
            (Some(f), true) => format!("feature `{f}` is on"),
            (Some(f), false) => format!(
                "feature `{f}` is on and its build script gets {}",
                sources.join(", ")
            ),
            (None, _) => format!("its build script gets {}", sources.join(", ")),
        };
        let how = if cxx {
            format!("{how}, whose build compiles C++")
        } else {
            how
        };
        (
            SysKind::Bundled,
            format!("{whose}; {how}, so it is taken to compile its own copy of the library"),
        )
    } else if let Some(p) = probes.filter(|_| c.probe_falls_back && (compiles_c || cxx)) {
        // sqlite3-src 0.4 compiles SQLite where `find_library("sqlite3")` fails, as pkg-config
        // does on a musl target: system first, bundled fallback, as the table's crates.
        (
            SysKind::SystemFirst,
            format!(
                "{whose}; its build script searches for a system library with `{p}`{} and compiles its bundled copy where none is found: on a musl target, or in a builder without its `-dev` package",
                if c.pkg_config_modules.is_empty() {
                    String::new()
                } else {
                    let modules: Vec<String> = c
                        .pkg_config_modules
                        .iter()
                        .map(|m| format!("`{m}`"))
                        .collect();
                    format!(" ({})", modules.join(", "))
                }
            ),
        )
    } else if let Some(p) = probes {
        (
            SysKind::SystemOnly,
            format!(
                "{whose}; its build script can search for a system library with `{p}`{}{}, so it is taken to link one",
                match &c.probe_helper {
                    Some((helper, _)) => format!(" through `{helper}`"),
                    None => String::new(),
                },
                if modules.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", modules.join("; "))
                }
            ),
        )
    } else if let Some(program) = config_program {
        (
            SysKind::SystemOnly,
            format!(
                "{whose}; its build script runs `{program}` to find a system library{}, so it is taken to link one",
                match config_program_package(c, program) {
                    Some(p) => format!(" (Debian's `{p}`)"),
                    None if c.name == "llvm-sys" => format!(
                        " (LLVM {}, which Debian 12 does not package: the builder has no LLVM it takes, so choose one of 13–16 or 19 where the crate offers it)",
                        semver::Version::parse(&c.version).map_or(0, |v| v.major / 10)
                    ),
                    None => String::new(),
                }
            ),
        )
    } else if let Some(own) = linked_by_name {
        // The workspace's own code linking a library by name links it, whatever else its
        // build script compiles (sudo-rs's `#[link(name = "pam")]`).
        (
            SysKind::SystemOnly,
            format!(
                "{whose}; it links `{own}` by name (`#[link(name = \"{own}\")]` or `rustc-link-lib={own}`){}, so it links a system library",
                match pkg_config::linked_library_package(own) {
                    Some(p) => format!(" (Debian's `{p}`)"),
                    None => ", whose Debian package goes in `apt-packages`".to_string(),
                }
            ),
        )
    } else if compiles_c || cxx {
        (
            SysKind::Bundled,
            if cxx {
                format!(
                    "{whose}; it compiles its bundled sources, C++ among them, and searches for no system library"
                )
            } else {
                format!("{whose}; it compiles C and searches for no system library")
            },
        )
    } else if c.links.is_some() && c.is_sys_named() {
        (
            SysKind::SystemOnly,
            format!(
                "{whose}; it declares `links = \"{}\"` and compiles nothing, so it is taken to link a system library",
                c.links.as_deref().unwrap_or_default()
            ),
        )
    } else if let Some(own) = c.own_libraries.iter().next() {
        (
            SysKind::SystemOnly,
            format!(
                "{whose}; it links `{own}` by name and compiles nothing, so it is taken to link a system library"
            ),
        )
    } else {
        return None; // a `-sys` crate of declarations only (linux-raw-sys, windows-sys…)
    };
    let dynamic = kind == SysKind::SystemOnly;
    Some(NativeCrate {
        name: c.name.clone(),
        version: c.version.clone(),
        kind,
        dynamic,
        cxx: !dynamic && cxx,
        gnu_only: None,
        library: dynamic.then_some(library),
        known: false,
        evidence,
        advice: dynamic.then(|| if let (Some(own), None, None) = (linked_by_name, probes, config_program) {
            format!("link `{own}` statically (`kind = \"static\"`, with its static library in the builder), or drop it")
        } else if c.local {
            format!("build the library from source in `{}`'s build script (or set `runtime = \"static\"` to try: the build checks the binary)", c.name)
        } else {
            format!("check whether `{}` has a feature that builds its library from source; if so, enable it (or set `runtime = \"static\"` to try: the build checks the binary)", c.name)
        }),
        dev_packages,
        via: c.via.clone(),
        // A library it opens with dlopen is needed at run time only where it is not static.
        opens: if dynamic {
            c.opens_libraries.iter().cloned().collect()
        } else {
            Vec::new()
        },
    })
}
