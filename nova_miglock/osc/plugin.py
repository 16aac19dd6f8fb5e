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
"""The hooks openstackclient looks for in its plugins.

The module is the ``openstack.cli.extension`` entry point. openstackclient
reads ``API_NAME``, ``API_VERSION_OPTION`` and
``API_VERSIONS``, calls :func:`build_option_parser` once for the global
options and :func:`make_client` when a command first uses
``client_manager.miglock``; commands are the ``openstack.miglock.v1``
entry points.
"""

import logging

from osc_lib import exceptions
from osc_lib import utils

from nova_miglock.osc import client as miglock_client

LOG = logging.getLogger(__name__)

DEFAULT_API_VERSION = '1'
API_VERSION_OPTION = 'os_miglock_api_version'
API_NAME = 'miglock'
API_VERSIONS = {'1': miglock_client.Client}
# The API is served inside Nova's compute endpoint.
ENDPOINT_SERVICE_TYPE = 'compute'


def make_client(instance):
    """The API client for openstackclient's ClientManager ``instance``."""
    version = str(instance._api_version[API_NAME]).split('.')[0]
    client_class = API_VERSIONS.get(version)
    if client_class is None:
        raise exceptions.UnsupportedVersion(
            'migration lock API version %s is not supported; use one of %s'
            % (version, ', '.join(sorted(API_VERSIONS))))
    endpoint = instance.get_endpoint_for_service_type(
        ENDPOINT_SERVICE_TYPE, region_name=instance.region_name,
        interface=instance.interface)
    if not endpoint:
        raise exceptions.EndpointNotFound(
            'no %s endpoint in the catalog: the migration lock API is '
            'served by Nova' % ENDPOINT_SERVICE_TYPE)
    LOG.debug('Migration lock API at %s', endpoint)
    return client_class(instance.session, endpoint)


def build_option_parser(parser):
    """The global ``--os-miglock-api-version`` option."""
    parser.add_argument(
        '--os-miglock-api-version',
        metavar='<miglock-api-version>',
        default=utils.env('OS_MIGLOCK_API_VERSION',
                          default=DEFAULT_API_VERSION),
        help='Migration lock API version, default=%s '
             '(Env: OS_MIGLOCK_API_VERSION)' % DEFAULT_API_VERSION)
    return parser
