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
"""The maintenance preference: what the tenant said, and what it means."""

import pytest

from nova_miglock.drain import preference as pref


@pytest.mark.parametrize('tags,metadata,status,expected', [
    ((), {}, 'ACTIVE', 'live-migrate'),
    ((), {}, 'PAUSED', 'live-migrate'),
    ((), {}, 'SHUTOFF', 'cold-migrate'),
    (('miglock:maintenance=cold-migrate',), {}, 'ACTIVE', 'cold-migrate'),
    (('miglock:maintenance=shutdown',), {}, 'ACTIVE', 'cold-migrate'),
    ((), {'miglock:maintenance': 'Notify-Only '}, 'ACTIVE', 'notify-only'),
    ((), {'miglock:maintenance': 'notify-only'}, 'ERROR', 'notify-only'),
    # The property wins over the tag.
    (('miglock:maintenance=notify-only',),
     {'miglock:maintenance': 'live-migrate'}, 'ACTIVE', 'live-migrate'),
    ((), {}, 'ERROR', None),
    ((), {}, 'SHELVED_OFFLOADED', None),
    (('miglock:maintenance=cold-migrate',), {}, 'PAUSED', None),
])
def test_action(tags, metadata, status, expected):
    assert pref.action(tags, metadata, status)[0] == expected


def test_an_unknown_value_is_reported_and_the_default_applies():
    action, note = pref.action((), {'miglock:maintenance': 'teleport'},
                               'ACTIVE')
    assert action == 'live-migrate'
    assert 'teleport is not one of' in note


def test_why_an_instance_cannot_move_is_said():
    assert 'needs ACTIVE or PAUSED' in pref.action((), {}, 'ERROR')[1]
