"""Callbacks: hooks into fit (History, EarlyStopping, ModelCheckpoint, ...)."""
from .backup_and_restore import BackupAndRestore
from ._monitor import metric_aliases
from .base import Callback, CallbackList, History
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .lambda_callback import LambdaCallback
from .learning_rate import LearningRateScheduler, ReduceLROnPlateau
from .model_checkpoint import ModelCheckpoint
from .terminate_on_nan import TerminateOnNaN

__all__ = ["metric_aliases", "Callback", "CallbackList", "History", "EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau",
           "LearningRateScheduler", "CSVLogger", "TerminateOnNaN", "LambdaCallback", "BackupAndRestore"]
