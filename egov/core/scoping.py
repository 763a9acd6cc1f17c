"""One helper that every query uses to limit data to what the actor may see.

Each model that holds scoped data registers a policy: a function taking (actor, queryset) and
returning the narrowed queryset. `visible_to` refuses to answer for a model with no policy, so a
new model cannot be exposed by forgetting to scope it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from .actors import Actor
from .registry import Registry

M = TypeVar("M", bound=Model)
Policy = Callable[[Actor, "QuerySet[Any]"], "QuerySet[Any]"]

# One policy per model: a second policy for the same model is refused at import time.
_policies: Registry[type[Model], Policy] = Registry("scope policy")


class UnscopedModelError(LookupError):
    pass


def scope_policy(model: type[Model]) -> Callable[[Policy], Policy]:
    def register(func: Policy) -> Policy:
        return _policies.register(model, func)

    return register


def visible_to(actor: Actor, queryset: QuerySet[M]) -> QuerySet[M]:
    policy = _policies.get(queryset.model)
    if policy is None:
        raise UnscopedModelError(f"No scope policy registered for {queryset.model.__name__}")
    if actor.kind == "system":
        return queryset
    return policy(actor, queryset)
