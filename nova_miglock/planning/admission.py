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
"""The one question the planner asks of the lock rules.

"Would a move of this instance be admitted now, and if not, until when
should we wait?" Everything in ``planning`` that needs the answer (the
simulated world judging an attempt, the strategies reading a refusal)
asks here, and this asks the rule the store, the gate and the filter
apply (``decisions.decide_move``): the planner cannot admit what the store
would refuse. Only the answer's form is the planner's (times as seconds on
its timeline).
"""

import dataclasses

from nova_miglock import decisions
from nova_miglock.planning import timebins

# The kind of move the planner plans; decide_move's rule does not depend
# on it.
KIND = 'live-migration'


@dataclasses.dataclass(frozen=True)
class Answer:
    admitted: bool
    # When waiting can change the answer (None: it cannot by itself, e.g. a
    # static lock, which lasts until someone removes it).
    retry_at: float = None
    reasons: tuple = ()


def judge(state):
    """The answer to a move of ``state.instance_uuid`` at ``state.now``."""
    decision = decisions.decide_move(state, KIND, state.now)
    if decision.admitted:
        return Answer(True)
    retry_at = None
    if decision.retry_at is not None:
        retry_at = timebins.to_seconds(decision.retry_at)
    return Answer(False, retry_at, tuple(decision.reasons))
