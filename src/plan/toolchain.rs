//! Owns the builder: which Rust version (no older than the compiled crates need) and image,
//! paired with the runtime's Debian release, the `cargo build` arguments of a group, and the
//! Debian packages and environment that compile for each platform natively and across
//! architectures.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{
    BuildGroup, Candidate, Facts, GraphSource, GroupPlatform, ImagePlan, Runtime, RustCeilingPlan,
    RustPlan,
};
use crate::config::defaults;
use crate::error::{Error, Result};
use crate::platform::{Platform, triple_env_lower, triple_env_upper};
use crate::workspace::resolve::BuildQuery;
use crate::workspace::rust_ceiling::RustCeiling;
use crate::workspace::rust_floor::{self, RustFloor};
use crate::workspace::{Package, Workspace};

/// What the builder installs and sets to compile for one platform, natively or crossing.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Toolchain {
    /// Debian packages (`name:arch` for target libraries when crossing).
    pub packages: Vec<String>,
    /// `dpkg --add-architecture` is needed for target-architecture libraries.
    pub foreign_arch: bool,
    /// `KEY=value` lines written to the builder's target environment file.
    pub env: Vec<String>,
    /// The linker variable (`CARGO_TARGET_<TRIPLE>_LINKER`) that the builder points at `cc`
    /// with the toolchain's own lld, when that lld links there (see `toolchains`).
    pub rust_lld_linker: Option<String>,
}

pub(super) fn feature_args(ws: &Workspace, c: &Candidate) -> Vec<String> {
    let mut args = Vec::new();
    if c.settings.all_features {
        args.push("--all-features".to_string());
    }
    if c.settings.no_default_features {
        args.push("--no-default-features".to_string());
    }
    if !c.settings.features.is_empty() {
        let qualified: BTreeSet<String> = c
            .settings
            .features
            .iter()
            .map(|f| ws.feature_spec(&c.package, f))
            .collect();
        args.push("--features".to_string());
        args.push(qualified.into_iter().collect::<Vec<_>>().join(","));
    }
    args
}

/// The arguments after `cargo build`; `packages` are the group's packages as cargo's `-p` takes
/// them ([`Workspace::cargo_specs`]).
pub(super) fn cargo_args(group: &BuildGroup, packages: &[String]) -> Vec<String> {
    let mut args = vec![
        "--locked".to_string(),
        "--profile".to_string(),
        group.profile.clone(),
    ];
    // `-p` for each package, always: without it, `cargo build --bin x` in a workspace resolves
    // features across every default member, and a feature that another member turns on (a test
    // crate's `bundled`) would change what this binary links behind the plan's back.
    for p in packages {
        args.push("--package".to_string());
        args.push(p.clone());
    }
    args.extend(group.cargo_args.iter().cloned());
    for b in &group.bins {
        args.push("--bin".to_string());
        args.push(b.clone());
    }
    args
}

pub(super) fn profile_dir(profile: &str) -> String {
    match profile {
        "dev" | "test" => "debug".to_string(),
        "bench" => "release".to_string(),
        other => other.to_string(),
    }
}

