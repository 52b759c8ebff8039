//! Long answers in pages of ten: the slice a page shows, the commands for the neighbouring
//! pages, and the reply to a page past the end.

use super::ctx::user_error;
use crate::commands::command::Command;
use crate::reply::{Pager, Reply};
use std::num::NonZeroU32;

/// Timeline events or search results on one page.
pub const PAGE_SIZE: usize = 10;

/// The pager for page `page` of `pages`; `at` builds the command showing another page.
pub(super) fn pager(
    at: impl Fn(NonZeroU32) -> Command,
    page: NonZeroU32,
    pages: u32,
    total: usize,
    noun: &'static str,
) -> Option<Pager> {
    let other = |n: u32| NonZeroU32::new(n).map(|p| at(p).to_line());
    (pages > 1).then(|| Pager {
        page: page.get(),
        pages,
        total,
        noun,
        prev: other(page.get() - 1),
        next: (page.get() < pages)
            .then(|| other(page.get() + 1))
            .flatten(),
    })
}

/// How many pages `total` items fill, and which of them page `page` shows.
pub(super) fn page_bounds(total: usize, page: NonZeroU32) -> (u32, std::ops::Range<usize>) {
    let pages = total.div_ceil(PAGE_SIZE).max(1) as u32;
    let start = (page.get() as usize - 1).saturating_mul(PAGE_SIZE);
    (
        pages,
        start.min(total)..start.saturating_add(PAGE_SIZE).min(total),
    )
}

pub(super) fn no_such_page(
    page: NonZeroU32,
    pages: u32,
    noun: &str,
    at: impl Fn(NonZeroU32) -> Command,
) -> Reply {
    let last = NonZeroU32::new(pages)
        .map(|p| at(p).to_line())
        .unwrap_or_default();
    user_error(
        format!("There is no page {page}"),
        format!(
            "The {noun} fill {pages} page{}; the last is `{last}`.",
            super::ctx::plural(pages as usize)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_of_each_page() {
        let p = |n| NonZeroU32::new(n).expect("page");
        assert_eq!(page_bounds(0, p(1)), (1, 0..0));
        assert_eq!(page_bounds(25, p(1)), (3, 0..10));
        assert_eq!(page_bounds(25, p(3)), (3, 20..25));
        assert_eq!(page_bounds(25, p(4)).1, 25..25);
        assert_eq!(page_bounds(5, p(u32::MAX)).1, 5..5);
    }
}
