//! Owns reading one file out of a container image on disk: a `docker image save` archive
//! (`manifest.json`), an OCI image layout directory or archive (`index.json`). Layers are read
//! top down, so the file is the one a container would see. Used by `inspect` to find the
//! entrypoint's binary; no engine is needed once the image is on disk.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use camino::{Utf8Path, Utf8PathBuf};
use serde_json::Value;
use sha2::Digest;

use crate::error::{Error, Result};

/// An image's config and the way to its layers, from whichever format it came in.
pub struct ImageOnDisk {
    /// Blobs and top-level files by path inside the archive or layout (`blobs/sha256/…`).
    files: ImageFiles,
    pub config: Value,
    /// Layer paths, bottom first.
    layers: Vec<String>,
}

impl ImageOnDisk {
    /// Reads a docker-archive or OCI archive (`.tar`), or an OCI layout directory.
    pub fn open(path: &Utf8Path) -> Result<ImageOnDisk> {
        let files = ImageFiles::open(path)
            .map_err(|e| Error::input(format!("could not read `{path}`: {e}")))?;
        let unreadable = |what: &str| {
            Error::input(format!(
                "`{path}` is not an image archive I can read: {what}"
            ))
            .with_help("pass `docker image save` output, an OCI archive or an OCI layout directory")
        };
        let json = |name: &str| -> Result<Value> {
            let bytes = files.get(name).map_err(|e| unreadable(&e))?;
            serde_json::from_slice(&bytes).map_err(|e| unreadable(&format!("`{name}`: {e}")))
        };
        let (config_path, layers) = if files.has("manifest.json") {
            let manifest = json("manifest.json")?;
            let first = &manifest[0];
            let config = first["Config"]
                .as_str()
                .ok_or_else(|| unreadable("no `Config` in manifest.json"))?;
            let layers = first["Layers"]
                .as_array()
                .map(|l| {
                    l.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            (config.to_string(), layers)
        } else if files.has("index.json") {
            let mut descriptor = json("index.json")?["manifests"][0].clone();
            // An index of platforms: take the host's architecture when present, else the first.
            loop {
                let blob = blob_path(&descriptor)
                    .ok_or_else(|| unreadable("a descriptor without a digest"))?;
                let doc = json(&blob)?;
                if let Some(manifests) = doc["manifests"].as_array() {
                    let host = host_arch();
                    descriptor = manifests
                        .iter()
                        .find(|m| m["platform"]["architecture"] == host)
                        .or_else(|| manifests.first())
                        .cloned()
                        .ok_or_else(|| unreadable("an empty image index"))?;
                    continue;
                }
                let config = blob_path(&doc["config"]).ok_or_else(|| unreadable("no config"))?;
                let layers = doc["layers"]
                    .as_array()
                    .map(|l| l.iter().filter_map(blob_path).collect())
                    .unwrap_or_default();
                break (config, layers);
            }
        } else {
            return Err(unreadable(
                "it has neither `manifest.json` nor `index.json`",
            ));
        };
        let config = json(&config_path)?;
        Ok(ImageOnDisk {
            files,
            config,
            layers,
        })
    }

    /// The path the image runs: `Entrypoint[0]`, else `Cmd[0]`.
    pub fn entrypoint(&self) -> Option<String> {
        let c = &self.config["config"];
        c["Entrypoint"][0]
            .as_str()
            .or_else(|| c["Cmd"][0].as_str())
            .map(str::to_string)
    }

    pub fn label(&self, key: &str) -> Option<String> {
        self.config["config"]["Labels"][key]
            .as_str()
            .map(str::to_string)
    }

    /// A file's bytes as a container sees them (the topmost layer that has it), following a
    /// symlink or two inside the image.
    pub fn file(&self, path: &str) -> Result<Vec<u8>> {
        let mut wanted = path.trim_start_matches('/').to_string();
        for _ in 0..8 {
            match self.find(&wanted)? {
                Found::File(bytes) => return Ok(bytes),
                Found::Link(target) => {
                    wanted = if target.starts_with('/') {
                        target.trim_start_matches('/').to_string()
                    } else {
                        let dir = wanted.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                        format!("{dir}/{target}")
                            .trim_start_matches('/')
                            .to_string()
                    };
                }
            }
        }
        Err(Error::input(format!(
            "`{path}` is a chain of symlinks in the image"
        )))
    }

    /// File names of the shared libraries any layer puts in a library directory (`lib/`,
    /// `usr/lib/`, and their per-architecture subdirectories).
    pub fn libraries(&self) -> Result<BTreeSet<String>> {
        let mut names = BTreeSet::new();
        for layer in &self.layers {
            let Ok(bytes) = self.files.get(layer) else {
                continue;
            };
            names.extend(
                library_names(&bytes)
                    .map_err(|e| Error::input(format!("could not read layer `{layer}`: {e}")))?,
            );
        }
        Ok(names)
    }

    /// The image's glibc, from the `libc.so.6` of its topmost layer that has one (see
    /// [`LibcEntry::glibc`]); `None` without glibc.
    pub fn glibc(&self) -> Result<Option<String>> {
        let mut libc = None;
        for layer in &self.layers {
            let Ok(bytes) = self.files.get(layer) else {
                continue;
            };
            if let Some(found) = libc_entry(&bytes)
                .map_err(|e| Error::input(format!("could not read layer `{layer}`: {e}")))?
            {
                libc = Some(found);
            }
        }
        Ok(libc.and_then(|l| l.glibc()))
    }

    fn find(&self, wanted: &str) -> Result<Found> {
        for layer in self.layers.iter().rev() {
            let Ok(bytes) = self.files.get(layer) else {
                return Err(Error::input(format!(
                    "layer `{layer}` is missing from the image"
                )));
            };
            let mut archive = tar::Archive::new(layer_reader(&bytes));
            let entries = archive
                .entries()
                .map_err(|e| Error::input(format!("could not read layer `{layer}`: {e}")))?;
            for entry in entries {
                let mut entry = entry
                    .map_err(|e| Error::input(format!("could not read layer `{layer}`: {e}")))?;
                let name = entry
                    .path()
                    .map(|p| p.to_string_lossy().trim_start_matches("./").to_string())
                    .unwrap_or_default();
                if name != wanted {
                    continue;
                }
                let kind = entry.header().entry_type();
                if kind.is_symlink() {
                    let target = entry
                        .link_name()
                        .ok()
                        .flatten()
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    return Ok(Found::Link(target));
                }
                let mut bytes = Vec::new();
                entry
                    .read_to_end(&mut bytes)
                    .map_err(|e| Error::input(format!("could not read `{wanted}`: {e}")))?;
                return Ok(Found::File(bytes));
            }
        }
        Err(Error::input(format!("the image has no file `/{wanted}`"))
            .with_help("name the binary's path inside the image with `--path`"))
    }
}

/// A layer blob as a tar stream: gzip-compressed (OCI, registry) or plain (docker save).
pub fn layer_reader(bytes: &[u8]) -> Box<dyn Read + '_> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::GzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    }
}

enum Found {
    File(Vec<u8>),
    Link(String),
}

fn blob_path(descriptor: &Value) -> Option<String> {
    let digest = descriptor["digest"].as_str()?;
    let (algo, hex) = digest.split_once(':')?;
    Some(format!("blobs/{algo}/{hex}"))
}

fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// The files of an image on disk: a directory (read on demand) or an archive (read once).
#[derive(Debug)]
pub enum ImageFiles {
    Dir(Utf8PathBuf),
    Archive(BTreeMap<String, Vec<u8>>),
}

impl ImageFiles {
    /// Opens a directory, or reads a tar archive's regular files into memory.
    pub fn open(path: &Utf8Path) -> std::result::Result<ImageFiles, String> {
        if path.is_dir() {
            return Ok(ImageFiles::Dir(path.to_path_buf()));
        }
        let file = std::fs::File::open(path).map_err(|e| format!("could not open it: {e}"))?;
        let mut files = BTreeMap::new();
        let mut archive = tar::Archive::new(file);
        let entries = archive
            .entries()
            .map_err(|e| format!("not a tar archive: {e}"))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| format!("a broken tar entry: {e}"))?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = entry
                .path()
                .map_err(|e| e.to_string())?
                .to_string_lossy()
                .trim_start_matches("./")
                .to_string();
            let mut data = Vec::new();
            entry
                .read_to_end(&mut data)
                .map_err(|e| format!("a broken tar entry: {e}"))?;
            files.insert(name, data);
        }
        Ok(ImageFiles::Archive(files))
    }

    pub fn has(&self, name: &str) -> bool {
        match self {
            ImageFiles::Dir(dir) => dir.join(name).is_file(),
            ImageFiles::Archive(files) => files.contains_key(name),
        }
    }

    pub fn get(&self, name: &str) -> std::result::Result<Vec<u8>, String> {
        match self {
            ImageFiles::Dir(dir) => {
                std::fs::read(dir.join(name)).map_err(|e| format!("`{name}`: {e}"))
            }
            ImageFiles::Archive(files) => files
                .get(name)
                .cloned()
                .ok_or_else(|| format!("`{name}` is missing")),
        }
    }

    /// `blobs/<algorithm>/<hex>` of a digest.
    pub fn blob_name(digest: &str) -> String {
        format!("blobs/{}", digest.replacen(':', "/", 1))
    }

    /// A blob's bytes, checked against its digest.
    pub fn blob(&self, digest: &str) -> std::result::Result<Vec<u8>, String> {
        let data = self.get(&Self::blob_name(digest))?;
        let actual = format!("sha256:{:x}", sha2::Sha256::digest(&data));
        if actual != digest {
            return Err(format!("blob `{digest}` has digest `{actual}`"));
        }
        Ok(data)
    }

    /// Where a blob's file is, for a directory (an archive's are in memory only).
    pub fn blob_file(&self, digest: &str) -> Option<Utf8PathBuf> {
        match self {
            ImageFiles::Dir(dir) => Some(dir.join(Self::blob_name(digest))),
            ImageFiles::Archive(_) => None,
        }
    }
}

