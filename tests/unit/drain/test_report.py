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
"""The drain's summary says what the guests are told (no store, no Nova)."""

from nova_miglock.drain import report

NOTICE = {'seconds': 1800, 'not_before': '2026-11-26T12:30:00.000000Z',
          'guests': 3}


def _report(dry_run, notice):
    return {'hosts': ['host1'], 'strategy': 'probabilistic',
            'dry_run': dry_run, 'notice': notice,
            'predicted': {'p50_seconds': 48.0, 'p90_seconds': 96.0,
                          'needs_break': []},
            'counts': {'pending': 3}, 'actual_seconds': 50.0,
            'drained': True, 'left_on_hosts': 0}


def test_a_dry_run_shows_the_notice_it_would_give():
    text = report.summary(_report(True, NOTICE))
    assert ('Would tell 3 guest(s) that their locks end within 1800s '
            '(not before 2026-11-26T12:30:00.000000Z).') in text


def test_a_drain_reports_the_notice_it_gave():
    assert 'Told 3 guest(s) that their locks end within 1800s' in \
        report.summary(_report(False, NOTICE))


def test_without_notice_the_summary_says_the_guests_are_not_told():
    for dry_run in (True, False):
        assert 'The guests are not told' in report.summary(
            _report(dry_run, None))
