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
"""The benchmarks on the in-process Nova end with their summary line.

They run their measurement inside unittest's runner, whose report (on
stderr) would otherwise be the last thing printed; scripts, and
tools/smoke.sh with both streams in one file, read the last line.
"""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
R = r'-?\d+\.\d+'
SUMMARIES = {
    'gate': r'summary: p50_ratio=%s p50_added_ms=%s gate_own_p50_ms=%s '
            r'round_ratio_min=%s round_ratio_max=%s' % ((R,) * 5),
    'metadata': r'summary: put_get_p50_ratio_c1=%s put_get_p50_ratio_c4=%s '
                r'errors=0' % (R, R),
    'scheduler': r'summary: added_100=%s%% pass_all_100=%s%% queries=1 '
                 r'noise=%s%%' % (R, R, R),
}


@pytest.mark.parametrize('name', sorted(SUMMARIES))
def test_bench_smoke_run_ends_with_the_summary_line(name):
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'bench', name + '.py'),
         '--smoke'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=600,
        env=dict(os.environ, OS_NOVA_DISABLE_EVENTLET_PATCHING='1'))
    assert result.returncode == 0, result.stdout[-3000:]
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(SUMMARIES[name], last), last
