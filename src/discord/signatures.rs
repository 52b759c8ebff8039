//! Checks Discord's Ed25519 signature on each interaction request (over the timestamp header
//! followed by the raw body). The checks run on a thread of their own: the requests that arrive
//! while one check runs wait and are then checked together, as one batch (ed25519-dalek's batch
//! verification costs about a third less per signature from 8 signatures on). A batch that fails
//! is checked again one signature at a time, so one bad signature never fails a good one, and a
//! request is accepted only by a check that holds for it alone or for a batch it is part of.

use ed25519_dalek::{Signature, SignatureError, Verifier as _, VerifyingKey};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use tokio::sync::oneshot;

/// Most requests checked in one batch (past this a batch gains nothing, and waits longer).
const MAX_BATCH: usize = 64;
/// Most requests waiting for the checking thread; past this a request is checked on its own
/// task instead, so the queue never grows without bound and nothing is refused for load.
const MAX_WAITING: usize = 1024;

/// The endpoint's signature checks, against the application's public key.
#[derive(Clone)]
pub struct Signatures {
    key: VerifyingKey,
    queue: SyncSender<Job>,
}

struct Job {
    message: Vec<u8>,
    signature: Signature,
    done: oneshot::Sender<bool>,
}

impl Signatures {
    /// Checks against `public_key` (32 bytes), and starts the checking thread, which ends when
    /// the last clone of this is dropped.
    pub fn new(public_key: [u8; 32]) -> Result<Self, SignatureError> {
        let key = VerifyingKey::from_bytes(&public_key)?;
        let (queue, waiting) = std::sync::mpsc::sync_channel(MAX_WAITING);
        std::thread::Builder::new()
            .name("dossier-signatures".into())
            .spawn(move || check_batches(key, waiting))
            .map_err(|_| SignatureError::new())?;
        Ok(Self { key, queue })
    }

    /// Whether `signature` (128 hex digits) is the application key's signature of `timestamp`
    /// followed by `body`.
    pub async fn verify(&self, signature: &str, timestamp: &str, body: &[u8]) -> bool {
        let Some(signature) = parse_signature(signature) else {
            return false;
        };
        let mut message = Vec::with_capacity(timestamp.len() + body.len());
        message.extend_from_slice(timestamp.as_bytes());
        message.extend_from_slice(body);
        let (done, answer) = oneshot::channel();
        match self.queue.try_send(Job {
            message,
            signature,
            done,
        }) {
            // An error means the thread is gone (it cannot panic on its own; only if the
            // process is going down): nothing is accepted unchecked.
            Ok(()) => answer.await.unwrap_or_default(),
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => {
                self.key.verify(&job.message, &job.signature).is_ok()
            }
        }
    }
}

/// 64 bytes from 128 hex digits, else `None`.
fn parse_signature(hex: &str) -> Option<Signature> {
    let hex = hex.as_bytes();
    if hex.len() != 128 {
        return None;
    }
    let mut bytes = [0u8; 64];
    for (out, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
        let digit = |c: u8| (c as char).to_digit(16);
        *out = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
    }
    Some(Signature::from_bytes(&bytes))
}

fn check_batches(key: VerifyingKey, waiting: Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = waiting.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match waiting.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let checked = verdicts(&key, &batch_view(&batch));
        for (job, verdict) in batch.drain(..).zip(checked) {
            // The request may have gone (its connection closed): nothing to tell.
            let _ = job.done.send(verdict);
        }
    }
}

/// The messages and signatures of a batch, borrowed.
fn batch_view(batch: &[Job]) -> Vec<(&[u8], Signature)> {
    batch
        .iter()
        .map(|j| (j.message.as_slice(), j.signature))
        .collect()
}

/// One verdict per (message, signature), in order: all true if the batch holds as a whole,
/// else each checked alone.
fn verdicts(key: &VerifyingKey, batch: &[(&[u8], Signature)]) -> Vec<bool> {
    let alone = || -> Vec<bool> {
        batch
            .iter()
            .map(|(m, s)| key.verify(m, s).is_ok())
            .collect()
    };
    if batch.len() < 2 {
        return alone();
    }
    let messages: Vec<&[u8]> = batch.iter().map(|(m, _)| *m).collect();
    let signatures: Vec<Signature> = batch.iter().map(|(_, s)| *s).collect();
    let keys = vec![*key; batch.len()];
    if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
        vec![true; batch.len()]
    } else {
        alone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    fn hex(sig: &Signature) -> String {
        sig.to_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn signed(key: &SigningKey, ts: &str, body: &str) -> String {
        hex(&key.sign(format!("{ts}{body}").as_bytes()))
    }

    #[tokio::test]
    async fn a_good_signature_passes_and_a_changed_body_or_timestamp_fails() {
        let k = key();
        let s = Signatures::new(k.verifying_key().to_bytes()).expect("key");
        let sig = signed(&k, "1700000000", r#"{"type":1}"#);
        assert!(s.verify(&sig, "1700000000", br#"{"type":1}"#).await);
        assert!(!s.verify(&sig, "1700000001", br#"{"type":1}"#).await);
        assert!(!s.verify(&sig, "1700000000", br#"{"type":2}"#).await);
        assert!(!s.verify("zz", "1700000000", br#"{"type":1}"#).await);
        assert!(!s.verify(&sig[..126], "1700000000", br#"{"type":1}"#).await);
        assert!(
            !s.verify(&format!("{sig}00"), "1700000000", br#"{"type":1}"#)
                .await
        );
        let other = SigningKey::from_bytes(&[8u8; 32]);
        let forged = signed(&other, "1700000000", r#"{"type":1}"#);
        assert!(!s.verify(&forged, "1700000000", br#"{"type":1}"#).await);
    }

    #[test]
    fn one_bad_signature_in_a_batch_fails_alone() {
        let k = key();
        let bodies: Vec<String> = (0..20).map(|i| format!(r#"{{"id":{i}}}"#)).collect();
        let mut sigs: Vec<Signature> = bodies.iter().map(|b| k.sign(b.as_bytes())).collect();
        assert_eq!(
            verdicts(
                &k.verifying_key(),
                &bodies
                    .iter()
                    .map(|b| b.as_bytes())
                    .zip(sigs.iter().copied())
                    .collect::<Vec<_>>()
            ),
            vec![true; 20]
        );
        sigs[13] = k.sign(b"something else");
        let got = verdicts(
            &k.verifying_key(),
            &bodies
                .iter()
                .map(|b| b.as_bytes())
                .zip(sigs.iter().copied())
                .collect::<Vec<_>>(),
        );
        let want: Vec<bool> = (0..20).map(|i| i != 13).collect();
        assert_eq!(got, want);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_requests_at_once_each_get_their_own_verdict() {
        let k = key();
        let s = Signatures::new(k.verifying_key().to_bytes()).expect("key");
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..2000 {
            let body = format!(r#"{{"id":{i}}}"#);
            let sig = if i % 7 == 3 {
                signed(&k, "1700000000", "tampered")
            } else {
                signed(&k, "1700000000", &body)
            };
            let s = s.clone();
            tasks.spawn(async move { (i, s.verify(&sig, "1700000000", body.as_bytes()).await) });
        }
        let mut seen = 0;
        while let Some(done) = tasks.join_next().await {
            let (i, ok) = done.expect("task");
            assert_eq!(ok, i % 7 != 3, "request {i}");
            seen += 1;
        }
        assert_eq!(seen, 2000);
    }
}
