//! `[[schedule]]`: a daily briefing posted to a channel or room, checked against the doors
//! the config opens and the topic named.

use super::check::ConfigCheck;
use super::raw::*;
use super::types::*;
use toml::Spanned;

impl ConfigCheck<'_> {
    pub(super) fn schedule(
        &mut self,
        s: &Spanned<RawSchedule>,
        default_topic: Option<&str>,
        discord: Option<&DiscordConfig>,
        matrix: bool,
    ) -> Option<crate::schedule::NewSubscription> {
        use crate::schedule::{Destination, parse_catch_up, parse_time, parse_zone};
        let span = s.span();
        let s = s.get_ref();
        let topic = match (&s.topic, default_topic) {
            (Some(t), _) => Some(t.get_ref().trim().to_owned()),
            (None, Some(d)) => Some(d.to_owned()),
            (None, None) => {
                self.err(
                    span.clone(),
                    "missing-field",
                    "this schedule names no topic".into(),
                    "add `topic = \"…\"`, or set `default_topic` at the top of the config",
                );
                None
            }
        };
        let at = parse_time(s.at.get_ref())
            .map_err(|why| self.err(s.at.span(), "bad-value", why, "e.g. at = \"08:00\""))
            .ok();
        let tz = parse_zone(s.timezone.get_ref())
            .map_err(|why| {
                self.err(
                    s.timezone.span(),
                    "bad-value",
                    why,
                    "an IANA time zone name, e.g. timezone = \"Asia/Muscat\"",
                )
            })
            .ok();
        let destination = match (&s.discord_channel, &s.matrix_room) {
            (Some(c), None) => {
                let id = self.discord_id(c, "discord_channel", "copy the channel id (Developer Mode: right-click the channel, Copy Channel ID)")?;
                if discord.is_none_or(|d| d.token.is_none()) {
                    self.err(
                        c.span(),
                        "missing-secret",
                        "posting briefings to Discord needs the bot token".into(),
                        "add a [discord] table and set DISCORD_TOKEN (or `token_file`)",
                    );
                }
                Some(Destination::Discord { channel: id })
            }
            (None, Some(r)) => {
                let room = r.get_ref().trim().to_owned();
                if !(room.starts_with('!') && room[1..].contains(':')) {
                    self.err(r.span(), "bad-value", format!("`{room}` is not a Matrix room id"), "write the room's id (Room settings → Advanced), e.g. \"!abcdef:example.org\"");
                    return None;
                }
                if !matrix {
                    self.err(
                        r.span(),
                        "missing-field",
                        "posting briefings to Matrix needs a [matrix] table".into(),
                        "add the [matrix] door, or post to Discord instead",
                    );
                }
                Some(Destination::Matrix { room })
            }
            (Some(c), Some(_)) => {
                self.err(c.span(), "conflict", "a schedule posts to one place".into(), "keep `discord_channel` or `matrix_room`, and write a second [[schedule]] for the other");
                None
            }
            (None, None) => {
                self.err(
                    span,
                    "missing-field",
                    "this schedule names no place to post".into(),
                    "add `discord_channel = \"…\"` or `matrix_room = \"!…\"`",
                );
                None
            }
        };
        let when_unchanged = match &s.when_unchanged {
            None => Some(crate::digest::WhenUnchanged::Post),
            Some(w) => {
                let parsed = crate::digest::WhenUnchanged::parse(w.get_ref().trim());
                if parsed.is_none() {
                    self.err(w.span(), "bad-value", format!("`{}` is not a `when_unchanged`", w.get_ref()), "one of `post` (the full briefing), `short` (a one-line \"no change\") or `skip` (nothing)");
                }
                parsed
            }
        };
        let catch_up = match &s.catch_up {
            None => Some(crate::schedule::DEFAULT_CATCH_UP),
            Some(c) => parse_catch_up(c.get_ref())
                .map_err(|why| {
                    self.err(
                        c.span(),
                        "bad-value",
                        why,
                        "e.g. catch_up = \"6h\" (the default)",
                    )
                })
                .ok(),
        };
        Some(crate::schedule::NewSubscription {
            destination: destination?,
            topic: topic?,
            at: at?,
            tz: tz?,
            when_unchanged: when_unchanged?,
            catch_up: catch_up?,
            from_config: true,
            created_by: None,
        })
    }
}

/// The bounds of `[schedules] claim_lease`: long enough that a renewal (every third of it)
/// lands through a busy database, short enough that a dead replica's briefings are not late.
const CLAIM_LEASE_BOUNDS: (std::time::Duration, std::time::Duration) = (
    std::time::Duration::from_secs(2),
    std::time::Duration::from_secs(600),
);

impl ConfigCheck<'_> {
    /// `[schedules] claim_lease`: 10 s unless set.
    pub(super) fn claim_lease(&mut self, s: Option<&Spanned<RawSchedules>>) -> std::time::Duration {
        let default = crate::deadlines::CLAIM_LEASE;
        let Some(v) = s.and_then(|s| s.get_ref().claim_lease.as_ref()) else {
            return default;
        };
        match crate::deadlines::parse(v.get_ref()) {
            Some(d) if (CLAIM_LEASE_BOUNDS.0..=CLAIM_LEASE_BOUNDS.1).contains(&d) => d,
            _ => {
                self.err(
                    v.span(),
                    "bad-duration",
                    format!(
                        "`claim_lease = \"{}\"` is not a lease dossier can keep",
                        v.get_ref().chars().take(40).collect::<String>()
                    ),
                    "give it from \"2s\" to \"10m\"; unset, it is \"10s\": a replica that dies hands its briefings over that long after",
                );
                default
            }
        }
    }

    /// `[deadlines]`: each from 1 s to 5 min (git to 30 min); the defaults of
    /// `crate::deadlines` for the ones unset.
    pub(super) fn deadlines(
        &mut self,
        d: Option<&Spanned<RawDeadlines>>,
    ) -> crate::deadlines::Deadlines {
        let mut out = crate::deadlines::Deadlines::default();
        let Some(d) = d.map(Spanned::get_ref) else {
            return out;
        };
        let second = std::time::Duration::from_secs(1);
        let keys = [
            // A briefing's whole send is bounded by 5 min (`BRIEFING_SEND`): no request longer.
            ("discord", &d.discord, &mut out.discord, 300),
            ("matrix", &d.matrix, &mut out.matrix, 300),
            ("git", &d.git, &mut out.git, 1800),
        ];
        for (key, given, slot, most) in keys {
            let Some(v) = given else { continue };
            match crate::deadlines::parse(v.get_ref()) {
                Some(t) if t >= second && t <= std::time::Duration::from_secs(most) => *slot = t,
                _ => self.err(
                    v.span(),
                    "bad-duration",
                    format!(
                        "`{key} = \"{}\"` is not a deadline dossier can keep",
                        v.get_ref().chars().take(40).collect::<String>()
                    ),
                    &format!(
                        "give it from \"1s\" to \"{}m\"; unset, it is \"{}s\"",
                        most / 60,
                        slot.as_secs()
                    ),
                ),
            }
        }
        out
    }
}
