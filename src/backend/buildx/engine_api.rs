//! Owns asking the Docker Engine API itself, over its unix socket, the read-only questions every
//! build asks: `docker info` before it (with the buildx plugin's own metadata, which is what the
//! CLI reads to list it) and, after a `--load` build, an image's inspection and its history;
//! and running the buildx plugin itself for the build rather than through the CLI.
//!
//! Why not the docker CLI for those: each `docker` start costs 20-60 ms, and `docker info` also
//! starts every CLI plugin to list it; on two cores that was 0.11 s before each build and
//! 0.08-0.11 s after it. The API answers the same questions in a few milliseconds, and the
//! buildx plugin's version is remembered per plugin file.
//!
//! The CLI stays the reference: this path is taken only where it talks to the engine and plugin
//! the CLI would (`DOCKER_HOST=unix://…`, or no `DOCKER_HOST` and no docker context chosen: the
//! default socket; the plugin from the CLI's own directories), never when
//! `CARGO_DISTROLESS_DOCKER` names another program, and any failure here (no socket, an error
//! status, an answer that does not parse) falls back to the CLI, whose errors are the ones users
//! see. reqwest (already here for registries) speaks HTTP over the socket.

use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use sha2::Digest;

use crate::process::{self, Invocation};

/// How long a direct question may take before the CLI is asked instead: a healthy engine
/// answers in milliseconds, and a hung one then gets the CLI's own 10 s and its error.
const PATIENCE: Duration = Duration::from_secs(3);

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Where the engine the docker CLI would use listens, when that is certainly a unix socket.
fn socket() -> Option<Utf8PathBuf> {
    socket_for(&env)
}

/// The CLI's configuration directory (`DOCKER_CONFIG`, else `~/.docker`).
fn config_dir(env: &impl Fn(&str) -> Option<String>) -> Option<Utf8PathBuf> {
    env("DOCKER_CONFIG")
        .map(Utf8PathBuf::from)
        .or_else(|| env("HOME").map(|h| Utf8PathBuf::from(h).join(".docker")))
}

/// [`socket`] with the environment given (`env` answers `None` for unset or empty).
fn socket_for(env: &impl Fn(&str) -> Option<String>) -> Option<Utf8PathBuf> {
    if env("CARGO_DISTROLESS_DOCKER").is_some() {
        return None;
    }
    if let Some(host) = env("DOCKER_HOST") {
        return host.strip_prefix("unix://").map(Utf8PathBuf::from);
    }
    if env("DOCKER_CONTEXT").is_some_and(|c| c != "default") {
        return None;
    }
    // A context chosen with `docker context use` lives in the CLI's config file.
    match cli_config(&env)?
        .get("currentContext")
        .and_then(|c| c.as_str())
    {
        None | Some("") | Some("default") => Some(Utf8PathBuf::from("/var/run/docker.sock")),
        Some(_) => None,
    }
}

