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
"""Edits of INI files that can be taken back to the letter.

Every option line changed carries a comment line above it recording, as
JSON, the lines it replaced (``[]``: it was not set); a section created
carries one too. Undoing restores the recorded lines when nothing else
changed the option since, and otherwise takes out only our own part, so
an operator's later edits stay.
"""

import json

from nova_miglock.manage import ini

MARKER = '# nova-miglock configure-nova changed the next option; before: '
SECTION_MARKER = '# nova-miglock configure-nova added this section'


def _marker_index(conf, section, key):
    first = conf.first_line(section, key)
    if first and conf.lines[first - 1].startswith(MARKER):
        return first - 1
    return None


def change(conf, section, key, edit):
    """Apply ``edit(conf)`` to one option, remembering what it was.

    The first change keeps its record; later runs do not overwrite it, so
    the record is always of the operator's own line.
    """
    before = conf.raw(section, key)
    existed = conf.has_section(section)
    marked = _marker_index(conf, section, key) is not None
    edit(conf)
    if not existed:
        conf.lines.insert(conf.header_line(section), SECTION_MARKER)
    if not marked:
        conf.lines.insert(conf.first_line(section, key),
                          MARKER + json.dumps(before))


def _take_marker(conf, section, key):
    """Remove the record above an option; return its lines, or None."""
    index = _marker_index(conf, section, key)
    if index is None:
        return None
    line = conf.lines.pop(index)
    try:
        return json.loads(line[len(MARKER):])
    except ValueError:  # an operator edited the comment: keep their line
        return None


def _replace(conf, section, key, lines):
    if conf.first_line(section, key) is None:
        if not lines:
            return
        conf.add(section, key, '')
    index = conf.first_line(section, key)
    conf.remove(section, key)
    conf.lines[index:index] = lines


def _values(section, key, raw_lines):
    return ini.IniFile('\n'.join(['[%s]' % section] + raw_lines)).get(
        section, key)


def undo_items(conf, section, key, items, ours, render, default=()):
    """Take ``ours`` out of a list-valued option; say if anything changed.

    The option is restored to the letter when nothing else changed since.
    """
    before = _take_marker(conf, section, key)
    current = items(conf.get(section, key))
    kept = [item for item in current if item not in ours]
    if kept == current and before is None:
        return False
    if before is not None and items(_values(section, key, before)) == kept:
        lines = before
    elif before == [] and kept == list(default):
        lines = []
    else:
        lines = render(key, kept)
    _replace(conf, section, key, lines)
    return True


def undo_value(conf, section, key, ours):
    """Restore a single-valued option we set, unless changed since."""
    before = _take_marker(conf, section, key)
    if before is None:
        return False
    if ours is None or conf.get(section, key) == [ours]:
        _replace(conf, section, key, before)
    return True


def drop_empty_sections(conf, keep=()):
    for section in conf.sections():
        header = conf.header_line(section)
        if not header or conf.lines[header - 1] != SECTION_MARKER:
            continue
        if conf.options(section) or section in keep:
            del conf.lines[header - 1]
        else:
            conf.remove_section(section, first=header - 1)


def one_line(key, items, separator):
    return ['%s = %s' % (key, separator.join(items))] if items else []
