//! Owns one part of the `musl-allocator` finding's fix: the image package's own feature that
//! links a global allocator, when it has one. vaultwarden has `enable_mimalloc =
//! ["dep:mimalloc"]`: telling its user to add mimalloc and a `#[global_allocator]` by hand
//! describes code the project already carries. As with the plan's fix features, the manifest
//! only says what to ask; cargo's resolver, asked again with the feature on, says whether the
//! allocator is then linked.

use std::collections::BTreeSet;

use crate::error::Result;
use crate::workspace::resolve::{self, BuildQuery};
use crate::workspace::{LoadOptions, Package, Workspace, features_reaching};

/// The first feature of `pkg`, off in this build (`on`), that links one of `allocators` when
/// turned on for the build `query`, most specific first.
pub(super) fn allocator_feature(
    ws: &Workspace,
    load: &LoadOptions,
    pkg: &Package,
    on: &BTreeSet<String>,
    query: &BuildQuery,
    allocators: &[&str],
) -> Result<Option<String>> {
    let tries = features_reaching(&pkg.features, on, |entry| {
        let dep = entry.strip_prefix("dep:").unwrap_or(entry);
        allocators.contains(&dep.split(['/', '?']).next().unwrap_or_default())
    });
    for feature in tries.into_iter().take(2) {
        let mut with = query.clone();
        with.feature_args.push("--features".to_string());
        with.feature_args.push(ws.feature_spec(&pkg.name, &feature));
        let graph = resolve::build_graph(load, &with)?;
        if graph
            .crates()
            .any(|c| allocators.contains(&c.name.as_str()))
        {
            return Ok(Some(feature));
        }
    }
    Ok(None)
}
