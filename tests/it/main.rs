//! The integration tests, one crate: snapshots of generated files, CLI behaviour and errors, and
//! (marked `#[ignore]`, run by `tests/run-all.sh`) real-engine builds.

mod bake;
mod build;
mod build_errors;
mod canary;
mod cli;
mod doctor;
mod engine;
mod engine_api;
mod engine_cache;
mod engine_context;
mod engine_linkage;
mod engine_oci;
mod engine_production;
mod engine_release;
mod fake;
mod feature_gates;
mod hostile;
mod init;
mod inspect;
mod oci;
mod oci_host;
mod oci_load;
mod oci_registry;
mod pin;
mod release;
mod reproducible;
mod resolve;
mod runtime;
mod rust_floor;
mod sbom;
mod snapshots;
mod support;
mod tree_cache;
mod verify;
mod workspace_layout;
