//! The config checks, TOML in, config or diagnostics out.

use super::*;
use crate::diag::Report;
use std::collections::HashMap;
use std::path::Path;

struct FakeEnv(HashMap<&'static str, &'static str>);
impl Env for FakeEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|s| s.to_string())
    }
}

const KEY: &str = "67c6bd767ca099e79efac9fcce4d2022a63bf7dea780e7f3d813f694c1597089";

fn load_text(text: &str, env: &[(&'static str, &'static str)]) -> Result<Config, Report> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("dossier.toml");
    std::fs::write(&path, text).expect("write");
    load(&path, &FakeEnv(env.iter().copied().collect()))
}

#[test]
fn http_endpoint_alone_needs_no_token() {
    let c = load_text(
        &format!("[discord]\napplication_id = \"42\"\npublic_key = \"{KEY}\"\ninteractions_listen = \"127.0.0.1:8080\"\n"),
        &[],
    )
    .expect("valid");
    let d = c.discord.expect("discord");
    assert!(!d.gateway);
    assert_eq!(d.application_id, 42);
    assert!(c.briefings.ends_with("briefings"));
}

#[test]
fn token_comes_from_the_environment_and_is_never_printed() {
    let c = load_text(
        "[discord]\napplication_id = \"42\"\n",
        &[("DISCORD_TOKEN", "s3cr3t")],
    )
    .expect("valid");
    let d = c.discord.expect("discord");
    assert!(d.gateway);
    assert_eq!(d.token.as_ref().map(Secret::expose), Some("s3cr3t"));
    assert!(!format!("{d:?}").contains("s3cr3t"));
}

#[test]
fn matrix_needs_only_homeserver_user_and_a_secret() {
    let text = "[matrix]\nhomeserver = \"http://127.0.0.1:8008\"\nuser = \"@dossier:localhost\"\n";
    let c = load_text(text, &[("MATRIX_PASSWORD", "pw")]).expect("valid");
    let m = c.matrix.expect("matrix");
    assert_eq!(
        (m.prefix.as_str(), m.autojoin, m.moderator_power_level),
        ("!", true, 50)
    );
    assert!(m.store.ends_with("state/matrix"));
    assert!(!format!("{m:?}").contains("pw\""));
    let r = load_text(text, &[]).unwrap_err();
    assert!(
        r.human().contains("needs a password or an access token"),
        "{}",
        r.human()
    );
    let r = load_text("[matrix]\nhomeserver = \"http://matrix.example.org\"\nuser = \"dossier\"\npassword = \"hunter2\"\n", &[]).unwrap_err();
    let h = r.human();
    assert!(
        h.contains("must be an https:// URL")
            && h.contains("not a Matrix user id")
            && h.contains("must not be written"),
        "{h}"
    );
    assert!(!h.contains("hunter2"), "{h}");
}

#[test]
fn mistakes_name_the_key_and_line() {
    let r = load_text(
        "briefings = \"b\"\n[discord]\napplication_id = \"42\"\ntoken = \"abc\"\n",
        &[],
    )
    .unwrap_err();
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.code == "secret-in-config")
        .expect("refused");
    assert_eq!((d.line, d.column), (4, 9));
    let r = load_text("[discord]\napplication_id = \"42\"\ngatewy = true\n", &[]).unwrap_err();
    assert!(
        r.human().contains("did you mean `gateway`?"),
        "{}",
        r.human()
    );
    let r = load_text("[discord]\npublic_key = \"x\"\n", &[]).unwrap_err();
    assert!(
        r.human().contains("missing required key `application_id`"),
        "{}",
        r.human()
    );
    let r = load_text("[discord]\napplication_id = \"42\"\ngateway = true\n", &[]).unwrap_err();
    assert!(
        r.human().contains("the gateway needs a bot token"),
        "{}",
        r.human()
    );
    let r = load_text(&format!("[discord]\napplication_id = \"42\"\npublic_key = \"{KEY}\"\ninteractions_listen = \"nowhere\"\nmoderator_permission = \"MANAGE_GUILDS\"\n"), &[]).unwrap_err();
    let h = r.human();
    assert!(
        h.contains("is not an address to listen on") && h.contains("did you mean `MANAGE_GUILD`?"),
        "{h}"
    );
}

