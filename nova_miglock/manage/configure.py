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
"""Plugging nova-miglock into Nova's own configuration files.

Idempotent, and careful with the operator's files: only the lines that must
change are touched; a second run changes nothing.

api-paste.ini
  ``miglock_metadata`` goes right before ``metaapp`` in ``[pipeline:meta]``;
  ``miglock_api miglock_gate`` right after ``keystonecontext`` in every
  ``openstack_compute_api_v21*`` pipeline; the filter sections are added.
nova.conf
  ``MigrationLockFilter`` is made available and enabled in
  ``[filter_scheduler]``; versioned notifications are turned on for the
  listener; ``[miglock_store]/connection`` is set when given.
"""

from nova_miglock.manage import ini

FILTER_PATH = ('nova_miglock.scheduler.filters.migration_lock.'
               'MigrationLockFilter')
FILTER_NAME = 'MigrationLockFilter'
NOVA_DEFAULT_FILTERS = ['ComputeFilter', 'ComputeCapabilitiesFilter',
                        'ImagePropertiesFilter',
                        'ServerGroupAntiAffinityFilter',
                        'ServerGroupAffinityFilter']

PASTE_FILTERS = (
    ('filter:miglock_metadata', [(
        'paste.filter_factory',
        'nova_miglock.api.metadata:MigrationLockMetadata.factory')]),
    ('filter:miglock_api', [(
        'paste.filter_factory',
        'nova_miglock.api.server_locks:MigrationLockServers.factory')]),
    ('filter:miglock_gate', [(
        'paste.filter_factory',
        'nova_miglock.api.gate:MigrationLockGate.factory')]),
)
COMPUTE_PIPELINES = (
    'composite:openstack_compute_api_v21',
    'composite:openstack_compute_api_v21_legacy_v2_compatible')
PIPELINE_KEYS = ('keystone', 'noauth2')


def _insert(words, new_words, after=None, before=None):
    """Put ``new_words`` after/before an anchor word if not already in."""
    if all(word in words for word in new_words):
        return words
    words = [w for w in words if w not in new_words]
    if after is not None and after in words:
        index = words.index(after) + 1
    elif before is not None and before in words:
        index = words.index(before)
    else:
        return None
    return words[:index] + list(new_words) + words[index:]


def configure_paste(text, metadata=True, compute=True):
    """Return ``(new text, [changes])`` for an api-paste.ini."""
    conf = ini.IniFile(text)
    changes = []
    edits = []
    if metadata:
        edits.append(('pipeline:meta', 'pipeline', ['miglock_metadata'],
                      dict(before='metaapp')))
    if compute:
        for section in COMPUTE_PIPELINES:
            for key in PIPELINE_KEYS:
                edits.append((section, key, ['miglock_api', 'miglock_gate'],
                              dict(after='keystonecontext')))
    for section, key, new_words, anchor in edits:
        for value in conf.get(section, key):
            words = value.split()
            result = _insert(words, new_words, **anchor)
            if result is None:
                raise ValueError('[%s] %s has no %s to anchor %s to' % (
                    section, key, anchor.get('after') or anchor['before'],
                    ' '.join(new_words)))
            if result != words:
                conf.set(section, key, ' '.join(result))
                changes.append('[%s] %s: added %s'
                               % (section, key, ' '.join(new_words)))
    for section, options in PASTE_FILTERS:
        if (section == 'filter:miglock_metadata' and not metadata) or (
                section != 'filter:miglock_metadata' and not compute):
            continue
        if conf.append_section(section, options):
            changes.append('[%s] added' % section)
    return conf.text(), changes


def configure_nova_conf(text, store=None, scheduler=True,
                        notifications=True):
    """Return ``(new text, [changes])`` for a nova.conf."""
    conf = ini.IniFile(text)
    changes = []
    if scheduler:
        available = conf.get('filter_scheduler', 'available_filters')
        if FILTER_PATH not in available:
            if not available:
                conf.add('filter_scheduler', 'available_filters',
                         'nova.scheduler.filters.all_filters')
            conf.add('filter_scheduler', 'available_filters', FILTER_PATH)
            changes.append('[filter_scheduler] available_filters: added %s'
                           % FILTER_PATH)
        enabled = conf.get('filter_scheduler', 'enabled_filters')
        names = [n.strip() for n in ','.join(enabled).split(',')
                 if n.strip()] or list(NOVA_DEFAULT_FILTERS)
        if FILTER_NAME not in names:
            conf.set('filter_scheduler', 'enabled_filters',
                     ','.join(names + [FILTER_NAME]))
            changes.append('[filter_scheduler] enabled_filters: added %s'
                           % FILTER_NAME)
    if notifications:
        current = (conf.get('notifications', 'notification_format') or
                   ['unversioned'])[-1]
        if current not in ('versioned', 'both'):
            conf.set('notifications', 'notification_format', 'both')
            changes.append('[notifications] notification_format: %s -> '
                           'both (the listener needs versioned '
                           'notifications)' % current)
    if store and conf.get('miglock_store', 'connection') != [store]:
        conf.set('miglock_store', 'connection', store)
        changes.append('[miglock_store] connection set')
    return conf.text(), changes
