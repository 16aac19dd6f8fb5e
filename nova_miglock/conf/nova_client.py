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
"""Credentials the listener uses to read Nova's migration records."""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from nova_miglock.conf import base

GROUP = cfg.OptGroup(
    'miglock_nova',
    title='Nova client',
    help="""
Keystone credentials of a user allowed to list migrations (admin), used by
nova-miglock-listener to reconcile overdue migration tickets.
""")

ALL_OPTS = [
    cfg.StrOpt('region_name',
               help='Region of the compute endpoint.'),
    cfg.StrOpt('endpoint_type',
               default='public',
               choices=['public', 'internal', 'admin'],
               help='Interface of the compute endpoint to use.'),
]


def register_opts(conf):
    base.register(conf, GROUP, ALL_OPTS)
    ks_loading.register_session_conf_options(conf, GROUP.name)
    ks_loading.register_auth_conf_options(conf, GROUP.name)


def list_opts():
    return [(GROUP, ALL_OPTS +
             ks_loading.get_session_conf_options() +
             ks_loading.get_auth_common_conf_options() +
             ks_loading.get_auth_plugin_conf_options('password'))]
