//! What `serve` counts, exposed at `GET /metrics` in the OpenMetrics text format (which
//! Prometheus scrapes): commands answered by command, platform and outcome; answer latency;
//! reloads by outcome; cards loaded; messages sent and failed by platform. One registry per
//! `App`, so tests can run several side by side. Knows nothing about chat platforms beyond
//! their names.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Duration;

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabels {
    command: &'static str,
    platform: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusedLabels {
    command: &'static str,
    platform: &'static str,
    scope: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DroppedLabels {
    kind: &'static str,
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PlatformLabels {
    platform: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

type LatencyFamily = Family<PlatformLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    commands: Family<CommandLabels, Counter>,
    refused: Family<RefusedLabels, Counter>,
    followups_dropped: Family<DroppedLabels, Counter>,
    followups_waiting: Gauge,
    latency: LatencyFamily,
    reloads: Family<OutcomeLabels, Counter>,
    cards: Gauge,
    topics: Gauge,
    sent: Family<PlatformLabels, Counter>,
    failed: Family<PlatformLabels, Counter>,
    cache_hits: Counter,
    cache_misses: Counter,
    cache_evictions: Counter,
    cache_bytes: Gauge,
}

fn latency_histogram() -> Histogram {
    // 50 µs to about 1.6 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("dossier");
        let commands = Family::<CommandLabels, Counter>::default();
        registry.register(
            "commands",
            "Commands answered, by command, platform and outcome (answer, user_error, help)",
            commands.clone(),
        );
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "answer_seconds",
            "Time from a parsed command to its reply, by platform",
            latency.clone(),
        );
        let reloads = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "reloads",
            "Reloads of the briefing cards, by outcome (loaded, failed)",
            reloads.clone(),
        );
        let cards = Gauge::default();
        registry.register(
            "cards_loaded",
            "Card files in the library being served",
            cards.clone(),
        );
        let topics = Gauge::default();
        registry.register(
            "topics_loaded",
            "Topics in the library being served",
            topics.clone(),
        );
        let sent = Family::<PlatformLabels, Counter>::default();
        registry.register(
            "messages_sent",
            "Messages and interaction responses sent, by platform",
            sent.clone(),
        );
        let failed = Family::<PlatformLabels, Counter>::default();
        registry.register(
            "messages_failed",
            "Messages and interaction responses that could not be sent, by platform",
            failed.clone(),
        );
        let refused = Family::<RefusedLabels, Counter>::default();
        registry.register(
            "commands_refused",
            "Moderator commands refused to someone who is not a moderator for them",
            refused.clone(),
        );
        let followups_dropped = Family::<DroppedLabels, Counter>::default();
        registry.register(
            "discord_followups_dropped",
            "Charts and deferred answers not sent to Discord: the queue was full, they waited too long, Discord could not be reached, or it refused them",
            followups_dropped.clone(),
        );
        let followups_waiting = Gauge::default();
        registry.register(
            "discord_followups_waiting",
            "Charts and deferred answers waiting to be sent to Discord",
            followups_waiting.clone(),
        );
        let cache_hits = Counter::default();
        registry.register(
            "reply_cache_hits",
            "Answers served from the reply cache",
            cache_hits.clone(),
        );
        let cache_misses = Counter::default();
        registry.register(
            "reply_cache_misses",
            "Cacheable questions the reply cache did not hold",
            cache_misses.clone(),
        );
        let cache_evictions = Counter::default();
        registry.register(
            "reply_cache_evictions",
            "Answers dropped from the reply cache to keep within its byte budget",
            cache_evictions.clone(),
        );
        let cache_bytes = Gauge::default();
        registry.register(
            "reply_cache_bytes",
            "Bytes held by the reply cache",
            cache_bytes.clone(),
        );
        Metrics {
            registry,
            commands,
            refused,
            followups_dropped,
            followups_waiting,
            latency,
            reloads,
            cards,
            topics,
            sent,
            failed,
            cache_hits,
            cache_misses,
            cache_evictions,
            cache_bytes,
        }
    }
}

impl Metrics {
    pub fn command(&self, command: &'static str, platform: &'static str, outcome: &'static str) {
        self.commands
            .get_or_create(&CommandLabels {
                command,
                platform,
                outcome,
            })
            .inc();
    }

    /// A moderator command refused: `scope` is "place" or "shared".
    pub fn refused(&self, command: &'static str, platform: &'static str, scope: &'static str) {
        self.refused
            .get_or_create(&RefusedLabels {
                command,
                platform,
                scope,
            })
            .inc();
    }

    /// A follow-up to Discord not sent: `kind` "chart" or "deferred", `reason` why.
    pub fn followup_dropped(&self, kind: &'static str, reason: &'static str) {
        self.followups_dropped
            .get_or_create(&DroppedLabels { kind, reason })
            .inc();
    }

    /// A follow-up queued (+1) or taken from the queue (-1).
    pub fn followup_waiting(&self, delta: i64) {
        self.followups_waiting.inc_by(delta);
    }

    /// How many follow-ups wait now.
    pub fn followups_waiting(&self) -> i64 {
        self.followups_waiting.get()
    }

    pub fn answered_in(&self, platform: &'static str, took: Duration) {
        self.latency
            .get_or_create(&PlatformLabels { platform })
            .observe(took.as_secs_f64());
    }

    pub fn reload(&self, outcome: &'static str) {
        self.reloads.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub fn loaded(&self, topics: usize, cards: usize) {
        self.topics.set(topics as i64);
        self.cards.set(cards as i64);
    }

    pub fn sent(&self, platform: &'static str) {
        self.sent.get_or_create(&PlatformLabels { platform }).inc();
    }

    pub fn failed(&self, platform: &'static str) {
        self.failed
            .get_or_create(&PlatformLabels { platform })
            .inc();
    }

    /// The OpenMetrics text exposition.
    pub fn cache_hit(&self) {
        self.cache_hits.inc();
    }

    pub fn cache_miss(&self) {
        self.cache_misses.inc();
    }

    pub fn cache_evicted(&self, n: u64) {
        if n > 0 {
            self.cache_evictions.inc_by(n);
        }
    }

    pub fn cache_bytes(&self, n: usize) {
        self.cache_bytes.set(n as i64);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_show_up_in_the_exposition() {
        let m = Metrics::default();
        m.command("position", "discord", "answer");
        m.command("position", "discord", "answer");
        m.answered_in("discord", Duration::from_micros(300));
        m.reload("failed");
        m.loaded(1, 12);
        m.sent("matrix");
        let text = m.render();
        assert!(
            text.contains(
                "dossier_commands_total{command=\"position\",platform=\"discord\",outcome=\"answer\"} 2"
            ),
            "{text}"
        );
        assert!(text.contains("dossier_reloads_total{outcome=\"failed\"} 1"));
        assert!(text.contains("dossier_cards_loaded 12"));
        assert!(text.contains("dossier_messages_sent_total{platform=\"matrix\"} 1"));
        assert!(text.contains("dossier_answer_seconds_count{platform=\"discord\"} 1"));
        assert!(text.ends_with("# EOF\n"));
    }
}
