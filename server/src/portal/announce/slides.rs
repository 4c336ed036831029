//! Bulletin-board slides: one self-contained HTML deck for the commune's public screen.

use super::Notice;

/// Options of a deck.
#[derive(Debug, Clone)]
pub struct DeckOptions {
    /// Seconds per slide.
    pub interval_s: u32,
    /// `vi` or `en`.
    pub lang: String,
    /// Title over the deck ("Thông báo quy hoạch — xã Vĩnh Thanh").
    pub heading: String,
    /// Reload the deck every so many seconds, at the end of a round of slides, when the
    /// address still answers (a commune's screen left on picks up new notices); `None` for a
    /// file (`slides.html`).
    pub reload_s: Option<u32>,
    /// The portal's address: the empty deck's QR code ("no new notices") points there.
    pub portal: Option<String>,
}

impl Default for DeckOptions {
    fn default() -> Self {
        DeckOptions {
            interval_s: 12,
            lang: "vi".into(),
            heading: "Thông báo quy hoạch".into(),
            reload_s: None,
            portal: None,
        }
    }
}

/// The slides of several notices (a commune's current ones), cycling.
pub fn deck_html(notices: &[&Notice], opts: &DeckOptions) -> String {
    let _ = (notices, opts);
    String::new()
}

/// The slides of one notice (`slides.html`).
pub fn slides_html(notice: &Notice) -> String {
    deck_html(
        &[notice],
        &DeckOptions {
            interval_s: 12,
            lang: "vi".into(),
            heading: format!("{} — {}", notice.title_vi, notice.area.name_vi),
            reload_s: None,
            portal: Some(notice.links.portal.clone()),
        },
    )
}
