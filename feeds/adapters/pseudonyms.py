"""Pseudonyms of caller and address references, made as an adapter reads a partner's file.

A pseudonym is the first 32 hex characters of HMAC-SHA256(key, reference): stable for a
reference under one key (so repeat callers and repeat locations can be counted) and not
reversible without the key.
"""

from __future__ import annotations

import hashlib
import hmac


def pseudonym(key: bytes, reference: str) -> str:
    """32 lowercase hex characters: truncated HMAC-SHA256 of the reference under ``key``."""
    return hmac.new(key, reference.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
