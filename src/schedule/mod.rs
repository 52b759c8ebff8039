//! Daily briefings, as data and pure decisions: subscriptions (from the config, or made by
//! moderators in chat) and what a store of them must do (`store`), when each is due in its own
//! time zone (`due`), and the times, zones and windows a moderator types. The loop that posts
//! them, the SQLite store and the moderators' replies are the service's (`crate::scheduler`);
//! what a briefing says is `crate::digest`.

pub mod due;
pub mod store;

pub use store::{Destination, NewSubscription, Subscription};

use chrono::NaiveTime;
use chrono_tz::Tz;

/// The catch-up window when none is given: a briefing due while dossier was down goes out on
/// start if it was due less than this long ago.
pub const DEFAULT_CATCH_UP: chrono::Duration = chrono::Duration::hours(6);

/// "08:00" or "8:00" (24-hour), or why not.
pub fn parse_time(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| {
        format!(
            "`{}` is not a time of day: write it as HH:MM on a 24-hour clock, e.g. 08:00 or 19:30",
            crate::text::truncate_words(s, 20)
        )
    })
}

/// An IANA time zone name ("Asia/Muscat", any case), or why not with the closest names.
pub fn parse_zone(s: &str) -> Result<Tz, String> {
    let s = s.trim();
    if let Ok(tz) = s.parse::<Tz>() {
        return Ok(tz);
    }
    if let Some(tz) = chrono_tz::TZ_VARIANTS
        .iter()
        .find(|t| t.name().eq_ignore_ascii_case(s))
    {
        return Ok(*tz);
    }
    let names = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name());
    let close = crate::text::did_you_mean(s, names, 3);
    let shown = crate::text::truncate_words(s, 40);
    Err(if close.is_empty() {
        format!(
            "`{shown}` is not a time zone: use an IANA name such as Europe/Berlin or Asia/Muscat"
        )
    } else {
        format!(
            "`{shown}` is not a time zone. Did you mean {}?",
            crate::text::or_list(&close)
        )
    })
}

/// Time zone names starting with what was typed (ignoring case), at most `max`, for
/// autocomplete; a bare city ("berl") also finds "Europe/Berlin".
pub fn zones_starting(typed: &str, max: usize) -> Vec<&'static str> {
    let typed = typed.trim().to_ascii_lowercase();
    let mut out: Vec<&'static str> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|t| t.name())
        .filter(|n| n.to_ascii_lowercase().starts_with(&typed))
        .take(max)
        .collect();
    if out.len() < max {
        for n in chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()) {
            let city = n.rsplit('/').next().unwrap_or(n).to_ascii_lowercase();
            if city.starts_with(&typed) && !out.contains(&n) {
                out.push(n);
                if out.len() == max {
                    break;
                }
            }
        }
    }
    out
}

/// "6h", "90m", "45s" or a number of seconds, as `crate::deadlines::parse` reads durations.
pub fn parse_catch_up(s: &str) -> Result<chrono::Duration, String> {
    let s = s.trim();
    let d = crate::deadlines::parse(s)
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .ok_or_else(|| format!("`{s}` is not a duration: write e.g. \"6h\" or \"90m\""))?;
    if d > chrono::Duration::hours(23) {
        return Err(format!(
            "`{s}` is too long: a catch-up window must end before the next day's briefing (at most 23h)"
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_zones_and_windows() {
        assert_eq!(
            parse_time("08:00").map(|t| t.to_string()),
            Ok("08:00:00".into())
        );
        assert_eq!(
            parse_time("8:05").map(|t| t.to_string()),
            Ok("08:05:00".into())
        );
        assert!(parse_time("25:00").is_err() && parse_time("8am").is_err());
        assert_eq!(parse_zone("asia/muscat"), Ok(chrono_tz::Asia::Muscat));
        let e = parse_zone("Europe/Berln").unwrap_err();
        assert!(e.contains("Did you mean `Europe/Berlin`"), "{e}");
        assert!(parse_zone("Mars/Olympus").is_err());
        let z = zones_starting("europe/b", 25);
        assert!(z.contains(&"Europe/Berlin") && z.len() <= 25);
        assert!(zones_starting("musc", 25).contains(&"Asia/Muscat"));
        assert_eq!(zones_starting("", 25).len(), 25);
        assert_eq!(parse_catch_up("6h"), Ok(chrono::Duration::hours(6)));
        assert_eq!(parse_catch_up("90m"), Ok(chrono::Duration::minutes(90)));
        assert!(parse_catch_up("2d").is_err() && parse_catch_up("30h").is_err());
    }
}
