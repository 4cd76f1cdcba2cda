//! `cargo distroless build`: plan, write the Dockerfile under the target directory, check the
//! engine, run one `docker buildx build` per image, then inspect, smoke-test and report.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::backend::buildx::{self as docker, BuildRequest, Output};
use crate::cli::{BuildArgs, MessageFormat};
use crate::error::{Error, Result};
use crate::plan::ImagePlan;
use crate::shell::Shell;
use crate::timings::Phases;
use crate::{files, pipeline, workspace};

use super::image_checks::inspect_and_check;

/// What `--message-format json` prints for each image, and what the summary is made from.
#[derive(Debug, Clone, Serialize)]
pub struct BuiltImage {
    pub reason: &'static str,
    pub image: String,
    pub repository: String,
    pub tags: Vec<String>,
    pub references: Vec<String>,
    pub platforms: Vec<String>,
    pub runtime: String,
    pub output: String,
    pub digest: Option<String>,
    pub size: Option<u64>,
    pub binary_size: Option<u64>,
    pub base_size: Option<u64>,
    /// What `size` and `base_size` count: `"unpacked"` (the engine's image size) or
    /// `"compressed"` (the oci backend's layers, what a pull transfers). `binary_size` is the
    /// binary's own bytes either way.
    pub size_kind: &'static str,
    pub smoke_test: String,
    /// Whether two builds of the commit give the same digest: `None` for a loaded image.
    pub reproducible: Option<bool>,
    /// How the image stops on SIGTERM (`docker stop`), measured after the smoke test.
    pub stop: String,
    /// The TCP addresses the program listened on while the stop check ran it (`0.0.0.0:8080`),
    /// read from the kernel where the engine runs on this machine; `None` when not read.
    pub listening: Option<Vec<String>>,
    pub metadata_file: String,
    /// The base's manifest digest per platform, when the backend resolved it (the oci backend
    /// does; buildx resolves bases inside BuildKit and reports none).
    pub base_digests: Vec<String>,
}

impl BuiltImage {
    /// The report of `image` sent to `output`, with nothing measured yet: each backend and
    /// `publish` fill in what they know.
    pub(super) fn of(image: &ImagePlan, reason: &'static str, output: &str) -> BuiltImage {
        BuiltImage {
            reason,
            image: image.name.clone(),
            repository: image.repository.clone(),
            tags: image.tags.clone(),
            references: image.references(),
            platforms: image.platforms.clone(),
            runtime: image.runtime.name().to_string(),
            output: output.to_string(),
            digest: None,
            size: None,
            binary_size: None,
            base_size: None,
            size_kind: "unpacked",
            smoke_test: "not run (image not loaded)".to_string(),
            reproducible: None,
            stop: "not measured".to_string(),
            listening: None,
            metadata_file: String::new(),
            base_digests: Vec::new(),
        }
    }
}

