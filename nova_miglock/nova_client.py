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
"""A python-novaclient for our services, from ``[miglock_nova]``."""

from keystoneauth1 import loading as ks_loading
from novaclient import client as nova_client_module

# Migrations with their status and instance filter exist since 2.1.
API_VERSION = '2.1'


def from_conf(conf, version=API_VERSION):
    """A novaclient authenticated with the ``[miglock_nova]`` options."""
    group = 'miglock_nova'
    auth = ks_loading.load_auth_from_conf_options(conf, group)
    session = ks_loading.load_session_from_conf_options(conf, group,
                                                        auth=auth)
    return nova_client_module.Client(
        version, session=session,
        region_name=conf.miglock_nova.region_name,
        endpoint_type=conf.miglock_nova.endpoint_type)
