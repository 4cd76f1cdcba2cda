//! Owns one warning: a service whose code names a file or directory of the workspace by a
//! relative path, which it opens at run time from its working directory, while its image does
//! not carry it. zero-to-production's `get_configuration` reads `configuration/base.yaml` from
//! `current_dir()`; its image started and stopped at once with "Failed to read configuration".
//! The same holds for `ServeDir::new("static")`, `Tera::new("templates/**/*")` and a
//! `config.toml` read by name. Only images that link a server framework are read: a command-line
//! tool names files of its user's project (`book.toml`, `justfile`), not of its own. A frontend
//! build's output directory (`build`) named by such a server gets its own warning, whether or
//! not the directory is there yet: `npm run build` makes it, and no backend runs that.

use std::collections::{BTreeMap, BTreeSet};

use camino::{Utf8Path, Utf8PathBuf};

use super::model::ImagePlan;
use crate::workspace::cxx::code_only;
use crate::workspace::source_files::rust_files;
use crate::workspace::{TargetKind, Workspace};

/// Crates that make a binary a server: a service's image runs it in a working directory of the
/// image, not of the repository.
pub const SERVER_FRAMEWORKS: &[&str] = &[
    "actix-web",
    "axum",
    "rocket",
    "warp",
    "poem",
    "tide",
    "salvo",
    "ntex",
    "gotham",
];

/// Words that name what a service reads at run time, in a file's or directory's name
/// (`configuration`, `config.toml`, `static`, `templates`): a path of the workspace named in code
/// is read as one only when its name has one. Any name would also take the workspace's own
/// layout and documents (`crates`, `docs`, `img`) for run-time files.
const RUN_TIME_WORDS: &[&str] = &[
    "config",
    "configs",
    "configuration",
    "settings",
    "conf",
    "static",
    "public",
    "templates",
    "views",
    "assets",
    "locales",
    "i18n",
    "translations",
    "migrations",
];

/// Directories a frontend build writes (vite's and SvelteKit's `build` and `dist`, Next's
/// `out`): a server that names one where the workspace has a `package.json` serves what
/// `npm run build` makes, which neither backend runs. sshx-server's `ServeDir::new("build")`
/// answered 404 for its whole web UI from an image without it.
const FRONTEND_OUTPUTS: &[&str] = &["build", "dist", "out"];

