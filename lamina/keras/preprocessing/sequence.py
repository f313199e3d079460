"""``keras.preprocessing.sequence``: pad_sequences, skipgrams, make_sampling_table, TimeseriesGenerator."""
from ...preprocessing import sequence as _sequence
from ...preprocessing.sequence import make_sampling_table, pad_sequences, skipgrams
from ..utils.data_utils import Sequence

__all__ = ["pad_sequences", "skipgrams", "make_sampling_table", "TimeseriesGenerator"]


class TimeseriesGenerator(_sequence.TimeseriesGenerator, Sequence):
    __doc__ = _sequence.TimeseriesGenerator.__doc__
