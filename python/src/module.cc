// Copyright hvdb authors. The extension module hvdb._core; the hvdb package
// (python/hvdb/__init__.py) re-exports it.
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "hvdb/system.h"
#include "python/src/common.h"
#include "python/src/database.h"

NB_MODULE(_core, m) {
  using namespace hvdb;
  using namespace hvdb::python;
  using namespace nb::literals;
  m.doc() = "hvdb: a database of binary hypervectors, embedded (docs/python.md).";
  DefineErrors();
  DefineCollection(m);
  DefineDatabase(m);
  DefineAlgebra(m);
  m.attr("DEFAULT_ITEM_MEMORY_SEED") = kDefaultItemMemorySeed;
  m.def("version", &Version, "The library version, 'MAJOR.MINOR.PATCH'.");
  m.def("system_info", [] {
    const SystemInfo info = GetSystemInfo();
    nb::dict d;
    d["version"] = info.version;
    d["cpu_kernel"] = info.cpu_kernel;
    d["cpu_kernels"] = info.cpu_kernels;
    d["cpu_threads"] = info.cpu_threads;
    d["cuda_built"] = info.cuda_built;
    nb::list devices;
    for (const CudaDevice& dev : info.cuda_devices) devices.append(dev.name);
    d["cuda_devices"] = devices;
    d["cuda_status"] = info.cuda_status;
    d["search_devices"] = info.search_devices;
    d["search_devices_status"] = info.search_devices_status;
    return d;
  }, "What this build and machine offer: the CPU kernel in use (as hvdb info), the CUDA devices.");
  m.def("check", [](nb::handle path) {
    const std::string p = PathIn(path, "path");
    CheckReport report;
    {
      nb::gil_scoped_release release;
      Check(CheckDatabase(p, &report));
    }
    return report.problems;
  }, "path"_a, nb::sig("def check(path: str | os.PathLike[str]) -> list[str]"),
        "Verifies every file and row of the database at `path` (hvdb check) without changing it; may run beside "
        "the process that writes. Returns the problems found, one line each; empty when all is well.");
}
