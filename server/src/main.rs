//! `server [serve]`, `server migrate`, `server user create --email E --password P [--phone N]`,
//! `server user flag|unflag --email E`.

use anyhow::{bail, Context};
use backend::outbox::{run_sender, DevOutbox, Transport};
use backend::sms::{ByChannel, HttpSms};
use backend::smtp::Smtp;
use backend::{AppState, Config};
use leptos::config::get_configuration;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage:
  server [serve]                 migrate the database and serve (default)
  server migrate                 apply database migrations and exit
  server user create --email E --password P [--phone N]
                                 create a confirmed account
  server user flag --email E     always ask this account for the SMS step when it
                                 recovers
  server user unflag --email E   back to the SMS policy
  server hash-ceiling SECS       hash at the configured argon2id cost on every core for SECS
                                 seconds and print hashes per second (`make bench`)";

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args == ["serve"] {
        // Before the runtime starts its threads, which inherit it (see `server::scheduling`).
        if let Err(e) = server::scheduling::batch() {
            tracing::warn!(error = %e, "threads keep the default scheduling policy");
        }
    }
    let config = Config::from_env().context("configuration")?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.request_threads)
        .enable_all()
        .build()
        .context("starting the runtime")?
        .block_on(run(&args, config))
}

async fn run(args: &[String], config: Config) -> anyhow::Result<()> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] | ["serve"] => serve(config).await,
        ["migrate"] => {
            let db = backend::Db::connect(&config.database_url)
                .await
                .context("opening the database")?;
            db.migrate().await.context("migrating")?;
            println!("migrations applied to {}", redact(&config.database_url));
            Ok(())
        }
        ["hash-ceiling", secs] => {
            let secs = secs
                .parse::<f64>()
                .ok()
                .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok())
                .filter(|s| !s.is_zero() && s.as_secs() < 3_600)
                .context("hash-ceiling takes a number of seconds under an hour, e.g. 3")?;
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let rate = backend::hasher::ceiling(config.argon2_cost(), cores, secs)?;
            println!("{rate:.1}");
            Ok(())
        }
        ["user", "create", rest @ ..] => create_user(config, rest).await,
        ["user", verb @ ("flag" | "unflag"), "--email", email] => {
            let state = AppState::start(config).await.context("starting")?;
            let found = backend::accounts::set_flag(&state, email, *verb == "flag").await?;
            if !found {
                bail!("no account uses that e-mail address");
            }
            println!(
                "{verb}ged {}",
                domain::Email::parse(email)
                    .map(|e| e.masked())
                    .unwrap_or_default()
            );
            Ok(())
        }
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("unknown command\n{USAGE}"),
    }
}

async fn create_user(config: Config, args: &[&str]) -> anyhow::Result<()> {
    let (mut email, mut password, mut phone) = (None, None, "");
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .with_context(|| format!("{flag} needs a value\n{USAGE}"))?;
        match *flag {
            "--email" => email = Some(*value),
            "--password" => password = Some(*value),
            "--phone" => phone = value,
            other => bail!("unknown option {other}\n{USAGE}"),
        }
    }
    let (Some(email), Some(password)) = (email, password) else {
        bail!("--email and --password are required\n{USAGE}")
    };
    let state = AppState::start(config).await.context("starting")?;
    let id = backend::accounts::create_user(&state, email, password, phone).await?;
    println!(
        "created account {id} for {}",
        domain::Email::parse(email)
            .map(|e| e.masked())
            .unwrap_or_default()
    );
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let leptos = get_configuration(None).context("reading the Leptos configuration")?;
    let mut options = leptos.leptos_options;
    server::site::prepare(&mut options);
    let files = server::site::Files::named(&options)?;
    files.check(&options)?;
    let addr: SocketAddr = options.site_addr;
    let dev = config.is_dev();
    let database = redact(&config.database_url);
    let state = AppState::start(config).await.context("starting")?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Production always has SMTP_URL (the configuration refuses to start without it); in
    // development it is optional and the dev outbox is the default.
    let dev_outbox: Arc<dyn Transport> =
        Arc::new(DevOutbox::new(state.db.clone(), state.clock.clone()));
    let cfg = &state.config;
    let email: Arc<dyn Transport> = match &cfg.smtp_url {
        Some(url) => Arc::new(Smtp::new(url, &cfg.mail_from)?),
        None => dev_outbox.clone(),
    };
    let sms: Arc<dyn Transport> = match &cfg.sms_url {
        Some(url) => Arc::new(HttpSms::new(
            url,
            &cfg.sms_account,
            &cfg.sms_token,
            &cfg.sms_from,
        )?),
        None => dev_outbox,
    };
    let transport: Arc<dyn Transport> = Arc::new(ByChannel { email, sms });
    let smtp = cfg.smtp_url.is_some();
    let sender = tokio::spawn(run_sender(
        state.db.clone(),
        transport,
        state.clock.clone(),
        Duration::from_millis(200),
        {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        },
    ));

    let db = state.db.clone();
    let router = server::app(state, options, &files);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    println!("Rekey is serving on http://{addr} (database: {database})");
    if dev && !smtp {
        println!("Development mode: e-mails are not sent; read them at http://{addr}/dev/outbox");
    }
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("serving")?;
    let _ = stop_tx.send(true);
    let _ = sender.await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// A database URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}
