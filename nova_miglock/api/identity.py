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
"""Which instance is asking: the same proof Nova's metadata service uses.

Behind the Neutron metadata proxy (``[neutron] service_metadata_proxy``),
the proxy names the instance in ``X-Instance-ID`` and ``X-Tenant-ID`` and
signs the instance id with HMAC-SHA256 and
``[neutron] metadata_proxy_shared_secret``; the signature is checked in
constant time. Without the proxy, the source address is looked up in
Neutron. Anything less is refused: unlike Nova, a proxy setup without a
shared secret is refused too, since an empty key makes signatures
forgeable.
"""

import collections
import hashlib
import hmac

from oslo_log import log as logging

from nova_miglock import lock

LOG = logging.getLogger(__name__)

Guest = collections.namedtuple('Guest', 'instance_uuid project_id instance')


class IdentityError(Exception):
    """The request does not prove which instance sent it (HTTP 403)."""


class LookupFailed(Exception):
    """Nova could not be asked who the instance is (HTTP 503)."""


def _nova_lookup():
    from nova.api.metadata import handler
    return handler.MetadataRequestHandler()


class GuestIdentifier:
    """Identifies guests with Nova's configuration and instance lookups."""

    def __init__(self, nova_conf, lookup=None):
        # Nova's [neutron] options must be registered; this filter only runs
        # inside Nova's metadata API, where Nova is importable.
        import nova.conf  # noqa: F401
        self._conf = nova_conf
        self._lookup = lookup

    @property
    def lookup(self):
        if self._lookup is None:
            self._lookup = _nova_lookup()
        return self._lookup

    def identify(self, req):
        """Return the Guest behind ``req``.

        :raises IdentityError: identity missing, forged or mismatched.
        :raises LookupFailed: Nova's database or Neutron did not answer.
        """
        if self._conf.neutron.service_metadata_proxy:
            if req.headers.get('X-Metadata-Provider'):
                raise IdentityError(
                    'requests through a metadata provider '
                    '(X-Metadata-Provider) are not supported by the '
                    'migration lock endpoint')
            return self._from_proxy(req)
        return self._from_address(req)

    def _from_proxy(self, req):
        instance_id = req.headers.get('X-Instance-ID')
        tenant_id = req.headers.get('X-Tenant-ID')
        signature = req.headers.get('X-Instance-ID-Signature')
        if not (instance_id and tenant_id and signature):
            raise IdentityError('the request must carry X-Instance-ID, '
                                'X-Tenant-ID and X-Instance-ID-Signature')
        secret = self._conf.neutron.metadata_proxy_shared_secret
        if not secret:
            raise IdentityError('[neutron]/metadata_proxy_shared_secret is '
                                'not configured; proxied requests cannot be '
                                'verified')
        expected = hmac.new(secret.encode('utf-8'),
                            instance_id.encode('utf-8', 'surrogateescape'),
                            hashlib.sha256).hexdigest().encode('ascii')
        if not hmac.compare_digest(
                expected, signature.encode('utf-8', 'surrogateescape')):
            LOG.warning('Refused migration lock request with a bad signature '
                        'for instance %(instance)s from %(address)s',
                        {'instance': instance_id,
                         'address': req.headers.get('X-Forwarded-For')})
            raise IdentityError('X-Instance-ID-Signature does not match')
        try:
            lock.validate_instance_uuid(instance_id)
        except lock.InvalidRequest:
            raise IdentityError('X-Instance-ID is not an instance UUID')
        meta = self._ask(self.lookup.get_metadata_by_instance_id, instance_id,
                         req.headers.get('X-Forwarded-For'))
        if meta is None:
            raise IdentityError('no instance %s' % instance_id)
        if meta.instance.project_id != tenant_id:
            raise IdentityError('X-Tenant-ID does not own the instance')
        return Guest(meta.instance.uuid, meta.instance.project_id,
                     meta.instance)

    def _from_address(self, req):
        if not req.remote_addr:
            raise IdentityError('the request has no source address')
        if req.headers.get('X-Instance-ID'):
            LOG.warning('X-Instance-ID sent without [neutron]/'
                        'service_metadata_proxy; identifying by address')
        meta = self._ask(self.lookup.get_metadata_by_remote_address,
                         req.remote_addr)
        if meta is None:
            raise IdentityError('no instance has the address %s'
                                % req.remote_addr)
        return Guest(meta.instance.uuid, meta.instance.project_id,
                     meta.instance)

    @staticmethod
    def _ask(method, *args):
        try:
            return method(*args)
        except Exception as exc:
            LOG.exception('Could not identify the instance of a migration '
                          'lock request')
            raise LookupFailed(str(exc)) from exc
