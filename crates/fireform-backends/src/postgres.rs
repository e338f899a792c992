//! State in a PostgreSQL table: one row per state name, so one database holds many projects.
//!
//! # Protocol
//!
//! The table (created on first use) has the state's name, lineage, serial and document, and
//! the lock's id and info. A save is `UPDATE … WHERE serial = <the serial this run last read or
//! wrote>`: no row updated means another run wrote first, and the save is refused with nothing
//! lost. The lock is a session advisory lock, keyed by a hash of the table and the state name,
//! held on one dedicated connection for the whole run, plus the lock's info in the row, so that
//! "who holds it" and `force-unlock` work. PostgreSQL drops the advisory lock when the holder's
//! connection ends; a row that still names a holder while nobody holds the advisory lock was
//! left by a run that died, and only `force-unlock` with its id clears it. Saves go through the
//! locked connection, so a run that lost it stops before its next save.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use fireform_state::{Backend, Error, Holder, LockGuard, LockInfo, StateDocument};
use tokio_postgres::{Client, NoTls};

use crate::LocationError;
use crate::worker::Worker;

/// The longest pause between two attempts to take a held lock.
const MAX_LOCK_RETRY: Duration = Duration::from_millis(500);

/// A PostgreSQL state location: the connection settings, the table and the state's name.
#[derive(Clone, PartialEq, Eq)]
pub struct PgLocation {
    /// The connection string without fireform's own options (libpq URL or key=value).
    connection: String,
    /// `schema.table` or `table`, already checked to be plain identifiers.
    pub table: String,
    /// The state's name (the row's key).
    pub name: String,
}

impl std::fmt::Debug for PgLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

impl PgLocation {
    /// Parses `postgres://[user[:password]@]host[:port]/database[?options]` or
    /// `postgres:host=… dbname=…` (a libpq key=value string), where fireform's own options are
    /// `table=[schema.]table` (default `fireform_state`) and `name=STATE` (default `default`).
    pub fn parse(text: &str) -> Result<PgLocation, LocationError> {
        let malformed = || LocationError::Malformed {
            location: redact(text),
            expected: "postgres://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE[?table=[SCHEMA.]TABLE&name=STATE] or postgres:host=… dbname=… [table=…] [name=…]",
        };
        let mut table = "fireform_state".to_owned();
        let mut name = "default".to_owned();
        let connection = if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            let (base, query) = match text.split_once('?') {
                Some((base, query)) => (base, query),
                None => (text, ""),
            };
            let mut kept = Vec::new();
            for pair in query.split('&').filter(|pair| !pair.is_empty()) {
                match pair.split_once('=') {
                    Some(("table", value)) => value.clone_into(&mut table),
                    Some(("name", value)) => value.clone_into(&mut name),
                    _ => kept.push(pair),
                }
            }
            if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) }
        } else if let Some(pairs) = text.strip_prefix("postgres:") {
            let mut kept = Vec::new();
            for pair in pairs.split_whitespace() {
                match pair.split_once('=') {
                    Some(("table", value)) => value.clone_into(&mut table),
                    Some(("name", value)) => value.clone_into(&mut name),
                    Some(_) => kept.push(pair),
                    None => return Err(malformed()),
                }
            }
            kept.join(" ")
        } else {
            return Err(malformed());
        };
        let identifier = |part: &str| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && part.len() <= 63
        };
        let parts: Vec<&str> = table.split('.').collect();
        if parts.len() > 2 || !parts.iter().all(|part| identifier(part)) {
            return Err(LocationError::Settings(format!(
                "the state table `{table}` must be `table` or `schema.table`, plain identifiers"
            )));
        }
        if name.is_empty() || name.len() > 200 {
            return Err(LocationError::Settings(
                "the state `name` must be 1 to 200 characters".to_owned(),
            ));
        }
        connection.parse::<tokio_postgres::Config>().map_err(|_| malformed())?;
        Ok(PgLocation { connection, table, name })
    }

    /// The location without its password.
    pub fn display(&self) -> String {
        format!("{} (table `{}`, state `{}`)", redact(&self.connection), self.table, self.name)
    }

    fn quoted_table(&self) -> String {
        self.table.split('.').map(|part| format!("\"{part}\"")).collect::<Vec<_>>().join(".")
    }

    /// The advisory lock key's input: one per table and state.
    fn lock_key(&self) -> String {
        format!("fireform:{}:{}", self.table, self.name)
    }
}

