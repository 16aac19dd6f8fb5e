#!/usr/bin/env bash
# Set up everything and run the demo: a migration lock refusing a real
# migration and its release letting the migration through.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/setup.sh
export OS_NOVA_DISABLE_EVENTLET_PATCHING=1
exec .venv/bin/python tools/demo.py "$@"
