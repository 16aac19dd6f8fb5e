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
"""The SLA's periodic work: ageing static locks and rating projects.

The lock manager decides and records; what touches Nova (taking a lapsed
tag or property off an instance) is here, at the edge. A service adds
``periodic_tasks(...)`` to its ``periodic.PeriodicTasks``;
``nova-miglock-manage static age`` and ``tax rate`` run the same once.
"""

import datetime

from nova_miglock import static_locks

# Tags need compute API 2.26.
TAGS_MICROVERSION = '2.26'


def nova_remover(client_factory):
    """``remove(age)``: take a lapsed lock's tag and property off in Nova."""
    def remove(age):
        nova = client_factory()
        for found in age.static_locks:
            if found.kind == static_locks.KIND_TAG:
                nova.servers.delete_tag(age.instance_uuid, found.name)
            elif found.kind == static_locks.KIND_PROPERTY:
                nova.servers.delete_meta(age.instance_uuid, [found.name])
    return remove


def rate_today(manager):
    """Rate every project, charging the UTC day so far."""
    now = manager.now()
    since = datetime.datetime.combine(now.date(), datetime.time())
    return manager.rate_projects(since=since, until=now)


def periodic_tasks(conf, manager, client_factory):
    """The SLA's tasks for a service's ``periodic.PeriodicTasks``."""
    # Imported here: futurist warns about eventlet on import, which the
    # manage commands that use the rest of this module must not print.
    from nova_miglock import periodic

    remove = nova_remover(client_factory)
    return [
        periodic.Task('static_age',
                      lambda: conf.miglock_sla.static_age_interval,
                      lambda: manager.age_static_locks(remove=remove)),
        periodic.Task('tax_rate',
                      lambda: conf.miglock_tax.rate_interval,
                      lambda: rate_today(manager)),
    ]
