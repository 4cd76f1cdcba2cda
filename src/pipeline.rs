//! Owns the order of the pipeline: workspace -> config -> plan -> rendered files. Commands call
//! these functions; each step is a plain value the next one reads.

use camino::Utf8PathBuf;

use crate::config::{Config, Layer};
use crate::error::Result;
use crate::files::{GeneratedFile, Ownership};
use crate::plan::{self, Facts, Plan, Selection};
use crate::workspace::{self, LoadOptions, Workspace};
use crate::{manifest_edit, render};

/// Everything a command says about what to plan.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub load: LoadOptions,
    pub selection: Selection,
    /// The CLI configuration layer (the top of the stack).
    pub cli: Layer,
}

#[derive(Debug, Clone)]
pub struct Planned {
    pub workspace: Workspace,
    pub plan: Plan,
}

pub fn plan(request: &Request) -> Result<Planned> {
    let ws = Workspace::load(&request.load)?;
    let config = Config::load(&ws, request.cli.clone())?;
    let candidates = plan::select(&ws, &config, &request.selection)?;
    let flags = plan::feature_flags(&candidates);
    let resolve = ws.resolve(&request.load, &flags)?;
    let facts = Facts {
        cargo_version: workspace::cargo_version(&ws.root),
        git_sha: workspace::git_sha(&ws.root),
    };
    let plan = plan::plan(&ws, &config, candidates, &resolve, &facts)?;
    Ok(Planned {
        workspace: ws,
        plan,
    })
}

/// The files `init` owns: the Dockerfile, `.dockerignore` (merged with the user's), and with
/// `with_config` the starter table in the root manifest.
pub fn generated_files(planned: &Planned, with_config: bool) -> Result<Vec<GeneratedFile>> {
    let root = &planned.workspace.root;
    let plan = &planned.plan;
    let mut files = vec![GeneratedFile {
        path: root.join(&plan.dockerfile),
        display: plan.dockerfile.clone(),
        contents: render::dockerfile(plan)?,
        ownership: Ownership::Generated,
    }];
    let ignore_path = root.join(".dockerignore");
    let existing = std::fs::read_to_string(&ignore_path).ok();
    files.push(GeneratedFile {
        path: ignore_path,
        display: Utf8PathBuf::from(".dockerignore"),
        contents: render::dockerignore(plan, &planned.workspace.target_dir, existing.as_deref())?,
        ownership: Ownership::Merged,
    });
    if with_config {
        let manifest = &planned.workspace.root_manifest;
        let text = std::fs::read_to_string(manifest).map_err(|e| {
            crate::error::Error::environment(format!("could not read `{manifest}`: {e}"))
        })?;
        if let Some(edited) = manifest_edit::with_config(&text, "Cargo.toml")? {
            files.push(GeneratedFile {
                path: manifest.clone(),
                display: "Cargo.toml".into(),
                contents: edited,
                ownership: Ownership::Merged,
            });
        }
    }
    Ok(files)
}
