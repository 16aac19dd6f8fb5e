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
"""Keystone's contents: service accounts, the catalogue, two tenants.

Written with python-keystoneclient as the cloud's admin, after
``keystone-manage bootstrap`` has made the admin, the roles (admin,
manager, member, reader, service) and the identity endpoint.
"""

from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
from keystoneclient.v3 import client as ks_client

SERVICE_USERS = ('nova', 'placement', 'glance', 'miglock')
# (project, user, role): two tenants, a member and a reader in the first.
TENANT_USERS = (('alpha', 'alpha-member', 'member'),
                ('alpha', 'alpha-reader', 'reader'),
                ('beta', 'beta-member', 'member'))
CATALOGUE = (
    # (service type, name, URL key in the layout, path)
    ('compute', 'nova', 'nova_api', '/v2.1'),
    ('placement', 'placement', 'placement', ''),
    ('image', 'glance', 'glance', ''),
    ('network', 'neutron', 'neutron', ''),
)


def admin_session(keystone_url, password):
    auth = v3.Password(auth_url=keystone_url, username='admin',
                       password=password, project_name='admin',
                       user_domain_id='default', project_domain_id='default')
    return ks_session.Session(auth=auth)


def populate(keystone_url, password, urls):
    """Create accounts, projects and the catalogue; idempotent enough."""
    client = ks_client.Client(session=admin_session(keystone_url, password),
                              interface='public')
    roles = {role.name: role for role in client.roles.list()}
    service_project = client.projects.create('service', 'default')
    for name in SERVICE_USERS:
        user = client.users.create(name, domain='default', password=password)
        for role in ('admin', 'service'):
            client.roles.grant(roles[role], user=user,
                               project=service_project)
    projects = {}
    for project, name, role in TENANT_USERS:
        if project not in projects:
            projects[project] = client.projects.create(project, 'default')
        user = client.users.create(name, domain='default', password=password)
        client.roles.grant(roles[role], user=user, project=projects[project])
    for service_type, name, key, path in CATALOGUE:
        service = client.services.create(name, type=service_type)
        for interface in ('public', 'internal'):
            client.endpoints.create(service, urls[key] + path,
                                    interface=interface, region='RegionOne')
    return {name: project.id for name, project in projects.items()}


def clouds_yaml(keystone_url, password):
    """clouds.yaml as devstack writes it, one cloud per account."""
    accounts = [('miglock-admin', 'admin', 'admin')]
    accounts += [('miglock-%s' % user, user, project)
                 for project, user, _role in TENANT_USERS]
    clouds = {}
    for cloud, user, project in accounts:
        clouds[cloud] = {
            'auth': {'auth_url': keystone_url, 'username': user,
                     'password': password, 'project_name': project,
                     'user_domain_id': 'default',
                     'project_domain_id': 'default'},
            'region_name': 'RegionOne',
            'identity_api_version': 3,
        }
    return {'clouds': clouds}
