//! Owns the order of the pipeline: workspace -> config -> plan -> rendered files. Commands call
//! these functions; each step is a plain value the next one reads.

use std::collections::{BTreeMap, BTreeSet};

use camino::Utf8PathBuf;

use crate::config::{Config, Layer};
use crate::error::Result;
use crate::files::{GeneratedFile, Ownership};
use crate::plan::{self, Facts, Plan, Selection};
use crate::workspace::resolve::{self, BuildGraph, BuildQuery};
use crate::workspace::{self, LoadOptions, PackageFacts, Workspace};
use crate::{manifest_edit, render};

/// Everything a command says about what to plan.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub load: LoadOptions,
    pub selection: Selection,
    /// The CLI configuration layer (the top of the stack).
    pub cli: Layer,
    /// Ask whether a Docker engine answers (for `backend = "auto"`): commands that execute or
    /// show the plan do; `init` and `dockerfile` do not.
    pub probe_engine: bool,
}

#[derive(Debug, Clone)]
pub struct Planned {
    pub workspace: Workspace,
    pub plan: Plan,
}

pub fn plan(request: &Request) -> Result<Planned> {
    plan_workspace(Workspace::load(&request.load)?, request)
}

/// [`plan`] for a workspace already loaded (a command may check it first).
pub fn plan_workspace(ws: Workspace, request: &Request) -> Result<Planned> {
    let config = Config::load(&ws, request.cli.clone())?;
    let selected = plan::select(&ws, &config, &request.selection)?;
    ws.require_lockfile()?;
    let auto = config.workspace_settings()?.backend.0 == crate::config::BackendChoice::Auto;
    let facts = Facts {
        // `cargo --version` is the last fallback for the Rust version: skip the process when
        // the toolchain file pins one (it wins over the packages' `rust-version` too).
        cargo_version: if ws
            .toolchain_file
            .as_ref()
            .and_then(|t| t.pinned_version())
            .is_some()
        {
            None
        } else {
            workspace::cargo_version(&ws.root)
        },
        git_sha: workspace::git_sha(&ws.root),
        engine: if request.probe_engine && auto {
            crate::backend::buildx::probe()
        } else {
            crate::backend::EngineProbe::NotAsked
        },
    };
    let mut graphs = CargoGraphs::new(&ws, &request.load);
    let mut source = |q: &BuildQuery| graphs.graph(q);
    let mut plan = plan::plan(&ws, &config, selected.candidates, &mut source, &facts)?;
    plan.warnings.extend(selected.warnings);
    if let Some((pinned, used)) = workspace::toolchain_fallback() {
        plan.warnings.push(format!("the toolchain the workspace pins, `{pinned}`, is not installed here: it was read with `{used}` instead (the builder image has its own Rust; for host builds with `--backend oci`, run `rustup toolchain install`)"));
    }
    plan.warnings.sort();
    plan.warnings.dedup();
    Ok(Planned {
        workspace: ws,
        plan,
    })
}

/// Asks cargo what each build links, once per distinct build: `cargo tree` per query, and one
/// `cargo metadata` for what the tree does not print (`links`, source directories, each package's
/// `rust-version` and edition), and a second, flat `cargo tree` per query for every package the
/// build compiles, proc-macros included: the oldest Rust that builds it (see
/// `workspace::rust_floor`). All of it is remembered between runs (`workspace::tree_cache`).
struct CargoGraphs<'a> {
    ws: &'a Workspace,
    load: LoadOptions,
    facts: Option<BTreeMap<String, PackageFacts>>,
    seen: BTreeMap<BuildQuery, BuildGraph>,
}

impl<'a> CargoGraphs<'a> {
    fn new(ws: &'a Workspace, load: &LoadOptions) -> Self {
        let mut load = load.clone();
        load.manifest_path = Some(ws.root_manifest.clone());
        CargoGraphs {
            ws,
            load,
            facts: None,
            seen: BTreeMap::new(),
        }
    }

