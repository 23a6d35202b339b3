// Copyright hvdb authors. The device registry (library hvdb_devices): the
// process's search devices, HVDB_DEVICE, pinned host memory.
#include <atomic>
#include <cstdlib>
#include <memory>

#include "kernels/cuda/devices.h"
#include "kernels/device/fake_device.h"
#include "kernels/device/search_device.h"

namespace hvdb::kernels {
namespace {

struct Opened {
  std::vector<std::unique_ptr<SearchDevice>> owned;
  std::vector<SearchDevice*> devices;
  std::string why;
};

Opened Open() {
  Opened o;
  if (const char* fake = std::getenv("HVDB_FAKE_GPU"); fake != nullptr && *fake != '\0') {
    size_t count = 0;
    auto options = ParseFakeDeviceOptions(fake, &count);
    if (!options.ok()) {
      o.why = options.status().message();
      return o;
    }
    for (size_t i = 0; i < count; ++i) o.owned.push_back(std::make_unique<FakeDevice>(static_cast<int>(i), *options));
  } else {
    o.owned = cuda::OpenSearchDevices(&o.why);
  }
  for (auto& d : o.owned) o.devices.push_back(d.get());
  return o;
}

std::atomic<const std::vector<SearchDevice*>*> g_override{nullptr};

}  // namespace

const std::vector<SearchDevice*>& SearchDevices(std::string* why) {
  if (const auto* devices = g_override.load()) {
    if (why != nullptr) *why = devices->empty() ? "no device (test override)" : "";
    return *devices;
  }
  // Never destroyed: a database destroyed at exit (one left in a static)
  // frees its device buffers on these devices, and it may have been made
  // before them, so destroyed after them. The CUDA driver frees the rest.
  static const Opened* const opened = new Opened(Open());
  if (why != nullptr) *why = opened->why;
  return opened->devices;
}

Result<Device> DeviceFromEnvironment() {
  static const Result<Device> parsed = []() -> Result<Device> {
    const char* text = std::getenv("HVDB_DEVICE");
    if (text == nullptr || *text == '\0') return Device::kAuto;
    const std::string_view v(text);
    if (v == "cpu") return Device::kCpu;
    if (v == "gpu") return Device::kGpu;
    if (v == "auto") return Device::kAuto;
    return Status::InvalidArgument("HVDB_DEVICE is '" + std::string(v) + "'; expected cpu, gpu or auto");
  }();
  return parsed;
}

Result<Device> RequestedDevice(Device requested) {
  HVDB_ASSIGN_OR_RETURN(const Device env, DeviceFromEnvironment());  // a bad HVDB_DEVICE is an error either way
  return requested != Device::kAuto ? requested : env;
}

Status NoSearchDevice(std::string_view what) {
  // The driver's reason varies by machine; `hvdb info` shows it.
  return Status::Unavailable((what.empty() ? std::string() : std::string(what) + ": ") +
                             "device gpu: no search device here (hvdb info says why); use device cpu or auto");
}

void OverrideSearchDevicesForTesting(const std::vector<SearchDevice*>* devices) { g_override.store(devices); }

bool PinnedMemoryAvailable() {
  std::vector<cuda::DeviceProperties> devices;
  return cuda::ListDevices(&devices).ok();
}

void* AllocatePinned(size_t bytes) { return cuda::AllocPinned(bytes); }

void FreePinned(void* p) { cuda::FreePinned(p); }

}  // namespace hvdb::kernels
