//! The moderators' Discord channel: each notice (broken cards with the exact `check` output,
//! the fix, a changed set of warnings) is posted once, as an embed that fits Discord's limits
//! and mentions nobody. Needs the bot token; goes through `api_proxy` like every Discord call.

use crate::app::App;
use crate::render::discord::limits;
use crate::service::{Notice, NoticeKind};
use serenity::builder::{
    CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed, CreateMessage,
};
use serenity::http::Http;
use serenity::model::application::ButtonStyle;
use serenity::model::id::ChannelId;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

const COLOUR_BROKEN: u32 = 0xC0392B;
const COLOUR_FIXED: u32 = 0x27AE60;
const COLOUR_WARNINGS: u32 = 0xE67E22;
const COLOUR_SUGGESTION: u32 = 0x2980B9;

/// How much of the `check` output an embed shows: a code block inside the description.
const DETAIL_CHARS: usize = limits::EMBED_DESCRIPTION - 200;

/// The `check` output as a code block that fits `max` characters, cut at a line with a note
/// of how many lines were left out. Backticks cannot close the block early.
pub fn code_block(detail: &str, max: usize) -> String {
    let safe = detail.replace("```", "`\u{200B}``");
    let lines: Vec<&str> = safe.lines().collect();
    let mut kept = String::new();
    let mut used = 0;
    for (i, line) in lines.iter().enumerate() {
        let n = line.chars().count() + 1;
        if used + n > max {
            kept.push_str(&format!(
                "… {} more lines: run `dossier check` where the cards are\n",
                lines.len() - i
            ));
            break;
        }
        kept.push_str(line);
        kept.push('\n');
        used += n;
    }
    format!("```\n{kept}```")
}

/// The message for one notice.
pub fn message(notice: &Notice) -> CreateMessage {
    let colour = match notice.kind {
        NoticeKind::Broken => COLOUR_BROKEN,
        NoticeKind::Fixed => COLOUR_FIXED,
        NoticeKind::Warnings => COLOUR_WARNINGS,
        NoticeKind::Suggestion(_) | NoticeKind::Proposal(_) => COLOUR_SUGGESTION,
        NoticeKind::Feed | NoticeKind::Source => COLOUR_WARNINGS,
    };
    let title: String = notice.title.chars().take(limits::EMBED_TITLE).collect();
    let mut embed = CreateEmbed::new().title(title).colour(colour);
    if !notice.detail.trim().is_empty() {
        embed = embed.description(code_block(&notice.detail, DETAIL_CHARS));
    }
    let mut m = CreateMessage::new()
        .embed(embed)
        .allowed_mentions(CreateAllowedMentions::new());
    if let NoticeKind::Suggestion(id) = notice.kind {
        m = m.components(vec![CreateActionRow::Buttons(vec![
            CreateButton::new(format!("{}{id}", super::edit::APPROVE_PREFIX))
                .label("Approve")
                .style(ButtonStyle::Success),
            CreateButton::new(format!("{}{id}", super::edit::REJECT_PREFIX))
                .label("Reject")
                .style(ButtonStyle::Danger),
        ])]);
    }
    if let NoticeKind::Proposal(id) = notice.kind {
        use super::proposals::{APPROVE, EDIT, REJECT, button_id};
        m = m.components(vec![CreateActionRow::Buttons(vec![
            CreateButton::new(button_id(APPROVE, id))
                .label("Approve")
                .style(ButtonStyle::Success),
            CreateButton::new(button_id(EDIT, id))
                .label("Edit")
                .style(ButtonStyle::Primary),
            CreateButton::new(button_id(REJECT, id))
                .label("Reject")
                .style(ButtonStyle::Danger),
        ])]);
    }
    m
}

/// Post each notice to `channel` until `stop`. A failed post is retried a few times, then
/// logged; it never holds up the reload that caused it.
pub async fn post_notices(
    http: Arc<Http>,
    channel: u64,
    app: Arc<App>,
    mut notices: broadcast::Receiver<Notice>,
    stop: CancellationToken,
) {
    let channel = ChannelId::new(channel);
    loop {
        let notice = tokio::select! {
            _ = stop.cancelled() => return,
            n = notices.recv() => match n {
                Ok(n) => n,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "moderator notices came faster than Discord took them");
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        };
        let mut wait = Duration::from_millis(500);
        for attempt in 0..4 {
            match channel.send_message(&http, message(&notice)).await {
                Ok(_) => {
                    app.metrics.sent("discord");
                    break;
                }
                Err(e) if attempt < 3 => {
                    tracing::warn!(%channel, error = %e, "posting to the moderators' channel failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                Err(e) => {
                    app.metrics.failed("discord");
                    tracing::error!(%channel, error = %e, "could not post to the moderators' channel");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_check_output_is_cut_at_a_line_inside_one_code_block() {
        let detail: String = (0..500)
            .map(|i| format!("error[bad-date]: line {i} ``` tries to break out\n"))
            .collect();
        let block = code_block(&detail, DETAIL_CHARS);
        assert!(
            block.chars().count() <= limits::EMBED_DESCRIPTION,
            "{}",
            block.len()
        );
        assert!(block.starts_with("```\n") && block.ends_with("```"));
        assert_eq!(
            block.matches("```").count(),
            2,
            "only the block's own fences"
        );
        assert!(block.contains("more lines: run `dossier check`"));
        let n = Notice {
            kind: NoticeKind::Broken,
            title: "t".repeat(400),
            detail,
        };
        let json = serde_json::to_value(message(&n)).expect("json");
        assert_eq!(json["allowed_mentions"]["parse"], serde_json::json!([]));
        assert_eq!(
            json["embeds"][0]["title"]
                .as_str()
                .map(|t| t.chars().count()),
            Some(limits::EMBED_TITLE)
        );
    }
}
