//! Owns `publish`: the second half of a build/publish split. Each runner builds its platforms
//! into OCI layouts (`build --backend oci --output type=oci,dest=DIR/{image},tar=false`); one
//! job then reads all of those layouts, merges the per-platform manifests of each image into one
//! index, and pushes it under the plan's tags, with the registry client's blob checks. No
//! machine needs to build every architecture.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};

use crate::image_file::ImageFiles;
use serde_json::Value;

use super::attest::{self, Attestation};
use super::blobs::{Blob, Source};
use super::image::{PlatformImage, index, needs_index};
use super::output::IMAGE_ANNOTATION;
use crate::error::{Error, Result};
use crate::platform::Platform;

/// One image's platforms, gathered from every layout that has some.
#[derive(Debug, Default)]
pub struct Gathered {
    pub images: BTreeMap<String, Vec<PlatformImage>>,
}

fn corrupt(path: &Utf8Path, why: impl std::fmt::Display) -> Error {
    Error::input(format!("`{path}` is not a layout `cargo distroless build` wrote: {why}"))
        .with_help("pass the directories `build --backend oci --output type=oci,dest=DIR/{image},tar=false` wrote")
}

fn read_json(layout: &Utf8Path, files: &ImageFiles, digest: &str) -> Result<(Value, Vec<u8>)> {
    let bytes = files.blob(digest).map_err(|e| corrupt(layout, e))?;
    let value = serde_json::from_slice(&bytes)
        .map_err(|e| corrupt(layout, format!("blob `{digest}`: {e}")))?;
    Ok((value, bytes))
}

fn file_blob(layout: &Utf8Path, files: &ImageFiles, d: &Value) -> Result<Blob> {
    let digest = d["digest"]
        .as_str()
        .ok_or_else(|| corrupt(layout, "a descriptor without a digest"))?;
    let source = match files.blob_file(digest) {
        Some(path) if path.is_file() => Source::File(path),
        Some(_) => return Err(corrupt(layout, format!("blob `{digest}` is missing"))),
        None => Source::Memory(std::sync::Arc::new(
            files.blob(digest).map_err(|e| corrupt(layout, e))?,
        )),
    };
    Ok(Blob {
        media_type: d["mediaType"].as_str().unwrap_or_default().to_string(),
        digest: digest.to_string(),
        size: d["size"].as_u64().unwrap_or_default(),
        source,
    })
}

/// One platform's image out of a layout, by its manifest descriptor.
fn platform_image(layout: &Utf8Path, files: &ImageFiles, d: &Value) -> Result<PlatformImage> {
    let digest = d["digest"]
        .as_str()
        .ok_or_else(|| corrupt(layout, "a descriptor without a digest"))?;
    let (manifest, bytes) = read_json(layout, files, digest)?;
    let config = file_blob(layout, files, &manifest["config"])?;
    let (config_json, _) = read_json(layout, files, &config.digest)?;
    let arch = config_json["architecture"].as_str().unwrap_or_default();
    let variant = config_json["variant"].as_str().unwrap_or_default();
    let platform = crate::platform::PLATFORMS
        .iter()
        .find(|p| p.arch == arch && (p.variant == variant || variant.is_empty()))
        .ok_or_else(|| {
            corrupt(
                layout,
                format!("an image for `{arch}`, which cargo-distroless does not build"),
            )
        })?;
    let layers = layers_of(layout, files, &manifest)?;
    Ok(PlatformImage {
        platform: Platform::find(platform.name).expect("from the table"),
        config,
        layers,
        manifest: Blob {
            media_type: manifest["mediaType"]
                .as_str()
                .unwrap_or(super::blobs::OCI_MANIFEST)
                .to_string(),
            digest: digest.to_string(),
            size: bytes.len() as u64,
            source: Source::Memory(std::sync::Arc::new(bytes)),
        },
        base_size: 0,
        app_size: 0,
        attestation: None,
    })
}

