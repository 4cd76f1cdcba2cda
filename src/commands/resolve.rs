//! `cargo distroless resolve -f FILE|DIR`: build and push the images (or, with `--no-build`, read
//! what `build --metadata-file` recorded), then print the deployment YAML with every reference
//! to them pinned to the pushed digest. Every input is read before anything is built.

use camino::{Utf8Path, Utf8PathBuf};

use crate::cli::{BuildArgs, MessageFormat, ResolveArgs};
use crate::error::{Error, Result};
use crate::resolve::{Pushed, resolve_text};

pub fn run(args: &ResolveArgs) -> Result<i32> {
    let shell = super::shell(&args.output);
    let inputs = read_inputs(&args.files)?;
    let metadata = match (&args.metadata, args.no_build) {
        (Some(path), true) => read_metadata(path)?,
        (Some(_), false) => {
            return Err(Error::input("`--metadata` is read only with `--no-build`")
                .with_help("add `--no-build` to use the recorded digests, or drop `--metadata` to build and push now"));
        }
        (None, _) => {
            // A reference to an image the workspace does not have fails now, not after a build.
            let planned = crate::pipeline::plan(&super::request(&args.selection))?;
            let planned: Vec<Pushed> = planned
                .plan
                .images
                .iter()
                .map(|i| Pushed {
                    image: i.name.clone(),
                    pinned: String::new(),
                    aliases: Vec::new(),
                })
                .collect();
            for (display, text) in &inputs {
                resolve_text(text, display, &planned, false)?;
            }
            let dir = tempfile::tempdir().map_err(|e| {
                Error::environment(format!("could not make a temporary directory: {e}"))
            })?;
            let file =
                Utf8PathBuf::from_path_buf(dir.path().join("metadata.json")).map_err(|p| {
                    Error::environment(format!("temporary path `{}` is not UTF-8", p.display()))
                })?;
            super::build::run(&BuildArgs {
                selection: args.selection.clone(),
                backend: crate::cli::BackendArg {
                    backend: args.backend.backend,
                },
                load: false,
                push: true,
                output_spec: None,
                cache_from: Vec::new(),
                cache_to: Vec::new(),
                builder: None,
                network: None,
                provenance: None,
                sbom: None,
                no_smoke_test: false,
                dry_run: false,
                binaries: None,
                metadata_file: Some(file.clone()),
                message_format: MessageFormat::Human,
                extra: Vec::new(),
                output: args.output,
            })?;
            read_metadata(&file)?
        }
    };
    let pushed = pushed_images(&metadata, args.metadata.as_deref())?;
    let mut count = 0;
    for (i, (display, text)) in inputs.iter().enumerate() {
        let (resolved, replaced) = resolve_text(text, display, &pushed, args.images)?;
        for r in &replaced {
            shell.verbose_status(
                "Resolved",
                format!("{display}:{}: {} -> {}", r.line, r.from, r.to),
            );
        }
        count += replaced.len();
        if i > 0 && !resolved.starts_with("---") {
            shell.stdout("---\n");
        }
        shell.stdout(resolved);
    }
    if count == 0 {
        shell.warn(format!(
            "no reference to this workspace's images was found in {} file(s): write `image: distroless://<image>`{}",
            inputs.len(),
            if args.images { "" } else { ", or pass `--images` to match plain image names" }
        ));
    } else {
        shell.status(
            "Resolved",
            format!("{count} reference(s) in {} file(s)", inputs.len()),
        );
    }
    Ok(0)
}

/// Every input as (name for messages, text), files in a directory sorted by path.
fn read_inputs(paths: &[Utf8PathBuf]) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for path in paths {
        if path.as_str() == "-" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| Error::input(format!("could not read YAML from stdin: {e}")))?;
            out.push(("<stdin>".to_string(), text));
        } else if path.is_dir() {
            let mut found = Vec::new();
            collect_yaml(path, &mut found)?;
            found.sort();
            if found.is_empty() {
                return Err(
                    Error::input(format!("`{path}` holds no `*.yaml` or `*.yml` file"))
                        .with_help("name the manifests' directory, or the files themselves"),
                );
            }
            for file in found {
                out.push((file.to_string(), read_text(&file)?));
            }
        } else {
            out.push((path.to_string(), read_text(path)?));
        }
    }
    Ok(out)
}

fn read_text(path: &Utf8Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::input(format!("could not read `{path}`: {e}"))
            .with_help("pass an existing YAML file or directory with `-f`")
    })?;
    String::from_utf8(bytes).map_err(|_| {
        Error::input(format!("`{path}` is not UTF-8 text"))
            .with_help("YAML manifests are UTF-8; convert the file or leave it out")
    })
}

fn collect_yaml(dir: &Utf8Path, found: &mut Vec<Utf8PathBuf>) -> Result<()> {
    let entries = dir
        .read_dir_utf8()
        .map_err(|e| Error::input(format!("could not read directory `{dir}`: {e}")))?;
    for entry in entries {
        let entry =
            entry.map_err(|e| Error::input(format!("could not read directory `{dir}`: {e}")))?;
        let path = entry.path().to_path_buf();
        if path.is_dir() {
            collect_yaml(&path, found)?;
        } else if matches!(path.extension(), Some("yaml" | "yml")) {
            found.push(path);
        }
    }
    Ok(())
}

fn read_metadata(path: &Utf8Path) -> Result<serde_json::Value> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|e| {
        Error::input(format!(
            "`{path}` is not a `build --metadata-file` report: {e}"
        ))
        .with_help("write it with `cargo distroless build --push --metadata-file <FILE>`")
    })
}

/// The pushed images a metadata report lists, with the names a manifest may use for each.
fn pushed_images(metadata: &serde_json::Value, source: Option<&Utf8Path>) -> Result<Vec<Pushed>> {
    let source = source
        .map(|p| format!("`{p}`"))
        .unwrap_or_else(|| "the build".into());
    let images = metadata["images"].as_array().ok_or_else(|| {
        Error::input(format!("{source} lists no images"))
            .with_help("write it with `cargo distroless build --push --metadata-file <FILE>`")
    })?;
    let mut pushed = Vec::new();
    for report in images {
        let field = |k: &str| report[k].as_str().unwrap_or_default().to_string();
        let (image, repository) = (field("image"), field("repository"));
        let digest = field("digest");
        if image.is_empty() || repository.is_empty() {
            return Err(Error::input(format!(
                "{source} has an image report without `image` or `repository`"
            ))
            .with_help("write it with `cargo distroless build --push --metadata-file <FILE>`"));
        }
        if !digest.starts_with("sha256:") || report["output"] != "push" {
            return Err(Error::input(format!(
                "image `{image}` in {source} was not pushed, so it has no registry digest"
            ))
            .with_help("build with `--push` (resolve without `--no-build` does)"));
        }
        let mut aliases = vec![image.clone(), repository.clone()];
        for tag in report["tags"].as_array().into_iter().flatten() {
            if let Some(tag) = tag.as_str() {
                aliases.push(format!("{image}:{tag}"));
                aliases.push(format!("{repository}:{tag}"));
            }
        }
        pushed.push(Pushed {
            pinned: format!("{repository}@{digest}"),
            image,
            aliases,
        });
    }
    Ok(pushed)
}