pub fn run(args: &BuildArgs) -> Result<i32> {
    let shell = super::shell(&args.output);
    let mut phases = Phases::new();
    let mut request = super::request(&args.selection);
    request.cli.provenance = args.provenance;
    request.cli.sbom = args.sbom;
    request.cli.backend = args.backend.backend;
    // The engine is asked below, once the input is known to be good.
    request.probe_engine = false;
    // Credentials first: a private registry or an ssh git dependency without them fails
    // `cargo metadata` itself, with a less helpful message.
    let ws = workspace::Workspace::load(&request.load)?;
    phases.mark("metadata");
    let secrets = registry_secrets(&ws)?;
    let ssh = !ws.ssh_git_hosts.is_empty();
    if ssh && std::env::var_os("SSH_AUTH_SOCK").is_none() {
        return Err(Error::input(format!("`Cargo.lock` has git dependencies over ssh ({}), but no SSH agent is running", ws.ssh_git_hosts.join(", ")))
            .with_help("start one and add your key (`eval \"$(ssh-agent)\" && ssh-add`): the build forwards it with `--ssh default`, it never copies the key"));
    }
    let mut planned = pipeline::plan_workspace(ws, &request)?;
    phases.mark("plan");
    super::show_warnings(&shell, &planned.plan.warnings);
    check_push_registries(&planned.plan, args)?;
    // Bad input has stopped by now, before anything runs; then `auto` asks the engine (a dry
    // run prints buildx commands and asks nothing).
    if args.binaries.is_some() {
        // Prebuilt binaries are assembled in-process: there is nothing for a Dockerfile to do.
        if planned.plan.backend.choice.0 == crate::config::BackendChoice::Buildx {
            return Err(Error::input("`--binaries` makes images without compiling, which the buildx backend cannot do")
                .with_help("drop `--backend buildx` (or `backend = \"buildx\"`): `--binaries` uses the oci backend"));
        }
        planned.plan.backend.backend = crate::backend::Backend::Oci;
        planned.plan.backend.reason = "`--binaries` takes binaries built elsewhere".to_string();
    } else if !args.dry_run && planned.plan.backend.choice.0 == crate::config::BackendChoice::Auto {
        planned.plan.backend = planned.plan.backend.with_engine(&docker::probe());
        phases.mark("preflight");
    }
    if planned.plan.backend.backend == crate::backend::Backend::Oci {
        shell.verbose_status("Backend", format!("oci: {}", planned.plan.backend.reason));
        phases.mark("preflight");
        return super::build_daemonless::run(args, &planned, &shell, phases);
    }
    let plan = &planned.plan;
    let root = &planned.workspace.root;

    let output = match (&args.output_spec, args.push) {
        (Some(spec), _) => {
            if !spec.contains("type=") {
                return Err(Error::input(format!("`--output {spec}` has no `type=`")).with_help("give a buildx output spec such as `type=oci,dest=web.tar` or `type=local,dest=out`"));
            }
            Output::Spec(spec.clone())
        }
        (None, true) => Output::Push,
        (None, false) => Output::Load,
    };

    let (build_dir, build_files) = pipeline::build_files(&planned)?;
    files::write_all(&build_files, true)?;
    let dockerfile = build_dir.join("Dockerfile");
    shell.verbose_status("Generated", &build_files[0].display);
    // The dependency skeleton, made here instead of by the Dockerfile's stage: a version bump
    // then starts no container to remake it (see skeleton_context). Not with directory sources
    // (`cargo vendor`'s tree, hundreds of megabytes, in the skeleton): copying them on every
    // build would cost more than the stage, which binds them from the context BuildKit syncs.
    let build_contexts: Vec<String> = if plan.skeleton.source_dirs.is_empty() {
        vec![docker::skeleton_context::write(
            root,
            &plan.skeleton,
            &build_dir.join("skeleton"),
        )?]
    } else {
        Vec::new()
    };
    phases.mark("render");

    let commit = workspace::git_commit(root);
    let source_date_epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(commit.as_ref().map(|c| c.1));
    let created_at = source_date_epoch
        .filter(|e| *e >= 0)
        .map(|e| UNIX_EPOCH + Duration::from_secs(e as u64))
        .unwrap_or_else(SystemTime::now);
    let created = humantime::format_rfc3339_seconds(created_at).to_string();
    let cache_from = if args.cache_from.is_empty() {
        plan.cache_from.clone()
    } else {
        args.cache_from.clone()
    };
    let cache_to = if args.cache_to.is_empty() {
        plan.cache_to.clone()
    } else {
        args.cache_to.clone()
    };

    // Preflight before anything else runs (a dry run asks nothing of the engine).
    let engine = if args.dry_run {
        None
    } else {
        let need_driver = output != Output::Load
            || !cache_to.is_empty()
            || plan.images.iter().any(|i| i.platforms.len() > 1);
        Some(docker::preflight(args.builder.as_deref(), need_driver)?)
    };
    phases.mark("preflight");
    let mut images = plan.images.clone();
    if let Some(engine) = &engine {
        shell.verbose_status(
            "Engine",
            format!(
                "{} on {}, buildx {}, driver {}",
                engine.server_version, engine.platform, engine.buildx_version, engine.driver
            ),
        );
        for image in &images {
            docker::check_capabilities(engine, image, &output, &cache_to)?;
        }
        if output.pushes()
            && !engine.supports_attestations()
            && images.iter().any(|i| i.provenance || i.sbom)
        {
            shell.warn(format!(
                "the `{}` driver cannot attach provenance or SBOM attestations; pushing without them (a docker-container builder, `docker buildx create --use`, keeps them)",
                engine.driver
            ));
            for image in &mut images {
                image.provenance = false;
                image.sbom = false;
            }
        }
    }

    // Reproducible digests where the builder can: a pushed or exported image gets its layers'
    // file times clamped to SOURCE_DATE_EPOCH. An older builder is said to be one.
    let leaves_engine = output != Output::Load;
    let rewrite_timestamp = leaves_engine
        && source_date_epoch.is_some()
        && engine.as_ref().is_some_and(|e| e.rewrites_timestamps());
    let reproducible = match &engine {
        Some(_) if !leaves_engine => None,
        Some(_) => Some(rewrite_timestamp),
        None => None,
    };
    if reproducible == Some(false)
        && let Some(engine) = &engine
    {
        shell.note(engine.digests().reason);
    }
    let invocations: Vec<_> = images
        .iter()
        .map(|image| {
            let metadata_file = docker::metadata_path(&build_dir, &image.name);
            let inv = docker::build_invocation(&BuildRequest {
                image,
                dockerfile: &dockerfile,
                context: root,
                output: &output,
                cache_from: &cache_from,
                cache_to: &cache_to,
                builder: args.builder.as_deref(),
                network: args.network.as_deref(),
                metadata_file: &metadata_file,
                revision: commit.as_ref().map(|c| c.0.as_str()),
                created: &created,
                source_date_epoch,
                secrets: &secrets,
                ssh,
                extra_args: &args.extra,
                rewrite_timestamp,
                build_contexts: &build_contexts,
            });
            (image, inv, metadata_file)
        })
        .collect();

    if args.dry_run {
        shell.status(
            "Generated",
            format!(
                "{} (the commands below build with it)",
                build_files[0].display
            ),
        );
        for (_, inv, _) in &invocations {
            shell.stdout(format!("{}\n", inv.shell_quoted()));
        }
        return Ok(0);
    }

    let engine = engine.expect("preflight ran unless dry-run");

    let mut built = Vec::new();
    for (image, inv, metadata_file) in &invocations {
        shell.status(
            "Building",
            format!(
                "{} ({}) for {}",
                image.name,
                image.runtime.name(),
                image.platforms.join(", ")
            ),
        );
        shell.verbose_status("Running", inv.shell_quoted());
        docker::run_build(inv, &image.name, image.runtime, &build_files[0].display)?;
        phases.mark("build");
        let mut report = inspect_and_check(
            &shell,
            image,
            &output,
            metadata_file,
            &engine,
            !args.no_smoke_test,
        )?;
        report.reproducible = reproducible;
        report_one(&shell, args.message_format, &report)?;
        built.push(report);
        phases.mark("check");
    }
    write_metadata(args, &built)?;
    if args.message_format == MessageFormat::Human {
        summary(&shell, &built);
    }
    phases.mark("report");
    shell.verbose_status("Timings", phases.summary());
    Ok(0)
}

