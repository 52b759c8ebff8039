//! The Matrix door: `!position iran` in a room, answered with a threaded, HTML-formatted reply,
//! in plain and end-to-end encrypted rooms alike. The only module that imports matrix-sdk.
//! One initial sync before handlers are registered, so old history is never answered; the sync
//! token lives in the SQLite store, so a restart resumes where it stopped. The sync loop only
//! dispatches: each command is answered on its own task, a bounded number at a time, so a slow
//! send or power-level lookup in one room never holds up another.

use crate::app::App;
use crate::commands::parse::{ParseError, parse};
use crate::config::{MatrixConfig, MatrixLogin};
use crate::render::matrix::render;
use crate::reply::{Line, Reply, ReplyKind};
use crate::service::{Asker, DoorState, Notice, Platform};
use anyhow::Context as _;
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::event_handler::Ctx;
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::room::member::StrippedRoomMemberEvent;
use matrix_sdk::ruma::events::room::message::{
    AddMentions, ForwardThread, MessageType, OriginalSyncRoomMessageEvent, Relation,
    ReplyWithinThread, RoomMessageEventContent,
};
use matrix_sdk::ruma::events::room::power_levels::UserPowerLevel;
use matrix_sdk::ruma::{OwnedTransactionId, OwnedUserId, UserId};
use matrix_sdk::{Client, Room, RoomState, SessionMeta, SessionTokens};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// The longest wait between sync retries.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Commands answered at the same time.
pub const MAX_CONCURRENT_ANSWERS: usize = 16;
/// Commands waiting for an answer slot; beyond this a flood is dropped (and logged) rather
/// than queued without bound.
pub const MAX_QUEUED_ANSWERS: usize = 256;

/// What the handlers share.
pub struct Door {
    pub app: Arc<App>,
    pub cfg: MatrixConfig,
    pub own: OwnedUserId,
    /// Called with the time from receiving a command to issuing its reply (for measurements).
    pub on_answer: Option<Arc<dyn Fn(Duration) + Send + Sync>>,
    /// Messages sent before this moment (ms since the epoch) are history, not questions: they
    /// arrive when the bot joins a room with earlier messages in it.
    pub started_ms: u64,
    /// The room where moderators are told about broken cards (`[moderation] matrix_room`).
    pub moderation_room: Option<String>,
    /// Posts daily briefings once connected.
    pub poster: MatrixPoster,
    /// Answers running now, and answers running or waiting: see `dispatch`.
    running: Arc<Semaphore>,
    queued: Arc<Semaphore>,
}

impl Door {
    pub fn new(app: Arc<App>, cfg: MatrixConfig) -> anyhow::Result<Door> {
        let own = UserId::parse(&cfg.user)
            .with_context(|| format!("`{}` is not a Matrix user id", cfg.user))?;
        let started_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Ok(Door {
            app,
            cfg,
            own,
            on_answer: None,
            started_ms,
            moderation_room: None,
            poster: MatrixPoster::default(),
            running: Arc::new(Semaphore::new(MAX_CONCURRENT_ANSWERS)),
            queued: Arc::new(Semaphore::new(MAX_QUEUED_ANSWERS)),
        })
    }

    /// Answer a message on a task of its own and return at once, so the sync loop that calls
    /// this never waits for a send. At most `MAX_CONCURRENT_ANSWERS` run at a time; when
    /// `MAX_QUEUED_ANSWERS` are already running or waiting, the message is dropped and logged.
    pub fn dispatch(self: &Arc<Self>, room: Room, ev: OriginalSyncRoomMessageEvent) {
        if !self.may_be_command(&ev) {
            return;
        }
        let Ok(queued) = self.queued.clone().try_acquire_owned() else {
            tracing::warn!(room = %room.room_id(), event = %ev.event_id, "too many commands waiting; dropping this one");
            return;
        };
        let door = self.clone();
        self.app.tasks.spawn(async move {
            let _queued = queued;
            // The semaphore is never closed, so this only fails if the door is going away.
            let Ok(_running) = door.running.clone().acquire_owned().await else {
                return;
            };
            respond(&door, &room, &ev).await;
        });
    }

