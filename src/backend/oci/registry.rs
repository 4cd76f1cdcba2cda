//! Owns talking to registries, through `oci-client` (the distribution protocol, token auth) with
//! credentials from `docker_credential` (`~/.docker/config.json`, credential stores and helpers):
//! pulling a base for one platform into the blob cache, and pushing an image with a HEAD check per
//! blob (base layers already there are never uploaded again), a cross-repository mount tried
//! before an upload, the image by digest first and its tags after (so a failure never leaves a tag
//! on a half-pushed image).
//!
//! Loopback registries (`localhost`, `127.*`, `[::1]`) are spoken to over plain HTTP, as docker
//! does; any other only when listed in `CARGO_DISTROLESS_INSECURE_REGISTRIES` (comma-separated
//! `host:port`).

use camino::Utf8PathBuf;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde_json::Value;

use super::blobs::{Blob, Cache, DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST};
use super::image::{BaseImage, PlatformImage};
use crate::error::{Error, Result};
use crate::platform::Platform;

const MANIFEST_TYPES: &[&str] = &[OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST];

pub struct Registry {
    runtime: tokio::runtime::Runtime,
    cache: Cache,
}

fn is_plain_http(host: &str) -> bool {
    let name = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
    name == "localhost"
        || name.starts_with("127.")
        || name == "[::1]"
        || std::env::var("CARGO_DISTROLESS_INSECURE_REGISTRIES")
            .unwrap_or_default()
            .split(',')
            .any(|h| h.trim() == host)
}

fn parse(reference: &str) -> Result<Reference> {
    reference.parse::<Reference>().map_err(|e| {
        Error::input(format!("`{reference}` is not an image reference: {e}"))
            .with_help("write it as `registry/repository:tag` or `…@sha256:<digest>`")
    })
}

/// Credentials for a registry from docker's configuration, or anonymous.
fn auth(reference: &Reference) -> RegistryAuth {
    let host = reference.resolve_registry();
    let keys: Vec<String> = if host == "index.docker.io" || host == "registry-1.docker.io" {
        vec!["https://index.docker.io/v1/".to_string(), host.to_string()]
    } else {
        vec![host.to_string(), format!("https://{host}")]
    };
    for key in keys {
        match docker_credential::get_credential(&key) {
            Ok(docker_credential::DockerCredential::UsernamePassword(u, p)) => {
                return RegistryAuth::Basic(u, p);
            }
            Ok(docker_credential::DockerCredential::IdentityToken(t)) => {
                return RegistryAuth::Bearer(t);
            }
            Err(_) => continue,
        }
    }
    RegistryAuth::Anonymous
}

fn client(reference: &Reference) -> Client {
    let host = reference.resolve_registry().to_string();
    let protocol = if is_plain_http(&host) {
        ClientProtocol::Http
    } else {
        ClientProtocol::Https
    };
    Client::new(ClientConfig {
        protocol,
        // One request body per blob: ECR drops the bodies of later PATCHes, GHCR caps them.
        use_monolithic_push: true,
        connect_timeout: Some(std::time::Duration::from_secs(15)),
        ..ClientConfig::default()
    })
}

/// An error of the registry client, with the help its message calls for. `otherwise` ends the
/// help when the registry could not be reached at all: what the caller can do without it.
/// An error with the errors that caused it: the client's own message for a failed connection is
/// "error sending request", and why (refused, no such host, a certificate) is in its causes.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let line = c.to_string();
        // hyper and reqwest repeat their cause's text in their own.
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        cause = c.source();
    }
    text
}

/// What else to check when a push cannot reach its registry.
const PUSH_OTHERWISE: &str = ", and that a registry spoken to over plain HTTP (other than on loopback) is listed in `CARGO_DISTROLESS_INSECURE_REGISTRIES`";

fn failed(
    what: String,
    reference: &Reference,
    e: impl std::fmt::Display,
    otherwise: &str,
) -> Error {
    let text = e.to_string();
    // Status codes are matched with the URLs taken out: a registry on port 40171 is no 401.
    let words: String = text
        .split_whitespace()
        .filter(|w| !w.contains("://"))
        .collect::<Vec<_>>()
        .join(" ");
    let help = if words.contains("401")
        || words.contains("403")
        || words.contains("nauthorized")
        || words.contains("denied")
    {
        format!(
            "log in with `docker login {}` (credentials are read from ~/.docker/config.json and its helpers)",
            reference.resolve_registry()
        )
    } else if words.contains("404")
        || words.contains("not found")
        || words.to_lowercase().contains("manifest unknown")
    {
        "check the repository and tag; `skopeo list-tags docker://REPOSITORY` lists the tags"
            .to_string()
    } else {
        format!(
            "check that `{}` is reachable from this machine{otherwise}",
            reference.resolve_registry()
        )
    };
    Error::environment(format!("{what}: {text}")).with_help(help)
}

