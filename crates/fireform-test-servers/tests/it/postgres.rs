//! Throwaway PostgreSQL clusters.

use fireform_test_servers::Postgres;

use crate::listening;

#[test]
fn cluster_starts_answers_and_stops() {
    let postgres = Postgres::start();
    eprintln!("postgres started in {:?}", postgres.started_in());
    assert_eq!(postgres.psql("SELECT 1"), "1");
    assert_eq!(postgres.psql("SHOW listen_addresses"), "127.0.0.1");
    assert_eq!(postgres.psql("SELECT current_user"), postgres.user());
    assert_eq!(
        postgres.url(),
        format!("postgres://postgres@127.0.0.1:{}/postgres", postgres.port())
    );
    assert!(postgres.psql("SELECT version()").starts_with("PostgreSQL "));
    let (port, data_dir) = (postgres.port(), postgres.data_dir().to_owned());
    assert!(data_dir.join("PG_VERSION").is_file());
    drop(postgres);
    assert!(!listening(port, false), "the server still listens on {port} after drop");
    assert!(!data_dir.exists(), "`{}` is left after drop", data_dir.display());
}

#[test]
fn two_clusters_run_at_once() {
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(Postgres::start);
        let second = scope.spawn(Postgres::start);
        (first.join().unwrap(), second.join().unwrap())
    });
    assert_ne!(first.port(), second.port());
    first.create_database("states");
    first.psql("CREATE TABLE marker (id int)");
    assert_eq!(first.psql("SELECT count(*) FROM pg_database WHERE datname = 'states'"), "1");
    assert_eq!(second.psql("SELECT count(*) FROM pg_database WHERE datname = 'states'"), "0");
    assert_eq!(second.psql("SELECT to_regclass('marker') IS NULL"), "t");
    assert!(first.url_for("states").ends_with("/states"));
}
