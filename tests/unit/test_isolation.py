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
"""The unit tests do not import Nova.

So that the standard-library guest agent's and the hook's tests run where
Nova is not installed, and so that Nova's threading mode is chosen by the
functional tests' harness alone.
"""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

_SCRIPT = '''
import importlib, os, sys
sys.path.insert(0, %(root)r)
for folder, _dirs, files in os.walk(os.path.join(%(root)r, 'tests', 'unit')):
    for name in sorted(files):
        if name.endswith('.py'):
            path = os.path.relpath(os.path.join(folder, name[:-3]), %(root)r)
            try:
                importlib.import_module(path.replace(os.sep, '.'))
            except BaseException as exc:  # a module-level pytest.skip
                if type(exc).__name__ != 'Skipped':
                    raise
print(' '.join(sorted(m for m in sys.modules
                      if m.split('.')[0] == 'nova')))
'''


def test_unit_tests_do_not_import_nova():
    env = dict(os.environ)
    env.pop('OS_NOVA_DISABLE_EVENTLET_PATCHING', None)
    found = subprocess.run(
        [sys.executable, '-c', _SCRIPT % {'root': ROOT}], cwd=ROOT, env=env,
        check=True, stdout=subprocess.PIPE, text=True, timeout=120).stdout
    assert found.split() == []
