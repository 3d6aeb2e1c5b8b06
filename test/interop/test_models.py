"""
Every model export ftr writes loads in the real library with no missing or unexpected weights and
predicts what `ftr predict` predicts (|Δlogit| ≤ 1e-4) on the same token ids: PEFT (LoRA, prompt
and prefix tuning), merged Hugging Face folders, and AdapterHub adapters (computed with the
adapters library's bottleneck formula on the transformers model; `adapters` itself is not on the
package index — test_adapterhub_spec.py checks the files against its loader's rules).
"""
from __future__ import annotations

import json

import pytest
import torch
import transformers
from conftest import PROBES
from peft import PeftModel
from peft.utils import load_peft_weights, set_peft_model_state_dict

TOL = 1e-4

CLASSIFY = {
    "peft": ["bert-lora", "bert-prompt", "bert-prefix", "distilbert-lora", "distilbert-prompt", "gpt2-lora", "gpt2-prompt", "gpt2-prefix"],
    "merged": ["bert-lora", "bert-full", "distilbert-lora", "gpt2-lora"],
    "adapterhub": ["bert-adapter", "distilbert-adapter", "gpt2-adapter"],
}
GENERATE = {"peft": ["gpt2-gen-lora", "gpt2-gen-prefix"], "merged": ["gpt2-gen-lora"]}


def manifest(project, task):
    return json.loads((project.task(task) / "adapter.json").read_text())


def hf_logits(model, ids: list[int], generate: bool) -> torch.Tensor:
    with torch.no_grad():
        x = torch.tensor([ids])
        out = model(input_ids=x, attention_mask=torch.ones_like(x))
    return out.logits[0, -1] if generate else out.logits[0]


def compare(project, task, model, generate=False):
    model.eval()
    worst = 0.0
    for row in project.predict(task, ["where is Paris", "where is Oslo"] if generate else PROBES):
        ids = row["ids"][task]
        ours = torch.tensor(row["logits"][task])
        theirs = hf_logits(model, ids, generate)
        assert theirs.shape == ours.shape, f"{task}: logits {tuple(theirs.shape)} vs ftr {tuple(ours.shape)}"
        worst = max(worst, (theirs - ours).abs().max().item())
    assert worst <= TOL, f"{task}: max |Δlogit| {worst:.3g} > {TOL}"


def base_model(project, task, generate):
    m = manifest(project, task)
    base = project.base(m["family"])
    if generate:
        return transformers.AutoModelForCausalLM.from_pretrained(base)
    return transformers.AutoModelForSequenceClassification.from_pretrained(base, num_labels=len(m["labels"]))


def peft_params(project, task, generate):
    model = PeftModel.from_pretrained(base_model(project, task, generate), project.task(task) / "peft")
    # loading again through the state-dict API reports what did not fit
    res = set_peft_model_state_dict(model, load_peft_weights(str(project.task(task) / "peft")))
    # prompt learning: PEFT loads `prompt_embeddings` itself (strict) and then lists it as unexpected
    # in the generic load it also runs (peft/utils/save_and_load.py set_peft_model_state_dict)
    unexpected = [k for k in res.unexpected_keys if not (k == "prompt_embeddings" and model.peft_config["default"].is_prompt_learning)]
    assert unexpected == [], f"unexpected keys: {unexpected}"
    ours = {k for k in res.missing_keys if any(s in k for s in ("lora_", "prompt_encoder", "modules_to_save"))}
    if model.peft_config["default"].is_prompt_learning:
        # ...and reports the prompt encoder's table missing from that same generic load
        assert "prompt_embeddings" in load_peft_weights(str(project.task(task) / "peft"))
        ours.discard("prompt_encoder.default.embedding.weight")
    assert ours == set(), f"adapter weights missing from the file: {sorted(ours)}"
    return model


@pytest.mark.parametrize("task", CLASSIFY["peft"])
def test_peft_classify(project, task):
    compare(project, task, peft_params(project, task, False))


@pytest.mark.parametrize("task", GENERATE["peft"])
def test_peft_generate(project, task):
    compare(project, task, peft_params(project, task, True), generate=True)


