//! The one interaction handler both the gateway and the HTTP endpoint call: an interaction in,
//! the response to send out. Commands, autocomplete and paging buttons are answered here;
//! moderator commands are checked against the member's permissions.
