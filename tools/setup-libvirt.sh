#!/usr/bin/env bash
# Install libvirtd, QEMU and libvirt-python for the hypervisor tests.
#
# Only as root on Debian-like machines; elsewhere it says why and does
# nothing, and the libvirt tests are skipped with that reason.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGES="libvirt-daemon-system libvirt-daemon-system-sysv
libvirt-daemon-driver-qemu qemu-system-x86 libvirt-clients libvirt-dev
pkg-config"

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "tools/setup-libvirt.sh: not root or no apt-get; libvirt tests skip"
    exit 0
fi
if ! command -v libvirtd >/dev/null 2>&1 ||
        ! pkg-config --exists libvirt 2>/dev/null; then
    echo "Installing libvirtd and QEMU from the distribution ..."
    # libvirt-daemon-system-sysv keeps apt from replacing init by systemd.
    apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends $PACKAGES >/dev/null
fi
if ! .venv/bin/python -c 'import libvirt' 2>/dev/null; then
    echo "Building libvirt-python ..."
    PYTHONWARNINGS=ignore .venv/bin/python -m pip install --quiet \
        -c constraints.txt libvirt-python
fi
