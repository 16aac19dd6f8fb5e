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
"""Generated files in etc/ must match what the generators produce now."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)

GENERATED = [
    ('oslo-config-generator', 'etc/nova/nova-miglock-config-generator.conf',
     'etc/nova/nova-miglock.conf.sample'),
    ('oslopolicy-sample-generator',
     'etc/nova/nova-miglock-policy-generator.conf',
     'etc/nova/nova-miglock-policy.yaml.sample'),
]


@pytest.mark.parametrize('tool, config, sample', GENERATED)
def test_sample_file_is_current(tool, config, sample, tmp_path):
    produced = tmp_path / 'sample'
    subprocess.run([os.path.join(BIN, tool), '--config-file',
                    os.path.join(ROOT, config), '--output-file',
                    str(produced)], check=True, cwd=ROOT)
    with open(os.path.join(ROOT, sample)) as stream:
        committed = stream.read()
    assert produced.read_text() == committed, (
        '%s is out of date: run "tox -e genconfig genpolicy"' % sample)
