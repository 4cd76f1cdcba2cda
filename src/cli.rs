//! Owns the command-line surface: clap types only. Commands turn these into library values.

use camino::Utf8PathBuf;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{RuntimeChoice, Variant};

/// Cargo runs `cargo-distroless distroless <args>` for `cargo distroless <args>`.
#[derive(Debug, Parser)]
#[command(name = "cargo", bin_name = "cargo", disable_help_subcommand = true)]
pub enum Cargo {
    /// Turn a Rust workspace into small, secure, reproducible distroless container images.
    #[command(name = "distroless", version)]
    Distroless(Distroless),
}

#[derive(Debug, Args)]
#[command(
    about = "Turn a Rust workspace into small, secure, reproducible distroless container images",
    after_help = "Run `cargo distroless init` in a workspace to write its Dockerfile, then `cargo distroless build`."
)]
pub struct Distroless {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what would be built: images, binaries, runtime (and why), platforms, tags
    Plan(PlanArgs),
    /// Print the generated Dockerfile to stdout
    Dockerfile(DockerfileArgs),
    /// Write the Dockerfile and .dockerignore into the workspace (or check them with --check)
    Init(InitArgs),
    /// Build the images (with docker buildx, or without a daemon: cargo on this machine), then load, push or export them and report what was built
    Build(BuildArgs),
    /// Report how a binary (or an image's entrypoint) is linked, and whether it fits a base
    Inspect(InspectArgs),
    /// Write docker-bake.hcl: one `docker buildx bake` target per image and a group for all
    Bake(BakeArgs),
    /// Replace `distroless://<image>` references in Kubernetes or Compose YAML with the pushed
    /// `repository@sha256:…`, building and pushing first (as `ko resolve` does)
    Resolve(ResolveArgs),
    /// Check for what trips images up in production, without building: musl's allocator and
    /// resolver, jemalloc's page size on arm64, servers bound to loopback
    Doctor(DoctorArgs),
    /// Pin every base and builder image to the digest its tag names now, in
    /// `[workspace.metadata.distroless.pins]` (or check or move the pins)
    Pin(PinArgs),
    /// Merge per-platform OCI layouts (from `build --backend oci` on several runners) into one
    /// index per image, and push it under the plan's tags
    Publish(PublishArgs),
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// OCI layout directories written by `build --backend oci --output type=oci,dest=DIR,tar=false`
    #[arg(value_name = "DIR", required = true)]
    pub layouts: Vec<camino::Utf8PathBuf>,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[arg(long, value_enum, default_value_t = MessageFormat::Human, help_heading = "Display Options")]
    pub message_format: MessageFormat,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// How to report the findings
    #[arg(long, value_enum, default_value_t = MessageFormat::Human, help_heading = "Display Options")]
    pub message_format: MessageFormat,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct PinArgs {
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Exit 1 when a reference is unpinned or its tag now names another digest (for a
    /// scheduled CI job); writes nothing
    #[arg(long, conflicts_with = "update", help_heading = "Pin Options")]
    pub check: bool,
    /// Move every pin to the digest its tag names now
    #[arg(long, help_heading = "Pin Options")]
    pub update: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// YAML file, or directory searched for `*.yaml`/`*.yml` (repeatable; `-` reads stdin)
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR",
        required = true
    )]
    pub files: Vec<camino::Utf8PathBuf>,
    /// Also replace plain references to the plan's images (`image: web`, `image: web:0.3.1`,
    /// or any of their tags with the registry)
    #[arg(long)]
    pub images: bool,
    /// Do not build: take the digests from a file written by `build --metadata-file`
    #[arg(long, requires = "metadata", help_heading = "Build")]
    pub no_build: bool,
    /// The `build --metadata-file` output to read with `--no-build`
    #[arg(long, value_name = "FILE", help_heading = "Build")]
    pub metadata: Option<camino::Utf8PathBuf>,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub backend: BackendArg,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct BakeArgs {
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Print the bake file to stdout instead of writing it
    #[arg(long, conflicts_with = "check", help_heading = "Bake Options")]
    pub print: bool,
    /// Exit 1 with a diff when docker-bake.hcl differs from what would be generated (for CI)
    #[arg(long, help_heading = "Bake Options")]
    pub check: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args, Clone, Copy, Default)]