    /// A cheap first look, on the sync loop: could this message be a command for us?
    fn may_be_command(&self, ev: &OriginalSyncRoomMessageEvent) -> bool {
        ev.sender != self.own
            && matches!(&ev.content.msgtype, MessageType::Text(t) if t.body.contains(self.cfg.prefix.as_str()))
    }
}

fn session_file(store: &Path) -> PathBuf {
    store.join("session.json")
}

fn save_session(store: &Path, session: &MatrixSession) -> anyhow::Result<()> {
    std::fs::create_dir_all(store).with_context(|| format!("creating {}", store.display()))?;
    let path = session_file(store);
    let json = serde_json::to_vec(session)?;
    std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
    private(&path)
}

/// The session holds an access token: readable by this user only, however the file came to be.
fn private(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("making {} private (mode 0600)", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The session kept in the store, if there is one. A session file that cannot be read or
/// parsed stops the bot: logging in again would make a new device and orphan the encryption
/// keys kept for the old one.
pub fn read_session(store: &Path) -> anyhow::Result<Option<MatrixSession>> {
    let path = session_file(store);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(anyhow::anyhow!(
                "cannot read the Matrix session {}: {e}. Make it readable by the user dossier runs as; \
                 removing it would log in as a new device and lose the bot's encryption keys",
                path.display()
            ));
        }
    };
    private(&path)?;
    serde_json::from_slice::<MatrixSession>(&bytes).map(Some).map_err(|e| {
        anyhow::anyhow!(
            "the Matrix session {} is corrupt ({e}). Restore it from a backup; or, to start over \
             as a new device (losing the keys of encrypted rooms), remove the whole store folder {}",
            path.display(),
            store.display()
        )
    })
}

/// Build the client on the store and log in, or restore the session kept there, so the bot
/// keeps one device (and its encryption keys) across restarts.
pub async fn connect(cfg: &MatrixConfig) -> anyhow::Result<Client> {
    std::fs::create_dir_all(&cfg.store)
        .with_context(|| format!("creating the Matrix store {}", cfg.store.display()))?;
    let client = Client::builder()
        .homeserver_url(cfg.homeserver.as_str())
        .sqlite_store(
            &cfg.store,
            cfg.store_passphrase.as_ref().map(|s| s.expose()),
        )
        .build()
        .await
        .context("setting up the Matrix client")?;
    let stored = read_session(&cfg.store)?;
    if let Some(s) = &stored
        && s.meta.user_id.as_str() != cfg.user
    {
        tracing::warn!(stored = %s.meta.user_id, configured = %cfg.user, "the stored Matrix session belongs to another user; logging in as the configured one");
    }
    match (stored, &cfg.login) {
        (Some(session), _) if session.meta.user_id.as_str() == cfg.user => {
            client
                .restore_session(session)
                .await
                .context("restoring the Matrix session")?;
            tracing::info!(user = %cfg.user, "restored the Matrix session");
        }
        (
            _,
            MatrixLogin::Token {
                access_token,
                device_id,
            },
        ) => {
            let session = MatrixSession {
                meta: SessionMeta {
                    user_id: UserId::parse(&cfg.user)?,
                    device_id: device_id.as_str().into(),
                },
                tokens: SessionTokens {
                    access_token: access_token.expose().to_owned(),
                    refresh_token: None,
                },
            };
            client
                .restore_session(session.clone())
                .await
                .context("logging in with the access token")?;
            save_session(&cfg.store, &session)?;
        }
        (_, MatrixLogin::Password(password)) => {
            let localpart = cfg
                .user
                .trim_start_matches('@')
                .split(':')
                .next()
                .unwrap_or_default();
            client
                .matrix_auth()
                .login_username(localpart, password.expose())
                .initial_device_display_name("dossier")
                .send()
                .await
                .context("logging in to the homeserver")?;
            if let Some(session) = client.matrix_auth().session() {
                save_session(&cfg.store, &session)?;
            }
            tracing::info!(user = %cfg.user, "logged in to Matrix");
        }
    }
    Ok(client)
}

