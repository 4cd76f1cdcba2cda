//! Owns the software bill of materials of an image: a CycloneDX 1.5 document listing the crates
//! linked into its binaries, from cargo's own resolution of the build that made them
//! ([`crate::workspace::resolve`], the same answer the static-or-cc decision reads), each with the
//! license its manifest declares and the checksum `Cargo.lock` pins. Deterministic: components
//! sorted, no random serial number, the build's own timestamp; two builds of a commit give the
//! same bytes, so the same attestation digest.

use std::collections::BTreeMap;

use camino::Utf8Path;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::pipeline::Planned;
use crate::workspace::resolve::{BuildGraph, BuildQuery};
use crate::workspace::{LoadOptions, PackageFacts};

/// What `Cargo.lock` says of one package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locked {
    /// `registry+https://github.com/rust-lang/crates.io-index`, `git+https://…#rev`; none for a
    /// path dependency.
    pub source: Option<String>,
    /// The SHA-256 of the `.crate` file, for registry packages.
    pub checksum: Option<String>,
}

/// `Cargo.lock`'s packages by `name@version`.
pub fn read_lock(path: &Utf8Path) -> Result<BTreeMap<String, Locked>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::environment(format!("could not read `{path}`: {e}")))?;
    let lock: toml::Table = text.parse().map_err(|e| {
        Error::input(format!("`{path}` is not a valid lock file: {e}"))
            .with_help("regenerate it with `cargo generate-lockfile`")
    })?;
    let mut out = BTreeMap::new();
    for p in lock
        .get("package")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
    {
        let field = |k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_string);
        if let (Some(name), Some(version)) = (field("name"), field("version")) {
            out.insert(
                format!("{name}@{version}"),
                Locked {
                    source: field("source"),
                    checksum: field("checksum"),
                },
            );
        }
    }
    Ok(out)
}

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// The package URL of a crate: `pkg:cargo/name@version`, with where it came from when that is
/// not crates.io.
fn purl(name: &str, version: &str, source: Option<&str>) -> String {
    let base = format!("pkg:cargo/{name}@{version}");
    match source {
        None | Some(CRATES_IO) => base,
        Some(s) => match s.split_once('+') {
            Some(("git", url)) => format!("{base}?vcs_url={}", percent(&format!("git+{url}"))),
            Some((_, url)) => format!("{base}?repository_url={}", percent(url)),
            None => base,
        },
    }
}

/// Percent-encodes what a purl qualifier value may not hold as is.
fn percent(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The CycloneDX document for the binaries of one build: `subject` is the package whose image it
/// describes; every other linked crate is a component.
pub fn bom(
    subject: (&str, &str),
    graph: &BuildGraph,
    lock: &BTreeMap<String, Locked>,
    facts: &BTreeMap<String, PackageFacts>,
    created: &str,
) -> Value {
    let component = |name: &str, version: &str, kind: &str| {
        let key = format!("{name}@{version}");
        let locked = lock.get(&key).cloned().unwrap_or_default();
        let purl = purl(name, version, locked.source.as_deref());
        let mut c = json!({
            "type": kind,
            "bom-ref": purl,
            "name": name,
            "version": version,
            "purl": purl,
        });
        if let Some(license) = facts.get(&key).and_then(|f| f.license.as_deref()) {
            c["licenses"] = json!([{ "expression": license }]);
        }
        if let Some(sum) = &locked.checksum {
            c["hashes"] = json!([{ "alg": "SHA-256", "content": sum }]);
        }
        c
    };
    let mut components: Vec<Value> = graph
        .crates()
        .filter(|c| !(c.name == subject.0 && c.version == subject.1))
        .map(|c| component(&c.name, &c.version, "library"))
        .collect();
    components.sort_by(|a, b| a["bom-ref"].as_str().cmp(&b["bom-ref"].as_str()));
    components.dedup_by(|a, b| a["bom-ref"] == b["bom-ref"]);
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {
            "timestamp": created,
            "tools": { "components": [{
                "type": "application",
                "name": "cargo-distroless",
                "version": env!("CARGO_PKG_VERSION"),
            }]},
            "component": component(subject.0, subject.1, "application"),
        },
        "components": components,
    })
}