/// A connection string with any password replaced by `***`.
fn redact(text: &str) -> String {
    if let Some((scheme, rest)) = text.split_once("://") {
        if let Some((userinfo, host)) = rest.split_once('@')
            && let Some((user, _)) = userinfo.split_once(':')
        {
            return format!("{scheme}://{user}:***@{host}");
        }
        return text.to_owned();
    }
    text.split_whitespace()
        .map(|pair| if pair.starts_with("password=") { "password=***" } else { pair })
        .collect::<Vec<_>>()
        .join(" ")
}

/// State kept in a PostgreSQL table.
#[derive(Debug)]
pub struct PgBackend {
    shared: Arc<Shared>,
}

struct Shared {
    location: PgLocation,
    config: tokio_postgres::Config,
    worker: Worker,
    /// The connection that holds the advisory lock, while this run holds it.
    session: tokio::sync::Mutex<Option<Client>>,
    /// The serial and lineage this run last read or wrote; `None` before any.
    seen: Mutex<Option<(u64, String)>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBackend").field("location", &self.location).finish_non_exhaustive()
    }
}

impl PgBackend {
    /// A backend for `location`; a password missing from it is taken from `PGPASSWORD`.
    pub fn new(
        location: PgLocation,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<PgBackend, LocationError> {
        let mut config: tokio_postgres::Config =
            location.connection.parse().map_err(|_| LocationError::Malformed {
                location: location.display(),
                expected: "a PostgreSQL connection string",
            })?;
        if config.get_password().is_none()
            && let Some(password) = lookup("PGPASSWORD")
        {
            config.password(password);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("fireform");
        let worker = Worker::new("fireform-pg").map_err(|error| {
            LocationError::Settings(format!("cannot start the PostgreSQL client: {error}"))
        })?;
        Ok(PgBackend {
            shared: Arc::new(Shared {
                location,
                config,
                worker,
                session: tokio::sync::Mutex::new(None),
                seen: Mutex::new(None),
            }),
        })
    }
}

fn run<T: Send + 'static>(
    shared: &Arc<Shared>,
    action: &'static str,
    work: impl std::future::Future<Output = Result<T, Error>> + Send + 'static,
) -> Result<T, Error> {
    shared.worker.run(work).unwrap_or_else(|| {
        Err(Error::Remote {
            action,
            location: shared.location.display(),
            source: "the PostgreSQL client stopped".into(),
        })
    })
}

impl Backend for PgBackend {
    fn load(&self) -> Result<Option<StateDocument>, Error> {
        let shared = Arc::clone(&self.shared);
        run(&self.shared, "read the state", async move { shared.load().await })
    }

    fn save(&self, document: &StateDocument) -> Result<(), Error> {
        let shared = Arc::clone(&self.shared);
        let (text, serial, lineage) =
            (document.to_json(), document.serial(), document.lineage().to_owned());
        run(
            &self.shared,
            "write the state",
            async move { shared.save(text, serial, lineage).await },
        )
    }

    fn lock(&self, info: LockInfo, timeout: Duration) -> Result<Box<dyn LockGuard>, Error> {
        let shared = Arc::clone(&self.shared);
        let held = info.clone();
        run(&self.shared, "take the state lock", async move { shared.lock(held, timeout).await })?;
        Ok(Box::new(PgLock { shared: Arc::clone(&self.shared), info, released: false }))
    }

    fn force_unlock(&self, lock_id: &str) -> Result<LockInfo, Error> {
        let shared = Arc::clone(&self.shared);
        let lock_id = lock_id.to_owned();
        run(
            &self.shared,
            "remove the state lock",
            async move { shared.force_unlock(&lock_id).await },
        )
    }