/// The blobs a manifest lists as layers.
fn layers_of(layout: &Utf8Path, files: &ImageFiles, manifest: &Value) -> Result<Vec<Blob>> {
    manifest["layers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| file_blob(layout, files, l))
        .collect()
}

/// An attestation manifest out of a layout, by its index entry.
fn attestation(layout: &Utf8Path, files: &ImageFiles, d: &Value) -> Result<Attestation> {
    let manifest = file_blob(layout, files, d)?;
    let (value, _) = read_json(layout, files, &manifest.digest)?;
    let config = file_blob(layout, files, &value["config"])?;
    let layers = layers_of(layout, files, &value)?;
    Ok(Attestation {
        config,
        layers,
        manifest,
    })
}

/// Reads every layout and gathers each image's platforms; the same platform twice with two
/// different digests is an error (two runners built different things).
pub fn gather(layouts: &[Utf8PathBuf]) -> Result<Gathered> {
    let mut gathered = Gathered::default();
    // Attestations listed beside a single platform's tags: (image, subject digest, attestation).
    let mut beside = Vec::new();
    for layout in layouts {
        // A layout directory or an OCI archive of one.
        let files = ImageFiles::open(layout).map_err(|e| corrupt(layout, e))?;
        let text = files.get("index.json").map_err(|e| corrupt(layout, e))?;
        let top: Value = serde_json::from_slice(&text)
            .map_err(|e| corrupt(layout, format!("`index.json`: {e}")))?;
        // Every tag points at the same thing; one entry per image is enough.
        let mut seen = std::collections::BTreeSet::new();
        for entry in top["manifests"].as_array().cloned().unwrap_or_default() {
            let Some(name) = entry["annotations"][IMAGE_ANNOTATION].as_str() else {
                return Err(corrupt(
                    layout,
                    format!("an entry without the `{IMAGE_ANNOTATION}` annotation"),
                ));
            };
            if !seen.insert((name.to_string(), entry["digest"].to_string())) {
                continue;
            }
            if entry["annotations"][attest::REFERENCE_TYPE] == attest::ATTESTATION_MANIFEST {
                let subject = entry["annotations"][attest::REFERENCE_DIGEST]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                beside.push((
                    name.to_string(),
                    subject,
                    attestation(layout, &files, &entry)?,
                ));
                continue;
            }
            let media = entry["mediaType"].as_str().unwrap_or_default();
            let mut platforms = Vec::new();
            if media.contains("index") || media.contains("list") {
                let digest = entry["digest"].as_str().unwrap_or_default();
                let (idx, _) = read_json(layout, &files, digest)?;
                let entries = idx["manifests"].as_array().cloned().unwrap_or_default();
                let is_attestation = |m: &Value| {
                    m["annotations"][attest::REFERENCE_TYPE] == attest::ATTESTATION_MANIFEST
                };
                for m in entries.iter().filter(|m| !is_attestation(m)) {
                    platforms.push(platform_image(layout, &files, m)?);
                }
                // Each attestation goes with the image it describes.
                for m in entries.iter().filter(|m| is_attestation(m)) {
                    let subject = m["annotations"][attest::REFERENCE_DIGEST].as_str();
                    if let Some(p) = platforms
                        .iter_mut()
                        .find(|p| Some(p.manifest.digest.as_str()) == subject)
                    {
                        p.attestation = Some(attestation(layout, &files, m)?);
                    }
                }
            } else {
                platforms.push(platform_image(layout, &files, &entry)?);
            }
            let slot = gathered.images.entry(name.to_string()).or_default();
            for p in platforms {
                match slot.iter().find(|x| x.platform.name == p.platform.name) {
                    Some(x) if x.manifest.digest != p.manifest.digest => {
                        return Err(Error::input(format!(
                            "image `{name}` for {} comes in two different builds ({} and {})",
                            p.platform.name, x.manifest.digest, p.manifest.digest
                        ))
                        .with_help("publish one layout per platform, from the same commit"));
                    }
                    Some(_) => {}
                    None => slot.push(p),
                }
            }
        }
    }
    for (name, subject, a) in beside {
        if let Some(p) = gathered
            .images
            .get_mut(&name)
            .and_then(|images| images.iter_mut().find(|p| p.manifest.digest == subject))
        {
            p.attestation = Some(a);
        }
    }
    for images in gathered.images.values_mut() {
        images.sort_by(|a, b| a.platform.name.cmp(b.platform.name));
    }
    Ok(gathered)
}

/// The index over an image's gathered platforms (none for a single platform without
/// attestations).
pub fn merged_index(images: &[PlatformImage]) -> Option<Blob> {
    needs_index(images).then(|| index(images))
}
