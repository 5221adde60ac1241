"""The model: an LSTM over ABC tokens, its settings and its checkpoints.

    ModelConfig, TrainConfig, Preset, PRESETS   shapes and training settings (config.py, no torch)
    FolkLSTM, masked_nll                        the network (lstm.py; no I/O)
    Checkpoint, load_model, save_checkpoint     safetensors + JSON folders (checkpoint.py);
                                                `load_model(None)` is the bundled model
"""
from folkrnn._lazy import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "config": ["ModelConfig", "TrainConfig", "Preset", "PRESETS", "lr_at", "with_overrides"],
    "lstm": ["FolkLSTM", "masked_nll"],
    "checkpoint": ["Checkpoint", "load_model", "save_checkpoint", "DEFAULT_MODEL_DIR"],
})