pub(super) fn toolchains(
    runtime: Runtime,
    gp: &GroupPlatform,
    host_tools: &BTreeSet<String>,
    target_libs: &BTreeSet<String>,
    build_env: &BTreeSet<String>,
    configures_linker: bool,
) -> (Toolchain, Toolchain) {
    let needs_c = !gp.compiles_c.is_empty();
    let upper = triple_env_upper(&gp.triple);
    let lower = triple_env_lower(&gp.triple);
    let mut native = Toolchain {
        packages: host_tools.iter().cloned().collect(),
        foreign_arch: false,
        env: vec![],
        rust_lld_linker: None,
    };
    let mut cross = Toolchain {
        packages: host_tools.iter().cloned().collect(),
        foreign_arch: false,
        env: vec![],
        rust_lld_linker: None,
    };
    let cross_gcc = format!("{}-gcc", gp.gnu_prefix);
    let platform = Platform::parse(&gp.platform).expect("planned platforms parse");
    match runtime {
        Runtime::Static => {
            // Rust's musl targets link with the system `cc`, that is GNU ld, where the gnu target
            // (x86_64, since Rust 1.90) links with the lld the toolchain ships: every rebuild's
            // link of a static binary took 0.1-0.2 s longer than the same link for glibc
            // (docs/benchmarks.md). So the builder points the linker at `cc` with that lld, when it
            // is there and links; a workspace that chose its own linker keeps it.
            if !configures_linker {
                native.rust_lld_linker = Some(format!("CARGO_TARGET_{upper}_LINKER"));
            }
            if needs_c {
                // musl-gcc wraps the host gcc for the host's own architecture only.
                native.packages.push("musl-tools".to_string());
                native.env.push(format!("CC_{lower}=musl-gcc"));
            }
        }
        Runtime::Cc => {
            native.packages.extend(target_libs.iter().cloned());
        }
    }
    // C++ (cc images only: a crate compiling C++ makes the image cc) needs g++ for the target.
    if !gp.compiles_cxx.is_empty() {
        native.packages.push("g++".to_string());
        cross
            .packages
            .push(platform.cross_gcc_package().replacen("gcc-", "g++-", 1));
        cross.env.push(format!("CXX_{lower}={}-g++", gp.gnu_prefix));
    }
    // Crossing: Debian's cross gcc links (Rust's musl targets bring their own libc and crt
    // objects, so the gnu cross gcc serves as their linker driver too) and compiles C.
    cross.packages.push(platform.cross_gcc_package());
    cross.packages.push(platform.cross_libc_package());
    cross
        .env
        .push(format!("CARGO_TARGET_{upper}_LINKER={cross_gcc}"));
    cross.env.push(format!("CC_{lower}={cross_gcc}"));
    cross.env.push(format!("AR_{lower}={}-ar", gp.gnu_prefix));
    if runtime == Runtime::Cc && !target_libs.is_empty() {
        cross.foreign_arch = true;
        cross.packages.extend(
            target_libs
                .iter()
                .map(|l| format!("{l}:{}", gp.debian_arch)),
        );
        cross.env.push(format!("PKG_CONFIG_ALLOW_CROSS_{lower}=1"));
        cross.env.push(format!(
            "PKG_CONFIG_PATH_{lower}=/usr/lib/{}/pkgconfig",
            gp.gnu_prefix
        ));
    }
    for t in [&mut native, &mut cross] {
        // The crates' own switches that make their bundled copy win over a system library, and
        // sqlx's offline switch.
        t.env.extend(build_env.iter().cloned());
        t.packages.sort();
        t.packages.dedup();
        t.env.insert(0, format!("CARGO_BUILD_TARGET={}", gp.triple));
    }
    (native, cross)
}

/// The Rust versions that can build every image, on every platform: the oldest (the highest of
/// their builds' floors) and the first that cannot (the lowest of their ceilings, a locked crate
/// a newer compiler rejects, see `workspace::rust_ceiling`). The caller read both into each graph.
pub(super) fn rust_bounds(
    ws: &Workspace,
    candidates: &[Candidate],
    graphs: &mut GraphSource,
) -> Result<(Option<RustFloor>, Option<RustCeiling>)> {
    let mut floor: Option<RustFloor> = None;
    let mut ceiling: Option<RustCeiling> = None;
    for c in candidates {
        for p in &c.settings.platforms {
            let graph = graphs(&BuildQuery {
                packages: vec![ws.cargo_spec(&c.package)],
                feature_args: feature_args(ws, c),
                triple: p.musl_triple.unwrap_or(p.gnu_triple).to_string(),
            })?;
            if let Some(f) = graph.rust_floor
                && floor.as_ref().is_none_or(|b| f.version > b.version)
            {
                floor = Some(f);
            }
            if let Some(found) = graph.rust_ceiling
                && ceiling
                    .as_ref()
                    .is_none_or(|l| found.fails_from < l.fails_from)
            {
                ceiling = Some(found);
            }
        }
    }
    Ok((floor, ceiling))
}

