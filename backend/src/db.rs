//! The database: SQLite (embedded default) or PostgreSQL, chosen from the URL.
//!
//! Queries are written once in SQL both engines accept (`$1` placeholders, `BIGINT` seconds,
//! `TEXT` ids and hex hashes) and run through sqlx's `Any` driver, so one test suite covers both.

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Connection, Executor, Row};
use std::borrow::Cow;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Why the database could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Every SQLite connection waits for a writer of another process instead of failing with
/// SQLITE_BUSY, enforces foreign keys (off by default in SQLite), and syncs to disk at
/// checkpoints rather than at each commit (safe with WAL: a power cut can lose the last
/// commits, never corrupt the file).
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
     PRAGMA synchronous = NORMAL;";

/// The writing connection also reads the file through a memory map of up to 256 MiB instead
/// of copying each page it needs with a `read` call (the outbox sender, which reads every
/// message back on it, delivered 3,100–4,100 a second with it against 2,200–2,350 without).
/// The reading connections do not: a reader that finds the file changed since its last
/// transaction drops its whole map (SQLite's rule in WAL mode), so with writes going on each
/// of its reads paid an `munmap`, page faults to map the pages again, and a TLB flush that
/// interrupts every core running this process, the hashing threads too. Without the map a
/// sign-in cost its SQLite threads 12–18 % less CPU (README, `make bench`).
const SQLITE_WRITER_PRAGMAS: &str = "PRAGMA mmap_size = 268435456;";

/// How long a PostgreSQL connection may sit in the pool before it is tested again before use.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

/// Which engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A pool of connections to the one database every server process shares.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    engine: Engine,
    health: Health,
    /// SQLite: this process's one writing connection, held by whoever's turn it is to write
    /// (see [`Db::begin_write`]).
    writer: Arc<tokio::sync::Mutex<Writer>>,
    /// SQLite: the batches of [`Db::write_all`] waiting for their group's turn.
    queue: Option<tokio::sync::mpsc::UnboundedSender<Queued>>,
    url: Arc<str>,
}

/// A batch waiting to be written with its group.
struct Queued {
    batch: Batch,
    /// Where its outcome goes; closed when the request stopped waiting.
    done: tokio::sync::oneshot::Sender<Result<(), sqlx::Error>>,
}

/// The most batches one group commit takes (a request's batch has a few dozen values, the
/// outbox sender's a few hundred; SQLite allows 32,766 in one query, and a group over that
/// fails and is written batch by batch).
const GROUP_MAX: usize = 32;

/// SQLite's writing connection, outside the pool; opened on first use and again after a
/// failure.
#[derive(Debug, Default)]
pub struct Writer {
    conn: Option<sqlx::AnyConnection>,
    /// A transaction was begun and has not been seen to end. Still set when the next writer
    /// gets its turn, the last one failed or was cancelled half-way (a shopper's request
    /// dropped when the connection went away): that transaction may still be open, so the
    /// next writer closes the connection (which rolls it back) and opens a fresh one.
    open: bool,
    /// The database was closed ([`Db::close`]): no connection is opened again.
    closed: bool,
}

impl Writer {
    /// Makes the connection ready for a transaction: a fresh one when the last transaction
    /// may still be open (see `open`) or none is open yet.
    async fn ready(&mut self, url: &str) -> Result<(), sqlx::Error> {
        if self.closed {
            return Err(sqlx::Error::PoolClosed);
        }
        if self.open {
            self.conn = None;
            self.open = false;
        }
        if self.conn.is_none() {
            let mut conn = sqlx::AnyConnection::connect(url).await?;
            conn.execute(SQLITE_PRAGMAS).await?;
            conn.execute(SQLITE_WRITER_PRAGMAS).await?;
            self.conn = Some(conn);
        }
        Ok(())
    }

    /// Runs `batch` as one transaction, with its `BEGIN IMMEDIATE` and `COMMIT`, in one query.
    async fn write(&mut self, url: &str, mut batch: Batch) -> Result<(), sqlx::Error> {
        self.ready(url).await?;
        batch
            .statements
            .insert(0, Statement::new("BEGIN IMMEDIATE", Vec::new()));
        batch.push("COMMIT", Vec::new());
        self.open = true;
        self.run_to_commit(batch).await
    }

    /// The connection, for statements that begin a transaction.
    fn opening(&mut self) -> &mut sqlx::AnyConnection {
        self.open = true;
        self.conn.as_mut().expect(OPEN)
    }

    /// Runs `batch`, which ends with a `COMMIT`; the transaction is over once it succeeds, or
    /// once it is rolled back on this connection after a statement of it failed (a stale read
    /// found by [`Batch::push_changing`] costs no new connection; a `BEGIN` that failed leaves
    /// nothing to roll back, and the next writer opens a fresh connection as before).
    async fn run_to_commit(&mut self, batch: Batch) -> Result<(), sqlx::Error> {
        let conn = self.conn.as_mut().expect(OPEN);
        let result = batch.run(conn).await;
        if result.is_ok() || conn.execute("ROLLBACK").await.is_ok() {
            self.open = false;
        }
        result.map(drop)
    }
}

