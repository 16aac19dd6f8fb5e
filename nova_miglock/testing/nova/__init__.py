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
"""The in-process Nova harness; importing it chooses Nova's threading mode.

Nova 34 runs its services on native threads when
``OS_NOVA_DISABLE_EVENTLET_PATCHING`` is set, and then forbids importing
eventlet; oslo libraries imported later would import it first, so Nova's
choice is made here, before any of them. Import this package before
anything else that may import eventlet (the functional tests' conftest, the
demo and the benchmarks do).
"""

import os

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

from nova import monkey_patch  # noqa: E402

monkey_patch.patch()
