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
"""Registration helper shared by the option modules."""

from oslo_config import cfg


def register(conf, group, opts):
    """Register ``opts`` under a private copy of ``group`` on ``conf``.

    NOTE: oslo.config copies a registered OptGroup shallowly, so two
    ConfigOpts registering one OptGroup object would share option values
    and overrides. Tests build many ConfigOpts; each gets its own group.
    """
    private = cfg.OptGroup(group.name, title=group.title, help=group.help)
    conf.register_group(private)
    conf.register_opts(opts, group=group.name)
