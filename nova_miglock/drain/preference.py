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
"""How an instance wants to be moved for maintenance (pure).

The tenant says it with a server tag ``miglock:maintenance=VALUE`` or a
server property ``miglock:maintenance`` (the property wins), as KubeVirt's
``evictionStrategy`` or a ``maintenance_action`` tag elsewhere:

``live-migrate`` (the default)
    moved while it runs.
``cold-migrate``
    powered off, moved, powered on again where it lands (the drain
    confirms the move).
``shutdown``
    the guest would rather be shut down than live-migrated: moved cold,
    which shuts it down cleanly and starts it again elsewhere.
``notify-only``
    never moved by a drain: its guest is told (with ``--notice``) and the
    instance is left on the host for its owner to handle.

An instance that cannot be live-migrated (``SHUTOFF``) is moved cold. An
unknown value is reported and the default applies: a typo must not stop
a host's maintenance.
"""

KEY = 'miglock:maintenance'
LIVE, COLD, SHUTDOWN, NOTIFY = ('live-migrate', 'cold-migrate', 'shutdown',
                                'notify-only')
VALUES = (LIVE, COLD, SHUTDOWN, NOTIFY)
LIVE_STATES = ('ACTIVE', 'PAUSED')
COLD_STATES = ('ACTIVE', 'SHUTOFF')


def declared(tags, metadata):
    """The value the tenant set, or None."""
    value = (metadata or {}).get(KEY)
    if value is None:
        prefix = KEY + '='
        for tag in tags or ():
            if tag.startswith(prefix):
                value = tag[len(prefix):]
                break
    return None if value is None else value.strip().lower()


def action(tags, metadata, status):
    """``(action, note)``: live-migrate, cold-migrate, notify-only or None.

    None: the instance cannot be moved in its status (the note says why).
    """
    value = declared(tags, metadata)
    note = ''
    if value is not None and value not in VALUES:
        note = ('%s=%s is not one of %s; moved as %s'
                % (KEY, value, ', '.join(VALUES), LIVE))
        value = None
    if value == NOTIFY:
        return NOTIFY, 'left on the host: %s=%s' % (KEY, NOTIFY)
    if value in (COLD, SHUTDOWN) or (status not in LIVE_STATES and
                                     status in COLD_STATES):
        if status not in COLD_STATES:
            return None, ('status %s: a cold migration needs %s'
                          % (status, ' or '.join(COLD_STATES)))
        return COLD, note
    if status not in LIVE_STATES:
        return None, ('status %s: a live migration needs %s'
                      % (status, ' or '.join(LIVE_STATES)))
    return LIVE, note