/// `--metadata-file`: every image's report, written once all are built (both backends).
pub(super) fn write_metadata(args: &BuildArgs, built: &[BuiltImage]) -> Result<()> {
    let Some(path) = &args.metadata_file else {
        return Ok(());
    };
    let text = serde_json::to_string_pretty(&serde_json::json!({ "images": built }))
        .map_err(|e| Error::internal(e.to_string()))?;
    crate::files::write_report(path, &format!("{text}\n"))
}

/// One image's JSON line, as soon as it is built (both backends print the same shape).
pub(super) fn report_one(shell: &Shell, format: MessageFormat, report: &BuiltImage) -> Result<()> {
    if format == MessageFormat::Json {
        let line = serde_json::to_string(report).map_err(|e| Error::internal(e.to_string()))?;
        shell.stdout(format!("{line}\n"));
    }
    Ok(())
}

/// `--push` needs every image to name its registry (both backends).
fn check_push_registries(plan: &crate::plan::Plan, args: &BuildArgs) -> Result<()> {
    if !args.push {
        return Ok(());
    }
    for image in &plan.images {
        if !names_a_registry(&image.repository) {
            return Err(Error::input(format!("`--push` needs a registry, but image `{}` is just `{}`", image.name, image.repository))
                .with_help("set `registry = \"ghcr.io/<owner>\"` in `[workspace.metadata.distroless]` (or `image` to a full name) so the tags say where to push"));
        }
    }
    Ok(())
}

