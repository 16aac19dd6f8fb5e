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
"""The drain command's input checks (no store, no Nova)."""

import pytest

from nova_miglock.drain import options
from nova_miglock import lock
from nova_miglock.manage import cli


def parse(*args):
    return cli.build_parser().parse_args(list(args))


@pytest.mark.parametrize('text,seconds', [
    ('90', 90), ('90s', 90), ('15m', 900), ('2h', 7200), ('1d', 86400)])
def test_within_takes_a_duration_with_a_unit(text, seconds):
    assert parse('drain', 'host1', '--within', text).within == seconds


@pytest.mark.parametrize('args', [
    ('--within', '0'), ('--within', '-5'), ('--within', '2w'),
    ('--within', '31d'), ('--parallel', '0'), ('--strategy', 'fastest'),
    ('--on-deadline', 'ignore'), ('--within', '1h', '--deadline',
                                  '2026-11-27T10:00:00Z'),
    ('--deadline', 'tomorrow')])
def test_bad_input_is_a_usage_error(args, capsys):
    with pytest.raises(SystemExit) as exc:
        parse('drain', 'host1', *args)
    assert exc.value.code == cli.EXIT_USAGE
    assert 'error:' in capsys.readouterr().err


def test_host_names_are_checked():
    with pytest.raises(SystemExit):
        parse('drain', '../etc')
    assert parse('drain', 'compute-1.example', 'c2').hosts == [
        'compute-1.example', 'c2']


def test_defaults_are_safe():
    args = parse('drain', 'host1')
    assert (args.strategy, args.on_deadline, args.dry_run, args.within) == (
        'probabilistic', 'skip', False, 3600)


def test_options_refuse_what_the_parser_cannot_see():
    with pytest.raises(lock.InvalidRequest):
        options.Options(deadline=1.0, reason='  ').check()
    with pytest.raises(lock.InvalidRequest):
        options.Options(deadline=1.0, reason='x\x00').check()
    with pytest.raises(lock.InvalidRequest):
        options.Options(deadline=1.0, on_deadline='wait').check()
