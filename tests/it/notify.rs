//! sd_notify as systemd would receive it: datagrams on a socket in a temp dir.

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::time::Duration;

use metarr_plex::service::heartbeat::Heartbeats;
use metarr_plex::service::sd_notify::{Notifier, Supervisor};
use metarr_plex::service::status::{ServiceStatus, StatusBoard};
use tokio::time::sleep;
use tokio_util::sync::CancellationToken;

/// A stand-in for systemd's notification socket.
fn socket(dir: &Path) -> (UnixDatagram, std::path::PathBuf) {
    let path = dir.join("notify.sock");
    let sock = UnixDatagram::bind(&path).unwrap();
    sock.set_nonblocking(true).unwrap();
    (sock, path)
}

/// Every datagram received so far, one string each.
fn drain(sock: &UnixDatagram) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = sock.recv(&mut buf) {
        out.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    out
}

fn watchdogs(msgs: &[String]) -> usize {
    msgs.iter().filter(|m| m.as_str() == "WATCHDOG=1\n").count()
}

/// A task standing in for a core loop: beats every 400 ms until aborted.
fn beating(hb: metarr_plex::service::heartbeat::Heartbeat) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            hb.beat();
            sleep(Duration::from_millis(400)).await;
        }
    })
}

#[tokio::test(start_paused = true)]
async fn watchdog_pings_only_while_every_loop_beats() {
    let dir = tempfile::tempdir().unwrap();
    let (sock, path) = socket(dir.path());
    let notifier = Notifier::new(Some(path), Some(Duration::from_secs(2)));
    let heartbeats = Heartbeats::new();
    let engine = heartbeats.register("engine", Duration::from_secs(3));
    let listener = heartbeats.register("listener", Duration::from_secs(3));
    let board = StatusBoard::new();
    let shutdown = CancellationToken::new();
    let supervisor = tokio::spawn(
        Supervisor::new(notifier.clone(), heartbeats.clone(), board.clone()).run(shutdown.clone()),
    );
    let engine_task = beating(engine);
    let listener_task = beating(listener.clone());

    // READY once config and rules are loaded: sent by the caller.
    notifier.ready(&board.current());
    sleep(Duration::from_millis(50)).await;
    let first = drain(&sock);
    assert_eq!(first[0], "READY=1\nSTATUS=starting\n");

    // Connection changes become STATUS lines.
    let url = url::Url::parse("http://127.0.0.1:32400").unwrap();
    board.set(ServiceStatus::connected("1.41.3", &url));
    sleep(Duration::from_millis(50)).await;
    board.set(ServiceStatus::reconnecting(7, Duration::from_secs(12)));
    sleep(Duration::from_millis(50)).await;
    let statuses = drain(&sock);
    assert!(
        statuses.contains(&"STATUS=connected to Plex 1.41.3 at http://127.0.0.1:32400\n".into()),
        "{statuses:?}"
    );
    assert!(statuses.contains(&"STATUS=reconnecting (attempt 7, next in 12 s)\n".into()));

    // Healthy: one ping per second (half of WatchdogSec=2s).
    sleep(Duration::from_millis(5_000)).await;
    let healthy = drain(&sock);
    assert!(
        watchdogs(&first) + watchdogs(&healthy) >= 5,
        "{first:?} {healthy:?}"
    );

    // The listener hangs: after its 3 s of grace, no more pings.
    listener_task.abort();
    sleep(Duration::from_millis(3_500)).await;
    drain(&sock);
    sleep(Duration::from_secs(6)).await;
    let stalled = drain(&sock);
    assert_eq!(
        watchdogs(&stalled),
        0,
        "pinged while a loop was stalled: {stalled:?}"
    );

    // It recovers: pings resume.
    let listener_task = beating(listener);
    sleep(Duration::from_millis(2_500)).await;
    assert!(watchdogs(&drain(&sock)) >= 2);

    // Shutdown: STOPPING=1.
    shutdown.cancel();
    supervisor.await.unwrap();
    let last = drain(&sock);
    assert!(
        last.iter().any(|m| m.starts_with("STOPPING=1\n")),
        "{last:?}"
    );
    engine_task.abort();
    listener_task.abort();
}

