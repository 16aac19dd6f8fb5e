#!/usr/bin/env bash
# Create or update .venv with nova-miglock, Nova 34 and the test tools.
#
# Idempotent: packages are installed again only when a requirements file
# changed. Set PYTHON to choose the interpreter (3.11 or newer).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=${VENV:-.venv}

find_python() {
    local candidate
    # 3.11 first: the oldest Python that Nova 34 supports.
    for candidate in "${PYTHON:-}" python3.11 python3 python3.12; do
        [[ -n "$candidate" ]] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
                "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
                    2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "tools/setup.sh: Python 3.11 or newer is needed (Nova 34 requires it)" >&2
    return 1
}

if [[ ! -x "$VENV/bin/python" ]]; then
    python=$(find_python)
    echo "Creating $VENV with $python ..."
    "$python" -m venv "$VENV"
fi

stamp="$VENV/.miglock-requirements"
wanted=$(cat constraints.txt requirements.txt test-requirements.txt setup.cfg |
    sha256sum | cut -d' ' -f1)
# pip warns about every index location of the machine's pip.conf that does
# not exist; those lines say nothing about this project.
pip_install() {
    PYTHONWARNINGS=ignore "$VENV/bin/python" -m pip install --quiet "$@" \
        2> >(grep -v "^WARNING: Location '.*' is ignored" >&2)
}

if [[ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]]; then
    echo "Installing nova-miglock, Nova 34 and test tools into $VENV ..."
    pip_install --upgrade pip
    pip_install -c constraints.txt -r requirements.txt \
        -r test-requirements.txt -e .
    echo "$wanted" > "$stamp"
fi
