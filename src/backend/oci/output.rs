//! Owns writing built images to disk: an OCI image layout (a directory, or the same as a tar
//! archive) and a `docker load`-able archive. Each is written beside its destination and renamed
//! into place, so an interrupted or failed write never leaves a half-written layout (no index
//! that names missing blobs). Archives are deterministic tars (sorted, fixed times).

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use serde_json::json;

use super::blobs::Blob;
use super::image::{PlatformImage, canonical};
use crate::error::{Error, Result};

/// Where `--output` sends an image, parsed from buildx's spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// `type=oci,dest=PATH` (an archive) or `type=oci,dest=DIR,tar=false` (a layout directory).
    Oci { dest: Utf8PathBuf, tar: bool },
    /// `type=docker,dest=PATH`: a `docker load` archive.
    Docker { dest: Utf8PathBuf },
}

impl Destination {
    /// Parses a buildx `--output` spec; `{image}` in `dest` is the image's name, so one spec
    /// serves several images.
    pub fn parse(spec: &str, image: &str, root: &Utf8Path) -> Result<Destination> {
        let mut fields = BTreeMap::new();
        for part in spec.split(',') {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                Error::input(format!("`--output {spec}`: `{part}` is not `key=value`"))
                    .with_help("write it as buildx does: `type=oci,dest=web.tar`")
            })?;
            fields.insert(k.trim(), v.trim());
        }
        let dest = fields
            .get("dest")
            .map(|d| d.replace("{image}", image))
            .ok_or_else(|| {
                Error::input(format!("`--output {spec}` has no `dest=`"))
                    .with_help("name where to write it: `type=oci,dest=target/web.tar`")
            })?;
        let dest = Utf8PathBuf::from(dest);
        let dest = if dest.is_absolute() {
            dest
        } else {
            root.join(dest)
        };
        match fields.get("type").copied() {
            Some("oci") => Ok(Destination::Oci {
                dest,
                tar: fields.get("tar").is_none_or(|t| *t != "false"),
            }),
            Some("docker") => Ok(Destination::Docker { dest }),
            other => Err(Error::input(format!(
                "the oci backend writes `type=oci` and `type=docker` outputs, not `{}`",
                other.unwrap_or("(none)")
            ))
            .with_help("use `--push`, `--load`, `--output type=oci,dest=PATH[,tar=false]` or `--output type=docker,dest=PATH`; other outputs need `--backend buildx`")),
        }
    }
}

/// The files of an OCI layout: `oci-layout`, `index.json` (one entry per tag, pointing at the
/// image's index or manifest), and every blob.
fn layout_files(
    name: &str,
    images: &[PlatformImage],
    index: Option<&Blob>,
    tags: &[String],
) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    let mut put = |b: &Blob| -> Result<()> {
        files.insert(format!("blobs/sha256/{}", b.hex()), b.bytes()?);
        Ok(())
    };
    for image in images {
        for b in image.blobs() {
            put(b)?;
        }
    }
    let top = match index {
        Some(i) => {
            put(i)?;
            i
        }
        None => {
            &images
                .first()
                .ok_or_else(|| Error::internal("an image with no platform"))?
                .manifest
        }
    };
    let mut manifests: Vec<_> = tags
        .iter()
        .map(|t| {
            let mut d = top.descriptor();
            // The image's name too: `publish` merges layouts built on several machines by it.
            d["annotations"] = json!({
                "org.opencontainers.image.ref.name": t,
                IMAGE_ANNOTATION: name,
            });
            d
        })
        .collect();
    // Without an index (one platform), an attestation is listed beside the tags, tied to the
    // manifest it describes.
    if index.is_none() {
        for image in images {
            if let Some(a) = &image.attestation {
                let mut d = a.descriptor(&image.manifest);
                d["annotations"][IMAGE_ANNOTATION] = json!(name);
                manifests.push(d);
            }
        }
    }
    files.insert(
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    );
    files.insert(
        "index.json".into(),
        canonical(&json!({"schemaVersion": 2, "mediaType": super::blobs::OCI_INDEX, "manifests": manifests})),
    );
    Ok(files)
}

