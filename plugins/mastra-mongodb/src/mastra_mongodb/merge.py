"""One-command merges: ``findOneAndUpdate`` with ``$set`` on dotted paths, for the patches the core describes
(``ThreadPatch``, ``ResourcePatch``, ``StepResultPatch``, a state update).

No pipeline update and no ``$max`` (jongodb has neither), so a merge is one command only when plain ``$set``
paths say it exactly; otherwise :func:`merge_one` answers None and the caller takes the core's general path
(compare-and-set: read, ``patch.apply``, write), where the core's own merge decides. That happens when:

- the filter's guard does not match: no live document (missing, expired), ``updatedAt`` not before now (a
  thread or resource must move strictly after it), or a member that must already be an object is not;
- a path cannot be written: a member on the way is null, a string or an array (MongoDB: PathNotViable,
  jongodb: TypeMismatch), which the core's ``x or {}`` merge would treat differently;
- an upsert meets a stored document its guard rejected (duplicate key);
- a key cannot be a path component (:func:`dotted`).

Filters are one flat document, never ``$and`` (jongodb's upsert takes no field of the new document from an
``$and``), and an upsert's ``$setOnInsert`` names the key fields itself.

A retry after a lost reply sends the same ``$set`` values again: applying them twice stores what applying them
once does (``updatedAt`` aside; a write of the same key landing between the two attempts is overwritten, as if
it had come first), so no write token is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .codec import enc, enc_key

if TYPE_CHECKING:
    from pymongo.asynchronous.collection import AsyncCollection

#: PathNotViable (MongoDB), TypeMismatch (jongodb): a ``$set`` path runs through a member that is not an object.
_PATH_ERRORS = frozenset({14, 28})


def dotted(prefix: str, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """``{prefix.key: value}`` for each pair, encoded as documents store them; None when a key cannot be a path
    component: empty, holding a dot, starting with ``$``, or all digits (MongoDB would index into an array)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = enc_key(key)
        if not name or "." in name or name.startswith("$") or name.isdigit():
            return None
        out[f"{prefix}.{name}"] = enc(value)
    return out


async def merge_one(col: AsyncCollection[dict[str, Any]], flt: Mapping[str, Any], update: Mapping[str, Any], *,
                    upsert: bool = False) -> dict[str, Any] | None:
    """The document after one ``findOneAndUpdate``, or None when nothing matched or the merge cannot be done in
    one command (see the module's docstring): nothing was written then."""
    from pymongo import ReturnDocument
    from pymongo.errors import DuplicateKeyError, OperationFailure

    try:
        doc: dict[str, Any] | None = await col.find_one_and_update(
            dict(flt), dict(update), upsert=upsert, return_document=ReturnDocument.AFTER)
    except DuplicateKeyError:
        return None
    except OperationFailure as exc:
        if exc.code in _PATH_ERRORS:
            return None
        raise
    return doc
