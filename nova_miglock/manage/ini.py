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
"""Editing INI files the way an operator would, keeping everything else.

Comments, blank lines, ordering, repeated keys and the spelling of every
line we do not touch are kept as they are; only the lines we change are
rewritten. (configparser would drop comments and merge repeated keys, both
of which nova.conf and api-paste.ini use.)
"""

import re

_SECTION = re.compile(r'^\s*\[(?P<name>[^\]]+)\]\s*$')
_OPTION = re.compile(r'^(?P<key>[^\s#;=:][^=:]*?)\s*[=:]\s?(?P<value>.*)$')


class IniFile:

    def __init__(self, text):
        self.lines = text.splitlines()

    def text(self):
        return '\n'.join(self.lines) + '\n'

    def _section_span(self, section):
        """(start, end) line indexes of a section's body, or None."""
        start = None
        for index, line in enumerate(self.lines):
            match = _SECTION.match(line)
            if match:
                if start is not None:
                    return start, index
                if match.group('name').strip() == section:
                    start = index + 1
        return (start, len(self.lines)) if start is not None else None

    def _options(self, section, key):
        """[(first line, last line, value)] of ``key`` in ``section``.

        A value continues on following indented lines.
        """
        span = self._section_span(section)
        if span is None:
            return []
        found = []
        index, end = span
        while index < end:
            match = _OPTION.match(self.lines[index])
            if match and match.group('key').strip() == key:
                last, parts = index, [match.group('value').strip()]
                while last + 1 < end and self.lines[last + 1][:1] in \
                        (' ', '\t') and self.lines[last + 1].strip() and \
                        not self.lines[last + 1].lstrip().startswith('#'):
                    last += 1
                    parts.append(self.lines[last].strip())
                found.append((index, last, ' '.join(p for p in parts if p)))
                index = last
            index += 1
        return found

    def get(self, section, key):
        """Every value of ``key`` in ``section``, in order."""
        return [value for _first, _last, value in
                self._options(section, key)]

    def has_section(self, section):
        return self._section_span(section) is not None

    def _ensure_section(self, section):
        if not self.has_section(section):
            if self.lines and self.lines[-1].strip():
                self.lines.append('')
            self.lines.append('[%s]' % section)
        return self._section_span(section)

    def set(self, section, key, value):
        """Make ``key`` have exactly one value, replacing it in place."""
        found = self._options(section, key)
        line = '%s = %s' % (key, value)
        if found:
            first, last, _value = found[0]
            self.lines[first:last + 1] = [line]
            for first, last, _value in reversed(self._options(section,
                                                              key)[1:]):
                del self.lines[first:last + 1]
        else:
            self.add(section, key, value)

    def add(self, section, key, value):
        """Add one more ``key = value`` to the section.

        It goes after the section's last option, or first if it has none.
        """
        start, end = self._ensure_section(section)
        position = start
        for index in range(start, end):
            if self.lines[index].strip() and \
                    not self.lines[index].lstrip().startswith(('#', ';')):
                position = index + 1
        self.lines.insert(position, '%s = %s' % (key, value))

    def raw(self, section, key):
        """The lines, as written, of every ``key`` in ``section``."""
        return [line for first, last, _value in self._options(section, key)
                for line in self.lines[first:last + 1]]

    def first_line(self, section, key):
        """Index of the first line of ``key`` in ``section``, or None."""
        found = self._options(section, key)
        return found[0][0] if found else None

    def remove(self, section, key):
        """Delete every ``key`` in ``section``."""
        for first, last, _value in reversed(self._options(section, key)):
            del self.lines[first:last + 1]

    def sections(self):
        return [match.group('name').strip() for match in
                map(_SECTION.match, self.lines) if match]

    def options(self, section):
        """[(key, value)] of a section, in order."""
        span = self._section_span(section)
        if span is None:
            return []
        keys = []
        for line in self.lines[span[0]:span[1]]:
            match = _OPTION.match(line)
            if match and match.group('key').strip() not in keys:
                keys.append(match.group('key').strip())
        return [(key, value) for key in keys
                for value in self.get(section, key)]

    def header_line(self, section):
        span = self._section_span(section)
        return None if span is None else span[0] - 1

    def remove_section(self, section, first=None):
        """Delete a section, from line ``first`` if given (a comment).

        At the end of the file the blank line before it goes too: whoever
        appended the section put it there.
        """
        start, end = self._section_span(section)
        first = start - 1 if first is None else first
        while end < len(self.lines) and end > start and \
                self.lines[end - 1].lstrip().startswith(('#', ';')):
            end -= 1  # comments right above the next header are its own
        del self.lines[first:end]
        if first == len(self.lines) and self.lines and \
                not self.lines[-1].strip():
            del self.lines[-1]

    def append_section(self, section, options):
        """Append a whole section with its options, if it is missing."""
        if self.has_section(section):
            return False
        if self.lines and self.lines[-1].strip():
            self.lines.append('')
        self.lines.append('[%s]' % section)
        self.lines.extend('%s = %s' % item for item in options)
        return True