pub(super) fn rust_plan(
    ws: &Workspace,
    settings: &crate::config::WorkspaceSettings,
    packages: &[&Package],
    facts: &Facts,
    (floor, ceiling): (Option<&RustFloor>, Option<&RustCeiling>),
    warnings: &mut Vec<String>,
) -> Result<RustPlan> {
    let toolchain_file = ws.toolchain_file.as_ref().map(|t| t.path.clone());
    if let Some(file) = &ws.toolchain_file
        && file.pinned_version().is_none()
        && let Some(channel) = &file.channel
    {
        warnings.push(format!("`{}` names channel `{channel}`, not a version: the builder installs it with rustup at build time", file.path));
    }
    if ws.native_cpu {
        warnings.push(format!(
            "`{}` sets `target-cpu=native`: the binary gets the instructions of whichever machine builds it (a CI runner's AVX-512), and a node without them kills it with SIGILL; name a baseline such as `target-cpu=x86-64-v3` instead",
            ws.cargo_config.as_deref().map(|p| p.as_str()).unwrap_or(".cargo/config.toml")
        ));
    }
    let (version, reason, pin) = if let Some((image, origin)) = &settings.builder_image {
        return Ok(RustPlan {
            version: None,
            builder_image: image.clone(),
            reason: format!("`builder-image` in `{}` of `Cargo.toml`", origin.table()),
            toolchain_file,
            auditable: settings.auditable,
            ceiling: ceiling.map(ceiling_plan),
        });
    } else if let Some((v, _)) = &settings.rust_version {
        let origin = "`rust-version` in `[workspace.metadata.distroless]` of `Cargo.toml`";
        check_pin(
            v,
            origin,
            floor,
            "set `rust-version` in `[workspace.metadata.distroless]` to",
        )?;
        check_pin_below(v, origin, ceiling)?;
        (v.clone(), origin.to_string(), Pin::Setting)
    } else if let Some(v) = ws.toolchain_file.as_ref().and_then(|t| t.pinned_version()) {
        let path = ws
            .toolchain_file
            .as_ref()
            .map(|t| t.path.as_str())
            .unwrap_or_default();
        check_pin(
            v,
            &format!("the channel pinned in `{path}`"),
            floor,
            &format!("pin `channel` in `{path}` to"),
        )?;
        check_pin_below(v, &format!("the channel pinned in `{path}`"), ceiling)?;
        (
            v.to_string(),
            format!("the channel pinned in `{path}`"),
            Pin::ToolchainFile,
        )
    } else if let Some(f) = floor.filter(|f| {
        // Nothing pins a version: the builder gets the oldest Rust that builds everything, when
        // that is newer than what the members declare (their `rust-version` is a floor the lock
        // file may have moved past) or than the cargo running here.
        let declared = packages
            .iter()
            .filter_map(|p| p.rust_version.as_ref())
            .max()
            .map(|v| semver::Version::new(v.major, v.minor, u64::MAX))
            .or_else(|| {
                facts
                    .cargo_version
                    .as_deref()
                    .and_then(|v| semver::Version::parse(v).ok())
            });
        declared.is_none_or(|d| d < f.version)
    }) {
        (
            format!("{}.{}", f.version.major, f.version.minor),
            format!("the oldest that builds every crate it compiles: {}", f.why),
            Pin::None,
        )
    } else if let Some(pkg) = packages
        .iter()
        .filter(|p| p.rust_version.is_some())
        .max_by_key(|p| p.rust_version.clone())
    {
        let v = pkg.rust_version.as_ref().expect("filtered");
        (
            format!("{}.{}", v.major, v.minor),
            format!("`rust-version` of package `{}`", pkg.name),
            Pin::None,
        )
    } else if let Some(v) = &facts.cargo_version {
        (
            v.clone(),
            "the version of the cargo running cargo-distroless (nothing in the workspace pins one)"
                .to_string(),
            Pin::None,
        )
    } else {
        return Err(Error::environment("could not tell which Rust version to build with")
            .with_help("set `rust-version` in `[workspace.metadata.distroless]`, or pin a version in `rust-toolchain.toml`"));
    };
    let (version, reason) = below_ceiling(version, reason, floor, ceiling)?;
    let (version, builder_image, reason) = with_builder_image(version, reason, pin, ceiling)?;
    Ok(RustPlan {
        builder_image,
        version: Some(version),
        reason,
        toolchain_file,
        auditable: settings.auditable,
        ceiling: ceiling.map(ceiling_plan),
    })
}

fn ceiling_plan(c: &RustCeiling) -> RustCeilingPlan {
    RustCeilingPlan {
        fails_from: rust_floor::short(&c.fails_from),
        newest: newest_below(c),
        why: c.why.clone(),
        fix: move_forward(c),
    }
}