    fn describe(&self) -> String {
        format!("PostgreSQL state {}", self.shared.location.display())
    }
}

/// The lock this run holds: the advisory lock on the session connection, and the row's info.
#[derive(Debug)]
struct PgLock {
    shared: Arc<Shared>,
    info: LockInfo,
    released: bool,
}

impl PgLock {
    fn release_now(&mut self) -> Result<(), Error> {
        self.released = true;
        let shared = Arc::clone(&self.shared);
        let id = self.info.id.clone();
        run(&self.shared, "release the state lock", async move { shared.release(&id).await })
    }
}

impl LockGuard for PgLock {
    fn info(&self) -> &LockInfo {
        &self.info
    }

    fn release(mut self: Box<Self>) -> Result<(), Error> {
        self.release_now()
    }
}

impl Drop for PgLock {
    fn drop(&mut self) {
        if !self.released {
            let _ = self.release_now();
        }
    }
}

impl Shared {
    fn error(
        &self,
        action: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        Error::Remote { action, location: self.location.display(), source: source.into() }
    }

    fn sql_error(&self, action: &'static str) -> impl Fn(tokio_postgres::Error) -> Error + '_ {
        move |error| self.error(action, error)
    }

    fn path(&self) -> std::path::PathBuf {
        std::path::PathBuf::from(self.location.display())
    }

    async fn connect(&self, action: &'static str) -> Result<Client, Error> {
        // TLS as `sslmode` asks (libpq's default `prefer` tries it, then plain); `disable`
        // never.
        let client = if self.config.get_ssl_mode() == tokio_postgres::config::SslMode::Disable {
            let (client, connection) =
                self.config.connect(NoTls).await.map_err(self.sql_error(action))?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            client
        } else {
            let tls = crate::tls_config().map_err(|error| self.error(action, error))?;
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls);
            let (client, connection) =
                self.config.connect(tls).await.map_err(self.sql_error(action))?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            client
        };
        // Created on first use; concurrent first runs take turns through a transaction lock.
        let table = self.location.quoted_table();
        let ddl = format!(
            "SELECT pg_advisory_xact_lock(hashtextextended('fireform:create-table', 0)); \
             CREATE TABLE IF NOT EXISTS {table} (\
               name text PRIMARY KEY, lineage text, serial bigint NOT NULL DEFAULT 0, \
               document text, lock_id text, lock_info text, \
               updated_at timestamptz NOT NULL DEFAULT now())"
        );
        client
            .batch_execute(&format!("BEGIN; {ddl}; COMMIT"))
            .await
            .map_err(self.sql_error(action))?;
        Ok(client)
    }

    fn remember(&self, seen: Option<(u64, String)>) {
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = seen;
    }

    fn seen(&self) -> Option<(u64, String)> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The state's row, if there is one.
    async fn read_row(&self, client: &Client) -> Result<Option<Row>, Error> {
        let table = self.location.quoted_table();
        let row = client
            .query_opt(
                &format!(
                    "SELECT lineage, serial, document, lock_info FROM {table} WHERE name = $1"
                ),
                &[&self.location.name],
            )
            .await
            .map_err(self.sql_error("read the state"))?;
        Ok(row.map(|row| Row {
            lineage: row.get(0),
            serial: row.get::<_, i64>(1),
            document: row.get(2),
            lock_info: row.get(3),
        }))
    }

    async fn load(&self) -> Result<Option<StateDocument>, Error> {
        let session = self.session.lock().await;
        let own;
        let client = match session.as_ref() {
            Some(client) => client,
            None => {
                own = self.connect("read the state").await?;
                &own
            }
        };
        let row = self.read_row(client).await?;
        let Some(text) = row.and_then(|row| row.document) else {
            self.remember(None);
            return Ok(None);
        };
        let document = StateDocument::from_json(&text).map_err(|source| Error::Corrupt {
            path: self.path(),
            backup: None,
            source,
        })?;
        self.remember(Some((document.serial(), document.lineage().to_owned())));
        Ok(Some(document))
    }

