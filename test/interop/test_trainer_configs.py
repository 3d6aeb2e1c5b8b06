"""
Trainer configs ftr writes are runnable translations or are not written: a classification task gets
none (the tools fine-tune causal LMs); a generate task gets Axolotl / LLaMA-Factory configs whose
paths are relative to their folder and exist, output_dir without a colon, data that loads in
`datasets`; torchtune is written when hub_id names a model torchtune has a builder for, with every
key its recipes read as a required attribute (torchtune @ bd2a0fc, recipes/*_single_device.py:
`cfg.<key>`).
"""
from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest
import yaml

TORCHTUNE_REQUIRED = {
    "lora_finetune_single_device": ["batch_size", "checkpointer", "compile", "dataset", "device", "dtype", "epochs", "gradient_accumulation_steps", "log_level", "loss", "lr_scheduler", "max_steps_per_epoch", "metric_logger", "model", "optimizer", "output_dir", "profiler", "resume_from_checkpoint", "seed", "shuffle", "tokenizer"],
    "full_finetune_single_device": ["batch_size", "checkpointer", "compile", "dataset", "device", "dtype", "epochs", "gradient_accumulation_steps", "log_level", "loss", "max_steps_per_epoch", "metric_logger", "model", "optimizer", "optimizer_in_bwd", "output_dir", "profiler", "resume_from_checkpoint", "seed", "shuffle", "tokenizer"],
}


def test_classification_gets_no_trainer_config(project):
    folder = project.task("bert-lora") / "trainers"
    for name in ("axolotl.yaml", "llama-factory.yaml", "torchtune.yaml"):
        assert not (folder / name).exists(), f"{name} written for a BERT classification task"


@pytest.mark.parametrize("task", ["gpt2-gen-lora", "llama-gen"])
def test_axolotl_and_llama_factory(project, task):
    folder = project.task(task) / "trainers"
    ax = yaml.safe_load((folder / "axolotl.yaml").read_text())
    assert ":" not in ax["output_dir"]
    for d in ax["datasets"] + ax.get("test_datasets", []):
        assert not Path(d["path"]).is_absolute() and (folder / d["path"]).is_file(), d["path"]
        assert d["type"] in ("alpaca", "chat_template"), "sharegpt is deprecated in Axolotl"
        rows = datasets.load_dataset("json", data_files=str(folder / d["path"]), split="train")
        assert set(rows.column_names) >= {"instruction", "input", "output"} and len(rows) > 0
    if not ax["base_model"].startswith("meta-llama/"):
        assert (folder / ax["base_model"] / "config.json").is_file(), "base_model does not resolve from the config's folder"
    lf = yaml.safe_load((folder / "llama-factory.yaml").read_text())
    assert ":" not in lf["output_dir"] and not Path(lf["dataset_dir"]).is_absolute()
    info = json.loads((folder / "dataset_info.json").read_text())
    for name in [lf["dataset"]] + ([lf["eval_dataset"]] if "eval_dataset" in lf else []):
        f = folder / lf["dataset_dir"] / info[name]["file_name"]
        assert f.is_file() and not Path(info[name]["file_name"]).is_absolute()


def test_torchtune_complete_when_it_has_the_model(project):
    assert not (project.task("gpt2-gen-lora") / "trainers" / "torchtune.yaml").exists(), "torchtune has no GPT-2 builder"
    text = (project.task("llama-gen") / "trainers" / "torchtune.yaml").read_text()
    cfg = yaml.safe_load(text)
    recipe = "lora_finetune_single_device" if "lora_" in cfg["model"]["_component_"] else "full_finetune_single_device"
    assert f"tune run {recipe}" in text
    missing = [k for k in TORCHTUNE_REQUIRED[recipe] if k not in cfg]
    assert not missing, f"torchtune {recipe} reads these keys: {missing}"
    assert cfg["model"]["_component_"] == "torchtune.models.llama3_2.lora_llama3_2_1b"
    assert ":" not in cfg["output_dir"] and not Path(cfg["dataset"]["data_files"]).is_absolute()