/// Whether an invite from `sender` may be accepted.
pub fn invite_allowed(cfg: &MatrixConfig, sender: &UserId) -> bool {
    cfg.autojoin
        && (cfg.autojoin_from.is_empty()
            || cfg.autojoin_from.iter().any(|a| {
                if a.starts_with('@') {
                    a == sender.as_str()
                } else {
                    a == sender.server_name().as_str()
                }
            }))
}

async fn join(room: Room) {
    let mut wait = Duration::from_millis(200);
    for attempt in 0..6 {
        match room.join().await {
            Ok(()) => {
                tracing::info!(room = %room.room_id(), "joined a room");
                return;
            }
            Err(e) if attempt < 5 => {
                tracing::warn!(room = %room.room_id(), error = %e, "joining failed; retrying");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            Err(e) => {
                tracing::error!(room = %room.room_id(), error = %e, "could not join the room")
            }
        }
    }
}

async fn on_invite(ev: StrippedRoomMemberEvent, room: Room, door: Ctx<Arc<Door>>) {
    if ev.state_key != door.own {
        return;
    }
    if invite_allowed(&door.cfg, &ev.sender) {
        tokio::spawn(join(room));
    } else {
        tracing::info!(room = %room.room_id(), sender = %ev.sender, "declining an invite not allowed by autojoin_from");
        if let Err(e) = room.leave().await {
            tracing::warn!(room = %room.room_id(), error = %e, "could not decline the invite");
        }
    }
}

/// The command text of a message, if it is one: reply fallbacks dropped, prefix removed.
pub fn command_text<'a>(body: &'a str, prefix: &str) -> Option<&'a str> {
    // A reply's body may start with quoted lines of the message replied to.
    let mut rest = body;
    while rest.starts_with("> ") {
        rest = rest.split_once('\n').map_or("", |(_, r)| r);
    }
    let rest = rest.trim_start();
    rest.strip_prefix(prefix)
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.starts_with(prefix))
}

fn hint(prefix: &str, e: &ParseError) -> Option<Reply> {
    match e {
        ParseError::Empty => None,
        _ => {
            let mut r = crate::commands::answer::parse_error_reply(e);
            r.sections.retain(|s| s.heading != "Commands");
            r.summary = r
                .summary
                .map(|s| Line::new(format!("{} Type {prefix}help for the list.", s.text)));
            Some(r)
        }
    }
}

/// Parse a command message. `edit` takes its fields from the lines after the first; every
/// other command is the whole message, as typed.
pub fn parse_with_fields(text: &str) -> Result<crate::commands::Command, ParseError> {
    use crate::commands::Command;
    if let Some((first, rest)) = text.split_once('\n') {
        match parse(first) {
            Ok(Command::Edit(mut q)) => {
                q.fields = Some(rest.to_owned());
                return Ok(Command::Edit(q));
            }
            Ok(Command::Suggest(mut q)) => {
                q.fields = Some(rest.to_owned());
                return Ok(Command::Suggest(q));
            }
            _ => {}
        }
    }
    parse(text)
}

/// The power level that may undo another moderator's edit (a room admin's).
const ADMIN_POWER_LEVEL: i64 = 100;

async fn is_moderator(room: &Room, user: &UserId, level: i64) -> bool {
    match room.get_user_power_level(user).await {
        Ok(UserPowerLevel::Infinite) => true,
        Ok(UserPowerLevel::Int(n)) => i64::from(n) >= level,
        Ok(_) => false,
        Err(e) => {
            tracing::warn!(error = %e, "could not read power levels");
            false
        }
    }
}

/// A member's display name in the room, else their user id's localpart.
async fn display_name(room: &Room, user: &UserId) -> String {
    match room.get_member_no_sync(user).await {
        Ok(Some(m)) => m.display_name().unwrap_or(user.localpart()).to_owned(),
        _ => user.localpart().to_owned(),
    }
}

