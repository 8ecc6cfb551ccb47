//! One background job started by a command (`detect`, `analyze --section`):
//! start it, report the activity Plex named, and with `--wait` follow that
//! activity to its end on the progress display.

use serde::Serialize;

use super::progress::{Progress, Style};
use super::{CliError, Context};
use crate::plex::follow::{About, FollowEnd, FollowOptions, Watch, follow, running};
use crate::plex::model::Activity;
use crate::plex::{PlexClient, PlexError};

/// What a started job came to.
#[derive(Debug, Serialize)]
pub(crate) struct JobOutcome {
    /// The `X-Plex-Activity` uuid, or the activity found while waiting.
    pub(crate) activity: Option<String>,
    /// `started` without `--wait`; otherwise how following ended.
    pub(crate) result: &'static str,
}

/// A job about to start: what its activity will look like.
pub(crate) struct Job {
    /// Shown on the progress display (`intro detection of item 7`).
    pub(crate) label: String,
    /// The activity type when Plex names no uuid.
    pub(crate) kind: &'static str,
    /// The item or section it is about.
    pub(crate) about: About,
}

impl Job {
    /// Runs `start` (which returns the uuid Plex named) and, with `wait`,
    /// follows the activity with progress on stderr.
    pub(crate) async fn run<F>(
        self,
        ctx: &Context,
        client: &PlexClient,
        wait: bool,
        start: F,
    ) -> Result<JobOutcome, CliError>
    where
        F: std::future::Future<Output = Result<Option<String>, PlexError>>,
    {
        // Without an X-Plex-Activity header, ours is the new one of its type.
        let before = if wait {
            running(client).await?
        } else {
            Default::default()
        };
        let uuid = start.await.map_err(|e| match (&e, &self.about) {
            (PlexError::NotFound { .. }, About::Item(id)) => CliError::for_item(id)(e),
            (PlexError::NotFound { .. }, About::Section(id)) => CliError::Action(format!(
                "section {} not found on the Plex server",
                super::output::clean(id)
            )),
            _ => CliError::Plex(e),
        })?;
        if !wait {
            return Ok(JobOutcome {
                activity: uuid,
                result: "started",
            });
        }
        let display = Progress::new(Style::detect(!ctx.json));
        display.started(&self.label, uuid.as_deref());
        let mut watch = Watch {
            uuid,
            kind: self.kind,
            about: self.about,
            before,
        };
        let label = self.label.clone();
        let end = follow(
            client,
            &mut watch,
            &FollowOptions::default(),
            &|a: &Activity| display.running(&label, a.progress, a.subtitle.as_deref()),
        )
        .await?;
        let result = match end {
            FollowEnd::Finished => "finished",
            FollowEnd::FinishedUnseen => "finished (too quick to follow)",
            FollowEnd::TimedOut => "still running (gave up waiting)",
        };
        display.ended(&self.label, result);
        Ok(JobOutcome {
            activity: watch.uuid,
            result,
        })
    }
}
