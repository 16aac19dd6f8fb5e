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
"""The production path end to end: Nova's own compute services and libvirt.

Keystone → nova-api (the gate) → conductor → scheduler (the filter) →
nova-compute's libvirt driver → libvirt's migration to the other host
(the hook) → Nova's record of the move (the listener). The guest's hold
goes through nova-api-metadata as the Neutron metadata proxy calls it.
"""

import os
import subprocess

from novaclient import exceptions as nova_exceptions

from tests.integration import cloud

NAMESPACE = 'http://openstack.org/xmlns/nova-miglock/1.0'
HOLD = {'lease_seconds': 300, 'reason': 'database checkpoint'}


class LibvirtFlowTest(cloud.Base):

    def live_migrate(self, server):
        self.nova.servers.live_migrate(server, host=None,
                                       block_migration='auto')

    def migration_status(self, server):
        records = self.migrations(server)
        return records and max(records, key=lambda m: m.id).status

    def wait_moved(self, server, source, status):
        self.cloud_wait('the move of %s off %s' % (server.id, source),
                        lambda: self.cloud_status(server, status) and
                        self.cloud_host(server) != source)

    def domains(self, host):
        """Names of the domains that run on a compute host's libvirtd."""
        import libvirt
        conn = libvirt.open(self.local_uri(host))
        try:
            return {d.name() for d in conn.listAllDomains()
                    if d.isActive()}
        finally:
            conn.close()

    def local_uri(self, host):
        from tests.cloud import cloud as local
        return local.Cloud(self.local['run_dir']).libvirt_uri(host)

    def instance_name(self, server):
        return getattr(self.nova.servers.get(server.id),
                       'OS-EXT-SRV-ATTR:instance_name')

    def test_guest_hold_refuses_then_release_lets_libvirt_move_it(self):
        server = self.cloud_boot()
        reply = self.metadata('PUT', server, '/holds/checkpoint', HOLD)
        self.assertEqual(200, reply.status_code, reply.text)
        error = self.assertRaises(nova_exceptions.Conflict,
                                  self.live_migrate, server)
        self.assertIn('hold by checkpoint (guest) "database checkpoint"',
                      error.message)
        self.assertEqual('ACTIVE', self.nova.servers.get(server.id).status)

        reply = self.metadata('DELETE', server, '/holds/checkpoint')
        self.assertEqual(204, reply.status_code, reply.text)
        source = self.cloud_host(server)
        self.live_migrate(server)
        self.wait_moved(server, source, 'ACTIVE')
        self.cloud_wait('the migration record to complete', lambda:
                        self.migration_status(server) == 'completed')
        if self.local:
            name = self.instance_name(server)
            destination = self.cloud_host(server)
            self.assertIn(name, self.domains(destination))
            self.assertNotIn(name, self.domains(source))

    def test_virsh_migrate_behind_novas_back_is_refused_by_the_hook(self):
        local = self.need_local('virsh migrate between its daemons')
        tenant = self.tenant()
        server = self.cloud_boot(client=tenant)
        tenant.servers.add_tag(server, 'miglock:static')
        source = self.cloud_host(server)
        target = 'compute2' if source == 'compute1' else 'compute1'
        name = self.instance_name(server)
        # The host agent mirrors the lock into the domain's metadata; the
        # destination's agent hears of it on its own, a moment apart (the
        # lag bench/agent_lag.py measures), and its hook judges by that.
        self.wait_mirrored(source, name, 'locked')
        self.wait_in_replica(local, target, server)
        address = dict(local_cloud_computes())[target]
        result = self.virsh(source, 'migrate', '--live', '--p2p',
                            '--persistent', '--undefinesource', name,
                            self.local_uri(target), 'tcp://%s' % address)
        self.assertNotEqual(0, result.returncode, result.stdout)
        self.assertIn('nova-miglock: refusing migrate of %s' % name,
                      result.stderr)
        self.assertIn(name, self.domains(source))
        self.assertNotIn(name, self.domains(target))
        self.assertEqual(source, self.cloud_host(server))

    def wait_in_replica(self, local, host, server):
        """Until ``host``'s replica lists ``server`` locked, no ticket."""
        from nova_miglock.hypervisor import replica
        from tests.cloud import cloud as local_cloud_module
        path = local_cloud_module.Cloud(local['run_dir']).replica_path(host)

        def listed():
            try:
                with open(path, 'rb') as stream:
                    found = replica.Replica(stream.read()).lookup(server.id)
            except (OSError, replica.BadReplica):
                return False
            return found is not None and not found.ticket
        self.cloud_wait('the lock in %s\'s replica' % host, listed)

    def wait_mirrored(self, host, name, state):
        self.cloud_wait('%s in %s\'s libvirt metadata' % (state, name),
                        lambda: 'state="%s"' % state in self.virsh(
                            host, 'metadata', name, NAMESPACE).stdout)

    def test_hook_refusal_stops_novas_live_migration(self):
        """The hook is the last line: nothing moves, Nova says ERROR.

        The destination's host agent is stopped while its replica says
        locked, and the lock is then removed: the gate admits the move (the
        store is unlocked and opens a ticket), but the destination never
        hears of it, and its hook refuses on its own replica (a stale
        replica fails closed too). libvirt fails migrateToURI3 before
        copying anything; Nova's compute manager, which cannot tell how far
        the driver got, marks the migration and the server ERROR without
        rolling back. The guest runs on where it was.
        """
        local = self.need_local('stopping a host agent')
        from tests.cloud import cloud as local_cloud_module
        the_cloud = local_cloud_module.Cloud(local['run_dir'])
        tenant = self.tenant()
        server = self.cloud_boot(client=tenant)
        source = self.cloud_host(server)
        target = 'compute2' if source == 'compute1' else 'compute1'
        name = self.instance_name(server)
        tenant.servers.add_tag(server, 'miglock:static')
        self.wait_in_replica(local, target, server)
        the_cloud.stop_agent(target)
        self.addCleanup(the_cloud.start_agent, target)
        tenant.servers.delete_tag(server, 'miglock:static')
        self.cloud_wait('the store to see the tag gone', lambda: not
                        self.miglock('get', server)[1]['miglock']['locked'])

        self.live_migrate(server)  # admitted: the store says unlocked
        self.cloud_wait('Nova to give up the live migration', lambda:
                        self.migration_status(server) == 'error')
        self.cloud_wait('the server in ERROR', lambda: self.cloud_status(
            server, 'ERROR'))
        self.addCleanup(self.nova.servers.reset_state, server, 'active')
        self.assertEqual(source, self.cloud_host(server))
        self.assertIn(name, self.domains(source))
        self.assertNotIn(name, self.domains(target))
        with open(os.path.join(local['run_dir'], 'logs',
                               'nova-compute-%s.log' % source)) as stream:
            self.assertIn('nova-miglock: refusing migrate of %s' % name,
                          stream.read())

    def virsh(self, host, *args):
        return subprocess.run(['virsh', '-c', self.local_uri(host)] +
                              list(args), capture_output=True, text=True,
                              timeout=120)

    def test_lock_after_an_admitted_move_waits_for_novas_record(self):
        server = self.cloud_boot()
        source = self.cloud_host(server)
        self.live_migrate(server)
        reply = self.metadata('PUT', server, '/holds/late', HOLD)
        self.assertEqual(409, reply.status_code, reply.text)

        def locked_after_finish():
            reply = self.metadata('PUT', server, '/holds/late', HOLD)
            if reply.status_code != 200:
                self.assertEqual(409, reply.status_code, reply.text)
                return False
            # Nova's record was final before the hold was granted.
            self.assertIn(self.migration_status(server),
                          ('completed', 'error', 'failed'))
            return True

        self.cloud_wait('the hold after the move', locked_after_finish)
        self.assertEqual('completed', self.migration_status(server))
        self.wait_moved(server, source, 'ACTIVE')

    def test_cold_migration_and_resize_through_libvirt(self):
        tenant = self.tenant()
        server = self.cloud_boot(client=tenant)
        source = self.cloud_host(server)
        tenant.servers.add_tag(server, 'miglock:static')
        error = self.assertRaises(nova_exceptions.Conflict,
                                  self.nova.servers.migrate, server)
        self.assertIn('server tag miglock:static', error.message)
        tenant.servers.delete_tag(server, 'miglock:static')

        self.nova.servers.migrate(server)
        self.wait_moved(server, source, 'VERIFY_RESIZE')
        self.nova.servers.confirm_resize(server)
        self.cloud_wait('the confirmed migration', lambda: self.cloud_status(
            server, 'ACTIVE'))

        bigger = self.nova.flavors.find(name='miglock.small')
        source = self.cloud_host(server)
        tenant.servers.resize(server, bigger)
        self.wait_moved(server, source, 'VERIFY_RESIZE')
        tenant.servers.confirm_resize(server)
        self.cloud_wait('the confirmed resize', lambda: self.cloud_status(
            server, 'ACTIVE'))
        self.assertEqual('miglock.small',
                         self.nova.servers.get(server.id).flavor[
                             'original_name'])

    def test_evacuation_with_the_compute_service_stopped(self):
        local = self.need_local('stopping a compute service')
        from tests.cloud import cloud as local_cloud_module
        server = self.cloud_boot()
        source = self.cloud_host(server)
        the_cloud = local_cloud_module.Cloud(local['run_dir'])
        service = self.nova.services.list(host=source,
                                          binary='nova-compute')[0]
        # The host fails: its compute service stops and its guests die
        # (a running QEMU would still hold the disk's image lock).
        the_cloud.stop_compute(source)
        self.addCleanup(self.restart_compute, the_cloud, source, service,
                        server)
        self.destroy_domain(source, self.instance_name(server))
        self.nova.services.force_down(service.id, True)
        self.nova.servers.evacuate(server)
        target = 'compute2' if source == 'compute1' else 'compute1'
        # "done" until the failed host's compute service comes back.
        self.cloud_wait('the evacuation record to be done', lambda:
                        self.migration_status(server) == 'done')
        self.assertEqual(target, self.cloud_host(server))
        # NOTE: Nova rebuilds the server in the state it recorded; here that
        # was sometimes "stopped" (SHUTOFF), see doc/source/nova-flow.rst.
        moved = self.cloud_wait('the evacuated server to settle', lambda: (
            self.cloud_status(server, 'ACTIVE') or
            self.cloud_status(server, 'SHUTOFF')))
        if moved.status == 'ACTIVE':
            self.assertIn(self.instance_name(server), self.domains(target))

    def destroy_domain(self, host, name):
        import libvirt
        conn = libvirt.open(self.local_uri(host))
        try:
            conn.lookupByName(name).destroy()
        finally:
            conn.close()

    def restart_compute(self, the_cloud, host, service, server):
        """Bring the failed host back as an operator does.

        Nova refuses to unset forced_down while the host's evacuation
        records read "done"; the restarted compute service removes the
        evacuated guests and moves those records to "completed".
        """
        the_cloud.start_compute(host)
        self.cloud_wait('the evacuation record to be completed', lambda:
                        self.migration_status(server) == 'completed')
        self.nova.services.force_down(service.id, False)
        self.cloud_wait('nova-compute on %s to be up' % host, lambda: [
            s for s in self.nova.services.list(host=host,
                                               binary='nova-compute')
            if s.state == 'up'])


def local_cloud_computes():
    from tests.cloud import cloud as local
    return local.COMPUTES
