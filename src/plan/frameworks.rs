//! Owns what the frameworks an image links need from it at run time. Rocket binds 127.0.0.1 by
//! default (its `address` setting, from `Rocket.toml` or `ROCKET_ADDRESS`), and in a container
//! nothing outside reaches a server on the loopback: vaultwarden built with the plain defaults
//! logged "Rocket has launched from http://127.0.0.1:8080" and answered no one; its own
//! Dockerfile sets `ROCKET_ADDRESS=0.0.0.0`, and so does the plan. An embedded Python (pyo3)
//! needs its standard library beside libpython, which a distroless/cc base does not have.

use std::collections::BTreeMap;

/// The address a Rocket server in a container listens on.
const ROCKET_ADDRESS: (&str, &str) = ("ROCKET_ADDRESS", "0.0.0.0");

/// Adds the env the frameworks an image links need to `env`, where it does not set it already,
/// with a note saying why.
pub(super) fn listen_env(
    env: &mut BTreeMap<String, String>,
    notes: &mut Vec<String>,
    rocket: Option<&str>,
) {
    let Some(version) = rocket else {
        return;
    };
    let (key, value) = ROCKET_ADDRESS;
    if env.contains_key(key) {
        return;
    }
    env.insert(key.to_string(), value.to_string());
    notes.push(format!(
        "env {key}={value}: rocket {version} listens on 127.0.0.1 unless told otherwise, which nothing outside the container reaches (set `{key}` in `env` to choose)"
    ));
}

/// The warning for an image that embeds Python on a base without it: the binary check carries
/// libpython in, but Python's standard library is files, not a linked library, and the
/// interpreter stops at start ("init_fs_encoding: failed to get the Python codec").
pub(super) fn embedded_python_warning(
    image: &str,
    runtime_image: &str,
    links_libpython: bool,
) -> Option<String> {
    (links_libpython && !runtime_image.contains("python")).then(|| {
        format!(
            "image `{image}` embeds Python (`pyo3-ffi` links libpython), and `{runtime_image}` has no Python standard library: the interpreter will stop at start; set `runtime-image = \"{PYTHON_BASE}\"`"
        )
    })
}

/// distroless's base with CPython 3.11 and its standard library, on the same Debian as the
/// builder's `python3-dev`.
const PYTHON_BASE: &str = "gcr.io/distroless/python3-debian12:nonroot";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rocket_server_listens_on_every_address_unless_the_env_says_otherwise() {
        let (mut env, mut notes) = (BTreeMap::new(), Vec::new());
        listen_env(&mut env, &mut notes, None);
        assert!(env.is_empty() && notes.is_empty());
        listen_env(&mut env, &mut notes, Some("0.5.1"));
        assert_eq!(env["ROCKET_ADDRESS"], "0.0.0.0");
        assert!(
            notes[0].starts_with("env ROCKET_ADDRESS=0.0.0.0: rocket 0.5.1 listens on 127.0.0.1"),
            "{notes:?}"
        );
        // The user's own value stands, and no note claims otherwise.
        let mut env = BTreeMap::from([("ROCKET_ADDRESS".to_string(), "::".to_string())]);
        let mut notes = Vec::new();
        listen_env(&mut env, &mut notes, Some("0.5.1"));
        assert_eq!(env["ROCKET_ADDRESS"], "::");
        assert!(notes.is_empty());
    }

    #[test]
    fn an_embedded_python_on_a_base_without_one_is_warned_about() {
        let warned =
            embedded_python_warning("syncserver", "gcr.io/distroless/cc-debian12:nonroot", true);
        assert!(
            warned.as_deref().is_some_and(|w| w
                .contains("set `runtime-image = \"gcr.io/distroless/python3-debian12:nonroot\"`")),
            "{warned:?}"
        );
        assert_eq!(
            embedded_python_warning(
                "syncserver",
                "gcr.io/distroless/python3-debian12:nonroot",
                true
            ),
            None
        );
        assert_eq!(
            embedded_python_warning("app", "gcr.io/distroless/cc-debian12:nonroot", false),
            None
        );
    }
}
