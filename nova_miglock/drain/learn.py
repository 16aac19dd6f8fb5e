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
"""The history model a drain plans with, kept in the store and updated.

The first use fits the model on the last ``days`` of the ledger; the model
and the ledger time it has folded up to are saved, and each later use
folds only the rows written since (``model.update`` equals a refit), so a
drain or ``model show`` costs the rows of the last interval, not of the
whole history. A saved model of another version is fitted again. The
model then holds all the history it was given since its first fit.
"""

from nova_miglock.planning import model
from nova_miglock.planning import timebins

SCOPE = 'cloud'
# Rows folded per use at most: a use after a long pause catches up over
# several uses rather than reading an unbounded ledger at once.
MAX_ROWS = 200000


def _load(store):
    saved = store.load_history_model(SCOPE)
    if saved is None:
        return None
    try:
        found = model.HistoryModel.from_dict(saved)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return found if found.as_of is not None else None


def current(store, now, days):
    """``(model, rows folded now)``: the saved model brought up to ``now``.

    ``now`` is in seconds since the epoch.
    """
    found = _load(store)
    if found is None:
        found, since = model.HistoryModel(), now - days * timebins.DAY
        rows = store.ledger(since=timebins.to_datetime(since),
                            limit=MAX_ROWS)
    else:
        since = found.as_of
        rows = [r for r in store.ledger(
            since=timebins.to_datetime(since), limit=MAX_ROWS)
            if timebins.to_seconds(r['at']) > since]
    behind = len(rows) >= MAX_ROWS
    # Behind: stop at the last row read, the next use goes on from there.
    model.update(found, rows,
                 as_of=None if behind else timebins.to_datetime(now))
    store.save_history_model(SCOPE, found.to_dict(),
                             timebins.to_datetime(found.as_of or now))
    return found, len(rows)
