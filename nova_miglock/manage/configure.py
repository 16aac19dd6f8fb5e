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
"""Plugging nova-miglock into Nova's own configuration files, and out again.

Pure functions from a file's text to ``(new text, [changes])``: idempotent,
and careful with the operator's files: only the lines that must change are
touched, a second run changes nothing, and ``unconfigure_*`` takes back
exactly what ``configure_*`` added while keeping the operator's later edits.

api-paste.ini
  ``miglock_metadata`` goes right before ``metaapp`` in ``[pipeline:meta]``;
  ``miglock_api miglock_gate`` right after ``keystonecontext`` in every
  ``openstack_compute_api_v21*`` pipeline; the filter sections are added.
nova.conf
  ``MigrationLockFilter`` is made available and enabled in
  ``[filter_scheduler]``; versioned notifications and instance updates are
  turned on for the listener, and sent (a notification driver, when
  ``[oslo_messaging_notifications]`` has none);
  ``[miglock_database]/connection`` is set when given.

Every change is recorded (``recorded``) so that ``--remove`` restores the
file to the letter; our own words (filter names, paste filters) are
removed by name even where no record is left.
"""

from nova_miglock.manage import ini
from nova_miglock.manage import recorded

FILTER_PATH = ('nova_miglock.scheduler.filters.migration_lock.'
               'MigrationLockFilter')
FILTER_NAME = 'MigrationLockFilter'
ALL_FILTERS = 'nova.scheduler.filters.all_filters'
NOVA_DEFAULT_FILTERS = ['ComputeFilter', 'ComputeCapabilitiesFilter',
                        'ImagePropertiesFilter',
                        'ServerGroupAntiAffinityFilter',
                        'ServerGroupAffinityFilter']
VERSIONED_FORMATS = ('versioned', 'both')
STATE_CHANGE = 'vm_state'
NOTIFICATION_DRIVER = 'messagingv2'

# Where --set-store writes the store's URL; files configured before
# [miglock_database] existed have it in [miglock_store], which --remove
# still restores.
STORE_SECTION = 'miglock_database'
LEGACY_STORE_SECTION = 'miglock_store'


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
PASTE_WORDS = ('miglock_metadata', 'miglock_api', 'miglock_gate')
COMPUTE_PIPELINES = (
    'composite:openstack_compute_api_v21',
    'composite:openstack_compute_api_v21_legacy_v2_compatible')
PIPELINE_KEYS = ('keystone', 'noauth2')


def _words(values):
    return ' '.join(values).split()


def _filter_names(values):
    return [n.strip() for n in ','.join(values).split(',') if n.strip()]


def _same(values):
    return list(values)


# --- api-paste.ini -------------------------------------------------------

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


def _paste_edits(metadata, compute):
    if metadata:
        yield ('pipeline:meta', 'pipeline', ['miglock_metadata'],
               dict(before='metaapp'))
    if compute:
        for section in COMPUTE_PIPELINES:
            for key in PIPELINE_KEYS:
                yield (section, key, ['miglock_api', 'miglock_gate'],
                       dict(after='keystonecontext'))


def configure_paste(text, metadata=True, compute=True):
    """Return ``(new text, [changes])`` for an api-paste.ini."""
    conf = ini.IniFile(text)
    changes = []
    for section, key, new_words, anchor in _paste_edits(metadata, compute):
        if not conf.get(section, key):
            continue
        words = _words(conf.get(section, key))
        result = _insert(words, new_words, **anchor)
        if result is None:
            raise ValueError('[%s] %s has no %s to anchor %s to' % (
                section, key, anchor.get('after') or anchor['before'],
                ' '.join(new_words)))
        if result != words:
            recorded.change(conf, section, key,
                            lambda c: c.set(section, key, ' '.join(result)))
            changes.append('[%s] %s: added %s'
                           % (section, key, ' '.join(new_words)))
    for section, options in PASTE_FILTERS:
        wanted = metadata if section == 'filter:miglock_metadata' \
            else compute
        if wanted and conf.append_section(section, options):
            changes.append('[%s] added' % section)
    return conf.text(), changes


def unconfigure_paste(text):
    """Return ``(new text, [changes])`` without our filters."""
    conf = ini.IniFile(text)
    changes = []
    for section in conf.sections():
        for key in ('pipeline',) + PIPELINE_KEYS:
            if conf.get(section, key) and recorded.undo_items(
                    conf, section, key, _words, PASTE_WORDS,
                    lambda k, items: recorded.one_line(k, items, ' ')):
                changes.append('[%s] %s: removed our filters'
                               % (section, key))
    for section, _options in PASTE_FILTERS:
        if conf.has_section(section):
            conf.remove_section(section)
            changes.append('[%s] removed' % section)
    recorded.drop_empty_sections(conf)
    return conf.text(), changes


