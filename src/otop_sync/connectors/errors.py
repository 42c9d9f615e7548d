"""The ways a source can fail, one type each, so a flow can tell a retry from a stop.

Every message says what happened and where (the source and a URL or path without credentials).
"""

from __future__ import annotations

from otop_sync.errors import OtopSyncError
from otop_sync.transforms.formats import SchemaDriftError

__all__ = [
    "TRANSIENT_ERRORS",
    "DecodeError",
    "PaginationError",
    "SchemaDriftError",
    "SourceAuthError",
    "SourceError",
    "SourceRequestError",
    "SourceUnreachableError",
    "TruncatedPayloadError",
]


class SourceError(OtopSyncError):
    """A source could not deliver its data."""


class SourceUnreachableError(SourceError):
    """No answer, or only errors (5xx, 429) after every retry: worth trying again later."""


class SourceRequestError(SourceError):
    """The source refused the request itself (HTTP 4xx): a wrong URL, path or parameter.
    Asking again cannot help, so it is never retried."""


class SourceAuthError(SourceError):
    """Login refused, or the session was not accepted even after logging in again."""


class TruncatedPayloadError(SourceError):
    """A payload shorter than announced, or cut inside a row."""


class PaginationError(SourceError):
    """A paginated listing that repeats or skips a page, or does not reach its total."""


TRANSIENT_ERRORS: tuple[type[SourceError], ...] = (SourceUnreachableError, TruncatedPayloadError)
"""The failures that can heal (an outage, a cut transfer): the only ones a run retries."""


class DecodeError(SourceError, ValueError):
    """A payload that is not text in any encoding the CDD systems use, or not a table."""
