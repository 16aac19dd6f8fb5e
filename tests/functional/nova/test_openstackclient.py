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
"""``openstack server migration lock ...`` against the in-process Nova.

The commands are loaded from the installed ``openstack.miglock.v1`` entry
points into a cliff application, and the plugin's ``make_client`` is
called the way openstackclient's ClientManager calls it, with a
keystoneauth session carrying the harness's identity headers (its
stand-in for Keystone). Every request then takes the real path: the
session, Nova's paste pipeline, our filter, policy, the store. What is
not run is the ``openstack`` program itself (python-openstackclient is
not installed here): its part is to find the plugin and build the
session.
"""

import contextlib
import io
import json
import logging
import os
import re
import shlex

from cliff import app as cliff_app
from cliff import commandmanager

from nova_miglock import manager
from nova_miglock.osc import plugin
from nova_miglock import policy
from nova_miglock.testing.nova import base
from nova_miglock.testing.nova import clients


class ClientManager:
    """What openstackclient's ClientManager offers a plugin."""

    region_name = None
    interface = 'public'

    def __init__(self, session, endpoint):
        self.session = session
        self._endpoint = endpoint
        self._api_version = {plugin.API_NAME: plugin.DEFAULT_API_VERSION}
        self._client = None

    def get_endpoint_for_service_type(self, service_type, region_name=None,
                                      interface='public'):
        return self._endpoint if service_type == 'compute' else None

    @property
    def miglock(self):
        if self._client is None:
            self._client = plugin.make_client(self)
        return self._client


class OpenStack(cliff_app.App):
    """A cliff application with the plugin's commands, as openstack has."""

    def __init__(self, client_manager):
        self.out, self.err = io.StringIO(), io.StringIO()
        super().__init__(
            description='test', version='1', stdout=self.out,
            stderr=self.err, deferred_help=True,
            command_manager=commandmanager.CommandManager(
                'openstack.miglock.v1'))
        self.client_manager = client_manager

    def configure_logging(self):
        """Errors to our stderr, as openstack prints them; nothing else.

        cliff's own setup would turn the whole test's logging to DEBUG.
        """
        self.console = logging.StreamHandler(self.err)
        self.console.setLevel(logging.WARNING)
        self.LOG.addHandler(self.console)


class Commands:
    """Running commands as the harness's member or admin."""

    def openstack(self, command, admin=False, expect=0):
        """Run ``openstack <command>``: (stdout, stderr)."""
        manager = ClientManager(clients.session_for(self, admin),
                                self.api.base_url)
        shell = OpenStack(manager)
        try:
            # argparse writes usage errors to sys.stderr and exits 2.
            with contextlib.redirect_stderr(shell.err):
                status = shell.run(shlex.split(command))
        except SystemExit as exc:
            status = exc.code
        finally:
            shell.LOG.removeHandler(getattr(shell, 'console', None))
        output, errors = shell.out.getvalue(), shell.err.getvalue()
        self.assertEqual(expect, status, (command, output, errors))
        return output, errors

    def json(self, command, admin=False):
        return json.loads(self.openstack(command + ' -f json', admin)[0])


