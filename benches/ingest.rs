//! Ingest benchmark: 100,000 realistic notifications over loopback through
//! (a) our listener + parser + normalizer and (b) a bare tokio-tungstenite
//! reader that only does `serde_json::from_str::<Value>`, in the same run.
//!
//! Each reader runs in its own child process (this binary re-executed with
//! `--child`), so its peak RSS (VmHWM) is its own. (c) is what users run:
//! the shipped `metarr-plex events` binary, printing JSON lines into a pipe
//! this process drains; its rate, CPU time and peak RSS are read from the
//! outside. The loopback server answers the few REST calls of the catch-up
//! as an empty Plex would. Run with `cargo bench --bench ingest`
//! (optionally `-- --count N`).

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::{FutureExt, SinkExt, StreamExt};
use metarr_plex::event::{Event, Normalizer, NormalizerConfig};
use metarr_plex::plex::conn::token::{Token, TokenSource};
use metarr_plex::source::listener::{
    Listener, ListenerConfig, MemoryWatermark, NormalizedPipeline, ReconcileError, ServerView,
    Snapshot, backlog,
};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_util::sync::CancellationToken;

mod support;

const DEFAULT_COUNT: usize = 100_000;

/// How long the server waits after the handshake before it sends the stream.
const FLOOD_AFTER: Duration = Duration::from_millis(1500);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let mode = args[i + 1].clone();
        let addr: SocketAddr = args[i + 2].parse().expect("address");
        let count: usize = args[i + 3].parse().expect("count");
        child(&mode, addr, count);
        return;
    }
    if args.iter().any(|a| a == "--stages") {
        stages();
        return;
    }
    parent(support::count_arg(DEFAULT_COUNT));
}

/// Serves the stream and runs each reader in a child process.
fn parent(count: usize) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let frames = Arc::new(stream(count));
    let bytes: usize = frames.iter().map(|f| f.len()).sum();
    let addr = runtime.block_on(serve(Arc::clone(&frames)));
    println!(
        "ingest: {count} notifications, {:.1} MiB, served from {addr}",
        bytes as f64 / (1 << 20) as f64
    );
    let exe = std::env::current_exe().expect("own path");
    let mut results = Vec::new();
    // Alternating, three runs each, the best of each side: a noisy
    // neighbour on a shared machine then hurts neither side alone.
    let modes = ["bare", "listener", "events"];
    for mode in modes.iter().cycle().take(9) {
        let mode = *mode;
        if mode == "events" {
            let r = shipped_events(addr, count);
            println!("  {mode:>8}: {r}");
            results.push((mode, r));
            continue;
        }
        let out = Command::new(&exe)
            .args(["--child", mode, &addr.to_string(), &count.to_string()])
            .output()
            .expect("child runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().last().unwrap_or_default().to_owned();
        let r: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|_| {
            panic!(
                "child {mode} failed: {line}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        println!("  {mode:>8}: {line}");
        results.push((mode, r));
    }
    let best = |mode: &str, key: &str| {
        results
            .iter()
            .filter(|(m, _)| *m == mode)
            .filter_map(|(_, r)| r[key].as_f64())
            .fold(0.0_f64, f64::max)
    };
    let rss = |mode: &str| {
        results
            .iter()
            .filter(|(m, _)| *m == mode)
            .filter_map(|(_, r)| r["vmhwm_kib"].as_f64())
            .fold(f64::MAX, f64::min)
    };
    let ours = best("listener", "msgs_per_sec");
    let bare = best("bare", "msgs_per_sec");
    let ours_cpu = best("listener", "msgs_per_cpu_sec");
    let bare_cpu = best("bare", "msgs_per_cpu_sec");
    println!(
        "(a) listener+normalizer: {ours:.0} msgs/s wall, {ours_cpu:.0} msgs/CPU-s, peak RSS {:.1} MiB",
        rss("listener") / 1024.0
    );
    println!(
        "(b) bare tungstenite+serde_json::Value: {bare:.0} msgs/s wall, {bare_cpu:.0} msgs/CPU-s, peak RSS {:.1} MiB",
        rss("bare") / 1024.0
    );
    println!(
        "ratio (a)/(b): {:.2} wall, {:.2} CPU time",
        ours / bare,
        ours_cpu / bare_cpu
    );
    let shipped = best("events", "msgs_per_sec");
    let shipped_cpu = best("events", "msgs_per_cpu_sec");
    println!(
        "(c) metarr-plex events | pipe: {shipped:.0} msgs/s wall, {shipped_cpu:.0} msgs/CPU-s, peak RSS {:.1} MiB",
        rss("events") / 1024.0
    );
    println!(
        "ratio (c)/(b): {:.2} wall, {:.2} CPU time",
        shipped / bare,
        shipped_cpu / bare_cpu
    );
    let dropped: f64 = results
        .iter()
        .filter_map(|(_, r)| r["detail"]["dropped"].as_f64())
        .sum();
    if dropped > 0.0 {
        println!("WARNING: the listener dropped {dropped} frames; its rate is not comparable");
    }
}

/// A loopback server that sends the whole stream to every WebSocket and
/// answers any other request as an empty Plex server.
async fn serve(frames: Arc<Vec<Utf8Bytes>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let frames = Arc::clone(&frames);
            tokio::spawn(async move {
                let Some(mut ws) = upgrade_or_answer(stream).await else {
                    return;
                };
                // A real server does not flood at the handshake: give the
                // reader's catch-up (a few REST calls) time to finish, so
                // live frames are not held back behind it. Every reader's
                // clock starts at its first notification.
                tokio::time::sleep(FLOOD_AFTER).await;
                for frame in frames.iter() {
                    if ws.feed(Message::Text(frame.clone())).await.is_err() {
                        return;
                    }
                }
                let _ = ws.flush().await;
                // Keep the connection open (answering pings) until the reader leaves.
                while let Some(Ok(_)) = ws.next().await {}
            });
        }
    });
    addr
}

