"""EarlyStopping(restore_best_weights=True, verbose=1) says it restores only when it does."""
from lamina.callbacks import EarlyStopping


def test_no_restoring_message_when_the_best_epoch_is_the_last(model, harness, capsys):
    stop = EarlyStopping(patience=3, restore_best_weights=True, verbose=1)
    ran, _ = harness.drive([stop], harness.val_losses(1.0, 0.9, 0.8), model)
    assert ran == 3 and stop.best_epoch == 2
    assert "Restoring" not in capsys.readouterr().out


def test_restoring_message_names_the_best_epoch(model, harness, capsys):
    stop = EarlyStopping(patience=1, restore_best_weights=True, verbose=1)
    ran, _ = harness.drive([stop], harness.val_losses(1.0, 0.5, 0.7, 0.8), model)
    assert ran == 3 and stop.best_epoch == 1
    assert capsys.readouterr().out == ("Epoch 00003: early stopping\n"
                                       "Restoring model weights from the end of the best epoch: 2.\n")