#[test]
fn the_example_config_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("dossier.example.toml");
    let c = load(
        &path,
        &FakeEnv([("DISCORD_TOKEN", "t")].into_iter().collect()),
    )
    .unwrap_or_else(|r| panic!("{}", r.human()));
    assert!(c.discord.is_some_and(|d| d.gateway));
}

#[test]
fn one_listener_and_the_moderators_destinations() {
    let c = load_text(
        "[http]\nlisten = \"127.0.0.1:9090\"\n[moderation]\ndiscord_channel = \"77\"\nmatrix_room = \"!mods:localhost\"\n[discord]\napplication_id = \"42\"\n[matrix]\nhomeserver = \"http://127.0.0.1:8008\"\nuser = \"@dossier:localhost\"\n",
        &[("DISCORD_TOKEN", "t"), ("MATRIX_PASSWORD", "pw")],
    )
    .unwrap_or_else(|r| panic!("{}", r.human()));
    assert_eq!(c.listen, Some("127.0.0.1:9090".parse().expect("addr")));
    assert_eq!(c.moderation.discord_channel, Some(77));
    assert_eq!(c.moderation.matrix_room.as_deref(), Some("!mods:localhost"));
    // The endpoint's own address is the listener when [http] is not set.
    let c = load_text(
        &format!("[discord]\napplication_id = \"42\"\npublic_key = \"{KEY}\"\ninteractions_listen = \"127.0.0.1:8080\"\n"),
        &[],
    )
    .expect("valid");
    assert_eq!(c.listen, Some("127.0.0.1:8080".parse().expect("addr")));
    // Posting to Discord needs the token; a room alias is not a room id.
    let r = load_text(
        &format!("[moderation]\ndiscord_channel = \"77\"\nmatrix_room = \"#mods:localhost\"\n[discord]\napplication_id = \"42\"\npublic_key = \"{KEY}\"\ninteractions_listen = \"127.0.0.1:8080\"\n"),
        &[],
    )
    .unwrap_err();
    let h = r.human();
    assert!(
        h.contains("needs the bot token") && h.contains("is not a Matrix room id"),
        "{h}"
    );
}

#[test]
fn web_pages_need_the_listener_and_a_real_public_url() {
    let c = load_text(
        "[http]\nlisten = \"127.0.0.1:8080\"\n[web]\npublic_url = \"https://briefings.example.org\"\n",
        &[],
    )
    .expect("valid");
    let web = c.web.expect("[web]");
    assert_eq!(
        web.public_url.map(|u| u.to_string()).as_deref(),
        Some("https://briefings.example.org/")
    );
    let e = load_text("[web]\n", &[]).expect_err("no listener");
    assert!(e.human().contains("no-listener"), "{}", e.human());
    let e = load_text(
        "[http]\nlisten = \"127.0.0.1:8080\"\n[web]\npublic_url = \"javascript:alert(1)\"\n",
        &[],
    )
    .expect_err("not http");
    assert!(e.human().contains("bad-url"), "{}", e.human());
    assert!(load_text("", &[]).expect("empty").web.is_none());
}

#[test]
fn charts_are_on_unless_turned_off() {
    assert!(load_text("", &[]).expect("empty").charts);
    assert!(
        !load_text("[charts]\nenabled = false\n", &[])
            .expect("off")
            .charts
    );
    assert!(
        load_text("[charts]\nenabled = true\n", &[])
            .expect("on")
            .charts
    );
    let e = load_text("[charts]\nenable = false\n", &[]).expect_err("a typo");
    assert!(e.human().contains("enable"), "{}", e.human());
}

