"""
AdapterHub's loader rules, written down from the adapters source (adapter-hub/adapters 1.2.0,
src/adapters/{utils,loading}.py, configuration/adapter_config.py, methods/modeling.py), checked on
every `export: [adapterhub]` folder ftr wrote. `adapters` is not on the package index and pins
transformers 4.x, so it cannot be installed here; test_models.py computes the adapter on the
transformers model and compares predictions.

The format (what `adapters.init(model); model.load_adapter(dir)` with default arguments needs):
1. utils.resolve_adapter_path: `dir` holds `adapter_config.json` and `pytorch_adapter.bin` or
   `adapter.safetensors` (CONFIG_NAME, WEIGHTS_NAME, SAFE_WEIGHTS_NAME).
2. loading.WeightsLoaderHelper.load_weights: use_safetensors defaults to False, so the weights are
   read with `torch.load(dir/"pytorch_adapter.bin", map_location="cpu", weights_only=True)`;
   heads likewise from `pytorch_model_head.bin` (HEAD_WEIGHTS_NAME) next to `head_config.json`.
3. The whole state dict is loaded into the model (module._load_from_state_dict); the adapter's own
   keys are those containing `.adapters.<name>.` (AdapterLoader.filter_func), so every other key
   must name a parameter of the model (else it is "unexpected" and silently dropped).
4. adapter_config.json = build_full_config: {config, hidden_size, model_class, model_name,
   model_type, name, version "adapters.<v>"}; `config` holds BnConfig's fields.
5. methods/modeling.py Adapter.__init__: `scaling` must be a JSON float (isinstance float) or
   "learned" / "channel", else ValueError("Unknown scaling type"); the bottleneck is
   int(hidden_size // reduction_factor); adapter_down = Sequential(Linear(d, m), act) → keys
   `adapter_down.0.weight` [m, d] / `.bias` [m], adapter_up = Linear(m, d) → [d, m] / [d];
   non_linearity goes through transformers' get_activation (lower-cased).
6. BnConfig: mh_adapter → an adapter after attention in every layer not in leave_out;
   output_adapter → one after the feed-forward block.
"""
from __future__ import annotations

import json

import pytest
import torch
import transformers
from transformers.activations import ACT2FN

TASKS = ["bert-adapter", "distilbert-adapter", "gpt2-adapter"]
BN_FIELDS = {
    "mh_adapter", "output_adapter", "reduction_factor", "non_linearity", "original_ln_before", "original_ln_after", "ln_before",
    "ln_after", "init_weights", "is_parallel", "scaling", "use_gating", "residual_before_ln", "adapter_residual_before_ln",
    "inv_adapter", "inv_adapter_reduction_factor", "cross_adapter", "leave_out", "dropout", "phm_layer", "phm_dim",
    "factorized_phm_W", "shared_W_phm", "shared_phm_rule", "factorized_phm_rule", "phm_c_init", "phm_init_range", "learn_phm",
    "hypercomplex_nonlinearity", "phm_rank", "phm_bias", "stochastic_depth", "init_weights_seed",
}
# where each family's adapters sit (models/<family>/mixin_<family>.py)
SITES = {
    "bert": ("bert.encoder.layer.{i}.attention.output", "bert.encoder.layer.{i}.output"),
    "distilbert": ("distilbert.transformer.layer.{i}.attention_adapters", "distilbert.transformer.layer.{i}.output_adapters"),
    "gpt2": ("transformer.h.{i}.attention_adapters", "transformer.h.{i}.output_adapters"),
}


@pytest.mark.parametrize("task", TASKS)
def test_folder_loads_by_default_rules(project, task):
    folder = project.task(task) / "adapterhub"
    # 1, 2: the files load_adapter / load_head read with default arguments
    for name in ("adapter_config.json", "pytorch_adapter.bin", "head_config.json", "pytorch_model_head.bin"):
        assert (folder / name).is_file(), f"{name} missing"
    state = torch.load(folder / "pytorch_adapter.bin", map_location="cpu", weights_only=True)
    head = torch.load(folder / "pytorch_model_head.bin", map_location="cpu", weights_only=True)
    # the safetensors copy (use_safetensors=True) holds the same tensors
    from safetensors.torch import load_file

    safe = load_file(folder / "adapter.safetensors")
    assert safe.keys() == state.keys() and all(torch.equal(safe[k], state[k]) for k in safe)

    # 4: the full config
    raw = (folder / "adapter_config.json").read_text()
    cfg = json.loads(raw)
    assert set(cfg) == {"config", "hidden_size", "model_class", "model_name", "model_type", "name", "version"}
    assert cfg["version"].startswith("adapters.")
    c = cfg["config"]
    assert set(c) <= BN_FIELDS, f"not BnConfig fields: {set(c) - BN_FIELDS}"
    # 5: scaling is a float or a named scaling; JSON `1` is an int in Python
    assert isinstance(c["scaling"], float) or c["scaling"] in ("learned", "channel"), f"Unknown scaling type: {c['scaling']!r}"
    assert c["non_linearity"].lower() in ACT2FN
    d = cfg["hidden_size"]
    m = int(d // c["reduction_factor"])
    name = cfg["name"]

    # 3: every key is an adapter weight of this adapter or a parameter of the model class
    model = getattr(transformers, cfg["model_class"]).from_pretrained(project.base(cfg["model_type"]), num_labels=json.loads((folder / "head_config.json").read_text())["num_labels"])
    params = {k: p.shape for k, p in model.named_parameters()}
    want = {"adapter_down.0.weight": (m, d), "adapter_down.0.bias": (m,), "adapter_up.weight": (d, m), "adapter_up.bias": (d,)}
    seen = set()
    for key, t in state.items():
        if f".adapters.{name}." in key:
            site, part = key.split(f".adapters.{name}.")
            assert part in want and tuple(t.shape) == want[part], f"{key}: {tuple(t.shape)}"
            seen.add((site, part))
        else:
            assert key in params and tuple(params[key]) == tuple(t.shape), f"{key} is not a parameter of {cfg['model_class']}"
    # 6: every layer not left out has its adapters, complete
    layers = model.config.num_hidden_layers if hasattr(model.config, "num_hidden_layers") else model.config.n_layer
    expected = set()
    for i in range(layers):
        if i in c["leave_out"]:
            continue
        mh, out = SITES[cfg["model_type"]]
        for site in ([mh.format(i=i)] if c["mh_adapter"] else []) + ([out.format(i=i)] if c["output_adapter"] else []):
            expected |= {(site, p) for p in want}
    assert seen == expected
    # the static head: keys outside the base model prefix, parameters of the model class
    assert head and all(not k.startswith(model.base_model_prefix + ".") and k in params and tuple(params[k]) == tuple(t.shape) for k, t in head.items())
