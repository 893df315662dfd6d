//! Counters and gauges, rendered as Prometheus text at `GET /metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The service's metrics.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    issued: AtomicU64,
    revocations: AtomicU64,
    list_sequence: AtomicU64,
    list_entries: AtomicU64,
    list_bytes: AtomicU64,
    publishes: AtomicU64,
    publish_micros: AtomicU64,
    last_publish_micros: AtomicU64,
}

impl Metrics {
    pub(crate) fn count_request(&self, route: &str, status: u16) {
        let mut map = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        *map.entry((route.to_owned(), status)).or_default() += 1;
    }

    pub(crate) fn count_issue(&self) {
        self.issued.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_revocation(&self) {
        self.revocations.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn set_list(&self, seq: u64, entries: usize, bytes: usize) {
        self.list_sequence.store(seq, Ordering::Relaxed);
        self.list_entries.store(
            u64::try_from(entries).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        self.list_bytes
            .store(u64::try_from(bytes).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    pub(crate) fn observe_publish(&self, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.publishes.fetch_add(1, Ordering::Relaxed);
        self.publish_micros.fetch_add(micros, Ordering::Relaxed);
        self.last_publish_micros.store(micros, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP keyseal_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE keyseal_http_requests_total counter\n");
        for ((route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(
                out,
                "keyseal_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let gauges: [(&str, &str, &str, u64); 6] = [
            (
                "keyseal_keys_issued_total",
                "counter",
                "Keys issued by this replica.",
                load(&self.issued),
            ),
            (
                "keyseal_revocations_total",
                "counter",
                "Revocations committed by this replica.",
                load(&self.revocations),
            ),
            (
                "keyseal_list_sequence",
                "gauge",
                "Sequence of the latest published list.",
                load(&self.list_sequence),
            ),
            (
                "keyseal_list_entries",
                "gauge",
                "Entries in the latest published list.",
                load(&self.list_entries),
            ),
            (
                "keyseal_list_bytes",
                "gauge",
                "Size of the latest published list.",
                load(&self.list_bytes),
            ),
            (
                "keyseal_list_publishes_total",
                "counter",
                "Lists this replica published.",
                load(&self.publishes),
            ),
        ];
        for (name, kind, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        let secs = |micros: u64| Duration::from_micros(micros).as_secs_f64();
        let _ = writeln!(
            out,
            "# HELP keyseal_list_publish_seconds_sum Time spent committing list publications.\n\
             # TYPE keyseal_list_publish_seconds_sum counter\n\
             keyseal_list_publish_seconds_sum {}\n\
             # HELP keyseal_list_last_publish_seconds Time the last publication took.\n\
             # TYPE keyseal_list_last_publish_seconds gauge\n\
             keyseal_list_last_publish_seconds {}",
            secs(load(&self.publish_micros)),
            secs(load(&self.last_publish_micros)),
        );
        out
    }
}