    async fn save(&self, text: String, serial: u64, lineage: String) -> Result<(), Error> {
        let session = self.session.lock().await;
        let own;
        let client = match session.as_ref() {
            Some(client) if client.is_closed() => {
                return Err(self.error(
                    "write the state",
                    "the connection that holds the state lock was lost; nothing was written",
                ));
            }
            Some(client) => client,
            None => {
                own = self.connect("write the state").await?;
                &own
            }
        };
        let table = self.location.quoted_table();
        let serial_sql =
            i64::try_from(serial).map_err(|error| self.error("write the state", error))?;
        let written = match self.seen() {
            Some((old, old_lineage)) => {
                let old = i64::try_from(old).map_err(|error| self.error("write the state", error))?;
                if old_lineage != lineage {
                    return Err(Error::LineageConflict { path: self.path(), on_disk: old_lineage, writing: lineage });
                }
                client
                    .execute(
                        &format!(
                            "UPDATE {table} SET document = $1, serial = $2, updated_at = now() \
                             WHERE name = $3 AND serial = $4 AND lineage = $5 AND document IS NOT NULL"
                        ),
                        &[&text, &serial_sql, &self.location.name, &old, &lineage],
                    )
                    .await
            }
            None => {
                client
                    .execute(
                        &format!(
                            "INSERT INTO {table} (name, lineage, serial, document) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (name) DO UPDATE SET lineage = EXCLUDED.lineage, \
                             serial = EXCLUDED.serial, document = EXCLUDED.document, updated_at = now() \
                             WHERE {table}.document IS NULL"
                        ),
                        &[&self.location.name, &lineage, &serial_sql, &text],
                    )
                    .await
            }
        }
        .map_err(self.sql_error("write the state"))?;
        if written == 1 {
            self.remember(Some((serial, lineage)));
            return Ok(());
        }
        // Another run wrote first: say what is there, and change nothing.
        let row = self.read_row(client).await?;
        match row {
            Some(Row { lineage: Some(on_disk), .. }) if on_disk != lineage => {
                Err(Error::LineageConflict { path: self.path(), on_disk, writing: lineage })
            }
            Some(row) => Err(Error::SerialConflict {
                path: self.path(),
                on_disk: u64::try_from(row.serial).unwrap_or_default(),
                writing: serial,
            }),
            None => Err(self.error("write the state", "the state row vanished")),
        }
    }

    async fn lock(&self, info: LockInfo, timeout: Duration) -> Result<(), Error> {
        let client = self.connect("take the state lock").await?;
        let key = self.location.lock_key();
        let table = self.location.quoted_table();
        let info_text = serde_json::to_string(&info)
            .map_err(|error| self.error("take the state lock", error))?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(50);
        loop {
            let got: bool = client
                .query_one("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", &[&key])
                .await
                .map_err(self.sql_error("take the state lock"))?
                .get(0);
            let row = self.read_row(&client).await?;
            let holder = row
                .as_ref()
                .and_then(|row| row.lock_info.as_deref())
                .and_then(|text| serde_json::from_str::<LockInfo>(text).ok());
            if got {
                if let Some(holder) = holder {
                    // Nobody holds the advisory lock, yet the row names a holder: it died.
                    let _ = client
                        .execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", &[&key])
                        .await;
                    return Err(Error::Locked {
                        holder: Box::new(holder),
                        liveness: Holder::Gone,
                        waited: None,
                    });
                }
                client
                    .execute(
                        &format!(
                            "INSERT INTO {table} (name, lock_id, lock_info) VALUES ($1, $2, $3) \
                             ON CONFLICT (name) DO UPDATE SET lock_id = $2, lock_info = $3"
                        ),
                        &[&self.location.name, &info.id, &info_text],
                    )
                    .await
                    .map_err(self.sql_error("take the state lock"))?;
                *self.session.lock().await = Some(client);
                return Ok(());
            }
            let waited = started.elapsed();
            if waited >= timeout {
                let holder = holder.unwrap_or_else(|| LockInfo {
                    id: "(unknown)".to_owned(),
                    pid: 0,
                    host: "(unknown)".to_owned(),
                    user: "(unknown)".to_owned(),
                    command: "(a run that has not recorded itself yet)".to_owned(),
                    created: String::new(),
                    version: String::new(),
                });
                return Err(Error::Locked {
                    holder: Box::new(holder),
                    liveness: Holder::Running,
                    waited: (!timeout.is_zero()).then_some(waited),
                });
            }
            tokio::time::sleep(pause.min(timeout.saturating_sub(waited))).await;
            pause = (pause * 2).min(MAX_LOCK_RETRY);
        }
    }