/// A write transaction; derefs to its connection for queries. Dropped without a commit, it
/// rolls back.
pub struct WriteTx(Turn);

enum Turn {
    /// The writing connection with a transaction open on it (the guard is only `None` while
    /// being dropped).
    Sqlite(Option<tokio::sync::OwnedMutexGuard<Writer>>),
    Postgres(sqlx::Transaction<'static, sqlx::Any>),
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        match &self.0 {
            Turn::Sqlite(turn) => turn.as_ref().and_then(|w| w.conn.as_ref()).expect(OPEN),
            Turn::Postgres(tx) => tx,
        }
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match &mut self.0 {
            Turn::Sqlite(turn) => turn.as_mut().and_then(|w| w.conn.as_mut()).expect(OPEN),
            Turn::Postgres(tx) => tx,
        }
    }
}

const OPEN: &str = "the writer in turn holds the writing connection";

impl WriteTx {
    /// Commits, then lets the next writer in.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.commit_with(Batch::new()).await
    }

    /// Runs `batch` and commits: on SQLite in one round trip to the connection's thread (the
    /// statements and the `COMMIT` as one query), then lets the next writer in.
    pub async fn commit_with(mut self, mut batch: Batch) -> Result<(), sqlx::Error> {
        // Taken out of `self`, which is left with nothing to roll back when dropped.
        match std::mem::replace(&mut self.0, Turn::Sqlite(None)) {
            Turn::Sqlite(turn) => {
                batch.push("COMMIT", Vec::new());
                turn.expect(OPEN).run_to_commit(batch).await
            }
            Turn::Postgres(mut tx) => match batch.run(&mut tx).await {
                Ok(_) => tx.commit().await,
                Err(e) => {
                    // At once, rather than when the connection next leaves the pool: the
                    // batch's advisory locks go with it, and a retry may want them.
                    let _ = tx.rollback().await;
                    Err(e)
                }
            },
        }
    }
}

impl Drop for WriteTx {
    /// An SQLite transaction left without a commit (an early error return) is rolled back
    /// before the next writer gets the connection; PostgreSQL's `Transaction` does the same
    /// on its own.
    fn drop(&mut self) {
        let Turn::Sqlite(turn) = &mut self.0 else {
            return;
        };
        let Some(mut writer) = turn.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Some(conn) = writer.conn.as_mut() {
                        if conn.execute("ROLLBACK").await.is_ok() {
                            writer.open = false;
                        }
                    }
                });
            }
            // No runtime to roll back on: the next writer replaces the connection.
            Err(_) => drop(writer),
        }
    }
}

/// A connection for one write statement outside a transaction (see [`Db::writing`]); derefs
/// to it.
pub enum Writing {
    Sqlite(tokio::sync::OwnedMutexGuard<Writer>),
    Postgres(sqlx::pool::PoolConnection<sqlx::Any>),
}

impl std::ops::Deref for Writing {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        match self {
            Writing::Sqlite(w) => w.conn.as_ref().expect(OPEN),
            Writing::Postgres(conn) => conn,
        }
    }
}

impl std::ops::DerefMut for Writing {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Writing::Sqlite(w) => w.conn.as_mut().expect(OPEN),
            Writing::Postgres(conn) => conn,
        }
    }
}

/// Whether the database is answering, shared by everything holding this pool. Pages answer
/// "temporarily unavailable" at once while it is down instead of each waiting for a
/// connection. Down takes two failed checks in a row, so one check stuck behind a busy pool
/// does not turn a load spike into an outage.
#[derive(Debug, Clone)]
pub struct Health(Arc<AtomicU32>);

/// Failed checks in a row that count as down.
const DOWN_AFTER: u32 = 2;

impl Health {
    /// True unless the last checks failed.
    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed) < DOWN_AFTER
    }
}