    fn graph(&mut self, query: &BuildQuery) -> Result<BuildGraph> {
        if let Some(g) = self.seen.get(query) {
            return Ok(g.clone());
        }
        let mut graph = workspace::tree_cache::build_graph(self.ws, &self.load, query)?;
        graph.triple = query.triple.clone();
        // Only crates the table does not know are judged by the rule that reads these facts:
        // `-sys` crates (their `links`), crates that compile C (C++ sources or not) and crates
        // that search for a library (the pkg-config modules), the workspace's own included.
        let unknown = |c: &resolve::Crate| {
            let reads = |deps: &[&str]| deps.iter().any(|d| c.build_deps.contains(*d));
            (c.is_sys_named()
                || reads(plan::sys_crates::C_BUILD_DEPS)
                || reads(plan::sys_crates::SYSTEM_PROBES))
                && plan::sys_crates::newest(&c.name).is_none()
        };
        if self.facts.is_none() {
            self.facts = Some(workspace::tree_cache::package_facts(self.ws, &self.load)?);
        }
        let facts = self.facts.as_ref().expect("just read");
        let compiled = workspace::tree_cache::compiled_packages(self.ws, &self.load, query)?;
        let members: BTreeSet<&str> = self.ws.packages.iter().map(|p| p.name.as_str()).collect();
        let lock = std::fs::read_to_string(self.ws.root.join("Cargo.lock")).unwrap_or_default();
        graph.rust_floor = workspace::rust_floor::floor(
            &compiled,
            facts,
            &members,
            workspace::rust_floor::lock_version(&lock),
        );
        graph.rust_ceiling = workspace::rust_ceiling::ceiling(
            graph.linked.values().chain(graph.build_time.values()),
        );
        if graph.crates().any(unknown) {
            for (key, c) in graph.linked.iter_mut() {
                if !unknown(c) {
                    continue;
                }
                if let Some(f) = facts.get(key) {
                    c.links = f.links.clone();
                    let read = |path: Option<Utf8PathBuf>| {
                        path.and_then(|p| std::fs::read_to_string(p).ok())
                    };
                    let script = read(f.build_script.clone());
                    let manifest = read(f.dir.as_ref().map(|d| d.join("Cargo.toml")));
                    c.pkg_config_modules = workspace::library_search::pkg_config_modules(
                        script.as_deref(),
                        manifest.as_deref(),
                        &c.features,
                    );
                    c.pkg_config_modules
                        .extend(workspace::library_search::modules_by_feature(
                            &c.name,
                            &c.features,
                        ));
                    // A search through a helper crate (`tectonic_dep_support`): none where the
                    // script uses the helper only behind features that are off; else the
                    // modules are the literals that name one.
                    if let (Some((helper, probe)), Some(script)) =
                        (c.probe_helper.clone(), script.as_deref())
                    {
                        if workspace::library_search::mentions_gated_off(
                            script,
                            &helper,
                            &c.features,
                        ) {
                            c.build_deps.remove(&probe);
                            c.probe_helper = None;
                        } else if c.pkg_config_modules.is_empty() {
                            c.pkg_config_modules = workspace::library_search::module_literals(
                                script,
                                &c.features,
                                |m| plan::pkg_config::dev_package(m).is_some(),
                            );
                        }
                    }
                    // pkg-config called only behind features that are off searches for
                    // nothing: youki's probe of libseccomp runs with its `seccomp` feature only.
                    if let Some(script) = script.as_deref()
                        && c.pkg_config_modules.is_empty()
                        && workspace::library_search::pkg_config_calls_gated_off(
                            script,
                            &c.features,
                        )
                    {
                        c.build_deps.remove("pkg-config");
                    }
                    // A C build dependency (or bindgen) the script never uses where its code
                    // runs compiles nothing: no musl C compiler in the builder, no zig for the
                    // oci backend, no libclang for it.
                    if let Some(script) = script.as_deref() {
                        c.build_deps.retain(|d| {
                            !(plan::sys_crates::C_BUILD_DEPS.contains(&d.as_str())
                                || d == "bindgen")
                                || workspace::build_script::uses_build_dependency(
                                    script,
                                    manifest.as_deref(),
                                    d,
                                    &c.features,
                                ) != Some(false)
                        });
                    }
                    c.config_programs = script
                        .as_deref()
                        .map(workspace::library_search::library_config_programs)
                        .unwrap_or_default();
                    // Only a `-sys` crate is read for a library of its own name, and its sources
                    // only where its build script compiles and searches nothing (other crates:
                    // `read_script_links`).
                    if c.is_sys_named() {
                        let quiet = c.pkg_config_modules.is_empty()
                            && !plan::sys_crates::C_BUILD_DEPS
                                .iter()
                                .any(|d| c.build_deps.contains(*d));
                        let sources = match (&f.dir, quiet) {
                            (Some(dir), true) => workspace::link_names::crate_sources(dir),
                            _ => Vec::new(),
                        };
                        c.own_libraries = workspace::link_names::own_library_links(
                            &c.name,
                            script.as_deref(),
                            &sources,
                        );
                    }
                    // A crate told to open its library with dlopen rather than link it (its
                    // `dlopen` feature: yeslogic-fontconfig-sys's, wayland-sys's) names it in its
                    // sources, and its binary has no NEEDED entry that would have the library
                    // carried. Only then: the x11 crate names all 17 X libraries it can link,
                    // and a build links those its features ask for.
                    if let Some(dir) = &f.dir
                        && c.features.contains("dlopen")
                        && (c.links.is_some() || !c.pkg_config_modules.is_empty())
                    {
                        c.opens_libraries = workspace::link_names::opened_libraries(
                            &workspace::link_names::crate_sources(dir),
                        );
                    }
                    // Build dependencies go to a build script only: a crate without one
                    // (`build = false`, as ssh-libsodium 0.4.0 is published with pkg-config
                    // still listed) does nothing with them.
                    if f.build_script.is_none() && f.dir.is_some() {
                        c.build_deps.clear();
                    }
                    c.compiles_cxx = f.dir.as_deref().is_some_and(|dir| {
                        workspace::cxx::compiles_cxx(
                            dir,
                            f.build_script.as_deref(),
                            c.build_deps.contains("cmake"),
                        )
                    }) || source_crates_compile_cxx(facts, &c.build_deps);
                    c.probe_falls_back = script.as_deref().is_some_and(|script| {
                        workspace::probe_fallback::probe_falls_back(script, &c.features)
                    });
                }
            }
        }
        read_build_scripts(self.ws, &mut graph);
        read_script_links(facts, &mut graph);
        read_protobuf_codegen_use(facts, &mut graph);
        self.seen.insert(query.clone(), graph.clone());
        Ok(graph)
    }
}

