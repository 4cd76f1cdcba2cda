//! Owns reading the workspace's toolchain file (`rust-toolchain.toml`, or the legacy
//! `rust-toolchain`), as rustup reads it: the channel it pins, if any.

use camino::{Utf8Path, Utf8PathBuf};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolchainFile {
    /// `rust-toolchain.toml` or `rust-toolchain`, relative to the root.
    pub path: Utf8PathBuf,
    pub channel: Option<String>,
}

impl ToolchainFile {
    /// The channel as a version when it pins one (`1.78` or `1.78.0`), not `stable`/`nightly-…`.
    pub fn pinned_version(&self) -> Option<&str> {
        let channel = self.channel.as_deref()?;
        let parts: Vec<&str> = channel.split('.').collect();
        let numeric = parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        (numeric && (parts.len() == 2 || parts.len() == 3)).then_some(channel)
    }
}

pub(super) fn read_toolchain_file(root: &Utf8Path) -> Result<Option<ToolchainFile>> {
    // rustup prefers `rust-toolchain` when both exist; we follow it.
    for name in ["rust-toolchain", "rust-toolchain.toml"] {
        let path = root.join(name);
        if !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::input(format!("could not read `{path}`: {e}")))?;
        let trimmed = text.trim();
        // The legacy file may hold just a channel name.
        let channel =
            if name == "rust-toolchain" && !trimmed.contains('[') && !trimmed.contains('\n') {
                Some(trimmed.to_string()).filter(|c| !c.is_empty())
            } else {
                let table: toml::Table = toml::from_str(&text).map_err(|e| {
                    Error::input(format!("could not parse `{path}`: {e}")).with_help(
                        "see https://rust-lang.github.io/rustup/overrides.html for the format",
                    )
                })?;
                table
                    .get("toolchain")
                    .and_then(|t| t.get("channel"))
                    .and_then(toml::Value::as_str)
                    .map(str::to_string)
            };
        return Ok(Some(ToolchainFile {
            path: Utf8PathBuf::from(name),
            channel,
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toolchain(channel: &str) -> ToolchainFile {
        ToolchainFile {
            path: "rust-toolchain.toml".into(),
            channel: Some(channel.into()),
        }
    }

    #[test]
    fn only_numeric_channels_pin_a_version() {
        assert_eq!(toolchain("1.78.0").pinned_version(), Some("1.78.0"));
        assert_eq!(toolchain("1.78").pinned_version(), Some("1.78"));
        assert_eq!(toolchain("stable").pinned_version(), None);
        assert_eq!(toolchain("nightly-2024-05-01").pinned_version(), None);
        assert_eq!(toolchain("1").pinned_version(), None);
    }

    #[test]
    fn legacy_and_toml_toolchain_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        std::fs::write(root.join("rust-toolchain"), "1.80.1\n").unwrap();
        assert_eq!(
            read_toolchain_file(root)
                .unwrap()
                .unwrap()
                .channel
                .as_deref(),
            Some("1.80.1")
        );
        std::fs::remove_file(root.join("rust-toolchain")).unwrap();
        std::fs::write(
            root.join("rust-toolchain.toml"),
            "[toolchain]\nchannel = \"1.79.0\"\ntargets = [\"x\"]\n",
        )
        .unwrap();
        let file = read_toolchain_file(root).unwrap().unwrap();
        assert_eq!(file.path, "rust-toolchain.toml");
        assert_eq!(file.pinned_version(), Some("1.79.0"));
    }
}
