//! Owns one part of the `musl-allocator` finding's fix: the image package's own feature that
//! links a global allocator, when it has one. vaultwarden has `enable_mimalloc =
//! ["dep:mimalloc"]`: telling its user to add mimalloc and a `#[global_allocator]` by hand
//! describes code the project already carries. As with the plan's fix features, the manifest
//! only says what to ask; cargo's resolver, asked again with the feature on, says whether the
//! allocator is then linked.

use std::collections::BTreeSet;

use crate::error::Result;
use crate::plan::ImagePlan;
use crate::workspace::resolve::{self, BuildQuery};
use crate::workspace::{LoadOptions, Package};

/// The first feature of `pkg`, off in this build (`on`), that links one of `allocators` when
/// turned on for the build `query`, most specific first.
pub(super) fn allocator_feature(
    load: &LoadOptions,
    pkg: &Package,
    image: &ImagePlan,
    on: &BTreeSet<String>,
    query: &BuildQuery,
    allocators: &[&str],
) -> Result<Option<String>> {
    let mut tries: Vec<(usize, &String)> = pkg
        .features
        .iter()
        .filter(|(name, _)| !on.contains(*name) && *name != "default")
        .filter_map(|(name, _)| {
            let reached = crate::workspace::feature_closure(&pkg.features, name);
            let names_one = reached.iter().any(|entry| {
                let dep = entry.strip_prefix("dep:").unwrap_or(entry);
                let dep = dep.split(['/', '?']).next().unwrap_or_default();
                allocators.contains(&dep)
            });
            names_one.then_some((reached.len(), name))
        })
        .collect();
    tries.sort();
    // The root package's features go unqualified (resolver 1 reads `pkg/x` as a dependency's).
    let root_package = pkg.manifest_path.as_str() == "Cargo.toml";
    for (_, feature) in tries.into_iter().take(2) {
        let mut with = query.clone();
        with.feature_args.push("--features".to_string());
        with.feature_args.push(if root_package {
            feature.clone()
        } else {
            format!("{}/{feature}", image.package)
        });
        let graph = resolve::build_graph(load, &with)?;
        if graph
            .crates()
            .any(|c| allocators.contains(&c.name.as_str()))
        {
            return Ok(Some(feature.clone()));
        }
    }
    Ok(None)
}
