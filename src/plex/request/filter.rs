//! Smart-collection filters as Plex Web writes them: the query of a section
//! listing (`genre=Action&year>>=2000&unwatched=1`), checked before it goes
//! into a `server://` URI so a typo is an error here, not an empty collection.

/// A filter that passed [`check_filter`], without a leading `?`.
pub fn check_filter(filter: &str) -> Result<String, String> {
    let filter = filter.trim().trim_start_matches('?');
    if filter.is_empty() {
        return Err("the filter is empty; write it like `genre=Action&year>>=2000`".into());
    }
    for (n, part) in filter.split('&').enumerate() {
        let name_end = part
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
            .unwrap_or(part.len());
        let (name, rest) = part.split_at(name_end);
        let op_end = rest
            .find(|c| !matches!(c, '=' | '!' | '<' | '>'))
            .unwrap_or(rest.len());
        let op = &rest[..op_end];
        if name.is_empty() || !OPERATORS.contains(&op) {
            return Err(format!(
                "part {} of the filter, `{part}`, is not `field=value` (operators: {})",
                n + 1,
                OPERATORS.join(" ")
            ));
        }
        if name == "type" {
            return Err(
                "leave `type=` out of the filter; it comes from the collection's type".into(),
            );
        }
    }
    Ok(filter.to_owned())
}

/// Plex's filter operators: equals, not, contains-not, greater/less or equal.
const OPERATORS: &[&str] = &["=", "!=", "==", "!==", ">>=", "<<="];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plex_web_filters_pass_and_typos_do_not() {
        assert_eq!(
            check_filter("?genre=Action&year>>=2000").unwrap(),
            "genre=Action&year>>=2000"
        );
        assert!(check_filter("label!=4K&unwatched=1").is_ok());
        let err = check_filter("genre=Action&year 2000").unwrap_err();
        assert!(err.contains("part 2"), "{err}");
        assert!(check_filter("").is_err());
        assert!(check_filter("type=1&genre=A").is_err());
    }
}