/// How long one check may take before the database counts as down.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Db {
    /// Opens `url` (`sqlite://path` or `postgres://…`), creating a SQLite file and its folder
    /// when missing. Does not migrate. On SQLite it starts the task that writes groups of
    /// batches ([`write_groups`]) on the current Tokio runtime.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let engine = if is_postgres(url) {
            Engine::Postgres
        } else {
            Engine::Sqlite
        };
        let mut url = url.to_string();
        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(5));
        if engine == Engine::Sqlite {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or_default().to_string();
            if let Some(dir) = std::path::Path::new(&path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir).map_err(|source| DbError::DataDir {
                    path: dir.display().to_string(),
                    source,
                })?;
            }
            if !url.contains('?') {
                url.push_str("?mode=rwc");
            }
            // A connection to a local file cannot go stale: no ping (a thread hand-off) before
            // each use.
            options = options
                .max_connections(4)
                .test_before_acquire(false)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(SQLITE_PRAGMAS).await?;
                        Ok(())
                    })
                });
        } else {
            // sqlx tests a connection when it comes back to the pool (a round trip to the server
            // on every release) and, by default, again before each use: a third round trip for
            // every query. Only a connection that has sat idle may have lost its server (a
            // restart, a proxy that cut it), so it is tested before use only after a pause; under
            // load the check on release is enough.
            options = options
                .max_connections(16)
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= IDLE_BEFORE_PING {
                            conn.ping().await?;
                        }
                        Ok(true)
                    })
                });
        }
        let pool = options.connect(&url).await?;
        if engine == Engine::Sqlite {
            // WAL lets readers run while one writer commits; the setting lives in the file.
            pool.execute("PRAGMA journal_mode = WAL;").await?;
        }
        let writer: Arc<tokio::sync::Mutex<Writer>> = Arc::default();
        let url: Arc<str> = url.into();
        let queue = (engine == Engine::Sqlite).then(|| {
            let (queue, waiting) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(write_groups(writer.clone(), url.clone(), waiting));
            queue
        });
        Ok(Db {
            pool,
            engine,
            health: Health(Arc::new(AtomicU32::new(0))),
            writer,
            queue,
            url,
        })
    }

    /// Applies any migration not yet applied (safe to call from several processes).
    pub async fn migrate(&self) -> Result<(), DbError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// Applies the migrations up to `version` only, leaving the database as the release that
    /// ended there did: the upgrade tests write rows at that version, then [`Db::migrate`].
    pub async fn migrate_to(&self, version: i64) -> Result<(), DbError> {
        MIGRATOR.run_to(version, &self.pool).await?;
        Ok(())
    }

    /// Starts a transaction that will write.
    ///
    /// SQLite's default deferred `BEGIN` takes the write lock only at the first write, and two
    /// such transactions that both read first can deadlock (one fails at once with "database is
    /// locked", whatever the busy timeout). `BEGIN IMMEDIATE` takes the lock up front, so
    /// writers queue instead. PostgreSQL's row locks need no such care.
    ///
    /// On SQLite the writers of this process also take turns on an async lock before `BEGIN`:
    /// waiting in SQLite's busy handler means sleeping in steps of up to 100 ms, which made
    /// the p99 of every write under load ~100 ms; a queue in memory hands the lock over at
    /// once. The busy timeout still covers other processes on the same file. The lock holds
    /// the process's one writing connection, kept outside the pool: no pool bookkeeping (and
    /// no pings, each a thread hand-off) while others wait for their turn.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        match self.engine {
            Engine::Sqlite => {
                let mut writer = self.sqlite_turn().await?;
                writer.opening().execute("BEGIN IMMEDIATE").await?;
                Ok(WriteTx(Turn::Sqlite(Some(writer))))
            }
            Engine::Postgres => Ok(WriteTx(Turn::Postgres(self.pool.begin().await?))),
        }
    }

    /// Starts a transaction that will write with its first query, `sql` (one statement that
    /// reads; `$1…` placeholders for `values`), and returns that query's first row. The
    /// transaction is serialized on `keys` as a batch is by [`Batch::serialized_on`], before
    /// the query reads: the counts it reads cannot change until the transaction ends (its
    /// batches then take no keys of their own).
    ///
    /// On SQLite the `BEGIN IMMEDIATE` and the query go to the connection's thread as one
    /// query: one thread hand-off fewer while the others wait for their turn to write.
    pub async fn begin_write_reading(
        &self,
        keys: &[&str],
        sql: &str,
        values: Vec<Value>,
    ) -> Result<(WriteTx, Option<AnyRow>), sqlx::Error> {
        if self.engine == Engine::Postgres {
            let mut tx = self.begin_write().await?;
            advisory_locks(&mut tx, keys.iter().map(|k| k.to_string()).collect()).await?;
            let row = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql.to_string())), values)
                .fetch_optional(&mut *tx)
                .await?;
            return Ok((tx, row));
        }
        let mut writer = self.sqlite_turn().await?;
        let query = format!("BEGIN IMMEDIATE;\n{sql}");
        // `fetch_all`: through the `Any` driver, `fetch_optional` looks only at the first result
        // of a multi-statement query, the BEGIN's, and answers "no row".
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(query)), values)
            .fetch_all(writer.opening())
            .await?;
        Ok((WriteTx(Turn::Sqlite(Some(writer))), rows.into_iter().next()))
    }

    /// Runs `batch` as one transaction: on SQLite `BEGIN IMMEDIATE`, the statements and the
    /// `COMMIT` as one query on the writing connection (one thread hand-off in all), together
    /// with the other batches that came while the last writer had its turn (see
    /// [`write_groups`]); on PostgreSQL in a transaction of its own (`BEGIN`, the advisory
    /// locks of [`Batch::serialized_on`], the statements, `COMMIT`), or, when the batch
    /// [runs alone](Batch::independent), as its one statement without one.
    ///
    /// On SQLite a batch handed over is written even if the caller stops waiting.
    pub async fn write_all(&self, batch: Batch) -> Result<(), sqlx::Error> {
        if let Some(queue) = &self.queue {
            let (done, outcome) = tokio::sync::oneshot::channel();
            return match queue.send(Queued { batch, done }) {
                // The group writer was cut short with it (its runtime ended): it may or may
                // not have been written.
                Ok(()) => outcome.await.unwrap_or(Err(sqlx::Error::PoolClosed)),
                // The group writer is gone (its runtime ended): written alone, in turn.
                Err(tokio::sync::mpsc::error::SendError(queued)) => {
                    let mut writer = self.writer.lock().await;
                    writer.write(&self.url, queued.batch).await
                }
            };
        }
        if batch.runs_alone() {
            batch.run(&mut *self.pool.acquire().await?).await.map(drop)
        } else {
            self.begin_write().await?.commit_with(batch).await
        }
    }

    /// A connection for a write statement on its own (`.execute(&mut *db.writing().await?)`):
    /// on SQLite the writing connection, in turn with the transactions of
    /// [`begin_write`](Self::begin_write). A write through the pool would wait for them in
    /// SQLite's busy handler, which sleeps in steps of milliseconds, and make them wait for it
    /// the same way.
    pub async fn writing(&self) -> Result<Writing, sqlx::Error> {
        match self.engine {
            Engine::Sqlite => Ok(Writing::Sqlite(self.sqlite_turn().await?)),
            Engine::Postgres => Ok(Writing::Postgres(self.pool.acquire().await?)),
        }
    }

    /// SQLite: waits for this process's turn to write, and its writing connection.
    async fn sqlite_turn(&self) -> Result<tokio::sync::OwnedMutexGuard<Writer>, sqlx::Error> {
        let mut writer = self.writer.clone().lock_owned().await;
        writer.ready(&self.url).await?;
        Ok(writer)
    }

    /// The pool, for queries.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which engine this is.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Whether the database answers a trivial query within two seconds; records the answer.
    pub async fn ping(&self) -> bool {
        let ok = tokio::time::timeout(PING_TIMEOUT, sqlx::query("SELECT 1").fetch_one(&self.pool))
            .await
            .is_ok_and(|r| r.is_ok());
        let was_up = self.health.is_up();
        if ok {
            self.health.0.store(0, Ordering::Relaxed);
        } else {
            self.health.0.fetch_add(1, Ordering::Relaxed);
        }
        match (was_up, self.health.is_up()) {
            (false, true) => tracing::info!("the database answers again"),
            (true, false) => tracing::error!("the database does not answer"),
            _ => {}
        }
        ok
    }

    /// The health flag, for layers that answer before touching the database.
    pub fn health(&self) -> Health {
        self.health.clone()
    }

    /// Checks the database every `every` in the background, for as long as the pool lives.
    pub fn watch(&self, every: Duration) {
        let db = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if db.pool.is_closed() {
                    return;
                }
                db.ping().await;
            }
        });
    }

    /// Closes every connection (at shutdown), after the writer in turn has finished.
    pub async fn close(&self) {
        let conn = {
            let mut writer = self.writer.lock().await;
            writer.closed = true;
            writer.conn.take()
        };
        if let Some(conn) = conn {
            conn.close().await.ok();
        }
        self.pool.close().await;
    }
}

