class CLIError(Exception):
    """A user error the command reports in one line (exit status 2) instead of a traceback."""
