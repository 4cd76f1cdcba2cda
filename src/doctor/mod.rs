//! Owns `doctor`'s checks: what users trip over in production that can be seen before any build,
//! from the plan, cargo's resolution of each image's build ([`crate::workspace::resolve`]) and
//! the sources ([`tls`] holds the TLS ones). Each finding has a stable code, a severity, the
//! evidence and the fix; the facts behind them are in `FIELD-NOTES.md` (musl's allocator and
//! resolver, jemalloc's page size).

use std::collections::{BTreeMap, BTreeSet};

use camino::Utf8Path;
use serde::Serialize;

mod allocator_feature;
mod programs;
mod smoke_version;
mod tls;

use crate::error::Result;
use crate::pipeline::Planned;
use crate::plan::{ImagePlan, Runtime};
use crate::workspace::LoadOptions;
use crate::workspace::programs_run::programs_run;
use crate::workspace::resolve::{self, BuildQuery};
use crate::workspace::source_files::rust_files;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable, for `--message-format json` consumers and for searching the README.
    pub code: &'static str,
    pub severity: Severity,
    pub image: String,
    pub message: String,
    pub evidence: String,
    pub fix: String,
}

/// Multi-threaded runtimes and allocation-heavy crates where musl's allocator shows.
const ALLOCATION_HEAVY: &[&str] = &["tokio", "rayon", "hyper", "axum", "actix-web", "tonic"];
/// Global allocators that replace musl's.
const ALLOCATORS: &[&str] = &[
    "mimalloc",
    "tikv-jemallocator",
    "jemallocator",
    "snmalloc-rs",
    "rpmalloc",
];
const JEMALLOC_SYS: &[&str] = &["tikv-jemalloc-sys", "jemalloc-sys"];
/// Rust 1.93 moved the musl targets to musl 1.2.5 and its resolver with TCP fallback.
const MUSL_RESOLVER_FIXED: (u64, u64) = (1, 93);

