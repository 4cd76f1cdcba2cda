//! Owns content-addressed blobs: where each one's bytes are (in memory, in an OCI layout, in
//! the on-disk cache of pulled bases), and the cache itself. A blob is found by digest and checked
//! against it when it comes in from outside, so a warm cache needs no network and a corrupt file
//! is never used.

use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};

use super::layer::sha256;
use crate::error::{Error, Result};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Memory(Arc<Vec<u8>>),
    File(Utf8PathBuf),
}

/// A blob and what a descriptor says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub media_type: String,
    /// `sha256:…`
    pub digest: String,
    pub size: u64,
    pub source: Source,
}

impl Blob {
    pub fn from_bytes(media_type: &str, data: Vec<u8>) -> Blob {
        Blob {
            media_type: media_type.to_string(),
            digest: sha256(&data),
            size: data.len() as u64,
            source: Source::Memory(Arc::new(data)),
        }
    }

    pub fn bytes(&self) -> Result<Vec<u8>> {
        match &self.source {
            Source::Memory(data) => Ok(data.as_ref().clone()),
            Source::File(path) => std::fs::read(path).map_err(|e| {
                Error::environment(format!(
                    "could not read blob `{}` at `{path}`: {e}",
                    self.digest
                ))
            }),
        }
    }

    /// The descriptor of this blob, as manifests and indexes list it.
    pub fn descriptor(&self) -> serde_json::Value {
        serde_json::json!({
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        })
    }

    pub fn hex(&self) -> &str {
        self.digest.trim_start_matches("sha256:")
    }
}

/// The on-disk cache of blobs pulled from registries:
/// `$CARGO_DISTROLESS_CACHE` or `$XDG_CACHE_HOME/cargo-distroless` or `~/.cache/cargo-distroless`,
/// then `blobs/sha256/<hex>`.
#[derive(Debug, Clone)]
pub struct Cache {
    pub dir: Utf8PathBuf,
}

/// The user's cache directory for this tool: `CARGO_DISTROLESS_CACHE`, else
/// `$XDG_CACHE_HOME/cargo-distroless`, else `~/.cache/cargo-distroless`.
pub fn user_cache_base() -> Option<Utf8PathBuf> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    var("CARGO_DISTROLESS_CACHE")
        .map(Utf8PathBuf::from)
        .or_else(|| var("XDG_CACHE_HOME").map(|d| Utf8PathBuf::from(d).join("cargo-distroless")))
        .or_else(|| var("HOME").map(|h| Utf8PathBuf::from(h).join(".cache/cargo-distroless")))
}

impl Cache {
    pub fn open() -> Result<Cache> {
        let base = user_cache_base().ok_or_else(|| {
            Error::environment("no cache directory: neither `HOME` nor `XDG_CACHE_HOME` is set")
                .with_help("set `CARGO_DISTROLESS_CACHE` to a writable directory")
        })?;
        let dir = base.join("blobs/sha256");
        std::fs::create_dir_all(&dir).map_err(|e| {
            Error::environment(format!("could not create the blob cache `{dir}`: {e}"))
                .with_help("set `CARGO_DISTROLESS_CACHE` to a writable directory")
        })?;
        Ok(Cache { dir })
    }

    pub fn path(&self, digest: &str) -> Utf8PathBuf {
        self.dir.join(digest.trim_start_matches("sha256:"))
    }

    /// The cached blob, when present with the expected size.
    pub fn get(&self, media_type: &str, digest: &str, size: u64) -> Option<Blob> {
        let path = self.path(digest);
        let meta = std::fs::metadata(&path).ok()?;
        (meta.len() == size).then(|| Blob {
            media_type: media_type.to_string(),
            digest: digest.to_string(),
            size,
            source: Source::File(path),
        })
    }

    /// Moves a downloaded file into the cache once its content matches `digest`.
    pub fn admit(&self, tmp: &Utf8Path, media_type: &str, digest: &str) -> Result<Blob> {
        let data = std::fs::read(tmp)
            .map_err(|e| Error::environment(format!("could not read `{tmp}`: {e}")))?;
        let actual = sha256(&data);
        if actual != digest {
            let _ = std::fs::remove_file(tmp);
            return Err(Error::environment(format!(
                "blob `{digest}` arrived with digest `{actual}`"
            ))
            .with_help("the registry or a proxy changed it in transit; try again"));
        }
        let path = self.path(digest);
        std::fs::rename(tmp, &path)
            .map_err(|e| Error::environment(format!("could not write `{path}`: {e}")))?;
        Ok(Blob {
            media_type: media_type.to_string(),
            digest: digest.to_string(),
            size: data.len() as u64,
            source: Source::File(path),
        })
    }
}
