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
"""Configuration files of the one-machine cloud, as devstack writes them.

Plain text templates filled from one dict (``Layout.values()``): the
service ports, database URLs, RabbitMQ vhost URL and directories of one
run. Only what differs from each service's defaults is written, each with
the reason when it is not what devstack would write too.
"""

AUTHTOKEN = """
[keystone_authtoken]
www_authenticate_uri = %(keystone)s
auth_url = %(keystone)s
auth_type = password
username = %(user)s
password = %(password)s
project_name = service
user_domain_name = Default
project_domain_name = Default
service_token_roles_required = true
"""

KEYSTONE = """
[DEFAULT]
debug = false
[database]
connection = %(db_keystone)s
[token]
provider = fernet
[fernet_tokens]
key_repository = %(etc)s/keystone/fernet-keys
[fernet_receipts]
key_repository = %(etc)s/keystone/fernet-keys
[credential]
key_repository = %(etc)s/keystone/credential-keys
"""

PLACEMENT = """
[DEFAULT]
debug = false
[api]
auth_strategy = keystone
[placement_database]
connection = %(db_placement)s
""" + AUTHTOKEN

GLANCE = """
[DEFAULT]
debug = false
enabled_backends = fs:file
# Nova reads the image's location only through the API.
show_image_direct_url = false
[database]
connection = %(db_glance)s
[paste_deploy]
flavor = keystone
config_file = %(etc)s/glance/glance-api-paste.ini
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = %(state)s/glance/images
[os_glance_staging_store]
filesystem_store_datadir = %(state)s/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = %(state)s/glance/tasks
""" + AUTHTOKEN

# Shared by every Nova service; compute-N.conf adds the per-host part.
NOVA = """
[DEFAULT]
debug = true
transport_url = %(rabbit)s
my_ip = 127.0.0.1
state_path = %(state)s/nova
instances_path = %(instances)s
compute_driver = libvirt.LibvirtDriver
# The guest's power state is checked every minute by default; tests read
# it right after a move.
sync_power_state_interval = 10
# The guests run no OS and never answer an ACPI shutdown: power off at once
# instead of waiting a minute on every cold migration and resize.
shutdown_timeout = 0
[api]
auth_strategy = keystone
[api_database]
connection = %(db_nova_api)s
[database]
connection = %(db_nova)s
[wsgi]
api_paste_config = %(etc)s/nova/api-paste.ini
[oslo_concurrency]
lock_path = %(state)s/nova/locks
[scheduler]
# Hosts join the cell as soon as they start, instead of after a
# "nova-manage cell_v2 discover_hosts" run.
discover_hosts_in_cells_interval = 2
[glance]
region_name = RegionOne
[placement]
auth_type = password
auth_url = %(keystone)s
username = nova
password = %(password)s
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = RegionOne
[neutron]
auth_type = password
auth_url = %(keystone)s
username = nova
password = %(password)s
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = RegionOne
service_metadata_proxy = true
metadata_proxy_shared_secret = %(metadata_secret)s
[service_user]
send_service_user_token = true
auth_type = password
auth_url = %(keystone)s
username = nova
password = %(password)s
project_name = service
user_domain_name = Default
project_domain_name = Default
[libvirt]
virt_type = qemu
cpu_mode = none
# Each compute host's libvirtd listens on its own socket (see
# compute-N.conf); the source daemon reaches the destination's by the
# destination's inbound address, and QEMU streams to that address.
live_migration_uri = qemu+unix:///system?socket=%(sockets)s/%%s
# oslo.privsep asks sudo by default; these services already run as root.
[nova_sys_admin]
helper_command = %(bin)s/privsep-helper --config-file %(etc)s/nova/nova.conf
[privsep_osbrick]
helper_command = %(bin)s/privsep-helper --config-file %(etc)s/nova/nova.conf
[vif_plug_ovs_privileged]
helper_command = %(bin)s/privsep-helper --config-file %(etc)s/nova/nova.conf
[vif_plug_linux_bridge_privileged]
helper_command = %(bin)s/privsep-helper --config-file %(etc)s/nova/nova.conf
""" + AUTHTOKEN

COMPUTE = """
[DEFAULT]
host = %(host)s
state_path = %(state)s/%(host)s
[libvirt]
connection_uri = qemu+unix:///system?socket=%(sockets)s/%(address)s
live_migration_inbound_addr = %(address)s
"""

# The nova-miglock services' own file, as the devstack plugin writes it.
MIGLOCK = """
[DEFAULT]
debug = true
transport_url = %(rabbit)s
[oslo_messaging_notifications]
driver = messagingv2
[miglock_database]
connection = %(db_miglock)s
[miglock_nova]
auth_type = password
auth_url = %(keystone)s
username = miglock
password = %(password)s
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = RegionOne
"""

MIGLOCK_COMPUTE = """
[DEFAULT]
host = %(host)s
[miglock_compute]
libvirt_uri = qemu+unix:///system?socket=%(sockets)s/%(address)s
[miglock_hook]
hooks_dir = %(hooks)s
# Each host its own replica, as on separate machines.
replica_path = %(replica)s
"""

# One uWSGI process per API service, as devstack runs them.
UWSGI = """
[uwsgi]
http-socket = 127.0.0.1:%(port)d
module = %(module)s
master = true
processes = 1
threads = %(threads)d
die-on-term = true
lazy-apps = true
exit-on-reload = false
add-header = Connection: close
buffer-size = 65535
thunder-lock = true
"""

LIBVIRTD = """
host_uuid = "%(uuid)s"
listen_tls = 0
unix_sock_group = "root"
"""

# Appended to each daemon's private qemu.conf.
QEMU = """
# Two daemons on one machine would name their guests' cgroups alike.
cgroup_controllers = [ ]
# The run directory is root's and private; QEMU runs as root here.
user = "root"
group = "root"
remember_owner = 0
"""
