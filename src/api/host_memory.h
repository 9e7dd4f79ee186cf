// IHostMemory over an owned byte vector.
#pragma once

#include <vector>

#include "kiln/builder.h"

namespace kiln::api {

class HostMemoryImpl final : public IHostMemory {
public:
    explicit HostMemoryImpl(std::vector<uint8_t> bytes) : mBytes(std::move(bytes)) {}
    void* data() const noexcept override { return const_cast<uint8_t*>(mBytes.data()); }
    std::size_t size() const noexcept override { return mBytes.size(); }
    DataType type() const noexcept override { return DataType::kUINT8; }

private:
    std::vector<uint8_t> mBytes;
};

}  // namespace kiln::api
