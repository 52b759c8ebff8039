//! `dossier health [--addr HOST:PORT]`: ask a running `serve` for `GET /healthz` and exit 0
//! when it answers 200, 1 otherwise. Distroless images have no curl; this is the container's
//! health check. Plain HTTP/1.1 over a socket with a timeout: nothing to install.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where `serve` listens (its `[http] listen`).
    #[arg(long, env = "DOSSIER_HEALTH_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 3)]
    pub timeout: u64,
}

/// Whether `GET /healthz` at `addr` answers 200 within `timeout`.
pub fn probe(addr: &SocketAddr, timeout: Duration) -> Result<(), String> {
    let mut s = TcpStream::connect_timeout(addr, timeout).map_err(|e| format!("{addr}: {e}"))?;
    s.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    write!(
        s,
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nUser-Agent: dossier-health\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut head = [0u8; 64];
    let n = s.read(&mut head).map_err(|e| e.to_string())?;
    let status = String::from_utf8_lossy(&head[..n]);
    match status.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        Some(code) => Err(format!("{addr}: /healthz answered {code}")),
        None => Err(format!("{addr}: not an HTTP answer")),
    }
}

pub fn run(args: Args) -> ExitCode {
    let timeout = Duration::from_secs(args.timeout.max(1));
    let addr = match args.addr.to_socket_addrs().map(|mut a| a.next()) {
        Ok(Some(a)) => a,
        _ => {
            eprintln!("error: `{}` is not an address (HOST:PORT)", args.addr);
            return ExitCode::from(2);
        }
    };
    match probe(&addr, timeout) {
        Ok(()) => {
            println!("ok");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("unhealthy: {e}");
            ExitCode::from(1)
        }
    }
}