pub struct BackendArg {
    /// buildx (a Docker engine with the generated Dockerfile), oci (cargo on this machine, the
    /// image assembled without a daemon), or auto: buildx when an engine answers, else oci
    #[arg(
        long,
        value_enum,
        value_name = "BACKEND",
        help_heading = "Compilation Options"
    )]
    pub backend: Option<crate::config::BackendChoice>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// An ELF binary, an image archive (`docker image save`, OCI), an OCI layout directory, or
    /// an image in the local engine
    #[arg(value_name = "PATH|IMAGE")]
    pub target: String,
    /// The base to check against: `static`, `cc`, or a base image name (its Debian release gives
    /// its glibc)
    #[arg(long, value_name = "BASE")]
    pub base: Option<String>,
    /// The binary's path inside an image (default: its entrypoint)
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
    #[arg(long, value_enum, default_value_t = MessageFormat::Human, help_heading = "Display Options")]
    pub message_format: MessageFormat,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Package Selection")]
pub struct SelectionArgs {
    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH", help_heading = "Manifest Options")]
    pub manifest_path: Option<Utf8PathBuf>,
    /// Package(s) whose binaries get images
    #[arg(short = 'p', long = "package", value_name = "SPEC")]
    pub packages: Vec<String>,
    /// Every member of the workspace
    #[arg(long)]
    pub workspace: bool,
    /// Binary (or binaries) to build images for
    #[arg(long = "bin", value_name = "NAME")]
    pub bins: Vec<String>,
    /// Space or comma separated list of features to activate
    #[arg(
        short = 'F',
        long,
        value_name = "FEATURES",
        help_heading = "Feature Selection"
    )]
    pub features: Vec<String>,
    /// Activate all available features
    #[arg(long, help_heading = "Feature Selection")]
    pub all_features: bool,
    /// Do not activate the `default` feature
    #[arg(long, help_heading = "Feature Selection")]
    pub no_default_features: bool,
    /// Build with the given profile
    #[arg(
        long,
        value_name = "PROFILE-NAME",
        help_heading = "Compilation Options"
    )]
    pub profile: Option<String>,
    /// Assert that `Cargo.lock` will remain unchanged
    #[arg(long, help_heading = "Manifest Options")]
    pub locked: bool,
    /// Target platform, in docker's form (repeatable): linux/amd64, linux/arm64, linux/arm/v7
    #[arg(
        long = "platform",
        value_name = "PLATFORM",
        help_heading = "Image Options"
    )]
    pub platforms: Vec<String>,
    /// Registry the images' names start with (e.g. `ghcr.io/acme`), for this run: overrides
    /// `registry` in config (a CI pipeline passes its service's registry)
    #[arg(long, value_name = "REGISTRY", help_heading = "Image Options")]
    pub registry: Option<String>,
    /// Runtime base: static (musl, distroless/static) or cc (glibc, distroless/cc)
    #[arg(long, value_enum, help_heading = "Image Options")]
    pub runtime: Option<RuntimeChoice>,
    /// What runs as PID 1: `tini` puts a static init in front of the entrypoint (signals
    /// forwarded, zombies reaped)
    #[arg(long, value_enum, value_name = "INIT", help_heading = "Image Options")]
    pub init: Option<crate::config::InitChoice>,
    /// Also build a `<tag>-debug` twin of each image on the distroless `debug` base (a busybox
    /// shell), with the same binary
    #[arg(long, help_heading = "Image Options")]
    pub debug: bool,
    /// Distroless variant of the runtime base
    #[arg(long, value_enum, help_heading = "Image Options")]
    pub variant: Option<Variant>,
}

