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
"""MigrationLockWeigher's pass over the hosts, without a scheduler.

Nova's objects and handler types, no service: what the weigher returns
for a request (test_weigher.py runs it in Nova's scheduler).
"""

import types

from nova import objects
from nova.scheduler import weights
import pytest

from nova_miglock.planning import drainability
from nova_miglock.planning import placement
from nova_miglock.scheduler.weighers import migration_lock


IMAGE = '155d900f-4e14-4e4c-a73d-069cbf4541e6'


class Table:
    """A profile table whose every profile has the same proneness."""

    times = placement.grid()

    def __init__(self, proneness):
        self._proneness = proneness

    def proneness(self, profile):
        return self._proneness

    def curve(self, profile):
        return (0.3,) * len(self.times)


def spec():
    objects.register_all()
    return objects.RequestSpec(
        instance_uuid='6f1a4c2e-3b5d-4e7f-9a0b-1c2d3e4f5a6b',
        project_id='p1', num_instances=1,
        flavor=objects.Flavor(flavorid='db-flavor'),
        image=objects.ImageMeta.from_dict({'id': IMAGE}))


def weighed(*hosts):
    return [weights.WeighedHost(types.SimpleNamespace(
        host=h, nodename=h, aggregates=[]), 0.0) for h in hosts]


@pytest.fixture
def source():
    def make(proneness):
        made = drainability.InMemorySource(Table(proneness))
        made.place('a', 'slow', placement.Profile('p1', 'db-flavor',
                                                  IMAGE))
        migration_lock.set_source(made)
        return made
    yield make
    migration_lock.set_source(None)


@pytest.mark.parametrize('proneness', [1.0, 0.37, -0.61])
def test_one_pass_gives_the_pure_weights_on_novas_scale(source, proneness):
    made = source(proneness)
    hosts = ['slow', 'quick']
    got = migration_lock.MigrationLockWeigher().weigh_objects(
        weighed(*hosts), spec())
    pure = placement.weights(proneness, made.costs(), hosts)
    assert got == [migration_lock.scaled(w) for w in pure]
    assert got == pytest.approx([(1 + w) / 2 for w in pure], abs=1e-3)
    assert got[1] == 0.5                    # no preference


def test_weights_are_short_decimals_nova_formats_fast(source):
    # Nova's handler formats every weight on every request: three
    # decimals, not seventeen digits.
    source(0.37)
    got = migration_lock.MigrationLockWeigher().weigh_objects(
        weighed('slow'), spec())
    assert got[0] != 0.5
    assert len(repr(got[0])) <= 5


def test_no_opinion_weighs_every_host_the_same(source):
    source(0.0)
    got = migration_lock.MigrationLockWeigher().weigh_objects(
        weighed('slow', 'quick'), spec())
    assert got == [0.5, 0.5]


@pytest.mark.parametrize('configured, given', [(4.0, '4'), (2.5, '2.5'),
                                               (0.0, '0')])
def test_the_multiplier_nova_formats_per_host_is_an_int_when_whole(
        source, configured, given):
    # Nova formats f"{multiplier} * {weight}" for every host, logged or
    # not; the product it adds to the host's weight is the same.
    source(0.37)
    migration_lock.CONF.set_override('weight_multiplier', configured,
                                     group='miglock_weigher')
    try:
        weigher = migration_lock.MigrationLockWeigher()
        hosts = weighed('slow', 'quick')
        weigher.weigh_objects(hosts, spec())
        multiplier = weigher.weight_multiplier(hosts[0].obj)
    finally:
        migration_lock.CONF.clear_override('weight_multiplier',
                                           group='miglock_weigher')
    assert f'{multiplier}' == given and multiplier == configured