/// The warnings for `image`, built from the workspace crates `local_crates`, when their code
/// names paths of the workspace that no asset carries, or a frontend build's output.
pub(super) fn unshipped_warning(
    ws: &Workspace,
    image: &ImagePlan,
    local_crates: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<String> {
    let mut named: BTreeMap<Utf8PathBuf, Named> = BTreeMap::new();
    let mut to_build: BTreeMap<Utf8PathBuf, Named> = BTreeMap::new();
    // What the crates embed at compile time is in the binary, whatever else names it: rustfs
    // embeds its console with `#[folder = "$CARGO_MANIFEST_DIR/static"]`, and names a KMS
    // backend "static".
    let mut embedded: BTreeSet<Utf8PathBuf> = BTreeSet::new();
    let member_dirs: BTreeSet<Utf8PathBuf> =
        ws.packages.iter().map(|p| ws.root.join(&p.dir)).collect();
    for pkg in ws
        .packages
        .iter()
        .filter(|p| local_crates.contains_key(&p.name))
    {
        let features = &local_crates[&pkg.name];
        let crate_dir = ws.root.join(&pkg.dir);
        let has_frontend =
            ws.root.join("package.json").exists() || crate_dir.join("package.json").exists();
        // The image's package may hold binaries the image does not: their roots are not its
        // code (axum's websockets example: the server names `assets`, its `client` does not).
        let other_bins: Vec<Utf8PathBuf> = if pkg.name == image.package {
            pkg.targets
                .iter()
                .filter(|t| t.kind == TargetKind::Bin && !image.bins.contains(&t.name))
                .map(|t| ws.root.join(&t.src_path))
                .collect()
        } else {
            Vec::new()
        };
        let of_other_bin = |file: &Utf8Path| {
            other_bins.iter().any(|root| {
                root == file
                    || (root.file_name() == Some("main.rs")
                        && root.parent().is_some_and(|d| {
                            d.parent().is_some_and(|p| p.ends_with("src/bin"))
                                && file.starts_with(d)
                        }))
            })
        };
        for file in rust_files(&crate_dir) {
            if of_other_bin(&file) {
                continue;
            }
            let Ok(source) = std::fs::read_to_string(&file) else {
                continue;
            };
            embedded.extend(
                crate::workspace::embeds::embeds(&crate_dir, &file, &source, features)
                    .into_iter()
                    .map(|e| e.path),
            );
            let code = code_only(&source);
            let served = if has_frontend {
                frontend_outputs_served(&code)
            } else {
                BTreeSet::new()
            };
            for name in relative_literals(&code) {
                // From the workspace root, where `cargo run` runs it, or from the crate's own
                // directory, where `cd crate && cargo run` does (axum's static-file-server
                // example serves `ServeDir::new("assets")` from `static-file-server/assets`);
                // not a directory that holds members.
                let frontend_output = served.contains(&name);
                if !(names_run_time_data(&name) || frontend_output) {
                    continue;
                }
                let from_root = ws.root.join(&name);
                let from_crate = crate_dir.join(&name);
                let path = if from_root.exists() || !from_crate.exists() {
                    from_root
                } else {
                    from_crate
                };
                if member_dirs.iter().any(|d| d.starts_with(&path)) {
                    continue;
                }
                let relative = path
                    .strip_prefix(&ws.root)
                    .map_or_else(|_| Utf8PathBuf::from(&name), Utf8Path::to_path_buf);
                let carried = image.assets.iter().any(|a| {
                    relative.starts_with(&a.src) || Utf8Path::new(&a.src).starts_with(&relative)
                });
                let shown = || Named {
                    opened: name.clone(),
                    file: file.strip_prefix(&ws.root).unwrap_or(&file).to_path_buf(),
                };
                if carried {
                    continue;
                } else if path.exists() {
                    named.entry(relative).or_insert_with(shown);
                } else if frontend_output {
                    to_build.entry(relative).or_insert_with(shown);
                }
            }
        }
    }
    named.retain(|relative, _| {
        let path = ws.root.join(relative);
        !embedded
            .iter()
            .any(|e| e.as_std_path() == path.as_std_path())
    });
    let package_dir = ws
        .package(&image.package)
        .map(|p| p.dir.clone())
        .unwrap_or_default();
    let mut warnings: Vec<String> = in_workspace_warning(image, &named, &package_dir)
        .into_iter()
        .collect();
    if let Some((first, named)) = to_build.iter().next() {
        warnings.push(format!(
            "image `{}` links a server framework, and its code names `{first}` (in `{}`), which the workspace's frontend build (`package.json`) makes and neither backend runs: the image would serve nothing from it; build it first (`npm run build`), then carry it with `assets = [{{ src = \"{}\", dest = \"/app/{}\" }}]` and `workdir = \"/app\"` in {}",
            image.name,
            named.file,
            asset_src(&package_dir, first),
            named.opened,
            image.settings_table,
        ));
    }
    warnings
}

/// A path the code names: as it opens it (from its working directory), and the file naming it.
struct Named {
    opened: String,
    file: Utf8PathBuf,
}

/// An asset's `src` for the workspace path `path`, relative to the image package's directory
/// `package_dir` (both relative to the root), as the `assets` key reads it.
fn asset_src(package_dir: &Utf8Path, path: &Utf8Path) -> String {
    match path.strip_prefix(package_dir) {
        Ok(inside) if !package_dir.as_str().is_empty() => inside.to_string(),
        _ => format!("{}{path}", "../".repeat(package_dir.components().count())),
    }
}

/// The frontend outputs ([`FRONTEND_OUTPUTS`]) that `code` serves or reads a file of: a
/// static-file service of one (`ServeDir::new("build")`, actix's `Files::new("/", "dist")`) or
/// a path inside one (`"build/spa.html"`). The bare word alone is not enough: mdBook's
/// `build` is a subcommand's name.
fn frontend_outputs_served(code: &str) -> BTreeSet<String> {
    let outputs = FRONTEND_OUTPUTS.join("|");
    let pattern = format!(
        r#"(?:ServeDir::new\(\s*|Files::new\(\s*"[^"]*"\s*,\s*)"(?:\./)?({outputs})/?"|"(?:\./)?({outputs})/[^"\s]+""#
    );
    let served = regex::Regex::new(&pattern).expect("a valid pattern");
    served
        .captures_iter(code)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)))
        .map(|m| m.as_str().to_string())
        .collect()
}