# --- nova.conf -----------------------------------------------------------

def _configure_scheduler(conf, changes):
    section = 'filter_scheduler'
    available = conf.get(section, 'available_filters')
    if FILTER_PATH not in available:
        def add(c):
            if not available:
                c.add(section, 'available_filters', ALL_FILTERS)
            c.add(section, 'available_filters', FILTER_PATH)
        recorded.change(conf, section, 'available_filters', add)
        changes.append('[%s] available_filters: added %s'
                       % (section, FILTER_PATH))
    names = _filter_names(conf.get(section, 'enabled_filters')) or list(
        NOVA_DEFAULT_FILTERS)
    if FILTER_NAME not in names:
        recorded.change(conf, section, 'enabled_filters',
                        lambda c: c.set(section, 'enabled_filters',
                                        ','.join(names + [FILTER_NAME])))
        changes.append('[%s] enabled_filters: added %s'
                       % (section, FILTER_NAME))


def _configure_notifications(conf, changes):
    current = (conf.get('notifications', 'notification_format') or
               ['unversioned'])[-1]
    if current not in VERSIONED_FORMATS:
        recorded.change(conf, 'notifications', 'notification_format',
                        lambda c: c.set('notifications',
                                        'notification_format', 'both'))
        changes.append('[notifications] notification_format: %s -> both '
                       '(the listener needs versioned notifications)'
                       % current)
    # oslo.messaging's default driver is none: without one, Nova formats
    # its notifications and sends none of them.
    drivers = conf.get('oslo_messaging_notifications', 'driver')
    if not [driver for driver in drivers if driver not in ('', 'noop')]:
        recorded.change(conf, 'oslo_messaging_notifications', 'driver',
                        lambda c: c.set('oslo_messaging_notifications',
                                        'driver', NOTIFICATION_DRIVER))
        changes.append('[oslo_messaging_notifications] driver: %s (Nova '
                       'sends no notification without one)'
                       % NOTIFICATION_DRIVER)
    if not any(conf.get('notifications', 'notify_on_state_change')):
        recorded.change(conf, 'notifications', 'notify_on_state_change',
                        lambda c: c.set('notifications',
                                        'notify_on_state_change',
                                        STATE_CHANGE))
        changes.append('[notifications] notify_on_state_change: %s (the '
                       'listener learns static locks from instance '
                       'updates)' % STATE_CHANGE)


def configure_nova_conf(text, store=None, scheduler=True,
                        notifications=True):
    """Return ``(new text, [changes])`` for a nova.conf."""
    conf = ini.IniFile(text)
    changes = []
    if scheduler:
        _configure_scheduler(conf, changes)
    if notifications:
        _configure_notifications(conf, changes)
    if store and conf.get(STORE_SECTION, 'connection') != [store]:
        recorded.change(conf, STORE_SECTION, 'connection',
                        lambda c: c.set(STORE_SECTION, 'connection', store))
        changes.append('[%s] connection set' % STORE_SECTION)
    return conf.text(), changes


def _undo_filters(conf):
    section = 'filter_scheduler'
    return [
        recorded.undo_items(
            conf, section, 'available_filters', _same, (FILTER_PATH,),
            lambda key, items: ['%s = %s' % (key, i) for i in items],
            default=[ALL_FILTERS]),
        recorded.undo_items(
            conf, section, 'enabled_filters', _filter_names, (FILTER_NAME,),
            lambda key, items: recorded.one_line(key, items, ','),
            default=NOVA_DEFAULT_FILTERS)]


def unconfigure_nova_conf(text):
    """Return ``(new text, [changes])`` without what we added."""
    conf = ini.IniFile(text)
    done = _undo_filters(conf) + [
        recorded.undo_value(conf, 'notifications', 'notification_format',
                            'both'),
        recorded.undo_value(conf, 'notifications', 'notify_on_state_change',
                            STATE_CHANGE),
        recorded.undo_value(conf, 'oslo_messaging_notifications', 'driver',
                            NOTIFICATION_DRIVER),
        recorded.undo_value(conf, STORE_SECTION, 'connection', None),
        recorded.undo_value(conf, LEGACY_STORE_SECTION, 'connection', None)]
    options = [('filter_scheduler', 'available_filters'),
               ('filter_scheduler', 'enabled_filters'),
               ('notifications', 'notification_format'),
               ('notifications', 'notify_on_state_change'),
               ('oslo_messaging_notifications', 'driver'),
               (STORE_SECTION, 'connection'),
               (LEGACY_STORE_SECTION, 'connection')]
    changes = ['[%s] %s: restored' % option
               for option, changed in zip(options, done) if changed]
    recorded.drop_empty_sections(conf)
    return conf.text(), changes
