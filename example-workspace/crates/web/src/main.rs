//! A small HTTP/1.1 service on std's TcpListener: `/` greets, `/healthz` answers `ok`,
//! `/static/<file>` serves files from `--static-dir`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

struct Options {
    host: String,
    port: u16,
    static_dir: PathBuf,
}

fn parse_args() -> Result<Option<Options>, String> {
    let mut options = Options { host: "0.0.0.0".to_string(), port: 8080, static_dir: PathBuf::from("static") };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--version" => {
                println!("{}", common::version_line("web", env!("CARGO_PKG_VERSION")));
                return Ok(None);
            }
            "--host" => options.host = args.next().ok_or("--host needs an address")?,
            "--port" => options.port = args.next().and_then(|p| p.parse().ok()).ok_or("--port needs a number")?,
            "--static-dir" => options.static_dir = args.next().ok_or("--static-dir needs a path")?.into(),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(options))
}

fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &[u8]) -> std::io::Result<()> {
    write!(stream, "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len())?;
    stream.write_all(body)
}

fn serve_static(dir: &Path, name: &str) -> Option<Vec<u8>> {
    if name.is_empty() || name.contains("..") || name.starts_with('/') {
        return None;
    }
    std::fs::read(dir.join(name)).ok()
}

fn handle(mut stream: TcpStream, options: &Options) -> std::io::Result<()> {
    let mut buf = [0u8; 4096];
    let n = stream.read(&mut buf)?;
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    let path = match request.parse(&buf[..n]) {
        Ok(_) => request.path.unwrap_or("/").to_string(),
        Err(_) => return respond(&mut stream, "400 Bad Request", "text/plain", b"bad request\n"),
    };
    match path.as_str() {
        "/" => {
            let greeting = std::env::var("WEB_GREETING").unwrap_or_else(|_| "hello".to_string());
            let body = format!("{greeting}\n{}\n", common::version_line("web", env!("CARGO_PKG_VERSION")));
            respond(&mut stream, "200 OK", "text/plain", body.as_bytes())
        }
        "/healthz" => respond(&mut stream, "200 OK", "text/plain", b"ok\n"),
        p if p.starts_with("/static/") => match serve_static(&options.static_dir, &p["/static/".len()..]) {
            Some(body) => respond(&mut stream, "200 OK", "text/html", &body),
            None => respond(&mut stream, "404 Not Found", "text/plain", b"not found\n"),
        },
        _ => respond(&mut stream, "404 Not Found", "text/plain", b"not found\n"),
    }
}

fn main() {
    let options = match parse_args() {
        Ok(Some(o)) => o,
        Ok(None) => return,
        Err(e) => {
            eprintln!("web: {e}");
            std::process::exit(2);
        }
    };
    let listener = match TcpListener::bind((options.host.as_str(), options.port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("web: cannot listen on {}:{}: {e}", options.host, options.port);
            std::process::exit(1);
        }
    };
    eprintln!("web: listening on {}:{}", options.host, options.port);
    for stream in listener.incoming().flatten() {
        if let Err(e) = handle(stream, &options) {
            eprintln!("web: {e}");
        }
    }
}
