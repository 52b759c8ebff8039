//! Which topic and which actor a name given by the user means: the topic named, the only one
//! or the default one; actors by id, name or alias. A miss is a reply that says what exists.

use super::ctx::{Ctx, quote_list, user_error};
use crate::cards::Actor;
use crate::reply::{Line, Reply};

impl<'a> Ctx<'a> {
    pub(super) fn topic_names(&self) -> Vec<String> {
        self.library.topics().iter().map(|t| t.id.clone()).collect()
    }

    /// The topic named, or the only one, or the default one; otherwise a reply that explains.
    pub(crate) fn topic(&self, given: Option<&str>) -> Result<usize, Reply> {
        let lib = self.library;
        if lib.is_empty() {
            return Err(user_error(
                "No topics are loaded",
                "The briefings folder has no topics yet. Moderators: add briefings/<topic-id>/topic.toml (see briefings/README.md).",
            ));
        }
        match given {
            Some(name) => lib.topic_index(name).ok_or_else(|| {
                let close = lib.suggest_topics(name);
                let mut r = user_error(
                    format!(
                        "No topic called “{}”",
                        crate::text::truncate_words(name, 60)
                    ),
                    if close.is_empty() {
                        format!("Loaded topics: {}.", quote_list(&self.topic_names()))
                    } else {
                        format!("Did you mean {}?", quote_list(&close))
                    },
                );
                r.bullets("Try", vec![Line::new("topics — lists every loaded topic")]);
                r
            }),
            None if lib.topics().len() == 1 => Ok(0),
            None => match self.default_topic.and_then(|d| lib.topic_index(d)) {
                Some(t) => Ok(t),
                None => Err(self.ambiguous_topic()),
            },
        }
    }

    /// For `timeline iran` and `experts iran`: a positional word that names no topic but an
    /// actor of the current topic is taken as the actor filter.
    pub(super) fn topic_or_actor<'n>(
        &self,
        topic: Option<&'n str>,
        actor: Option<&'n str>,
    ) -> Result<(usize, Option<&'n str>), Reply> {
        if let (Some(name), None) = (topic, actor)
            && self.library.topic_index(name).is_none()
            && let Ok(ti) = self.topic(None)
            && self.library.actor(ti, name).is_some()
        {
            return Ok((ti, Some(name)));
        }
        Ok((self.topic(topic)?, actor))
    }

    /// The topic an actor question is about when none was named: the one topic holding the
    /// actor, else the default topic.
    pub(super) fn topic_of_actor(&self, actor: &str) -> Result<usize, Reply> {
        let lib = self.library;
        if lib.topics().len() <= 1 {
            return self.topic(None);
        }
        let with = lib.topics_with_actor(actor);
        let default = self.default_topic.and_then(|d| lib.topic_index(d));
        match (with.as_slice(), default) {
            ([only], _) => Ok(*only),
            (many, Some(d)) if many.contains(&d) || many.is_empty() => Ok(d),
            ([], None) => Err(self.ambiguous_topic()),
            (many, _) => {
                let ids: Vec<String> = many.iter().map(|&t| lib.topic(t).id.clone()).collect();
                Err(user_error(
                    format!("“{actor}” is in several topics"),
                    format!(
                        "It appears in {}. Say which: `position {actor} topic {}`.",
                        quote_list(&ids),
                        ids[0]
                    ),
                ))
            }
        }
    }

    pub(super) fn ambiguous_topic(&self) -> Reply {
        let mut r = user_error(
            "Which topic?",
            format!(
                "Several topics are loaded ({}) and no default topic is set. Name one, e.g. `brief topic {}`.",
                quote_list(&self.topic_names()),
                self.library.topic(0).id
            ),
        );
        r.bullets(
            "Try",
            vec![Line::new(
                "topics — lists every loaded topic with its status",
            )],
        );
        r
    }

    pub(crate) fn actor(&self, t: usize, name: &str) -> Result<&'a Actor, Reply> {
        self.library
            .actor(t, name)
            .ok_or_else(|| self.unknown_actor(t, name))
    }

    pub(super) fn unknown_actor(&self, t: usize, name: &str) -> Reply {
        let topic = self.library.topic(t);
        let close = self.library.suggest_actors(t, name);
        let shown = crate::text::truncate_words(name, 60);
        let summary = if close.is_empty() {
            let ids: Vec<String> = topic.actors.iter().map(|a| a.id.clone()).collect();
            format!(
                "No actor called “{shown}” in {}. The actors are {}.",
                topic.title,
                quote_list(&ids)
            )
        } else {
            format!(
                "No actor called “{shown}” in {}. Did you mean {}?",
                topic.title,
                quote_list(&close)
            )
        };
        let mut r = user_error(format!("Unknown actor “{shown}”"), summary);
        r.bullets(
            "Try",
            vec![Line::new("actors — lists every actor with its aliases")],
        );
        r
    }
}
