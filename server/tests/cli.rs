//! The server's command line, run as a real process on a real SQLite file.

use std::process::{Command, Output};

fn server(db: &str, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.args(args)
        .env("DATABASE_URL", db)
        .env("HASH_THREADS", "1")
        .env("RUST_LOG", "warn")
        .env_remove("REKEY_ENV");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.output().expect("run the server binary")
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[test]
fn migrate_and_create_users() {
    let dir = std::env::temp_dir().join(format!("rekey-cli-{}", std::process::id()));
    let db = format!("sqlite://{}/data/rekey.db", dir.display());

    let out = server(&db, &["migrate"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("migrations applied"));
    assert!(
        dir.join("data/rekey.db").exists(),
        "the data folder and database are created"
    );

    let create = [
        "user",
        "create",
        "--email",
        "ops@example.com",
        "--password",
        "Tangerine7Harbor",
        "--phone",
        "+44 7700 900789",
    ];
    let out = server(&db, &create, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("o***s@example.com"),
        "the address is masked: {}",
        text(&out.stdout)
    );

    let out = server(&db, &create, &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );

    let out = server(
        &db,
        &[
            "user",
            "create",
            "--email",
            "weak@example.com",
            "--password",
            "password",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("password:"),
        "{}",
        text(&out.stderr)
    );

    let out = server(&db, &["user", "create", "--email", "x@example.com"], &[]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--email and --password are required"));

    // Operators flag an account for the SMS step, and lift the flag.
    let out = server(&db, &["user", "flag", "--email", "ops@example.com"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("flagged o***s@example.com"));
    let out = server(&db, &["user", "unflag", "--email", "ops@example.com"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = server(&db, &["user", "flag", "--email", "nobody@example.com"], &[]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no account uses that e-mail address"));

    let out = server(&db, &["frobnicate"], &[]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("usage:"));
}

#[test]
fn bad_configuration_names_the_variable() {
    let out = server(
        "sqlite://unused.db",
        &["migrate"],
        &[("SESSION_MAX_DAYS", "soon")],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("SESSION_MAX_DAYS=\"soon\" is not valid"),
        "{}",
        text(&out.stderr)
    );

    let out = server(
        "sqlite://unused.db",
        &["serve"],
        &[("REKEY_ENV", "production")],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("SECRET_KEY must be set in production mode"),
        "{}",
        text(&out.stderr)
    );
}
