"""Reading a checkpoint file's model config and state dict without running its pickles.

Two layouts are read:

- ontolabel's own: a Hugging Face config dict with ``model_type`` and a state dict, in a
  ``.pth`` or a ``.safetensors`` (config in its metadata or in a JSON file beside it);
- the paper's released teachers (``<epoch>_best.pth`` from its trainer): ``model_state_dict``,
  ``model_config`` (a pickled transformers ``Mask2FormerConfig`` with a ``SwinConfig``
  backbone) and ``config``, which is the training YAML, not a model config; besides them
  optimiser and scheduler state, epoch, step and validation tensors, which are not used.

A ``.pth`` loads with ``torch.load(weights_only=True)``, as a pickle can run arbitrary code.
It may hold tensors, plain containers and, for that one load only, the two config classes
the paper's teachers pickle. Anything else is refused unless ``allow_pickle``.

Why allowlist those classes rather than rebuild the network from ``config['size']`` with
Swin-B/L settings written here: the class names (``id2label``) and every setting the teacher
was trained with exist only in the pickled config. A rebuild would have to read it anyway,
and would quietly build the wrong network for a teacher trained with other settings (e.g.
``num_queries``). Unpickling an allowlisted class only creates the object and sets its
attributes, which are held to the same allowlist; nothing in the file runs.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from ontolabel.errors import InvalidInput
from torch import Tensor

if TYPE_CHECKING:
    from transformers import PretrainedConfig


def read_checkpoint(path: Path, allow_pickle: bool) -> tuple[PretrainedConfig, dict[str, Tensor]]:
    """(model config, state dict) from a ``.safetensors`` or ``.pth`` checkpoint file."""
    if path.suffix == ".safetensors":
        config, tensors = _read_safetensors(path)
        return _config_from_dict(config, path), tensors
    blob = _load_pth(path, allow_pickle)
    state = blob.get("state_dict") or blob.get("model") or blob.get("model_state_dict")
    if not isinstance(state, dict):
        raise InvalidInput(
            f"checkpoint {path} has no state dict under 'state_dict' or 'model_state_dict'; "
            f"it has {sorted(map(str, blob))[:10]}",
            file=str(path),
        )
    return _model_config(blob, path), state


def _paper_config_classes() -> list[Any]:
    from transformers import Mask2FormerConfig, SwinConfig

    return [Mask2FormerConfig, SwinConfig]


def _load_pth(path: Path, allow_pickle: bool) -> dict[str, Any]:
    with torch.serialization.safe_globals(_paper_config_classes()):
        try:
            blob = torch.load(path, map_location="cpu", weights_only=not allow_pickle)
        except pickle.UnpicklingError:
            raise InvalidInput(
                f"checkpoint {path} holds pickled Python objects beyond tensors, plain "
                "containers and the paper teachers' Mask2FormerConfig/SwinConfig "
                f"({_refused_globals(path)}); loading it could run arbitrary code, so it was "
                "refused. Load it only if you trust its origin: an admin registers the model with "
                'allow_pickle (PATCH /api/models/{id} {"allow_pickle": true}; CLI: '
                "ontolabel label --allow-pickle), or re-save it as safetensors.",
                file=str(path),
            ) from None
    if not isinstance(blob, dict):
        raise InvalidInput(
            f"checkpoint {path} is not a dict with a config and a state dict", file=str(path)
        )
    return blob


def _refused_globals(path: Path) -> str:
    """What the pickle names beyond the allowlist, read from its opcodes (nothing runs)."""
    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except (ValueError, RuntimeError, pickle.UnpicklingError):
        names = []
    if not names:
        return "constructs that weights-only loading does not support"
    shown = ", ".join(names[:5])
    return f"it names {shown}" + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _model_config(blob: dict[str, Any], path: Path) -> PretrainedConfig:
    from transformers import PretrainedConfig

    pickled = blob.get("model_config")
    if isinstance(pickled, PretrainedConfig):
        return _rebuilt(pickled, path)
    for key in ("config", "model_config"):
        if isinstance(blob.get(key), dict) and blob[key].get("model_type"):
            return _config_from_dict(blob[key], path)
    raise InvalidInput(
        f"checkpoint {path} has no model config: it needs 'model_config' (a pickled "
        "transformers config, as the paper's teachers hold) or 'config' (a Hugging Face "
        f"config dict with model_type); it has {sorted(map(str, blob))[:10]}",
        file=str(path),
    )


def _rebuilt(pickled: PretrainedConfig, path: Path) -> PretrainedConfig:
    """The pickled config's settings, passed through the installed transformers.

    Unpickling restores the attributes of the transformers version that saved the file,
    without running ``__init__``. A network built on such an object would read attributes
    that the installed version adds (its ``_attn_implementation_internal``, for example).
    ``to_dict`` gives what ``config.json`` would hold, which ``from_dict`` reads across
    versions.
    """
    import transformers

    try:
        return type(pickled).from_dict(pickled.to_dict())
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        saved_by = vars(pickled).get("transformers_version", "an unknown version")
        raise InvalidInput(
            f"checkpoint {path}: its model_config (saved by transformers {saved_by}) cannot be "
            f"rebuilt by the installed transformers {transformers.__version__}: {exc}",
            file=str(path),
        ) from None


def _config_from_dict(config: dict[str, Any], path: Path) -> PretrainedConfig:
    from transformers import AutoConfig

    settings = dict(config)
    model_type = settings.pop("model_type", None)
    if not model_type:
        raise InvalidInput(f"checkpoint {path}: its config names no model_type", file=str(path))
    return AutoConfig.for_model(model_type, **settings)


def _read_safetensors(path: Path) -> tuple[dict[str, Any], dict[str, Tensor]]:
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata() or {}
    sidecar = path.with_suffix(".json")
    if "config" in metadata:
        config = json.loads(metadata["config"])
    elif sidecar.is_file():
        config = json.loads(sidecar.read_text())
    elif (path.parent / "config.json").is_file():
        config = json.loads((path.parent / "config.json").read_text())
    else:
        raise InvalidInput(
            f"checkpoint {path} has no model config: put it in the safetensors metadata "
            f"key 'config', in {sidecar.name}, or in config.json next to it",
            file=str(path),
        )
    return config, load_file(str(path))
