/// @file layer_types.h
/// Enumerations that configure layers. Names and values follow TensorRT 10 where TensorRT has the
/// concept; Kiln's additions are marked.
#pragma once

#include <cstdint>

namespace kiln {

enum class LayerType : int32_t {
    kCONVOLUTION = 0,
    kCAST = 1,
    kACTIVATION = 2,
    kPOOLING = 3,
    kSCALE = 5,
    kSOFTMAX = 6,
    kDECONVOLUTION = 7,
    kCONCATENATION = 8,
    kELEMENTWISE = 9,
    kUNARY = 11,
    kPADDING = 12,
    kSHUFFLE = 13,
    kREDUCE = 14,
    kTOPK = 15,
    kGATHER = 16,
    kMATRIX_MULTIPLY = 17,
    kCONSTANT = 19,
    kIDENTITY = 20,
    kSLICE = 22,
    kSHAPE = 23,
    kRESIZE = 25,
    kSELECT = 31,
    kNORMALIZATION = 41,
    kFILL = 24,
    kSCATTER = 36,
    kQUANTIZE = 33,
    kDEQUANTIZE = 34,
    kCUMULATIVE = 45,
    kTRILU = 100,  ///< Kiln
};

enum class ActivationType : int32_t {
    kRELU = 0,
    kSIGMOID = 1,
    kTANH = 2,
    kLEAKY_RELU = 3,        ///< x >= 0 ? x : alpha * x
    kELU = 4,               ///< x >= 0 ? x : alpha * (exp(x) - 1)
    kSELU = 5,              ///< beta * (x >= 0 ? x : alpha * (exp(x) - 1))
    kSOFTSIGN = 6,          ///< x / (1 + |x|)
    kSOFTPLUS = 7,          ///< alpha * log(exp(beta * x) + 1)
    kCLIP = 8,              ///< max(alpha, min(beta, x))
    kHARD_SIGMOID = 9,      ///< max(0, min(1, alpha * x + beta))
    kSCALED_TANH = 10,      ///< alpha * tanh(beta * x)
    kTHRESHOLDED_RELU = 11, ///< x > alpha ? x : 0
    kGELU_ERF = 12,         ///< 0.5 x (1 + erf(x / sqrt 2))
    kGELU_TANH = 13,        ///< 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    kSILU = 100,            ///< Kiln: x * sigmoid(x)
    kHARD_SWISH = 101,      ///< Kiln: x * max(0, min(1, x / 6 + 0.5))
};

enum class PoolingType : int32_t {
    kMAX = 0,
    kAVERAGE = 1,
    kMAX_AVERAGE_BLEND = 2,  ///< (1 - blendFactor) * max + blendFactor * average
};

enum class PaddingMode : int32_t {
    kEXPLICIT_ROUND_DOWN = 0,  ///< explicit pre/post padding, output size rounded down
    kEXPLICIT_ROUND_UP = 1,    ///< explicit pre/post padding, output size rounded up
    kSAME_UPPER = 2,           ///< padding chosen so out = ceil(in / stride); extra padding at the end
    kSAME_LOWER = 3,           ///< as kSAME_UPPER, extra padding at the start
};

enum class ElementWiseOperation : int32_t {
    kSUM = 0,
    kPROD = 1,
    kMAX = 2,
    kMIN = 3,
    kSUB = 4,
    kDIV = 5,
    kPOW = 6,
    kFLOOR_DIV = 7,
    kAND = 8,
    kOR = 9,
    kXOR = 10,
    kEQUAL = 11,
    kGREATER = 12,
    kLESS = 13,
    kMOD = 100,  ///< Kiln: remainder with the sign of the divisor (Python/ONNX fmod=0)
    kFMOD = 101, ///< Kiln: remainder with the sign of the dividend (C fmod)
};

enum class UnaryOperation : int32_t {
    kEXP = 0,
    kLOG = 1,
    kSQRT = 2,
    kRECIP = 3,
    kABS = 4,
    kNEG = 5,
    kSIN = 6,
    kCOS = 7,
    kTAN = 8,
    kSINH = 9,
    kCOSH = 10,
    kASIN = 11,
    kACOS = 12,
    kATAN = 13,
    kASINH = 14,
    kACOSH = 15,
    kATANH = 16,
    kCEIL = 17,
    kFLOOR = 18,
    kERF = 19,
    kNOT = 20,
    kSIGN = 21,
    kROUND = 22,  ///< round half to even
    kISINF = 23,
    kISNAN = 24,
};

enum class MatrixOperation : int32_t {
    kNONE = 0,       ///< use the last two dims as a matrix
    kTRANSPOSE = 1,  ///< transpose the last two dims
    kVECTOR = 2,     ///< treat the last dim as a vector
};

enum class ReduceOperation : int32_t {
    kSUM = 0,
    kPROD = 1,
    kMAX = 2,
    kMIN = 3,
    kAVG = 4,
    kL2 = 100,       ///< Kiln: sqrt(sum(x^2))
    kL1 = 101,       ///< Kiln: sum(|x|)
    kSUM_SQUARE = 102, ///< Kiln: sum(x^2)
    kLOG_SUM_EXP = 103, ///< Kiln: log(sum(exp(x)))
};

enum class TopKOperation : int32_t { kMAX = 0, kMIN = 1 };

enum class ScaleMode : int32_t {
    kUNIFORM = 0,      ///< one coefficient for the whole tensor
    kCHANNEL = 1,      ///< one coefficient per channel (channel axis)
    kELEMENTWISE = 2,  ///< one coefficient per element of C x spatial
};

enum class SampleMode : int32_t {
    kSTRICT_BOUNDS = 0,
    kWRAP = 1,
    kCLAMP = 2,
    kFILL = 3,
    kREFLECT = 4,
};

enum class GatherMode : int32_t { kDEFAULT = 0, kELEMENT = 1, kND = 2 };

enum class InterpolationMode : int32_t { kNEAREST = 0, kLINEAR = 1, kCUBIC = 2 };

enum class ResizeCoordinateTransformation : int32_t {
    kALIGN_CORNERS = 0,
    kASYMMETRIC = 1,
    kHALF_PIXEL = 2,
    kPYTORCH_HALF_PIXEL = 100,  ///< Kiln: half pixel, but 0 when the output extent is 1
    /// Kiln (ONNX half_pixel_symmetric): half pixel, shifted so that the centre of the input maps to the
    /// centre of the output when in * scale is not a whole number.
    kHALF_PIXEL_SYMMETRIC = 101,
    /// Kiln (ONNX tf_crop_and_resize): samples the region of interest (IResizeLayer::setRegionOfInterest
    /// or input 3) corner to corner; points outside the input take the extrapolation value.
    kTF_CROP_AND_RESIZE = 102,
};

enum class ResizeSelector : int32_t { kFORMULA = 0, kUPPER = 1 };

enum class ResizeRoundMode : int32_t { kHALF_UP = 0, kHALF_DOWN = 1, kFLOOR = 2, kCEIL = 3 };

/// Kiln: padding fill mode for IPaddingLayer (TensorRT pads with zeros only).
enum class PaddingFillMode : int32_t { kCONSTANT = 0, kREFLECT = 1, kEDGE = 2, kWRAP = 3 };

enum class FillOperation : int32_t {
    kLINSPACE = 0,
    kRANDOM_UNIFORM = 1,  ///< not supported yet
    kRANDOM_NORMAL = 2,   ///< not supported yet
    kCONSTANT = 100,      ///< Kiln: every element = alpha
};

enum class CumulativeOperation : int32_t { kSUM = 0 };

enum class ScatterMode : int32_t { kELEMENT = 0, kND = 1 };

/// Kiln: how IScatterLayer combines an update with the element it lands on (TensorRT's scatter only
/// replaces). kADD/kMUL/kMAX/kMIN are ONNX's reduction "add"/"mul"/"max"/"min"; max and min propagate NaN.
enum class ScatterReduction : int32_t { kNONE = 0, kADD = 1, kMUL = 2, kMAX = 3, kMIN = 4 };

/// Kiln: how a Cast to DataType::kE8M0 rounds (ONNX Cast's round_mode); casts to every other type round to
/// nearest even. kUP rounds to the next power of two away from zero (the default, as ONNX), kDOWN to the
/// one toward zero, kNEAREST to the nearer one with ties (1.5 * 2^e) going up.
enum class CastRoundMode : int32_t { kUP = 0, kDOWN = 1, kNEAREST = 2 };

/// A permutation for IShuffleLayer.
struct Permutation {
    int32_t order[8]{0, 1, 2, 3, 4, 5, 6, 7};
};

}  // namespace kiln
