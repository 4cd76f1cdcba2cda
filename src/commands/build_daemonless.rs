//! `cargo distroless build` with the oci backend: where the images go (from the flags, or an
//! OCI layout under the target directory when no engine can take them), the build itself
//! ([`crate::backend::oci`]), then, for images loaded into an engine, the same inspection and
//! smoke test as the buildx backend, and the same report.

use std::time::{Duration, UNIX_EPOCH};

use crate::backend::buildx::{self as docker, Output};
use crate::backend::oci::{self, Clock, Target};
use crate::cli::{BuildArgs, MessageFormat};
use crate::error::{Error, ErrorKind, Result};
use crate::pipeline::Planned;
use crate::shell::Shell;
use crate::timings::Phases;
use crate::workspace;

use super::build::{BuiltImage, report_one, summary, write_metadata};
use super::image_checks::inspect_and_check;

pub fn run(args: &BuildArgs, planned: &Planned, shell: &Shell, mut phases: Phases) -> Result<i32> {
    let plan = &planned.plan;
    let ws = &planned.workspace;
    if args.dry_run {
        return Err(Error::input("`--dry-run` prints buildx commands, and the oci backend runs none")
            .with_help("see what would be built with `cargo distroless plan`, or pass `--backend buildx --dry-run`"));
    }
    let target_dir = if ws.target_dir.is_absolute() {
        ws.target_dir.clone()
    } else {
        ws.root.join(&ws.target_dir)
    };
    // The engine is asked only when the output depends on it.
    let engine_answers = || matches!(docker::probe(), crate::backend::EngineProbe::Answered(_));
    let target = match (&args.output_spec, args.push, args.load) {
        (Some(spec), _, _) => Target::Spec(spec.clone()),
        (None, true, _) => Target::Push,
        (None, false, true) => Target::Load,
        (None, false, false) if engine_answers() => Target::Load,
        (None, false, false) => {
            let spec = format!(
                "type=oci,dest={}/{}/oci/{{image}},tar=false",
                target_dir,
                crate::config::defaults::BUILD_DIR
            );
            shell.note(format!("no engine to load into: writing OCI layouts under `{}/{}/oci/` (choose with `--output` or `--push`)", ws.target_dir, crate::config::defaults::BUILD_DIR));
            Target::Spec(spec)
        }
    };
    if target == Target::Load && !engine_answers() {
        return Err(Error::environment("`--load` needs a Docker engine, and none answers")
            .with_help("start one, or write the image with `--output type=oci,dest=PATH` or push it with `--push`"));
    }
    let commit = workspace::git_commit(&ws.root);
    // Reproducible by default: the time is the commit's (or SOURCE_DATE_EPOCH), never "now".
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .or(commit.as_ref().and_then(|c| u64::try_from(c.1).ok()))
        .unwrap_or(0);
    let clock = Clock {
        epoch,
        created: humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(epoch))
            .to_string(),
        revision: commit.map(|c| c.0),
    };
    let binaries = match &args.binaries {
        Some(dir) => oci::Binaries::Prebuilt { dir },
        None => oci::Binaries::Compile {
            target_dir: &target_dir,
        },
    };
    // The SBOMs, from cargo's resolution of each build (not for a load: a docker archive
    // cannot carry them).
    let sboms = if target == Target::Load {
        Default::default()
    } else {
        let load = crate::workspace::LoadOptions {
            manifest_path: args.selection.manifest_path.clone(),
            locked: args.selection.locked,
        };
        crate::sbom::for_plan(planned, &load, &clock.created)?
    };
    phases.mark("preflight");
    let assembled = oci::build(plan, binaries, &target_dir, &target, &clock, &sboms, shell)?;
    phases.mark("build");
    let engine = if target == Target::Load {
        Some(docker::preflight(None, false)?)
    } else {
        None
    };
    let mut built = Vec::new();
    for a in assembled {
        let mut report = BuiltImage::of(&a.image, "image-built", &a.output);
        report.digest = Some(a.digest.clone());
        report.size = Some(a.size);
        report.binary_size = Some(a.binary_size);
        report.base_size = Some(a.base_size);
        report.size_kind = "compressed";
        // Sorted entries, fixed times and owners: the same commit gives the same digest.
        report.reproducible = Some(true);
        report.base_digests = a.bases.iter().filter_map(|(_, d)| d.clone()).collect();
        if let (Some(archive), Some(engine)) = (&a.archive, &engine) {
            let reference = a.image.references().into_iter().next().unwrap_or_default();
            let check = || {
                inspect_and_check(
                    shell,
                    &a.image,
                    &Output::Load,
                    &archive.with_extension("metadata.json"),
                    engine,
                    !args.no_smoke_test,
                )
            };
            docker::load_archive(archive, &reference)?;
            let checked = match check() {
                // The engine failed the checks on its side, not the image's (it lost the image
                // between the load and the smoke test, once, in this project's CI): the archive
                // is still here, so load it once more and check again.
                Err(e) if e.kind == ErrorKind::Environment => {
                    shell.warn(format!(
                        "checking `{reference}` failed in the engine ({}); loading it again",
                        e.message
                    ));
                    docker::load_archive(archive, &reference)?;
                    check()?
                }
                checked => checked?,
            };
            report.smoke_test = checked.smoke_test;
            report.stop = checked.stop;
            report.listening = checked.listening;
        }
        report_one(shell, args.message_format, &report)?;
        built.push(report);
        phases.mark("check");
    }
    write_metadata(args, &built)?;
    if args.message_format == MessageFormat::Human {
        summary(shell, &built);
    }
    phases.mark("report");
    shell.verbose_status("Timings", phases.summary());
    Ok(0)
}
