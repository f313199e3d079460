"""``keras.callbacks.TensorBoard`` with Keras 2's signature (argument order and defaults)."""
from __future__ import annotations

from ..callbacks.tensorboard import TensorBoard as _TensorBoard
from ..compat import warn_legacy

__all__ = ["TensorBoard"]


class TensorBoard(_TensorBoard):
    """Keras 2's TensorBoard callback: ``TensorBoard(log_dir='./logs', histogram_freq=0, batch_size=32,
    write_graph=True, write_grads=False, write_images=False, embeddings_freq=0, embeddings_layer_names=None,
    embeddings_metadata=None, embeddings_data=None, update_freq='epoch')``.

    The files are those of :class:`lamina.callbacks.TensorBoard` (Keras 3's layout: ``log_dir/train`` and
    ``log_dir/validation``, scalars ``epoch_loss``, ``epoch_acc``, ...). ``batch_size`` only sized Keras 2's
    activation histograms and is not needed; ``write_grads`` and ``embeddings_data`` are accepted with a
    warning and not written (TensorFlow 2's Keras dropped them too). ``embeddings_layer_names`` limits the
    projector to those layers.

    Example:
        >>> from keras.callbacks import TensorBoard  # doctest: +SKIP
        >>> model.fit(x, y, callbacks=[TensorBoard(log_dir='./logs', histogram_freq=1)])  # doctest: +SKIP
    """

    def __init__(self, log_dir="./logs", histogram_freq=0, batch_size=32, write_graph=True, write_grads=False,
                 write_images=False, embeddings_freq=0, embeddings_layer_names=None, embeddings_metadata=None,
                 embeddings_data=None, update_freq="epoch", **kwargs):
        super().__init__(log_dir=log_dir, histogram_freq=histogram_freq, write_graph=write_graph,
                         write_images=write_images, update_freq=update_freq, embeddings_freq=embeddings_freq,
                         embeddings_metadata=embeddings_metadata, **kwargs)
        if write_grads:
            warn_legacy("TensorBoard.write_grads", "TensorBoard(write_grads=True) (Keras 2) is not written by lamina "
                        "(as in TensorFlow 2's Keras); log gradients yourself with "
                        "torch.utils.tensorboard.SummaryWriter.add_histogram.")
        if embeddings_data is not None:
            warn_legacy("TensorBoard.embeddings_data", "TensorBoard(embeddings_data=...) (Keras 2) is ignored: the "
                        "projector shows the Embedding layers' own matrices, as in Keras 3.")
        if embeddings_layer_names is not None:
            names = [embeddings_layer_names] if isinstance(embeddings_layer_names, str) else embeddings_layer_names
            self._embedding_layer_names = set(names)
        self.batch_size = batch_size
