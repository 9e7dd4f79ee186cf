// Declared-value checks for the enums Attrs structs hold (see enum_values.h).
#include "plan/enum_values.h"

#include "common/tensor_ref.h"

namespace kiln::plan {

bool isDeclared(DataType v) {
    return isValidDataType(v);
}
const char* enumTypeName(DataType) {
    return "DataType";
}

bool isDeclared(ActivationType v) {
    switch (v) {
        case ActivationType::kRELU:
        case ActivationType::kSIGMOID:
        case ActivationType::kTANH:
        case ActivationType::kLEAKY_RELU:
        case ActivationType::kELU:
        case ActivationType::kSELU:
        case ActivationType::kSOFTSIGN:
        case ActivationType::kSOFTPLUS:
        case ActivationType::kCLIP:
        case ActivationType::kHARD_SIGMOID:
        case ActivationType::kSCALED_TANH:
        case ActivationType::kTHRESHOLDED_RELU:
        case ActivationType::kGELU_ERF:
        case ActivationType::kGELU_TANH:
        case ActivationType::kSILU:
        case ActivationType::kHARD_SWISH:
            return true;
    }
    return false;
}
const char* enumTypeName(ActivationType) {
    return "ActivationType";
}

bool isDeclared(PoolingType v) {
    switch (v) {
        case PoolingType::kMAX:
        case PoolingType::kAVERAGE:
        case PoolingType::kMAX_AVERAGE_BLEND:
            return true;
    }
    return false;
}
const char* enumTypeName(PoolingType) {
    return "PoolingType";
}

bool isDeclared(PaddingMode v) {
    switch (v) {
        case PaddingMode::kEXPLICIT_ROUND_DOWN:
        case PaddingMode::kEXPLICIT_ROUND_UP:
        case PaddingMode::kSAME_UPPER:
        case PaddingMode::kSAME_LOWER:
            return true;
    }
    return false;
}
const char* enumTypeName(PaddingMode) {
    return "PaddingMode";
}

bool isDeclared(ElementWiseOperation v) {
    switch (v) {
        case ElementWiseOperation::kSUM:
        case ElementWiseOperation::kPROD:
        case ElementWiseOperation::kMAX:
        case ElementWiseOperation::kMIN:
        case ElementWiseOperation::kSUB:
        case ElementWiseOperation::kDIV:
        case ElementWiseOperation::kPOW:
        case ElementWiseOperation::kFLOOR_DIV:
        case ElementWiseOperation::kAND:
        case ElementWiseOperation::kOR:
        case ElementWiseOperation::kXOR:
        case ElementWiseOperation::kEQUAL:
        case ElementWiseOperation::kGREATER:
        case ElementWiseOperation::kLESS:
        case ElementWiseOperation::kMOD:
        case ElementWiseOperation::kFMOD:
            return true;
    }
    return false;
}
const char* enumTypeName(ElementWiseOperation) {
    return "ElementWiseOperation";
}

bool isDeclared(UnaryOperation v) {
    switch (v) {
        case UnaryOperation::kEXP:
        case UnaryOperation::kLOG:
        case UnaryOperation::kSQRT:
        case UnaryOperation::kRECIP:
        case UnaryOperation::kABS:
        case UnaryOperation::kNEG:
        case UnaryOperation::kSIN:
        case UnaryOperation::kCOS:
        case UnaryOperation::kTAN:
        case UnaryOperation::kSINH:
        case UnaryOperation::kCOSH:
        case UnaryOperation::kASIN:
        case UnaryOperation::kACOS:
        case UnaryOperation::kATAN:
        case UnaryOperation::kASINH:
        case UnaryOperation::kACOSH:
        case UnaryOperation::kATANH:
        case UnaryOperation::kCEIL:
        case UnaryOperation::kFLOOR:
        case UnaryOperation::kERF:
        case UnaryOperation::kNOT:
        case UnaryOperation::kSIGN:
        case UnaryOperation::kROUND:
        case UnaryOperation::kISINF:
        case UnaryOperation::kISNAN:
            return true;
    }
    return false;
}
const char* enumTypeName(UnaryOperation) {
    return "UnaryOperation";
}

bool isDeclared(MatrixOperation v) {
    switch (v) {
        case MatrixOperation::kNONE:
        case MatrixOperation::kTRANSPOSE:
        case MatrixOperation::kVECTOR:
            return true;
    }
    return false;
}
const char* enumTypeName(MatrixOperation) {
    return "MatrixOperation";
}

bool isDeclared(ReduceOperation v) {
    switch (v) {
        case ReduceOperation::kSUM:
        case ReduceOperation::kPROD:
        case ReduceOperation::kMAX:
        case ReduceOperation::kMIN:
        case ReduceOperation::kAVG:
        case ReduceOperation::kL2:
        case ReduceOperation::kL1:
        case ReduceOperation::kSUM_SQUARE:
        case ReduceOperation::kLOG_SUM_EXP:
            return true;
    }
    return false;
}
const char* enumTypeName(ReduceOperation) {
    return "ReduceOperation";
}

bool isDeclared(TopKOperation v) {
    switch (v) {
        case TopKOperation::kMAX:
        case TopKOperation::kMIN:
            return true;
    }
    return false;
}
const char* enumTypeName(TopKOperation) {
    return "TopKOperation";
}

bool isDeclared(ScaleMode v) {
    switch (v) {
        case ScaleMode::kUNIFORM:
        case ScaleMode::kCHANNEL:
        case ScaleMode::kELEMENTWISE:
            return true;
    }
    return false;
}
const char* enumTypeName(ScaleMode) {
    return "ScaleMode";
}

bool isDeclared(SampleMode v) {
    switch (v) {
        case SampleMode::kSTRICT_BOUNDS:
        case SampleMode::kWRAP:
        case SampleMode::kCLAMP:
        case SampleMode::kFILL:
        case SampleMode::kREFLECT:
            return true;
    }
    return false;
}
const char* enumTypeName(SampleMode) {
    return "SampleMode";
}

bool isDeclared(GatherMode v) {
    switch (v) {
        case GatherMode::kDEFAULT:
        case GatherMode::kELEMENT:
        case GatherMode::kND:
            return true;
    }
    return false;
}
const char* enumTypeName(GatherMode) {
    return "GatherMode";
}

bool isDeclared(InterpolationMode v) {
    switch (v) {
        case InterpolationMode::kNEAREST:
        case InterpolationMode::kLINEAR:
        case InterpolationMode::kCUBIC:
            return true;
    }
    return false;
}
const char* enumTypeName(InterpolationMode) {
    return "InterpolationMode";
}

bool isDeclared(ResizeCoordinateTransformation v) {
    switch (v) {
        case ResizeCoordinateTransformation::kALIGN_CORNERS:
        case ResizeCoordinateTransformation::kASYMMETRIC:
        case ResizeCoordinateTransformation::kHALF_PIXEL:
        case ResizeCoordinateTransformation::kPYTORCH_HALF_PIXEL:
        case ResizeCoordinateTransformation::kHALF_PIXEL_SYMMETRIC:
        case ResizeCoordinateTransformation::kTF_CROP_AND_RESIZE:
            return true;
    }
    return false;
}
const char* enumTypeName(ResizeCoordinateTransformation) {
    return "ResizeCoordinateTransformation";
}

bool isDeclared(ResizeSelector v) {
    switch (v) {
        case ResizeSelector::kFORMULA:
        case ResizeSelector::kUPPER:
            return true;
    }
    return false;
}
const char* enumTypeName(ResizeSelector) {
    return "ResizeSelector";
}

bool isDeclared(ResizeRoundMode v) {
    switch (v) {
        case ResizeRoundMode::kHALF_UP:
        case ResizeRoundMode::kHALF_DOWN:
        case ResizeRoundMode::kFLOOR:
        case ResizeRoundMode::kCEIL:
            return true;
    }
    return false;
}
const char* enumTypeName(ResizeRoundMode) {
    return "ResizeRoundMode";
}

bool isDeclared(PaddingFillMode v) {
    switch (v) {
        case PaddingFillMode::kCONSTANT:
        case PaddingFillMode::kREFLECT:
        case PaddingFillMode::kEDGE:
        case PaddingFillMode::kWRAP:
            return true;
    }
    return false;
}
const char* enumTypeName(PaddingFillMode) {
    return "PaddingFillMode";
}

bool isDeclared(FillOperation v) {
    switch (v) {
        case FillOperation::kLINSPACE:
        case FillOperation::kRANDOM_UNIFORM:
        case FillOperation::kRANDOM_NORMAL:
        case FillOperation::kCONSTANT:
            return true;
    }
    return false;
}
const char* enumTypeName(FillOperation) {
    return "FillOperation";
}

bool isDeclared(CumulativeOperation v) {
    switch (v) {
        case CumulativeOperation::kSUM:
            return true;
    }
    return false;
}
const char* enumTypeName(CumulativeOperation) {
    return "CumulativeOperation";
}

bool isDeclared(ScatterMode v) {
    switch (v) {
        case ScatterMode::kELEMENT:
        case ScatterMode::kND:
            return true;
    }
    return false;
}
const char* enumTypeName(ScatterMode) {
    return "ScatterMode";
}

bool isDeclared(ScatterReduction v) {
    switch (v) {
        case ScatterReduction::kNONE:
        case ScatterReduction::kADD:
        case ScatterReduction::kMUL:
        case ScatterReduction::kMAX:
        case ScatterReduction::kMIN:
            return true;
    }
    return false;
}
const char* enumTypeName(ScatterReduction) {
    return "ScatterReduction";
}
bool isDeclared(CastRoundMode v) {
    switch (v) {
        case CastRoundMode::kUP:
        case CastRoundMode::kDOWN:
        case CastRoundMode::kNEAREST:
            return true;
    }
    return false;
}
const char* enumTypeName(CastRoundMode) {
    return "CastRoundMode";
}
bool isDeclared(ir::AttentionLayout v) {
    switch (v) {
        case ir::AttentionLayout::kBHSD:
        case ir::AttentionLayout::kBSHD:
        case ir::AttentionLayout::kSBHD:
        case ir::AttentionLayout::kBHDS:
        case ir::AttentionLayout::kSTRIDED:
            return true;
    }
    return false;
}
const char* enumTypeName(ir::AttentionLayout) {
    return "AttentionLayout";
}

}  // namespace kiln::plan