/// A `docker load` archive of one platform's image: `manifest.json`, the config and layers.
fn docker_files(image: &PlatformImage, references: &[String]) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    let config = format!("blobs/sha256/{}", image.config.hex());
    files.insert(config.clone(), image.config.bytes()?);
    let mut layers = Vec::new();
    for l in &image.layers {
        let name = format!("blobs/sha256/{}", l.hex());
        files.insert(name.clone(), l.bytes()?);
        layers.push(name);
    }
    files.insert(
        "manifest.json".into(),
        canonical(&json!([{"Config": config, "RepoTags": references, "Layers": layers}])),
    );
    Ok(files)
}

/// The annotation on a layout's `index.json` entries naming the image (the plan's image name).
pub const IMAGE_ANNOTATION: &str = "dev.cargo-distroless.image";

/// Writes `images` to `dest`, atomically.
pub fn write(
    dest: &Destination,
    name: &str,
    images: &[PlatformImage],
    index: Option<&Blob>,
    tags: &[String],
    references: &[String],
    mtime: u64,
) -> Result<Utf8PathBuf> {
    match dest {
        Destination::Oci { dest, tar } => {
            let files = layout_files(name, images, index, tags)?;
            if *tar {
                write_tar(dest, &files, mtime)?;
            } else {
                write_dir(dest, &files)?;
            }
            Ok(dest.clone())
        }
        Destination::Docker { dest } => {
            let [image] = images else {
                return Err(Error::input(format!(
                    "a docker archive holds one platform, and this image has {}",
                    images.len()
                ))
                .with_help(
                    "build one `--platform` at a time for `type=docker`, or write `type=oci`",
                ));
            };
            write_tar(dest, &docker_files(image, references)?, mtime)?;
            Ok(dest.clone())
        }
    }
}

fn io_error(path: &Utf8Path, e: std::io::Error) -> Error {
    let mut err = Error::environment(format!("could not write `{path}`: {e}"));
    if e.raw_os_error() == Some(28) {
        err = err.with_help(
            "the disk is full: free some space and build again (nothing was left half-written)",
        );
    }
    err
}

fn write_tar(dest: &Utf8Path, files: &BTreeMap<String, Vec<u8>>, mtime: u64) -> Result<()> {
    if let Some(parent) = dest.parent().filter(|p| !p.as_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
    }
    let tmp = Utf8PathBuf::from(format!("{dest}.partial"));
    let result = (|| -> std::io::Result<()> {
        let file = std::fs::File::create(&tmp)?;
        let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(mtime);
            h.set_uid(0);
            h.set_gid(0);
            tar.append_data(&mut h, name, &data[..])?;
        }
        let mut inner = tar.into_inner()?;
        std::io::Write::flush(&mut inner)?;
        inner.get_ref().sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_error(dest, e));
    }
    std::fs::rename(&tmp, dest).map_err(|e| io_error(dest, e))
}

fn write_dir(dest: &Utf8Path, files: &BTreeMap<String, Vec<u8>>) -> Result<()> {
    let tmp = Utf8PathBuf::from(format!("{dest}.partial"));
    let _ = std::fs::remove_dir_all(&tmp);
    let result = (|| -> std::io::Result<()> {
        for (name, data) in files {
            let path = tmp.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, data)?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(io_error(dest, e));
    }
    // Swap the finished layout in: the old one (if any) goes only once the new one is whole.
    let old = Utf8PathBuf::from(format!("{dest}.old"));
    let _ = std::fs::remove_dir_all(&old);
    if dest.exists() {
        std::fs::rename(dest, &old).map_err(|e| io_error(dest, e))?;
    }
    std::fs::rename(&tmp, dest).map_err(|e| io_error(dest, e))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_specs_read_like_buildx() {
        let root = Utf8Path::new("/w");
        assert_eq!(
            Destination::parse("type=oci,dest=out/{image},tar=false", "web", root).unwrap(),
            Destination::Oci {
                dest: "/w/out/web".into(),
                tar: false
            }
        );
        assert_eq!(
            Destination::parse("type=docker,dest=/tmp/web.tar", "web", root).unwrap(),
            Destination::Docker {
                dest: "/tmp/web.tar".into()
            }
        );
        let err = Destination::parse("type=local,dest=x", "web", root).unwrap_err();
        assert!(err.message.contains("not `local`"), "{}", err.message);
        assert!(Destination::parse("type=oci", "web", root).is_err());
    }
}
