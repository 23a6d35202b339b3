#!/usr/bin/env python3
"""Draws hvdb-bench index's curves: recall@10 against speed-up over the exact
scan, one PNG per dataset, one line per index and setting (gnuplot).

usage: plot_index.py RESULTS.json OUT_DIR
RESULTS.json holds the JSON lines `hvdb-bench index` prints (index-DATASET.png),
or those of benchmarks/python/index_peers.py (peers-DATASET-BITS.png: hvdb
beside USearch and FAISS; the float-truth lines of --minilm are left out)."""
import collections
import json
import os
import subprocess
import sys


def series_name(line):
    if line["bench"] == "index_peers":
        knob = {"ivf": "nlist={nlist} (nprobe=1..)", "IndexBinaryIVF": "nlist={nlist} (nprobe=1..)",
                "hnsw": "M={m} efC={ef_construction} (ef=16..)",
                "IndexBinaryHNSW": "M={m} efC={ef_construction} (ef=16..)",
                "HNSW-b1x8": "M={connectivity} efC={expansion_add} (ef=16..)"}[line["index"]]
        fields = dict(line)
        if fields.get("nlist") == 0 and "lists" in fields:  # chosen from the data
            fields["nlist"] = f"{fields['lists']} chosen"
        return f"{line['engine']} {line['index']} " + knob.format(**fields)
    index = line["index"]
    if index == "prefix":
        return f"prefix P={line['prefix_bits']} (c=1..)"
    if index == "ivf":
        return f"ivf nlist={line['nlist']} (nprobe=1..)"
    if index == "hnsw":
        return f"hnsw M={line['m']} (ef=16..)"
    return index


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
    by_dataset = collections.defaultdict(lambda: collections.defaultdict(list))
    sizes = {}
    for l in lines:
        if "recall_at_10" not in l or l["index"] == "flat" or "truth" in l:
            continue
        peers = l["bench"] == "index_peers"
        key = f"peers-{l['dataset']}-{l['bits']}" if peers else "index-" + l["dataset"]
        by_dataset[key][series_name(l)].append((l["recall_at_10"], l["qps_vs_flat" if peers else "speedup_vs_flat"]))
        sizes[key] = (l["n"], l["bits"])
    os.makedirs(sys.argv[2], exist_ok=True)
    for dataset, series in by_dataset.items():
        n, bits = sizes[dataset]
        out = os.path.join(sys.argv[2], f"{dataset}.png")
        kind, _, name = dataset.partition("-")
        title = ("hvdb-bench index: " if kind == "index" else "hvdb, USearch and FAISS: ") + name
        names = sorted(series)
        plots = ", ".join(f"'-' using 1:2 with linespoints title '{name}'" for name in names)
        script = [
            "set terminal png size 900,600 noenhanced",
            f"set output '{out}'",
            f"set title '{title}: n={n}, {bits} bits, k=10 (2-core VM)'",
            "set xlabel 'recall@10 against the exact scan'",
            "set ylabel 'queries/s over the exact scan (log)'",
            "set logscale y",
            "set grid",
            "set key left bottom",
            # The peers' curves meet near recall 1: their plot shows the top half.
            "set xrange [0:1.02]" if kind == "index" else "set xrange [0.5:1.005]",
            "set arrow from 0.95, graph 0 to 0.95, graph 1 nohead dashtype 2",
            "set arrow from graph 0, first 10 to graph 1, first 10 nohead dashtype 2",
            f"plot {plots}",
        ]
        data = []
        for name in names:
            for recall, speedup in sorted(series[name]):
                data.append(f"{recall} {speedup}")
            data.append("e")
        subprocess.run(["gnuplot"], input="\n".join(script + data) + "\n", text=True, check=True)
        print(out)


if __name__ == "__main__":
    main()
