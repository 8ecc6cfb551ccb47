//! How the client maps every kind of failure, against the simulator's
//! faults: 401, 404, 429 with Retry-After, 5xx, refused, timeout, bad JSON,
//! and a token rotated on disk.

use std::time::Duration;

use metarr_plex::plex::PlexError;
use metarr_plex::plex::conn::token::TokenSource;
use metarr_plex::sim::{RestFault, SimOptions};

use super::client_harness::*;

#[tokio::test]
async fn wrong_token_is_invalid_token() {
    let (sim, client) = setup().await;
    sim.set_token("another-token");
    let err = client.sections().await.unwrap_err();
    assert!(matches!(err, PlexError::InvalidToken), "{err:?}");
    assert_eq!(err.to_string(), "Invalid Plex token");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_token_rotated_on_disk_is_picked_up_after_a_401() {
    let (sim, _) = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plex-token");
    std::fs::write(&file, "sim-token\n").unwrap();
    let tokens = TokenSource {
        token_file: Some(file.clone()),
        ..TokenSource::default()
    };
    let client = client_for(&sim, tokens, Duration::from_secs(5));
    client.identity().await.unwrap();
    sim.set_token("rotated-token");
    std::fs::write(&file, "rotated-token\n").unwrap();
    assert_eq!(client.sections().await.unwrap().len(), 4);
    let statuses: Vec<u16> = requests_to(&sim, "GET", "/library/sections")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses,
        [401, 200],
        "one 401, then the retry with the new token"
    );
}

#[tokio::test]
async fn not_found_is_an_error_for_actions_and_none_for_getters() {
    let (_sim, client) = setup().await;
    let err = client.unmatch("424242").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(
        err.to_string(),
        "Not found: PUT /library/metadata/424242/unmatch"
    );
    assert!(client.item("424242").await.unwrap().is_none());
}

#[tokio::test]
async fn too_many_requests_is_retryable_with_its_retry_after() {
    let (sim, client) = setup().await;
    sim.inject(RestFault::TooManyRequests {
        retry_after_secs: 7,
        times: 1,
        path_prefix: Some("/library/sections".into()),
    });
    let err = client.sections().await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(
        err.to_string()
            .starts_with("Plex answered 429 Too Many Requests: "),
        "{err}"
    );
    assert_eq!(
        client.sections().await.unwrap().len(),
        4,
        "the fault was used up"
    );
}

#[tokio::test]
async fn server_errors_are_retryable_with_status_and_an_excerpt() {
    let (sim, client) = setup().await;
    sim.inject(RestFault::Status {
        code: 503,
        times: 1,
        path_prefix: None,
    });
    let err = client.activities().await.unwrap_err();
    assert!(err.is_retryable());
    let text = err.to_string();
    assert!(
        text.starts_with("Plex answered 503 Service Unavailable: "),
        "{text}"
    );
    assert!(text.chars().count() < 260, "short excerpt: {text}");
    sim.inject(RestFault::Status {
        code: 400,
        times: 1,
        path_prefix: None,
    });
    let err = client.activities().await.unwrap_err();
    assert!(
        matches!(err, PlexError::Rejected { .. }) && !err.is_retryable(),
        "{err:?}"
    );
}

#[tokio::test]
async fn refused_connection_is_unavailable_naming_the_server() {
    let (sim, client) = setup().await;
    sim.inject(RestFault::Refuse {
        duration: Duration::from_secs(5),
    });
    let err = client.identity().await.unwrap_err();
    assert!(err.is_retryable());
    let base = sim.url().as_str().trim_end_matches('/').to_owned();
    assert_eq!(
        err.to_string(),
        format!("Plex server unavailable at {base} (connection refused)")
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_as_unavailable() {
    let (sim, client) = setup_with(SimOptions::default(), Duration::from_millis(300)).await;
    sim.inject(RestFault::Slow {
        delay: Duration::from_secs(3),
        times: 1,
        path_prefix: None,
    });
    let err = client.sections().await.unwrap_err();
    assert!(matches!(err, PlexError::Unavailable { .. }), "{err:?}");
    assert!(err.to_string().ends_with("(timed out)"), "{err}");
}

#[tokio::test]
async fn bad_json_names_the_endpoint() {
    let (sim, client) = setup().await;
    sim.inject(RestFault::BadJson {
        times: 1,
        path_prefix: Some("/library/metadata".into()),
    });
    let id = id_of(&sim, MATRIX);
    let err = client.item(&id).await.unwrap_err();
    assert!(matches!(err, PlexError::BadJson { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(&format!(
            "Plex sent an unexpected answer to GET /library/metadata/{id}: "
        )),
        "{err}"
    );
}

#[tokio::test]
async fn no_error_message_ever_holds_the_token() {
    let opts = SimOptions {
        token: "tok-SECRET-5e4d3c2b1a".into(),
        ..SimOptions::default()
    };
    let (sim, client) = setup_with(opts, Duration::from_millis(300)).await;
    let mut messages = Vec::new();
    sim.inject(RestFault::Status {
        code: 500,
        times: 1,
        path_prefix: None,
    });
    messages.push(client.sections().await.unwrap_err());
    sim.inject(RestFault::BadJson {
        times: 1,
        path_prefix: None,
    });
    messages.push(client.refresh_sections().await.unwrap_err());
    sim.inject(RestFault::Slow {
        delay: Duration::from_secs(2),
        times: 1,
        path_prefix: None,
    });
    messages.push(client.activities().await.unwrap_err());
    sim.set_token("other");
    messages.push(client.agents().await.unwrap_err());
    for e in &messages {
        for text in [e.to_string(), format!("{e:?}")] {
            assert!(!text.contains("SECRET"), "{text}");
        }
    }
    assert!(!format!("{client:?}").contains("SECRET"));
}
