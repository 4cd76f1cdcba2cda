//! Owns finding the base image of one platform, from what `runtime-image` names:
//! - a registry reference (`gcr.io/distroless/static-debian12:nonroot`, or pinned `@sha256:…`):
//!   pulled through [`super::registry`], blobs cached on disk by digest;
//! - `oci-layout:PATH`: an OCI image layout directory or archive on disk;
//! - `builtin:static`: a minimal base made here for static binaries where no registry can be
//!   reached (passwd and group with nonroot 65532, the CA bundle of this machine, `/tmp` 1777).
//!   Only when named: never a silent fallback.
//!
//! And what a cc build needs to know of its base, read from its layers: the shared libraries it
//! has, and its glibc.

use camino::{Utf8Path, Utf8PathBuf};
use serde_json::{Value, json};

use super::blobs::{
    Blob, Cache, DOCKER_CONFIG, DOCKER_LIST, DOCKER_MANIFEST, OCI_LAYER_GZIP, Source,
};
use super::image::BaseImage;
use super::layer::LayerBuilder;
use super::registry::Registry;
use crate::error::{Error, Result};
use crate::image_file::ImageFiles;
use crate::plan::Runtime;
use crate::platform::Platform;

pub const BUILTIN_STATIC: &str = "builtin:static";
pub const OCI_LAYOUT_PREFIX: &str = "oci-layout:";

/// A `runtime-image` that names a base on disk or built in (the oci backend's alone).
pub fn is_daemonless_base(runtime_image: &str) -> bool {
    runtime_image == BUILTIN_STATIC
        || runtime_image
            .strip_prefix(OCI_LAYOUT_PREFIX)
            .is_some_and(|p| !p.is_empty())
}

/// Where a base comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseSource {
    Registry(String),
    Layout(Utf8PathBuf),
    BuiltinStatic,
}

impl BaseSource {
    pub fn parse(runtime_image: &str, root: &Utf8Path) -> BaseSource {
        // Scratch with what a static binary needs is exactly the built-in base.
        if runtime_image == BUILTIN_STATIC || runtime_image == crate::config::defaults::SCRATCH {
            BaseSource::BuiltinStatic
        } else if let Some(path) = runtime_image.strip_prefix(OCI_LAYOUT_PREFIX) {
            let path = Utf8PathBuf::from(path);
            BaseSource::Layout(if path.is_absolute() {
                path
            } else {
                root.join(path)
            })
        } else {
            BaseSource::Registry(runtime_image.to_string())
        }
    }
}

/// The base for `platform`, however it is named. `runtime` is the image's, for the help when its
/// registry cannot be reached.
pub fn resolve(
    source: &BaseSource,
    name: &str,
    runtime: Runtime,
    platform: &'static Platform,
    registry: &mut Option<Registry>,
    mtime: u64,
) -> Result<BaseImage> {
    match source {
        BaseSource::BuiltinStatic => builtin_static(name, platform, mtime),
        BaseSource::Layout(path) => from_layout(path, name, platform),
        BaseSource::Registry(reference) => {
            if registry.is_none() {
                *registry = Some(Registry::new(Cache::open()?)?);
            }
            registry.as_mut().expect("just made").pull_base(
                reference,
                platform,
                &without_registry(reference, runtime),
            )
        }
    }
}

/// Where a base can come from when its registry cannot be reached (a machine behind a firewall, or
/// offline): a static binary needs nothing of a distroless base that the built-in one lacks; any
/// base can be copied to disk where the registry answers.
fn without_registry(reference: &str, runtime: Runtime) -> String {
    let copy = format!(
        "copy it to disk where it is reachable (`skopeo copy docker://{reference} oci:base`) and set `runtime-image = \"oci-layout:base\"`"
    );
    match runtime {
        Runtime::Static => format!(
            "; without a registry, a static image can take the base made here (`--runtime scratch`, or `runtime = \"scratch\"` in its package's `[package.metadata.distroless]`), or {copy}"
        ),
        Runtime::Cc => format!(", or {copy}"),
    }
}

const PASSWD: &str = "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n";
const GROUP: &str = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n";
const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

fn builtin_static(name: &str, platform: &'static Platform, mtime: u64) -> Result<BaseImage> {
    let ca = std::fs::read(CA_BUNDLE).map_err(|e| {
        Error::environment(format!(
            "the built-in base takes this machine's CA bundle, and `{CA_BUNDLE}` could not be read: {e}"
        ))
        .with_help("install the CA certificates (Debian: `ca-certificates`), or use a registry or `oci-layout:` base")
    })?;
    let mut b = LayerBuilder::default();
    b.file("etc/passwd", PASSWD.as_bytes().to_vec(), 0o644, (0, 0));
    b.file("etc/group", GROUP.as_bytes().to_vec(), 0o644, (0, 0));
    b.file("etc/ssl/certs/ca-certificates.crt", ca, 0o644, (0, 0));
    b.dir("tmp", 0o1777, (0, 0));
    b.dir("home/nonroot", 0o700, (65532, 65532));
    let layer = b.finish(mtime)?;
    let created = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime),
    )
    .to_string();
    let config = json!({
        "architecture": platform.arch,
        "os": "linux",
        "created": created,
        "config": {
            "Env": [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
            ],
            "User": "65532:65532",
            "WorkingDir": "/home/nonroot",
        },
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id]},
        "history": [{"created": created, "created_by": "cargo-distroless built-in static base"}],
    });
    Ok(BaseImage {
        name: name.to_string(),
        digest: None,
        docker_types: false,
        config,
        layers: vec![Blob::from_bytes(OCI_LAYER_GZIP, layer.blob)],
    })
}

