"""`station check`, `station fix`, `station report`."""
from __future__ import annotations

COMMANDS: list = []
