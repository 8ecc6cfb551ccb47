//! Shared set-up for the client tests: a simulator and a client pointed at it.

use std::time::Duration;

use metarr_plex::plex::conn::identity::ClientIdentity;
use metarr_plex::plex::conn::tls::TlsSettings;
use metarr_plex::plex::conn::token::{Token, TokenSource};
use metarr_plex::plex::{ClientSettings, PlexClient};
use metarr_plex::sim::{RecordedRequest, SimOptions, Simulator};

pub const CLIENT_ID: &str = "0b7c3f52-4d1e-4d0c-9a51-2f1c7a0e9d11";

pub const ARRIVAL: &str = "/data/media/movies/Arrival (2016) {tmdb-329865}/Arrival (2016).mkv";
pub const HEAT: &str = "/data/media/movies/Heat (1995) {imdb-tt0113277}/Heat.1995.mkv";
pub const MATRIX: &str = "/data/media/movies/The Matrix (1999)/The Matrix (1999).mkv";

/// A simulator with the seeded library and a client for it.
pub async fn setup() -> (Simulator, PlexClient) {
    setup_with(SimOptions::default(), Duration::from_secs(5)).await
}

/// A simulator with `opts` and a client with `timeout`.
pub async fn setup_with(opts: SimOptions, timeout: Duration) -> (Simulator, PlexClient) {
    let sim = Simulator::start(opts).await.unwrap();
    let client = client_for(
        &sim,
        TokenSource::fixed(Token::new(sim.token()).unwrap()),
        timeout,
    );
    (sim, client)
}

/// A client for `sim` with the given token source.
pub fn client_for(sim: &Simulator, tokens: TokenSource, timeout: Duration) -> PlexClient {
    PlexClient::new(ClientSettings {
        base_url: sim.url(),
        tokens,
        identity: ClientIdentity::new(CLIENT_ID),
        timeout,
        tls: TlsSettings::default(),
    })
    .unwrap()
}

/// The rating key of the item with `file`.
pub fn id_of(sim: &Simulator, file: &str) -> String {
    sim.with_library(|l| l.find_by_file(file).unwrap().rating_key.clone())
}

/// The requests to `path` (decoded), in order.
pub fn requests_to(sim: &Simulator, method: &str, path: &str) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == method && r.path == path)
        .collect()
}

/// The single request the simulator recorded since the last clear.
pub fn only_request(sim: &Simulator) -> RecordedRequest {
    let all = sim.requests();
    assert_eq!(all.len(), 1, "expected one request, got {all:#?}");
    all.into_iter().next().unwrap()
}

/// `(key, value)` pairs as `&str` for comparisons.
pub fn pairs(r: &RecordedRequest) -> Vec<(&str, &str)> {
    r.query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}
