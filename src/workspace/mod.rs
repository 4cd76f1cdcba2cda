//! Owns the model of a Cargo workspace: `cargo metadata` turned into plain values.
//!
//! [`Workspace::load`] runs `cargo metadata --no-deps` (members, targets, versions, the raw
//! `metadata.distroless` tables); [`Workspace::package_facts`] reads what cargo tree does not print
//! (`links`, source directories). What one `cargo build` compiles (packages x features x target) is
//! [`resolve`]'s job. All honour `$CARGO` and `--manifest-path`.

pub mod build_script;
mod cargo;
pub mod cxx;
pub mod embeds;
pub mod feature_gates;
mod fetch_errors;
pub mod gated_code;
pub mod library_search;
pub mod link_config;
pub mod link_names;
mod package;
pub mod probe_fallback;
pub mod programs_run;
pub mod resolve;
pub mod rust_ceiling;
pub mod rust_floor;
pub mod script_reach;
pub mod service_names;
pub mod source_files;
mod sources;
pub mod submodules;
mod toolchain_file;
pub mod tree_cache;

use cargo::run_metadata;
pub use cargo::toolchain_fallback;
pub(crate) use cargo::{cargo_program, quoted_stderr, run_cargo, workspaces_below};
pub use package::{Package, Target, TargetKind, feature_closure, features_reaching};
pub(crate) use sources::normalize;
pub use sources::{PrivateRegistry, paths_outside_root};
use sources::{read_lock_sources, read_registries, ssh_host};
pub use toolchain_file::ToolchainFile;
use toolchain_file::read_toolchain_file;

use std::collections::{BTreeMap, BTreeSet};

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::process::{self, Invocation};

#[derive(Debug, Clone)]
pub struct Workspace {
    /// Absolute workspace root: the build context.
    pub root: Utf8PathBuf,
    /// Absolute path of the root manifest.
    pub root_manifest: Utf8PathBuf,
    /// Members, sorted by name.
    pub packages: Vec<Package>,
    /// `[workspace.metadata]`, `Null` when absent.
    pub metadata: serde_json::Value,
    /// Whether the root manifest has a `[workspace]` table (a single-package manifest has none).
    pub has_workspace_table: bool,
    pub toolchain_file: Option<ToolchainFile>,
    /// Profiles the root manifest defines (`[profile.<name>]`), besides cargo's own.
    pub profiles: BTreeSet<String>,
    /// `.cargo/config.toml` (or the legacy `.cargo/config`) at the root, relative.
    pub cargo_config: Option<Utf8PathBuf>,
    /// `Cargo.lock` exists at the root.
    pub has_lockfile: bool,
    /// Where `cargo` puts its output (relative to root when inside it).
    pub target_dir: Utf8PathBuf,
    /// Registries named in `.cargo/config.toml`, with whether `Cargo.lock` uses them.
    pub registries: Vec<PrivateRegistry>,
    /// Hosts of `git+ssh://` sources in `Cargo.lock`.
    pub ssh_git_hosts: Vec<String>,
    /// `.cargo/config.toml` chooses a linker (a `linker` key, or `-C linker`, `link-arg` or
    /// `-fuse-ld` in rustflags): the builder then leaves the link as the workspace set it.
    pub configures_linker: bool,
    /// The programs that `.cargo/config.toml` links with, by target (see [`link_config`]): the
    /// builder needs each one.
    pub link_programs: link_config::LinkPrograms,
    /// Directories `.cargo/config.toml` replaces a source with (`cargo vendor`'s `vendor/`),
    /// absolute: the dependency skeleton carries those inside the root.
    pub source_dirs: Vec<Utf8PathBuf>,
    /// `.cargo/config.toml` asks rustc for `target-cpu=native`: code for whatever CPU builds it.
    pub native_cpu: bool,
    /// Crates on disk inside the root that are not members but that cargo loads: a `[patch]`
    /// `path` (a fork kept in the repository), a path dependency in an `exclude`d directory.
    /// Absolute: the dependency skeleton carries them whole, as it does vendored sources.
    pub local_crates: Vec<Utf8PathBuf>,
    /// The package names of those cargo resolves (a `[patch]` in use): their versions stay as
    /// they are in the skeleton's lock, which must match their manifests.
    pub local_crate_names: Vec<String>,
    /// Members named like a package the lock takes from a registry or git (actix/examples'
    /// `mysql` member beside the `mysql` crate it uses): for them, cargo's `-p <name>` is
    /// ambiguous and fails, so [`Workspace::cargo_spec`] adds the version.
    pub shadowed_members: BTreeSet<String>,
}

