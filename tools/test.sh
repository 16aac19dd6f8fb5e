#!/usr/bin/env bash
# Set up everything and run the whole test suite: style checks, unit tests,
# functional tests against real Nova, SQLite, MariaDB, PostgreSQL, RabbitMQ
# and libvirt, then the demo and a smoke run of every benchmark.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/setup.sh
tools/setup-libvirt.sh

export OS_NOVA_DISABLE_EVENTLET_PATCHING=1
echo "== style"
.venv/bin/python -m flake8
.venv/bin/bashate -i E005,E006 tools/*.sh .ci/run devstack/plugin.sh \
    devstack/settings
echo "== tests"
.venv/bin/python -m pytest -n "${MIGLOCK_TEST_WORKERS:-auto}" --dist loadgroup "$@" tests
echo "== demo and benchmark smoke runs"
tools/smoke.sh
