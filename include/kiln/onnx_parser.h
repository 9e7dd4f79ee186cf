/// @file onnx_parser.h
/// The ONNX parser, in the shape of TensorRT's `nvonnxparser`: it reads an ONNX model (opsets 9 to 24,
/// and 7/8 where an operator did not change before 9) and adds its layers to an INetworkDefinition. Problems
/// are collected, not thrown: after a failed parse, getNbErrors()/getError(i) list every problem found, each
/// naming the node, its operator and the reason. supportsModel() checks a model without touching the network
/// and lists every unsupported node at once.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kiln/logger.h"
#include "kiln/network.h"

namespace kiln {

/// What went wrong. Values match TensorRT's `nvonnxparser::ErrorCode`.
enum class ParserErrorCode : int32_t {
    kSUCCESS = 0,
    kINTERNAL_ERROR = 1,
    kMEM_ALLOC_FAILED = 2,
    kMODEL_DESERIALIZE_FAILED = 3,  ///< not a readable ONNX protobuf (truncated, garbage, too large)
    kINVALID_VALUE = 4,             ///< a bad value: tensor data, external data, attribute contents
    kINVALID_GRAPH = 5,             ///< cycles, dangling inputs, duplicate producers, missing outputs
    kINVALID_NODE = 6,              ///< a node that breaks its operator's rules (arity, attribute types)
    kUNSUPPORTED_GRAPH = 7,         ///< an opset or IR feature Kiln does not handle
    kUNSUPPORTED_NODE = 8,          ///< an operator Kiln does not import
    kUNSUPPORTED_NODE_ATTR = 9,     ///< a known operator with an attribute value Kiln does not handle
    kUNSUPPORTED_NODE_INPUT = 10,   ///< an input that must be a constant is computed, or similar
    kUNSUPPORTED_NODE_DATATYPE = 11,
    kUNSUPPORTED_NODE_DYNAMIC = 12,
    kUNSUPPORTED_NODE_SHAPE = 13,
    kREFIT_FAILED = 14,
};

/// "kUNSUPPORTED_NODE" style name of a code.
const char* parserErrorCodeName(ParserErrorCode code) noexcept;

/// One problem found while parsing. Owned by the parser; valid until clearErrors() or the next parse.
class IParserError {
public:
    virtual ParserErrorCode code() const noexcept = 0;
    /// The reason: what was expected, what was found.
    virtual const char* desc() const noexcept = 0;
    /// Index of the node in the graph (after model-local functions are inlined), -1 when the error is not
    /// about one node (a protobuf that does not parse, a graph input).
    virtual int64_t node() const noexcept = 0;
    /// The node's name ("" when it has none or the error is not about a node).
    virtual const char* nodeName() const noexcept = 0;
    /// The node's operator, e.g. "Conv" ("" when the error is not about a node).
    virtual const char* nodeOperator() const noexcept = 0;

protected:
    virtual ~IParserError() = default;
};

/// Parses ONNX models into a network. Create with createParser(); release with `delete`.
class IParser {
public:
    /// Parses a serialized ModelProto and adds its layers, inputs and outputs to the network. `modelPath`
    /// (the .onnx file the bytes came from) locates external data files; it may be null when the model
    /// has none. Returns false when any error was found; the errors are listed by getError().
    virtual bool parse(const void* serializedOnnxModel, size_t serializedOnnxModelSize,
                       const char* modelPath = nullptr) noexcept = 0;
    /// Reads and parses a .onnx file. `verbosity` is an ILogger::Severity value: messages up to that
    /// severity are logged (kINFO prints a model summary, kVERBOSE every imported node).
    virtual bool parseFromFile(const char* onnxModelFile, int32_t verbosity) noexcept = 0;
    /// Checks a model without touching the network: every node is checked against Kiln's importers and
    /// each unsupported one is one error (all listed at once); when all are supported, the model is
    /// imported into a scratch network so problems of shapes and types are listed too. Returns true when
    /// the model would parse.
    virtual bool supportsModel(const void* serializedOnnxModel, size_t serializedOnnxModelSize,
                               const char* modelPath = nullptr) noexcept = 0;
    /// Whether Kiln imports operator `opType` of the default ONNX domain at some opset.
    virtual bool supportsOperator(const char* opType) const noexcept = 0;

    virtual int32_t getNbErrors() const noexcept = 0;
    /// Error `index`, or null when out of range.
    virtual const IParserError* getError(int32_t index) const noexcept = 0;
    virtual void clearErrors() noexcept = 0;

    /// The opset version the last parsed model imports for `domain` ("" or "ai.onnx": the default
    /// domain); -1 when no model was parsed or it does not import that domain.
    virtual int64_t getUsedOpsetVersion(const char* domain = "") const noexcept = 0;
    /// Kiln extension (what `kiln inspect model.onnx` prints): a readable description of a model, without
    /// touching the network. It gives the IR version and producer, the opsets, the graph inputs and
    /// outputs with element types and shapes (symbolic dims by name), the initializers, an operator
    /// histogram and whether Kiln imports each node, with the reason when it does not. Every node is
    /// listed when `allNodes` is true, else only the unsupported ones. Returns null when the bytes are not
    /// an ONNX model (the reason is in getError(0)). The text belongs to the parser and stays valid until
    /// the next call of any parser method.
    virtual const char* describeModel(const void* serializedOnnxModel, size_t serializedOnnxModelSize,
                                      const char* modelPath = nullptr, bool allNodes = false) noexcept = 0;

    virtual ~IParser() = default;
};

/// A parser that adds to `network` and reports to `logger`. Both must outlive the parser.
IParser* createParser(INetworkDefinition& network, ILogger& logger) noexcept;

}  // namespace kiln
