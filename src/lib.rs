//! cargo-distroless: turn a Rust workspace into small, secure, reproducible container images.
//!
//! The pipeline is a chain of plain values, each stage in its own module:
//!
//! ```text
//! cargo metadata ─> Workspace ─> Config (layers) ─> Plan ─> render ─> files
//!   (workspace)      (config)                    (plan)   (render)  (files)
//! ```
//!
//! - [`workspace`] reads `cargo metadata` into our own model (members, targets), and asks cargo
//!   what one `cargo build` links (`workspace::resolve`).
//! - [`config`] reads and strictly validates `[workspace|package.metadata.distroless]` as layers.
//! - [`plan`] makes every decision (images, static or cc and why, platforms, tags) as a value.
//! - [`render`] turns the plan into file contents through embedded minijinja templates;
//!   [`release`] is the release pipelines' model (the CI build matrix) it renders them from.
//! - [`backend`] executes a plan: `buildx` (the docker CLI and the generated Dockerfile), or
//!   `oci`, with cargo on the host and the image assembled in-process (no daemon).
//! - [`linkage`] reads an ELF binary's linkage (static or not, NEEDED, glibc versions) and says
//!   whether it fits a base; [`image_file`] reads a file out of an image on disk;
//!   [`link_errors`] reads the libraries a failed link did not find out of a build's log;
//!   [`listening`] reads what a running container listens on from the kernel's socket tables.
//! - [`files`] is the only writer; [`process`] the only module that spawns; [`shell`] the only
//!   one that prints.

pub mod backend;
pub mod cli;
pub mod commands;
pub mod config;
pub mod doctor;
pub mod error;
pub mod files;
pub mod image_file;
pub mod library_files;
pub mod link_errors;
pub mod linkage;
pub mod listening;
pub mod manifest_edit;
pub mod pipeline;
pub mod plan;
pub mod platform;
pub mod process;
pub mod reference;
pub mod release;
pub mod render;
pub mod resolve;
pub mod sbom;
pub mod shell;
pub mod timings;
pub mod workspace;

pub use error::{Error, ErrorKind, Result};
