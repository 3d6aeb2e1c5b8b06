"""
The tokenizer torture set: 1,000 deterministic strings that stress pre-tokenizer regexes and byte
handling — many scripts, emoji with ZWJ sequences / skin tones / flags, every Unicode White_Space
character plus U+FEFF, U+200B and U+180E (not White_Space), C0/C1 control characters, long
whitespace runs, combining marks, contractions, digits and punctuation.
"""
from __future__ import annotations

import random

WHITE_SPACE = [chr(c) for c in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)]
NOT_SPACE_BUT_CLOSE = ["\ufeff", "\u200b", "\u180e", "\u200c", "\u200d", "\u2060"]
CONTROL = [chr(c) for c in (*range(0x00, 0x09), 0x0E, 0x0F, 0x10, 0x1B, 0x1F, 0x7F, 0x80, 0x9F)]
WORDS = [
    "hello", "World", "AWFUL", "naïve", "café", "Ünïcödé", "straße", "ﬁne", "l'été", "don't", "WE'LL", "it's", "I'M", "they've",
    "привет", "Ελλάδα", "مرحبا", "שלום", "नमस्ते", "สวัสดี", "你好世界", "こんにちは", "カタカナ", "안녕하세요", "ᏣᎳᎩ", "ⲁⲃⲅ",
    "12345", "3.14159", "1,000,000", "٣٤٥", "१२३", "v2.0-rc1", "foo_bar", "camelCase", "snake_case", "x²", "½", "Ⅻ",
    "e\u0301", "a\u0300\u0316\u0317", "Z\u0351\u0357\u0346\u033a", "\u0915\u094d\u0937", "n\u0303o",
    "👍", "👍🏽", "👨\u200d👩\u200d👧\u200d👦", "🏳️\u200d🌈", "🇫🇷", "🇯🇵", "❤️", "🧑🏿\u200d💻", "1️⃣", "©", "™",
    "!!!", "?!", "...", "—", "–", "«»", "“quoted”", "(paren)", "[br]", "{x: 1}", "<tag>", "a/b\\c", "#hash", "@at", "$5", "%", "&amp;",
    "https://example.com/a?b=c", "e-mail@x.org", "\t", "\r\n", "\n\n", "  ", "'s", "'", "''", "`code`",
]


def strings(n: int = 1000, seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    # every separator and near-separator alone, doubled, between words, leading and trailing
    for ch in WHITE_SPACE + NOT_SPACE_BUT_CLOSE + CONTROL:
        out += [ch, ch * 3, f"a{ch}b", f"{ch}word", f"word{ch}", f"hi {ch} there", f"x{ch}{ch} 's", f"1{ch}2", f"{ch}\n{ch}"]
    while len(out) < n:
        parts = []
        for _ in range(rng.randint(1, 12)):
            r = rng.random()
            if r < 0.55:
                parts.append(rng.choice(WORDS))
            elif r < 0.75:
                parts.append(rng.choice(WHITE_SPACE) * rng.choice([1, 1, 2, 5, 17]))
            elif r < 0.85:
                parts.append(rng.choice(NOT_SPACE_BUT_CLOSE))
            elif r < 0.92:
                parts.append(rng.choice(CONTROL))
            else:
                parts.append(" " * rng.randint(1, 40) + rng.choice(["", "\n", "\t", "x"]))
        out.append(("" if rng.random() < 0.7 else " ").join(parts))
    return out[:n]
