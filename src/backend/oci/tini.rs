//! Owns getting tini for the daemonless backend: the static build (`/usr/bin/tini-static`) from
//! Debian's `tini` package of the builder's release, for the target's architecture, which is
//! what the Dockerfile's `tini-<group>` stage installs with `apt-get download`.
//!
//! Without apt (this may be a Mac), the package is found the way apt finds it: the release's
//! `Packages.xz` index names the `.deb` and its SHA-256, the `.deb` is checked against it, and the
//! binary is read out of the `.deb` (an `ar` archive holding `data.tar.xz`). The result is cached
//! by release and architecture, so the index (about 9 MB) is fetched once per machine.
//! The index itself is not signature-checked (that needs Debian's keyring and OpenPGP); the
//! mirror is `http://deb.debian.org/debian` unless `CARGO_DISTROLESS_DEBIAN_MIRROR` names another.

use std::io::Read;

use camino::Utf8Path;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::linkage::Linkage;
use crate::platform::Platform;

const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";
const BINARY: &str = "usr/bin/tini-static";

/// The static tini for Debian `release` (`bookworm`) and `platform`, from the cache under
/// `cache_dir` or from the mirror; checked to be a static executable for that platform.
pub fn fetch(release: &str, platform: &Platform, cache_dir: &Utf8Path) -> Result<Vec<u8>> {
    let debian_arch = platform.debian_arch;
    let cached = cache_dir.join(format!("tini-static-{release}-{debian_arch}"));
    let binary = match std::fs::read(&cached) {
        Ok(bytes) => bytes,
        Err(_) => download(release, debian_arch, &cached)?,
    };
    // A static executable for the platform's machine, or the image would not start.
    let fits = Linkage::read(&binary)
        .is_ok_and(|l| l.is_static && platform.gnu_prefix.starts_with(l.architecture.as_str()));
    if !fits {
        let _ = std::fs::remove_file(&cached);
        return Err(Error::environment(format!(
            "Debian's `tini` for {debian_arch} ({release}) is not a static {} executable",
            platform.name
        ))
        .with_help("build with `--backend buildx`, or drop `init = \"tini\"`"));
    }
    Ok(binary)
}

fn download(release: &str, debian_arch: &str, cached: &Utf8Path) -> Result<Vec<u8>> {
    let cache_dir = cached.parent().unwrap_or(cached);
    let mirror = std::env::var("CARGO_DISTROLESS_DEBIAN_MIRROR")
        .ok()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| DEFAULT_MIRROR.to_string());
    let mirror = mirror.trim_end_matches('/');
    let index_url = format!("{mirror}/dists/{release}/main/binary-{debian_arch}/Packages.xz");
    let index_xz = get(&index_url)?;
    let mut index = String::new();
    lzma_rust2::XzReader::new(&index_xz[..], true)
        .read_to_string(&mut index)
        .map_err(|e| Error::environment(format!("could not read `{index_url}`: {e}")))?;
    let (filename, sha256) = package(&index, "tini").ok_or_else(|| {
        Error::environment(format!("`{index_url}` lists no `tini` package"))
            .with_help("build with `--backend buildx`, or drop `init = \"tini\"`")
    })?;
    let deb_url = format!("{mirror}/{filename}");
    let deb = get(&deb_url)?;
    let actual = format!("{:x}", Sha256::digest(&deb));
    if actual != sha256 {
        return Err(Error::environment(format!(
            "`{deb_url}` has SHA-256 {actual}, and the release's index says {sha256}"
        ))
        .with_help("try again (a mirror mid-sync), or set `CARGO_DISTROLESS_DEBIAN_MIRROR`"));
    }
    let binary = binary_from_deb(&deb, BINARY)
        .map_err(|e| Error::environment(format!("could not read `{deb_url}`: {e}")))?;
    std::fs::create_dir_all(cache_dir)
        .and_then(|()| {
            let tmp = cached.with_extension("part");
            std::fs::write(&tmp, &binary)?;
            std::fs::rename(&tmp, cached)
        })
        .map_err(|e| Error::environment(format!("could not write `{cached}`: {e}")))?;
    Ok(binary)
}

