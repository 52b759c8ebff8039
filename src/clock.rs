//! Where "today" comes from: the system clock, or a fixed day for reproducible answers and
//! tests. Injected everywhere a date matters (staleness, schedules, edits).

use chrono::NaiveDate;

/// The system clock, or a fixed day.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    System,
    Fixed(NaiveDate),
}

impl Clock {
    pub fn today(&self) -> NaiveDate {
        match self {
            Clock::System => chrono::Local::now().date_naive(),
            Clock::Fixed(d) => *d,
        }
    }
}
