//! Secrets stay secret: a registry password and a cargo registry token, each set to a unique
//! string, appear in no image layer, config or history, no build log, no metadata file and no
//! generated file, on both backends. The image is scanned as the registry serves it (pulled back
//! with skopeo), every gzip layer decompressed.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support;

struct Canaries {
    password: String,
    cargo_token: String,
}

impl Canaries {
    fn new() -> Canaries {
        let unique = format!(
            "{}{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        Canaries {
            password: format!("pw-canary-{unique}"),
            cargo_token: format!("cargo-canary-{unique}"),
        }
    }

    /// Every form a leak could take: as is, and the base64 `user:password` a docker config holds.
    fn needles(&self) -> Vec<(String, Vec<u8>)> {
        let b64 = base64(format!("ci:{}", self.password).as_bytes());
        vec![
            (
                "registry password".into(),
                self.password.clone().into_bytes(),
            ),
            ("registry auth (base64)".into(), b64.into_bytes()),
            (
                "cargo registry token".into(),
                self.cargo_token.clone().into_bytes(),
            ),
        ]
    }

    fn assert_absent(&self, what: &str, bytes: &[u8]) {
        for (name, needle) in self.needles() {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                "the {name} leaked into {what}"
            );
        }
    }

    /// Every file under `path`, gzip members decompressed (layers are tar.gz).
    fn assert_absent_under(&self, path: &Path) -> usize {
        let mut scanned = 0;
        let mut stack = vec![path.to_path_buf()];
        while let Some(p) = stack.pop() {
            if p.is_dir() {
                stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            let Ok(bytes) = std::fs::read(&p) else {
                continue;
            };
            self.assert_absent(&p.display().to_string(), &bytes);
            if bytes.starts_with(&[0x1f, 0x8b]) {
                let mut plain = Vec::new();
                flate2::read::MultiGzDecoder::new(bytes.as_slice())
                    .read_to_end(&mut plain)
                    .unwrap();
                self.assert_absent(&format!("{} (decompressed)", p.display()), &plain);
            }
            scanned += 1;
        }
        scanned
    }

    fn assert_absent_in_output(&self, what: &str, out: &Output) {
        self.assert_absent(&format!("{what}'s stdout"), &out.stdout);
        self.assert_absent(&format!("{what}'s stderr"), &out.stderr);
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// example-workspace pushing to `registry` (which wants `ci`/the canary password), with a
/// private cargo registry whose token is the other canary, and a release workflow generated.
/// The oci backend's workspace builds `web` on the built-in base, which no Dockerfile can name:
/// `init` runs for the buildx one only.
fn prepared(
    c: &Canaries,
    registry: &support::Registry,
    docker_config: &Path,
    oci: bool,
) -> tempfile::TempDir {
    let dir = if oci {
        crate::oci::workspace()
    } else {
        support::fixture("example-workspace")
    };
    support::replace_in(
        &dir.path().join("Cargo.toml"),
        "[workspace.metadata.distroless]\n",
        &format!(
            "[workspace.metadata.distroless]\nregistry = \"127.0.0.1:{}/example\"\nsbom = false\n",
            registry.port
        ),
    );
    std::fs::create_dir_all(dir.path().join(".cargo")).unwrap();
    std::fs::write(
        dir.path().join(".cargo/config.toml"),
        "[registries.private]\nindex = \"sparse+https://cargo.example.invalid/index/\"\n",
    )
    .unwrap();
    std::fs::write(
        docker_config.join("config.json"),
        format!(
            r#"{{"auths":{{"127.0.0.1:{}":{{"auth":"{}"}}}}}}"#,
            registry.port,
            base64(format!("ci:{}", c.password).as_bytes())
        ),
    )
    .unwrap();
    if !oci {
        let out = support::run(dir.path(), &["init", "--ci", "github", "--ci", "gitlab"]);
        assert!(out.status.success(), "{}", support::stderr(&out));
        c.assert_absent_in_output("init", &out);
    }
    dir
}

/// Pulls the pushed image back as the registry serves it, into an OCI layout.
fn pulled(c: &Canaries, registry: &support::Registry, skopeo: &Path) -> tempfile::TempDir {
    let layout = tempfile::tempdir().unwrap();
    let out = Command::new(skopeo)
        .args(["copy", "--all", "--src-tls-verify=false", "--src-creds"])
        .arg(format!("ci:{}", c.password))
        .arg(format!(
            "docker://127.0.0.1:{}/example/web:0.3.1",
            registry.port
        ))
        .arg(format!("oci:{}", layout.path().join("image").display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::stderr(&out));
    layout
}

fn scan_workspace(c: &Canaries, dir: &Path) {
    for generated in [
        ".github",
        ".gitlab",
        "Dockerfile",
        ".dockerignore",
        "target/distroless",
    ] {
        let path: PathBuf = dir.join(generated);
        if path.exists() {
            c.assert_absent_under(&path);
        }
    }
    c.assert_absent_under(&dir.join("pushed.json"));
}

#[test]
fn no_secret_reaches_an_image_a_log_or_a_file_with_the_oci_backend() {
    let Some(skopeo) = support::tool("skopeo") else {
        return;
    };
    if !Path::new("/usr/bin/docker-registry").exists() {
        return;
    }
    let c = Canaries::new();
    let registry = support::Registry::start_with_auth("ci", &c.password);
    let docker_config = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let dir = prepared(&c, &registry, docker_config.path(), true);
    let out = support::command(dir.path())
        .args(["build", "-v", "--backend", "oci", "-p", "web", "--push"])
        .args(["--metadata-file", "pushed.json", "--message-format", "json"])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("DOCKER_CONFIG", docker_config.path())
        .env("CARGO_DISTROLESS_CACHE", cache.path())
        .env("CARGO_REGISTRIES_PRIVATE_TOKEN", &c.cargo_token)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::stderr(&out));
    c.assert_absent_in_output("build", &out);
    scan_workspace(&c, dir.path());
    c.assert_absent_under(cache.path());
    let image = pulled(&c, &registry, &skopeo);
    assert!(
        c.assert_absent_under(image.path()) >= 4,
        "index, manifest, config, layers"
    );
}

#[test]
#[ignore = "needs a Docker engine with buildx: run tests/run-all.sh"]
fn no_secret_reaches_an_image_a_log_or_a_file_with_buildx() {
    let Some(skopeo) = support::tool("skopeo") else {
        return;
    };
    let _guard = crate::engine::engine_lock();
    let c = Canaries::new();
    let registry = support::Registry::start_with_auth("ci", &c.password);
    let docker_config = tempfile::tempdir().unwrap();
    let dir = prepared(&c, &registry, docker_config.path(), false);
    // The buildx plugin is found through the docker config directory.
    let plugins = docker_config.path().join("cli-plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let home_plugins = Path::new(&std::env::var("HOME").unwrap()).join(".docker/cli-plugins");
    for entry in std::fs::read_dir(home_plugins)
        .into_iter()
        .flatten()
        .flatten()
    {
        std::os::unix::fs::symlink(entry.path(), plugins.join(entry.file_name())).unwrap();
    }
    let out = support::command(dir.path())
        .args([
            "build",
            "-v",
            "--backend",
            "buildx",
            "-p",
            "web",
            "--push",
            "--network",
            "host",
        ])
        .args(["--metadata-file", "pushed.json", "--message-format", "json"])
        .args(["--", "--progress", "plain"])
        .env("DOCKER_CONFIG", docker_config.path())
        .env("CARGO_REGISTRIES_PRIVATE_TOKEN", &c.cargo_token)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::stderr(&out));
    c.assert_absent_in_output("build", &out);
    // The build did mount the token: the Dockerfile names its secret.
    let dockerfile = std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("CARGO_REGISTRIES_PRIVATE_TOKEN"),
        "the token is wired in"
    );
    scan_workspace(&c, dir.path());
    let image = pulled(&c, &registry, &skopeo);
    assert!(
        c.assert_absent_under(image.path()) >= 6,
        "index, manifests, configs, layers"
    );
}