/// Whether a crate whose library's sources come in a crate of their own (a `-src` build
/// dependency: `zeromq-src` for zmq-sys) compiles C++ through it: that crate's code asks `cc`
/// for C++, not the build script that calls it. libzmq is C++, and zmq 0.10 was planned a static
/// image whose build stopped at "failed to find tool x86_64-linux-musl-g++". Its library code is
/// read as a build script is (`.cpp(true)`, C++ sources named); a `-src` crate without one is not
/// judged by the files it ships.
fn source_crates_compile_cxx(
    facts: &BTreeMap<String, workspace::PackageFacts>,
    build_deps: &BTreeSet<String>,
) -> bool {
    build_deps
        .iter()
        .filter(|d| plan::tool_crates::is_library_source(d))
        .any(|d| {
            let prefix = format!("{d}@");
            facts
                .range(prefix.clone()..)
                .take_while(|(key, _)| key.starts_with(&prefix))
                .filter_map(|(_, f)| f.dir.as_deref())
                .any(|dir| {
                    let lib = dir.join("src/lib.rs");
                    let cmake =
                        std::fs::read_to_string(&lib).is_ok_and(|code| code.contains("cmake::"));
                    lib.is_file() && workspace::cxx::compiles_cxx(dir, Some(&lib), cmake)
                })
        })
}