impl Registry {
    pub fn new(cache: Cache) -> Result<Registry> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::environment(format!("could not start the network runtime: {e}")))?;
        Ok(Registry { runtime, cache })
    }

    /// A manifest or index by digest or tag: (bytes, digest). By digest it comes from the cache
    /// when there.
    fn manifest(
        &self,
        client: &Client,
        reference: &Reference,
        auth: &RegistryAuth,
        otherwise: &str,
    ) -> Result<(Vec<u8>, String)> {
        if let Some(digest) = reference.digest()
            && let Ok(bytes) = std::fs::read(self.cache.path(digest))
            && super::layer::sha256(&bytes) == digest
        {
            return Ok((bytes, digest.to_string()));
        }
        let (bytes, digest) = self
            .runtime
            .block_on(client.pull_manifest_raw(reference, auth, MANIFEST_TYPES))
            .map_err(|e| {
                failed(
                    format!("could not read the manifest of `{reference}`"),
                    reference,
                    with_causes(&e),
                    otherwise,
                )
            })?;
        let _ = std::fs::write(self.cache.path(&digest), &bytes);
        Ok((bytes.to_vec(), digest))
    }

    fn blob(
        &self,
        client: &Client,
        reference: &Reference,
        media_type: &str,
        digest: &str,
        size: u64,
        otherwise: &str,
    ) -> Result<Blob> {
        if let Some(b) = self.cache.get(media_type, digest, size) {
            return Ok(b);
        }
        let mut data: Vec<u8> = Vec::new();
        self.runtime
            .block_on(client.pull_blob(reference, digest, &mut data))
            .map_err(|e| {
                failed(
                    format!("could not download blob `{digest}` of `{reference}`"),
                    reference,
                    with_causes(&e),
                    otherwise,
                )
            })?;
        let tmp: Utf8PathBuf = self
            .cache
            .dir
            .join(format!(".{}.partial", digest.trim_start_matches("sha256:")));
        std::fs::write(&tmp, &data)
            .map_err(|e| Error::environment(format!("could not write `{tmp}`: {e}")))?;
        self.cache.admit(&tmp, media_type, digest)
    }

    /// What a tag points at now: the digest of its manifest or index (a HEAD request).
    pub fn resolve_digest(&self, name: &str) -> Result<String> {
        let reference = parse(name)?;
        let client = client(&reference);
        let auth = auth(&reference);
        self.runtime
            .block_on(client.fetch_manifest_digest(&reference, &auth))
            .map_err(|e| {
                failed(
                    format!("could not resolve `{name}`"),
                    &reference,
                    with_causes(&e),
                    "",
                )
            })
    }

    /// The base image for `platform`: from an index, the platform's manifest.
    /// `otherwise` ends the help when the registry cannot be reached: where else a base can come
    /// from, for the image that needs it.
    pub fn pull_base(
        &mut self,
        name: &str,
        platform: &'static Platform,
        otherwise: &str,
    ) -> Result<BaseImage> {
        let reference = parse(name)?;
        let client = client(&reference);
        let auth = auth(&reference);
        let (bytes, mut digest) = self.manifest(&client, &reference, &auth, otherwise)?;
        let mut doc: Value = serde_json::from_slice(&bytes).map_err(|e| {
            Error::environment(format!("the manifest of `{name}` is not JSON: {e}"))
        })?;
        if let Some(list) = doc["manifests"].as_array() {
            let chosen = list.iter().find(|m| {
                m["platform"]["architecture"] == platform.arch
                    && m["platform"]["os"] == "linux"
                    && (platform.variant.is_empty() || m["platform"]["variant"] == platform.variant)
            });
            let Some(chosen) = chosen else {
                let have: Vec<String> = list
                    .iter()
                    .filter_map(|m| m["platform"]["architecture"].as_str().map(str::to_string))
                    .collect();
                return Err(Error::input(format!(
                    "base `{name}` has no image for {}",
                    platform.name
                ))
                .with_detail(format!("  it has: {}", have.join(", ")))
                .with_help("drop the platform, or use a base that has it"));
            };
            let d = chosen["digest"].as_str().unwrap_or_default().to_string();
            let by_digest = Reference::with_digest(
                reference.registry().to_string(),
                reference.repository().to_string(),
                d.clone(),
            );
            let (bytes, _) = self.manifest(&client, &by_digest, &auth, otherwise)?;
            doc = serde_json::from_slice(&bytes).map_err(|e| {
                Error::environment(format!("a manifest of `{name}` is not JSON: {e}"))
            })?;
            digest = d;
        }
        let config_d = &doc["config"];
        let config_blob = self.blob(
            &client,
            &reference,
            config_d["mediaType"].as_str().unwrap_or_default(),
            config_d["digest"].as_str().unwrap_or_default(),
            config_d["size"].as_u64().unwrap_or_default(),
            otherwise,
        )?;
        let config: Value = serde_json::from_slice(&config_blob.bytes()?)
            .map_err(|e| Error::environment(format!("the config of `{name}` is not JSON: {e}")))?;
        if config["architecture"] != platform.arch {
            return Err(Error::input(format!(
                "base `{name}` is for {}, not {}",
                config["architecture"]
                    .as_str()
                    .unwrap_or("another architecture"),
                platform.name
            ))
            .with_help("name a multi-platform base (an index), or one built for this platform"));
        }
        let mut layers = Vec::new();
        for l in doc["layers"].as_array().cloned().unwrap_or_default() {
            layers.push(self.blob(
                &client,
                &reference,
                l["mediaType"].as_str().unwrap_or_default(),
                l["digest"].as_str().unwrap_or_default(),
                l["size"].as_u64().unwrap_or_default(),
                otherwise,
            )?);
        }
        let manifest_type = doc["mediaType"].as_str().unwrap_or(OCI_MANIFEST);
        Ok(BaseImage {
            name: name.to_string(),
            digest: Some(digest),
            docker_types: manifest_type == DOCKER_MANIFEST,
            config,
            layers,
        })
    }

    /// Pushes `images` (one per platform, and their `index` when several) to `repository` under
    /// `tags`; returns the digest of what the tags point at. `mount_from` is the base's
    /// repository, tried as a mount source for base layers on the same registry.
    pub fn push(
        &mut self,
        repository: &str,
        tags: &[String],
        images: &[PlatformImage],
        index: Option<&Blob>,
        mount_from: Option<&str>,
    ) -> Result<String> {
        let target = parse(&format!(
            "{repository}:{}",
            tags.first().map(String::as_str).unwrap_or("latest")
        ))?;
        let client = client(&target);
        let auth = auth(&target);
        self.runtime
            .block_on(client.auth(&target, &auth, oci_client::RegistryOperation::Push))
            .map_err(|e| {
                failed(
                    format!("could not log in to push `{repository}`"),
                    &target,
                    with_causes(&e),
                    PUSH_OTHERWISE,
                )
            })?;
        let source = mount_from
            .and_then(|m| m.parse::<Reference>().ok())
            .filter(|s| {
                s.resolve_registry() == target.resolve_registry()
                    && s.repository() != target.repository()
            });
        for image in images {
            let manifests: Vec<&Blob> = std::iter::once(&image.manifest)
                .chain(image.attestation.as_ref().map(|a| &a.manifest))
                .collect();
            for blob in image.blobs().into_iter().filter(|b| !manifests.contains(b)) {
                let exists = self
                    .runtime
                    .block_on(client.blob_exists(&target, &blob.digest))
                    .unwrap_or(false);
                if exists {
                    continue;
                }
                // A mount answers 201 when it worked; anything else means "upload it".
                if let Some(src) = &source
                    && self
                        .runtime
                        .block_on(client.mount_blob(&target, src, &blob.digest))
                        .is_ok()
                {
                    continue;
                }
                let data = blob.bytes()?;
                self.runtime
                    .block_on(client.push_blob(&target, data, &blob.digest))
                    .map_err(|e| {
                        failed(
                            format!("could not upload blob `{}` to `{repository}`", blob.digest),
                            &target,
                            with_causes(&e),
                            PUSH_OTHERWISE,
                        )
                    })?;
            }
            for manifest in manifests {
                self.put_manifest(&client, &target, manifest, &manifest.digest)?;
            }
        }
        let top = match index {
            Some(index) => {
                self.put_manifest(&client, &target, index, &index.digest)?;
                index
            }
            None => {
                &images
                    .first()
                    .ok_or_else(|| Error::internal("an image with no platform"))?
                    .manifest
            }
        };
        for tag in tags {
            self.put_manifest(&client, &target, top, tag)?;
        }
        Ok(top.digest.clone())
    }

    fn put_manifest(
        &self,
        client: &Client,
        target: &Reference,
        manifest: &Blob,
        tag_or_digest: &str,
    ) -> Result<()> {
        let reference = if tag_or_digest.starts_with("sha256:") {
            Reference::with_digest(
                target.registry().to_string(),
                target.repository().to_string(),
                tag_or_digest.to_string(),
            )
        } else {
            Reference::with_tag(
                target.registry().to_string(),
                target.repository().to_string(),
                tag_or_digest.to_string(),
            )
        };
        let content_type = http::HeaderValue::from_str(&manifest.media_type)
            .map_err(|e| Error::internal(format!("media type `{}`: {e}", manifest.media_type)))?;
        self.runtime
            .block_on(client.push_manifest_raw(&reference, manifest.bytes()?, content_type))
            .map_err(|e| {
                failed(
                    format!("could not push the manifest `{reference}`"),
                    target,
                    with_causes(&e),
                    PUSH_OTHERWISE,
                )
            })?;
        Ok(())
    }
}

#[cfg(test)]
mod help_tests {
    use super::*;

    #[test]
    fn a_port_with_401_in_it_is_not_an_auth_failure() {
        let reference = parse("127.0.0.1:40171/nothing/here:1.0").unwrap();
        let err = failed(
            "could not read".into(),
            &reference,
            "Registry error: url http://127.0.0.1:40171/v2/nothing/here/manifests/1.0, envelope: OCI API errors: [OCI API error: manifest unknown]",
            "",
        );
        assert!(err.help.unwrap().contains("check the repository and tag"));
        let err = failed("x".into(), &reference, "HTTP status 401 Unauthorized", "");
        assert!(err.help.unwrap().contains("docker login"));
    }
}