/// The warning for paths of the workspace a server's code names and its image does not carry.
fn in_workspace_warning(
    image: &ImagePlan,
    named: &BTreeMap<Utf8PathBuf, Named>,
    package_dir: &Utf8Path,
) -> Option<String> {
    let (first, first_named) = named.iter().next()?;
    let list: Vec<String> = named
        .iter()
        .map(|(path, n)| {
            if path.as_str() == n.opened {
                format!("`{path}` (in `{}`)", n.file)
            } else {
                format!("`{}` (`{path}`, in `{}`)", n.opened, n.file)
            }
        })
        .collect();
    let (is, it, carry) = if named.len() == 1 {
        ("is", "it", "it")
    } else {
        ("are", "them", "each")
    };
    Some(format!(
        "image `{}` links a server framework, and its code names {}, which {is} in the workspace but not in the image: if it reads {it} at run time, from its working directory, it will not find {it}; carry {carry} with `assets = [{{ src = \"{}\", dest = \"/app/{}\" }}]` and `workdir = \"/app\"` in {}",
        image.name,
        list.join(", "),
        asset_src(package_dir, first),
        first_named.opened,
        image.settings_table,
    ))
}

/// The first path component of each string literal in `code` that reads as a relative path
/// (`"configuration"`, `"./static"`, `"templates/**/*"`): no spaces, no scheme, not absolute,
/// not an argument of a macro (`include_str!`, `migrate!` read at compile time) or of an
/// attribute (`#[folder = "…"]`, `#[template(path = "…")]`).
fn relative_literals(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = code;
    let mut offset = 0;
    while let Some(start) = rest.find('"') {
        let before = &code[..offset + start];
        // A raw string's `r"` or `r#"`, and a char literal `'"'`, are not read.
        let raw_or_char = before.ends_with('r') || before.ends_with("r#") || before.ends_with('\'');
        let after = &rest[start + 1..];
        let Some(end) = literal_end(after) else {
            break;
        };
        let literal = &after[..end];
        offset += start + 1 + end + 1;
        rest = &code[offset..];
        if raw_or_char || in_macro_or_attribute(before) {
            continue;
        }
        if let Some(name) = first_component(literal) {
            // A bare word (`"templates"`, not `"./templates"` or `"templates/"`) is as often
            // a key or a name as a path: rauthy's `table.remove("templates")` reads a TOML
            // table. It counts only where a path goes.
            if literal == name && !name.contains('.') && !bare_word_as_path(before) {
                continue;
            }
            names.insert(name.to_string());
        }
    }
    names
}

/// Calls whose first argument is a key, a name or a pattern, never a path.
const NON_PATH_CALLS: &[&str] = &[
    "get",
    "get_mut",
    "remove",
    "insert",
    "contains_key",
    "entry",
    "contains",
    "starts_with",
    "ends_with",
    "strip_prefix",
    "strip_suffix",
    "split",
    "replace",
    "find",
    "var",
    "var_os",
    "eq",
    "push_str",
    "expect",
    "context",
    "with_context",
    "field",
    "header",
    "route",
];

/// Whether a bare word whose literal follows `before` is where a path goes: the first argument
/// of a call that takes one (`base_path.join("configuration")`, `ServeDir::new("static")`, not
/// `table.remove("templates")`), the value of a `const` or `let` (`const PUBLIC_DIRECTORY_NAME:
/// &str = "public";`), or an argument after a mount point (actix's `Files::new("/static",
/// "static")`).
fn bare_word_as_path(before: &str) -> bool {
    let before = before.trim_end();
    if before.ends_with('=') && !before.ends_with("==") {
        return true;
    }
    // After a mount point: `Files::new("/static", "static")`.
    if let Some(args) = before.strip_suffix(',') {
        let args = args.trim_end();
        return args.strip_suffix('"').is_some_and(|inner| {
            inner
                .rfind('"')
                .is_some_and(|open| inner[open + 1..].starts_with('/'))
        });
    }
    let Some(call) = before.strip_suffix('(') else {
        return false;
    };
    let callee = call
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .unwrap_or_default();
    !callee.is_empty() && !NON_PATH_CALLS.contains(&callee)
}