/// The last Rust release before `c` fails (`1.79` for `1.80`).
fn newest_below(c: &RustCeiling) -> String {
    format!(
        "{}.{}",
        c.fails_from.major,
        c.fails_from.minor.saturating_sub(1)
    )
}

/// A pinned Rust older than a compiled crate needs fails in the builder minutes in, with cargo's
/// "rustc 1.80.1 is not supported by the following packages": say so before anything is built.
fn check_pin(pin: &str, origin: &str, floor: Option<&RustFloor>, fix: &str) -> Result<()> {
    let Some(f) = floor else {
        return Ok(());
    };
    if rust_floor::pin_satisfies(pin, &f.version) != Some(false) {
        return Ok(());
    }
    let needed = rust_floor::short(&f.version);
    let mut help = format!("{fix} `{needed}` or newer");
    if let Some(dependency) = &f.dependency {
        help.push_str(&format!(
            ", or hold `{dependency}` back to a release that builds with {pin} (`cargo update -p {dependency} --precise <version>`)"
        ));
    }
    Err(Error::input(format!(
        "Rust {pin} ({origin}) cannot build this workspace: {}",
        f.why
    ))
    .with_detail(format!(
        "  the image build would fail in the builder with cargo's \"rustc {pin} is not supported\""
    ))
    .with_help(help))
}

/// A version the workspace does not pin, chosen at or above a ceiling: the newest release below
/// it instead, when that still builds every crate (the floor), else the error that says which
/// crate to move forward.
fn below_ceiling(
    version: String,
    reason: String,
    floor: Option<&RustFloor>,
    ceiling: Option<&RustCeiling>,
) -> Result<(String, String)> {
    let Some(c) = ceiling else {
        return Ok((version, reason));
    };
    if rust_floor::pin_satisfies(&version, &c.fails_from) != Some(true) {
        return Ok((version, reason));
    }
    let newest = newest_below(c);
    let too_old =
        floor.is_some_and(|f| rust_floor::pin_satisfies(&newest, &f.version) != Some(true));
    if too_old || c.fails_from.minor == 0 {
        let floor_why = floor.map(|f| f.why.as_str()).unwrap_or_default();
        return Err(Error::input(format!(
            "no Rust builds this workspace: {}, and {floor_why}",
            c.why
        ))
        .with_help(move_forward(c)));
    }
    Ok((
        newest,
        format!(
            "the newest that builds every crate it compiles: {}; {} lets a current Rust build it",
            c.why,
            move_forward(c)
        ),
    ))
}

/// What chose the builder's Rust, as far as an old version is concerned.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pin {
    /// Nothing pins it: a declared or derived version, a floor the builder may exceed.
    None,
    /// `rust-version` in `[workspace.metadata.distroless]`.
    Setting,
    /// The toolchain file, which the toolchain stage copies in and rustup installs from.
    ToolchainFile,
}

/// The version and the builder image for it: its own `rust:<version>-slim-bookworm`, unless it
/// is older than any such image. Then an unpinned version (a member's `rust-version = "1.60"`)
/// is raised to the oldest that has one, since a declared version is a floor (below a ceiling
/// that leaves none, the error names the crate to move forward); a toolchain file's pin runs on
/// the oldest image, whose rustup installs the pin from the copied file (as for a channel name);
/// a `rust-version` setting that old has no file to install from, and is an error rather than a
/// tag that does not exist.
fn with_builder_image(
    version: String,
    reason: String,
    pin: Pin,
    ceiling: Option<&RustCeiling>,
) -> Result<(String, String, String)> {
    let (major, minor) = defaults::OLDEST_BUILDER_RUST;
    let oldest = semver::Version::new(major, minor, 0);
    if rust_floor::pin_satisfies(&version, &oldest) != Some(false) {
        let image = defaults::builder_image(&version);
        return Ok((version, image, reason));
    }
    let debian = defaults::DEBIAN_CODENAME;
    let image = defaults::builder_image(&format!("{major}.{minor}"));
    match pin {
        Pin::None => {
            if let Some(c) = ceiling
                && c.fails_from <= oldest
            {
                return Err(Error::input(format!(
                    "no builder image can build this workspace: {}, and the oldest `rust:<version>-slim-{debian}` image is Rust {major}.{minor}",
                    c.why
                ))
                .with_help(move_forward(c)));
            }
            Ok((
                format!("{major}.{minor}"),
                image,
                format!(
                    "{reason} ({version}), raised to {major}.{minor}: the oldest Rust with a `rust:<version>-slim-{debian}` image"
                ),
            ))
        }
        Pin::Setting => Err(Error::input(format!(
            "no `rust:{version}-slim-{debian}` image exists for `rust-version = \"{version}\"` in `[workspace.metadata.distroless]` of `Cargo.toml`: the oldest is `{image}`"
        ))
        .with_help(format!(
            "set `rust-version` to \"{major}.{minor}\" or newer, or pin `{version}` in `rust-toolchain.toml` instead: the builder then installs it with rustup in `{image}`"
        ))),
        Pin::ToolchainFile => {
            let reason = format!(
                "{reason}, installed by rustup in `{image}`: no `rust:{version}-slim-{debian}` image exists"
            );
            Ok((version, image, reason))
        }
    }
}

