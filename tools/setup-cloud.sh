#!/usr/bin/env bash
# Install what the one-machine cloud of tests/cloud needs: Keystone,
# Glance and uWSGI into .venv (beside Nova 34 and Placement), and, as root
# on Debian, libvirt and QEMU (tools/setup-libvirt.sh), qemu-utils (Nova's
# libvirt driver runs qemu-img) and bindfs (the compute hosts' shared
# instance storage).
#
# Idempotent: does nothing when everything is there. Elsewhere it says why
# and the cloud tests are skipped with that reason.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=${VENV:-.venv}

tools/setup.sh
tools/setup-libvirt.sh

as_root_on_debian() {
    [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1
}
if as_root_on_debian && ! { command -v qemu-img && command -v bindfs; } \
        >/dev/null 2>&1; then
    echo "Installing qemu-utils and bindfs from the distribution ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends qemu-utils bindfs >/dev/null
fi

stamp="$VENV/.miglock-cloud-requirements"
wanted=$(cat constraints.txt cloud-requirements.txt | sha256sum | cut -d' ' -f1)
if [[ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]]; then
    echo "Installing Keystone, Glance and uWSGI into $VENV ..."
    PYTHONWARNINGS=ignore "$VENV/bin/python" -m pip install --quiet \
        -c constraints.txt -r cloud-requirements.txt \
        2> >(grep -v "^WARNING: Location '.*' is ignored" >&2)
    echo "$wanted" > "$stamp"
fi
