/// @file kiln.h
/// Everything a Kiln user includes: the network, builder and runtime APIs.
#pragma once

#include "kiln/builder.h"
#include "kiln/error_recorder.h"
#include "kiln/layer_types.h"
#include "kiln/logger.h"
#include "kiln/network.h"
#include "kiln/runtime.h"
#include "kiln/types.h"
