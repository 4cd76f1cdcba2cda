//! `cargo distroless plan`: what would be built and why, as a table or as JSON.

use crate::cli::{PlanArgs, PlanFormat};
use crate::error::{Error, Result};
use crate::pipeline;
use crate::plan::Plan;

pub fn run(args: &PlanArgs) -> Result<i32> {
    let shell = super::shell(&args.output);
    let mut request = super::request(&args.selection);
    request.cli.backend = args.backend.backend;
    request.probe_engine = true;
    let mut planned = pipeline::plan(&request)?;
    super::show_warnings(&shell, &planned.plan.warnings);
    // Whether the digests will be reproducible depends on the builder's BuildKit: ask it, when
    // one answers (no engine is not an error for `plan`).
    let backend = &mut planned.plan.backend;
    if backend.backend == crate::backend::Backend::Buildx
        && backend.digests.is_none()
        && let Ok(engine) = crate::backend::buildx::preflight(None, true)
    {
        backend.digests = Some(engine.digests());
    }
    match args.format {
        PlanFormat::Json => {
            let json = serde_json::to_string_pretty(&planned.plan)
                .map_err(|e| Error::internal(format!("could not serialise the plan: {e}")))?;
            shell.stdout(format!("{json}\n"));
        }
        PlanFormat::Matrix => {
            // One line: CI services read it into a job output.
            let json = serde_json::to_string(&crate::release::matrix(&planned.plan))
                .map_err(|e| Error::internal(format!("could not serialise the matrix: {e}")))?;
            shell.stdout(format!("{json}\n"));
        }
        PlanFormat::Table => shell.stdout(table(&planned.plan)),
    }
    Ok(0)
}

/// The plan for people: one row per image, then the reason for each runtime.
pub fn table(plan: &Plan) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Rust {} in `{}`: {}\n",
        plan.rust
            .version
            .as_deref()
            .unwrap_or("(from the builder image)"),
        plan.rust.builder_image,
        plan.rust.reason
    ));
    out.push_str(&format!("Dockerfile: {}\n", plan.dockerfile));
    out.push_str(&format!(
        "Backend: {}: {}\n",
        plan.backend.backend.name(),
        plan.backend.reason
    ));
    if let Some(d) = &plan.backend.digests {
        let verdict = if d.reproducible {
            "reproducible"
        } else {
            "not reproducible"
        };
        out.push_str(&format!("Digests: {verdict}: {}\n", d.reason));
    }
    out.push('\n');
    let header = [
        "IMAGE",
        "PACKAGE",
        "BINARIES",
        "RUNTIME",
        "PLATFORMS",
        "TAGS",
    ];
    let rows: Vec<[String; 6]> = plan
        .images
        .iter()
        .map(|i| {
            [
                i.name.clone(),
                format!("{} {}", i.package, i.version),
                i.bins.join(","),
                format!("{} ({})", i.runtime.name(), i.variant.tag()),
                i.platforms.join(","),
                i.references().join(" "),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    out.push_str(&line(&header.map(str::to_string)));
    for row in &rows {
        out.push_str(&line(row));
    }
    out.push('\n');
    for i in &plan.images {
        out.push_str(&format!("{}: {}\n", i.name, i.runtime_reason));
        for note in &i.notes {
            out.push_str(&format!("  {note}\n"));
        }
        // The evidence: every linked crate with native code, how it links in this build, and
        // who pulled it in.
        for c in &i.native {
            let linkage = if c.dynamic {
                "links dynamically"
            } else if c.bundled_not_static() {
                c.not_static_in_brief()
            } else {
                "static"
            };
            let via = match c.via.as_slice() {
                [] => String::new(),
                chain => format!(", via {}", chain.join(" -> ")),
            };
            out.push_str(&format!(
                "  {} {}: {}, {linkage}{via}: {}\n",
                c.name,
                c.version,
                c.kind.describe(),
                c.evidence
            ));
        }
    }
    if let Some(last) = plan.images.last() {
        out.push_str(&format!(
            "\nThe default image (the Dockerfile's last stage) is `{}`.\n",
            last.name
        ));
    }
    out
}
