//! `cargo distroless bake`: write `docker-bake.hcl` beside the Dockerfile (or print it, or check
//! it for drift), so `docker buildx bake` and bake-based CI actions build every image in one call.

use crate::cli::BakeArgs;
use crate::error::{Error, Result};
use crate::files::{self, GeneratedFile, Outcome, Ownership};
use crate::{pipeline, render};

pub const BAKE_FILE: &str = "docker-bake.hcl";

pub fn run(args: &BakeArgs) -> Result<i32> {
    let shell = super::shell(&args.output);
    let planned = pipeline::plan(&super::request(&args.selection))?;
    super::show_warnings(&shell, &planned.plan.warnings);
    // The targets are stages of the generated Dockerfile: the same bases rule applies.
    pipeline::generated_files(&planned, false)?;
    let contents = render::bake_file(&planned.plan)?;
    if args.print {
        shell.stdout(contents);
        return Ok(0);
    }
    let file = GeneratedFile {
        path: planned.workspace.root.join(BAKE_FILE),
        display: BAKE_FILE.into(),
        contents,
        ownership: Ownership::Generated,
    };
    if args.check {
        let drifts = files::check(std::slice::from_ref(&file))?;
        if drifts.is_empty() {
            shell.status("Checked", format!("`{BAKE_FILE}` is up to date"));
            return Ok(0);
        }
        for d in &drifts {
            shell.stdout(&d.diff);
        }
        shell.error(
            &Error::input(format!(
                "`{BAKE_FILE}` differs from what cargo-distroless generates now"
            ))
            .with_help("run `cargo distroless bake` and commit the result"),
        );
        return Ok(1);
    }
    for (path, outcome) in files::write_all(&[file], false)? {
        match outcome {
            Outcome::Created => shell.status("Created", path),
            Outcome::Updated => shell.status("Updated", path),
            Outcome::Unchanged => shell.status("Unchanged", path),
        }
    }
    Ok(0)
}
