# Runs `kiln inspect MODEL.onnx --nodes` on the generated ResNet-18 and checks the facts it must print:
# the input and output with dtypes and shapes, the opset, the operator histogram and per-node support.
execute_process(COMMAND ${KILN} inspect ${MODEL} --nodes RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "kiln inspect failed (${rc}):\n${out}\n${err}")
endif()
foreach(piece "input: FLOAT \\[2, 3, 224, 224\\]" "logits: FLOAT \\[2, 1000\\]" "ai.onnx=17" "Conv +20"
              "BatchNormalization +20" "support: 70 of 70 nodes supported" "#0 Conv '[^']*': supported")
  if(NOT out MATCHES "${piece}")
    message(FATAL_ERROR "kiln inspect output lacks '${piece}':\n${out}")
  endif()
endforeach()
execute_process(COMMAND ${KILN} inspect ${MODEL} --json RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "--json describes plans")
  message(FATAL_ERROR "kiln inspect MODEL.onnx --json should fail saying why (${rc}):\n${out}\n${err}")
endif()
