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
"""``python -m tests.cloud start|stop|status DIR`` (see tools/cloud.sh)."""

import argparse
import json
import sys

from tests.cloud import cloud
from tests.cloud import processes


def main(argv=None):
    parser = argparse.ArgumentParser(prog='tools/cloud.sh')
    parser.add_argument('command', choices=('start', 'stop', 'status'))
    parser.add_argument('run_dir', metavar='DIR')
    args = parser.parse_args(argv)
    the_cloud = cloud.Cloud(args.run_dir)
    if args.command == 'start':
        try:
            state = the_cloud.start()
        except processes.StartError as exc:
            print('the cloud did not start: %s' % exc, file=sys.stderr)
            print('logs are in %s/logs' % the_cloud.run_dir, file=sys.stderr)
            return 1
        print('cloud started in %.0f s; logs in %s/logs' % (
            state['start_seconds'], the_cloud.run_dir))
        print('export OS_CLIENT_CONFIG_FILE=%s/clouds.yaml '
              'OS_CLOUD=miglock-admin MIGLOCK_CLOUD_DIR=%s'
              % (the_cloud.run_dir, the_cloud.run_dir))
        return 0
    if args.command == 'stop':
        errors = the_cloud.stop()
        for error in errors:
            print(error, file=sys.stderr)
        return 1 if errors else 0
    rows = {name: processes.running(the_cloud.run_dir, name)
            for name in the_cloud.state.get('processes', [])}
    print(json.dumps(rows, indent=1, sort_keys=True))
    return 0 if rows and all(rows.values()) else 1


if __name__ == '__main__':
    sys.exit(main())