pub fn check(planned: &Planned, load: &LoadOptions) -> Result<Vec<Finding>> {
    let plan = &planned.plan;
    let ws = &planned.workspace;
    let mut load = load.clone();
    load.manifest_path = Some(ws.root_manifest.clone());
    let cargo_env = ws
        .cargo_config
        .as_ref()
        .and_then(|c| std::fs::read_to_string(ws.root.join(c)).ok())
        .unwrap_or_default();
    let mut findings = Vec::new();
    let mut graphs = BTreeMap::new();
    for image in plan.images.iter().filter(|i| i.debug_of.is_none()) {
        let Some(group) = plan.groups.iter().find(|g| g.name == image.group) else {
            continue;
        };
        // Every crate any of the image's platforms links; the workspace's own with the
        // features cargo turns on for them.
        let mut linked = BTreeSet::new();
        let mut local: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut image_query: Option<BuildQuery> = None;
        for gp in group
            .platforms
            .iter()
            .filter(|gp| image.platforms.contains(&gp.platform))
        {
            let query = BuildQuery {
                packages: ws.cargo_specs(&group.packages),
                feature_args: crate::sbom::feature_args(&group.cargo_args),
                triple: gp.triple.clone(),
            };
            if !graphs.contains_key(&query) {
                let graph = resolve::build_graph(&load, &query)?;
                graphs.insert(query.clone(), graph);
            }
            image_query.get_or_insert_with(|| query.clone());
            // The group may build several packages together: keep what this image's package
            // pulls in (the first crate of each chain is the package it was reached from).
            for c in graphs[&query].crates().filter(|c| {
                c.name == image.package || c.via.first().is_some_and(|root| *root == image.package)
            }) {
                linked.insert(c.name.clone());
                if c.local {
                    local
                        .entry(c.name.clone())
                        .or_default()
                        .extend(c.features.iter().cloned());
                }
            }
        }
        let has = |names: &[&'static str]| names.iter().find(|n| linked.contains(**n)).copied();
        if image.runtime == Runtime::Static {
            musl_resolver(plan, image, &mut findings);
            if let (Some(heavy), None) = (has(ALLOCATION_HEAVY), has(ALLOCATORS)) {
                let own = match (ws.package(&image.package), &image_query) {
                    (Some(pkg), Some(query)) => allocator_feature::allocator_feature(
                        ws,
                        &load,
                        pkg,
                        local.get(&image.package).unwrap_or(&BTreeSet::new()),
                        query,
                        ALLOCATORS,
                    )?
                    .map(|feature| (feature, pkg.manifest_path.clone())),
                    _ => None,
                };
                let fix = match own {
                    Some((feature, manifest)) => format!(
                        "turn on `{feature}`, a feature of `{}` that links a global allocator: `features = [\"{feature}\"]` in `[package.metadata.distroless]` of `{manifest}` (or `--features {feature}`)",
                        image.package
                    ),
                    None => "add `mimalloc` and `#[global_allocator] static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;` (or tikv-jemallocator)".into(),
                };
                findings.push(Finding {
                    code: "musl-allocator",
                    severity: Severity::Warning,
                    image: image.name.clone(),
                    message: "a static (musl) build of allocation-heavy, multi-threaded code with musl's own allocator".into(),
                    evidence: format!("`{heavy}` is linked and no global allocator crate is (musl's malloc is slow under contention: fd ran 8.2x slower, leptosfmt about 90x)"),
                    fix,
                });
            }
        }
        let sources: Vec<(String, String)> = ws
            .package(&image.package)
            .map(|p| {
                rust_files(&ws.root.join(&p.dir))
                    .into_iter()
                    .filter_map(|f| Some((f.to_string(), std::fs::read_to_string(&f).ok()?)))
                    .collect()
            })
            .unwrap_or_default();
        let tls_facts = tls::TlsFacts {
            image,
            linked: &linked,
            cargo_config: &cargo_env,
            sources: &sources,
        };
        tls::check(&tls_facts, &mut findings);
        if let Some(sys) = has(JEMALLOC_SYS)
            && image.platforms.iter().any(|p| p == "linux/arm64")
            && !cargo_env.contains("JEMALLOC_SYS_WITH_LG_PAGE")
        {
            findings.push(Finding {
                code: "jemalloc-page-size",
                severity: Severity::Error,
                image: image.name.clone(),
                message: "jemalloc built for linux/arm64 with the build machine's page size".into(),
                evidence: format!("`{sys}` is linked for linux/arm64, and `.cargo/config.toml` does not set `JEMALLOC_SYS_WITH_LG_PAGE`: jemalloc aborts at start on kernels with 16K or 64K pages"),
                fix: "set `JEMALLOC_SYS_WITH_LG_PAGE = \"16\"` under `[env]` in `.cargo/config.toml`: 2^16 = 64 KiB pages, which run on 4K, 16K and 64K kernels alike".into(),
            });
        }
        // The smoke test runs the entrypoint with `--version`: code that never handles it (no
        // literal, no clap/argh/structopt version attribute) will fail it or hang in it.
        if image.smoke_test.as_deref() == Some(&["--version".to_string()][..])
            && let Some(package) = ws.package(&image.package)
            && let Some(evidence) = smoke_version::unanswered(&ws.root, package, &image.entrypoint)
        {
            findings.push(Finding {
                code: "smoke-version",
                severity: Severity::Warning,
                image: image.name.clone(),
                message: format!("the smoke test runs `{} --version`, and the code shows no `--version` handling", image.entrypoint),
                evidence: format!("{evidence}: the probe may start the service (and time out) or fail"),
                fix: format!("handle `--version` (clap: `#[command(version)]`), or set `smoke-test = [\"<args that make it exit 0>\"]` (or `false`) in {}", image.settings_table),
            });
        }
        if programs::has_no_programs(&image.runtime_image) {
            let calls = local.iter().flat_map(|(name, on)| {
                ws.package(name)
                    .map(|p| programs_run(&ws.root.join(&p.dir), on))
                    .unwrap_or_default()
            });
            let missing = programs::missing(calls, image);
            if let Some(first) = missing.first() {
                let mut names: Vec<String> = Vec::new();
                for c in &missing {
                    let name = format!("`{}`", c.program);
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                let shell = missing
                    .iter()
                    .any(|c| matches!(c.program.as_str(), "sh" | "bash" | "/bin/sh" | "/bin/bash"));
                let (file, line, program) = (
                    first.file.strip_prefix(&ws.root).unwrap_or(&first.file),
                    first.line,
                    &first.program,
                );
                let call = match &first.wrapper {
                    Some(wrapper) => format!(
                        "`{wrapper}(\"{program}\", …)`, which runs its argument with `Command::new`"
                    ),
                    None => format!("`Command::new(\"{program}\")`"),
                };
                findings.push(Finding {
                    code: "runtime-program",
                    severity: Severity::Warning,
                    image: image.name.clone(),
                    message: format!("the code runs {}, which the image does not have", names.join(", ")),
                    evidence: format!("{file}:{line}: {call}; a distroless base holds no program but the image's own binaries (no shell, no coreutils), so the call fails at run time with \"No such file or directory\""),
                    fix: if shell {
                        "run the program directly instead of through a shell, or do the work in Rust; a `-debug` variant has busybox's `sh`, for debugging only".into()
                    } else {
                        "do the work in Rust, copy the program (and what it links) into the image with `assets`, or set a `runtime-image` that has it".into()
                    },
                });
            }
        }
        if !image.expose.is_empty()
            && let Some(package) = ws.package(&image.package)
            && let Some((file, line)) = loopback_bind(&ws.root.join(&package.dir))
        {
            findings.push(Finding {
                code: "loopback-bind",
                severity: Severity::Warning,
                image: image.name.clone(),
                message: format!(
                    "the image exposes {}, and the code binds a loopback address",
                    image.expose.join(", ")
                ),
                evidence: format!("{file}:{line}: only connections from inside the container reach a server on 127.0.0.1 or localhost"),
                fix: "bind `0.0.0.0` (or `[::]`), or make the address configurable".into(),
            });
        }
    }
    if let Some((pinned, used)) = crate::workspace::toolchain_fallback() {
        findings.push(Finding {
            code: "toolchain-missing",
            severity: Severity::Warning,
            image: "(workspace)".into(),
            message: format!("the toolchain the workspace pins, `{pinned}`, is not installed here"),
            evidence: format!("rustup has no `{pinned}`; the workspace was read with `{used}` instead. Images built with the Dockerfile are unaffected (the builder has its own Rust); host builds (`--backend oci`) fail"),
            fix: "`rustup toolchain install` in the workspace (it reads the toolchain file)".into(),
        });
    }
    findings.sort_by(|a, b| (a.severity, &a.image, a.code).cmp(&(b.severity, &b.image, b.code)));
    Ok(findings)
}

fn musl_resolver(plan: &crate::plan::Plan, image: &ImagePlan, findings: &mut Vec<Finding>) {
    let Some(version) = plan.rust.version.as_deref() else {
        return;
    };
    let mut parts = version.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if (major, minor) < MUSL_RESOLVER_FIXED {
        findings.push(Finding {
            code: "musl-dns",
            severity: Severity::Warning,
            image: image.name.clone(),
            message: format!("a static (musl) build with Rust {version}"),
            evidence: format!("Rust before 1.93 ships musl's old DNS resolver, with no TCP fallback for truncated answers: large DNS answers (many A records, Kubernetes services) fail to resolve (Rust {version}: {})", plan.rust.reason),
            fix: "build with Rust 1.93 or newer (`rust-version = \"1.93\"` in `[workspace.metadata.distroless]`, or the toolchain file)".into(),
        });
    }
}

/// The first `"127.0.0.1:…"`, `"localhost:…"` or `("127.0.0.1", …)` literal in the package's Rust
/// sources, as `(file, line)`.
fn loopback_bind(dir: &Utf8Path) -> Option<(String, usize)> {
    for file in rust_files(dir) {
        let text = std::fs::read_to_string(&file).ok()?;
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if [
                "\"127.0.0.1:",
                "\"localhost:",
                "(\"127.0.0.1\"",
                "(\"localhost\"",
            ]
            .iter()
            .any(|needle| code.contains(needle))
            {
                return Some((file.to_string(), i + 1));
            }
        }
    }
    None
}
