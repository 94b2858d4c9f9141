// The kernels of elementwise.cu, compiled for the host.
#include "emulator.h"
#include "../Neuron/Backend/CUDA/Kernels/prelude.cu"
#include "../Neuron/Backend/CUDA/Kernels/elementwise.cu"

NK_EMULATE(unary_f32)
NK_EMULATE(unary_f64)
NK_EMULATE(binary_f32)
NK_EMULATE(binary_f64)
NK_EMULATE(binary_i64)
NK_EMULATE(compare_f32)
NK_EMULATE(compare_f64)
NK_EMULATE(compare_i64)
NK_EMULATE(compare_u8)
NK_EMULATE(where_1)
NK_EMULATE(where_4)
NK_EMULATE(where_8)
NK_EMULATE(where_2)