/// SQLite: writes the batches of [`Db::write_all`] in groups, until every [`Db`] is gone.
///
/// A batch waits for its turn to write; the batches that came meanwhile are written with it as
/// one transaction, one query: one hand-off to the connection's thread and one commit for the
/// group, where each batch on its own took one of each while the others waited. Each batch
/// still sees the rows as the ones before it left them, as if it ran alone after them. When a
/// statement of the group fails, the group is rolled back and its batches are written one by
/// one, so that only the batch at fault fails. Run as its own task, a group is never cut short
/// by a request that stops waiting.
async fn write_groups(
    writer: Arc<tokio::sync::Mutex<Writer>>,
    url: Arc<str>,
    mut waiting: tokio::sync::mpsc::UnboundedReceiver<Queued>,
) {
    while let Some(first) = waiting.recv().await {
        let mut writer = writer.lock().await;
        let mut group = vec![first];
        while group.len() < GROUP_MAX {
            match waiting.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        // A request that stopped waiting before its group began (a shopper gone, a client's
        // timeout) is not written.
        group.retain(|queued| !queued.done.is_closed());
        if writer.closed {
            for queued in group {
                let _ = queued.done.send(Err(sqlx::Error::PoolClosed));
            }
            continue;
        }
        if group.len() > 1 {
            // Its SQL text is kept prepared on the connection like any other: groups of the
            // same batches in the same order recur (made transient, "send code" measured
            // 2,084–2,319/s against 2,441–2,727/s; the connection keeps the last 100).
            let mut all = Batch::new();
            for queued in &group {
                all.statements
                    .extend(queued.batch.statements.iter().cloned());
            }
            match writer.write(&url, all).await {
                Ok(()) => {
                    for queued in group {
                        let _ = queued.done.send(Ok(()));
                    }
                    continue;
                }
                Err(e) => {
                    tracing::debug!(error = %e, size = group.len(), "a group commit failed; written batch by batch")
                }
            }
        }
        for queued in group {
            let _ = queued.done.send(writer.write(&url, queued.batch).await);
        }
    }
}

/// Reads a column, mapping a decode failure to a sqlx error.
pub(crate) fn col<T>(row: &AnyRow, name: &str) -> Result<T, sqlx::Error>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(name)
}

/// A value bound to a [`Batch`] statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_string()))
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(Some(v.clone()))
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_string))
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}