/// The CLI's `config.json`: `{}` when there is none, `None` when it cannot be read.
fn cli_config(env: &impl Fn(&str) -> Option<String>) -> Option<serde_json::Value> {
    match std::fs::read_to_string(config_dir(env)?.join("config.json")) {
        Ok(text) => serde_json::from_str(&text).ok(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(serde_json::json!({})),
        Err(_) => None,
    }
}

/// Where the docker CLI finds its plugins, in its order (a user's directory, then the system's),
/// when that is certain: extra directories named in `config.json` are left to the CLI.
fn plugin_dirs(env: &impl Fn(&str) -> Option<String>) -> Option<Vec<Utf8PathBuf>> {
    if cli_config(env)?.get("cliPluginsExtraDirs").is_some() {
        return None;
    }
    let mut dirs = vec![config_dir(env)?.join("cli-plugins")];
    for dir in [
        "/usr/local/lib/docker/cli-plugins",
        "/usr/local/libexec/docker/cli-plugins",
        "/usr/lib/docker/cli-plugins",
        "/usr/libexec/docker/cli-plugins",
    ] {
        dirs.push(Utf8PathBuf::from(dir));
    }
    Some(dirs)
}

/// `docker info --format '{{json .}}'` as the CLI prints it, as far as the preflight reads it:
/// the engine's `/info` and the buildx plugin under `ClientInfo.Plugins`. `None` when either
/// cannot be had this way, or there is no `docker` on PATH to run the build with (the CLI then
/// answers, and its errors say what is missing).
pub(super) fn info_like_cli() -> Option<String> {
    let socket = socket()?;
    find_on_path("docker")?;
    let buildx = buildx_plugin(&env)?;
    let (info, version) = std::thread::scope(|scope| {
        let version = scope.spawn(|| plugin_version_remembered(&buildx));
        (get_json_at(&socket, "/info"), version.join().ok().flatten())
    });
    let mut info = info.filter(|i| i["ServerVersion"].is_string())?;
    info["ClientInfo"] = serde_json::json!({
        "Plugins": [{"Name": "buildx", "Version": version?, "Path": buildx.as_str()}],
    });
    Some(info.to_string())
}

/// `docker buildx …` run as the buildx plugin itself (`docker-buildx …`, its standalone form):
/// the docker CLI would start, start the plugin once to read its metadata, then start it again
/// to run it; 0.07 s of every build here. Only where the CLI's choice of engine and plugin is
/// certain; `None` otherwise (run `inv` as it is).
pub fn standalone_buildx(inv: &Invocation) -> Option<Invocation> {
    standalone_buildx_for(inv, &env)
}

fn standalone_buildx_for(
    inv: &Invocation,
    env: &impl Fn(&str) -> Option<String>,
) -> Option<Invocation> {
    if inv.program != "docker" || inv.args.first().map(String::as_str) != Some("buildx") {
        return None;
    }
    socket_for(env)?;
    let plugin = buildx_plugin(env)?;
    let mut direct = inv.clone();
    direct.program = plugin.into_string();
    direct.args.remove(0);
    Some(direct)
}

/// A plugin's version, remembered per plugin file (its path, size, inode and modification time,
/// so an upgrade is asked again) under the user's cache: asking it is a process start, 0.04 s
/// of every build here. A cache that cannot be read or written is no error.
fn plugin_version_remembered(plugin: &Utf8Path) -> Option<String> {
    let cache = crate::backend::oci::blobs::user_cache_base().map(|b| b.join("cli-plugins"));
    plugin_version_remembered_in(plugin, cache.as_deref())
}

fn plugin_version_remembered_in(plugin: &Utf8Path, cache: Option<&Utf8Path>) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(plugin).ok()?;
    let identity = format!(
        "{plugin}\0{}\0{}\0{}.{}",
        meta.len(),
        meta.ino(),
        meta.mtime(),
        meta.mtime_nsec()
    );
    let digest = sha2::Sha256::digest(identity.as_bytes());
    let file = cache.map(|dir| dir.join(format!("{digest:x}.version")));
    if let Some(file) = &file
        && let Ok(version) = std::fs::read_to_string(file)
        && !version.trim().is_empty()
    {
        return Some(version.trim().to_string());
    }
    let version = plugin_version(plugin)?;
    if let Some(file) = &file
        && let Some(dir) = file.parent()
        && std::fs::create_dir_all(dir).is_ok()
    {
        let part = file.with_extension(format!("part{}", std::process::id()));
        if std::fs::write(&part, &version).is_err() || std::fs::rename(&part, file).is_err() {
            let _ = std::fs::remove_file(&part);
        }
    }
    Some(version)
}

/// What a CLI plugin says of itself (`docker-cli-plugin-metadata`, as the CLI asks it): its
/// version.
fn plugin_version(plugin: &Utf8Path) -> Option<String> {
    let inv = Invocation::new(plugin.as_str()).arg("docker-cli-plugin-metadata");
    let out = process::capture_with_timeout(&inv, PATIENCE)
        .ok()
        .flatten()
        .filter(|o| o.success())?;
    let metadata: serde_json::Value = serde_json::from_str(out.stdout.trim()).ok()?;
    metadata["Version"].as_str().map(str::to_string)
}

fn find_on_path(program: &str) -> Option<Utf8PathBuf> {
    let path = std::env::var("PATH").ok()?;
    path.split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Utf8PathBuf::from(d).join(program))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Utf8Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The buildx plugin the CLI would run, where that is certain.
fn buildx_plugin(env: &impl Fn(&str) -> Option<String>) -> Option<Utf8PathBuf> {
    plugin_dirs(env)?
        .into_iter()
        .map(|d| d.join("docker-buildx"))
        .find(|p| is_executable(p))
}

/// `GET path` on the engine, its JSON body when the answer is 200; `None` for anything else
/// (the caller then asks the CLI).
pub(super) fn get_json(path: &str) -> Option<serde_json::Value> {
    get_json_at(&socket()?, path)
}

