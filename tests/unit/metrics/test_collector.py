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
"""The series a store summary becomes, read back from the exposition text.

No store: a summary is plain values (``LockStore.lock_summary`` gives them,
the functional tests check that on every engine).
"""

import datetime
import threading

import prometheus_client
from prometheus_client import parser

from nova_miglock import lock
from nova_miglock.metrics import collector
from nova_miglock.store import base
from nova_miglock.testing import fixtures

NOW = datetime.datetime(2026, 11, 26, 12, 0, 0)


def summary(**changes):
    values = dict(
        now=NOW, locked_instances=3,
        locked_by_source={'guest': 2, 'tag': 1},
        holds_by_source={'guest': 3}, open_moves={'resize': 1},
        refusals={('live-migration', 'guest'): 4,
                  ('resize', 'unknown'): 1},
        charged_today={'p1': 120.5}, tax_rates={'p1': 1.25},
        hold_age={'guest': base.Histogram(
            counts=(1,) * len(collector.AGE_BOUNDS) + (3,), total=9e4)},
        lease_left={'guest': base.Histogram(
            counts=(0,) * len(collector.LEASE_BOUNDS) + (3,), total=6e5)},
        timings={'holds': 0.002})
    values.update(changes)
    return base.LockSummary(**values)


class FixedStore:
    """Answers lock_summary from a value, or raises, or blocks."""

    def __init__(self, answer=None, error=None, block=None):
        self.answer, self.error, self.block = answer, error, block
        self.calls = 0

    def lock_summary(self, **kwargs):
        self.calls += 1
        if self.block is not None:
            self.block.wait(10)
        if self.error is not None:
            raise self.error
        return self.answer


def scrape(store, conf=None):
    conf = conf or fixtures.make_conf()
    registry = prometheus_client.CollectorRegistry()
    registry.register(collector.StoreCollector(store, conf))
    text = prometheus_client.generate_latest(registry).decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in parser.text_string_to_metric_families(text)
            for s in family.samples}


def test_every_source_is_exposed_even_at_zero():
    samples = scrape(FixedStore(summary()))
    by_source = {dict(labels)['source']: value
                 for (name, labels), value in samples.items()
                 if name == 'miglock_locked_instances_by_source'}
    assert by_source == {'guest': 2, 'tenant': 0, 'operator': 0, 'tag': 1,
                         'property': 0, 'image': 0, 'flavor': 0}
    assert samples[('miglock_holds',
                    frozenset({'source': lock.SOURCE_OPERATOR}.items()))] == 0


def test_refusals_are_labelled_by_kind_and_the_lock_that_refused():
    samples = scrape(FixedStore(summary()))
    assert samples[('miglock_refused_moves', frozenset(
        {'kind': 'live-migration', 'reason': 'guest'}.items()))] == 4
    assert samples[('miglock_refused_moves', frozenset(
        {'kind': 'resize', 'reason': 'unknown'}.items()))] == 1
    assert samples[('miglock_refusal_window_seconds', frozenset())] == 900


def test_a_project_series_added_to_the_table_is_exposed(monkeypatch):
    original = collector.project_series
    monkeypatch.setattr(collector, 'project_series', lambda s: original(s) + [
        ('miglock_project_tax_rate', 'Tax rate.', {'p1': 1.5})])
    samples = scrape(FixedStore(summary()))
    assert samples[('miglock_project_tax_rate',
                    frozenset({'project_id': 'p1'}.items()))] == 1.5
    assert samples[('miglock_project_charged_seconds',
                    frozenset({'project_id': 'p1'}.items()))] == 120.5


def test_store_latency_accumulates_across_scrapes():
    conf = fixtures.make_conf()
    registry = prometheus_client.CollectorRegistry()
    registry.register(collector.StoreCollector(FixedStore(summary()), conf))
    for _scrape in range(2):
        prometheus_client.generate_latest(registry)
    # Reading a sample is a third scrape, which counts itself too.
    assert registry.get_sample_value(
        'miglock_store_query_duration_seconds_count',
        {'query': 'holds'}) == 3


def test_an_unavailable_store_gives_up_0_and_no_store_series():
    samples = scrape(FixedStore(error=lock.StoreUnavailable('down')))
    assert samples[('miglock_store_up', frozenset())] == 0
    assert ('miglock_locked_instances', frozenset()) not in samples
    assert samples[('miglock_store_read_failures_total', frozenset())] == 1


def test_a_hung_store_is_read_once_at_a_time():
    block = threading.Event()
    store = FixedStore(summary(), block=block)
    conf = fixtures.make_conf(**{'miglock_metrics.scrape_timeout': 0.1})
    registry = prometheus_client.CollectorRegistry()
    registry.register(collector.StoreCollector(store, conf))
    try:
        for _scrape in range(3):
            assert registry.get_sample_value('miglock_store_up') == 0
        assert store.calls == 1
    finally:
        block.set()
