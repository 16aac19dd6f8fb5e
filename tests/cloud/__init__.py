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
"""A one-machine OpenStack cloud for the integration tests.

Keystone, Placement, Glance, nova-api and nova-api-metadata (each under
uWSGI), nova-conductor, nova-scheduler, two nova-compute services on
Nova's libvirt driver (QEMU TCG, each with its own libvirtd in its own
mount and UTS namespace), the nova-miglock listener and host agents, and a
Neutron stand-in (``neutron.py``; servers boot with ``networks: none``).
nova-miglock is plugged in with ``nova-miglock-manage configure-nova`` and
``hook install``, as an operator does. Every process is started and
stopped by its PID (``processes.py``) and logs into the run directory.

``python -m tests.cloud start|stop|status DIR`` (``tools/cloud.sh``) runs it
for people; ``tests/integration/conftest.py`` starts it for a test session.
"""
