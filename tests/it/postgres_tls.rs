//! The shared database over TLS, against a real PostgreSQL started with `ssl=on` and
//! certificates made here: each `sslmode` connects (or refuses) as libpq's does, the pool and
//! a connection of its own (a lease's, a LISTEN's) are both encrypted, and a store works over
//! it.

use crate::common::runtime;
use crate::postgres::Postgres;
use dossier::config::PostgresConfig;
use dossier::desk::EditStore as _;
use dossier::store::postgres::Database;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use std::path::{Path, PathBuf};

/// A certificate authority: its certificate (PEM) and what signs with it.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.self_signed(&key).expect("self-signed");
    Ca {
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// A server certificate for `names` signed by `ca`: (certificate, key), PEM.
fn server_cert(ca: &Ca, names: &[&str]) -> (String, String) {
    let key = KeyPair::generate().expect("key");
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names).expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, "dossier test database");
    let cert = params.signed_by(&key, &ca.issuer).expect("signed");
    (cert.pem(), key.serialize_pem())
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

fn database(address: &str, ca_file: Option<&Path>) -> Database {
    Database::new(&PostgresConfig {
        address: address.to_owned(),
        password: None,
        ca_file: ca_file.map(Path::to_path_buf),
    })
    .expect("pool")
}

/// Whether the pool's connection is encrypted, or why it could not connect.
async fn pooled_ssl(db: &Database) -> Result<bool, String> {
    let c = db.client().await.map_err(|e| e.to_string())?;
    let row = c
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    row.try_get(0).map_err(|e| e.to_string())
}

#[test]
fn each_sslmode_connects_as_libpq_does_against_a_real_server() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let ours = ca("dossier test CA");
        let theirs = ca("someone else's CA");
        let ca_file = write(dir.path(), "ca.pem", &ours.pem);
        let other_ca = write(dir.path(), "other-ca.pem", &theirs.pem);
        let (cert, key) = server_cert(&ours, &["localhost", "127.0.0.1"]);
        let server = tokio::task::spawn_blocking(move || Postgres::start_with_tls(&cert, &key))
            .await
            .expect("postgres");
        let at = |mode: &str| format!("{}?sslmode={mode}", server.address("postgres"));

        // Without TLS the connection is in clear; with each other mode it is encrypted.
        assert_eq!(pooled_ssl(&database(&at("disable"), None)).await, Ok(false));
        assert_eq!(
            pooled_ssl(&database(&server.address("postgres"), None)).await,
            Ok(true),
            "prefer is the default"
        );
        assert_eq!(pooled_ssl(&database(&at("require"), None)).await, Ok(true));
        assert_eq!(
            pooled_ssl(&database(&at("verify-ca"), Some(&ca_file))).await,
            Ok(true)
        );
        let full = database(&at("verify-full"), Some(&ca_file));
        assert_eq!(pooled_ssl(&full).await, Ok(true));

        // A connection of its own (a lease, a LISTEN) is encrypted too.
        let (client, connection) = full.connect_own().await.expect("own connection");
        tokio::spawn(connection);
        let own: bool = client
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .expect("query")
            .get(0);
        assert!(own);

        // A certificate from another authority is refused by the verifying modes.
        for mode in ["verify-ca", "verify-full"] {
            let err = pooled_ssl(&database(&at(mode), Some(&other_ca)))
                .await
                .expect_err("another CA");
            assert!(err.contains("invalid peer certificate"), "{mode}: {err}");
        }

        // A store works over TLS.
        let log = dossier::store::postgres::edits::PgLog::open(full)
            .await
            .expect("edit log over TLS");
        assert!(log.recent(None, 5).await.expect("recent").is_empty());
    });
}

#[test]
fn verify_full_checks_the_host_name_and_verify_ca_does_not() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let ours = ca("dossier test CA");
        let ca_file = write(dir.path(), "ca.pem", &ours.pem);
        // Signed by the right authority, for another host.
        let (cert, key) = server_cert(&ours, &["db.example.org"]);
        let server = tokio::task::spawn_blocking(move || Postgres::start_with_tls(&cert, &key))
            .await
            .expect("postgres");
        let at = |mode: &str| format!("{}?sslmode={mode}", server.address("postgres"));
        assert_eq!(
            pooled_ssl(&database(&at("verify-ca"), Some(&ca_file))).await,
            Ok(true)
        );
        let err = pooled_ssl(&database(&at("verify-full"), Some(&ca_file)))
            .await
            .expect_err("the name is checked");
        assert!(
            err.contains("invalid peer certificate")
                && err.contains("not valid for name \"127.0.0.1\""),
            "{err}"
        );
    });
}

#[test]
fn a_server_without_tls_is_refused_when_tls_is_required() {
    runtime().block_on(async {
        let server = tokio::task::spawn_blocking(Postgres::start)
            .await
            .expect("postgres");
        let address = server.address("postgres");
        assert_eq!(
            pooled_ssl(&database(&address, None)).await,
            Ok(false),
            "prefer falls back"
        );
        let err = pooled_ssl(&database(&format!("{address}?sslmode=require"), None))
            .await
            .expect_err("require");
        assert!(err.contains("cannot be reached"), "{err}");
    });
}
