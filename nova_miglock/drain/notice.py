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

Unless told not to (``--no-notice``, or ``[miglock] drain_notice = 0``),
every instance left to move (and every ``notify-only`` one) gets a move
request when the drain begins: its guest sees it, leases
granted from then on end by its ``not_before`` (as the cloud's
``[miglock]`` options say), and it may approve early. Each request is
closed when its instance's fate is settled, and all that are left when
the drain ends, however it ends: after its ``not_before`` the guest could
not lock at all.
"""

from nova_miglock.drain import report as report_mod
from nova_miglock import lock
from nova_miglock import manager as lock_manager


def to_tell(drain):
    """The instances whose guests the drain tells: left to move, notify-only.

    Empty without a notice. A dry run shows them, a drain tells them.
    """
    if not drain.options.notice:
        return []
    return drain.pending() + [u for u, i in drain.items.items()
                              if i.outcome == report_mod.NOTIFY_ONLY]


def describe(drain):
    """What the guests are (or would be) told, for the report; or None."""
    notice = drain.options.notice
    if not notice:
        return None
    told = drain.not_before
    return {'seconds': notice,
            'not_before': (lock.isoformat(told) if told is not None else
                           report_mod.iso(drain.start + notice)),
            'guests': len(to_tell(drain)) if drain.options.dry_run
            else sum(1 for i in drain.items.values() if i.told)}


def tell_guests(drain):
    """Open a move request for every instance left to move."""
    options = drain.options
    if not options.notice:
        drain.progress('no notice: the guests are not told')
        return
    told = 0
    for uuid in to_tell(drain):
        item = drain.items[uuid]
        request = drain.manager.open_move_request(
            lock_manager.Target(uuid, item.project_id, host=item.source),
            seconds=options.notice, actor=options.actor,
            reason='drain of %s: %s' % (', '.join(drain.hosts),
                                        options.reason))
        item.requested = item.told = True
        told += 1
        # The store's clock, and a request already open keeps its own.
        drain.not_before = max(drain.not_before or request.not_before,
                               request.not_before)
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
