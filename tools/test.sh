#!/usr/bin/env bash
# Set up everything and run the whole test suite: style checks, unit tests,
# functional tests against real Nova, SQLite, MariaDB, PostgreSQL, RabbitMQ
# and libvirt, then the integration tests against a one-machine OpenStack
# cloud (tests/cloud) in a pytest session of their own (one cloud for the
# session, not one per xdist worker), then the demo and a smoke run of every
# benchmark. Arguments go to both pytest sessions.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/setup-cloud.sh

export OS_NOVA_DISABLE_EVENTLET_PATCHING=1
echo "== style"
.venv/bin/python -m flake8
.venv/bin/bashate -i E005,E006 tools/*.sh .ci/run devstack/plugin.sh \
    devstack/settings
echo "== tests"
# Two workers per CPU: the functional tests spend about half their time
# waiting on the databases, Nova's services and the processes they start,
# so one worker per CPU left the CPUs half idle.
.venv/bin/python -m pytest \
    -n "${MIGLOCK_TEST_WORKERS:-$(($(nproc) * 2))}" --dist loadgroup \
    "$@" tests --ignore=tests/integration
echo "== integration tests (one-machine cloud, or OS_CLOUD)"
if [[ $(id -u) -eq 0 ]] && command -v libvirtd >/dev/null 2>&1; then
    # Here the cloud can start: a failure to start is a failure.
    export MIGLOCK_CLOUD_REQUIRED=${MIGLOCK_CLOUD_REQUIRED:-1}
fi
.venv/bin/python -m pytest -p no:xdist "$@" tests/integration
echo "== demo and benchmark smoke runs"
tools/smoke.sh
