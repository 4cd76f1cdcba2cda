// Records the target the library was compiled for, so the binaries can report it: proves the
// build script ran for the cross target, not only for the host.
fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_string());
    println!("cargo:rustc-env=COMMON_BUILD_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