/// What `cargo metadata` knows of a dependency that `cargo tree` does not print.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PackageFacts {
    pub links: Option<String>,
    /// Where its sources are (the registry's unpacked copy, a git checkout, a path).
    pub dir: Option<Utf8PathBuf>,
    /// Its build script (`build.rs`, or what `build = "…"` names), when it has one.
    pub build_script: Option<Utf8PathBuf>,
    /// The SPDX expression its manifest declares (`license`), for the SBOM.
    pub license: Option<String>,
    /// Its `rust-version`, as cargo metadata normalises it (`1.71.0`), for [`rust_floor`].
    pub rust_version: Option<String>,
    /// Its edition (`2021`): the edition, too, sets a floor on the Rust that compiles it.
    pub edition: String,
}

/// Where to find the workspace and which cargo to ask.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub manifest_path: Option<Utf8PathBuf>,
    pub locked: bool,
}

fn relative(root: &Utf8Path, path: &Utf8Path) -> Utf8PathBuf {
    path.strip_prefix(root)
        .map(Utf8Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

impl Workspace {
    /// Reads the members, their targets and their `metadata` tables (no dependency resolution).
    pub fn load(opts: &LoadOptions) -> Result<Workspace> {
        if let Some(path) = &opts.manifest_path
            && !path.exists()
        {
            return Err(
                Error::input(format!("manifest path `{path}` does not exist"))
                    .with_help("pass the path of a `Cargo.toml` to `--manifest-path`"),
            );
        }
        let meta = run_metadata(opts, &["--no-deps".to_string()])?;
        let root = meta.workspace_root.clone();
        let root_manifest = root.join("Cargo.toml");
        let root_text = std::fs::read_to_string(&root_manifest)
            .map_err(|e| Error::input(format!("could not read `{root_manifest}`: {e}")))?;
        let root_toml: toml::Table = toml::from_str(&root_text)
            .map_err(|e| Error::input(format!("could not parse `{root_manifest}`: {e}")))?;
        let has_workspace_table = root_toml.contains_key("workspace");
        // Custom profiles are the root manifest's `[profile.<name>]` tables (cargo reads no other).
        let profiles: BTreeSet<String> = root_toml
            .get("profile")
            .and_then(|p| p.as_table())
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default();

        let members: BTreeSet<_> = meta.workspace_members.iter().collect();
        // Only a `default-members` the manifest declares narrows what is built by default. Cargo
        // also builds just the root package of a workspace whose root is a package, but images
        // of every member's binaries is what cargo-distroless has always documented there.
        let declares_default_members = root_toml
            .get("workspace")
            .and_then(|w| w.get("default-members"))
            .is_some();
        let default_members: Option<BTreeSet<_>> = (declares_default_members
            && meta.workspace_default_members.is_available())
        .then(|| meta.workspace_default_members.iter().collect());
        let mut packages = Vec::new();
        for pkg in meta.packages.iter().filter(|p| members.contains(&p.id)) {
            let mut package = Package::from_metadata(&root, pkg)?;
            package.default_member = default_members
                .as_ref()
                .is_none_or(|defaults| defaults.contains(&pkg.id));
            packages.push(package);
        }
        packages.sort_by(|a, b| a.name.cmp(&b.name));
        // `cargo metadata --no-deps` lists members only: the others are read from the lock
        // (entries without a `source`) and from where they are named (path dependencies, the
        // root manifest's `[patch]`).
        let member_names: BTreeSet<&str> = packages.iter().map(|p| p.name.as_str()).collect();
        let lock = read_lock_sources(&root.join("Cargo.lock"))?;
        let mut local_crate_names: Vec<String> = lock
            .without_source
            .iter()
            .filter(|n| !member_names.contains(n.as_str()))
            .cloned()
            .collect();
        local_crate_names.sort();
        local_crate_names.dedup();
        let member_dirs: BTreeSet<Utf8PathBuf> =
            packages.iter().map(|p| root.join(&p.dir)).collect();
        let mut local_crates: BTreeSet<Utf8PathBuf> = packages
            .iter()
            .flat_map(|p| p.path_dependencies.iter().cloned())
            .filter(|d| !member_dirs.contains(d))
            .collect();
        local_crates.extend(
            sources::patch_paths(&root_toml, &root)
                .into_iter()
                .map(|(_, dir)| dir),
        );
        // One outside the root is refused by the Dockerfile's context check; the root itself
        // (and what holds members) comes in anyway.
        local_crates.retain(|d| d.starts_with(&root) && *d != root);

        let toolchain_file = read_toolchain_file(&root)?;
        let cargo_config = [".cargo/config.toml", ".cargo/config"]
            .into_iter()
            .map(Utf8PathBuf::from)
            .find(|p| root.join(p).is_file());
        let lock_sources = &lock.sources;
        let registries = match &cargo_config {
            Some(path) => read_registries(&root.join(path), lock_sources)?,
            None => Vec::new(),
        };
        let config_text = cargo_config
            .as_ref()
            .and_then(|path| std::fs::read_to_string(root.join(path)).ok())
            .unwrap_or_default();
        let configures_linker = sets_linker(&config_text);
        let native_cpu = config_text.lines().any(|line| {
            line.split('#')
                .next()
                .unwrap_or_default()
                .contains("target-cpu=native")
        });
        let mut ssh_git_hosts: Vec<String> =
            lock_sources.iter().filter_map(|s| ssh_host(s)).collect();
        ssh_git_hosts.sort();
        ssh_git_hosts.dedup();
        let shadowed_members: BTreeSet<String> = packages
            .iter()
            .filter(|p| lock.with_source.contains(&p.name))
            .map(|p| p.name.clone())
            .collect();
        Ok(Workspace {
            shadowed_members,
            registries,
            ssh_git_hosts,
            configures_linker,
            link_programs: link_config::link_programs(&config_text),
            source_dirs: sources::directory_sources(&config_text, &root),
            native_cpu,
            local_crates: local_crates.into_iter().collect(),
            local_crate_names,
            has_lockfile: root.join("Cargo.lock").is_file(),
            target_dir: relative(&root, &meta.target_directory),
            metadata: meta.workspace_metadata.clone(),
            root,
            root_manifest,
            packages,
            has_workspace_table,
            profiles,
            toolchain_file,
            cargo_config,
        })
    }

    pub fn package(&self, name: &str) -> Option<&Package> {
        self.packages.iter().find(|p| p.name == name)
    }

    /// What `cargo build -p` / `cargo tree -p` get for member `name`: the name, or
    /// `name@version` where a locked dependency shares it (cargo: "specification `mysql` is
    /// ambiguous"). `@` specs need cargo 1.64; the oldest builder image has 1.67.
    pub fn cargo_spec(&self, name: &str) -> String {
        match self.package(name) {
            Some(p) if self.shadowed_members.contains(name) => format!("{name}@{}", p.version),
            _ => name.to_string(),
        }
    }

    /// How `cargo build --features` names `feature` of the package `name`: qualified
    /// (`name/feature`), except for the root package. Under resolver 1 (edition 2018 and older,
    /// no `resolver = "2"`) `--features websocat/x` names a dependency `websocat` of the package
    /// in the working directory, and cargo stops ("does not have a dependency named
    /// `websocat`"). Unqualified, a feature is the root package's under either resolver; a
    /// member's qualified one is that member's under both.
    pub fn feature_spec(&self, name: &str, feature: &str) -> String {
        let root_package = self
            .package(name)
            .is_some_and(|p| p.manifest_path.as_str() == "Cargo.toml");
        if feature.contains('/') || root_package {
            feature.to_string()
        } else {
            format!("{name}/{feature}")
        }
    }

    /// [`Workspace::cargo_spec`] of each of `names`.
    pub fn cargo_specs(&self, names: &[String]) -> Vec<String> {
        names.iter().map(|n| self.cargo_spec(n)).collect()
    }

    /// For every package in the lock file's graph, by `name@version`: its `links` key and the
    /// directory of its sources (one full `cargo metadata`, no platform filter). With
    /// `--all-features`: without it cargo lists only what the members' default features reach,
    /// and a crate behind a feature an image turns on (a `-sys` path dependency made optional,
    /// openssl-src behind `vendored`) went unread, so a build linking a system library through
    /// it was planned static.
    pub fn package_facts(&self, opts: &LoadOptions) -> Result<BTreeMap<String, PackageFacts>> {
        self.require_lockfile()?;
        let mut opts = opts.clone();
        opts.manifest_path = Some(self.root_manifest.clone());
        let meta = run_metadata(&opts, &["--all-features".to_string()])?;
        Ok(meta
            .packages
            .iter()
            .map(|p| {
                (
                    format!("{}@{}", p.name, p.version),
                    PackageFacts {
                        links: p.links.clone(),
                        dir: p.manifest_path.parent().map(Utf8Path::to_path_buf),
                        build_script: p
                            .targets
                            .iter()
                            .find(|t| t.is_custom_build())
                            .map(|t| t.src_path.clone()),
                        license: p.license.clone(),
                        rust_version: p.rust_version.as_ref().map(ToString::to_string),
                        edition: p.edition.as_str().to_string(),
                    },
                )
            })
            .collect())
    }

    /// Image builds use `--locked`, so a workspace without a lock file cannot be planned.
    pub fn require_lockfile(&self) -> Result<()> {
        if self.has_lockfile {
            return Ok(());
        }
        Err(Error::input(format!("`{}` has no `Cargo.lock`", self.root.join("Cargo.toml")))
            .with_help("run `cargo generate-lockfile` and commit `Cargo.lock`: image builds use `--locked` so they build what you tested"))
    }
}

/// Whether a cargo config's text chooses how to link: a `linker` key (or `linker-flavor`),
/// or rustflags with `-C linker=`, `link-arg`/`link-args` or `-fuse-ld`. Read as text, lines
/// outside comments, so that every place cargo takes them (`[target.<triple>]`, `[target.'cfg(..)']`,
/// `[build]`, `[host]`) counts alike.
fn sets_linker(config: &str) -> bool {
    config.lines().any(|line| {
        let line = line.split('#').next().unwrap_or_default();
        ["linker", "link-arg", "fuse-ld"]
            .iter()
            .any(|word| line.contains(word))
    })
}

/// The configuration files cargo reads for a workspace at `root`, whether they exist or not:
/// `.cargo/config.toml` (and the older `.cargo/config`) in the root and every directory above
/// it, then in CARGO_HOME.
pub fn cargo_config_files(root: &Utf8Path) -> Vec<Utf8PathBuf> {
    let mut files = Vec::new();
    for dir in root.ancestors() {
        files.push(dir.join(".cargo/config.toml"));
        files.push(dir.join(".cargo/config"));
    }
    let cargo_home = std::env::var("CARGO_HOME")
        .ok()
        .filter(|h| !h.is_empty())
        .map(Utf8PathBuf::from)
        .or_else(|| {
            std::env::var("HOME")
                .ok()
                .map(|h| Utf8PathBuf::from(h).join(".cargo"))
        });
    if let Some(home) = cargo_home {
        files.push(home.join("config.toml"));
        files.push(home.join("config"));
    }
    files
}

/// Whether cargo on this machine links the workspace at `root` with a linker someone chose: in
/// any configuration file cargo reads there (not only the workspace's own, which is all the
/// Dockerfile's builder sees), or in the rustflags variables. A build on this machine keeps it.
pub fn host_configures_linker(root: &Utf8Path) -> bool {
    let in_files = cargo_config_files(root)
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .any(|text| sets_linker(&text));
    let in_env = std::env::vars().any(|(key, value)| {
        let flags = key == "RUSTFLAGS"
            || key == "CARGO_ENCODED_RUSTFLAGS"
            || (key.starts_with("CARGO_") && key.ends_with("_RUSTFLAGS"));
        flags && sets_linker(&value)
    });
    in_files || in_env
}

/// The version of the cargo that would build here (`cargo --version`, run in the workspace so
/// a toolchain file applies), or `None` when it cannot be asked.
pub fn cargo_version(root: &Utf8Path) -> Option<String> {
    let out =
        process::capture(&Invocation::new(cargo_program()).arg("--version").cwd(root)).ok()?;
    let version = out.stdout.split_whitespace().nth(1)?;
    let version = version.split('-').next()?; // 1.85.0-nightly -> 1.85.0
    semver::Version::parse(version).ok().map(|v| v.to_string())
}

/// HEAD's full commit id and commit time (seconds since the epoch), for the revision label and
/// `SOURCE_DATE_EPOCH`.
pub fn git_commit(root: &Utf8Path) -> Option<(String, i64)> {
    let out = process::capture(
        &Invocation::new("git")
            .args(["log", "-1", "--format=%H %ct"])
            .cwd(root),
    )
    .ok()?;
    if !out.success() {
        return None;
    }
    let (sha, time) = out.stdout.trim().split_once(' ')?;
    Some((sha.to_string(), time.parse().ok()?))
}

/// HEAD's short commit id, when the workspace is a git checkout with a commit.
pub fn git_sha(root: &Utf8Path) -> Option<String> {
    let out = process::capture(
        &Invocation::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .cwd(root),
    )
    .ok()?;
    let sha = out.stdout.trim();
    (out.success() && !sha.is_empty()).then(|| sha.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_that_chooses_the_link_is_seen_wherever_it_says_so() {
        for config in [
            "[target.x86_64-unknown-linux-musl]\nlinker = \"clang\"\n",
            "[target.'cfg(target_os = \"linux\")']\nrustflags = [\"-C\", \"link-arg=-fuse-ld=mold\"]\n",
            "[build]\nrustflags = [\"-Clinker=clang\"]\n",
            "[build]\nrustflags = \"-C link-args=-Wl,--gc-sections\"\n",
        ] {
            assert!(sets_linker(config), "{config}");
        }
        for config in [
            "[build]\nrustflags = [\"--cfg\", \"tokio_unstable\"]\n",
            "# linker = \"clang\" was tried\n[net]\ngit-fetch-with-cli = true\n",
        ] {
            assert!(!sets_linker(config), "{config}");
        }
    }
}
