//! The listener's "newest item already seen" watermark, kept in the
//! journal so a restarted daemon also catches up on what was added while it
//! was down.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::journal::Journal;
use crate::source::listener::WatermarkStore;

/// The journal's name for the watermark.
const NAME: &str = "recently_added";

/// In memory for the listener's synchronous reads, written through to the journal.
pub(crate) struct JournalWatermark {
    journal: Journal,
    value: AtomicI64,
}

impl JournalWatermark {
    /// Loads the stored value (none on a first start).
    pub(crate) async fn load(journal: Journal) -> JournalWatermark {
        let stored = match journal.watermark_get(NAME.to_owned()).await {
            Ok(v) => v.and_then(|v| v.parse().ok()),
            Err(e) => {
                tracing::warn!(error = %e, "Could not read the watermark; catching up from now on.");
                None
            }
        };
        JournalWatermark {
            journal,
            value: AtomicI64::new(stored.unwrap_or(i64::MIN)),
        }
    }
}

impl WatermarkStore for JournalWatermark {
    fn load(&self) -> Option<i64> {
        Some(self.value.load(Ordering::Acquire)).filter(|v| *v != i64::MIN)
    }

    fn store(&self, added_at: i64) {
        if self.value.fetch_max(added_at, Ordering::AcqRel) >= added_at {
            return;
        }
        let journal = self.journal.clone();
        tokio::spawn(async move {
            if let Err(e) = journal
                .watermark_set(NAME.to_owned(), added_at.to_string())
                .await
            {
                tracing::warn!(error = %e, "Could not persist the watermark.");
            }
        });
    }
}
