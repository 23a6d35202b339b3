"""The package as an IDE and help() see it: every public name documented,
the stubs beside the module with its signatures, the exceptions' family."""
import ast
import inspect
from pathlib import Path

import hvdb


def test_every_public_name_exists_and_is_documented():
    for name in hvdb.__all__:
        obj = getattr(hvdb, name)
        if callable(obj) or inspect.ismodule(obj):
            assert (obj.__doc__ or "").strip(), f"hvdb.{name} has no docstring"
    for name in hvdb.hdc.__all__:
        obj = getattr(hvdb.hdc, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), f"hvdb.hdc.{name} has no docstring"
    for method in ["search", "bulk_load", "put_many", "get", "cleanup", "set_index", "export"]:
        assert (getattr(hvdb.Collection, method).__doc__ or "").strip(), method


def test_the_stubs_and_py_typed_ship_with_the_module():
    package = Path(hvdb.__file__).parent
    assert (package / "py.typed").exists()
    core = (package / "_core" / "__init__.pyi").read_text()
    assert "def search(self, queries: numpy.typing.ArrayLike, k: int | None = 10" in core
    assert "def open(path: str | os.PathLike[str], *" in core
    algebra = (package / "_core" / "hdc.pyi").read_text()
    for stub in (core, algebra):
        ast.parse(stub)  # valid Python
        assert "-> object" not in stub, "a return type the stubs cannot name"
    assert "def bundle(members: numpy.typing.ArrayLike" in algebra


def test_exceptions_are_one_family_named_as_the_status_codes():
    assert issubclass(hvdb.NotFound, hvdb.Error) and issubclass(hvdb.NotFound, LookupError)
    assert issubclass(hvdb.InvalidArgument, ValueError) and issubclass(hvdb.IOError, OSError)
    for name in ["Corruption", "ResourceExhausted", "Unavailable", "AlreadyExists"]:
        assert issubclass(getattr(hvdb, name), hvdb.Error)
        assert getattr(hvdb, name).__module__ == "hvdb"
    assert hvdb.version() == hvdb.__version__ and hvdb.system_info()["cpu_kernel"]
