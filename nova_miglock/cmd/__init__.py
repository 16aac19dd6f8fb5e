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
"""Console scripts: each module parses nothing itself and calls one main."""

import sys

from oslo_service import backend


def use_native_threads():
    """Our processes run on native threads; eventlet stays out of them.

    oslo.service, which oslo.messaging pulls in, would pick its eventlet
    backend unless told otherwise, and futurist imports eventlet whenever
    it is installed (Nova depends on it): eventlet then warns that it is
    deprecated and hooks every fork. Our processes never use it, so it is
    made unimportable here, as on a host without it, and oslo.service is
    told to use threads, as Nova 34 does when it runs without eventlet.
    """
    sys.modules.setdefault('eventlet', None)
    try:
        backend.init_backend(backend.BackendType.THREADING)
    except backend.exceptions.BackendAlreadySelected:
        pass
