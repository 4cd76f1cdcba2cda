//! Owns [`Origin`]: which table a setting came from, as errors and the plan's reasons name it
//! (`` `runtime` in `[package.metadata.distroless]` of `crates/web/Cargo.toml` ``).

use serde::Serialize;

/// Which table a layer came from, for error messages and plan reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "table", rename_all = "kebab-case")]
pub enum Origin {
    Default,
    Workspace {
        manifest: String,
    },
    Package {
        manifest: String,
        package: String,
    },
    /// `[package.metadata.distroless.bin.<bin>]`: one binary's image.
    Bin {
        manifest: String,
        package: String,
        bin: String,
    },
    Cli,
}

impl Origin {
    pub fn table(&self) -> String {
        match self {
            Origin::Workspace { .. } => "[workspace.metadata.distroless]".to_string(),
            Origin::Package { .. } => "[package.metadata.distroless]".to_string(),
            Origin::Bin { bin, .. } => format!("[package.metadata.distroless.bin.{bin}]"),
            Origin::Default => "built-in defaults".to_string(),
            Origin::Cli => "command-line flags".to_string(),
        }
    }
    /// "`runtime` in [package.metadata.distroless] of `crates/web/Cargo.toml`"
    pub fn describe_key(&self, key: &str) -> String {
        match self {
            Origin::Workspace { manifest }
            | Origin::Package { manifest, .. }
            | Origin::Bin { manifest, .. } => {
                format!("`{key}` in `{}` of `{manifest}`", self.table())
            }
            Origin::Cli => format!("`--{key}`"),
            Origin::Default => format!("the default `{key}`"),
        }
    }
}
