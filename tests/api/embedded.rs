//! The embedded PostgreSQL cluster for a data directory its user cannot
//! reach: a checkout in `/root` (mode 700) run as root, where the cluster
//! runs as `postgres`. Driven through the real `pureboot` binary, as
//! `scripts/run` and `scripts/test` do. (Run as another user, the cluster
//! runs as that user and these pass trivially: CI runs as root.)

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use uuid::Uuid;

/// A fresh directory only its owner may enter, like a home directory.
fn private_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pbt-home-{}", Uuid::new_v4().simple()));
    std::fs::create_dir(&dir).expect("create");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod 700");
    dir
}

fn pureboot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pureboot"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_BACKTRACE", "1")
        .env("PUREBOOT_LOG_LEVEL", "warn")
        .output()
        .expect("pureboot runs")
}

fn text(output: &[u8]) -> String {
    String::from_utf8_lossy(output).into_owned()
}

fn remove(cluster: &Path) {
    let out = pureboot(&["embedded-db", "stop", "--remove", &cluster.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test]
async fn the_embedded_cluster_starts_and_answers_for_a_directory_under_a_mode_700_one() {
    // Given a data directory inside a mode-700 directory
    let home = private_dir();
    let cluster = home.join("checkout/target/test-pg");
    let before = std::fs::metadata(&home).expect("stat");

    // When the cluster is started there (as scripts/test does)
    let out = pureboot(&["embedded-db", "start", "--fast", &cluster.display().to_string()]);

    // Then it starts and answers
    assert!(out.status.success(), "{}", text(&out.stderr));
    let url = text(&out.stdout).trim().to_owned();
    let config: tokio_postgres::Config = url.parse().expect("a connection string");
    let client = pureboot::db::connect(&config).await.expect("the cluster answers");
    let one: i32 = client.query_one("SELECT 1", &[]).await.expect("query").get(0);
    assert_eq!(one, 1);
    // and the private directory was left as it was: nothing loosened
    let after = std::fs::metadata(&home).expect("stat");
    assert_eq!((after.mode(), after.uid(), after.gid()), (before.mode(), before.uid(), before.gid()));

    remove(&cluster);
    assert!(!cluster.exists(), "stop --remove deletes the requested directory");
    std::fs::remove_dir_all(home).expect("cleanup");
}

#[tokio::test]
async fn a_data_dir_given_on_the_command_line_under_a_mode_700_directory_works() {
    // Given PUREBOOT_DATA_DIR inside a mode-700 directory
    let home = private_dir();
    let data = home.join("data");

    // When a command that needs the database runs with it
    let out = pureboot(&["--data-dir", &data.display().to_string(), "migrate"]);

    // Then it succeeds
    assert!(out.status.success(), "{}", text(&out.stderr));
    remove(&data.join("postgres"));
    std::fs::remove_dir_all(home).expect("cleanup");
}

#[test]
fn a_user_error_is_one_line_saying_what_to_do_and_exit_status_1() {
    // Given a database that is not there (and backtraces asked for)
    // When a command needs it
    let out = Command::new(env!("CARGO_BIN_EXE_pureboot"))
        .args(["--database-url", "postgres://nobody@127.0.0.1:1/none", "migrate"])
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("pureboot runs");

    // Then it fails with one line naming what to check, and no backtrace
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("pureboot: ") && stderr.contains("DATABASE_URL"), "{stderr}");
}