/// `--secret` specs for the private registries' tokens. A registry that `Cargo.lock` uses must
/// have its token set; one that is only named in `.cargo/config.toml` gets it when set.
fn registry_secrets(ws: &workspace::Workspace) -> Result<Vec<String>> {
    let mut secrets = Vec::new();
    for r in &ws.registries {
        let env = r.token_env();
        match std::env::var(&env) {
            Ok(v) if !v.is_empty() => secrets.push(format!("id={},env={env}", r.secret_id())),
            _ if r.used => {
                return Err(Error::input(format!("`Cargo.lock` uses registry `{}` (from `.cargo/config.toml`), but `{env}` is not set", r.name))
                    .with_help(format!("export `{env}` with a token for {}: it reaches the build as a BuildKit secret, never as a build argument or in a layer", r.index)));
            }
            _ => {}
        }
    }
    Ok(secrets)
}

/// `ghcr.io/acme/web`, `localhost:5000/web` and `docker.io/acme/web` name a registry; a bare
/// `web` or `acme/web` leaves it to docker's default, which is rarely what a pipeline means.
pub(super) fn names_a_registry(repository: &str) -> bool {
    match repository.split_once('/') {
        Some((first, _)) => first.contains('.') || first.contains(':') || first == "localhost",
        None => false,
    }
}

pub fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000_000 => format!("{:.2} GB", b as f64 / 1e9),
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.1} kB", b as f64 / 1e3),
        b => format!("{b} B"),
    }
}

pub(super) fn summary(shell: &Shell, built: &[BuiltImage]) {
    for b in built {
        let digest = b
            .digest
            .as_deref()
            .map(|d| d.chars().take(19).collect::<String>())
            .unwrap_or_else(|| "(no digest)".into());
        let size = match (b.size, b.binary_size, b.base_size) {
            // Compressed layers beside a binary's own bytes do not add up: say which is which
            // (a 7.1 MB binary in a 3.7 MB image read as a mistake).
            (Some(s), Some(bin), Some(base)) if b.size_kind == "compressed" => format!(
                ", {} compressed (base {}; binary {} unpacked)",
                human_size(s),
                human_size(base),
                human_size(bin)
            ),
            (Some(s), Some(bin), Some(base)) => format!(
                ", {} (binary {} + base {})",
                human_size(s),
                human_size(bin),
                human_size(base)
            ),
            (Some(s), _, _) => format!(", {}", human_size(s)),
            _ => String::new(),
        };
        shell.status(
            "Built",
            format!(
                "{} {digest}{size}, {}, {}",
                b.image,
                b.platforms.join(","),
                b.output
            ),
        );
        for r in &b.references {
            shell.stderr(format!("             {r}\n"));
        }
        if b.smoke_test == "passed" {
            shell.verbose_status("Smoke test", "passed");
            shell.verbose_status("Stop", &b.stop);
            if let Some(listening) = b.listening.as_ref().filter(|l| !l.is_empty()) {
                shell.verbose_status("Listening", listening.join(", "));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_are_recognised() {
        assert!(names_a_registry("ghcr.io/acme/web"));
        assert!(names_a_registry("localhost:5000/web"));
        assert!(names_a_registry("localhost/web"));
        assert!(!names_a_registry("web"));
        assert!(!names_a_registry("acme/web"));
    }

    #[test]
    fn sizes_read_like_dockers() {
        assert_eq!(human_size(2_303_774), "2.3 MB");
        assert_eq!(human_size(512), "512 B");
    }
}
