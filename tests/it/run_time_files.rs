//! A server run from its own crate's directory (`cd crate && cargo run`) opens what its code
//! names there: axum's static-file-server example serves `ServeDir::new("assets")` from
//! `static-file-server/assets`, in a workspace whose root has no `assets`. Its image must carry
//! that directory, and the warning must say so with an `assets` entry that works as written.

use crate::init::plan_json;
use crate::support;

#[test]
fn a_directory_a_server_names_in_its_own_crate_directory_is_warned_about_and_the_fix_works() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |path: &str, text: &str| support::write_file(root, path, text);
    support::axum_stand_in(root);
    write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"static-file-server\"]\nresolver = \"2\"\n",
    );
    let manifest = |metadata: &str| {
        format!(
            "[package]\nname = \"static-file-server\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\naxum = {{ path = \"../vendor/axum\" }}\n{metadata}"
        )
    };
    write("static-file-server/Cargo.toml", &manifest(""));
    write(
        "static-file-server/src/main.rs",
        "fn main() {\n    let dir = std::path::Path::new(\"assets\");\n    println!(\"{}\", dir.join(\"index.html\").display());\n}\n",
    );
    write("static-file-server/assets/index.html", "<h1>hi</h1>\n");
    support::generate_lockfile(root);
    let (_, stderr) = plan_json(root, &[]);
    assert!(
        stderr.contains("its code names `assets` (`static-file-server/assets`, in `static-file-server/src/main.rs`), which is in the workspace but not in the image"),
        "{stderr}"
    );
    let fix = "assets = [{ src = \"assets\", dest = \"/app/assets\" }]";
    assert!(
        stderr.contains(&format!("`{fix}` and `workdir = \"/app\"` in `[package.metadata.distroless]` of `static-file-server/Cargo.toml`")),
        "{stderr}"
    );
    // Done as it says: no warning, and the image carries the crate's directory.
    write(
        "static-file-server/Cargo.toml",
        &manifest(&format!(
            "[package.metadata.distroless]\n{fix}\nworkdir = \"/app\"\n"
        )),
    );
    let (plan, stderr) = plan_json(root, &[]);
    assert!(!stderr.contains("its code names"), "{stderr}");
    assert_eq!(
        plan["images"][0]["assets"][0]["src"],
        "static-file-server/assets"
    );
    // A directory of that name at the root is the one `cargo run` from the root opens: it wins.
    write("assets/index.html", "<h1>root</h1>\n");
    write("static-file-server/Cargo.toml", &manifest(""));
    let (_, stderr) = plan_json(root, &[]);
    assert!(
        stderr.contains("its code names `assets` (in `static-file-server/src/main.rs`)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`assets = [{ src = \"../assets\", dest = \"/app/assets\" }]`"),
        "{stderr}"
    );
}

#[test]
fn another_binary_of_the_package_is_not_warned_about_what_the_server_names() {
    // axum's websockets example: `src/main.rs` serves `assets`, `src/client.rs` is a client.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |path: &str, text: &str| support::write_file(root, path, text);
    support::axum_stand_in(root);
    write(
        "Cargo.toml",
        "[package]\nname = \"websockets\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[bin]]\nname = \"websockets\"\npath = \"src/main.rs\"\n\n[[bin]]\nname = \"client\"\npath = \"src/client.rs\"\n\n[dependencies]\naxum = { path = \"vendor/axum\" }\n",
    );
    write(
        "src/main.rs",
        "fn main() {\n    println!(\"{}\", std::path::Path::new(\"assets\").display());\n}\n",
    );
    write("src/client.rs", "fn main() {}\n");
    write("assets/index.html", "<h1>hi</h1>\n");
    support::generate_lockfile(root);
    let (plan, stderr) = plan_json(root, &["--workspace"]);
    assert_eq!(plan["images"].as_array().unwrap().len(), 2, "{plan:#}");
    assert!(
        stderr.contains("image `websockets` links a server framework, and its code names `assets`"),
        "{stderr}"
    );
    assert!(!stderr.contains("image `client` links"), "{stderr}");
}
