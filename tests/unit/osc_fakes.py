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
"""A keystoneauth session stand-in for the openstackclient client's tests.

Unit tests run with no service: the client is driven against this, and a
test says how the "server" answers. (The functional tests drive the same
client against the in-process Nova.)
"""

import json


class Reply:
    """A response with ``body`` as its JSON."""

    def __init__(self, body, status=200):
        self.status_code = status
        self.content = json.dumps(body).encode()
        self._body = body

    def json(self):
        return self._body


class Session:
    """Records every request; answers each with the body ``answer``."""

    def __init__(self, answer):
        self.answer = answer
        self.sent = []

    def request(self, url, method, **kwargs):
        self.sent.append((method, url, kwargs))
        return Reply(self.answer)