fn get(url: &str) -> Result<Vec<u8>> {
    let fail = |e: String| {
        Error::environment(format!("could not download `{url}`: {e}")).with_help(
            "check the network (or set `CARGO_DISTROLESS_DEBIAN_MIRROR` to a Debian mirror you can reach)",
        )
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(e.to_string()))?;
    runtime.block_on(async {
        let response = reqwest::get(url).await.map_err(|e| fail(e.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(fail(format!("HTTP {status}")));
        }
        let body = response.bytes().await.map_err(|e| fail(e.to_string()))?;
        Ok(body.to_vec())
    })
}

/// `(Filename, SHA256)` of the newest stanza for `name` in a Debian `Packages` index.
fn package(index: &str, name: &str) -> Option<(String, String)> {
    index
        .split("\n\n")
        .filter(|stanza| stanza.lines().any(|l| l == format!("Package: {name}")))
        .filter_map(|stanza| {
            let field = |key: &str| {
                stanza
                    .lines()
                    .find_map(|l| l.strip_prefix(key)?.strip_prefix(": "))
                    .map(str::to_string)
            };
            Some((field("Filename")?, field("SHA256")?))
        })
        .last()
}

/// A file's bytes from a `.deb`: the `ar` member `data.tar.xz` (or `.gz`), then the tar entry.
fn binary_from_deb(deb: &[u8], path: &str) -> std::io::Result<Vec<u8>> {
    let invalid = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let mut rest = deb
        .strip_prefix(b"!<arch>\n")
        .ok_or_else(|| invalid("not an ar archive"))?;
    while rest.len() >= 60 {
        let (header, body) = rest.split_at(60);
        let name = String::from_utf8_lossy(&header[..16]).trim().to_string();
        let size: usize = String::from_utf8_lossy(&header[48..58])
            .trim()
            .parse()
            .map_err(|_| invalid("bad ar member size"))?;
        let data = body
            .get(..size)
            .ok_or_else(|| invalid("truncated ar member"))?;
        let name = name.trim_end_matches('/');
        let tar: Option<Box<dyn Read + '_>> = match name {
            "data.tar.xz" => Some(Box::new(lzma_rust2::XzReader::new(data, true))),
            "data.tar.gz" => Some(Box::new(flate2::read::GzDecoder::new(data))),
            "data.tar" => Some(Box::new(data)),
            _ => None,
        };
        if let Some(tar) = tar {
            let mut archive = tar::Archive::new(tar);
            for entry in archive.entries()? {
                let mut entry = entry?;
                let entry_path = entry.path()?.to_string_lossy().into_owned();
                if entry_path.trim_start_matches("./") == path {
                    let mut bytes = Vec::new();
                    entry.read_to_end(&mut bytes)?;
                    return Ok(bytes);
                }
            }
            return Err(invalid(&format!("the package has no `{path}`")));
        }
        // Members are padded to an even length.
        rest = body.get(size + size % 2..).unwrap_or_default();
    }
    Err(invalid("no data.tar member"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From Debian itself (reachable from CI): the arm64 build is an aarch64 static executable.
    #[test]
    #[ignore = "downloads from deb.debian.org: run tests/run-all.sh"]
    fn debians_arm64_tini_is_fetched_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Utf8Path::from_path(dir.path()).unwrap();
        let arm64 = Platform::find("linux/arm64").unwrap();
        let binary = fetch("bookworm", arm64, cache).unwrap();
        let linkage = Linkage::read(&binary).unwrap();
        assert_eq!(linkage.architecture, "aarch64");
        assert!(linkage.is_static);
        // Cached: the second call reads the file; a wrong binary there is refused, not used.
        assert_eq!(fetch("bookworm", arm64, cache).unwrap(), binary);
        let amd64 = Platform::find("linux/amd64").unwrap();
        std::fs::write(cache.join("tini-static-bookworm-amd64"), &binary).unwrap();
        let err = fetch("bookworm", amd64, cache).unwrap_err();
        assert!(
            err.message.contains("not a static linux/amd64 executable"),
            "{}",
            err.message
        );
    }

    #[test]
    fn the_newest_stanza_of_the_package_wins() {
        let index = "Package: tini\nVersion: 0.18\nFilename: pool/main/t/tini/tini_0.18_amd64.deb\nSHA256: aa\n\nPackage: tinier\nFilename: x\nSHA256: bb\n\nPackage: tini\nVersion: 0.19\nFilename: pool/main/t/tini/tini_0.19_amd64.deb\nSHA256: cc\n";
        assert_eq!(
            package(index, "tini"),
            Some(("pool/main/t/tini/tini_0.19_amd64.deb".into(), "cc".into()))
        );
        assert_eq!(package(index, "dumb-init"), None);
    }

    #[test]
    fn a_file_is_read_out_of_a_deb() {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(5);
        header.set_mode(0o755);
        header.set_cksum();
        tar.append_data(&mut header, "./usr/bin/tini-static", &b"\x7fELF!"[..])
            .unwrap();
        let data = tar.into_inner().unwrap();
        let member = |name: &str, body: &[u8]| {
            let mut m = format!(
                "{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n",
                name,
                0,
                0,
                0,
                100644,
                body.len()
            )
            .into_bytes();
            m.extend_from_slice(body);
            if body.len() % 2 == 1 {
                m.push(b'\n');
            }
            m
        };
        let mut deb = b"!<arch>\n".to_vec();
        deb.extend(member("debian-binary", b"2.0\n"));
        deb.extend(member("control.tar", b"x"));
        deb.extend(member("data.tar", &data));
        assert_eq!(binary_from_deb(&deb, BINARY).unwrap(), b"\x7fELF!");
        assert!(binary_from_deb(b"nope", BINARY).is_err());
    }
}
