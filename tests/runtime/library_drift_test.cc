// The warning a GPU plan gets when the cuDNN or cuBLASLt loaded at run time is not the one its tactics
// were timed with (runtime::libraryVersionDrift): silent when major and minor agree or a version is
// unknown, and naming the library, both versions and what to do otherwise.
#include <gtest/gtest.h>

#include "runtime/device_runner.h"

namespace kiln::runtime {
namespace {

plan::PlanHeader gpuHeader(int32_t cudnn, int32_t cublas) {
    plan::PlanHeader h;
    h.target = "sm_90";
    h.deviceName = "NVIDIA H100 80GB HBM3";
    h.cudnnVersion = cudnn;
    h.cublasVersion = cublas;
    return h;
}

TEST(LibraryVersionDrift, SameMajorAndMinorIsSilent) {
    EXPECT_EQ(libraryVersionDrift(gpuHeader(91900, 130100), 91900, 130100), "");
    EXPECT_EQ(libraryVersionDrift(gpuHeader(91900, 130100), 91901, 130102), "");  // patch releases
}

TEST(LibraryVersionDrift, UnknownVersionsAreSilent) {
    EXPECT_EQ(libraryVersionDrift(gpuHeader(0, 0), 91900, 130100), "");  // plans of older Kiln versions
    EXPECT_EQ(libraryVersionDrift(gpuHeader(91900, 130100), 0, 0), "");
}

TEST(LibraryVersionDrift, NamesEachLibraryBothVersionsAndTheRemedy) {
    const std::string cudnn = libraryVersionDrift(gpuHeader(91900, 130100), 91400, 130100);
    EXPECT_NE(cudnn.find("cuDNN 9.19.0 when it was built and 9.14.0 here"), std::string::npos) << cudnn;
    EXPECT_EQ(cudnn.find("cuBLASLt"), std::string::npos) << cudnn;
    EXPECT_NE(cudnn.find("sm_90 (NVIDIA H100 80GB HBM3)"), std::string::npos) << cudnn;
    EXPECT_NE(cudnn.find("rebuild the plan"), std::string::npos) << cudnn;

    const std::string both = libraryVersionDrift(gpuHeader(91900, 130100), 100000, 120904);
    EXPECT_NE(both.find("cuDNN 9.19.0 when it was built and 10.0.0 here"), std::string::npos) << both;
    EXPECT_NE(both.find("cuBLASLt 13.1.0 when it was built and 12.9.4 here"), std::string::npos) << both;
}

}  // namespace
}  // namespace kiln::runtime
