"""The root of otop-sync's own errors: each says what went wrong and where, in one line, so the
command line can print it as the reason instead of a traceback."""


class OtopSyncError(Exception):
    """An error otop-sync raises on purpose, with a message fit for the person running it."""
