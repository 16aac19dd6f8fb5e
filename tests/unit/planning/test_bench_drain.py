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
"""bench/drain.py runs in smoke mode and ends with its summary line."""

import importlib.util
import json
import os
import re
import subprocess
import sys

from nova_miglock.manage import cli
from nova_miglock.manage import drain
from nova_miglock.testing import fixtures

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
BENCH = os.path.join(ROOT, 'bench', 'drain.py')


def test_smoke_run_ends_with_the_summary_line(tmp_path):
    ledger = tmp_path / 'ledger.jsonl'
    subprocess.run([sys.executable, BENCH, '--write-ledger', str(ledger)],
                   check=True, capture_output=True, timeout=120)
    first = json.loads(ledger.read_text().splitlines()[0])
    assert first['event'] and first['at'].endswith('Z')
    result = subprocess.run(
        [sys.executable, BENCH, '--smoke', '--ledger', str(ledger)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r'summary: makespan_p50_ratio=[\d.]+ '
                        r'refused_ratio=[\d.]+ prediction_error_p50=[\d.]+',
                        last), last
    assert 'replay of' in result.stdout


def test_a_bad_ledger_line_is_a_clear_error(tmp_path):
    ledger = tmp_path / 'bad.jsonl'
    ledger.write_text('{"at": "yesterday"}\n')
    result = subprocess.run(
        [sys.executable, BENCH, '--smoke', '--ledger', str(ledger)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert 'bad.jsonl:1: not a ledger row' in result.stderr
    assert 'Traceback' not in result.stderr


def test_the_bench_measures_the_drain_as_shipped():
    """Its "with requests" notice is what a plain drain within 2h gives."""
    spec = importlib.util.spec_from_file_location('bench_drain', BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    args = cli.build_parser().parse_args(['drain', 'host1', '--within',
                                          '%d' % bench.DEADLINE])
    assert drain.notice_for(args, 0.0, float(bench.DEADLINE),
                            fixtures.make_conf()) == bench.NOTICE == 1800