/// Write statements that go together, each written with its own `$1…` placeholders.
///
/// On SQLite they run as one multi-statement query: one round trip to the connection's thread
/// instead of one per statement, which is what a request spends most of its time on inside the
/// write lock (each round trip is a thread hand-off). PostgreSQL runs them one by one (its
/// protocol takes one statement per query with parameters), or, when the batch is
/// [`independent`](Self::independent), its leading guarded statements one by one and the rest
/// as one statement. Run inside a transaction, so they land together or not at all.
#[derive(Debug, Default)]
pub struct Batch {
    statements: Vec<Statement>,
    independent: bool,
    /// Keys of [`Batch::serialized_on`].
    locks: Vec<String>,
}

#[derive(Debug, Clone)]
struct Statement {
    sql: Cow<'static, str>,
    values: Vec<Value>,
    /// Pushed with [`Batch::push_changing`].
    must_change: bool,
}

impl Statement {
    fn new(sql: impl Into<Cow<'static, str>>, values: Vec<Value>) -> Self {
        Statement {
            sql: sql.into(),
            values,
            must_change: false,
        }
    }
}

/// Run after a statement that must change a row, on SQLite: inserts a row the table's CHECK
/// refuses when it changed none, which stops the batch.
const STALE_GUARD: &str = "INSERT INTO stale_writes (fresh) SELECT 0 WHERE changes() = 0";

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    /// A batch none of whose statements, after its leading [guarded](Self::push_changing)
    /// ones, reads or writes rows another of them writes (each writes its own table, or its own
    /// rows); they may read what the guards wrote. On PostgreSQL those statements run as one,
    /// every one but the last a data-modifying `WITH` part of the last: one round trip instead
    /// of one per statement. All the parts see the rows as they were before that statement,
    /// hence the rule. With no guard and no [lock](Self::serialized_on) the batch is then
    /// atomic without `BEGIN` and `COMMIT` (two round trips more), which [`Db::write_all`]
    /// leaves out.
    pub fn independent() -> Self {
        Batch {
            independent: true,
            ..Self::default()
        }
    }

    /// Makes the batch wait for any other transaction serialized on one of `keys`, so that the
    /// rows its statements count cannot change under them until it ends. SQLite's writes take
    /// turns anyway; on PostgreSQL the batch first takes a transaction-scoped advisory lock per
    /// key, all in one statement and in sorted order, so no two transactions wait for each
    /// other as long as each takes its keys once, before anything else locks (not in a
    /// [`WriteTx`] begun with keys of its own). What the statements then read is current
    /// under READ COMMITTED, PostgreSQL's default level, where each statement sees what was
    /// committed before it began. Only inside a transaction ([`Db::write_all`] gives the batch
    /// one, as does [`WriteTx::commit_with`]): outside one the locks end with their statement.
    pub fn serialized_on(&mut self, keys: &[&str]) -> &mut Self {
        self.locks.extend(keys.iter().map(|k| k.to_string()));
        self
    }

    /// Adds one statement and its values (in placeholder order).
    pub fn push(&mut self, sql: impl Into<Cow<'static, str>>, values: Vec<Value>) -> &mut Self {
        self.statements.push(Statement::new(sql, values));
        self
    }

    /// Adds a statement that must change at least one row: when it changes none, the batch
    /// stops there and fails with [`sqlx::Error::RowNotFound`], and run by [`Db::write_all`] or
    /// [`WriteTx::commit_with`] nothing of it stays. For a write planned from a read taken
    /// outside the write lock: its conditions say "the rows are still as read", and a stale
    /// read fails instead of writing. The statements after it count on its outcome, so the
    /// batch needs a transaction. On PostgreSQL an [independent](Self::independent) batch whose
    /// guarded statements come first runs them one by one and the rest as one statement (with
    /// one guard two round trips, besides the transaction's two and its locks' one, instead of
    /// one per statement); a guarded statement after others makes it run statement by
    /// statement.
    pub fn push_changing(
        &mut self,
        sql: impl Into<Cow<'static, str>>,
        values: Vec<Value>,
    ) -> &mut Self {
        self.statements.push(Statement {
            must_change: true,
            ..Statement::new(sql, values)
        });
        self
    }

    /// Whether the batch is atomic without a transaction: [independent](Self::independent),
    /// without a guarded statement and [serialized](Self::serialized_on) on nothing, on
    /// PostgreSQL one statement.
    fn runs_alone(&self) -> bool {
        self.independent && self.locks.is_empty() && !self.statements.iter().any(|s| s.must_change)
    }

    /// Runs every statement on `conn`; returns the rows they changed in all (of the statements
    /// an independent batch runs as one on PostgreSQL, the rows the last one changed).
    pub async fn run(self, conn: &mut sqlx::AnyConnection) -> Result<u64, sqlx::Error> {
        let sqlite = conn.backend_name() == "SQLite";
        if sqlite {
            return Batch::as_one(conn, self.statements, true).await;
        }
        advisory_locks(conn, self.locks).await?;
        let mut statements = self.statements;
        let guards = statements.iter().take_while(|s| s.must_change).count();
        if self.independent && statements[guards..].iter().all(|s| !s.must_change) {
            let rest = statements.split_off(guards);
            let changed = Batch::one_by_one(conn, statements).await?;
            return Ok(changed + Batch::as_one(conn, rest, false).await?);
        }
        Batch::one_by_one(conn, statements).await
    }

    /// Runs `statements` as one query: on SQLite one after the other, each guarded statement
    /// followed by [`STALE_GUARD`]; on PostgreSQL (unguarded, independent statements only) each
    /// but the last a data-modifying `WITH` part of the last. A single statement runs alone.
    async fn as_one(
        conn: &mut sqlx::AnyConnection,
        statements: Vec<Statement>,
        sqlite: bool,
    ) -> Result<u64, sqlx::Error> {
        if statements.len() < 2 {
            return Batch::one_by_one(conn, statements).await;
        }
        let mut values = Vec::new();
        let mut parts = Vec::with_capacity(statements.len());
        let guarded = statements.iter().any(|s| s.must_change);
        for statement in statements {
            parts.push(renumbered(&statement.sql, values.len()));
            values.extend(statement.values);
            if statement.must_change {
                parts.push(STALE_GUARD.into());
            }
        }
        let sql = if sqlite {
            parts.join(";\n") + ";"
        } else {
            // Every statement but the last a data-modifying part of the last.
            let last = parts.pop().unwrap_or_default();
            let with: Vec<String> = parts
                .iter()
                .enumerate()
                .map(|(i, part)| format!("part{i} AS ({part})"))
                .collect();
            format!("WITH {}\n{last}", with.join(", "))
        };
        match bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), values)
            .execute(conn)
            .await
        {
            Ok(done) => Ok(done.rows_affected()),
            Err(sqlx::Error::Database(e)) if guarded && e.message().contains("stale_write") => {
                Err(sqlx::Error::RowNotFound)
            }
            Err(e) => Err(e),
        }
    }

    /// Runs `statements` one at a time; returns the rows they changed in all.
    async fn one_by_one(
        conn: &mut sqlx::AnyConnection,
        statements: Vec<Statement>,
    ) -> Result<u64, sqlx::Error> {
        let mut changed = 0;
        for statement in statements {
            let rows = bind_all(
                sqlx::query(sqlx::AssertSqlSafe(statement.sql.into_owned())),
                statement.values,
            )
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if statement.must_change && rows == 0 {
                return Err(sqlx::Error::RowNotFound);
            }
            changed += rows;
        }
        Ok(changed)
    }
}

