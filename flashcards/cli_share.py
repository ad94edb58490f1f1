"""Commands for sharing a deck: verify, export."""

from __future__ import annotations
