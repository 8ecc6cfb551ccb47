//! `detect`: intro, credits, voice or ad detection, or chapter thumbnails,
//! on one item. Heavy on the server, so: it takes one of the executor's
//! global slots like every action, holds a lock per kind and item so two of
//! the same kind never run on one item at once, and (by default, as scans
//! do) keeps that lock until the activity it started has ended. An old
//! server without the endpoint is skipped, warned about once by the client.

use super::outcome::{Step, Stop};
use super::{ActionOutcome, Call};
use crate::plex::PlexError;
use crate::plex::client::FeatureTarget;
use crate::plex::follow::{About, FollowEnd, FollowOptions, Watch, follow, running};
use crate::plex::request::{self, DetectKind};

/// Starts `kind` on `item` and, with `wait` or when the executor follows
/// its jobs, follows the activity to its end.
pub(crate) async fn detect(
    call: &Call<'_>,
    item: &str,
    kind: DetectKind,
    force: bool,
    wait: bool,
) -> Step {
    if kind == DetectKind::Intro {
        // Plex finds intros in TV episodes only; asking for a movie is noise.
        let Some(found) = call.client().item(item).await? else {
            return Err(ActionOutcome::skipped(format!("item {item} is gone")).into());
        };
        call.count(1);
        if found.kind != "episode" {
            return Err(ActionOutcome::skipped(format!(
                "intro detection applies to episodes; item {item} is a {}",
                found.kind
            ))
            .into());
        }
    }
    let _one_at_a_time = call
        .exec()
        .pacing
        .exclusive(&format!("detect:{kind}:{item}"))
        .await;
    // The item itself is not marked as ours: detection changes no metadata,
    // and marking it would hide Plex's own "item ready" for a new item from
    // every other rule. Its activity is ours (registered below).
    let following = (wait || call.settings().scan.wait) && !call.dry_run();
    let before = if following {
        call.count(1);
        running(call.client()).await?
    } else {
        Default::default()
    };
    call.count(1);
    let req = request::detect(item, kind, force);
    let uuid = match call
        .client()
        .send_feature(&req, kind.feature(), FeatureTarget::Item(item))
        .await
    {
        Ok(resp) => resp.activity_uuid(),
        Err(PlexError::Unsupported { feature, version }) => {
            return Err(Stop::Outcome(ActionOutcome::skipped(format!(
                "{feature} is not supported by Plex {version}"
            ))));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(uuid) = &uuid
        && !call.dry_run()
    {
        call.exec().self_causes.activity(uuid);
    }
    if !following {
        return Ok(described(kind, "requested", uuid.as_deref()));
    }
    let scan = &call.settings().scan;
    let mut watch = Watch {
        uuid,
        kind: kind.activity_type(),
        about: About::Item(item.to_owned()),
        before,
    };
    let opts = FollowOptions {
        poll_every: scan.poll_every,
        unseen_grace: scan.unseen_grace,
        timeout: scan.wait_timeout,
    };
    let end = follow(call.client(), &mut watch, &opts, &|_| {}).await?;
    let how = match end {
        FollowEnd::Finished | FollowEnd::FinishedUnseen => "finished",
        FollowEnd::TimedOut => "still running at the wait timeout",
    };
    Ok(described(kind, how, watch.uuid.as_deref()))
}

fn described(kind: DetectKind, how: &str, uuid: Option<&str>) -> String {
    match uuid {
        Some(u) => format!("{} {how} (activity {u})", kind.feature()),
        None => format!("{} {how}", kind.feature()),
    }
}
