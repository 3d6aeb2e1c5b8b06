"""
Tokenizer parity on the 1,000-string torture set (torture.py): ftr's tokenize op gives the ids
tiktoken gives for every OpenAI encoding ftr reads, and the ids the `tokenizers` library gives for
every tokenizer.json ftr trains (byte-level BPE and WordPiece, cased and lowercased). A model
folder ftr writes builds, through AutoTokenizer, the tokenizer ftr used (a cased vocabulary stays cased).
"""
from __future__ import annotations

import pytest
import tiktoken
import tokenizers
import transformers


def report(name, pairs, theirs):
    bad = [(t, ours, ref) for (t, ours), ref in zip(pairs, theirs) if ours != ref]
    sample = "\n".join(f"  {t!r}: ftr {ours[:12]} vs {ref[:12]}" for t, ours, ref in bad[:5])
    assert not bad, f"{name}: {len(bad)} of {len(pairs)} strings differ, e.g.\n{sample}"


def test_texts_arrive_unchanged(tok_project):
    # what ftr tokenized is the torture string itself (no source-side cleaning)
    got = [t for t, _ in tok_project.ids("cl100k_base")]
    assert len(got) == len(tok_project.texts) == 1000
    changed = [(a, b) for a, b in zip(tok_project.texts, got) if a != b]
    assert not changed, f"{len(changed)} texts changed on the way in, e.g. {changed[:3]!r}"


@pytest.mark.parametrize("enc", ["cl100k_base", "o200k_base", "p50k_base", "r50k_base"])
def test_openai_encodings_match_tiktoken(tok_project, enc):
    pairs = tok_project.ids(enc)
    e = tiktoken.get_encoding(enc)
    report(enc, pairs, [e.encode(t, disallowed_special=()) for t, _ in pairs])


@pytest.mark.parametrize("cell,file", [("bpe", "bpe.json"), ("bpe_lower", "bpe-lower.json"), ("wp", "wordpiece.json"), ("wp_lower", "wordpiece-lower.json")])
def test_trained_tokenizers_match_tokenizers(tok_project, cell, file):
    tok = tokenizers.Tokenizer.from_file(str(tok_project.root / file))
    pairs = tok_project.ids(cell)
    report(file, pairs, [tok.encode(t, add_special_tokens=False).ids for t, _ in pairs])


@pytest.mark.parametrize("family", ["bert", "distilbert", "gpt2"])
def test_autotokenizer_on_model_folders(project, family):
    """AutoTokenizer on a base ftr wrote (and on a merged export) gives ftr's ids: cased stays cased."""
    from conftest import PROBES

    task = {"bert": "bert-lora", "distilbert": "distilbert-lora", "gpt2": "gpt2-lora"}[family]
    rows = project.predict(task)
    for folder in (project.base(family), project.task(task) / "merged"):
        tok = transformers.AutoTokenizer.from_pretrained(folder)
        for text, row in zip(PROBES, rows):
            ids = tok(text, truncation=True, max_length=24)["input_ids"]
            assert ids == row["ids"][task], f"{folder.name}: {text!r}: AutoTokenizer {ids} vs ftr {row['ids'][task]}"
    if family != "gpt2":
        assert tok.tokenize("AWFUL")[0] != tok.tokenize("awful")[0], "a cased vocabulary was lowercased"
