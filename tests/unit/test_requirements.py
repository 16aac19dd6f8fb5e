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
"""Requirements that install under OpenStack's upper-constraints.

tools/setup.sh installs everything with constraints.txt (so every CI run
installs under it); these checks say why when a requirement drifts, in
milliseconds and without a network.
"""

import ast
from importlib import metadata
import os
import subprocess
import sys

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
# Imported only where they are present: Nova's processes, compute hosts.
HOST_PROVIDED = {'nova', 'libvirt'}


def _lines(name):
    with open(os.path.join(ROOT, name)) as stream:
        for line in stream:
            line = line.split('#', 1)[0].strip()
            if line:
                yield line


def _pins(name):
    pins = {}
    for line in _lines(name):
        spec = line.split(';', 1)[0]
        package, _sep, version = spec.partition('===')
        pins.setdefault(canonicalize_name(package), set()).add(version)
    return pins


REQUIREMENTS = [Requirement(line) for line in _lines('requirements.txt')]
UPPER = _pins('tools/upper-constraints.txt')


@pytest.mark.parametrize('requirement', REQUIREMENTS, ids=str)
def test_each_requirement_allows_the_upper_constraint(requirement):
    pins = UPPER.get(canonicalize_name(requirement.name))
    assert pins, '%s is not in upper-constraints' % requirement.name
    assert any(requirement.specifier.contains(v) for v in pins), (
        requirement, pins)


def test_sqlalchemy_stays_below_2_1_for_nova_34():
    sqlalchemy = [r for r in REQUIREMENTS if r.name == 'SQLAlchemy'][0]
    assert not sqlalchemy.specifier.contains('2.1.0')


def _imported_modules():
    modules = set()
    package = os.path.join(ROOT, 'nova_miglock')
    for directory, _dirs, files in os.walk(package):
        # The harnesses of the tests, demo and benchmarks use the test
        # requirements, as nova.tests does.
        if os.path.relpath(directory, package).split(os.sep)[0] == 'testing':
            continue
        for name in files:
            if name.endswith('.py'):
                with open(os.path.join(directory, name)) as stream:
                    tree = ast.parse(stream.read())
                for node in ast.walk(tree):
                    if isinstance(node, ast.Import):
                        modules.update(a.name.split('.')[0]
                                       for a in node.names)
                    elif isinstance(node, ast.ImportFrom) and node.level == 0:
                        modules.add(node.module.split('.')[0])
    return modules - set(sys.stdlib_module_names) - {'nova_miglock'}


def test_requirements_are_exactly_what_the_code_imports():
    distributions = metadata.packages_distributions()
    imported = set()
    for module in _imported_modules() - HOST_PROVIDED:
        assert module in distributions, 'nothing provides %s' % module
        imported.update(canonicalize_name(d) for d in distributions[module])
    declared = {canonicalize_name(r.name) for r in REQUIREMENTS}
    assert declared == imported


def test_each_override_is_still_needed():
    """An override lifts a pin Nova 34 needs lifted, or a test tool's."""
    nova = {canonicalize_name(r.name): r for r in
            map(Requirement, metadata.requires('nova'))}
    tools = {canonicalize_name(Requirement(line).name)
             for line in _lines('test-requirements.txt')}
    for package, versions in _pins('tools/constraints-overrides.txt').items():
        assert UPPER[package] != versions, '%s: same as upstream' % package
        if package in nova:
            requirement = nova[package]
            assert not any(requirement.specifier.contains(v)
                           for v in UPPER[package])
            assert all(requirement.specifier.contains(v) for v in versions)
        else:
            assert package in tools, package


def test_constraints_txt_is_generated_from_the_vendored_file(tmp_path):
    with open(os.path.join(ROOT, 'constraints.txt')) as stream:
        committed = stream.read()
    produced = tmp_path / 'constraints.txt'
    subprocess.run([os.path.join(ROOT, 'tools', 'make-constraints.sh'),
                    str(produced)], check=True, timeout=60)
    produced = produced.read_text()
    assert produced == committed, 'run tools/make-constraints.sh'