/// The library of its own name a linked crate from outside the workspace links, where it is no
/// `-sys` crate (those are read with the crates the table does not know) but its build script
/// links a library: capng 0.2 prints `rustc-link-lib={}={}` with a constant, and its bindings
/// say `#[link(name = "cap-ng")]`, so virtiofsd's builder lacked libcap-ng-dev and its link
/// failed. Its sources are read only where the script compiles and searches nothing, as a
/// `-sys` crate's are (see `workspace::link_names::own_library_links`).
fn read_script_links(facts: &BTreeMap<String, workspace::PackageFacts>, graph: &mut BuildGraph) {
    for (key, c) in graph.linked.iter_mut() {
        if c.local || c.is_sys_named() || plan::sys_crates::newest(&c.name).is_some() {
            continue;
        }
        let Some(f) = facts.get(key) else { continue };
        let Some(script) = f
            .build_script
            .as_ref()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .filter(|script| script.contains("rustc-link-lib"))
        else {
            continue;
        };
        let quiet = !plan::sys_crates::C_BUILD_DEPS
            .iter()
            .chain(plan::sys_crates::SYSTEM_PROBES)
            .any(|d| c.build_deps.contains(*d));
        let sources = match (&f.dir, quiet) {
            (Some(dir), true) => workspace::link_names::crate_sources(dir),
            _ => Vec::new(),
        };
        c.own_libraries =
            workspace::link_names::own_library_links(&c.name, Some(&script), &sources);
    }
}

/// Which crates that get protobuf-codegen as a build dependency have it parse `.proto` files in
/// Rust, so that protoc need not be in the builder for them (librespot-protocol 0.8).
fn read_protobuf_codegen_use(
    facts: &BTreeMap<String, workspace::PackageFacts>,
    graph: &mut BuildGraph,
) {
    for (key, c) in graph.linked.iter_mut().chain(graph.build_time.iter_mut()) {
        if !c.build_deps.contains("protobuf-codegen") {
            continue;
        }
        let script = facts
            .get(key)
            .and_then(|f| f.build_script.as_ref())
            .and_then(|path| std::fs::read_to_string(path).ok());
        c.pure_protobuf_codegen = script.is_some_and(|script| {
            workspace::build_script::protobuf_codegen_is_pure(&script, &c.features)
        });
    }
}

/// The programs the build scripts of the workspace's own crates in this graph run by name, read
/// from the members' `build.rs` (a few small files; not cached), and the libraries the members
/// link by name (see `workspace::link_names::member_library_links`). A program named like one of
/// the workspace's own binaries is left out: jj-cli's build script asks an installed `jj` for
/// the commit it is built from, and no builder can have the binary it is about to build, so such
/// a script must already do without it.
fn read_build_scripts(ws: &workspace::Workspace, graph: &mut BuildGraph) {
    let own_bins: std::collections::BTreeSet<&str> = ws
        .packages
        .iter()
        .flat_map(|p| &p.targets)
        .filter(|t| t.kind == workspace::TargetKind::Bin)
        .map(|t| t.name.as_str())
        .collect();
    for c in graph
        .linked
        .values_mut()
        .chain(graph.build_time.values_mut())
    {
        if !c.local {
            continue;
        }
        let Some(package) = ws.packages.iter().find(|p| p.name == c.name) else {
            continue;
        };
        let script = package
            .targets
            .iter()
            .find(|t| t.kind == workspace::TargetKind::CustomBuild)
            .and_then(|t| std::fs::read_to_string(ws.root.join(&t.src_path)).ok());
        if let Some(text) = &script {
            c.runs_programs = workspace::build_script::build_script_programs(text, &c.features)
                .into_iter()
                .filter(|program| !own_bins.contains(program.as_str()))
                .collect();
        }
        c.own_libraries = workspace::link_names::member_library_links(
            &ws.root.join(&package.dir),
            script.as_deref(),
            &c.features,
        );
    }
}

