//! `Reply`: what dossier says, as data. Commands build it; renderers (text, Discord, Matrix)
//! turn it into something a surface can show. Text in a reply is plain: renderers escape it for
//! their markup. Citations are numbered in order of first use. A reply can be stored as JSON
//! (the change feed keeps its entries so), all but its pager.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What a reply is, so surfaces can style it and the terminal can choose an exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplyKind {
    Answer,
    Help,
    /// The user asked for something that is not there or not well formed; the reply says how
    /// to ask instead.
    UserError,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub kind: ReplyKind,
    pub title: String,
    pub summary: Option<Line>,
    pub sections: Vec<Section>,
    pub citations: Vec<Citation>,
    pub footer: Option<Footer>,
    /// Not kept when a reply is stored (the feed's entries are never paged).
    #[serde(skip)]
    pub pager: Option<Pager>,
    /// After an edit: the `edit` command line that opens the rest of the entry's fields, for
    /// doors whose forms hold only some of them (Discord's five inputs); others ignore it.
    pub more_fields: Option<String>,
    /// Shown only to the asker where the platform can (ephemeral on Discord); a notice on
    /// Matrix, which has no private replies in a room.
    pub private: bool,
    /// The web page that shows this answer at length, when the service has public pages:
    /// Discord links the embed's title to it (and a button), Matrix ends with it.
    #[serde(default)]
    pub link: Option<String>,
}

/// A headed part of a reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub heading: String,
    pub body: Block,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Block {
    Text(Line),
    Bullets(Vec<Line>),
    /// Labelled values, e.g. two actors side by side.
    Fields(Vec<Field>),
}

/// A piece of text with the citation numbers that back it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// Optional lead-in shown emphasised before the text ("6 Feb 2026", "Iran").
    pub label: Option<String>,
    pub text: String,
    pub cites: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub lines: Vec<Line>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    pub n: u32,
    pub source_id: String,
    pub title: String,
    pub publisher: String,
    /// "6 Feb 2026", when known.
    pub published: Option<String>,
    pub url: String,
    /// A snapshot of the page in a web archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<String>,
    /// The day the snapshot was taken ("12 Mar 2026"), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_on: Option<String>,
    /// The page is gone: the day it was first found offline ("3 Dec 2026").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_since: Option<String>,
    /// The page moved for good to this address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<String>,
}

/// A few words said after a citation, linked where they name another address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Aside<'a> {
    pub text: String,
    pub link: Option<&'a str>,
}

impl Citation {
    /// Where a reader is sent: the snapshot of a page gone (when there is one), the cited
    /// address otherwise (a page that moved keeps it: its new address is said beside it, since
    /// a lapsed domain redirects everything to whoever bought it).
    pub fn link(&self) -> &str {
        match (&self.offline_since, &self.archived) {
            (Some(_), Some(snapshot)) => snapshot,
            _ => &self.url,
        }
    }

    /// What is said after the citation: that the original is offline and since when, that it
    /// moved, or (for a page that answers) its snapshot, "archived 12 Mar 2026".
    pub fn asides(&self) -> Vec<Aside<'_>> {
        let mut out = Vec::new();
        if let Some(since) = &self.offline_since {
            let text = if self.archived.is_some() {
                format!("archived copy; original offline since {since}")
            } else {
                format!("offline since {since}")
            };
            out.push(Aside { text, link: None });
            return out;
        }
        if let Some(new) = &self.moved_to {
            out.push(Aside {
                text: "moved".into(),
                link: Some(new),
            });
        }
        if let Some(snapshot) = &self.archived {
            let text = match &self.archived_on {
                Some(on) => format!("archived {on}"),
                None => "archived".into(),
            };
            out.push(Aside {
                text,
                link: Some(snapshot),
            });
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Footer {
    pub topic: String,
    pub as_of: NaiveDate,
    /// Present when the card is older than its topic allows.
    pub stale: Option<String>,
    pub note: Option<String>,
}

/// Where a paged answer is, and the commands that show the neighbouring pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pager {
    pub page: u32,
    pub pages: u32,
    pub total: usize,
    /// "events", "results".
    pub noun: &'static str,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Line {
    pub fn new(text: impl Into<String>) -> Self {
        Line {
            label: None,
            text: text.into(),
            cites: Vec::new(),
        }
    }

    pub fn cited(text: impl Into<String>, cites: Vec<u32>) -> Self {
        Line {
            label: None,
            text: text.into(),
            cites,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
}

impl Reply {
    pub fn new(kind: ReplyKind, title: impl Into<String>) -> Self {
        Reply {
            kind,
            title: title.into(),
            summary: None,
            sections: Vec::new(),
            citations: Vec::new(),
            footer: None,
            pager: None,
            more_fields: None,
            private: false,
            link: None,
        }
    }

    pub fn summary(mut self, line: Line) -> Self {
        self.summary = Some(line);
        self
    }

    pub fn section(&mut self, heading: impl Into<String>, body: Block) {
        self.sections.push(Section {
            heading: heading.into(),
            body,
        });
    }

    /// A bullet section, left out when there is nothing to list.
    pub fn bullets(&mut self, heading: impl Into<String>, lines: Vec<Line>) {
        if !lines.is_empty() {
            self.section(heading, Block::Bullets(lines));
        }
    }

    pub fn is_user_error(&self) -> bool {
        self.kind == ReplyKind::UserError
    }
}
