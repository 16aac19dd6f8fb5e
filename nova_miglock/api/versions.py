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
"""The version of the server lock API, negotiated like a microversion.

The API lives inside Nova's compute endpoint, so it cannot take Nova's own
microversion: it has its own service type, ``miglock``, in the standard
``OpenStack-API-Version`` header (``OpenStack-API-Version: miglock 1.0``,
beside ``compute 2.x`` if the client sends both). No header means the
minimum version; ``latest`` the maximum. Every answer names the version it
was served at, and ``GET /os-miglock`` lists the versions.

A new version is added by raising :data:`MAX_VERSION` and keying the
schema or view that changes on :class:`Version`; version 1.0 is the
contract of the release that introduced it.
"""

import dataclasses
import re

import microversion_parse

from nova_miglock import lock

SERVICE_TYPE = 'miglock'
HEADER = 'OpenStack-API-Version'
_VERSION_RE = re.compile(r'^([1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})$')


class VersionNotSupported(lock.MigLockError):
    """The client asked for a version this server does not serve (406)."""

    reason = 'version_not_supported'


@dataclasses.dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int

    @classmethod
    def parse(cls, text):
        match = _VERSION_RE.match(text)
        if match is None:
            raise lock.InvalidRequest(
                'bad %s: %r is not a version like "%s 1.0" or "%s latest"'
                % (HEADER, text, SERVICE_TYPE, SERVICE_TYPE))
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self):
        return '%d.%d' % (self.major, self.minor)


MIN_VERSION = Version(1, 0)
MAX_VERSION = Version(1, 2)
# 1.1: group disruption budgets (/os-miglock/groups), and a project's
# quota carries its SLA (guest_locks, static_locks, max_lease, max_hold),
# shown and set by /os-miglock/quotas/{project_id}.
GROUPS = Version(1, 1)
SLA_VERSION = Version(1, 1)
# 1.2: a drain plan without ``notice`` gives the drain's default notice
# (as ``nova-miglock-manage drain --dry-run``), ``notice`` 0 or null none;
# the plan shows the notice given (``notice``).
DRAIN_NOTICE = Version(1, 2)


def requested(environ):
    """The version a request asks for (:data:`MIN_VERSION` if none).

    The header is read with microversion-parse, as Nova and Placement read
    theirs, so ``compute 2.95, miglock 1.0`` finds ours.

    :raises InvalidRequest: the header names our service with no version.
    :raises VersionNotSupported: outside MIN_VERSION..MAX_VERSION.
    """
    headers = microversion_parse.headers_from_wsgi_environ(environ)
    wanted = microversion_parse.get_version(headers, SERVICE_TYPE)
    if wanted is None:
        return MIN_VERSION
    if wanted.strip().lower() == 'latest':
        return MAX_VERSION
    version = Version.parse(wanted.strip())
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise VersionNotSupported(
            'version %s of the %s API is not supported; this server serves '
            '%s to %s' % (version, SERVICE_TYPE, MIN_VERSION, MAX_VERSION))
    return version


def stamp(response, version):
    """Name the version served in ``response``, beside Nova's own."""
    response.headers.add(HEADER, '%s %s' % (SERVICE_TYPE, version))
    vary = [v.strip() for v in response.headers.get('Vary', '').split(',')
            if v.strip()]
    if HEADER not in vary:
        response.headers['Vary'] = ', '.join(vary + [HEADER])
    return response
