//! Helpers shared by the example binaries.

/// The Rust target this library was compiled for (set by `build.rs`).
pub const BUILD_TARGET: &str = env!("COMMON_BUILD_TARGET");

/// `name version (target)`, the line every example binary prints for `--version`.
pub fn version_line(name: &str, version: &str) -> String {
    format!("{name} {version} ({BUILD_TARGET})")
}

/// A greeting, used by `greet`.
pub fn greeting(name: &str) -> String {
    format!("hello, {name}!")
}

#[cfg(test)]
mod tests {
    #[test]
    fn greeting_names_the_person() {
        assert_eq!(super::greeting("ferris"), "hello, ferris!");
    }
}
