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
"""The SLA of one instance: configuration, its flavor and its project.

Three places say who may lock and for how long: the configuration (the
deployment's default), the flavor's extra specs (what the operator sells
with the flavor) and the project's limits (``nova-miglock-manage quota
set``, what the operator agreed with the tenant). One rule combines them
everywhere, so the gate, the guest channel and the store never disagree:

* A permission (guest locks, tenant static locks) set on the flavor or the
  project replaces the configured default; when both set one, the stricter
  wins: a lock is allowed only if both allow it.
* A duration cap (``max_lease``, ``max_hold``) set on the flavor or the
  project can only lower the configured one, which stays the deployment's
  ceiling (the store's usage lookback and lease validation rely on it);
  the lowest of the three wins.

Every answer names the rule that decided it, for the refusal message.
"""

import dataclasses

ALLOWED = 'allowed'
FORBIDDEN = 'forbidden'


@dataclasses.dataclass(frozen=True)
class Permission:
    allowed: bool
    rule: str


@dataclasses.dataclass(frozen=True)
class Cap:
    seconds: int
    rule: str


@dataclasses.dataclass(frozen=True)
class Setting:
    """One place's value, and how a refusal names it."""

    value: object
    rule: str


def _is_allowed(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == ALLOWED


def permission(default, *overrides):
    """Whether a lock is allowed: ``default``, replaced by the overrides.

    ``default`` and each override are ``Setting``; an override whose value
    is None is not set. With overrides set, every one must allow it (the
    stricter wins); the first that forbids names the refusal.
    """
    given = [s for s in overrides if s is not None and s.value is not None]
    if not given:
        return Permission(_is_allowed(default.value), default.rule)
    for setting in given:
        if not _is_allowed(setting.value):
            return Permission(False, setting.rule)
    return Permission(True, ' and '.join(s.rule for s in given))


def cap(ceiling, *overrides):
    """The lowest positive cap of ``ceiling`` and the overrides.

    An override that is None, not a number or not positive is ignored
    (Nova validates the flavor's, the quota API the project's), so a bad
    value can never raise a cap.
    """
    best = Cap(ceiling.value, ceiling.rule)
    for setting in overrides:
        value = _positive_int(setting.value if setting else None)
        if value is not None and value < best.seconds:
            best = Cap(value, setting.rule)
    return best


def _positive_int(value):
    if value is None or isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
