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
"""The race checker's reading of what clients observed."""

from nova_miglock.testing import consistency


def at(second):
    return '2026-11-27T08:18:%09.6fZ' % second


def hold(holder, acquired, expires):
    return {'kind': 'hold', 'instance': 'i', 'holder': holder,
            'acquired_at': at(acquired), 'expires_at': at(expires)}


def ticket(admitted):
    return {'kind': 'ticket', 'instance': 'i', 'ticket': 't',
            'admitted_at': at(admitted)}


def test_a_move_admitted_during_an_answered_hold_is_an_overlap():
    assert len(consistency.check_intervals(
        [hold('w4', 41.0, 42.4), ticket(42.1)])) == 1


def test_a_release_whose_reply_was_lost_may_have_ended_the_hold():
    for kind in ('release_unknown', 'release_noop'):
        observed = [hold('w4', 41.0, 42.4), ticket(42.1),
                    {'kind': kind, 'instance': 'i', 'holder': 'w4',
                     'at': at(41.9)}]
        assert consistency.check_intervals(observed) == []
    # Another holder's unsure release ends nothing of w4's.
    observed[-1]['holder'] = 'w5'
    assert len(consistency.check_intervals(observed)) == 1


def test_a_close_whose_reply_was_lost_may_have_ended_the_move():
    observed = [ticket(40.0), hold('w1', 41.0, 42.0)]
    assert len(consistency.check_intervals(observed)) == 1
    for kind in ('close_unknown', 'close_noop'):
        closed = observed + [{'kind': kind, 'instance': 'i',
                              'at': at(40.5)}]
        assert consistency.check_intervals(closed) == []
    # A close tried after the hold began cannot excuse it.
    late = observed + [{'kind': 'close_noop', 'instance': 'i',
                        'at': at(41.5)}]
    assert len(consistency.check_intervals(late)) == 1
