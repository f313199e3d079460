"""``keras.utils.data_utils``: Sequence."""

__all__ = ["Sequence"]


class Sequence:
    """Keras 2 ``keras.utils.Sequence``: subclass it with ``__len__`` (batches per epoch) and
    ``__getitem__(index)`` (one batch); ``on_epoch_end()`` runs after each epoch. fit() and
    fit_generator() accept it without steps_per_epoch."""

    def __getitem__(self, index):
        raise NotImplementedError("A keras.utils.Sequence must define __getitem__(index) returning one batch.")

    def __len__(self):
        raise NotImplementedError("A keras.utils.Sequence must define __len__() (the number of batches).")

    def on_epoch_end(self):
        pass

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]
