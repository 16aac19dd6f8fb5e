#!/usr/bin/env bash
# Run the demo and a short smoke run (seconds) of every benchmark, so that
# neither can break silently: each must exit 0, and each benchmark must end
# with its summary line. tools/test.sh calls this;
# it expects tools/setup.sh to have run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export OS_NOVA_DISABLE_EVENTLET_PATCHING=1
PYTHON=.venv/bin/python
LOG=$(mktemp -d)
trap 'rm -rf "$LOG"' EXIT

failed=0
# Every benchmark ends with its summary line, the line scripts read.
ends_with_summary() {
    local out=$LOG/$1.out
    [[ $1 == demo ]] && return 0
    if ! tail -n 1 "$out" | grep -qi '^summary'; then
        echo "$1 did not end with its summary line" >> "$out"
        return 1
    fi
}

run() {
    local name=$1
    shift
    local started=$SECONDS
    if "$PYTHON" "$@" > "$LOG/$name.out" 2>&1 && ends_with_summary "$name"
    then
        echo "ok     $name ($((SECONDS - started)) s)"
    else
        echo "FAILED $name ($((SECONDS - started)) s); its output:"
        cat "$LOG/$name.out"
        failed=1
    fi
}

run demo tools/demo.py
for bench in bench/*.py; do
    name=$(basename "$bench" .py)
    case "$name" in
        # Helpers of other benchmarks, not benchmarks themselves.
        loadgen|nova_hosts) continue ;;
    esac
    run "$name" "$bench" --smoke
done
exit "$failed"
