//! Fetching what cards and feeds point at, on dossier's own account: which addresses may be
//! reached (`address`), and the one client that reaches them within its deadlines, caps and
//! redirect rules (`client`).

pub mod address;
pub mod client;