/// Where the literal that starts at the beginning of `text` ends (the closing `"`).
fn literal_end(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i),
            _ => {}
        }
    }
    None
}

/// Whether the code right before a literal opens a macro's arguments (`name!(`) or sits inside
/// an attribute (`#[…` not yet closed).
fn in_macro_or_attribute(before: &str) -> bool {
    let trimmed = before.trim_end();
    if ["!(", "![", "!{"]
        .iter()
        .any(|open| trimmed.ends_with(open))
    {
        return true;
    }
    match (before.rfind("#["), before.rfind(']')) {
        (Some(open), Some(close)) => open > close,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Whether a file or directory name has a word of [`RUN_TIME_WORDS`] (`config.toml`,
/// `configuration`, `static`); never a dotfile.
fn names_run_time_data(name: &str) -> bool {
    !name.starts_with('.')
        && name
            .split(['.', '-', '_'])
            .any(|word| RUN_TIME_WORDS.contains(&word.to_ascii_lowercase().as_str()))
}

/// The first component of a literal that reads as a relative path, when it names something
/// (letters, digits, `.`, `_`, `-`) and is no glob.
fn first_component(literal: &str) -> Option<&str> {
    let path = literal.strip_prefix("./").unwrap_or(literal);
    if path.is_empty()
        || path.len() > 200
        || path.starts_with('/')
        || path.starts_with("..")
        || path.contains("://")
        || !path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '*'))
    {
        return None;
    }
    let first = path.split('/').next()?;
    let names_something = !first.is_empty()
        && first != "."
        && !first.contains('*')
        && first.chars().any(|c| c.is_ascii_alphabetic());
    names_something.then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(code: &str) -> Vec<String> {
        relative_literals(&code_only(code)).into_iter().collect()
    }

    #[test]
    fn relative_paths_in_code_are_read_and_compile_time_ones_are_not() {
        // zero-to-production (970987c)'s src/configuration.rs, abridged.
        let z2p = "pub fn get_configuration() -> Result<Settings, config::ConfigError> {\n    let base_path = std::env::current_dir().expect(\"Failed to determine the current directory\");\n    let configuration_directory = base_path.join(\"configuration\");\n    let environment_filename = format!(\"{}.yaml\", environment.as_str());\n    config::File::from(configuration_directory.join(\"base.yaml\"));\n}";
        assert_eq!(names(z2p), ["base.yaml", "configuration"]);
        let web = "let app = Router::new().nest_service(\"/static\", ServeDir::new(\"./static\"));\nlet tera = Tera::new(\"templates/**/*\")?;\nlet url = \"http://localhost:8080\";\nlet msg = \"hello world\";";
        assert_eq!(names(web), ["static", "templates"]);
        // Bare words where a path goes count, keys and names do not (rauthy's TOML table).
        let bare = "const PUBLIC: &str = \"public\";\nlet files = Files::new(\"/\", \"assets\");\nlet views = Path::new(\"views\");\nlet t = table.remove(\"templates\");\nt_str(&mut table, \"config\", \"subject\", \"\");\nmatch key { \"static\" => 1, _ => 0 };\nif name == \"settings\" {}";
        assert_eq!(names(bare), ["assets", "public", "views"]);
        let compile_time = "const INDEX: &str = include_str!(\"index.html\");\nsqlx::migrate!(\"./migrations\");\n#[derive(RustEmbed)]\n#[folder = \"assets/\"]\nstruct Assets;\n#[template(path = \"hello.html\")]\nstruct Hello;\nlet s = r\"raw/path\";\n// \"commented\"\nlet c = '\"';";
        assert!(names(compile_time).is_empty(), "{:?}", names(compile_time));
    }

    #[test]
    fn only_names_of_run_time_data_count() {
        for name in [
            "configuration",
            "config.toml",
            "static",
            "templates",
            "app-settings.yaml",
        ] {
            assert!(names_run_time_data(name), "{name}");
        }
        for name in [
            "crates",
            "docs",
            "img",
            ".gitignore",
            ".config",
            "src",
            "Cargo.toml",
        ] {
            assert!(!names_run_time_data(name), "{name}");
        }
    }
}