#[derive(Debug, Args, Clone, Copy, Default)]
#[command(next_help_heading = "Display Options")]
pub struct OutputArgs {
    /// Use verbose output
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Do not print cargo-distroless status messages
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Coloring
    #[arg(long, value_enum, global = true, default_value_t = Color::Auto)]
    pub color: Color,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Color {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum PlanFormat {
    /// A table for people
    #[default]
    Table,
    /// The whole plan as JSON, for pipelines
    Json,
    /// The release matrix as JSON: `builds` (image x platform) and `images` (one publish job
    /// each), in the `{"include": [...]}` shape CI matrices take
    Matrix,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub backend: BackendArg,
    /// Output format
    #[arg(long, value_enum, default_value_t = PlanFormat::Table, help_heading = "Display Options")]
    pub format: PlanFormat,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct DockerfileArgs {
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Exit 1 with a diff when the files on disk differ from what would be generated (for CI)
    #[arg(long, conflicts_with_all = ["force", "with_config"], help_heading = "Init Options")]
    pub check: bool,
    /// Replace files that cargo-distroless did not generate
    #[arg(long, help_heading = "Init Options")]
    pub force: bool,
    /// Also add a commented `[workspace|package.metadata.distroless]` table to Cargo.toml
    #[arg(long, help_heading = "Init Options")]
    pub with_config: bool,
    /// Also write a release pipeline for this CI service (repeatable; `ci = [...]` in config
    /// does the same, and pipelines written before are kept up to date)
    #[arg(
        long,
        value_enum,
        value_name = "SERVICE",
        help_heading = "Init Options"
    )]
    pub ci: Vec<crate::config::CiProvider>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum MessageFormat {
    /// Status lines and a summary for people
    #[default]
    Human,
    /// One JSON object per image on stdout, for pipelines
    Json,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub backend: BackendArg,
    /// Load the image into the local engine (the default)
    #[arg(long, help_heading = "Output", conflicts_with_all = ["push", "output_spec"])]
    pub load: bool,
    /// Push the image to the registry its tags name
    #[arg(long, help_heading = "Output", conflicts_with = "output_spec")]
    pub push: bool,
    /// Any buildx output instead, e.g. `type=oci,dest=web.tar`
    #[arg(
        long = "output",
        short = 'o',
        value_name = "SPEC",
        help_heading = "Output"
    )]
    pub output_spec: Option<String>,
    /// Import build cache (repeatable; overrides `cache-from` in config)
    #[arg(long, value_name = "SPEC", help_heading = "Build")]
    pub cache_from: Vec<String>,
    /// Export build cache (repeatable; overrides `cache-to` in config)
    #[arg(long, value_name = "SPEC", help_heading = "Build")]
    pub cache_to: Vec<String>,
    /// The buildx builder to use
    #[arg(long, value_name = "NAME", help_heading = "Build")]
    pub builder: Option<String>,
    /// Networking mode for RUN steps (`host` where the engine has no bridge)
    #[arg(long, value_name = "MODE", help_heading = "Build")]
    pub network: Option<String>,
    /// Attach a provenance attestation when pushing (default true)
    #[arg(long, value_name = "BOOL", help_heading = "Build")]
    pub provenance: Option<bool>,
    /// Attach an SBOM attestation when pushing (default true)
    #[arg(long, value_name = "BOOL", help_heading = "Build")]
    pub sbom: Option<bool>,
    /// Skip the smoke test of loaded images
    #[arg(long, help_heading = "Build")]
    pub no_smoke_test: bool,
    /// Print the docker commands, shell-quoted, and run nothing
    #[arg(long, help_heading = "Build")]
    pub dry_run: bool,
    /// Make the images from binaries built elsewhere (a `target/` tree: `<triple>/<profile>/<bin>`,
    /// or `<bin>` for one platform) instead of compiling; implies the oci backend
    #[arg(
        long,
        value_name = "DIR",
        help_heading = "Build",
        conflicts_with = "dry_run"
    )]
    pub binaries: Option<camino::Utf8PathBuf>,
    /// Also write what was built (every image's report, as JSON) to this file, for later steps
    /// such as `resolve --no-build`
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub metadata_file: Option<camino::Utf8PathBuf>,
    /// How to report what was built
    #[arg(long, value_enum, default_value_t = MessageFormat::Human, help_heading = "Display Options")]
    pub message_format: MessageFormat,
    /// Extra arguments for every `docker buildx build`, after `--`
    #[arg(last = true, value_name = "BUILDX-ARGS")]
    pub extra: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cargo::command().debug_assert();
    }

    #[test]
    fn cargo_style_invocation_parses() {
        let Cargo::Distroless(d) = Cargo::try_parse_from([
            "cargo",
            "distroless",
            "plan",
            "-p",
            "web",
            "--platform",
            "linux/arm64",
            "--format",
            "json",
        ])
        .unwrap();
        let Command::Plan(plan) = d.command else {
            panic!("plan")
        };
        assert_eq!(plan.selection.packages, ["web"]);
        assert_eq!(plan.format, PlanFormat::Json);
    }

    #[test]
    fn build_takes_buildx_args_after_double_dash() {
        let Cargo::Distroless(d) = Cargo::try_parse_from([
            "cargo",
            "distroless",
            "build",
            "--push",
            "--",
            "--progress",
            "plain",
        ])
        .unwrap();
        let Command::Build(b) = d.command else {
            panic!("build")
        };
        assert!(b.push);
        assert_eq!(b.extra, ["--progress", "plain"]);
        assert!(
            Cargo::try_parse_from(["cargo", "distroless", "build", "--push", "--load"]).is_err()
        );
    }

    #[test]
    fn check_and_force_contradict() {
        let err = Cargo::try_parse_from(["cargo", "distroless", "init", "--check", "--force"])
            .unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
    }
}
