//! Owns assembling one platform's image from a base and the application layer: the image
//! config (user, entrypoint, cmd, env, workdir, ports, labels, `created`), the manifest, and the
//! index over several platforms. Everything is written as JSON with sorted keys (serde_json's
//! map is ordered) rather than through oci-spec's builders, whose annotations are a `HashMap`:
//! a digest must not depend on hash order.

use serde_json::{Map, Value, json};

use super::attest::Attestation;
use super::blobs::{
    Blob, DOCKER_CONFIG, DOCKER_LAYER_GZIP, DOCKER_LIST, DOCKER_MANIFEST, OCI_CONFIG, OCI_INDEX,
    OCI_LAYER_GZIP, OCI_MANIFEST,
};
use super::layer::Layer;
use crate::error::{Error, Result};
use crate::plan::ImagePlan;
use crate::platform::Platform;

/// A base image for one platform, however it was found.
#[derive(Debug, Clone)]
pub struct BaseImage {
    /// What to call it in labels and messages: `gcr.io/distroless/static-debian12:nonroot`.
    pub name: String,
    /// The digest of its manifest, when it has one (the built-in base is made here).
    pub digest: Option<String>,
    /// Docker's schema 2 or OCI: the image keeps the base's family (some registries reject a mix).
    pub docker_types: bool,
    pub config: Value,
    pub layers: Vec<Blob>,
}

/// One platform's image: what the manifest lists, and the manifest itself.
#[derive(Debug, Clone)]
pub struct PlatformImage {
    pub platform: &'static Platform,
    pub config: Blob,
    pub layers: Vec<Blob>,
    pub manifest: Blob,
    /// Sizes for the report: the base's layers and the application layer (compressed).
    pub base_size: u64,
    pub app_size: u64,
    /// Its SBOM attestation, listed beside it in the index.
    pub attestation: Option<Attestation>,
}

impl PlatformImage {
    /// Every blob it and its attestation need, manifests last (the order a push must follow).
    pub fn blobs(&self) -> Vec<&Blob> {
        let mut out: Vec<&Blob> = self
            .layers
            .iter()
            .chain([&self.config, &self.manifest])
            .collect();
        if let Some(a) = &self.attestation {
            out.extend(a.layers.iter().chain([&a.config, &a.manifest]));
        }
        out
    }
}

/// An image needs an index when it has several platforms, or attestations to list.
pub fn needs_index(images: &[PlatformImage]) -> bool {
    images.len() > 1 || images.iter().any(|i| i.attestation.is_some())
}

/// Facts of the build that go into the config.
pub struct Stamp<'a> {
    /// RFC 3339, from `SOURCE_DATE_EPOCH` (or the commit time) for reproducibility.
    pub created: &'a str,
    pub revision: Option<&'a str>,
}

