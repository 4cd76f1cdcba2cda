//! Builds a TLS client context with the system's OpenSSL and CA store, and reports it. Proves
//! that libssl is present at run time and that the CA bundle loads.
fn main() {
    if std::env::args().nth(1).as_deref() == Some("--version") {
        println!("{}", common::version_line("tls-probe", env!("CARGO_PKG_VERSION")));
        return;
    }
    match native_tls::TlsConnector::new() {
        Ok(_) => println!("tls ok: native-tls connector built with the system trust store"),
        Err(e) => {
            eprintln!("tls-probe: {e}");
            std::process::exit(1);
        }
    }
}
