# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
"""Prometheus metrics read from the lock store at each scrape.

Holds are granted and moves refused in nova-api's workers, the metadata
API and the gate, not in the listener that serves the metrics: counters in
the listener's memory would miss most of them. The store is what every
process writes, so each scrape reads its aggregates (``LockStore
.lock_summary``) and the figures are the same whichever listener answers,
and survive its restarts. ``doc/source/metrics.rst`` lists the series.

A scrape never waits for the store longer than
``[miglock_metrics]/scrape_timeout``: the read runs in one background
thread, and while a read is still out no other starts, so a store that
hangs costs one thread and one connection, not one per scrape.
"""

from concurrent import futures
import time

from oslo_log import log as logging
import prometheus_client
from prometheus_client import core

from nova_miglock import lock

LOG = logging.getLogger(__name__)

# Bucket bounds, in seconds, of the hold age and lease-left histograms.
AGE_BOUNDS = (60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400,
              7 * 86400)
LEASE_BOUNDS = (10, 30, 60, 300, 900, 3600, 4 * 3600, 86400)
# Every source is exposed, at 0 when nothing of it locks: an alert on a
# series that appears only once it is non-zero would miss its first rise.
LOCK_SOURCES = lock.SOURCES + tuple(sorted(lock.StaticLock.KINDS))
# Store latency buckets: a healthy store answers in milliseconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                   1.0, 2.5, 5.0, 10.0)


class SummaryReader:
    """Reads the store's summary in one background thread, time-bounded."""

    def __init__(self, store, conf):
        self._store = store
        self._conf = conf
        self._executor = futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix='miglock-metrics')
        self._pending = None

    def _summary(self):
        options = self._conf.miglock_metrics
        return self._store.lock_summary(
            refusal_window=options.refusal_window, age_bounds=AGE_BOUNDS,
            lease_bounds=LEASE_BOUNDS)

    def read(self):
        """``(summary or None, why not)``, within ``scrape_timeout``."""
        if self._pending is not None and not self._pending.done():
            return None, 'the previous read of the store has not finished'
        self._pending = self._executor.submit(self._summary)
        try:
            return self._pending.result(
                timeout=self._conf.miglock_metrics.scrape_timeout), None
        except futures.TimeoutError:
            return None, 'the store did not answer within %ss' % (
                self._conf.miglock_metrics.scrape_timeout)
        except lock.MigLockError as exc:
            return None, exc.message
        except Exception as exc:
            LOG.exception('Reading the lock store for metrics failed')
            return None, str(exc)

    def close(self):
        self._executor.shutdown(wait=False, cancel_futures=True)


def _gauge(name, documentation, values, label=None):
    family = core.GaugeMetricFamily(name, documentation,
                                    labels=[label] if label else None)
    if label is None:
        family.add_metric([], values)
    else:
        for key in sorted(values):
            family.add_metric([key], values[key])
    return family


def _histogram(name, documentation, bounds, per_source):
    family = core.GaugeHistogramMetricFamily(name, documentation,
                                             labels=['source'])
    for source in sorted(per_source):
        histogram = per_source[source]
        edges = [str(float(b)) for b in bounds] + ['+Inf']
        family.add_metric([source], list(zip(edges, histogram.counts)),
                          histogram.total)
    return family


def _by_source(values):
    return {source: values.get(source, 0) for source in
            LOCK_SOURCES + tuple(sorted(set(values) - set(LOCK_SOURCES)))}


def _refusals(summary):
    family = core.GaugeMetricFamily(
        'miglock_refused_moves',
        'Moves refused in the last miglock_refusal_window_seconds, by move '
        'kind and the lock that refused them.', labels=['kind', 'reason'])
    for (kind, reason), count in sorted(summary.refusals.items()):
        family.add_metric([kind, reason], count)
    return family


def project_series(summary):
    """Per-project series: ``[(name, help, {project_id: value})]``.

    A new per-project figure is one more entry here; what it needs from
    the store joins ``LockSummary`` (read in ``store/sql/summary.py``).
    Projects appear once they have been charged today, or rated.
    """
    return [
        ('miglock_project_charged_seconds',
         'Lock-seconds charged to the project on the current UTC day (what '
         'the lock_seconds_per_day quota counts).', summary.charged_today),
        ('miglock_project_tax_rate',
         'The tax rate last stored for the project by the listener\'s '
         'rating ([miglock_tax]); projects never rated pay rate 1.',
         summary.tax_rates),
    ]


def summary_families(summary, refusal_window):
    """The metric families of one store summary (no I/O)."""
    yield _gauge('miglock_locked_instances',
                 'Instances locked now by a hold or a static lock.',
                 summary.locked_instances)
    yield _gauge('miglock_locked_instances_by_source',
                 'Instances locked now by at least one lock of the source '
                 '(hold sources and static lock kinds).',
                 _by_source(summary.locked_by_source), 'source')
    yield _gauge('miglock_holds', 'Active holds, by hold source.',
                 {s: summary.holds_by_source.get(s, 0)
                  for s in lock.SOURCES}, 'source')
    yield _gauge('miglock_open_moves', 'Moves admitted and not ended yet.',
                 summary.open_moves, 'kind')
    yield _gauge('miglock_refusal_window_seconds',
                 'The window miglock_refused_moves counts.', refusal_window)
    yield _refusals(summary)
    yield _histogram('miglock_hold_age_seconds',
                     'Time since each active hold was acquired.',
                     AGE_BOUNDS, summary.hold_age)
    yield _histogram('miglock_lease_remaining_seconds',
                     'Lease time each active hold has left.', LEASE_BOUNDS,
                     summary.lease_left)
    for name, documentation, values in project_series(summary):
        yield _gauge(name, documentation, values, 'project_id')
    yield _gauge('miglock_store_query_seconds',
                 "Seconds each of the last scrape's store queries took.",
                 summary.timings, 'query')


class StoreCollector:
    """A prometheus-client collector over the lock store's summary."""

    def __init__(self, store, conf):
        self._conf = conf
        self._reader = SummaryReader(store, conf)
        # Kept across scrapes in this process, and collected after this
        # scrape's read (not registered): they include it.
        self._latency = prometheus_client.Histogram(
            'miglock_store_query_duration_seconds',
            'Seconds the store took for each query of the scrapes so far.',
            ['query'], buckets=LATENCY_BUCKETS, registry=None)
        self._failures = prometheus_client.Counter(
            'miglock_store_read_failures',
            'Scrapes that could not read the lock store.', registry=None)

    def collect(self):
        started = time.monotonic()
        summary, error = self._reader.read()
        elapsed = time.monotonic() - started
        yield _gauge('miglock_store_up',
                     '1 if the last scrape read the lock store, else 0.',
                     0 if summary is None else 1)
        yield _gauge('miglock_store_read_seconds',
                     'Seconds the last scrape waited for the lock store.',
                     elapsed)
        if summary is None:
            self._failures.inc()
            LOG.warning('Metrics without the lock store: %s', error)
        else:
            for query, seconds in summary.timings.items():
                self._latency.labels(query=query).observe(seconds)
            yield from summary_families(
                summary, self._conf.miglock_metrics.refusal_window)
        yield from self._latency.collect()
        yield from self._failures.collect()

    def close(self):
        self._reader.close()
