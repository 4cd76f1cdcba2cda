//! Owns reading which programs the workspace's `.cargo/config.toml` links with: a `linker` key,
//! `-C linker=…`, or `-fuse-ld=…` in rustflags. The file is in the build context, so cargo in the
//! builder obeys it: the set-up *Zero To Production* recommends (`linker = "clang"` with
//! `-fuse-ld=lld`, or mold) fails a cc image's build at its first link with "linker `clang` not
//! found" in a `rust:*-slim` builder, which has neither.
//!
//! Each program is kept with the scope it applies to: a `[target.<triple>]` table to that triple,
//! `[target.'cfg(…)']` and `[build]` to every target (a `cfg` is not evaluated: a program for a
//! target that turns out not to match costs one package in the builder).

use std::collections::{BTreeMap, BTreeSet};

/// Programs by scope: a target triple, or [`EVERY_TARGET`].
pub type LinkPrograms = BTreeMap<String, BTreeSet<String>>;

/// The scope of `[build]` and `[target.'cfg(…)']` settings.
pub const EVERY_TARGET: &str = "*";

/// The programs a cargo configuration's text links with, by scope. Text that is not TOML reads
/// as none (cargo itself reports it).
pub fn link_programs(config: &str) -> LinkPrograms {
    let mut found = LinkPrograms::new();
    let Ok(table) = config.parse::<toml::Table>() else {
        return found;
    };
    let mut add = |scope: &str, programs: BTreeSet<String>| {
        if !programs.is_empty() {
            found.entry(scope.to_string()).or_default().extend(programs);
        }
    };
    if let Some(flags) = table.get("build").and_then(|b| b.get("rustflags")) {
        add(EVERY_TARGET, from_rustflags(flags));
    }
    for (key, settings) in table
        .get("target")
        .and_then(|t| t.as_table())
        .into_iter()
        .flatten()
    {
        let scope = if key.starts_with("cfg(") {
            EVERY_TARGET
        } else {
            key.as_str()
        };
        let mut programs = BTreeSet::new();
        if let Some(linker) = settings.get("linker").and_then(|l| l.as_str()) {
            programs.extend(program_name(linker));
        }
        if let Some(flags) = settings.get("rustflags") {
            programs.extend(from_rustflags(flags));
        }
        add(scope, programs);
    }
    found
}

/// The programs for one target triple: its own table's and every target's.
pub fn for_triple(programs: &LinkPrograms, triple: &str) -> BTreeSet<String> {
    [EVERY_TARGET, triple]
        .iter()
        .filter_map(|scope| programs.get(*scope))
        .flatten()
        .cloned()
        .collect()
}

/// Rustflags as cargo takes them: an array of arguments, or one string split on spaces.
fn from_rustflags(flags: &toml::Value) -> BTreeSet<String> {
    let args: Vec<String> = match flags {
        toml::Value::String(s) => s.split_whitespace().map(str::to_string).collect(),
        toml::Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let mut programs = BTreeSet::new();
    for arg in &args {
        // `-C linker=clang` arrives as `-C`, `linker=clang`; `-Clinker=clang` as one.
        let codegen = arg.strip_prefix("-C").unwrap_or(arg);
        if let Some(linker) = codegen.strip_prefix("linker=") {
            programs.extend(program_name(linker));
        }
        // `link-arg=-fuse-ld=lld`, `link-args=-fuse-ld=mold -Wl,…`: the linker the C driver
        // runs. `bfd` and `gold` are binutils, which every builder has.
        for word in arg.split([' ', ',']) {
            if let Some(ld) = word
                .split_once("-fuse-ld=")
                .map(|(_, ld)| ld)
                .or_else(|| word.split_once("--ld-path=").map(|(_, ld)| ld))
            {
                let ld = ld.rsplit('/').next().unwrap_or(ld);
                match ld {
                    "lld" => {
                        programs.insert("ld.lld".to_string());
                    }
                    "bfd" | "gold" | "ld" | "ld.bfd" | "ld.gold" => {}
                    other => {
                        programs.extend(program_name(other));
                    }
                }
            }
        }
    }
    programs
}

/// The program a path names (`/usr/bin/clang` → `clang`), if any.
fn program_name(path: &str) -> Option<String> {
    let name = path.rsplit('/').next().unwrap_or(path).trim();
    (!name.is_empty()).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn zero_to_production_s_linkers_are_read_by_target() {
        let config = "[target.x86_64-unknown-linux-gnu]\nrustflags = [\"-C\", \"linker=clang\", \"-C\", \"link-arg=-fuse-ld=lld\"]\n\n[target.aarch64-unknown-linux-gnu]\nlinker = \"/usr/bin/clang\"\nrustflags = \"-C link-arg=-fuse-ld=mold\"\n";
        let programs = link_programs(config);
        assert_eq!(
            for_triple(&programs, "x86_64-unknown-linux-gnu"),
            set(&["clang", "ld.lld"])
        );
        assert_eq!(
            for_triple(&programs, "aarch64-unknown-linux-gnu"),
            set(&["clang", "mold"])
        );
        // The musl target's build is not linked by the gnu target's table.
        assert!(for_triple(&programs, "x86_64-unknown-linux-musl").is_empty());
    }

    #[test]
    fn build_and_cfg_tables_reach_every_target_and_binutils_need_nothing() {
        let config = "[build]\nrustflags = [\"-Clink-arg=-fuse-ld=gold\", \"--cfg\", \"tokio_unstable\"]\n\n[target.'cfg(target_os = \"linux\")']\nrustflags = [\"-C\", \"link-args=-fuse-ld=mold -Wl,--gc-sections\"]\n";
        let programs = link_programs(config);
        assert_eq!(
            for_triple(&programs, "x86_64-unknown-linux-musl"),
            set(&["mold"])
        );
        assert!(link_programs("[net]\ngit-fetch-with-cli = true\n").is_empty());
        assert!(link_programs("not toml [").is_empty());
    }
}
