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
from nova_miglock.manage import drain
from nova_miglock.testing import fixtures


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
    ('--deadline', 'tomorrow'), ('--notice', '-1'),
    ('--notice', '30m', '--no-notice')])
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


@pytest.mark.parametrize('most,to_deadline,notice', [
    (1800, 7200, 1800),     # the default within 2h: 30 minutes
    (1800, 3600, 1800),     # within 1h (the command's default): the same
    (1800, 1200, 600),      # a tight deadline: half of it
    (1800, 9, 4),           # whole seconds
    (1800, 1, 1),           # never 0, which would mean "no notice"
    (0, 7200, None),        # [miglock] drain_notice = 0: no default notice
    (1800, 0, None)])
def test_the_default_notice_leaves_half_the_time_to_move(most, to_deadline,
                                                         notice):
    assert options.default_notice(most, to_deadline) == notice


def test_a_plain_drain_tells_the_guests():
    """The drain opens move requests unless told not to (issue 14)."""
    conf = fixtures.make_conf()
    args = parse('drain', 'host1')
    assert args.notice is None
    assert drain.notice_for(args, 1000.0, 1000.0 + 3600, conf) == 1800
    assert drain.notice_for(args, 1000.0, 1000.0 + 600, conf) == 300


@pytest.mark.parametrize('asked', [('--no-notice',), ('--notice', '0'),
                                   ('--notice', '0s')])
def test_no_notice_opens_no_move_request(asked):
    args = parse('drain', 'host1', *asked)
    assert drain.notice_for(args, 0.0, 3600.0, fixtures.make_conf()) is None


def test_an_asked_notice_is_given_as_asked():
    args = parse('drain', 'host1', '--notice', '45m')
    # Even past half the time to the deadline: the operator said so.
    assert drain.notice_for(args, 0.0, 3600.0, fixtures.make_conf()) == 2700


def test_the_cloud_may_turn_the_default_notice_off():
    conf = fixtures.make_conf(**{'miglock.drain_notice': 0})
    assert drain.notice_for(parse('drain', 'h'), 0.0, 3600.0, conf) is None
    conf = fixtures.make_conf(**{'miglock.drain_notice': 600})
    assert drain.notice_for(parse('drain', 'h'), 0.0, 3600.0, conf) == 600


@pytest.mark.parametrize('asked, notice', [
    (None, 1800), (0, None), (2700, 2700)])
def test_one_notice_rule_for_the_command_and_the_rest_plan(asked, notice):
    """``drain`` and the REST plan (1.2) resolve the notice alike."""
    assert options.resolve_notice(asked, 1800, 7200.0) == notice


def test_options_refuse_a_negative_notice():
    with pytest.raises(lock.InvalidRequest):
        options.Options(deadline=1.0, notice=-5).check()
    assert options.Options(deadline=1.0, notice=0).check().notice == 0
