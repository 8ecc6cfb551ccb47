//! Plex webhooks (multipart, part `payload` = JSON; part `thumb` dropped) →
//! `webhook.<event>` events, so rules see what the notification stream never
//! says: scrobbles, ratings, user names. Account and Player stay in `raw`.

use serde_json::Value;

use crate::event::{Event, EventName, ItemRef, SectionRef};

/// The event a payload describes; `Err` names why it is not one.
pub fn event(payload: &Value) -> Result<Event, String> {
    let name = payload
        .get("event")
        .and_then(Value::as_str)
        .ok_or("the payload has no `event`")?;
    let event_name: EventName = format!("webhook.{name}")
        .parse()
        .map_err(|_| format!("unknown webhook event `{name}`"))?;
    let mut event = Event::new(event_name);
    let meta = payload.get("Metadata");
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let field = |k: &str| text(meta.and_then(|m| m.get(k)));
    if event_name.subject().section {
        event.section = field("librarySectionID").map(|id| SectionRef {
            id,
            title: field("librarySectionTitle"),
            kind: field("librarySectionType"),
        });
    }
    if event_name.subject().item {
        event.item = field("ratingKey").map(|id| ItemRef {
            id,
            kind: field("type"),
            title: field("title"),
            parent_id: field("parentRatingKey"),
            grandparent_id: field("grandparentRatingKey"),
        });
    }
    event.raw = payload.clone().into();
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/tests/fixtures/webhook/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn real_payloads_become_webhook_events_with_item_and_section() {
        let e = event(&fixture(
            "media_pause_movie__tacoded-plex-webhook-sample.json",
        ))
        .unwrap();
        assert_eq!(e.name, EventName::WebhookMediaPause);
        let item = e.item.unwrap();
        assert!(!item.id.is_empty());
        assert_eq!(item.kind.as_deref(), Some("movie"));
        assert!(e.section.is_some());
        assert!(e.raw.get("Account").is_some(), "the account stays in raw");
        let e = event(&fixture(
            "media_play_track__plex-support-article-example-via-plex-api-rs.json",
        ))
        .unwrap();
        assert_eq!(e.name, EventName::WebhookMediaPlay);
        assert_eq!(e.item.unwrap().kind.as_deref(), Some("track"));
    }

    #[test]
    fn unknown_events_are_named() {
        let err = event(&serde_json::json!({"event": "media.teleport"})).unwrap_err();
        assert!(err.contains("media.teleport"), "{err}");
        assert!(event(&serde_json::json!({})).is_err());
    }
}
