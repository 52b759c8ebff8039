//! Doors that must run in one replica at a time (the Matrix sync: one device, one sync token;
//! each Discord gateway shard) hold a lease first: a PostgreSQL session advisory lock, taken on a
//! connection of its own and held for as long as that connection lives. The other replicas
//! keep trying, once a second, and show the door as standby. When the holder dies its
//! connection closes and the lock is free at once; when the holder cannot reach the database it
//! stops the door before the server gives the lock away (the server drops a silent client's
//! session after its TCP keepalives fail; the holder's own check fails sooner), so a door never
//! runs twice. The door and the lease come back when the database does.

use super::doors::{DoorState, Doors};
use crate::store::postgres::{Database, WAIT};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often a replica waiting for a door tries its lease, and how often the holder checks
/// that its lease's connection still answers.
pub const POLL: Duration = Duration::from_secs(1);

/// A replica that holds `k` doors waits `k` × this, from when it began waiting, before trying
/// for one more: replicas that start together share the doors (shards) out, and a lone
/// survivor still takes up every door a dead replica held (it has long been waiting).
pub const SPREAD: Duration = Duration::from_secs(3);

/// The doors this process holds, and the one turn at trying for a lease (so two of its own
/// doors never both win in the same instant, before either is counted).
static HELD: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
static TRYING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The first key of every door lease's lock (two-key advisory locks are a key space apart
/// from the one-key locks the stores take): "dos" in ASCII.
const KEY_SPACE: i32 = 0x0064_6f73;

/// The session's TCP keepalives: the server drops a holder that went silent after about
/// idle + interval × count seconds (9 s), later than the holder's own check gives up
/// (POLL + WAIT, 4 s), and soon enough that a door fails over within 10 s.
const KEEPALIVES: &str =
    "SET tcp_keepalives_idle = 3; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3;";

/// A door's lease while this replica holds it. Dropping it lets the lock go.
pub struct Lease {
    /// The door's lease name, for the logs.
    pub name: String,
    lost: CancellationToken,
    watchdog: tokio::task::JoinHandle<()>,
}

impl Lease {
    /// Cancelled when the lease can no longer be shown to be held (its connection closed, or it
    /// stopped answering): the door must stop.
    pub fn lost(&self) -> CancellationToken {
        self.lost.clone()
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        HELD.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        // The watchdog owns the connection: ending it closes the session and frees the lock.
        self.watchdog.abort();
        self.lost.cancel();
    }
}

/// One attempt: `Ok(Some)` when the lock was free and is now ours, `Ok(None)` when another
/// session holds it, `Err` when the database could not be asked.
pub async fn try_acquire(db: &Database, name: &str) -> Result<Option<Lease>, String> {
    let (client, connection) = db.connect_own().await.map_err(|e| e.to_string())?;
    let closed = CancellationToken::new();
    let connection_task = {
        let closed = closed.clone();
        tokio::spawn(async move {
            let _ = connection.await;
            closed.cancel();
        })
    };
    let asked = async {
        client.batch_execute(KEEPALIVES).await?;
        client
            .query_one(
                "SELECT pg_try_advisory_lock($1, hashtext($2))",
                &[&KEY_SPACE, &name],
            )
            .await
            .and_then(|row| row.try_get::<_, bool>(0))
    };
    let won = match tokio::time::timeout(WAIT, asked).await {
        Ok(Ok(won)) => won,
        Ok(Err(e)) => {
            connection_task.abort();
            return Err(e.to_string());
        }
        Err(_) => {
            connection_task.abort();
            return Err(format!("no answer within {} s", WAIT.as_secs()));
        }
    };
    if !won {
        drop(client);
        connection_task.abort();
        return Ok(None);
    }
    let lost = CancellationToken::new();
    let watchdog = {
        let lost = lost.clone();
        let name = name.to_owned();
        tokio::spawn(async move {
            let _connection = AbortOnDrop(connection_task);
            loop {
                tokio::select! {
                    _ = closed.cancelled() => break,
                    _ = tokio::time::sleep(POLL) => {}
                }
                match tokio::time::timeout(WAIT, client.simple_query("SELECT 1")).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(lease = %name, error = %e, "a door's lease cannot be checked");
                        break;
                    }
                    Err(_) => {
                        tracing::warn!(lease = %name, "a door's lease did not answer within {} s", WAIT.as_secs());
                        break;
                    }
                }
            }
            lost.cancel();
        })
    };
    HELD.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    Ok(Some(Lease {
        name: name.to_owned(),
        lost,
        watchdog,
    }))
}

