"""Binary-quantized embeddings in hvdb: the workflow of sentence-transformers'
quantize_embeddings(precision="ubinary") or Cohere's binary embeddings.

Float embeddings are binarized by sign with numpy (one bit per dimension,
packed little-endian), stored under integer ids, searched by Hamming distance,
and the caller rescores the top candidates with the float vectors it kept.
Prints recall@10 against the float (cosine) ground truth, with and without
the rescoring.

    python examples/python/binary_embeddings.py [--rows N] [--db PATH]

The embeddings here are synthetic (clustered, 384 dimensions like
all-MiniLM-L6-v2) so that the example runs anywhere; replace `embed` with a
real model's encode() to use real ones.
"""
import argparse
import tempfile
import time

import numpy as np

import hvdb

DIM = 384  # all-MiniLM-L6-v2's width: 384 bits once binarized (a multiple of 64)


def embed(n, rng, centres):
    """n unit vectors scattered around random centres (a stand-in for a model)."""
    which = rng.integers(0, len(centres), size=n)
    x = centres[which] + 0.6 * rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def binarize(x):
    """Sign bits, packed as hvdb stores them: numpy.packbits(bitorder="little")."""
    return np.packbits(x > 0, axis=1, bitorder="little")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--candidates", type=int, default=100, help="Hamming candidates rescored in float")
    parser.add_argument("--db", help="database directory (default: a temporary one)")
    args = parser.parse_args()

    rng = np.random.default_rng(7)
    centres = rng.standard_normal((200, DIM)).astype(np.float32)
    docs = embed(args.rows, rng, centres)
    queries = embed(args.queries, rng, centres)
    truth = np.argsort(-(queries @ docs.T), axis=1)[:, :10]  # float cosine ground truth

    path = args.db or tempfile.mkdtemp(prefix="hvdb-embeddings-")
    with hvdb.open(path) as db:
        if "docs" in db:
            db.drop_collection("docs")
        col = db.create_collection("docs", dim=DIM, keys=int)
        start = time.perf_counter()
        col.bulk_load(binarize(docs), keys=np.arange(args.rows))  # ids 0..n-1, no file written
        print(f"loaded {len(col)} binary embeddings in {time.perf_counter() - start:.3f} s")

        start = time.perf_counter()
        hits = col.search(binarize(queries), k=args.candidates)
        seconds = time.perf_counter() - start
        print(f"{args.queries} Hamming searches in {seconds * 1e3:.1f} ms "
              f"({hits.stats.kernel} kernel, {hits.stats.rows_scanned} rows each)")

        hamming_top = hits.keys[:, :10]
        # Rescore: the caller's float vectors of the candidates, by dot product.
        rescored = np.empty_like(hamming_top)
        for i, ids in enumerate(hits.keys):
            ids = ids[ids >= 0]
            scores = docs[ids] @ queries[i]
            rescored[i] = ids[np.argsort(-scores)[:10]]

    def recall(found):
        return np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)])

    print(f"recall@10, Hamming only: {recall(hamming_top):.3f}")
    print(f"recall@10, top {args.candidates} rescored in float: {recall(rescored):.3f}")


if __name__ == "__main__":
    main()
