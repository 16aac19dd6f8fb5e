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
"""Editing INI files while keeping the operator's lines."""

from nova_miglock.manage import ini

TEXT = """# head comment
[DEFAULT]
debug = true

[filter_scheduler]
# why these filters
available_filters = nova.scheduler.filters.all_filters
available_filters = my.Filter
enabled_filters = ComputeFilter,
    ImagePropertiesFilter
# trailing comment

[other]
key: value
"""


def test_reading_multi_valued_and_continued_options():
    conf = ini.IniFile(TEXT)
    assert conf.get('filter_scheduler', 'available_filters') == [
        'nova.scheduler.filters.all_filters', 'my.Filter']
    assert conf.get('filter_scheduler', 'enabled_filters') == [
        'ComputeFilter, ImagePropertiesFilter']
    assert conf.get('other', 'key') == ['value']
    assert conf.get('missing', 'key') == []


def test_set_replaces_in_place_and_keeps_everything_else():
    conf = ini.IniFile(TEXT)
    conf.set('filter_scheduler', 'enabled_filters', 'A,B')
    assert conf.text() == TEXT.replace(
        'enabled_filters = ComputeFilter,\n    ImagePropertiesFilter',
        'enabled_filters = A,B')


def test_add_goes_after_the_last_option_and_creates_sections():
    conf = ini.IniFile(TEXT)
    conf.add('filter_scheduler', 'available_filters', 'x.Y')
    conf.set('new', 'a', '1')
    lines = conf.text().splitlines()
    assert lines[lines.index('    ImagePropertiesFilter') + 1] == \
        'available_filters = x.Y'
    assert lines[-2:] == ['[new]', 'a = 1']
    assert '# trailing comment' in lines


def test_append_section_only_once():
    conf = ini.IniFile(TEXT)
    assert conf.append_section('filter:x', [('paste.filter_factory', 'a:b')])
    assert not conf.append_section('filter:x', [('k', 'v')])
    assert conf.text().count('[filter:x]') == 1


def test_remove_section_at_the_end_takes_the_blank_line_before_it():
    conf = ini.IniFile('[a]\nx = 1\n')
    conf.append_section('b', [('y', '2')])
    conf.remove_section('b')
    assert conf.text() == '[a]\nx = 1\n'


def test_comments_right_above_a_header_belong_to_that_section():
    conf = ini.IniFile('[a]\nx = 1\n\n# about b\n[b]\ny = 2\n')
    conf.remove_section('a')
    assert conf.text() == '# about b\n[b]\ny = 2\n'


def test_raw_keeps_continuation_lines_as_written():
    conf = ini.IniFile(TEXT)
    assert conf.raw('filter_scheduler', 'enabled_filters') == [
        'enabled_filters = ComputeFilter,', '    ImagePropertiesFilter']
    conf.remove('filter_scheduler', 'enabled_filters')
    assert conf.get('filter_scheduler', 'enabled_filters') == []