pub fn assemble(
    image: &ImagePlan,
    platform: &'static Platform,
    base: &BaseImage,
    app: &Layer,
    stamp: &Stamp,
) -> Result<PlatformImage> {
    let mut config = base.config.clone();
    let arch = config["architecture"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if !arch.is_empty() && arch != platform.arch {
        return Err(Error::input(format!(
            "base `{}` is for {arch}, not {}",
            base.name, platform.name
        ))
        .with_help(
            "use a base that has this platform (a multi-platform index, or a layout for it)",
        ));
    }
    let obj = config.as_object_mut().ok_or_else(|| {
        Error::input(format!(
            "the config of base `{}` is not a JSON object",
            base.name
        ))
    })?;
    obj.insert("created".into(), json!(stamp.created));
    obj.insert("architecture".into(), json!(platform.arch));
    obj.insert("os".into(), json!("linux"));
    if platform.variant.is_empty() {
        obj.remove("variant");
    } else {
        obj.insert("variant".into(), json!(platform.variant));
    }
    let run = obj
        .entry("config")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| Error::input(format!("base `{}` has a malformed config", base.name)))?;
    run.insert("User".into(), json!(image.user));
    let program = format!("/usr/local/bin/{}", image.entrypoint);
    let entrypoint = match image.init {
        crate::config::InitChoice::Tini => json!(["/usr/bin/tini", "--", program]),
        crate::config::InitChoice::None => json!([program]),
    };
    run.insert("Entrypoint".into(), entrypoint);
    // As in a Dockerfile: setting the entrypoint drops the base's command.
    match &image.args {
        Some(args) => run.insert("Cmd".into(), json!(args)),
        None => run.remove("Cmd"),
    };
    let mut env: Vec<(String, String)> = run
        .get("Env")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| {
                    v.as_str()?
                        .split_once('=')
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    for (k, v) in &image.env {
        match env.iter_mut().find(|(key, _)| key == k) {
            Some(slot) => slot.1 = v.clone(),
            None => env.push((k.clone(), v.clone())),
        }
    }
    if !env.is_empty() {
        run.insert(
            "Env".into(),
            json!(
                env.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
            ),
        );
    }
    if let Some(workdir) = &image.workdir {
        run.insert("WorkingDir".into(), json!(workdir));
    }
    if !image.expose.is_empty() {
        let ports = run
            .entry("ExposedPorts")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .ok_or_else(|| {
                Error::input(format!("base `{}` has malformed ExposedPorts", base.name))
            })?;
        for p in &image.expose {
            let key = if p.contains('/') {
                p.clone()
            } else {
                format!("{p}/tcp")
            };
            ports.insert(key, json!({}));
        }
    }
    let labels = run
        .entry("Labels")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| Error::input(format!("base `{}` has malformed Labels", base.name)))?;
    for (k, v) in &image.labels {
        labels.insert(k.clone(), json!(v));
    }
    labels.insert(
        "org.opencontainers.image.created".into(),
        json!(stamp.created),
    );
    labels.insert(
        "org.opencontainers.image.base.name".into(),
        json!(base.name),
    );
    if let Some(d) = &base.digest {
        labels.insert("org.opencontainers.image.base.digest".into(), json!(d));
    }
    if let Some(r) = stamp.revision {
        labels.insert("org.opencontainers.image.revision".into(), json!(r));
    }
    let rootfs = obj
        .entry("rootfs")
        .or_insert_with(|| json!({"type": "layers", "diff_ids": []}));
    rootfs["type"] = json!("layers");
    match rootfs["diff_ids"].as_array_mut() {
        Some(ids) => ids.push(json!(app.diff_id)),
        None => rootfs["diff_ids"] = json!([app.diff_id]),
    }
    let history = obj.entry("history").or_insert_with(|| json!([]));
    if let Some(h) = history.as_array_mut() {
        h.push(json!({
            "created": stamp.created,
            "created_by": format!("cargo-distroless: /usr/local/bin/{}", image.bins.join(" /usr/local/bin/")),
            "comment": "binaries and assets",
        }));
    }
    let (manifest_type, config_type, layer_type) = if base.docker_types {
        (DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER_GZIP)
    } else {
        (OCI_MANIFEST, OCI_CONFIG, OCI_LAYER_GZIP)
    };
    let config = Blob::from_bytes(config_type, canonical(&config));
    let app_blob = Blob::from_bytes(layer_type, app.blob.clone());
    let mut layers = base.layers.clone();
    layers.push(app_blob.clone());
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": manifest_type,
        "config": config.descriptor(),
        "layers": layers.iter().map(Blob::descriptor).collect::<Vec<_>>(),
    });
    Ok(PlatformImage {
        platform,
        base_size: base.layers.iter().map(|l| l.size).sum(),
        app_size: app_blob.size,
        config,
        layers,
        manifest: Blob::from_bytes(manifest_type, canonical(&manifest)),
        attestation: None,
    })
}

/// The index over several platforms, in the order given (the plan's, which is sorted).
pub fn index(images: &[PlatformImage]) -> Blob {
    // Attestation manifests are OCI's: an index that lists them is OCI's too.
    let docker = images
        .iter()
        .all(|i| i.manifest.media_type == DOCKER_MANIFEST && i.attestation.is_none());
    let mut manifests: Vec<Value> = images
        .iter()
        .map(|i| {
            let mut d = i.manifest.descriptor();
            let mut platform = Map::new();
            platform.insert("architecture".into(), json!(i.platform.arch));
            platform.insert("os".into(), json!("linux"));
            if !i.platform.variant.is_empty() {
                platform.insert("variant".into(), json!(i.platform.variant));
            }
            d["platform"] = Value::Object(platform);
            d
        })
        .collect();
    // BuildKit's order: the images, then their attestations.
    manifests.extend(
        images
            .iter()
            .filter_map(|i| Some(i.attestation.as_ref()?.descriptor(&i.manifest))),
    );
    let media_type = if docker { DOCKER_LIST } else { OCI_INDEX };
    Blob::from_bytes(
        media_type,
        canonical(&json!({"schemaVersion": 2, "mediaType": media_type, "manifests": manifests})),
    )
}

/// Compact JSON with sorted keys: the same value gives the same bytes.
pub fn canonical(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("JSON values serialise")
}