/// The reply to one command message, or nothing for messages that are not commands.
pub async fn answer(door: &Door, room: &Room, ev: &OriginalSyncRoomMessageEvent) -> Option<Reply> {
    if ev.sender == door.own || u64::from(ev.origin_server_ts.0) < door.started_ms {
        return None;
    }
    if matches!(ev.content.relates_to, Some(Relation::Replacement(_))) {
        return None;
    }
    let MessageType::Text(text) = &ev.content.msgtype else {
        return None;
    };
    let line = command_text(&text.body, &door.cfg.prefix)?;
    let cmd = match parse_with_fields(line) {
        Ok(c) => c,
        Err(e) => return hint(&door.cfg.prefix, &e),
    };
    if cmd.is_moderator() && !is_moderator(room, &ev.sender, door.cfg.moderator_power_level).await {
        return Some(
            Reply::new(ReplyKind::UserError, "Only moderators can do that").summary(Line::new(format!(
                "{}{} is for members with power level {} or more in this room. Everyone can use {p}brief, {p}position and the other commands.",
                door.cfg.prefix,
                cmd.name(),
                door.cfg.moderator_power_level,
                p = door.cfg.prefix
            ))),
        );
    }
    let app = door.app.clone();
    let name = cmd.name();
    let asker = Asker {
        platform: Platform::Matrix,
        place: Some(crate::schedule::Destination::Matrix {
            room: room.room_id().to_string(),
        }),
        who: Some(ev.sender.to_string()),
        // Only edits need the member's name (a store read) and whether they outrank the
        // moderators (a power-level read); other commands skip both.
        author: if cmd.is_edit() {
            Some(crate::edit::Author {
                platform: "matrix".into(),
                id: ev.sender.to_string(),
                name: display_name(room, &ev.sender).await,
            })
        } else {
            None
        },
        admin: cmd.is_edit()
            && cmd.is_moderator()
            && is_moderator(
                room,
                &ev.sender,
                ADMIN_POWER_LEVEL.max(door.cfg.moderator_power_level + 1),
            )
            .await,
    };
    Some(reply_or_apology(
        tokio::spawn(async move { crate::router::respond(&app, &cmd, &asker).await }).await,
        name,
    ))
}

/// The answer, or, if answering panicked, a short apology (and the cause in the log): the
/// asker is never left without a reply.
pub fn reply_or_apology(answered: Result<Reply, tokio::task::JoinError>, command: &str) -> Reply {
    answered.unwrap_or_else(|e| {
        tracing::error!(command, error = %e, "answering a command failed");
        Reply::new(ReplyKind::UserError, "Sorry, something went wrong").summary(Line::new(
            "dossier could not answer that; the error has been logged for the operators.",
        ))
    })
}

/// The message content for a reply: HTML and plain bodies, a reply relation (in the thread if
/// the command came from one), and explicitly no mentions.
pub fn content(
    door: &Door,
    ev: &OriginalSyncRoomMessageEvent,
    reply: &Reply,
) -> RoomMessageEventContent {
    let m = render(reply, &door.cfg.prefix);
    // Matrix has no replies only one member sees: a private answer (a preview) is at least a
    // notice, which clients show quietly and other bots ignore.
    let base = if reply.private {
        RoomMessageEventContent::notice_html(m.plain, m.html)
    } else {
        RoomMessageEventContent::text_html(m.plain, m.html)
    };
    let mut c = match &ev.content.relates_to {
        Some(Relation::Thread(_)) => {
            base.make_for_thread(ev, ReplyWithinThread::Yes, AddMentions::No)
        }
        _ => base.make_reply_to(ev, ForwardThread::Yes, AddMentions::No),
    };
    c.mentions = Some(Mentions::new());
    c
}

/// The same command event always gets the same transaction id, so a retried send is
/// deduplicated by the homeserver instead of posted twice.
pub fn transaction_id(ev: &OriginalSyncRoomMessageEvent) -> OwnedTransactionId {
    let id: String = ev
        .event_id
        .as_str()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    format!("dossier-{id}").into()
}

async fn on_message(ev: OriginalSyncRoomMessageEvent, room: Room, door: Ctx<Arc<Door>>) {
    door.dispatch(room, ev);
}

