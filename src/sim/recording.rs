//! The request log tests assert on: every request the simulator received,
//! decoded, with the token redacted.

/// One request as the simulator received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `PUT`, …
    pub method: String,
    /// The percent-decoded path, e.g. `/library/metadata/12/match`.
    pub path: String,
    /// The percent-decoded query pairs, in order (`+` decodes to a space).
    /// An `X-Plex-Token` value is replaced by `<redacted>`.
    pub query: Vec<(String, String)>,
    /// Length of the request body in bytes.
    pub body_len: usize,
    /// Headers with lower-case names; the `x-plex-token` value is `<redacted>`.
    pub headers: Vec<(String, String)>,
    /// The status the simulator answered (0 while it is still being answered).
    pub status: u16,
    /// When the simulator received it, on its (monotonic) clock: latency
    /// benchmarks measure from a notification to the request it caused.
    pub received_at: std::time::Instant,
}

impl RecordedRequest {
    /// The first value of a query parameter.
    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a recorded token looks like.
pub(crate) const REDACTED: &str = "<redacted>";

/// Requests in arrival order; each gets a sequence number so its status can
/// be filled in when the answer is ready (answers may finish out of order).
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: Vec<(u64, RecordedRequest)>,
    next: u64,
}

impl RequestLog {
    pub(crate) fn push(&mut self, r: RecordedRequest) -> u64 {
        let seq = self.next;
        self.next += 1;
        self.entries.push((seq, r));
        seq
    }

    pub(crate) fn set_status(&mut self, seq: u64, status: u16) {
        if let Some((_, r)) = self.entries.iter_mut().rev().find(|(s, _)| *s == seq) {
            r.status = status;
        }
    }

    pub(crate) fn all(&self) -> Vec<RecordedRequest> {
        self.entries.iter().map(|(_, r)| r.clone()).collect()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}