/// An OCI image layout (directory or archive): the manifest for `platform`, its config and
/// layers, every blob checked to exist with its size.
fn from_layout(path: &Utf8Path, name: &str, platform: &'static Platform) -> Result<BaseImage> {
    let corrupt = |why: String| {
        Error::input(format!("`{path}` is not a usable OCI image layout: {why}"))
            .with_help("make one with `skopeo copy docker://IMAGE oci:DIR` (or `oci-archive:FILE`)")
    };
    let blobs = ImageFiles::open(path).map_err(&corrupt)?;
    let index: Value = serde_json::from_slice(&blobs.get("index.json").map_err(&corrupt)?)
        .map_err(|e| corrupt(format!("`index.json`: {e}")))?;
    let mut candidates: Vec<Value> = index["manifests"].as_array().cloned().unwrap_or_default();
    let mut seen = 0;
    while let Some(d) = candidates.first().cloned() {
        candidates.remove(0);
        seen += 1;
        if seen > 64 {
            break;
        }
        let media = d["mediaType"].as_str().unwrap_or_default();
        let digest = d["digest"]
            .as_str()
            .ok_or_else(|| corrupt("a descriptor without a digest".into()))?;
        if let Some(p) = d.get("platform")
            && (p["architecture"] != platform.arch
                || (!platform.variant.is_empty()
                    && p.get("variant").is_some_and(|v| v != platform.variant)))
        {
            continue;
        }
        let doc: Value = serde_json::from_slice(&blobs.blob(digest).map_err(&corrupt)?)
            .map_err(|e| corrupt(format!("blob `{digest}`: {e}")))?;
        if media.contains("index") || media == DOCKER_LIST || doc.get("manifests").is_some() {
            candidates.extend(doc["manifests"].as_array().cloned().unwrap_or_default());
            continue;
        }
        let config_digest = doc["config"]["digest"]
            .as_str()
            .ok_or_else(|| corrupt(format!("manifest `{digest}` has no config")))?;
        let config: Value = serde_json::from_slice(&blobs.blob(config_digest).map_err(&corrupt)?)
            .map_err(|e| corrupt(format!("config `{config_digest}`: {e}")))?;
        if config["architecture"] != platform.arch {
            continue;
        }
        let mut layers = Vec::new();
        for l in doc["layers"].as_array().cloned().unwrap_or_default() {
            let digest = l["digest"]
                .as_str()
                .ok_or_else(|| corrupt("a layer without a digest".into()))?;
            let size = l["size"].as_u64().unwrap_or(0);
            let media_type = l["mediaType"]
                .as_str()
                .unwrap_or(OCI_LAYER_GZIP)
                .to_string();
            let source = layer_source(&blobs, digest, size).map_err(&corrupt)?;
            layers.push(Blob {
                media_type,
                digest: digest.to_string(),
                size,
                source,
            });
        }
        let manifest_type = doc["mediaType"].as_str().unwrap_or(media);
        return Ok(BaseImage {
            name: name.to_string(),
            digest: Some(digest.to_string()),
            docker_types: manifest_type == DOCKER_MANIFEST
                || doc["config"]["mediaType"] == DOCKER_CONFIG,
            config,
            layers,
        });
    }
    Err(Error::input(format!(
        "the OCI layout `{path}` has no image for {}",
        platform.name
    ))
    .with_help("use a layout of a multi-platform base, or drop the platform"))
}

/// Where a layout's layer is: its file in a directory (size checked), or its bytes from an
/// archive (digest checked).
fn layer_source(
    files: &ImageFiles,
    digest: &str,
    size: u64,
) -> std::result::Result<Source, String> {
    match files.blob_file(digest) {
        Some(path) => {
            let len = std::fs::metadata(&path)
                .map_err(|e| format!("layer `{digest}`: {e}"))?
                .len();
            if len != size {
                return Err(format!(
                    "layer `{digest}` has {len} bytes, its manifest says {size}"
                ));
            }
            Ok(Source::File(path))
        }
        None => Ok(Source::Memory(std::sync::Arc::new(files.blob(digest)?))),
    }
}

/// What `read` finds in each of a base's layers, in order, its errors naming the layer.
fn read_layers<T>(
    base: &BaseImage,
    read: impl Fn(&[u8]) -> std::result::Result<T, String>,
) -> Result<Vec<T>> {
    base.layers
        .iter()
        .map(|layer| {
            read(&layer.bytes()?).map_err(|e| {
                Error::input(format!(
                    "layer `{}` of base `{}`: {e}",
                    layer.digest, base.name
                ))
            })
        })
        .collect()
}

/// File names of the shared libraries in a base's layers (a cc binary may need only these).
pub fn library_names(base: &BaseImage) -> Result<std::collections::BTreeSet<String>> {
    Ok(read_layers(base, crate::image_file::library_names)?
        .into_iter()
        .flatten()
        .collect())
}

/// The glibc of a base its name does not tell (an `oci-layout:`, a base of the user's own): the
/// newest `GLIBC_` version its `libc.so.6` defines, or the version in the name of the file it
/// links to (`libc-2.31.so`); the last layer that has one wins. `None` for a base without glibc.
pub fn glibc(base: &BaseImage) -> Result<Option<String>> {
    Ok(read_layers(base, crate::image_file::libc_entry)?
        .into_iter()
        .flatten()
        .last()
        .and_then(|libc| libc.glibc()))
}
