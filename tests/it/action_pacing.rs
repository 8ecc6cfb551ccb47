//! Pacing: the global limit on actions at once, and the request-rate
//! token bucket spacing a burst (on a paused clock).

use std::sync::Arc;
use std::time::Duration;

use metarr_plex::action::{ActionOutcome, Canned};
use metarr_plex::plex::PlexRequest;
use metarr_plex::plex::conn::token::{Token, TokenSource};
use metarr_plex::rules::ResolvedAction;
use metarr_plex::sim::{RestFault, SimOptions};
use reqwest::Method;
use tokio::time::Instant;

use super::action_support::*;

#[tokio::test]
async fn the_global_limit_bounds_actions_running_at_once() {
    for (limit, at_least, at_most) in [(2usize, 900u64, 2500u64), (6, 300, 880)] {
        let r = rig_with(SimOptions::default(), |s| s.concurrency = limit).await;
        let ids: Vec<String> = [ARRIVAL, HEAT, MATRIX]
            .iter()
            .map(|f| r.id(f))
            .chain(r.sim.with_library(|l| {
                l.items()
                    .filter(|i| i.kind.as_str() == "episode")
                    .take(3)
                    .map(|i| i.rating_key.clone())
                    .collect::<Vec<_>>()
            }))
            .collect();
        assert_eq!(ids.len(), 6);
        r.sim.inject(RestFault::Slow {
            delay: Duration::from_millis(300),
            times: 6,
            path_prefix: Some("/library/metadata".into()),
        });
        let ctx = r.ctx("-");
        let actions: Vec<ResolvedAction> = ids
            .iter()
            .map(|id| ResolvedAction::Analyze { item: id.clone() })
            .collect();
        let started = std::time::Instant::now();
        let outs = futures::future::join_all(actions.iter().map(|a| r.exec.execute(a, &ctx))).await;
        let took = started.elapsed();
        assert!(
            outs.iter().all(|o| matches!(o, ActionOutcome::Done { .. })),
            "{outs:?}"
        );
        assert!(
            took >= Duration::from_millis(at_least) && took <= Duration::from_millis(at_most),
            "limit {limit}: {took:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_rate_limiter_spaces_a_burst_of_requests() {
    // Canned answers keep the network (and its real-time waits) out of the
    // paused clock; the limiter is the client's, shared with derived clients.
    let client = metarr_plex::plex::PlexClient::new(metarr_plex::plex::ClientSettings {
        base_url: url::Url::parse("http://127.0.0.1:9/").unwrap(),
        tokens: TokenSource::fixed(Token::new("t").unwrap()),
        identity: metarr_plex::plex::conn::identity::ClientIdentity::new("rate-test"),
        timeout: Duration::from_secs(1),
        tls: metarr_plex::plex::conn::tls::TlsSettings::default(),
    })
    .unwrap();
    client.set_rate_limit(4);
    let canned = client.with_responder(Arc::new(Canned::new().with("GET /identity", "{}")));
    let start = Instant::now();
    let req = PlexRequest::new(Method::GET, ["identity"]);
    let sends = (0..12).map(|_| {
        let c = canned.clone();
        let req = req.clone();
        async move {
            c.send_raw(&req).await.unwrap();
            start.elapsed()
        }
    });
    let mut at = futures::future::join_all(sends).await;
    at.sort();
    // A burst of 4 at once, then one every 250 ms.
    assert!(at[3] < Duration::from_millis(10), "{at:?}");
    for pair in at[3..].windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(240) && gap <= Duration::from_millis(260),
            "{at:?}"
        );
    }
    assert!(at[11] >= Duration::from_millis(1990), "{at:?}");
}

#[tokio::test(start_paused = true)]
async fn reads_have_a_budget_of_their_own_beside_the_writes() {
    let client = metarr_plex::plex::PlexClient::new(metarr_plex::plex::ClientSettings {
        base_url: url::Url::parse("http://127.0.0.1:9/").unwrap(),
        tokens: TokenSource::fixed(Token::new("t").unwrap()),
        identity: metarr_plex::plex::conn::identity::ClientIdentity::new("budget-test"),
        timeout: Duration::from_secs(1),
        tls: metarr_plex::plex::conn::tls::TlsSettings::default(),
    })
    .unwrap();
    client.set_rate_limit(2);
    client.set_read_rate_limit(50);
    let canned = client.with_responder(Arc::new(
        Canned::new()
            .with("GET /library/metadata/1", "{}")
            .with("PUT /library/metadata/1/refresh", ""),
    ));
    let start = Instant::now();
    let read = PlexRequest::new(Method::GET, ["library", "metadata", "1"]);
    let write = PlexRequest::new(Method::PUT, ["library", "metadata", "1", "refresh"]);
    let writes = {
        let canned = canned.clone();
        tokio::spawn(async move {
            for _ in 0..4 {
                canned.send_raw(&write).await.unwrap();
            }
            start.elapsed()
        })
    };
    for _ in 0..50 {
        canned.send_raw(&read).await.unwrap();
    }
    // 50 reads in their own burst, not behind the writes' 2 a second.
    assert!(
        start.elapsed() < Duration::from_millis(10),
        "{:?}",
        start.elapsed()
    );
    // 4 writes at 2 a second, whatever the reads did: a burst of 2, then 500 ms apart.
    let took = writes.await.unwrap();
    assert!(
        took >= Duration::from_millis(990) && took <= Duration::from_millis(1100),
        "{took:?}"
    );
}
