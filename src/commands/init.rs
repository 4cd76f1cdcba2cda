//! `cargo distroless init`: write the generated files, or with `--check` report drift.

use crate::cli::InitArgs;
use crate::error::Result;
use crate::files::{self, Outcome};
use crate::pipeline;

pub fn run(args: &InitArgs) -> Result<i32> {
    let shell = super::shell(&args.output);
    let mut request = super::request(&args.selection);
    if !args.ci.is_empty() {
        request.cli.ci = Some(args.ci.clone());
    }
    let planned = pipeline::plan(&request)?;
    super::show_warnings(&shell, &planned.plan.warnings);
    let generated = pipeline::generated_files(&planned, args.with_config)?;
    if args.check {
        let drifts = files::check(&generated)?;
        if drifts.is_empty() {
            shell.status(
                "Checked",
                format!("{} file(s) are up to date", generated.len()),
            );
            return Ok(0);
        }
        for d in &drifts {
            shell.stdout(&d.diff);
        }
        let names: Vec<String> = drifts.iter().map(|d| format!("`{}`", d.display)).collect();
        shell.error(
            &crate::error::Error::input(format!(
                "{} differ{} from what cargo-distroless generates now",
                names.join(", "),
                if drifts.len() == 1 { "s" } else { "" }
            ))
            .with_help("run `cargo distroless init` and commit the result"),
        );
        return Ok(1);
    }
    for (path, outcome) in files::write_all(&generated, args.force)? {
        match outcome {
            Outcome::Created => shell.status("Created", path),
            Outcome::Updated => shell.status("Updated", path),
            Outcome::Unchanged => shell.status("Unchanged", path),
        }
    }
    if let Some(last) = planned.plan.images.last() {
        shell.note(format!("build the default image `{}` with `docker buildx build .`, or any image with `cargo distroless build`", last.name));
    }
    Ok(0)
}
