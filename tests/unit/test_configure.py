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
"""configure-nova's edits of nova.conf, and their undoing."""

import pytest

from nova_miglock.manage import configure

EMPTY = '[DEFAULT]\ndebug = true\n'
OPERATORS = """[DEFAULT]
debug = true

[filter_scheduler]
available_filters = acme.RackFilter
enabled_filters = ComputeFilter,
    RackFilter

[notifications]
notification_format = unversioned
notify_on_state_change = vm_and_task_state
"""


@pytest.mark.parametrize('text', [EMPTY, OPERATORS, ''])
def test_configure_then_remove_gives_back_the_same_text(text):
    configured, changes = configure.configure_nova_conf(
        text, store='sqlite:////var/lib/miglock.db')
    assert changes and configured != text
    assert configure.configure_nova_conf(
        configured, store='sqlite:////var/lib/miglock.db')[1] == []
    restored, _undone = configure.unconfigure_nova_conf(configured)
    assert restored.strip() == text.strip()


def test_configure_turns_on_what_the_listener_needs():
    text, _changes = configure.configure_nova_conf(EMPTY)
    conf = configure.ini.IniFile(text)
    assert conf.get('notifications', 'notification_format') == ['both']
    assert conf.get('notifications', 'notify_on_state_change') == [
        'vm_state']
    assert conf.get('oslo_messaging_notifications', 'driver') == [
        'messagingv2']
    assert conf.get('filter_scheduler', 'enabled_filters') == [
        ','.join(configure.NOVA_DEFAULT_FILTERS + ['MigrationLockFilter'])]


@pytest.mark.parametrize('driver', ['log', 'messaging', 'messagingv2'])
def test_an_operators_notification_driver_is_kept(driver):
    text = '[oslo_messaging_notifications]\ndriver = %s\n' % driver
    configured, _changes = configure.configure_nova_conf(text)
    conf = configure.ini.IniFile(configured)
    assert conf.get('oslo_messaging_notifications', 'driver') == [driver]


def test_a_noop_notification_driver_is_replaced_and_restored():
    text = '[oslo_messaging_notifications]\ndriver = noop\n'
    configured, changes = configure.configure_nova_conf(text)
    conf = configure.ini.IniFile(configured)
    assert conf.get('oslo_messaging_notifications', 'driver') == [
        'messagingv2']
    assert any('driver: messagingv2' in change for change in changes)
    restored, _undone = configure.unconfigure_nova_conf(configured)
    assert restored.strip() == text.strip()


def test_an_operators_value_set_after_configure_survives_remove():
    text, _changes = configure.configure_nova_conf(EMPTY)
    text = text.replace('notification_format = both',
                        'notification_format = versioned')
    restored, _undone = configure.unconfigure_nova_conf(text)
    assert 'notification_format = versioned' in restored
    assert 'MigrationLockFilter' not in restored


def test_remove_without_records_still_takes_out_our_filter():
    text = ('[filter_scheduler]\navailable_filters = %s\n'
            'enabled_filters = ComputeFilter,MigrationLockFilter\n'
            % configure.FILTER_PATH)
    restored, changes = configure.unconfigure_nova_conf(text)
    assert restored == ('[filter_scheduler]\n'
                        'enabled_filters = ComputeFilter\n')
    assert len(changes) == 2
