//! Snapshots kept with the cards: the web archive's addresses for a topic's cited pages written
//! into its `sources.toml` (`archived`, `archived_on`) through the desk's one path, as dossier
//! itself: checked with the whole topic like `dossier check`, written, committed, logged (so
//! `undo` takes them back) and served at once, so they travel with the cards to every replica
//! and to `dossier site`.

use super::files::read_card;
use super::state::{Desk, Handles};
use super::write::{CardWrite, Described};
use crate::edit::form::FormKind;
use crate::edit::snapshots::{self, Kept};
use crate::edit::{Author, EditRequest};
use crate::store::edits::Logged;

/// Who keeps the snapshots: dossier itself.
pub fn dossier() -> Author {
    Author {
        platform: crate::platform::Platform::Terminal,
        id: "dossier".into(),
        name: "dossier".into(),
    }
}

impl Desk {
    /// Write `kept` into `topic`'s `sources.toml` as one edit by dossier; the ids written (none
    /// when every source named has a snapshot already), or why nothing was.
    pub async fn keep_snapshots(
        &self,
        h: &Handles<'_>,
        topic: &str,
        kept: &[Kept],
    ) -> Result<Vec<String>, String> {
        let req = EditRequest {
            kind: FormKind::Source,
            correct: false,
            topic: Some(topic.to_owned()),
            actor: None,
            base: None,
            entry: None,
            remove: false,
        };
        let target = self.target(h, &req).map_err(|r| r.title.clone())?;
        let file = target.topic_dir.join(crate::cards::load::SOURCES_FILE);
        let _held = self.hold(&target.topic_dir).await.map_err(|r| r.title)?;
        let before =
            read_card(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let (after, written) = snapshots::set(&before, kept).map_err(|e| e.to_string())?;
        if written.is_empty() {
            return Ok(written);
        }
        self.check_files(
            h,
            &target.topic_dir,
            vec![(file.clone(), before.clone(), after.clone())],
        )
        .await
        .map_err(|r| flatten(&r))?;
        let summary = if written.len() == 1 {
            format!("snapshot of {} kept", written[0])
        } else {
            format!("snapshots of {} sources kept", written.len())
        };
        let body = format!(
            "The web archive's copies of these cited pages, so a reader can still read them if they go: {}.\nCard: {}",
            written.join(", "),
            self.relative(&file)
        );
        let writes = vec![CardWrite {
            file,
            existed: true,
            before,
            after,
        }];
        let described = Described {
            action: Logged::Snapshots,
            summary,
            body,
        };
        self.write_checked(h, &target.topic_id, writes, &dossier(), described)
            .await
            .map_err(|r| flatten(&r))?;
        Ok(written)
    }
}

/// A refusal's title and first line, for a log or a terminal.
fn flatten(r: &crate::reply::Reply) -> String {
    match &r.summary {
        Some(l) => format!("{}: {}", r.title, l.text),
        None => r.title.clone(),
    }
}