/// What a Dockerfile cannot build that the oci backend can: crates outside its build context,
/// bases that are not image references.
pub fn check_dockerfile_can_build(planned: &Planned) -> Result<()> {
    check_dockerfile_context(&planned.workspace)?;
    check_dockerfile_bases(&planned.plan)
}

/// The build context is the workspace root: cargo in the builder cannot load a member whose path
/// dependency (or `[patch]`) lies outside it, and fails with a bare "failed to load manifest".
fn check_dockerfile_context(ws: &workspace::Workspace) -> Result<()> {
    let outside = workspace::paths_outside_root(ws);
    let Some((who, dir)) = outside.first() else {
        return Ok(());
    };
    let mut err = crate::error::Error::input(format!(
        "{who} builds the crate at `{dir}`, outside the workspace root `{}`, which is the Dockerfile's build context",
        ws.root
    ));
    if outside.len() > 1 {
        let rest: Vec<String> = outside[1..]
            .iter()
            .map(|(who, dir)| format!("  {who}: `{dir}`"))
            .collect();
        err = err.with_detail(format!("also outside:\n{}", rest.join("\n")));
    }
    Err(err.with_help(
        "move it under the workspace root (or depend on it by git or registry), or build on this machine with `--backend oci`, which needs no build context",
    ))
}

/// A Dockerfile can only start `FROM` an image reference: bases on disk or built in are for the
/// oci backend.
fn check_dockerfile_bases(plan: &Plan) -> Result<()> {
    for image in &plan.images {
        let base = &image.runtime_image;
        if crate::backend::oci::base::is_daemonless_base(base) {
            return Err(crate::error::Error::input(format!(
                "image `{}` has `runtime-image = \"{base}\"`, which only the oci backend can build from",
                image.name
            ))
            .with_help("build it with `--backend oci`, or name a registry image for the Dockerfile"));
        }
    }
    Ok(())
}

/// The files `init` owns: the Dockerfile, `.dockerignore` (merged with the user's), and with
/// `with_config` the starter table in the root manifest.
pub fn generated_files(planned: &Planned, with_config: bool) -> Result<Vec<GeneratedFile>> {
    check_dockerfile_can_build(planned)?;
    let root = &planned.workspace.root;
    let plan = &planned.plan;
    let mut files = vec![GeneratedFile {
        path: root.join(&plan.dockerfile),
        display: plan.dockerfile.clone(),
        contents: render::dockerfile(plan)?,
        ownership: Ownership::Generated,
    }];
    let ignore_path = root.join(".dockerignore");
    let existing = std::fs::read_to_string(&ignore_path).ok();
    files.push(GeneratedFile {
        path: ignore_path,
        display: Utf8PathBuf::from(".dockerignore"),
        contents: render::dockerignore(&planned.workspace.target_dir, existing.as_deref(), || {
            plan::context::needed_paths(&planned.workspace, plan)
        })?,
        ownership: Ownership::Merged,
    });
    files.extend(ci_files(planned)?);
    if with_config {
        let manifest = &planned.workspace.root_manifest;
        let text = std::fs::read_to_string(manifest).map_err(|e| {
            crate::error::Error::environment(format!("could not read `{manifest}`: {e}"))
        })?;
        if let Some(edited) = manifest_edit::with_config(&text, "Cargo.toml")? {
            files.push(GeneratedFile {
                path: manifest.clone(),
                display: "Cargo.toml".into(),
                contents: edited,
                ownership: Ownership::Merged,
            });
        }
    }
    Ok(files)
}

/// The release pipelines: one per service in `ci` (or `--ci`), plus any this tool generated
/// before (its banner is on the file), so `init --check` keeps checking a pipeline written once
/// with `init --ci` even when the config does not name it.
fn ci_files(planned: &Planned) -> Result<Vec<GeneratedFile>> {
    let root = &planned.workspace.root;
    let mut files = Vec::new();
    for provider in crate::release::ALL_PROVIDERS {
        let display = crate::release::ci_file(provider);
        let path = root.join(&display);
        let wanted = planned.plan.release.ci.contains(&provider)
            || std::fs::read_to_string(&path).is_ok_and(|t| crate::files::is_generated(&t));
        if wanted {
            files.push(GeneratedFile {
                path,
                display,
                contents: render::ci_pipeline(&planned.plan, provider)?,
                ownership: Ownership::Generated,
            });
        }
    }
    Ok(files)
}

