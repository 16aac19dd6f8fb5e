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
"""The lock tax: a project's rate from its history, and what it pays.

A project that locks within its allowance and whose locks refuse no move
pays lock time at face value (rate 1). One that locks more than its
allowance over the trailing window, or whose locks keep refusing moves,
pays more per lock-second and is granted shorter leases::

    over  = max(0, used / allowance - 1)
    rate  = min(max_rate, 1 + usage_weight * over
                            + refusal_weight * refused)
    charged seconds = lock-seconds * rate
    granted lease   = ceil(requested lease / rate)

Everything here is pure: ``rate`` and ``charge`` take values, ``history``
folds usage and ledger counts into ``ProjectTax`` values. The store read
is ``LockManager.project_taxes``; reporting (``nova-miglock-manage usage``,
the ``miglock.tax.rated`` notification, metrics) calls it.
"""

import dataclasses
import math


@dataclasses.dataclass(frozen=True)
class Weights:
    """The configurable shape of the rate (``[miglock_tax]``)."""

    usage_weight: float = 1.0
    refusal_weight: float = 0.05
    max_rate: float = 4.0

    @classmethod
    def from_conf(cls, conf):
        tax = conf.miglock_tax
        return cls(usage_weight=tax.usage_weight,
                   refusal_weight=tax.refusal_weight,
                   max_rate=tax.max_rate)


@dataclasses.dataclass(frozen=True)
class ProjectTax:
    """One project's rate over a window, and what its lock time costs."""

    project_id: str
    used_seconds: float
    allowance_seconds: float
    refused_moves: int
    rate: float
    # Lock-seconds of the reported period, and those times the rate.
    lock_seconds: float = 0.0
    charged_seconds: float = 0.0

    def to_dict(self):
        return dataclasses.asdict(self)


def rate(used_seconds, allowance_seconds, refused_moves, weights):
    """The rate a project pays, from its trailing history.

    :param used_seconds: lock-seconds of the trailing window.
    :param allowance_seconds: what the window allows before the rate rises
        (positive).
    :param refused_moves: moves its locks refused within the window.
    """
    over = max(0.0, used_seconds / allowance_seconds - 1.0)
    value = (1.0 + weights.usage_weight * over +
             weights.refusal_weight * refused_moves)
    return round(min(weights.max_rate, value), 4)


def charge(lock_seconds, tax_rate):
    """Lock-seconds as charged: face value times the rate."""
    return round(lock_seconds * tax_rate, 3)


def taxed_lease(lease_seconds, tax_rate):
    """The lease a project at ``tax_rate`` is granted for a request.

    Rounded up, and at least one second: a tax shortens a lock, it never
    refuses it (quotas and the SLA do that).
    """
    if not tax_rate or tax_rate <= 1.0:
        return lease_seconds
    return max(1, math.ceil(lease_seconds / tax_rate - 1e-9))


def allowance(window_days, lock_seconds_per_day, default_seconds):
    """A project's allowance over the window.

    Its daily quota times the window when it has one, else the default.
    """
    if lock_seconds_per_day is not None and lock_seconds_per_day > 0:
        return float(lock_seconds_per_day * window_days)
    return float(default_seconds)


def history(trailing, refused, allowances, weights, period=None):
    """``[ProjectTax]`` per project, sorted by project.

    :param trailing: ``{project: lock-seconds}`` over the trailing window.
    :param refused: ``{project: moves refused}`` over the same window.
    :param allowances: ``{project: allowance seconds}``; a callable is
        called with the project instead.
    :param period: ``{project: lock-seconds}`` of the period to charge
        (defaults to the trailing window itself).
    """
    period = trailing if period is None else period
    projects = set(trailing) | set(refused) | set(period)
    found = []
    for project in sorted(projects):
        allowed = (allowances(project) if callable(allowances)
                   else allowances[project])
        used = trailing.get(project, 0.0)
        project_rate = rate(used, allowed, refused.get(project, 0), weights)
        seconds = period.get(project, 0.0)
        found.append(ProjectTax(
            project_id=project, used_seconds=round(used, 3),
            allowance_seconds=allowed,
            refused_moves=refused.get(project, 0), rate=project_rate,
            lock_seconds=round(seconds, 3),
            charged_seconds=charge(seconds, project_rate)))
    return found
