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
"""Every command of the operator guide runs as written, in order.

The guide's ``console`` blocks are run one ``$`` line at a time and its
``ini`` blocks written to the file their caption names, on a host made of
a temporary directory: ``/etc/nova`` is ``$HOME/.nova`` (a directory that
oslo.config searches first, so the commands find their configuration just
as they would in ``/etc/nova``), and ``/var/lib/nova``, ``/etc/libvirt``
and ``/run`` are directories beside it. That path mapping is the only
change made to the text. The host starts as a Nova 34 host does: Nova's
own api-paste.ini and a nova.conf, libvirt's hook directory. ``pip`` and
``systemctl`` are stand-ins that record their arguments (installing
packages or starting services is not for a test); every nova-miglock
command is the real one, on a fresh SQLite store.
"""

import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
GUIDE = os.path.join(ROOT, 'doc', 'source', 'operator.rst')
BIN = os.path.dirname(sys.executable)
NOVA_PASTE = os.path.join(sys.prefix, 'etc', 'nova', 'api-paste.ini')
NOVA_CONF = '[DEFAULT]\ndebug = true\n\n[wsgi]\napi_paste_config = ' \
    '/etc/nova/api-paste.ini\n'
STAND_IN = '#!/bin/sh\necho "$(basename "$0") $*" >> "$STAND_IN_LOG"\n'
_DIRECTIVE = re.compile(r'^\.\. code-block:: (?P<kind>console|ini)\s*$')


def blocks(text):
    """[(kind, caption, [lines])] of the guide's code blocks, in order."""
    lines = text.splitlines()
    found = []
    for index, line in enumerate(lines):
        match = _DIRECTIVE.match(line)
        if not match:
            continue
        caption, body, position = None, [], index + 1
        while position < len(lines) and lines[position].startswith('   :'):
            if lines[position].startswith('   :caption: '):
                caption = lines[position][len('   :caption: '):].strip()
            position += 1
        for body_line in lines[position + 1:]:
            if body_line.strip() and not body_line.startswith('   '):
                break
            body.append(body_line[3:])
        found.append((match.group('kind'), caption, body))
    return found


class Host:
    def __init__(self, tmp_path):
        self.home = tmp_path / 'home'
        self.mapping = [('/etc/nova', self.home / '.nova'),
                        ('/var/lib/nova', tmp_path / 'var' / 'lib' / 'nova'),
                        ('/etc/libvirt', tmp_path / 'etc' / 'libvirt'),
                        ('/run', tmp_path / 'run')]
        self.stand_ins = tmp_path / 'stand-ins'
        self.log = tmp_path / 'stand-ins.log'
        for directory in (self.home / '.nova', tmp_path / 'run',
                          tmp_path / 'etc' / 'libvirt' / 'hooks',
                          self.stand_ins):
            directory.mkdir(parents=True)
        shutil.copy(NOVA_PASTE, self.home / '.nova' / 'api-paste.ini')
        (self.home / '.nova' / 'nova.conf').write_text(self.map(NOVA_CONF))
        for name in ('pip', 'systemctl'):
            (self.stand_ins / name).write_text(STAND_IN)
            (self.stand_ins / name).chmod(0o755)
        self.env = dict(os.environ, HOME=str(self.home),
                        STAND_IN_LOG=str(self.log),
                        PATH='%s:%s:%s' % (self.stand_ins, BIN,
                                           os.environ['PATH']))

    def map(self, text):
        for real, here in self.mapping:
            text = re.sub(re.escape(real) + r'(?=/|\b)', str(here), text)
        return text

    def run(self, command):
        return subprocess.run(['bash', '-c', self.map(command)],
                              env=self.env, cwd=str(self.home),
                              capture_output=True, text=True, timeout=120)

    def write(self, caption, lines):
        path = self.map(caption)
        assert path.startswith(str(self.home.parent)), caption
        with open(path, 'w') as stream:
            stream.write(self.map('\n'.join(lines)))


def test_every_command_of_the_operator_guide_runs_as_written(tmp_path):
    host = Host(tmp_path)
    with open(GUIDE) as stream:
        guide = blocks(stream.read())
    commands = 0
    for kind, caption, lines in guide:
        if kind == 'ini':
            host.write(caption, lines)
            continue
        for line in lines:
            if not line.startswith('$ '):
                continue
            command = line[2:]
            mapped = host.map(command)
            assert not re.search(r'(^|\s)/(etc|var|run|usr)/', mapped), \
                'unmapped system path in: %s' % command
            result = host.run(command)
            assert result.returncode == 0, '%s\n%s%s' % (
                command, result.stdout, result.stderr)
            assert 'Warning' not in result.stderr, result.stderr
            assert 'Traceback' not in result.stderr, result.stderr
            commands += 1
    assert commands >= 20
    recorded = host.log.read_text()
    assert "pip install nova-miglock[mysql]" in recorded
    assert 'systemctl enable --now nova-miglock-listener' in recorded
    # Uninstalling gave Nova's files back as they were.
    nova = host.home / '.nova'
    with open(NOVA_PASTE) as stream:
        assert (nova / 'api-paste.ini').read_text() == stream.read()
    assert (nova / 'nova.conf').read_text() == host.map(NOVA_CONF)
