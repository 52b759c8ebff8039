//! Each door's connection state, as the doors set it and `status`, `/readyz` and the metrics
//! read it. Plain data behind one lock; no chat platform types here.

use chrono::{DateTime, Utc};
use std::sync::Mutex;

/// Where a door is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DoorState {
    /// Configured, not connected yet.
    Starting,
    Connected,
    /// Held by another replica: this one waits to take it over if that one stops. Ready.
    Standby,
    /// Lost its connection (and is retrying), or stopped; why.
    Down(String),
}

impl DoorState {
    pub fn describe(&self) -> String {
        match self {
            DoorState::Starting => "connecting".into(),
            DoorState::Connected => "connected".into(),
            DoorState::Standby => "standby: another replica holds it".into(),
            DoorState::Down(why) => format!("down: {why}"),
        }
    }
}

/// One door as `status` shows it.
#[derive(Clone, Debug)]
pub struct DoorReport {
    pub name: &'static str,
    pub state: DoorState,
    pub since: DateTime<Utc>,
}

impl DoorReport {
    /// How `status` shows the door: its state, and since when.
    pub fn status_line(&self) -> String {
        format!(
            "{} since {} UTC",
            self.state.describe(),
            self.since.format("%Y-%m-%d %H:%M:%S")
        )
    }
}

/// Every configured door's state.
#[derive(Default)]
pub struct Doors(Mutex<Vec<DoorReport>>);

impl Doors {
    /// Record `name`'s state (the first call adds the door).
    pub fn set(&self, name: &'static str, state: DoorState) {
        let mut doors = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match doors.iter_mut().find(|d| d.name == name) {
            Some(d) if d.state == state => {}
            Some(d) => {
                d.state = state;
                d.since = Utc::now();
            }
            None => doors.push(DoorReport {
                name,
                state,
                since: Utc::now(),
            }),
        }
    }

    /// Whether this replica runs `name` now (connected or connecting, not standby).
    pub fn held(&self, name: &str) -> bool {
        self.all()
            .iter()
            .any(|d| d.name == name && d.state != DoorState::Standby)
    }

    pub fn all(&self) -> Vec<DoorReport> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The doors that are not connected, each with its state: empty when all are.
    pub fn not_ready(&self) -> Vec<String> {
        self.all()
            .into_iter()
            .filter(|d| !matches!(d.state, DoorState::Connected | DoorState::Standby))
            .map(|d| format!("{}: {}", d.name, d.state.describe()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doors_report_what_is_not_ready() {
        let doors = Doors::default();
        doors.set("Matrix", DoorState::Starting);
        doors.set("Discord gateway", DoorState::Connected);
        assert_eq!(doors.not_ready(), vec!["Matrix: connecting".to_owned()]);
        doors.set("Matrix", DoorState::Connected);
        assert!(doors.not_ready().is_empty());
        doors.set("Matrix", DoorState::Down("sync failed".into()));
        assert_eq!(
            doors.not_ready(),
            vec!["Matrix: down: sync failed".to_owned()]
        );
    }
}