#[test]
fn a_postgres_state_takes_its_password_from_the_environment_only() {
    let discord = "[discord]\napplication_id = \"42\"\n";
    let c = load_text(
        &format!("state = \"postgres://dossier@db.internal:5432/dossier\"\nlocal_state = \"replica\"\n{discord}"),
        &[("DISCORD_TOKEN", "t"), ("PGPASSWORD", "pg-s3cr3t")],
    )
    .expect("valid");
    let pg = c.postgres.as_ref().expect("postgres");
    assert_eq!(pg.address, "postgres://dossier@db.internal:5432/dossier");
    assert_eq!(pg.password.as_ref().map(Secret::expose), Some("pg-s3cr3t"));
    assert!(c.state.ends_with("replica"), "{:?}", c.state);
    assert!(!format!("{c:?}").contains("pg-s3cr3t"));
    // A folder is still the default, and needs no database.
    let c = load_text(discord, &[("DISCORD_TOKEN", "t")]).expect("valid");
    assert!(c.postgres.is_none() && c.state.ends_with("state"));
    // A password written into the address is refused, and not quoted back.
    let err = load_text(
        &format!("state = \"postgres://dossier:hunter2@db/dossier\"\n{discord}"),
        &[("DISCORD_TOKEN", "t")],
    )
    .expect_err("refused")
    .human();
    assert!(
        err.contains("secret-in-config") && err.contains("PGPASSWORD"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn shards_are_auto_or_a_count_and_the_cards_remote_holds_no_password() {
    let env = [("DISCORD_TOKEN", "t")];
    let shards = |v: &str| {
        load_text(
            &format!("[discord]\napplication_id = \"42\"\nshards = {v}\n"),
            &env,
        )
    };
    let one = load_text("[discord]\napplication_id = \"42\"\n", &env).expect("valid");
    assert_eq!(one.discord.expect("discord").shards, Shards::Count(1));
    let auto = shards("\"auto\"").expect("valid");
    assert_eq!(auto.discord.expect("discord").shards, Shards::Auto);
    let four = shards("4").expect("valid");
    assert_eq!(four.discord.expect("discord").shards, Shards::Count(4));
    for bad in ["0", "-1", "100000", "\"many\"", "true"] {
        let err = shards(bad).expect_err(bad).human();
        assert!(
            err.contains("`shards` must be \"auto\" or a count"),
            "{bad}: {err}"
        );
    }
    let c = load_text(
        "cards_remote = \"origin\"\n[discord]\napplication_id = \"42\"\n",
        &env,
    )
    .expect("valid");
    assert_eq!(c.cards_remote.as_deref(), Some("origin"));
    let err = load_text(
        "cards_remote = \"https://bot:hunter2@git.example.org/cards.git\"\n[discord]\napplication_id = \"42\"\n",
        &env,
    )
    .expect_err("refused")
    .human();
    assert!(err.contains("secret-in-config"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn the_operator_names_the_moderators_by_id() {
    let c = load_text(
        "[moderation]\nmatrix_users = [\"@editor:example.org\"]\nmatrix_rooms = [\"!abc:example.org\"]\ndiscord_users = [\"234567890123456789\"]\ndiscord_guilds = [\"123456789012345678\"]\ndiscord_roles = [\"345678901234567890\"]\n[matrix]\nhomeserver = \"http://127.0.0.1:8008\"\nuser = \"@dossier:example.org\"\n",
        &[("MATRIX_PASSWORD", "pw")],
    )
    .unwrap_or_else(|r| panic!("{}", r.human()));
    let m = &c.moderation.moderators;
    assert_eq!(m.matrix_users, ["@editor:example.org"]);
    assert_eq!(m.matrix_rooms, ["!abc:example.org"]);
    assert_eq!(m.discord_users, [234567890123456789]);
    assert_eq!(m.discord_guilds, [123456789012345678]);
    assert_eq!(m.discord_roles, [345678901234567890]);
    assert!(m.names_discord_people());
    // Invites: the bot's own homeserver by default.
    assert_eq!(c.matrix.expect("matrix").autojoin_from, ["example.org"]);

    // A misspelt key is refused with the right name; each id is checked for its shape, at
    // its own line and column.
    let r = load_text(
        "[moderation]\nmatrix_user = [\"@editor:example.org\"]\n",
        &[],
    )
    .unwrap_err();
    assert!(
        r.human().contains("did you mean `matrix_users`?"),
        "{}",
        r.human()
    );
    let r = load_text(
        "[moderation]\nmatrix_users = [\"editor\"]\nmatrix_rooms = [\"#desk:example.org\"]\ndiscord_users = [\"@someone\"]\ndiscord_guilds = [\"12ab\"]\ndiscord_roles = [\"0\"]\n",
        &[],
    )
    .unwrap_err();
    let at = |code_text: &str| {
        r.diagnostics
            .iter()
            .find(|d| d.message.contains(code_text))
            .map(|d| (d.line, d.column))
            .unwrap_or_else(|| panic!("no diagnostic about {code_text}: {}", r.human()))
    };
    assert_eq!(at("`editor` in `matrix_users`"), (2, 17));
    assert_eq!(at("`#desk:example.org` in `matrix_rooms`"), (3, 17));
    assert_eq!(at("`discord_users` is not a Discord id"), (4, 18));
    assert_eq!(at("`discord_guilds` is not a Discord id"), (5, 19));
    assert_eq!(at("`discord_roles` is not a Discord id"), (6, 18));

    // No table: valid (a read-only bot needs none), but nobody is named.
    let c = load_text(
        "[matrix]\nhomeserver = \"http://127.0.0.1:8008\"\nuser = \"@dossier:example.org\"\nautojoin_from = [\"*\"]\n",
        &[("MATRIX_PASSWORD", "pw")],
    )
    .expect("valid");
    assert!(c.moderation.moderators.is_empty());
    assert_eq!(c.matrix.expect("matrix").autojoin_from, ["*"]);
}

#[test]
fn the_databases_sslmode_and_its_ca_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").expect("ca");
    let at = |tail: &str| {
        let path = dir.path().join("dossier.toml");
        std::fs::write(
            &path,
            format!("state = \"postgres://dossier@db:5432/dossier{tail}\"\n"),
        )
        .expect("write");
        load(&path, &FakeEnv(Default::default()))
    };
    let c = at(&format!(
        "?sslmode=verify-full\"\nstate_ca_file = \"{}",
        ca.display()
    ))
    .unwrap_or_else(|r| panic!("{}", r.human()));
    let pg = c.postgres.expect("postgres");
    assert_eq!(pg.ca_file.as_deref(), Some(ca.as_path()));
    assert_eq!(
        sslmode(&pg.address).expect("mode"),
        (
            "postgres://dossier@db:5432/dossier?sslmode=require".to_owned(),
            PgTls::VerifyFull
        )
    );
    assert_eq!(
        sslmode("postgres://dossier@db/dossier").expect("mode").1,
        PgTls::Prefer
    );
    // A verifying mode needs the CA; the CA needs a verifying mode; a mode must be one of five.
    let h = at("?sslmode=verify-ca").unwrap_err().human();
    assert!(h.contains("set `state_ca_file`"), "{h}");
    let h = at(&format!(
        "?sslmode=require\"\nstate_ca_file = \"{}",
        ca.display()
    ))
    .unwrap_err()
    .human();
    assert!(
        h.contains("used only with `sslmode=verify-ca` or `verify-full`"),
        "{h}"
    );
    let h = at("?sslmode=verify").unwrap_err().human();
    assert!(
        h.contains("`sslmode=verify` is not one of disable, prefer, require"),
        "{h}"
    );
    let h = at("?sslmode=verify-full\"\nstate_ca_file = \"/nowhere/ca.pem")
        .unwrap_err()
        .human();
    assert!(h.contains("cannot read the CA file"), "{h}");
}

#[test]
fn deadlines_and_the_claim_lease_default_and_are_bounded() {
    let c = load_text("", &[]).expect("valid");
    assert_eq!(c.deadlines, crate::deadlines::Deadlines::default());
    assert_eq!(c.claim_lease, std::time::Duration::from_secs(10));
    let c = load_text(
        "[deadlines]\ndiscord = \"5s\"\nmatrix = \"1m\"\ngit = \"90s\"\n\n[schedules]\nclaim_lease = \"4s\"\n\n[matrix]\nhomeserver = \"http://127.0.0.1:8008\"\nuser = \"@dossier:localhost\"\n\n[discord]\napplication_id = \"42\"\n",
        &[("MATRIX_PASSWORD", "pw"), ("DISCORD_TOKEN", "t")],
    )
    .expect("valid");
    let secs = std::time::Duration::from_secs;
    assert_eq!(
        (c.deadlines.discord, c.deadlines.matrix, c.deadlines.git),
        (secs(5), secs(60), secs(90))
    );
    assert_eq!(c.claim_lease, secs(4));
    // The doors carry their own.
    assert_eq!(c.discord.expect("discord").deadline, secs(5));
    assert_eq!(c.matrix.expect("matrix").deadline, secs(60));
    let r = load_text(
        "[deadlines]\ndiscord = \"0s\"\nmatrix = \"forever\"\n\n[schedules]\nclaim_lease = \"1s\"\n",
        &[],
    )
    .unwrap_err();
    let at: Vec<(usize, usize, &str)> = r
        .diagnostics
        .iter()
        .map(|d| (d.line, d.column, d.code))
        .collect();
    assert_eq!(
        at,
        [
            (2, 11, "bad-duration"),
            (3, 10, "bad-duration"),
            (6, 15, "bad-duration")
        ],
        "{}",
        r.human()
    );
    assert!(
        r.human().contains("from \"2s\" to \"10m\""),
        "{}",
        r.human()
    );
    let r = load_text("[deadlines]\nsync = \"5s\"\n", &[]).unwrap_err();
    assert!(r.human().contains("sync"), "{}", r.human());
}

#[test]
fn sources_are_not_watched_unless_asked_and_check_every_is_bounded() {
    let c = load_text("", &[]).expect("valid");
    assert!(!c.sources.watch && !c.sources.allow_private);
    assert_eq!(
        c.sources.check_every,
        std::time::Duration::from_secs(7 * 86_400)
    );
    let c = load_text("[sources]\nwatch = true\ncheck_every = \"12h\"\n", &[]).expect("valid");
    assert!(c.sources.watch);
    assert_eq!(
        c.sources.check_every,
        std::time::Duration::from_secs(12 * 3600)
    );
    let r = load_text("[sources]\ncheck_every = \"10m\"\n", &[]).unwrap_err();
    let at: Vec<(usize, usize, &str)> = r
        .diagnostics
        .iter()
        .map(|d| (d.line, d.column, d.code))
        .collect();
    assert_eq!(at, [(2, 15, "bad-duration")]);
    let r = load_text("[sources]\ncheck_every = \"91d\"\n", &[]).unwrap_err();
    assert_eq!(r.diagnostics.len(), 1);
}

#[test]
fn the_archive_is_the_wayback_machine_unless_named_and_its_keys_come_from_a_file() {
    let c = load_text("", &[]).expect("valid");
    assert_eq!(c.sources.archive, "https://web.archive.org");
    assert_eq!(
        c.sources.availability,
        "https://archive.org/wayback/available"
    );
    assert!(c.sources.archive_keys.is_none());
    assert_eq!(c.sources.archive_gap, std::time::Duration::from_secs(5));
    assert_eq!(c.sources.host_gap, std::time::Duration::from_secs(2));
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = dir.path().join("keys");
    std::fs::write(&keys, "acc3ss:s3cret\n").expect("keys");
    let text = format!(
        "[sources]\narchive = \"http://127.0.0.1:8080/\"\navailability = \"http://127.0.0.1:8080/available\"\narchive_keys_file = \"{}\"\narchive_gap = \"250ms\"\nhost_gap = \"1s\"\n",
        keys.display()
    );
    let c = load_text(&text, &[]).expect("valid");
    assert_eq!(c.sources.archive, "http://127.0.0.1:8080");
    assert_eq!(c.sources.availability, "http://127.0.0.1:8080/available");
    assert_eq!(
        c.sources.archive_keys.as_ref().map(|k| k.expose()),
        Some("acc3ss:s3cret")
    );
    assert!(!format!("{c:?}").contains("s3cret"), "keys never printed");
    assert_eq!(c.sources.archive_gap, std::time::Duration::from_millis(250));
    assert_eq!(c.sources.host_gap, std::time::Duration::from_secs(1));
    std::fs::write(&keys, "just-one-part\n").expect("keys");
    let r = load_text(
        &format!(
            "[sources]\narchive = \"ftp://x.example.org\"\narchive_gap = \"1ms\"\narchive_keys_file = \"{}\"\n",
            keys.display()
        ),
        &[],
    )
    .unwrap_err();
    let codes: Vec<(usize, &str)> = r.diagnostics.iter().map(|d| (d.line, d.code)).collect();
    assert_eq!(
        codes,
        [(2, "bad-url"), (3, "bad-duration"), (4, "bad-value")],
        "{}",
        r.human()
    );
    assert!(!r.human().contains("just-one-part"), "{}", r.human());
    // Keys never go over plain http to an archive off this machine.
    std::fs::write(&keys, "acc3ss:s3cret\n").expect("keys");
    let r = load_text(
        &format!(
            "[sources]\narchive = \"http://archive.example.org\"\narchive_keys_file = \"{}\"\n",
            keys.display()
        ),
        &[],
    )
    .unwrap_err();
    let codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["insecure"], "{}", r.human());
    assert!(!r.human().contains("s3cret"), "{}", r.human());
    let r = load_text("[sources]\narchive = \"https://archive\"\n", &[]).unwrap_err();
    assert_eq!(
        r.diagnostics[0].code,
        "bad-url",
        "a host cards would refuse: {}",
        r.human()
    );
}
