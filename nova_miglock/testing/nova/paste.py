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
"""An api-paste.ini for the in-process Nova, made the way operators make it.

Nova's wheel installs its own ``api-paste.ini`` under ``<prefix>/etc/nova``;
``nova-miglock-manage configure-nova`` (its code, here) adds our filters.
Every functional test against Nova therefore also proves that the result
loads in Nova with the filters active.
"""

import os
import sys

from nova_miglock.manage import configure

NOVA_PASTE = os.path.join(sys.prefix, 'etc', 'nova', 'api-paste.ini')


def write(path, metadata=True, gate=True):
    with open(NOVA_PASTE) as stream:
        text, _changes = configure.configure_paste(
            stream.read(), metadata=metadata, compute=gate)
    with open(path, 'w') as stream:
        stream.write(text)
    return path
