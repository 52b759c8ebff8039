//! Follows kept in SQLite and in PostgreSQL: a person's follows added (to the operator's cap,
//! told as it happens or in a digest), listed for that person only, found for a topic's change
//! (its actors' and its own, and every follow of words, none paused), removed one at a time or
//! all at once, and paused when a message to the person fails; what one process keeps, another
//! reads.

use dossier::follows::{Followed, words};
use dossier::store::follows::{Added, FollowRow};

fn row(user: &str, f: &Followed, daily: Option<&str>) -> FollowRow {
    FollowRow {
        platform: "matrix".into(),
        user: user.into(),
        key: f.key(),
        topic: f.topic().map(str::to_owned),
        daily: daily.map(str::to_owned),
        created_at: chrono::Utc::now(),
        paused_at: None,
    }
}

async fn follows_on(b: &crate::stores::Backend) {
    let store = b.open_all().await.follows;
    let iran = Followed::Actor {
        topic: "iran-us-talks".into(),
        actor: "iran".into(),
    };
    let topic = Followed::Topic {
        topic: "iran-us-talks".into(),
    };
    let elsewhere = Followed::Topic {
        topic: "river-treaty".into(),
    };
    // Hostile words are stored as the plain words they fold to.
    let hostile = format!(
        "Ｏｍａｎ '); DROP TABLE follows; -- .*{}",
        "x ".repeat(30_000)
    );
    let oman = Followed::Words {
        words: words(&hostile).expect("words"),
    };
    assert_eq!(oman.key(), "words oman drop table follows x");

    let alice = "@alice:hs";
    assert_eq!(
        store.add(&row(alice, &iran, None), 3).await.expect("add"),
        Added::New
    );
    assert_eq!(
        store.add(&row(alice, &oman, None), 3).await.expect("add"),
        Added::New
    );
    // The same follow again: kept once, now as a daily digest.
    assert_eq!(
        store
            .add(&row(alice, &iran, Some("08:00 Europe/Berlin")), 3)
            .await
            .expect("add"),
        Added::Already
    );
    assert_eq!(
        store.add(&row(alice, &topic, None), 3).await.expect("add"),
        Added::New
    );
    // The operator's cap.
    assert_eq!(
        store
            .add(&row(alice, &elsewhere, None), 3)
            .await
            .expect("add"),
        Added::Full
    );
    let bob = "@bob:hs";
    assert_eq!(
        store
            .add(&row(bob, &elsewhere, None), 3)
            .await
            .expect("add"),
        Added::New
    );

    // Each person lists their own, oldest first; another process reads the same.
    let other = b.open_all().await.follows;
    let mine = other.of_person("matrix", alice).await.expect("list");
    let keys: Vec<&str> = mine.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys.len(), 3);
    assert!(keys.contains(&"actor iran-us-talks/iran") && keys.contains(&"topic iran-us-talks"));
    let daily = mine
        .iter()
        .find(|r| r.key == iran.key())
        .and_then(|r| r.daily.clone());
    assert_eq!(daily.as_deref(), Some("08:00 Europe/Berlin"));
    assert!(
        other
            .of_person("discord", alice)
            .await
            .expect("list")
            .is_empty(),
        "per platform"
    );

    // A change of the topic concerns Alice's three (words follow every topic), not Bob's.
    let concerned = other.of_topic("iran-us-talks").await.expect("of topic");
    assert_eq!(concerned.len(), 3);
    assert!(concerned.iter().all(|r| r.user == alice));
    let river = other.of_topic("river-treaty").await.expect("of topic");
    let users: Vec<&str> = river.iter().map(|r| r.user.as_str()).collect();
    assert_eq!(users, [alice, bob], "Alice's words and Bob's topic");

    // A failed message pauses a person's follows; following again resumes that one.
    let at = chrono::Utc::now();
    assert_eq!(store.pause("matrix", alice, at).await.expect("pause"), 3);
    assert!(
        other
            .of_topic("iran-us-talks")
            .await
            .expect("of topic")
            .is_empty()
    );
    assert!(
        other
            .of_person("matrix", alice)
            .await
            .expect("list")
            .iter()
            .all(|r| r.paused_at.is_some())
    );
    assert_eq!(
        store.add(&row(alice, &iran, None), 3).await.expect("add"),
        Added::Already
    );
    assert_eq!(
        other
            .of_topic("iran-us-talks")
            .await
            .expect("of topic")
            .len(),
        1
    );

    // Unfollow one, then all.
    assert!(
        store
            .remove("matrix", alice, &iran.key())
            .await
            .expect("remove")
    );
    assert!(
        !store
            .remove("matrix", alice, &iran.key())
            .await
            .expect("remove"),
        "gone already"
    );
    assert_eq!(
        store.remove_all("matrix", alice).await.expect("remove all"),
        2
    );
    assert!(
        other
            .of_person("matrix", alice)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        other.of_person("matrix", bob).await.expect("list").len(),
        1,
        "Bob's stay"
    );
}

#[test]
fn follows_are_added_to_the_cap_listed_found_paused_and_removed_on_sqlite_and_postgres() {
    crate::stores::on_both(|b| Box::pin(follows_on(b)));
}
