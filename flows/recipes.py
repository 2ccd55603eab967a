"""Import recipes across both engines: the engine's built-in ones and the ones people saved.

A saved recipe is validated by the engine's model (sla_engine.ingest.recipes.parse) before the
contracts
service stores it, and again when it is read, so a stored text never reaches an ingest unread.
"""

from __future__ import annotations

from contracts.adapters.unit_of_work import UnitOfWork
from contracts.services.recipes import SavedRecipe, save_recipe, saved_recipes
from sla_engine.ingest import recipes
from sla_engine.ingest.recipes import Recipe


def all_recipes(uow: UnitOfWork) -> dict[str, Recipe]:
    """Built-in recipes, then saved ones (a saved recipe of a built-in's name replaces it)."""
    out = dict(recipes.builtin())
    for name, saved in saved_recipes(uow).items():
        out[name] = recipes.parse(saved.text, f"saved recipe {name!r}")
    return out


def save(uow: UnitOfWork, text: str, actor: str) -> SavedRecipe:
    """Validate a recipe's YAML and save it as its name's next version (audited)."""
    recipe = recipes.parse(text)
    return save_recipe(uow, recipe.recipe, recipe.to_yaml(), actor)
