//! The charts already in the homeserver's media repository, by their bytes' fingerprint, so a
//! chart answered again in a plain room reuses its `mxc://` address instead of uploading the
//! same file again (see `picture`).

use matrix_sdk::ruma::OwnedMxcUri;
use std::sync::Mutex;

/// Charts already uploaded, by their bytes' fingerprint: the latest few (a chart changes only
/// with the cards, so a handful covers every question being asked).
#[derive(Default)]
pub struct Uploads(Mutex<Vec<(Fingerprint, OwnedMxcUri)>>);

/// How many uploaded charts are remembered.
const UPLOADS_KEPT: usize = 64;

/// A chart's length and hash: two different charts never share both in practice.
pub(super) type Fingerprint = (usize, u64);

pub(super) fn fingerprint(bytes: &[u8]) -> Fingerprint {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    (bytes.len(), h.finish())
}

impl Uploads {
    pub(super) fn get(&self, f: Fingerprint) -> Option<OwnedMxcUri> {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        kept.iter().find(|(k, _)| *k == f).map(|(_, u)| u.clone())
    }

    pub(super) fn put(&self, f: Fingerprint, uri: OwnedMxcUri) {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        kept.retain(|(k, _)| *k != f);
        if kept.len() >= UPLOADS_KEPT {
            kept.remove(0);
        }
        kept.push((f, uri));
    }
}
