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
"""Errors in Nova's own fault format, for filters in the compute API."""

from nova.api.openstack import wsgi as nova_wsgi


def nova_fault(req, http_error):
    """Answer ``req`` with ``http_error`` the way Nova's API would.

    The body is ``{"<faultName>": {"code", "message"}}`` and the
    microversion headers are set, so clients parse it like any Nova error.
    """
    nova_req = nova_wsgi.Request(req.environ)
    try:
        nova_req.set_api_version_request()
    except Exception:
        pass  # a bad version header: answer without version headers
    return nova_req.get_response(nova_wsgi.Fault(http_error))