/// A pinned Rust at or above a ceiling fails in the builder minutes in: say so first.
fn check_pin_below(pin: &str, origin: &str, ceiling: Option<&RustCeiling>) -> Result<()> {
    let Some(c) = ceiling else {
        return Ok(());
    };
    if rust_floor::pin_satisfies(pin, &c.fails_from) != Some(true) {
        return Ok(());
    }
    Err(Error::input(format!(
        "Rust {pin} ({origin}) cannot build this workspace: {}",
        c.why
    ))
    .with_help(format!(
        "{}, or pin Rust {} or older",
        move_forward(c),
        newest_below(c)
    )))
}

fn move_forward(c: &RustCeiling) -> String {
    format!(
        "`cargo update -p {} --precise {}` (the first release that compiles with newer Rust)",
        c.dependency, c.fixed_in
    )
}

/// Debian releases a builder tag can name: (codename, distroless's name for it), in the order a
/// tag is matched against them.
const DEBIAN_RELEASES: &[(&str, &str)] = &[
    ("bookworm", "debian12"),
    ("trixie", "debian13"),
    ("bullseye", "debian11"),
];

/// The Debian release a builder image's tag names (`rust:1.95-slim-trixie`), if it names one.
fn builder_release(builder: &str) -> Option<(&'static str, &'static str)> {
    let tag = builder.rsplit_once(':').map(|(_, t)| t).unwrap_or("latest");
    DEBIAN_RELEASES
        .iter()
        .copied()
        .find(|(codename, _)| tag.contains(codename))
}

/// The Debian release a builder image is built on, by its tag, or the default release when the
/// tag does not say.
pub fn debian_codename(builder: &str) -> &'static str {
    builder_release(builder)
        .map(|(codename, _)| codename)
        .unwrap_or(crate::config::defaults::DEBIAN_CODENAME)
}

/// The most reported failure in this field: a glibc binary built on Debian 13 (`rust:1`, glibc
/// 2.41) and run on a Debian 12 base fails at start. A musl binary does not care.
pub(super) fn check_debian_pairing(builder: &str, images: &[ImagePlan]) -> Result<()> {
    let builder_release = builder_release(builder).map(|(_, distroless)| distroless);
    for image in images.iter().filter(|i| i.runtime == Runtime::Cc) {
        let runtime_release = ["debian11", "debian12", "debian13"]
            .into_iter()
            .find(|r| image.runtime_image.contains(r));
        let ok = matches!((builder_release, runtime_release), (Some(b), Some(r)) if b == r)
            || (runtime_release.is_none() && builder_release.is_some());
        if !ok {
            let suggestion = match runtime_release {
                Some("debian11") => "a `-slim-bullseye` builder",
                Some("debian13") => "a `-slim-trixie` builder",
                _ => "a `-slim-bookworm` builder such as `rust:1.82-slim-bookworm`",
            };
            return Err(Error::input(format!(
                "builder image `{builder}` and runtime image `{}` of image `{}` are not the same Debian release",
                image.runtime_image, image.name
            ))
            .with_detail("  a glibc binary built on a newer Debian than its runtime fails at start (`GLIBC_2.xx not found`)")
            .with_help(format!("use {suggestion}; tags without a codename (`rust:1`, `rust:1.82`) follow the newest Debian")));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "toolchain_tests.rs"]
mod tests;
