"""Comparisons of architectures: models x seeds x settings -> recorded runs -> a table.

``compare()`` trains every model with every seed in parallel processes (one
thread each), records each run, skips runs already recorded, and writes a table
of mean ± std over seeds as Markdown, CSV and an HTML page with the learning
curves and a parameters/accuracy scatter. ``suite('cs4487')`` and
``suite('nielsen')`` reproduce the course material's comparison tables.

Example:
    >>> from lamina.experiments import compare
    >>> result = compare(["logreg", "mlp50", "cnn"], seeds=[0, 1], out="my-comparison")
    >>> print(result.to_markdown())
"""
from .architectures import ARCHITECTURES
from .compare import compare
from .results import Comparison
from .spec import DEFAULT_SETTINGS, Candidate
from .suites import SUITES, suite

__all__ = ["compare", "Comparison", "Candidate", "DEFAULT_SETTINGS", "ARCHITECTURES", "SUITES", "suite"]
