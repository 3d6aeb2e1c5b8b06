"""Exact Jaccard of every pair of texts that share a shingle: the reference for dedupe_near.

An independent implementation of what dedupe_near compares: datatrove's simplify_text (lowercase,
numbers -> 0, punctuation/symbols -> space, whitespace collapsed, accents dropped) and word
5-gram shingles (a text of fewer than 5 words is one shingle). Reads JSON Lines {id, text} on
stdin, writes JSON Lines {a, b, jaccard} for every pair with Jaccard >= the threshold given
(default 0.5). Exact: an inverted index finds every pair sharing at least one shingle.
"""
import json
import re
import sys
import unicodedata
from collections import defaultdict

NUMBER = re.compile(r"\d+(?:[.,\u060c\u066b\u2396\u2397\u2398]\d+)?")


def simplify(s: str) -> str:
    s = s.lower()
    s = NUMBER.sub("0", s)
    s = "".join(" " if unicodedata.category(c)[0] in "PS" or unicodedata.category(c) == "Cc" else c for c in s)
    s = re.sub(r"\s+", " ", s).strip()
    s = unicodedata.normalize("NFD", s)
    return "".join(c for c in s if unicodedata.category(c) != "Mn")


def shingles(text: str, n: int = 5) -> frozenset:
    w = simplify(text).split(" ") if simplify(text) else []
    if len(w) < n:
        return frozenset([" ".join(w)])
    return frozenset(" ".join(w[i : i + n]) for i in range(len(w) - n + 1))


def main() -> None:
    threshold = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
    ids, sets = [], []
    for line in sys.stdin:
        if line.strip():
            r = json.loads(line)
            ids.append(r["id"])
            sets.append(shingles(r["text"]))
    index = defaultdict(list)
    for i, s in enumerate(sets):
        for sh in s:
            index[sh].append(i)
    seen = set()
    for docs in index.values():
        for x in range(len(docs)):
            for y in range(x + 1, len(docs)):
                seen.add((docs[x], docs[y]))
    for a, b in sorted(seen):
        inter = len(sets[a] & sets[b])
        j = inter / (len(sets[a]) + len(sets[b]) - inter)
        if j >= threshold:
            print(json.dumps({"a": ids[a], "b": ids[b], "jaccard": j}))


if __name__ == "__main__":
    main()
