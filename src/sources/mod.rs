//! Sources that stay true: every page the cards cite looked at (`check`: `HEAD`, or `GET` where
//! it is refused and to read an answering page's text, redirects followed by hand so a page
//! that moved for good is seen; one host at a time with a gap, several hosts at once, through
//! `fetch` and its address policy), judged (`verdict`: ok, moved, blocked, failing, gone; gone
//! only on looks a day apart), and its text compared with its fingerprint as first seen
//! (`fingerprint`) to find a page edited since it was cited. What each look found is kept in
//! the `SourceStore`, so the next look and every replica know it. `watch` does it inside `serve`
//! on `[sources] check_every`, and tells the moderators once of a page gone, changed or back.
//! `shown` puts the latest looks before readers, on every replica. `archive` finds or takes a
//! web archive's snapshot of each page the cards keep none of.

pub mod archive;
pub mod check;
pub mod fingerprint;
pub mod shown;
pub mod verdict;
pub mod watch;