/// Answer invites and commands on `client` from now on.
pub fn register(client: &Client, door: Arc<Door>) {
    client.add_event_handler_context(door);
    client.add_event_handler(on_invite);
    client.add_event_handler(on_message);
}

/// Answer a message if it is a command, and send the reply, retrying with the same
/// transaction id so a retry never posts twice.
pub async fn respond(door: &Door, room: &Room, ev: &OriginalSyncRoomMessageEvent) {
    if room.state() != RoomState::Joined {
        return;
    }
    let started = Instant::now();
    let Some(reply) = answer(door, room, ev).await else {
        return;
    };
    let content = content(door, ev, &reply);
    let txn = transaction_id(ev);
    if let Some(f) = &door.on_answer {
        f(started.elapsed());
    }
    let mut wait = Duration::from_millis(250);
    for attempt in 0..6 {
        match room
            .send(content.clone())
            .with_transaction_id(txn.clone())
            .await
        {
            Ok(_) => {
                door.app.metrics.sent("matrix");
                return;
            }
            Err(e) if attempt < 5 => {
                tracing::warn!(room = %room.room_id(), error = %e, "sending a reply failed; retrying with the same transaction id");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_BACKOFF);
            }
            Err(e) => {
                door.app.metrics.failed("matrix");
                tracing::error!(room = %room.room_id(), error = %e, "could not send a reply");
            }
        }
    }
}

/// The door's name in `status`, `/readyz` and the logs.
pub const NAME: &str = "Matrix";

/// Posts daily briefings into rooms once the door has connected: each as an `m.notice` (bots'
/// messages that other bots ignore) with HTML, mentioning nobody, sent with a transaction id
/// derived from the post's key, so a send retried after a crash is deduplicated.
#[derive(Clone, Default)]
pub struct MatrixPoster {
    client: Arc<std::sync::OnceLock<Client>>,
    prefix: Arc<std::sync::OnceLock<String>>,
}

impl MatrixPoster {
    fn connected(&self, client: &Client, prefix: &str) {
        let _ = self.client.set(client.clone());
        let _ = self.prefix.set(prefix.to_owned());
    }
}

/// The message for a briefing.
pub fn briefing_content(reply: &Reply, prefix: &str) -> RoomMessageEventContent {
    let m = render(reply, prefix);
    let mut c = RoomMessageEventContent::notice_html(m.plain, m.html);
    c.mentions = Some(Mentions::new());
    c
}

impl crate::scheduler::Poster for MatrixPoster {
    fn platform(&self) -> &'static str {
        "matrix"
    }

    fn post<'a>(
        &'a self,
        destination: &'a crate::schedule::Destination,
        reply: &'a Reply,
        key: &'a str,
    ) -> crate::scheduler::PostFuture<'a> {
        use crate::scheduler::PostError;
        Box::pin(async move {
            let crate::schedule::Destination::Matrix { room } = destination else {
                return Err(PostError::Refused("not a Matrix room".into()));
            };
            let Some(client) = self.client.get() else {
                return Err(PostError::Retry {
                    why: "the Matrix door has not connected yet".into(),
                    after: Some(Duration::from_secs(5)),
                });
            };
            let room_id = matrix_sdk::ruma::OwnedRoomId::try_from(room.as_str())
                .map_err(|_| PostError::Refused(format!("`{room}` is not a room id")))?;
            let room = match client.get_room(&room_id) {
                Some(r) if r.state() == RoomState::Joined => r,
                Some(r) if r.state() == RoomState::Invited => {
                    join(r.clone()).await;
                    r
                }
                _ => {
                    return Err(PostError::Refused(format!(
                        "the bot is not in {room_id}; invite it"
                    )));
                }
            };
            let prefix = self.prefix.get().map_or("!", String::as_str);
            let txn: OwnedTransactionId = format!("dossier-{key}").into();
            room.send(briefing_content(reply, prefix))
                .with_transaction_id(txn)
                .await
                .map(|r| r.response.event_id.to_string())
                .map_err(|e| PostError::Retry {
                    why: e.to_string(),
                    after: None,
                })
        })
    }
}

