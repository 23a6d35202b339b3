// Copyright hvdb authors.
#include "shell/info_command.h"

#include "shell/json_writer.h"

namespace hvdb::shell {

void PrintInfoText(const SystemInfo& info, std::ostream& out) {
  out << "hvdb " << info.version << "\n";
  out << "cpu kernel: " << info.cpu_kernel << " (supported:";
  for (const std::string& k : info.cpu_kernels) out << " " << k;
  out << "; threads: " << info.cpu_threads << ")\n";
  out << "cuda: " << (info.cuda_built ? "built" : "not built");
  if (info.cuda_devices.empty()) {
    out << "; " << info.cuda_status << "\n";
    return;
  }
  out << "; " << info.cuda_devices.size() << " device(s)\n";
  for (const CudaDevice& d : info.cuda_devices) {
    out << "  gpu " << d.index << ": " << d.name << ", sm_" << d.compute_major << d.compute_minor << ", "
        << d.multiprocessors << " SMs, " << (d.memory_bytes >> 20) << " MiB\n";
  }
}

void PrintInfoJson(const SystemInfo& info, std::ostream& out) {
  out << "{\"version\":" << JsonString(info.version) << ",\"cpu_kernel\":" << JsonString(info.cpu_kernel)
      << ",\"cpu_kernels\":[";
  for (size_t i = 0; i < info.cpu_kernels.size(); ++i) out << (i ? "," : "") << JsonString(info.cpu_kernels[i]);
  out << "],\"cpu_threads\":" << info.cpu_threads << ",\"cuda_built\":" << (info.cuda_built ? "true" : "false")
      << ",\"cuda_status\":" << JsonString(info.cuda_status) << ",\"cuda_devices\":[";
  for (size_t i = 0; i < info.cuda_devices.size(); ++i) {
    const CudaDevice& d = info.cuda_devices[i];
    out << (i ? "," : "") << "{\"index\":" << d.index << ",\"name\":" << JsonString(d.name)
        << ",\"compute\":\"" << d.compute_major << "." << d.compute_minor << "\",\"memory_bytes\":" << d.memory_bytes
        << ",\"multiprocessors\":" << d.multiprocessors << "}";
  }
  out << "]}\n";
}

}  // namespace hvdb::shell
