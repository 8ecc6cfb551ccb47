//! Which fields Plex's edit endpoint takes for each item type, and what
//! their values look like, so a typo (`ratingKey=5`, `year=soon`) is refused
//! before a request is sent rather than "set" and ignored, or answered with
//! an HTML 400 page.
//!
//! The names are the edit endpoint's own (`title.value=…`): the ones
//! python-plexapi's edit mixins send per class (see PROTOCOL.md §edit).

use crate::plex::model::MediaType;

/// The editable fields of an item of type `kind`.
pub fn editable_fields(kind: MediaType) -> &'static [&'static str] {
    match kind {
        MediaType::Movie => &[
            "title",
            "titleSort",
            "originalTitle",
            "originallyAvailableAt",
            "year",
            "contentRating",
            "studio",
            "tagline",
            "summary",
            "rating",
            "audienceRating",
            "userRating",
            "editionTitle",
            "addedAt",
        ],
        MediaType::Show => &[
            "title",
            "titleSort",
            "originalTitle",
            "originallyAvailableAt",
            "year",
            "contentRating",
            "studio",
            "tagline",
            "summary",
            "rating",
            "audienceRating",
            "userRating",
            "addedAt",
        ],
        MediaType::Season => &["title", "summary", "userRating", "addedAt"],
        MediaType::Episode => &[
            "title",
            "titleSort",
            "originallyAvailableAt",
            "contentRating",
            "summary",
            "rating",
            "audienceRating",
            "userRating",
            "addedAt",
        ],
        MediaType::Artist => &["title", "titleSort", "summary", "userRating", "addedAt"],
        MediaType::Album => &[
            "title",
            "titleSort",
            "originallyAvailableAt",
            "studio",
            "summary",
            "userRating",
            "addedAt",
        ],
        MediaType::Track => &["title", "titleSort", "summary", "userRating", "addedAt"],
        MediaType::Photo => &[
            "title",
            "titleSort",
            "summary",
            "originallyAvailableAt",
            "userRating",
            "addedAt",
        ],
        MediaType::Collection => &[
            "title",
            "titleSort",
            "contentRating",
            "summary",
            "userRating",
        ],
    }
}

/// Why `value` cannot be written to `field`, when its format is known and
/// wrong; free text fields take anything.
pub fn check_field_value(field: &str, value: &str) -> Result<(), String> {
    let v = value.trim();
    match field {
        "year" if v.len() == 4 && v.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        "year" => Err(format!("year must be four digits (e.g. 1999), not `{v}`")),
        "originallyAvailableAt" if is_date(v) => Ok(()),
        "originallyAvailableAt" => Err(format!(
            "originallyAvailableAt must be a date written YYYY-MM-DD, not `{v}`"
        )),
        "rating" | "audienceRating" | "userRating" => match v.parse::<f64>() {
            Ok(r) if (0.0..=10.0).contains(&r) => Ok(()),
            _ => Err(format!("{field} must be a number from 0 to 10, not `{v}`")),
        },
        "addedAt" if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        "addedAt" => Err(format!(
            "addedAt must be a Unix time in seconds (e.g. 1700000000), not `{v}`"
        )),
        _ => Ok(()),
    }
}

/// `YYYY-MM-DD` with a month 1–12 and a day 1–31.
fn is_date(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let num = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    matches!(
        (num(y, 4), num(m, 2), num(d, 2)),
        (Some(_), Some(1..=12), Some(1..=31))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_depend_on_the_item_type() {
        assert!(editable_fields(MediaType::Movie).contains(&"tagline"));
        assert!(!editable_fields(MediaType::Episode).contains(&"tagline"));
        for kind in [MediaType::Movie, MediaType::Track, MediaType::Collection] {
            assert!(!editable_fields(kind).contains(&"ratingKey"));
        }
    }

    #[test]
    fn known_formats_are_checked() {
        assert!(check_field_value("year", "1999").is_ok());
        assert!(check_field_value("year", "soon").is_err());
        assert!(check_field_value("originallyAvailableAt", "2016-11-11").is_ok());
        assert!(check_field_value("originallyAvailableAt", "11/11/2016").is_err());
        assert!(check_field_value("originallyAvailableAt", "2016-13-01").is_err());
        assert!(check_field_value("userRating", "7.5").is_ok());
        assert!(check_field_value("userRating", "11").is_err());
        assert!(check_field_value("summary", "<anything>").is_ok());
    }
}
