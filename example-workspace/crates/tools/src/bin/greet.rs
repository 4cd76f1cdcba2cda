//! Prints a greeting for each argument (or for "world").
fn main() {
    let names: Vec<String> = std::env::args().skip(1).collect();
    if names.first().map(String::as_str) == Some("--version") {
        println!("{}", common::version_line("greet", env!("CARGO_PKG_VERSION")));
        return;
    }
    if names.is_empty() {
        println!("{}", common::greeting("world"));
    }
    for name in names {
        println!("{}", common::greeting(&name));
    }
}
