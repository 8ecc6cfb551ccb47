//! Item ids on the command line, checked before any request is built.
//!
//! Every one-shot command that names an item puts its id in a path
//! (`/library/metadata/{id}/…`). An empty id would address a different
//! endpoint (`/library/metadata//refresh`), and a word or a number Plex
//! cannot hold is a typo that must not reach Plex as a write. Library items
//! have integer ids (`ratingKey`) that fit in 32 bits; anything else is a
//! usage error from the parser (exit 2).

/// The largest id accepted: Plex's library ids are 32-bit integers.
const MAX_ITEM_ID: u64 = u32::MAX as u64;

/// A clap value parser for an item id (`ratingKey`): digits only, 1 to
/// [`MAX_ITEM_ID`]; returned as text, the way ids travel everywhere else.
pub(crate) fn item_id(text: &str) -> Result<String, String> {
    let id = text.trim();
    if id.is_empty() {
        return Err("the item id is empty; give the item's number (its ratingKey, e.g. 42)".into());
    }
    if !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{}` is not an item id: ids are numbers (a ratingKey, e.g. 42)",
            super::output::clean(id)
        ));
    }
    match id.parse::<u64>() {
        Ok(0) => Err("0 is not an item id: ids start at 1".into()),
        Ok(n) if n <= MAX_ITEM_ID => Ok(n.to_string()),
        _ => Err(format!(
            "{id} is too large for an item id (at most {MAX_ITEM_ID})"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_32_bit_numbers() {
        assert_eq!(item_id("42").unwrap(), "42");
        assert_eq!(item_id(" 007 ").unwrap(), "7");
        for bad in [
            "",
            "  ",
            "abc",
            "4 2",
            "-1",
            "0",
            "1.5",
            "4294967296",
            "99999999999999999999999",
        ] {
            assert!(item_id(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
