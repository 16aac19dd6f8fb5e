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
"""The lock rules as pure functions: one implementation, no I/O.

"Is this instance locked?", "would this move be admitted, and when could
it be?", "what does this acquire grant, and what does it cost?" are
answered here and only here. The store calls them inside its transaction
(with the clock and rows it just read), the compute API gate and the
scheduler filter call them on the state they read, and the drain planner
calls them on simulated states, without a transaction.

``locks``: which locks count at a given time (static locks and their
exemption, active holds). ``moves``: ``decide_move`` and
``decide_evacuation``. ``holds``: ``decide_acquire`` and ``decide_end``.
Lease and quota arithmetic lives in ``nova_miglock.leases``.
"""

from nova_miglock.decisions.holds import AcquireRequest  # noqa: F401
from nova_miglock.decisions.holds import decide_acquire  # noqa: F401
from nova_miglock.decisions.holds import InstanceHolds  # noqa: F401
from nova_miglock.decisions.moves import Admit  # noqa: F401
from nova_miglock.decisions.moves import decide_evacuation  # noqa: F401
from nova_miglock.decisions.moves import decide_move  # noqa: F401
from nova_miglock.decisions.moves import Refuse  # noqa: F401