class OpenStackClientTest(Commands, base.NovaTestCase):

    def setUp(self):
        super().setUp()
        policy.reset_enforcer()
        self.addCleanup(policy.reset_enforcer)
        self.server = self.boot(name='db-1')

    def test_a_tenant_holds_shows_lists_and_releases(self):
        hold = self.json('server migration lock hold db-1 --holder etl '
                         '--lease-seconds 120 --reason "month end"')
        self.assertEqual(('etl', 'tenant', 'month end', 120.0, 'locked'), (
            hold['Holder'], hold['Source'], hold['Reason'],
            hold['Lease Seconds'], hold['Server State']))
        shown = self.json('server migration lock show %s -c State -c Holds'
                          % self.server['id'])
        self.assertEqual(['Holds', 'State'], sorted(shown))
        self.assertEqual(('locked', ['etl']), (
            shown['State'], [h['holder'] for h in shown['Holds']]))
        listed = self.json('server migration lock list')
        self.assertEqual([(self.server['id'], ['etl'])], [
            (s['Server ID'], s['Holders']) for s in listed])
        self.openstack('server migration lock release db-1 --holder etl')
        self.assertEqual('unlocked', self.json(
            'server migration lock show db-1')['State'])
        self.assertEqual((), self.store.get_state(self.server['id']).holds)

    def test_operators_break_and_exempt_tenants_cannot(self):
        self.openstack('server migration lock hold db-1 --holder etl')
        _out, errors = self.openstack(
            'server migration lock break db-1 --reason mine', expect=1)
        self.assertIn('policy miglock:servers:break does not allow this '
                      '(HTTP 403)', errors)
        self.openstack('server migration lock exempt db-1 --reason x',
                       expect=1)
        broken = self.json('server migration lock break %s --reason '
                           '"hypervisor upgrade"' % self.server['id'],
                           admin=True)
        self.assertEqual([('etl', 'tenant')], [
            (h['Holder'], h['Source']) for h in broken])
        last = self.store.ledger(instance_uuid=self.server['id'])[-1]
        self.assertEqual(('break', 'hypervisor upgrade', 'user:admin'),
                         (last['event'], last['reason'], last['actor']))
        project = self.api.project_id
        self.openstack('server migration lock quota set %s '
                       '--locked-instances 5' % project, expect=1)
        quota = self.json('server migration lock quota set %s '
                          '--locked-instances 5 --lock-seconds-per-day '
                          'default' % project, admin=True)
        self.assertEqual((5, -1), (quota['Locked Instances'],
                                   quota['Lock Seconds Per Day']))
        self.assertEqual(5, self.json('server migration lock quota show %s'
                                      % project)['Locked Instances'])
        _out, errors = self.openstack('server migration lock quota set %s'
                                      % project, admin=True, expect=1)
        self.assertIn('give --locked-instances', errors)
        ticket = self.manager.admit_move(manager.Target(
            self.server['id'], self.server['tenant_id']),
            kind='live-migration')
        self.openstack('server migration lock ticket list', expect=1)
        listed = self.json('server migration lock ticket list', admin=True)
        self.assertEqual([ticket.ticket_id], [t['Ticket ID'] for t in listed])
        closed = self.json('server migration lock ticket close db-1 '
                           '--outcome stuck-move', admin=True)
        self.assertEqual((ticket.ticket_id, 'stuck-move'), (
            closed['Ticket ID'], closed['Outcome']))
        _out, errors = self.openstack(
            'server migration lock ticket close db-1', admin=True, expect=1)
        self.assertIn('has no move in progress', errors)
        usage = self.json('server migration lock usage --all-projects',
                          admin=True)
        self.assertEqual([(self.server['id'], 1)], [
            (u['Server ID'], u['Holds']) for u in usage])
        exempt = self.json('server migration lock exempt %s --reason '
                           '"rack move" --seconds 600' % self.server['id'],
                           admin=True)
        self.assertIsNotNone(exempt['Static Exempt Until'])
        everyone, _err = self.openstack(
            'server migration lock list --all-projects --include-unlocked '
            '-f value -c "Server ID" -c State', admin=True)
        self.assertEqual('%s unlocked' % self.server['id'], everyone.strip())

    def test_bad_input_is_refused_with_the_apis_words_and_changes_nothing(
            self):
        before = self.fingerprint(self.server)
        _out, errors = self.openstack(
            'server migration lock hold db-1 --holder "bad name"', expect=1)
        self.assertIn('holder must be 1 to 64 characters', errors)
        self.assertIn('(HTTP 400)', errors)
        _out, errors = self.openstack(
            'server migration lock hold db-1 --holder etl --reason "a\tb"',
            expect=1)
        self.assertIn('reason: ', errors)
        _out, errors = self.openstack(
            'server migration lock hold db-1 --holder etl '
            '--lease-seconds 0', expect=2)
        self.assertIn('invalid positive integer value', errors)
        _out, errors = self.openstack(
            'server migration lock show no-such-server', expect=1)
        self.assertIn("No server with a name or ID of 'no-such-server'",
                      errors)
        self.assertEqual(before, self.fingerprint(self.server))

    def test_other_projects_servers_are_not_found(self):
        self.api.project_id = 'another-project'
        _out, errors = self.openstack(
            'server migration lock show %s' % self.server['id'], expect=1)
        self.assertIn('could not be found. (HTTP 404)', errors)


class GuideTest(Commands, base.NovaTestCase):
    """The openstackclient guide's commands run as written, in order."""

    GUIDE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))))), 'doc', 'source',
        'openstackclient.rst')

    def setUp(self):
        super().setUp()
        policy.reset_enforcer()
        self.addCleanup(policy.reset_enforcer)
        self.server = self.boot(name='db-primary')

    def blocks(self):
        """{caption: [command]} of the guide's console blocks."""
        with open(self.GUIDE) as stream:
            text = stream.read()
        found = {}
        for block in re.finditer(
                r'^\.\. code-block:: console\n   :caption: (?P<caption>.+)\n'
                r'\n(?P<body>(?:   .*\n|\n)+)', text, re.M):
            found[block.group('caption')] = [
                line.strip()[len('$ openstack '):]
                for line in block.group('body').splitlines()
                if line.strip().startswith('$ openstack ')]
        return found

    def test_every_command_of_the_guide_runs_as_written(self):
        blocks = self.blocks()
        self.assertEqual(['as a member', 'as an admin', 'group budgets',
                          'operator commands'], sorted(blocks))
        for caption, admin in (('as a member', False),
                               ('as an admin', True),
                               ('operator commands', True),
                               ('group budgets', False)):
            self.assertTrue(blocks[caption])
            if caption == 'group budgets':
                # The guide's "openstack server set --tag" (not ours).
                self.api.api_put('/servers/%s/tags/miglock:group=db'
                                 % self.server['id'], {},
                                 check_response_status=[201])
            for command in blocks[caption]:
                self.openstack(command, admin=admin)
        self.assertEqual([], self.store.list_group_budgets())
        last = self.store.ledger(instance_uuid=self.server['id'])
        self.assertEqual(
            ['acquire', 'renew', 'release', 'acquire', 'break', 'exempt',
             'exempt', 'move_requested', 'request_closed'],
            [e['event'] for e in last])