/// Ends the task when dropped (the lease's connection goes with its watchdog).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Wait until this replica holds `name`'s lease, trying once every [`POLL`] (after [`SPREAD`]
/// per door it already holds); `None` when `stop` comes first. A database that cannot be
/// reached is logged once per outage.
pub async fn acquire(db: &Database, name: &str, stop: &CancellationToken) -> Option<Lease> {
    let mut unreachable = false;
    let began = tokio::time::Instant::now();
    loop {
        let tried = {
            let _turn = TRYING.lock().await;
            let held = HELD.load(std::sync::atomic::Ordering::SeqCst);
            if began.elapsed() >= SPREAD * held {
                Some(try_acquire(db, name).await)
            } else {
                None
            }
        };
        match tried {
            None => {}
            Some(Ok(Some(lease))) => return Some(lease),
            Some(Ok(None)) => unreachable = false,
            Some(Err(e)) => {
                if !unreachable {
                    tracing::warn!(lease = %name, database = %db.name, error = %e, "cannot ask the database for a door's lease; trying again every second");
                }
                unreachable = true;
            }
        }
        tokio::select! {
            _ = stop.cancelled() => return None,
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Run a door only while this replica holds its lease: wait for the lease (the door shown as
/// standby), start the door with a token of its own, and when the lease is lost (or the door
/// is handed over to even out a group) stop the door, wait for it to close (up to `grace`) and
/// wait for the lease again. `start` gets the door's stop token and a second one, cancelled
/// only when the door stops because another replica may take it (never on shutdown): work in
/// flight must then not be sent. Returns when `stop` is cancelled, or with the door's own
/// result when it stops by itself.
#[allow(clippy::too_many_arguments)]
pub async fn run_leased<F, Fut>(
    db: Database,
    name: String,
    doors: &Doors,
    door: &'static str,
    stop: CancellationToken,
    grace: Duration,
    group: Option<Arc<Group>>,
    mut start: F,
) -> Result<(), String>
where
    F: FnMut(CancellationToken, CancellationToken) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    loop {
        doors.set(door, DoorState::Standby);
        let Some(lease) = acquire(&db, &name, &stop).await else {
            return Ok(());
        };
        let _counted = group.as_ref().map(|g| g.count());
        tracing::info!(door, lease = %name, "this replica holds the door");
        let own = stop.child_token();
        let handed = CancellationToken::new();
        let lost = lease.lost();
        let running = start(own.clone(), handed.clone());
        tokio::pin!(running);
        let surplus = async {
            match &group {
                Some(g) => g.surplus().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            ran = &mut running => return ran,
            _ = lost.cancelled() => {
                if stop.is_cancelled() {
                    return Ok(());
                }
                tracing::warn!(door, lease = %name, "lost the door's lease; stopping the door until it is held again");
            }
            _ = surplus => {
                tracing::info!(door, lease = %name, "handing the door over to a replica that holds fewer, to spread them evenly");
            }
        }
        // Another replica may hold the door from now on: what this one still has in flight
        // must not be sent any more (the new holder answers it).
        handed.cancel();
        own.cancel();
        if tokio::time::timeout(grace, &mut running).await.is_err() {
            tracing::warn!(door, "the door did not stop within {} s", grace.as_secs());
        }
        drop(lease);
    }
}

/// The first key of the shared locks by which the replicas running a group of doors count
/// themselves: "grp" in ASCII.
const GROUP_KEY_SPACE: i32 = 0x0067_7270;

/// How often a replica compares the doors of a group it holds with its fair share.
pub const REBALANCE_EVERY: Duration = Duration::from_secs(5);

/// How long after handing one door over a replica waits before it may hand over another, so
/// the door has time to find its new holder and the counts to settle.
const REBALANCE_PAUSE: Duration = Duration::from_secs(15);

/// Interchangeable doors (a bot's gateway shards) that the replicas running them spread evenly:
/// each replica counts itself in with a shared advisory lock for as long as it runs, and one
/// that holds more than its share (the group's size over the replicas, rounded up) hands one
/// door over at a time. A replica that joins late so gets its share within seconds, not only
/// when another dies.
pub struct Group {
    name: String,
    size: u32,
    db: Database,
    held: std::sync::atomic::AtomicU32,
    last_release: std::sync::Mutex<Option<tokio::time::Instant>>,
    member: tokio::task::JoinHandle<()>,
}

impl Drop for Group {
    fn drop(&mut self) {
        self.member.abort();
    }
}

/// One door of a group counted as held while this lives.
pub struct Counted(Arc<Group>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0
            .held
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Group {
    /// Count this replica in the group `name` of `size` doors, for as long as the value lives
    /// (and again whenever the database comes back).
    pub fn join(db: Database, name: String, size: u32) -> Arc<Group> {
        let member = tokio::spawn({
            let (db, name) = (db.clone(), name.clone());
            async move {
                loop {
                    if let Ok((client, connection)) = db.connect_own().await {
                        let mut connection = AbortOnDrop(tokio::spawn(async move {
                            let _ = connection.await;
                        }));
                        let joined = client.batch_execute(KEEPALIVES).await.and(
                            client
                                .execute(
                                    "SELECT pg_advisory_lock_shared($1, hashtext($2))",
                                    &[&GROUP_KEY_SPACE, &name],
                                )
                                .await,
                        );
                        if joined.is_ok() {
                            // Counted in until the connection ends.
                            let _ = (&mut connection.0).await;
                        }
                    }
                    tokio::time::sleep(POLL).await;
                }
            }
        });
        Arc::new(Group {
            name,
            size,
            db,
            held: std::sync::atomic::AtomicU32::new(0),
            last_release: std::sync::Mutex::new(None),
            member,
        })
    }

    fn count(self: &Arc<Self>) -> Counted {
        self.held.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Counted(self.clone())
    }

    /// How many replicas run the group now.
    pub async fn members(&self) -> Result<u32, String> {
        let c = self.db.client().await.map_err(|e| e.to_string())?;
        let row = c
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
                 AND classid = ($1::INT4)::OID AND objid = (hashtext($2))::OID AND objsubid = 2",
                &[&GROUP_KEY_SPACE, &self.name],
            )
            .await
            .map_err(|e| self.db.error(e).to_string())?;
        let n = row
            .try_get::<_, i64>(0)
            .map_err(|e| self.db.error(e).to_string())?;
        Ok(n as u32)
    }

    /// The most doors of the group one of `members` replicas should hold.
    pub fn share(size: u32, members: u32) -> u32 {
        size.div_ceil(members.max(1))
    }

    /// Returns once this replica holds more than its share of the group and it is this door's
    /// turn to be handed over (one at a time, [`REBALANCE_PAUSE`] apart).
    async fn surplus(&self) {
        loop {
            tokio::time::sleep(REBALANCE_EVERY).await;
            let Ok(members) = self.members().await else {
                continue;
            };
            let held = self.held.load(std::sync::atomic::Ordering::SeqCst);
            if held <= Group::share(self.size, members) {
                continue;
            }
            let mut last = self.last_release.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_none_or(|t| t.elapsed() >= REBALANCE_PAUSE) {
                *last = Some(tokio::time::Instant::now());
                return;
            }
        }
    }
}

/// The first key of the locks that make one topic's edits one at a time across replicas:
/// "ed" in ASCII.
const EDIT_KEY_SPACE: i32 = 0x0000_6564;

/// A cluster-wide lock, held for as long as this value lives (its connection is closed on drop).
pub struct Exclusive {
    _connection: AbortOnDrop,
}

/// Wait up to `wait` for the cluster-wide lock named `name` (a topic's edits), on a connection
/// of its own. An error when the database cannot be reached, or another replica held the lock
/// all that time.
pub async fn exclusive(db: &Database, name: &str, wait: Duration) -> Result<Exclusive, String> {
    let (client, connection) = db.connect_own().await.map_err(|e| e.to_string())?;
    let task = AbortOnDrop(tokio::spawn(async move {
        let _ = connection.await;
    }));
    // The server's own statement timeout (a few seconds) would cut a longer wait short: this
    // session waits as long as asked, and no longer.
    let asked = async {
        client
            .batch_execute(&format!(
                "{KEEPALIVES} SET statement_timeout = {};",
                wait.as_millis()
            ))
            .await?;
        client
            .execute(
                "SELECT pg_advisory_lock($1, hashtext($2))",
                &[&EDIT_KEY_SPACE, &name],
            )
            .await
    };
    match tokio::time::timeout(wait + WAIT, asked).await {
        Ok(Ok(_)) => {
            // The client must live as long as the lock: it moves into the task that owns the
            // connection, and both end on drop.
            let held = AbortOnDrop(tokio::spawn(async move {
                let _task = task;
                let _client = client;
                std::future::pending::<()>().await;
            }));
            Ok(Exclusive { _connection: held })
        }
        Ok(Err(e)) if e.as_db_error().is_some() => Err(format!(
            "another replica held the lock on {name} for {} s",
            wait.as_secs()
        )),
        Ok(Err(e)) => Err(format!("the database {} failed: {e}", db.name)),
        Err(_) => Err(format!("the database {} did not answer", db.name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replicas_share_of_a_group_is_its_size_over_the_replicas_rounded_up() {
        assert_eq!(Group::share(2, 1), 2);
        assert_eq!(Group::share(2, 2), 1);
        assert_eq!(Group::share(3, 2), 2);
        assert_eq!(Group::share(4, 3), 2);
        assert_eq!(Group::share(1, 3), 1);
        // Nobody counted yet (the database just came back): hold everything rather than nothing.
        assert_eq!(Group::share(4, 0), 4);
    }
}
