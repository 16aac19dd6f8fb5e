#!/usr/bin/env bash
# A one-machine OpenStack cloud with nova-miglock, for people:
#
#   tools/cloud.sh start [DIR]   set up (tools/setup-cloud.sh), then start
#                                Keystone, Placement, Glance, Nova with two
#                                libvirt compute hosts, and nova-miglock
#   tools/cloud.sh status [DIR]  which of its processes run
#   tools/cloud.sh stop [DIR]    stop them by PID, drop its databases
#
# DIR defaults to .cloud; its logs/ stays after stop. Needs root. The
# start command prints the OS_CLOUD settings for openstack and the
# integration tests (tests/integration).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
command=${1:-}
dir=${2:-.cloud}
case "$command" in
    start)
        tools/setup-cloud.sh
        ;;
    stop|status)
        ;;
    *)
        echo "usage: tools/cloud.sh start|stop|status [DIR]" >&2
        exit 2
        ;;
esac
exec .venv/bin/python -m tests.cloud "$command" "$dir"
