//! The notice in words: the Zalo/Facebook post, the commune website's HTML fragment and
//! the Atom entry.

use super::Notice;

/// `post.txt`: short plain Vietnamese within the platforms' lengths, with the link.
pub fn post_text(notice: &Notice) -> String {
    let _ = notice;
    String::new()
}

/// `page.html`: an HTML fragment for the commune's website (no script, no outside resource).
pub fn page_fragment(notice: &Notice) -> String {
    let _ = notice;
    String::new()
}

/// An Atom `<entry>` of the notice; `id` is its permanent URL, `updated` RFC 3339.
pub fn atom_entry(notice: &Notice, id: &str, updated: &str) -> String {
    let _ = (notice, id, updated);
    String::new()
}