/// Every image's SBOM per platform, keyed `(image, platform)`, for the images that want one
/// (`sbom`, on by default). The graph is the image's build group's, exactly what was compiled.
pub fn for_plan(
    planned: &Planned,
    load: &LoadOptions,
    created: &str,
) -> Result<BTreeMap<(String, String), Value>> {
    let plan = &planned.plan;
    let mut out = BTreeMap::new();
    if !plan.images.iter().any(|i| i.sbom) {
        return Ok(out);
    }
    let ws = &planned.workspace;
    let lock = read_lock(&ws.root.join("Cargo.lock"))?;
    let mut load = load.clone();
    load.manifest_path = Some(ws.root_manifest.clone());
    let facts = crate::workspace::tree_cache::package_facts(ws, &load)?;
    let mut graphs: BTreeMap<BuildQuery, BuildGraph> = BTreeMap::new();
    for image in plan.images.iter().filter(|i| i.sbom) {
        let group = plan
            .groups
            .iter()
            .find(|g| g.name == image.group)
            .ok_or_else(|| Error::internal(format!("image `{}` has no build group", image.name)))?;
        for gp in &group.platforms {
            if !image.platforms.contains(&gp.platform) {
                continue;
            }
            let query = BuildQuery {
                packages: ws.cargo_specs(&group.packages),
                feature_args: feature_args(&group.cargo_args),
                triple: gp.triple.clone(),
            };
            if !graphs.contains_key(&query) {
                let graph = crate::workspace::tree_cache::build_graph(ws, &load, &query)?;
                graphs.insert(query.clone(), graph);
            }
            out.insert(
                (image.name.clone(), gp.platform.clone()),
                bom(
                    (&image.package, &image.version),
                    &graphs[&query],
                    &lock,
                    &facts,
                    created,
                ),
            );
        }
    }
    Ok(out)
}

/// The feature flags out of a group's `cargo build` arguments (which also name the profile,
/// packages and binaries): what the resolver needs to answer for that build.
pub(crate) fn feature_args(cargo_args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut args = cargo_args.iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--profile" | "--package" | "--bin" => {
                args.next();
            }
            "--features" => {
                out.push(a.clone());
                out.extend(args.next().cloned());
            }
            "--locked" => {}
            _ => out.push(a.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::resolve::Crate;

    fn krate(name: &str, version: &str, local: bool) -> Crate {
        Crate {
            name: name.into(),
            version: version.into(),
            features: Default::default(),
            build_deps: Default::default(),
            via: Vec::new(),
            local,
            ..Crate::default()
        }
    }

    #[test]
    fn only_feature_flags_reach_the_resolver() {
        let args: Vec<String> = "--locked --profile release --package web --features web/tls --no-default-features --bin web"
            .split(' ')
            .map(str::to_string)
            .collect();
        assert_eq!(
            feature_args(&args),
            ["--features", "web/tls", "--no-default-features"]
        );
    }

    #[test]
    fn components_carry_licenses_checksums_and_where_they_came_from() {
        let mut graph = BuildGraph::default();
        for c in [
            krate("web", "0.3.1", true),
            krate("serde", "1.0.200", false),
            krate("common", "0.3.1", true),
            krate("forked", "0.1.0", false),
        ] {
            graph.linked.insert(format!("{}@{}", c.name, c.version), c);
        }
        let lock = BTreeMap::from([
            (
                "serde@1.0.200".to_string(),
                Locked {
                    source: Some(CRATES_IO.into()),
                    checksum: Some("ab".repeat(32)),
                },
            ),
            (
                "forked@0.1.0".to_string(),
                Locked {
                    source: Some("git+https://example.com/f.git?branch=x#0123abc".into()),
                    checksum: None,
                },
            ),
        ]);
        let facts = BTreeMap::from([(
            "serde@1.0.200".to_string(),
            PackageFacts {
                links: None,
                dir: None,
                build_script: None,
                license: Some("MIT OR Apache-2.0".into()),
                ..PackageFacts::default()
            },
        )]);
        let doc = bom(
            ("web", "0.3.1"),
            &graph,
            &lock,
            &facts,
            "2023-11-14T22:13:20Z",
        );
        assert_eq!(doc["metadata"]["component"]["purl"], "pkg:cargo/web@0.3.1");
        let refs: Vec<&str> = doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["bom-ref"].as_str().unwrap())
            .collect();
        assert_eq!(
            refs,
            [
                "pkg:cargo/common@0.3.1",
                "pkg:cargo/forked@0.1.0?vcs_url=git%2Bhttps://example.com/f.git%3Fbranch%3Dx%230123abc",
                "pkg:cargo/serde@1.0.200",
            ]
        );
        let serde = &doc["components"][2];
        assert_eq!(serde["licenses"][0]["expression"], "MIT OR Apache-2.0");
        assert_eq!(serde["hashes"][0]["content"], "ab".repeat(32));
        assert!(
            doc["components"][0].get("hashes").is_none(),
            "a path crate has no checksum"
        );
    }
}
