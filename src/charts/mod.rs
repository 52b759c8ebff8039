//! Charts drawn by dossier itself, with the same content as the text answer: the timeline
//! (`timeline`) and the position histories (`position`, `compare`), as SVG built here
//! (`svg`, `axis`) and rasterized to PNG with resvg and the bundled DejaVu Sans (`raster`), so
//! the same cards give the same bytes on every machine. What to draw comes from
//! `commands::answer::subject`, which resolves a command as its answer does. Pure: no I/O.

pub mod axis;
pub mod history;
pub mod raster;
pub mod style;
pub mod svg;
pub mod timeline;

use crate::commands::answer::{Subject, subject};
use crate::commands::{Command, Ctx};

/// A chart of an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    /// `timeline.png` or `positions.png`: the name it is attached and written under.
    pub name: &'static str,
    pub svg: String,
    /// What it shows, for screen readers (Discord's description, Matrix's body, the page's
    /// caption).
    pub alt: String,
}

/// A chart drawn to PNG, ready to attach to a chat reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Png {
    /// The file name it is attached under (`timeline.png`, `positions.png`).
    pub name: &'static str,
    pub bytes: bytes::Bytes,
    pub width: u32,
    pub height: u32,
    /// What it shows, for screen readers.
    pub alt: String,
}

impl Picture {
    /// The picture as PNG; `Err` says why it could not be drawn (never expected: the SVG is
    /// made here).
    pub fn to_png(&self) -> Result<Png, String> {
        let (bytes, width, height) = raster::render(&self.svg)?;
        Ok(Png {
            name: self.name,
            bytes: bytes.into(),
            width,
            height,
            alt: self.alt.clone(),
        })
    }
}

/// Whether the command asks for its answer without the chart (`picture off`).
fn left_out(cmd: &Command) -> bool {
    match cmd {
        Command::Timeline(q) => !q.picture,
        Command::Position(q) => !q.picture,
        Command::Compare(q) => !q.picture,
        _ => false,
    }
}

/// The chart that goes with `cmd`'s answer, if it has one and the command did not ask to
/// leave it out.
pub fn for_command(ctx: &Ctx<'_>, cmd: &Command) -> Option<Picture> {
    let lib = ctx.library;
    if left_out(cmd) {
        return None;
    }
    match subject(ctx, cmd)? {
        Subject::Timeline {
            topic,
            events,
            filter,
        } => {
            let drawn = timeline::draw(&timeline::Range {
                topic: lib.topic(topic),
                events,
                filter,
            });
            Some(Picture {
                name: "timeline.png",
                svg: drawn.svg,
                alt: drawn.alt,
            })
        }
        Subject::Positions { topic, actors, on } => {
            let (svg, alt, _) = history::draw(lib.topic(topic), &actors, on);
            Some(Picture {
                name: "positions.png",
                svg,
                alt,
            })
        }
    }
}