    async fn release(&self, lock_id: &str) -> Result<(), Error> {
        let Some(client) = self.session.lock().await.take() else { return Ok(()) };
        let cleared = self.clear_lock(&client, lock_id, "release the state lock").await?;
        // Closing the session drops the advisory lock too.
        drop(client);
        if cleared == 1 { Ok(()) } else { Err(Error::LockLost { path: self.path() }) }
    }

    /// Clears the row's lock if it is still `lock_id`'s: how many rows changed (0 or 1).
    async fn clear_lock(
        &self,
        client: &Client,
        lock_id: &str,
        action: &'static str,
    ) -> Result<u64, Error> {
        let table = self.location.quoted_table();
        client
            .execute(
                &format!(
                    "UPDATE {table} SET lock_id = NULL, lock_info = NULL \
                     WHERE name = $1 AND lock_id = $2"
                ),
                &[&self.location.name, &lock_id],
            )
            .await
            .map_err(self.sql_error(action))
    }

    async fn force_unlock(&self, lock_id: &str) -> Result<LockInfo, Error> {
        let client = self.connect("remove the state lock").await?;
        let row = self.read_row(&client).await?;
        let Some(holder) = row
            .as_ref()
            .and_then(|row| row.lock_info.as_deref())
            .and_then(|text| serde_json::from_str::<LockInfo>(text).ok())
        else {
            return Err(Error::NotLocked { path: self.path() });
        };
        if holder.id != lock_id {
            return Err(Error::LockIdMismatch {
                given: lock_id.to_owned(),
                holder: Box::new(holder),
            });
        }
        // A live holder's session is ended, so it stops before its next save.
        let key = self.location.lock_key();
        client
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' \
                 AND granted AND objsubid = 1 \
                 AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)",
                &[&key],
            )
            .await
            .map_err(self.sql_error("remove the state lock"))?;
        let cleared = self.clear_lock(&client, lock_id, "remove the state lock").await?;
        if cleared == 1 {
            Ok(holder)
        } else {
            Err(self.error(
                "remove the state lock",
                "the lock changed while it was being removed; look again",
            ))
        }
    }
}

struct Row {
    lineage: Option<String>,
    serial: i64,
    document: Option<String>,
    lock_info: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_with_fireforms_options_taken_out() {
        let location = PgLocation::parse(
            "postgres://ci:s3cret@db.example:5433/infra?table=ops.states&name=prod&sslmode=disable",
        )
        .unwrap();
        assert_eq!(location.table, "ops.states");
        assert_eq!(location.name, "prod");
        assert_eq!(
            location.connection,
            "postgres://ci:s3cret@db.example:5433/infra?sslmode=disable"
        );
        assert!(!location.display().contains("s3cret"), "{}", location.display());
        let pairs = PgLocation::parse(
            "postgres:host=127.0.0.1 port=5432 user=ci password=pw dbname=x name=dev",
        )
        .unwrap();
        assert_eq!(pairs.name, "dev");
        assert_eq!(pairs.table, "fireform_state");
        assert!(!pairs.display().contains("=pw"), "{}", pairs.display());
        for bad in
            ["postgres://h/db?table=a.b.c", "postgres://h/db?table=x;drop", "postgres:nonsense"]
        {
            assert!(PgLocation::parse(bad).is_err(), "{bad}");
        }
    }
}
