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
"""Our notification transport is on Nova's exchange, as Nova's own is."""

from oslo_config import cfg

from nova_miglock import notifications


def _exchange(*args):
    conf = cfg.ConfigOpts()
    conf(list(args), default_config_files=[])
    transport = notifications.notification_transport(conf)
    try:
        return transport.conf.control_exchange
    finally:
        transport.cleanup()


def test_the_default_is_novas_exchange(tmp_path):
    # Nova's notifications go to "nova" (nova/rpc.py); oslo.messaging's
    # own default, "openstack", is an exchange nobody sends to.
    conf = tmp_path / 'nova.conf'
    conf.write_text('[DEFAULT]\ntransport_url = fake:/\n')
    assert _exchange('--config-file', str(conf)) == 'nova'


def test_a_configured_exchange_wins(tmp_path):
    conf = tmp_path / 'nova.conf'
    conf.write_text('[DEFAULT]\ntransport_url = fake:/\n'
                    'control_exchange = cell9\n')
    assert _exchange('--config-file', str(conf)) == 'cell9'
