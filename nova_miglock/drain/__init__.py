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
"""Emptying compute hosts: the executor of a plan on Nova's API.

``planning`` decides, without I/O, in what order and when; this package
does it: ``nova`` is the edge to Nova's API (python-novaclient),
``executor`` the loop that disables the hosts, moves the instances
through the gate, follows refusals and re-plans, and ``report`` what it
tells the operator.
"""

# A move admitted beforehand (a drain's break at its deadline) names its
# ticket in this request header; the gate checks it
# (LockManager.claim_move).
TICKET_HEADER = 'X-Miglock-Ticket'
