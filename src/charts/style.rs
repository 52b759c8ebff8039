//! The charts' colours: an opaque light panel with dark ink, and a colour-blind-safe palette
//! for the lanes (shape tells confirmed from reported, so colour is never the only cue).

/// The chart's background, ink and lines: an opaque light panel, legible on Discord's dark and
/// light themes alike.
pub const BACKGROUND: &str = "#ffffff";
pub const INK: &str = "#1a1a1a";
pub const MUTED: &str = "#555555";
pub const GRID: &str = "#d9d9d9";

/// Okabe and Ito's colour-blind-safe palette (without its yellow, too pale on white).
const PALETTE: [&str; 7] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
];

/// A lane's colour; the "Other" lane is grey.
pub fn palette(lane: usize, other: bool) -> &'static str {
    if other {
        "#8c8c8c"
    } else {
        PALETTE[lane % PALETTE.len()]
    }
}
