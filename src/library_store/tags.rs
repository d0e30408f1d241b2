//! An article's or a section's actor and topic tags packed into one text
//! column (schema `V_PACKED_TAGS`), so a warm start reads one row per
//! section instead of one per tag. Each tag as written follows a `\x1f`
//! and its kind (`a` actor, `t` topic), actors first, each list in order:
//! `\x1faMusk\x1faxAI\x1ftmarkets`. Exact for every tag: a tag never holds
//! `\x1f` (the parser makes control characters visible), and one that did
//! would be stored with it as `␟`, as the parser shows it.

const SEPARATOR: char = '\x1f';

/// The packed form of `actors` and `topics`.
pub fn pack(actors: &[String], topics: &[String]) -> String {
    let len = actors.iter().chain(topics).map(|t| t.len() + 2).sum();
    let mut packed = String::with_capacity(len);
    for (kind, tags) in [('a', actors), ('t', topics)] {
        for tag in tags {
            packed.push(SEPARATOR);
            packed.push(kind);
            if tag.contains(SEPARATOR) {
                packed.push_str(&tag.replace(SEPARATOR, "\u{241f}"));
            } else {
                packed.push_str(tag);
            }
        }
    }
    packed
}

/// The (actors, topics) of a packed column; anything not in the packed
/// form (no leading separator, an unknown kind) is `None`: the store is
/// then treated as damaged.
pub fn unpack(packed: &str) -> Option<(Vec<String>, Vec<String>)> {
    let mut actors = Vec::new();
    let mut topics = Vec::new();
    if packed.is_empty() {
        return Some((actors, topics));
    }
    let mut pieces = packed.split(SEPARATOR);
    if !pieces.next()?.is_empty() {
        return None;
    }
    for piece in pieces {
        match piece.as_bytes().first()? {
            b'a' => actors.push(piece[1..].to_owned()),
            b't' => topics.push(piece[1..].to_owned()),
            _ => return None,
        }
    }
    Some((actors, topics))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn tags_come_back_as_written_in_order() {
        for (actors, topics) in [
            (vec![], vec![]),
            (vec!["Musk", "xAI"], vec!["markets"]),
            (vec![], vec!["Datenschutz", "  spaced  "]),
            (vec!["a", "t", ""], vec![""]),
            (vec!["Südkorea", "line\nbreak"], vec![]),
        ] {
            let (actors, topics) = (strings(&actors), strings(&topics));
            assert_eq!(
                unpack(&pack(&actors, &topics)),
                Some((actors.clone(), topics.clone()))
            );
        }
    }

    #[test]
    fn a_separator_in_a_tag_is_stored_visible() {
        let packed = pack(&strings(&["a\x1fb"]), &[]);
        assert_eq!(
            unpack(&packed),
            Some((strings(&["a\u{241f}b"]), Vec::new()))
        );
    }

    #[test]
    fn a_column_not_in_the_packed_form_is_refused() {
        assert_eq!(unpack("Musk"), None);
        assert_eq!(unpack("\x1fxMusk"), None);
        assert_eq!(unpack("\x1f"), None);
    }
}
