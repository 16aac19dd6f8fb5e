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
"""The one place where requests become lock operations.

Every entry point (guest channel, compute API gate, scheduler filter,
listener, operator tool) goes through a LockManager, so validation, policy,
the store and notifications are applied the same way whatever the path.
"""

import dataclasses

from oslo_log import log as logging

from nova_miglock import lock
from nova_miglock import policy
from nova_miglock import store as lock_store

LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Target:
    """An instance as Nova describes it at the time of the request."""

    instance_uuid: str
    project_id: str
    extra_specs: dict = dataclasses.field(default_factory=dict)
    static_locks: tuple = ()


@dataclasses.dataclass(frozen=True)
class Grant:
    """The answer to an acquire: the hold and whether its lease was cut."""

    hold: lock.Hold
    state: lock.LockState
    requested_seconds: int

    @property
    def granted_seconds(self):
        return round((self.hold.expires_at -
                      self.hold.renewed_at).total_seconds(), 3)

    @property
    def capped(self):
        return self.granted_seconds < self.requested_seconds

    def to_dict(self):
        return dict(self.hold.to_dict(self.state.now),
                    lease_seconds=self.granted_seconds,
                    lease_capped_by='max_hold' if self.capped else None,
                    instance_state=self.state.state)


class _NoNotifier:
    def hold_changed(self, *args, **kwargs):
        pass

    def move_changed(self, *args, **kwargs):
        pass


class LockManager:

    def __init__(self, conf, store=None, notifier=None):
        self._conf = conf
        self._store = store
        self._notifier = notifier or _NoNotifier()

    @property
    def store(self):
        if self._store is None:
            self._store = lock_store.get_store()
        return self._store

    @property
    def conf(self):
        return self._conf

    def state(self, target):
        """The instance's state, with the static locks Nova shows now."""
        state = self.store.get_state(target.instance_uuid)
        return dataclasses.replace(state, static_locks=target.static_locks)

    def acquire(self, target, holder, *, source, lease_seconds=None,
                reason='', wait=0, actor=None, renew_only=False):
        """Validate, apply policy, then grant or renew a hold."""
        lock.validate_holder(holder)
        lock.validate_source(source)
        reason = lock.validate_reason(reason)
        if lease_seconds is None:
            lease_seconds = self._conf.miglock.default_lease
        lock.validate_lease(lease_seconds)
        wait = self._validate_wait(wait)
        if not isinstance(renew_only, bool):
            raise lock.InvalidRequest('renew must be true or false')
        if source == lock.SOURCE_GUEST:
            policy.check_guest_may_lock(self._conf, target.extra_specs)
        limits, rule = policy.hold_limits(self._conf, target.extra_specs)
        policy.check_lease(limits, rule, lease_seconds)
        hold, state = self.store.acquire(
            target.instance_uuid, holder, project_id=target.project_id,
            source=source, lease_seconds=lease_seconds, reason=reason,
            limits=limits, actor=actor, wait=wait, renew_only=renew_only)
        grant = Grant(hold=hold, requested_seconds=lease_seconds,
                      state=dataclasses.replace(
                          state, static_locks=target.static_locks))
        event = (lock.EVENT_ACQUIRE if hold.acquired_at == hold.renewed_at
                 else lock.EVENT_RENEW)
        self._notifier.hold_changed(event, hold, grant.state, actor=actor)
        return grant

    def release(self, target, holder, *, source, actor=None):
        """End one holder's hold; idempotent."""
        lock.validate_holder(holder)
        lock.validate_source(source)
        released, state = self.store.release(
            target.instance_uuid, holder, source=source, actor=actor)
        if released is not None:
            self._notifier.hold_changed(lock.EVENT_RELEASE, released, state,
                                        actor=actor)
        return released

    def _validate_wait(self, wait):
        if wait is None:
            return 0
        if isinstance(wait, bool) or not isinstance(wait, (int, float)) \
                or wait < 0 or wait != wait:
            raise lock.InvalidRequest('wait must be a number of seconds >= 0,'
                                      ' got %r' % (wait,))
        return min(float(wait), float(self._conf.miglock.max_acquire_wait))