const LIBRARY_DIRS: [&str; 5] = ["lib/", "lib64/", "usr/lib/", "usr/lib64/", "usr/local/lib/"];

/// What a layer puts at `libc.so.6` in a library directory: glibc itself (2.34 and newer), or a
/// link to it (`libc-2.31.so`, whose name says the version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LibcEntry {
    File(Vec<u8>),
    Link(String),
}

impl LibcEntry {
    /// The glibc it is: the newest `GLIBC_` version the library defines, or the version in the
    /// name it links to. `None` for a libc that is not glibc.
    pub fn glibc(&self) -> Option<String> {
        match self {
            LibcEntry::File(data) => crate::linkage::glibc_defined(data),
            LibcEntry::Link(target) => {
                let name = target.rsplit('/').next().unwrap_or(target);
                name.strip_prefix("libc-")
                    .and_then(|v| v.strip_suffix(".so"))
                    .filter(|v| {
                        v.split('.')
                            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                    })
                    .map(str::to_string)
            }
        }
    }
}

/// The layer's `libc.so.6`, if it has one.
pub fn libc_entry(layer: &[u8]) -> std::result::Result<Option<LibcEntry>, String> {
    let mut found = None;
    let mut archive = tar::Archive::new(layer_reader(layer));
    let entries = archive.entries().map_err(|e| format!("not a layer: {e}"))?;
    for entry in entries.flatten() {
        let mut entry = entry;
        let Ok(path) = entry.path() else { continue };
        let path = path.to_string_lossy().trim_start_matches("./").to_string();
        if !LIBRARY_DIRS.iter().any(|d| path.starts_with(d)) || !path.ends_with("/libc.so.6") {
            continue;
        }
        if let Ok(Some(target)) = entry.link_name() {
            found = Some(LibcEntry::Link(target.to_string_lossy().into_owned()));
        } else if entry.header().entry_type().is_file() {
            let mut data = Vec::new();
            entry
                .read_to_end(&mut data)
                .map_err(|e| format!("could not read `{path}`: {e}"))?;
            found = Some(LibcEntry::File(data));
        }
    }
    Ok(found)
}

/// File names of the shared libraries a layer puts in a library directory (`lib/`, `usr/lib/`,
/// and their per-architecture subdirectories).
pub fn library_names(layer: &[u8]) -> std::result::Result<BTreeSet<String>, String> {
    let mut names = BTreeSet::new();
    let mut archive = tar::Archive::new(layer_reader(layer));
    let entries = archive.entries().map_err(|e| format!("not a layer: {e}"))?;
    for entry in entries.flatten() {
        let Ok(path) = entry.path() else { continue };
        let path = path.to_string_lossy();
        let path = path.trim_start_matches("./");
        let in_lib_dir = LIBRARY_DIRS.iter().any(|d| path.starts_with(d));
        if let Some(name) = path.rsplit('/').next()
            && in_lib_dir
            && name.contains(".so")
        {
            names.insert(name.to_string());
        }
    }
    Ok(names)
}
