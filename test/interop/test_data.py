"""
Data files ftr writes load in `datasets` (and pyarrow): every format, each split; a folder with
the dataset card README.md loads by its front matter (configs/data_files); Parquet holds nested
columns as Arrow structs and lists, not JSON strings.
"""
from __future__ import annotations

import json

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

FORMATS = ["parquet", "jsonl", "csv", "chat", "alpaca", "sharegpt", "classification"]


def front_matter(folder):
    text = (folder / "README.md").read_text()
    assert text.startswith("---\n"), "the card has no YAML front matter"
    return yaml.safe_load(text.split("---\n")[1])


@pytest.mark.parametrize("fmt", FORMATS)
def test_folder_loads_by_its_card(project, fmt):
    folder = project.root / "out" / fmt
    fm = front_matter(folder)
    assert fm["license"] == ("cc-by-4.0" if fmt == "parquet" else "unknown")
    assert fm["size_categories"] == ["n<1K"]
    splits = {f["split"]: f["path"] for f in fm["configs"][0]["data_files"]}
    assert set(splits) == {"train", "val", "test"}
    ds = datasets.load_dataset(str(folder))
    assert set(ds) == set(splits)
    for split, path in splits.items():
        n = sum(1 for _ in open(folder / path, "rb")) - (1 if fmt == "csv" else 0) if fmt != "parquet" else pq.read_metadata(folder / path).num_rows
        assert ds[split].num_rows == n, f"{fmt}/{split}: {ds[split].num_rows} rows vs {n} in the file"
    # the card's text: sources by folder with a manifest, the bias section, the copies note
    card = (folder / "README.md").read_text()
    assert "SOURCES.sha256" in card and (folder / "SOURCES.sha256").read_text().strip()
    assert "## Bias report" in card
    if fmt == "parquet":
        assert fm["language"] == ["en", "fr"]
        assert "are copies** made by oversampling" in card


def test_parquet_nested_columns_are_arrow_structs_and_lists(project):
    table = pq.read_table(project.root / "out" / "parquet" / "train.parquet")
    schema = table.schema
    assert pa.types.is_struct(schema.field("meta").type), schema.field("meta").type
    assert {f.name for f in schema.field("meta").type} == {"lang", "score", "vip"}
    assert pa.types.is_list(schema.field("tags").type) and pa.types.is_string(schema.field("tags").type.value_type)
    turns = schema.field("turns").type
    assert pa.types.is_list(turns) and pa.types.is_struct(turns.value_type)
    rows = table.to_pylist()
    src = {json.loads(l)["id"]: json.loads(l) for l in (project.root / "data" / "nested.jsonl").read_text().splitlines()}
    for r in rows:
        orig = src[r["id"].split("#")[0]]
        assert r["tags"] == orig["tags"] and r["turns"] == orig["turns"]
        assert r["meta"]["lang"] == orig["meta"]["lang"] and r["meta"]["score"] == pytest.approx(orig["meta"]["score"])
    # pandas users get real values too
    df = table.to_pandas()
    assert isinstance(df["meta"].iloc[0], dict)
