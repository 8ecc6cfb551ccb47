//! `/healthz` and `/metrics`, scraped over HTTP from a server on port 0.

use std::net::SocketAddr;
use std::time::Duration;

use metarr_plex::service::health::{HealthBody, HealthServer, HealthSources};
use metarr_plex::service::heartbeat::Heartbeats;
use metarr_plex::service::metrics::Metrics;
use metarr_plex::service::status::{ServiceStatus, StatusBoard};
use tokio_util::sync::CancellationToken;

struct Running {
    addr: SocketAddr,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), metarr_plex::service::health::HealthError>>,
}

async fn start(sources: HealthSources) -> Running {
    let server = HealthServer::bind("127.0.0.1:0".parse().unwrap(), sources)
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(server.serve(shutdown.clone()));
    Running {
        addr,
        shutdown,
        task,
    }
}

fn sources() -> HealthSources {
    HealthSources {
        heartbeats: Heartbeats::new(),
        status: StatusBoard::new(),
        metrics: Metrics::new(),
    }
}

async fn get(addr: SocketAddr, path: &str) -> reqwest::Response {
    reqwest::get(format!("http://{addr}{path}")).await.unwrap()
}

#[tokio::test]
async fn healthz_is_ok_and_names_the_state_while_plex_is_down() {
    let s = sources();
    let _engine = s.heartbeats.register("engine", Duration::from_secs(60));
    // Plex is unreachable: the listener backs off. Health does not care.
    s.status
        .set(ServiceStatus::reconnecting(7, Duration::from_secs(12)));
    let run = start(s).await;

    let resp = get(run.addr, "/healthz").await;
    assert_eq!(resp.status(), 200);
    let body: HealthBody = resp.json().await.unwrap();
    assert_eq!(body.status, "ok");
    assert_eq!(body.connection, "reconnecting");
    assert_eq!(body.detail, "reconnecting (attempt 7, next in 12 s)");
    assert!(body.stalled.is_empty());

    run.shutdown.cancel();
    run.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn healthz_is_503_naming_the_loop_that_stalled() {
    let s = sources();
    let _listener = s.heartbeats.register("listener", Duration::from_secs(60));
    let _engine = s.heartbeats.register("engine", Duration::from_millis(1));
    // Waiting longer can only make the engine more overdue.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let run = start(s).await;

    let resp = get(run.addr, "/healthz").await;
    assert_eq!(resp.status(), 503);
    let body: HealthBody = resp.json().await.unwrap();
    assert_eq!(body.status, "stalled");
    assert_eq!(body.stalled.len(), 1);
    assert!(body.stalled[0].starts_with("engine silent for"), "{body:?}");

    run.shutdown.cancel();
}

#[tokio::test]
async fn metrics_scrape_shows_what_the_parts_reported() {
    let s = sources();
    let metrics = s.metrics.clone();
    let url = url::Url::parse("http://127.0.0.1:32400").unwrap();
    s.status.set(ServiceStatus::connected("1.41.3", &url));
    let run = start(s).await;

    metrics.event_seen("library.scan.ended");
    metrics.event_seen("playback.stopped");
    metrics.event_seen("playback.stopped");
    metrics.rule_run("analyze-after-playback", "done");
    metrics.rule_run("analyze-after-playback", "done");
    metrics.rule_run("rematch-tmdb-from-folder", "failed");
    metrics.action_outcome("analyze", "done");
    metrics.set_queue_depth(3);
    metrics.set_dead_letters(2);
    metrics.plex_request(Duration::from_millis(8), Some(200));
    metrics.plex_request(Duration::from_millis(700), Some(503));

    let resp = get(run.addr, "/metrics").await;
    assert_eq!(resp.status(), 200);
    let ctype = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    let text = resp.text().await.unwrap();
    let value = |series: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
            .parse()
            .unwrap()
    };
    assert_eq!(
        value("metarr_plex_events_total{name=\"playback.stopped\"}"),
        2.0
    );
    assert_eq!(
        value("metarr_plex_events_total{name=\"library.scan.ended\"}"),
        1.0
    );
    assert_eq!(
        value("metarr_plex_rule_runs_total{rule=\"analyze-after-playback\",outcome=\"done\"}"),
        2.0
    );
    assert_eq!(
        value("metarr_plex_rule_runs_total{rule=\"rematch-tmdb-from-folder\",outcome=\"failed\"}"),
        1.0
    );
    assert_eq!(
        value("metarr_plex_action_outcomes_total{action=\"analyze\",outcome=\"done\"}"),
        1.0
    );
    assert_eq!(value("metarr_plex_queue_depth"), 3.0);
    assert_eq!(value("metarr_plex_dead_letters"), 2.0);
    // The state follows the status board without anyone setting it.
    assert_eq!(
        value("metarr_plex_connection_state{state=\"connected\"}"),
        1.0
    );
    assert_eq!(
        value("metarr_plex_connection_state{state=\"starting\"}"),
        0.0
    );
    assert!(value("metarr_plex_last_event_age_seconds") < 5.0);
    assert_eq!(
        value("metarr_plex_plex_request_duration_seconds_bucket{status=\"503\",le=\"0.5\"}"),
        0.0
    );
    assert_eq!(
        value("metarr_plex_plex_request_duration_seconds_bucket{status=\"503\",le=\"1\"}"),
        1.0
    );
    assert_eq!(
        value("metarr_plex_plex_request_duration_seconds_count{status=\"200\"}"),
        1.0
    );

    run.shutdown.cancel();
    run.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_busy_port_is_a_clear_error() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap();
    let err = HealthServer::bind(addr, sources()).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&addr.to_string()) && msg.contains("[health] listen"),
        "{msg}"
    );
}

#[test]
fn config_health_listen_is_opt_in_and_checked() {
    use metarr_plex::config::Config;
    let path = std::path::Path::new("/etc/metarr-plex/config.toml");

    let none = Config::from_str_at(path, "").unwrap();
    assert_eq!(none.health.listen, None);

    let on = Config::from_str_at(path, "[health]\nlisten = \"127.0.0.1:9847\"\n").unwrap();
    assert_eq!(on.health.listen, Some("127.0.0.1:9847".parse().unwrap()));
    assert!(on.warnings.is_empty());

    let wide = Config::from_str_at(path, "[health]\nlisten = \"0.0.0.0:9847\"\n").unwrap();
    assert!(
        wide.warnings[0].contains("beyond loopback"),
        "{:?}",
        wide.warnings
    );

    let bad = Config::from_str_at(path, "[health]\nlisten = \"localhost\"\n")
        .unwrap_err()
        .to_string();
    assert!(bad.contains("config.toml:2:10"), "{bad}");
    assert!(bad.contains("must be an IP address and port"), "{bad}");
    assert!(bad.contains("127.0.0.1:9847"), "{bad}");

    let typo = Config::from_str_at(path, "[health]\nlisen = \"127.0.0.1:1\"\n")
        .unwrap_err()
        .to_string();
    assert!(typo.contains("did you mean `listen`?"), "{typo}");
}