/// PostgreSQL: takes a transaction-scoped advisory lock per key, in one round trip and in
/// sorted order (see [`Batch::serialized_on`] for when that keeps transactions from waiting
/// for each other).
async fn advisory_locks(
    conn: &mut sqlx::AnyConnection,
    mut keys: Vec<String>,
) -> Result<(), sqlx::Error> {
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        return Ok(());
    }
    let locks: Vec<String> = (1..=keys.len())
        .map(|i| format!("pg_advisory_xact_lock(hashtextextended(${i}, 0))"))
        .collect();
    let sql = format!("SELECT {}", locks.join(", "));
    let values = keys.iter().map(|k| Value::from(k.as_str())).collect();
    bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), values)
        .execute(conn)
        .await
        .map(drop)
}

pub(crate) fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    values: Vec<Value>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for value in values {
        query = match value {
            Value::Text(v) => query.bind(v),
            Value::Int(v) => query.bind(v),
        };
    }
    query
}

/// Whether `url` names a PostgreSQL database (anything else is a SQLite file).
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres:") || url.starts_with("postgresql:")
}

/// `sql` with every `$n` placeholder moved up by `offset`.
fn renumbered(sql: &str, offset: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            let mut n = 0usize;
            while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                n = n * 10 + d as usize;
                chars.next();
            }
            out.push('$');
            out.push_str(&(n + offset).to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_moved_up() {
        assert_eq!(
            renumbered("UPDATE t SET a = $1 WHERE b = $12 AND c = '$'", 3),
            "UPDATE t SET a = $4 WHERE b = $15 AND c = '$'"
        );
    }

    #[tokio::test]
    async fn a_batch_runs_its_statements_in_order() {
        let db = scratch().await;
        let mut tx = db.begin_write().await.unwrap();
        let mut batch = Batch::new();
        batch
            .push(
                "INSERT INTO t (a, b) VALUES ($1, $2)",
                vec!["x".into(), 5.into()],
            )
            .push(
                "INSERT INTO t (a, b) VALUES ($1, $2)",
                vec!["y".into(), Value::Int(None)],
            )
            .push(
                "UPDATE t SET b = b + $2 WHERE a = $1",
                vec!["x".into(), 2.into()],
            );
        assert_eq!(batch.run(&mut tx).await.unwrap(), 3);
        tx.commit().await.unwrap();
        let rows: Vec<(String, Option<i64>)> = sqlx::query_as("SELECT a, b FROM t ORDER BY a")
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert_eq!(rows, vec![("x".into(), Some(7)), ("y".into(), None)]);
    }

    /// The settings SQLite connections start with, read back from a reading connection of the
    /// pool and from the writing connection: (synchronous, foreign_keys, mmap_size, journal_mode);
    /// only the writing connection maps the file.
    #[tokio::test]
    async fn every_sqlite_connection_has_the_settings() {
        async fn number(conn: &mut sqlx::AnyConnection, pragma: &str) -> i64 {
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("PRAGMA {pragma}")))
                .fetch_one(conn)
                .await
                .unwrap()
        }
        async fn settings(conn: &mut sqlx::AnyConnection) -> (i64, i64, i64, String) {
            let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            (
                number(conn, "synchronous").await,
                number(conn, "foreign_keys").await,
                number(conn, "mmap_size").await,
                journal,
            )
        }
        let db = scratch().await;
        let mut reading = db.pool().acquire().await.unwrap();
        assert_eq!(settings(&mut reading).await, (1, 1, 0, "wal".to_string()));
        drop(reading);
        let mut writing = db.writing().await.unwrap();
        assert_eq!(
            settings(&mut writing).await,
            (1, 1, 256 << 20, "wal".to_string())
        );
    }

    async fn scratch() -> Db {
        let dir = std::env::temp_dir().join(format!("rekey-batch-{}", crate::crypto::new_id()));
        let db = Db::connect(&format!("sqlite://{}/b.db", dir.display()))
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (a TEXT PRIMARY KEY, b BIGINT)")
            .execute(db.pool())
            .await
            .unwrap();
        db
    }

    async fn rows(db: &Db) -> Vec<String> {
        sqlx::query_scalar("SELECT a FROM t ORDER BY a")
            .fetch_all(db.pool())
            .await
            .unwrap()
    }

    /// A batch inserting one row per name.
    fn inserts(names: &[&str]) -> Batch {
        let mut batch = Batch::new();
        for a in names {
            batch.push("INSERT INTO t (a, b) VALUES ($1, 0)", vec![(*a).into()]);
        }
        batch
    }

    /// Writes the batches with `write_all` while a transaction holds the writer's turn, so
    /// that they queue and go as one group when it ends; their outcomes, in order.
    async fn queued(db: &Db, batches: Vec<Batch>) -> Vec<Result<(), sqlx::Error>> {
        let tx = db.begin_write().await.unwrap();
        let mut writes: Vec<_> = batches
            .into_iter()
            .map(|batch| Box::pin(db.write_all(batch)))
            .collect();
        for write in &mut writes {
            hand_over(write.as_mut()).await;
        }
        tx.commit().await.unwrap();
        let mut outcomes = Vec::new();
        for write in writes {
            outcomes.push(write.await);
        }
        outcomes
    }

    /// Polls a `write_all` once: it hands its batch over, then waits for its group (here, for
    /// a transaction to end).
    async fn hand_over(
        mut write: std::pin::Pin<&mut impl std::future::Future<Output = Result<(), sqlx::Error>>>,
    ) {
        let waiting =
            std::future::poll_fn(|cx| std::task::Poll::Ready(write.as_mut().poll(cx).is_pending()))
                .await;
        assert!(waiting, "no write before the transaction ends");
    }

    /// Frames in the write-ahead log: the pages the commits since [`empty_wal`] wrote.
    async fn wal_frames(db: &Db) -> i64 {
        let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&mut *db.writing().await.unwrap())
            .await
            .unwrap();
        row.try_get::<i64, _>(1).unwrap()
    }

    /// Copies the log into the file and empties it (on the writing connection, which the
    /// pool's readers do not wait for).
    async fn empty_wal(db: &Db) {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut *db.writing().await.unwrap())
            .await
            .unwrap();
        assert_eq!(wal_frames(db).await, 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batches_queued_together_commit_once_and_fail_alone() {
        let db = scratch().await;
        db.write_all(inserts(&["taken"])).await.unwrap();
        empty_wal(&db).await;
        db.write_all(inserts(&["alone"])).await.unwrap();
        let one_commit = wal_frames(&db).await;
        assert!(one_commit > 0);
        empty_wal(&db).await;
        let six = ["a", "b", "c", "d", "e", "f"].map(|name| inserts(&[name]));
        let outcomes = queued(&db, six.into()).await;
        assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
        assert_eq!(
            wal_frames(&db).await,
            one_commit,
            "six batches in one commit: as many pages written as for one"
        );

        // A batch that fails fails alone, whether a statement fails or a required change finds
        // no row; the others of its group land.
        let mut stale = inserts(&["stale"]);
        stale.push_changing("UPDATE t SET b = 1 WHERE a = 'nobody'", vec![]);
        let outcomes = queued(
            &db,
            vec![inserts(&["g"]), inserts(&["taken"]), stale, inserts(&["h"])],
        )
        .await;
        assert!(
            matches!(
                &outcomes[..],
                [
                    Ok(()),
                    Err(sqlx::Error::Database(_)),
                    Err(sqlx::Error::RowNotFound),
                    Ok(())
                ]
            ),
            "{outcomes:?}"
        );
        assert_eq!(
            rows(&db).await,
            ["a", "alone", "b", "c", "d", "e", "f", "g", "h", "taken"]
        );

        // A write whose request stopped waiting before its group began is not written.
        let tx = db.begin_write().await.unwrap();
        let mut gone = Box::pin(db.write_all(inserts(&["gone"])));
        hand_over(gone.as_mut()).await;
        drop(gone);
        tx.commit().await.unwrap();
        db.write_all(inserts(&["next"])).await.unwrap();
        assert!(!rows(&db).await.contains(&"gone".to_string()));
        assert!(rows(&db).await.contains(&"next".to_string()));
    }

    /// The group writer ends with the runtime the database was opened on; a `Db` used on
    /// another one (a test's, a command's) writes its batches alone.
    #[test]
    fn a_db_outliving_its_runtime_still_writes() {
        let first = tokio::runtime::Runtime::new().unwrap();
        let db = first.block_on(scratch());
        drop(first);
        let second = tokio::runtime::Runtime::new().unwrap();
        second.block_on(async {
            db.write_all(inserts(&["after"])).await.unwrap();
            assert_eq!(rows(&db).await, ["after"]);
        });
    }

    #[tokio::test]
    async fn a_write_left_without_commit_is_rolled_back_before_the_next() {
        let db = scratch().await;
        let mut tx = db.begin_write().await.unwrap();
        let batch = inserts(&["left"]);
        batch.run(&mut tx).await.unwrap();
        drop(tx);
        let tx = db.begin_write().await.unwrap();
        let batch = inserts(&["kept"]);
        tx.commit_with(batch).await.unwrap();
        assert_eq!(rows(&db).await, ["kept"]);
    }

    #[tokio::test]
    async fn a_batch_that_fails_half_way_writes_nothing_and_the_next_writer_goes_on() {
        let db = scratch().await;
        let batch = inserts(&["first", "first"]); // the same key: fails
        let tx = db.begin_write().await.unwrap();
        assert!(tx.commit_with(batch).await.is_err());
        assert_eq!(rows(&db).await, Vec::<String>::new());
        let batch = inserts(&["second"]);
        let tx = db.begin_write().await.unwrap();
        tx.commit_with(batch).await.unwrap();
        assert_eq!(rows(&db).await, ["second"]);
    }

    #[tokio::test]
    async fn no_write_begins_once_closed() {
        let db = scratch().await;
        db.begin_write().await.unwrap().commit().await.unwrap();
        db.close().await;
        assert!(db.begin_write().await.is_err());
    }

    #[tokio::test]
    async fn a_write_begun_with_a_read_sees_the_row_and_holds_the_transaction() {
        let db = scratch().await;
        let batch = inserts(&["a"]);
        db.begin_write()
            .await
            .unwrap()
            .commit_with(batch)
            .await
            .unwrap();
        let read = "SELECT a FROM t WHERE a = $1";
        let (tx, row) = db
            .begin_write_reading(&[], read, vec!["a".into()])
            .await
            .unwrap();
        assert_eq!(col::<String>(&row.unwrap(), "a").unwrap(), "a");
        let batch = inserts(&["b"]);
        tx.commit_with(batch).await.unwrap();
        let (mut tx, row) = db
            .begin_write_reading(&[], read, vec!["z".into()])
            .await
            .unwrap();
        assert!(row.is_none());
        let batch = inserts(&["dropped"]);
        batch.run(&mut tx).await.unwrap();
        drop(tx);
        // A first query that fails leaves no transaction behind either.
        assert!(db
            .begin_write_reading(&[], "SELECT nope FROM t", vec![])
            .await
            .is_err());
        db.begin_write().await.unwrap().commit().await.unwrap();
        assert_eq!(rows(&db).await, ["a", "b"]);
    }

    #[tokio::test]
    async fn a_batch_written_at_once_lands_whole_or_not_at_all() {
        let db = scratch().await;
        let batch = inserts(&["one", "two"]);
        db.write_all(batch).await.unwrap();
        let batch = inserts(&["three", "one"]); // already there: fails
        assert!(db.write_all(batch).await.is_err());
        let batch = inserts(&["four"]);
        db.write_all(batch).await.unwrap();
        assert_eq!(rows(&db).await, ["four", "one", "two"]);
    }

    /// A request dropped half-way through its commit (the shopper's connection went away)
    /// leaves its transaction open on the writing connection; the next writer must neither
    /// fail nor see that transaction's rows.
    #[tokio::test]
    async fn a_writer_cancelled_half_way_leaves_nothing_behind() {
        let db = scratch().await;
        let tx = db.begin_write().await.unwrap();
        let mut batch = inserts(&["cancelled"]);
        // Long enough (a few hundred milliseconds) to be cancelled while it runs; the COMMIT
        // after it never comes.
        batch.push(
            "INSERT INTO t (a, b) SELECT 'slow', MAX(x) FROM (WITH RECURSIVE c(x) AS \
             (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3000000) SELECT x FROM c)",
            vec![],
        );
        let cancelled =
            tokio::time::timeout(Duration::from_millis(20), tx.commit_with(batch)).await;
        assert!(cancelled.is_err(), "the commit was cut short");
        let batch = inserts(&["next"]);
        db.write_all(batch).await.unwrap();
        assert_eq!(rows(&db).await, ["next"]);
    }
}
