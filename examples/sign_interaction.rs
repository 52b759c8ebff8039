//! Signs a Discord interaction body the way Discord does (Ed25519 over timestamp ‖ body), for
//! the load-test harness in bench/. The key is a fixed benchmark key, not a secret.
//!
//!   sign_interaction pubkey              print the public key (hex)
//!   sign_interaction sign BODY_FILE      print "TIMESTAMP SIGNATURE" for the body, timestamped now

use ed25519_dalek::{Signer, SigningKey};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn main() -> std::process::ExitCode {
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["pubkey"] => println!("{}", hex(&key.verifying_key().to_bytes())),
        ["sign", file] => {
            let body = match std::fs::read(file) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("cannot read {file}: {e}");
                    return std::process::ExitCode::from(2);
                }
            };
            let ts = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
                .to_string();
            let mut msg = ts.as_bytes().to_vec();
            msg.extend_from_slice(&body);
            println!("{ts} {}", hex(&key.sign(&msg).to_bytes()));
        }
        _ => {
            eprintln!("usage: sign_interaction pubkey | sign BODY_FILE");
            return std::process::ExitCode::from(2);
        }
    }
    std::process::ExitCode::SUCCESS
}
