"""Commands for authoring: init, add, import, watch."""

from __future__ import annotations
