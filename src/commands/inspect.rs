//! `cargo distroless inspect`: how a binary, or an image's entrypoint, is linked, and whether it
//! fits a base. Reads files only; an image in the local engine is saved to a temporary archive
//! first.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use crate::cli::{InspectArgs, MessageFormat};
use crate::config::{Variant, defaults};
use crate::error::{Error, Result};
use crate::image_file::ImageOnDisk;
use crate::linkage::{Libc, Linkage, Misfit};
use crate::plan::Runtime;

#[derive(Debug, Serialize)]
struct Report {
    reason: &'static str,
    /// The binary's path on disk, or inside the image.
    path: String,
    /// The image it was read from, when it came from one.
    image: Option<String>,
    #[serde(flatten)]
    linkage: Linkage,
    /// The base it was checked against, and the verdict.
    base: Option<String>,
    fits: Option<bool>,
    misfits: Vec<Misfit>,
}

pub fn run(args: &InspectArgs) -> Result<i32> {
    let shell = super::shell(&args.output);
    let target = Utf8Path::new(&args.target);
    let (bytes, path, image, image_base, present, image_glibc) = read_target(target, args)?;
    let linkage = Linkage::read(&bytes).map_err(|why| {
        Error::input(format!("`{path}` is {why}"))
            .with_help("inspect a Linux executable, or an image whose entrypoint is one")
    })?;
    let base = args.base.clone().or(image_base);
    let (fits, misfits) = match &base {
        Some(b) => {
            let (runtime, name) = base_runtime(b);
            // An image's own libc is what its binary loads: its glibc wins over the one its base's
            // name says (none, for a base of the user's own). A `--base` asks about that base.
            let glibc = match (&args.base, image_glibc) {
                (None, Some(own)) => Some(own),
                _ => crate::plan::verify::glibc_of(&name).map(str::to_string),
            };
            let misfits = linkage.fits_with(runtime, &name, glibc.as_deref(), &present);
            (Some(misfits.is_empty()), misfits)
        }
        None => (None, Vec::new()),
    };
    let report = Report {
        reason: "linkage",
        path,
        image,
        linkage,
        base,
        fits,
        misfits,
    };
    match args.message_format {
        MessageFormat::Json => {
            let json = serde_json::to_string(&report)
                .map_err(|e| Error::internal(format!("could not serialise the report: {e}")))?;
            shell.stdout(format!("{json}\n"));
        }
        MessageFormat::Human => shell.stdout(human(&report)),
    }
    Ok(if report.fits == Some(false) { 1 } else { 0 })
}

/// `static` / `cc` / an image name -> the runtime it stands for and the name whose Debian
/// release gives its glibc.
fn base_runtime(base: &str) -> (Runtime, String) {
    match base {
        "static" => (
            Runtime::Static,
            defaults::runtime_image("static", Variant::Nonroot),
        ),
        "cc" => (Runtime::Cc, defaults::runtime_image("cc", Variant::Nonroot)),
        name if name.contains("static") || name == "scratch" => (Runtime::Static, name.to_string()),
        name => (Runtime::Cc, name.to_string()),
    }
}

/// The binary's bytes, its path, the image it came from, the base that image names, the shared
/// libraries the image itself carries, and its glibc.
type Target = (
    Vec<u8>,
    String,
    Option<String>,
    Option<String>,
    BTreeSet<String>,
    Option<String>,
);

fn read_target(target: &Utf8Path, args: &InspectArgs) -> Result<Target> {
    if target.is_file() {
        let bytes = std::fs::read(target)
            .map_err(|e| Error::input(format!("could not read `{target}`: {e}")))?;
        if !is_tar(&bytes) {
            return Ok((bytes, target.to_string(), None, None, BTreeSet::new(), None));
        }
        return from_image(target, target.as_str(), args);
    }
    if target.is_dir() {
        return from_image(target, target.as_str(), args);
    }
    // Not on disk: an image in the local engine.
    let dir = tempfile::tempdir()
        .map_err(|e| Error::environment(format!("could not make a temporary directory: {e}")))?;
    let archive = Utf8PathBuf::from_path_buf(dir.path().join("image.tar"))
        .map_err(|_| Error::environment("the temporary directory's path is not UTF-8"))?;
    crate::backend::buildx::save_image(target.as_str(), &archive)?;
    from_image(&archive, target.as_str(), args)
}

fn from_image(archive: &Utf8Path, shown: &str, args: &InspectArgs) -> Result<Target> {
    let image = ImageOnDisk::open(archive)?;
    let path = match (args.path.clone(), image.entrypoint()) {
        (Some(p), _) | (None, Some(p)) => p,
        (None, None) => {
            return Err(
                Error::input(format!("image `{shown}` has no entrypoint or command"))
                    .with_help("name the binary with `--path /usr/local/bin/<name>`"),
            );
        }
    };
    let bytes = image.file(&path)?;
    Ok((
        bytes,
        path,
        Some(shown.to_string()),
        image.label("org.opencontainers.image.base.name"),
        image.libraries()?,
        image.glibc()?,
    ))
}

fn is_tar(bytes: &[u8]) -> bool {
    bytes.len() > 262 && &bytes[257..262] == b"ustar"
}

fn human(r: &Report) -> String {
    let l = &r.linkage;
    let none = || "none".to_string();
    let mut rows: Vec<(&str, String)> = vec![
        (
            "binary",
            match &r.image {
                Some(image) => format!("{} in {image}", r.path),
                None => r.path.clone(),
            },
        ),
        ("architecture", l.architecture.clone()),
        (
            "linkage",
            if l.is_static {
                "static".into()
            } else {
                "dynamic".into()
            },
        ),
        ("interpreter", l.interpreter.clone().unwrap_or_else(none)),
        (
            "needed",
            if l.needed.is_empty() {
                none()
            } else {
                l.needed.join(" ")
            },
        ),
        (
            "libc",
            match l.libc {
                Libc::Glibc => "glibc".into(),
                Libc::Musl => "musl".into(),
                Libc::Unknown => "none (static)".into(),
            },
        ),
        (
            "glibc",
            l.glibc
                .clone()
                .map(|v| format!("GLIBC_{v}"))
                .unwrap_or_else(none),
        ),
        (
            "libstdc++",
            l.glibcxx
                .clone()
                .map(|v| format!("GLIBCXX_{v}"))
                .unwrap_or_else(none),
        ),
        (
            "stripped",
            if l.stripped {
                "yes".into()
            } else {
                "no".into()
            },
        ),
        (
            "auditable",
            if l.auditable {
                "yes (a `.dep-v0` dependency list)".into()
            } else {
                "no".into()
            },
        ),
        ("size", format!("{} bytes", l.size)),
    ];
    if let Some(base) = &r.base {
        rows.push((
            "fits",
            format!(
                "{} {base}",
                if r.fits == Some(true) { "yes," } else { "no," }
            ),
        ));
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in rows {
        out.push_str(&format!("{k:<width$}  {v}\n"));
    }
    for m in &r.misfits {
        out.push_str(&format!("problem: {}\n  help: {}\n", m.problem, m.help));
    }
    out
}
