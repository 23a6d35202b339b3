"""hvdb.hdc: bit for bit the C++ forms as the hvdb shell evaluates them, the
batch forms equal the single forms row by row, and the algebra's laws."""
import numpy as np
import pytest

import hvdb
from conftest import hamming, hex_of, random_rows, run_shell

hdc = hvdb.hdc
D = 1024


def sym(name):
    return hdc.symbol(name, D)


# (shell expression, the same in Python)
FORMS = {
    "random": ('random(77)', lambda: hdc.random(D, 77)),
    "sym": ('sym("apple")', lambda: sym("apple")),
    "bind": ('bind(sym("a"), sym("b"))', lambda: hdc.bind(sym("a"), sym("b"))),
    "bind3": ('bind(sym("a"), sym("b"), sym("c"))', lambda: hdc.bind(hdc.bind(sym("a"), sym("b")), sym("c"))),
    "unbind": ('unbind(bind(sym("a"), sym("b")), sym("b"))', lambda: hdc.unbind(hdc.bind(sym("a"), sym("b")), sym("b"))),
    "bundle3": ('bundle(sym("a"), sym("b"), sym("c"))', lambda: hdc.bundle(np.stack([sym("a"), sym("b"), sym("c")]))),
    "bundle4": ('bundle(sym("a"), sym("b"), sym("c"), sym("d"))',
                lambda: hdc.bundle(np.stack([sym(x) for x in "abcd"]))),
    "permute": ('permute(sym("a"), 3)', lambda: hdc.permute(sym("a"), 3)),
    "permute_back": ('permute(sym("a"), -1000)', lambda: hdc.permute(sym("a"), -1000)),
    "level": ('level(0.37, 0, 1, 10)', lambda: hdc.level(0.37, D, 0, 1, 10)),
    "thermometer": ('thermometer(5, 0, 10, 11)', lambda: hdc.thermometer(5, D, 0, 10, 11)),
    "circular": ('circular(90, 0, 360, 36)', lambda: hdc.circular(90, D, 0, 360, 36)),
    "level_default": ('level(-2.5, -10, 10)', lambda: hdc.level(-2.5, D, -10, 10)),
    "text": ('text("hypervectors")', lambda: hdc.text("hypervectors", D)),
    "text2": ('text("grüße", 2)', lambda: hdc.text("grüße", D, n=2)),
    "ngram": ('ngram(sym("a"), sym("b"), sym("c"))', lambda: hdc.ngram(np.stack([sym("a"), sym("b"), sym("c")]))),
    "sequence": ('sequence(sym("a"), sym("b"), sym("c"), sym("d"))',
                 lambda: hdc.sequence(np.stack([sym(x) for x in "abcd"]))),
    "record": ('record(sym("name"), sym("ann"), sym("age"), level(0.3, 0, 1))',
               lambda: hdc.record(np.stack([sym("name"), sym("age")]), np.stack([sym("ann"), hdc.level(0.3, D)]))),
}


def test_every_form_equals_the_shell_bit_for_bit(tmp_path):
    script = [f"create collection t dim {D}"]
    for name, (expr, _) in FORMS.items():
        script += [f"put t {name} {expr}", f"get t {name}"]
    lines = run_shell(tmp_path / "db", "\n".join(script))
    shell = {line["key"]: line["hex"] for line in lines if "hex" in line}
    assert len(shell) == len(FORMS), lines
    for name, (_, python) in FORMS.items():
        v = python()
        assert v.dtype == np.uint8 and v.shape == (D // 8,), name
        assert hex_of(v) == shell[name], name


def test_batch_forms_equal_the_single_forms(rng):
    a = random_rows(rng, 9, D)
    b = random_rows(rng, 9, D)
    bound = hdc.bind(a, b)
    assert all(np.array_equal(bound[i], hdc.bind(a[i], b[i])) for i in range(9))
    broadcast = hdc.bind(a, b[0])
    assert np.array_equal(broadcast, hdc.bind(b[0], a))
    assert all(np.array_equal(broadcast[i], hdc.bind(a[i], b[0])) for i in range(9))
    rotated = hdc.permute(a, 77)
    assert all(np.array_equal(rotated[i], hdc.permute(a[i], 77)) for i in range(9))
    groups = random_rows(rng, 4 * 6, D).reshape(4, 6, D // 8)  # even: ties
    bundles = hdc.bundle(groups)
    assert bundles.shape == (4, D // 8)
    assert all(np.array_equal(bundles[g], hdc.bundle(groups[g])) for g in range(4))
    names = ["x", "y", "zz"]
    assert np.array_equal(hdc.symbol(names, D), np.stack([sym(n) for n in names]))
    texts = ["one text", "another", "a third text, longer"]
    assert np.array_equal(hdc.text(texts, D), np.stack([hdc.text(t, D) for t in texts]))
    xs = np.linspace(0, 1, 7)
    assert np.array_equal(hdc.level(xs, D), np.stack([hdc.level(float(x), D) for x in xs]))
    bools = np.unpackbits(a, axis=1, bitorder="little").astype(bool)
    assert np.array_equal(hdc.bind(bools, b), bound)  # bool rows in, packed out


def test_laws_of_the_algebra(rng):
    a, b, c = random_rows(rng, 3, D)
    assert np.array_equal(hdc.unbind(hdc.bind(a, b), b), a)
    assert np.array_equal(hdc.permute(hdc.permute(a, 123), -123), a)
    assert hdc.distance(a, a) == 0 and hdc.distance(a, b) == int(hamming(a[None], b)[0])
    assert hdc.similarity(a, b) == pytest.approx(1 - hdc.distance(a, b) / D)
    rows = np.stack([a, b, c])
    assert list(hdc.distance(rows, a)) == list(hamming(rows, a))
    assert list(hdc.distance(rows, rows[::-1])) == list(hamming(rows, rows[::-1]))
    assert hdc.zscore(D // 2, D) == 0 and hdc.zscore(0, D) == pytest.approx(np.sqrt(D))
    assert list(hdc.zscore([D // 2, 0], D)) == [0, pytest.approx(np.sqrt(D))]
    m = hdc.bundle(rows)
    assert all(hdc.distance(m, x) < D // 2 - 3 * np.sqrt(D) / 2 for x in rows)  # members stay near
    weighted = hdc.bundle(rows, weights=[1, 1, 1])
    assert np.array_equal(weighted, m)
    assert 0 < hdc.retrieval_probability(D, 3, 1000) <= 1


def test_algebra_errors_name_what_is_wrong(rng):
    a = random_rows(rng, 2, D)
    with pytest.raises(hvdb.InvalidArgument, match="expected 1024"):
        hdc.bind(a, random_rows(rng, 1, 512)[0])
    with pytest.raises(hvdb.InvalidArgument, match="a has 2 rows and b 3"):
        hdc.bind(a, random_rows(rng, 3, D))
    with pytest.raises(hvdb.InvalidArgument, match="one vector"):
        hdc.bundle(a[0])
    with pytest.raises(hvdb.InvalidArgument):
        hdc.level(0.5, D, lo=1, hi=0)
    with pytest.raises(hvdb.InvalidArgument, match="dim"):
        hdc.symbol("a", 100)
    with pytest.raises(hvdb.InvalidArgument, match="device 'fpga'"):
        hdc.bind(a, a, device="fpga")
