//! Prints how many arguments it was given, and their total length.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--version") {
        println!("{}", common::version_line("count", env!("CARGO_PKG_VERSION")));
        return;
    }
    let chars: usize = args.iter().map(|a| a.chars().count()).sum();
    println!("{} arguments, {chars} characters", args.len());
}