/// Reads one request head; a WebSocket upgrade is accepted and returned,
/// anything else gets an empty `MediaContainer` (with the identity fields
/// `/identity` needs) and the connection is closed.
async fn upgrade_or_answer(
    mut stream: tokio::net::TcpStream,
) -> Option<WebSocketStream<tokio::net::TcpStream>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let key = text.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("sec-websocket-key")
            .then(|| value.trim().to_owned())
    });
    if let Some(key) = key {
        let accept = derive_accept_key(key.as_bytes());
        let response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        stream.write_all(response.as_bytes()).await.ok()?;
        return Some(WebSocketStream::from_raw_socket(stream, Role::Server, None).await);
    }
    let body = json!({"MediaContainer": {"size": 0, "machineIdentifier": "bench",
        "version": "1.0.0", "claimed": true, "updatedAt": 1}})
    .to_string();
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
    None
}

/// (c): the shipped binary's `events` command, its stdout drained from a
/// pipe. The clock runs from its first event after `server.connected` to
/// its last line; it is over once no line came for two seconds. Frames, CPU time and peak RSS come from /proc.
fn shipped_events(addr: SocketAddr, count: usize) -> serde_json::Value {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().expect("tempdir");
    let token = dir.path().join("plex-token");
    std::fs::write(&token, "bench-token\n").expect("token file");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nurl = \"http://{addr}\"\ntoken_file = \"{}\"\n",
            token.display()
        ),
    )
    .expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .arg("--config")
        .arg(&config)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg("events")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("metarr-plex runs");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel::<Instant>();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        let mut lines = BufReader::with_capacity(1 << 16, stdout);
        let mut line = String::new();
        while lines.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
            line.clear();
            if tx.send(Instant::now()).is_err() {
                return;
            }
        }
    });
    // `server.connected`, then the first event of the stream starts the clock.
    rx.recv_timeout(Duration::from_secs(20))
        .expect("a first line");
    let first = rx.recv_timeout(Duration::from_secs(20)).expect("an event");
    let mut last = first;
    let mut lines = 2usize;
    while let Ok(at) = rx.recv_timeout(Duration::from_secs(2)) {
        last = at;
        lines += 1;
    }
    let cpu_secs = proc_cpu_secs(pid);
    let vmhwm = proc_status_kib(pid, "VmHWM:");
    let _ = child.kill();
    let _ = child.wait();
    let secs = (last - first).as_secs_f64();
    json!({
        "mode": "events",
        "msgs": count,
        "lines": lines,
        "secs": secs,
        "msgs_per_sec": count as f64 / secs,
        // Includes start-up and the idle tail: a little against us.
        "msgs_per_cpu_sec": count as f64 / cpu_secs,
        "vmhwm_kib": vmhwm,
        "detail": { "cpu_secs": cpu_secs },
    })
}

