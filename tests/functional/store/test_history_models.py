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
"""The saved history model, updated from the ledger, on each engine."""

import uuid

from nova_miglock.drain import learn
from nova_miglock import lock
from nova_miglock.planning import model
from nova_miglock.planning import timebins

PROJECT = 'project-a'


def holds(store, limits, count):
    for _ in range(count):
        instance = str(uuid.uuid4())
        store.acquire(instance, 'job', project_id=PROJECT,
                      source=lock.SOURCE_GUEST, lease_seconds=60,
                      reason='', limits=limits)
        store.release(instance, 'job', source=lock.SOURCE_GUEST)
    store.acquire(str(uuid.uuid4()), 'open', project_id=PROJECT,
                  source=lock.SOURCE_GUEST, lease_seconds=600, reason='',
                  limits=limits)


def now(store):
    return timebins.to_seconds(store.now())


def test_each_use_folds_only_new_rows_and_equals_a_refit(store, limits):
    holds(store, limits, 3)
    first, read = learn.current(store, now(store), 28)
    assert read == len(store.ledger()) == 7
    assert first.rows == 7
    again, read = learn.current(store, now(store), 28)
    assert read == 0 and again.rows == 7

    holds(store, limits, 2)
    at = now(store)
    updated, read = learn.current(store, at, 28)
    assert read == 5 and updated.rows == 12
    refit = model.fit(store.ledger(), as_of=timebins.to_datetime(at))
    assert updated.to_dict() == refit.to_dict()
    assert store.load_history_model(learn.SCOPE) == updated.to_dict()


def test_a_saved_model_of_another_version_is_fitted_again(store, limits):
    holds(store, limits, 2)
    store.save_history_model(learn.SCOPE, {'version': 99},
                             timebins.to_datetime(now(store)))
    fitted, read = learn.current(store, now(store), 28)
    assert read == 5 and fitted.rows == 5
    assert store.load_history_model(learn.SCOPE)['version'] == \
        model.VERSION
