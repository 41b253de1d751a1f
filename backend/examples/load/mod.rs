//! Shared by the load tools (`make soak`): the release server as a child process on a fresh
//! database, a keep-alive HTTP/1 client, latency figures and the server's memory.

#![allow(dead_code)]

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// The server under load.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub database_url: String,
}

/// A fresh database for one run: a SQLite file in a directory of its own, or with `postgres` a
/// new database on the server named by `TEST_POSTGRES_URL`.
///
/// Dropped (once the server using it has stopped), it removes what it made: a run leaves
/// ~120 MB behind. A run cut short leaves it; `scripts/postgres.sh --tidy`, run by `make test`,
/// drops leftover `rekey_load_*` databases.
pub struct Scratch {
    pub url: String,
    made: Made,
}

enum Made {
    /// The SQLite file's directory.
    Directory(std::path::PathBuf),
    /// The PostgreSQL server's URL (a database to connect to) and the database's name.
    Database { server: String, name: String },
}

impl Drop for Scratch {
    fn drop(&mut self) {
        match &self.made {
            Made::Directory(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Made::Database { server, name } => {
                // Drop cannot wait on the caller's runtime: a thread with its own does the drop.
                let (server, name) = (server.clone(), name.clone());
                let dropped = std::thread::spawn(move || {
                    use sqlx::Connection;
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| e.to_string())?;
                    runtime.block_on(async {
                        let mut admin = sqlx::AnyConnection::connect(&server)
                            .await
                            .map_err(|e| e.to_string())?;
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        sqlx::query(sqlx::AssertSqlSafe(sql))
                            .execute(&mut admin)
                            .await
                            .map(drop)
                            .map_err(|e| e.to_string())
                    })
                })
                .join();
                if let Ok(Err(e)) = dropped {
                    eprintln!("could not drop the scratch database {}: {e}", self.url);
                }
            }
        }
    }
}