/// User + system CPU time of a process, from /proc/PID/stat.
fn proc_cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the `(comm)`; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i)?.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}

fn proc_status_kib(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn child(mode: &str, addr: SocketAddr, count: usize) {
    // One thread for each reader: on a shared two-core machine a second
    // worker only adds cross-thread wake-ups to (a).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (received, elapsed, extra) = match mode {
        "bare" => runtime.block_on(bare(addr, count)),
        _ => runtime.block_on(ours(addr, count)),
    };
    let secs = elapsed.as_secs_f64();
    println!(
        "{}",
        json!({
            "mode": mode,
            "msgs": received,
            "secs": secs,
            "msgs_per_sec": received as f64 / secs,
            "msgs_per_cpu_sec": received as f64 / extra["cpu_secs"].as_f64().unwrap_or(f64::NAN),
            "vmhwm_kib": vmhwm_kib(),
            "detail": extra,
        })
    );
}

/// (b): the bare reader.
async fn bare(addr: SocketAddr, count: usize) -> (usize, Duration, serde_json::Value) {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/"))
        .await
        .expect("connect");
    let mut start = Instant::now();
    let mut cpu = cpu_secs();
    let mut n = 0;
    let mut keys = 0usize;
    while n < count {
        let next = ws.next().await;
        if n == 0 {
            start = Instant::now();
            cpu = cpu_secs();
        }
        match next {
            Some(Ok(Message::Text(t))) => {
                let v: serde_json::Value = serde_json::from_str(&t).expect("json");
                keys += v.as_object().map_or(0, |o| o.len());
                n += 1;
            }
            Some(Ok(_)) => {}
            _ => break,
        }
    }
    let elapsed = start.elapsed();
    (
        n,
        elapsed,
        json!({ "top_level_keys": keys, "cpu_secs": cpu_secs() - cpu }),
    )
}

/// (a): our listener with the normalizing pipeline, events counted by a consumer.
async fn ours(addr: SocketAddr, count: usize) -> (usize, Duration, serde_json::Value) {
    let url = url::Url::parse(&format!("http://{addr}")).expect("url");
    let token = TokenSource::fixed(Token::new("bench-token").expect("token"));
    let config = ListenerConfig::new(url, token);
    let listener = Listener::new(
        config,
        Box::new(NormalizedPipeline::new(Normalizer::new(
            NormalizerConfig::default(),
        ))),
        Arc::new(EmptyView),
        Arc::new(MemoryWatermark::new()),
    )
    .expect("listener");
    let stats = listener.stats();
    let (tx, mut rx) = backlog::channel(1024);
    let stop = CancellationToken::new();
    let task = tokio::spawn(listener.run(tx, stop.clone()));
    // The clock starts at `server.connected`, as the bare reader's does
    // after its handshake.
    let _connected = rx.recv().await.expect("connected");
    while stats.snapshot().frames == 0 {
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let start = Instant::now();
    let cpu = cpu_secs();
    let mut events = 0usize;
    // One timer for the whole run: a poll of the counters, since the last
    // frames may produce no event to wake us.
    let mut check = tokio::time::interval(Duration::from_millis(5));
    loop {
        tokio::select! {
            e = rx.recv() => match e {
                Some(_) => events += 1,
                None => break,
            },
            _ = check.tick() => {}
        }
        // Drain what is queued without re-arming the select each time.
        while rx.try_recv().is_some() {
            events += 1;
        }
        if stats.snapshot().frames >= count as u64 && rx.is_empty() {
            break;
        }
    }
    let elapsed = start.elapsed();
    let cpu = cpu_secs() - cpu;
    stop.cancel();
    let _ = task.await;
    let s = stats.snapshot();
    (
        s.frames as usize,
        elapsed,
        json!({ "events": events, "malformed": s.malformed, "dropped": s.dropped, "cpu_secs": cpu }),
    )
}

struct EmptyView;

impl ServerView for EmptyView {
    fn snapshot(
        self: Arc<Self>,
        _added_since: Option<i64>,
        _touched_since: Option<i64>,
    ) -> BoxFuture<'static, Result<Snapshot, ReconcileError>> {
        async { Ok(Snapshot::default()) }.boxed()
    }
}

