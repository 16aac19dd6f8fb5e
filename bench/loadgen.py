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
"""HTTP load generator for the benchmarks (standard library only).

Runs ``--clients`` threads for ``--seconds``; each repeats its request
sequence and records every request's latency. Prints one JSON object:
``{label: [latency, ...]}`` plus ``"requests"`` and ``"errors"``.

Each client's sequence comes from ``--sequence`` (JSON list of
``[label, method, path, body]``); ``{client}`` in a path is replaced by the
client's number, and ``--headers`` (JSON list, one dict per client, used
round-robin) are sent with every request.
"""

import argparse
import http.client
import json
import threading
import time
import urllib.parse


def client_loop(number, args, sequence, headers, deadline, results, lock):
    parsed = urllib.parse.urlsplit(args.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port,
                                      timeout=60)
    mine = {label: [] for label, _m, _p, _b in sequence}
    errors = 0
    while time.monotonic() < deadline:
        for label, method, path, body in sequence:
            started = time.perf_counter()
            try:
                conn.request(method, path.replace('{client}', str(number)),
                             body=body, headers=headers)
                reply = conn.getresponse()
                reply.read()
                ok = reply.status < 300
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
            elapsed = time.perf_counter() - started
            if ok:
                mine[label].append(elapsed)
            else:
                errors += 1
    conn.close()
    with lock:
        for label, values in mine.items():
            results.setdefault(label, []).extend(values)
        results['errors'] = results.get('errors', 0) + errors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--url', required=True)
    parser.add_argument('--clients', type=int, required=True)
    parser.add_argument('--first-client', type=int, default=0)
    parser.add_argument('--seconds', type=float, required=True)
    parser.add_argument('--sequence', required=True)
    parser.add_argument('--headers', required=True)
    parser.add_argument('--start-at', type=float, default=0)
    args = parser.parse_args()
    sequence = json.loads(args.sequence)
    headers = json.loads(args.headers)
    results, lock = {}, threading.Lock()
    delay = args.start_at - time.time()
    if delay > 0:
        time.sleep(delay)
    deadline = time.monotonic() + args.seconds
    threads = [threading.Thread(target=client_loop, args=(
        args.first_client + n, args, sequence,
        headers[(args.first_client + n) % len(headers)], deadline, results,
        lock)) for n in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(results))


if __name__ == '__main__':
    main()
