//! Owns what a failed build's log says about linking: the libraries the linker could not find.
//! A crate can link a system library in ways no plan sees (`#[link(name = "xcb")]` in its
//! source, a build script printing `rustc-link-lib`); a static musl build of it then stops at
//! the link, under pages of linker command line. Both backends turn that into one error that
//! names the library and the way out.

use crate::error::Error;
use crate::plan::runtime::Runtime;

/// The libraries the linker reported missing, in the order first seen, once each: GNU ld's
/// `cannot find -lxcb`, lld's `unable to find library -lxcb`, zig's
/// `unable to find dynamic system library 'xcb'`.
pub fn missing_libraries(log: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for line in log.lines() {
        let name = after(line, "cannot find -l")
            .or_else(|| after(line, "unable to find library -l"))
            .or_else(|| {
                let lower = line.to_ascii_lowercase();
                let at = lower.find("unable to find dynamic system library '")?;
                let rest = &line[at + "unable to find dynamic system library '".len()..];
                rest.split('\'').next().map(str::to_string)
            });
        if let Some(name) = name.filter(|n| !n.is_empty())
            && !found.contains(&name)
        {
            found.push(name);
        }
    }
    found
}

/// The library name that follows `marker` on `line`: up to a space, a colon or a quote.
fn after(line: &str, marker: &str) -> Option<String> {
    let at = line.find(marker)?;
    let rest = &line[at + marker.len()..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == ':' || c == '\'' || c == '"' || c == '`')
        .unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

/// The error for a link that found no `libs`, in a build of `runtime` that `failed` says what
/// it was (``building image `web` failed``).
pub fn error(failed: &str, runtime: Runtime, libs: &[String]) -> Error {
    let names: Vec<String> = libs.iter().map(|l| format!("lib{l} (`-l{l}`)")).collect();
    let message = format!("{failed}: the linker found no {}", names.join(", "));
    let help = match runtime {
        Runtime::Static => format!(
            "a crate links {} from the system, which a static musl build cannot: set `runtime = \"cc\"` in the package's `[package.metadata.distroless]` and add the Debian package with its `-dev` files to `apt-packages` (`cargo distroless plan` shows what the plan saw)",
            list(libs)
        ),
        Runtime::Cc => format!(
            "add the Debian package with the `-dev` files of {} to `apt-packages` in the package's `[package.metadata.distroless]`",
            list(libs)
        ),
    };
    Error::build(message).with_help(help)
}

fn list(libs: &[String]) -> String {
    libs.iter()
        .map(|l| format!("lib{l}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_linkers_message_names_the_library() {
        // GNU ld 2.40 (Debian 12) through musl-gcc, as BuildKit prints a step's log.
        let ld = "#15 3.021   = note: /usr/bin/ld: cannot find -lxcb: No such file or directory\n#15 3.021           /usr/bin/ld: cannot find -lX11-xcb: No such file or directory\n#15 3.021           collect2: error: ld returned 1 exit status\n";
        assert_eq!(missing_libraries(ld), ["xcb", "X11-xcb"]);
        // Older ld, without the reason, and the same library twice.
        let old = "  = note: /usr/bin/ld: cannot find -lpcap\n/usr/bin/ld: cannot find -lpcap\n";
        assert_eq!(missing_libraries(old), ["pcap"]);
        let lld = "  = note: rust-lld: error: unable to find library -lxcb\n";
        assert_eq!(missing_libraries(lld), ["xcb"]);
        let zig = "  = note: error: unable to find Dynamic system library 'xcb' using strategy 'paths_first'. searched paths:\n";
        assert_eq!(missing_libraries(zig), ["xcb"]);
        let unrelated = "error[E0425]: cannot find value `x` in this scope\nerror: could not find `Cargo.toml`\n";
        assert!(missing_libraries(unrelated).is_empty());
    }

    #[test]
    fn the_way_out_depends_on_the_runtime() {
        let libs = vec!["xcb".to_string()];
        let e = error("building image `jless` failed", Runtime::Static, &libs);
        assert_eq!(
            e.message,
            "building image `jless` failed: the linker found no libxcb (`-lxcb`)"
        );
        assert!(e.help.as_deref().unwrap().contains("runtime = \"cc\""));
        let e = error("building image `jless` failed", Runtime::Cc, &libs);
        assert!(!e.help.as_deref().unwrap().contains("runtime = "));
        assert!(e.help.as_deref().unwrap().contains("apt-packages"));
    }
}
