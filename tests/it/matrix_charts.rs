//! Charts on Matrix against a real Synapse on 127.0.0.1: after the text reply, the chart
//! arrives as an `m.image` with the alt text as its body, related to the command as the reply
//! is (a reply, or in the command's thread), mentioning nobody; its media downloads as a PNG of
//! the size its info says, decrypted in an encrypted room; `picture off` sends none, and
//! neither does an answer without a chart.

use crate::charts::decode_drawn;
use crate::common::*;
use crate::matrix_e2e::{PASSWORD, SeenImage, User, start_bot, wait_for_some, wait_joined};
use crate::synapse::Synapse;
use matrix_sdk::media::{MediaFormat, MediaRequestParameters};
use matrix_sdk::ruma::events::relation::Thread;
use matrix_sdk::ruma::events::room::MediaSource;
use matrix_sdk::ruma::events::room::message::{Relation, RoomMessageEventContent};
use matrix_sdk::ruma::{OwnedEventId, OwnedUserId, UserId};
use std::time::Duration;

impl User {
    /// The images from `from` answering `event`, waiting up to `secs` for at least one.
    async fn images_for(&self, from: &UserId, event: &OwnedEventId, secs: u64) -> Vec<SeenImage> {
        wait_for_some(&self.images, secs, |s| {
            s.sender == from && s.in_reply_to.as_ref() == Some(event)
        })
        .await
    }

    /// The image's file, downloaded (and decrypted) as a member of its room.
    async fn download(&self, image: &SeenImage) -> Vec<u8> {
        let request = MediaRequestParameters {
            source: image.content.source.clone(),
            format: MediaFormat::File,
        };
        self.client
            .media()
            .get_media_content(&request, false)
            .await
            .expect("the chart downloads")
    }
}

/// The chart is a PNG of the size its event says, and not blank.
async fn check_chart(user: &User, image: &SeenImage, name: &str) {
    let c = &image.content;
    assert_eq!(c.filename.as_deref(), Some(name), "{c:?}");
    assert!(
        c.body.starts_with("Timeline chart of") || c.body.starts_with("Position history chart"),
        "the body is the alt text: {}",
        c.body
    );
    assert!(image.mentions_empty, "m.mentions must be present and empty");
    let info = c.info.as_deref().expect("image info");
    assert_eq!(info.mimetype.as_deref(), Some("image/png"));
    let bytes = user.download(image).await;
    assert_eq!(info.size.map(u64::from), Some(bytes.len() as u64));
    let (w, h) = decode_drawn(&bytes);
    assert_eq!(
        (info.width.map(u64::from), info.height.map(u64::from)),
        (Some(u64::from(w)), Some(u64::from(h)))
    );
}

#[test]
fn synapse_charts_follow_their_answers() {
    runtime().block_on(async {
        let synapse = Synapse::with_users(&["dossier", "alice"], PASSWORD).await;
        let bot_store = tempfile::tempdir().expect("tempdir");
        let bot = start_bot(&synapse, bot_store.path());
        let bot_id: OwnedUserId = UserId::parse("@dossier:localhost").expect("id");
        let alice = User::login(&synapse.url(), "alice").await;

        // A plain room: the text reply, then the timeline chart replying to the same command.
        let room = alice.create_room(vec![bot_id.clone()], false).await;
        wait_joined(&room, &bot_id).await;
        let ask = alice.send(&room, "!timeline since 2026-02").await;
        let text = alice.replies(&bot_id, &ask, 30).await;
        assert!(
            text.first().is_some_and(|r| r.plain.contains("Timeline")),
            "{text:#?}"
        );
        let images = alice.images_for(&bot_id, &ask, 30).await;
        assert_eq!(images.len(), 1, "{images:#?}");
        assert!(matches!(images[0].content.source, MediaSource::Plain(_)));
        assert_eq!(images[0].thread, None);
        check_chart(&alice, &images[0], "timeline.png").await;

        // The same chart again: uploaded once, its address reused.
        let again = alice.send(&room, "!timeline since 2026-02").await;
        let second = alice.images_for(&bot_id, &again, 30).await;
        assert_eq!(second.len(), 1, "{second:#?}");
        let uri = |i: &SeenImage| match &i.content.source {
            MediaSource::Plain(u) => u.clone(),
            other => panic!("a plain room gets a plain file: {other:?}"),
        };
        assert_eq!(
            uri(&second[0]),
            uri(&images[0]),
            "the same chart is not uploaded twice"
        );
        check_chart(&alice, &second[0], "timeline.png").await;

        // In a thread: the chart goes in the thread.
        let root = alice.send(&room, "A thread about the talks").await;
        let mut in_thread = RoomMessageEventContent::text_plain("!compare iran us");
        in_thread.relates_to = Some(Relation::Thread(Thread::plain(root.clone(), root.clone())));
        let asked = room.send(in_thread).await.expect("send").response.event_id;
        let images = alice.images_for(&bot_id, &asked, 30).await;
        assert_eq!(images.len(), 1, "{images:#?}");
        assert_eq!(
            images[0].thread.as_ref(),
            Some(&root),
            "in the command's thread"
        );
        check_chart(&alice, &images[0], "positions.png").await;

        // An encrypted room: the file is encrypted, and decrypts to the PNG.
        let secret = alice.create_room(vec![bot_id.clone()], true).await;
        wait_joined(&secret, &bot_id).await;
        let ask = alice.send(&secret, "!position iran").await;
        let images = alice.images_for(&bot_id, &ask, 60).await;
        assert_eq!(images.len(), 1, "{images:#?}");
        assert!(
            matches!(images[0].content.source, MediaSource::Encrypted(_)),
            "an encrypted room gets an encrypted file"
        );
        assert_eq!(images[0].room, secret.room_id());
        check_chart(&alice, &images[0], "positions.png").await;

        // No chart: `picture off`, and a command that has none. Their text replies come; by
        // the time a later chart has come, theirs would have too.
        let off = alice.send(&room, "!position iran picture off").await;
        let brief = alice.send(&room, "!brief").await;
        let last = alice.send(&room, "!position oman").await;
        assert_eq!(alice.images_for(&bot_id, &last, 30).await.len(), 1);
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(!alice.replies(&bot_id, &off, 10).await.is_empty());
        assert!(!alice.replies(&bot_id, &brief, 10).await.is_empty());
        assert!(alice.images_for(&bot_id, &off, 0).await.is_empty());
        assert!(alice.images_for(&bot_id, &brief, 0).await.is_empty());
        bot.abort();
        drop(synapse);
    });
}