/// The files `build` writes for itself, under `<target-dir>/distroless/`: the Dockerfile it
/// builds with (what the plan says now, whatever is committed) and its own ignore file, which
/// BuildKit prefers over the root `.dockerignore` for a Dockerfile of that name.
pub fn build_files(planned: &Planned) -> Result<(Utf8PathBuf, Vec<GeneratedFile>)> {
    check_dockerfile_can_build(planned)?;
    let ws = &planned.workspace;
    let target = if ws.target_dir.is_absolute() {
        ws.target_dir.clone()
    } else {
        ws.root.join(&ws.target_dir)
    };
    let dir = target.join(crate::config::defaults::BUILD_DIR);
    let display = |name: &str| {
        let path = dir.join(name);
        path.strip_prefix(&ws.root)
            .map(|p| p.to_path_buf())
            .unwrap_or(path)
    };
    let root_ignore = std::fs::read_to_string(ws.root.join(".dockerignore")).ok();
    let files = vec![
        GeneratedFile {
            path: dir.join("Dockerfile"),
            display: display("Dockerfile"),
            contents: render::dockerfile(&planned.plan)?,
            ownership: Ownership::Generated,
        },
        GeneratedFile {
            path: dir.join("Dockerfile.dockerignore"),
            display: display("Dockerfile.dockerignore"),
            contents: render::dockerignore(&ws.target_dir, root_ignore.as_deref(), || {
                plan::context::needed_paths(ws, &planned.plan)
            })?,
            ownership: Ownership::Merged,
        },
    ];
    Ok((dir, files))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The facts of a crate `name@version` whose `src/lib.rs` is `lib`.
    fn source_crate(
        dir: &tempfile::TempDir,
        name: &str,
        lib: &str,
    ) -> (String, workspace::PackageFacts) {
        let root = Utf8PathBuf::from_path_buf(dir.path().join(name)).unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/lib.rs"), lib).unwrap();
        let facts = workspace::PackageFacts {
            links: None,
            dir: Some(root),
            build_script: None,
            license: None,
            rust_version: None,
            edition: "2021".into(),
        };
        (format!("{name}@1.0.0"), facts)
    }

    #[test]
    fn a_source_crate_is_read_for_cpp_as_a_build_script_is() {
        let dir = tempfile::tempdir().unwrap();
        let facts: BTreeMap<String, workspace::PackageFacts> = [
            // zeromq-src 0.2.6's shape: libzmq is C++.
            source_crate(&dir, "zeromq-src", "pub fn build() { cc::Build::new().cpp(true).file(\"src/zmq.cpp\"); }\n"),
            // lua-src 550's: C++ only for emscripten.
            source_crate(&dir, "lua-src", "pub fn build(target: &str) {\n    let mut config = cc::Build::new();\n    match target {\n        _ if target.ends_with(\"emscripten\") => {\n            config.cpp(true);\n        }\n        _ => {}\n    }\n}\n"),
            // A protoc provider compiles C++ for a program the build runs, not for the binary.
            source_crate(&dir, "protobuf-src", "pub fn build() { cc::Build::new().cpp(true); }\n"),
        ]
        .into_iter()
        .collect();
        let deps = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>();
        assert!(source_crates_compile_cxx(
            &facts,
            &deps(&["zeromq-src", "pkg-config"])
        ));
        assert!(!source_crates_compile_cxx(&facts, &deps(&["lua-src"])));
        assert!(!source_crates_compile_cxx(&facts, &deps(&["protobuf-src"])));
        // A build dependency that is no source crate is not read, nor one not in the lock.
        assert!(!source_crates_compile_cxx(
            &facts,
            &deps(&["cc", "openssl-src"])
        ));
    }
}
