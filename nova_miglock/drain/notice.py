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
"""The drain's move requests: tell the guests, close what is settled.

With ``--notice`` every instance left to move (and every ``notify-only``
one) gets a move request when the drain begins: its guest sees it, leases
granted from then on end by its ``not_before`` (as the cloud's
``[miglock]`` options say), and it may approve early. Each request is
closed when its instance's fate is settled, and all that are left when
the drain ends, however it ends: after its ``not_before`` the guest could
not lock at all.
"""

from nova_miglock.drain import report as report_mod
from nova_miglock import manager as lock_manager


def tell_guests(drain):
    """Open a move request for every instance left to move."""
    options = drain.options
    if not options.notice:
        return
    told = 0
    for uuid in drain.pending() + [
            u for u, i in drain.items.items()
            if i.outcome == report_mod.NOTIFY_ONLY]:
        item = drain.items[uuid]
        drain.manager.open_move_request(
            lock_manager.Target(uuid, item.project_id, host=item.source),
            seconds=options.notice, actor=options.actor,
            reason='drain of %s: %s' % (', '.join(drain.hosts),
                                        options.reason))
        item.requested = True
        told += 1
    drain.progress('told %d guest(s): locks end within %ds'
                   % (told, options.notice))


def close_requests(drain, items):
    """Close our requests of ``items``; note which guests approved."""
    for item in items:
        if item.requested:
            closed = drain.manager.close_move_request(
                item.uuid, outcome=item.outcome[:64],
                actor=drain.options.actor)
            item.approved = bool(closed and closed.approved_at)
            item.requested = False
