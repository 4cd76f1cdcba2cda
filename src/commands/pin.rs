//! `cargo distroless pin`: every base and builder image the plan names, pinned to the digest its
//! tag points at now, in `[workspace.metadata.distroless.pins]`; the plan then uses
//! `reference@digest` everywhere (Dockerfile, oci backend). `--check` reports unpinned or moved
//! references and exits 1; `--update` moves the pins. Digests come from the registry client, so
//! no engine is needed.

use std::collections::BTreeSet;

use crate::backend::oci::{base::is_daemonless_base, blobs, registry::Registry};
use crate::cli::PinArgs;
use crate::error::{Error, Result};
use crate::files::{self, GeneratedFile, Ownership};
use crate::plan::unpinned;
use crate::{manifest_edit, pipeline};

pub fn run(args: &PinArgs) -> Result<i32> {
    let shell = super::shell(&args.output);
    let planned = pipeline::plan(&super::request(&args.selection))?;
    let plan = &planned.plan;
    let mut references = BTreeSet::new();
    references.insert(unpinned(&plan.rust.builder_image).to_string());
    for image in &plan.images {
        let base = unpinned(&image.runtime_image);
        // Bases made here or read from disk have nothing to pin; scratch is no image at all.
        if !is_daemonless_base(base) && base != crate::config::defaults::SCRATCH {
            references.insert(base.to_string());
        }
    }
    let manifest = &planned.workspace.root_manifest;
    let text = std::fs::read_to_string(manifest)
        .map_err(|e| Error::environment(format!("could not read `{manifest}`: {e}")))?;
    let existing = manifest_edit::read_pins(&text, "Cargo.toml")?;
    let registry = Registry::new(blobs::Cache::open()?)?;
    let mut changes = Vec::new();
    let mut stale = Vec::new();
    for reference in &references {
        shell.status("Resolving", reference);
        let now = registry.resolve_digest(reference)?;
        match existing.iter().find(|(r, _)| r == reference) {
            Some((_, pinned)) if *pinned == now => {}
            Some((_, pinned)) => {
                stale.push(format!(
                    "{reference}: pinned {pinned}, its tag now names {now}"
                ));
                if args.update {
                    changes.push((reference.clone(), now));
                }
            }
            None => {
                stale.push(format!("{reference}: not pinned (its tag names {now})"));
                changes.push((reference.clone(), now));
            }
        }
    }
    if args.check {
        if stale.is_empty() {
            shell.status(
                "Checked",
                format!("{} pinned reference(s) are current", references.len()),
            );
            return Ok(0);
        }
        let mut err = Error::input(format!(
            "{} of {} reference(s) are unpinned or moved",
            stale.len(),
            references.len()
        ));
        for s in &stale {
            err = err.with_detail(format!("  {s}"));
        }
        shell.error(
            &err.with_help("run `cargo distroless pin --update`, test, and commit `Cargo.toml`"),
        );
        return Ok(1);
    }
    if changes.is_empty() {
        shell.status(
            "Pinned",
            format!("all {} reference(s), nothing changed", references.len()),
        );
        for s in stale.iter().filter(|s| s.contains("now names")) {
            shell.note(format!("{s}; `--update` moves it"));
        }
        return Ok(0);
    }
    let edited = manifest_edit::set_pins(&text, "Cargo.toml", &changes)?;
    files::write_all(
        &[GeneratedFile {
            path: manifest.clone(),
            display: "Cargo.toml".into(),
            contents: edited,
            ownership: Ownership::Merged,
        }],
        false,
    )?;
    for (reference, digest) in &changes {
        shell.status("Pinned", format!("{reference}@{digest}"));
    }
    shell.note("regenerate the Dockerfile with `cargo distroless init` so it uses the pins");
    Ok(0)
}
