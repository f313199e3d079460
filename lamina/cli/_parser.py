"""The argument parser of ``lamina``: argparse's, with "did you mean" for a mistyped sub-command."""
from __future__ import annotations

import argparse
import re

__all__ = ["LaminaParser"]


class LaminaParser(argparse.ArgumentParser):
    """An ArgumentParser whose "invalid choice" errors suggest the nearest valid choice.

    Example:
        ``lamina trian`` -> ``lamina: error: argument COMMAND: invalid choice: 'trian' (choose from ...);
        did you mean 'train'?``
    """

    def error(self, message):
        match = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if match:
            from .._errors import did_you_mean
            choices = [c.strip().strip("'\"") for c in match.group(2).split(",")]
            message += did_you_mean(match.group(1), choices)
        super().error(message)
