//! Owns attestations as BuildKit writes them, so registries, `docker buildx imagetools` and
//! scanners read the oci backend's the same way: an in-toto statement about one platform's
//! manifest, in a manifest of its own (platform `unknown/unknown`), listed in the image index
//! with the `vnd.docker.reference.*` annotations that tie it to the image it describes.

use serde_json::{Value, json};

use super::blobs::{Blob, OCI_CONFIG, OCI_MANIFEST};
use super::image::canonical;

pub const IN_TOTO: &str = "application/vnd.in-toto+json";
pub const CYCLONEDX_PREDICATE: &str = "https://cyclonedx.org/bom";
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
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

/// An in-toto statement about one platform's image: `subject_name` is the image's
/// `pkg:docker/<repository>@<tag>?platform=…` name, `subject` its manifest.
pub struct Statement {
    pub predicate_type: &'static str,
    pub predicate: Value,
}

/// The attestation manifest of one platform's image: one layer per statement, as BuildKit
/// writes its SBOM and provenance.
pub fn attestation(statements: &[Statement], subject_name: &str, subject: &Blob) -> Attestation {
    let mut layers = Vec::new();
    let mut descriptors = Vec::new();
    for s in statements {
        let statement = json!({
            "_type": "https://in-toto.io/Statement/v0.1",
            "predicateType": s.predicate_type,
            "subject": [{ "name": subject_name, "digest": { "sha256": subject.hex() } }],
            "predicate": s.predicate,
        });
        let layer = Blob::from_bytes(IN_TOTO, canonical(&statement));
        let mut d = layer.descriptor();
        d["annotations"] = json!({ "in-toto.io/predicate-type": s.predicate_type });
        descriptors.push(d);
        layers.push(layer);
    }
    let config = Blob::from_bytes(
        OCI_CONFIG,
        canonical(&json!({
            "architecture": "unknown",
            "os": "unknown",
            "config": {},
            "rootfs": {
                "type": "layers",
                "diff_ids": layers.iter().map(|l| l.digest.clone()).collect::<Vec<_>>(),
            },
        })),
    );
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.descriptor(),
        "layers": descriptors,
    });
    Attestation {
        config,
        layers,
        manifest: Blob::from_bytes(OCI_MANIFEST, canonical(&manifest)),
    }
}

/// What the build was, for its SLSA provenance: the facts a verifier compares with its own.
pub struct BuildFacts<'a> {
    pub platform: &'a str,
    pub cargo_args: &'a [String],
    pub revision: Option<&'a str>,
    pub base: (&'a str, Option<&'a str>),
    /// SHA-256 of `Cargo.lock`.
    pub lock_sha256: Option<&'a str>,
    pub started: &'a str,
}

/// SLSA provenance v1 for one platform's image built by the oci backend.
pub fn provenance(f: &BuildFacts) -> Statement {
    let mut dependencies = Vec::new();
    if let Some(rev) = f.revision {
        dependencies.push(json!({ "uri": "git+source", "digest": { "gitCommit": rev } }));
    }
    if let Some(sum) = f.lock_sha256 {
        dependencies.push(json!({ "uri": "Cargo.lock", "digest": { "sha256": sum } }));
    }
    let mut base = json!({ "uri": format!("pkg:docker/{}", f.base.0) });
    if let Some(d) = f.base.1.and_then(|d| d.strip_prefix("sha256:")) {
        base["digest"] = json!({ "sha256": d });
    }
    dependencies.push(base);
    Statement {
        predicate_type: SLSA_PROVENANCE_V1,
        predicate: json!({
            "buildDefinition": {
                "buildType": "https://crates.io/crates/cargo-distroless/oci-backend/v1",
                "externalParameters": {
                    "platform": f.platform,
                    "cargo": f.cargo_args,
                },
                "resolvedDependencies": dependencies,
            },
            "runDetails": {
                "builder": {
                    "id": format!("https://crates.io/crates/cargo-distroless/{}", env!("CARGO_PKG_VERSION")),
                },
                "metadata": { "startedOn": f.started },
            },
        }),
    }
}