/// CPU time of this thread (the current-thread runtime runs everything on
/// it), from the scheduler's own accounting: unlike wall time it does not
/// grow when other processes compete for the two cores.
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/thread-self/sched")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("se.sum_exec_runtime"))
                .and_then(|l| l.split(':').nth(1))
                .and_then(|ms| ms.trim().parse::<f64>().ok())
        })
        .map_or(f64::NAN, |ms| ms / 1000.0)
}

fn vmhwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// A busy evening on a big server, compressed: 20 players reporting
/// progress every few seconds (a player changes state now and then, not on
/// every report), a scan finding episodes (timeline 0/created, then 5), item
/// refreshes (activity started → updated ×2 → ended), status lines and
/// transcoder updates. Shapes follow tests/fixtures/ws.
fn stream(count: usize) -> Vec<Utf8Bytes> {
    let mut rng = fastrand::Rng::with_seed(7);
    let mut out = Vec::with_capacity(count);
    let states = ["playing", "paused", "buffering"];
    let mut players: Vec<(&str, u64, usize)> = (0..20).map(|p| ("playing", 0, p)).collect();
    for i in 0..count {
        let frame = match i % 10 {
            0..=3 => {
                let p = rng.usize(0..players.len());
                let (state, offset, item) = &mut players[p];
                *offset += 10_000;
                if rng.u8(0..100) < 3 {
                    *state = states[rng.usize(0..states.len())];
                }
                if rng.u16(0..1000) < 2 {
                    // The player stops; the next report is a new playback.
                    *item += 20;
                    *offset = 0;
                    *state = "stopped";
                }
                let frame = json!({"NotificationContainer": {"type": "playing", "size": 1,
                    "PlaySessionStateNotification": [{
                        "sessionKey": (p + 1).to_string(),
                        "clientIdentifier": format!("client-{p}"),
                        "guid": "", "ratingKey": (2000 + *item).to_string(), "url": "",
                        "key": format!("/library/metadata/{}", 2000 + *item),
                        "viewOffset": *offset, "playQueueItemID": 7000 + p,
                        "state": *state}]}});
                if *state == "stopped" {
                    *state = "playing";
                }
                frame
            }
            4 | 5 => {
                let item = 40_000 + i / 10;
                let created = i % 10 == 4;
                let mut entry = json!({"identifier": "com.plexapp.plugins.library",
                    "sectionID": "8", "itemID": item.to_string(), "parentItemID": "39990",
                    "rootItemID": "39980", "type": 4, "title": format!("Show S01 E{}", i % 300),
                    "state": if created { 0 } else { 5 }, "updatedAt": 1_669_339_641 + i as i64});
                if created {
                    entry["metadataState"] = json!("created");
                    entry["title"] = json!("");
                }
                json!({"NotificationContainer": {"type": "timeline", "size": 1, "TimelineEntry": [entry]}})
            }
            6 | 7 => {
                let uuid = format!("c30c1edc-8df0-4713-a7f1-{:012x}", i / 40);
                let (event, progress, subtitle) = match (i / 10) % 4 {
                    0 => ("started", 0, ""),
                    1 => ("updated", 33, "Refreshing local metadata"),
                    2 => ("updated", 66, "Refreshing media analysis"),
                    _ => ("ended", 100, ""),
                };
                json!({"NotificationContainer": {"type": "activity", "size": 1,
                    "ActivityNotification": [{"event": event, "uuid": uuid,
                        "Activity": {"uuid": uuid, "type": "library.refresh.items",
                            "cancellable": false, "userID": 1, "title": "Refreshing",
                            "subtitle": subtitle, "progress": progress,
                            "Context": {"accessible": true, "exists": true,
                                "key": format!("/library/metadata/{}", 500 + i / 40)}}}]}})
            }
            8 => json!({"NotificationContainer": {"type": "status", "size": 1,
                "StatusNotification": [{"title": "Scanning the \"Movies\" section",
                    "description": "", "notificationName": "LIBRARY_UPDATE"}]}}),
            _ => json!({"NotificationContainer": {"type": "transcodeSession.update", "size": 1,
                "TranscodeSession": [{"key": "/transcode/sessions/70bkcsfa5vv9qzowdmbif2yr",
                    "throttled": false, "complete": false, "progress": -1.0, "speed": 1.4,
                    "duration": 7_200_000, "context": "streaming", "sourceVideoCodec": "h264",
                    "sourceAudioCodec": "ac3", "videoDecision": "copy", "audioDecision": "transcode",
                    "protocol": "dash", "container": "mp4", "videoCodec": "h264", "audioCodec": "aac",
                    "audioChannels": 2, "transcodeHwRequested": false,
                    "timeStamp": 1_516_555_088.574 + i as f64, "maxOffsetAvailable": 49.65,
                    "minOffsetAvailable": 1.0}]}}),
        };
        out.push(Utf8Bytes::from(frame.to_string()));
    }
    out
}