@pytest.mark.parametrize("task,generate", [(t, False) for t in CLASSIFY["merged"]] + [(t, True) for t in GENERATE["merged"]])
def test_merged(project, task, generate):
    cls = transformers.AutoModelForCausalLM if generate else transformers.AutoModelForSequenceClassification
    model, info = cls.from_pretrained(project.task(task) / "merged", output_loading_info=True)
    assert info["missing_keys"] == set() or not info["missing_keys"], f"missing: {info['missing_keys']}"
    assert not info["unexpected_keys"], f"unexpected: {info['unexpected_keys']}"
    if not generate:
        labels = manifest(project, task)["labels"]
        assert [model.config.id2label[i] for i in range(len(labels))] == labels
    compare(project, task, model, generate)


# where adapters' mixins put the two bottleneck adapters: after these modules' outputs
# (BertSelfOutput.dense / BertOutput.dense; DistilBERT attention.out_lin / ffn.lin2; GPT-2 attn.c_proj / mlp.c_proj)
ADAPTER_SITES = {
    "bert": {"attention.output": "bert.encoder.layer.{i}.attention.output.dense", "output": "bert.encoder.layer.{i}.output.dense"},
    "distilbert": {"attention_adapters": "distilbert.transformer.layer.{i}.attention.out_lin", "output_adapters": "distilbert.transformer.layer.{i}.ffn.lin2"},
    "gpt2": {"attention_adapters": "transformer.h.{i}.attn.c_proj", "output_adapters": "transformer.h.{i}.mlp.c_proj"},
}
ACT = {"relu": torch.relu, "swish": torch.nn.functional.silu, "gelu": torch.nn.functional.gelu}


def with_adapterhub(project, task):
    """The base model with the adapter as adapters computes it: residual_before_ln, original_ln_after → LN(h + up(act(down(h))) + x)."""
    folder = project.task(task) / "adapterhub"
    cfg = json.loads((folder / "adapter_config.json").read_text())
    head_cfg = json.loads((folder / "head_config.json").read_text())
    model = getattr(transformers, head_cfg["model_class"]).from_pretrained(project.base(cfg["model_type"]), num_labels=head_cfg["num_labels"])
    params = dict(model.named_parameters())
    state = torch.load(folder / "pytorch_adapter.bin", weights_only=True)
    head = torch.load(folder / "pytorch_model_head.bin", weights_only=True)
    name = cfg["name"]
    act = ACT[cfg["config"]["non_linearity"]]
    scaling = cfg["config"]["scaling"]
    adapters = {}
    for key, t in state.items():
        if f".adapters.{name}." in key:
            site, rest = key.split(f".adapters.{name}.")
            adapters.setdefault(site, {})[rest] = t
        else:
            assert key in params and params[key].shape == t.shape, f"{key}: not a parameter of {head_cfg['model_class']}"
            params[key].data.copy_(t)
    for key, t in head.items():
        assert key in params and params[key].shape == t.shape, f"head {key}: not a parameter of {head_cfg['model_class']}"
        params[key].data.copy_(t)
    modules = dict(model.named_modules())
    for site, w in adapters.items():
        prefix, where = site.rsplit(".", 1) if cfg["model_type"] != "bert" else (site.rsplit(".", 2)[0] if site.endswith("attention.output") else site.rsplit(".", 1)[0], "attention.output" if site.endswith("attention.output") else "output")
        layer = int(prefix.split(".")[-1])
        target = modules[ADAPTER_SITES[cfg["model_type"]][where].format(i=layer)]

        def hook(_m, _inp, h, w=w):
            down = act(h @ w["adapter_down.0.weight"].T + w["adapter_down.0.bias"])
            return h + scaling * (down @ w["adapter_up.weight"].T + w["adapter_up.bias"])

        target.register_forward_hook(hook)
    return model


@pytest.mark.parametrize("task", CLASSIFY["adapterhub"])
def test_adapterhub(project, task):
    compare(project, task, with_adapterhub(project, task))


def test_mean_pooled_task_is_not_exported(project):
    """pooling auto on an ftr-pretrained base (no trained pooler) pools the mean, which transformers cannot compute."""
    task = project.task("bert-mean")
    assert json.loads((task / "adapter.json").read_text())["pooling"] == "mean"
    assert not (task / "peft").exists() and not (task / "merged").exists()


def test_distilbert_prefix_is_not_exported_to_peft(project):
    """transformers' DistilBERT takes no past_key_values, which is how PEFT feeds a prefix."""
    assert (project.task("distilbert-prefix") / "adapter.json").is_file()
    assert not (project.task("distilbert-prefix") / "peft").exists()
