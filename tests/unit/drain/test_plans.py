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
"""The drain plans with the lease cap the cloud's options give."""

from nova_miglock.drain import plans
from nova_miglock.testing import fixtures


def test_the_plan_caps_leases_at_not_before_by_default():
    conf = fixtures.make_conf()
    assert plans.lease_cap(conf, 1000.0, 600) == 1600.0


def test_the_sla_grace_moves_the_cap_and_no_cap_is_no_cap():
    conf = fixtures.make_conf()
    conf.set_override('move_request_grace', 120, 'miglock')
    assert plans.lease_cap(conf, 1000.0, 600) == 1720.0
    conf.set_override('move_request_caps_leases', False, 'miglock')
    assert plans.lease_cap(conf, 1000.0, 600) is None


def test_without_notice_nothing_is_capped():
    assert plans.lease_cap(fixtures.make_conf(), 1000.0, None) is None
