"""A training script for the BackupAndRestore end-to-end test (run as a subprocess).

    python resume_script.py BACKUP_DIR OUT_PREFIX

Trains a small MLP with Dropout on 1,000 mnist-sample digits, shuffling, with
BackupAndRestore. With KILL_AT_EPOCH=E and KILL_AT_BATCH=B set, the process kills
itself with SIGKILL in the middle of epoch E (after batch B), as a crash would.
At the end it writes OUT_PREFIX.safetensors (the state_dict after the last epoch,
'last/...', and after EarlyStopping restored the best epoch's, 'final/...') and
OUT_PREFIX.json (history, the epochs this process ran, the epoch it resumed after).
"""
import json
import os
import signal
import sys

import numpy as np
import torch
from safetensors.torch import save_file

torch.set_num_threads(1)

from lamina import Sequential  # noqa: E402
from lamina.callbacks import BackupAndRestore, EarlyStopping, LambdaCallback  # noqa: E402
from lamina.datasets import mnist_sample  # noqa: E402
from lamina.layers import Dense, Dropout  # noqa: E402
from lamina.utils import set_random_seed  # noqa: E402

backup_dir, out = sys.argv[1], sys.argv[2]
kill_epoch = int(os.environ.get("KILL_AT_EPOCH", "-1"))
kill_batch = int(os.environ.get("KILL_AT_BATCH", "0"))

set_random_seed(1234)
(x, y), _ = mnist_sample.load_data()
x = x[:1000].reshape(1000, 784).astype("float32") / 255.0
y = y[:1000]

model = Sequential([Dense(32, activation="relu", input_shape=(784,)), Dropout(0.3),
                    Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

ran = []
backup = BackupAndRestore(backup_dir)
hooks = {"on_epoch_begin": lambda epoch, logs: ran.append(epoch)}
if kill_epoch >= 0:
    def kill(batch, logs):
        if ran[-1] == kill_epoch and batch == kill_batch:
            os.kill(os.getpid(), signal.SIGKILL)
    hooks["on_train_batch_end"] = kill
# The weights at the end of the last epoch, before EarlyStopping puts back those of the best epoch.
last = {}
grab = LambdaCallback(on_train_end=lambda logs: last.update(
    {"last/" + k: v.detach().clone() for k, v in model.state_dict().items()}))
grab.order = -1  # before EarlyStopping's on_train_end
callbacks = [backup, EarlyStopping(monitor="val_acc", patience=10, restore_best_weights=True),
             LambdaCallback(**hooks), grab]
history = model.fit(x, y, epochs=5, batch_size=50, shuffle=True, validation_split=0.2, verbose=0,
                    callbacks=callbacks)

final = {"final/" + k: v.detach().clone() for k, v in model.state_dict().items()}
save_file({**last, **final}, out + ".safetensors")
with open(out + ".json", "w") as f:
    json.dump({"history": history.history, "epochs_ran": ran, "restored_epoch": backup.restored_epoch}, f)
