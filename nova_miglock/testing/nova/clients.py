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
"""python-novaclient talking to the in-process Nova.

The harness serves Nova's API through wsgi-intercept on a made-up host, and
its stand-in for keystonemiddleware trusts ``X-Auth-*`` headers; a session
with keystoneauth's ``noauth`` plugin and those headers is what a
python-novaclient user would have against a real cloud.
"""

from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
from novaclient import client as nova_client


def session_for(test, admin=True):
    """A keystoneauth session as the harness's admin or member user."""
    api = test.admin_api if admin else test.api
    headers = {'X-Auth-User': 'admin' if admin else 'fake',
               'X-Auth-Project-Id': api.project_id,
               'X-Roles': 'admin,member,reader' if admin else
               'member,reader'}
    return ks_session.Session(auth=noauth.NoAuth(endpoint=api.base_url),
                              additional_headers=headers)


def novaclient_for(test, admin=True, version='2.1'):
    api = test.admin_api if admin else test.api
    return nova_client.Client(version, session=session_for(test, admin),
                              endpoint_override=api.base_url)