fn get_json_at(socket: &Utf8Path, path: &str) -> Option<serde_json::Value> {
    if !socket.as_std_path().exists() {
        return None;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .unix_socket(socket.as_std_path())
            .no_proxy()
            .timeout(PATIENCE)
            .build()
            .ok()?;
        // The host is not used on a unix socket; the engine serves unversioned paths at its
        // own API version.
        let response = client
            .get(format!("http://docker{path}"))
            .send()
            .await
            .ok()?;
        if response.status() != reqwest::StatusCode::OK {
            return None;
        }
        response.json::<serde_json::Value>().await.ok()
    })
}

/// The reference as one path segment run of the API: names keep their `/` (the route takes
/// them), anything that is not part of a reference is escaped.
pub(super) fn image_path(reference: &str, what: &str) -> String {
    let mut escaped = String::with_capacity(reference.len());
    for b in reference.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'/' | b':' | b'@' => {
                escaped.push(b as char)
            }
            other => escaped.push_str(&format!("%{other:02X}")),
        }
    }
    format!("/images/{escaped}/{what}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn only_a_socket_the_cli_would_use_is_asked() {
        let home = tempfile::tempdir().unwrap();
        let home_str = home.path().to_str().unwrap();
        let default = Some(Utf8PathBuf::from("/var/run/docker.sock"));
        assert_eq!(socket_for(&env(&[("HOME", home_str)])), default);
        assert_eq!(
            socket_for(&env(&[("DOCKER_HOST", "unix:///run/e.sock")])),
            Some(Utf8PathBuf::from("/run/e.sock"))
        );
        // Another program, a remote engine, a chosen context: the CLI decides.
        assert_eq!(
            socket_for(&env(&[
                ("CARGO_DISTROLESS_DOCKER", "/bin/fake"),
                ("HOME", home_str)
            ])),
            None
        );
        assert_eq!(
            socket_for(&env(&[("DOCKER_HOST", "tcp://10.0.0.1:2376")])),
            None
        );
        assert_eq!(socket_for(&env(&[("DOCKER_HOST", "ssh://box")])), None);
        assert_eq!(
            socket_for(&env(&[("DOCKER_CONTEXT", "remote"), ("HOME", home_str)])),
            None
        );
        assert_eq!(
            socket_for(&env(&[("DOCKER_CONTEXT", "default"), ("HOME", home_str)])),
            default
        );
        std::fs::create_dir_all(home.path().join(".docker")).unwrap();
        let config = home.path().join(".docker/config.json");
        std::fs::write(&config, r#"{"currentContext": "colima"}"#).unwrap();
        assert_eq!(socket_for(&env(&[("HOME", home_str)])), None);
        std::fs::write(&config, r#"{"auths": {}}"#).unwrap();
        assert_eq!(socket_for(&env(&[("HOME", home_str)])), default);
        std::fs::write(&config, "not json").unwrap();
        assert_eq!(
            socket_for(&env(&[("HOME", home_str)])),
            None,
            "unreadable: the CLI decides"
        );
    }

    #[test]
    fn plugins_are_looked_for_where_the_cli_looks_unless_it_was_told_elsewhere() {
        let config = tempfile::tempdir().unwrap();
        let config_str = config.path().to_str().unwrap();
        let dirs = plugin_dirs(&env(&[("DOCKER_CONFIG", config_str)])).unwrap();
        assert_eq!(dirs[0], Utf8PathBuf::from(config_str).join("cli-plugins"));
        assert!(dirs.contains(&Utf8PathBuf::from("/usr/libexec/docker/cli-plugins")));
        std::fs::write(
            config.path().join("config.json"),
            r#"{"cliPluginsExtraDirs": ["/opt/plugins"]}"#,
        )
        .unwrap();
        assert_eq!(plugin_dirs(&env(&[("DOCKER_CONFIG", config_str)])), None);
    }

    #[test]
    fn the_build_runs_the_plugin_itself_only_where_the_cli_would_run_that_one() {
        let config = tempfile::tempdir().unwrap();
        let config_str = config.path().to_str().unwrap();
        let build = Invocation::new("docker").args(["buildx", "build", "--load", "."]);
        let vars = [
            ("DOCKER_CONFIG", config_str),
            ("DOCKER_HOST", "unix:///run/e.sock"),
        ];
        assert_eq!(
            standalone_buildx_for(&build, &env(&vars)),
            None,
            "no plugin there yet"
        );
        std::fs::create_dir_all(config.path().join("cli-plugins")).unwrap();
        let plugin = config.path().join("cli-plugins/docker-buildx");
        std::fs::write(&plugin, "").unwrap();
        assert_eq!(
            standalone_buildx_for(&build, &env(&vars)),
            None,
            "not executable"
        );
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let direct = standalone_buildx_for(&build, &env(&vars)).expect("the plugin itself");
        assert_eq!(direct.program, plugin.to_str().unwrap());
        assert_eq!(direct.args, ["build", "--load", "."]);
        let remote = [
            ("DOCKER_CONFIG", config_str),
            ("DOCKER_HOST", "tcp://box:2376"),
        ];
        assert_eq!(standalone_buildx_for(&build, &env(&remote)), None);
        let other = Invocation::new("/usr/bin/fake-docker").args(["buildx", "build"]);
        assert_eq!(standalone_buildx_for(&other, &env(&vars)), None);
        let not_buildx = Invocation::new("docker").args(["image", "inspect"]);
        assert_eq!(standalone_buildx_for(&not_buildx, &env(&vars)), None);
    }

    #[test]
    fn a_plugin_version_is_asked_once_per_plugin_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).unwrap();
        let plugin = root.join("docker-buildx");
        let calls = root.join("calls");
        let write = |version: &str| {
            std::fs::write(
                &plugin,
                format!("#!/bin/sh\necho run >> '{calls}'\necho '{{\"SchemaVersion\":\"0.1.0\",\"Version\":\"{version}\"}}'\n"),
            )
            .unwrap();
            std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        let runs = || {
            std::fs::read_to_string(&calls)
                .unwrap_or_default()
                .lines()
                .count()
        };
        write("v0.13.1");
        let cache = root.join("cache");
        assert_eq!(
            plugin_version_remembered_in(&plugin, Some(&cache)).as_deref(),
            Some("v0.13.1")
        );
        assert_eq!(
            plugin_version_remembered_in(&plugin, Some(&cache)).as_deref(),
            Some("v0.13.1")
        );
        assert_eq!(runs(), 1, "the second answer came from the cache");
        // An upgrade replaces the file: asked again.
        std::fs::remove_file(&plugin).unwrap();
        write("v0.19.0-rc1");
        assert_eq!(
            plugin_version_remembered_in(&plugin, Some(&cache)).as_deref(),
            Some("v0.19.0-rc1")
        );
        assert_eq!(runs(), 2);
        // No cache directory: asked every time, still answered.
        assert_eq!(
            plugin_version_remembered_in(&plugin, None).as_deref(),
            Some("v0.19.0-rc1")
        );
        assert_eq!(runs(), 3);
    }

    /// A one-request engine on a unix socket answering `status` and `body`; the request line it
    /// saw comes back through the join handle.
    fn engine(
        status: &'static str,
        body: &'static str,
    ) -> (
        tempfile::TempDir,
        Utf8PathBuf,
        std::thread::JoinHandle<String>,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8PathBuf::from_path_buf(dir.path().join("docker.sock")).unwrap();
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let served = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
            }
            write!(stream, "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
            String::from_utf8_lossy(&request)
                .lines()
                .next()
                .unwrap_or_default()
                .to_string()
        });
        (dir, path, served)
    }

    #[test]
    fn an_answer_of_the_engine_is_read_and_anything_else_is_none() {
        let (_dir, socket, served) = engine("200 OK", r#"{"Id":"sha256:ab","Size":42}"#);
        let answer = get_json_at(&socket, "/images/web:1/json").expect("answered");
        assert_eq!(answer["Size"], 42);
        assert_eq!(served.join().unwrap(), "GET /images/web:1/json HTTP/1.1");
        let (_dir, socket, served) =
            engine("404 Not Found", r#"{"message":"No such image: web:1"}"#);
        assert_eq!(get_json_at(&socket, "/images/web:1/json"), None);
        served.join().unwrap();
        let (_dir, socket, served) = engine("200 OK", "not json");
        assert_eq!(get_json_at(&socket, "/images/web:1/json"), None);
        served.join().unwrap();
        assert_eq!(
            get_json_at(camino::Utf8Path::new("/nonexistent/docker.sock"), "/info"),
            None
        );
    }

    #[test]
    fn references_keep_their_shape_in_the_path() {
        assert_eq!(
            image_path("localhost:5000/team/web:0.3.1", "json"),
            "/images/localhost:5000/team/web:0.3.1/json"
        );
        assert_eq!(
            image_path("web@sha256:ab", "history"),
            "/images/web@sha256:ab/history"
        );
        assert_eq!(image_path("a b?", "json"), "/images/a%20b%3F/json");
    }
}
