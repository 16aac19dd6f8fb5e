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
"""nova-miglock-libvirt-hook: the libvirt hook, run by hand or by libvirt.

``nova-miglock-manage hook install`` installs a sh dispatcher that calls
the same code without a site-packages scan, and passes it the options it
was installed with; run by hand, it takes the defaults, or the
``MIGLOCK_HOOK_REPLICA``, ``MIGLOCK_HOOK_MAX_AGE`` and
``MIGLOCK_HOOK_CLOCK_SKEW`` environment variables.
"""

import sys

from nova_miglock.hypervisor import hook


def main():
    try:
        sys.exit(hook.main())
    except Exception as exc:  # never a traceback into libvirt's error
        sys.stderr.write('nova-miglock: refusing: internal error: %s\n'
                         % exc)
        sys.exit(hook.EXIT_REFUSED)
