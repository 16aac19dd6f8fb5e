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
"""The openstackclient plugin's hooks, as openstackclient finds them."""

import argparse
from importlib import metadata
import subprocess
import sys

from osc_lib import exceptions
import pytest

from nova_miglock.osc import client
from nova_miglock.osc import plugin
from tests.unit import osc_fakes

COMMANDS = {'show', 'hold', 'release', 'list', 'break', 'exempt',
            'usage', 'quota_show', 'quota_set', 'ticket_list',
            'ticket_close', 'request_open', 'request_show',
            'request_cancel', 'request_list', 'reap', 'ledger_purge',
            'model_show'}
# Commands that are not about locks of servers.
OTHER_COMMANDS = {'server_migration_drain_plan'} | {
    'server_migration_group_%s' % c for c in ('set', 'show', 'list',
                                              'delete')}


def _entry_points(group):
    return {e.name: e for e in metadata.entry_points(group=group)}


def test_openstackclient_finds_the_plugin_and_its_commands():
    extension = _entry_points('openstack.cli.extension')['miglock']
    assert extension.load() is plugin
    commands = _entry_points('openstack.%s.v%s' % (
        plugin.API_NAME, plugin.DEFAULT_API_VERSION))
    assert set(commands) == {'server_migration_lock_%s' % c
                             for c in COMMANDS} | OTHER_COMMANDS
    for entry in commands.values():
        assert entry.load().__doc__


class _Instance:
    session = object()
    region_name = 'r1'
    interface = 'internal'

    def __init__(self, version, endpoint='http://nova:8774/v2.1/'):
        self._api_version = {'miglock': version}
        self._endpoint = endpoint
        self.asked = []

    def get_endpoint_for_service_type(self, service_type, **kwargs):
        self.asked.append((service_type, kwargs))
        return self._endpoint


def test_the_client_is_made_on_the_compute_endpoint():
    instance = _Instance('1')
    made = plugin.make_client(instance)
    assert isinstance(made, client.Client)
    assert instance.asked == [('compute', {'region_name': 'r1',
                                           'interface': 'internal'})]


@pytest.mark.parametrize('version, endpoint, error', [
    ('2', 'http://nova', exceptions.UnsupportedVersion),
    ('1', None, exceptions.EndpointNotFound)])
def test_no_client_without_a_version_or_an_endpoint(
        version, endpoint, error):
    with pytest.raises(error):
        plugin.make_client(_Instance(version, endpoint))


def test_the_global_option_defaults_to_version_1(monkeypatch):
    monkeypatch.delenv('OS_MIGLOCK_API_VERSION', raising=False)
    parser = plugin.build_option_parser(argparse.ArgumentParser())
    assert parser.parse_args([]).os_miglock_api_version == '1'


def test_the_plugin_needs_nothing_of_the_server_side():
    """openstackclient loads the plugin on every command: keep it light.

    It imports only nova_miglock.osc and the client libraries, never Nova,
    the store, oslo.messaging or the payload objects.
    """
    code = ('import sys\n'
            'import nova_miglock.osc.plugin, nova_miglock.osc.v1.locks\n'
            'import nova_miglock.osc.v1.groups\n'
            'import nova_miglock.osc.v1.operations\n'
            'import nova_miglock.osc.v1.operator\n'
            'print(" ".join(sorted(sys.modules)))\n')
    loaded = set(subprocess.run([sys.executable, '-c', code], check=True,
                                capture_output=True, text=True,
                                timeout=60).stdout.split())
    ours = {m for m in loaded if m.startswith('nova_miglock')}
    assert ours == {'nova_miglock', 'nova_miglock.osc',
                    'nova_miglock.osc.client', 'nova_miglock.osc.plugin',
                    'nova_miglock.osc.v1', 'nova_miglock.osc.v1.groups',
                    'nova_miglock.osc.v1.locks',
                    'nova_miglock.osc.v1.operations',
                    'nova_miglock.osc.v1.operator'}
    assert not loaded & {'nova', 'sqlalchemy', 'oslo_messaging',
                         'oslo_versionedobjects', 'oslo_policy'}


class _Session:
    """Answers drain plans as a server serving up to ``newest``."""

    def __init__(self, newest):
        self.newest = newest
        self.sent = []

    def request(self, url, method, json=None, headers=None, **kwargs):
        version = headers['OpenStack-API-Version'].split()[-1]
        self.sent.append((version, json['drain_plan']))
        if tuple(map(int, version.split('.'))) > self.newest:
            return osc_fakes.Reply(
                {'notAcceptable': {'message': 'too new'}}, status=406)
        return osc_fakes.Reply({'drain_plan': {'hosts': ['h1']}})


@pytest.mark.parametrize('notice, sent', [
    (None, {'hosts': ['h1']}), (0, {'hosts': ['h1'], 'notice': 0}),
    (600, {'hosts': ['h1'], 'notice': 600})])
def test_a_drain_plan_is_asked_at_1_2(notice, sent):
    """Without a notice the server gives the drain's default (1.2)."""
    session = _Session(newest=(1, 2))
    client.Client(session, 'http://nova/v2.1').drain_plan(['h1'],
                                                          notice=notice)
    assert session.sent == [('1.2', sent)]


def test_an_older_server_plans_only_what_means_the_same_at_1_0():
    session = _Session(newest=(1, 1))
    miglock = client.Client(session, 'http://nova/v2.1')
    miglock.drain_plan(['h1'], notice=0)
    miglock.drain_plan(['h1'], notice=600)
    assert session.sent[1::2] == [('1.0', {'hosts': ['h1']}),
                                  ('1.0', {'hosts': ['h1'], 'notice': 600})]
    error = pytest.raises(exceptions.CommandError, miglock.drain_plan,
                          ['h1']).value
    assert '--notice or --no-notice' in str(error)
