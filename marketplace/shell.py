"""`marketplace shell` (and `flask shell`): `db` and every model, already imported."""

from marketplace.database import Base
from marketplace.extensions import db


def shell_context() -> dict[str, object]:
    """`db` plus each model class by its name (`User`, `Practice`, `LedgerEntry`, ...)."""
    models = sorted((m.class_ for m in Base.registry.mappers), key=lambda cls: cls.__module__)
    names: dict[str, object] = {"db": db}
    for cls in models:
        if cls.__name__ in names:  # two features with one class name: the second by its module
            names[f"{cls.__module__.split('.')[1]}_{cls.__name__}"] = cls
        else:
            names[cls.__name__] = cls
    return names