#[tokio::test(start_paused = true)]
async fn no_watchdog_configured_means_no_pings() {
    let dir = tempfile::tempdir().unwrap();
    let (sock, path) = socket(dir.path());
    let notifier = Notifier::new(Some(path), None);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(
        Supervisor::new(notifier, Heartbeats::new(), StatusBoard::new()).run(shutdown.clone()),
    );
    sleep(Duration::from_secs(10)).await;
    assert_eq!(watchdogs(&drain(&sock)), 0);
    shutdown.cancel();
    task.await.unwrap();
    assert_eq!(
        drain(&sock),
        vec!["STOPPING=1\nSTATUS=stopping\n".to_owned()]
    );
}

#[test]
fn reloading_carries_a_monotonic_timestamp_then_ready() {
    let dir = tempfile::tempdir().unwrap();
    let (sock, path) = socket(dir.path());
    let notifier = Notifier::new(Some(path), None);
    notifier.reloading();
    notifier.ready(&ServiceStatus::starting());
    let msgs = drain(&sock);
    assert_eq!(msgs.len(), 2);
    let mut lines = msgs[0].lines();
    assert_eq!(lines.next(), Some("RELOADING=1"));
    let usec = lines
        .next()
        .unwrap()
        .strip_prefix("MONOTONIC_USEC=")
        .unwrap();
    assert!(usec.parse::<u64>().unwrap() > 0);
    assert!(msgs[1].starts_with("READY=1\n"));
}

#[test]
fn abstract_socket_names_are_supported() {
    use std::os::linux::net::SocketAddrExt;
    let name = format!("metarr-plex-test-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let sock = UnixDatagram::bind_addr(&addr).unwrap();
    sock.set_nonblocking(true).unwrap();
    let notifier = Notifier::new(Some(format!("@{name}").into()), None);
    notifier.stopping();
    assert_eq!(
        drain(&sock),
        vec!["STOPPING=1\nSTATUS=stopping\n".to_owned()]
    );
}

#[test]
fn without_a_socket_everything_is_a_no_op() {
    let notifier = Notifier::new(None, None);
    assert!(!notifier.is_enabled());
    notifier.ready(&ServiceStatus::starting());
    notifier.reloading();
    notifier.stopping();
}

#[tokio::test]
async fn service_starts_supervisor_and_health_then_stops_cleanly() {
    use metarr_plex::service::Service;
    use metarr_plex::service::health::HealthSettings;

    let dir = tempfile::tempdir().unwrap();
    let (sock, path) = socket(dir.path());
    let shutdown = CancellationToken::new();
    let health = HealthSettings {
        listen: Some("127.0.0.1:0".parse().unwrap()),
    };
    let service = Service::start(Notifier::new(Some(path), None), &health, &shutdown)
        .await
        .unwrap();
    let _engine = service
        .heartbeats
        .register("engine", Duration::from_secs(60));
    service
        .status
        .set(ServiceStatus::reconnecting(1, Duration::from_secs(1)));
    service.ready();

    let addr = service.health_addr().unwrap();
    let body = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("\"connection\":\"reconnecting\""), "{body}");

    shutdown.cancel();
    service.stopped().await;
    let msgs = drain(&sock);
    assert_eq!(
        msgs[0],
        "READY=1\nSTATUS=reconnecting (attempt 1, next in 1 s)\n"
    );
    assert_eq!(msgs.last().unwrap(), "STOPPING=1\nSTATUS=stopping\n");
    assert!(
        reqwest::get(format!("http://{addr}/healthz"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn sighup_asks_for_a_reload_and_sigterm_for_a_stop() {
    use metarr_plex::service::signals::{Request, Signals};
    let mut signals = Signals::install().unwrap();
    let pid = std::process::id().to_string();
    for (name, expected) in [("-HUP", Request::Reload), ("-TERM", Request::Stop)] {
        let status = std::process::Command::new("kill")
            .args([name, &pid])
            .status()
            .unwrap();
        assert!(status.success());
        let got = tokio::time::timeout(Duration::from_secs(10), signals.next())
            .await
            .unwrap();
        assert_eq!(got, expected);
    }
}
