// The kernels of copy.cu, compiled for the host.
#include "emulator.h"
#include "../Neuron/Backend/CUDA/Kernels/prelude.cu"
#include "../Neuron/Backend/CUDA/Kernels/copy.cu"

NK_EMULATE(copy_1)
NK_EMULATE(copy_4)
NK_EMULATE(copy_8)
NK_EMULATE(fill_1)
NK_EMULATE(fill_4)
NK_EMULATE(fill_8)
NK_EMULATE(cast_f32_f32)
NK_EMULATE(cast_f32_f64)
NK_EMULATE(cast_f32_i64)
NK_EMULATE(cast_f32_u8)
NK_EMULATE(cast_f64_f32)
NK_EMULATE(cast_f64_f64)
NK_EMULATE(cast_f64_i64)
NK_EMULATE(cast_f64_u8)
NK_EMULATE(cast_i64_f32)
NK_EMULATE(cast_i64_f64)
NK_EMULATE(cast_i64_i64)
NK_EMULATE(cast_i64_u8)
NK_EMULATE(cast_u8_f32)
NK_EMULATE(cast_u8_f64)
NK_EMULATE(cast_u8_i64)
NK_EMULATE(cast_u8_u8)
