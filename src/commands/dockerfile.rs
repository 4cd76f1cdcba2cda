//! `cargo distroless dockerfile`: the generated Dockerfile on stdout.

use crate::cli::DockerfileArgs;
use crate::error::Result;
use crate::{pipeline, render};

pub fn run(args: &DockerfileArgs) -> Result<i32> {
    let shell = super::shell(&args.output);
    let planned = pipeline::plan(&super::request(&args.selection))?;
    super::show_warnings(&shell, &planned.plan.warnings);
    pipeline::check_dockerfile_can_build(&planned)?;
    shell.stdout(render::dockerfile(&planned.plan)?);
    Ok(0)
}
