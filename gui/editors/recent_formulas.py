"""The list of recently accepted formulas, most recent first, kept in QSettings."""

from __future__ import annotations

from PyQt6.QtCore import QSettings

SETTINGS_KEY = "formulas/recent"
LIMIT = 15


class RecentFormulas:
    """Up to ``limit`` formulas, newest first, without duplicates, saved under ``formulas/recent``."""

    def __init__(self, settings: QSettings | None = None, limit: int = LIMIT):
        self._settings = settings if settings is not None else QSettings()
        self.limit = limit
        self._items = self._load()

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(self._items)

    def add(self, formula: str) -> bool:
        """Put ``formula`` first (moving it if present); True if the list changed."""
        text = formula.strip()
        if not text or (self._items and self._items[0] == text):
            return False
        self._items = [text] + [item for item in self._items if item != text]
        del self._items[self.limit:]
        self._settings.setValue(SETTINGS_KEY, list(self._items))
        return True

    def clear(self) -> None:
        self._items = []
        self._settings.remove(SETTINGS_KEY)

    def _load(self) -> list[str]:
        value = self._settings.value(SETTINGS_KEY, [])
        # INI storage gives back a bare string for a one-item list and None for an empty one.
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        items: list[str] = []
        for item in value if isinstance(value, list | tuple) else []:
            if isinstance(item, str) and item.strip() and item not in items:
                items.append(item)
        return items[:self.limit]