/// Makes a [`Scratch`] database: `postgres`, else SQLite.
pub async fn fresh_database(kind: &str) -> Scratch {
    let id = format!(
        "{}_{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    );
    if kind == "postgres" {
        use sqlx::Connection;
        let base =
            std::env::var("TEST_POSTGRES_URL").expect("TEST_POSTGRES_URL (make soak sets it)");
        sqlx::any::install_default_drivers();
        let name = format!("rekey_load_{id}");
        let mut admin = sqlx::AnyConnection::connect(&base)
            .await
            .expect("connect to PostgreSQL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create the database");
        let (prefix, _) = base.rsplit_once('/').expect("a database path");
        Scratch {
            url: format!("{prefix}/{name}"),
            made: Made::Database { server: base, name },
        }
    } else {
        let dir = std::env::temp_dir().join(format!("rekey-load-{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch {
            url: format!("sqlite://{}/rekey.db", dir.display()),
            made: Made::Directory(dir),
        }
    }
}

/// The release binary (`SERVER_BIN`, else the warm target directory's).
pub fn server_bin() -> String {
    std::env::var("SERVER_BIN").unwrap_or_else(|_| {
        let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
        format!("{target}/release/server")
    })
}

/// Runs `server <args>` against `database_url`, waits for it and returns what it printed.
pub fn server_command(database_url: &str, args: &[&str]) -> String {
    let out = Command::new(server_bin())
        .args(args)
        .env("DATABASE_URL", database_url)
        .output()
        .expect("run the server binary");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Server {
    /// Starts the server on a free port and waits for `/healthz`.
    pub async fn start(database_url: &str, extra: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = Command::new(server_bin());
        cmd.arg("serve")
            .env("REKEY_ENV", "development")
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_OUTPUT_NAME", "rekey")
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("LEPTOS_SITE_PKG_DIR", "pkg")
            .env("LEPTOS_ENV", "PROD")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let server = Server {
            child: cmd.spawn().expect("start the server"),
            port,
            database_url: database_url.to_string(),
        };
        let started = Instant::now();
        loop {
            if let Ok(mut c) = Client::connect(port).await {
                if c.send("GET", "/healthz", "", "").await.map(|r| r.status) == Ok(200) {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the server did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    /// Resident memory of the server process, in MiB.
    pub fn rss_mib(&self) -> f64 {
        rss_mib(self.child.id())
    }

    /// The part of [`rss_mib`](Self::rss_mib) that is the SQLite file's memory map, in MiB.
    pub fn mapped_database_mib(&self) -> f64 {
        mapped_database_mib(self.child.id())
    }

    /// The server's own memory, in MiB: see [`own_memory_mib`].
    pub fn own_memory_mib(&self) -> f64 {
        own_memory_mib(self.child.id())
    }

    /// CPU seconds (user + system) the server's threads named `prefix…` have used so far.
    pub fn thread_cpu_secs(&self, prefix: &str) -> f64 {
        thread_cpu_secs(self.child.id(), prefix)
    }
}

/// CPU seconds used by the threads of process `pid` whose name starts with `prefix`, from
/// `/proc/<pid>/task/*/stat` (0 when it cannot be read).
pub fn thread_cpu_secs(pid: u32, prefix: &str) -> f64 {
    cpu_secs(&format!("/proc/{pid}/task"), prefix)
}

/// CPU seconds used by the running processes whose name starts with `prefix` (PostgreSQL's).
pub fn process_cpu_secs(prefix: &str) -> f64 {
    cpu_secs("/proc", prefix)
}

/// User + system CPU of the entries of `dir` (each with a `stat`) named `prefix…`, in seconds:
/// Linux counts in USER_HZ, 100 a second.
fn cpu_secs(dir: &str, prefix: &str) -> f64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0.0;
    };
    let ticks: u64 = entries
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("stat")).ok())
        .filter_map(|stat| {
            // "id (name) state ppid …": the name may hold spaces, so split at its parentheses.
            let (name, rest) = stat.split_once(" (")?.1.rsplit_once(") ")?;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            // After the name: state is field 3 of proc_pid_stat(5), utime 14 and stime 15.
            let (user, system) = (fields.get(11)?, fields.get(12)?);
            name.starts_with(prefix)
                .then(|| Some(user.parse::<u64>().ok()? + system.parse::<u64>().ok()?))?
        })
        .sum();
    ticks as f64 / 100.0
}

/// Resident memory of process `pid`, in MiB (0 when it cannot be read).
pub fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(kib)
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A `/proc` size field's value (`   1234 kB`), in KiB.
fn kib(value: &str) -> Option<f64> {
    value.trim().trim_end_matches("kB").trim().parse().ok()
}

/// Resident pages of the SQLite database file that process `pid` has mapped (SQLite reads the
/// file through a memory map), in MiB, from `/proc/<pid>/smaps`: page cache shared with the
/// kernel, counted in RSS once read, growing with the file (0 on PostgreSQL).
pub fn mapped_database_mib(pid: u32) -> f64 {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut in_database = false;
    let mut kb = 0.0;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or_default();
        if first.contains('-') && !first.ends_with(':') {
            // A mapping's header: `start-end perms offset dev inode [path]`.
            in_database = line.trim_end().ends_with(".db");
        } else if let Some(v) = line.strip_prefix("Rss:").filter(|_| in_database) {
            kb += kib(v).unwrap_or(0.0);
        }
    }
    kb / 1024.0
}

/// Resident memory of process `pid` without the SQLite file's memory map, in MiB: what the
/// server itself holds (the map grows with the file and is the kernel's page cache).
pub fn own_memory_mib(pid: u32) -> f64 {
    rss_mib(pid) - mapped_database_mib(pid)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One answer.
pub struct Answer {
    pub status: u16,
    /// From sending the request to the response head (time to first byte).
    pub head: Duration,
    pub set_cookie: Vec<String>,
    pub body: Bytes,
}

/// One keep-alive connection.
pub struct Client {
    port: u16,
    sender: SendRequest<Full<Bytes>>,
    /// Sent as `X-Forwarded-For` when set: the shopper this request stands for, believed by a
    /// server started with `TRUSTED_PROXIES=127.0.0.1` (many shoppers, not one address).
    pub forwarded: String,
}

impl Client {
    pub async fn connect(port: u16) -> Result<Client, String> {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| e.to_string())?;
        stream.set_nodelay(true).ok();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        Ok(Client {
            port,
            sender,
            forwarded: String::new(),
        })
    }

    /// `GET path` (a page) or `POST path` with a form body (a server function).
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        cookie: &str,
        form: &str,
    ) -> Result<Answer, String> {
        if self.sender.is_closed() {
            let forwarded = std::mem::take(&mut self.forwarded);
            *self = Client::connect(self.port).await?;
            self.forwarded = forwarded;
        }
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", format!("127.0.0.1:{}", self.port));
        if method == "POST" {
            req = req
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json");
        } else {
            req = req.header("accept", "text/html");
        }
        if !cookie.is_empty() {
            req = req.header("cookie", cookie);
        }
        if !self.forwarded.is_empty() {
            req = req.header("x-forwarded-for", &self.forwarded);
        }
        let req = req
            .body(Full::new(Bytes::from(form.to_string())))
            .map_err(|e| e.to_string())?;
        self.sender.ready().await.map_err(|e| e.to_string())?;
        let sent = Instant::now();
        let res = self
            .sender
            .send_request(req)
            .await
            .map_err(|e| e.to_string())?;
        let head = sent.elapsed();
        let status = res.status().as_u16();
        let set_cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().to_string())
            .collect();
        let body = res
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok(Answer {
            status,
            head,
            set_cookie,
            body,
        })
    }
}

/// Latencies of one kind of request, in microseconds.
#[derive(Default, Clone)]
pub struct Latencies(pub Vec<u64>);

impl Latencies {
    pub fn add(&mut self, d: Duration) {
        self.0.push(d.as_micros() as u64);
    }

    pub fn merge(&mut self, other: &Latencies) {
        self.0.extend_from_slice(&other.0);
    }

    /// The `q` quantile (0–1) in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let mut v = self.0.clone();
        v.sort_unstable();
        let i = ((v.len() as f64 - 1.0) * q).round() as usize;
        v[i] as f64 / 1000.0
    }
}
