//! `[moderation]`: where the moderators' notices go (a Discord channel, a Matrix room) and who
//! the moderators are (users, rooms, servers and roles the operator names). Every id is
//! checked for its shape here, so a typo is a file:line:col error, not a moderator who is
//! silently never recognised.

use super::check::ConfigCheck;
use super::raw::*;
use super::types::*;
use toml::Spanned;

const DISCORD_ID_HELP: &str =
    "copy the id with Developer Mode on (right-click → Copy ID), as a quoted string of digits";

impl ConfigCheck<'_> {
    pub(super) fn moderation(
        &mut self,
        m: Spanned<RawModeration>,
        discord: Option<&DiscordConfig>,
        matrix: bool,
    ) -> Moderation {
        let m = m.into_inner();
        let discord_channel = m.discord_channel.as_ref().and_then(|c| {
            let id = self.discord_id(c, "discord_channel", "copy the channel id (Developer Mode: right-click the channel, Copy Channel ID), as a quoted string of digits")?;
            if discord.is_none_or(|d| d.token.is_none()) {
                self.err(c.span(), "missing-secret", "posting to the moderators' Discord channel needs the bot token".into(), "add a [discord] table and set DISCORD_TOKEN (or `token_file`); the HTTP endpoint alone cannot post");
            }
            Some(id)
        });
        let matrix_room = m.matrix_room.as_ref().and_then(|r| {
            let room = self.matrix_room_id(r, "matrix_room")?;
            if !matrix {
                self.err(
                    r.span(),
                    "missing-field",
                    "`matrix_room` needs a [matrix] table".into(),
                    "add the [matrix] door, or remove `matrix_room`",
                );
            }
            Some(room)
        });
        let matrix_users = m
            .matrix_users
            .iter()
            .filter_map(|u| self.matrix_user_id(u))
            .collect();
        let matrix_rooms = m
            .matrix_rooms
            .iter()
            .filter_map(|r| self.matrix_room_id(r, "matrix_rooms"))
            .collect();
        let mut ids = |list: &[Spanned<String>], key: &str| -> Vec<u64> {
            list.iter()
                .filter_map(|v| self.discord_id(v, key, DISCORD_ID_HELP))
                .collect()
        };
        let moderators = Moderators {
            matrix_users,
            matrix_rooms,
            discord_users: ids(&m.discord_users, "discord_users"),
            discord_guilds: ids(&m.discord_guilds, "discord_guilds"),
            discord_roles: ids(&m.discord_roles, "discord_roles"),
        };
        Moderation {
            discord_channel,
            matrix_room,
            moderators,
        }
    }

    /// A Matrix user id: `@localpart:server`.
    fn matrix_user_id(&mut self, u: &Spanned<String>) -> Option<String> {
        let user = u.get_ref().trim();
        let ok = user
            .strip_prefix('@')
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(local, server)| {
                !local.is_empty() && !server.is_empty() && !user.contains(char::is_whitespace)
            });
        if !ok {
            self.err(
                u.span(),
                "bad-value",
                format!("`{user}` in `matrix_users` is not a Matrix user id"),
                "write the full id, e.g. \"@editor:example.org\"",
            );
            return None;
        }
        Some(user.to_owned())
    }

    /// A Matrix room id: `!opaque:server` (or `!opaque` in room versions without a server part).
    fn matrix_room_id(&mut self, r: &Spanned<String>, key: &str) -> Option<String> {
        let room = r.get_ref().trim();
        let ok = room.len() > 3 && room.starts_with('!') && !room.contains(char::is_whitespace);
        if !ok {
            self.err(
                r.span(),
                "bad-value",
                format!("`{room}` in `{key}` is not a Matrix room id"),
                "write the room's id (Room settings → Advanced), e.g. \"!abcdef:example.org\"; an alias such as #mods:example.org will not do",
            );
            return None;
        }
        Some(room.to_owned())
    }
}
