//! `cargo distroless publish DIR...`: the publish half of a release split across runners. Reads
//! the layouts, checks each image has every platform the plan builds, merges them into one index
//! per image and pushes it under the plan's tags ([`crate::backend::oci::publish`]).

use crate::backend::oci::blobs::Cache;
use crate::backend::oci::publish::{gather, merged_index};
use crate::backend::oci::registry::Registry;
use crate::cli::{MessageFormat, PublishArgs};
use crate::error::{Error, Result};
use crate::pipeline;

use super::build::{BuiltImage, report_one};

pub fn run(args: &PublishArgs) -> Result<i32> {
    let shell = super::shell(&args.output);
    let planned = pipeline::plan(&super::request(&args.selection))?;
    super::show_warnings(&shell, &planned.plan.warnings);
    let gathered = gather(&args.layouts)?;
    // Check everything before the first byte goes out.
    let mut work = Vec::new();
    for image in &planned.plan.images {
        let Some(platforms) = gathered.images.get(&image.name) else {
            continue;
        };
        let have: Vec<&str> = platforms.iter().map(|p| p.platform.name).collect();
        let missing: Vec<&String> = image
            .platforms
            .iter()
            .filter(|p| !have.contains(&p.as_str()))
            .collect();
        if !missing.is_empty() {
            return Err(Error::input(format!(
                "image `{}` is planned for {}, but the layouts have only {}",
                image.name,
                image.platforms.join(", "),
                have.join(", ")
            ))
            .with_help("pass the layouts of every platform's build (or narrow `platforms`)"));
        }
        if !super::build::names_a_registry(&image.repository) {
            return Err(Error::input(format!(
                "image `{}` is just `{}`: publishing needs a registry",
                image.name, image.repository
            ))
            .with_help(
                "set `registry = \"ghcr.io/<owner>\"` in `[workspace.metadata.distroless]`",
            ));
        }
        work.push((image, platforms));
    }
    if work.is_empty() {
        let names: Vec<&String> = gathered.images.keys().collect();
        return Err(Error::input("none of the layouts holds an image of this plan")
            .with_detail(format!("  the layouts hold: {}", names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")))
            .with_help("run `publish` in the workspace the layouts were built from, with the same selection"));
    }
    let mut registry = Registry::new(Cache::open()?)?;
    for (image, platforms) in work {
        let index = merged_index(platforms);
        shell.status(
            "Pushing",
            format!(
                "{} ({}) for {}",
                image.repository,
                image.tags.join(", "),
                image.platforms.join(", ")
            ),
        );
        let digest = registry.push(
            &image.repository,
            &image.tags,
            platforms,
            index.as_ref(),
            None,
        )?;
        let mut report = BuiltImage::of(image, "image-published", "push");
        report.digest = Some(digest.clone());
        report.smoke_test = "not run (published)".to_string();
        if args.message_format == MessageFormat::Human {
            shell.status("Published", format!("{}@{digest}", image.repository));
        }
        report_one(&shell, args.message_format, &report)?;
    }
    Ok(0)
}