/// Diagnostic: the cost of each stage without sockets (`-- --stages`).
fn stages() {
    use metarr_plex::source::listener::Pipeline;
    let frames = stream(DEFAULT_COUNT);
    let t = Instant::now();
    for f in &frames {
        let v: serde_json::Value = serde_json::from_str(f).expect("json");
        std::hint::black_box(v);
    }
    println!("Value parse:     {:?}", t.elapsed());
    let t = Instant::now();
    for f in &frames {
        std::hint::black_box(metarr_plex::plex::notification::parse_frame(f).expect("frame"));
    }
    println!("parse_frame:     {:?}", t.elapsed());
    let mut n = Normalizer::new(NormalizerConfig::default());
    let now = std::time::Instant::now();
    let parsed: Vec<_> = frames
        .iter()
        .map(|f| metarr_plex::plex::notification::parse_frame(f).expect("frame"))
        .collect();
    let t = Instant::now();
    let mut events = 0;
    for ns in &parsed {
        for x in ns {
            events += n.ingest(x, now).len();
        }
    }
    println!("normalize only:  {:?} ({events} events)", t.elapsed());
    let t = Instant::now();
    for ns in &parsed {
        for x in ns {
            std::hint::black_box(x.raw().clone());
        }
    }
    println!("raw clone each:  {:?}", t.elapsed());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let mut p = NormalizedPipeline::new(Normalizer::new(NormalizerConfig::default()));
        let mut out = Vec::new();
        let t = Instant::now();
        for f in &frames {
            let _ = p.frame(f, tokio::time::Instant::now(), &mut out);
            out.clear();
        }
        println!("pipeline.frame:  {:?}", t.elapsed());
    });
    let t = Instant::now();
    for _ in 0..events {
        std::hint::black_box(Event::new(metarr_plex::event::EventName::PlaybackPaused));
    }
    println!("Event::new x{events}: {:?}", t.elapsed());
}
