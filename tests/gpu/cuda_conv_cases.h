// The Convolution/Deconvolution cases of the CUDA tests, shared by the device tests (cuda_conv_test.cc)
// and the device-free checks of the cuDNN padding plans (cuda_plan_test.cc): 1-D, 2-D and 3-D, groups
// and depthwise, stride, dilation, symmetric and asymmetric padding, SAME and round-up modes, output
// padding, on odd and prime extents.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "common/dims.h"
#include "ir/attrs.h"
#include "ir/op.h"

namespace kiln::gputest {

using Shape = std::vector<int64_t>;

inline Dims dimsOf(const Shape& s) {
    return makeDims(std::span<const int64_t>(s));
}
inline std::string str(const Shape& s) {
    return s.empty() ? "[]" : toString(dimsOf(s));
}

struct ConvCase {
    Shape x;       ///< [N, C, spatial...]
    int64_t k;     ///< output maps
    Shape kernel;  ///< spatial extents
    int32_t groups{1};
    Shape stride{}, dilation{}, pre{}, post{};
    PaddingMode mode{PaddingMode::kEXPLICIT_ROUND_DOWN};
    bool bias{true};
    Shape outPad{};  ///< Deconvolution only

    std::string describe(bool deconv, DataType t) const {
        std::ostringstream os;
        os << (deconv ? "Deconvolution " : "Convolution ") << dataTypeName(t) << " x=" << str(x) << " K=" << k
           << " kernel=" << str(kernel) << " groups=" << groups << " stride=" << str(stride)
           << " dilation=" << str(dilation) << " pre=" << str(pre) << " post=" << str(post)
           << " mode=" << static_cast<int>(mode) << " bias=" << bias << " outPad=" << str(outPad);
        return os.str();
    }
    template <typename A>
    void fill(A& a) const {
        a.nbOutputMaps = static_cast<int32_t>(k);
        a.kernelSize = dimsOf(kernel);
        a.stride = dimsOf(stride);
        a.dilation = dimsOf(dilation);
        a.prePadding = dimsOf(pre);
        a.postPadding = dimsOf(post);
        a.nbGroups = groups;
        a.paddingMode = mode;
    }
    ir::Attrs attrs(bool deconv) const {
        if (deconv) {
            ir::DeconvolutionAttrs a;
            fill(a);
            a.outputPadding = dimsOf(outPad);
            return a;
        }
        ir::ConvolutionAttrs a;
        fill(a);
        return a;
    }
    /// Kernel [K, C/groups, k...] (Convolution) or [C, K/groups, k...] (Deconvolution).
    Shape weightShape(bool deconv) const {
        Shape w = deconv ? Shape{x[1], k / groups} : Shape{k, x[1] / groups};
        w.insert(w.end(), kernel.begin(), kernel.end());
        return w;
    }
    int64_t kernelVolume() const {
        int64_t v = 1;
        for (int64_t e : kernel) v *= e;
        return v;
    }
};

inline const std::vector<ConvCase>& convCases() {
    static const std::vector<ConvCase> cases = {
        {{1, 3, 7, 5}, 4, {3, 3}, 1, {}, {}, {1, 1}, {1, 1}},                            // k3 s1 d1
        {{1, 3, 7, 5}, 4, {3, 3}, 1, {2, 2}, {}, {1, 1}, {1, 1}},                        // k3 s2
        {{1, 3, 7, 5}, 4, {3, 3}, 1, {}, {2, 2}, {2, 2}, {2, 2}},                        // k3 d2
        {{1, 3, 7, 5}, 6, {3, 3}, 3, {}, {}, {1, 1}, {1, 1}},                            // groups 3
        {{2, 6, 7, 5}, 6, {3, 3}, 6, {1, 2}, {}, {1, 1}, {1, 1}},                        // depthwise
        {{1, 6, 9, 7}, 9, {3, 2}, 3, {2, 1}, {1, 2}, {1, 0}, {1, 0}},                    // grouped, uneven
        {{1, 3, 5, 7, 6}, 4, {3, 3, 3}, 1, {}, {}, {1, 1, 1}, {1, 1, 1}},                // 3-D
        {{1, 3, 5, 7, 6}, 2, {3, 2, 3}, 1, {2, 1, 2}, {1, 2, 1}, {1, 0, 0}, {1, 0, 1}},  // 3-D s2/d2,
                                                                                         // asymmetric
        {{1, 3, 7, 5}, 4, {3, 3}, 1, {}, {}, {0, 1}, {2, 0}},                            // asymmetric padding
        {{1, 3, 7, 5}, 4, {3, 3}, 1, {2, 2}, {}, {1, 0}, {0, 2}},  // asymmetric, strided
        {{1, 3, 7, 5}, 4, {2, 2}, 1, {2, 2}, {}, {}, {}, PaddingMode::kSAME_UPPER},
        {{1, 3, 7, 5}, 4, {2, 4}, 1, {}, {}, {}, {}, PaddingMode::kSAME_LOWER},
        {{1, 3, 8, 8}, 4, {3, 3}, 1, {2, 2}, {}, {}, {}, PaddingMode::kEXPLICIT_ROUND_UP},  // extra last
                                                                                            // window
        {{2, 5, 11}, 7, {3}, 1, {2}, {}, {1}, {1}},                                         // 1-D
        {{2, 5, 11}, 7, {4}, 1, {}, {3}, {2}, {0}},  // 1-D dilated, asymmetric
        {{1, 33, 7, 5}, 7, {1, 1}},                  // pointwise
        {{1, 3, 7, 5},
         4,
         {3, 3},
         1,
         {},
         {},
         {1, 1},
         {1, 1},
         PaddingMode::kEXPLICIT_ROUND_DOWN,
         false},                                                   // no bias
        {{2, 16, 17, 13}, 32, {3, 3}, 1, {}, {}, {1, 1}, {1, 1}},  // larger: more algorithms apply
    };
    return cases;
}

inline const std::vector<ConvCase>& deconvCases() {
    static const std::vector<ConvCase> cases = {
        {{1, 3, 7, 5},
         4,
         {3, 3},
         1,
         {2, 2},
         {},
         {1, 1},
         {1, 1},
         PaddingMode::kEXPLICIT_ROUND_DOWN,
         true,
         {1, 1}},
        {{1, 3, 7, 5}, 4, {4, 4}, 1, {2, 2}, {}, {1, 1}, {1, 1}},                 // k4 s2 upsampling
        {{1, 3, 7, 5}, 4, {3, 3}, 1, {2, 1}, {}, {0, 1}, {1, 2}},                 // asymmetric: cropped copy
        {{1, 6, 5, 4}, 3, {3, 3}, 3, {}, {2, 2}, {1, 1}, {1, 1}},                 // groups 3, dilation 2
        {{1, 3, 4, 5, 3}, 2, {3, 3, 3}, 1, {2, 2, 2}, {}, {1, 1, 1}, {1, 1, 1}},  // 3-D stride 2
        {{2, 3, 11}, 5, {4}, 1, {3}, {}, {1}, {1}},                               // 1-D
        {{1, 3, 7, 5}, 4, {3, 3}, 1, {2, 2}, {}, {}, {}, PaddingMode::kSAME_UPPER},
        // outPad 1 >= stride 1 (allowed by dilation 2): the last row is beyond cuDNN's reach, zero-filled.
        {{1, 3, 7, 5},
         4,
         {3, 3},
         1,
         {},
         {2, 2},
         {1, 1},
         {1, 1},
         PaddingMode::kEXPLICIT_ROUND_DOWN,
         true,
         {1, 1}},
        {{1, 3, 7, 5}, 4, {3, 3}, 1, {2, 2}, {}, {1, 1}, {1, 1}, PaddingMode::kEXPLICIT_ROUND_DOWN, false},
    };
    return cases;
}

}  // namespace kiln::gputest
