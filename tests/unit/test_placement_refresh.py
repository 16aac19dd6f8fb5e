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
"""What the listener's refresh reads from Nova's server listing."""

import types

from nova_miglock import placement_refresh
from nova_miglock.planning import placement
from nova_miglock.planning import timebins


def server(**fields):
    base = {'id': 'a', 'tenant_id': 'p', 'flavor': {'id': 'f1'},
            'image': {'id': 'i1'}, 'created': '2026-11-20T10:00:00Z',
            'OS-EXT-SRV-ATTR:host': 'host1'}
    base.update(fields)
    return types.SimpleNamespace(**base)


def test_inventory_has_profile_creation_and_host():
    inventory, placed = placement_refresh.inventory_of([server()])
    assert inventory == {'a': placement.Member(
        placement.Profile('p', 'f1', 'i1'),
        since=timebins.to_seconds(timebins.to_datetime(0).replace(
            year=2026, month=11, day=20, hour=10)))}
    assert placed == {'a': 'host1'}


def test_boot_from_volume_has_no_image_and_unscheduled_has_no_host():
    inventory, placed = placement_refresh.inventory_of([server(
        image='', **{'OS-EXT-SRV-ATTR:host': None})])
    assert inventory['a'].profile == placement.Profile('p', 'f1', None)
    assert placed == {}


def test_unreadable_creation_time_is_unknown_not_an_error():
    inventory, _ = placement_refresh.inventory_of([server(created='soon')])
    assert inventory['a'].since is None