/// Log in, sync once (history is not answered), accept pending invites, then answer commands
/// until `stop` is cancelled. Sync errors are retried with capped backoff.
pub async fn run(door: Door, stop: CancellationToken) -> anyhow::Result<()> {
    let app = door.app.clone();
    app.doors.set(NAME, DoorState::Starting);
    let client = connect(&door.cfg).await?;
    let own = client
        .user_id()
        .map(ToOwned::to_owned)
        .context("no user id after login")?;
    let door = Arc::new(Door { own, ..door });
    let mut backoff = Duration::from_millis(500);
    let mut since = loop {
        let synced = tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            s = client.sync_once(SyncSettings::default()) => s,
        };
        match synced {
            Ok(r) => break r.next_batch,
            Err(e) => {
                app.doors
                    .set(NAME, DoorState::Down(format!("initial sync failed: {e}")));
                tracing::warn!(error = %e, "initial sync failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    };
    for room in client.invited_rooms() {
        let inviter = room
            .invite_details()
            .await
            .ok()
            .and_then(|d| d.inviter)
            .map(|m| m.user_id().to_owned());
        match inviter {
            Some(u) if invite_allowed(&door.cfg, &u) => {
                tokio::spawn(join(room));
            }
            None if door.cfg.autojoin && door.cfg.autojoin_from.is_empty() => {
                tokio::spawn(join(room));
            }
            _ => {}
        }
    }
    register(&client, door.clone());
    door.poster.connected(&client, &door.cfg.prefix);
    if let Some(room) = &door.moderation_room {
        tokio::spawn(post_notices(
            client.clone(),
            room.clone(),
            door.clone(),
            app.subscribe(),
            stop.clone(),
        ));
    }
    app.doors.set(NAME, DoorState::Connected);
    tracing::info!(user = %door.own, "Matrix door ready");
    // Our own loop rather than `Client::sync`: that one sleeps a full second whenever two syncs
    // come back within a second of each other, so in a lively room every command waited up to
    // a second before the bot even saw it. Long-polling already keeps the requests sparse;
    // only a server that ignores the timeout and answers at once with nothing new gets a pause.
    let mut failures = 0u32;
    loop {
        let asked = Instant::now();
        let settings = SyncSettings::default()
            .timeout(SYNC_TIMEOUT)
            .token(since.clone());
        let synced = tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            s = client.sync_once(settings) => s,
        };
        match synced {
            Ok(r) => {
                failures = 0;
                app.doors.set(NAME, DoorState::Connected);
                let advanced = r.next_batch != since;
                since = r.next_batch;
                if let Some(pause) = pause_after_sync(asked.elapsed(), advanced) {
                    tracing::debug!(
                        pause_ms = pause.as_millis() as u64,
                        "sync answered at once with nothing new; pausing"
                    );
                    tokio::time::sleep(pause).await;
                }
            }
            Err(e) => {
                let wait = retry_wait(failures);
                failures = failures.saturating_add(1);
                app.doors
                    .set(NAME, DoorState::Down(format!("sync failed: {e}")));
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "Matrix sync failed; retrying");
                tokio::select! {
                    _ = stop.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
}

/// The notice as a Matrix message: `m.notice` (bots' messages that other bots ignore), the
/// `check` output in a preformatted block, within the event size limit, mentioning nobody.
pub fn notice_content(n: &Notice) -> RoomMessageEventContent {
    let budget = crate::render::matrix::MAX_BODY_BYTES / 2 - n.title.len() - 200;
    let mut detail = String::new();
    let lines: Vec<&str> = n.detail.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if detail.len() + line.len() + 1 > budget {
            detail.push_str(&format!(
                "… {} more lines: run `dossier check` where the cards are\n",
                lines.len() - i
            ));
            break;
        }
        detail.push_str(line);
        detail.push('\n');
    }
    let title = crate::render::matrix::escape_html(&n.title);
    let (plain, html) = if detail.trim().is_empty() {
        (
            crate::render::matrix::defuse(&n.title),
            format!("<p><strong>{title}</strong></p>"),
        )
    } else {
        (
            format!(
                "{}\n\n{}",
                crate::render::matrix::defuse(&n.title),
                crate::render::matrix::defuse(&detail)
            ),
            format!(
                "<p><strong>{title}</strong></p><pre><code>{}</code></pre>",
                crate::render::matrix::escape_html(&detail)
            ),
        )
    };
    let mut c = RoomMessageEventContent::notice_html(plain, html);
    c.mentions = Some(Mentions::new());
    c
}

/// Post each notice to the moderators' room until `stop`.
async fn post_notices(
    client: Client,
    room_id: String,
    door: Arc<Door>,
    mut notices: tokio::sync::broadcast::Receiver<Notice>,
    stop: CancellationToken,
) {
    use tokio::sync::broadcast::error::RecvError;
    let Ok(room_id) = matrix_sdk::ruma::OwnedRoomId::try_from(room_id.as_str()) else {
        tracing::error!(room = %room_id, "the moderators' room id is not valid");
        return;
    };
    loop {
        let notice = tokio::select! {
            _ = stop.cancelled() => return,
            n = notices.recv() => match n {
                Ok(n) => n,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "moderator notices came faster than Matrix took them");
                    continue;
                }
                Err(RecvError::Closed) => return,
            },
        };
        let room = match client.get_room(&room_id) {
            Some(r) if r.state() == RoomState::Joined => r,
            Some(r) if r.state() == RoomState::Invited => {
                join(r.clone()).await;
                r
            }
            _ => {
                door.app.metrics.failed("matrix");
                tracing::error!(room = %room_id, "the bot is not in the moderators' room; invite it there");
                continue;
            }
        };
        let mut wait = Duration::from_millis(500);
        for attempt in 0..4 {
            match room.send(notice_content(&notice)).await {
                Ok(_) => {
                    door.app.metrics.sent("matrix");
                    break;
                }
                Err(e) if attempt < 3 => {
                    tracing::warn!(room = %room_id, error = %e, "posting to the moderators' room failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                Err(e) => {
                    door.app.metrics.failed("matrix");
                    tracing::error!(room = %room_id, error = %e, "could not post to the moderators' room");
                }
            }
        }
    }
}

/// How long the server may hold a sync request open when nothing happens.
const SYNC_TIMEOUT: Duration = Duration::from_secs(30);

/// After a successful sync: a pause before the next one only when the server answered at once
/// without anything new (it ignored the long-poll timeout), so the bot never spins.
fn pause_after_sync(took: Duration, advanced: bool) -> Option<Duration> {
    (!advanced && took < Duration::from_millis(100)).then_some(Duration::from_secs(1))
}

/// The wait before retrying after `failures` failed syncs in a row: 0.5 s doubling to 30 s.
fn retry_wait(failures: u32) -> Duration {
    (Duration::from_millis(500) * 2u32.pow(failures.min(6))).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_pauses_only_when_the_server_ignores_the_timeout() {
        // News: sync again at once, however fast it came.
        assert_eq!(pause_after_sync(Duration::from_millis(3), true), None);
        // A long poll that timed out with nothing new: sync again at once.
        assert_eq!(pause_after_sync(SYNC_TIMEOUT, false), None);
        // Nothing new, answered at once: the server ignored the timeout, so pause.
        assert_eq!(
            pause_after_sync(Duration::from_millis(2), false),
            Some(Duration::from_secs(1))
        );
        assert_eq!(retry_wait(0), Duration::from_millis(500));
        assert_eq!(retry_wait(1), Duration::from_secs(1));
        assert_eq!(retry_wait(40), MAX_BACKOFF);
    }

    #[test]
    fn command_text_strips_prefix_and_reply_fallback() {
        assert_eq!(command_text("!position iran", "!"), Some("position iran"));
        assert_eq!(
            command_text("> <@a:b> earlier\n> more\n\n!brief", "!"),
            Some("brief")
        );
        assert_eq!(command_text("hello !brief", "!"), None);
        assert_eq!(command_text("!", "!"), None);
        assert_eq!(command_text("!!shout", "!"), None);
        assert_eq!(command_text("?brief", "?"), Some("brief"));
    }
}
