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
"""Rewriting an operator's file in place without changing who may read it.

nova.conf holds the database, RabbitMQ and Keystone secrets, so it is
typically ``root:nova 0640``. A rewrite must keep its owner, group and
mode, and must never leave a half-written file behind (Nova reads it at
any time): the new text goes to a temporary file in the same directory
(created ``0600``, so nobody else can read it meanwhile), gets the
original's owner, group and mode while still private, is flushed to disk,
and only then renamed over the original; the directory is synced so the
rename survives a crash. A symbolic link is followed, not replaced.
"""

import os
import tempfile


class FileError(Exception):
    """The file could not be rewritten; it is unchanged."""


def read(path):
    try:
        with open(path) as stream:
            return stream.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise FileError('%s: %s' % (path, exc))


def _keep_ownership(fd, original, path):
    try:
        if (original.st_uid, original.st_gid) != (os.getuid(), os.getgid()):
            os.fchown(fd, original.st_uid, original.st_gid)
        os.fchmod(fd, original.st_mode & 0o7777)
    except PermissionError:
        raise FileError('%s: cannot keep its owner %d:%d and mode %o (run '
                        'as root or as its owner); the file is unchanged'
                        % (path, original.st_uid, original.st_gid,
                           original.st_mode & 0o7777))


def write(path, text):
    """Replace the contents of ``path`` atomically, keeping its metadata.

    :raises FileError: with the original left as it was.
    """
    target = os.path.realpath(path)
    directory, name = os.path.split(target)
    try:
        original = os.stat(target)
        fd, temporary = tempfile.mkstemp(prefix='.%s.' % name,
                                         suffix='.miglock', dir=directory)
    except OSError as exc:
        raise FileError('%s: %s' % (path, exc))
    try:
        with os.fdopen(fd, 'w') as stream:
            _keep_ownership(stream.fileno(), original, path)
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.rename(temporary, target)
    except BaseException as exc:
        os.unlink(temporary)
        if isinstance(exc, OSError):
            raise FileError('%s: %s' % (path, exc))
        raise
    _sync_directory(directory)


def _sync_directory(directory):
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
