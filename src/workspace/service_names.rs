//! Owns one reading of names: does a name say its program serves? `lemmy_server`, `docs_rs_web`
//! and shadowsocks' `ssserver` do; `acme-api-client` and `sslocal` do not. The plan's default
//! image is the workspace's service, and a hint among several workspaces points at the server's.

/// A name (of an image, a binary, a directory) with a word that says it serves (`server`,
/// `web`, `api`, `daemon`, `service`, `backend`, `gateway`) and none that says it talks to one
/// or is a tool (`client`, `cli`, `sdk`, `tool`, `migrate`…): `docs_rs_web`, `lemmy_server`,
/// not `acme-api-client`.
pub fn names_a_service(name: &str) -> bool {
    let words: Vec<String> = name
        .split(['-', '_'])
        .map(|w| w.to_ascii_lowercase())
        .collect();
    // A word that ends in `server` or `service` counts as well: shadowsocks' `ssserver` and
    // `ssservice` beside its client `sslocal`, a `tileserver`; `observer` does not serve.
    let serves = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "server" | "web" | "api" | "daemon" | "service" | "backend" | "gateway"
        ) || (["server", "service"]
            .iter()
            .any(|end| w.len() > end.len() && w.ends_with(end))
            && w != "observer")
    });
    let not = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "client"
                | "cli"
                | "sdk"
                | "tool"
                | "tools"
                | "util"
                | "utils"
                | "codegen"
                | "generator"
                | "migrate"
                | "migration"
                | "migrations"
        )
    });
    serves && !not
}

#[cfg(test)]
mod tests {
    use super::names_a_service;

    #[test]
    fn servers_and_services_by_their_words() {
        for name in [
            "lemmy_server",
            "docs_rs_web",
            "ssserver",
            "ssservice",
            "server",
            "Api",
        ] {
            assert!(names_a_service(name), "{name}");
        }
        for name in [
            "acme-api-client",
            "sslocal",
            "observer",
            "bridge",
            "server-cli",
            "web-tools",
        ] {
            assert!(!names_a_service(name), "{name}");
        }
    }
}
