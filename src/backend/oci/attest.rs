//! Owns attestations as BuildKit writes them, so registries, `docker buildx imagetools` and
//! scanners read the oci backend's the same way: an in-toto statement about one platform's
//! manifest, in a manifest of its own (platform `unknown/unknown`), listed in the image index
//! with the `vnd.docker.reference.*` annotations that tie it to the image it describes.

use serde_json::{Value, json};

use super::blobs::{Blob, OCI_CONFIG, OCI_MANIFEST};
use super::image::canonical;

pub const IN_TOTO: &str = "application/vnd.in-toto+json";
pub const CYCLONEDX_PREDICATE: &str = "https://cyclonedx.org/bom";
pub const REFERENCE_TYPE: &str = "vnd.docker.reference.type";
pub const REFERENCE_DIGEST: &str = "vnd.docker.reference.digest";
pub const ATTESTATION_MANIFEST: &str = "attestation-manifest";

/// One attestation manifest and what it lists.
#[derive(Debug, Clone)]
pub struct Attestation {
    pub config: Blob,
    pub layers: Vec<Blob>,
    pub manifest: Blob,
}

impl Attestation {
    /// The index entry: tied to the image manifest it describes.
    pub fn descriptor(&self, subject: &Blob) -> Value {
        let mut d = self.manifest.descriptor();
        d["annotations"] = json!({
            REFERENCE_DIGEST: subject.digest,
            REFERENCE_TYPE: ATTESTATION_MANIFEST,
        });
        d["platform"] = json!({"architecture": "unknown", "os": "unknown"});
        d
    }
}

/// The SBOM attestation of one platform's image: `subject_name` is the image's
/// `pkg:docker/<repository>@<tag>?platform=…` name, `subject` its manifest.
pub fn sbom(bom: &Value, subject_name: &str, subject: &Blob) -> Attestation {
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": CYCLONEDX_PREDICATE,
        "subject": [{ "name": subject_name, "digest": { "sha256": subject.hex() } }],
        "predicate": bom,
    });
    let layer = Blob::from_bytes(IN_TOTO, canonical(&statement));
    let config = Blob::from_bytes(
        OCI_CONFIG,
        canonical(&json!({
            "architecture": "unknown",
            "os": "unknown",
            "config": {},
            "rootfs": { "type": "layers", "diff_ids": [layer.digest] },
        })),
    );
    let mut layer_descriptor = layer.descriptor();
    layer_descriptor["annotations"] = json!({ "in-toto.io/predicate-type": CYCLONEDX_PREDICATE });
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.descriptor(),
        "layers": [layer_descriptor],
    });
    Attestation {
        config,
        layers: vec![layer],
        manifest: Blob::from_bytes(OCI_MANIFEST, canonical(&manifest)),
    }
}
